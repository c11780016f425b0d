/* cmd_enroll.c — the device verbs: `lancert enroll` asks the gateway for a
 * certificate (POST /api/v1/enroll, then GET enroll/{id} while an admin
 * approves), `lancert renew` replaces it proving possession of the current
 * key (POST /api/v1/renew, a JWS). Both write their files into one directory,
 * each file atomically. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ca/jws.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/device.h"
#include "core/file.h"

enum {
    OPT_NAME = OPT_ADMIN_VERB_BASE,
    OPT_TOKEN,
    OPT_KEY,
    OPT_OUT,
    OPT_FINGERPRINT,
    OPT_CA_URL,
    OPT_ADDRESS,
    OPT_WAIT,
    OPT_ID,
    OPT_DIR,
    OPT_NEW_KEY,
};

#define POLL_INTERVAL_S 2
#define DEFAULT_WAIT_S 300
#define MAX_WAIT_S 86400
#define UPDATE_KEY_TEXT_MAX 1024

/* The trust anchor and the API's base, shared by enroll and renew. */
struct device_opts {
    const char *server, *ca_file, *fingerprint, *ca_url, *dir, *address;
    uint8_t fingerprint_md[32];
    char base[512];        /* server + "/api/v1" */
    char root_path[PATH_MAX]; /* the root the client verifies with */
};

static int path_in(char out[PATH_MAX], const char *dir, const char *file, struct lc_err *err)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, file);
    if (n < 0 || n >= PATH_MAX)
        return lc_fail(err, LC_E_USAGE, "the directory name is too long");
    return LC_OK;
}

/* server_base checks --server (https only: the API must be verified) and
 * makes the API's base URL. */
static int server_base(struct device_opts *d, struct lc_err *err)
{
    if (!d->server)
        return lc_fail(err, LC_E_USAGE, "--server URL is required (https://gateway.home.arpa:8443)");
    size_t n = strlen(d->server);
    while (n > 0 && d->server[n - 1] == '/')
        n--;
    if (strncmp(d->server, "https://", 8) != 0 || n <= 8 || n + 8 >= sizeof(d->base) ||
        memchr(d->server + 8, '/', n - 8) || strpbrk(d->server, " \r\n"))
        return lc_fail(err, LC_E_USAGE, "--server needs https://HOST[:PORT], no path");
    snprintf(d->base, sizeof(d->base), "%.*s/api/v1", (int)n, d->server);
    return LC_OK;
}

/* default_ca_url is http://HOST/ca.pem for --server https://HOST[:PORT]: the
 * plain port serves the root on the standard port unless told otherwise. */
static void default_ca_url(char *out, size_t out_len, const char *server)
{
    const char *host = server + 8;
    size_t n = strcspn(host, "/");
    /* Drop the port, but not inside an IPv6 literal's brackets. */
    const char *close = memchr(host, ']', n);
    const char *colon = memchr(close ? close : host, ':', n - (size_t)((close ? close : host) - host));
    if (colon)
        n = (size_t)(colon - host);
    snprintf(out, out_len, "http://%.*s/ca.pem", (int)n, host);
}

/* trust_root settles which root verifies the gateway, and keeps a copy as
 * DIR/ca.pem for later renewals: --ca FILE; or the root fetched over plain
 * HTTP and accepted only with the --fingerprint the user got out of band;
 * or the DIR/ca.pem an earlier enroll left. */
