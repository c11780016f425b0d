/* test_agent.c — the pure decisions of `lancert agent` (src/cli/agent.c):
 * when a certificate is due (a fixed clock: the certificate's own times),
 * which names move, and the redirect's URL for good, odd and hostile
 * request lines. */
#include "cli/agent.h"

#include <string.h>

#include <openssl/x509.h>

#include "helpers.h"

#define DAY 86400

/* cert_valid makes a bare certificate valid from |from| for |life| seconds. */
static X509 *cert_valid(time_t from, long life)
{
    X509 *x = X509_new();
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notBefore(x), from));
    ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notAfter(x), from + life));
    return x;
}

START_TEST(test_renew_two_thirds)
{
    struct lc_err err;
    time_t from = 1767225600, due = 0; /* 2026-01-01 */
    X509 *x = cert_valid(from, 90 * DAY);
    TH_OK(agent_renew_after(&due, x, 0, &err), err);
    ck_assert_int_eq((long long)due, (long long)(from + 60 * DAY));
    /* --renew-before shorter than the last third changes nothing. */
    TH_OK(agent_renew_after(&due, x, 10 * DAY, &err), err);
    ck_assert_int_eq((long long)due, (long long)(from + 60 * DAY));
    /* Longer: that many seconds before the end. */
    TH_OK(agent_renew_after(&due, x, 40 * DAY, &err), err);
    ck_assert_int_eq((long long)due, (long long)(from + 50 * DAY));
    /* Longer than the life: due before it began, so at once. */
    TH_OK(agent_renew_after(&due, x, 400 * DAY, &err), err);
    ck_assert(due < from);
    X509_free(x);

    /* A one-day certificate: sixteen hours. */
    x = cert_valid(from, DAY);
    TH_OK(agent_renew_after(&due, x, 0, &err), err);
    ck_assert_int_eq((long long)due, (long long)(from + 16 * 3600));
    X509_free(x);
}
END_TEST

START_TEST(test_renew_bad_times)
{
    struct lc_err err;
    time_t due = 7;
    X509 *x = cert_valid(1767225600, 0);
    TH_FAILS(agent_renew_after(&due, x, 0, &err), LC_E_MALFORMED, err);
    X509_free(x);
    x = cert_valid(1767225600, -DAY);
    TH_FAILS(agent_renew_after(&due, x, 0, &err), LC_E_MALFORMED, err);
    X509_free(x);
    x = X509_new(); /* no times at all */
    TH_FAILS(agent_renew_after(&due, x, 0, &err), LC_E_MALFORMED, err);
    X509_free(x);
    ck_assert_int_eq((long long)due, 7);
}
END_TEST

START_TEST(test_names)
{
    char names[4][LC_NAME_MAX + 1] = {"7f000005.home.arpa", "web.home.arpa", "c0a80117.home.arpa",
                                      "nas.home.arpa"};
    char hex[LC_NAME_MAX + 1], text[LC_ADDR_STRLEN];
    size_t friendly[4], n = 9;
    struct lc_addr a;
    agent_names(hex, &a, friendly, &n, names, 4);
    ck_assert_str_eq(hex, "7f000005.home.arpa");
    addr_format(text, &a);
    ck_assert_str_eq(text, "127.0.0.5");
    ck_assert_uint_eq(n, 2); /* a second hex name does not move either */
    ck_assert_uint_eq(friendly[0], 1);
    ck_assert_uint_eq(friendly[1], 3);

    char only[1][LC_NAME_MAX + 1] = {"web.home.arpa"};
    agent_names(hex, &a, friendly, &n, only, 1);
    ck_assert_str_eq(hex, "");
    ck_assert_uint_eq(n, 1);

    /* Hex-looking but not hex: 7 or 9 digits, not hex digits, the IPv4-mapped long form. */
    char odd[4][LC_NAME_MAX + 1] = {"7f00005.home.arpa", "7f0000051.home.arpa",
                                    "7f00000g.home.arpa", "00000000000000000000ffff7f000005.home.arpa"};
    agent_names(hex, &a, friendly, &n, odd, 4);
    ck_assert_str_eq(hex, "");
    ck_assert_uint_eq(n, 4);

    char v6[1][LC_NAME_MAX + 1] = {"fd000000000000000000000000000001.home.arpa"};
    agent_names(hex, &a, friendly, &n, v6, 1);
    ck_assert_str_eq(hex, v6[0]);
    addr_format(text, &a);
    ck_assert_str_eq(text, "fd00::1");
    ck_assert_uint_eq(n, 0);
}
END_TEST

/* redirect runs agent_redirect on a C string. */
static int redirect(char *loc, unsigned port, const char *line)
{
    return agent_redirect(loc, "web.home.arpa", port, line, strlen(line));
}

