/* test_uiview.c — the read-only admin pages (src/http/uiview.c) through the
 * route table, on a real CA and store: HTTP Basic parsing (good and hostile
 * headers), the 401 with the Basic challenge without the token or with a
 * wrong one, the bearer token refused there, 200 HTML with every store value
 * escaped, HEAD, and 405 for every method that could change something. End
 * to end (TLS, curl, Chromium without JavaScript):
 * tests/integration/test_admin_api.sh and test_browser.sh. */
#include "helpers.h"

#include <jansson.h>
#include <openssl/evp.h>

#include "ca/admin.h"
#include "ca/ca.h"
#include "core/conf.h"
#include "http/admin.h"
#include "http/enroll.h"
#include "http/routes.h"
#include "http/uiview.h"
#include "store/store.h"

static char dir[PATH_MAX];
static struct lc_conf conf;
static struct http_services svc;
static char token[ADMIN_TOKEN_TEXT_LEN + 1];

/* basic is "Basic " and the base64 of |user|:|pass|, in a static buffer. */
static const char *basic(const char *user, const char *pass)
{
    static char out[1024];
    char plain[600];
    int n = snprintf(plain, sizeof(plain), "%s:%s", user, pass);
    memcpy(out, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)plain, n);
    return out;
}

static void setup(void)
{
    struct lc_err err = {LC_OK, ""};
    struct ca_constraints cons;
    struct store *s = NULL;
    th_tmpdir(dir);
    conf_init(&conf);
    TH_OK(conf_set(&conf, "allow", "192.168.0.0/16 fd00::/8", &err), err);
    TH_OK(conf_set(&conf, "state_dir", dir, &err), err);
    TH_OK(conf_finish(&conf, &err), err);
    memset(&cons, 0, sizeof(cons));
    snprintf(cons.zone, sizeof(cons.zone), "%s", conf.zone);
    cons.allow = conf.allow;
    TH_OK(ca_init_root(dir, &cons, false, &err), err);
    TH_OK(store_open(&s, dir, &err), err);
    TH_OK(admin_token_rotate(s, token, dir, &err), err);
    store_free(s);
    TH_OK(http_enroll_new(&svc.enroll, &conf, NULL, NULL, NULL, &err), err);
    TH_OK(http_admin_new(&svc.admin, dir, NULL, NULL, &err), err);
}

static void teardown(void)
{
    http_enroll_free(svc.enroll);
    http_admin_free(svc.admin);
    memset(&svc, 0, sizeof(svc));
    th_rmtree(dir);
}

static void call(struct reply *r, const char *method, const char *path, const char *authorization)
{
    const struct route_request req = {
        .method = method, .path = path, .authorization = authorization, .svc = &svc};
    route_dispatch(r, &req);
    ck_assert_ptr_nonnull(r->body);
    ck_assert_uint_eq(r->body_len, strlen(r->body));
}

START_TEST(test_basic_parse)
{
    char pass[HTTP_BEARER_MAX + 1], longest[HTTP_BEARER_MAX + 2];
    size_t len = 0;
    ck_assert(http_basic_password(pass, &len, basic("admin", "s3cret")));
    ck_assert_str_eq(pass, "s3cret");
    ck_assert_uint_eq(len, 6);
    ck_assert(http_basic_password(pass, &len, basic("", "a:b"))); /* the first ':' splits */
    ck_assert_str_eq(pass, "a:b");
    ck_assert(http_basic_password(pass, &len, "bAsIc YTpi")); /* "a:b", any case */
    ck_assert_str_eq(pass, "b");
    ck_assert(http_basic_password(pass, &len, "Basic YTpiYw==")); /* "a:bc", padded */
    ck_assert_str_eq(pass, "bc");
    memset(longest, 'x', HTTP_BEARER_MAX);
    longest[HTTP_BEARER_MAX] = '\0';
    ck_assert(http_basic_password(pass, &len, basic("u", longest)));
    ck_assert_uint_eq(len, HTTP_BEARER_MAX);

    static const char *const bad[] = {
        NULL, "", "Basic", "Basic ", "Bearer YTpi", "Basicc YTpi", "Basic YTpi=",
        "Basic YTp", "Basic YTpi YTpi", "Basic ====", "Basic YQ==", /* "a": no ':' */
        "Basic YTo=",        /* "a:": an empty password */
        "Basic YTpi\t",      /* trailing junk */
        "Basic Y*pi",        /* not base64 */
        "Basic YT=i",        /* padding inside */
        "Basic YTpiAA==",    /* "a:b\0" */
        "Basic YTpiCg==",    /* "a:b\n" */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!http_basic_password(pass, &len, bad[i]), "accepted '%s'",
                      bad[i] ? bad[i] : "(null)");
    longest[HTTP_BEARER_MAX] = 'x';
    longest[HTTP_BEARER_MAX + 1] = '\0';
    ck_assert(!http_basic_password(pass, &len, basic("u", longest))); /* one byte over */
    char huge[HTTP_BASIC_MAX + 16];
    memcpy(huge, "Basic ", 6);
    memset(huge + 6, 'A', sizeof(huge) - 7);
    huge[sizeof(huge) - 1] = '\0';
    ck_assert(!http_basic_password(pass, &len, huge));
}
END_TEST

