/* jws.c — flattened JWS in and out: the shape and encodings checked here,
 * the ES256/ES384/RS256 signatures by libjose, EdDSA by OpenSSL. */
#include "ca/jws.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jose/jose.h>
#include <jose/openssl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "core/cur.h"

#define X5C_MAX_CHARS (16 * 1024) /* one base64 certificate */
#define HEADER_MAX (20 * 1024)    /* the decoded protected header */
#define ED25519_SIG_LEN 64

static const char *const allowed_algs[] = {"ES256", "ES384", "RS256", "EdDSA"};

const char *jws_alg_for_key(EVP_PKEY *key)
{
    char group[32];
    size_t group_len = 0;
    if (!key)
        return NULL;
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        return "RS256";
    case EVP_PKEY_ED25519:
        return "EdDSA";
    case EVP_PKEY_EC:
        if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &group_len) != 1)
            return NULL;
        if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
            return "ES256";
        if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
            return "ES384";
        return NULL;
    default:
        return NULL;
    }
}

/* is_b64url is true for unpadded base64url text of a possible length: the
 * alphabet checked here, since a decoder that skips what it does not know
 * would let two different strings mean the same bytes. */
static bool is_alnum(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_b64url(const char *s, size_t len)
{
    struct cur c = cur_init(s, s ? len : 0);
    uint8_t b;
    while (cur_u8(&c, &b))
        if (!is_alnum(b) && b != '-' && b != '_')
            return false;
    return len % 4 != 1;
}

/* b64url_decode decodes the JSON string |j| into a new buffer (NUL-ended for
 * convenience) the caller frees. */
static int b64url_decode(uint8_t **out, size_t *out_len, const json_t *j, const char *what,
                         struct lc_err *err)
{
    const char *s = json_string_value(j);
    size_t len = json_string_length(j), n;
    uint8_t *buf;
    if (!s || !is_b64url(s, len))
        return lc_fail(err, LC_E_MALFORMED, "%s is not unpadded base64url", what);
    n = jose_b64_dec_buf(s, len, NULL, 0);
    if (n == SIZE_MAX)
        return lc_fail(err, LC_E_MALFORMED, "%s is not unpadded base64url", what);
    if (!(buf = malloc(n + 1)))
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    if (jose_b64_dec_buf(s, len, buf, n) != n) {
        free(buf);
        return lc_fail(err, LC_E_MALFORMED, "%s is not unpadded base64url", what);
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return LC_OK;
}

/* b64url_json decodes |j| and parses it as a JSON object. */
static int b64url_json(json_t **out, const json_t *j, size_t max, const char *what,
                       struct lc_err *err)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    json_t *v;
    int rc = b64url_decode(&buf, &n, j, what, err);
    if (rc != LC_OK)
        return rc;
    if (n > max) {
        free(buf);
        return lc_fail(err, LC_E_TOO_BIG, "%s is over %zu bytes", what, max);
    }
    v = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
    free(buf);
    if (!json_is_object(v)) {
        json_decref(v);
        return lc_fail(err, LC_E_MALFORMED, "%s is not a JSON object", what);
    }
    *out = v;
    return LC_OK;
}

/* x5c_cert decodes the first x5c entry: standard base64 (RFC 7515 4.1.6)
 * of one DER certificate with nothing after it. */
static int x5c_cert(X509 **out, const json_t *x5c, struct lc_err *err)
{
    const char *s;
    size_t len, pad = 0;
    uint8_t *der = NULL;
    const uint8_t *p;
    int n, rc;
    X509 *cert = NULL;

    if (!json_is_array(x5c) || json_array_size(x5c) < 1 || json_array_size(x5c) > JWS_MAX_X5C)
        return lc_fail(err, LC_E_MALFORMED,
                       "the protected header needs x5c: [the current certificate, base64 DER]");
    s = json_string_value(json_array_get(x5c, 0));
    len = json_string_length(json_array_get(x5c, 0));
    if (!s || len == 0 || len > X5C_MAX_CHARS || len % 4 != 0)
        return lc_fail(err, LC_E_MALFORMED, "x5c[0] is not base64 of a certificate");
    struct cur c = cur_init(s, len);
    uint8_t b;
    while (cur_u8(&c, &b)) { /* the alphabet, with padding only at the end */
        if (b == '=' && cur_left(&c) < 2)
            pad++;
        else if ((!is_alnum(b) && b != '+' && b != '/') || pad)
            return lc_fail(err, LC_E_MALFORMED, "x5c[0] is not base64 of a certificate");
    }
    if (!(der = malloc(len / 4 * 3)))
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    n = EVP_DecodeBlock(der, (const unsigned char *)s, (int)len);
    if (n < 0 || (size_t)n < pad) {
        rc = lc_fail(err, LC_E_MALFORMED, "x5c[0] is not base64 of a certificate");
        goto out;
    }
    n -= (int)pad; /* EVP_DecodeBlock counts the padding as zero bytes */
    p = der;
    cert = d2i_X509(NULL, &p, n);
    if (!cert || p != der + n) {
        ERR_clear_error();
        rc = lc_fail(err, LC_E_MALFORMED, "x5c[0] is not one DER certificate");
        goto out;
    }
    *out = cert;
    cert = NULL;
    rc = LC_OK;
out:
    X509_free(cert);
    free(der);
    return rc;
}

static bool alg_allowed(const char *alg)
{
    for (size_t i = 0; i < sizeof(allowed_algs) / sizeof(allowed_algs[0]); i++)
        if (strcmp(alg, allowed_algs[i]) == 0)
            return true;
    return false;
}

/* check_header reads alg, iat, nonce and x5c from |hdr| into |out|. */
static int check_header(struct jws_verified *out, const json_t *hdr, int64_t now,
                        struct lc_err *err)
{
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    const json_t *iat = json_object_get(hdr, "iat");
    const json_t *nonce = json_object_get(hdr, "nonce");
    const char *want;
    int rc;

    if (json_object_get(hdr, "crit"))
        return lc_fail(err, LC_E_MALFORMED, "the protected header has crit; no extension is known");
    if (!alg)
        return lc_fail(err, LC_E_MALFORMED, "the protected header has no alg");
    if (!alg_allowed(alg))
        return lc_fail(err, LC_E_KEY, "alg '%.16s' is not allowed (ES256, ES384, RS256, EdDSA)",
                       alg);
    snprintf(out->alg, sizeof(out->alg), "%s", alg);
    if (!json_is_integer(iat))
        return lc_fail(err, LC_E_MALFORMED, "the protected header needs iat (unix seconds)");
    if (!json_is_string(nonce) || json_string_length(nonce) == 0 ||
        json_string_length(nonce) > JWS_NONCE_MAX)
        return lc_fail(err, LC_E_MALFORMED, "the protected header needs a nonce of 1 to %d characters",
                       JWS_NONCE_MAX);
    if ((rc = x5c_cert(&out->cert, json_object_get(hdr, "x5c"), err)) != LC_OK)
        return rc;
    want = jws_alg_for_key(X509_get0_pubkey(out->cert));
    if (!want || strcmp(want, alg) != 0)
        return lc_fail(err, LC_E_KEY, "alg %s does not fit the certificate's key (%s)", alg,
                       want ? want : "unsupported type");
    /* Checked last: a stale request is refused only once it is known to be
     * well formed, so the answer says what is really wrong. */
    out->iat = json_integer_value(iat);
    if (out->iat < now - JWS_MAX_AGE || out->iat > now + JWS_MAX_AGE)
        return lc_fail(err, LC_E_PERM,
                       "iat %lld is more than %d s from the gateway's clock (%lld); check the "
                       "device's time",
                       (long long)out->iat, JWS_MAX_AGE, (long long)now);
    return LC_OK;
}

static int verify_eddsa(EVP_PKEY *key, const json_t *sig, const char *input, size_t input_len,
                        struct lc_err *err)
{
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    EVP_MD_CTX *ctx = NULL;
    int rc = b64url_decode(&raw, &raw_len, sig, "signature", err);
    if (rc != LC_OK)
        return rc;
    if (raw_len != ED25519_SIG_LEN) {
        rc = lc_fail(err, LC_E_SIGNATURE, "an Ed25519 signature is %d bytes, not %zu",
                     ED25519_SIG_LEN, raw_len);
    } else if (!(ctx = EVP_MD_CTX_new()) || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1) {
        rc = lc_fail_openssl(err, LC_E_CRYPTO, "setting up Ed25519 verification");
    } else if (EVP_DigestVerify(ctx, raw, raw_len, (const uint8_t *)input, input_len) != 1) {
        ERR_clear_error();
        rc = lc_fail(err, LC_E_SIGNATURE, "the signature does not verify with the certificate's key");
    }
    EVP_MD_CTX_free(ctx);
    free(raw);
    return rc;
}

static int verify_jose(const json_t *jws, EVP_PKEY *key, const char *alg, struct lc_err *err)
{
    json_t *jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, key);
    int rc = LC_OK;
    /* Pinning alg in the key: libjose then refuses any other algorithm. */
    if (!jwk || json_object_set_new(jwk, "alg", json_string(alg)) != 0)
        rc = lc_fail(err, LC_E_CRYPTO, "libjose could not read the certificate's key");
    else if (!jose_jws_ver(NULL, jws, NULL, jwk, false))
        rc = lc_fail(err, LC_E_SIGNATURE, "the signature does not verify with the certificate's key");
    ERR_clear_error();
    json_decref(jwk);
    return rc;
}

