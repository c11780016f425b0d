/* adminapi.c — how the admin verbs reach lancertd's admin API: the URL from
 * the config (or --server), the root and the admin token from the state
 * directory (or --ca, --token-file), and JSON in and out. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ca/admin.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "core/file.h"

#define TOKEN_FILE_MAX 1024

bool cli_admin_opt(struct cli_admin *a, int opt, const char *arg)
{
    switch (opt) {
    case OPT_SERVER:
        a->server = arg;
        return true;
    case OPT_CA:
        a->ca_file = arg;
        return true;
    case OPT_TOKEN_FILE:
        a->token_file = arg;
        return true;
    default:
        return false;
    }
}

/* read_token reads the admin token and drops the line break after it. */
static int read_token(char **out, const char *path, struct lc_err *err)
{
    size_t len = 0;
    int rc = file_read(out, &len, path, TOKEN_FILE_MAX, err);
    if (rc != LC_OK)
        return lc_wrap(err, rc, "the admin token");
    while (len > 0 && isspace((unsigned char)(*out)[len - 1]))
        (*out)[--len] = '\0';
    if (len == 0) {
        free(*out);
        *out = NULL;
        return lc_fail(err, LC_E_MALFORMED, "%.100s holds no admin token", path);
    }
    return LC_OK;
}

/* gateway_base makes the URL from https_listen: the gateway's name, pinned
 * to the listener's address so no DNS is needed on the gateway itself. */
static int gateway_base(struct cli *cli, struct cli_admin *a, char *resolve, size_t resolve_len,
                        struct lc_err *err)
{
    char fqdn[LC_NAME_MAX + 1], addr[LC_ADDR_STRLEN];
    if (cli->conf.https_listen.n_items == 0)
        return lc_fail(err, LC_E_CONFIG, "no https_listen in the config; give --server URL");
    const struct conf_listen *l = &cli->conf.https_listen.items[0];
    struct lc_addr target = l->addr;
    static const uint8_t zero[16];
    /* A wildcard listener answers on loopback too. */
    if (memcmp(target.b, zero, addr_len(&target)) == 0) {
        memset(target.b, 0, sizeof(target.b));
        if (target.family == LC_AF_INET) {
            target.b[0] = 127;
            target.b[3] = 1;
        } else {
            target.b[15] = 1;
        }
    }
    addr_format(addr, &target);
    conf_gateway_fqdn(fqdn, &cli->conf);
    snprintf(a->base, sizeof(a->base), "https://%s:%u/api/v1", fqdn, (unsigned)l->port);
    int n = snprintf(resolve, resolve_len, target.family == LC_AF_INET6 ? "%s:%u:[%s]" : "%s:%u:%s",
                     fqdn, (unsigned)l->port, addr);
    if (n < 0 || (size_t)n >= resolve_len)
        return lc_fail(err, LC_E_CONFIG, "the gateway's name is too long");
    return LC_OK;
}

int cli_admin_open(struct cli *cli, struct cli_admin *a, struct lc_err *err)
{
    char ca_path[PATH_MAX], token_path[PATH_MAX], resolve[LC_NAME_MAX + 64] = "";
    char *token = NULL;
    int rc;

    a->client = NULL;
    int n1 = snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", cli->conf.state_dir);
    int n2 = snprintf(token_path, sizeof(token_path), "%s/%s", cli->conf.state_dir,
                      ADMIN_TOKEN_FILE);
    if (n1 < 0 || (size_t)n1 >= sizeof(ca_path) || n2 < 0 || (size_t)n2 >= sizeof(token_path)) {
        rc = lc_fail(err, LC_E_CONFIG, "the state directory's name is too long");
        goto out;
    }
    if (a->server) {
        size_t n = strlen(a->server);
        while (n > 0 && a->server[n - 1] == '/')
            n--;
        if (strncmp(a->server, "https://", 8) != 0 || n <= 8 || n + 8 >= sizeof(a->base)) {
            rc = lc_fail(err, LC_E_USAGE, "--server needs an https:// URL");
            goto out;
        }
        snprintf(a->base, sizeof(a->base), "%.*s/api/v1", (int)n, a->server);
    } else if ((rc = gateway_base(cli, a, resolve, sizeof(resolve), err)) != LC_OK) {
        goto out;
    }
    if ((rc = read_token(&token, a->token_file ? a->token_file : token_path, err)) != LC_OK)
        goto out;
    struct client_opts o = {a->ca_file ? a->ca_file : ca_path, token, resolve[0] ? resolve : NULL,
                            NULL};
    rc = client_new(&a->client, &o, err);
out:
    if (token)
        OPENSSL_cleanse(token, strlen(token));
    free(token);
    return rc;
}

void cli_admin_close(struct cli_admin *a)
{
    client_free(a->client);
    a->client = NULL;
}

int cli_admin_call(struct cli_admin *a, json_t **out, const char *method, const char *path,
                   json_t *body, long want, const char *what, struct lc_err *err)
{
    struct client_response r;
    char url[1024], *text = NULL;
    int rc;

    *out = NULL;
    memset(&r, 0, sizeof(r));
    snprintf(url, sizeof(url), "%s/%s", a->base, path);
    if (body && !(text = json_dumps(body, JSON_COMPACT))) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = client_request(a->client, &r, method, url, text, err)) != LC_OK)
        goto out;
    if (r.status != want) {
        rc = client_status_err(err, &r, what);
        goto out;
    }
    *out = json_loadb(r.body, r.body_len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        rc = lc_fail(err, LC_E_MALFORMED, "%s: the gateway's answer is not a JSON object", what);
    }
out:
    client_response_cleanup(&r);
    free(text);
    json_decref(body);
    return rc;
}
