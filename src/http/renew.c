/* renew.c — renewal and name updates, signed by the device. The JWS is
 * checked by ca/jws.c; here: is its certificate ours and current, is the
 * device active, was the request seen before, and then the change, committed
 * before the answer. One mutex serialises the store handle and the CA. */
#include "http/renew.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "ca/ca.h"
#include "ca/issue.h"
#include "ca/jws.h"
#include "core/log.h"
#include "core/name.h"
#include "dns/records.h"
#include "http/routes.h"
#include "store/store.h"

/* A replay id is kept a minute past the end of its iat window, so a clock
 * step on the gateway does not reopen it. */
#define SEEN_SLACK_S 60

struct http_renew {
    pthread_mutex_t lock;
    struct lc_conf conf; /* a copy: the issuer borrows it */
    struct ca *ca;
    struct store *store;
    struct issuer issuer;
    X509_STORE *trust; /* our CA certificate, the one anchor a device's certificate chains to */
    struct dns_records *records;
};

/* load_ca loads the CA of |dir| and the trust store made of it. */
static int load_ca(struct ca **out_ca, X509_STORE **out_trust, const char *dir, struct lc_err *err)
{
    struct ca *ca = NULL;
    X509_STORE *trust = NULL;
    int rc;
    if ((rc = ca_load(&ca, dir, err)) != LC_OK)
        return rc;
    /* Partial chain: the leaf must be signed by our CA certificate itself,
     * whether that is the root or an intermediate under someone else's. */
    if (!(trust = X509_STORE_new()) || X509_STORE_add_cert(trust, ca_cert(ca)) != 1 ||
        X509_STORE_set_flags(trust, X509_V_FLAG_PARTIAL_CHAIN) != 1) {
        X509_STORE_free(trust);
        ca_free(ca);
        return lc_fail_openssl(err, LC_E_CRYPTO, "setting up certificate verification");
    }
    *out_ca = ca;
    *out_trust = trust;
    return LC_OK;
}

int http_renew_new(struct http_renew **out, const struct lc_conf *conf, struct dns_records *records,
                   struct lc_err *err)
{
    struct http_renew *r = calloc(1, sizeof(*r));
    int rc;
    if (!r)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    pthread_mutex_init(&r->lock, NULL);
    r->conf = *conf;
    r->records = records;
    if ((rc = load_ca(&r->ca, &r->trust, conf->state_dir, err)) != LC_OK ||
        (rc = store_open(&r->store, conf->state_dir, err)) != LC_OK)
        goto fail;
    issuer_init(&r->issuer, r->ca, r->store, &r->conf);
    *out = r;
    return LC_OK;
fail:
    http_renew_free(r);
    return rc;
}

int http_renew_reload(struct http_renew *r, const struct lc_conf *conf, struct lc_err *err)
{
    struct ca *ca = NULL;
    X509_STORE *trust = NULL;
    int rc = load_ca(&ca, &trust, conf->state_dir, err);
    if (rc != LC_OK)
        return rc;
    pthread_mutex_lock(&r->lock);
    ca_free(r->ca);
    X509_STORE_free(r->trust);
    r->ca = ca;
    r->trust = trust;
    r->conf = *conf;
    issuer_init(&r->issuer, r->ca, r->store, &r->conf);
    pthread_mutex_unlock(&r->lock);
    return LC_OK;
}