int jws_verify(struct jws_verified *out, const uint8_t *data, size_t len, int64_t now,
               struct lc_err *err)
{
    struct jws_verified v;
    json_t *jws = NULL, *hdr = NULL, *prot, *payload, *sig;
    const char *key;
    json_t *value;
    char *input = NULL;
    size_t input_len;
    int rc;

    memset(&v, 0, sizeof(v));
    if (len > JWS_MAX_LEN) {
        rc = lc_fail(err, LC_E_TOO_BIG, "the request is %zu bytes; at most %d are read", len,
                     JWS_MAX_LEN);
        goto out;
    }
    jws = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(jws)) {
        rc = lc_fail(err, LC_E_MALFORMED,
                     "the body is not a flattened JWS: {protected, payload, signature}");
        goto out;
    }
    json_object_foreach(jws, key, value) {
        /* No unprotected header: everything that matters must be signed. */
        if ((strcmp(key, "protected") != 0 && strcmp(key, "payload") != 0 &&
             strcmp(key, "signature") != 0) ||
            !json_is_string(value)) {
            rc = lc_fail(err, LC_E_MALFORMED,
                         "a flattened JWS here has only the strings protected, payload and signature");
            goto out;
        }
    }
    prot = json_object_get(jws, "protected");
    payload = json_object_get(jws, "payload");
    sig = json_object_get(jws, "signature");
    if (!prot || !payload || !sig) {
        rc = lc_fail(err, LC_E_MALFORMED, "the JWS needs protected, payload and signature");
        goto out;
    }
    if (!is_b64url(json_string_value(sig), json_string_length(sig)) ||
        json_string_length(sig) == 0) {
        rc = lc_fail(err, LC_E_MALFORMED, "signature is not unpadded base64url");
        goto out;
    }
    if ((rc = b64url_json(&hdr, prot, HEADER_MAX, "the protected header", err)) != LC_OK ||
        (rc = check_header(&v, hdr, now, err)) != LC_OK)
        goto out;
    input_len = json_string_length(prot) + 1 + json_string_length(payload);
    if (!(input = malloc(input_len + 1))) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    snprintf(input, input_len + 1, "%s.%s", json_string_value(prot), json_string_value(payload));
    if (strcmp(v.alg, "EdDSA") == 0)
        rc = verify_eddsa(X509_get0_pubkey(v.cert), sig, input, input_len, err);
    else
        rc = verify_jose(jws, X509_get0_pubkey(v.cert), v.alg, err);
    if (rc != LC_OK)
        goto out;
    if ((rc = b64url_json(&v.payload, payload, JWS_MAX_LEN, "the payload", err)) != LC_OK)
        goto out;
    SHA256((const uint8_t *)input, input_len, v.replay_id);
    *out = v;
    memset(&v, 0, sizeof(v));
