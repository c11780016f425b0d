/* test_admin.c — ca/admin.c (serials as text, the admin token and its hash)
 * and src/http/admin.c (bearer parsing, the admin routes through
 * route_dispatch with a store of their own). */
#include "ca/admin.h"
#include "http/admin.h"

#include "core/addr.h"
#include "core/metrics.h"
#include "http/routes.h"
#include "store/store.h"

#include <sys/stat.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "core/file.h"
#include "helpers.h"

static char dir[PATH_MAX];

static void setup(void)
{
    th_tmpdir(dir);
}

static void teardown(void)
{
    th_rmtree(dir);
}

START_TEST(test_serial_parse)
{
    static const uint8_t want[STORE_SERIAL_LEN] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                                                   0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
    uint8_t got[STORE_SERIAL_LEN];
    char text[ADMIN_SERIAL_HEX_LEN + 1];
    const char *good = "0123456789abcdefFEDCBA9876543210";
    ck_assert(admin_serial_parse(got, good, strlen(good)));
    ck_assert_mem_eq(got, want, sizeof(want));
    admin_serial_format(text, got);
    ck_assert_str_eq(text, "0123456789abcdeffedcba9876543210");

    /* Each refusal leaves |got| as it was. */
    static const char *const bad[] = {
        "",                                   /* empty */
        "0123456789abcdeffedcba987654321",    /* 31 digits */
        "0123456789abcdeffedcba98765432100",  /* 33 digits */
        "0x23456789abcdeffedcba9876543210",   /* a prefix */
        "0123456789abcdeffedcba987654321g",   /* not hex */
        "01:23:45:67:89:ab:cd:ef:fe:dc:ba:98", /* colons */
        "0123456789abcdef fedcba987654321",   /* a space */
    };
    uint8_t before[STORE_SERIAL_LEN];
    memset(got, 0x5a, sizeof(got));
    memcpy(before, got, sizeof(got));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!admin_serial_parse(got, bad[i], strlen(bad[i])), "accepted '%s'", bad[i]);
        ck_assert_mem_eq(got, before, sizeof(got));
    }
    /* The length is the caller's: a NUL inside is not hex, and nothing past
     * |text_len| is read. */
    ck_assert(!admin_serial_parse(got, "0123456789abcdef\0edcba9876543210", 32));
    ck_assert(!admin_serial_parse(got, good, 31));
}
END_TEST

START_TEST(test_bearer_parse)
{
    const char *tok = NULL;
    size_t len = 0;
    ck_assert(http_bearer_parse("Bearer abc-._~+/def==", &tok, &len));
    ck_assert_uint_eq(len, strlen("abc-._~+/def=="));
    ck_assert(strncmp(tok, "abc-._~+/def==", len) == 0);
    ck_assert(http_bearer_parse("bearer xyz", &tok, &len));
    ck_assert_uint_eq(len, 3);
    ck_assert(http_bearer_parse("BEARER   xyz  ", &tok, &len)); /* spaces around */
    ck_assert_uint_eq(len, 3);
    ck_assert(strncmp(tok, "xyz", 3) == 0);

    char longest[7 + HTTP_BEARER_MAX + 2];
    memcpy(longest, "Bearer ", 7);
    memset(longest + 7, 'a', HTTP_BEARER_MAX);
    longest[7 + HTTP_BEARER_MAX] = '\0';
    ck_assert(http_bearer_parse(longest, &tok, &len));
    ck_assert_uint_eq(len, HTTP_BEARER_MAX);
    longest[7 + HTTP_BEARER_MAX] = 'a';
    longest[7 + HTTP_BEARER_MAX + 1] = '\0';
    ck_assert(!http_bearer_parse(longest, &tok, &len)); /* one over */

    static const char *const bad[] = {
        "", "Bearer", "Bearer ", "Bearer    ", "Basic abc", "Bearerabc", "Bearer a b",
        "Bearer a=b", "Bearer ==", "Bearer a\"b", "Bearer a,b", "Bearer a\tb", "Token abc",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!http_bearer_parse(bad[i], &tok, &len), "accepted '%s'", bad[i]);
    ck_assert(!http_bearer_parse(NULL, &tok, &len));
}
END_TEST

