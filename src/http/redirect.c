/* redirect.c — the redirector's one decision. */
#include "http/redirect.h"

#include <stdio.h>
#include <string.h>

#include "core/name.h"
#include "http/host.h"

/* target_is_safe: an origin-form target ("/path?query") of visible ASCII, so
 * it can go into a Location header as it is. */
static int target_is_safe(const char *target)
{
    size_t n = strlen(target);
    if (n == 0 || target[0] != '/' || n >= REDIRECT_MAX_URL - LC_NAME_MAX - 16)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)target[i] <= 0x20 || (unsigned char)target[i] >= 0x7f)
            return 0;
    return 1;
}

static unsigned gateway_https_port(const struct lc_conf *conf)
{
    return conf->https_listen.n_items ? conf->https_listen.items[0].port : 443;
}

static enum redirect_action to_https(const char *name, unsigned port, const char *target,
                                     char location[REDIRECT_MAX_URL])
{
    int n = port == 443 ? snprintf(location, REDIRECT_MAX_URL, "https://%s%s", name, target)
                        : snprintf(location, REDIRECT_MAX_URL, "https://%s:%u%s", name, port, target);
    return (n > 0 && n < REDIRECT_MAX_URL) ? REDIRECT_TO_HTTPS : REDIRECT_BAD_REQUEST;
}

enum redirect_action redirect_decide(const struct lc_conf *conf, const char *host,
                                     const char *target, int path_is_fixed,
                                     char location[REDIRECT_MAX_URL])
{
    struct http_host h;
    struct name_info info;
    char name[LC_NAME_MAX + 1];
    struct lc_err ignored;

    if (!target_is_safe(target))
        return REDIRECT_BAD_REQUEST;
    if (!host) /* HTTP/1.0 without Host: it can only mean this gateway */
        return path_is_fixed ? REDIRECT_SERVE : REDIRECT_MISDIRECTED;
    if (!http_host_parse(&h, host, strlen(host)))
        return REDIRECT_BAD_REQUEST;

    if (h.is_addr) {
        if (conf_is_gateway_addr(conf, &h.addr)) {
            if (path_is_fixed)
                return REDIRECT_SERVE;
            if (!prefix_set_contains(&conf->allow, &h.addr)) {
                conf_gateway_fqdn(name, conf);
                return to_https(name, gateway_https_port(conf), target, location);
            }
            if (name_encode(name, sizeof(name), &h.addr, conf->zone, &ignored) != LC_OK)
                return REDIRECT_BAD_REQUEST;
            return to_https(name, gateway_https_port(conf), target, location);
        }
        if (!prefix_set_contains(&conf->allow, &h.addr))
            return REDIRECT_MISDIRECTED;
        if (name_encode(name, sizeof(name), &h.addr, conf->zone, &ignored) != LC_OK)
            return REDIRECT_BAD_REQUEST;
        return to_https(name, 443, target, location);
    }

    name_classify(&info, h.name, conf->zone, conf->gateway_name);
    switch (info.kind) {
    case NAME_GATEWAY:
        return path_is_fixed ? REDIRECT_SERVE
                             : to_https(h.name, gateway_https_port(conf), target, location);
    case NAME_HEX:
        if (!prefix_set_contains(&conf->allow, &info.addr))
            return REDIRECT_MISDIRECTED; /* that name does not exist */
        if (conf_is_gateway_addr(conf, &info.addr))
            return path_is_fixed ? REDIRECT_SERVE
                                 : to_https(h.name, gateway_https_port(conf), target, location);
        return to_https(h.name, 443, target, location);
    case NAME_FRIENDLY:
        return to_https(h.name, 443, target, location);
    case NAME_OUTSIDE:
    case NAME_APEX:
    case NAME_SERVICE:
        break;
    }
    return REDIRECT_MISDIRECTED;
}
