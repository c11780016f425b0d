/* dyndns.h — GET /nic/update, the dyndns2 protocol routers and small
 * clients speak: HTTP Basic with the device's update key (user = its name
 * "<id>.device.lancert", password = its secret as base64), hostname = one of
 * the device's friendly names, myip = the new address (default: the
 * client's). Answers are text/plain: "good <ip>", "nochg <ip>", "badauth",
 * "nohost", "notfqdn", "numhost", "badagent" (myip not an allowed address)
 * and "abuse" (over the rate limit per key and source). Runs on the HTTPS
 * listener's threads with a store handle of its own. Pure: no
 * libmicrohttpd. */
#ifndef LC_HTTP_DYNDNS_H
#define LC_HTTP_DYNDNS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/conf.h"
#include "core/err.h"
#include "http/reply.h"

/* The rate limit: a burst of DYNDNS_BURST requests per key and source, then
 * one each DYNDNS_REFILL_S seconds. A client updates on change and every few
 * minutes; a guesser gets nowhere. */
#define DYNDNS_BURST 10
#define DYNDNS_REFILL_S 30
#define DYNDNS_MAX_SOURCES 256 /* sources tracked; the stalest is forgotten */

struct http_dyndns; /* opaque */
struct route_request;
struct dns_records;

/* http_dyndns_new opens a store on |conf|'s state directory (copying the
 * zone and ranges); |records| (borrowed, may be NULL) is the DNS table an
 * update changes after its commit. Free with http_dyndns_free. */
int http_dyndns_new(struct http_dyndns **out, const struct lc_conf *conf,
                    struct dns_records *records, struct lc_err *err);

/* http_dyndns_reload takes a new copy of |conf|'s zone and ranges. */
void http_dyndns_reload(struct http_dyndns *d, const struct lc_conf *conf);

/* http_dyndns_free frees |d|; NULL is fine. */
void http_dyndns_free(struct http_dyndns *d);

/* http_basic_parse decodes an Authorization header "Basic <base64>" (RFC
 * 7617; the scheme case-insensitive) into |user| and |pass|, NUL-terminated.
 * False for anything else, including output that would not fit. */
bool http_basic_parse(const char *header, char *user, size_t user_len, char *pass, size_t pass_len);

/* GET /nic/update?hostname=&myip= */
void http_dyndns_update(struct reply *out, const struct route_request *req);

#endif
