/* device.h — what a device does around its requests to the gateway, none of
 * it on the network: its key, the CSR it sends, reading the gateway's answers
 * (untrusted JSON) and writing its files. `lancert enroll` and `renew` use
 * it; the JWS that proves possession of the key is ca/jws.h's jws_sign. */
#ifndef LC_CLI_DEVICE_H
#define LC_CLI_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/name.h"

#define DEVICE_MAX_NAMES 16
#define DEVICE_MAX_PEM (64 * 1024)
#define DEVICE_MAX_CHAIN 8

/* File names inside a device's directory. */
#define DEVICE_CERT_FILE "cert.pem"
#define DEVICE_CHAIN_FILE "chain.pem"
#define DEVICE_KEY_FILE "key.pem"
#define DEVICE_UPDATE_KEY_FILE "update.key"
#define DEVICE_ROOT_FILE "ca.pem"

struct device_update_key {
    char name[LC_NAME_MAX + 1];
    char algorithm[32];
    char secret[128]; /* base64 */
};

/* device_result is a 201 answer of enroll or renew, checked. */
struct device_result {
    int64_t id;
    X509 *cert;             /* owned */
    char *cert_pem;         /* owned; the leaf only */
    char *chain_pem;        /* owned; the CAs above it */
    char names[DEVICE_MAX_NAMES][LC_NAME_MAX + 1];
    size_t n_names;
    bool has_update_key;
    struct device_update_key update_key; /* wiped by device_result_cleanup */
};

/* device_key_new makes an EC P-256 key; the caller frees it with EVP_PKEY_free. */
int device_key_new(EVP_PKEY **out, struct lc_err *err);

/* device_key_load reads a PEM private key of at most DEVICE_MAX_PEM bytes. */
int device_key_load(EVP_PKEY **out, const char *path, struct lc_err *err);

/* device_key_pem writes |key| as unencrypted PKCS#8 PEM into a new buffer
 * the caller wipes (OPENSSL_cleanse) and frees. */
int device_key_pem(char **out, size_t *out_len, EVP_PKEY *key, struct lc_err *err);

/* device_cert_load reads the first certificate of a PEM file (at most
 * DEVICE_MAX_PEM bytes); the caller frees it with X509_free. */
int device_cert_load(X509 **out, const char *path, struct lc_err *err);

/* device_cert_names lists |cert|'s DNS subjectAltNames (lowercase, at most
 * DEVICE_MAX_NAMES) into |out|: what a renewal asks for again. */
int device_cert_names(char out[][LC_NAME_MAX + 1], size_t *out_n, X509 *cert, struct lc_err *err);

/* device_cert_until writes |cert|'s notAfter as RFC 3339 UTC. */
void device_cert_until(char out[32], X509 *cert);

/* device_names builds the names to ask for: the hex name of |self| under
 * |zone| first, then each friendly name (a label, or a full name in |zone|),
 * lowercased, without duplicates. |out| has room for DEVICE_MAX_NAMES. */
int device_names(char out[][LC_NAME_MAX + 1], size_t *out_n, const struct lc_addr *self,
                 const char *zone, const char *const *friendly, size_t n_friendly,
                 struct lc_err *err);

/* device_csr_pem makes a CSR signed by |key| with the first name as CN and
 * every name as a DNS subjectAltName; *out is a new PEM string to free(). */
int device_csr_pem(char **out, EVP_PKEY *key, const char names[][LC_NAME_MAX + 1], size_t n_names,
                   struct lc_err *err);

/* device_ca_parse reads GET /api/v1/ca's answer and writes its zone. */
int device_ca_parse(char out_zone[LC_NAME_MAX + 1], const char *body, size_t len,
                    struct lc_err *err);

/* device_pending_parse reads a {id, status} answer: *out_pending is true for
 * "pending", false for "active" (then parse the body with
 * device_result_parse); "refused" and anything else are errors. */
int device_pending_parse(int64_t *out_id, bool *out_pending, const char *body, size_t len,
                         struct lc_err *err);

/* device_result_parse checks an enroll/renew 201 answer: its certificate must
 * certify |key| and its chain must parse; update_key is read when present.
 * Release |out| with device_result_cleanup, also after a failure. */
int device_result_parse(struct device_result *out, const char *body, size_t len, EVP_PKEY *key,
                        struct lc_err *err);

void device_result_cleanup(struct device_result *r);

/* device_update_key_format writes update.key: a BIND key clause that
 * `nsupdate -k` reads, with the dyndns2 user and password in comments. */
int device_update_key_format(char *out, size_t out_len, const struct device_update_key *k,
                             struct lc_err *err);

/* device_write writes |name| (mode |mode|) in |dir| atomically, replacing it. */
int device_write(const char *dir, const char *name, const char *data, size_t len, unsigned mode,
                 struct lc_err *err);

/* device_fingerprint_parse reads a SHA-256 fingerprint as users copy it:
 * 64 hex digits, any case, colons optional (LC_E_USAGE otherwise). */
int device_fingerprint_parse(uint8_t out[32], const char *text, struct lc_err *err);

/* device_fingerprint_check succeeds when |pem| holds one certificate whose
 * SHA-256 fingerprint is |want|; LC_E_SIGNATURE when it is another. */
int device_fingerprint_check(const char *pem, size_t pem_len, const uint8_t want[32],
                             struct lc_err *err);

#endif
