/* renew.h — the device endpoints signed with the device's certified key:
 * POST /api/v1/renew and PUT /api/v1/names/{name}. The body is a flattened
 * JWS (ca/jws.h) whose x5c is the device's current certificate; it must be
 * ours, in the store, unrevoked, unexpired, its device active, and the JWS
 * never seen before (remembered in the store, in the same transaction as
 * the change). They run on the HTTPS listener's threads with a CA and a
 * store handle of their own, one request at a time. Pure: no libmicrohttpd. */
#ifndef LC_HTTP_RENEW_H
#define LC_HTTP_RENEW_H

#include "core/conf.h"
#include "core/err.h"
#include "http/reply.h"

struct http_renew; /* opaque */
struct route_request;
struct dns_records;

/* http_renew_new loads the CA and opens a store on |conf|'s state directory
 * (copying |conf|); |records| (borrowed, may be NULL) is the DNS table a
 * name update changes after its commit. Open it after privileges are
 * dropped. Free with http_renew_free. */
int http_renew_new(struct http_renew **out, const struct lc_conf *conf, struct dns_records *records,
                   struct lc_err *err);

/* http_renew_reload loads the CA again and takes a new copy of |conf| (a
 * reload: an imported intermediate, other ranges or lifetimes). On failure
 * |r| keeps what it had. */
int http_renew_reload(struct http_renew *r, const struct lc_conf *conf, struct lc_err *err);

/* http_renew_free frees |r|; NULL is fine. */
void http_renew_free(struct http_renew *r);

/* POST /api/v1/renew, payload {csr}: a new certificate for the same device,
 * never with more names (a CSR without SANs gets the current ones); the CSR
 * may have a new key. 201 {id, status, names, certificate, chain, not_after,
 * renew_after} once committed. */
void http_renew_post(struct reply *out, const struct route_request *req);

/* PUT /api/v1/names/{name}, payload {addresses: [..]}: the device's friendly
 * name answers these addresses (1 to DNS_MAX_ADDRS, in the allowed ranges),
 * in the store and at once in DNS. 200 {name, addresses}. */
void http_names_put(struct reply *out, const struct route_request *req);

#endif
