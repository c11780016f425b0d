/* test_http_enroll.c — src/http/enroll.c and devices.c through the route
 * table, on a real CA and store in a temporary directory: hostile and
 * malformed bodies (each a 400 problem that changes nothing), the hex-name
 * rule on the peer address, the admin token on every admin endpoint, and the
 * 503 of a gateway without the service. End to end (TLS, curl, DNS, CRL):
 * tests/integration/test_enroll.sh. */
#include "helpers.h"

#include <jansson.h>

#include "ca/ca.h"
#include "core/conf.h"
#include "http/enroll.h"
#include "http/routes.h"
#include "store/store.h"

static char dir[PATH_MAX];
static struct lc_conf conf;
static struct http_enroll *service;
static struct http_services svc;

static void setup(void)
{
    struct lc_err err = {LC_OK, ""};
    struct ca_constraints cons;
    th_tmpdir(dir);
    conf_init(&conf);
    TH_OK(conf_set(&conf, "allow", "192.168.0.0/16 fd00::/8", &err), err);
    TH_OK(conf_set(&conf, "state_dir", dir, &err), err);
    TH_OK(conf_set(&conf, "enroll_policy", "approve", &err), err);
    TH_OK(conf_finish(&conf, &err), err);
    memset(&cons, 0, sizeof(cons));
    snprintf(cons.zone, sizeof(cons.zone), "%s", conf.zone);
    cons.allow = conf.allow;
    TH_OK(ca_init_root(dir, &cons, false, &err), err);
    TH_OK(http_enroll_new(&service, &conf, NULL, NULL, NULL, &err), err);
    svc.enroll = service;
}

static void teardown(void)
{
    http_enroll_free(service);
    service = NULL;
    th_rmtree(dir);
}

/* call runs one request from |peer| and returns its parsed body. */
static json_t *call(struct reply *r, const char *method, const char *path, const char *body,
                    size_t body_len, const char *peer)
{
    struct route_request req = {.method = method, .path = path, .svc = &svc,
                                .body = (const uint8_t *)body, .body_len = body_len};
    json_error_t jerr;
    json_t *j;
    ck_assert(addr_parse(&req.peer, peer, strlen(peer)));
    route_dispatch(r, &req);
    ck_assert_ptr_nonnull(r->body);
    j = json_loadb(r->body, r->body_len, 0, &jerr);
    ck_assert_msg(j != NULL, "not JSON: %s", r->body);
    return j;
}

/* rows counts what a refusal must leave alone. */
static int64_t rows(void)
{
    struct store *s = NULL;
    struct lc_err err = {LC_OK, ""};
    int64_t n = 0, total = 0;
    const char *tables[] = {"devices", "certs", "names", "tokens"};
    TH_OK(store_open(&s, dir, &err), err);
    for (size_t i = 0; i < 4; i++) {
        TH_OK(store_count(s, &n, tables[i], &err), err);
        total += n;
    }
    store_free(s);
    return total;
}

static char *csr_pem(const char *const *dns, size_t n_dns)
{
    EVP_PKEY *key = th_key_ec("P-256");
    X509_REQ *req = th_req_new(key, "device", dns, n_dns, NULL, 0);
    char *pem = th_req_pem(req, NULL);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
    return pem;
}

static void expect_problem(const char *method, const char *path, const char *body, size_t len,
                           unsigned status)
{
    struct reply r;
    int64_t before = rows();
    json_t *j = call(&r, method, path, body, len, "192.168.1.5");
    ck_assert_msg(r.status == status, "%s %s [%.40s]: %u, want %u: %s", method, path, body,
                  r.status, status, r.body);
    ck_assert_str_eq(r.type, "application/problem+json");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "status")), status);
    ck_assert_ptr_nonnull(json_string_value(json_object_get(j, "detail")));
    json_decref(j);
    reply_cleanup(&r);
    ck_assert_int_eq(rows(), before);
}

START_TEST(test_hostile_bodies)
{
    static const char *const bodies[] = {
        "", "{", "}", "null", "[]", "\"csr\"", "42", "{\"csr\": 1}", "{\"csr\": null}",
        "{\"csr\": \"\"}", "{\"csr\": []}", "{\"csr\": \"x\", \"csr\": \"y\"}",
        "{\"csr\": \"x\", \"token\": 7}", "{\"csr\": \"x\", \"token\": null}",
        "{\"token\": \"abc\"}", "{\"csr\": \"\\u0000\"}", "{\"csr\": \"\xff\xfe\"}",
        "{\"csr\": \"-----BEGIN CERTIFICATE REQUEST-----\\nAAAA\\n-----END CERTIFICATE REQUEST-----\\n\"}",
        "{\"csr\": \"x\"} trailing",
    };
    char deep[4096];
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
        expect_problem("POST", "/api/v1/enroll", bodies[i], strlen(bodies[i]), 400);
    /* A NUL inside the body, and nesting far past jansson's depth limit. */
    expect_problem("POST", "/api/v1/enroll", "{\"csr\"\0: \"x\"}", 13, 400);
    memset(deep, '[', sizeof(deep));
    expect_problem("POST", "/api/v1/enroll", deep, sizeof(deep), 400);
}
END_TEST