void http_renew_free(struct http_renew *r)
{
    if (!r)
        return;
    X509_STORE_free(r->trust);
    store_free(r->store);
    ca_free(r->ca);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static void rfc3339(char out[32], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void store_failed(struct reply *out, const char *what, const struct lc_err *err)
{
    log_msg(LOG_ERR, "%s: %s", what, err->msg);
    reply_problem(out, 500, "Internal Server Error", "the store failed; see the gateway's log");
}

/* The certificate a request was signed with, as the store knows it. */
struct signer {
    struct jws_verified jws;
    uint8_t serial[STORE_SERIAL_LEN];
    int64_t device_id;
};

static void signer_cleanup(struct signer *s)
{
    jws_verified_cleanup(&s->jws);
}

/* refuse_jws answers a jws_verify refusal. */
static void refuse_jws(struct reply *out, int rc, const struct lc_err *err)
{
    switch (rc) {
    case LC_E_TOO_BIG:
        reply_problem(out, 413, "Content Too Large", err->msg);
        break;
    case LC_E_SIGNATURE:
    case LC_E_PERM:
        reply_problem(out, 403, "Forbidden", err->msg);
        break;
    case LC_E_NOMEM:
    case LC_E_CRYPTO:
        log_msg(LOG_ERR, "device request: %s", err->msg);
        reply_problem(out, 500, "Internal Server Error", "the gateway could not check the request");
        break;
    default:
        reply_problem(out, 400, "Bad Request", err->msg);
        break;
    }
}

/* serial_of reads |cert|'s serial as the store's 16 bytes; false for any
 * other length (not one of ours). */
static bool serial_of(uint8_t out[STORE_SERIAL_LEN], X509 *cert)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    bool ok = bn && !BN_is_negative(bn) && BN_bn2binpad(bn, out, STORE_SERIAL_LEN) == STORE_SERIAL_LEN;
    BN_free(bn);
    ERR_clear_error();
    return ok;
}

/* chains_to_us verifies |cert| against our CA at |now|; false with |why|. */
static bool chains_to_us(struct http_renew *r, X509 *cert, int64_t now, const char **why)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    bool ok = false;
    if (ctx && X509_STORE_CTX_init(ctx, r->trust, cert, NULL) == 1) {
        X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
        ok = X509_verify_cert(ctx) == 1;
        if (!ok)
            *why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
    } else {
        *why = "out of memory";
    }
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

/* check_signer runs with the lock held, inside the transaction: |body| is a
 * valid JWS whose certificate is ours, stored, unrevoked, unexpired, of an
 * active device, and the request is new (it is remembered now). False with
 * |out| holding the refusal. */
static bool check_signer(struct http_renew *r, struct reply *out, struct signer *s,
                         const struct route_request *req, int64_t now)
{
    struct store_cert c;
    struct lc_err err;
    char status[STORE_STATUS_MAX], detail[200];
    const char *why = NULL;
    unsigned char *der = NULL;
    int der_len, rc;
    bool ok = false;

    memset(&c, 0, sizeof(c));
    if ((rc = jws_verify(&s->jws, req->body, req->body_len, now, &err)) != LC_OK) {
        refuse_jws(out, rc, &err);
        goto out;
    }
    if (!chains_to_us(r, s->jws.cert, now, &why)) {
        snprintf(detail, sizeof(detail), "the certificate in x5c does not verify against this "
                 "gateway's CA (%s)", why);
        reply_problem(out, 403, "Forbidden", detail);
        goto out;
    }
    if (!serial_of(s->serial, s->jws.cert) ||
        (rc = store_cert_get(r->store, &c, s->serial, &err)) == LC_E_NOTFOUND) {
        reply_problem(out, 403, "Forbidden", "the certificate in x5c is not one this gateway issued");
        goto out;
    }
    if (rc != LC_OK) {
        store_failed(out, "device request", &err);
        goto out;
    }
    der_len = i2d_X509(s->jws.cert, &der);
    if (der_len <= 0 || (size_t)der_len != c.der_len || memcmp(der, c.der, c.der_len) != 0) {
        reply_problem(out, 403, "Forbidden", "the certificate in x5c is not the one on record");
        goto out;
    }
    if (c.revoked_at) {
        reply_problem(out, 403, "Forbidden", "the certificate in x5c is revoked; enrol again");
        goto out;
    }
    if (c.not_after < now) {
        reply_problem(out, 403, "Forbidden", "the certificate in x5c has expired; enrol again");
        goto out;
    }
    if (!c.device_id) {
        reply_problem(out, 403, "Forbidden", "the certificate in x5c belongs to no device");
        goto out;
    }
    if ((rc = store_device_status(r->store, status, c.device_id, &err)) != LC_OK) {
        if (rc == LC_E_NOTFOUND)
            reply_problem(out, 403, "Forbidden", "the certificate's device no longer exists");
        else
            store_failed(out, "device request", &err);
        goto out;
    }
    if (strcmp(status, "active") != 0) {
        snprintf(detail, sizeof(detail),
                 "device %lld is %s; the admin must approve or re-enrol it before it may %s",
                 (long long)c.device_id, status, strcmp(req->method, "PUT") == 0 ? "move names" : "renew");
        reply_problem(out, 403, "Forbidden", detail);
        goto out;
    }
    rc = store_jws_seen_add(r->store, s->jws.replay_id, s->jws.iat + JWS_MAX_AGE + SEEN_SLACK_S, now,
                            &err);
    if (rc == LC_E_EXISTS) {
        reply_problem_typed(out, 409, "urn:lancert:problem:replayed", "Conflict",
                            "replayed: this signed request was already used; sign a new one "
                            "(fresh iat and nonce)");
        goto out;
    }
    if (rc != LC_OK) {
        store_failed(out, "device request", &err);
        goto out;
    }
    s->device_id = c.device_id;
    ok = true;
out:
    OPENSSL_free(der);
    free((void *)(uintptr_t)c.der);
    return ok;
}

/* ---- POST /api/v1/renew ------------------------------------------------------ */

struct name_list {
    char names[CA_MAX_NAMES][LC_NAME_MAX + 1];
    const char *ptrs[CA_MAX_NAMES];
    size_t n;
};

static int collect_name(void *ctx, const char *name)
{
    struct name_list *l = ctx;
    if (l->n == CA_MAX_NAMES || strlen(name) > LC_NAME_MAX)
        return LC_E_TOO_MANY;
    snprintf(l->names[l->n], sizeof(l->names[l->n]), "%s", name);
    l->ptrs[l->n] = l->names[l->n];
    l->n++;
    return 0;
}

/* refuse_issue answers an issuer_issue refusal. */
static void refuse_issue(struct reply *out, int rc, const struct lc_err *err)
{
    switch (rc) {
    case LC_E_PERM:
    case LC_E_ZONE:
    case LC_E_ADDRESS:
    case LC_E_RESERVED:
    case LC_E_WILDCARD:
        reply_problem(out, 403, "Forbidden", err->msg);
        break;
    case LC_E_NAME_TAKEN:
    case LC_E_EXISTS:
        reply_problem(out, 409, "Conflict", err->msg);
        break;
    case LC_E_TOO_BIG:
        reply_problem(out, 413, "Content Too Large", err->msg);
        break;
    case LC_E_MALFORMED:
    case LC_E_SIGNATURE:
    case LC_E_KEY:
    case LC_E_TOO_MANY:
        reply_problem(out, 400, "Bad Request", err->msg);
        break;
    default:
        store_failed(out, "renewal", err);
        break;
    }
}

/* issued_body builds the 201 body of |res|. */
static json_t *issued_body(struct http_renew *r, const struct issue_result *res, struct lc_err *err)
{
    char *leaf = NULL, *chain = NULL, not_after[32], renew_after[32];
    size_t len;
    json_t *names = json_array(), *j = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    for (size_t i = 0; names && i < res->names.n_names; i++)
        json_array_append_new(names, json_string(res->names.names[i]));
    if (!bio || !PEM_write_bio_X509(bio, res->cert) || (len = (size_t)BIO_pending(bio)) == 0 ||
        !(leaf = calloc(1, len + 1)) || BIO_read(bio, leaf, (int)len) != (int)len) {
        lc_fail_openssl(err, LC_E_CRYPTO, "encoding the certificate");
        goto out;
    }
    if (ca_chain_pem(&chain, &len, r->ca, NULL, err) != LC_OK)
        goto out;
    rfc3339(not_after, res->not_after);
    rfc3339(renew_after, res->not_before + (res->not_after - res->not_before) * 2 / 3);
    j = json_pack("{s:I, s:s, s:O, s:s, s:s, s:s, s:s}", "id", (json_int_t)res->device_id, "status",
                  "active", "names", names, "certificate", leaf, "chain", chain, "not_after",
                  not_after, "renew_after", renew_after);
    if (!j)
        lc_fail(err, LC_E_NOMEM, "out of memory");
out:
    BIO_free(bio);
    free(leaf);
    free(chain);
    json_decref(names);
    return j;
}

void http_renew_post(struct reply *out, const struct route_request *req)
{
    struct http_renew *r = req->svc->renew;
    struct signer s;
    struct name_list current;
    struct issue_result res;
    struct lc_err err;
    const json_t *csr;
    json_t *body = NULL;
    int64_t now = (int64_t)time(NULL);
    int rc;

    memset(&s, 0, sizeof(s));
    memset(&res, 0, sizeof(res));
    memset(&current, 0, sizeof(current));
    if (!r) {
        reply_problem(out, 503, "Service Unavailable", "renewal is not running");
        return;
    }
    pthread_mutex_lock(&r->lock);
    if ((rc = store_begin(r->store, &err)) != LC_OK) {
        store_failed(out, "renewal", &err);
        goto out;
    }
    if (!check_signer(r, out, &s, req, now))
        goto out;
    csr = json_object_get(s.jws.payload, "csr");
    if (!json_is_string(csr) || json_string_length(csr) == 0) {
        reply_problem(out, 400, "Bad Request", "the payload needs csr: a PEM certificate request");
        goto out;
    }
    if ((rc = store_cert_names_each(r->store, s.serial, collect_name, &current, &err)) != LC_OK) {
        store_failed(out, "renewal", &err);
        goto out;
    }
    struct issue_request ir = {
        .csr = (const uint8_t *)json_string_value(csr),
        .csr_len = json_string_length(csr),
        .device_id = s.device_id,
        .renew_names = current.ptrs,
        .n_renew_names = current.n,
    };
    if ((rc = issuer_issue(&r->issuer, &res, &ir, &err)) != LC_OK) {
        refuse_issue(out, rc, &err);
        goto out;
    }
    /* On disk before anyone hears of it. */
    if ((rc = store_commit(r->store, &err)) != LC_OK) {
        store_failed(out, "renewal", &err);
        goto out;
    }
    if (!(body = issued_body(r, &res, &err))) {
        log_msg(LOG_ERR, "renewal: %s", err.msg);
        reply_problem(out, 500, "Internal Server Error",
                      "the certificate was issued but could not be encoded; renew again");
        goto out;
    }
    log_msg(LOG_INFO, "renewal: device %lld, %zu names, valid until %lld", (long long)s.device_id,
            res.names.n_names, (long long)res.not_after);
    reply_json(out, 201, body);
out:
    store_rollback(r->store); /* nothing left to undo after a commit */
    pthread_mutex_unlock(&r->lock);
    issue_result_cleanup(&res);
    signer_cleanup(&s);
}

/* ---- PUT /api/v1/names/{name} --------------------------------------------------- */

/* read_addresses checks the payload's addresses: 1..DNS_MAX_ADDRS, each in
 * the allowed ranges, duplicates dropped. False with |out| the refusal. */
static bool read_addresses(struct http_renew *r, struct reply *out, const json_t *arr,
                           struct lc_addr addrs[DNS_MAX_ADDRS], size_t *n_addrs)
{
    char detail[160];
    size_t i;
    json_t *v;
    *n_addrs = 0;
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > DNS_MAX_ADDRS) {
        snprintf(detail, sizeof(detail), "the payload needs addresses: a list of 1 to %d addresses",
                 DNS_MAX_ADDRS);
        reply_problem(out, 400, "Bad Request", detail);
        return false;
    }
    json_array_foreach(arr, i, v) {
        struct lc_addr a;
        bool dup = false;
        if (!json_is_string(v) ||
            !addr_parse(&a, json_string_value(v), json_string_length(v))) {
            reply_problem(out, 400, "Bad Request", "addresses[] holds something not an IP address");
            return false;
        }
        if (!prefix_set_contains(&r->conf.allow, &a)) {
            snprintf(detail, sizeof(detail), "%.60s is outside the gateway's allowed ranges",
                     json_string_value(v));
            reply_problem(out, 403, "Forbidden", detail);
            return false;
        }
        for (size_t k = 0; k < *n_addrs; k++)
            dup = dup || addr_equal(&addrs[k], &a);
        if (!dup)
            addrs[(*n_addrs)++] = a;
    }
    return true;
}