START_TEST(test_redirect_good)
{
    char loc[AGENT_MAX_URL];
    ck_assert_int_eq(redirect(loc, 443, "GET /x?y HTTP/1.1"), 308);
    ck_assert_str_eq(loc, "https://web.home.arpa/x?y");
    ck_assert_int_eq(redirect(loc, 0, "GET / HTTP/1.0\r"), 308);
    ck_assert_str_eq(loc, "https://web.home.arpa/");
    ck_assert_int_eq(redirect(loc, 8443, "POST /a/b/c?d=e&f=%20g#h HTTP/1.1"), 308);
    ck_assert_str_eq(loc, "https://web.home.arpa:8443/a/b/c?d=e&f=%20g#h");
    ck_assert_int_eq(redirect(loc, 443, "OPTIONS * HTTP/1.1"), 308);
    ck_assert_str_eq(loc, "https://web.home.arpa/");
    /* "//host" stays a path: the authority is ours, before it. */
    ck_assert_int_eq(redirect(loc, 443, "GET //evil.example/x HTTP/1.1"), 308);
    ck_assert_str_eq(loc, "https://web.home.arpa//evil.example/x");
}
END_TEST

START_TEST(test_redirect_absolute_form)
{
    char loc[AGENT_MAX_URL];
    ck_assert_int_eq(redirect(loc, 443, "GET http://evil.example/p?q HTTP/1.1"), 308);
    ck_assert_str_eq(loc, "https://web.home.arpa/p?q");
    ck_assert_int_eq(redirect(loc, 443, "GET HTTPS://user@evil.example:81/p HTTP/1.1"), 308);
    ck_assert_str_eq(loc, "https://web.home.arpa/p");
    ck_assert_int_eq(redirect(loc, 443, "GET http://evil.example HTTP/1.1"), 308);
    ck_assert_str_eq(loc, "https://web.home.arpa/");
    ck_assert_int_eq(redirect(loc, 8443, "GET http://evil.example?q=1 HTTP/1.1"), 308);
    ck_assert_str_eq(loc, "https://web.home.arpa:8443/?q=1");
    ck_assert_int_eq(redirect(loc, 443, "GET ftp://evil.example/ HTTP/1.1"), 400);
    ck_assert_int_eq(redirect(loc, 443, "GET evil.example/x HTTP/1.1"), 400);
}
END_TEST

START_TEST(test_redirect_hostile)
{
    static const char *const bad[] = {
        "",
        "GET",
        "GET ",
        "GET /",
        "GET / ",
        "GET /  HTTP/1.1",
        "GET  / HTTP/1.1",
        " GET / HTTP/1.1",
        "GET / HTTP/2.0",
        "GET / HTTP/1.10",
        "GET / HTTP/1.",
        "GET / http/1.1",
        "GET / HTTP/1.1 extra",
        "G(T / HTTP/1.1",
        "GET\t/ HTTP/1.1",
        "GET /a\tb HTTP/1.1",
        "GET /a\rLocation: https://evil.example/ HTTP/1.1",
        "GET /\x7f HTTP/1.1",
        "GET /\xc3\xa9 HTTP/1.1",
        "GET /\x01 HTTP/1.1",
    };
    char loc[AGENT_MAX_URL];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int code = redirect(loc, 443, bad[i]);
        ck_assert_msg(code == 400, "'%s': %d, want 400", bad[i], code);
    }
    /* A NUL inside the line ends nothing: it is refused like any control. */
    static const char nul[] = "GET /a\0b HTTP/1.1";
    ck_assert_int_eq(agent_redirect(loc, "web.home.arpa", 443, nul, sizeof(nul) - 1), 400);
    ck_assert_int_eq(agent_redirect(loc, "web.home.arpa", 443, "GET / HTTP/1.1", 0), 400);
}
END_TEST

START_TEST(test_redirect_too_long)
{
    static char line[AGENT_MAX_LINE + 64], loc[AGENT_MAX_URL];
    /* The longest line the listener reads still fits the URL. */
    size_t n = AGENT_MAX_LINE - 1;
    memcpy(line, "GET /", 5);
    memset(line + 5, 'a', n - 5 - 9);
    memcpy(line + n - 9, " HTTP/1.1", 9);
    ck_assert_int_eq(agent_redirect(loc, "web.home.arpa", 65535, line, n), 308);
    ck_assert_uint_eq(strlen(loc), strlen("https://web.home.arpa:65535") + n - 4 - 9);
    /* A host name at the limit too. */
    char host[LC_NAME_MAX + 1];
    memset(host, 'h', LC_NAME_MAX);
    host[LC_NAME_MAX] = '\0';
    ck_assert_int_eq(agent_redirect(loc, host, 65535, line, n), 308);
    /* Past what the URL holds: 414, nothing half-written. */
    n = sizeof(line) - 1;
    memset(line + 5, 'a', n - 5 - 9);
    memcpy(line + n - 9, " HTTP/1.1", 9);
    ck_assert_int_eq(agent_redirect(loc, host, 65535, line, n), 414);
    ck_assert_str_eq(loc, "");
}
END_TEST

static Suite *agent_suite(void)
{
    Suite *s = suite_create("agent");
    TCase *tc = tcase_create("renew");
    tcase_add_test(tc, test_renew_two_thirds);
    tcase_add_test(tc, test_renew_bad_times);
    suite_add_tcase(s, tc);
    tc = tcase_create("names");
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);
    tc = tcase_create("redirect");
    tcase_add_test(tc, test_redirect_good);
    tcase_add_test(tc, test_redirect_absolute_form);
    tcase_add_test(tc, test_redirect_hostile);
    tcase_add_test(tc, test_redirect_too_long);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(agent_suite());
}
