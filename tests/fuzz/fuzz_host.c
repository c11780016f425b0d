/* fuzz_host.c — the HTTP ports' untrusted inputs: the Host header
 * (src/http/host.c) and the request target, through redirect_decide
 * (src/http/redirect.c) and the HTTPS own-host check. Invariants: a parsed
 * host has a normalized name or an address; a redirect is an https URL of
 * visible ASCII that keeps the target exactly; nothing is redirected for a
 * host outside the zone; the own-host check calls malformed exactly what the
 * parser refuses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "http/host.h"
#include "http/redirect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_host: invariant broken: %s\n", what);
        abort();
    }
}

static const struct lc_conf *test_conf(void)
{
    static struct lc_conf conf;
    static int ready;
    if (!ready) {
        struct lc_err err;
        conf_init(&conf);
        require(conf_set(&conf, "allow", "127.0.0.0/8 192.168.0.0/16 fc00::/7", &err) == LC_OK,
                "test config");
        require(conf_finish(&conf, &err) == LC_OK, "test config");
        ready = 1;
    }
    return &conf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The input is "HOST\nTARGET": split at the first newline. */
    const uint8_t *nl = memchr(data, '\n', size);
    size_t host_len = nl ? (size_t)(nl - data) : size;
    char host[1024], target[4096], location[REDIRECT_MAX_URL];
    struct http_host h;

    if (host_len >= sizeof(host) || (nl && size - host_len - 1 >= sizeof(target)))
        return 0;
    if (http_host_parse(&h, (const char *)data, host_len)) {
        if (h.is_addr)
            require(h.addr.family == LC_AF_INET || h.addr.family == LC_AF_INET6, "family");
        else
            for (const char *p = h.name; *p; p++)
                require(!(*p >= 'A' && *p <= 'Z'), "names are lowercase");
    }
    memcpy(host, data, host_len);
    host[host_len] = '\0';
    if (nl) {
        memcpy(target, nl + 1, size - host_len - 1);
        target[size - host_len - 1] = '\0';
    } else {
        strcpy(target, "/");
    }
    /* An embedded NUL makes the C strings shorter than the input: still a
     * valid call, as MHD would pass it. */
    require((http_host_owner(test_conf(), host) == HOST_MALFORMED) ==
                !http_host_parse(&h, host, strlen(host)),
            "own-host check and parser agree");
    enum redirect_action a = redirect_decide(test_conf(), host, target, 0, location);
    if (a == REDIRECT_TO_HTTPS) {
        require(strncmp(location, "https://", 8) == 0, "a redirect is https");
        for (const char *p = location; *p; p++)
            require(*p > 0x20 && *p < 0x7f, "a redirect is visible ASCII");
        size_t ll = strlen(location), tl = strlen(target);
        require(ll >= tl && strcmp(location + ll - tl, target) == 0, "the target is kept");
        require(http_host_parse(&h, host, strlen(host)), "only a parsed host is redirected");
    }
    return 0;
}
