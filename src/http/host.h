/* host.h — the HTTP Host header (RFC 9110 7.2): a name or an address literal
 * and an optional port, read through the cursor. */
#ifndef LC_HTTP_HOST_H
#define LC_HTTP_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
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

#endif