static int trust_root(struct device_opts *d, struct lc_err *err)
{
    struct client *plain = NULL;
    struct client_response r;
    char url[600], *pem = NULL;
    size_t pem_len = 0;
    int rc;

    memset(&r, 0, sizeof(r));
    if ((rc = path_in(d->root_path, d->dir, DEVICE_ROOT_FILE, err)) != LC_OK ||
        (d->fingerprint &&
         (rc = device_fingerprint_parse(d->fingerprint_md, d->fingerprint, err)) != LC_OK))
        goto out;
    if (d->ca_file) {
        if ((rc = file_read(&pem, &pem_len, d->ca_file, DEVICE_MAX_PEM, err)) != LC_OK)
            goto out;
        if (d->fingerprint &&
            (rc = device_fingerprint_check(pem, pem_len, d->fingerprint_md, err)) != LC_OK)
            goto out;
    } else if (d->fingerprint) {
        if (d->ca_url)
            snprintf(url, sizeof(url), "%s", d->ca_url);
        else
            default_ca_url(url, sizeof(url), d->server);
        struct client_opts o = {NULL, NULL, NULL, d->address};
        if ((rc = client_new(&plain, &o, err)) != LC_OK ||
            (rc = client_request(plain, &r, "GET", url, NULL, err)) != LC_OK)
            goto out;
        if (r.status != 200) {
            rc = client_status_err(err, &r, "fetching the root");
            goto out;
        }
        if (r.body_len > DEVICE_MAX_PEM) {
            rc = lc_fail(err, LC_E_TOO_BIG, "the root at %.80s is over %d bytes", url, DEVICE_MAX_PEM);
            goto out;
        }
        if ((rc = device_fingerprint_check(r.body, r.body_len, d->fingerprint_md, err)) != LC_OK)
            goto out;
        pem = r.body;
        pem_len = r.body_len;
        r.body = NULL;
    } else if (access(d->root_path, R_OK) == 0) {
        rc = LC_OK;
        goto out;
    } else {
        rc = lc_fail(err, LC_E_USAGE, "give --ca FILE or --fingerprint SHA256 (the gateway's "
                                      "page shows it) so the gateway can be verified");
        goto out;
    }
    rc = device_write(d->dir, DEVICE_ROOT_FILE, pem, pem_len, 0644, err);
out:
    client_response_cleanup(&r);
    client_free(plain);
    free(pem);
    return rc;
}

static int parse_wait(long *out, const char *arg, long max, const char *what, struct lc_err *err)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < 0 || v > max)
        return lc_fail(err, LC_E_USAGE, "%s needs a number, 0 to %ld", what, max);
    *out = v;
    return LC_OK;
}

/* device_opt takes the options enroll and renew share. */
static bool device_opt(struct device_opts *d, int opt, const char *arg)
{
    switch (opt) {
    case OPT_SERVER:
        d->server = arg;
        return true;
    case OPT_CA:
        d->ca_file = arg;
        return true;
    case OPT_FINGERPRINT:
        d->fingerprint = arg;
        return true;
    case OPT_CA_URL:
        d->ca_url = arg;
        return true;
    case OPT_ADDRESS:
        d->address = arg;
        return true;
    default:
        return false;
    }
}

#define DEVICE_LONGOPTS                                            \
    {"server", required_argument, NULL, OPT_SERVER},               \
    {"ca", required_argument, NULL, OPT_CA},                       \
    {"fingerprint", required_argument, NULL, OPT_FINGERPRINT},     \
    {"ca-url", required_argument, NULL, OPT_CA_URL},               \
    {"address", required_argument, NULL, OPT_ADDRESS}

#define DEVICE_HELP                                                                         \
    "  --server URL    the gateway's HTTPS address (https://gateway.home.arpa:8443)\n"        \
    "  --ca FILE       the root to verify the gateway with (default DIR/ca.pem)\n"            \
    "  --fingerprint SHA256  fetch the root from the gateway's plain-HTTP port and\n"        \
    "                  accept it only with this SHA-256 fingerprint (its page shows it)\n"   \
    "  --ca-url URL    where to fetch it (default http://<server host>/ca.pem)\n"             \
    "  --address ADDR  connect from this local address (default: the system picks)\n"

/* api_request sends one request to base + |path|, answers in |r|. */
static int api_request(struct client *c, struct client_response *r, const struct device_opts *d,
                       const char *method, const char *path, const char *body, struct lc_err *err)
{
    char url[sizeof(d->base) + LC_NAME_MAX + 16];
    snprintf(url, sizeof(url), "%s/%s", d->base, path);
    return client_request(c, r, method, url, body, err);
}

/* wait_approval polls GET enroll/{id} until the certificate comes or
 * |wait_s| seconds pass; then *out_active tells which, and |r| holds the
 * final answer. |ask_now| asks once at once (picking up an earlier request). */
static int wait_approval(struct client *c, struct client_response *r, bool *out_active,
                         const struct device_opts *d, int64_t id, long wait_s, bool ask_now,
                         struct lc_err *err)
{
    char path[64];
    time_t until = time(NULL) + wait_s;
    bool pending = true;
    int64_t got_id;
    int rc;

