/* uiview.c — the read-only admin pages: the JSON records of the admin API
 * (http_devices_json, http_admin_certs_json) turned into HTML tables with
 * page_render, so every value from the store is escaped by one audited
 * filler. Rows are rendered one by one and then put into the page as markup
 * of our own. */
#include "http/uiview.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/log.h"
#include "http/admin.h"
#include "http/enroll.h"
#include "http/page.h"
#include "http/routes.h"
#include "web/assets.h"

const char http_uiview_csp[] =
    "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

#define EXPIRING_SOON (14 * 86400) /* as the JavaScript UI marks "expiring" */

/* What a browser shows when the person cancels the login prompt. */
static const char refusal_page[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>Admin token needed</title><link rel=\"stylesheet\" href=\"/ui/app.css\"></head>\n"
    "<body><main id=\"main\"><div class=\"card narrow notice\"><h1>Admin token needed</h1>\n"
    "<p>These pages ask for the admin token as the password (any user name, for example "
    "<code>admin</code>). <code>lancert ca init</code> printed it; it is also in "
    "<code>admin.token</code> in the state directory.</p>\n"
    "<p>Reload the page to be asked again, or go <a href=\"/ui/\">back to the admin UI</a>.</p>"
    "</div></main></body></html>\n";

/* A growing string: the rows of a table. */
struct sbuf {
    char *p;
    size_t len;
    bool failed;
};

static void sbuf_put(struct sbuf *b, const char *s, size_t n)
{
    char *p;
    if (b->failed)
        return;
    if (!(p = realloc(b->p, b->len + n + 1))) {
        b->failed = true;
        return;
    }
    memcpy(p + b->len, s, n);
    b->p = p;
    b->len += n;
    b->p[b->len] = '\0';
}

static void sbuf_str(struct sbuf *b, const char *s)
{
    sbuf_put(b, s, strlen(s));
}

/* sbuf_render appends |template| filled with |vars| (escaped unless raw). */
static void sbuf_render(struct sbuf *b, const char *template, const struct page_var *vars,
                        size_t n_vars)
{
    char *text = NULL;
    size_t len = 0;
    struct lc_err err;
    if (b->failed)
        return;
    if (page_render(&text, &len, template, strlen(template), vars, n_vars, &err) != LC_OK) {
        log_msg(LOG_ERR, "web ui: %s", err.msg);
        b->failed = true;
        return;
    }
    sbuf_put(b, text, len);
    free(text);
}

/* join writes the strings of the JSON array |a| but |skip| into |out|,
 * separated by ", "; "—" when there are none. Cut short at |out_len|. */
static void join(char *out, size_t out_len, const json_t *a, const char *skip)
{
    size_t used = 0, i;
    json_t *v;
    out[0] = '\0';
    json_array_foreach(a, i, v) {
        const char *s = json_string_value(v);
        if (!s || (skip && strcmp(s, skip) == 0))
            continue;
        int n = snprintf(out + used, out_len - used, "%s%s", used ? ", " : "", s);
        if (n < 0 || (size_t)n >= out_len - used)
            break;
        used += (size_t)n;
    }
    if (used == 0)
        snprintf(out, out_len, "—");
}

/* when writes the Unix time |t| as "2026-11-25 12:00 UTC". */
static void when(char out[32], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(out, 32, "—");
}

/* when_rfc3339 writes "2026-11-25T12:00:00Z" (the API's form) as when does;
 * "—" for anything else, such as null. */
static void when_rfc3339(char out[32], const json_t *v)
{
    const char *s = json_string_value(v);
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                     &tm.tm_min) != 5) {
        snprintf(out, 32, "—");
        return;
    }
    snprintf(out, 32, "%04d-%02d-%02d %02d:%02d UTC", tm.tm_year, tm.tm_mon, tm.tm_mday,
             tm.tm_hour, tm.tm_min);
}

static const char device_head[] =
    "<table>\n<caption class=\"sr-only\">Devices</caption>\n<thead><tr><th scope=\"col\">Device</th>"
    "<th scope=\"col\">Friendly names</th><th scope=\"col\">Hex name</th>"
    "<th scope=\"col\">Addresses</th><th scope=\"col\">Certificate expires</th>"
    "<th scope=\"col\">Status</th></tr></thead>\n<tbody>\n";

static const char device_row[] =
    "<tr><td data-label=\"Device\">#{{id}}</td>"
    "<td data-label=\"Friendly names\">{{names}}{{requested}}</td>"
    "<td data-label=\"Hex name\" class=\"mono\">{{hex_name}}</td>"
    "<td data-label=\"Addresses\" class=\"mono\">{{addresses}}</td>"
    "<td data-label=\"Certificate expires\">{{expires}}</td>"
    "<td data-label=\"Status\"><span class=\"badge {{status}}\">{{status}}</span></td></tr>\n";

static const char table_end[] = "</tbody>\n</table>\n";

/* device_rows appends a row per device of |status|: pending first, as the
 * JavaScript UI orders them. */
