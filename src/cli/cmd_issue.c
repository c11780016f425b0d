/* cmd_issue.c — `lancert issue`: a policy-checked leaf, committed to the
 * store before it is printed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/csr.h"
#include "ca/issue.h"
#include "cli/cli.h"
#include "core/file.h"

enum { OPT_CSR = OPT_VERB_BASE, OPT_NAME, OPT_IP };

static const char issue_usage[] =
    "usage: lancert issue --csr FILE [--name NAME]... [--ip ADDRESS]... [--json]\n"
    "Issue a certificate for the CSR in FILE ('-' for standard input, PEM or DER).\n"
    "Without --name or --ip the CSR's own names are used. Every name must be in\n"
    "the zone; a hex name's address and every --ip must be in an allowed range.\n"
    "The certificate is recorded in the store, then printed with its chain (PEM).\n"
    "  --csr FILE      the certificate signing request (at most 64 KiB)\n"
    "  --name NAME     a name: a label under the zone or a full name; repeat for more\n"
    "  --ip ADDRESS    an address; its hex name is added too; repeat for more\n"
    "  --json          print {serial, names, not_after, chain} as JSON\n";

static void serial_hex(char out[33], const uint8_t serial[16])
{
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", serial[i]);
}

int cli_issue(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct option longopts[] = {
        CLI_COMMON_LONGOPTS,
        {"csr", required_argument, NULL, OPT_CSR},
        {"name", required_argument, NULL, OPT_NAME},
        {"ip", required_argument, NULL, OPT_IP},
        {NULL, 0, NULL, 0},
    };
    const char *csr_path = NULL, *names[CA_MAX_NAMES + 1];
    struct lc_addr ips[CA_MAX_NAMES + 1];
    size_t n_names = 0, n_ips = 0, csr_len = 0, chain_len = 0;
    char *csr = NULL, *chain = NULL, serial[33];
    struct ca *ca = NULL;
    struct store *store = NULL;
    struct issue_result result;
    struct issuer is;
    int opt, rc = LC_OK;

    memset(&result, 0, sizeof(result));
    struct cli_opts o = {argc, argv, longopts, issue_usage, false};
    while ((opt = cli_opt_next(cli, &o, &rc, err)) != -1) {
        if (opt == CLI_OPT_STOP)
            return rc;
        switch (opt) {
        case OPT_CSR:
            csr_path = optarg;
            break;
        case OPT_NAME:
            if (n_names + n_ips >= CA_MAX_NAMES)
                return lc_fail(err, LC_E_TOO_MANY, "at most %d names and addresses", CA_MAX_NAMES);
            names[n_names++] = optarg;
            break;
        case OPT_IP:
            if (n_names + n_ips >= CA_MAX_NAMES)
                return lc_fail(err, LC_E_TOO_MANY, "at most %d names and addresses", CA_MAX_NAMES);
            if (!addr_parse(&ips[n_ips], optarg, strlen(optarg)))
                return lc_fail(err, LC_E_MALFORMED, "--ip '%.60s' is not an IP address", optarg);
            n_ips++;
            break;
        default:
            return cli_opt_refuse(&o, err);
        }
    }
    if (optind < argc)
        return lc_fail(err, LC_E_USAGE, "unexpected argument '%.40s'", argv[optind]);
    if (!csr_path)
        return lc_fail(err, LC_E_USAGE, "'lancert issue' needs --csr FILE");
    if ((rc = file_read(&csr, &csr_len, csr_path, CSR_MAX_LEN, err)) != LC_OK) {
        if (rc == LC_E_TOO_BIG)
            rc = lc_fail(err, LC_E_TOO_BIG, "the CSR in %s is over %d bytes", csr_path, CSR_MAX_LEN);
        goto out;
    }
    if ((rc = ca_load(&ca, cli->conf.state_dir, err)) != LC_OK ||
        (rc = cli_policy_from_ca(cli, ca, err)) != LC_OK ||
        (rc = store_open(&store, cli->conf.state_dir, err)) != LC_OK)
        goto out;
    issuer_init(&is, ca, store, &cli->conf);
    struct issue_request req = {
        .csr = (const uint8_t *)csr, .csr_len = csr_len,
        .names = names, .n_names = n_names, .ips = ips, .n_ips = n_ips,
    };
    if ((rc = store_begin(store, err)) != LC_OK)
        goto out;
    if ((rc = issuer_issue(&is, &result, &req, err)) != LC_OK) {
        store_rollback(store);
        goto out;
    }
    /* Committed first: a certificate that was printed is always on record. */
    if ((rc = store_commit(store, err)) != LC_OK) {
        store_rollback(store);
        goto out;
    }
    if ((rc = ca_chain_pem(&chain, &chain_len, ca, result.cert, err)) != LC_OK)
        goto out;
    serial_hex(serial, result.serial);
    if (cli->json) {
        json_t *jnames = json_array();
        for (size_t i = 0; jnames && i < result.names.n_names; i++)
            json_array_append_new(jnames, json_string(result.names.names[i]));
        rc = cli_print_json(json_pack("{s:s, s:o, s:I, s:s}", "serial", serial, "names", jnames,
                                      "not_after", (json_int_t)result.not_after, "chain", chain),
                            err);
    } else if (fwrite(chain, 1, chain_len, stdout) != chain_len || fflush(stdout) != 0) {
        rc = lc_fail(err, LC_E_IO, "cannot write to standard output");
    }
out:
    issue_result_cleanup(&result);
    free(chain);
    free(csr);
    store_free(store);
    ca_free(ca);
    return rc;
}
