/* internal.h — shared by the files of ca/ only: the CA handle and the
 * extension helpers that both the CA's own certificates (ca.c) and the
 * leaves and CRLs it signs (sign.c) use. */
#ifndef LC_CA_INTERNAL_H
#define LC_CA_INTERNAL_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/ca.h"
#include "core/err.h"

struct ca {
    EVP_PKEY *key;
    X509 *cert;
    STACK_OF(X509) *chain; /* above cert, up to the root; empty for a root CA */
    struct ca_constraints constraints;
    const EVP_MD *md;      /* NULL for Ed25519 keys */
};


/* ca_ext_add adds extension |nid| with |value| (encoded, not taken) to |x|. */
int ca_ext_add(X509 *x, int nid, void *value, int critical, struct lc_err *err);

/* ca_ext_add_ski adds the subject key identifier (SHA-1 of the key bits). */
int ca_ext_add_ski(X509 *x, struct lc_err *err);

/* ca_ext_add_aki adds an authority key identifier naming |issuer|'s SKI. */
int ca_ext_add_aki(X509 *x, X509 *issuer, struct lc_err *err);

#endif
