/* routes.h — the HTTPS listener's route table: exact paths, one handler per
 * method. Later endpoints (the enrolment API, ACME, metrics) add rows here.
 * Pure: handlers fill a struct reply and never see libmicrohttpd. */
#ifndef LC_HTTP_ROUTES_H
#define LC_HTTP_ROUTES_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "http/admin.h"
#include "http/dyndns.h"
#include "http/enroll.h"
#include "http/renew.h"
#include "http/reply.h"

/* The services the HTTPS listener serves, each owned by lancertd and
 * borrowed by the listener; a NULL member is a service not offered (its
 * routes answer 503). Later services (enrolment, dyndns2, metrics) add
 * members here. */
struct http_services {
    struct http_admin *admin;   /* the admin API */
    struct http_enroll *enroll; /* enrolment, devices and tokens */
    struct http_renew *renew;   /* renewal and name updates, signed by the device */
    struct http_dyndns *dyndns; /* /nic/update, the dyndns2 protocol */
};

/* What a handler gets: the decoded path, the method and the body, capped at
 * ROUTE_MAX_BODY before it was read. Borrowed for the call only. */
struct route_request {
    const char *method;
    const char *path;
    const uint8_t *body;
    size_t body_len;
    const char *authorization;  /* the Authorization header, NULL without one */
    struct lc_addr peer;        /* the client's address (the TCP peer) */
    /* query_arg returns the decoded query argument |key| or NULL; NULL itself
     * when the request has no query. header returns the request header |name|
     * (case-insensitive) or NULL. Both take |conn_ctx|. */
    const char *(*query_arg)(void *conn_ctx, const char *key);
    const char *(*header)(void *conn_ctx, const char *name);
    void *conn_ctx;
    const struct http_services *svc; /* never NULL */
    /* The way to answer later (see struct reply_waiter), or NULL: then the
     * route answers now. Valid until its done is called. */
    struct reply_waiter *waiter;
    /* Set by route_dispatch: the path segment a "*" in the route matched
     * (inside |path|, not NUL-terminated). */
    const char *param;
    size_t param_len;
};

#define ROUTE_MAX_BODY (64 * 1024)

typedef void (*route_handler)(struct reply *out, const struct route_request *req);

/* route_query_arg is |req|'s query argument |key|, or NULL. */
const char *route_query_arg(const struct route_request *req, const char *key);

/* route_header is |req|'s header |name|, or NULL. */
const char *route_header(const struct route_request *req, const char *name);

/* route_each calls |fn| once per route with its method ("GET" also answers
 * HEAD) and its path, where "*" stands for one segment, in table order: for
 * the test that compares the table with docs/openapi.yaml. */
void route_each(void (*fn)(void *ctx, const char *method, const char *path), void *ctx);

/* route_dispatch finds |req|'s route and runs it into |out|: 404 for an
 * unknown path, 405 (with |out|->allow) for a method the path does not take,
 * both as problem documents. HEAD is answered as GET. The caller frees |out|
 * with reply_cleanup. */
void route_dispatch(struct reply *out, const struct route_request *req);

#endif