static void device_rows(struct sbuf *b, const json_t *devices, const char *status)
{
    char id[24], names[1024], hex[256], addresses[512], expires[32];
    size_t i;
    json_t *d;
    json_array_foreach(devices, i, d) {
        const char *st = json_string_value(json_object_get(d, "status"));
        const char *hex_name = json_string_value(json_object_get(d, "hex_name"));
        bool pending = st && strcmp(st, "pending") == 0;
        if (!st || strcmp(st, status) != 0)
            continue;
        snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(d, "id")));
        join(names, sizeof(names),
             json_object_get(d, pending ? "requested_names" : "names"), hex_name);
        snprintf(hex, sizeof(hex), "%s", hex_name ? hex_name : "—");
        join(addresses, sizeof(addresses), json_object_get(d, "addresses"), NULL);
        when_rfc3339(expires, json_object_get(d, "not_after"));
        const struct page_var vars[] = {
            {"id", id, false},
            {"names", names, false},
            {"requested", pending ? " <span class=\"muted\">(requested)</span>" : "", true},
            {"hex_name", hex, false},
            {"addresses", addresses, false},
            {"expires", expires, false},
            {"status", st, false},
        };
        sbuf_render(b, device_row, vars, sizeof(vars) / sizeof(vars[0]));
    }
}

static void devices_content(struct sbuf *b, const json_t *devices)
{
    if (json_array_size(devices) == 0) {
        sbuf_str(b, "<p class=\"empty card\">No devices yet. A device enrols by sending a CSR "
                    "to /api/v1/enroll.</p>\n");
        return;
    }
    sbuf_str(b, device_head);
    device_rows(b, devices, "pending");
    device_rows(b, devices, "active");
    device_rows(b, devices, "revoked");
    sbuf_str(b, table_end);
}

/* cert_state is what the JavaScript UI calls it: revoked, expired,
 * expiring (within 14 days) or valid. */
static const char *cert_state(const json_t *c, int64_t now)
{
    int64_t end = json_integer_value(json_object_get(c, "not_after"));
    if (json_is_true(json_object_get(c, "revoked")))
        return "revoked";
    if (end < now)
        return "expired";
    return end < now + EXPIRING_SOON ? "expiring" : "valid";
}

static const char cert_head[] =
    "<table>\n<caption class=\"sr-only\">Certificates</caption>\n<thead><tr>"
    "<th scope=\"col\">Serial</th><th scope=\"col\">Names</th><th scope=\"col\">Expires</th>"
    "<th scope=\"col\">Device</th><th scope=\"col\">Status</th></tr></thead>\n<tbody>\n";

static const char cert_row[] =
    "<tr><td data-label=\"Serial\" class=\"mono\">{{serial}}</td>"
    "<td data-label=\"Names\">{{names}}</td>"
    "<td data-label=\"Expires\">{{expires}}</td>"
    "<td data-label=\"Device\">{{device}}</td>"
    "<td data-label=\"Status\"><span class=\"badge {{state}}\">{{state}}</span></td></tr>\n";

static void certs_content(struct sbuf *b, const json_t *certs, int64_t now)
{
    char names[2048], expires[32], device[32];
    size_t i;
    json_t *c;
    if (json_array_size(certs) == 0) {
        sbuf_str(b, "<p class=\"empty card\">No certificates yet.</p>\n");
        return;
    }
    sbuf_str(b, cert_head);
    json_array_foreach(certs, i, c) {
        const char *serial = json_string_value(json_object_get(c, "serial"));
        json_t *dev = json_object_get(c, "device_id");
        join(names, sizeof(names), json_object_get(c, "names"), NULL);
        when(expires, json_integer_value(json_object_get(c, "not_after")));
        if (json_is_integer(dev))
            snprintf(device, sizeof(device), "#%lld", (long long)json_integer_value(dev));
        else
            snprintf(device, sizeof(device), "gateway");
        const struct page_var vars[] = {
            {"serial", serial ? serial : "", false},
            {"names", names, false},
            {"expires", expires, false},
            {"device", device, false},
            {"state", cert_state(c, now), false},
        };
        sbuf_render(b, cert_row, vars, sizeof(vars) / sizeof(vars[0]));
    }
    sbuf_str(b, table_end);
}

static const char health_facts[] =
    "<div class=\"card\"><dl class=\"facts\">\n"
    "<dt>HTTPS listener</dt><dd><span class=\"badge ok\">ok</span></dd>\n"
    "<dt>Zone</dt><dd><code>{{zone}}</code></dd>\n"
    "<dt>Root fingerprint (SHA-256)</dt><dd class=\"mono\">{{fingerprint}}</dd>\n"
    "<dt>Devices</dt><dd>{{devices}}</dd>\n"
    "<dt>Certificates</dt><dd>{{certificates}}</dd>\n"
    "</dl></div>\n";

