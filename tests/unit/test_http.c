/* test_http.c — the pure parts of src/http: Host parsing, the redirect
 * decision, template rendering, the HTTPS listener's own-host check and its
 * route table. The listeners themselves are tested end to end by
 * tests/integration/test_http_plain.sh and test_https.sh. */
#include "helpers.h"

#include "core/conf.h"
#include "http/host.h"
#include "http/page.h"
#include "http/redirect.h"
#include "http/routes.h"
#include "http/ui.h"

#include <jansson.h>

static struct lc_conf conf;

static void setup(void)
{
    struct lc_err err;
    conf_init(&conf);
    ck_assert_int_eq(conf_set(&conf, "allow", "127.0.0.0/8 192.168.0.0/16 fc00::/7", &err), LC_OK);
    ck_assert_int_eq(conf_set(&conf, "https_listen", "192.168.1.1:8443", &err), LC_OK);
    ck_assert_int_eq(conf_finish(&conf, &err), LC_OK);
}

static bool parses(const char *s, struct http_host *h)
{
    return http_host_parse(h, s, strlen(s));
}

START_TEST(test_host_good)
{
    struct http_host h;
    ck_assert(parses("Printer.Home.Arpa", &h));
    ck_assert(!h.is_addr);
    ck_assert_str_eq(h.name, "printer.home.arpa");
    ck_assert_int_eq(h.port, 0);
    ck_assert(parses("printer.home.arpa.:8080", &h));
    ck_assert_str_eq(h.name, "printer.home.arpa");
    ck_assert_int_eq(h.port, 8080);
    ck_assert(parses("192.168.1.23:80", &h));
    ck_assert(h.is_addr);
    ck_assert_int_eq(h.addr.family, LC_AF_INET);
    ck_assert_int_eq(h.port, 80);
    ck_assert(parses("[fd00::17]", &h));
    ck_assert_int_eq(h.addr.family, LC_AF_INET6);
    ck_assert(parses("[fd00::17]:65535", &h));
    ck_assert_int_eq(h.port, 65535);
    ck_assert(parses("localhost", &h));
}
END_TEST

START_TEST(test_host_bad)
{
    static const char *const bad[] = {
        "", ":80", "a b", "a_b.home.arpa", "1.2.3", "1.2.3.4.5", "999.1.1.1", "host:", "host:0",
        "host:65536", "host:123456", "host:8o", "host:80:80", "[fd00::17", "[fd00::17]x",
        "[fd00::17]:", "[1.2.3.4]", "fd00::17", "[]", "[zz::1]", "-bad.home.arpa", "a..b",
        "*.home.arpa", "host\r\nX: y",
    };
    struct http_host h;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!parses(bad[i], &h), "'%s' parsed", bad[i]);
    /* Embedded NUL: the length says there is more than the C string. */
    ck_assert(!http_host_parse(&h, "a.home.arpa\0evil", 16));
    /* A name over 253 bytes. */
    char longname[300];
    memset(longname, 'a', sizeof(longname));
    for (int i = 60; i < 299; i += 61)
        longname[i] = '.';
    longname[299] = '\0';
    ck_assert(!parses(longname, &h));
}
END_TEST

static enum redirect_action decide(const char *host, const char *target, int fixed, char *loc)
{
    return redirect_decide(&conf, host, target, fixed, loc);
}

START_TEST(test_redirects)
{
    char loc[REDIRECT_MAX_URL];
    ck_assert_int_eq(decide("192.168.1.23", "/x/%41?y=1&z", 0, loc), REDIRECT_TO_HTTPS);
    ck_assert_str_eq(loc, "https://c0a80117.home.arpa/x/%41?y=1&z");
    ck_assert_int_eq(decide("c0a80117.home.arpa:80", "/", 1, loc), REDIRECT_TO_HTTPS);
    ck_assert_str_eq(loc, "https://c0a80117.home.arpa/");
    ck_assert_int_eq(decide("printer.home.arpa", "/a?b", 0, loc), REDIRECT_TO_HTTPS);
    ck_assert_str_eq(loc, "https://printer.home.arpa/a?b");
    ck_assert_int_eq(decide("[fd00::17]", "/", 0, loc), REDIRECT_TO_HTTPS);
    ck_assert_str_eq(loc, "https://fd000000000000000000000000000017.home.arpa/");
    /* The gateway's own names and addresses: its HTTPS port. */
    ck_assert_int_eq(decide("gateway.home.arpa", "/ui/", 0, loc), REDIRECT_TO_HTTPS);
    ck_assert_str_eq(loc, "https://gateway.home.arpa:8443/ui/");
    ck_assert_int_eq(decide("192.168.1.1", "/setup", 0, loc), REDIRECT_TO_HTTPS);
    ck_assert_str_eq(loc, "https://c0a80101.home.arpa:8443/setup");
    ck_assert_int_eq(decide("c0a80101.home.arpa", "/setup", 0, loc), REDIRECT_TO_HTTPS);
    ck_assert_str_eq(loc, "https://c0a80101.home.arpa:8443/setup");
    /* ...which serve the fixed pages themselves. */
    ck_assert_int_eq(decide("gateway.home.arpa", "/", 1, loc), REDIRECT_SERVE);
    ck_assert_int_eq(decide("192.168.1.1:8080", "/ca.pem", 1, loc), REDIRECT_SERVE);
    ck_assert_int_eq(decide("c0a80101.home.arpa", "/crl", 1, loc), REDIRECT_SERVE);
    ck_assert_int_eq(decide(NULL, "/", 1, loc), REDIRECT_SERVE);
    ck_assert_int_eq(decide(NULL, "/x", 0, loc), REDIRECT_MISDIRECTED);
}
END_TEST

