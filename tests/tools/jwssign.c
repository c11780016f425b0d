/* jwssign — signs a flattened JWS the way a device does, for the
 * integration tests: jwssign KEY CERT PAYLOAD_JSON [IAT_OFFSET] prints the
 * JWS on stdout. KEY and CERT are PEM files; IAT_OFFSET (seconds, may be
 * negative) shifts iat from now to make a stale request. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/pem.h>

#include "ca/jws.h"

int main(int argc, char **argv)
{
    FILE *f;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    json_t *payload;
    char *out = NULL;
    struct lc_err err;
    long offset = argc > 4 ? strtol(argv[4], NULL, 10) : 0;

    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: jwssign KEY CERT PAYLOAD_JSON [IAT_OFFSET]\n");
        return 2;
    }
    if ((f = fopen(argv[1], "r"))) {
        key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
    }
    if ((f = fopen(argv[2], "r"))) {
        cert = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
    }
    payload = json_loads(argv[3], 0, NULL);
    if (!key || !cert || !payload) {
        fprintf(stderr, "jwssign: cannot read the key, the certificate or the payload\n");
        return 1;
    }
    if (jws_sign(&out, key, cert, payload, (int64_t)time(NULL) + offset, &err) != LC_OK) {
        fprintf(stderr, "jwssign: %s\n", err.msg);
        return 1;
    }
    printf("%s\n", out);
    free(out);
    json_decref(payload);
    X509_free(cert);
    EVP_PKEY_free(key);
    return 0;
}
