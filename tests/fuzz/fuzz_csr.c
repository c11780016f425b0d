/* fuzz_csr.c — CSR intake (ca/csr.c) and name policy (ca/policy.c) on
 * untrusted bytes. The input decides the path: "-----BEGIN" is PEM, anything
 * else DER.
 *
 * A mutated CSR almost never keeps a valid signature, so the names inside
 * would stay out of reach. Each input therefore runs twice: once as given,
 * and once re-signed — if OpenSSL can decode it at all, its public key is
 * replaced by a fixed Ed25519 key and it is signed again (Ed25519 signatures
 * are deterministic), so csr_parse must then accept its signature and key and
 * the fuzzer's subject and extensions reach read_sans and policy_check.
 *
 * Invariants: refusals use the documented codes; a parsed CSR re-encodes (DER
 * and PEM) and re-parses to the same names, addresses and key; what policy
 * accepts is normalized, in the zone, and every hex name's address is allowed
 * and listed. Any broken invariant aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "ca/csr.h"
#include "ca/policy.h"
#include "core/addr.h"
#include "core/name.h"

#define ZONE "home.arpa"
#define ALLOW "10.0.0.0/8 192.168.0.0/16 fc00::/7"
#define GATEWAY "gateway"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_csr: invariant broken: %s\n", what);
        abort();
    }
}

static void require_msg(const struct lc_err *err)
{
    require(memchr(err->msg, '\0', sizeof(err->msg)) != NULL && err->msg[0] != '\0',
            "a refusal has a message");
}

static const struct lc_prefix_set *allowed(void)
{
    static struct lc_prefix_set set;
    static int ready;
    struct lc_err err;
    if (!ready) {
        require(prefix_set_parse(&set, ALLOW, strlen(ALLOW), &err) == LC_OK, "fixed allow set");
        ready = 1;
    }
    return &set;
}

/* resign_key is a fixed Ed25519 key, made once from a fixed seed. */
static EVP_PKEY *resign_key(void)
{
    static const uint8_t seed[32] = {
        0x6c, 0x61, 0x6e, 0x63, 0x65, 0x72, 0x74, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x2d, 0x63, 0x73, 0x72,
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
    };
    static EVP_PKEY *key;
    if (!key)
        key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
    require(key != NULL, "fixed Ed25519 key");
    return key;
}

static void check_policy(const struct csr *c)
{
    const char *names[CSR_MAX_NAMES];
    struct policy p = {.zone = ZONE, .allow = allowed(), .gateway_label = GATEWAY,
                       .allow_gateway = false};
    struct policy_names out, again;
    struct lc_err err;
    int rc;

    for (size_t i = 0; i < c->n_names; i++)
        names[i] = c->names[i];
    rc = policy_check(&p, &out, names, c->n_names, c->ips, c->n_ips, &err);
    if (rc != LC_OK) {
        require(rc == (int)err.code, "policy returns its error code");
        require(rc == LC_E_MALFORMED || rc == LC_E_WILDCARD || rc == LC_E_ZONE ||
                    rc == LC_E_ADDRESS || rc == LC_E_RESERVED || rc == LC_E_TOO_MANY,
                "policy refuses with a documented code");
        require_msg(&err);
        return;
    }
    require(out.n_names >= 1 && out.n_names <= CA_MAX_NAMES, "policy: name count");
    require(out.n_ips <= out.n_names, "policy: every address has its hex name");
    for (size_t i = 0; i < out.n_names; i++) {
        char norm[LC_NAME_MAX + 1], hex[LC_NAME_MAX + 1];
        struct name_info info;
        const char *name = out.names[i];
        require(name_normalize(norm, name, strlen(name), &err) == LC_OK && strcmp(norm, name) == 0,
                "policy: names are normalized");
        for (size_t j = 0; j < i; j++)
            require(strcmp(out.names[j], name) != 0, "policy: no duplicate names");
        name_classify(&info, name, ZONE, GATEWAY);
        require(info.kind == NAME_HEX || info.kind == NAME_FRIENDLY,
                "policy: only hex and friendly names");
        require(out.is_hex[i] == (info.kind == NAME_HEX), "policy: is_hex is right");
        if (info.kind != NAME_HEX)
            continue;
        require(prefix_set_contains(allowed(), &info.addr), "policy: hex names are allowed");
        require(name_encode(hex, sizeof(hex), &info.addr, ZONE, &err) == LC_OK &&
                    strcmp(hex, name) == 0,
                "policy: hex names re-encode");
        size_t k = 0;
        while (k < out.n_ips && !addr_equal(&out.ips[k], &info.addr))
            k++;
        require(k < out.n_ips, "policy: a hex name's address is listed");
    }
    for (size_t i = 0; i < out.n_ips; i++) {
        char hex[LC_NAME_MAX + 1];
        size_t k = 0;
        require(prefix_set_contains(allowed(), &out.ips[i]), "policy: addresses are allowed");
        require(name_encode(hex, sizeof(hex), &out.ips[i], ZONE, &err) == LC_OK, "encode");
        while (k < out.n_names && strcmp(out.names[k], hex) != 0)
            k++;
        require(k < out.n_names, "policy: an address's hex name is listed");
    }
    require(policy_check(&p, &again, names, c->n_names, c->ips, c->n_ips, &err) == LC_OK &&
                memcmp(&out, &again, sizeof(out)) == 0,
            "policy is deterministic");
}