static size_t count_devices(const json_t *devices, const char *status)
{
    size_t i, n = 0;
    json_t *d;
    json_array_foreach(devices, i, d) {
        const char *st = json_string_value(json_object_get(d, "status"));
        n += st && strcmp(st, status) == 0;
    }
    return n;
}

static size_t count_certs(const json_t *certs, const char *state, int64_t now)
{
    size_t i, n = 0;
    json_t *c;
    json_array_foreach(certs, i, c)
        n += strcmp(cert_state(c, now), state) == 0;
    return n;
}

static void health_content(struct sbuf *b, struct http_enroll *e, const json_t *devices,
                           const json_t *certs, int64_t now)
{
    char zone[LC_NAME_MAX + 1], fp[HTTP_FINGERPRINT_LEN], dev[128], crt[192];
    http_enroll_root(e, zone, fp);
    snprintf(dev, sizeof(dev), "%zu active, %zu pending, %zu revoked",
             count_devices(devices, "active"), count_devices(devices, "pending"),
             count_devices(devices, "revoked"));
    snprintf(crt, sizeof(crt), "%zu valid, %zu expiring within 14 days, %zu expired, %zu revoked",
             count_certs(certs, "valid", now), count_certs(certs, "expiring", now),
             count_certs(certs, "expired", now), count_certs(certs, "revoked", now));
    const struct page_var vars[] = {
        {"zone", zone, false},
        {"fingerprint", fp, false},
        {"devices", dev, false},
        {"certificates", crt, false},
    };
    sbuf_render(b, health_facts, vars, sizeof(vars) / sizeof(vars[0]));
}

enum view { VIEW_DEVICES, VIEW_CERTIFICATES, VIEW_HEALTH };

static const struct {
    const char *title, *lead;
} views[] = {
    [VIEW_DEVICES] = {"Devices", "Devices that enrolled with this gateway, pending requests first."},
    [VIEW_CERTIFICATES] = {"Certificates", "Every certificate this gateway issued."},
    [VIEW_HEALTH] = {"Health", "The gateway's CA and what it has issued."},
};

/* view answers one page: the Basic check, the records it shows, the page. */
static void view(struct reply *out, const struct route_request *req, enum view v)
{
    static const char current[] = " aria-current=\"page\"";
    struct http_enroll *e = req->svc->enroll;
    void *devices = NULL, *certs = NULL;
    struct sbuf content = {NULL, 0, false};
    char now_text[32], *page = NULL;
    size_t page_len = 0;
    int64_t now = (int64_t)time(NULL);
    struct lc_err err;

    if (!http_admin_authorize_basic(out, req)) {
        if (out->status == 401) { /* the challenge stays; a page for a person */
            reply_bytes(out, 401, "text/html; charset=utf-8", refusal_page,
                        sizeof(refusal_page) - 1);
            out->csp = http_uiview_csp;
        }
        return;
    }
    if (!e) {
        reply_problem(out, 503, "Service Unavailable", "the enrolment API is not running");
        return;
    }
    if ((v != VIEW_CERTIFICATES && http_devices_json(e, &devices, &err) != LC_OK) ||
        (v != VIEW_DEVICES && http_admin_certs_json(req->svc->admin, &certs, &err) != LC_OK)) {
        log_msg(LOG_ERR, "web ui: %s", err.msg);
        reply_problem(out, 500, "Internal Server Error", "the store failed; see the gateway's log");
        goto out;
    }
    if (v == VIEW_DEVICES)
        devices_content(&content, devices);
    else if (v == VIEW_CERTIFICATES)
        certs_content(&content, certs, now);
    else
        health_content(&content, e, devices, certs, now);
    when(now_text, now);
    const struct page_var vars[] = {
        {"title", views[v].title, false},
        {"lead", views[v].lead, false},
        {"current_devices", v == VIEW_DEVICES ? current : "", true},
        {"current_certificates", v == VIEW_CERTIFICATES ? current : "", true},
        {"current_health", v == VIEW_HEALTH ? current : "", true},
        {"content", content.p ? content.p : "", true},
        {"now", now_text, false},
    };
    if (content.failed ||
        page_render(&page, &page_len, (const char *)web_ui_view_html, web_ui_view_html_len, vars,
                    sizeof(vars) / sizeof(vars[0]), &err) != LC_OK) {
        reply_problem(out, 500, "Internal Server Error", "the page could not be rendered");
        goto out;
    }
    out->status = 200;
    out->type = "text/html; charset=utf-8";
    out->body = page;
    out->body_len = page_len;
    out->csp = http_uiview_csp;
out:
    free(content.p);
    json_decref(devices);
    json_decref(certs);
}

void http_uiview_devices(struct reply *out, const struct route_request *req)
{
    view(out, req, VIEW_DEVICES);
}

void http_uiview_certificates(struct reply *out, const struct route_request *req)
{
    view(out, req, VIEW_CERTIFICATES);
}

void http_uiview_health(struct reply *out, const struct route_request *req)
{
    view(out, req, VIEW_HEALTH);
}
