/* test_jws.c — ca/jws.c: a device's flattened JWS, good ones of every
 * algorithm and the hostile and broken ones (wrong key, alg none, alg not the
 * key's, bad base64, missing x5c, stale iat, tampered payload, oversized). */
#include "ca/jws.h"

#include <time.h>

#include <jose/jose.h>

#include "helpers.h"

static EVP_PKEY *p256, *p256_other, *p384, *rsa, *ed;
static X509 *p256_cert, *p384_cert, *rsa_cert, *ed_cert;

/* self_signed makes a one-day certificate for |key|. */
static X509 *self_signed(EVP_PKEY *key)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(X509_set_version(x, 2), 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"dev", -1, -1, 0);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, name);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    ck_assert_int_gt(X509_sign(x, key, th_md(key)), 0);
    X509_NAME_free(name);
    return x;
}

static void setup(void)
{
    p256 = th_key_ec("P-256");
    p256_other = th_key_ec("P-256");
    p384 = th_key_ec("P-384");
    rsa = th_key_rsa(2048);
    ed = th_key_ed25519();
    p256_cert = self_signed(p256);
    p384_cert = self_signed(p384);
    rsa_cert = self_signed(rsa);
    ed_cert = self_signed(ed);
}

static void teardown(void)
{
    X509_free(p256_cert);
    X509_free(p384_cert);
    X509_free(rsa_cert);
    X509_free(ed_cert);
    EVP_PKEY_free(p256);
    EVP_PKEY_free(p256_other);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ed);
}

/* sign signs {"csr": "x"} with |key|, |cert| in x5c, iat now + |offset|. */
static char *sign(EVP_PKEY *key, X509 *cert, int64_t offset)
{
    struct lc_err err;
    char *out = NULL;
    json_t *payload = json_pack("{s:s}", "csr", "x");
    TH_OK(jws_sign(&out, key, cert, payload, (int64_t)time(NULL) + offset, &err), err);
    json_decref(payload);
    return out;
}

static int verify(const char *jws, struct jws_verified *out, struct lc_err *err)
{
    memset(out, 0, sizeof(*out));
    return jws_verify(out, (const uint8_t *)jws, strlen(jws), (int64_t)time(NULL), err);
}

/* with_member returns |jws| (a JSON object text) with member |key| set to
 * the string |value| (or removed when NULL). */
static char *with_member(const char *jws, const char *key, const char *value)
{
    json_t *j = json_loads(jws, 0, NULL);
    char *out;
    ck_assert_ptr_nonnull(j);
    if (value)
        json_object_set_new(j, key, json_string(value));
    else
        json_object_del(j, key);
    out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return out;
}

/* b64url encodes the JSON |text|. */
static char *b64url(const char *text)
{
    json_t *s = jose_b64_enc(text, strlen(text));
    char *out = strdup(json_string_value(s));
    json_decref(s);
    return out;
}

/* x5c_of is |cert| as standard base64 DER. */
static char *x5c_of(X509 *cert)
{
    unsigned char *der = NULL;
    int n = i2d_X509(cert, &der);
    char *out = malloc((size_t)(n + 2) / 3 * 4 + 1);
    EVP_EncodeBlock((unsigned char *)out, der, n);
    OPENSSL_free(der);
    return out;
}

/* forged builds a JWS with the protected header |hdr| (JSON text) over a
 * fixed payload and a signature that is well-formed base64url but not a
 * signature: for refusals that must come before any signature check. */
static char *forged(const char *hdr)
{
    char *prot = b64url(hdr), *pay = b64url("{\"csr\":\"x\"}");
    char *out = malloc(strlen(prot) + strlen(pay) + 128);
    sprintf(out, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"AAAA\"}", prot, pay);
    free(prot);
    free(pay);
    return out;
}

START_TEST(test_good_every_alg)
{
    EVP_PKEY *keys[] = {p256, p384, rsa, ed};
    X509 *certs[] = {p256_cert, p384_cert, rsa_cert, ed_cert};
    const char *algs[] = {"ES256", "ES384", "RS256", "EdDSA"};
    for (size_t i = 0; i < 4; i++) {
        struct jws_verified v;
        struct lc_err err;
        char *jws = sign(keys[i], certs[i], 0);
        TH_OK(verify(jws, &v, &err), err);
        ck_assert_str_eq(v.alg, algs[i]);
        ck_assert_int_eq(X509_cmp(v.cert, certs[i]), 0);
        ck_assert_str_eq(json_string_value(json_object_get(v.payload, "csr")), "x");
        ck_assert_int_le(v.iat, (int64_t)time(NULL));
        jws_verified_cleanup(&v);
        jws_verified_cleanup(&v); /* twice is harmless */
        free(jws);
    }
}
END_TEST

