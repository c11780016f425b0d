/* csr.c — CSR intake. Everything about the request is checked here before
 * policy sees a single name. */
#include "ca/csr.h"

#include <pthread.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* A PKCS#10 request (RFC 2986, section 4) read with ASN.1 templates of our
 * own. They take what OpenSSL's X509_REQ takes but leave the public key
 * undecoded: d2i_X509_REQ decodes it through an OSSL_DECODER context that
 * OpenSSL 3.0 builds afresh for every request (~125 us, twice the signature
 * check), where spki_key makes a P-256 or P-384 key from its group and point
 * in ~17 us. */
struct csr_spki {
    X509_ALGOR *algor;
    ASN1_BIT_STRING *key;
};

struct csr_info {
    ASN1_ENCODING enc; /* the bytes as received, which the signature covers */
    ASN1_INTEGER *version;
    X509_NAME *subject;
    struct csr_spki *spki;
    STACK_OF(X509_ATTRIBUTE) *attributes;
};

struct csr_req {
    struct csr_info *info;
    X509_ALGOR *sig_alg;
    ASN1_BIT_STRING *signature;
};

ASN1_SEQUENCE(CSR_SPKI) = {
    ASN1_SIMPLE(struct csr_spki, algor, X509_ALGOR),
    ASN1_SIMPLE(struct csr_spki, key, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END_name(struct csr_spki, CSR_SPKI)

static const ASN1_AUX CSR_INFO_aux = {
    NULL, ASN1_AFLG_ENCODING, 0, 0, NULL, offsetof(struct csr_info, enc), NULL,
};
ASN1_SEQUENCE(CSR_INFO) = {
    ASN1_SIMPLE(struct csr_info, version, ASN1_INTEGER),
    ASN1_SIMPLE(struct csr_info, subject, X509_NAME),
    ASN1_SIMPLE(struct csr_info, spki, CSR_SPKI),
    /* [0] IMPLICIT, required by RFC 2986 but OPTIONAL here, as in OpenSSL,
     * for the clients that leave it out. */
    ASN1_IMP_SET_OF_OPT(struct csr_info, attributes, X509_ATTRIBUTE, 0),
} static_ASN1_SEQUENCE_END_ref(struct csr_info, CSR_INFO)

ASN1_SEQUENCE(CSR_REQ) = {
    ASN1_SIMPLE(struct csr_req, info, CSR_INFO),
    ASN1_SIMPLE(struct csr_req, sig_alg, X509_ALGOR),
    ASN1_SIMPLE(struct csr_req, signature, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END_name(struct csr_req, CSR_REQ)

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

/* spki_id hashes the request's SubjectPublicKeyInfo as it was parsed: the
 * same bytes csr_key_id hashes, without re-encoding the key (i2d_PUBKEY builds
 * an OSSL_ENCODER context per call in OpenSSL 3.0, ~58 us). */
static int spki_id(uint8_t out[32], const struct csr_spki *spki, struct lc_err *err)
{
    unsigned char *der = NULL;
    unsigned int md_len = 0;
    int der_len = ASN1_item_i2d((const ASN1_VALUE *)spki, &der, ASN1_ITEM_rptr(CSR_SPKI));
    if (der_len <= 0 || !EVP_Digest(der, (size_t)der_len, out, &md_len, EVP_sha256(), NULL)) {
        OPENSSL_free(der);
        return lc_fail_openssl(err, LC_E_CRYPTO, "hashing the public key");
    }
    OPENSSL_free(der);
    return LC_OK;
}

/* The curves whose keys are made without the decoder. Each has a key of
 * domain parameters only, made once and only read afterwards: a request's key
 * is a copy of it plus the point. Importing the group by name instead builds
 * the curve afresh (~7% of an enrolment's CPU in OpenSSL 3.0); the copy only
 * copies it. */
static const int ec_curves[] = {NID_X9_62_prime256v1, NID_secp384r1};
static EVP_PKEY *ec_params[sizeof(ec_curves) / sizeof(ec_curves[0])];
static pthread_once_t ec_params_once = PTHREAD_ONCE_INIT;

static void ec_params_init(void)
{
    for (size_t i = 0; i < sizeof(ec_curves) / sizeof(ec_curves[0]); i++) {
        char group[16];
        EVP_PKEY_CTX *ctx;
        snprintf(group, sizeof(group), "%s", OBJ_nid2sn(ec_curves[i]));
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
            OSSL_PARAM_construct_end(),
        };
        if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
            EVP_PKEY_fromdata_init(ctx) != 1 ||
            EVP_PKEY_fromdata(ctx, &ec_params[i], EVP_PKEY_KEY_PARAMETERS, params) != 1)
            ec_params[i] = NULL; /* ec_key then imports by name */
        EVP_PKEY_CTX_free(ctx);
    }
    ERR_clear_error();
}

/* ec_key_import makes the key by importing group and point, the way without
 * a cached group. */
static EVP_PKEY *ec_key_import(int curve_nid, unsigned char *buf, size_t len)
{
    char group[16], form[16];
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *key = NULL;

    snprintf(group, sizeof(group), "%s", OBJ_nid2sn(curve_nid));
    snprintf(form, sizeof(form), "%s",
             buf[0] == 2 || buf[0] == 3 ? "compressed" : buf[0] == 4 ? "uncompressed" : "hybrid");
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, form, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, buf, len),
        OSSL_PARAM_construct_end(),
    };
    if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        key = NULL;
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* ec_key makes a public key on curve |curve_nid| from an encoded |point|;
 * setting the point checks that it is on the curve. The key keeps the
 * point's form, so the certificate encodes the key as the CSR did. */
static EVP_PKEY *ec_key(int curve_nid, const ASN1_BIT_STRING *point)
{
    unsigned char buf[2 * 66 + 1]; /* an uncompressed point up to P-521 */
    int len = ASN1_STRING_length(point);
    EVP_PKEY *params = NULL, *key;

    if (len <= 0 || (size_t)len > sizeof(buf))
        return NULL;
    memcpy(buf, ASN1_STRING_get0_data(point), (size_t)len);
    pthread_once(&ec_params_once, ec_params_init);
    for (size_t i = 0; i < sizeof(ec_curves) / sizeof(ec_curves[0]); i++)
        if (ec_curves[i] == curve_nid)
            params = ec_params[i];
    if (!params)
        return ec_key_import(curve_nid, buf, (size_t)len);
    /* The encoded point sets the form too (EC_KEY_oct2key). */
    if (!(key = EVP_PKEY_dup(params)) ||
        EVP_PKEY_set_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf, (size_t)len) != 1) {
        EVP_PKEY_free(key);
        return NULL;
    }
    return key;
}

