/* addr.c — addresses and prefixes, parsed from bounded text. */
#include "core/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/cur.h"

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

size_t addr_len(const struct lc_addr *a)
{
    return a->family == LC_AF_INET ? 4 : 16;
}

bool addr_from_bytes(struct lc_addr *out, const uint8_t *b, size_t len)
{
    struct lc_addr a;
    memset(&a, 0, sizeof(a));
    if (len == 4) {
        a.family = LC_AF_INET;
        memcpy(a.b, b, 4);
    } else if (len == 16 && memcmp(b, v4_mapped, 12) == 0) {
        a.family = LC_AF_INET;
        memcpy(a.b, b + 12, 4);
    } else if (len == 16) {
        a.family = LC_AF_INET6;
        memcpy(a.b, b, 16);
    } else {
        return false;
    }
    *out = a;
    return true;
}

bool addr_parse(struct lc_addr *out, const char *s, size_t len)
{
    char buf[LC_ADDR_STRLEN];
    uint8_t raw[16];
    /* inet_pton stops at a NUL: "1.2.3.4\0junk" must not pass as 1.2.3.4. */
    if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (strchr(buf, '.') && !strchr(buf, ':')) {
        if (inet_pton(AF_INET, buf, raw) != 1)
            return false;
        return addr_from_bytes(out, raw, 4);
    }
    if (inet_pton(AF_INET6, buf, raw) != 1)
        return false;
    return addr_from_bytes(out, raw, 16);
}

void addr_format(char out[LC_ADDR_STRLEN], const struct lc_addr *a)
{
    if (!inet_ntop(a->family == LC_AF_INET ? AF_INET : AF_INET6, a->b, out, LC_ADDR_STRLEN))
        snprintf(out, LC_ADDR_STRLEN, "?");
}

bool addr_equal(const struct lc_addr *a, const struct lc_addr *b)
{
    return a->family == b->family && memcmp(a->b, b->b, addr_len(a)) == 0;
}

/* bits_match compares the first |bits| bits of |a| and |b|. */
static bool bits_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

int prefix_parse(struct lc_prefix *out, const char *s, size_t len, struct lc_err *err)
{
    struct cur c = cur_init(s, len), addr_text;
    struct lc_prefix p;
    cur_take_until(&c, &addr_text, '/');
    if (!addr_parse(&p.addr, (const char *)addr_text.p, addr_text.len))
        return lc_fail(err, LC_E_MALFORMED, "'%.*s' is not an IP address or prefix",
                       (int)(len > 60 ? 60 : len), s);
    unsigned max = p.addr.family == LC_AF_INET ? 32 : 128, bits = max;
    if (cur_skip(&c, 1)) {
        uint8_t d;
        if (cur_is_empty(&c) || c.len > 3)
            return lc_fail(err, LC_E_MALFORMED, "'%.*s': prefix length must be a number",
                           (int)(len > 60 ? 60 : len), s);
        bits = 0;
        while (cur_u8(&c, &d)) {
            if (d < '0' || d > '9')
                return lc_fail(err, LC_E_MALFORMED, "'%.*s': prefix length must be a number",
                               (int)(len > 60 ? 60 : len), s);
            bits = bits * 10 + (unsigned)(d - '0');
        }
        if (bits > max)
            return lc_fail(err, LC_E_MALFORMED, "'%.*s': prefix length over %u",
                           (int)(len > 60 ? 60 : len), s, max);
    }
    p.bits = (uint8_t)bits;
    struct lc_addr masked = p.addr;
    memset(masked.b, 0, sizeof(masked.b));
    memcpy(masked.b, p.addr.b, bits / 8);
    if (bits % 8)
        masked.b[bits / 8] = (uint8_t)(p.addr.b[bits / 8] & (0xff << (8 - bits % 8)));
    if (!addr_equal(&masked, &p.addr))
        return lc_fail(err, LC_E_MALFORMED, "'%.*s' has host bits set past /%u",
                       (int)(len > 60 ? 60 : len), s, bits);
    *out = p;
    return LC_OK;
}

void prefix_format(char out[LC_ADDR_STRLEN + 4], const struct lc_prefix *p)
{
    char a[LC_ADDR_STRLEN];
    addr_format(a, &p->addr);
    snprintf(out, LC_ADDR_STRLEN + 4, "%s/%u", a, p->bits);
}

bool prefix_contains(const struct lc_prefix *p, const struct lc_addr *a)
{
    return p->addr.family == a->family && bits_match(p->addr.b, a->b, p->bits);
}

bool prefix_within(const struct lc_prefix *inner, const struct lc_prefix *outer)
{
    return inner->bits >= outer->bits && prefix_contains(outer, &inner->addr);
}

int prefix_set_add(struct lc_prefix_set *set, const struct lc_prefix *p, struct lc_err *err)
{
    if (set->n_prefixes >= LC_MAX_PREFIXES)
        return lc_fail(err, LC_E_TOO_MANY, "at most %d address ranges are allowed",
                       LC_MAX_PREFIXES);
    set->prefixes[set->n_prefixes++] = *p;
    return LC_OK;
}

int prefix_set_parse(struct lc_prefix_set *set, const char *s, size_t len, struct lc_err *err)
{
    struct lc_prefix_set fresh = {.n_prefixes = 0};
    struct cur c = cur_init(s, len);
    for (;;) {
        struct cur word = cur_init(NULL, 0);
        struct lc_prefix p;
        int rc;
        while (!cur_is_empty(&c) && (c.p[0] == ' ' || c.p[0] == '\t' || c.p[0] == ','))
            cur_skip(&c, 1);
        if (cur_is_empty(&c))
            break;
        size_t n = 0;
        while (n < c.len && c.p[n] != ' ' && c.p[n] != '\t' && c.p[n] != ',')
            n++;
        cur_sub(&c, &word, n);
        if ((rc = prefix_parse(&p, (const char *)word.p, word.len, err)) != LC_OK)
            return rc;
        if ((rc = prefix_set_add(&fresh, &p, err)) != LC_OK)
            return rc;
    }
    if (fresh.n_prefixes == 0)
        return lc_fail(err, LC_E_MALFORMED, "no address ranges given");
    *set = fresh;
    return LC_OK;
}

bool prefix_set_contains(const struct lc_prefix_set *set, const struct lc_addr *a)
{
    for (size_t i = 0; i < set->n_prefixes; i++)
        if (prefix_contains(&set->prefixes[i], a))
            return true;
    return false;
}

void prefix_set_format(char *out, size_t out_len, const struct lc_prefix_set *set)
{
    size_t used = 0;
    if (out_len)
        out[0] = '\0';
    for (size_t i = 0; i < set->n_prefixes && used < out_len; i++) {
        char p[LC_ADDR_STRLEN + 4];
        prefix_format(p, &set->prefixes[i]);
        int n = snprintf(out + used, out_len - used, "%s%s", i ? " " : "", p);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}
