/* devices.c — the admin's side of enrolment (bearer token): the device list
 * and record, approval of a pending request, forgetting a device, and
 * enrolment tokens. Shares the enrolment service's store, CA and lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "ca/admin.h"
#include "ca/enroll.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/name.h"
#include "dns/records.h"
#include "http/internal.h"
#include "http/routes.h"

#define DEVICES_MAX_LIST 100000 /* devices in one list: a bound, not a page size */

/* split_names appends the space-separated |list| to the JSON array |a|. */
static int split_names(json_t *a, const char *list)
{
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ' ');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 0 && json_array_append_new(a, json_stringn(p, n)) != 0)
            return LC_E_NOMEM;
        p += n;
        while (*p == ' ')
            p++;
    }
    return LC_OK;
}

static int add_unique_string(json_t *a, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
        if (strcmp(json_string_value(v), s) == 0)
            return LC_OK;
    return json_array_append_new(a, json_string(s)) == 0 ? LC_OK : LC_E_NOMEM;
}

struct device_ctx {
    struct http_enroll *e;
    json_t *names, *addresses, *hex_name, *serials;
    int64_t not_after; /* of the newest unrevoked certificate, 0 without one */
    struct lc_err *err;
};

static int add_address_bytes(json_t *a, const uint8_t *b, size_t len)
{
    struct lc_addr addr;
    char text[LC_ADDR_STRLEN];
    if (!addr_from_bytes(&addr, b, len))
        return LC_OK;
    addr_format(text, &addr);
    return add_unique_string(a, text);
}

static int device_name(void *ctx, const char *name, bool is_hex)
{
    struct device_ctx *d = ctx;
    struct store_name n;
    struct lc_addr addr;
    struct lc_err ignored;
    int rc;
    if (json_array_append_new(d->names, json_string(name)) != 0)
        return LC_E_NOMEM;
    if (is_hex) {
        if (json_is_null(d->hex_name))
            d->hex_name = json_string(name);
        /* A hex name stands for its own address. */
        if (name_decode(&addr, name, strlen(name), d->e->conf.zone, &ignored) == LC_OK)
            return add_address_bytes(d->addresses, addr.b, addr_len(&addr));
        return LC_OK;
    }
    if ((rc = store_name_get(d->e->store, &n, name, d->err)) != LC_OK)
        return rc;
    for (size_t i = 0; i < n.n_addrs; i++)
        if ((rc = add_address_bytes(d->addresses, n.addrs[i], n.addr_lens[i])) != LC_OK)
            return rc;
    return LC_OK;
}

static int device_cert(void *ctx, const struct store_cert *c)
{
    struct device_ctx *d = ctx;
    char serial[ADMIN_SERIAL_HEX_LEN + 1];
    admin_serial_format(serial, c->serial);
    if (c->revoked_at == 0 && d->not_after == 0)
        d->not_after = c->not_after; /* newest first */
    return json_array_append_new(d->serials, json_string(serial)) == 0 ? 0 : LC_E_NOMEM;
}

/* device_json is the Device record of |dev| (see docs/openapi.yaml); NULL
 * with |err| set on failure. */