static void require_same(const struct csr *a, const struct csr *b)
{
    require(a->n_names == b->n_names && a->n_ips == b->n_ips, "round trip: same counts");
    for (size_t i = 0; i < a->n_names; i++)
        require(strcmp(a->names[i], b->names[i]) == 0, "round trip: same names");
    for (size_t i = 0; i < a->n_ips; i++)
        require(addr_equal(&a->ips[i], &b->ips[i]), "round trip: same addresses");
    require(memcmp(a->key_id, b->key_id, sizeof(a->key_id)) == 0, "round trip: same key");
}

/* check_parsed checks a CSR csr_parse accepted, and its round trips. */
/* decode_any reads |data| as OpenSSL would without any of lancert's checks. */
static X509_REQ *decode_any(const uint8_t *data, size_t size)
{
    X509_REQ *req = NULL;
    if (size >= 10 && memcmp(data, "-----BEGIN", 10) == 0) {
        BIO *bio = BIO_new_mem_buf(data, (int)size);
        req = bio ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
    } else {
        const unsigned char *p = data;
        req = d2i_X509_REQ(NULL, &p, (long)size);
    }
    return req;
}

static void check_parsed(const struct csr *c, const uint8_t *data, size_t size)
{
    uint8_t key_id[32];
    unsigned char *der = NULL;
    char *pem = NULL;
    struct csr again;
    struct lc_err err;
    BIO *bio;
    long pem_len;
    int der_len;

    /* Differential: what lancert accepts, OpenSSL's own decoder reads too. */
    X509_REQ *req = decode_any(data, size);
    require(req != NULL && c->pubkey != NULL, "an accepted CSR decodes with OpenSSL and has a key");
    require(c->n_names + c->n_ips <= CSR_MAX_NAMES, "at most CSR_MAX_NAMES names");
    for (size_t i = 0; i < c->n_names; i++)
        require(c->names[i][0] != '\0' && strlen(c->names[i]) <= LC_NAME_MAX, "name length");
    for (size_t i = 0; i < c->n_ips; i++)
        require(c->ips[i].family == LC_AF_INET || c->ips[i].family == LC_AF_INET6, "ip family");
    if (EVP_PKEY_get_base_id(c->pubkey) == EVP_PKEY_EC) {
        char encoding[32] = "";
        require(EVP_PKEY_get_utf8_string_param(c->pubkey, OSSL_PKEY_PARAM_EC_ENCODING, encoding,
                                               sizeof(encoding), NULL) &&
                    strcmp(encoding, OSSL_PKEY_EC_ENCODING_GROUP) == 0,
                "an accepted EC key names its curve (RFC 5480)");
    }
    require(csr_key_id(key_id, c->pubkey, &err) == LC_OK &&
                memcmp(key_id, c->key_id, sizeof(key_id)) == 0,
            "key_id is the SPKI digest");

    der_len = i2d_X509_REQ(req, &der);
    require(der_len > 0, "a parsed CSR re-encodes as DER");
    memset(&again, 0, sizeof(again));
    if (csr_parse(&again, der, (size_t)der_len, &err) != LC_OK) {
        fprintf(stderr, "fuzz_csr: re-encoded DER refused: %s\n", err.msg);
        require(0, "a re-encoded CSR parses");
    }
    require_same(c, &again);
    csr_cleanup(&again);
    OPENSSL_free(der);

    bio = BIO_new(BIO_s_mem());
    require(bio && PEM_write_bio_X509_REQ(bio, req), "a parsed CSR re-encodes as PEM");
    pem_len = BIO_get_mem_data(bio, &pem);
    memset(&again, 0, sizeof(again));
    if (csr_parse(&again, (const uint8_t *)pem, (size_t)pem_len, &err) != LC_OK) {
        fprintf(stderr, "fuzz_csr: re-encoded PEM refused: %s\n", err.msg);
        require(0, "a re-encoded CSR parses");
    }
    require_same(c, &again);
    csr_cleanup(&again);
    BIO_free(bio);
    X509_REQ_free(req);

    check_policy(c);
}

