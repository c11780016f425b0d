/* jws.h — the signed requests a device sends with the key it holds a
 * certificate for: a flattened JWS (RFC 7515 section 7.2.2) whose protected
 * header carries alg, x5c (the certificate), iat and a nonce. This module
 * checks the JWS itself (size, shape, encoding, algorithm against the key,
 * signature, freshness); whether the certificate is ours, current and
 * unrevoked is the caller's question. Pure: no store, no HTTP.
 *
 * libjose verifies and signs ES256, ES384 and RS256. It has no EdDSA (no OKP
 * keys in version 11, the one Debian 12 and OpenWrt ship), so EdDSA is
 * checked here with OpenSSL's one-shot Ed25519. */
#ifndef LC_CA_JWS_H
#define LC_CA_JWS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/err.h"

#define JWS_MAX_LEN (64 * 1024) /* the whole request body */
#define JWS_MAX_AGE 300         /* seconds |iat| may be off from now, either way */
#define JWS_MAX_X5C 4           /* certificates in x5c; only the first is used */
#define JWS_NONCE_MAX 128

struct jws_verified {
    X509 *cert;               /* x5c[0], owned; its key made the signature */
    json_t *payload;          /* the payload, a JSON object, owned */
    char alg[8];              /* "ES256", "ES384", "RS256" or "EdDSA" */
    int64_t iat;
    uint8_t replay_id[32];    /* SHA-256 of the signing input (protected "." payload) */
};

/* jws_verify checks |len| untrusted bytes as a flattened JWS at time |now|.
 * Refusals: LC_E_TOO_BIG (over JWS_MAX_LEN), LC_E_MALFORMED (JSON, base64,
 * members, header fields, certificate encoding, payload not an object),
 * LC_E_KEY (alg not allowed or not the certificate key's), LC_E_SIGNATURE
 * (signature does not verify), LC_E_PERM (iat further than JWS_MAX_AGE from
 * |now|). On success the caller releases |out| with jws_verified_cleanup.
 *
 * The replay id hashes what was signed, not the signature: an ECDSA
 * signature can be re-encoded (s and n - s) into another valid one, while
 * the signed bytes (with their iat and nonce) cannot change. */
int jws_verify(struct jws_verified *out, const uint8_t *data, size_t len, int64_t now,
               struct lc_err *err);

/* jws_verified_cleanup frees what jws_verify made; safe on a zeroed struct. */
void jws_verified_cleanup(struct jws_verified *v);

/* jws_alg_for_key names the JWS algorithm for |key| (P-256: ES256, P-384:
 * ES384, RSA: RS256, Ed25519: EdDSA), or NULL for any other key. */
const char *jws_alg_for_key(EVP_PKEY *key);

/* jws_sign makes the flattened JWS a device sends: |payload| (a JSON object,
 * borrowed) signed with |key| (private, borrowed), |cert| (borrowed) in x5c,
 * |iat| and a fresh random nonce. *out_json is a new NUL-terminated string
 * the caller frees with free(). */
int jws_sign(char **out_json, EVP_PKEY *key, X509 *cert, const json_t *payload, int64_t iat,
             struct lc_err *err);

#endif