    *out_active = false;
    snprintf(path, sizeof(path), "enroll/%lld", (long long)id);
    while (ask_now || time(NULL) < until) {
        if (!ask_now)
            sleep(POLL_INTERVAL_S);
        ask_now = false;
        client_response_cleanup(r);
        if ((rc = api_request(c, r, d, "GET", path, NULL, err)) != LC_OK)
            return rc;
        if (r->status != 200)
            return client_status_err(err, r, "waiting for approval");
        if ((rc = device_pending_parse(&got_id, &pending, r->body, r->body_len, err)) != LC_OK)
            return rc;
        if (got_id != id)
            return lc_fail(err, LC_E_MALFORMED, "the gateway answered for another device");
        if (!pending) {
            *out_active = true;
            return LC_OK;
        }
    }
    return LC_OK;
}

/* write_result writes chain.pem, cert.pem and, when the gateway sent it,
 * update.key; key.pem is the caller's. The certificate goes last but one, so
 * cert.pem never names a chain that is not there yet. */
static int write_result(const char *dir, const struct device_result *res, struct lc_err *err)
{
    char uk[UPDATE_KEY_TEXT_MAX];
    int rc;
    if ((rc = device_write(dir, DEVICE_CHAIN_FILE, res->chain_pem, strlen(res->chain_pem), 0644,
                           err)) != LC_OK ||
        (rc = device_write(dir, DEVICE_CERT_FILE, res->cert_pem, strlen(res->cert_pem), 0644,
                           err)) != LC_OK)
        return rc;
    if (!res->has_update_key)
        return LC_OK;
    if ((rc = device_update_key_format(uk, sizeof(uk), &res->update_key, err)) == LC_OK)
        rc = device_write(dir, DEVICE_UPDATE_KEY_FILE, uk, strlen(uk), 0600, err);
    OPENSSL_cleanse(uk, sizeof(uk));
    return rc;
}

static int print_result(struct cli *cli, const char *verb, const struct device_result *res,
                        const char *dir, struct lc_err *err)
{
    char until[32];
    device_cert_until(until, res->cert);
    if (cli->json) {
        json_t *names = json_array();
        for (size_t i = 0; names && i < res->n_names; i++)
            json_array_append_new(names, json_string(res->names[i]));
        return cli_print_json(json_pack("{s:I, s:s, s:o, s:s, s:s, s:b}", "id",
                                        (json_int_t)res->id, "status", "active", "names", names,
                                        "not_after", until, "dir", dir, "update_key",
                                        res->has_update_key),
                              err);
    }
    printf("%s device %lld:", verb, (long long)res->id);
    for (size_t i = 0; i < res->n_names; i++)
        printf(" %s", res->names[i]);
    printf(", until %s, in %s\n", until, dir);
    return fflush(stdout) == 0 ? LC_OK : lc_fail(err, LC_E_IO, "cannot write to standard output");
}

/* enroll_key settles the device key and puts it in DIR/key.pem before
 * anything is sent, so a later run with --id finds it: --key FILE (copied);
 * or DIR/key.pem when no certificate names it yet (resuming, or after a
 * refused attempt); or a new P-256 key, written exclusively. A key that
 * DIR/cert.pem names is never replaced: that is renew's job. */
static int enroll_key(EVP_PKEY **out, const char *key_file, bool resume, const char *dir,
                      struct lc_err *err)
{
    char path[PATH_MAX], cert_path[PATH_MAX], *pem = NULL;
    size_t pem_len = 0;
    int rc;

    if ((rc = path_in(path, dir, DEVICE_KEY_FILE, err)) != LC_OK ||
        (rc = path_in(cert_path, dir, DEVICE_CERT_FILE, err)) != LC_OK)
        return rc;
    bool have_key = access(path, F_OK) == 0, have_cert = access(cert_path, F_OK) == 0;
    if (!key_file && have_key && (resume || !have_cert))
        return device_key_load(out, path, err);
    if (!resume && have_cert)
        return lc_fail(err, LC_E_EXISTS, "%.60s holds a certificate: use 'lancert renew', or "
                                         "another --out", dir);
    if ((rc = key_file ? device_key_load(out, key_file, err) : device_key_new(out, err)) != LC_OK ||
        (rc = device_key_pem(&pem, &pem_len, *out, err)) != LC_OK)
        goto out;
    rc = file_write_atomic(path, pem, pem_len, 0600, key_file ? 0 : 1, err);
out:
    if (pem)
        OPENSSL_cleanse(pem, pem_len);
    free(pem);
    return rc;
}

