/* plain.c — libmicrohttpd on the plain-HTTP port. Each request is decided by
 * redirect_decide; content comes from an immutable snapshot swapped under a
 * read-write lock on reload. */
#include "http/plain.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/log.h"
#include "http/page.h"
#include "http/qr.h"
#include "http/redirect.h"
#include "web/assets.h"

#define PLAIN_MAX_LISTENERS CONF_MAX_LISTEN
#define PLAIN_CONN_LIMIT 128
#define PLAIN_PER_IP_LIMIT 16
#define PLAIN_TIMEOUT_S 15
#define PLAIN_MEMORY_LIMIT (32 * 1024) /* per connection: request line and headers must fit */
#define PLAIN_MAX_TARGET 2048

struct plain_content {
    struct lc_conf conf;
    struct ca_publication *pub;
    char *landing;
    size_t landing_len;
    char *mobileconfig; /* an Apple configuration profile holding the root */
    size_t mobileconfig_len;
};

struct http_plain {
    struct MHD_Daemon *daemons[PLAIN_MAX_LISTENERS];
    size_t n_daemons;
    pthread_rwlock_t lock;
    struct plain_content *content; /* NULL until the first publish */
};

static void content_free(struct plain_content *c)
{
    if (!c)
        return;
    publication_free(c->pub);
    free(c->landing);
    free(c->mobileconfig);
    free(c);
}

static const char security_csp[] =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *type,
                               const void *body, size_t len, const char *location)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ok;
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy", security_csp);
    if (location)
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    return respond(conn, status, "text/plain; charset=utf-8", text, strlen(text), NULL);
}

static int is_fixed_path(const char *path)
{
    return strcmp(path, "/") == 0 || strcmp(path, "/ca.pem") == 0 ||
           strcmp(path, "/ca.crt") == 0 || strcmp(path, "/crl") == 0 ||
           strcmp(path, "/ca.mobileconfig") == 0;
}

static enum MHD_Result serve_fixed(struct MHD_Connection *conn, const struct plain_content *c,
                                   const char *path)
{
    if (strcmp(path, "/") == 0)
        return respond(conn, MHD_HTTP_OK, "text/html; charset=utf-8", c->landing, c->landing_len,
                       NULL);
    if (strcmp(path, "/ca.pem") == 0)
        return respond(conn, MHD_HTTP_OK, "application/x-pem-file", c->pub->root_pem,
                       c->pub->root_pem_len, NULL);
    if (strcmp(path, "/ca.crt") == 0)
        return respond(conn, MHD_HTTP_OK, "application/x-x509-ca-cert", c->pub->root_der,
                       c->pub->root_der_len, NULL);
    if (strcmp(path, "/ca.mobileconfig") == 0)
        return respond(conn, MHD_HTTP_OK, "application/x-apple-aspen-config", c->mobileconfig,
                       c->mobileconfig_len, NULL);
    return respond(conn, MHD_HTTP_OK, "application/pkix-crl", c->pub->crl_der, c->pub->crl_der_len,
                   NULL);
}

/* on_uri keeps the request target exactly as received (path and query), so
 * a redirect carries them unchanged. Its result becomes the request context. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    return strndup(uri, PLAIN_MAX_TARGET + 1);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    free(*req_cls);
    *req_cls = NULL;
}

/* no_unescape leaves percent-escapes alone: the path is compared and
 * forwarded as sent. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    struct http_plain *srv = cls;
    const char *target = *req_cls;
    char location[REDIRECT_MAX_URL];
    enum MHD_Result ok;
    (void)version;
    (void)upload_data;

    *upload_data_size = 0; /* bodies are never read here */
    if (!target || strlen(target) > PLAIN_MAX_TARGET)
        return respond_text(conn, MHD_HTTP_URI_TOO_LONG, "request target too long\n");
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    int fixed = is_fixed_path(url);

    pthread_rwlock_rdlock(&srv->lock);
    const struct plain_content *c = srv->content;
    if (!c) {
        ok = respond_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "starting\n");
        goto out;
    }
    switch (redirect_decide(&c->conf, host, target, fixed, location)) {
    case REDIRECT_BAD_REQUEST:
        ok = respond_text(conn, MHD_HTTP_BAD_REQUEST, "malformed Host header or request target\n");
        break;
    case REDIRECT_MISDIRECTED:
        ok = respond_text(conn, MHD_HTTP_MISDIRECTED_REQUEST,
                          "this gateway serves only names in its local zone and allowed addresses\n");
        break;
    case REDIRECT_TO_HTTPS:
        log_msg(LOG_DEBUG, "redirect %s -> %s", host ? host : "-", location);
        ok = respond(conn, MHD_HTTP_PERMANENT_REDIRECT, "text/plain; charset=utf-8", location,
                     strlen(location), location);
        break;
    case REDIRECT_SERVE:
    default:
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
            ok = respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD here\n");
        else
            ok = serve_fixed(conn, c, url);
        break;
    }