static struct store *open_store(void)
{
    struct store *s = NULL;
    struct lc_err err = {LC_OK, ""};
    TH_OK(store_open(&s, dir, &err), err);
    return s;
}

START_TEST(test_token)
{
    struct store *s = open_store();
    struct lc_err err = {LC_OK, ""};
    char token[ADMIN_TOKEN_TEXT_LEN + 1], second[ADMIN_TOKEN_TEXT_LEN + 1], path[PATH_MAX], *file;
    size_t file_len;
    bool ok = true;
    struct stat st;

    /* Without a token nobody is the admin, not even the empty string. */
    TH_OK(admin_token_check(s, &ok, "", 0, &err), err);
    ck_assert(!ok);

    TH_OK(admin_token_rotate(s, token, dir, &err), err);
    ck_assert_uint_eq(strlen(token), ADMIN_TOKEN_TEXT_LEN);
    ck_assert_uint_eq(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                      ADMIN_TOKEN_TEXT_LEN);
    th_path(path, dir, ADMIN_TOKEN_FILE);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    TH_OK(file_read(&file, &file_len, path, 1024, &err), err);
    ck_assert_uint_eq(file_len, ADMIN_TOKEN_TEXT_LEN + 1);
    ck_assert(strncmp(file, token, ADMIN_TOKEN_TEXT_LEN) == 0 && file[ADMIN_TOKEN_TEXT_LEN] == '\n');
    free(file);

    /* The store keeps the hash, in hex, and not the token. */
    char stored[80], want[2 * SHA256_DIGEST_LENGTH + 1];
    uint8_t d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)token, ADMIN_TOKEN_TEXT_LEN, d);
    for (size_t i = 0; i < sizeof(d); i++)
        snprintf(want + 2 * i, 3, "%02x", d[i]);
    TH_OK(store_meta_get(s, stored, sizeof(stored), ADMIN_TOKEN_META, &err), err);
    ck_assert_str_eq(stored, want);

    TH_OK(admin_token_check(s, &ok, token, ADMIN_TOKEN_TEXT_LEN, &err), err);
    ck_assert(ok);
    TH_OK(admin_token_check(s, &ok, token, ADMIN_TOKEN_TEXT_LEN - 1, &err), err);
    ck_assert(!ok);
    TH_OK(admin_token_check(s, &ok, want, strlen(want), &err), err); /* the hash is no token */
    ck_assert(!ok);

    /* Rotation: the old one stops, the new one works, through another handle. */
    struct store *other = open_store();
    TH_OK(admin_token_rotate(other, second, dir, &err), err);
    ck_assert_str_ne(second, token);
    TH_OK(admin_token_check(s, &ok, token, ADMIN_TOKEN_TEXT_LEN, &err), err);
    ck_assert(!ok);
    TH_OK(admin_token_check(s, &ok, second, ADMIN_TOKEN_TEXT_LEN, &err), err);
    ck_assert(ok);

    /* A damaged hash is an error for people, never a match. */
    TH_OK(store_meta_set(s, ADMIN_TOKEN_META, "not hex", &err), err);
    TH_FAILS(admin_token_check(s, &ok, second, ADMIN_TOKEN_TEXT_LEN, &err), LC_E_STORE, err);
    ck_assert(!ok);
    store_free(other);
    store_free(s);
}
END_TEST

static int n_changed;
static void on_changed(void *ctx)
{
    (void)ctx;
    n_changed++;
}

static json_t *call(struct reply *r, struct http_admin *a, const char *method, const char *path,
                    const char *authorization)
{
    const struct http_services svc = {.admin = a};
    const struct route_request req = {
        .method = method, .path = path, .authorization = authorization, .svc = &svc};
    json_error_t jerr;
    route_dispatch(r, &req);
    ck_assert_ptr_nonnull(r->body);
    json_t *j = json_loadb(r->body, r->body_len, 0, &jerr);
    ck_assert_ptr_nonnull(j);
    return j;
}

