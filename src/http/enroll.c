/* enroll.c — the enrolment service: GET ca, POST enroll, GET enroll/{id},
 * and the issuance step the admin's approval shares (internal.h). */
#include "http/enroll.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ca/csr.h"
#include "ca/enroll.h"
#include "core/log.h"
#include "core/metrics.h"
#include "dns/records.h"
#include "http/internal.h"
#include "http/routes.h"

#define DEVICE_KEY_ALGORITHM "hmac-sha256"

static void *enroll_worker(void *arg);

int http_enroll_new(struct http_enroll **out, const struct lc_conf *conf,
                    struct dns_records *records, http_admin_changed_fn changed, void *ctx,
                    struct lc_err *err)
{
    struct http_enroll *e = calloc(1, sizeof(*e));
    int rc;
    if (!e)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    e->conf = *conf;
    if ((rc = store_open(&e->store, e->conf.state_dir, err)) != LC_OK ||
        (rc = ca_load(&e->ca, e->conf.state_dir, err)) != LC_OK) {
        store_free(e->store);
        free(e);
        return rc;
    }
    issuer_init(&e->issuer, e->ca, e->store, &e->conf);
    pthread_mutex_init(&e->lock, NULL);
    pthread_mutex_init(&e->queue_lock, NULL);
    pthread_cond_init(&e->queue_wake, NULL);
    e->records = records;
    e->changed = changed;
    e->changed_ctx = ctx;
    /* Without the worker every enrolment runs inline, one commit each. */
    e->worker_running = pthread_create(&e->worker, NULL, enroll_worker, e) == 0;
    if (!e->worker_running)
        log_msg(LOG_WARNING, "enrolment api: no issuing worker; enrolments commit one by one");
    *out = e;
    return LC_OK;
}

void http_enroll_quiesce(struct http_enroll *e)
{
    bool running;
    if (!e)
        return;
    pthread_mutex_lock(&e->queue_lock);
    e->stopping = true;
    running = e->worker_running;
    pthread_cond_signal(&e->queue_wake);
    pthread_mutex_unlock(&e->queue_lock);
    if (!running)
        return;
    pthread_join(e->worker, NULL); /* it answers what is queued first */
    pthread_mutex_lock(&e->queue_lock);
    e->worker_running = false;
    pthread_mutex_unlock(&e->queue_lock);
}

int http_enroll_reload(struct http_enroll *e, const struct lc_conf *conf, struct lc_err *err)
{
    struct ca *ca = NULL, *old;
    int rc;
    if ((rc = ca_load(&ca, e->conf.state_dir, err)) != LC_OK)
        return rc;
    pthread_mutex_lock(&e->lock);
    old = e->ca;
    e->ca = ca;
    e->conf = *conf;
    issuer_init(&e->issuer, e->ca, e->store, &e->conf);
    pthread_mutex_unlock(&e->lock);
    ca_free(old);
    return LC_OK;
}

void http_enroll_free(struct http_enroll *e)
{
    if (!e)
        return;
    http_enroll_quiesce(e);
    store_free(e->store);
    ca_free(e->ca);
    pthread_mutex_destroy(&e->lock);
    pthread_mutex_destroy(&e->queue_lock);
    pthread_cond_destroy(&e->queue_wake);
    free(e);
}

/* ---- shared with devices.c ------------------------------------------------ */

void enroll_store_failed(struct reply *out, const struct lc_err *err)
{
    log_msg(LOG_ERR, "enrolment api: %s", err->msg);
    reply_problem(out, 500, "Internal Server Error", "the gateway failed; see its log");
}

/* printable copies |in| with every byte outside visible ASCII as '?':
 * messages may quote a CSR's bytes, and jansson takes UTF-8 only. */
static void printable(char *out, size_t out_len, const char *in)
{
    size_t i = 0;
    for (; in[i] != '\0' && i + 1 < out_len; i++)
        out[i] = ((unsigned char)in[i] >= 0x20 && (unsigned char)in[i] < 0x7f) ? in[i] : '?';
    out[i] = '\0';
}

bool enroll_refused(int rc)
{
    switch (rc) {
    case LC_E_PERM:
    case LC_E_ADDRESS:
    case LC_E_NAME_TAKEN:
    case LC_E_TOO_BIG:
    case LC_E_MALFORMED:
    case LC_E_SIGNATURE:
    case LC_E_KEY:
    case LC_E_ZONE:
    case LC_E_WILDCARD:
    case LC_E_RESERVED:
    case LC_E_TOO_MANY:
        return true;
    default:
        return false;
    }
}

