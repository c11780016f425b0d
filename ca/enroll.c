/* enroll.c — the enrolment rules of SPEC "Names" as one pure decision, and
 * the enrolment token's text and hash. */
#include "ca/enroll.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

/* friendly_right says whether the friendly name |i| may be given now, must
 * wait for the admin (|*out_wait|), or is refused. */
static int friendly_right(bool *out_wait, const struct policy_names *names, size_t i,
                          const struct enroll_facts *f, struct lc_err *err)
{
    const char *name = names->names[i];
    *out_wait = false;
    if (f->holder[i] != 0 && f->holder[i] != f->device_id)
        return lc_fail(err, LC_E_NAME_TAKEN, "%s is held by another device's key", name);
    if (f->holder[i] != 0)
        return LC_OK; /* the key that first got it keeps it */
    if (f->token_names) {
        if (!enroll_names_has(f->token_names, name))
            return lc_fail(err, LC_E_PERM, "the token does not name %s", name);
        return LC_OK;
    }
    switch (f->mode) {
    case ENROLL_OPEN:
        return LC_OK;
    case ENROLL_APPROVE:
        *out_wait = true;
        return LC_OK;
    case ENROLL_TOKEN:
        break;
    }
    return lc_fail(err, LC_E_PERM, "%s needs an enrolment token from the admin", name);
}

int enroll_decide(enum enroll_verdict *out, const struct policy_names *names,
                  const struct enroll_facts *facts, struct lc_err *err)
{
    char want[LC_ADDR_STRLEN], from[LC_ADDR_STRLEN];
    bool wait = false;
    int rc;

    if (facts->device_id != 0 && facts->device_status == STORE_DEVICE_REVOKED)
        return lc_fail(err, LC_E_PERM, "the admin revoked this device's key; enrol with a new key");
    /* A hex name's address is in |ips| (policy_check puts it there): only a
     * request from that address shows control of it. */
    for (size_t i = 0; i < names->n_ips; i++) {
        if (addr_equal(&names->ips[i], &facts->peer))
            continue;
        addr_format(want, &names->ips[i]);
        addr_format(from, &facts->peer);
        return lc_fail(err, LC_E_PERM, "the name of %s is only given to a request from %s, not %s",
                       want, want, from);
    }
    for (size_t i = 0; i < names->n_names; i++) {
        bool wait_one;
        if (names->is_hex[i])
            continue;
        if ((rc = friendly_right(&wait_one, names, i, facts, err)) != LC_OK)
            return rc;
        wait = wait || wait_one;
    }
    if (wait && facts->device_id != 0 && facts->device_status == STORE_DEVICE_ACTIVE)
        return lc_fail(err, LC_E_PERM,
                       "this device is enrolled already; a new friendly name needs a token");
    *out = wait ? ENROLL_PENDING : ENROLL_ISSUE;
    return LC_OK;
}

void enroll_names_join(char out[STORE_ENROLL_NAMES_MAX], const struct policy_names *names)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < names->n_names; i++) {
        int n = snprintf(out + used, STORE_ENROLL_NAMES_MAX - used, "%s%s", i ? " " : "",
                         names->names[i]);
        if (n < 0 || (size_t)n >= STORE_ENROLL_NAMES_MAX - used)
            break; /* cannot happen: 16 names of at most 253 bytes fit */
        used += (size_t)n;
    }
}

bool enroll_names_has(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ' ');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && memcmp(p, name, len) == 0)
            return true;
        p += n;
        while (*p == ' ')
            p++;
    }
    return false;
}

int enroll_token_names(char out[STORE_ENROLL_NAMES_MAX], const struct policy *p,
                       const char *const *names, size_t n_names, struct lc_err *err)
{
    struct policy_names checked;
    int rc;
    if ((rc = policy_check(p, &checked, names, n_names, NULL, 0, err)) != LC_OK)
        return rc;
    for (size_t i = 0; i < checked.n_names; i++)
        if (checked.is_hex[i])
            return lc_fail(err, LC_E_RESERVED,
                           "%s is a hex name: it goes to its address, not to a token holder",
                           checked.names[i]);
    enroll_names_join(out, &checked);
    return LC_OK;
}

void enroll_token_hash(uint8_t out[STORE_TOKEN_HASH_LEN], const char *text, size_t len)
{
    SHA256((const unsigned char *)text, len, out);
}

int enroll_token_new(char out_text[ENROLL_TOKEN_TEXT_LEN + 1],
                     uint8_t out_hash[STORE_TOKEN_HASH_LEN], struct lc_err *err)
{
    uint8_t raw[ENROLL_TOKEN_BYTES];
    unsigned char std[4 * ((ENROLL_TOKEN_BYTES + 2) / 3) + 1];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return lc_fail_openssl(err, LC_E_CRYPTO, "making an enrolment token");
    EVP_EncodeBlock(std, raw, ENROLL_TOKEN_BYTES);
    /* RFC 4648 section 5: URL-safe alphabet, padding dropped. */
    for (size_t i = 0; i < ENROLL_TOKEN_TEXT_LEN; i++)
        out_text[i] = std[i] == '+' ? '-' : std[i] == '/' ? '_' : (char)std[i];
    out_text[ENROLL_TOKEN_TEXT_LEN] = '\0';
    enroll_token_hash(out_hash, out_text, ENROLL_TOKEN_TEXT_LEN);
    OPENSSL_cleanse(raw, sizeof(raw));
    OPENSSL_cleanse(std, sizeof(std));
    return LC_OK;
}

int enroll_token_usable(const struct store_token *t, int64_t now, struct lc_err *err)
{
    if (t->used_at != 0)
        return lc_fail(err, LC_E_PERM, "this enrolment token was used already");
    if (now >= t->expires)
        return lc_fail(err, LC_E_PERM, "this enrolment token has expired");
    return LC_OK;
}