START_TEST(test_routes)
{
    struct store *s = open_store();
    struct http_admin *a = NULL;
    struct lc_err err = {LC_OK, ""};
    char token[ADMIN_TOKEN_TEXT_LEN + 1], bearer[ADMIN_TOKEN_TEXT_LEN + 8], path[128];
    static const uint8_t der[] = {0x30, 0x00};
    struct store_cert c = {.serial = {0xab, 1}, .not_before = 100, .not_after = 200,
                           .der = der, .der_len = sizeof(der)};
    const char *names[] = {"a.home.arpa", "7f000001.home.arpa"};
    struct reply r;
    json_t *j;

    TH_OK(admin_token_rotate(s, token, dir, &err), err);
    snprintf(bearer, sizeof(bearer), "Bearer %s", token);
    TH_OK(store_begin(s, &err), err);
    TH_OK(store_cert_put(s, &c, names, 2, &err), err);
    TH_OK(store_commit(s, &err), err);
    TH_OK(http_admin_new(&a, dir, on_changed, NULL, &err), err);

    j = call(&r, a, "GET", "/api/v1/certificates", NULL);
    ck_assert_uint_eq(r.status, 401);
    ck_assert_str_eq(r.type, "application/problem+json");
    ck_assert_ptr_nonnull(r.www_authenticate);
    ck_assert(strncmp(r.www_authenticate, "Bearer", 6) == 0);
    json_decref(j);
    reply_cleanup(&r);

    j = call(&r, a, "GET", "/api/v1/certificates", bearer);
    ck_assert_uint_eq(r.status, 200);
    json_t *list = json_object_get(j, "certificates");
    ck_assert_uint_eq(json_array_size(list), 1);
    json_t *rec = json_array_get(list, 0);
    ck_assert_str_eq(json_string_value(json_object_get(rec, "serial")),
                     "ab010000000000000000000000000000");
    ck_assert_uint_eq(json_array_size(json_object_get(rec, "names")), 2);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(rec, "names"), 0)),
                     "7f000001.home.arpa");
    ck_assert_int_eq(json_integer_value(json_object_get(rec, "not_after")), 200);
    ck_assert(json_is_false(json_object_get(rec, "revoked")));
    ck_assert(json_is_null(json_object_get(rec, "device_id")));
    json_decref(j);
    reply_cleanup(&r);

    /* Path shapes: one segment, never empty, never two. */
    static const char *const not_routes[] = {"/api/v1/certificates//revoke",
                                             "/api/v1/certificates/a/b/revoke",
                                             "/api/v1/certificates/revoke", "/api/v1/certificates/"};
    for (size_t i = 0; i < sizeof(not_routes) / sizeof(not_routes[0]); i++) {
        j = call(&r, a, "POST", not_routes[i], bearer);
        ck_assert_msg(r.status == 404, "%s: %u", not_routes[i], r.status);
        json_decref(j);
        reply_cleanup(&r);
    }

    j = call(&r, a, "POST", "/api/v1/certificates/zz/revoke", bearer);
    ck_assert_uint_eq(r.status, 400);
    json_decref(j);
    reply_cleanup(&r);
    j = call(&r, a, "POST", "/api/v1/certificates/zz/revoke", "Bearer nottheone");
    ck_assert_uint_eq(r.status, 401); /* the token is checked first */
    json_decref(j);
    reply_cleanup(&r);
    j = call(&r, a, "POST", "/api/v1/certificates/00000000000000000000000000000000/revoke", bearer);
    ck_assert_uint_eq(r.status, 404);
    json_decref(j);
    reply_cleanup(&r);
    ck_assert_int_eq(n_changed, 0);

    snprintf(path, sizeof(path), "/api/v1/certificates/%s/revoke", "AB010000000000000000000000000000");
    j = call(&r, a, "POST", path, bearer);
    ck_assert_uint_eq(r.status, 200);
    ck_assert(json_is_true(json_object_get(j, "revoked")));
    ck_assert(json_integer_value(json_object_get(j, "revoked_at")) > 0);
    json_decref(j);
    reply_cleanup(&r);
    ck_assert_int_eq(n_changed, 1);
    ck_assert_uint_eq(metrics_get(METRICS_CERTS_REVOKED), 1); /* Check forks: from 0 */

    /* Committed: another handle sees it. */
    struct store_cert got;
    TH_OK(store_cert_get(s, &got, c.serial, &err), err);
    ck_assert(got.revoked_at != 0);
    free((void *)(uintptr_t)got.der);

    j = call(&r, a, "POST", path, bearer);
    ck_assert_uint_eq(r.status, 409);
    json_decref(j);
    reply_cleanup(&r);
    ck_assert_int_eq(n_changed, 1);
    ck_assert_uint_eq(metrics_get(METRICS_CERTS_REVOKED), 1);

    /* Without an admin API the routes say so. */
    j = call(&r, NULL, "GET", "/api/v1/certificates", bearer);
    ck_assert_uint_eq(r.status, 503);
    json_decref(j);
    reply_cleanup(&r);

    http_admin_free(a);
    store_free(s);
}
END_TEST

