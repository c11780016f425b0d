/* agent.c — the pure decisions of `lancert agent` (see agent.h). */
#include "cli/agent.h"

#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>

int agent_renew_after(time_t *out, X509 *cert, int64_t before, struct lc_err *err)
{
    struct tm nb, na;
    if (!ASN1_TIME_to_tm(X509_get0_notBefore(cert), &nb) ||
        !ASN1_TIME_to_tm(X509_get0_notAfter(cert), &na))
        return lc_fail(err, LC_E_MALFORMED, "the certificate's validity cannot be read");
    int64_t from = (int64_t)timegm(&nb), until = (int64_t)timegm(&na);
    if (until <= from)
        return lc_fail(err, LC_E_MALFORMED, "the certificate ends before it begins");
    int64_t due = from + (until - from) * 2 / 3;
    if (before > 0 && until - before < due)
        due = until - before;
    *out = (time_t)due;
    return LC_OK;
}

void agent_names(char hex[LC_NAME_MAX + 1], struct lc_addr *hex_addr, size_t *friendly,
                 size_t *n_friendly, const char names[][LC_NAME_MAX + 1], size_t n_names)
{
    hex[0] = '\0';
    *n_friendly = 0;
    memset(hex_addr, 0, sizeof(*hex_addr));
    for (size_t i = 0; i < n_names; i++) {
        size_t label = strcspn(names[i], ".");
        struct lc_addr a;
        /* A hex label alone is not a name of the zone: it needs a zone after it. */
        if (names[i][label] == '.' && name_hex_decode(&a, names[i], label)) {
            if (!hex[0]) {
                snprintf(hex, LC_NAME_MAX + 1, "%s", names[i]);
                *hex_addr = a;
            }
            continue;
        }
        friendly[(*n_friendly)++] = i;
    }
}

/* tchar is RFC 9110's token character: what a method is made of. */
static bool tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

int agent_redirect(char location[AGENT_MAX_URL], const char *host, unsigned port,
                   const char *line, size_t len)
{
    size_t i = 0, t0, t1;
    location[0] = '\0';
    if (len > 0 && line[len - 1] == '\r')
        len--;
    while (i < len && tchar((unsigned char)line[i]))
        i++;
    if (i == 0 || i >= len || line[i] != ' ')
        return 400;
    t0 = ++i;
    /* Visible ASCII only: no controls, spaces, DEL or bytes above 0x7e, so
     * nothing can end the Location header or be read two ways. */
    while (i < len && line[i] > 0x20 && line[i] < 0x7f)
        i++;
    t1 = i;
    if (t1 == t0 || i >= len || line[i] != ' ' || len - i - 1 != 8 ||
        memcmp(line + i + 1, "HTTP/1.", 7) != 0 || (line[len - 1] != '0' && line[len - 1] != '1'))
        return 400;
    const char *target = line + t0;
    size_t target_len = t1 - t0;
    if (target_len == 1 && target[0] == '*') {
        target = "/";
    } else if (target[0] != '/') {
        /* Absolute form: drop the scheme and authority, whatever they say. */
        size_t scheme = target_len >= 7 && strncasecmp(target, "http://", 7) == 0    ? 7
                        : target_len >= 8 && strncasecmp(target, "https://", 8) == 0 ? 8
                                                                                     : 0;
        if (!scheme)
            return 400;
        size_t k = scheme;
        while (k < target_len && target[k] != '/' && target[k] != '?')
            k++;
        if (k == target_len) {
            target = "/";
            target_len = 1;
        } else if (target[k] == '?') {
            /* "http://h?q": the path is empty, so "/" then the query. */
            int n = port && port != 443
                        ? snprintf(location, AGENT_MAX_URL, "https://%s:%u/%.*s", host, port,
                                   (int)(target_len - k), target + k)
                        : snprintf(location, AGENT_MAX_URL, "https://%s/%.*s", host,
                                   (int)(target_len - k), target + k);
            return n > 0 && n < AGENT_MAX_URL ? 308 : 414;
        } else {
            target += k;
            target_len -= k;
        }
    }
    int n = port && port != 443
                ? snprintf(location, AGENT_MAX_URL, "https://%s:%u%.*s", host, port,
                           (int)target_len, target)
                : snprintf(location, AGENT_MAX_URL, "https://%s%.*s", host, (int)target_len,
                           target);
    if (n <= 0 || n >= AGENT_MAX_URL) {
        location[0] = '\0';
        return 414;
    }
    return 308;
}
