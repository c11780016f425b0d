/* routes.c — the table and the endpoints small enough to live beside it. */
#include "http/routes.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/metrics.h"
#include "http/ui.h"
#include "http/uiview.h"

struct route {
    const char *path;
    const char *method;
    route_handler handler;
};

/* GET /healthz: the listener is up and has a certificate and content. */
static void healthz(struct reply *out, const struct route_request *req)
{
    (void)req;
    reply_json(out, 200, json_pack("{s:s}", "status", "ok"));
}

static bool is_loopback(const struct lc_addr *a)
{
    static const uint8_t v6_loopback[16] = {[15] = 1};
    if (a->family == LC_AF_INET)
        return a->b[0] == 127;
    return a->family == LC_AF_INET6 && memcmp(a->b, v6_loopback, 16) == 0;
}

/* GET /metrics: the counters for Prometheus. Open to loopback peers (an
 * exporter or agent on the gateway itself, an SSH tunnel); from anywhere
 * else only with the admin token, so the LAN learns nothing unasked. */
static void metrics(struct reply *out, const struct route_request *req)
{
    char *text;
    size_t len;
    if (!is_loopback(&req->peer) && !http_admin_authorize(out, req))
        return;
    if (!(text = malloc(METRICS_RENDER_MAX)) || !(len = metrics_render(text, METRICS_RENDER_MAX))) {
        free(text);
        reply_problem(out, 500, "Internal Server Error", "the metrics could not be rendered");
        return;
    }
    out->status = 200;
    out->type = "text/plain; version=0.0.4; charset=utf-8";
    out->body = text;
    out->body_len = len;
}

/* A "*" in a path matches one non-empty segment, handed to the handler. */
static const struct route routes[] = {
    {"/healthz", "GET", healthz},
    {"/metrics", "GET", metrics},
    {"/api/v1/certificates", "GET", http_admin_certs_list},
    {"/api/v1/certificates/*/revoke", "POST", http_admin_cert_revoke},
    {"/api/v1/ca", "GET", http_enroll_ca},
    {"/api/v1/enroll", "POST", http_enroll_post},
    {"/api/v1/enroll/*", "GET", http_enroll_get},
    {"/api/v1/devices", "GET", http_devices_list},
    {"/api/v1/devices/*", "GET", http_device_get},
    {"/api/v1/devices/*", "DELETE", http_device_delete},
    {"/api/v1/devices/*/approve", "POST", http_device_approve},
    {"/api/v1/tokens", "POST", http_tokens_create},
    {"/api/v1/renew", "POST", http_renew_post},
    {"/api/v1/names/*", "PUT", http_names_put},
    {"/nic/update", "GET", http_dyndns_update},
    {"/api/v1/qr", "POST", http_ui_qr},
    {"/ui/", "GET", http_ui_file},
    {"/ui/app.css", "GET", http_ui_file},
    {"/ui/app.js", "GET", http_ui_file},
    {"/ui/devices.html", "GET", http_uiview_devices},
    {"/ui/certificates.html", "GET", http_uiview_certificates},
    {"/ui/health.html", "GET", http_uiview_health},
};

#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

/* printable copies at most |out_len| - 1 bytes of |in| with every byte
 * outside visible ASCII as '?': a decoded path may hold any byte, and jansson
 * refuses strings that are not UTF-8. */
static void printable(char *out, size_t out_len, const char *in)
{
    size_t i = 0;
    for (; in[i] != '\0' && i + 1 < out_len; i++)
        out[i] = ((unsigned char)in[i] > 0x20 && (unsigned char)in[i] < 0x7f) ? in[i] : '?';
    out[i] = '\0';
}

/* path_matches compares |path| with |pattern|, where one "*" stands for one
 * non-empty segment without '/', returned in |*out_param|, |*out_param_len|. */
static bool path_matches(const char *pattern, const char *path, const char **out_param,
                         size_t *out_param_len)
{
    const char *star = strchr(pattern, '*');
    size_t head, tail, path_len = strlen(path), seg;
    bool ok = false;
    if (!star) {
        ok = strcmp(pattern, path) == 0;
        goto out;
    }
    head = (size_t)(star - pattern);
    tail = strlen(star + 1);
    if (path_len <= head + tail || strncmp(pattern, path, head) != 0 ||
        strcmp(star + 1, path + path_len - tail) != 0)
        goto out;
    seg = path_len - head - tail;
    if (memchr(path + head, '/', seg))
        goto out;
    *out_param = path + head;
    *out_param_len = seg;
    ok = true;
out:
    return ok;
}

const char *route_query_arg(const struct route_request *req, const char *key)
{
    return req->query_arg ? req->query_arg(req->conn_ctx, key) : NULL;
}

const char *route_header(const struct route_request *req, const char *name)
{
    return req->header ? req->header(req->conn_ctx, name) : NULL;
}

void route_each(void (*fn)(void *ctx, const char *method, const char *path), void *ctx)
{
    for (size_t i = 0; i < N_ROUTES; i++)
        fn(ctx, routes[i].method, routes[i].path);
}

/* allow_for writes the methods |path| takes, for the Allow header. */
static void allow_for(char *out, size_t out_len, const char *path)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < N_ROUTES; i++) {
        const char *param;
        size_t param_len;
        if (!path_matches(routes[i].path, path, &param, &param_len))
            continue;
        int n = snprintf(out + used, out_len - used, "%s%s%s", used ? ", " : "", routes[i].method,
                         strcmp(routes[i].method, "GET") == 0 ? ", HEAD" : "");
        if (n < 0 || (size_t)n >= out_len - used)
            break;
        used += (size_t)n;
    }
}

void route_dispatch(struct reply *out, const struct route_request *req)
{
    const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
    const struct route *path_match = NULL, *match = NULL;
    struct route_request r = *req;
    char detail[160], path[101], meth[21];
    memset(out, 0, sizeof(*out));
    printable(path, sizeof(path), req->path);
    printable(meth, sizeof(meth), req->method);
    r.param = NULL;
    r.param_len = 0;
    for (size_t i = 0; i < N_ROUTES && !match; i++) {
        if (!path_matches(routes[i].path, req->path, &r.param, &r.param_len))
            continue;
        path_match = &routes[i];
        if (strcmp(routes[i].method, method) == 0)
            match = &routes[i];
    }
    if (match) {
        match->handler(out, &r);
    } else if (path_match) {
        snprintf(detail, sizeof(detail), "%.60s does not take %s", path, meth);
        reply_problem(out, 405, "Method Not Allowed", detail);
        allow_for(out->allow, sizeof(out->allow), req->path);
    } else {
        snprintf(detail, sizeof(detail), "there is nothing at %s", path);
        reply_problem(out, 404, "Not Found", detail);
    }
}
