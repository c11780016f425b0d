/* dyndns.c — /nic/update: Basic auth against the device's update key
 * (compared in constant time), a token bucket per key and source, then the
 * name's address in the store (committed) and in DNS. One mutex serialises
 * the store handle and the rate table. */
#include "http/dyndns.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/addr.h"
#include "core/cur.h"
#include "core/log.h"
#include "core/name.h"
#include "dns/records.h"
#include "http/routes.h"
#include "store/store.h"

#define BASIC_MAX_B64 512 /* the encoded credentials */
#define USER_MAX 254
#define PASS_MAX 128

struct bucket {
    struct lc_addr source;
    char user[USER_MAX];
    double tokens;
    int64_t last_ms; /* 0: a free slot */
};

struct http_dyndns {
    pthread_mutex_t lock;
    struct lc_conf conf;
    struct store *store;
    struct dns_records *records;
    struct bucket buckets[DYNDNS_MAX_SOURCES];
};

/* One answer to every failed authentication, so a caller learns nothing
 * about which part was wrong. */
static const char basic_challenge[] = "Basic realm=\"lancert dyndns\", charset=\"UTF-8\"";

int http_dyndns_new(struct http_dyndns **out, const struct lc_conf *conf,
                    struct dns_records *records, struct lc_err *err)
{
    struct http_dyndns *d = calloc(1, sizeof(*d));
    int rc;
    if (!d)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    if ((rc = store_open(&d->store, conf->state_dir, err)) != LC_OK) {
        free(d);
        return rc;
    }
    pthread_mutex_init(&d->lock, NULL);
    d->conf = *conf;
    d->records = records;
    *out = d;
    return LC_OK;
}

void http_dyndns_reload(struct http_dyndns *d, const struct lc_conf *conf)
{
    pthread_mutex_lock(&d->lock);
    d->conf = *conf;
    pthread_mutex_unlock(&d->lock);
}

