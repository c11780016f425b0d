/* csr.c — CSR intake. Everything about the request is checked here before
 * policy sees a single name. */
#include "ca/csr.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

int csr_key_id(uint8_t out[32], EVP_PKEY *key, struct lc_err *err)
{
    unsigned char *spki = NULL;
    unsigned int md_len = 0;
    int spki_len = i2d_PUBKEY(key, &spki);
    if (spki_len <= 0 || !EVP_Digest(spki, (size_t)spki_len, out, &md_len, EVP_sha256(), NULL)) {
        OPENSSL_free(spki);
        return lc_fail_openssl(err, LC_E_CRYPTO, "hashing the public key");
    }
    OPENSSL_free(spki);
    return LC_OK;
}

/* spki_id hashes the request's SubjectPublicKeyInfo as it was parsed. It
 * equals csr_key_id of the same key, but re-encoding an EVP_PKEY builds an
 * OSSL_ENCODER context in OpenSSL 3.0 (~58 us a call, as much as the CSR's
 * signature check); the parsed structure encodes by its ASN.1 template. */
static int spki_id(uint8_t out[32], const X509_PUBKEY *spki, struct lc_err *err)
{
    unsigned char *der = NULL;
    unsigned int md_len = 0;
    int der_len = spki ? i2d_X509_PUBKEY(spki, &der) : -1;
    if (der_len <= 0 || !EVP_Digest(der, (size_t)der_len, out, &md_len, EVP_sha256(), NULL)) {
        OPENSSL_free(der);
        return lc_fail_openssl(err, LC_E_CRYPTO, "hashing the public key");
    }
    OPENSSL_free(der);
    return LC_OK;
}

static int check_key(EVP_PKEY *key, struct lc_err *err)
{
    int id = EVP_PKEY_get_base_id(key), bits = EVP_PKEY_get_bits(key);
    char group[32] = "";
    switch (id) {
    case EVP_PKEY_EC:
        if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                            sizeof(group), NULL))
            return lc_fail(err, LC_E_KEY, "the CSR's EC key has no named curve");
        if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0 ||
            strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
            return LC_OK;
        return lc_fail(err, LC_E_KEY, "the CSR's key is on curve %s; only P-256 and P-384 are accepted",
                       group);
    case EVP_PKEY_RSA:
        if (bits >= 2048 && bits <= 4096)
            return LC_OK;
        return lc_fail(err, LC_E_KEY, "the CSR's RSA key has %d bits; 2048 to 4096 are accepted", bits);
    case EVP_PKEY_ED25519:
        return LC_OK;
    default:
        return lc_fail(err, LC_E_KEY,
                       "the CSR's key type (%s) is not accepted: use EC P-256/P-384, RSA 2048-4096 or Ed25519",
                       OBJ_nid2sn(id) ? OBJ_nid2sn(id) : "unknown");
    }
}

static int add_name(struct csr *c, const ASN1_STRING *s, struct lc_err *err)
{
    int len = ASN1_STRING_length(s);
    const unsigned char *p = ASN1_STRING_get0_data(s);
    if (c->n_names + c->n_ips >= CSR_MAX_NAMES)
        return lc_fail(err, LC_E_TOO_MANY, "the CSR asks for more than %d names", CSR_MAX_NAMES);
    /* An embedded NUL would make the name mean two things. */
    if (len <= 0 || len > LC_NAME_MAX || memchr(p, '\0', (size_t)len))
        return lc_fail(err, LC_E_MALFORMED, "the CSR holds an empty, overlong or NUL-bearing name");
    memcpy(c->names[c->n_names], p, (size_t)len);
    c->names[c->n_names][len] = '\0';
    c->n_names++;
    return LC_OK;
}

