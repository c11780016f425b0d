/* name.c — hex names and zone membership. The hex name of an address is its
 * bytes as lowercase hex: 8 digits for IPv4, 32 for IPv6, no compression. */
#include "core/name.h"

#include <string.h>

#include "core/cur.h"

static const char hexdig[] = "0123456789abcdef";

static int hexval(uint8_t ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch = (uint8_t)(ch | 0x20);
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

bool name_is_hex_label(const char *label, size_t len)
{
    if (len != 8 && len != 32)
        return false;
    for (size_t i = 0; i < len; i++)
        if (hexval((uint8_t)label[i]) < 0)
            return false;
    return true;
}

bool name_hex_decode(struct lc_addr *out, const char *label, size_t len)
{
    uint8_t raw[16];
    if (!name_is_hex_label(label, len))
        return false;
    for (size_t i = 0; i < len / 2; i++)
        raw[i] = (uint8_t)(hexval((uint8_t)label[2 * i]) << 4 | hexval((uint8_t)label[2 * i + 1]));
    /* An IPv4-mapped IPv6 hex name is not canonical: the 8-digit form is. */
    return addr_from_bytes(out, raw, len / 2) && addr_len(out) * 2 == len;
}

static bool is_ldh(uint8_t ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-';
}

int name_normalize(char out[LC_NAME_MAX + 1], const char *in, size_t len, struct lc_err *err)
{
    char buf[LC_NAME_MAX + 1];
    struct cur c = cur_init(in, len);
    size_t n = 0;

    if (len > 0 && in[len - 1] == '.')
        c.len--;
    if (cur_is_empty(&c))
        return lc_fail(err, LC_E_MALFORMED, "empty name");
    if (c.len > LC_NAME_MAX)
        return lc_fail(err, LC_E_MALFORMED, "name is %zu bytes long; at most %d are allowed",
                       c.len, LC_NAME_MAX);
    while (!cur_is_empty(&c)) {
        struct cur label;
        cur_take_until(&c, &label, '.');
        if (label.len == 0)
            return lc_fail(err, LC_E_MALFORMED, "'%.*s' has an empty label", (int)len, in);
        if (label.len > LC_LABEL_MAX)
            return lc_fail(err, LC_E_MALFORMED, "'%.60s…' has a label over 63 bytes", in);
        for (size_t i = 0; i < label.len; i++) {
            uint8_t ch = label.p[i];
            bool ok = is_ldh(ch) || (ch == '_' && i == 0);
            if (!ok) {
                if (ch == '*')
                    return lc_fail(err, LC_E_WILDCARD, "'%.*s' is a wildcard; wildcards are not issued",
                                   (int)(len > 80 ? 80 : len), in);
                return lc_fail(err, LC_E_MALFORMED,
                               "'%.*s' is not a host name: only letters, digits and '-' are allowed",
                               (int)(len > 80 ? 80 : len), in);
            }
            buf[n++] = (char)((ch >= 'A' && ch <= 'Z') ? ch | 0x20 : ch);
        }
        if (label.p[0] == '-' || label.p[label.len - 1] == '-')
            return lc_fail(err, LC_E_MALFORMED, "'%.*s': a label may not start or end with '-'",
                           (int)(len > 80 ? 80 : len), in);
        if (cur_skip(&c, 1)) {
            if (cur_is_empty(&c))
                return lc_fail(err, LC_E_MALFORMED, "'%.*s' has an empty label", (int)len, in);
            buf[n++] = '.';
        }
    }
    buf[n] = '\0';
    memcpy(out, buf, n + 1);
    return LC_OK;
}

int name_encode(char *out, size_t out_len, const struct lc_addr *a, const char *zone,
                struct lc_err *err)
{
    size_t alen = addr_len(a), zlen = strlen(zone);
    if (out_len < alen * 2 + 1 + zlen + 1)
        return lc_fail(err, LC_E_INTERNAL, "name buffer too small");
    for (size_t i = 0; i < alen; i++) {
        out[2 * i] = hexdig[a->b[i] >> 4];
        out[2 * i + 1] = hexdig[a->b[i] & 0xf];
    }
    out[2 * alen] = '.';
    memcpy(out + 2 * alen + 1, zone, zlen + 1);
    return LC_OK;
}

/* zone_suffix_at returns where |zone| starts as the final labels of |name|
 * (both lowercase), or -1. 0 means |name| is the apex. */
static long zone_suffix_at(const char *name, const char *zone)
{
    size_t n = strlen(name), z = strlen(zone);
    if (n == z)
        return memcmp(name, zone, z) == 0 ? 0 : -1;
    if (n < z + 2 || name[n - z - 1] != '.' || memcmp(name + n - z, zone, z) != 0)
        return -1;
    return (long)(n - z - 1);
}

void name_classify(struct name_info *out, const char *name, const char *zone,
                   const char *gateway_label)
{
    struct name_info info;
    memset(&info, 0, sizeof(info));
    long at = zone_suffix_at(name, zone);
    if (at < 0) {
        info.kind = NAME_OUTSIDE;
    } else if (at == 0 && strlen(name) == strlen(zone)) {
        info.kind = NAME_APEX;
    } else {
        size_t llen = (size_t)at;
        const char *dot = memchr(name, '.', llen);
        size_t first = dot ? (size_t)(dot - name) : llen;
        memcpy(info.label, name, first > LC_LABEL_MAX ? LC_LABEL_MAX : first);
        if (dot || name[0] == '_') {
            info.kind = NAME_SERVICE;
        } else if (name_is_hex_label(name, llen)) {
            info.kind = name_hex_decode(&info.addr, name, llen) ? NAME_HEX : NAME_SERVICE;
        } else if (strcmp(info.label, gateway_label) == 0) {
            info.kind = NAME_GATEWAY;
        } else {
            info.kind = NAME_FRIENDLY;
        }
    }
    *out = info;
}

int name_decode(struct lc_addr *out, const char *name, size_t len, const char *zone,
                struct lc_err *err)
{
    char norm[LC_NAME_MAX + 1];
    struct name_info info;
    int rc = name_normalize(norm, name, len, err);
    if (rc != LC_OK)
        return rc;
    name_classify(&info, norm, zone, "");
    if (info.kind == NAME_OUTSIDE)
        return lc_fail(err, LC_E_ZONE, "'%s' is not in the zone %s", norm, zone);
    if (info.kind != NAME_HEX)
        return lc_fail(err, LC_E_MALFORMED,
                       "'%s' is not a hex name: it needs 8 (IPv4) or 32 (IPv6) hex digits before .%s",
                       norm, zone);
    *out = info.addr;
    return LC_OK;
}