static json_t *device_json(struct http_enroll *e, const struct store_device *dev, struct lc_err *err)
{
    struct device_ctx d = {e, json_array(), json_array(), json_null(), json_array(), 0, err};
    json_t *requested = json_array(), *j = NULL;
    struct store_enrollment row;
    int rc;

    memset(&row, 0, sizeof(row));
    if (!d.names || !d.addresses || !d.serials || !requested) {
        lc_fail(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = store_device_names_each(e->store, dev->id, device_name, &d, err)) != LC_OK ||
        (rc = store_device_certs_each(e->store, dev->id, device_cert, &d, err)) != LC_OK) {
        if (rc == LC_E_NOMEM)
            lc_fail(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    if (dev->status == STORE_DEVICE_PENDING) {
        if ((rc = store_enrollment_get(e->store, &row, dev->id, err)) != LC_OK && rc != LC_E_NOTFOUND)
            goto out;
        if (rc == LC_OK && split_names(requested, row.names) != LC_OK) {
            lc_fail(err, LC_E_NOMEM, "out of memory");
            goto out;
        }
    }
    j = json_pack("{s:I, s:s, s:O, s:O, s:O, s:o, s:O, s:o, s:O}", "id", (json_int_t)dev->id,
                  "status", store_device_status_name(dev->status), "names", d.names, "hex_name",
                  d.hex_name, "addresses", d.addresses, "created", enroll_time_json(dev->created),
                  "requested_names", requested, "not_after",
                  d.not_after ? enroll_time_json(d.not_after) : json_null(), "certificates",
                  d.serials);
    if (!j)
        lc_fail(err, LC_E_NOMEM, "out of memory");
out:
    store_enrollment_cleanup(&row);
    json_decref(d.names);
    json_decref(d.addresses);
    json_decref(d.hex_name);
    json_decref(d.serials);
    json_decref(requested);
    return j;
}

/* admin_begin is the common start of the admin handlers: the service is
 * running, the lock is taken and the caller holds the admin token. On
 * false |out| holds the refusal and the lock is not held. */
static bool admin_begin(struct http_enroll *e, struct reply *out, const struct route_request *req)
{
    if (!e) {
        reply_problem(out, 503, "Service Unavailable", "the enrolment API is not running");
        return false;
    }
    pthread_mutex_lock(&e->lock);
    if (http_admin_authorize_on(out, req, e->store))
        return true;
    pthread_mutex_unlock(&e->lock);
    return false;
}

/* device_of reads the device the path names; false with 404 in |out|. */
static bool device_of(struct http_enroll *e, struct reply *out, struct store_device *d,
                      const struct route_request *req)
{
    struct lc_err err;
    int64_t id;
    int rc;
    if (!enroll_id_parse(&id, req->param, req->param_len)) {
        reply_problem(out, 404, "Not Found", "a device id is a number, as GET /api/v1/devices lists it");
        return false;
    }
    rc = store_device_get(e->store, d, id, &err);
    if (rc == LC_E_NOTFOUND)
        reply_problem(out, 404, "Not Found", "no device has this id");
    else if (rc != LC_OK)
        enroll_store_failed(out, &err);
    return rc == LC_OK;
}

struct list_ctx {
    struct http_enroll *e;
    json_t *list;
    struct lc_err *err;
};

static int list_one(void *ctx, const struct store_device *d)
{
    struct list_ctx *l = ctx;
    json_t *j;
    if (json_array_size(l->list) >= DEVICES_MAX_LIST)
        return lc_fail(l->err, LC_E_TOO_MANY, "over %d devices", DEVICES_MAX_LIST);
    if (!(j = device_json(l->e, d, l->err)))
        return l->err->code != LC_OK ? (int)l->err->code : LC_E_INTERNAL;
    return json_array_append_new(l->list, j) == 0 ? LC_OK
                                                   : lc_fail(l->err, LC_E_NOMEM, "out of memory");
}

/* devices_collect builds the Device records of every device, with |e|'s
 * lock held: the list GET devices answers and the web pages show. */
static int devices_collect(struct http_enroll *e, json_t **out, struct lc_err *err)
{
    struct list_ctx l = {e, json_array(), err};
    int rc;
    if (!l.list)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    if ((rc = store_devices_each(e->store, list_one, &l, err)) != LC_OK) {
        json_decref(l.list);
        return rc;
    }
    *out = l.list;
    return LC_OK;
}

int http_devices_json(struct http_enroll *e, void **out, struct lc_err *err)
{
    json_t *list = NULL;
    int rc;
    pthread_mutex_lock(&e->lock);
    rc = devices_collect(e, &list, err);
    pthread_mutex_unlock(&e->lock);
    if (rc == LC_OK)
        *out = list;
    return rc;
}

void http_devices_list(struct reply *out, const struct route_request *req)
{
    struct http_enroll *e = req->svc->enroll;
    struct lc_err err;
    json_t *list = NULL;
    if (!admin_begin(e, out, req))
        return;
    if (devices_collect(e, &list, &err) != LC_OK)
        enroll_store_failed(out, &err);
    else
        reply_json(out, 200, json_pack("{s:o}", "devices", list));
    pthread_mutex_unlock(&e->lock);
}

void http_device_get(struct reply *out, const struct route_request *req)
{
    struct http_enroll *e = req->svc->enroll;
    struct store_device d;
    struct lc_err err;
    json_t *j;
    if (!admin_begin(e, out, req))
        return;
    if (device_of(e, out, &d, req)) {
        if ((j = device_json(e, &d, &err)))
            reply_json(out, 200, j);
        else
            enroll_store_failed(out, &err);
    }
    pthread_mutex_unlock(&e->lock);
}

/* approve issues the certificate of pending device |d| from its stored
 * request and commits; fills |out|. */
static void approve(struct http_enroll *e, struct reply *out, struct store_device *d)
{
    struct store_enrollment row;
    struct enroll_issued issued;
    struct lc_addr peer;
    struct lc_err err;
    json_t *j;
    int rc;

    memset(&issued, 0, sizeof(issued));
    if ((rc = store_enrollment_get(e->store, &row, d->id, &err)) != LC_OK) {
        enroll_store_failed(out, &err);
        return;
    }
    if (!addr_from_bytes(&peer, row.peer, row.peer_len)) {
        lc_fail(&err, LC_E_STORE, "device %lld's enrolment has a damaged address", (long long)d->id);
        enroll_store_failed(out, &err);
        goto out;
    }
    if ((rc = store_begin(e->store, &err)) != LC_OK) {
        enroll_store_failed(out, &err);
        goto out;
    }
    /* The key goes out later, once, to the address that asked (GET enroll/{id}). */
    if ((rc = enroll_issue_for(e, &issued, row.csr, row.csr_len, NULL, &peer, false, &err)) !=
            LC_OK ||
        (rc = store_commit(e->store, &err)) != LC_OK) {
        store_rollback(e->store);
        enroll_refusal(out, rc, &err);
        goto out;
    }
    enroll_dns_publish(e, &issued.cert.names);
    log_msg(LOG_INFO, "admin api: device %lld approved", (long long)d->id);
    d->status = STORE_DEVICE_ACTIVE;
    if ((j = device_json(e, d, &err)))
        reply_json(out, 200, j);
    else
        enroll_store_failed(out, &err);
out:
    enroll_issued_cleanup(&issued);
    store_enrollment_cleanup(&row);
}

void http_device_approve(struct reply *out, const struct route_request *req)
{
    struct http_enroll *e = req->svc->enroll;
    struct store_device d;
    char detail[96];
    if (!admin_begin(e, out, req))
        return;
    if (device_of(e, out, &d, req)) {
        if (d.status != STORE_DEVICE_PENDING) {
            snprintf(detail, sizeof(detail), "device %lld is %s, not pending", (long long)d.id,
                     store_device_status_name(d.status));
            reply_problem(out, 409, "Conflict", detail);
        } else {
            approve(e, out, &d);
        }
    }
    pthread_mutex_unlock(&e->lock);
}

struct forget_ctx {
    json_t *friendly; /* names to drop from DNS after the commit */
    uint8_t (*serials)[STORE_SERIAL_LEN];
    size_t n_serials, cap;
};

static int forget_name(void *ctx, const char *name, bool is_hex)
{
    struct forget_ctx *f = ctx;
    if (is_hex)
        return 0;
    return json_array_append_new(f->friendly, json_string(name)) == 0 ? 0 : LC_E_NOMEM;
}

static int forget_cert(void *ctx, const struct store_cert *c)
{
    struct forget_ctx *f = ctx;
    if (c->revoked_at != 0)
        return 0;
    if (f->n_serials == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        void *p = reallocarray(f->serials, cap, STORE_SERIAL_LEN);
        if (!p)
            return LC_E_NOMEM;
        f->serials = p;
        f->cap = cap;
    }
    memcpy(f->serials[f->n_serials++], c->serial, STORE_SERIAL_LEN);
    return 0;
}

/* forget revokes device |d|'s certificates and deletes its names and keys
 * in one transaction, then drops its names from DNS; fills |out|. Returns
 * true when certificates were revoked (the CRL is stale). */
static bool forget(struct http_enroll *e, struct reply *out, const struct store_device *d)
{
    struct forget_ctx f = {json_array(), NULL, 0, 0};
    json_t *revoked = json_array(), *v;
    char serial[ADMIN_SERIAL_HEX_LEN + 1];
    int64_t now = (int64_t)time(NULL);
    struct lc_err err;
    bool changed = false;
    size_t i;
    int rc;

    if (!f.friendly || !revoked) {
        reply_problem(out, 500, "Internal Server Error", "out of memory");
        goto out;
    }
    if ((rc = store_begin(e->store, &err)) != LC_OK)
        goto fail;
    if ((rc = store_device_names_each(e->store, d->id, forget_name, &f, &err)) != LC_OK ||
        (rc = store_device_certs_each(e->store, d->id, forget_cert, &f, &err)) != LC_OK) {
        if (rc == LC_E_NOMEM)
            lc_fail(&err, LC_E_NOMEM, "out of memory");
        goto fail;
    }
    for (i = 0; i < f.n_serials; i++) {
        admin_serial_format(serial, f.serials[i]);
        if ((rc = store_cert_revoke(e->store, f.serials[i], 0, now, &err)) != LC_OK)
            goto fail;
        if (json_array_append_new(revoked, json_string(serial)) != 0) {
            rc = lc_fail(&err, LC_E_NOMEM, "out of memory");
            goto fail;
        }
    }
    if ((rc = store_device_forget(e->store, d->id, &err)) != LC_OK ||
        (rc = store_commit(e->store, &err)) != LC_OK)
        goto fail;
    metrics_add(METRICS_CERTS_REVOKED, f.n_serials);
    json_array_foreach(f.friendly, i, v)
        if (e->records)
            dns_records_remove(e->records, json_string_value(v));
    changed = f.n_serials > 0;
    log_msg(LOG_INFO, "admin api: device %lld forgotten, %zu certificates revoked", (long long)d->id,
            f.n_serials);
    reply_json(out, 200, json_pack("{s:I, s:s, s:O}", "id", (json_int_t)d->id, "status", "revoked",
                                   "revoked", revoked));
    goto out;
fail:
    store_rollback(e->store);
    enroll_store_failed(out, &err);
out:
    json_decref(f.friendly);
    json_decref(revoked);
    free(f.serials);
    return changed;
}

void http_device_delete(struct reply *out, const struct route_request *req)
{
    struct http_enroll *e = req->svc->enroll;
    struct store_device d;
    bool changed = false;
    if (!admin_begin(e, out, req))
        return;
    if (device_of(e, out, &d, req)) {
        if (d.status == STORE_DEVICE_REVOKED)
            reply_problem(out, 409, "Conflict", "this device is revoked already");
        else
            changed = forget(e, out, &d);
    }
    pthread_mutex_unlock(&e->lock);
    if (changed && e->changed)
        e->changed(e->changed_ctx);
}

/* token_request reads {names: [..], expires_in?} from |body| into |names|
 * and |*ttl|; false with a 400 in |out|. */
static bool token_request(struct reply *out, const char **names, size_t *n_names, int64_t *ttl,
                          json_t *body)
{
    json_t *list = json_object_get(body, "names"), *exp = json_object_get(body, "expires_in"), *v;
    size_t i;
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > CA_MAX_NAMES) {
        reply_problem(out, 400, "Bad Request",
                      "\"names\" must be an array of 1 to 16 friendly names (strings)");
        return false;
    }
    json_array_foreach(list, i, v) {
        if (!json_is_string(v)) {
            reply_problem(out, 400, "Bad Request", "every entry of \"names\" must be a string");
            return false;
        }
        names[i] = json_string_value(v);
    }
    *n_names = json_array_size(list);
    *ttl = ENROLL_TOKEN_TTL_DEFAULT;
    if (exp) {
        if (!json_is_integer(exp) || json_integer_value(exp) < 1 ||
            json_integer_value(exp) > ENROLL_TOKEN_TTL_MAX) {
            reply_problem(out, 400, "Bad Request",
                          "\"expires_in\" must be a whole number of seconds, 1 to 2592000 (30 days)");
            return false;
        }
        *ttl = json_integer_value(exp);
    }
    return true;
}

/* make_token checks |names|, makes and commits a token good for |ttl|
 * seconds and fills |out| with it. */
static void make_token(struct http_enroll *e, struct reply *out, const char *const *names,
                       size_t n_names, int64_t ttl)
{
    struct store_token t;
    char text[ENROLL_TOKEN_TEXT_LEN + 1] = "";
    json_t *list = json_array();
    struct lc_err err;
    int64_t id;
    int rc;

    memset(&t, 0, sizeof(t));
    if ((rc = enroll_token_names(t.names, &e->issuer.policy, names, n_names, &err)) != LC_OK) {
        enroll_refusal(out, rc, &err);
        goto out;
    }
    t.created = (int64_t)time(NULL);
    t.expires = t.created + ttl;
    if (!list || split_names(list, t.names) != LC_OK) {
        reply_problem(out, 500, "Internal Server Error", "out of memory");
        goto out;
    }
    if ((rc = enroll_token_new(text, t.hash, &err)) != LC_OK ||
        (rc = store_begin(e->store, &err)) != LC_OK) {
        enroll_store_failed(out, &err);
        goto out;
    }
    if ((rc = store_token_put(e->store, &id, &t, &err)) != LC_OK ||
        (rc = store_commit(e->store, &err)) != LC_OK) {
        store_rollback(e->store);
        enroll_store_failed(out, &err);
        goto out;
    }
    log_msg(LOG_INFO, "admin api: enrolment token %lld made for %s", (long long)id, t.names);
    reply_json(out, 201, json_pack("{s:I, s:s, s:O, s:o}", "id", (json_int_t)id, "token", text,
                                   "names", list, "expires", enroll_time_json(t.expires)));
out:
    OPENSSL_cleanse(text, sizeof(text));
    json_decref(list);
}

void http_tokens_create(struct reply *out, const struct route_request *req)
{
    struct http_enroll *e = req->svc->enroll;
    const char *names[CA_MAX_NAMES];
    size_t n_names = 0;
    int64_t ttl;
    json_t *body;
    if (!admin_begin(e, out, req))
        return;
    /* The token first: a caller without it learns nothing about the body. */
    if ((body = enroll_body_parse(out, req))) {
        if (token_request(out, names, &n_names, &ttl, body))
            make_token(e, out, names, n_names, ttl);
        json_decref(body);
    }
    pthread_mutex_unlock(&e->lock);
}