START_TEST(test_misdirected_and_bad)
{
    char loc[REDIRECT_MAX_URL];
    ck_assert_int_eq(decide("example.com", "/", 1, loc), REDIRECT_MISDIRECTED);
    ck_assert_int_eq(decide("8.8.8.8", "/", 0, loc), REDIRECT_MISDIRECTED);
    ck_assert_int_eq(decide("08080808.home.arpa", "/", 0, loc), REDIRECT_MISDIRECTED);
    ck_assert_int_eq(decide("10.0.0.1", "/", 0, loc), REDIRECT_MISDIRECTED); /* not allowed here */
    ck_assert_int_eq(decide("home.arpa", "/", 0, loc), REDIRECT_MISDIRECTED);
    ck_assert_int_eq(decide("_lancert._tcp.home.arpa", "/", 0, loc), REDIRECT_MISDIRECTED);
    ck_assert_int_eq(decide("a.b.home.arpa", "/", 0, loc), REDIRECT_MISDIRECTED);
    ck_assert_int_eq(decide("bad host", "/", 0, loc), REDIRECT_BAD_REQUEST);
    /* Targets that could not go into a Location header as they are. */
    ck_assert_int_eq(decide("printer.home.arpa", "", 0, loc), REDIRECT_BAD_REQUEST);
    ck_assert_int_eq(decide("printer.home.arpa", "x", 0, loc), REDIRECT_BAD_REQUEST);
    ck_assert_int_eq(decide("printer.home.arpa", "http://evil/", 0, loc), REDIRECT_BAD_REQUEST);
    ck_assert_int_eq(decide("printer.home.arpa", "/a b", 0, loc), REDIRECT_BAD_REQUEST);
    ck_assert_int_eq(decide("printer.home.arpa", "/a\r\nSet-Cookie: x", 0, loc), REDIRECT_BAD_REQUEST);
    ck_assert_int_eq(decide("printer.home.arpa", "/\x80", 0, loc), REDIRECT_BAD_REQUEST);
    char huge[REDIRECT_MAX_URL + 10];
    memset(huge, 'a', sizeof(huge));
    huge[0] = '/';
    huge[sizeof(huge) - 1] = '\0';
    ck_assert_int_eq(decide("printer.home.arpa", huge, 0, loc), REDIRECT_BAD_REQUEST);
}
END_TEST

START_TEST(test_page_render)
{
    struct lc_err err;
    char *out = NULL;
    size_t len = 0;
    const struct page_var vars[] = {{"a", "<b>&\"'", false}, {"zone", "home.arpa", false}};
    const char tpl[] = "x{{a}}y {{zone}} {not} {{zone}}";
    ck_assert_int_eq(page_render(&out, &len, tpl, strlen(tpl), vars, 2, &err), LC_OK);
    ck_assert_str_eq(out, "x&lt;b&gt;&amp;&quot;&#39;y home.arpa {not} home.arpa");
    ck_assert_uint_eq(len, strlen(out));
    free(out);
    const char unknown[] = "{{nope}}";
    TH_FAILS(page_render(&out, &len, unknown, strlen(unknown), vars, 2, &err), LC_E_INTERNAL, err);
    const char unclosed[] = "a {{zone";
    TH_FAILS(page_render(&out, &len, unclosed, strlen(unclosed), vars, 2, &err), LC_E_INTERNAL, err);
    ck_assert_int_eq(page_render(&out, &len, "", 0, vars, 2, &err), LC_OK);
    ck_assert_str_eq(out, "");
    free(out);
    /* Only a variable marked raw (markup lancertd made) goes in unescaped. */
    const struct page_var raw[] = {{"svg", "<svg a=\"1\"/>", true}, {"t", "<svg/>", false}};
    const char tpl2[] = "{{svg}}|{{t}}";
    ck_assert_int_eq(page_render(&out, &len, tpl2, strlen(tpl2), raw, 2, &err), LC_OK);
    ck_assert_str_eq(out, "<svg a=\"1\"/>|&lt;svg/&gt;");
    free(out);
}
END_TEST