out:
    pthread_rwlock_unlock(&srv->lock);
    return ok;
}

int http_plain_start(struct http_plain **out, const int *fds, size_t n_fds, struct lc_err *err)
{
    struct http_plain *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    pthread_rwlock_init(&srv->lock, NULL);
    if (n_fds > PLAIN_MAX_LISTENERS)
        n_fds = PLAIN_MAX_LISTENERS;
    for (size_t i = 0; i < n_fds; i++) {
        struct MHD_Daemon *d = MHD_start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, on_request, srv,
            MHD_OPTION_LISTEN_SOCKET, fds[i],
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)PLAIN_CONN_LIMIT,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PLAIN_PER_IP_LIMIT,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)PLAIN_TIMEOUT_S,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)PLAIN_MEMORY_LIMIT,
            MHD_OPTION_THREAD_STACK_SIZE, (size_t)(256 * 1024),
            MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
            MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
            MHD_OPTION_END);
        if (!d) {
            http_plain_stop(srv);
            for (size_t j = i; j < n_fds; j++)
                close(fds[j]);
            return lc_fail(err, LC_E_IO, "cannot start the plain-HTTP listener");
        }
        srv->daemons[srv->n_daemons++] = d;
    }
    *out = srv;
    return LC_OK;
}

/* profile_uuid writes a UUID made from 32 hex digits of the root's
 * fingerprint, starting at digit |from|: the same root always gives the same
 * profile, so installing it again replaces it instead of adding a copy. */
static void profile_uuid(char out[37], const char *fingerprint, size_t from)
{
    char hex[64];
    size_t n = 0;
    for (const char *p = fingerprint; *p && n < sizeof(hex); p++)
        if (*p != ':')
            hex[n++] = (char)(*p >= 'A' && *p <= 'F' ? *p | 0x20 : *p);
    for (size_t i = 0, o = 0; i < 32; i++) {
        if (i == 8 || i == 12 || i == 16 || i == 20)
            out[o++] = '-';
        out[o++] = from + i < n ? hex[from + i] : '0';
    }
    out[14] = '4'; /* version 4 and the RFC 4122 variant, as Apple expects */
    out[19] = "89ab"[out[19] % 4];
    out[36] = '\0';
}

static int render_mobileconfig(struct plain_content *c, const char *allow, struct lc_err *err)
{
    char uuid_cert[37], uuid_profile[37];
    profile_uuid(uuid_cert, c->pub->fingerprint, 0);
    profile_uuid(uuid_profile, c->pub->fingerprint, 32);
    const struct page_var vars[] = {
        {"der_base64", c->pub->root_der_b64, false},
        {"zone", c->pub->constraints.zone, false},
        {"allow", allow, false},
        {"fingerprint", c->pub->fingerprint, false},
        {"uuid_cert", uuid_cert, false},
        {"uuid_profile", uuid_profile, false},
    };
    return page_render(&c->mobileconfig, &c->mobileconfig_len, (const char *)web_mobileconfig_xml,
                       web_mobileconfig_xml_len, vars, sizeof(vars) / sizeof(vars[0]), err);
}

/* fingerprint_markup splits the fingerprint into groups of eight bytes, one
 * <span> each, so a narrow screen wraps it between groups and never inside
 * one. Only hex digits and colons pass: the value goes in unescaped. */