out:
    jws_verified_cleanup(&v);
    free(input);
    json_decref(hdr);
    json_decref(jws);
    return rc;
}

void jws_verified_cleanup(struct jws_verified *v)
{
    X509_free(v->cert);
    json_decref(v->payload);
    v->cert = NULL;
    v->payload = NULL;
}

/* b64_std encodes |der| as standard base64 into a new string. */
static char *b64_std(const uint8_t *der, size_t len)
{
    char *s = malloc((len + 2) / 3 * 4 + 1);
    if (s)
        EVP_EncodeBlock((unsigned char *)s, der, (int)len);
    return s;
}

static int sign_eddsa(json_t **out_sig, EVP_PKEY *key, const char *input, struct lc_err *err)
{
    uint8_t raw[ED25519_SIG_LEN];
    size_t raw_len = sizeof(raw);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = LC_OK;
    if (!ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
        EVP_DigestSign(ctx, raw, &raw_len, (const uint8_t *)input, strlen(input)) != 1)
        rc = lc_fail_openssl(err, LC_E_CRYPTO, "signing with Ed25519");
    else if (!(*out_sig = jose_b64_enc(raw, raw_len)))
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
    EVP_MD_CTX_free(ctx);
    return rc;
}

static int sign_jose(json_t **out_sig, EVP_PKEY *key, const char *alg, json_t *prot,
                     json_t *payload, struct lc_err *err)
{
    json_t *jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, key);
    json_t *jws = json_pack("{s:O}", "payload", payload);
    json_t *tmpl = json_pack("{s:O}", "protected", prot);
    int rc = LC_OK;
    if (!jwk || !jws || !tmpl || json_object_set_new(jwk, "alg", json_string(alg)) != 0) {
        rc = lc_fail(err, LC_E_CRYPTO, "libjose could not read the key");
    } else if (!jose_jws_sig(NULL, jws, tmpl, jwk) ||
               !json_is_string(json_object_get(jws, "signature")) ||
               !json_equal(json_object_get(jws, "protected"), prot)) {
        rc = lc_fail(err, LC_E_CRYPTO, "libjose could not sign");
    } else {
        *out_sig = json_incref(json_object_get(jws, "signature"));
    }
    ERR_clear_error();
    json_decref(tmpl);
    json_decref(jws);
    json_decref(jwk);
    return rc;
}

