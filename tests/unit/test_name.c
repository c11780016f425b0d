/* test_name.c — src/core/name.c: hex names (SPEC "Names"), zone membership,
 * and the host-name syntax every name passes through. */
#include "core/name.h"

#include "helpers.h"

#define ZONE "home.arpa"

static struct lc_addr addr_of(const char *s)
{
    struct lc_addr a;
    ck_assert_msg(addr_parse(&a, s, strlen(s)), "'%s' is not an address", s);
    return a;
}

/* repeat fills |out| with |n| copies of |ch| and a NUL. */
static char *repeat(char *out, char ch, size_t n)
{
    memset(out, ch, n);
    out[n] = '\0';
    return out;
}

/* ---- encode and decode ----------------------------------------------------- */

START_TEST(test_encode_spec_examples)
{
    char out[LC_NAME_MAX + 1];
    struct lc_err err = {LC_OK, ""};
    struct lc_addr a = addr_of("192.168.1.23");
    TH_OK(name_encode(out, sizeof(out), &a, ZONE, &err), err);
    ck_assert_str_eq(out, "c0a80117.home.arpa");

    a = addr_of("fd00::17");
    TH_OK(name_encode(out, sizeof(out), &a, ZONE, &err), err);
    ck_assert_str_eq(out, "fd000000000000000000000000000017.home.arpa");

    /* Lowercase digits, every nibble, and a different zone. */
    a = addr_of("10.171.205.239");
    TH_OK(name_encode(out, sizeof(out), &a, "lan.example", &err), err);
    ck_assert_str_eq(out, "0aabcdef.lan.example");

    /* A mapped address is its IPv4 name. */
    a = addr_of("::ffff:192.168.1.23");
    TH_OK(name_encode(out, sizeof(out), &a, ZONE, &err), err);
    ck_assert_str_eq(out, "c0a80117.home.arpa");
}
END_TEST

START_TEST(test_encode_buffer)
{
    /* "c0a80117.home.arpa" is 18 bytes and its NUL: 19 fit, 18 do not. */
    char out[32];
    struct lc_err err = {LC_OK, ""};
    struct lc_addr a = addr_of("192.168.1.23");
    memset(out, '#', sizeof(out));
    TH_FAILS(name_encode(out, 18, &a, ZONE, &err), LC_E_INTERNAL, err);
    ck_assert_uint_eq((uint8_t)out[0], '#');
    TH_OK(name_encode(out, 19, &a, ZONE, &err), err);
    ck_assert_str_eq(out, "c0a80117.home.arpa");
    ck_assert_uint_eq((uint8_t)out[19], '#');

    a = addr_of("fd00::17");
    TH_FAILS(name_encode(out, sizeof(out), &a, ZONE, &err), LC_E_INTERNAL, err);
    TH_FAILS(name_encode(out, 0, &a, ZONE, &err), LC_E_INTERNAL, err);
}
END_TEST

START_TEST(test_decode_spec_examples)
{
    struct lc_addr a, want = addr_of("192.168.1.23");
    struct lc_err err = {LC_OK, ""};
    static const char *const v4_forms[] = {"c0a80117.home.arpa", "C0A80117.HOME.ARPA",
                                           "c0a80117.home.arpa.", "C0a80117.Home.Arpa."};
    for (size_t i = 0; i < sizeof(v4_forms) / sizeof(v4_forms[0]); i++) {
        memset(&a, 0, sizeof(a));
        TH_OK(name_decode(&a, v4_forms[i], strlen(v4_forms[i]), ZONE, &err), err);
        ck_assert_msg(addr_equal(&a, &want), "%s decoded wrong", v4_forms[i]);
    }

    want = addr_of("fd00::17");
    static const char v6[] = "FD000000000000000000000000000017.home.arpa.";
    TH_OK(name_decode(&a, v6, strlen(v6), ZONE, &err), err);
    ck_assert(addr_equal(&a, &want));
}
END_TEST

START_TEST(test_round_trip)
{
    static const char *const addrs[] = {"0.0.0.0", "10.0.0.1", "255.255.255.255", "::",
                                        "::1", "fc00::", "fd12:3456:789a:bcde:f012:3456:789a:bcde"};
    for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        char out[LC_NAME_MAX + 1];
        struct lc_err err = {LC_OK, ""};
        struct lc_addr a = addr_of(addrs[i]), b;
        TH_OK(name_encode(out, sizeof(out), &a, ZONE, &err), err);
        TH_OK(name_decode(&b, out, strlen(out), ZONE, &err), err);
        ck_assert_msg(addr_equal(&a, &b), "%s -> %s did not come back", addrs[i], out);
    }
}
END_TEST