void enroll_refusal(struct reply *out, int rc, const struct lc_err *err)
{
    char detail[sizeof(err->msg)];
    printable(detail, sizeof(detail), err->msg);
    switch (rc) {
    case LC_E_PERM:
    case LC_E_ADDRESS:
        reply_problem(out, 403, "Forbidden", detail);
        break;
    case LC_E_NAME_TAKEN:
        reply_problem(out, 409, "Conflict", detail);
        break;
    case LC_E_TOO_BIG:
        reply_problem(out, 413, "Content Too Large", detail);
        break;
    case LC_E_MALFORMED:
    case LC_E_SIGNATURE:
    case LC_E_KEY:
    case LC_E_ZONE:
    case LC_E_WILDCARD:
    case LC_E_RESERVED:
    case LC_E_TOO_MANY:
        reply_problem(out, 400, "Bad Request", detail);
        break;
    default:
        enroll_store_failed(out, err);
    }
}

void enroll_time_format(char out[32], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "1970-01-01T00:00:00Z");
}

json_t *enroll_time_json(int64_t t)
{
    char text[32];
    enroll_time_format(text, t);
    return json_string(text);
}

bool enroll_id_parse(int64_t *out, const char *text, size_t len)
{
    int64_t v = 0;
    if (len == 0 || len > 18 || text[0] == '0')
        return false; /* 18 digits stay below 2^63 */
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)text[i]))
            return false;
        v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
}

json_t *enroll_body_parse(struct reply *out, const struct route_request *req)
{
    json_error_t jerr;
    char detail[200];
    json_t *j = req->body_len ? json_loadb((const char *)req->body, req->body_len,
                                           JSON_REJECT_DUPLICATES, &jerr)
                              : NULL;
    if (!req->body_len) {
        reply_problem(out, 400, "Bad Request", "the request needs a JSON object as its body");
    } else if (!j) {
        snprintf(detail, sizeof(detail), "the body is not JSON: %.80s (line %d, column %d)",
                 jerr.text, jerr.line, jerr.column);
        printable(detail, sizeof(detail), detail);
        reply_problem(out, 400, "Bad Request", detail);
    } else if (!json_is_object(j)) {
        json_decref(j);
        j = NULL;
        reply_problem(out, 400, "Bad Request", "the body must be a JSON object");
    }
    return j;
}

void enroll_issued_cleanup(struct enroll_issued *r)
{
    issue_result_cleanup(&r->cert);
    store_dns_key_cleanup(&r->key);
    r->key_out = false;
}

/* point_friendly gives the friendly names of |names| that have no address
 * yet the address |peer| asked from, when the policy allows it. */
static int point_friendly(struct http_enroll *e, const struct policy_names *names,
                          const struct lc_addr *peer, struct lc_err *err)
{
    const uint8_t *addr = peer->b;
    size_t plen = addr_len(peer);
    int rc;
    if (!prefix_set_contains(&e->conf.allow, peer))
        return LC_OK;
    for (size_t i = 0; i < names->n_names; i++) {
        struct store_name n;
        if (names->is_hex[i])
            continue;
        if ((rc = store_name_get(e->store, &n, names->names[i], err)) != LC_OK)
            return rc;
        if (n.n_addrs == 0 &&
            (rc = store_name_set_addrs(e->store, names->names[i], &addr, &plen, 1, err)) != LC_OK)
            return rc;
    }
    return LC_OK;
}

/* same_peer is true when the raw |peer| of an enrolment row is |a|. */
static bool same_peer(const struct store_enrollment *row, const struct lc_addr *a)
{
    return row->peer_len == addr_len(a) && memcmp(row->peer, a->b, row->peer_len) == 0;
}

