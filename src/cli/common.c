/* common.c — option handling, configuration and output shared by the verbs. */
#include "cli/cli.h"

#include "ca/ca.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cli_opt_refuse(const struct cli_opts *o, struct lc_err *err)
{
    const char *what = optind > 0 && optind <= o->argc ? o->argv[optind - 1] : "?";
    return lc_fail(err, LC_E_USAGE, "'lancert %s' does not take '%.40s'; see --help", o->argv[0],
                   what);
}

int cli_opt_common_only(struct cli *cli, struct cli_opts *o, struct lc_err *err)
{
    int rc = LC_OK, opt = cli_opt_next(cli, o, &rc, err);
    if (opt == -1)
        return LC_OK;
    return opt == CLI_OPT_STOP ? rc : cli_opt_refuse(o, err);
}

int cli_opt_next(struct cli *cli, struct cli_opts *o, int *rc, struct lc_err *err)
{
    if (!o->started) {
        optind = 0; /* GNU getopt: start over, for a new argv */
        opterr = 0;
        o->started = true;
    }
    for (;;) {
        int opt = getopt_long(o->argc, o->argv, ":", o->longopts, NULL);
        switch (opt) {
        case OPT_STATE:
            if ((*rc = conf_set(&cli->conf, "state_dir", optarg, err)) != LC_OK)
                return CLI_OPT_STOP;
            continue;
        case OPT_CONFIG: /* main loaded it already */
            cli->config_path = optarg;
            continue;
        case OPT_JSON:
            cli->json = true;
            continue;
        case OPT_HELP:
            fputs(o->usage, stdout);
            fputs(CLI_COMMON_HELP, stdout);
            *rc = CLI_HELP_SHOWN;
            return CLI_OPT_STOP;
        case ':':
            *rc = lc_fail(err, LC_E_USAGE, "'%.40s' needs a value; see --help",
                          o->argv[optind - 1]);
            return CLI_OPT_STOP;
        case '?':
            *rc = cli_opt_refuse(o, err);
            return CLI_OPT_STOP;
        default:
            return opt;
        }
    }
}

int cli_policy_from_ca(struct cli *cli, const struct ca *ca, struct lc_err *err)
{
    const struct ca_constraints *c = ca_get_constraints(ca);
    if (!cli->config_loaded && !cli->allow_given) {
        snprintf(cli->conf.zone, sizeof(cli->conf.zone), "%s", c->zone);
        cli->conf.allow = c->allow;
        return LC_OK;
    }
    return ca_check_fits(ca, cli->conf.zone, &cli->conf.allow, err);
}

int cli_print_json(json_t *j, struct lc_err *err)
{
    int rc = LC_OK;
    if (!j)
        return lc_fail(err, LC_E_NOMEM, "out of memory building JSON");
    if (json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) != 0 || fputc('\n', stdout) == EOF)
        rc = lc_fail(err, LC_E_IO, "cannot write to standard output");
    json_decref(j);
    return rc;
}

int cli_dispatch(struct cli *cli, const char *group, const struct cli_verb *verbs, size_t n_verbs,
                 int argc, char **argv, struct lc_err *err)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        FILE *out = argc < 2 ? stderr : stdout;
        fprintf(out, "usage: lancert %s VERB [OPTIONS]\n\nverbs:\n", group);
        for (size_t i = 0; i < n_verbs; i++)
            fprintf(out, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
        fprintf(out, "\n'lancert %s VERB --help' tells more.\n", group);
        if (argc < 2)
            return lc_fail(err, LC_E_USAGE, "'lancert %s' needs a verb", group);
        return CLI_HELP_SHOWN;
    }
    for (size_t i = 0; i < n_verbs; i++)
        if (strcmp(argv[1], verbs[i].name) == 0)
            return verbs[i].run(cli, argc - 1, argv + 1, err);
    return lc_fail(err, LC_E_USAGE, "'lancert %s %.40s' is not a verb; try 'lancert %s --help'",
                   group, argv[1], group);
}
