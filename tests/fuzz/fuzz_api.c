/* fuzz_api.c — the HTTPS API's JSON entry points on untrusted bodies,
 * through the route table with the real services on a real CA and store (a
 * temporary state directory made on the first input, removed at exit):
 * POST /api/v1/enroll, POST /api/v1/tokens (with the admin token, so the
 * body is read), POST /api/v1/renew and PUT /api/v1/names/{name}. The first
 * byte of an input picks the endpoint; the rest is the body.
 *
 * Invariants: every answer is a status the API documents, JSON (a problem
 * document for 4xx and 5xx, with its status and a detail); a refusal leaves
 * the store's devices, certificates, names and tokens as they were. */
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "ca/admin.h"
#include "ca/ca.h"
#include "core/conf.h"
#include "http/enroll.h"
#include "http/renew.h"
#include "http/routes.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[PATH_MAX];
static struct lc_conf conf;
static struct http_services svc;
static struct store *counter; /* a handle of our own, for the row counts */
static char bearer[ADMIN_TOKEN_TEXT_LEN + 16];

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_api: invariant broken: %s\n", what);
        abort();
    }
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void teardown(void)
{
    http_enroll_free(svc.enroll);
    http_renew_free(svc.renew);
    store_free(counter);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* setup makes the state once: a root for home.arpa over 192.168.0.0/16,
 * the enrolment and renewal services, an admin token. */
static void setup(void)
{
    const char *base = getenv("TMPDIR");
    struct ca_constraints cons;
    struct lc_err err = {LC_OK, ""};
    char token[ADMIN_TOKEN_TEXT_LEN + 1];

    snprintf(dir, sizeof(dir), "%s/lancert-fuzz-api.XXXXXX", base && *base ? base : "/tmp");
    require(mkdtemp(dir) != NULL, "a temporary directory");
    conf_init(&conf);
    require(conf_set(&conf, "allow", "192.168.0.0/16 fd00::/8", &err) == LC_OK &&
                conf_set(&conf, "state_dir", dir, &err) == LC_OK &&
                conf_set(&conf, "enroll_policy", "approve", &err) == LC_OK &&
                conf_finish(&conf, &err) == LC_OK,
            "the configuration");
    memset(&cons, 0, sizeof(cons));
    snprintf(cons.zone, sizeof(cons.zone), "%s", conf.zone);
    cons.allow = conf.allow;
    require(ca_init_root(dir, &cons, false, &err) == LC_OK, "ca_init_root");
    require(store_open(&counter, dir, &err) == LC_OK, "store_open");
    require(admin_token_rotate(counter, token, dir, &err) == LC_OK, "admin_token_rotate");
    snprintf(bearer, sizeof(bearer), "Bearer %s", token);
    OPENSSL_cleanse(token, sizeof(token));
    require(http_enroll_new(&svc.enroll, &conf, NULL, NULL, NULL, &err) == LC_OK, "enroll");
    require(http_renew_new(&svc.renew, &conf, NULL, &err) == LC_OK, "renew");
    atexit(teardown);
}

static int64_t rows(void)
{
    static const char *const tables[] = {"devices", "certs", "names", "tokens"};
    struct lc_err err;
    int64_t n, total = 0;
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        require(store_count(counter, &n, tables[i], &err) == LC_OK, "store_count");
        total += n;
    }
    return total;
}

struct endpoint {
    const char *method, *path;
    bool admin;
};

static const struct endpoint endpoints[] = {
    {"POST", "/api/v1/enroll", false},
    {"POST", "/api/v1/tokens", true},
    {"POST", "/api/v1/renew", false},
    {"PUT", "/api/v1/names/printer.home.arpa", false},
};

static bool documented(unsigned status)
{
    static const unsigned ok[] = {200, 201, 202, 400, 401, 403, 404, 409, 413, 500, 503};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (status == ok[i])
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct endpoint *ep;
    struct route_request req;
    struct reply r;
    json_t *j;
    int64_t before;

    if (size < 1 || size > ROUTE_MAX_BODY + 1)
        return 0;
    if (!counter)
        setup();
    ep = &endpoints[data[0] % (sizeof(endpoints) / sizeof(endpoints[0]))];
    memset(&req, 0, sizeof(req));
    req.method = ep->method;
    req.path = ep->path;
    req.body = data + 1;
    req.body_len = size - 1;
    req.authorization = ep->admin ? bearer : NULL;
    req.svc = &svc;
    require(addr_parse(&req.peer, "192.168.1.5", 11), "the peer");

    before = rows();
    route_dispatch(&r, &req);
    require(documented(r.status), "a documented status");
    require(r.body != NULL && r.type != NULL, "a body and a type");
    j = json_loadb(r.body, r.body_len, 0, NULL);
    require(j != NULL && json_is_object(j), "the answer is a JSON object");
    if (r.status >= 400) {
        require(strcmp(r.type, "application/problem+json") == 0, "a problem document");
        require(json_integer_value(json_object_get(j, "status")) == (json_int_t)r.status,
                "the problem's status is the answer's");
        require(json_string_value(json_object_get(j, "detail")) != NULL, "the problem says why");
        require(rows() == before, "a refusal changes nothing");
    }
    json_decref(j);
    reply_cleanup(&r);
    return 0;
}
