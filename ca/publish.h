/* publish.h — what the gateway hands out about its CA: the root people
 * install (PEM and DER), its fingerprint, and the current CRL. Built once,
 * then read-only, so listeners can share it between threads. */
#ifndef LC_CA_PUBLISH_H
#define LC_CA_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "ca/ca.h"
#include "ca/issue.h"
#include "core/err.h"

struct ca_publication {
    char *root_pem;
    size_t root_pem_len;
    uint8_t *root_der;
    size_t root_der_len;
    char *root_der_b64; /* the DER in base64, one line (for /ca.mobileconfig) */
    char fingerprint[CA_FINGERPRINT_LEN]; /* SHA-256 of the root, "AB:CD:…" */
    struct ca_constraints constraints;    /* what the CA certificate permits */
    uint8_t *crl_der;
    size_t crl_der_len;
    int64_t crl_made_at;
};

/* publication_build makes a new publication from |is| (its CA and store);
 * the caller frees it with publication_free. */
int publication_build(struct ca_publication **out, struct issuer *is, struct lc_err *err);

/* publication_free releases |pub|; NULL is fine. */
void publication_free(struct ca_publication *pub);

#endif