START_TEST(test_decode_refusals)
{
    static const struct {
        const char *name;
        enum lc_errc code;
    } cases[] = {
        {"c0a80117.example.com", LC_E_ZONE},
        {"c0a80117.arpa", LC_E_ZONE},
        {"c0a80117.home.arpa.example", LC_E_ZONE},
        {"c0a80117home.arpa", LC_E_ZONE},
        {"home.arpa", LC_E_MALFORMED},              /* the apex */
        {"printer.home.arpa", LC_E_MALFORMED},      /* friendly */
        {"gateway.home.arpa", LC_E_MALFORMED},
        {"c0a8011.home.arpa", LC_E_MALFORMED},      /* 7 digits */
        {"c0a801170.home.arpa", LC_E_MALFORMED},    /* 9 digits */
        {"fd00000000000000000000000000001.home.arpa", LC_E_MALFORMED},   /* 31 */
        {"fd0000000000000000000000000000170.home.arpa", LC_E_MALFORMED}, /* 33 */
        {"g0a80117.home.arpa", LC_E_MALFORMED},     /* not hex */
        {"00000000000000000000ffffc0a80117.home.arpa", LC_E_MALFORMED}, /* v4-mapped */
        {"x.c0a80117.home.arpa", LC_E_MALFORMED},   /* deeper */
        {"_x.home.arpa", LC_E_MALFORMED},
        {"", LC_E_MALFORMED},
        {".", LC_E_MALFORMED},
        {"c0a80117..home.arpa", LC_E_MALFORMED},
        {"c0a80117.home.arpa..", LC_E_MALFORMED},
        {"c0a8 0117.home.arpa", LC_E_MALFORMED},
        {"*.home.arpa", LC_E_WILDCARD},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lc_addr a, before;
        struct lc_err err = {LC_OK, ""};
        memset(&a, 0x5a, sizeof(a));
        before = a;
        int rc = name_decode(&a, cases[i].name, strlen(cases[i].name), ZONE, &err);
        ck_assert_msg(rc == (int)cases[i].code, "'%s': expected %s, got %s (%s)", cases[i].name,
                      lc_errc_name(cases[i].code), lc_errc_name((enum lc_errc)rc), err.msg);
        ck_assert_int_eq(err.code, cases[i].code);
        ck_assert(memcmp(&a, &before, sizeof(a)) == 0);
    }
}
END_TEST

START_TEST(test_decode_hostile)
{
    struct lc_addr a;
    struct lc_err err = {LC_OK, ""};
    /* The length bounds the name; bytes after it do not count. */
    static const char longer[] = "c0a80117.home.arpaXYZ";
    TH_OK(name_decode(&a, longer, strlen(longer) - 3, ZONE, &err), err);
    TH_FAILS(name_decode(&a, longer, strlen(longer), ZONE, &err), LC_E_ZONE, err);

    /* An embedded NUL cannot cut the name short. */
    static const char nul[] = "c0a80117.home.arpa\0.evil";
    TH_FAILS(name_decode(&a, nul, sizeof(nul) - 1, ZONE, &err), LC_E_MALFORMED, err);

    /* A huge name is refused for its length. */
    char big[1000];
    repeat(big, 'a', sizeof(big) - 1);
    TH_FAILS(name_decode(&a, big, strlen(big), ZONE, &err), LC_E_MALFORMED, err);
}
END_TEST

START_TEST(test_is_hex_label)
{
    char buf[40];
    ck_assert(name_is_hex_label("c0a80117", 8));
    ck_assert(name_is_hex_label("C0A80117", 8));
    ck_assert(name_is_hex_label(repeat(buf, 'f', 32), 32));
    ck_assert(!name_is_hex_label("c0a8011g", 8));
    ck_assert(!name_is_hex_label("c0a8011-", 8));
    ck_assert(!name_is_hex_label("c0a80117", 7));
    for (size_t n = 0; n <= 33; n++) {
        if (n == 8 || n == 32)
            continue;
        ck_assert_msg(!name_is_hex_label(repeat(buf, 'a', n), n), "%zu digits are hex", n);
    }
}
END_TEST

