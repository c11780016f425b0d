/* routes.c — the table and the endpoints small enough to live beside it. */
#include "http/routes.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

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

static const struct route routes[] = {
    {"/healthz", "GET", healthz},
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

/* allow_for writes the methods |path| takes, for the Allow header. */
static void allow_for(char *out, size_t out_len, const char *path)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (strcmp(routes[i].path, path) != 0)
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
    char detail[160], path[101], meth[21];
    memset(out, 0, sizeof(*out));
    printable(path, sizeof(path), req->path);
    printable(meth, sizeof(meth), req->method);
    for (size_t i = 0; i < N_ROUTES && !match; i++) {
        if (strcmp(routes[i].path, req->path) != 0)
            continue;
        path_match = &routes[i];
        if (strcmp(routes[i].method, method) == 0)
            match = &routes[i];
    }
    if (match) {
        match->handler(out, req);
    } else if (path_match) {
        snprintf(detail, sizeof(detail), "%.60s does not take %s", path, meth);
        reply_problem(out, 405, "Method Not Allowed", detail);
        allow_for(out->allow, sizeof(out->allow), req->path);
    } else {
        snprintf(detail, sizeof(detail), "there is nothing at %s", path);
        reply_problem(out, 404, "Not Found", detail);
    }
}
