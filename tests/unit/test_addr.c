/* test_addr.c — src/core/addr.c: addresses, prefixes and the allowed-range
 * set, from good text and from truncated, oversized and hostile text. */
#include "core/addr.h"

#include "helpers.h"

/* parse_ok parses the C string |s| and asserts it works. */
static struct lc_addr parse_ok(const char *s)
{
    struct lc_addr a;
    ck_assert_msg(addr_parse(&a, s, strlen(s)), "'%s' did not parse", s);
    return a;
}

static struct lc_prefix prefix_ok(const char *s)
{
    struct lc_prefix p;
    struct lc_err err = {LC_OK, ""};
    ck_assert_msg(prefix_parse(&p, s, strlen(s), &err) == LC_OK, "'%s': %s", s, err.msg);
    return p;
}

/* prefix_refused asserts that |len| bytes of |s| are refused as a prefix with
 * |code|, and that the output is not touched. */
static void prefix_refused(const char *s, size_t len, enum lc_errc code)
{
    struct lc_prefix p, before;
    struct lc_err err = {LC_OK, ""};
    memset(&p, 0xa5, sizeof(p));
    before = p;
    TH_FAILS(prefix_parse(&p, s, len, &err), code, err);
    ck_assert_msg(memcmp(&p, &before, sizeof(p)) == 0, "'%.*s' changed the output", (int)len, s);
}

/* ---- addresses ------------------------------------------------------------- */

START_TEST(test_parse_v4)
{
    static const uint8_t want[4] = {192, 168, 1, 23};
    struct lc_addr a = parse_ok("192.168.1.23");
    ck_assert_uint_eq(a.family, LC_AF_INET);
    ck_assert_uint_eq(addr_len(&a), 4);
    ck_assert_mem_eq(a.b, want, 4);

    a = parse_ok("0.0.0.0");
    ck_assert_uint_eq(a.family, LC_AF_INET);
    a = parse_ok("255.255.255.255");
    ck_assert_uint_eq(a.b[3], 255);
}
END_TEST

START_TEST(test_parse_v6)
{
    static const uint8_t want[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x17};
    struct lc_addr a = parse_ok("fd00::17");
    ck_assert_uint_eq(a.family, LC_AF_INET6);
    ck_assert_uint_eq(addr_len(&a), 16);
    ck_assert_mem_eq(a.b, want, 16);

    /* Letter case and the uncompressed form give the same address. */
    struct lc_addr b = parse_ok("FD00:0000:0000:0000:0000:0000:0000:0017");
    ck_assert(addr_equal(&a, &b));

    a = parse_ok("::1");
    ck_assert_uint_eq(a.family, LC_AF_INET6);
    ck_assert_uint_eq(a.b[15], 1);
}
END_TEST

START_TEST(test_parse_v4_mapped_becomes_v4)
{
    struct lc_addr want = parse_ok("192.168.1.1");
    struct lc_addr a = parse_ok("::ffff:192.168.1.1");
    ck_assert_uint_eq(a.family, LC_AF_INET);
    ck_assert(addr_equal(&a, &want));
    a = parse_ok("::FFFF:c0a8:101");
    ck_assert_uint_eq(a.family, LC_AF_INET);
    ck_assert(addr_equal(&a, &want));

    /* Only ::ffff:0:0/96 is mapped; the deprecated ::a.b.c.d form and
     * NAT64 64:ff9b::/96 stay IPv6. */
    a = parse_ok("::192.168.1.1");
    ck_assert_uint_eq(a.family, LC_AF_INET6);
    a = parse_ok("64:ff9b::192.168.1.1");
    ck_assert_uint_eq(a.family, LC_AF_INET6);
}
END_TEST

START_TEST(test_parse_uses_len_not_nul)
{
    /* The length bounds the text: a longer buffer is read only up to it. */
    static const char text[] = "10.1.2.3xyz";
    struct lc_addr a, want = parse_ok("10.1.2.3");
    ck_assert(addr_parse(&a, text, 8));
    ck_assert(addr_equal(&a, &want));
    ck_assert(!addr_parse(&a, text, sizeof(text) - 1));
    ck_assert(!addr_parse(&a, text, 7)); /* "10.1.2." */
}
END_TEST

