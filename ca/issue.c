/* issue.c — one issuance, from untrusted CSR bytes to a stored certificate. */
#include "ca/issue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "ca/csr.h"
#include "core/metrics.h"

#define NOT_BEFORE_SKEW 300 /* seconds back-dated, for devices with slow clocks */
#define CRL_DAYS 7

void issuer_init(struct issuer *is, struct ca *ca, struct store *store, const struct lc_conf *conf)
{
    memset(is, 0, sizeof(*is));
    is->ca = ca;
    is->store = store;
    is->policy.zone = conf->zone;
    is->policy.allow = &conf->allow;
    is->policy.gateway_label = conf->gateway_name;
    is->policy.gateway_addrs = conf->gateway_addrs;
    is->policy.n_gateway_addrs = conf->n_gateway_addrs;
    is->leaf_days = conf->leaf_days;
    if (conf->http_listen.n_items > 0) {
        unsigned port = conf->http_listen.items[0].port;
        char host[LC_NAME_MAX + 1], portpart[8] = "";
        conf_gateway_fqdn(host, conf);
        if (port != 80)
            snprintf(portpart, sizeof(portpart), ":%u", port);
        if (snprintf(is->crl_url, sizeof(is->crl_url), "http://%s%s/crl", host, portpart) >=
            (int)sizeof(is->crl_url))
            is->crl_url[0] = '\0';
    }
}

/* fresh_serial draws random serials until one was never used. */
static int fresh_serial(struct issuer *is, uint8_t serial[16], struct lc_err *err)
{
    for (int attempt = 0; attempt < 4; attempt++) {
        bool used;
        int rc;
        if (RAND_bytes(serial, 16) != 1)
            return lc_fail_openssl(err, LC_E_CRYPTO, "drawing a serial");
        serial[0] &= 0x7f; /* positive INTEGER, 16 bytes long */
        if (serial[0] == 0)
            serial[0] = 0x01;
        if ((rc = store_serial_exists(is->store, &used, serial, err)) != LC_OK)
            return rc;
        if (!used)
            return LC_OK;
    }
    return lc_fail(err, LC_E_INTERNAL, "no unused serial after 4 draws");
}

/* renewal_fits refuses a name |names| has that |req|'s current certificate
 * does not: renewal never adds names. */
static int renewal_fits(const struct policy_names *names, const struct issue_request *req,
                        struct lc_err *err)
{
    for (size_t i = 0; i < names->n_names; i++) {
        bool found = false;
        for (size_t j = 0; j < req->n_renew_names && !found; j++)
            found = strcmp(names->names[i], req->renew_names[j]) == 0;
        if (!found)
            return lc_fail(err, LC_E_PERM,
                           "a renewal never adds names: %s is not on the current certificate",
                           names->names[i]);
    }
    return LC_OK;
}

/* device_take_key makes |key_id| the key of |device_id|, unless another
 * device holds it. */
static int device_take_key(struct store *s, int64_t device_id, const uint8_t key_id[32],
                           struct lc_err *err)
{
    int64_t holder = 0;
    int rc = store_device_for_key(s, &holder, key_id, false, err);
    if (rc == LC_OK)
        return holder == device_id
                   ? LC_OK
                   : lc_fail(err, LC_E_EXISTS, "the CSR's key belongs to another device");
    if (rc != LC_E_NOTFOUND)
        return rc;
    return store_device_set_key(s, device_id, key_id, err);
}

static int issue_checked(struct issuer *is, struct issue_result *out, const struct issue_request *req,
                         struct lc_err *err)
{
    struct csr own;
    const struct csr *csr_p = req->parsed;
    const char *csr_names[CSR_MAX_NAMES];
    const char *const *names = req->names;
    const struct lc_addr *ips = req->ips;
    size_t n_names = req->n_names, n_ips = req->n_ips;
    unsigned char *der = NULL;
    int der_len, rc;

    memset(&own, 0, sizeof(own));
    if (!csr_p) {
        if ((rc = csr_parse(&own, req->csr, req->csr_len, err)) != LC_OK)
            return rc;
        csr_p = &own;
    }
    const struct csr *const csr = csr_p; /* |own| alone is cleaned up */
    if (req->device_id && csr->no_sans) {
        names = req->renew_names;
        n_names = req->n_renew_names;
        ips = NULL;
        n_ips = 0;
    } else if (n_names + n_ips == 0) {
        for (size_t i = 0; i < csr->n_names; i++)
            csr_names[i] = csr->names[i];
        names = csr_names;
        n_names = csr->n_names;
        ips = csr->ips;
        n_ips = csr->n_ips;
    }
    if ((rc = policy_check(&is->policy, &out->names, names, n_names, ips, n_ips, err)) != LC_OK)
        goto out;
    /* The gateway's own certificate (allow_gateway) is tied to no device and
     * claims no name: its names are the gateway's by configuration, and each
     * renewal brings a new key, which would otherwise be a new device. */
    if (is->policy.allow_gateway) {
        out->device_id = 0;
    } else if (req->device_id) {
        if ((rc = renewal_fits(&out->names, req, err)) != LC_OK ||
            (rc = device_take_key(is->store, req->device_id, csr->key_id, err)) != LC_OK)
            goto out;
        out->device_id = req->device_id;
    } else if ((rc = store_device_for_key(is->store, &out->device_id, csr->key_id, true, err)) !=
               LC_OK) {
        goto out;
    }
    for (size_t i = 0; i < out->names.n_names && out->device_id; i++)
        if ((rc = store_name_claim(is->store, out->names.names[i], out->device_id,
                                   out->names.is_hex[i], err)) != LC_OK)
            goto out;
    if ((rc = fresh_serial(is, out->serial, err)) != LC_OK)
        goto out;

