/* routes.h — the HTTPS listener's route table: exact paths, one handler per
 * method. Later endpoints (the enrolment API, ACME, metrics) add rows here.
 * Pure: handlers fill a struct reply and never see libmicrohttpd. */
#ifndef LC_HTTP_ROUTES_H
#define LC_HTTP_ROUTES_H

#include <stddef.h>
#include <stdint.h>

#include "http/reply.h"

/* What a handler gets: the decoded path, the method and the body, capped at
 * ROUTE_MAX_BODY before it was read. Borrowed for the call only. */
struct route_request {
    const char *method;
    const char *path;
    const uint8_t *body;
    size_t body_len;
};

#define ROUTE_MAX_BODY (64 * 1024)

typedef void (*route_handler)(struct reply *out, const struct route_request *req);

/* route_dispatch finds |req|'s route and runs it into |out|: 404 for an
 * unknown path, 405 (with |out|->allow) for a method the path does not take,
 * both as problem documents. HEAD is answered as GET. The caller frees |out|
 * with reply_cleanup. */
void route_dispatch(struct reply *out, const struct route_request *req);

#endif
