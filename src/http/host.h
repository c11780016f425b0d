/* host.h — the HTTP Host header (RFC 9110 7.2): a name or an address literal
 * and an optional port, read through the cursor. */
#ifndef LC_HTTP_HOST_H
#define LC_HTTP_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/conf.h"
#include "core/name.h"

struct http_host {
    bool is_addr;
    struct lc_addr addr;            /* is_addr */
    char name[LC_NAME_MAX + 1];     /* !is_addr: normalized, lowercase */
    uint16_t port;                  /* 0 when absent */
};

/* http_host_parse reads |len| bytes of a Host header value. False when it is
 * not exactly one host name or address literal with an optional port. */
bool http_host_parse(struct http_host *out, const char *value, size_t len);

enum http_host_owner {
    HOST_GATEWAY,   /* one of the gateway's own names or addresses */
    HOST_OTHER,     /* well-formed, but someone else's: 421 */
    HOST_MALFORMED, /* absent or not a host: 400 */
};

/* http_host_owner says whether the Host header |value| (NULL when absent)
 * names the gateway itself under |conf|: gateway.<zone>, the hex name of one
 * of its addresses, or one of those addresses as a literal; any port. This is
 * the HTTPS listener's DNS-rebinding defence (SPEC "HTTPS"). */
enum http_host_owner http_host_owner(const struct lc_conf *conf, const char *value);

#endif