/* ---- classify -------------------------------------------------------------- */

static struct name_info classify(const char *name)
{
    struct name_info info;
    memset(&info, 0x5a, sizeof(info));
    name_classify(&info, name, ZONE, "gateway");
    return info;
}

START_TEST(test_classify_outside)
{
    static const char *const outside[] = {"example.com", "arpa", "home.arpa.example.com",
                                          "myhome.arpa", "printer.xhome.arpa", "ome.arpa", ""};
    for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
        ck_assert_msg(classify(outside[i]).kind == NAME_OUTSIDE, "'%s' is in the zone",
                      outside[i]);
}
END_TEST

START_TEST(test_classify_apex_hex_friendly_gateway)
{
    struct name_info info = classify("home.arpa");
    ck_assert_int_eq(info.kind, NAME_APEX);

    info = classify("c0a80117.home.arpa");
    ck_assert_int_eq(info.kind, NAME_HEX);
    struct lc_addr want = addr_of("192.168.1.23");
    ck_assert(addr_equal(&info.addr, &want));
    ck_assert_str_eq(info.label, "c0a80117");

    info = classify("fd000000000000000000000000000017.home.arpa");
    ck_assert_int_eq(info.kind, NAME_HEX);
    want = addr_of("fd00::17");
    ck_assert(addr_equal(&info.addr, &want));

    info = classify("printer.home.arpa");
    ck_assert_int_eq(info.kind, NAME_FRIENDLY);
    ck_assert_str_eq(info.label, "printer");

    info = classify("gateway.home.arpa");
    ck_assert_int_eq(info.kind, NAME_GATEWAY);
    ck_assert_str_eq(info.label, "gateway");

    /* The gateway's label is whatever the caller says it is. */
    name_classify(&info, "router.home.arpa", ZONE, "router");
    ck_assert_int_eq(info.kind, NAME_GATEWAY);
    name_classify(&info, "gateway.home.arpa", ZONE, "router");
    ck_assert_int_eq(info.kind, NAME_FRIENDLY);
    ck_assert_int_eq(classify("gateway2.home.arpa").kind, NAME_FRIENDLY);
}
END_TEST

START_TEST(test_classify_service_and_deeper)
{
    struct name_info info = classify("_lancert._tcp.home.arpa");
    ck_assert_int_eq(info.kind, NAME_SERVICE);
    ck_assert_str_eq(info.label, "_lancert");
    ck_assert_int_eq(classify("_x.home.arpa").kind, NAME_SERVICE);
    ck_assert_int_eq(classify("_acme-challenge.printer.home.arpa").kind, NAME_SERVICE);
    /* Anything two labels deep is not a device name, even over a hex name. */
    info = classify("a.c0a80117.home.arpa");
    ck_assert_int_eq(info.kind, NAME_SERVICE);
    ck_assert_str_eq(info.label, "a");
    ck_assert_int_eq(classify("www.printer.home.arpa").kind, NAME_SERVICE);
}
END_TEST

START_TEST(test_classify_not_hex)
{
    /* 7, 9, 31 and 33 digits are ordinary labels, not addresses. */
    ck_assert_int_eq(classify("c0a8011.home.arpa").kind, NAME_FRIENDLY);
    ck_assert_int_eq(classify("c0a801170.home.arpa").kind, NAME_FRIENDLY);
    ck_assert_int_eq(classify("fd00000000000000000000000000001.home.arpa").kind, NAME_FRIENDLY);
    ck_assert_int_eq(classify("fd0000000000000000000000000000170.home.arpa").kind, NAME_FRIENDLY);
    ck_assert_int_eq(classify("c0a8011g.home.arpa").kind, NAME_FRIENDLY);

    /* The 32-digit form of an IPv4-mapped address is not canonical: its
     * 8-digit name is. It must be neither a hex name nor a device's. */
    struct name_info info = classify("00000000000000000000ffffc0a80117.home.arpa");
    ck_assert_int_ne(info.kind, NAME_HEX);
    ck_assert_int_ne(info.kind, NAME_FRIENDLY);
    ck_assert_int_eq(info.kind, NAME_SERVICE);

    /* Zero and all-ones are still hex names: ranges are policy's business. */
    ck_assert_int_eq(classify("00000000.home.arpa").kind, NAME_HEX);
    ck_assert_int_eq(classify("ffffffff.home.arpa").kind, NAME_HEX);
}
END_TEST

