/* cmd_token.c — `lancert token rotate-admin`: a new admin token for the
 * admin API; `lancert token create`: an enrolment token for friendly names,
 * through the admin API (POST tokens). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ca/admin.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "store/store.h"

static int token_rotate_admin(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct option longopts[] = {CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
    struct store *store = NULL;
    char token[ADMIN_TOKEN_TEXT_LEN + 1] = "";
    int rc = LC_OK;

    struct cli_opts o = {argc, argv, longopts,
                         "usage: lancert token rotate-admin [--json]\n"
                         "Replace the admin token of the admin API: print the new one once (base64url)\n"
                         "and keep it in admin.token (mode 0600) in the state directory. The old\n"
                         "token stops working at once, also in a running lancertd.\n",
                         false};
    if ((rc = cli_opt_common_only(cli, &o, err)) != LC_OK)
        goto out;
    if (optind < argc) {
        rc = lc_fail(err, LC_E_USAGE, "'lancert token rotate-admin' takes no arguments");
        goto out;
    }
    if ((rc = store_open(&store, cli->conf.state_dir, err)) != LC_OK ||
        (rc = admin_token_rotate(store, token, cli->conf.state_dir, err)) != LC_OK)
        goto out;
    if (cli->json)
        rc = cli_print_json(json_pack("{s:s, s:s}", "admin_token", token, "file",
                                      ADMIN_TOKEN_FILE),
                            err);
    else
        printf("%s\n", token);
out:
    OPENSSL_cleanse(token, sizeof(token));
    store_free(store);
    return rc;
}

enum { OPT_EXPIRES = OPT_ADMIN_VERB_BASE };

/* The API's bounds: 30 days at most (api-contract). */
#define TOKEN_MAX_EXPIRES (30L * 86400)
#define TOKEN_MAX_NAMES 16

static int token_create(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct option longopts[] = {CLI_COMMON_LONGOPTS, CLI_ADMIN_LONGOPTS,
                                             {"expires", required_argument, NULL, OPT_EXPIRES},
                                             {NULL, 0, NULL, 0}};
    struct cli_admin a = {0};
    json_t *names = NULL, *body = NULL, *r = NULL;
    long expires = 0;
    int opt, rc = LC_OK;
    char *end;

    struct cli_opts o = {argc, argv, longopts,
                         "usage: lancert token create NAME... [--expires SECONDS] [--json]\n"
                         "                            [--server URL] [--ca FILE] [--token-file FILE]\n"
                         "Make an enrolment token that lets one device take the friendly NAMEs\n"
                         "(labels under the zone, as 'printer') with 'lancert enroll --token'. The\n"
                         "token is printed once; the gateway keeps only its hash. It is good once.\n"
                         "  --expires SECONDS  its life (default 86400, at most 30 days)\n"
                         "  --json          {id, token, names, expires}, as POST /api/v1/tokens\n"
                         CLI_ADMIN_HELP,
                         false};
    while ((opt = cli_opt_next(cli, &o, &rc, err)) != -1) {
        if (opt == CLI_OPT_STOP)
            goto out;
        if (cli_admin_opt(&a, opt, optarg))
            continue;
        if (opt != OPT_EXPIRES) {
            rc = cli_opt_refuse(&o, err);
            goto out;
        }
        errno = 0;
        expires = strtol(optarg, &end, 10);
        if (errno || end == optarg || *end || expires <= 0 || expires > TOKEN_MAX_EXPIRES) {
            rc = lc_fail(err, LC_E_USAGE, "--expires needs seconds, 1 to %ld (30 days)",
                         TOKEN_MAX_EXPIRES);
            goto out;
        }
    }
    if (optind >= argc || argc - optind > TOKEN_MAX_NAMES) {
        rc = lc_fail(err, LC_E_USAGE, "'lancert token create' takes 1 to %d NAMEs", TOKEN_MAX_NAMES);
        goto out;
    }
    if (!(names = json_array()))
        goto nomem;
    for (int i = optind; i < argc; i++)
        if (json_array_append_new(names, json_string(argv[i])) != 0) {
            rc = lc_fail(err, LC_E_USAGE, "NAME '%.40s' is not text", argv[i]);
            goto out;
        }
    if (!(body = json_pack("{s:O}", "names", names)) ||
        (expires && json_object_set_new(body, "expires_in", json_integer(expires)) != 0))
        goto nomem;
    if ((rc = cli_admin_open(cli, &a, err)) != LC_OK)
        goto out;
    rc = cli_admin_call(&a, &r, "POST", "tokens", body, 201, "token create", err);
    body = NULL;
    if (rc != LC_OK)
        goto out;
    const char *token = json_string_value(json_object_get(r, "token"));
    char shown[256];
    client_printable(shown, sizeof(shown), token);
    if (!token || strcmp(shown, token) != 0 || strpbrk(token, " ")) {
        rc = lc_fail(err, LC_E_MALFORMED, "token create: the gateway's answer has no token");
        goto out;
    }
    if (cli->json) {
        rc = cli_print_json(json_incref(r), err);
        goto out;
    }
    printf("%s\n", token);
    rc = fflush(stdout) == 0 ? LC_OK : lc_fail(err, LC_E_IO, "cannot write to standard output");
    goto out;
nomem:
    rc = lc_fail(err, LC_E_NOMEM, "out of memory");
out:
    json_decref(names);
    json_decref(body);
    json_decref(r);
    cli_admin_close(&a);
    return rc;
}

int cli_token(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct cli_verb verbs[] = {
        {"create", token_create, "an enrolment token for friendly names (printed once)"},
        {"rotate-admin", token_rotate_admin, "replace the admin token (printed once)"},
    };
    return cli_dispatch(cli, "token", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv, err);
}
