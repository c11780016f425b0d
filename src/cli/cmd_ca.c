/* cmd_ca.c — `lancert ca init|show|export|csr|import`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca/admin.h"
#include "ca/ca.h"
#include "cli/cli.h"
#include "core/file.h"
#include "store/store.h"

enum { OPT_ZONE = OPT_VERB_BASE, OPT_ALLOW, OPT_FORCE, OPT_DER, OPT_OUT, OPT_CERT, OPT_CHAIN };

/* zone_allow_opts gathers --zone and repeated --allow into the config. */
struct zone_allow {
    struct lc_prefix_set allow;
    bool allow_given;
};

static int take_allow(struct zone_allow *za, const char *arg, struct lc_err *err)
{
    struct lc_prefix_set more;
    int rc;
    if ((rc = prefix_set_parse(&more, arg, strlen(arg), err)) != LC_OK)
        return rc;
    if (!za->allow_given)
        za->allow.n_prefixes = 0;
    za->allow_given = true;
    for (size_t i = 0; i < more.n_prefixes; i++)
        if ((rc = prefix_set_add(&za->allow, &more.prefixes[i], err)) != LC_OK)
            return rc;
    return LC_OK;
}

/* parse_ca_opts parses the options the ca verbs share. */
static int parse_ca_opts(struct cli *cli, int argc, char **argv, const char *usage_text,
                         bool accepts_constraints, bool *force, bool *der, const char **out_path, const char **cert_path,
                         const char **chain_path, struct lc_err *err)
{
    static const struct option longopts[] = {
        CLI_COMMON_LONGOPTS,
        {"zone", required_argument, NULL, OPT_ZONE},
        {"allow", required_argument, NULL, OPT_ALLOW},
        {"force", no_argument, NULL, OPT_FORCE},
        {"der", no_argument, NULL, OPT_DER},
        {"out", required_argument, NULL, OPT_OUT},
        {"cert", required_argument, NULL, OPT_CERT},
        {"chain", required_argument, NULL, OPT_CHAIN},
        {NULL, 0, NULL, 0},
    };
    struct zone_allow za = {.allow_given = false};
    struct cli_opts o = {argc, argv, longopts, usage_text, false};
    int opt, rc = LC_OK;
    while ((opt = cli_opt_next(cli, &o, &rc, err)) != -1) {
        if (opt == CLI_OPT_STOP)
            return rc;
        switch (opt) {
        case OPT_ZONE:
            if (!accepts_constraints)
                goto bad;
            rc = conf_set(&cli->conf, "zone", optarg, err);
            break;
        case OPT_ALLOW:
            if (!accepts_constraints)
                goto bad;
            rc = take_allow(&za, optarg, err);
            if (rc != LC_OK)
                rc = lc_wrap(err, LC_E_CONFIG, "--allow");
            break;
        case OPT_FORCE:
            if (!force)
                goto bad;
            *force = true;
            break;
        case OPT_DER:
            if (!der)
                goto bad;
            *der = true;
            break;
        case OPT_OUT:
            if (!out_path)
                goto bad;
            *out_path = optarg;
            break;
        case OPT_CERT:
            if (!cert_path)
                goto bad;
            *cert_path = optarg;
            break;
        case OPT_CHAIN:
            if (!chain_path)
                goto bad;
            *chain_path = optarg;
            break;
        default:
            goto bad;
        }
        if (rc != LC_OK)
            return rc;
    }
    if (optind < argc)
        return lc_fail(err, LC_E_USAGE, "unexpected argument '%.40s' to 'lancert ca %s'",
                       argv[optind], argv[0]);
    if (za.allow_given)
        cli->conf.allow = za.allow;
    return LC_OK;
bad:
    return cli_opt_refuse(&o, err);
}

static void constraints_from_conf(struct ca_constraints *c, const struct lc_conf *conf)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->zone, sizeof(c->zone), "%s", conf->zone);
    c->allow = conf->allow;
}

static int write_output(const char *path, const void *data, size_t len, struct lc_err *err)
{
    if (!path || strcmp(path, "-") == 0) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
            return lc_fail(err, LC_E_IO, "cannot write to standard output");
        return LC_OK;
    }
    return file_write_atomic(path, data, len, 0644, 0, err);
}

