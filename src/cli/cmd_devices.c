/* cmd_devices.c — `lancert devices list|show|approve|revoke`: the devices
 * lancertd knows, through its admin API (GET devices, GET devices/{id},
 * POST devices/{id}/approve, DELETE devices/{id}). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"

#define ID_MAX_DIGITS 18

static const struct option admin_longopts[] = {CLI_COMMON_LONGOPTS, CLI_ADMIN_LONGOPTS,
                                               {NULL, 0, NULL, 0}};

/* show prints a string from the gateway made printable; "-" when absent. */
static void show(const json_t *v)
{
    char buf[300];
    client_printable(buf, sizeof(buf), json_is_string(v) ? json_string_value(v) : "-");
    fputs(buf, stdout);
}

static void show_list(const json_t *arr)
{
    size_t i;
    json_t *v;
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        fputs(" -", stdout);
        return;
    }
    json_array_foreach(arr, i, v) {
        fputc(' ', stdout);
        show(v);
    }
}

static json_int_t device_id(const json_t *d)
{
    json_t *id = json_object_get(d, "id");
    return json_is_integer(id) ? json_integer_value(id) : -1;
}

static void show_line(const json_t *d)
{
    const char *status = json_string_value(json_object_get(d, "status"));
    bool pending = status && strcmp(status, "pending") == 0;
    char shown[16];
    client_printable(shown, sizeof(shown), status ? status : "-");
    printf("%-5lld %-8s", (long long)device_id(d), shown);
    if (pending) {
        fputs(" asks for", stdout);
    } else {
        fputs(" until ", stdout);
        show(json_object_get(d, "not_after"));
        fputc(' ', stdout);
    }
    show_list(json_object_get(d, pending ? "requested_names" : "names"));
    fputc('\n', stdout);
}

static void show_device(const json_t *d)
{
    static const struct {
        const char *key, *label;
        bool list;
    } fields[] = {
        {"status", "status", false},       {"names", "names", true},
        {"hex_name", "hex name", false},   {"addresses", "addresses", true},
        {"requested_names", "requested", true}, {"created", "created", false},
        {"not_after", "valid until", false}, {"certificates", "certificates", true},
    };
    printf("%-13s %lld\n", "device", (long long)device_id(d));
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        json_t *v = json_object_get(d, fields[i].key);
        if (!v)
            continue;
        printf("%-13s", fields[i].label);
        if (fields[i].list) {
            show_list(v);
        } else {
            fputc(' ', stdout);
            show(v);
        }
        fputc('\n', stdout);
    }
}

static int flush_out(struct lc_err *err)
{
    return fflush(stdout) == 0 ? LC_OK : lc_fail(err, LC_E_IO, "cannot write to standard output");
}

/* id_arg checks a device id operand: a positive decimal number. */
static int id_arg(const char *s, struct lc_err *err)
{
    size_t n = strlen(s);
    if (n == 0 || n > ID_MAX_DIGITS || strspn(s, "0123456789") != n || s[0] == '0')
        return lc_fail(err, LC_E_USAGE, "'%.40s' is not a device id (a number, as 'devices list' shows)", s);
    return LC_OK;
}

/* parse_admin parses a devices verb's options; |n_operands| operands must
 * follow (an id when 1). */
static int parse_admin(struct cli *cli, struct cli_admin *a, int argc, char **argv,
                       const char *usage, int n_operands, struct lc_err *err)
{
    struct cli_opts o = {argc, argv, admin_longopts, usage, false};
    int opt, rc = LC_OK;
    while ((opt = cli_opt_next(cli, &o, &rc, err)) != -1) {
        if (opt == CLI_OPT_STOP)
            return rc;
        if (!cli_admin_opt(a, opt, optarg))
            return cli_opt_refuse(&o, err);
    }
    if (argc - optind != n_operands)
        return lc_fail(err, LC_E_USAGE, n_operands ? "'lancert devices %s' takes one device ID"
                                                   : "'lancert devices %s' takes no arguments",
                       argv[0]);
    return n_operands ? id_arg(argv[optind], err) : LC_OK;
}