static const char *const bad_addresses[] = {
    "",
    " ",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "1.2.3.-4",
    "1.2.3.4 ",
    " 1.2.3.4",
    "1.2.3.4/32",
    "01.2.3.4",
    "0x7f.0.0.1",
    "1..2.3",
    "abc",
    "::g",
    "1::2::3",
    "12345::",
    "1:2:3:4:5:6:7:8:9",
    ":",
    "[::1]",
    "[192.168.1.1]",
    "fe80::1%eth0",
    "::1/128",
    "192.168.1.1:80",
};

START_TEST(test_parse_garbage)
{
    const char *s = bad_addresses[_i];
    struct lc_addr a, before;
    memset(&a, 0x5a, sizeof(a));
    before = a;
    ck_assert_msg(!addr_parse(&a, s, strlen(s)), "'%s' parsed as an address", s);
    ck_assert_msg(memcmp(&a, &before, sizeof(a)) == 0, "'%s' changed the output", s);
}
END_TEST

START_TEST(test_parse_overlong)
{
    /* The longest textual IPv6 address is 45 bytes; it parses. */
    static const char longest[] = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
    struct lc_addr a;
    ck_assert_uint_eq(strlen(longest), 45);
    ck_assert(addr_parse(&a, longest, strlen(longest)));

    /* One more byte (a leading zero) is refused by length alone. */
    static const char longer[] = "0ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
    ck_assert(!addr_parse(&a, longer, strlen(longer)));

    /* A huge input is refused without being copied anywhere. */
    char big[4096];
    memset(big, '1', sizeof(big));
    ck_assert(!addr_parse(&a, big, sizeof(big)));
    ck_assert(!addr_parse(&a, big, SIZE_MAX / 2));
}
END_TEST

START_TEST(test_parse_embedded_nul)
{
    /* "1.2.3.4\0evil": a C-string parser would see one address, but the
     * bytes given are more than that. */
    static const char v4[] = "1.2.3.4\0evil";
    static const char v6[] = "::1\0";
    static const char lead[] = "\0" "1.2.3.4";
    struct lc_addr a;
    ck_assert(!addr_parse(&a, v4, sizeof(v4) - 1));
    ck_assert(!addr_parse(&a, v4, 8)); /* just the NUL after it */
    ck_assert(!addr_parse(&a, v6, sizeof(v6) - 1));
    ck_assert(!addr_parse(&a, lead, sizeof(lead) - 1));
}
END_TEST

START_TEST(test_from_bytes)
{
    static const uint8_t v4[4] = {10, 0, 0, 1};
    static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
    static const uint8_t almost[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 10, 0, 0, 1};
    struct lc_addr a, b;
    ck_assert(addr_from_bytes(&a, v4, 4));
    ck_assert_uint_eq(a.family, LC_AF_INET);
    ck_assert(addr_from_bytes(&b, mapped, 16));
    ck_assert_uint_eq(b.family, LC_AF_INET);
    ck_assert(addr_equal(&a, &b));
    ck_assert(addr_from_bytes(&b, almost, 16));
    ck_assert_uint_eq(b.family, LC_AF_INET6);
    ck_assert(!addr_equal(&a, &b));

    memset(&b, 0x5a, sizeof(b));
    struct lc_addr before = b;
    for (size_t len = 0; len <= 17; len++) {
        if (len == 4 || len == 16)
            continue;
        ck_assert_msg(!addr_from_bytes(&b, mapped, len), "%zu bytes made an address", len);
    }
    ck_assert(memcmp(&b, &before, sizeof(b)) == 0);
}
END_TEST

START_TEST(test_equal)
{
    struct lc_addr v4 = parse_ok("10.0.0.1"), v6 = parse_ok("a00:1::"), v4b = parse_ok("10.0.0.2");
    /* Same leading bytes, different families: not equal. */
    ck_assert(!addr_equal(&v4, &v6));
    ck_assert(!addr_equal(&v6, &v4));
    ck_assert(!addr_equal(&v4, &v4b));
    ck_assert(addr_equal(&v4, &v4));
}
END_TEST

static const char *const format_round_trips[] = {
    "192.168.1.23", "0.0.0.0", "255.255.255.255", "fd00::17", "::1", "::", "fe80::1:2",
    "2001:db8:0:1:1:1:1:1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
};

START_TEST(test_format_round_trip)
{
    const char *s = format_round_trips[_i];
    char out[LC_ADDR_STRLEN];
    struct lc_addr a = parse_ok(s), b;
    addr_format(out, &a);
    ck_assert_str_eq(out, s);
    b = parse_ok(out);
    ck_assert(addr_equal(&a, &b));
}
END_TEST