static int ca_init(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    bool force = false;
    struct ca_constraints c;
    struct ca *ca = NULL;
    struct store *store = NULL;
    char allow[512], fp[CA_FINGERPRINT_LEN], token[ADMIN_TOKEN_TEXT_LEN + 1] = "";
    int rc = parse_ca_opts(cli, argc, argv,
                           "usage: lancert ca init [--zone ZONE] [--allow CIDR]... [--force]\n"
                           "Make a new root CA (ECDSA P-256, 10 years) name-constrained to the zone\n"
                           "and the allowed address ranges, and a new admin token (printed once,\n"
                           "kept in admin.token). Refuses to replace a CA without --force.\n"
                           "  --zone ZONE     the local zone (default home.arpa)\n"
                           "  --allow CIDR    an allowed range; repeat for more (default: RFC 1918 and fc00::/7)\n"
                           "  --force         replace an existing CA (certificates it issued stop verifying)\n",
                           true, &force, NULL, NULL, NULL, NULL, err);
    if (rc != LC_OK)
        return rc;
    constraints_from_conf(&c, &cli->conf);
    if ((rc = ca_init_root(cli->conf.state_dir, &c, force, err)) != LC_OK ||
        (rc = ca_load(&ca, cli->conf.state_dir, err)) != LC_OK ||
        (rc = store_open(&store, cli->conf.state_dir, err)) != LC_OK ||
        (rc = admin_token_rotate(store, token, cli->conf.state_dir, err)) != LC_OK)
        goto out;
    ca_fingerprint(fp, ca_cert(ca));
    prefix_set_format(allow, sizeof(allow), &c.allow);
    if (cli->json) {
        rc = cli_print_json(json_pack("{s:s, s:s, s:s, s:s, s:s}", "state_dir", cli->conf.state_dir,
                                      "zone", c.zone, "allow", allow, "sha256_fingerprint", fp,
                                      "admin_token", token),
                            err);
    } else {
        printf("made a root CA in %s\n  zone:        %s\n  allowed:     %s\n  fingerprint: SHA256 %s\n"
               "  admin token: %s\n  (base64url; shown once, kept in %s/" ADMIN_TOKEN_FILE
               " for the CLI on the gateway)\n",
               cli->conf.state_dir, c.zone, allow, fp, token, cli->conf.state_dir);
    }
out:
    OPENSSL_cleanse(token, sizeof(token));
    store_free(store);
    ca_free(ca);
    return rc;
}

static void time_text(char out[32], const ASN1_TIME *t)
{
    struct tm tm;
    if (!ASN1_TIME_to_tm(t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "?");
}

static int ca_show(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    struct ca *ca = NULL;
    char fp[CA_FINGERPRINT_LEN], anchor_fp[CA_FINGERPRINT_LEN], allow[512], nb[32], na[32];
    char subject[256];
    int rc = parse_ca_opts(cli, argc, argv,
                           "usage: lancert ca show [--json]\n"
                           "Show the CA: subject, SHA-256 fingerprint, validity, name constraints.\n"
                           "  --json          print one JSON object\n",
                           false, NULL, NULL, NULL, NULL, NULL, err);
    if (rc != LC_OK)
        return rc;
    if ((rc = ca_load(&ca, cli->conf.state_dir, err)) != LC_OK)
        return rc;
    X509 *x = ca_cert(ca);
    const struct ca_constraints *c = ca_get_constraints(ca);
    bool is_root = ca_anchor(ca) == x;
    ca_fingerprint(fp, x);
    ca_fingerprint(anchor_fp, ca_anchor(ca));
    prefix_set_format(allow, sizeof(allow), &c->allow);
    time_text(nb, X509_get0_notBefore(x));
    time_text(na, X509_get0_notAfter(x));
    X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
    if (cli->json) {
        rc = cli_print_json(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "subject",
                                      subject, "kind", is_root ? "root" : "intermediate",
                                      "sha256_fingerprint", fp, "root_sha256_fingerprint",
                                      anchor_fp, "not_before", nb, "not_after", na, "zone",
                                      c->zone, "allow", allow, "state_dir", cli->conf.state_dir),
                            err);
    } else {
        printf("subject:     %s\nkind:        %s\nfingerprint: SHA256 %s\n", subject,
               is_root ? "root" : "intermediate", fp);
        if (!is_root)
            printf("root:        SHA256 %s\n", anchor_fp);
        printf("not before:  %s\nnot after:   %s\nzone:        %s (permitted DNS subtree)\n"
               "allowed:     %s (permitted IP subtrees)\n",
               nb, na, c->zone, allow);
    }
    ca_free(ca);
    return rc;
}

