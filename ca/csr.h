/* csr.h — reading a certificate signing request from untrusted bytes: size
 * cap, PEM or DER, signature, key type, and the names it asks for. */
#ifndef LC_CA_CSR_H
#define LC_CA_CSR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/name.h"

#define CSR_MAX_LEN (64 * 1024)
#define CSR_MAX_NAMES 16

struct csr {
    EVP_PKEY *pubkey; /* owned; csr_cleanup frees it */
    uint8_t key_id[32]; /* SHA-256 of the SubjectPublicKeyInfo */
    char names[CSR_MAX_NAMES][LC_NAME_MAX + 1]; /* as given: DNS SANs, or the CN without SANs */
    size_t n_names;
    struct lc_addr ips[CSR_MAX_NAMES];
    size_t n_ips;
    bool no_sans; /* no SAN at all: |names| holds the CN, if any */
};

/* csr_parse reads |len| bytes of PEM or DER, verifies the self-signature and
 * checks the key (EC P-256/P-384, RSA 2048-4096, Ed25519). Every rejection
 * has its own code: LC_E_TOO_BIG, LC_E_MALFORMED, LC_E_SIGNATURE, LC_E_KEY,
 * LC_E_TOO_MANY. On success the caller releases |out| with csr_cleanup. */
int csr_parse(struct csr *out, const uint8_t *data, size_t len, struct lc_err *err);

/* csr_cleanup frees what csr_parse allocated; safe on a zeroed struct. */
void csr_cleanup(struct csr *csr);

/* csr_key_id computes the SHA-256 of |key|'s SubjectPublicKeyInfo. */
int csr_key_id(uint8_t out[32], EVP_PKEY *key, struct lc_err *err);

#endif