/* resigned re-signs whatever OpenSSL decodes with the fixed key and runs it
 * through csr_parse: its signature and key must now pass. */
static void resigned(const uint8_t *data, size_t size)
{
    X509_REQ *req = decode_any(data, size);
    unsigned char *der = NULL;
    struct csr c;
    struct lc_err err;
    int der_len;

    if (!req)
        return;
    if (!X509_REQ_set_pubkey(req, resign_key()) || X509_REQ_sign(req, resign_key(), NULL) <= 0 ||
        (der_len = i2d_X509_REQ(req, &der)) <= 0) {
        X509_REQ_free(req);
        return; /* OpenSSL will not sign this structure; nothing of ours to test */
    }
    X509_REQ_free(req);
    memset(&c, 0, sizeof(c));
    if (csr_parse(&c, der, (size_t)der_len, &err) == LC_OK) {
        require(EVP_PKEY_get_base_id(c.pubkey) == EVP_PKEY_ED25519, "re-signed key is Ed25519");
        check_parsed(&c, der, (size_t)der_len);
        csr_cleanup(&c);
    } else {
        if (err.code == LC_E_SIGNATURE || err.code == LC_E_KEY)
            fprintf(stderr, "fuzz_csr: re-signed CSR refused: %s\n", err.msg);
        require(err.code != LC_E_SIGNATURE && err.code != LC_E_KEY,
                "a CSR signed by an accepted key passes the signature and key checks");
        require_msg(&err);
    }
    OPENSSL_free(der);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct csr c;
    struct lc_err err;
    int rc;

    memset(&c, 0, sizeof(c));
    rc = csr_parse(&c, data, size, &err);
    if (rc == LC_OK) {
        check_parsed(&c, data, size);
        csr_cleanup(&c);
    } else {
        require(rc == (int)err.code, "csr_parse returns its error code");
        /* LC_E_ZONE: a SAN of a kind lancert does not issue (read_sans). */
        require(rc == LC_E_TOO_BIG || rc == LC_E_MALFORMED || rc == LC_E_SIGNATURE ||
                    rc == LC_E_KEY || rc == LC_E_TOO_MANY || rc == LC_E_ZONE,
                "csr_parse refuses with a documented code");
        require_msg(&err);
    }
    resigned(data, size);
    ERR_clear_error();
    return 0;
}