static int ca_export(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    struct ca *ca = NULL;
    bool der = false;
    const char *out_path = NULL;
    unsigned char *buf = NULL;
    int len, rc = parse_ca_opts(cli, argc, argv,
                                "usage: lancert ca export [--der] [--out FILE]\n"
                                "Print the root certificate people install (PEM, or DER with --der).\n"
                                "  --der           DER instead of PEM\n"
                                "  --out FILE      write to FILE instead of standard output\n",
                                false, NULL, &der, &out_path, NULL, NULL, err);
    if (rc != LC_OK)
        return rc;
    if ((rc = ca_load(&ca, cli->conf.state_dir, err)) != LC_OK)
        return rc;
    if (der) {
        if ((len = i2d_X509(ca_anchor(ca), &buf)) <= 0)
            rc = lc_fail_openssl(err, LC_E_CRYPTO, "encoding the root");
        else
            rc = write_output(out_path, buf, (size_t)len, err);
        OPENSSL_free(buf);
    } else {
        BIO *bio = BIO_new(BIO_s_mem());
        char *data;
        if (!bio || !PEM_write_bio_X509(bio, ca_anchor(ca))) {
            rc = lc_fail_openssl(err, LC_E_CRYPTO, "encoding the root");
        } else {
            long n = BIO_get_mem_data(bio, &data);
            rc = write_output(out_path, data, (size_t)n, err);
        }
        BIO_free(bio);
    }
    ca_free(ca);
    return rc;
}

static int ca_csr(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    struct ca_constraints c;
    const char *out_path = NULL;
    char *pem = NULL;
    int rc = parse_ca_opts(cli, argc, argv,
                           "usage: lancert ca csr [--zone ZONE] [--allow CIDR]... [--out FILE]\n"
                           "Print a CSR for running this gateway's CA as an intermediate below an\n"
                           "enterprise root. The CSR asks for the same name constraints as a root\n"
                           "would carry. The CA key is made (0600) when there is none.\n"
                           "  --zone ZONE     the local zone\n"
                           "  --allow CIDR    an allowed range; repeat for more\n"
                           "  --out FILE      write to FILE instead of standard output\n",
                           true, NULL, NULL, &out_path, NULL, NULL, err);
    if (rc != LC_OK)
        return rc;
    constraints_from_conf(&c, &cli->conf);
    if ((rc = ca_make_csr(&pem, cli->conf.state_dir, &c, err)) != LC_OK)
        return rc;
    rc = write_output(out_path, pem, strlen(pem), err);
    free(pem);
    return rc;
}

static int ca_import_cmd(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    const char *cert_path = NULL, *chain_path = NULL;
    char *cert = NULL, *chain = NULL, fp[CA_FINGERPRINT_LEN];
    size_t cert_len = 0, chain_len = 0;
    struct ca *ca = NULL;
    int rc = parse_ca_opts(cli, argc, argv,
                           "usage: lancert ca import --cert FILE [--chain FILE]\n"
                           "Install the intermediate certificate signed for 'lancert ca csr', after\n"
                           "checking that it matches the CA key, is a CA, and that the chain verifies.\n"
                           "  --cert FILE     the signed CA certificate (PEM; may carry the chain too)\n"
                           "  --chain FILE    the certificates above it, up to and including the root\n",
                           false, NULL, NULL, NULL, &cert_path, &chain_path, err);
    if (rc != LC_OK)
        return rc;
    if (!cert_path)
        return lc_fail(err, LC_E_USAGE, "'lancert ca import' needs --cert FILE");
    if ((rc = file_read(&cert, &cert_len, cert_path, 256 * 1024, err)) != LC_OK)
        goto out;
    if (chain_path && (rc = file_read(&chain, &chain_len, chain_path, 256 * 1024, err)) != LC_OK)
        goto out;
    if ((rc = ca_import(cli->conf.state_dir, cert, cert_len, chain ? chain : "", chain_len, err)) !=
        LC_OK)
        goto out;
    if ((rc = ca_load(&ca, cli->conf.state_dir, err)) != LC_OK)
        goto out;
    ca_fingerprint(fp, ca_anchor(ca));
    printf("installed the intermediate in %s; root SHA256 %s\n", cli->conf.state_dir, fp);
out:
    ca_free(ca);
    free(cert);
    free(chain);
    return rc;
}

int cli_ca(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct cli_verb verbs[] = {
        {"init", ca_init, "make a new name-constrained root"},
        {"show", ca_show, "show the CA: fingerprint, validity, constraints"},
        {"export", ca_export, "print the root certificate (PEM or DER)"},
        {"csr", ca_csr, "a CSR to run as an intermediate below another root"},
        {"import", ca_import_cmd, "install the signed intermediate and its chain"},
    };
    return cli_dispatch(cli, "ca", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv, err);
}
