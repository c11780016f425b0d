/* https.h — the HTTPS listener: TLS 1.2/1.3 with the gateway's own
 * certificate (swappable while running), the Host check against DNS
 * rebinding, request limits, and the route table of routes.h. */
#ifndef LC_HTTP_HTTPS_H
#define LC_HTTP_HTTPS_H

#include <stddef.h>

#include "ca/gateway.h"
#include "core/conf.h"
#include "core/err.h"
#include "http/routes.h"

struct http_https; /* opaque */

/* http_https_start serves TLS on the already-listening sockets |fds| (taken
 * over: closed by http_https_stop, or here on failure). Handshakes fail until
 * the first publish. One listener per process: GnuTLS's certificate callback
 * has no user pointer, so the listener it serves is held in a static.
 * |svc| is copied; the services it points to are borrowed and must outlive
 * the listener. */
int http_https_start(struct http_https **out, const int *fds, size_t n_fds,
                     const struct http_services *svc, struct lc_err *err);

/* http_https_publish swaps in a copy of |conf| (for the Host check) and the
 * key and chain of |gc| (copied; |gc| stays the caller's). Connections that
 * are under way keep the certificate they got; new ones get this one. */
int http_https_publish(struct http_https *srv, const struct lc_conf *conf,
                       const struct gateway_cert *gc, struct lc_err *err);

/* http_https_stop stops the listener and frees it; NULL is fine. Services
 * that answer later (http_enroll_quiesce) must have answered first. */
void http_https_stop(struct http_https *srv);

#endif
