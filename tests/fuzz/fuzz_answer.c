/* fuzz_answer.c — what a device reads from the gateway (src/cli/device.c):
 * the enroll/renew answer (device_result_parse), the pending answer and
 * GET ca's. The key is fixed (a test key, below) so that the seed answers,
 * made for it by make-answer-corpus.sh, reach the certificate and update-key
 * checks. Invariants: an accepted answer has a certificate for the key, a
 * chain, 1 to 16 normalized names, and an update key whose update.key text
 * cannot break out of its quotes; whatever is refused says why. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "cli/device.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A P-256 test key: it guards nothing. */
static const char test_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZINeAWAR0vypA66K\n"
    "dMOguXEBh7WsOqJewM+X/RZUTKGhRANCAAR2twsi9J/zTO7M2jptGGbdv+6vC5Du\n"
    "HbeNeXTPUfZUEgRUrcfOlFO0rQoHV+eXIhGb6u6kwnzv7EIpSUHPLrCh\n"
    "-----END PRIVATE KEY-----\n";

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_answer: invariant broken: %s\n", what);
        abort();
    }
}

static EVP_PKEY *test_key(void)
{
    static EVP_PKEY *key;
    if (!key) {
        BIO *bio = BIO_new_mem_buf(test_key_pem, -1);
        key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        require(key != NULL, "the test key loads");
    }
    return key;
}

static int only(const char *s, const char *allowed)
{
    for (; *s; s++)
        if (!strchr(allowed, *s))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
    static const char ldh[] = "abcdefghijklmnopqrstuvwxyz0123456789-._";
    const char *body = (const char *)data;
    struct device_result r;
    struct lc_err err;
    char zone[LC_NAME_MAX + 1], text[1024];
    int64_t id;
    bool pending;

    lc_err_clear(&err);
    if (device_result_parse(&r, body, size, test_key(), &err) == LC_OK) {
        require(r.id > 0, "a positive id");
        require(r.cert && r.cert_pem && r.chain_pem, "certificate and chain");
        require(EVP_PKEY_eq(X509_get0_pubkey(r.cert), test_key()) == 1, "the certificate is ours");
        require(r.n_names >= 1 && r.n_names <= DEVICE_MAX_NAMES, "1 to 16 names");
        for (size_t i = 0; i < r.n_names; i++)
            require(only(r.names[i], ldh), "names are lowercase LDH");
        if (r.has_update_key) {
            require(only(r.update_key.secret, b64), "the secret is base64");
            require(only(r.update_key.name, ldh), "the key name is a name");
            require(device_update_key_format(text, sizeof(text), &r.update_key, &err) == LC_OK,
                    "update.key fits");
            require(strchr(r.update_key.algorithm, '"') == NULL &&
                        strchr(r.update_key.algorithm, ';') == NULL,
                    "the algorithm cannot end its statement");
        }
    } else {
        require(err.msg[0] != '\0', "a refusal says why");
    }
    device_result_cleanup(&r);

    lc_err_clear(&err);
    if (device_pending_parse(&id, &pending, body, size, &err) == LC_OK)
        require(id > 0, "a pending answer has a positive id");
    else
        require(err.msg[0] != '\0', "a refusal says why");

    lc_err_clear(&err);
    if (device_ca_parse(zone, body, size, &err) == LC_OK)
        require(zone[0] != '\0' && only(zone, ldh), "the zone is a name");
    else
        require(err.msg[0] != '\0', "a refusal says why");
    return 0;
}
