/* publish.c — the CA's public face, encoded once. */
#include "ca/publish.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

int publication_build(struct ca_publication **out, struct issuer *is, struct lc_err *err)
{
    struct ca_publication *pub = calloc(1, sizeof(*pub));
    X509 *root = ca_anchor(is->ca);
    BIO *bio = NULL;
    unsigned char *der = NULL;
    int der_len, rc;

    if (!pub)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    if ((der_len = i2d_X509(root, &der)) <= 0 || !(bio = BIO_new(BIO_s_mem())) ||
        !PEM_write_bio_X509(bio, root)) {
        rc = lc_fail_openssl(err, LC_E_CRYPTO, "encoding the root");
        goto fail;
    }
    char *pem;
    long pem_len = BIO_get_mem_data(bio, &pem);
    if (!(pub->root_pem = malloc((size_t)pem_len + 1)) ||
        !(pub->root_der = malloc((size_t)der_len))) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        goto fail;
    }
    memcpy(pub->root_pem, pem, (size_t)pem_len);
    pub->root_pem[pem_len] = '\0';
    pub->root_pem_len = (size_t)pem_len;
    memcpy(pub->root_der, der, (size_t)der_len);
    pub->root_der_len = (size_t)der_len;
    if (!(pub->root_der_b64 = malloc(4 * (((size_t)der_len + 2) / 3) + 1))) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        goto fail;
    }
    EVP_EncodeBlock((unsigned char *)pub->root_der_b64, der, der_len);
    ca_fingerprint(pub->fingerprint, root);
    pub->constraints = *ca_get_constraints(is->ca);
    if ((rc = issuer_crl(is, &pub->crl_der, &pub->crl_der_len, err)) != LC_OK)
        goto fail;
    pub->crl_made_at = (int64_t)time(NULL);
    OPENSSL_free(der);
    BIO_free(bio);
    *out = pub;
    return LC_OK;
fail:
    OPENSSL_free(der);
    BIO_free(bio);
    publication_free(pub);
    return rc;
}

void publication_free(struct ca_publication *pub)
{
    if (!pub)
        return;
    free(pub->root_pem);
    free(pub->root_der);
    free(pub->root_der_b64);
    OPENSSL_free(pub->crl_der);
    free(pub);
}
