/* admin.c — the admin token and serial notation. */
#include "ca/admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "core/cur.h"
#include "core/metrics.h"
#include "ca/ca.h"

static const char hex_digits[] = "0123456789abcdef";

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool admin_serial_parse(uint8_t out[STORE_SERIAL_LEN], const char *text, size_t text_len)
{
    uint8_t serial[STORE_SERIAL_LEN];
    struct cur c = cur_init(text, text_len);
    if (text_len != ADMIN_SERIAL_HEX_LEN)
        return false;
    for (size_t i = 0; i < STORE_SERIAL_LEN; i++) {
        uint8_t hi, lo;
        if (!cur_u8(&c, &hi) || !cur_u8(&c, &lo) || hex_value(hi) < 0 || hex_value(lo) < 0)
            return false;
        serial[i] = (uint8_t)(hex_value(hi) << 4 | hex_value(lo));
    }
    memcpy(out, serial, sizeof(serial));
    return true;
}

void admin_serial_format(char out[ADMIN_SERIAL_HEX_LEN + 1], const uint8_t serial[STORE_SERIAL_LEN])
{
    for (size_t i = 0; i < STORE_SERIAL_LEN; i++) {
        out[2 * i] = hex_digits[serial[i] >> 4];
        out[2 * i + 1] = hex_digits[serial[i] & 0x0f];
    }
    out[ADMIN_SERIAL_HEX_LEN] = '\0';
}

static void digest_hex(char out[2 * SHA256_DIGEST_LENGTH + 1], const uint8_t d[SHA256_DIGEST_LENGTH])
{
    for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        out[2 * i] = hex_digits[d[i] >> 4];
        out[2 * i + 1] = hex_digits[d[i] & 0x0f];
    }
    out[2 * SHA256_DIGEST_LENGTH] = '\0';
}

/* base64url encodes 32 bytes without padding (RFC 4648 section 5). */
static void base64url(char out[ADMIN_TOKEN_TEXT_LEN + 1], const uint8_t in[ADMIN_TOKEN_BYTES])
{
    unsigned char std[4 * ((ADMIN_TOKEN_BYTES + 2) / 3) + 1];
    EVP_EncodeBlock(std, in, ADMIN_TOKEN_BYTES);
    for (size_t i = 0; i < ADMIN_TOKEN_TEXT_LEN; i++)
        out[i] = std[i] == '+' ? '-' : std[i] == '/' ? '_' : (char)std[i];
    out[ADMIN_TOKEN_TEXT_LEN] = '\0';
    OPENSSL_cleanse(std, sizeof(std));
}

int admin_token_rotate(struct store *store, char out_text[ADMIN_TOKEN_TEXT_LEN + 1],
                       const char *state_dir, struct lc_err *err)
{
    uint8_t raw[ADMIN_TOKEN_BYTES], digest[SHA256_DIGEST_LENGTH];
    char text[ADMIN_TOKEN_TEXT_LEN + 2], hash_hex[2 * SHA256_DIGEST_LENGTH + 1];
    int rc = LC_E_CRYPTO;

    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        rc = lc_fail_openssl(err, LC_E_CRYPTO, "making the admin token");
        goto out;
    }
    base64url(text, raw);
    SHA256((const unsigned char *)text, ADMIN_TOKEN_TEXT_LEN, digest);
    digest_hex(hash_hex, digest);
    /* The file first: a crash after it leaves the old hash, and rotating
     * again mends that; the other order could lose a token nobody saw. */
    text[ADMIN_TOKEN_TEXT_LEN] = '\n';
    if ((rc = ca_state_write(state_dir, ADMIN_TOKEN_FILE, text, ADMIN_TOKEN_TEXT_LEN + 1, 0600,
                             err)) != LC_OK)
        goto out;
    text[ADMIN_TOKEN_TEXT_LEN] = '\0';
    if ((rc = store_begin(store, err)) != LC_OK)
        goto out;
    if ((rc = store_meta_set(store, ADMIN_TOKEN_META, hash_hex, err)) != LC_OK ||
        (rc = store_commit(store, err)) != LC_OK) {
        store_rollback(store);
        goto out;
    }
    memcpy(out_text, text, ADMIN_TOKEN_TEXT_LEN + 1);
    rc = LC_OK;
out:
    OPENSSL_cleanse(raw, sizeof(raw));
    OPENSSL_cleanse(text, sizeof(text));
    return rc;
}

int admin_token_check(struct store *store, bool *out_ok, const char *presented,
                      size_t presented_len, struct lc_err *err)
{
    uint8_t digest[SHA256_DIGEST_LENGTH], want[SHA256_DIGEST_LENGTH];
    char stored[2 * SHA256_DIGEST_LENGTH + 8];
    bool well_formed;
    int rc;

    *out_ok = false;
    rc = store_meta_get(store, stored, sizeof(stored), ADMIN_TOKEN_META, err);
    if (rc == LC_E_NOTFOUND) {
        rc = LC_OK; /* no token was ever made: nobody is the admin */
        goto out;
    }
    if (rc != LC_OK)
        goto out;
    well_formed = strlen(stored) == 2 * SHA256_DIGEST_LENGTH;
    for (size_t i = 0; well_formed && i < SHA256_DIGEST_LENGTH; i++) {
        int hi = hex_value((uint8_t)stored[2 * i]), lo = hex_value((uint8_t)stored[2 * i + 1]);
        well_formed = hi >= 0 && lo >= 0;
        want[i] = (uint8_t)(hi << 4 | lo);
    }
    if (!well_formed) {
        rc = lc_fail(err, LC_E_STORE, "the stored admin token hash is malformed; "
                                      "run 'lancert token rotate-admin'");
        goto out;
    }
    /* Hashing first makes the comparison fixed-length whatever was sent. */
    SHA256((const unsigned char *)presented, presented_len, digest);
    *out_ok = CRYPTO_memcmp(digest, want, sizeof(digest)) == 0;
    OPENSSL_cleanse(digest, sizeof(digest));
out:
    return rc;
}

int admin_cert_revoke(struct store *store, struct store_cert *out,
                      const uint8_t serial[STORE_SERIAL_LEN], int64_t when, struct lc_err *err)
{
    struct store_cert c;
    int rc;

    memset(&c, 0, sizeof(c));
    if ((rc = store_begin(store, err)) != LC_OK)
        goto out;
    if ((rc = store_cert_get(store, &c, serial, err)) != LC_OK)
        goto rollback;
    if (c.revoked_at != 0) {
        rc = lc_fail(err, LC_E_EXISTS, "this certificate is already revoked");
        goto rollback;
    }
    c.revoked_at = when;
    c.revoke_reason = 0; /* RFC 5280 5.3.1 unspecified */
    if ((rc = store_cert_revoke(store, serial, c.revoke_reason, c.revoked_at, err)) != LC_OK ||
        (rc = store_commit(store, err)) != LC_OK)
        goto rollback;
    metrics_add(METRICS_CERTS_REVOKED, 1);
    goto out;
rollback:
    store_rollback(store);
out:
    if (rc == LC_OK || rc == LC_E_EXISTS)
        *out = c;
    else
        free((void *)(uintptr_t)c.der); /* ours to free, see store_cert_get */
    return rc;
}
