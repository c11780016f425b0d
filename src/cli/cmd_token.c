/* cmd_token.c — `lancert token rotate-admin`: a new admin token for the
 * admin API. (Enrolment tokens, `token create`, join this group later.) */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ca/admin.h"
#include "cli/cli.h"
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

int cli_token(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct cli_verb verbs[] = {
        {"rotate-admin", token_rotate_admin, "replace the admin token (printed once)"},
    };
    return cli_dispatch(cli, "token", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv, err);
}
