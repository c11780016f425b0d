/* fuzz_name.c — names and addresses from untrusted text: name_normalize,
 * name_classify, name_decode (src/core/name.c) and addr_parse, prefix_parse,
 * prefix_set_parse (src/core/addr.c). Round trips: a decoded hex name
 * re-encodes to the normalized input; a parsed address or prefix formats and
 * re-parses equal, and its text is canonical. Any broken invariant aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/name.h"

#define ZONE "home.arpa"
#define GATEWAY "gateway"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_name: invariant broken: %s\n", what);
        abort();
    }
}

/* require_err checks that a refusal says something. */
static void require_err(const struct lc_err *err)
{
    require(err->code != LC_OK, "a failure has an error code");
    require(memchr(err->msg, '\0', sizeof(err->msg)) != NULL && err->msg[0] != '\0',
            "a failure has a message");
}

static void check_addr_text(const struct lc_addr *a)
{
    char text[LC_ADDR_STRLEN], again[LC_ADDR_STRLEN];
    struct lc_addr b;
    require(a->family == LC_AF_INET || a->family == LC_AF_INET6, "family is 4 or 6");
    addr_format(text, a);
    require(addr_parse(&b, text, strlen(text)), "a formatted address parses");
    require(addr_equal(a, &b), "a formatted address parses to itself");
    addr_format(again, &b);
    require(strcmp(text, again) == 0, "address text is canonical");
}

/* check_name: what normalizes is lowercase, has no final dot, normalizes to
 * itself and classifies consistently; a hex name encodes back to itself. */
static void check_name(const char *in, size_t len)
{
    char norm[LC_NAME_MAX + 1], again[LC_NAME_MAX + 1], hex[LC_NAME_MAX + 1];
    struct name_info info, sub;
    struct lc_addr decoded;
    struct lc_err err;
    size_t n;

    if (name_normalize(norm, in, len, &err) != LC_OK) {
        require_err(&err);
        require(name_decode(&decoded, in, len, ZONE, &err) != LC_OK,
                "what does not normalize does not decode");
        return;
    }
    n = strlen(norm);
    require(n > 0 && n <= LC_NAME_MAX, "normalized length");
    require(norm[n - 1] != '.', "no final dot");
    require(n == len || (n + 1 == len && in[len - 1] == '.'), "only the final dot is dropped");
    for (size_t i = 0; i < n; i++)
        require(norm[i] == ((in[i] >= 'A' && in[i] <= 'Z') ? in[i] | 0x20 : in[i]),
                "normalizing only lowercases");
    require(name_normalize(again, norm, n, &err) == LC_OK && strcmp(again, norm) == 0,
            "normalizing is idempotent");

    name_classify(&info, norm, ZONE, GATEWAY);
    if (name_decode(&decoded, in, len, ZONE, &err) == LC_OK) {
        require(info.kind == NAME_HEX, "what decodes is a hex name");
        require(addr_equal(&decoded, &info.addr), "decode and classify agree");
        require(name_encode(hex, sizeof(hex), &decoded, ZONE, &err) == LC_OK,
                "a decoded address encodes");
        require(strcmp(hex, norm) == 0, "a hex name re-encodes to its normalized form");
        check_addr_text(&decoded);
    } else {
        require_err(&err);
        require(info.kind != NAME_HEX, "a hex name decodes");
    }
    switch (info.kind) {
    case NAME_OUTSIDE:
        require(n < strlen(ZONE) || strcmp(norm + n - strlen(ZONE), ZONE) != 0 ||
                    (n > strlen(ZONE) && norm[n - strlen(ZONE) - 1] != '.'),
                "outside names do not end in .zone");
        break;
    case NAME_APEX:
        require(strcmp(norm, ZONE) == 0, "the apex is the zone");
        break;
    case NAME_HEX:
    case NAME_FRIENDLY:
    case NAME_GATEWAY:
        require(strchr(norm, '.') == norm + strlen(info.label), "one label under the zone");
        require(strcmp(norm + strlen(info.label) + 1, ZONE) == 0, "directly under the zone");
        require(info.label[0] != '_', "device names do not start with '_'");
        require((info.kind == NAME_HEX) == name_is_hex_label(info.label, strlen(info.label)) ||
                    info.kind == NAME_GATEWAY,
                "hex names are exactly the hex labels");
        require((info.kind == NAME_GATEWAY) == (strcmp(info.label, GATEWAY) == 0),
                "the gateway is its label");
        break;
    case NAME_SERVICE:
        break;
    default:
        require(0, "name kind is known");
    }

    /* Any name with a dot is a name in the zone made of its other labels. */
    const char *dot = strchr(norm, '.');
    if (dot) {
        name_classify(&sub, norm, dot + 1, GATEWAY);
        require(sub.kind != NAME_OUTSIDE && sub.kind != NAME_APEX,
                "a name is inside the zone of its parent");
        require(strncmp(sub.label, norm, (size_t)(dot - norm)) == 0 &&
                    sub.label[dot - norm] == '\0',
                "the first label is the label");
    }
}

