/* cmd_dns.c — `lancert dns key create|list|delete`: the TSIG keys that sign
 * DNS UPDATE messages to lancertd. A new key is printed once, as the BIND
 * key clause tsig-keygen prints, so `nsupdate -k FILE` reads it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ca/ca.h"
#include "cli/cli.h"
#include "core/name.h"
#include "store/store.h"

#define DEFAULT_ADMIN_KEY "admin.lancert"
#define B64_LEN(n) (4 * (((n) + 2) / 3) + 1)

enum { OPT_ADMIN = OPT_VERB_BASE, OPT_DEVICE, OPT_NAME, OPT_ALGORITHM };

static const char create_usage[] =
    "usage: lancert dns key create (--admin [--name NAME] | --device ID|NAME)\n"
    "                              [--algorithm hmac-sha256|hmac-sha512] [--json]\n"
    "Make a TSIG key for DNS UPDATE with a random secret (32 bytes, 64 for\n"
    "hmac-sha512), record it in the store and print it once as a BIND key clause:\n"
    "save it to a file for `nsupdate -k FILE`. lancertd uses it at once.\n"
    "  --admin         a key for every friendly name a device holds and every\n"
    "                  _acme-challenge TXT record\n"
    "  --name NAME     the admin key's name (default " DEFAULT_ADMIN_KEY ")\n"
    "  --device ID|NAME  a key for one device, given by number or by a name it\n"
    "                  holds; named <ID>." STORE_DEVICE_KEY_SUFFIX "; good only for its names\n"
    "  --algorithm ALG hmac-sha256 (default) or hmac-sha512\n"
    "  --json          print {name, algorithm, secret, device_id} as JSON\n";

/* key_name_arg validates a key name and writes its lowercase form. */
static int key_name_arg(char out[LC_NAME_MAX + 1], const char *arg, struct lc_err *err)
{
    static const char device_suffix[] = "." STORE_DEVICE_KEY_SUFFIX;
    int rc = name_normalize(out, arg, strlen(arg), err);
    if (rc != LC_OK)
        return lc_wrap(err, LC_E_MALFORMED, "key name");
    size_t n = strlen(out), s = sizeof(device_suffix) - 1;
    if (n >= s && strcmp(out + n - s, device_suffix) == 0)
        return lc_fail(err, LC_E_RESERVED, "key names ending in %s are for device keys",
                       device_suffix);
    return LC_OK;
}

/* device_arg finds the device named by |arg|: its number, or a name it holds
 * (a label under the zone or a full name). */
static int device_arg(struct cli *cli, struct store *store, int64_t *out, const char *arg,
                      struct lc_err *err)
{
    char name[LC_NAME_MAX + 1], full[LC_NAME_MAX + 2];
    struct store_name sn;
    struct ca *ca = NULL;
    char *end;
    int rc;
    long long id = strtoll(arg, &end, 10);
    if (*arg >= '0' && *arg <= '9' && *end == '\0') {
        if (id <= 0)
            return lc_fail(err, LC_E_USAGE, "--device %.30s: device numbers start at 1", arg);
        *out = id;
        return LC_OK;
    }
    if ((rc = name_normalize(name, arg, strlen(arg), err)) != LC_OK)
        return lc_wrap(err, LC_E_MALFORMED, "--device");
    if (!strchr(name, '.')) { /* a label: under the CA's zone, as `issue` reads it */
        if ((rc = ca_load(&ca, cli->conf.state_dir, err)) != LC_OK ||
            (rc = cli_policy_from_ca(cli, ca, err)) != LC_OK) {
            ca_free(ca);
            return rc;
        }
        ca_free(ca);
        if (snprintf(full, sizeof(full), "%s.%s", name, cli->conf.zone) >= (int)sizeof(full) - 1)
            return lc_fail(err, LC_E_MALFORMED, "--device %.60s: the name is too long", arg);
        memcpy(name, full, strlen(full) + 1);
    }
    if ((rc = store_name_get(store, &sn, name, err)) != LC_OK)
        return rc;
    *out = sn.device_id;
    return LC_OK;
}

static int print_key(const struct cli *cli, const struct store_dns_key *k, struct lc_err *err)
{
    char b64[B64_LEN(STORE_DNS_SECRET_MAX)];
    int rc = LC_OK;
    EVP_EncodeBlock((unsigned char *)b64, k->secret, (int)k->secret_len);
    if (cli->json) {
        json_t *device = k->device_id ? json_integer(k->device_id) : json_null();
        rc = cli_print_json(json_pack("{s:s, s:s, s:s, s:o}", "name", k->name, "algorithm",
                                      k->algorithm, "secret", b64, "device_id", device),
                            err);
    } else if (printf("key \"%s\" {\n\talgorithm %s;\n\tsecret \"%s\";\n};\n", k->name,
                      k->algorithm, b64) < 0 ||
               fflush(stdout) != 0) {
        rc = lc_fail(err, LC_E_IO, "cannot write to standard output");
    }
    OPENSSL_cleanse(b64, sizeof(b64));
    return rc;
}

