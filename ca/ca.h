/* ca.h — the gateway's certificate authority: its key and certificate on disk,
 * the root it makes, the intermediate CSR/import, and the one narrow signing
 * call. Only this module opens the CA key. */
#ifndef LC_CA_CA_H
#define LC_CA_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/name.h"

#define CA_KEY_FILE "ca.key"
#define CA_CERT_FILE "ca.pem"
#define CA_CHAIN_FILE "chain.pem"
#define CA_ROOT_DAYS 3650
#define CA_MAX_NAMES 16
#define CA_FINGERPRINT_LEN 96 /* "AB:CD:…" for SHA-256, with the NUL */

struct ca; /* opaque */

/* The constraints a CA certificate carries: the zone and the allowed ranges. */
struct ca_constraints {
    char zone[LC_NAME_MAX + 1];
    struct lc_prefix_set allow;
};

/* A policy-checked leaf request. Everything in it has already passed
 * policy_check; ca_sign only encodes and signs. Pointers are borrowed. */
struct ca_leaf {
    EVP_PKEY *pubkey;
    const char *const *names; /* lowercase FQDNs; the first of at most 64 bytes is the CN */
    size_t n_names;
    const struct lc_addr *ips;
    size_t n_ips;
    uint8_t serial[16];
    int64_t not_before, not_after;
    const char *crl_url; /* NULL: no CRL distribution point */
};

/* ca_init_root makes a new root in |dir|: an ECDSA P-256 key (0600) and a
 * self-signed certificate for CA_ROOT_DAYS days with critical nameConstraints
 * permitting |c|. An existing CA is LC_E_EXISTS unless |force|. Crash-safe:
 * the key and certificate are installed together or not at all. */
int ca_init_root(const char *dir, const struct ca_constraints *c, bool force, struct lc_err *err);

/* ca_make_csr writes to |out_pem| (a new string the caller frees) a CSR for
 * using this gateway as an intermediate below another root. It uses the CA key
 * in |dir|, making one first when there is none. */
int ca_make_csr(char **out_pem, const char *dir, const struct ca_constraints *c,
                struct lc_err *err);

/* ca_import installs |cert_pem| (the signed intermediate) and |chain_pem| (the
 * certificates above it, up to and including the root) into |dir| after
 * checking that it matches the CA key, is a CA allowed to sign certificates,
 * and that the chain verifies to the root. */
int ca_import(const char *dir, const char *cert_pem, size_t cert_len, const char *chain_pem,
              size_t chain_len, struct lc_err *err);

/* ca_load opens the CA in |dir| (finishing an install a crash interrupted).
 * Every function here that reads or changes the CA files holds a lock on
 * |dir|, so one process never sees or repairs another's install half-done.
 * The caller frees the result with ca_free. */
int ca_load(struct ca **out, const char *dir, struct lc_err *err);

/* ca_state_write replaces |dir|/|name| with |len| bytes (file_write_atomic,
 * |mode|) while holding the lock on |dir|: ca_load removes temporary files a
 * crash left there, and without the lock it could remove this one mid-write. */
int ca_state_write(const char *dir, const char *name, const void *data, size_t len, mode_t mode,
                   struct lc_err *err);

/* ca_free releases |ca| and wipes its key; NULL is fine. */
void ca_free(struct ca *ca);

/* ca_cert returns the CA certificate (borrowed). */
X509 *ca_cert(const struct ca *ca);

/* ca_anchor returns the trust anchor a person installs: the root (the CA
 * itself, or the top of its chain when it is an intermediate). Borrowed. */
X509 *ca_anchor(const struct ca *ca);

/* ca_constraints_of reads the zone and ranges from the CA's name constraints. */
const struct ca_constraints *ca_get_constraints(const struct ca *ca);

/* ca_check_fits refuses a policy (|zone|, |allow|) wider than the CA's name
 * constraints permit: certificates for it would not verify anywhere.
 * LC_E_CONFIG with a message that says what to change. */
int ca_check_fits(const struct ca *ca, const char *zone, const struct lc_prefix_set *allow,
                  struct lc_err *err);

/* ca_fingerprint writes the SHA-256 fingerprint of |cert| as "AB:CD:…". */
void ca_fingerprint(char out[CA_FINGERPRINT_LEN], X509 *cert);

/* ca_chain_pem appends to |out| (a new string the caller frees) |leaf| and the
 * CA chain above it, PEM. */
int ca_chain_pem(char **out_pem, size_t *out_len, const struct ca *ca, X509 *leaf,
                 struct lc_err *err);

/* ca_sign makes and signs a leaf certificate for |req| (see struct ca_leaf).
 * The caller frees *out_cert with X509_free. */
int ca_sign(struct ca *ca, X509 **out_cert, const struct ca_leaf *req, struct lc_err *err);

/* A revoked certificate for ca_crl. */
struct ca_revoked {
    uint8_t serial[16];
    int64_t revoked_at;
    int reason;
};

/* ca_crl signs a CRL listing |revoked| (n_revoked entries), valid from now for
 * |days| days; *out_der is a new buffer the caller frees with OPENSSL_free. */
int ca_crl(struct ca *ca, uint8_t **out_der, size_t *out_len, const struct ca_revoked *revoked,
           size_t n_revoked, int64_t crl_number, unsigned days, struct lc_err *err);

#endif