static const char *const pages[] = {"/ui/devices.html", "/ui/certificates.html", "/ui/health.html"};

START_TEST(test_token_needed)
{
    char bearer[ADMIN_TOKEN_TEXT_LEN + 8];
    struct reply r;
    snprintf(bearer, sizeof(bearer), "Bearer %s", token);
    const char *refused[] = {NULL, "", basic("admin", "nottheone"), basic("admin", ""), bearer,
                             "Basic !!!!"};
    for (size_t p = 0; p < 3; p++) {
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
            call(&r, "GET", pages[p], refused[i]);
            ck_assert_msg(r.status == 401, "%s with '%s': %u", pages[p], refused[i], r.status);
            ck_assert_ptr_nonnull(r.www_authenticate);
            ck_assert_str_eq(r.www_authenticate, "Basic realm=\"lancert admin\", charset=\"UTF-8\"");
            ck_assert_str_eq(r.type, "text/html; charset=utf-8");
            ck_assert_ptr_eq(r.csp, http_uiview_csp);
            ck_assert_ptr_nonnull(strstr(r.body, "admin token"));
            reply_cleanup(&r);
        }
    }
    /* The JSON API keeps its bearer challenge and refuses Basic: the
     * credential a browser resends by itself reaches no endpoint that acts. */
    call(&r, "GET", "/api/v1/devices", basic("admin", token));
    ck_assert_uint_eq(r.status, 401);
    ck_assert(strncmp(r.www_authenticate, "Bearer", 6) == 0);
    reply_cleanup(&r);
    call(&r, "POST", "/api/v1/tokens", basic("admin", token));
    ck_assert_uint_eq(r.status, 401);
    reply_cleanup(&r);
}
END_TEST