START_TEST(test_format_canonical)
{
    char out[LC_ADDR_STRLEN];
    struct lc_addr a = parse_ok("FD00:0:0:0:0:0:0:17");
    addr_format(out, &a);
    ck_assert_str_eq(out, "fd00::17");
    a = parse_ok("::ffff:10.9.8.7");
    addr_format(out, &a);
    ck_assert_str_eq(out, "10.9.8.7");
}
END_TEST

/* ---- prefixes -------------------------------------------------------------- */

START_TEST(test_prefix_parse)
{
    struct lc_prefix p = prefix_ok("10.0.0.0/8");
    ck_assert_uint_eq(p.bits, 8);
    ck_assert_uint_eq(p.addr.family, LC_AF_INET);
    ck_assert_uint_eq(p.addr.b[0], 10);

    p = prefix_ok("fc00::/7");
    ck_assert_uint_eq(p.bits, 7);
    ck_assert_uint_eq(p.addr.family, LC_AF_INET6);

    p = prefix_ok("172.16.0.0/12");
    ck_assert_uint_eq(p.bits, 12);
    p = prefix_ok("0.0.0.0/0");
    ck_assert_uint_eq(p.bits, 0);
    p = prefix_ok("::/0");
    ck_assert_uint_eq(p.bits, 0);
    p = prefix_ok("192.168.1.23/32");
    ck_assert_uint_eq(p.bits, 32);
    p = prefix_ok("fd00::17/128");
    ck_assert_uint_eq(p.bits, 128);

    /* A bare address is a host prefix. */
    p = prefix_ok("192.168.1.23");
    ck_assert_uint_eq(p.bits, 32);
    p = prefix_ok("::1");
    ck_assert_uint_eq(p.bits, 128);

    /* A mapped prefix is an IPv4 prefix with an IPv4 length. */
    p = prefix_ok("::ffff:10.0.0.0/8");
    ck_assert_uint_eq(p.addr.family, LC_AF_INET);
    ck_assert_uint_eq(p.bits, 8);

    /* The error argument may be NULL. */
    ck_assert_int_eq(prefix_parse(&p, "10.0.0.1/8", 10, NULL), LC_E_MALFORMED);
}
END_TEST

START_TEST(test_prefix_host_bits)
{
    prefix_refused("10.0.0.1/8", 10, LC_E_MALFORMED);
    prefix_refused("10.128.0.0/8", 12, LC_E_MALFORMED);
    prefix_refused("192.168.1.0/23", 14, LC_E_MALFORMED); /* bit 24 is set */
    prefix_refused("172.17.0.0/12", 13, LC_E_MALFORMED);  /* not on a byte edge */
    prefix_refused("fd00::/7", 8, LC_E_MALFORMED);         /* the 8th bit of fd */
    prefix_refused("fc00::1/64", 10, LC_E_MALFORMED);
    prefix_refused("1.0.0.0/0", 9, LC_E_MALFORMED);
    prefix_refused("::1/127", 7, LC_E_MALFORMED);
    prefix_ok("192.168.0.0/23");
    prefix_ok("172.16.0.0/12");
}
END_TEST

START_TEST(test_prefix_bad_length)
{
    prefix_refused("10.0.0.0/33", 11, LC_E_MALFORMED);
    prefix_refused("::/129", 6, LC_E_MALFORMED);
    prefix_refused("10.0.0.0/999", 12, LC_E_MALFORMED);
    prefix_refused("10.0.0.0/0032", 13, LC_E_MALFORMED);   /* four digits */
    prefix_refused("10.0.0.0/4294967304", 19, LC_E_MALFORMED); /* 2^32 + 8 */
    /* The length of an IPv4 prefix is capped at 32 even when it fits IPv6. */
    prefix_refused("10.0.0.0/64", 11, LC_E_MALFORMED);
}
END_TEST

