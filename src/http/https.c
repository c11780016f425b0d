/* https.c — libmicrohttpd with TLS on the HTTPS port. The certificate is
 * handed to GnuTLS per handshake from an immutable snapshot swapped under a
 * read-write lock, so a renewed certificate serves new connections without a
 * restart. Replaced snapshots are kept a while: GnuTLS uses the key and chain
 * it got from the callback for the rest of that handshake. */
#include "http/https.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "core/log.h"
#include "core/metrics.h"
#include "http/host.h"
#include "http/routes.h"

#define HTTPS_MAX_LISTENERS CONF_MAX_LISTEN
#define HTTPS_CONN_LIMIT 128
#define HTTPS_PER_IP_LIMIT 16 /* one address cannot take more than an eighth */
#define HTTPS_TIMEOUT_S 15    /* idle, handshake included */
#define HTTPS_MEMORY_LIMIT (32 * 1024) /* per connection: request line and headers */
#define HTTPS_MAX_CHAIN 8
#define HTTPS_RETIRE_S 300 /* far longer than any handshake may idle */

/* TLS 1.2 and 1.3 only; AEAD suites with ECDHE (forward secrecy) only; no
 * SHA-1 signatures. The server picks, so clients get the strongest they share. */
static const char tls_priorities[] =
    "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
    "-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:"
    "-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"
    "-SIGN-RSA-SHA1:-SIGN-DSA-SHA1:-SIGN-ECDSA-SHA1:%SERVER_PRECEDENCE";

static const char security_csp[] = "default-src 'none'; frame-ancestors 'none'";

/* What one publish installs: the configuration the Host check reads and the
 * TLS identity in GnuTLS's form. Never changed once published. */
struct https_snapshot {
    struct lc_conf conf;
    gnutls_pcert_st pcerts[HTTPS_MAX_CHAIN];
    unsigned n_pcerts;
    gnutls_privkey_t key;
    int64_t retired_at;
    struct https_snapshot *next_retired;
};

struct http_https {
    struct MHD_Daemon *daemons[HTTPS_MAX_LISTENERS];
    size_t n_daemons;
    pthread_rwlock_t lock;
    struct https_snapshot *current; /* NULL until the first publish */
    struct https_snapshot *retired; /* newest first */
    struct http_services svc;       /* borrowed services */
    pthread_mutex_t later_lock;     /* a deferred reply's hand-over, below */
};

/* One request's state, the request context libmicrohttpd keeps for us. */
struct https_request {
    bool answered; /* a refusal is queued; ignore the rest of the body */
    struct timespec start; /* the headers' arrival, for the latency histogram */
    uint8_t *body;
    size_t body_len;
    /* A deferred reply (struct reply_waiter): the route's worker stores
     * |later| and sets |later_ready|; when the connection was suspended
     * meanwhile it resumes it, and the next call sends |later|. Both flags
     * change under the listener's later_lock. */
    struct reply_waiter waiter;
    struct http_https *srv;
    struct MHD_Connection *conn;
    struct reply later;
    bool deferred, later_ready, suspended;
};

/* GnuTLS's retrieve callback takes no user pointer: the one listener. */
static struct http_https *serving;

static void snapshot_free(struct https_snapshot *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < s->n_pcerts; i++)
        gnutls_pcert_deinit(&s->pcerts[i]);
    if (s->key)
        gnutls_privkey_deinit(s->key);
    free(s);
}