START_TEST(test_pages)
{
    struct store *s = NULL;
    struct lc_err err = {LC_OK, ""};
    static const uint8_t der[] = {0x30, 0x00};
    static const uint8_t key_id[STORE_KEY_ID_LEN] = {7};
    struct store_cert c = {.serial = {0xab, 1}, .not_before = 100, .not_after = 200,
                           .der = der, .der_len = sizeof(der)};
    /* Names are LDH when lancert writes them; a store written by anything
     * else still gets escaped. */
    const char *hostile = "<script>alert(\"x\")</script>&'.home.arpa";
    const char *names[] = {hostile, "c0a80105.home.arpa"};
    int64_t id = 0;
    struct reply r;

    TH_OK(store_open(&s, dir, &err), err);
    TH_OK(store_begin(s, &err), err);
    TH_OK(store_device_for_key(s, &id, key_id, true, &err), err);
    TH_OK(store_name_claim(s, hostile, id, false, &err), err);
    TH_OK(store_name_claim(s, "c0a80105.home.arpa", id, true, &err), err);
    TH_OK(store_cert_put(s, &c, names, 2, &err), err);
    TH_OK(store_commit(s, &err), err);
    store_free(s);

    for (size_t p = 0; p < 3; p++) {
        for (int user = 0; user < 2; user++) {
            call(&r, "GET", pages[p], basic(user ? "admin" : "anyone", token));
            ck_assert_msg(r.status == 200, "%s: %u %s", pages[p], r.status, r.body);
            ck_assert_str_eq(r.type, "text/html; charset=utf-8");
            ck_assert_ptr_eq(r.csp, http_uiview_csp);
            ck_assert_ptr_null(strstr(http_uiview_csp, "script-src"));
            ck_assert_ptr_null(strstr(r.body, "<script"));
            ck_assert_ptr_null(strstr(r.body, "alert(\""));
            ck_assert_ptr_nonnull(strstr(r.body, "aria-current=\"page\""));
            ck_assert_ptr_nonnull(strstr(r.body, "href=\"/ui/app.css\""));
            reply_cleanup(&r);
        }
    }
    call(&r, "GET", "/ui/devices.html", basic("admin", token));
    ck_assert_ptr_nonnull(strstr(r.body, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"
                                         ".home.arpa"));
    ck_assert_ptr_nonnull(strstr(r.body, "<th scope=\"col\">Hex name</th>"));
    ck_assert_ptr_nonnull(strstr(r.body, "data-label=\"Hex name\" class=\"mono\">c0a80105.home.arpa<"));
    ck_assert_ptr_nonnull(strstr(r.body, ">192.168.1.5<")); /* the hex name's address */
    ck_assert_ptr_nonnull(strstr(r.body, "<span class=\"badge active\">active</span>"));
    reply_cleanup(&r);

    call(&r, "GET", "/ui/certificates.html", basic("admin", token));
    ck_assert_ptr_nonnull(strstr(r.body, ">ab010000000000000000000000000000<"));
    ck_assert_ptr_nonnull(strstr(r.body, "&lt;script&gt;"));
    ck_assert_ptr_nonnull(strstr(r.body, "1970-01-01 00:03 UTC")); /* not_after 200 */
    ck_assert_ptr_nonnull(strstr(r.body, "<span class=\"badge expired\">expired</span>"));
    reply_cleanup(&r);

    call(&r, "GET", "/ui/health.html", basic("admin", token));
    ck_assert_ptr_nonnull(strstr(r.body, "1 active, 0 pending, 0 revoked"));
    ck_assert_ptr_nonnull(strstr(r.body, "0 valid, 0 expiring within 14 days, 1 expired, 0 revoked"));
    ck_assert_ptr_nonnull(strstr(r.body, "<code>home.arpa</code>"));
    reply_cleanup(&r);

    /* HEAD answers as GET (the listener drops the body); every method that
     * could change something is refused before any handler runs. */
    call(&r, "HEAD", "/ui/devices.html", basic("admin", token));
    ck_assert_uint_eq(r.status, 200);
    reply_cleanup(&r);
    static const char *const methods[] = {"POST", "PUT", "DELETE", "PATCH"};
    for (size_t p = 0; p < 3; p++) {
        for (size_t m = 0; m < 4; m++) {
            call(&r, methods[m], pages[p], basic("admin", token));
            ck_assert_uint_eq(r.status, 405);
            ck_assert_str_eq(r.allow, "GET, HEAD");
            reply_cleanup(&r);
        }
    }
}
END_TEST

START_TEST(test_empty_and_without_services)
{
    struct reply r;
    call(&r, "GET", "/ui/devices.html", basic("admin", token));
    ck_assert_uint_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "No devices yet."));
    reply_cleanup(&r);
    call(&r, "GET", "/ui/certificates.html", basic("admin", token));
    ck_assert_ptr_nonnull(strstr(r.body, "No certificates yet."));
    reply_cleanup(&r);

    struct http_enroll *e = svc.enroll;
    svc.enroll = NULL;
    call(&r, "GET", "/ui/health.html", basic("admin", token));
    ck_assert_uint_eq(r.status, 503);
    reply_cleanup(&r);
    svc.enroll = e;
    struct http_admin *a = svc.admin;
    svc.admin = NULL;
    call(&r, "GET", "/ui/health.html", basic("admin", token));
    ck_assert_uint_eq(r.status, 503);
    reply_cleanup(&r);
    svc.admin = a;
}
END_TEST

static Suite *uiview_suite(void)
{
    Suite *s = suite_create("uiview");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, test_basic_parse);
    suite_add_tcase(s, tc);
    tc = tcase_create("store");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_token_needed);
    tcase_add_test(tc, test_pages);
    tcase_add_test(tc, test_empty_and_without_services);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(uiview_suite());
}