START_TEST(test_classify_other_zone)
{
    struct name_info info;
    name_classify(&info, "c0a80117.lan", "lan", "gw");
    ck_assert_int_eq(info.kind, NAME_HEX);
    name_classify(&info, "gw.lan", "lan", "gw");
    ck_assert_int_eq(info.kind, NAME_GATEWAY);
    name_classify(&info, "c0a80117.home.arpa", "lan", "gw");
    ck_assert_int_eq(info.kind, NAME_OUTSIDE);
    name_classify(&info, "a.b.c.example", "b.c.example", "gw");
    ck_assert_int_eq(info.kind, NAME_FRIENDLY);
}
END_TEST

/* ---- normalize ------------------------------------------------------------- */

static void normalize_ok(const char *in, const char *want)
{
    char out[LC_NAME_MAX + 1];
    struct lc_err err = {LC_OK, ""};
    ck_assert_msg(name_normalize(out, in, strlen(in), &err) == LC_OK, "'%s': %s", in, err.msg);
    ck_assert_str_eq(out, want);
}

static void normalize_refused(const char *in, size_t len, enum lc_errc code)
{
    char out[LC_NAME_MAX + 1];
    struct lc_err err = {LC_OK, ""};
    memset(out, '#', sizeof(out));
    int rc = name_normalize(out, in, len, &err);
    ck_assert_msg(rc == (int)code, "'%.*s': expected %s, got %s (%s)", (int)(len > 80 ? 80 : len),
                  in, lc_errc_name(code), lc_errc_name((enum lc_errc)rc), err.msg);
    ck_assert_int_eq(err.code, code);
    ck_assert(err.msg[0] != '\0');
    ck_assert_msg((uint8_t)out[0] == '#', "a refused name was written out");
}

START_TEST(test_normalize)
{
    normalize_ok("Printer.Home.ARPA", "printer.home.arpa");
    normalize_ok("printer.home.arpa.", "printer.home.arpa");
    normalize_ok("a", "a");
    normalize_ok("a.", "a");
    normalize_ok("xn--bcher-kva.home.arpa", "xn--bcher-kva.home.arpa");
    normalize_ok("a-b.c-d.home.arpa", "a-b.c-d.home.arpa");
    normalize_ok("0123.9.home.arpa", "0123.9.home.arpa");
    normalize_ok("_lancert._TCP.home.arpa", "_lancert._tcp.home.arpa");
    normalize_ok("_.home.arpa", "_.home.arpa");
    normalize_ok("_acme-challenge.printer.home.arpa", "_acme-challenge.printer.home.arpa");
}
END_TEST

START_TEST(test_normalize_lengths)
{
    char label[LC_LABEL_MAX + 2], name[400];

    /* A 63-byte label is fine; 64 is not. */
    repeat(label, 'a', 63);
    snprintf(name, sizeof(name), "%s.home.arpa", label);
    normalize_ok(name, name);
    repeat(label, 'a', 64);
    snprintf(name, sizeof(name), "%s.home.arpa", label);
    normalize_refused(name, strlen(name), LC_E_MALFORMED);
    snprintf(name, sizeof(name), "x.%s", label); /* the last label too */
    normalize_refused(name, strlen(name), LC_E_MALFORMED);

    /* 253 bytes are fine, with or without the final dot; 254 are not. */
    repeat(label, 'b', 63);
    snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label, label, label, label);
    ck_assert_uint_eq(strlen(name), 253);
    normalize_ok(name, name);
    char with_dot[400];
    snprintf(with_dot, sizeof(with_dot), "%s.", name);
    normalize_ok(with_dot, name);
    snprintf(name, sizeof(name), "%s.%s.%s.%.62s", label, label, label, label);
    ck_assert_uint_eq(strlen(name), 254);
    normalize_refused(name, strlen(name), LC_E_MALFORMED);
    snprintf(with_dot, sizeof(with_dot), "%s.", name);
    normalize_refused(with_dot, strlen(with_dot), LC_E_MALFORMED);

    /* Far over the limit, with no dot at all. */
    char big[4096];
    repeat(big, 'c', sizeof(big) - 1);
    normalize_refused(big, strlen(big), LC_E_MALFORMED);
}
END_TEST