static int snapshot_new(struct https_snapshot **out, const struct lc_conf *conf,
                        const struct gateway_cert *gc, struct lc_err *err)
{
    struct https_snapshot *s = calloc(1, sizeof(*s));
    gnutls_datum_t chain, key;
    unsigned n = HTTPS_MAX_CHAIN;
    int grc, rc = LC_E_CRYPTO;

    if (!s)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    s->conf = *conf;
    chain.data = (unsigned char *)gc->chain_pem;
    chain.size = (unsigned)gc->chain_pem_len;
    key.data = (unsigned char *)gc->key_pem;
    key.size = (unsigned)gc->key_pem_len;
    if ((grc = gnutls_pcert_list_import_x509_raw(s->pcerts, &n, &chain, GNUTLS_X509_FMT_PEM, 0)) < 0) {
        rc = lc_fail(err, LC_E_CRYPTO, "loading the gateway chain into GnuTLS: %s",
                     gnutls_strerror(grc));
        goto out;
    }
    s->n_pcerts = n;
    if ((grc = gnutls_privkey_init(&s->key)) < 0 ||
        (grc = gnutls_privkey_import_x509_raw(s->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        rc = lc_fail(err, LC_E_CRYPTO, "loading the gateway key into GnuTLS: %s",
                     gnutls_strerror(grc));
        goto out;
    }
    *out = s;
    s = NULL;
    rc = LC_OK;
out:
    snapshot_free(s);
    return rc;
}

/* cert_callback hands GnuTLS the current chain and key for one handshake. */
static int cert_callback(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int n_req_ca_dn,
                         const gnutls_pk_algorithm_t *pk_algos, int n_pk_algos,
                         gnutls_pcert_st **out_pcert, unsigned int *out_n_pcert,
                         gnutls_privkey_t *out_key)
{
    struct http_https *srv = serving;
    int rc = -1;
    (void)session;
    (void)req_ca_dn;
    (void)n_req_ca_dn;
    (void)pk_algos;
    (void)n_pk_algos;
    if (!srv)
        return -1;
    pthread_rwlock_rdlock(&srv->lock);
    if (srv->current) {
        *out_pcert = srv->current->pcerts;
        *out_n_pcert = srv->current->n_pcerts;
        *out_key = srv->current->key;
        rc = 0;
    }
    pthread_rwlock_unlock(&srv->lock);
    return rc;
}

static uint64_t elapsed_us(const struct timespec *since)
{
    struct timespec now;
    int64_t us;
    clock_gettime(CLOCK_MONOTONIC, &now);
    us = (int64_t)(now.tv_sec - since->tv_sec) * 1000000 + (now.tv_nsec - since->tv_nsec) / 1000;
    return us > 0 ? (uint64_t)us : 0;
}

/* send_reply queues |r| for |req| and counts it in the metrics. */
static enum MHD_Result send_reply(struct MHD_Connection *conn, const struct https_request *req,
                                  const struct reply *r)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ok;
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
    MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Content-Security-Policy", r->csp ? r->csp : security_csp);
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (r->allow[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->www_authenticate)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, r->www_authenticate);
    ok = MHD_queue_response(conn, r->status, resp);
    MHD_destroy_response(resp);
    if (ok == MHD_YES)
        metrics_http_request(r->status, elapsed_us(&req->start));
    return ok;
}

static enum MHD_Result send_problem(struct MHD_Connection *conn, const struct https_request *req,
                                    unsigned status, const char *title, const char *detail)
{
    struct reply r;
    enum MHD_Result ok;
    memset(&r, 0, sizeof(r));
    reply_problem(&r, status, title, detail);
    ok = send_reply(conn, req, &r);
    reply_cleanup(&r);
    return ok;
}

/* declared_too_big: a Content-Length over the cap is refused before any
 * of the body is read. A malformed one is left to libmicrohttpd (400). */
static bool declared_too_big(struct MHD_Connection *conn)
{
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    char *end;
    unsigned long long n;
    if (!cl)
        return false;
    n = strtoull(cl, &end, 10);
    return end != cl && n > ROUTE_MAX_BODY;
}

static enum MHD_Result count_host(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    unsigned *n = cls;
    (void)kind;
    (void)value;
    if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
        (*n)++;
    return MHD_YES;
}

/* one_host_header: RFC 9110 7.2 allows one Host; with two, a proxy and this
 * server might each believe a different one. */
static bool one_host_header(struct MHD_Connection *conn)
{
    unsigned n = 0;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_host, &n);
    return n == 1;
}

/* first_call checks what the headers alone decide: the Host and the declared
 * body size. Returns true when a refusal was queued in |*ok|. */
static bool first_call(struct http_https *srv, struct MHD_Connection *conn,
                       const struct https_request *req, enum MHD_Result *ok)
{
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    enum http_host_owner owner = HOST_MALFORMED;
    pthread_rwlock_rdlock(&srv->lock);
    if (srv->current && one_host_header(conn))
        owner = http_host_owner(&srv->current->conf, host);
    pthread_rwlock_unlock(&srv->lock);
    if (owner == HOST_MALFORMED) {
        *ok = send_problem(conn, req, MHD_HTTP_BAD_REQUEST, "Bad Request",
                           "there must be one Host header, naming a host or an address");
        return true;
    }
    if (owner == HOST_OTHER) {
        /* DNS rebinding: a page of another origin whose name now points here. */
        *ok = send_problem(conn, req, MHD_HTTP_MISDIRECTED_REQUEST, "Misdirected Request",
                           "this gateway answers only to its own names and addresses");
        return true;
    }
    if (declared_too_big(conn)) {
        *ok = send_problem(conn, req, MHD_HTTP_CONTENT_TOO_LARGE, "Content Too Large",
                           "request bodies are limited to 65536 bytes");
        return true;
    }
    return false;
}