static const char enroll_usage[] =
    "usage: lancert enroll --server URL [--name FRIENDLY]... [--token T] [--key FILE]\n"
    "                      [--out DIR] [--ca FILE | --fingerprint SHA256] [--address ADDR]\n"
    "                      [--wait SECONDS] [--id ID] [--json]\n"
    "Ask the gateway for a certificate for this device: the hex name of the address\n"
    "it connects from, and each FRIENDLY name. Writes DIR/cert.pem, chain.pem,\n"
    "key.pem (0600), ca.pem and update.key (0600: a TSIG key for `nsupdate -k`, and\n"
    "the dyndns2 user and password), each atomically. When the gateway wants its\n"
    "admin's approval, waits for it.\n"
    "  --name FRIENDLY a friendly name (a label under the zone, or a full name)\n"
    "  --token T       an enrolment token from 'lancert token create' for the names\n"
    "  --key FILE      use this private key, copied to DIR/key.pem (default: the\n"
    "                  key.pem DIR holds without a certificate, or a new P-256 key)\n"
    "  --out DIR       where the files go (default .)\n"
    "  --wait SECONDS  how long to wait for approval (default 300; 0: do not wait)\n"
    "  --id ID         pick up device ID's pending request (made by an earlier run\n"
    "                  with the same DIR) instead of sending a new one\n"
    "  --json          print {id, status, names, not_after, dir, update_key}\n" DEVICE_HELP;

