/* sign.c — what the CA signs for others: leaf certificates for
 * policy-checked requests, and CRLs. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca/internal.h"

/* Legacy EC keys holding only the domain parameters of P-256 and P-384, made
 * once and only read afterwards: copying one's group is cheaper than building
 * the curve from its name for every leaf (d2i_KeyParams). */
static const int leaf_curves[] = {NID_X9_62_prime256v1, NID_secp384r1};
static EVP_PKEY *leaf_params_keys[sizeof(leaf_curves) / sizeof(leaf_curves[0])];
static pthread_once_t leaf_params_once = PTHREAD_ONCE_INIT;

static void leaf_params_init(void)
{
    for (size_t i = 0; i < sizeof(leaf_curves) / sizeof(leaf_curves[0]); i++) {
        unsigned char der[16], *p = der;
        const unsigned char *in = der;
        ASN1_OBJECT *obj = OBJ_nid2obj(leaf_curves[i]);
        int len = i2d_ASN1_OBJECT(obj, NULL);
        if (len > 0 && len <= (int)sizeof(der) && i2d_ASN1_OBJECT(obj, &p) == len)
            leaf_params_keys[i] = d2i_KeyParams(EVP_PKEY_EC, NULL, &in, len);
    }
    ERR_clear_error();
}

static EVP_PKEY *leaf_params(int nid)
{
    pthread_once(&leaf_params_once, leaf_params_init);
    for (size_t i = 0; i < sizeof(leaf_curves) / sizeof(leaf_curves[0]); i++)
        if (leaf_curves[i] == nid)
            return leaf_params_keys[i];
    return NULL;
}

/* leaf_pubkey returns a new reference to the key a leaf carries. For an EC
 * key held by a provider it is a legacy copy made from the key's group and
 * point (in the point's own form, so the encoding is the one the CSR had):
 * X509_set_pubkey of a provider key builds an OSSL_ENCODER and an
 * OSSL_DECODER context on every call in OpenSSL 3.0, ~180 us, three times
 * the ECDSA signature, where a legacy EC key is encoded by its ASN.1 method
 * (~25 us with the copy). Other keys, or a copy that fails, stay as they are. */
static EVP_PKEY *leaf_pubkey(EVP_PKEY *key)
{
    char group[64];
    unsigned char point[160], params[32], *p = params;
    const unsigned char *in;
    size_t point_len = 0;
    int nid, params_len;
    EVP_PKEY *copy = NULL, *cached;

    if (EVP_PKEY_get0_provider(key) == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
        goto as_is;
    ERR_set_mark();
    if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) ||
        !EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point),
                                         &point_len) ||
        (nid = OBJ_txt2nid(group)) == NID_undef ||
        i2d_ASN1_OBJECT(OBJ_nid2obj(nid), NULL) > (int)sizeof(params) ||
        (params_len = i2d_ASN1_OBJECT(OBJ_nid2obj(nid), &p)) <= 0)
        goto fallback;
    if ((cached = leaf_params(nid))) {
        if (!(copy = EVP_PKEY_new()) || EVP_PKEY_copy_parameters(copy, cached) != 1)
            goto fallback;
    } else {
        in = params;
        if (!(copy = d2i_KeyParams(EVP_PKEY_EC, NULL, &in, params_len)))
            goto fallback;
    }
    in = point;
    if (!d2i_PublicKey(EVP_PKEY_EC, &copy, &in, (long)point_len))
        goto fallback;
    ERR_pop_to_mark();
    return copy;
fallback:
    EVP_PKEY_free(copy);
    ERR_pop_to_mark();
as_is:
    return EVP_PKEY_up_ref(key) ? key : NULL;
}