START_TEST(test_replay_id)
{
    struct jws_verified a, b, c;
    struct lc_err err;
    char *one = sign(p256, p256_cert, 0), *two = sign(p256, p256_cert, 0);
    TH_OK(verify(one, &a, &err), err);
    TH_OK(verify(one, &b, &err), err);
    TH_OK(verify(two, &c, &err), err);
    ck_assert_mem_eq(a.replay_id, b.replay_id, 32);
    /* A fresh nonce makes another request of the same second another id. */
    ck_assert(memcmp(a.replay_id, c.replay_id, 32) != 0);
    jws_verified_cleanup(&a);
    jws_verified_cleanup(&b);
    jws_verified_cleanup(&c);
    free(one);
    free(two);
}
END_TEST

START_TEST(test_wrong_key)
{
    struct jws_verified v;
    struct lc_err err;
    /* Signed with another P-256 key, the first one's certificate in x5c. */
    char *jws = sign(p256_other, p256_cert, 0);
    TH_FAILS(verify(jws, &v, &err), LC_E_SIGNATURE, err);
    ck_assert_ptr_null(v.cert);
    free(jws);
    jws = sign(ed, rsa_cert, 0); /* EdDSA claimed for an RSA key */
    TH_FAILS(verify(jws, &v, &err), LC_E_KEY, err);
    free(jws);
}
END_TEST

START_TEST(test_alg_none_and_mismatch)
{
    struct jws_verified v;
    struct lc_err err;
    char hdr[8192], *x5c = x5c_of(p256_cert), *jws;
    const char *bad[] = {"none", "HS256", "ES384", "RS256", "EdDSA", "PS256", "es256", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"x5c\":[\"%s\"],\"iat\":%lld,\"nonce\":\"n\"}",
                 bad[i], x5c, (long long)time(NULL));
        jws = forged(hdr);
        TH_FAILS(verify(jws, &v, &err), LC_E_KEY, err);
        free(jws);
    }
    snprintf(hdr, sizeof(hdr), "{\"alg\":7,\"x5c\":[\"%s\"],\"iat\":1,\"nonce\":\"n\"}", x5c);
    jws = forged(hdr);
    TH_FAILS(verify(jws, &v, &err), LC_E_MALFORMED, err);
    free(jws);
    free(x5c);
}
END_TEST

START_TEST(test_bad_base64)
{
    struct jws_verified v;
    struct lc_err err;
    char *good = sign(p256, p256_cert, 0), *jws, *bad;
    json_t *j = json_loads(good, 0, NULL);
    const char *prot = json_string_value(json_object_get(j, "protected"));
    const char *sig = json_string_value(json_object_get(j, "signature"));

    bad = malloc(strlen(prot) + 3);
    sprintf(bad, "%s==", prot); /* padding is not base64url here */
    jws = with_member(good, "protected", bad);
    TH_FAILS(verify(jws, &v, &err), LC_E_MALFORMED, err);
    free(jws);
    strcpy(bad, prot);
    bad[5] = '+'; /* the standard alphabet */
    jws = with_member(good, "protected", bad);
    TH_FAILS(verify(jws, &v, &err), LC_E_MALFORMED, err);
    free(jws);
    free(bad);
    bad = strdup(sig);
    bad[3] = '/';
    jws = with_member(good, "signature", bad);
    TH_FAILS(verify(jws, &v, &err), LC_E_MALFORMED, err);
    free(jws);
    jws = with_member(good, "signature", "A"); /* a length no encoding has */
    TH_FAILS(verify(jws, &v, &err), LC_E_MALFORMED, err);
    free(jws);
    jws = with_member(good, "payload", "e30?"); /* '?' outside any alphabet */
    TH_FAILS(verify(jws, &v, &err), LC_E_SIGNATURE, err); /* signed bytes changed first */
    free(jws);
    free(bad);
    json_decref(j);
    free(good);
}
END_TEST

START_TEST(test_missing_or_bad_x5c)
{
    struct jws_verified v;
    struct lc_err err;
    char hdr[8192], *x5c = x5c_of(p256_cert), *jws;
    long long now = (long long)time(NULL);
    const char *const x5cs[] = {"", ",\"x5c\":[]", ",\"x5c\":\"MIIB\"", ",\"x5c\":[\"MIIB\"]",
                                ",\"x5c\":[\"@@@@\"]", ",\"x5c\":[7]"};
    for (size_t i = 0; i < sizeof(x5cs) / sizeof(x5cs[0]); i++) {
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\"%s,\"iat\":%lld,\"nonce\":\"n\"}", x5cs[i],
                 now);
        jws = forged(hdr);
        TH_FAILS(verify(jws, &v, &err), LC_E_MALFORMED, err);
        free(jws);
    }
    /* The certificate with bytes after it. */
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"x5c\":[\"%sAAAA\"],\"iat\":%lld,\"nonce\":\"n\"}",
             x5c, now);
    if (strchr(x5c, '=') == NULL) { /* only a length without padding can take more */
        jws = forged(hdr);
        TH_FAILS(verify(jws, &v, &err), LC_E_MALFORMED, err);
        free(jws);
    }
    /* No nonce, a crit header, an iat that is not a number. */
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"x5c\":[\"%s\"],\"iat\":%lld}", x5c, now);
    jws = forged(hdr);
    TH_FAILS(verify(jws, &v, &err), LC_E_MALFORMED, err);
    free(jws);
    snprintf(hdr, sizeof(hdr),
             "{\"alg\":\"ES256\",\"x5c\":[\"%s\"],\"iat\":%lld,\"nonce\":\"n\",\"crit\":[\"b64\"]}",
             x5c, now);
    jws = forged(hdr);
    TH_FAILS(verify(jws, &v, &err), LC_E_MALFORMED, err);
    free(jws);
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"x5c\":[\"%s\"],\"iat\":\"%lld\",\"nonce\":\"n\"}",
             x5c, now);
    jws = forged(hdr);
    TH_FAILS(verify(jws, &v, &err), LC_E_MALFORMED, err);
    free(jws);
    free(x5c);
}
END_TEST