int cli_enroll(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct option longopts[] = {
        CLI_COMMON_LONGOPTS,
        DEVICE_LONGOPTS,
        {"name", required_argument, NULL, OPT_NAME},
        {"token", required_argument, NULL, OPT_TOKEN},
        {"key", required_argument, NULL, OPT_KEY},
        {"out", required_argument, NULL, OPT_OUT},
        {"wait", required_argument, NULL, OPT_WAIT},
        {"id", required_argument, NULL, OPT_ID},
        {NULL, 0, NULL, 0}};
    struct device_opts d = {0};
    const char *friendly[DEVICE_MAX_NAMES], *token = NULL, *key_file = NULL;
    char names[DEVICE_MAX_NAMES][LC_NAME_MAX + 1], zone[LC_NAME_MAX + 1], *csr = NULL,
        *body_text = NULL;
    size_t n_friendly = 0, n_names = 0;
    long wait_s = DEFAULT_WAIT_S, resume_id = 0;
    struct client *c = NULL;
    struct client_response r;
    struct device_result res;
    EVP_PKEY *key = NULL;
    bool active = false;
    int64_t id = 0;
    int opt, rc = LC_OK;

    memset(&r, 0, sizeof(r));
    memset(&res, 0, sizeof(res));
    d.dir = ".";
    struct cli_opts o = {argc, argv, longopts, enroll_usage, false};
    while ((opt = cli_opt_next(cli, &o, &rc, err)) != -1) {
        if (opt == CLI_OPT_STOP)
            goto out;
        if (device_opt(&d, opt, optarg))
            continue;
        switch (opt) {
        case OPT_NAME:
            if (n_friendly + 1 >= DEVICE_MAX_NAMES) {
                rc = lc_fail(err, LC_E_TOO_MANY, "at most %d --name", DEVICE_MAX_NAMES - 1);
                goto out;
            }
            friendly[n_friendly++] = optarg;
            break;
        case OPT_TOKEN:
            token = optarg;
            break;
        case OPT_KEY:
            key_file = optarg;
            break;
        case OPT_OUT:
            d.dir = optarg;
            break;
        case OPT_WAIT:
            if ((rc = parse_wait(&wait_s, optarg, MAX_WAIT_S, "--wait", err)) != LC_OK)
                goto out;
            break;
        case OPT_ID:
            if ((rc = parse_wait(&resume_id, optarg, LONG_MAX, "--id", err)) != LC_OK)
                goto out;
            if (resume_id == 0) {
                rc = lc_fail(err, LC_E_USAGE, "--id needs a device id (1 or more)");
                goto out;
            }
            break;
        default:
            rc = cli_opt_refuse(&o, err);
            goto out;
        }
    }
    if (optind < argc) {
        rc = lc_fail(err, LC_E_USAGE, "unexpected argument '%.40s'", argv[optind]);
        goto out;
    }
    if ((rc = server_base(&d, err)) != LC_OK || (rc = file_mkdir_private(d.dir, err)) != LC_OK ||
        (rc = trust_root(&d, err)) != LC_OK ||
        (rc = enroll_key(&key, key_file, resume_id != 0, d.dir, err)) != LC_OK)
        goto out;
    struct client_opts co = {d.root_path, NULL, NULL, d.address};
    if ((rc = client_new(&c, &co, err)) != LC_OK)
        goto out;
    if (resume_id) {
        id = resume_id;
    } else {
        /* GET ca first: the zone, and the address the gateway sees us at. */
        struct lc_addr self;
        if ((rc = api_request(c, &r, &d, "GET", "ca", NULL, err)) != LC_OK)
            goto out;
        if (r.status != 200) {
            rc = client_status_err(err, &r, "GET ca");
            goto out;
        }
        if ((rc = device_ca_parse(zone, r.body, r.body_len, err)) != LC_OK ||
            (rc = client_local_addr(c, &self, err)) != LC_OK ||
            (rc = device_names(names, &n_names, &self, zone, friendly, n_friendly, err)) != LC_OK ||
            (rc = device_csr_pem(&csr, key, names, n_names, err)) != LC_OK)
            goto out;
        json_t *body = json_pack("{s:s}", "csr", csr);
        if (!body || (token && json_object_set_new(body, "token", json_string(token)) != 0) ||
            !(body_text = json_dumps(body, JSON_COMPACT))) {
            json_decref(body);
            rc = lc_fail(err, LC_E_NOMEM, "out of memory");
            goto out;
        }
        json_decref(body);
        client_response_cleanup(&r);
        if ((rc = api_request(c, &r, &d, "POST", "enroll", body_text, err)) != LC_OK)
            goto out;
        if (r.status == 201) {
            active = true;
        } else if (r.status == 202) {
            bool pending = false;
            if ((rc = device_pending_parse(&id, &pending, r.body, r.body_len, err)) != LC_OK)
                goto out;
            if (!pending) {
                rc = lc_fail(err, LC_E_MALFORMED, "the gateway answered 202 but not pending");
                goto out;
            }
        } else {
            rc = client_status_err(err, &r, "enroll");
            goto out;
        }
    }
    if (!active) {
        /* Said on stderr, so the admin knows which id to approve. */
        if (!resume_id)
            fprintf(stderr, "lancert: device %lld awaits the admin's approval "
                            "('lancert devices approve %lld' on the gateway)\n",
                    (long long)id, (long long)id);
        if ((rc = wait_approval(c, &r, &active, &d, id, wait_s, resume_id != 0, err)) != LC_OK)
            goto out;
        if (!active) {
            rc = lc_fail(err, LC_E_PERM, "device %lld is still pending after %ld s; rerun with "
                                         "--id %lld once it is approved",
                         (long long)id, wait_s, (long long)id);
            goto out;
        }
    }
    if ((rc = device_result_parse(&res, r.body, r.body_len, key, err)) != LC_OK)
        goto out;
    if ((rc = write_result(d.dir, &res, err)) != LC_OK)
        goto out;
    rc = print_result(cli, "enrolled", &res, d.dir, err);
out:
    device_result_cleanup(&res);
    client_response_cleanup(&r);
    client_free(c);
    EVP_PKEY_free(key);
    free(csr);
    free(body_text);
    return rc;
}

/* finish_key_swap completes a --new-key renewal a crash interrupted:
 * key.pem.new is put in place when cert.pem certifies it, else dropped (the
 * request never completed, the old key still fits). */