/* target_name turns the path segment into a friendly name of our zone: a
 * single label is taken under the zone. False with |out| the refusal. */
static bool target_name(struct http_renew *r, struct reply *out, const struct route_request *req,
                        char name[LC_NAME_MAX + 1])
{
    char raw[LC_NAME_MAX + 2], fqdn[2 * LC_NAME_MAX + 8];
    struct name_info info;
    struct lc_err err;
    if (req->param_len == 0 || req->param_len > LC_NAME_MAX) {
        reply_problem(out, 400, "Bad Request", "the path ends in a name of 1 to 253 characters");
        return false;
    }
    memcpy(raw, req->param, req->param_len);
    raw[req->param_len] = '\0';
    if (!strchr(raw, '.'))
        snprintf(fqdn, sizeof(fqdn), "%s.%s", raw, r->conf.zone);
    else
        snprintf(fqdn, sizeof(fqdn), "%s", raw);
    if (name_normalize(name, fqdn, strlen(fqdn), &err) != LC_OK) {
        reply_problem(out, 400, "Bad Request", err.msg);
        return false;
    }
    name_classify(&info, name, r->conf.zone, r->conf.gateway_name);
    if (info.kind != NAME_FRIENDLY) {
        reply_problem(out, 403, "Forbidden",
                      "only a friendly name (one label under the zone, not a hex name) moves");
        return false;
    }
    return true;
}