int enroll_issue_for(struct http_enroll *e, struct enroll_issued *out, const uint8_t *csr,
                     size_t csr_len, const struct csr *parsed, const struct lc_addr *peer,
                     bool key_shown, struct lc_err *err)
{
    struct issue_request ir = {.csr = csr, .csr_len = csr_len, .parsed = parsed};
    struct store_enrollment row, prev;
    char key_name[sizeof(out->key.name)];
    bool made = false, unfetched = false;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&row, 0, sizeof(row));
    memset(&prev, 0, sizeof(prev));
    if ((rc = issuer_issue(&e->issuer, &out->cert, &ir, err)) != LC_OK)
        return rc;
    if ((rc = store_device_set_status(e->store, out->cert.device_id, STORE_DEVICE_ACTIVE, err)) !=
            LC_OK ||
        (rc = point_friendly(e, &out->cert.names, peer, err)) != LC_OK)
        goto out;
    /* A key an approval made and nobody fetched still goes, once, to the
     * address that asked, even when it asks by enrolling again. */
    rc = store_enrollment_get(e->store, &prev, out->cert.device_id, err);
    if (rc != LC_OK && rc != LC_E_NOTFOUND)
        goto out;
    unfetched = rc == LC_OK && !prev.key_fetched && same_peer(&prev, peer);
    store_enrollment_cleanup(&prev);
    /* The update key is made once per device and shown at most once. */
    snprintf(key_name, sizeof(key_name), "%lld." STORE_DEVICE_KEY_SUFFIX,
             (long long)out->cert.device_id);
    rc = store_dns_key_get(e->store, &out->key, key_name, err);
    if (rc == LC_E_NOTFOUND) {
        rc = store_dns_key_make(e->store, &out->key, NULL, DEVICE_KEY_ALGORITHM,
                                out->cert.device_id, err);
        made = rc == LC_OK;
    }
    if (rc != LC_OK)
        goto out;
    out->key_out = key_shown && (made || unfetched);
    if (!out->key_out)
        store_dns_key_cleanup(&out->key);
    row.device_id = out->cert.device_id;
    row.csr = csr;
    row.csr_len = csr_len;
    enroll_names_join(row.names, &out->cert.names);
    row.peer_len = addr_len(peer);
    memcpy(row.peer, peer->b, row.peer_len);
    /* Fetched when it goes out now, or when it was made earlier and is not
     * waiting for this address. */
    row.key_fetched = out->key_out || (!made && !unfetched);
    rc = store_enrollment_put(e->store, &row, err);
out:
    if (rc != LC_OK)
        enroll_issued_cleanup(out);
    return rc;
}

void enroll_dns_publish(struct http_enroll *e, const struct policy_names *names)
{
    struct lc_err err;
    for (size_t i = 0; e->records && i < names->n_names; i++) {
        struct store_name n;
        struct lc_addr addrs[STORE_NAME_MAX_ADDRS];
        size_t n_addrs = 0;
        if (names->is_hex[i])
            continue;
        if (store_name_get(e->store, &n, names->names[i], &err) != LC_OK) {
            log_msg(LOG_ERR, "enrolment api: DNS for %s: %s", names->names[i], err.msg);
            continue;
        }
        for (size_t k = 0; k < n.n_addrs && n_addrs < DNS_MAX_ADDRS; k++)
            if (addr_from_bytes(&addrs[n_addrs], n.addrs[k], n.addr_lens[k]))
                n_addrs++;
        if (dns_records_set_addrs(e->records, names->names[i], addrs, n_addrs, &err) != LC_OK)
            log_msg(LOG_ERR, "enrolment api: DNS for %s: %s", names->names[i], err.msg);
    }
}

/* ---- answers ---------------------------------------------------------------- */

/* x509_pem returns |x| as a new PEM string, or NULL. */
static char *x509_pem(X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data, *text = NULL;
    long len;
    if (bio && PEM_write_bio_X509(bio, x) && (len = BIO_get_mem_data(bio, &data)) > 0 &&
        (text = malloc((size_t)len + 1))) {
        memcpy(text, data, (size_t)len);
        text[len] = '\0';
    }
    BIO_free(bio);
    return text;
}

/* key_json is {name, algorithm, secret}: the secret in base64, as
 * `nsupdate -y algorithm:name:secret` and dyndns2 clients take it. */
static json_t *key_json(const struct store_dns_key *k)
{
    unsigned char b64[4 * ((STORE_DNS_SECRET_MAX + 2) / 3) + 1];
    json_t *j;
    EVP_EncodeBlock(b64, k->secret, (int)k->secret_len);
    j = json_pack("{s:s, s:s, s:s}", "name", k->name, "algorithm", k->algorithm, "secret",
                  (const char *)b64);
    OPENSSL_cleanse(b64, sizeof(b64));
    return j;
}