/* metrics_status dispatches GET /metrics from |peer| and returns the status;
 * a 200 must be the Prometheus text. */
static unsigned metrics_status(struct http_admin *a, const char *peer, const char *authorization)
{
    const struct http_services svc = {.admin = a};
    struct route_request req = {
        .method = "GET", .path = "/metrics", .authorization = authorization, .svc = &svc};
    struct reply r;
    unsigned status;
    ck_assert(addr_parse(&req.peer, peer, strlen(peer)));
    route_dispatch(&r, &req);
    status = r.status;
    ck_assert_ptr_nonnull(r.body);
    if (status == 200) {
        ck_assert_str_eq(r.type, "text/plain; version=0.0.4; charset=utf-8");
        ck_assert(strncmp(r.body, "# HELP ", 7) == 0);
        ck_assert_uint_eq(r.body_len, strlen(r.body));
    } else {
        ck_assert_str_eq(r.type, "application/problem+json");
    }
    reply_cleanup(&r);
    return status;
}

/* /metrics: open to loopback peers, the admin token from anywhere else. */
START_TEST(test_metrics_access)
{
    struct store *s = open_store();
    struct http_admin *a = NULL;
    struct lc_err err = {LC_OK, ""};
    char token[ADMIN_TOKEN_TEXT_LEN + 1], bearer[ADMIN_TOKEN_TEXT_LEN + 8];

    TH_OK(admin_token_rotate(s, token, dir, &err), err);
    snprintf(bearer, sizeof(bearer), "Bearer %s", token);
    TH_OK(http_admin_new(&a, dir, NULL, NULL, &err), err);
    ck_assert_uint_eq(metrics_status(a, "127.0.0.1", NULL), 200);
    ck_assert_uint_eq(metrics_status(a, "127.200.0.9", NULL), 200);
    ck_assert_uint_eq(metrics_status(a, "::1", NULL), 200);
    ck_assert_uint_eq(metrics_status(a, "::ffff:127.0.0.1", NULL), 200); /* mapped: IPv4 */
    ck_assert_uint_eq(metrics_status(a, "192.168.1.5", NULL), 401);
    ck_assert_uint_eq(metrics_status(a, "192.168.1.5", "Bearer nottheone"), 401);
    ck_assert_uint_eq(metrics_status(a, "192.168.1.5", bearer), 200);
    ck_assert_uint_eq(metrics_status(a, "128.0.0.1", NULL), 401);
    ck_assert_uint_eq(metrics_status(a, "::2", NULL), 401);
    ck_assert_uint_eq(metrics_status(a, "fd00::1", bearer), 200);
    ck_assert_uint_eq(metrics_status(NULL, "192.168.1.5", bearer), 503); /* no admin API */
    ck_assert_uint_eq(metrics_status(NULL, "127.0.0.1", NULL), 200);
    http_admin_free(a);
    store_free(s);
}
END_TEST

static Suite *admin_suite(void)
{
    Suite *s = suite_create("admin");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, test_serial_parse);
    tcase_add_test(tc, test_bearer_parse);
    suite_add_tcase(s, tc);
    tc = tcase_create("store");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_token);
    tcase_add_test(tc, test_routes);
    tcase_add_test(tc, test_metrics_access);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(admin_suite());
}