START_TEST(test_host_owner)
{
    /* The gateway: gateway.home.arpa and 192.168.1.1 (from https_listen). */
    ck_assert_int_eq(http_host_owner(&conf, "gateway.home.arpa"), HOST_GATEWAY);
    ck_assert_int_eq(http_host_owner(&conf, "Gateway.Home.Arpa.:8443"), HOST_GATEWAY);
    ck_assert_int_eq(http_host_owner(&conf, "c0a80101.home.arpa"), HOST_GATEWAY);
    ck_assert_int_eq(http_host_owner(&conf, "C0A80101.home.arpa:443"), HOST_GATEWAY);
    ck_assert_int_eq(http_host_owner(&conf, "192.168.1.1"), HOST_GATEWAY);
    ck_assert_int_eq(http_host_owner(&conf, "192.168.1.1:8443"), HOST_GATEWAY);
    ck_assert_int_eq(http_host_owner(&conf, "[::ffff:192.168.1.1]:8443"), HOST_GATEWAY);
    /* Someone else's: the rebinding attacker's name, devices, other addresses. */
    ck_assert_int_eq(http_host_owner(&conf, "evil.example"), HOST_OTHER);
    ck_assert_int_eq(http_host_owner(&conf, "gateway.home.arpa.evil.example"), HOST_OTHER);
    ck_assert_int_eq(http_host_owner(&conf, "gateway.other.arpa"), HOST_OTHER);
    ck_assert_int_eq(http_host_owner(&conf, "printer.home.arpa"), HOST_OTHER);
    ck_assert_int_eq(http_host_owner(&conf, "c0a80102.home.arpa"), HOST_OTHER);
    ck_assert_int_eq(http_host_owner(&conf, "home.arpa"), HOST_OTHER);
    ck_assert_int_eq(http_host_owner(&conf, "x.gateway.home.arpa"), HOST_OTHER);
    ck_assert_int_eq(http_host_owner(&conf, "192.168.1.2"), HOST_OTHER);
    ck_assert_int_eq(http_host_owner(&conf, "[fd00::1]"), HOST_OTHER);
    /* Malformed or absent. */
    ck_assert_int_eq(http_host_owner(&conf, NULL), HOST_MALFORMED);
    ck_assert_int_eq(http_host_owner(&conf, ""), HOST_MALFORMED);
    ck_assert_int_eq(http_host_owner(&conf, "bad host"), HOST_MALFORMED);
    ck_assert_int_eq(http_host_owner(&conf, "gateway.home.arpa:0"), HOST_MALFORMED);
    ck_assert_int_eq(http_host_owner(&conf, "gateway.home.arpa:"), HOST_MALFORMED);
    ck_assert_int_eq(http_host_owner(&conf, "192.168.1"), HOST_MALFORMED);
    ck_assert_int_eq(http_host_owner(&conf, "[192.168.1.1]"), HOST_MALFORMED);
}
END_TEST

static json_t *dispatch(struct reply *r, const char *method, const char *path)
{
    static const struct http_services svc;
    const struct route_request req = {.method = method, .path = path, .svc = &svc};
    json_error_t jerr;
    route_dispatch(r, &req);
    ck_assert_ptr_nonnull(r->body);
    ck_assert_uint_eq(r->body_len, strlen(r->body));
    json_t *j = json_loadb(r->body, r->body_len, 0, &jerr);
    ck_assert_ptr_nonnull(j);
    return j;
}