static int key_create(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct option longopts[] = {
        CLI_COMMON_LONGOPTS,
        {"admin", no_argument, NULL, OPT_ADMIN},
        {"device", required_argument, NULL, OPT_DEVICE},
        {"name", required_argument, NULL, OPT_NAME},
        {"algorithm", required_argument, NULL, OPT_ALGORITHM},
        {NULL, 0, NULL, 0},
    };
    struct cli_opts o = {argc, argv, longopts, create_usage, false};
    const char *name_arg = NULL, *device_text = NULL, *algorithm = "hmac-sha256";
    char name[LC_NAME_MAX + 1];
    bool admin = false;
    struct store *store = NULL;
    struct store_dns_key k;
    int64_t device_id = 0;
    int opt, rc = LC_OK;

    memset(&k, 0, sizeof(k));
    while ((opt = cli_opt_next(cli, &o, &rc, err)) != -1) {
        if (opt == CLI_OPT_STOP)
            return rc;
        switch (opt) {
        case OPT_ADMIN:
            admin = true;
            break;
        case OPT_DEVICE:
            device_text = optarg;
            break;
        case OPT_NAME:
            name_arg = optarg;
            break;
        case OPT_ALGORITHM:
            algorithm = optarg;
            break;
        default:
            return cli_opt_refuse(&o, err);
        }
    }
    if (optind < argc)
        return lc_fail(err, LC_E_USAGE, "unexpected argument '%.40s'", argv[optind]);
    if (admin == (device_text != NULL))
        return lc_fail(err, LC_E_USAGE, "'lancert dns key create' needs --admin or --device");
    if (name_arg && !admin)
        return lc_fail(err, LC_E_USAGE, "a device's key is named after the device; --name is "
                                        "for --admin keys");
    if (strcmp(algorithm, "hmac-sha256") != 0 && strcmp(algorithm, "hmac-sha512") != 0)
        return lc_fail(err, LC_E_USAGE, "--algorithm is hmac-sha256 or hmac-sha512, not '%.30s'",
                       algorithm);
    if (admin && (rc = key_name_arg(name, name_arg ? name_arg : DEFAULT_ADMIN_KEY, err)) != LC_OK)
        return rc;
    if ((rc = store_open(&store, cli->conf.state_dir, err)) != LC_OK)
        goto out;
    if (!admin && (rc = device_arg(cli, store, &device_id, device_text, err)) != LC_OK)
        goto out;
    if ((rc = store_dns_key_make(store, &k, admin ? name : NULL, algorithm, device_id, err)) !=
        LC_OK)
        goto out;
    rc = print_key(cli, &k, err);
out:
    store_dns_key_cleanup(&k);
    store_free(store);
    return rc;
}

struct list_ctx {
    json_t *array; /* with --json */
};

static int list_one(void *ctx, const struct store_dns_key *k)
{
    struct list_ctx *l = ctx;
    char created[32] = "?";
    time_t t = (time_t)k->created;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (l->array) {
        json_t *device = k->device_id ? json_integer(k->device_id) : json_null();
        return json_array_append_new(l->array,
                                     json_pack("{s:s, s:s, s:o, s:s}", "name", k->name,
                                               "algorithm", k->algorithm, "device_id", device,
                                               "created", created)) == 0
                   ? 0
                   : LC_E_NOMEM;
    }
    char owner[32];
    if (k->device_id)
        snprintf(owner, sizeof(owner), "device %lld", (long long)k->device_id);
    else
        snprintf(owner, sizeof(owner), "admin");
    printf("%-30s %-12s %-14s %s\n", k->name, k->algorithm, owner, created);
    return 0;
}

static int key_list(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct option longopts[] = {CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
    struct cli_opts o = {argc, argv, longopts,
                         "usage: lancert dns key list [--json]\n"
                         "List the DNS UPDATE keys: name, algorithm, whose (admin or a device)\n"
                         "and when made. Secrets are never shown again.\n",
                         false};
    struct list_ctx l = {NULL};
    struct store *store = NULL;
    int rc = LC_OK;
    if ((rc = cli_opt_common_only(cli, &o, err)) != LC_OK)
        return rc;
    if (optind < argc)
        return lc_fail(err, LC_E_USAGE, "'lancert dns key list' takes no arguments");
    if ((rc = store_open(&store, cli->conf.state_dir, err)) != LC_OK)
        return rc;
    if (cli->json && !(l.array = json_array())) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory building JSON");
        goto out;
    }
    if ((rc = store_dns_keys_each(store, list_one, &l, err)) != LC_OK) {
        if (rc == LC_E_NOMEM)
            lc_fail(err, LC_E_NOMEM, "out of memory building JSON");
        goto out;
    }
    if (l.array) {
        rc = cli_print_json(l.array, err); /* takes the array */
        l.array = NULL;
    } else if (fflush(stdout) != 0) {
        rc = lc_fail(err, LC_E_IO, "cannot write to standard output");
    }
out:
    json_decref(l.array);
    store_free(store);
    return rc;
}

static int key_delete(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct option longopts[] = {CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
    struct cli_opts o = {argc, argv, longopts,
                         "usage: lancert dns key delete NAME\n"
                         "Delete a DNS UPDATE key; lancertd refuses its updates from then on.\n",
                         false};
    char name[LC_NAME_MAX + 1];
    struct store *store = NULL;
    int rc = LC_OK;
    if ((rc = cli_opt_common_only(cli, &o, err)) != LC_OK)
        return rc;
    if (optind != argc - 1)
        return lc_fail(err, LC_E_USAGE, "'lancert dns key delete' takes one key name");
    if ((rc = name_normalize(name, argv[optind], strlen(argv[optind]), err)) != LC_OK)
        return lc_wrap(err, LC_E_MALFORMED, "key name");
    if ((rc = store_open(&store, cli->conf.state_dir, err)) != LC_OK)
        return rc;
    rc = store_dns_key_delete(store, name, err);
    store_free(store);
    return rc;
}

static int dns_key(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct cli_verb verbs[] = {
        {"create", key_create, "make a key and print it for nsupdate -k"},
        {"list", key_list, "list the keys (never their secrets)"},
        {"delete", key_delete, "delete a key"},
    };
    return cli_dispatch(cli, "dns key", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv, err);
}

int cli_dns(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct cli_verb verbs[] = {
        {"key", dns_key, "TSIG keys for DNS UPDATE: create, list, delete"},
    };
    return cli_dispatch(cli, "dns", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv, err);
}