static int leaf_san(GENERAL_NAMES **out, const struct ca_leaf *req)
{
    GENERAL_NAMES *gens = GENERAL_NAMES_new();
    if (!gens)
        return 0;
    for (size_t i = 0; i < req->n_names; i++) {
        GENERAL_NAME *gn = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        if (!gn || !s || !ASN1_STRING_set(s, req->names[i], (int)strlen(req->names[i]))) {
            GENERAL_NAME_free(gn);
            ASN1_IA5STRING_free(s);
            goto fail;
        }
        GENERAL_NAME_set0_value(gn, GEN_DNS, s);
        if (!sk_GENERAL_NAME_push(gens, gn)) {
            GENERAL_NAME_free(gn);
            goto fail;
        }
    }
    for (size_t i = 0; i < req->n_ips; i++) {
        GENERAL_NAME *gn = GENERAL_NAME_new();
        ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
        if (!gn || !os || !ASN1_OCTET_STRING_set(os, req->ips[i].b, (int)addr_len(&req->ips[i]))) {
            GENERAL_NAME_free(gn);
            ASN1_OCTET_STRING_free(os);
            goto fail;
        }
        GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
        if (!sk_GENERAL_NAME_push(gens, gn)) {
            GENERAL_NAME_free(gn);
            goto fail;
        }
    }
    *out = gens;
    return 1;
fail:
    GENERAL_NAMES_free(gens);
    return 0;
}

static int leaf_crl_dp(CRL_DIST_POINTS **out, const char *url)
{
    CRL_DIST_POINTS *dps = CRL_DIST_POINTS_new();
    DIST_POINT *dp = DIST_POINT_new();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_IA5STRING *uri = ASN1_IA5STRING_new();
    if (!dps || !dp || !gn || !uri || !ASN1_STRING_set(uri, url, (int)strlen(url)) ||
        !(dp->distpoint = DIST_POINT_NAME_new()) || !(dp->distpoint->name.fullname = GENERAL_NAMES_new()))
        goto fail;
    dp->distpoint->type = 0;
    GENERAL_NAME_set0_value(gn, GEN_URI, uri);
    uri = NULL;
    if (!sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gn))
        goto fail;
    gn = NULL;
    if (!sk_DIST_POINT_push(dps, dp))
        goto fail;
    *out = dps;
    return 1;
fail:
    ASN1_IA5STRING_free(uri);
    GENERAL_NAME_free(gn);
    DIST_POINT_free(dp);
    CRL_DIST_POINTS_free(dps);
    return 0;
}

int ca_sign(struct ca *ca, X509 **out_cert, const struct ca_leaf *req, struct lc_err *err)
{
    X509 *x = X509_new();
    X509_NAME *subject = X509_NAME_new();
    EVP_PKEY *pubkey = leaf_pubkey(req->pubkey);
    BIGNUM *bn = BN_bin2bn(req->serial, 16, NULL);
    ASN1_INTEGER *serial = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
    EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
    GENERAL_NAMES *san = NULL;
    CRL_DIST_POINTS *dps = NULL;
    const char *cn = NULL;
    int rc = LC_E_CRYPTO;

    if (!x || !subject || !pubkey || !serial || !bc || !ku || !eku || req->n_names == 0)
        goto crypto_fail;
    /* X.509 caps a CN at 64 bytes (ub-common-name) but a name may have 253,
     * and clients match the SAN anyway: the CN is the first name that fits.
     * With none, the subject stays empty and the SAN is critical (RFC 5280,
     * 4.2.1.6). */
    for (size_t i = 0; i < req->n_names && !cn; i++)
        if (strlen(req->names[i]) <= ub_common_name)
            cn = req->names[i];
    if ((cn && !X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                           (const unsigned char *)cn, -1, -1, 0)) ||
        !X509_set_version(x, X509_VERSION_3) || !X509_set_serialNumber(x, serial) ||
        !X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) ||
        !X509_set_subject_name(x, subject) ||
        !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)req->not_before) ||
        !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)req->not_after) ||
        !X509_set_pubkey(x, pubkey))
        goto crypto_fail;
    /* digitalSignature always; keyEncipherment for RSA key transport. */
    if (!ASN1_BIT_STRING_set_bit(ku, 0, 1) ||
        (EVP_PKEY_get_base_id(req->pubkey) == EVP_PKEY_RSA && !ASN1_BIT_STRING_set_bit(ku, 2, 1)))
        goto crypto_fail;
    if (!sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth)) ||
        !sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth)) || !leaf_san(&san, req) ||
        (req->crl_url && !leaf_crl_dp(&dps, req->crl_url)))
        goto crypto_fail;
    if ((rc = ca_ext_add(x, NID_basic_constraints, bc, 1, err)) != LC_OK ||
        (rc = ca_ext_add(x, NID_key_usage, ku, 1, err)) != LC_OK ||
        (rc = ca_ext_add(x, NID_ext_key_usage, eku, 0, err)) != LC_OK ||
        (rc = ca_ext_add(x, NID_subject_alt_name, san, cn == NULL, err)) != LC_OK ||
        (rc = ca_ext_add_ski(x, err)) != LC_OK || (rc = ca_ext_add_aki(x, ca->cert, err)) != LC_OK ||
        (dps && (rc = ca_ext_add(x, NID_crl_distribution_points, dps, 0, err)) != LC_OK))
        goto out;
    if (!X509_sign(x, ca->key, ca->md))
        goto crypto_fail;
    *out_cert = x;
    x = NULL;
    rc = LC_OK;
    goto out;