/* The web UI's files carry their own CSP; the QR endpoint is the admin's. */
START_TEST(test_ui_routes)
{
    static const struct http_services svc;
    static const char *const files[][2] = {
        {"/ui/", "text/html; charset=utf-8"},
        {"/ui/app.css", "text/css; charset=utf-8"},
        {"/ui/app.js", "text/javascript; charset=utf-8"},
    };
    struct reply r;
    for (size_t i = 0; i < 3; i++) {
        const struct route_request req = {.method = "GET", .path = files[i][0], .svc = &svc};
        route_dispatch(&r, &req);
        ck_assert_uint_eq(r.status, 200);
        ck_assert_str_eq(r.type, files[i][1]);
        ck_assert_ptr_eq(r.csp, http_ui_csp);
        ck_assert_uint_gt(r.body_len, 100);
        ck_assert_uint_eq(r.body_len, strlen(r.body));
        reply_cleanup(&r);
    }
    /* Nothing else under /ui/, and the strict CSP everywhere else. */
    json_t *j = dispatch(&r, "GET", "/ui/../ca.key");
    ck_assert_uint_eq(r.status, 404);
    ck_assert_ptr_null(r.csp);
    json_decref(j);
    reply_cleanup(&r);
    j = dispatch(&r, "GET", "/healthz");
    ck_assert_ptr_null(r.csp);
    json_decref(j);
    reply_cleanup(&r);
    /* The page loads only its own script and style sheet. */
    const struct route_request page = {.method = "GET", .path = "/ui/", .svc = &svc};
    route_dispatch(&r, &page);
    ck_assert_ptr_null(strstr(r.body, "http://"));
    ck_assert_ptr_null(strstr(r.body, "<script>"));
    ck_assert_ptr_null(strstr(r.body, "style=\""));
    reply_cleanup(&r);
    /* Without an admin API the QR endpoint refuses before reading a body. */
    const struct route_request qr = {.method = "POST", .path = "/api/v1/qr", .body = (const uint8_t *)"{",
                                      .body_len = 1, .svc = &svc};
    route_dispatch(&r, &qr);
    ck_assert_uint_eq(r.status, 503);
    reply_cleanup(&r);
}
END_TEST

START_TEST(test_routes)
{
    struct reply r;
    json_t *j = dispatch(&r, "GET", "/healthz");
    ck_assert_uint_eq(r.status, 200);
    ck_assert_str_eq(r.type, "application/json");
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "ok");
    json_decref(j);
    reply_cleanup(&r);

    j = dispatch(&r, "HEAD", "/healthz");
    ck_assert_uint_eq(r.status, 200);
    json_decref(j);
    reply_cleanup(&r);

    j = dispatch(&r, "POST", "/healthz");
    ck_assert_uint_eq(r.status, 405);
    ck_assert_str_eq(r.type, "application/problem+json");
    ck_assert_str_eq(r.allow, "GET, HEAD");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "status")), 405);
    json_decref(j);
    reply_cleanup(&r);

    /* RFC 9457: type, title, status, detail. Paths match exactly. */
    const char *const missing[] = {"/nope", "/healthz/", "/HEALTHZ", "/healthz/x", "", "/"};
    for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
        j = dispatch(&r, "GET", missing[i]);
        ck_assert_uint_eq(r.status, 404);
        ck_assert_str_eq(r.type, "application/problem+json");
        ck_assert_str_eq(r.allow, "");
        ck_assert_str_eq(json_string_value(json_object_get(j, "type")), "about:blank");
        ck_assert_str_eq(json_string_value(json_object_get(j, "title")), "Not Found");
        ck_assert_int_eq(json_integer_value(json_object_get(j, "status")), 404);
        ck_assert_ptr_nonnull(json_string_value(json_object_get(j, "detail")));
        json_decref(j);
        reply_cleanup(&r);
    }
    /* Bytes that are not UTF-8 (a decoded %ff) still give a 404 document. */
    j = dispatch(&r, "GET", "/\xff\xfe\x01x");
    ck_assert_uint_eq(r.status, 404);
    ck_assert_str_eq(json_string_value(json_object_get(j, "detail")), "there is nothing at /???x");
    json_decref(j);
    reply_cleanup(&r);
    /* A hostile path is cut in the detail, never overflows it. */
    char long_path[4096];
    memset(long_path, 'a', sizeof(long_path) - 1);
    long_path[0] = '/';
    long_path[sizeof(long_path) - 1] = '\0';
    j = dispatch(&r, "GET", long_path);
    ck_assert_uint_eq(r.status, 404);
    json_decref(j);
    reply_cleanup(&r);
    reply_cleanup(&r); /* twice is fine */
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("host");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_host_good);
    tcase_add_test(tc, test_host_bad);
    suite_add_tcase(s, tc);
    tc = tcase_create("redirect");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_redirects);
    tcase_add_test(tc, test_misdirected_and_bad);
    suite_add_tcase(s, tc);
    tc = tcase_create("https");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_host_owner);
    tcase_add_test(tc, test_routes);
    tcase_add_test(tc, test_ui_routes);
    suite_add_tcase(s, tc);
    tc = tcase_create("page");
    tcase_add_test(tc, test_page_render);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(http_suite());
}
