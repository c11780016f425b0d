/* main.c — `lancert`: load the configuration, then run a verb. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

static const struct cli_verb verbs[] = {
    {"agent", cli_agent, "keep this device's certificate and names fresh, redirect to HTTPS"},
    {"ca", cli_ca, "the certificate authority: init, show, export, csr, import"},
    {"certs", cli_certs, "certificates in the store: certs list, revoke"},
    {"devices", cli_devices, "devices the gateway knows: list, show, approve, revoke"},
    {"dns", cli_dns, "TSIG keys for DNS UPDATE: dns key create, list, delete"},
    {"enroll", cli_enroll, "get this device a certificate from the gateway"},
    {"issue", cli_issue, "issue a certificate for a CSR"},
    {"name", cli_name, "hex names: encode an address, decode a name"},
    {"renew", cli_renew, "renew this device's certificate"},
    {"status", cli_status, "what the state directory holds"},
    {"token", cli_token, "tokens: token create (enrolment), rotate-admin"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lancert [--config FILE] VERB [OPTIONS]\n"
            "\n"
            "lancert makes HTTPS on a local network just work: a local CA whose root is\n"
            "name-constrained to the local zone, an issuer, and names for every address.\n"
            "\n"
            "verbs:\n");
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        fprintf(out, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(out, "\n'lancert VERB --help' tells more; see lancert(1).\n");
}

/* find_config finds --config FILE anywhere in argv, so the file is loaded
 * before any other flag overrides it. */
static const char *find_config(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--config=", 9) == 0)
            return argv[i] + 9;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct cli cli;
    struct lc_err err;
    int arg = 1, rc;

    memset(&cli, 0, sizeof(cli));
    lc_err_clear(&err);
    conf_init(&cli.conf);
    cli.config_path = find_config(argc, argv);
    /* Keys and the store are private to the service: nothing made here is
     * readable by others unless it is meant to be (files set their mode). */
    umask(077);
    if (!cli.config_path && access(LC_DEFAULT_CONFIG, R_OK) == 0)
        cli.config_path = LC_DEFAULT_CONFIG;
    if (cli.config_path) {
        if ((rc = conf_load(&cli.conf, cli.config_path, &err)) != LC_OK)
            goto fail;
        cli.config_loaded = true;
    }
    /* Skip a leading --config so `lancert --config F ca show` works. */
    while (arg < argc && strncmp(argv[arg], "--config", 8) == 0)
        arg += strchr(argv[arg], '=') ? 1 : 2;
    if (arg >= argc) {
        usage(stderr);
        return lc_errc_exit(LC_E_USAGE);
    }
    if (strcmp(argv[arg], "--help") == 0 || strcmp(argv[arg], "-h") == 0 ||
        strcmp(argv[arg], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[arg], "--version") == 0) {
        printf("lancert %s\n", LC_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        if (strcmp(argv[arg], verbs[i].name) != 0)
            continue;
        rc = verbs[i].run(&cli, argc - arg, argv + arg, &err);
        if (rc == LC_OK || rc == CLI_HELP_SHOWN)
            return 0;
        goto fail;
    }
    rc = lc_fail(&err, LC_E_USAGE, "'%.40s' is not a verb; try 'lancert --help'", argv[arg]);
fail:
    fprintf(stderr, "lancert: %s\n", err.msg[0] ? err.msg : lc_errc_name((enum lc_errc)rc));
    return lc_errc_exit((enum lc_errc)rc);
}
