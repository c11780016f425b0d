/* cmd_status.c — `lancert status`: the CA and what the store holds. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ca/ca.h"
#include "cli/cli.h"
#include "store/store.h"

int cli_status(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct option longopts[] = {CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
    static const char *const tables[] = {"devices", "names", "certs", "tokens"};
    int64_t counts[4];
    struct ca *ca = NULL;
    struct store *store = NULL;
    char fp[CA_FINGERPRINT_LEN];
    int rc = LC_OK;

    struct cli_opts o = {argc, argv, longopts,
                         "usage: lancert status [--json]\nShow the CA fingerprint and how many "
                         "devices, names, certificates and tokens the store holds, after an "
                         "integrity check of the store.\n",
                         false};
    if ((rc = cli_opt_common_only(cli, &o, err)) != LC_OK)
        return rc;
    if (optind < argc)
        return lc_fail(err, LC_E_USAGE, "'lancert status' takes no arguments");
    if ((rc = ca_load(&ca, cli->conf.state_dir, err)) != LC_OK ||
        (rc = store_open(&store, cli->conf.state_dir, err)) != LC_OK)
        goto out;
    for (int i = 0; i < 4; i++)
        if ((rc = store_count(store, &counts[i], tables[i], err)) != LC_OK)
            goto out;
    if ((rc = store_integrity_check(store, err)) != LC_OK)
        goto out;
    ca_fingerprint(fp, ca_anchor(ca));
    if (cli->json) {
        rc = cli_print_json(json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s}", "state_dir",
                                      cli->conf.state_dir, "zone", ca_get_constraints(ca)->zone,
                                      "root_sha256_fingerprint", fp, "devices", (json_int_t)counts[0],
                                      "names", (json_int_t)counts[1], "certificates",
                                      (json_int_t)counts[2], "tokens", (json_int_t)counts[3],
                                      "store", "ok"),
                            err);
    } else {
        printf("state:        %s\nzone:         %s\nroot:         SHA256 %s\n"
               "devices:      %lld\nnames:        %lld\ncertificates: %lld\ntokens:       %lld\n"
               "store:        ok (integrity check passed)\n",
               cli->conf.state_dir, ca_get_constraints(ca)->zone, fp, (long long)counts[0],
               (long long)counts[1], (long long)counts[2], (long long)counts[3]);
    }
out:
    store_free(store);
    ca_free(ca);
    return rc;
}
