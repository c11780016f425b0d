/* client.c — libcurl behind a small request/response API (see client.h). */
#include "cli/client.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

struct client {
    CURL *curl;
    struct curl_slist *resolve;
    bool global; /* holds a curl_global_init reference */
    char auth[512];
};

struct sink {
    char *buf;
    size_t len, cap;
    bool too_big;
};

/* sink_write grows the buffer only up to CLIENT_MAX_BODY; beyond it the
 * transfer is aborted, so a hostile server cannot make us allocate freely. */
static size_t sink_write(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct sink *s = ctx;
    size_t n = size * nmemb;
    if (nmemb != 0 && n / nmemb != size)
        return 0;
    if (n > CLIENT_MAX_BODY - s->len) {
        s->too_big = true;
        return 0;
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        if (cap > CLIENT_MAX_BODY + 1)
            cap = CLIENT_MAX_BODY + 1;
        char *b = realloc(s->buf, cap);
        if (!b)
            return 0;
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return n;
}

int client_new(struct client **out, const struct client_opts *o, struct lc_err *err)
{
    struct client *c = calloc(1, sizeof(*c));
    int rc = LC_E_NOMEM;

    *out = NULL;
    if (c && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
        c->global = true;
    if (!c || !c->global || !(c->curl = curl_easy_init())) {
        rc = lc_fail(err, LC_E_NOMEM, "cannot set up libcurl");
        goto out;
    }
    if (o->bearer) {
        int n = snprintf(c->auth, sizeof(c->auth), "Authorization: Bearer %s", o->bearer);
        if (n < 0 || (size_t)n >= sizeof(c->auth) || strpbrk(o->bearer, "\r\n")) {
            rc = lc_fail(err, LC_E_MALFORMED, "the admin token is not a token");
            goto out;
        }
    }
    if (o->resolve && !(c->resolve = curl_slist_append(NULL, o->resolve))) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    CURL *h = c->curl;
    /* Only https and http, no redirects: a gateway never redirects the API,
     * and following one could carry the token elsewhere. */
    if (curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http") != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)CLIENT_TIMEOUT_S) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_USERAGENT, "lancert/" LC_VERSION) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write) != CURLE_OK ||
        (c->resolve && curl_easy_setopt(h, CURLOPT_RESOLVE, c->resolve) != CURLE_OK) ||
        (o->source && curl_easy_setopt(h, CURLOPT_INTERFACE, o->source) != CURLE_OK)) {
        rc = lc_fail(err, LC_E_INTERNAL, "libcurl refused an option");
        goto out;
    }
    /* The root given is the only trust anchor: no system store, so a public
     * CA cannot vouch for the gateway. Without one only plain http works. */
    if (o->ca_file) {
        if (curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file) != CURLE_OK ||
            curl_easy_setopt(h, CURLOPT_CAPATH, NULL) != CURLE_OK) {
            rc = lc_fail(err, LC_E_INTERNAL, "libcurl refused the CA file");
            goto out;
        }
    } else if (curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http") != CURLE_OK) {
        rc = lc_fail(err, LC_E_INTERNAL, "libcurl refused an option");
        goto out;
    }
    *out = c;
    c = NULL;
    rc = LC_OK;
out:
    client_free(c);
    return rc;
}

void client_free(struct client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->resolve);
    if (c->global)
        curl_global_cleanup();
    OPENSSL_cleanse(c->auth, sizeof(c->auth));
    free(c);
}

int client_request(struct client *c, struct client_response *out, const char *method,
                   const char *url, const char *body, struct lc_err *err)
{
    struct curl_slist *hdrs = NULL, *h;
    struct sink s = {NULL, 0, 0, false};
    CURL *e = c->curl;
    char errbuf[CURL_ERROR_SIZE] = "";
    const char *ct = NULL;
    int rc = LC_E_NOMEM;

    memset(out, 0, sizeof(*out));
    if ((h = curl_slist_append(hdrs, "Accept: application/json, application/problem+json")))
        hdrs = h;
    if (h && body && (h = curl_slist_append(hdrs, "Content-Type: application/json")))
        hdrs = h;
    if (h && c->auth[0] && (h = curl_slist_append(hdrs, c->auth)))
        hdrs = h;
    if (!h) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
    if (body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    else if (strcmp(method, "POST") == 0 && !body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
    }
    CURLcode cc = curl_easy_perform(e);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, NULL);
    if (s.too_big) {
        rc = lc_fail(err, LC_E_TOO_BIG, "%.60s: the answer is over %d bytes", url,
                     CLIENT_MAX_BODY);
        goto out;
    }
    if (cc != CURLE_OK) {
        rc = lc_fail(err, LC_E_IO, "%.60s: %.80s", url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &out->status);
    if (curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
        snprintf(out->content_type, sizeof(out->content_type), "%s", ct);
    if (!s.buf && !(s.buf = calloc(1, 1))) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    out->body = s.buf;
    out->body_len = s.len;
    s.buf = NULL;
    rc = LC_OK;
out:
    free(s.buf);
    curl_slist_free_all(hdrs);
    return rc;
}

int client_local_addr(struct client *c, struct lc_addr *out, struct lc_err *err)
{
    const char *ip = NULL;
    if (curl_easy_getinfo(c->curl, CURLINFO_LOCAL_IP, &ip) != CURLE_OK || !ip ||
        !addr_parse(out, ip, strlen(ip)))
        return lc_fail(err, LC_E_IO, "cannot tell the local address of the connection");
    return LC_OK;
}

void client_response_cleanup(struct client_response *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static enum lc_errc status_code(long status)
{
    switch (status) {
    case 400:
    case 422:
        return LC_E_MALFORMED;
    case 401:
    case 403:
        return LC_E_PERM;
    case 404:
        return LC_E_NOTFOUND;
    case 409:
        return LC_E_EXISTS;
    case 413:
        return LC_E_TOO_BIG;
    default:
        return LC_E_IO;
    }
}

void client_printable(char *out, size_t out_len, const char *s)
{
    size_t i = 0;
    for (; s && *s && i + 1 < out_len; s++)
        out[i++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    out[i] = '\0';
}

int client_status_err(struct lc_err *err, const struct client_response *r, const char *what)
{
    char detail[120] = "";
    json_t *j = NULL;

    if (r->body && r->body_len > 0 && strncasecmp(r->content_type, "application/problem+json", 24) == 0)
        j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(j)) {
        const char *d = json_string_value(json_object_get(j, "detail"));
        if (!d)
            d = json_string_value(json_object_get(j, "title"));
        client_printable(detail, sizeof(detail), d);
    }
    json_decref(j);
    if (detail[0])
        return lc_fail(err, status_code(r->status), "%s: %ld: %s", what, r->status, detail);
    return lc_fail(err, status_code(r->status), "%s: the server answered %ld", what, r->status);
}
