/* admin.c — the admin API: bearer token check against the stored hash, the
 * certificate list and revocation. One mutex serialises the store handle,
 * which belongs to this module alone. */
#include "http/admin.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "ca/admin.h"
#include "core/cur.h"
#include "core/log.h"
#include "http/routes.h"
#include "store/store.h"

#define ADMIN_MAX_LIST 100000 /* certificates in one list: a bound, not a page size */

struct http_admin {
    struct store *store;
    pthread_mutex_t lock;
    http_admin_changed_fn changed;
    void *changed_ctx;
};

/* RFC 6750 section 3: the challenge is the same whether the token was
 * missing or wrong, so a caller learns nothing about which. */
static const char bearer_challenge[] = "Bearer realm=\"lancert admin\"";
static const char basic_challenge[] = "Basic realm=\"lancert admin\", charset=\"UTF-8\"";


int http_admin_new(struct http_admin **out, const char *state_dir, http_admin_changed_fn changed,
                   void *ctx, struct lc_err *err)
{
    struct http_admin *a = calloc(1, sizeof(*a));
    int rc;
    if (!a)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    if ((rc = store_open(&a->store, state_dir, err)) != LC_OK) {
        free(a);
        return rc;
    }
    pthread_mutex_init(&a->lock, NULL);
    a->changed = changed;
    a->changed_ctx = ctx;
    *out = a;
    return LC_OK;
}