crypto_fail:
    rc = lc_fail_openssl(err, LC_E_CRYPTO, "signing the certificate");
out:
    CRL_DIST_POINTS_free(dps);
    GENERAL_NAMES_free(san);
    sk_ASN1_OBJECT_free(eku); /* the objects are static */
    ASN1_BIT_STRING_free(ku);
    BASIC_CONSTRAINTS_free(bc);
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    X509_NAME_free(subject);
    EVP_PKEY_free(pubkey);
    X509_free(x);
    return rc;
}

int ca_crl(struct ca *ca, uint8_t **out_der, size_t *out_len, const struct ca_revoked *revoked,
           size_t n_revoked, int64_t crl_number, unsigned days, struct lc_err *err)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *now = ASN1_TIME_set(NULL, time(NULL));
    ASN1_TIME *next = ASN1_TIME_adj(NULL, time(NULL), (int)days, 0);
    ASN1_INTEGER *number = ASN1_INTEGER_new();
    AUTHORITY_KEYID *aki = NULL;
    unsigned char *der = NULL;
    int der_len, rc = LC_E_CRYPTO;

    if (!crl || !now || !next || !number || !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
        !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) ||
        !X509_CRL_set1_lastUpdate(crl, now) || !X509_CRL_set1_nextUpdate(crl, next) ||
        !ASN1_INTEGER_set_int64(number, crl_number) ||
        !X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0))
        goto crypto_fail;
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca->cert);
    if (ski) {
        if (!(aki = AUTHORITY_KEYID_new()) || !(aki->keyid = ASN1_OCTET_STRING_dup(ski)) ||
            !X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, aki, 0, 0))
            goto crypto_fail;
    }
    for (size_t i = 0; i < n_revoked; i++) {
        X509_REVOKED *r = X509_REVOKED_new();
        BIGNUM *bn = BN_bin2bn(revoked[i].serial, 16, NULL);
        ASN1_INTEGER *serial = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
        ASN1_TIME *when = ASN1_TIME_set(NULL, (time_t)revoked[i].revoked_at);
        ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
        int ok = r && serial && when && reason && X509_REVOKED_set_serialNumber(r, serial) &&
                 X509_REVOKED_set_revocationDate(r, when) &&
                 ASN1_ENUMERATED_set(reason, revoked[i].reason) &&
                 (revoked[i].reason == 0 || X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, reason, 0, 0)) &&
                 X509_CRL_add0_revoked(crl, r);
        ASN1_ENUMERATED_free(reason);
        ASN1_TIME_free(when);
        ASN1_INTEGER_free(serial);
        BN_free(bn);
        if (!ok) {
            X509_REVOKED_free(r);
            goto crypto_fail;
        }
    }
    if (!X509_CRL_sort(crl) || !X509_CRL_sign(crl, ca->key, ca->md) ||
        (der_len = i2d_X509_CRL(crl, &der)) <= 0)
        goto crypto_fail;
    *out_der = der;
    *out_len = (size_t)der_len;
    rc = LC_OK;
    goto out;
crypto_fail:
    rc = lc_fail_openssl(err, LC_E_CRYPTO, "signing the CRL");
out:
    AUTHORITY_KEYID_free(aki);
    ASN1_INTEGER_free(number);
    ASN1_TIME_free(next);
    ASN1_TIME_free(now);
    X509_CRL_free(crl);
    return rc;
}
