/* cmd_name.c — `lancert name encode|decode`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/name.h"

enum { OPT_ZONE = OPT_VERB_BASE };

static int parse_name_opts(struct cli *cli, int argc, char **argv, const char *usage_text,
                           const char **out_arg, struct lc_err *err)
{
    static const struct option longopts[] = {
        CLI_COMMON_LONGOPTS,
        {"zone", required_argument, NULL, OPT_ZONE},
        {NULL, 0, NULL, 0},
    };
    struct cli_opts o = {argc, argv, longopts, usage_text, false};
    int opt, rc = LC_OK;
    while ((opt = cli_opt_next(cli, &o, &rc, err)) != -1) {
        if (opt == CLI_OPT_STOP)
            return rc;
        if (opt != OPT_ZONE)
            return cli_opt_refuse(&o, err);
        if ((rc = conf_set(&cli->conf, "zone", optarg, err)) != LC_OK)
            return rc;
    }
    if (optind != argc - 1)
        return lc_fail(err, LC_E_USAGE, "'lancert name %s' takes exactly one argument; see --help",
                       argv[0]);
    *out_arg = argv[optind];
    return LC_OK;
}

static int name_encode_cmd(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    const char *text;
    char name[LC_NAME_MAX + 1];
    struct lc_addr a;
    int rc = parse_name_opts(cli, argc, argv,
                             "usage: lancert name encode [--zone ZONE] ADDRESS\n"
                             "Print the hex name of an allowed address: 192.168.1.23 -> c0a80117.home.arpa\n",
                             &text, err);
    if (rc != LC_OK)
        return rc;
    if (!addr_parse(&a, text, strlen(text)))
        return lc_fail(err, LC_E_MALFORMED, "'%.60s' is not an IP address", text);
    if (!prefix_set_contains(&cli->conf.allow, &a))
        return lc_fail(err, LC_E_ADDRESS, "%.60s is outside the allowed address ranges", text);
    if ((rc = name_encode(name, sizeof(name), &a, cli->conf.zone, err)) != LC_OK)
        return rc;
    if (cli->json)
        return cli_print_json(json_pack("{s:s, s:s}", "address", text, "name", name), err);
    printf("%s\n", name);
    return LC_OK;
}

static int name_decode_cmd(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    const char *text;
    char addr[LC_ADDR_STRLEN];
    struct lc_addr a;
    int rc = parse_name_opts(cli, argc, argv,
                             "usage: lancert name decode [--zone ZONE] NAME\n"
                             "Print the address a hex name stands for: c0a80117.home.arpa -> 192.168.1.23\n",
                             &text, err);
    if (rc != LC_OK)
        return rc;
    if ((rc = name_decode(&a, text, strlen(text), cli->conf.zone, err)) != LC_OK)
        return rc;
    addr_format(addr, &a);
    if (!prefix_set_contains(&cli->conf.allow, &a))
        return lc_fail(err, LC_E_ADDRESS, "%s stands for %s, which is outside the allowed ranges",
                       text, addr);
    if (cli->json)
        return cli_print_json(json_pack("{s:s, s:s}", "name", text, "address", addr), err);
    printf("%s\n", addr);
    return LC_OK;
}

int cli_name(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct cli_verb verbs[] = {
        {"encode", name_encode_cmd, "address -> hex name"},
        {"decode", name_decode_cmd, "hex name -> address"},
    };
    return cli_dispatch(cli, "name", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv, err);
}