START_TEST(test_stale_iat)
{
    struct jws_verified v;
    struct lc_err err;
    char *old = sign(p256, p256_cert, -JWS_MAX_AGE - 5);
    char *future = sign(p256, p256_cert, JWS_MAX_AGE + 5);
    char *edge = sign(p256, p256_cert, -JWS_MAX_AGE + 30);
    TH_FAILS(verify(old, &v, &err), LC_E_PERM, err);
    ck_assert_ptr_nonnull(strstr(err.msg, "clock"));
    TH_FAILS(verify(future, &v, &err), LC_E_PERM, err);
    TH_OK(verify(edge, &v, &err), err);
    jws_verified_cleanup(&v);
    free(old);
    free(future);
    free(edge);
}
END_TEST

START_TEST(test_tampered_payload)
{
    struct jws_verified v;
    struct lc_err err;
    char *good = sign(p256, p256_cert, 0), *other = sign(rsa, rsa_cert, 0), *jws, *pay;
    json_t *o = json_loads(other, 0, NULL);
    pay = b64url("{\"csr\":\"y\"}");
    jws = with_member(good, "payload", pay);
    TH_FAILS(verify(jws, &v, &err), LC_E_SIGNATURE, err);
    free(jws);
    /* Another request's signature over this one's header and payload. */
    jws = with_member(good, "signature", json_string_value(json_object_get(o, "signature")));
    TH_FAILS(verify(jws, &v, &err), LC_E_SIGNATURE, err);
    free(jws);
    free(pay);
    json_decref(o);
    free(other);
    free(good);
}
END_TEST

START_TEST(test_shape)
{
    struct jws_verified v;
    struct lc_err err;
    char *good = sign(p256, p256_cert, 0), *jws;
    const char *bad[] = {"", "[]", "null", "{", "\"jws\"", "{\"protected\":1}",
                         "{\"protected\":\"e30\",\"payload\":\"e30\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        TH_FAILS(verify(bad[i], &v, &err), LC_E_MALFORMED, err);
    jws = with_member(good, "header", "x"); /* an unprotected header */
    TH_FAILS(verify(jws, &v, &err), LC_E_MALFORMED, err);
    free(jws);
    /* A duplicate member: which one would a verifier read? */
    jws = malloc(strlen(good) + 64);
    sprintf(jws, "{\"payload\":\"e30\",%s", good + 1);
    TH_FAILS(verify(jws, &v, &err), LC_E_MALFORMED, err);
    free(jws);
    /* A payload that verifies but is not an object. */
    free(good);
}
END_TEST

START_TEST(test_oversized)
{
    struct jws_verified v;
    struct lc_err err;
    size_t len = JWS_MAX_LEN + 1;
    char *big = malloc(len);
    memset(big, ' ', len);
    big[0] = '{';
    big[len - 1] = '}';
    memset(&v, 0, sizeof(v));
    TH_FAILS(jws_verify(&v, (const uint8_t *)big, len, (int64_t)time(NULL), &err), LC_E_TOO_BIG,
             err);
    free(big);
}
END_TEST

START_TEST(test_payload_not_object)
{
    struct jws_verified v;
    struct lc_err err;
    json_t *arr = json_pack("[s]", "x");
    char *out = NULL;
    /* jws_sign signs any JSON value; the verifier wants an object. */
    TH_OK(jws_sign(&out, p256, p256_cert, arr, (int64_t)time(NULL), &err), err);
    TH_FAILS(verify(out, &v, &err), LC_E_MALFORMED, err);
    free(out);
    json_decref(arr);
}
END_TEST

static Suite *jws_suite(void)
{
    Suite *s = suite_create("jws");
    TCase *tc = tcase_create("jws");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_good_every_alg);
    tcase_add_test(tc, test_replay_id);
    tcase_add_test(tc, test_wrong_key);
    tcase_add_test(tc, test_alg_none_and_mismatch);
    tcase_add_test(tc, test_bad_base64);
    tcase_add_test(tc, test_missing_or_bad_x5c);
    tcase_add_test(tc, test_stale_iat);
    tcase_add_test(tc, test_tampered_payload);
    tcase_add_test(tc, test_shape);
    tcase_add_test(tc, test_oversized);
    tcase_add_test(tc, test_payload_not_object);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(jws_suite());
}