static int read_sans(struct csr *c, struct lc_err *err)
{
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(c->req);
    GENERAL_NAMES *gens = NULL;
    int rc = LC_OK, crit = -1;
    if (!exts) {
        ERR_clear_error();
        return LC_OK;
    }
    gens = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
    if (!gens && crit == -2)
        rc = lc_fail(err, LC_E_MALFORMED, "the CSR has more than one subjectAltName extension");
    else if (!gens && crit >= 0)
        rc = lc_fail(err, LC_E_MALFORMED, "the CSR's subjectAltName does not parse");
    for (int i = 0; rc == LC_OK && gens && i < sk_GENERAL_NAME_num(gens); i++) {
        int type;
        const void *v = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(gens, i), &type);
        if (type == GEN_DNS) {
            rc = add_name(c, v, err);
        } else if (type == GEN_IPADD) {
            const ASN1_OCTET_STRING *os = v;
            if (c->n_names + c->n_ips >= CSR_MAX_NAMES)
                rc = lc_fail(err, LC_E_TOO_MANY, "the CSR asks for more than %d names", CSR_MAX_NAMES);
            else if (!addr_from_bytes(&c->ips[c->n_ips], ASN1_STRING_get0_data(os),
                                      (size_t)ASN1_STRING_length(os)))
                rc = lc_fail(err, LC_E_MALFORMED, "the CSR holds an IP address of %d bytes",
                             ASN1_STRING_length(os));
            else
                c->n_ips++;
        } else {
            rc = lc_fail(err, LC_E_ZONE,
                         "the CSR asks for a name of a kind lancert does not issue (only DNS names and IP addresses)");
        }
    }
    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    ERR_clear_error();
    return rc;
}

/* read_cn takes the subject CN as the one name when there are no SANs. */
static int read_cn(struct csr *c, struct lc_err *err)
{
    X509_NAME *subject = X509_REQ_get_subject_name(c->req);
    int i = subject ? X509_NAME_get_index_by_NID(subject, NID_commonName, -1) : -1;
    if (i < 0)
        return LC_OK;
    ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    return add_name(c, s, err);
}

int csr_parse(struct csr *out, const uint8_t *data, size_t len, struct lc_err *err)
{
    struct csr c;
    int rc;
    memset(&c, 0, sizeof(c));
    if (len > CSR_MAX_LEN)
        return lc_fail(err, LC_E_TOO_BIG, "the CSR is %zu bytes; at most %d are accepted", len,
                       CSR_MAX_LEN);
    if (len == 0)
        return lc_fail(err, LC_E_MALFORMED, "the CSR is empty");
    if (len >= 10 && memcmp(data, "-----BEGIN", 10) == 0) {
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        c.req = bio ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
    } else {
        const unsigned char *p = data;
        c.req = d2i_X509_REQ(NULL, &p, (long)len);
        if (c.req && p != data + len) {
            X509_REQ_free(c.req);
            c.req = NULL;
        }
    }
    ERR_clear_error();
    if (!c.req)
        return lc_fail(err, LC_E_MALFORMED, "the input is not a PEM or DER certificate request");
    if (!(c.pubkey = X509_REQ_get0_pubkey(c.req))) {
        rc = lc_fail(err, LC_E_KEY, "the CSR's public key does not parse");
        goto fail;
    }
    if ((rc = check_key(c.pubkey, err)) != LC_OK)
        goto fail;
    if (X509_REQ_verify(c.req, c.pubkey) != 1) {
        ERR_clear_error();
        rc = lc_fail(err, LC_E_SIGNATURE, "the CSR's signature does not verify with its own key");
        goto fail;
    }
    if ((rc = read_sans(&c, err)) != LC_OK)
        goto fail;
    if (c.n_names == 0 && c.n_ips == 0 && (rc = read_cn(&c, err)) != LC_OK)
        goto fail;
    if ((rc = spki_id(c.key_id, X509_REQ_get_X509_PUBKEY(c.req), err)) != LC_OK)
        goto fail;
    *out = c;
    return LC_OK;
fail:
    csr_cleanup(&c);
    return rc;
}

void csr_cleanup(struct csr *csr)
{
    X509_REQ_free(csr->req);
    csr->req = NULL;
    csr->pubkey = NULL;
}