void http_names_put(struct reply *out, const struct route_request *req)
{
    struct http_renew *r = req->svc->renew;
    struct signer s;
    struct store_name held;
    struct lc_err err;
    struct lc_addr addrs[DNS_MAX_ADDRS];
    uint8_t raw[DNS_MAX_ADDRS][16];
    const uint8_t *raw_ptrs[DNS_MAX_ADDRS];
    size_t raw_lens[DNS_MAX_ADDRS], n_addrs = 0;
    char name[LC_NAME_MAX + 1];
    int64_t now = (int64_t)time(NULL);
    bool committed = false;
    json_t *list = NULL;
    int rc;

    memset(&s, 0, sizeof(s));
    if (!r) {
        reply_problem(out, 503, "Service Unavailable", "name updates are not running");
        return;
    }
    if (!target_name(r, out, req, name))
        return;
    pthread_mutex_lock(&r->lock);
    if ((rc = store_begin(r->store, &err)) != LC_OK) {
        store_failed(out, "name update", &err);
        goto out;
    }
    if (!check_signer(r, out, &s, req, now))
        goto out;
    if (!read_addresses(r, out, json_object_get(s.jws.payload, "addresses"), addrs, &n_addrs))
        goto out;
    rc = store_name_get(r->store, &held, name, &err);
    if (rc == LC_E_NOTFOUND) {
        reply_problem(out, 404, "Not Found", "no device holds this name");
        goto out;
    }
    if (rc != LC_OK) {
        store_failed(out, "name update", &err);
        goto out;
    }
    if (held.device_id != s.device_id || held.is_hex) {
        reply_problem(out, 403, "Forbidden", "this name is held by another device");
        goto out;
    }
    for (size_t i = 0; i < n_addrs; i++) {
        raw_lens[i] = addr_len(&addrs[i]);
        memcpy(raw[i], addrs[i].b, raw_lens[i]);
        raw_ptrs[i] = raw[i];
    }
    if ((rc = store_name_set_addrs(r->store, name, raw_ptrs, raw_lens, n_addrs, &err)) != LC_OK ||
        (rc = store_commit(r->store, &err)) != LC_OK) {
        store_failed(out, "name update", &err);
        goto out;
    }
    committed = true;
    /* The store is the truth; DNS follows it at once. */
    if (r->records && dns_records_set_addrs(r->records, name, addrs, n_addrs, &err) != LC_OK)
        log_msg(LOG_ERR, "name update: %s committed, DNS not updated: %s", name, err.msg);
out:
    store_rollback(r->store);
    pthread_mutex_unlock(&r->lock);
    if (committed) {
        list = json_array();
        for (size_t i = 0; list && i < n_addrs; i++) {
            char text[LC_ADDR_STRLEN];
            addr_format(text, &addrs[i]);
            json_array_append_new(list, json_string(text));
        }
        log_msg(LOG_INFO, "name update: %s moved to %zu addresses by device %lld", name, n_addrs,
                (long long)s.device_id);
        reply_json(out, 200, json_pack("{s:s, s:o}", "name", name, "addresses", list));
    }
    signer_cleanup(&s);
}