static const char *query_arg(void *conn, const char *key)
{
    return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
}

static const char *header_value(void *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* peer_addr reads the client's address; an IPv4-mapped IPv6 peer becomes
 * IPv4, so a dual-stack socket sees the same address as a v4 one. */
static bool peer_addr(struct MHD_Connection *conn, struct lc_addr *out)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    memset(out, 0, sizeof(*out));
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET)
        return addr_from_bytes(out, (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr, 4);
    if (sa->sa_family == AF_INET6)
        return addr_from_bytes(out, ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr, 16);
    return false;
}

/* later_done is a deferred reply's waiter: it takes the reply and resumes
 * the connection when the listener suspended it already; otherwise the
 * listener, still inside the route's call, sends it itself. */
static void later_done(struct reply_waiter *w, struct reply *r)
{
    struct https_request *req =
        (struct https_request *)((char *)w - offsetof(struct https_request, waiter));
    struct MHD_Connection *conn = req->conn;
    bool resume;
    pthread_mutex_lock(&req->srv->later_lock);
    req->later = *r;
    memset(r, 0, sizeof(*r));
    req->later_ready = true;
    resume = req->suspended;
    pthread_mutex_unlock(&req->srv->later_lock);
    /* A suspended connection (and so |req|) lives until it is resumed:
     * libmicrohttpd neither times it out nor closes it meanwhile. */
    if (resume)
        MHD_resume_connection(conn);
}

/* send_later sends the stored deferred reply. */
static enum MHD_Result send_later(struct MHD_Connection *conn, struct https_request *req)
{
    enum MHD_Result ok = send_reply(conn, req, &req->later);
    reply_cleanup(&req->later);
    req->deferred = false;
    req->answered = true;
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    struct http_https *srv = cls;
    struct https_request *req = *req_cls;
    enum MHD_Result ok = MHD_YES;
    (void)version;

    if (!req) {
        if (!(req = calloc(1, sizeof(*req))))
            return MHD_NO;
        *req_cls = req;
        clock_gettime(CLOCK_MONOTONIC, &req->start);
        req->answered = first_call(srv, conn, req, &ok);
        return ok;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->answered)
            return MHD_YES;
        if (n > ROUTE_MAX_BODY - req->body_len) {
            /* A body without a Content-Length (chunked) grew past the cap:
             * libmicrohttpd cannot answer mid-body, so the connection closes. */
            log_msg(LOG_DEBUG, "https: chunked body over %d bytes, closing", ROUTE_MAX_BODY);
            return MHD_NO;
        }
        if (!req->body && !(req->body = malloc(ROUTE_MAX_BODY)))
            return MHD_NO;
        memcpy(req->body + req->body_len, upload_data, n);
        req->body_len += n;
        return MHD_YES;
    }
    if (req->deferred) {
        /* Called again after the resume: the reply is in. */
        bool ready;
        pthread_mutex_lock(&srv->later_lock);
        ready = req->later_ready;
        pthread_mutex_unlock(&srv->later_lock);
        return ready ? send_later(conn, req) : MHD_YES;
    }
    if (req->answered)
        return MHD_YES;
    req->srv = srv;
    req->conn = conn;
    req->waiter.done = later_done;
    struct route_request rreq = {
        .method = method,
        .path = url,
        .body = req->body,
        .body_len = req->body_len,
        .authorization =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        .query_arg = query_arg,
        .header = header_value,
        .conn_ctx = conn,
        .svc = &srv->svc,
        .waiter = &req->waiter,
    };
    struct reply r;
    if (!peer_addr(conn, &rreq.peer)) {
        req->answered = true;
        return send_problem(conn, req, MHD_HTTP_INTERNAL_SERVER_ERROR, "Internal Server Error",
                            "the client's address is unknown");
    }
    route_dispatch(&r, &rreq);
    if (r.deferred) {
        /* Suspend unless the reply came in already; the waiter resumes. */
        bool ready;
        req->deferred = true;
        pthread_mutex_lock(&srv->later_lock);
        ready = req->later_ready;
        if (!ready) {
            MHD_suspend_connection(conn);
            req->suspended = true;
        }
        pthread_mutex_unlock(&srv->later_lock);
        return ready ? send_later(conn, req) : MHD_YES;
    }
    ok = send_reply(conn, req, &r);
    reply_cleanup(&r);
    req->answered = true;
    return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct https_request *req = *req_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (req) {
        reply_cleanup(&req->later);
        free(req->body);
        free(req);
    }
    *req_cls = NULL;
}