void http_dyndns_free(struct http_dyndns *d)
{
    if (!d)
        return;
    store_free(d->store);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

static bool is_b64(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

bool http_basic_parse(const char *header, char *user, size_t user_len, char *pass, size_t pass_len)
{
    uint8_t plain[BASIC_MAX_B64 / 4 * 3 + 1], b;
    struct cur c = cur_init(header, header ? strlen(header) : 0), token, name, secret;
    size_t len, pad = 0;
    bool ok = false;
    int n;
    if (cur_left(&c) < 6 || strncasecmp(header, "Basic ", 6) != 0)
        return false;
    (void)cur_skip(&c, 6);
    cur_skip_space(&c);
    cur_trim_space(&c);
    token = c;
    len = cur_left(&token);
    if (len == 0 || len > BASIC_MAX_B64 || len % 4 != 0)
        return false;
    while (cur_u8(&c, &b)) { /* the alphabet, with padding only at the end */
        if (b == '=' && cur_left(&c) < 2)
            pad++;
        else if (!is_b64((char)b) || pad)
            return false;
    }
    n = EVP_DecodeBlock(plain, token.p, (int)len);
    if (n < 0 || (size_t)n < pad)
        goto out;
    c = cur_init(plain, (size_t)n - pad);
    if (memchr(plain, '\0', (size_t)n - pad))
        goto out;
    cur_take_until(&c, &name, ':');
    if (!cur_skip(&c, 1)) /* no ':' */
        goto out;
    secret = c;
    if (cur_is_empty(&name) || cur_left(&name) >= user_len || cur_left(&secret) >= pass_len)
        goto out;
    memcpy(user, name.p, cur_left(&name));
    user[cur_left(&name)] = '\0';
    memcpy(pass, secret.p, cur_left(&secret));
    pass[cur_left(&secret)] = '\0';
    ok = true;
out:
    OPENSSL_cleanse(plain, sizeof(plain));
    return ok;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* rate_ok takes one token from the bucket of (|source|, |user|), with the
 * lock held; false when it is empty. */
static bool rate_ok(struct http_dyndns *d, const struct lc_addr *source, const char *user)
{
    int64_t now = now_ms();
    struct bucket *b = NULL, *stalest = &d->buckets[0];
    for (size_t i = 0; i < DYNDNS_MAX_SOURCES && !b; i++) {
        struct bucket *c = &d->buckets[i];
        if (c->last_ms && addr_equal(&c->source, source) && strcmp(c->user, user) == 0)
            b = c;
        else if (c->last_ms < stalest->last_ms)
            stalest = c;
    }
    if (!b) {
        b = stalest;
        b->source = *source;
        snprintf(b->user, sizeof(b->user), "%s", user);
        b->tokens = DYNDNS_BURST;
        b->last_ms = now;
    }
    b->tokens += (double)(now - b->last_ms) / (DYNDNS_REFILL_S * 1000.0);
    if (b->tokens > DYNDNS_BURST)
        b->tokens = DYNDNS_BURST;
    b->last_ms = now > 0 ? now : 1;
    if (b->tokens < 1.0)
        return false;
    b->tokens -= 1.0;
    return true;
}

static void badauth(struct reply *out)
{
    reply_text(out, 401, "badauth");
    out->www_authenticate = basic_challenge;
}

/* authenticate checks |user| and |pass| against the store with the lock
 * held; the device's id in |*out_device|. */
static int authenticate(struct http_dyndns *d, int64_t *out_device, const char *user,
                        const char *pass, struct lc_err *err)
{
    struct store_dns_key k;
    char b64[STORE_DNS_SECRET_MAX * 2];
    int rc = store_dns_key_get(d->store, &k, user, err);
    if (rc == LC_E_NOTFOUND)
        return lc_fail(err, LC_E_PERM, "no such key");
    if (rc != LC_OK)
        return rc;
    EVP_EncodeBlock((unsigned char *)b64, k.secret, (int)k.secret_len);
    /* Lengths are public (a secret's length follows from its algorithm);
     * the bytes are compared in constant time. */
    if (!k.device_id || !k.device_active || strlen(pass) != strlen(b64) ||
        CRYPTO_memcmp(pass, b64, strlen(b64)) != 0)
        rc = lc_fail(err, LC_E_PERM, "wrong key or secret");
    else
        *out_device = k.device_id;
    OPENSSL_cleanse(b64, sizeof(b64));
    store_dns_key_cleanup(&k);
    return rc;
}

/* hostname_of normalizes the hostname argument; NULL answers "notfqdn" or
 * "numhost" through |*out_code|. */
static bool hostname_of(char name[LC_NAME_MAX + 1], const char *arg, const char **out_code)
{
    struct lc_err err;
    *out_code = "notfqdn";
    if (!arg || !*arg || strlen(arg) > LC_NAME_MAX + 1)
        return false;
    if (strchr(arg, ',')) {
        *out_code = "numhost"; /* one name per request here */
        return false;
    }
    if (name_normalize(name, arg, strlen(arg), &err) != LC_OK || !strchr(name, '.'))
        return false;
    return true;
}

/* apply moves |name| to |a| with the lock held; |*out_changed| false when it
 * already had exactly that address. */
static int apply(struct http_dyndns *d, bool *out_changed, const char *name,
                 const struct lc_addr *a, const struct store_name *held, struct lc_err *err)
{
    const uint8_t *raw = a->b;
    size_t len = addr_len(a);
    int rc;
    *out_changed = !(held->n_addrs == 1 && held->addr_lens[0] == len &&
                     memcmp(held->addrs[0], raw, len) == 0);
    if (!*out_changed)
        return LC_OK;
    if ((rc = store_begin(d->store, err)) != LC_OK)
        return rc;
    if ((rc = store_name_set_addrs(d->store, name, &raw, &len, 1, err)) != LC_OK ||
        (rc = store_commit(d->store, err)) != LC_OK) {
        store_rollback(d->store);
        return rc;
    }
    /* The store is the truth; DNS follows it at once. */
    if (d->records && dns_records_set_addrs(d->records, name, a, 1, err) != LC_OK)
        log_msg(LOG_ERR, "dyndns: %s committed, DNS not updated: %s", name, err->msg);
    return LC_OK;
}

void http_dyndns_update(struct reply *out, const struct route_request *req)
{
    struct http_dyndns *d = req->svc->dyndns;
    char user[USER_MAX], pass[PASS_MAX], name[LC_NAME_MAX + 1], text[LC_ADDR_STRLEN + 8],
        shown[LC_ADDR_STRLEN];
    const char *code = NULL, *myip;
    struct store_name held;
    struct name_info info;
    struct lc_addr a;
    struct lc_err err;
    int64_t device = 0;
    bool changed = false;
    int rc;

    if (!d) {
        reply_text(out, 503, "911");
        return;
    }
    if (!http_basic_parse(req->authorization, user, sizeof(user), pass, sizeof(pass))) {
        badauth(out);
        return;
    }
    for (char *p = user; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    pthread_mutex_lock(&d->lock);
    if (!rate_ok(d, &req->peer, user)) {
        reply_text(out, 200, "abuse");
        goto out;
    }
    if ((rc = authenticate(d, &device, user, pass, &err)) == LC_E_PERM) {
        badauth(out);
        goto out;
    }
    if (rc != LC_OK) {
        log_msg(LOG_ERR, "dyndns: %s", err.msg);
        reply_text(out, 500, "911");
        goto out;
    }
    if (!hostname_of(name, route_query_arg(req, "hostname"), &code)) {
        reply_text(out, 200, code);
        goto out;
    }
    name_classify(&info, name, d->conf.zone, d->conf.gateway_name);
    rc = info.kind == NAME_FRIENDLY ? store_name_get(d->store, &held, name, &err) : LC_E_NOTFOUND;
    if (rc != LC_OK && rc != LC_E_NOTFOUND) {
        log_msg(LOG_ERR, "dyndns: %s", err.msg);
        reply_text(out, 500, "911");
        goto out;
    }
    if (rc == LC_E_NOTFOUND || held.device_id != device || held.is_hex) {
        reply_text(out, 200, "nohost");
        goto out;
    }
    myip = route_query_arg(req, "myip");
    if (!myip || !*myip)
        a = req->peer; /* dyndns2: no myip means the address the request came from */
    else if (!addr_parse(&a, myip, strlen(myip)))
        a.family = 0;
    if (!a.family || !prefix_set_contains(&d->conf.allow, &a)) {
        reply_text(out, 400, "badagent");
        goto out;
    }
    if ((rc = apply(d, &changed, name, &a, &held, &err)) != LC_OK) {
        log_msg(LOG_ERR, "dyndns: %s", err.msg);
        reply_text(out, 500, "dnserr");
        goto out;
    }
    addr_format(shown, &a);
    snprintf(text, sizeof(text), "%s %s", changed ? "good" : "nochg", shown);
    if (changed)
        log_msg(LOG_INFO, "dyndns: %s -> %s (device %lld)", name, shown, (long long)device);
    reply_text(out, 200, text);
out:
    pthread_mutex_unlock(&d->lock);
    OPENSSL_cleanse(pass, sizeof(pass));
}