static void check_addr(const char *in, size_t len)
{
    struct lc_addr a;
    if (!addr_parse(&a, in, len))
        return;
    require(len < LC_ADDR_STRLEN, "address text length");
    require(memchr(in, '\0', len) == NULL, "an address is text without NUL");
    check_addr_text(&a);
}

static void check_prefix(const char *in, size_t len)
{
    char text[LC_ADDR_STRLEN + 4];
    struct lc_prefix p, q;
    struct lc_err err;
    if (prefix_parse(&p, in, len, &err) != LC_OK) {
        require_err(&err);
        return;
    }
    require(memchr(in, '\0', len) == NULL, "a prefix is text without NUL");
    require(p.bits <= (p.addr.family == LC_AF_INET ? 32 : 128), "prefix length in range");
    require(prefix_contains(&p, &p.addr), "a prefix contains its own address");
    require(prefix_within(&p, &p), "a prefix lies within itself");
    check_addr_text(&p.addr);
    prefix_format(text, &p);
    require(prefix_parse(&q, text, strlen(text), &err) == LC_OK, "a formatted prefix parses");
    require(addr_equal(&p.addr, &q.addr) && p.bits == q.bits, "a formatted prefix parses to itself");
}

static void check_prefix_set(const char *in, size_t len)
{
    char text[LC_MAX_PREFIXES * (LC_ADDR_STRLEN + 5) + 1];
    struct lc_prefix_set s, t;
    struct lc_err err;
    if (prefix_set_parse(&s, in, len, &err) != LC_OK) {
        require_err(&err);
        return;
    }
    require(s.n_prefixes >= 1 && s.n_prefixes <= LC_MAX_PREFIXES, "set size");
    prefix_set_format(text, sizeof(text), &s);
    require(strlen(text) < sizeof(text) - 1, "the set's text fits");
    require(prefix_set_parse(&t, text, strlen(text), &err) == LC_OK, "a formatted set parses");
    require(t.n_prefixes == s.n_prefixes, "a formatted set has as many prefixes");
    for (size_t i = 0; i < s.n_prefixes; i++) {
        require(addr_equal(&s.prefixes[i].addr, &t.prefixes[i].addr) &&
                    s.prefixes[i].bits == t.prefixes[i].bits,
                "a formatted set parses to itself");
        require(prefix_set_contains(&s, &s.prefixes[i].addr), "a set contains its prefixes");
    }
}

/* check_raw: 4 or 16 raw bytes make an address whose hex name decodes back. */
static void check_raw(const uint8_t *data, size_t size)
{
    char hex[LC_NAME_MAX + 1];
    struct lc_addr a, b;
    struct lc_err err;
    if (!addr_from_bytes(&a, data, size))
        return;
    check_addr_text(&a);
    require(name_encode(hex, sizeof(hex), &a, ZONE, &err) == LC_OK, "an address encodes");
    require(name_decode(&b, hex, strlen(hex), ZONE, &err) == LC_OK, "an encoded name decodes");
    require(addr_equal(&a, &b), "an encoded name decodes to its address");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    check_name(in, size);
    check_addr(in, size);
    check_prefix(in, size);
    check_prefix_set(in, size);
    check_raw(data, size);
    return 0;
}
