/* host.c — Host header parsing: "name", "name:port", "1.2.3.4:port",
 * "[v6]:port". Anything else is malformed. */
#include "http/host.h"

#include <string.h>

#include "core/cur.h"

static bool parse_port(struct cur *c, uint16_t *out)
{
    unsigned port = 0;
    uint8_t d;
    if (cur_is_empty(c) || c->len > 5)
        return false;
    while (cur_u8(c, &d)) {
        if (d < '0' || d > '9')
            return false;
        port = port * 10 + (unsigned)(d - '0');
    }
    if (port == 0 || port > 65535)
        return false;
    *out = (uint16_t)port;
    return true;
}

bool http_host_parse(struct http_host *out, const char *value, size_t len)
{
    struct http_host h;
    struct cur c = cur_init(value, len), host;
    uint8_t first;
    memset(&h, 0, sizeof(h));
    if (!cur_peek(&c, &first))
        return false;
    if (first == '[') {
        cur_skip(&c, 1);
        cur_take_until(&c, &host, ']');
        if (!cur_skip(&c, 1) || memchr(host.p, ':', host.len) == NULL)
            return false;
        if (!addr_parse(&h.addr, (const char *)host.p, host.len))
            return false;
        h.is_addr = true;
    } else {
        cur_take_until(&c, &host, ':');
        if (host.len == 0)
            return false;
        if (addr_parse(&h.addr, (const char *)host.p, host.len)) {
            h.is_addr = true;
        } else {
            struct lc_err ignored;
            /* A dotted-digits host that is not an address is malformed, not a name. */
            size_t digits = 0;
            for (size_t i = 0; i < host.len; i++)
                digits += (host.p[i] >= '0' && host.p[i] <= '9') || host.p[i] == '.';
            if (digits == host.len)
                return false;
            if (name_normalize(h.name, (const char *)host.p, host.len, &ignored) != LC_OK)
                return false;
        }
    }
    if (cur_skip(&c, 1) && !parse_port(&c, &h.port))
        return false;
    if (!cur_is_empty(&c))
        return false;
    *out = h;
    return true;
}

enum http_host_owner http_host_owner(const struct lc_conf *conf, const char *value)
{
    struct http_host h;
    struct name_info info;
    if (!value || !http_host_parse(&h, value, strlen(value)))
        return HOST_MALFORMED;
    if (h.is_addr)
        return conf_is_gateway_addr(conf, &h.addr) ? HOST_GATEWAY : HOST_OTHER;
    name_classify(&info, h.name, conf->zone, conf->gateway_name);
    if (info.kind == NAME_GATEWAY)
        return HOST_GATEWAY;
    if (info.kind == NAME_HEX && conf_is_gateway_addr(conf, &info.addr))
        return HOST_GATEWAY;
    return HOST_OTHER;
}