START_TEST(test_normalize_empty_labels)
{
    static const char *const bad[] = {"", ".", "..", "a..b", ".a", "a..", "..a", "a.b..",
                                      "a. .b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        normalize_refused(bad[i], strlen(bad[i]), LC_E_MALFORMED);
}
END_TEST

START_TEST(test_normalize_wildcard)
{
    normalize_refused("*.home.arpa", 11, LC_E_WILDCARD);
    normalize_refused("*", 1, LC_E_WILDCARD);
    normalize_refused("a.*.home.arpa", 13, LC_E_WILDCARD);
    normalize_refused("print*.home.arpa", 16, LC_E_WILDCARD);
}
END_TEST

START_TEST(test_normalize_bad_chars)
{
    static const char *const bad[] = {
        "a b.home.arpa", "a/b.home.arpa", "a@b.home.arpa", "a:b",       "a\\.b",
        "a_b.home.arpa", "a-_b",          "printer\t",     "printer\n", "pr\xc3\xa9.home.arpa",
        "\x80",          "a,b",           "a;b",           "\"a\"",     "a+b",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        normalize_refused(bad[i], strlen(bad[i]), LC_E_MALFORMED);

    /* An embedded NUL is a bad character, not the end of the name. */
    static const char nul[] = "printer\0.evil.com";
    normalize_refused(nul, sizeof(nul) - 1, LC_E_MALFORMED);
    normalize_refused("\0", 1, LC_E_MALFORMED);
}
END_TEST

START_TEST(test_normalize_hyphens)
{
    static const char *const bad[] = {"-printer.home.arpa", "printer-.home.arpa", "-",
                                      "a.-b.home.arpa",     "a.b-",               "_-",
                                      "--.home.arpa"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        normalize_refused(bad[i], strlen(bad[i]), LC_E_MALFORMED);
    normalize_ok("p-r-i-n-t-e-r.home.arpa", "p-r-i-n-t-e-r.home.arpa");
    normalize_ok("a--b.home.arpa", "a--b.home.arpa");
}
END_TEST

START_TEST(test_normalize_len_bounds)
{
    /* Only |len| bytes are read, even from a longer string. */
    char out[LC_NAME_MAX + 1];
    struct lc_err err = {LC_OK, ""};
    TH_OK(name_normalize(out, "Printer.home.arpa!!!", 17, &err), err);
    ck_assert_str_eq(out, "printer.home.arpa");
    /* And the output may be the exact size the header promises. */
    char label[LC_LABEL_MAX + 1], name[LC_NAME_MAX + 1];
    repeat(label, 'Z', 63);
    snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label, label, label, label);
    TH_OK(name_normalize(out, name, strlen(name), &err), err);
    ck_assert_uint_eq(strlen(out), LC_NAME_MAX);
    ck_assert_uint_eq((uint8_t)out[0], 'z');
}
END_TEST

static Suite *name_suite(void)
{
    Suite *s = suite_create("name");
    TCase *tc = tcase_create("hex");
    tcase_add_test(tc, test_encode_spec_examples);
    tcase_add_test(tc, test_encode_buffer);
    tcase_add_test(tc, test_decode_spec_examples);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_decode_refusals);
    tcase_add_test(tc, test_decode_hostile);
    tcase_add_test(tc, test_is_hex_label);
    suite_add_tcase(s, tc);

    tc = tcase_create("classify");
    tcase_add_test(tc, test_classify_outside);
    tcase_add_test(tc, test_classify_apex_hex_friendly_gateway);
    tcase_add_test(tc, test_classify_service_and_deeper);
    tcase_add_test(tc, test_classify_not_hex);
    tcase_add_test(tc, test_classify_other_zone);
    suite_add_tcase(s, tc);

    tc = tcase_create("normalize");
    tcase_add_test(tc, test_normalize);
    tcase_add_test(tc, test_normalize_lengths);
    tcase_add_test(tc, test_normalize_empty_labels);
    tcase_add_test(tc, test_normalize_wildcard);
    tcase_add_test(tc, test_normalize_bad_chars);
    tcase_add_test(tc, test_normalize_hyphens);
    tcase_add_test(tc, test_normalize_len_bounds);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(name_suite());
}