static int devices_list(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    struct cli_admin a = {0};
    json_t *r = NULL, *list, *d;
    size_t i;
    int rc = parse_admin(cli, &a, argc, argv,
                         "usage: lancert devices list [--json] [--server URL] [--ca FILE] [--token-file FILE]\n"
                         "List the devices the gateway knows: id, status, certificate expiry, names\n"
                         "(for a pending device, the names it asks for).\n"
                         "  --json          {\"devices\": [...]}, as GET /api/v1/devices\n" CLI_ADMIN_HELP,
                         0, err);
    if (rc != LC_OK || (rc = cli_admin_open(cli, &a, err)) != LC_OK ||
        (rc = cli_admin_call(&a, &r, "GET", "devices", NULL, 200, "devices list", err)) != LC_OK)
        goto out;
    list = json_object_get(r, "devices");
    if (!json_is_array(list)) {
        rc = lc_fail(err, LC_E_MALFORMED, "devices list: the gateway's answer has no devices");
        goto out;
    }
    if (cli->json) {
        rc = cli_print_json(json_incref(r), err);
        goto out;
    }
    json_array_foreach(list, i, d) if (json_is_object(d)) show_line(d);
    rc = flush_out(err);
out:
    json_decref(r);
    cli_admin_close(&a);
    return rc == CLI_HELP_SHOWN ? LC_OK : rc;
}

/* device_verb runs show, approve and revoke: one id, one request. */
static int device_verb(struct cli *cli, int argc, char **argv, const char *usage,
                       const char *method, const char *suffix, long want, struct lc_err *err)
{
    struct cli_admin a = {0};
    char path[64], what[64];
    json_t *r = NULL;
    int rc = parse_admin(cli, &a, argc, argv, usage, 1, err);
    if (rc != LC_OK)
        goto out;
    snprintf(path, sizeof(path), "devices/%s%s", argv[optind], suffix);
    snprintf(what, sizeof(what), "devices %s %s", argv[0], argv[optind]);
    if ((rc = cli_admin_open(cli, &a, err)) != LC_OK ||
        (rc = cli_admin_call(&a, &r, method, path, NULL, want, what, err)) != LC_OK)
        goto out;
    if (cli->json) {
        rc = cli_print_json(json_incref(r), err);
        goto out;
    }
    if (strcmp(argv[0], "revoke") == 0) {
        printf("revoked device %s:", argv[optind]);
        json_t *serials = json_object_get(r, "revoked");
        printf(" %zu certificate%s\n", json_array_size(serials),
               json_array_size(serials) == 1 ? "" : "s");
    } else {
        if (strcmp(argv[0], "approve") == 0)
            printf("approved device %s\n", argv[optind]);
        show_device(r);
    }
    rc = flush_out(err);
out:
    json_decref(r);
    cli_admin_close(&a);
    return rc == CLI_HELP_SHOWN ? LC_OK : rc;
}

static int devices_show(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    return device_verb(cli, argc, argv,
                       "usage: lancert devices show ID [--json] [--server URL] [--ca FILE] [--token-file FILE]\n"
                       "Show one device: its names, addresses, certificates and, when pending, the\n"
                       "names it asks for.\n"
                       "  --json          the device record, as GET /api/v1/devices/{id}\n" CLI_ADMIN_HELP,
                       "GET", "", 200, err);
}

static int devices_approve(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    return device_verb(cli, argc, argv,
                       "usage: lancert devices approve ID [--json] [--server URL] [--ca FILE] [--token-file FILE]\n"
                       "Approve a pending device: the gateway issues its certificate for the names\n"
                       "it asked for, and its waiting 'lancert enroll' picks it up.\n"
                       "  --json          the device record, as the API answers\n" CLI_ADMIN_HELP,
                       "POST", "/approve", 200, err);
}

static int devices_revoke(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    return device_verb(cli, argc, argv,
                       "usage: lancert devices revoke ID [--json] [--server URL] [--ca FILE] [--token-file FILE]\n"
                       "Forget a device: revoke its certificates (the CRL is republished), remove its\n"
                       "names, DNS records and update key.\n"
                       "  --json          {id, status, revoked: [serials]}, as the API answers\n" CLI_ADMIN_HELP,
                       "DELETE", "", 200, err);
}

int cli_devices(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct cli_verb verbs[] = {
        {"list", devices_list, "list the devices the gateway knows"},
        {"show", devices_show, "show one device"},
        {"approve", devices_approve, "approve a pending device"},
        {"revoke", devices_revoke, "revoke a device's certificates and forget its names"},
    };
    return cli_dispatch(cli, "devices", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv, err);
}