START_TEST(test_hex_name_rule)
{
    const char *mine[] = {"c0a80105.home.arpa"}, *theirs[] = {"c0a80106.home.arpa"};
    char *pem = csr_pem(theirs, 1), body[8192];
    struct reply r;
    json_t *j, *csr;

    csr = json_pack("{s:s}", "csr", pem);
    size_t len = json_dumpb(csr, body, sizeof(body), 0);
    ck_assert_uint_lt(len, sizeof(body));
    expect_problem("POST", "/api/v1/enroll", body, len, 403);
    json_decref(csr);
    free(pem);

    pem = csr_pem(mine, 1);
    csr = json_pack("{s:s}", "csr", pem);
    len = json_dumpb(csr, body, sizeof(body), 0);
    ck_assert_uint_lt(len, sizeof(body));
    j = call(&r, "POST", "/api/v1/enroll", body, len, "192.168.1.5");
    ck_assert_msg(r.status == 201, "%u: %s", r.status, r.body);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "active");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "update_key"), "algorithm")),
                     "hmac-sha256");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "certificate")),
                                 "BEGIN CERTIFICATE"));
    json_decref(j);
    reply_cleanup(&r);
    /* The same CSR again: the same device, a new certificate, no key. */
    j = call(&r, "POST", "/api/v1/enroll", body, len, "192.168.1.5");
    ck_assert_uint_eq(r.status, 201);
    ck_assert_ptr_null(json_object_get(j, "update_key"));
    json_decref(j);
    reply_cleanup(&r);
    json_decref(csr);
    free(pem);
}
END_TEST

START_TEST(test_admin_endpoints_need_the_token)
{
    static const struct {
        const char *method, *path, *body;
    } admin[] = {
        {"GET", "/api/v1/devices", ""},
        {"GET", "/api/v1/devices/1", ""},
        {"GET", "/api/v1/devices/x", ""},
        {"POST", "/api/v1/devices/1/approve", ""},
        {"DELETE", "/api/v1/devices/1", ""},
        {"POST", "/api/v1/tokens", "{\"names\": [\"printer\"]}"},
        {"POST", "/api/v1/tokens", "{"},
    };
    for (size_t i = 0; i < sizeof(admin) / sizeof(admin[0]); i++) {
        struct reply r;
        json_t *j = call(&r, admin[i].method, admin[i].path, admin[i].body,
                         strlen(admin[i].body), "192.168.1.5");
        ck_assert_msg(r.status == 401, "%s %s: %u", admin[i].method, admin[i].path, r.status);
        ck_assert_ptr_nonnull(r.www_authenticate);
        json_decref(j);
        reply_cleanup(&r);
    }
}
END_TEST

START_TEST(test_enroll_status_and_ca)
{
    struct reply r;
    json_t *j = call(&r, "GET", "/api/v1/enroll/1", NULL, 0, "192.168.1.5");
    ck_assert_uint_eq(r.status, 404);
    json_decref(j);
    reply_cleanup(&r);
    static const char *const bad_ids[] = {"/api/v1/enroll/0", "/api/v1/enroll/-1",
                                          "/api/v1/enroll/01", "/api/v1/enroll/1x",
                                          "/api/v1/enroll/99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        j = call(&r, "GET", bad_ids[i], NULL, 0, "192.168.1.5");
        ck_assert_uint_eq(r.status, 404);
        json_decref(j);
        reply_cleanup(&r);
    }
    j = call(&r, "GET", "/api/v1/ca", NULL, 0, "192.168.1.5");
    ck_assert_uint_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "zone")), "home.arpa");
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(j, "fingerprint_sha256"))), 95);
    ck_assert_str_eq(json_string_value(json_object_get(j, "root")),
                     json_string_value(json_object_get(j, "chain")));
    json_decref(j);
    reply_cleanup(&r);
}
END_TEST

START_TEST(test_without_the_service)
{
    static const char *const paths[][2] = {
        {"GET", "/api/v1/ca"}, {"POST", "/api/v1/enroll"}, {"GET", "/api/v1/enroll/1"},
        {"GET", "/api/v1/devices"}, {"POST", "/api/v1/tokens"}, {"DELETE", "/api/v1/devices/1"},
    };
    struct reply r;
    json_t *j;
    svc.enroll = NULL;
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        j = call(&r, paths[i][0], paths[i][1], NULL, 0, "192.168.1.5");
        ck_assert_uint_eq(r.status, 503);
        json_decref(j);
        reply_cleanup(&r);
    }
    /* The methods a device path takes. */
    j = call(&r, "PUT", "/api/v1/devices/1", NULL, 0, "192.168.1.5");
    ck_assert_uint_eq(r.status, 405);
    ck_assert_str_eq(r.allow, "GET, HEAD, DELETE");
    json_decref(j);
    reply_cleanup(&r);
}
END_TEST

static Suite *http_enroll_suite(void)
{
    Suite *s = suite_create("http_enroll");
    TCase *tc = tcase_create("enroll");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_hostile_bodies);
    tcase_add_test(tc, test_hex_name_rule);
    tcase_add_test(tc, test_admin_endpoints_need_the_token);
    tcase_add_test(tc, test_enroll_status_and_ca);
    tcase_add_test(tc, test_without_the_service);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(http_enroll_suite());
}