int http_https_start(struct http_https **out, const int *fds, size_t n_fds,
                     const struct http_services *svc, struct lc_err *err)
{
    struct http_https *srv;
    if (serving) {
        for (size_t i = 0; i < n_fds; i++)
            close(fds[i]);
        return lc_fail(err, LC_E_INTERNAL, "an HTTPS listener is already running");
    }
    if (!(srv = calloc(1, sizeof(*srv)))) {
        for (size_t i = 0; i < n_fds; i++)
            close(fds[i]);
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    }
    pthread_rwlock_init(&srv->lock, NULL);
    pthread_mutex_init(&srv->later_lock, NULL);
    srv->svc = *svc;
    serving = srv;
    if (n_fds > HTTPS_MAX_LISTENERS)
        n_fds = HTTPS_MAX_LISTENERS;
    for (size_t i = 0; i < n_fds; i++) {
        struct MHD_Daemon *d = MHD_start_daemon(
            MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                MHD_ALLOW_SUSPEND_RESUME,
            0, NULL, NULL,
            on_request, srv,
            MHD_OPTION_LISTEN_SOCKET, fds[i],
            MHD_OPTION_HTTPS_CERT_CALLBACK, cert_callback,
            MHD_OPTION_HTTPS_PRIORITIES, tls_priorities,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTPS_CONN_LIMIT,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTPS_PER_IP_LIMIT,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTPS_TIMEOUT_S,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTPS_MEMORY_LIMIT,
            MHD_OPTION_THREAD_STACK_SIZE, (size_t)(256 * 1024),
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
            MHD_OPTION_END);
        if (!d) {
            http_https_stop(srv);
            for (size_t j = i; j < n_fds; j++)
                close(fds[j]);
            return lc_fail(err, LC_E_IO, "cannot start the HTTPS listener");
        }
        srv->daemons[srv->n_daemons++] = d;
    }
    *out = srv;
    return LC_OK;
}

int http_https_publish(struct http_https *srv, const struct lc_conf *conf,
                       const struct gateway_cert *gc, struct lc_err *err)
{
    struct https_snapshot *s = NULL, *old, **link, *expired = NULL;
    int64_t now = (int64_t)time(NULL);
    int rc;
    if ((rc = snapshot_new(&s, conf, gc, err)) != LC_OK)
        return rc;
    pthread_rwlock_wrlock(&srv->lock);
    old = srv->current;
    srv->current = s;
    if (old) {
        old->retired_at = now;
        old->next_retired = srv->retired;
        srv->retired = old;
    }
    /* Cut the list after the last snapshot still inside its grace time. */
    for (link = &srv->retired; *link; link = &(*link)->next_retired)
        if (now - (*link)->retired_at >= HTTPS_RETIRE_S) {
            expired = *link;
            *link = NULL;
            break;
        }
    pthread_rwlock_unlock(&srv->lock);
    while (expired) {
        struct https_snapshot *next = expired->next_retired;
        snapshot_free(expired);
        expired = next;
    }
    return LC_OK;
}

void http_https_stop(struct http_https *srv)
{
    if (!srv)
        return;
    for (size_t i = 0; i < srv->n_daemons; i++)
        MHD_stop_daemon(srv->daemons[i]); /* closes the listening socket too */
    serving = NULL;
    snapshot_free(srv->current);
    while (srv->retired) {
        struct https_snapshot *next = srv->retired->next_retired;
        snapshot_free(srv->retired);
        srv->retired = next;
    }
    pthread_rwlock_destroy(&srv->lock);
    pthread_mutex_destroy(&srv->later_lock);
    free(srv);
}