/* spki_key makes the request's public key: a P-256 or P-384 key named by its
 * curve directly, any other through OpenSSL's decoder, as d2i_X509_REQ would.
 * Like OpenSSL's EC decoder it takes the BIT STRING's bytes as the point. */
static EVP_PKEY *spki_key(const struct csr_spki *spki)
{
    const ASN1_OBJECT *alg;
    const void *param;
    int param_type;
    unsigned char *der = NULL;
    const unsigned char *p;
    EVP_PKEY *key;
    int der_len;

    X509_ALGOR_get0(&alg, &param_type, &param, spki->algor);
    if (OBJ_obj2nid(alg) == NID_X9_62_id_ecPublicKey && param_type == V_ASN1_OBJECT) {
        int curve = OBJ_obj2nid(param);
        if (curve == NID_X9_62_prime256v1 || curve == NID_secp384r1)
            return ec_key(curve, spki->key);
    }
    if ((der_len = ASN1_item_i2d((const ASN1_VALUE *)spki, &der, ASN1_ITEM_rptr(CSR_SPKI))) <= 0)
        return NULL;
    p = der;
    key = d2i_PUBKEY(NULL, &p, der_len);
    OPENSSL_free(der);
    return key;
}

static int check_key(EVP_PKEY *key, struct lc_err *err)
{
    int id = EVP_PKEY_get_base_id(key), bits = EVP_PKEY_get_bits(key);
    char group[32] = "", encoding[32] = "";
    switch (id) {
    case EVP_PKEY_EC:
        if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                            sizeof(group), NULL))
            return lc_fail(err, LC_E_KEY, "the CSR's EC key has no named curve");
        /* OpenSSL names the group even when the key spells out P-256's
         * parameters; RFC 5480 2.1.1 forbids those in certificates and most
         * clients refuse them, so the encoding must be the curve's name. */
        if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_EC_ENCODING, encoding,
                                            sizeof(encoding), NULL) ||
            strcmp(encoding, OSSL_PKEY_EC_ENCODING_GROUP) != 0)
            return lc_fail(err, LC_E_KEY,
                           "the CSR's EC key spells out its curve's parameters; use the named curve P-256 or P-384");
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

/* req_extensions returns the extensions the request asks for, as
 * X509_REQ_get_extensions does: the first extensionRequest attribute (or
 * Microsoft's), an empty list without one, NULL when it does not parse. */