/* issued_body is the 201 body of POST enroll (and GET enroll/{id}): |names|
 * is taken over; |key| (may be NULL) is the update key to hand out. */
static json_t *issued_body(struct http_enroll *e, int64_t id, X509 *cert, json_t *names,
                           int64_t not_before, int64_t not_after, const struct store_dns_key *key,
                           struct lc_err *err)
{
    char *pem = x509_pem(cert), *chain = NULL;
    size_t chain_len;
    json_t *j = NULL;
    if (!pem || !names) {
        lc_fail(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    if (ca_chain_pem(&chain, &chain_len, e->ca, NULL, err) != LC_OK)
        goto out;
    j = json_pack("{s:I, s:s, s:O, s:s, s:s, s:o, s:o}", "id", (json_int_t)id, "status", "active",
                  "names", names, "certificate", pem, "chain", chain, "not_after",
                  enroll_time_json(not_after), "renew_after",
                  enroll_time_json(not_before + (not_after - not_before) * 2 / 3));
    if (j && key && json_object_set_new(j, "update_key", key_json(key)) != 0) {
        json_decref(j);
        j = NULL;
    }
    if (!j)
        lc_fail(err, LC_E_NOMEM, "out of memory");
out:
    json_decref(names);
    free(pem);
    free(chain);
    return j;
}

static json_t *names_json(const struct policy_names *names)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < names->n_names; i++)
        if (json_array_append_new(a, json_string(names->names[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

void http_enroll_ca(struct reply *out, const struct route_request *req)
{
    struct http_enroll *e = req->svc->enroll;
    char fp[CA_FINGERPRINT_LEN], *root = NULL, *chain = NULL, *full = NULL;
    size_t chain_len;
    struct lc_err err;
    if (!e) {
        reply_problem(out, 503, "Service Unavailable", "the enrolment API is not running");
        return;
    }
    pthread_mutex_lock(&e->lock);
    X509 *anchor = ca_anchor(e->ca);
    ca_fingerprint(fp, anchor);
    if (!(root = x509_pem(anchor)) || ca_chain_pem(&chain, &chain_len, e->ca, NULL, &err) != LC_OK) {
        lc_fail(&err, LC_E_NOMEM, "encoding the CA");
        enroll_store_failed(out, &err);
        goto out;
    }
    /* ca_chain_pem stops below the root; this chain ends with it. */
    if (anchor != ca_cert(e->ca)) {
        if (!(full = malloc(chain_len + strlen(root) + 1))) {
            reply_problem(out, 500, "Internal Server Error", "out of memory");
            goto out;
        }
        memcpy(full, chain, chain_len);
        memcpy(full + chain_len, root, strlen(root) + 1);
    }
    reply_json(out, 200, json_pack("{s:s, s:s, s:s, s:s}", "zone", e->conf.zone, "root", root,
                                   "chain", full ? full : chain, "fingerprint_sha256", fp));
out:
    pthread_mutex_unlock(&e->lock);
    free(root);
    free(chain);
    free(full);
}

_Static_assert(HTTP_FINGERPRINT_LEN == CA_FINGERPRINT_LEN, "the fingerprint's size");

void http_enroll_root(struct http_enroll *e, char zone[LC_NAME_MAX + 1],
                      char fingerprint[HTTP_FINGERPRINT_LEN])
{
    pthread_mutex_lock(&e->lock);
    snprintf(zone, LC_NAME_MAX + 1, "%s", e->conf.zone);
    ca_fingerprint(fingerprint, ca_anchor(e->ca));
    pthread_mutex_unlock(&e->lock);
}

/* What POST enroll asks for; borrowed from the request. */
struct enroll_ask {
    const uint8_t *csr;
    size_t csr_len;
    const char *token; /* NULL without one */
    size_t token_len;
    struct lc_addr peer;
};

struct enroll_done {
    enum enroll_verdict verdict;
    int64_t device_id;
    struct enroll_issued issued; /* ENROLL_ISSUE */
};

/* gather_facts reads what enroll_decide needs about |csr|'s key and names,
 * inside the open transaction; |*tok| is the token when one came. */
static int gather_facts(struct http_enroll *e, struct enroll_facts *f, struct store_token *tok,
                        const struct csr *csr, const struct policy_names *names,
                        const struct enroll_ask *ask, struct lc_err *err)
{
    struct store_device d;
    uint8_t hash[STORE_TOKEN_HASH_LEN];
    int rc;
    memset(f, 0, sizeof(*f));
    f->mode = e->conf.enroll_policy;
    f->peer = ask->peer;
    rc = store_device_by_key(e->store, &d, csr->key_id, err);
    if (rc == LC_OK) {
        f->device_id = d.id;
        f->device_status = d.status;
    } else if (rc != LC_E_NOTFOUND) {
        return rc;
    }
    for (size_t i = 0; i < names->n_names; i++) {
        struct store_name n;
        rc = store_name_get(e->store, &n, names->names[i], err);
        if (rc == LC_OK)
            f->holder[i] = n.device_id;
        else if (rc != LC_E_NOTFOUND)
            return rc;
    }
    if (!ask->token)
        return LC_OK;
    enroll_token_hash(hash, ask->token, ask->token_len);
    rc = store_token_find(e->store, tok, hash, err);
    if (rc == LC_E_NOTFOUND)
        return lc_fail(err, LC_E_PERM, "the enrolment token is not one the admin made");
    if (rc != LC_OK || (rc = enroll_token_usable(tok, (int64_t)time(NULL), err)) != LC_OK)
        return rc;
    f->token_names = tok->names;
    return LC_OK;
}

/* enroll_one is one enrolment, from CSR bytes to an outcome inside the
 * batch's open transaction: the decision, then either a certificate (with
 * the token spent) or a pending request, under a savepoint of its own, so a
 * refusal changes nothing while the rest of the batch commits. Runs with
 * the lock held. */
static int enroll_one(struct http_enroll *e, struct enroll_done *out, const struct enroll_ask *ask,
                      struct lc_err *err)
{
    struct csr csr;
    struct policy_names names;
    struct enroll_facts facts;
    struct store_token tok;
    const char *csr_names[CSR_MAX_NAMES];
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&csr, 0, sizeof(csr));
    if ((rc = csr_parse(&csr, ask->csr, ask->csr_len, err)) != LC_OK)
        return rc;
    for (size_t i = 0; i < csr.n_names; i++)
        csr_names[i] = csr.names[i];
    if ((rc = policy_check(&e->issuer.policy, &names, csr_names, csr.n_names, csr.ips, csr.n_ips,
                           err)) != LC_OK ||
        (rc = store_savepoint(e->store, err)) != LC_OK)
        goto out;
    if ((rc = gather_facts(e, &facts, &tok, &csr, &names, ask, err)) != LC_OK ||
        (rc = enroll_decide(&out->verdict, &names, &facts, err)) != LC_OK)
        goto fail;
    if (out->verdict == ENROLL_PENDING) {
        struct store_enrollment row = {.csr = ask->csr, .csr_len = ask->csr_len};
        out->device_id = facts.device_id;
        if (!out->device_id &&
            (rc = store_device_add(e->store, &out->device_id, csr.key_id, STORE_DEVICE_PENDING,
                                   err)) != LC_OK)
            goto fail;
        row.device_id = out->device_id;
        enroll_names_join(row.names, &names);
        row.peer_len = addr_len(&ask->peer);
        memcpy(row.peer, ask->peer.b, row.peer_len);
        if ((rc = store_enrollment_put(e->store, &row, err)) != LC_OK)
            goto fail;
    } else {
        if ((rc = enroll_issue_for(e, &out->issued, ask->csr, ask->csr_len, &csr, &ask->peer,
                                   true, err)) != LC_OK)
            goto fail;
        out->device_id = out->issued.cert.device_id;
        /* Spent in the transaction that issues: a crash loses both or neither. */
        if (ask->token &&
            (rc = store_token_use(e->store, tok.id, (int64_t)time(NULL), err)) != LC_OK) {
            if (rc == LC_E_EXISTS) /* another handle spent it since gather_facts */
                rc = lc_fail(err, LC_E_PERM, "this enrolment token was used already");
            goto fail;
        }
    }
    if ((rc = store_release(e->store, err)) != LC_OK)
        goto fail;
    goto out;
fail:
    store_rollback_to(e->store);
    enroll_issued_cleanup(&out->issued);
out:
    csr_cleanup(&csr);
    return rc;
}

/* enroll_answer fills |out| for a committed |done|. */
static void enroll_answer(struct http_enroll *e, struct reply *out, struct enroll_done *done)
{
    struct lc_err err;
    json_t *j;
    if (done->verdict == ENROLL_PENDING) {
        log_msg(LOG_INFO, "enrolment api: device %lld waits for approval", (long long)done->device_id);
        reply_json(out, 202, json_pack("{s:I, s:s}", "id", (json_int_t)done->device_id, "status",
                                       "pending"));
        return;
    }
    enroll_dns_publish(e, &done->issued.cert.names);
    log_msg(LOG_INFO, "enrolment api: device %lld enrolled for %s%s", (long long)done->device_id,
            done->issued.cert.names.names[0], done->issued.cert.names.n_names > 1 ? " and more" : "");
    j = issued_body(e, done->device_id, done->issued.cert.cert, names_json(&done->issued.cert.names),
                    done->issued.cert.not_before, done->issued.cert.not_after,
                    done->issued.key_out ? &done->issued.key : NULL, &err);
    if (j)
        reply_json(out, 201, j);
    else
        enroll_store_failed(out, &err);
}

/* count_outcome adds an answered enrolment to /metrics by its status. */
static void count_outcome(unsigned status)
{
    if (status == 201)
        metrics_enroll_done(METRICS_ENROLL_ISSUED);
    else if (status == 202)
        metrics_enroll_done(METRICS_ENROLL_PENDING);
    else if (status >= 500)
        metrics_enroll_done(METRICS_ENROLL_ERROR);
    else
        metrics_enroll_done(METRICS_ENROLL_REFUSED);
}

/* ---- the issuing worker: group commits ------------------------------------- */

/* One POST enroll on its way through the worker's queue. */
struct enroll_job {
    json_t *body;        /* owned: |ask| points into it */
    struct enroll_ask ask;
    struct reply_waiter *waiter; /* NULL: answered inline */
    int rc;
    struct lc_err err;
    struct enroll_done done;
    struct reply reply;
    struct enroll_job *next;
};

static void job_free(struct enroll_job *j)
{
    json_decref(j->body);
    enroll_issued_cleanup(&j->done.issued);
    reply_cleanup(&j->reply);
    free(j);
}

/* enroll_batch issues the list |jobs| under one transaction, each in its
 * own savepoint, commits once (one fsync for all of them) and only then
 * fills each job's reply: nothing is handed out before it is durable. A
 * store failure (not a refusal) fails the whole batch: SQLite may have
 * rolled the transaction back already. */
static void enroll_batch(struct http_enroll *e, struct enroll_job *jobs)
{
    struct lc_err err;
    struct enroll_job *j;
    size_t n = 0;
    int rc;

    pthread_mutex_lock(&e->lock);
    rc = store_begin(e->store, &err);
    for (j = jobs; j && rc == LC_OK; j = j->next, n++) {
        j->rc = enroll_one(e, &j->done, &j->ask, &j->err);
        if (j->rc != LC_OK && !enroll_refused(j->rc)) {
            rc = j->rc;
            err = j->err;
        }
    }
    if (rc == LC_OK && (rc = store_commit(e->store, &err)) == LC_OK)
        log_msg(LOG_DEBUG, "enrolment api: committed %zu enrolments in one transaction", n);
    if (rc != LC_OK) {
        store_rollback(e->store);
        for (j = jobs; j; j = j->next)
            if (j->rc == LC_OK || !enroll_refused(j->rc)) {
                enroll_issued_cleanup(&j->done.issued);
                j->rc = rc;
                j->err = err;
            }
    }
    for (j = jobs; j; j = j->next) {
        if (j->rc == LC_OK)
            enroll_answer(e, &j->reply, &j->done);
        else
            enroll_refusal(&j->reply, j->rc, &j->err);
        enroll_issued_cleanup(&j->done.issued);
        count_outcome(j->reply.status);
    }
    pthread_mutex_unlock(&e->lock);
}

/* enroll_worker takes everything queued, issues it as one batch, hands
 * the replies to their waiters, and sleeps when the queue is empty. While
 * it commits, new requests queue up: the busier, the bigger the batches. */
static void *enroll_worker(void *arg)
{
    struct http_enroll *e = arg;
    struct enroll_job *jobs, *next;
    pthread_mutex_lock(&e->queue_lock);
    for (;;) {
        while (!e->queue_head && !e->stopping)
            pthread_cond_wait(&e->queue_wake, &e->queue_lock);
        if (!e->queue_head)
            break; /* stopping, and all answered */
        jobs = e->queue_head;
        e->queue_head = e->queue_tail = NULL;
        pthread_mutex_unlock(&e->queue_lock);
        enroll_batch(e, jobs);
        for (; jobs; jobs = next) {
            next = jobs->next;
            jobs->waiter->done(jobs->waiter, &jobs->reply);
            job_free(jobs);
        }
        pthread_mutex_lock(&e->queue_lock);
    }
    pthread_mutex_unlock(&e->queue_lock);
    return NULL;
}

/* enroll_enqueue hands |j| to the worker; false when it is not running. */
static bool enroll_enqueue(struct http_enroll *e, struct enroll_job *j)
{
    bool queued = false;
    pthread_mutex_lock(&e->queue_lock);
    if (e->worker_running && !e->stopping) {
        if (e->queue_tail)
            e->queue_tail->next = j;
        else
            e->queue_head = j;
        e->queue_tail = j;
        pthread_cond_signal(&e->queue_wake);
        queued = true;
    }
    pthread_mutex_unlock(&e->queue_lock);
    return queued;
}

void http_enroll_post(struct reply *out, const struct route_request *req)
{
    struct http_enroll *e = req->svc->enroll;
    struct enroll_job *j;
    json_t *body, *csr, *token;

    if (!e) {
        reply_problem(out, 503, "Service Unavailable", "the enrolment API is not running");
        return;
    }
    if (!(body = enroll_body_parse(out, req))) {
        count_outcome(out->status);
        return;
    }
    csr = json_object_get(body, "csr");
    token = json_object_get(body, "token");
    if (!json_is_string(csr) || json_string_length(csr) == 0) {
        reply_problem(out, 400, "Bad Request", "\"csr\" must be a PEM certificate request (a string)");
        goto refused;
    }
    if (token && !json_is_string(token)) {
        reply_problem(out, 400, "Bad Request", "\"token\" must be a string, as POST /api/v1/tokens made it");
        goto refused;
    }
    if (!(j = calloc(1, sizeof(*j)))) {
        reply_problem(out, 500, "Internal Server Error", "out of memory");
        goto refused;
    }
    j->body = body;
    j->ask.peer = req->peer;
    j->ask.csr = (const uint8_t *)json_string_value(csr);
    j->ask.csr_len = json_string_length(csr);
    if (token) {
        j->ask.token = json_string_value(token);
        j->ask.token_len = json_string_length(token);
    }
    j->waiter = req->waiter;
    if (j->waiter && enroll_enqueue(e, j)) {
        out->deferred = true;
        return;
    }
    enroll_batch(e, j); /* a caller that cannot wait, or no worker: a batch of one */
    *out = j->reply;
    memset(&j->reply, 0, sizeof(j->reply));
    job_free(j);
    return;
refused:
    json_decref(body);
    count_outcome(out->status);
}

/* ---- GET enroll/{id} ------------------------------------------------------------ */

struct newest {
    struct store_cert cert; /* der owned */
    bool found;
    bool nomem;
};

static int pick_newest(void *ctx, const struct store_cert *c)
{
    struct newest *n = ctx;
    uint8_t *der;
    if (c->revoked_at != 0)
        return 0;
    if (!(der = malloc(c->der_len ? c->der_len : 1))) {
        n->nomem = true;
        return LC_E_NOMEM;
    }
    memcpy(der, c->der, c->der_len);
    n->cert = *c;
    n->cert.der = der;
    n->found = true;
    return 1; /* newest first: the first unrevoked one is it */
}

static int add_cert_name(void *ctx, const char *name)
{
    return json_array_append_new(ctx, json_string(name)) == 0 ? 0 : LC_E_NOMEM;
}

/* key_for_fetch reads device |id|'s update key when |peer| is the address
 * that enrolled and nobody fetched it yet, and marks it fetched (committed
 * before the answer). |*out_has| says whether |out| holds it. */
static int key_for_fetch(struct http_enroll *e, struct store_dns_key *out, bool *out_has, int64_t id,
                         const struct lc_addr *peer, struct lc_err *err)
{
    struct store_enrollment row;
    char key_name[sizeof(out->name)];
    int rc;
    *out_has = false;
    rc = store_enrollment_get(e->store, &row, id, err);
    if (rc == LC_E_NOTFOUND)
        return LC_OK;
    if (rc != LC_OK)
        return rc;
    store_enrollment_cleanup(&row);
    if (row.key_fetched || !same_peer(&row, peer))
        return LC_OK;
    snprintf(key_name, sizeof(key_name), "%lld." STORE_DEVICE_KEY_SUFFIX, (long long)id);
    if ((rc = store_begin(e->store, err)) != LC_OK)
        return rc;
    rc = store_dns_key_get(e->store, out, key_name, err);
    if (rc == LC_E_NOTFOUND) {
        store_rollback(e->store);
        return LC_OK;
    }
    if (rc != LC_OK || (rc = store_enrollment_key_fetched(e->store, id, err)) != LC_OK ||
        (rc = store_commit(e->store, err)) != LC_OK) {
        store_rollback(e->store);
        store_dns_key_cleanup(out);
        return rc;
    }
    *out_has = true;
    return LC_OK;
}

/* enroll_status answers GET enroll/{id} for an existing device |d|. */
static void enroll_status(struct http_enroll *e, struct reply *out, const struct store_device *d,
                          const struct lc_addr *peer)
{
    struct newest n;
    struct store_dns_key key;
    bool has_key = false;
    struct lc_err err;
    json_t *names = NULL, *j;
    X509 *cert = NULL;
    const unsigned char *p;
    int rc;

    memset(&n, 0, sizeof(n));
    memset(&key, 0, sizeof(key));
    if (d->status == STORE_DEVICE_PENDING) {
        reply_json(out, 200, json_pack("{s:I, s:s}", "id", (json_int_t)d->id, "status", "pending"));
        return;
    }
    if (d->status == STORE_DEVICE_REVOKED) {
        reply_problem(out, 403, "Forbidden",
                      "refused: the admin refused this request or revoked the device");
        return;
    }
    rc = store_device_certs_each(e->store, d->id, pick_newest, &n, &err);
    if (rc != LC_OK && rc != 1) {
        if (n.nomem)
            lc_fail(&err, LC_E_NOMEM, "out of memory");
        enroll_store_failed(out, &err);
        goto out;
    }
    if (!n.found) {
        reply_problem(out, 404, "Not Found", "this device has no valid certificate");
        goto out;
    }
    p = n.cert.der;
    if (!(cert = d2i_X509(NULL, &p, (long)n.cert.der_len)) || !(names = json_array())) {
        lc_fail(&err, LC_E_STORE, "a stored certificate does not decode");
        enroll_store_failed(out, &err);
        goto out;
    }
    if ((rc = store_cert_names_each(e->store, n.cert.serial, add_cert_name, names, &err)) != LC_OK ||
        (rc = key_for_fetch(e, &key, &has_key, d->id, peer, &err)) != LC_OK) {
        enroll_store_failed(out, &err);
        goto out;
    }
    j = issued_body(e, d->id, cert, names, n.cert.not_before, n.cert.not_after,
                    has_key ? &key : NULL, &err);
    names = NULL; /* taken */
    if (j)
        reply_json(out, 200, j);
    else
        enroll_store_failed(out, &err);
out:
    json_decref(names);
    X509_free(cert);
    free((void *)(uintptr_t)n.cert.der);
    store_dns_key_cleanup(&key);
}

void http_enroll_get(struct reply *out, const struct route_request *req)
{
    struct http_enroll *e = req->svc->enroll;
    struct store_device d;
    struct lc_err err;
    int64_t id;
    int rc;
    if (!e) {
        reply_problem(out, 503, "Service Unavailable", "the enrolment API is not running");
        return;
    }
    if (!enroll_id_parse(&id, req->param, req->param_len)) {
        reply_problem(out, 404, "Not Found", "an enrolment id is the number POST /api/v1/enroll gave");
        return;
    }
    pthread_mutex_lock(&e->lock);
    rc = store_device_get(e->store, &d, id, &err);
    if (rc == LC_E_NOTFOUND)
        reply_problem(out, 404, "Not Found", "no enrolment has this id");
    else if (rc != LC_OK)
        enroll_store_failed(out, &err);
    else
        enroll_status(e, out, &d, &req->peer);
    pthread_mutex_unlock(&e->lock);
}
