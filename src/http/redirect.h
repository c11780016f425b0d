/* redirect.h — where a plain-HTTP request goes (SPEC "HTTP (plain port)"):
 * served here, sent to its HTTPS name (308), refused as misdirected (421) or
 * as a bad request (400). Pure: no I/O, so it is tested on its own. */
#ifndef LC_HTTP_REDIRECT_H
#define LC_HTTP_REDIRECT_H

#include <stddef.h>

#include "core/conf.h"

enum redirect_action {
    REDIRECT_SERVE,       /* the gateway's own host: serve the fixed pages */
    REDIRECT_TO_HTTPS,    /* 308 to the URL in |location| */
    REDIRECT_MISDIRECTED, /* 421: not a host of the zone */
    REDIRECT_BAD_REQUEST, /* 400: malformed Host or request target */
};

#define REDIRECT_MAX_URL 4096

/* redirect_decide decides for a request with Host |host| (NULL when absent),
 * raw request target |target| (path and query, as received) and whether
 * |path_is_fixed| (one of the gateway's own pages). For REDIRECT_TO_HTTPS the
 * URL is written to |location| (REDIRECT_MAX_URL bytes). */
enum redirect_action redirect_decide(const struct lc_conf *conf, const char *host,
                                     const char *target, int path_is_fixed,
                                     char location[REDIRECT_MAX_URL]);

#endif