static STACK_OF(X509_EXTENSION) *req_extensions(const struct csr_info *info)
{
    static const int attr_nids[] = {NID_ext_req, NID_ms_ext_req};
    const ASN1_TYPE *value = NULL;
    const unsigned char *p;

    for (size_t i = 0; i < sizeof(attr_nids) / sizeof(attr_nids[0]); i++) {
        int idx = X509at_get_attr_by_NID(info->attributes, attr_nids[i], -1);
        if (idx >= 0) {
            value = X509_ATTRIBUTE_get0_type(X509at_get_attr(info->attributes, idx), 0);
            break;
        }
    }
    if (!value)
        return sk_X509_EXTENSION_new_null();
    if (value->type != V_ASN1_SEQUENCE)
        return NULL;
    p = value->value.sequence->data;
    return (STACK_OF(X509_EXTENSION) *)ASN1_item_d2i(NULL, &p, value->value.sequence->length,
                                                     ASN1_ITEM_rptr(X509_EXTENSIONS));
}

static int read_sans(struct csr *c, const struct csr_info *info, struct lc_err *err)
{
    STACK_OF(X509_EXTENSION) *exts = req_extensions(info);
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
static int read_cn(struct csr *c, const struct csr_info *info, struct lc_err *err)
{
    X509_NAME *subject = info->subject;
    int i = subject ? X509_NAME_get_index_by_NID(subject, NID_commonName, -1) : -1;
    if (i < 0)
        return LC_OK;
    ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    return add_name(c, s, err);
}

/* read_req parses PEM ("CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST")
 * or DER, which must be exactly one request. NULL when it is neither. */
static struct csr_req *read_req(const uint8_t *data, size_t len)
{
    struct csr_req *r = NULL;
    if (len >= 10 && memcmp(data, "-----BEGIN", 10) == 0) {
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        unsigned char *der = NULL;
        long der_len = 0;
        if (bio && PEM_bytes_read_bio(&der, &der_len, NULL, PEM_STRING_X509_REQ, bio, NULL, NULL)) {
            const unsigned char *p = der;
            r = (struct csr_req *)ASN1_item_d2i(NULL, &p, der_len, ASN1_ITEM_rptr(CSR_REQ));
        }
        OPENSSL_free(der);
        BIO_free(bio);
    } else {
        const unsigned char *p = data;
        r = (struct csr_req *)ASN1_item_d2i(NULL, &p, (long)len, ASN1_ITEM_rptr(CSR_REQ));
        if (r && p != data + len) {
            ASN1_item_free((ASN1_VALUE *)r, ASN1_ITEM_rptr(CSR_REQ));
            r = NULL;
        }
    }
    ERR_clear_error();
    return r;
}

int csr_parse(struct csr *out, const uint8_t *data, size_t len, struct lc_err *err)
{
    struct csr c;
    struct csr_req *req;
    int rc;
    memset(&c, 0, sizeof(c));
    if (len > CSR_MAX_LEN)
        return lc_fail(err, LC_E_TOO_BIG, "the CSR is %zu bytes; at most %d are accepted", len,
                       CSR_MAX_LEN);
    if (len == 0)
        return lc_fail(err, LC_E_MALFORMED, "the CSR is empty");
    if (!(req = read_req(data, len)))
        return lc_fail(err, LC_E_MALFORMED, "the input is not a PEM or DER certificate request");
    if (!(c.pubkey = spki_key(req->info->spki))) {
        ERR_clear_error();
        rc = lc_fail(err, LC_E_KEY, "the CSR's public key does not parse");
        goto fail;
    }
    if ((rc = check_key(c.pubkey, err)) != LC_OK)
        goto fail;
    if (ASN1_item_verify_ex(ASN1_ITEM_rptr(CSR_INFO), req->sig_alg, req->signature, req->info,
                            NULL, c.pubkey, NULL, NULL) != 1) {
        ERR_clear_error();
        rc = lc_fail(err, LC_E_SIGNATURE, "the CSR's signature does not verify with its own key");
        goto fail;
    }
    if ((rc = read_sans(&c, req->info, err)) != LC_OK)
        goto fail;
    c.no_sans = c.n_names == 0 && c.n_ips == 0;
    if (c.no_sans && (rc = read_cn(&c, req->info, err)) != LC_OK)
        goto fail;
    if ((rc = spki_id(c.key_id, req->info->spki, err)) != LC_OK)
        goto fail;
    ASN1_item_free((ASN1_VALUE *)req, ASN1_ITEM_rptr(CSR_REQ));
    *out = c;
    return LC_OK;
fail:
    ASN1_item_free((ASN1_VALUE *)req, ASN1_ITEM_rptr(CSR_REQ));
    csr_cleanup(&c);
    return rc;
}

void csr_cleanup(struct csr *csr)
{
    EVP_PKEY_free(csr->pubkey);
    csr->pubkey = NULL;
}
