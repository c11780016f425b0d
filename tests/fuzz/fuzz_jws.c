/* fuzz_jws.c — the device's signed request (ca/jws.c) on untrusted bytes:
 * the JSON, the strict base64url, the protected header, x5c's certificate,
 * the alg/key match, libjose's and OpenSSL's signature checks, the payload.
 * The clock is fixed (FUZZ_NOW) and the seeds are signed at that time, so a
 * seed verifies and mutations reach every check after the freshness one.
 *
 * Invariants: refusals use the documented codes and carry a message; an
 * accepted request has a certificate whose key fits its alg, an object
 * payload, an iat within JWS_MAX_AGE, and a replay id that is the SHA-256 of
 * "protected.payload" as sent; verifying again gives the same result. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/sha.h>

#include "ca/jws.h"

#define FUZZ_NOW 1800000000 /* 2027-01-15; tests/fuzz/make-jws-corpus.sh signs at it */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_jws: invariant broken: %s\n", what);
        abort();
    }
}

static void check_accepted(const struct jws_verified *v, const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    const char *prot = json_string_value(json_object_get(j, "protected"));
    const char *pay = json_string_value(json_object_get(j, "payload"));
    uint8_t id[32];
    char *input;
    size_t n;

    require(v->cert != NULL && json_is_object(v->payload), "accepted: a certificate and an object");
    require(strcmp(jws_alg_for_key(X509_get0_pubkey(v->cert)), v->alg) == 0,
            "accepted: alg fits the key");
    require(v->iat >= FUZZ_NOW - JWS_MAX_AGE && v->iat <= FUZZ_NOW + JWS_MAX_AGE,
            "accepted: iat is fresh");
    require(prot && pay, "accepted: protected and payload are strings");
    n = strlen(prot) + 1 + strlen(pay);
    input = malloc(n + 1);
    require(input != NULL, "memory");
    snprintf(input, n + 1, "%s.%s", prot, pay);
    SHA256((const uint8_t *)input, n, id);
    require(memcmp(id, v->replay_id, sizeof(id)) == 0, "accepted: the replay id hashes the input");
    free(input);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jws_verified v, again;
    struct lc_err err, err2;
    int rc, rc2;

    memset(&v, 0, sizeof(v));
    memset(&again, 0, sizeof(again));
    rc = jws_verify(&v, data, size, FUZZ_NOW, &err);
    if (rc == LC_OK) {
        check_accepted(&v, data, size);
    } else {
        require(rc == (int)err.code, "jws_verify returns its error code");
        require(rc == LC_E_TOO_BIG || rc == LC_E_MALFORMED || rc == LC_E_KEY ||
                    rc == LC_E_SIGNATURE || rc == LC_E_PERM,
                "jws_verify refuses with a documented code");
        require(memchr(err.msg, '\0', sizeof(err.msg)) != NULL && err.msg[0] != '\0',
                "a refusal has a message");
        require(v.cert == NULL && v.payload == NULL, "a refusal leaves nothing to free");
    }
    rc2 = jws_verify(&again, data, size, FUZZ_NOW, &err2);
    require(rc2 == rc, "jws_verify is deterministic");
    if (rc == LC_OK)
        require(memcmp(v.replay_id, again.replay_id, sizeof(v.replay_id)) == 0, "same replay id");
    jws_verified_cleanup(&v);
    jws_verified_cleanup(&again);
    ERR_clear_error();
    return 0;
}