int jws_sign(char **out_json, EVP_PKEY *key, X509 *cert, const json_t *payload, int64_t iat,
             struct lc_err *err)
{
    const char *alg = jws_alg_for_key(key);
    uint8_t *der = NULL, nonce_raw[16];
    int der_len;
    char *x5c = NULL, *input = NULL;
    json_t *hdr = NULL, *prot = NULL, *pay = NULL, *sig = NULL, *jws = NULL;
    int rc;

    if (!alg)
        return lc_fail(err, LC_E_KEY, "the key is not P-256, P-384, RSA or Ed25519");
    if ((der_len = i2d_X509(cert, &der)) <= 0)
        return lc_fail_openssl(err, LC_E_CRYPTO, "encoding the certificate");
    if (RAND_bytes(nonce_raw, sizeof(nonce_raw)) != 1) {
        rc = lc_fail_openssl(err, LC_E_CRYPTO, "drawing a nonce");
        goto out;
    }
    if (!(x5c = b64_std(der, (size_t)der_len)) ||
        !(hdr = json_pack("{s:s, s:[s], s:I, s:o}", "alg", alg, "x5c", x5c, "iat", (json_int_t)iat,
                          "nonce", jose_b64_enc(nonce_raw, sizeof(nonce_raw)))) ||
        !(prot = jose_b64_enc_dump(hdr)) || !(pay = jose_b64_enc_dump(payload))) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    if (strcmp(alg, "EdDSA") == 0) {
        size_t n = json_string_length(prot) + 1 + json_string_length(pay) + 1;
        if (!(input = malloc(n))) {
            rc = lc_fail(err, LC_E_NOMEM, "out of memory");
            goto out;
        }
        snprintf(input, n, "%s.%s", json_string_value(prot), json_string_value(pay));
        rc = sign_eddsa(&sig, key, input, err);
    } else {
        rc = sign_jose(&sig, key, alg, prot, pay, err);
    }
    if (rc != LC_OK)
        goto out;
    if (!(jws = json_pack("{s:O, s:O, s:O}", "protected", prot, "payload", pay, "signature", sig)) ||
        !(*out_json = json_dumps(jws, JSON_COMPACT))) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    rc = LC_OK;
out:
    json_decref(jws);
    json_decref(sig);
    json_decref(pay);
    json_decref(prot);
    json_decref(hdr);
    free(input);
    free(x5c);
    OPENSSL_free(der);
    return rc;
}