static int finish_key_swap(const char *dir, const char *cert_path, struct lc_err *err)
{
    char next[PATH_MAX], path[PATH_MAX];
    EVP_PKEY *k = NULL;
    X509 *cert = NULL;
    int rc;

    if ((rc = path_in(next, dir, DEVICE_KEY_FILE ".new", err)) != LC_OK ||
        (rc = path_in(path, dir, DEVICE_KEY_FILE, err)) != LC_OK)
        return rc;
    if (access(next, F_OK) != 0)
        return LC_OK;
    if (device_key_load(&k, next, NULL) == LC_OK && device_cert_load(&cert, cert_path, NULL) == LC_OK &&
        EVP_PKEY_eq(X509_get0_pubkey(cert), k) == 1) {
        if (rename(next, path) != 0 || file_sync_dir(dir) != 0)
            rc = lc_fail(err, LC_E_IO, "cannot rename %.60s: %s", next, strerror(errno));
    } else if (unlink(next) != 0) {
        rc = lc_fail(err, LC_E_IO, "cannot remove %.60s: %s", next, strerror(errno));
    }
    EVP_PKEY_free(k);
    X509_free(cert);
    return rc;
}

static const char renew_usage[] =
    "usage: lancert renew --server URL [--dir DIR] [--new-key] [--ca FILE] [--json]\n"
    "Renew the certificate in DIR (cert.pem, key.pem from 'lancert enroll'): a request\n"
    "for the same names, signed (JWS) with the current key to prove it is ours.\n"
    "Replaces DIR/cert.pem and chain.pem atomically.\n"
    "  --dir DIR       the device's directory (default .)\n"
    "  --new-key       move to a new P-256 key (key.pem is replaced too)\n"
    "  --json          print {id, status, names, not_after, dir}\n" DEVICE_HELP;

/* renew_run renews the certificate in d->dir (see renew_usage). */
static int renew_run(struct cli *cli, struct device_opts *dp, bool want_new_key, struct lc_err *err)
{
    struct device_opts d = *dp;
    char names[DEVICE_MAX_NAMES][LC_NAME_MAX + 1], cert_path[PATH_MAX], key_path[PATH_MAX],
        next_path[PATH_MAX], *csr = NULL, *jws = NULL, *pem = NULL;
    size_t n_names = 0, pem_len = 0;
    struct client *c = NULL;
    struct client_response r;
    struct device_result res;
    EVP_PKEY *key = NULL, *new_key = NULL;
    X509 *cert = NULL;
    json_t *payload = NULL;
    int rc = LC_OK;

    memset(&r, 0, sizeof(r));
    memset(&res, 0, sizeof(res));
    if ((rc = server_base(&d, err)) != LC_OK ||
        (rc = path_in(cert_path, d.dir, DEVICE_CERT_FILE, err)) != LC_OK ||
        (rc = path_in(key_path, d.dir, DEVICE_KEY_FILE, err)) != LC_OK ||
        (rc = path_in(next_path, d.dir, DEVICE_KEY_FILE ".new", err)) != LC_OK ||
        (rc = finish_key_swap(d.dir, cert_path, err)) != LC_OK ||
        (rc = trust_root(&d, err)) != LC_OK || (rc = device_key_load(&key, key_path, err)) != LC_OK ||
        (rc = device_cert_load(&cert, cert_path, err)) != LC_OK)
        goto out;
    if (EVP_PKEY_eq(X509_get0_pubkey(cert), key) != 1) {
        rc = lc_fail(err, LC_E_KEY, "%.60s does not certify %.60s", cert_path, key_path);
        goto out;
    }
    if ((rc = device_cert_names(names, &n_names, cert, err)) != LC_OK)
        goto out;
    if (want_new_key) {
        /* Kept beside the old key until the new certificate is on disk. */
        if ((rc = device_key_new(&new_key, err)) != LC_OK ||
            (rc = device_key_pem(&pem, &pem_len, new_key, err)) != LC_OK ||
            (rc = file_write_atomic(next_path, pem, pem_len, 0600, 0, err)) != LC_OK)
            goto out;
    }
    EVP_PKEY *csr_key = new_key ? new_key : key;
    if ((rc = device_csr_pem(&csr, csr_key, names, n_names, err)) != LC_OK)
        goto out;
    if (!(payload = json_pack("{s:s}", "csr", csr))) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = jws_sign(&jws, key, cert, payload, (int64_t)time(NULL), err)) != LC_OK)
        goto out;
    struct client_opts co = {d.root_path, NULL, NULL, d.address};
    if ((rc = client_new(&c, &co, err)) != LC_OK ||
        (rc = api_request(c, &r, &d, "POST", "renew", jws, err)) != LC_OK)
        goto out;
    if (r.status != 201) {
        rc = client_status_err(err, &r, "renew");
        goto out;
    }
    if ((rc = device_result_parse(&res, r.body, r.body_len, csr_key, err)) != LC_OK ||
        (rc = write_result(d.dir, &res, err)) != LC_OK)
        goto out;
    if (new_key && (rename(next_path, key_path) != 0 || file_sync_dir(d.dir) != 0)) {
        rc = lc_fail(err, LC_E_IO, "cannot put the new key in place: %s", strerror(errno));
        goto out;
    }
    rc = print_result(cli, "renewed", &res, d.dir, err);