START_TEST(test_prefix_missing_or_non_digit_length)
{
    static const char *const bad[] = {
        "10.0.0.0/",  "10.0.0.0/8a", "10.0.0.0/a8", "10.0.0.0/-8", "10.0.0.0/+8",
        "10.0.0.0/ 8", "10.0.0.0/8 ", "10.0.0.0//8", "10.0.0.0/8/8", "10.0.0.0/0x8",
        "/8",         "/",           "",            "10.0.0.0 /8", "garbage/8",
        "[::]/0",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        prefix_refused(bad[i], strlen(bad[i]), LC_E_MALFORMED);
}
END_TEST

START_TEST(test_prefix_hostile)
{
    /* An embedded NUL, a length that stops inside the text, and a long run
     * of garbage whose message stays bounded. */
    static const char nul[] = "10.0.0.0/8\0/9";
    struct lc_prefix p;
    struct lc_err err = {LC_OK, ""};
    prefix_refused(nul, sizeof(nul) - 1, LC_E_MALFORMED);
    prefix_refused("10.0.0.0\0/8", 11, LC_E_MALFORMED);
    ck_assert_int_eq(prefix_parse(&p, "10.0.0.0/8", 9, &err), LC_E_MALFORMED); /* "10.0.0.0/" */

    /* The message quotes at most 60 bytes of a long input. */
    char big[2000];
    memset(big, 'x', sizeof(big));
    prefix_refused(big, sizeof(big), LC_E_MALFORMED);
    TH_FAILS(prefix_parse(&p, big, sizeof(big), &err), LC_E_MALFORMED, err);
    ck_assert_ptr_nonnull(strstr(err.msg, "xxx"));
    ck_assert_uint_eq(strspn(strstr(err.msg, "xxx"), "x"), 60);
    big[0] = '1';
    big[1] = '/';
    prefix_refused(big, sizeof(big), LC_E_MALFORMED);
}
END_TEST

START_TEST(test_prefix_contains)
{
    struct lc_prefix net10 = prefix_ok("10.0.0.0/8"), net172 = prefix_ok("172.16.0.0/12"),
                     ula = prefix_ok("fc00::/7"), any4 = prefix_ok("0.0.0.0/0"),
                     any6 = prefix_ok("::/0"), host = prefix_ok("192.168.1.23");
    struct lc_addr a;

    a = parse_ok("10.255.255.255");
    ck_assert(prefix_contains(&net10, &a));
    a = parse_ok("11.0.0.0");
    ck_assert(!prefix_contains(&net10, &a));
    a = parse_ok("9.255.255.255");
    ck_assert(!prefix_contains(&net10, &a));

    /* A prefix that ends inside a byte. */
    a = parse_ok("172.31.255.255");
    ck_assert(prefix_contains(&net172, &a));
    a = parse_ok("172.32.0.0");
    ck_assert(!prefix_contains(&net172, &a));
    a = parse_ok("172.15.255.255");
    ck_assert(!prefix_contains(&net172, &a));

    a = parse_ok("fd00::17");
    ck_assert(prefix_contains(&ula, &a));
    a = parse_ok("fc00::");
    ck_assert(prefix_contains(&ula, &a));
    a = parse_ok("fe80::1");
    ck_assert(!prefix_contains(&ula, &a));

    /* /0 holds every address of its own family and none of the other. */
    a = parse_ok("8.8.8.8");
    ck_assert(prefix_contains(&any4, &a));
    ck_assert(!prefix_contains(&any6, &a));
    a = parse_ok("2001:db8::1");
    ck_assert(prefix_contains(&any6, &a));
    ck_assert(!prefix_contains(&any4, &a));

    /* A mapped address is checked as the IPv4 address it is. */
    a = parse_ok("::ffff:10.1.2.3");
    ck_assert(prefix_contains(&net10, &a));
    ck_assert(!prefix_contains(&any6, &a));

    a = parse_ok("192.168.1.23");
    ck_assert(prefix_contains(&host, &a));
    a = parse_ok("192.168.1.22");
    ck_assert(!prefix_contains(&host, &a));
}
END_TEST

START_TEST(test_prefix_within)
{
    struct lc_prefix p16 = prefix_ok("192.168.0.0/16"), p24 = prefix_ok("192.168.1.0/24"),
                     other = prefix_ok("10.0.0.0/8"), host = prefix_ok("192.168.1.1"),
                     v6 = prefix_ok("fc00::/7"), v6in = prefix_ok("fd00::/8"),
                     any4 = prefix_ok("0.0.0.0/0");
    ck_assert(prefix_within(&p24, &p16));
    ck_assert(!prefix_within(&p16, &p24));
    ck_assert(prefix_within(&p16, &p16));
    ck_assert(prefix_within(&host, &p24));
    ck_assert(!prefix_within(&other, &p16));
    ck_assert(!prefix_within(&p16, &other));
    ck_assert(prefix_within(&v6in, &v6));
    ck_assert(!prefix_within(&v6, &v6in));
    ck_assert(prefix_within(&p16, &any4));
    ck_assert(!prefix_within(&any4, &p16));
    ck_assert(!prefix_within(&v6in, &any4)); /* other family */
    ck_assert(!prefix_within(&p16, &v6));
}
END_TEST

START_TEST(test_prefix_format)
{
    static const char *const texts[] = {"10.0.0.0/8", "172.16.0.0/12", "fc00::/7",
                                        "192.168.1.23/32", "::/0", "fd00::17/128"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        char out[LC_ADDR_STRLEN + 4];
        struct lc_prefix p = prefix_ok(texts[i]), q;
        prefix_format(out, &p);
        ck_assert_str_eq(out, texts[i]);
        q = prefix_ok(out);
        ck_assert(addr_equal(&p.addr, &q.addr) && p.bits == q.bits);
    }
    /* The longest IPv6 text with /128 still fits the buffer. */
    char out[LC_ADDR_STRLEN + 4];
    struct lc_prefix p = prefix_ok("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
    prefix_format(out, &p);
    ck_assert_str_eq(out, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
}
END_TEST

/* ---- prefix sets ----------------------------------------------------------- */

#define DEFAULT_ALLOW "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7"

START_TEST(test_set_parse)
{
    struct lc_prefix_set set;
    struct lc_err err = {LC_OK, ""};
    struct lc_addr a;
    TH_OK(prefix_set_parse(&set, DEFAULT_ALLOW, strlen(DEFAULT_ALLOW), &err), err);
    ck_assert_uint_eq(set.n_prefixes, 4);
    ck_assert_uint_eq(set.prefixes[3].bits, 7);

    a = parse_ok("192.168.1.23");
    ck_assert(prefix_set_contains(&set, &a));
    a = parse_ok("fd00::17");
    ck_assert(prefix_set_contains(&set, &a));
    a = parse_ok("8.8.8.8");
    ck_assert(!prefix_set_contains(&set, &a));
    a = parse_ok("127.0.0.1");
    ck_assert(!prefix_set_contains(&set, &a));
    a = parse_ok("::1");
    ck_assert(!prefix_set_contains(&set, &a));

    /* Commas, tabs and runs of separators all separate. */
    static const char messy[] = " ,\t10.0.0.0/8,,127.0.0.0/8\t ::1 , ";
    TH_OK(prefix_set_parse(&set, messy, strlen(messy), &err), err);
    ck_assert_uint_eq(set.n_prefixes, 3);
    ck_assert(prefix_set_contains(&set, &a));

    /* The length bounds the text. */
    TH_OK(prefix_set_parse(&set, DEFAULT_ALLOW, 10, &err), err);
    ck_assert_uint_eq(set.n_prefixes, 1);
}
END_TEST

/* many_prefixes writes |n| distinct /24s into |out|. */
static void many_prefixes(char *out, size_t out_len, unsigned n)
{
    size_t used = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < n; i++)
        used += (size_t)snprintf(out + used, out_len - used, "%s10.0.%u.0/24", i ? " " : "", i);
    ck_assert_uint_lt(used, out_len);
}

START_TEST(test_set_limits)
{
    char text[1024];
    struct lc_prefix_set set, before;
    struct lc_err err = {LC_OK, ""};

    many_prefixes(text, sizeof(text), LC_MAX_PREFIXES);
    TH_OK(prefix_set_parse(&set, text, strlen(text), &err), err);
    ck_assert_uint_eq(set.n_prefixes, LC_MAX_PREFIXES);

    /* 17 prefixes are too many; the set keeps what it had. */
    before = set;
    many_prefixes(text, sizeof(text), LC_MAX_PREFIXES + 1);
    TH_FAILS(prefix_set_parse(&set, text, strlen(text), &err), LC_E_TOO_MANY, err);
    ck_assert(memcmp(&set, &before, sizeof(set)) == 0);

    /* So is adding one to a full set. */
    struct lc_prefix p = prefix_ok("192.168.0.0/16");
    TH_FAILS(prefix_set_add(&set, &p, &err), LC_E_TOO_MANY, err);
    ck_assert_uint_eq(set.n_prefixes, LC_MAX_PREFIXES);
}
END_TEST

START_TEST(test_set_refusals)
{
    struct lc_prefix_set set, before;
    struct lc_err err = {LC_OK, ""};
    TH_OK(prefix_set_parse(&set, DEFAULT_ALLOW, strlen(DEFAULT_ALLOW), &err), err);
    before = set;

    TH_FAILS(prefix_set_parse(&set, "", 0, &err), LC_E_MALFORMED, err);
    TH_FAILS(prefix_set_parse(&set, NULL, 0, &err), LC_E_MALFORMED, err);
    TH_FAILS(prefix_set_parse(&set, " ,\t, ", 5, &err), LC_E_MALFORMED, err);
    /* One bad prefix spoils the whole set, wherever it is. */
    TH_FAILS(prefix_set_parse(&set, "10.0.0.0/8 10.0.0.1/8", 21, &err), LC_E_MALFORMED, err);
    TH_FAILS(prefix_set_parse(&set, "bogus 10.0.0.0/8", 16, &err), LC_E_MALFORMED, err);
    TH_FAILS(prefix_set_parse(&set, "10.0.0.0/8;fc00::/7", 19, &err), LC_E_MALFORMED, err);
    TH_FAILS(prefix_set_parse(&set, "10.0.0.0/8\n", 11, &err), LC_E_MALFORMED, err);
    ck_assert(memcmp(&set, &before, sizeof(set)) == 0);
}
END_TEST

START_TEST(test_set_format)
{
    char out[256];
    struct lc_prefix_set set, again;
    struct lc_err err = {LC_OK, ""};
    TH_OK(prefix_set_parse(&set, DEFAULT_ALLOW, strlen(DEFAULT_ALLOW), &err), err);
    prefix_set_format(out, sizeof(out), &set);
    ck_assert_str_eq(out, DEFAULT_ALLOW);
    TH_OK(prefix_set_parse(&again, out, strlen(out), &err), err);
    ck_assert(memcmp(&set, &again, sizeof(set)) == 0);

    /* A short buffer gets a truncated, terminated string and no overflow. */
    char small[16];
    memset(small, '#', sizeof(small));
    prefix_set_format(small, 12, &set);
    ck_assert_str_eq(small, "10.0.0.0/8 ");
    ck_assert_uint_eq((uint8_t)small[12], '#');
    prefix_set_format(small, 1, &set);
    ck_assert_str_eq(small, "");
    small[0] = '#';
    prefix_set_format(small, 0, &set);
    ck_assert_uint_eq((uint8_t)small[0], '#');

    /* An empty set formats as an empty string. */
    struct lc_prefix_set empty = {.n_prefixes = 0};
    prefix_set_format(out, sizeof(out), &empty);
    ck_assert_str_eq(out, "");
}
END_TEST

static Suite *addr_suite(void)
{
    Suite *s = suite_create("addr");
    TCase *tc = tcase_create("addr");
    tcase_add_test(tc, test_parse_v4);
    tcase_add_test(tc, test_parse_v6);
    tcase_add_test(tc, test_parse_v4_mapped_becomes_v4);
    tcase_add_test(tc, test_parse_uses_len_not_nul);
    tcase_add_loop_test(tc, test_parse_garbage, 0,
                        sizeof(bad_addresses) / sizeof(bad_addresses[0]));
    tcase_add_test(tc, test_parse_overlong);
    tcase_add_test(tc, test_parse_embedded_nul);
    tcase_add_test(tc, test_from_bytes);
    tcase_add_test(tc, test_equal);
    tcase_add_loop_test(tc, test_format_round_trip, 0,
                        sizeof(format_round_trips) / sizeof(format_round_trips[0]));
    tcase_add_test(tc, test_format_canonical);
    suite_add_tcase(s, tc);

    tc = tcase_create("prefix");
    tcase_add_test(tc, test_prefix_parse);
    tcase_add_test(tc, test_prefix_host_bits);
    tcase_add_test(tc, test_prefix_bad_length);
    tcase_add_test(tc, test_prefix_missing_or_non_digit_length);
    tcase_add_test(tc, test_prefix_hostile);
    tcase_add_test(tc, test_prefix_contains);
    tcase_add_test(tc, test_prefix_within);
    tcase_add_test(tc, test_prefix_format);
    suite_add_tcase(s, tc);

    tc = tcase_create("prefix_set");
    tcase_add_test(tc, test_set_parse);
    tcase_add_test(tc, test_set_limits);
    tcase_add_test(tc, test_set_refusals);
    tcase_add_test(tc, test_set_format);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(addr_suite());
}