static void fingerprint_markup(char *out, size_t out_len, const char *fingerprint)
{
    size_t o = 0, n = 0;
    const char *open = "<span>", *close = "</span>";
    out[0] = '\0';
    for (const char *p = fingerprint; *p && o + 16 < out_len; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'F') || *p == ':'))
            continue;
        if (n % 24 == 0)
            o += (size_t)snprintf(out + o, out_len - o, "%s", open);
        out[o++] = *p;
        if (++n % 24 == 0)
            o += (size_t)snprintf(out + o, out_len - o, "%s", close);
    }
    if (n % 24 != 0 && o + 8 < out_len)
        o += (size_t)snprintf(out + o, out_len - o, "%s", close);
    out[o] = '\0';
}

/* download_url writes the root's download link for the QR code. It names
 * the gateway by address, not by name: a phone that has never used
 * lancertd's DNS can still reach it. */
static void download_url(char *out, size_t out_len, const struct lc_conf *conf,
                         const char *gateway)
{
    char host[LC_NAME_MAX + 3], port[8] = "";
    if (conf->n_gateway_addrs > 0) {
        char a[LC_ADDR_STRLEN];
        addr_format(a, &conf->gateway_addrs[0]);
        snprintf(host, sizeof(host), conf->gateway_addrs[0].family == LC_AF_INET6 ? "[%s]" : "%s",
                 a);
    } else {
        snprintf(host, sizeof(host), "%s", gateway);
    }
    if (conf->http_listen.n_items > 0 && conf->http_listen.items[0].port != 80)
        snprintf(port, sizeof(port), ":%u", (unsigned)conf->http_listen.items[0].port);
    snprintf(out, out_len, "http://%s%s/ca.crt", host, port);
}

int http_plain_publish(struct http_plain *srv, const struct lc_conf *conf,
                       struct ca_publication *pub, struct lc_err *err)
{
    struct plain_content *c = calloc(1, sizeof(*c)), *old;
    char allow[512], gateway[LC_NAME_MAX + 1], url[LC_NAME_MAX + 32], fp_html[256];
    char *qr = NULL;
    size_t qr_len;
    int rc;
    if (!c) {
        publication_free(pub);
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    }
    c->conf = *conf;
    c->pub = pub;
    /* The page promises what the certificate enforces: its constraints. */
    prefix_set_format(allow, sizeof(allow), &pub->constraints.allow);
    conf_gateway_fqdn(gateway, conf);
    download_url(url, sizeof(url), conf, gateway);
    fingerprint_markup(fp_html, sizeof(fp_html), pub->fingerprint);
    rc = qr_svg(&qr, &qr_len, url, "QR code of the root certificate's download link", err);
    if (rc != LC_OK) {
        content_free(c);
        return rc;
    }
    const struct page_var vars[] = {
        {"zone", pub->constraints.zone, false},
        {"allow", allow, false},
        {"gateway", gateway, false},
        {"fingerprint", pub->fingerprint, false},
        {"fingerprint_groups", fp_html, true},
        {"download_url", url, false},
        {"qr_svg", qr, true},
    };
    rc = page_render(&c->landing, &c->landing_len, (const char *)web_landing_html,
                     web_landing_html_len, vars, sizeof(vars) / sizeof(vars[0]), err);
    free(qr);
    if (rc == LC_OK)
        rc = render_mobileconfig(c, allow, err);
    if (rc != LC_OK) {
        content_free(c);
        return rc;
    }
    pthread_rwlock_wrlock(&srv->lock);
    old = srv->content;
    srv->content = c;
    pthread_rwlock_unlock(&srv->lock);
    content_free(old);
    return LC_OK;
}

int64_t http_plain_crl_made_at(struct http_plain *srv)
{
    int64_t t;
    pthread_rwlock_rdlock(&srv->lock);
    t = srv->content ? srv->content->pub->crl_made_at : 0;
    pthread_rwlock_unlock(&srv->lock);
    return t;
}

void http_plain_stop(struct http_plain *srv)
{
    if (!srv)
        return;
    for (size_t i = 0; i < srv->n_daemons; i++)
        MHD_stop_daemon(srv->daemons[i]); /* closes the listening socket too */
    content_free(srv->content);
    pthread_rwlock_destroy(&srv->lock);
    free(srv);
}