out:
    if (rc != LC_OK && new_key && !res.cert)
        unlink(next_path); /* never used: the old pair still stands */
    device_result_cleanup(&res);
    client_response_cleanup(&r);
    client_free(c);
    EVP_PKEY_free(key);
    EVP_PKEY_free(new_key);
    X509_free(cert);
    json_decref(payload);
    if (pem)
        OPENSSL_cleanse(pem, pem_len);
    free(pem);
    free(csr);
    free(jws);
    return rc;
}

int cli_renew(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct option longopts[] = {CLI_COMMON_LONGOPTS,
                                             DEVICE_LONGOPTS,
                                             {"dir", required_argument, NULL, OPT_DIR},
                                             {"new-key", no_argument, NULL, OPT_NEW_KEY},
                                             {NULL, 0, NULL, 0}};
    struct device_opts d = {0};
    bool want_new_key = false;
    int opt, rc = LC_OK;

    d.dir = ".";
    struct cli_opts o = {argc, argv, longopts, renew_usage, false};
    while ((opt = cli_opt_next(cli, &o, &rc, err)) != -1) {
        if (opt == CLI_OPT_STOP)
            return rc;
        if (device_opt(&d, opt, optarg))
            continue;
        if (opt == OPT_DIR)
            d.dir = optarg;
        else if (opt == OPT_NEW_KEY)
            want_new_key = true;
        else
            return cli_opt_refuse(&o, err);
    }
    if (optind < argc)
        return lc_fail(err, LC_E_USAGE, "unexpected argument '%.40s'", argv[optind]);
    return renew_run(cli, &d, want_new_key, err);
}

int cli_device_renew(struct cli *cli, const struct cli_device *dev, struct lc_err *err)
{
    struct device_opts d = {0};
    d.server = dev->server;
    d.ca_file = dev->ca_file;
    d.dir = dev->dir;
    d.address = dev->address;
    return renew_run(cli, &d, false, err);
}

int cli_device_move(const struct cli_device *dev, const char *name, const struct lc_addr *to,
                    struct lc_err *err)
{
    struct device_opts d = {0};
    char cert_path[PATH_MAX], key_path[PATH_MAX], path[LC_NAME_MAX + 16], text[LC_ADDR_STRLEN],
        *jws = NULL;
    struct client *c = NULL;
    struct client_response r;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    json_t *payload = NULL;
    int rc;

    memset(&r, 0, sizeof(r));
    d.server = dev->server;
    d.ca_file = dev->ca_file;
    d.dir = dev->dir;
    d.address = dev->address;
    addr_format(text, to);
    snprintf(path, sizeof(path), "names/%s", name);
    if ((rc = server_base(&d, err)) != LC_OK ||
        (rc = path_in(cert_path, d.dir, DEVICE_CERT_FILE, err)) != LC_OK ||
        (rc = path_in(key_path, d.dir, DEVICE_KEY_FILE, err)) != LC_OK ||
        (rc = trust_root(&d, err)) != LC_OK || (rc = device_key_load(&key, key_path, err)) != LC_OK ||
        (rc = device_cert_load(&cert, cert_path, err)) != LC_OK)
        goto out;
    if (!(payload = json_pack("{s:[s]}", "addresses", text))) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    struct client_opts co = {d.root_path, NULL, NULL, d.address};
    if ((rc = jws_sign(&jws, key, cert, payload, (int64_t)time(NULL), err)) != LC_OK ||
        (rc = client_new(&c, &co, err)) != LC_OK ||
        (rc = api_request(c, &r, &d, "PUT", path, jws, err)) != LC_OK)
        goto out;
    if (r.status != 200)
        rc = client_status_err(err, &r, name);
out:
    client_response_cleanup(&r);
    client_free(c);
    EVP_PKEY_free(key);
    X509_free(cert);
    json_decref(payload);
    free(jws);
    return rc;
}