    const char *san[CA_MAX_NAMES];
    for (size_t i = 0; i < out->names.n_names; i++)
        san[i] = out->names.names[i];
    int64_t now = (int64_t)time(NULL);
    int64_t lifetime = req->lifetime_s > 0 ? req->lifetime_s : (int64_t)is->leaf_days * 86400;
    /* A short life (the gateway's, in tests) is back-dated by a tenth of it at most. */
    int64_t skew = lifetime / 10 < NOT_BEFORE_SKEW ? lifetime / 10 : NOT_BEFORE_SKEW;
    struct ca_leaf leaf = {
        .pubkey = csr->pubkey,
        .names = san,
        .n_names = out->names.n_names,
        .ips = out->names.ips,
        .n_ips = out->names.n_ips,
        .not_before = now - skew,
        .not_after = now + lifetime,
        .crl_url = is->crl_url[0] ? is->crl_url : NULL,
    };
    memcpy(leaf.serial, out->serial, 16);
    if ((rc = ca_sign(is->ca, &out->cert, &leaf, err)) != LC_OK)
        goto out;
    out->not_before = leaf.not_before;
    out->not_after = leaf.not_after;
    if ((der_len = i2d_X509(out->cert, &der)) <= 0) {
        rc = lc_fail_openssl(err, LC_E_CRYPTO, "encoding the certificate");
        goto out;
    }
    struct store_cert row = {
        .device_id = out->device_id,
        .not_before = leaf.not_before,
        .not_after = leaf.not_after,
        .der = der,
        .der_len = (size_t)der_len,
    };
    memcpy(row.serial, out->serial, 16);
    rc = store_cert_put(is->store, &row, san, out->names.n_names, err);
out:
    OPENSSL_free(der);
    csr_cleanup(&own);
    return rc;
}

int issuer_issue(struct issuer *is, struct issue_result *out, const struct issue_request *req,
                 struct lc_err *err)
{
    struct issue_result r;
    int rc;
    memset(&r, 0, sizeof(r));
    if ((rc = store_savepoint(is->store, err)) != LC_OK)
        return rc;
    rc = issue_checked(is, &r, req, err);
    if (rc == LC_OK)
        rc = store_release(is->store, err);
    if (rc != LC_OK) {
        store_rollback_to(is->store);
        issue_result_cleanup(&r);
        return rc;
    }
    /* Counted when stored: a caller's rollback after this is a failing disk,
     * rare enough not to need the commit's knowledge here. */
    metrics_add(METRICS_CERTS_ISSUED, 1);
    *out = r;
    return LC_OK;
}

void issue_result_cleanup(struct issue_result *r)
{
    X509_free(r->cert);
    r->cert = NULL;
}

struct revoked_list {
    struct ca_revoked *items;
    size_t n_items, cap;
};

static int collect_revoked(void *ctx, const struct store_cert *c)
{
    struct revoked_list *l = ctx;
    if (l->n_items == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct ca_revoked *items = reallocarray(l->items, cap, sizeof(*items));
        if (!items)
            return LC_E_NOMEM;
        l->items = items;
        l->cap = cap;
    }
    memcpy(l->items[l->n_items].serial, c->serial, 16);
    l->items[l->n_items].revoked_at = c->revoked_at;
    l->items[l->n_items].reason = c->revoke_reason;
    l->n_items++;
    return 0;
}

int issuer_crl(struct issuer *is, uint8_t **out_der, size_t *out_len, struct lc_err *err)
{
    struct revoked_list l = {NULL, 0, 0};
    int64_t now = (int64_t)time(NULL);
    int rc = store_cert_each(is->store, STORE_CERTS_REVOKED, NULL, now, collect_revoked, &l, err);
    if (rc == LC_E_NOMEM)
        rc = lc_fail(err, LC_E_NOMEM, "out of memory listing revoked certificates");
    if (rc == LC_OK)
        rc = ca_crl(is->ca, out_der, out_len, l.items, l.n_items, now, CRL_DAYS, err);
    free(l.items);
    return rc;
}