void http_admin_free(struct http_admin *a)
{
    if (!a)
        return;
    store_free(a->store);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

static bool is_token68(uint8_t c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

bool http_bearer_parse(const char *header, const char **out_token, size_t *out_len)
{
    struct cur c = cur_init(header, header ? strlen(header) : 0), token;
    size_t n = 0, n_body = 0;
    bool ok = false;
    uint8_t b;
    if (cur_left(&c) < 7 || strncasecmp(header, "Bearer ", 7) != 0)
        goto out;
    (void)cur_skip(&c, 7);
    cur_skip_space(&c);
    cur_trim_space(&c);
    token = c;
    while (cur_peek(&c, &b) && is_token68(b)) {
        (void)cur_skip(&c, 1);
        n++;
    }
    n_body = n;
    while (cur_peek(&c, &b) && b == '=') { /* token68 ends in padding only */
        (void)cur_skip(&c, 1);
        n++;
    }
    if (!cur_is_empty(&c) || n_body == 0 || n > HTTP_BEARER_MAX)
        goto out;
    *out_token = (const char *)token.p;
    *out_len = n;
    ok = true;
out:
    return ok;
}

/* b64_value is the value of a standard base64 digit (RFC 4648 section 4),
 * -1 for anything else. */
static int b64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* b64_decode decodes padded base64 |in| into |out| (room for |cap| bytes);
 * false for a length not a multiple of 4, a stray or misplaced '=', or too
 * much data. */
static bool b64_decode(uint8_t *out, size_t cap, size_t *out_len, const uint8_t *in, size_t len)
{
    size_t n = 0, pad = 0;
    if (len == 0 || len % 4 != 0)
        return false;
    while (pad < 2 && in[len - 1 - pad] == '=')
        pad++;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        size_t digits = i + 4 == len ? 4 - pad : 4;
        for (size_t k = 0; k < 4; k++) {
            int d = k < digits ? b64_value(in[i + k]) : 0;
            if (d < 0)
                return false;
            v = v << 6 | (uint32_t)d;
        }
        for (size_t k = 0; k + 1 < digits; k++) {
            if (n == cap)
                return false;
            out[n++] = (uint8_t)(v >> (16 - 8 * k));
        }
    }
    *out_len = n;
    return true;
}

bool http_basic_password(char out[HTTP_BEARER_MAX + 1], size_t *out_len, const char *header)
{
    uint8_t plain[HTTP_BASIC_MAX];
    const uint8_t *colon;
    size_t len = header ? strlen(header) : 0, n = 0, i = 6, pass_len;
    bool ok = false;
    if (len < 6 || strncasecmp(header, "Basic ", 6) != 0)
        goto out;
    while (i < len && header[i] == ' ')
        i++;
    if (len - i > HTTP_BASIC_MAX ||
        !b64_decode(plain, sizeof(plain), &n, (const uint8_t *)header + i, len - i) ||
        !(colon = memchr(plain, ':', n)))
        goto out;
    for (size_t k = 0; k < n; k++)
        if (plain[k] < 0x20 || plain[k] == 0x7f)
            goto out;
    pass_len = n - (size_t)(colon + 1 - plain);
    if (pass_len == 0 || pass_len > HTTP_BEARER_MAX)
        goto out;
    memcpy(out, colon + 1, pass_len);
    out[pass_len] = '\0';
    *out_len = pass_len;
    ok = true;
out:
    OPENSSL_cleanse(plain, sizeof(plain));
    return ok;
}

static void store_failed(struct reply *out, const struct lc_err *err)
{
    log_msg(LOG_ERR, "admin api: %s", err->msg);
    reply_problem(out, 500, "Internal Server Error", "the store failed; see the gateway's log");
}

bool http_admin_authorize_on(struct reply *out, const struct route_request *req,
                             struct store *store)
{
    const char *token = NULL;
    size_t token_len = 0;
    bool ok = false;
    struct lc_err err;
    if (http_bearer_parse(req->authorization, &token, &token_len) &&
        admin_token_check(store, &ok, token, token_len, &err) != LC_OK) {
        store_failed(out, &err); /* |ok| stays false */
    } else if (!ok) {
        reply_problem(out, 401, "Unauthorized",
                      "this endpoint needs the admin token: 'Authorization: Bearer <token>' "
                      "(admin.token in the state directory)");
        out->www_authenticate = bearer_challenge;
    }
    return ok;
}

/* authorized checks the bearer token with |a|'s lock held; when it returns
 * false |out| holds the refusal. */
static bool authorized(struct http_admin *a, struct reply *out, const struct route_request *req)
{
    return http_admin_authorize_on(out, req, a->store);
}

static int add_name(void *ctx, const char *name)
{
    return json_array_append_new(ctx, json_string(name)) == 0 ? 0 : LC_E_NOMEM;
}

/* cert_record builds the JSON of |c| with its names; NULL when out of memory
 * (|*rc| then says why). */
static json_t *cert_record(struct store *s, const struct store_cert *c, int *rc, struct lc_err *err)
{
    char serial[ADMIN_SERIAL_HEX_LEN + 1];
    json_t *names = json_array();
    admin_serial_format(serial, c->serial);
    *rc = names ? store_cert_names_each(s, c->serial, add_name, names, err) : LC_E_NOMEM;
    if (*rc != LC_OK) {
        json_decref(names);
        if (*rc == LC_E_NOMEM)
            lc_fail(err, LC_E_NOMEM, "out of memory");
        return NULL;
    }
    json_t *j = json_pack("{s:s, s:o, s:I, s:I, s:b, s:o, s:o}", "serial", serial, "names", names,
                          "not_before", (json_int_t)c->not_before, "not_after",
                          (json_int_t)c->not_after, "revoked", c->revoked_at != 0, "revoked_at",
                          c->revoked_at ? json_integer(c->revoked_at) : json_null(), "device_id",
                          c->device_id ? json_integer(c->device_id) : json_null());
    if (!j)
        *rc = lc_fail(err, LC_E_NOMEM, "out of memory");
    return j;
}

struct list_ctx {
    struct store *store;
    json_t *list;
    struct lc_err *err;
};

static int add_cert(void *ctx, const struct store_cert *c)
{
    struct list_ctx *l = ctx;
    int rc = LC_OK;
    json_t *j;
    if (json_array_size(l->list) >= ADMIN_MAX_LIST)
        rc = lc_fail(l->err, LC_E_TOO_MANY, "over %d certificates", ADMIN_MAX_LIST);
    else if ((j = cert_record(l->store, c, &rc, l->err)) && json_array_append_new(l->list, j) != 0)
        rc = lc_fail(l->err, LC_E_NOMEM, "out of memory");
    return rc;
}

int http_admin_certs_json(struct http_admin *a, void **out, struct lc_err *err)
{
    struct list_ctx l = {a->store, json_array(), err};
    int rc;
    if (!l.list)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    pthread_mutex_lock(&a->lock);
    rc = store_cert_each(a->store, STORE_CERTS_ALL, NULL, 0, add_cert, &l, err);
    pthread_mutex_unlock(&a->lock);
    if (rc != LC_OK) {
        json_decref(l.list);
        return rc;
    }
    *out = l.list;
    return LC_OK;
}

void http_admin_certs_list(struct reply *out, const struct route_request *req)
{
    struct http_admin *a = req->svc->admin;
    const char *name = route_query_arg(req, "name");
    char lower[256];
    struct lc_err err;
    struct list_ctx l = {NULL, json_array(), &err};
    int rc;

    if (!a) {
        reply_problem(out, 503, "Service Unavailable", "the admin API is not running");
        goto out;
    }
    if (name && (strlen(name) == 0 || strlen(name) >= sizeof(lower))) {
        reply_problem(out, 400, "Bad Request", "name must be a domain name of 1 to 253 characters");
        goto out;
    }
    for (size_t i = 0; name && i <= strlen(name); i++)
        lower[i] = (char)tolower((unsigned char)name[i]);
    pthread_mutex_lock(&a->lock);
    if (authorized(a, out, req)) {
        l.store = a->store;
        rc = l.list ? store_cert_each(a->store, name ? STORE_CERTS_BY_NAME : STORE_CERTS_ALL,
                                      name ? lower : NULL, 0, add_cert, &l, &err)
                    : lc_fail(&err, LC_E_NOMEM, "out of memory");
        if (rc != LC_OK) {
            store_failed(out, &err);
        } else {
            reply_json(out, 200, json_pack("{s:O}", "certificates", l.list));
        }
    }
    pthread_mutex_unlock(&a->lock);
out:
    json_decref(l.list);
}

/* revoke runs the revocation of |serial| with |a|'s lock held and fills
 * |out|. Returns true when the store changed. */
static bool revoke(struct http_admin *a, struct reply *out, const uint8_t serial[STORE_SERIAL_LEN])
{
    struct store_cert c;
    struct lc_err err;
    bool changed;
    json_t *j;
    int rc;

    memset(&c, 0, sizeof(c));
    /* On disk before anyone hears of it: admin_cert_revoke commits. */
    rc = admin_cert_revoke(a->store, &c, serial, (int64_t)time(NULL), &err);
    changed = rc == LC_OK;
    if (rc == LC_E_NOTFOUND)
        reply_problem(out, 404, "Not Found", "no certificate has this serial");
    else if (rc == LC_E_EXISTS)
        reply_problem(out, 409, "Conflict", "this certificate is already revoked");
    else if (rc != LC_OK)
        store_failed(out, &err);
    else if (!(j = cert_record(a->store, &c, &rc, &err)))
        store_failed(out, &err);
    else
        reply_json(out, 200, j);
    free((void *)(uintptr_t)c.der); /* ours to free, see store_cert_get */
    return changed;
}

void http_admin_cert_revoke(struct reply *out, const struct route_request *req)
{
    struct http_admin *a = req->svc->admin;
    uint8_t serial[STORE_SERIAL_LEN];
    bool changed = false;
    char shown[ADMIN_SERIAL_HEX_LEN + 1];

    if (!a) {
        reply_problem(out, 503, "Service Unavailable", "the admin API is not running");
    } else {
        pthread_mutex_lock(&a->lock);
        /* The token first: a caller without it learns nothing, not even that a
         * serial is malformed. */
        if (authorized(a, out, req)) {
            if (!admin_serial_parse(serial, req->param, req->param_len))
                reply_problem(out, 400, "Bad Request",
                              "a serial is 32 hex digits, as GET /api/v1/certificates lists it");
            else
                changed = revoke(a, out, serial);
        }
        pthread_mutex_unlock(&a->lock);
    }
    if (changed) {
        admin_serial_format(shown, serial);
        log_msg(LOG_INFO, "admin api: certificate %s revoked", shown);
        if (a->changed)
            a->changed(a->changed_ctx);
    }
}

bool http_admin_authorize(struct reply *out, const struct route_request *req)
{
    struct http_admin *a = req->svc->admin;
    bool ok;
    if (!a) {
        reply_problem(out, 503, "Service Unavailable", "the admin API is not running");
        return false;
    }
    pthread_mutex_lock(&a->lock);
    ok = authorized(a, out, req);
    pthread_mutex_unlock(&a->lock);
    return ok;
}

bool http_admin_authorize_basic(struct reply *out, const struct route_request *req)
{
    struct http_admin *a = req->svc->admin;
    char password[HTTP_BEARER_MAX + 1];
    size_t len = 0;
    bool ok = false;
    struct lc_err err;
    if (!a) {
        reply_problem(out, 503, "Service Unavailable", "the admin API is not running");
        return false;
    }
    if (http_basic_password(password, &len, req->authorization)) {
        pthread_mutex_lock(&a->lock);
        if (admin_token_check(a->store, &ok, password, len, &err) != LC_OK) {
            store_failed(out, &err);
            pthread_mutex_unlock(&a->lock);
            OPENSSL_cleanse(password, sizeof(password));
            return false;
        }
        pthread_mutex_unlock(&a->lock);
    }
    OPENSSL_cleanse(password, sizeof(password));
    if (!ok) {
        reply_problem(out, 401, "Unauthorized",
                      "these pages need the admin token as the password of HTTP Basic");
        out->www_authenticate = basic_challenge;
    }
    return ok;
}
