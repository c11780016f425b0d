/* cmd_certs.c — `lancert certs list|revoke`: the certificates in the store,
 * as the admin API's GET certificates and POST certificates/{serial}/revoke
 * see them, worked directly on the store like `issue`. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca/admin.h"
#include "cli/cli.h"
#include "store/store.h"

enum { OPT_NAME = OPT_VERB_BASE };

struct list_ctx {
    struct store *store;
    json_t *list; /* with --json */
    struct lc_err *err;
};

static int add_name(void *ctx, const char *name)
{
    return json_array_append_new(ctx, json_string(name)) == 0 ? 0 : LC_E_NOMEM;
}

static void format_time(char out[32], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "%lld", (long long)t);
}

/* show_cert prints one certificate: a JSON record into the list, or a line. */
static int show_cert(void *ctx, const struct store_cert *c)
{
    struct list_ctx *l = ctx;
    char serial[ADMIN_SERIAL_HEX_LEN + 1], until[32];
    json_t *names = json_array(), *rec;
    int rc;

    admin_serial_format(serial, c->serial);
    rc = names ? store_cert_names_each(l->store, c->serial, add_name, names, l->err) : LC_E_NOMEM;
    if (rc != LC_OK)
        goto out;
    if (l->list) {
        rec = json_pack("{s:s, s:O, s:I, s:I, s:b, s:o, s:o}", "serial", serial, "names", names,
                        "not_before", (json_int_t)c->not_before, "not_after",
                        (json_int_t)c->not_after, "revoked", c->revoked_at != 0, "revoked_at",
                        c->revoked_at ? json_integer(c->revoked_at) : json_null(), "device_id",
                        c->device_id ? json_integer(c->device_id) : json_null());
        rc = rec && json_array_append_new(l->list, rec) == 0 ? LC_OK : LC_E_NOMEM;
        goto out;
    }
    format_time(until, c->not_after);
    printf("%s  %-8s  until %s ", serial, c->revoked_at ? "revoked" : "valid", until);
    for (size_t i = 0; i < json_array_size(names); i++)
        printf(" %s", json_string_value(json_array_get(names, i)));
    printf("\n");
out:
    if (rc == LC_E_NOMEM)
        lc_fail(l->err, LC_E_NOMEM, "out of memory");
    json_decref(names);
    return rc;
}

static int certs_list(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct option longopts[] = {
        CLI_COMMON_LONGOPTS, {"name", required_argument, NULL, OPT_NAME}, {NULL, 0, NULL, 0}};
    struct store *store = NULL;
    char name[256] = "";
    struct list_ctx l = {NULL, NULL, err};
    int opt, rc = LC_OK;

    struct cli_opts o = {argc, argv, longopts,
                         "usage: lancert certs list [--name NAME] [--json]\n"
                         "List the certificates in the store: serial, valid or revoked, expiry, names.\n"
                         "  --name NAME     only those naming NAME, newest first\n"
                         "  --json          {\"certificates\": [...]}, as GET /api/v1/certificates\n",
                         false};
    while ((opt = cli_opt_next(cli, &o, &rc, err)) != -1) {
        if (opt == CLI_OPT_STOP)
            goto out;
        if (opt != OPT_NAME) {
            rc = cli_opt_refuse(&o, err);
            goto out;
        }
        if (strlen(optarg) == 0 || strlen(optarg) >= sizeof(name)) {
            rc = lc_fail(err, LC_E_USAGE, "--name needs a name of 1 to 253 characters");
            goto out;
        }
        for (size_t i = 0; i <= strlen(optarg); i++)
            name[i] = (char)tolower((unsigned char)optarg[i]);
    }
    if (optind < argc) {
        rc = lc_fail(err, LC_E_USAGE, "unexpected argument '%.40s'", argv[optind]);
        goto out;
    }
    if ((rc = store_open(&store, cli->conf.state_dir, err)) != LC_OK)
        goto out;
    l.store = store;
    if (cli->json && !(l.list = json_array())) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = store_cert_each(store, name[0] ? STORE_CERTS_BY_NAME : STORE_CERTS_ALL,
                              name[0] ? name : NULL, 0, show_cert, &l, err)) != LC_OK)
        goto out;
    if (l.list) {
        rc = cli_print_json(json_pack("{s:O}", "certificates", l.list), err);
    } else if (fflush(stdout) != 0) {
        rc = lc_fail(err, LC_E_IO, "cannot write to standard output");
    }
out:
    json_decref(l.list);
    store_free(store);
    return rc;
}

static int certs_revoke(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct option longopts[] = {CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
    struct store *store = NULL;
    struct store_cert c;
    uint8_t serial[STORE_SERIAL_LEN];
    char shown[ADMIN_SERIAL_HEX_LEN + 1];
    int rc = LC_OK;

    memset(&c, 0, sizeof(c));
    struct cli_opts o = {argc, argv, longopts,
                         "usage: lancert certs revoke SERIAL\n"
                         "Revoke the certificate with SERIAL (32 hex digits, as 'certs list' shows\n"
                         "it). A running lancertd lists it in its CRL at its next hourly rebuild,\n"
                         "or at once after 'kill -USR1' (the admin API does that itself).\n",
                         false};
    if ((rc = cli_opt_common_only(cli, &o, err)) != LC_OK)
        goto out;
    if (optind + 1 != argc) {
        rc = lc_fail(err, LC_E_USAGE, "'lancert certs revoke' takes one SERIAL");
        goto out;
    }
    if (!admin_serial_parse(serial, argv[optind], strlen(argv[optind]))) {
        rc = lc_fail(err, LC_E_MALFORMED, "'%.40s' is not a serial: 32 hex digits, as 'lancert certs list' shows",
                     argv[optind]);
        goto out;
    }
    if ((rc = store_open(&store, cli->conf.state_dir, err)) != LC_OK ||
        (rc = admin_cert_revoke(store, &c, serial, (int64_t)time(NULL), err)) != LC_OK)
        goto out;
    admin_serial_format(shown, serial);
    if (cli->json)
        rc = cli_print_json(json_pack("{s:s, s:b, s:I}", "serial", shown, "revoked", 1,
                                      "revoked_at", (json_int_t)c.revoked_at),
                            err);
    else
        printf("revoked %s\n", shown);
out:
    free((void *)(uintptr_t)c.der); /* ours to free, see store_cert_get */
    store_free(store);
    return rc;
}

int cli_certs(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct cli_verb verbs[] = {
        {"list", certs_list, "list the certificates in the store"},
        {"revoke", certs_revoke, "revoke a certificate by serial"},
    };
    return cli_dispatch(cli, "certs", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv, err);
}
