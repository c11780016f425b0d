/* policy.c — SPEC "Names" and "Certificates" as code. */
#include "ca/policy.h"

#include <stdio.h>
#include <string.h>

static int add_unique(struct policy_names *out, const char *name, bool is_hex, struct lc_err *err)
{
    for (size_t i = 0; i < out->n_names; i++)
        if (strcmp(out->names[i], name) == 0)
            return LC_OK;
    if (out->n_names >= CA_MAX_NAMES)
        return lc_fail(err, LC_E_TOO_MANY, "the request names more than %d names", CA_MAX_NAMES);
    snprintf(out->names[out->n_names], sizeof(out->names[0]), "%s", name);
    out->is_hex[out->n_names++] = is_hex;
    return LC_OK;
}

static int add_address(const struct policy *p, struct policy_names *out, const struct lc_addr *a,
                       struct lc_err *err)
{
    char hex[LC_NAME_MAX + 1], text[LC_ADDR_STRLEN];
    int rc;
    if (!prefix_set_contains(p->allow, a)) {
        addr_format(text, a);
        return lc_fail(err, LC_E_ADDRESS, "%s is outside the allowed address ranges", text);
    }
    if ((rc = name_encode(hex, sizeof(hex), a, p->zone, err)) != LC_OK)
        return rc;
    for (size_t i = 0; i < p->n_gateway_addrs && !p->allow_gateway; i++)
        if (addr_equal(&p->gateway_addrs[i], a))
            return lc_fail(err, LC_E_RESERVED, "%s is the gateway's own name", hex);
    if (
        (rc = add_unique(out, hex, true, err)) != LC_OK)
        return rc;
    for (size_t i = 0; i < out->n_ips; i++)
        if (addr_equal(&out->ips[i], a))
            return LC_OK;
    if (out->n_ips >= CA_MAX_NAMES)
        return lc_fail(err, LC_E_TOO_MANY, "the request names more than %d addresses", CA_MAX_NAMES);
    out->ips[out->n_ips++] = *a;
    return LC_OK;
}

static int check_name(const struct policy *p, struct policy_names *out, const char *requested,
                      struct lc_err *err)
{
    char full[LC_NAME_MAX + 2], norm[LC_NAME_MAX + 1];
    struct name_info info;
    size_t len = strlen(requested);
    int rc;

    /* A bare label means a name under the zone ("printer"). */
    if (len > 0 && !memchr(requested, '.', len) && requested[0] != '*') {
        int n = snprintf(full, sizeof(full), "%s.%s", requested, p->zone);
        if (n < 0 || (size_t)n >= sizeof(full))
            return lc_fail(err, LC_E_MALFORMED, "'%.60s' is too long", requested);
        requested = full;
        len = (size_t)n;
    }
    if ((rc = name_normalize(norm, requested, len, err)) != LC_OK)
        return rc;
    name_classify(&info, norm, p->zone, p->gateway_label);
    switch (info.kind) {
    case NAME_OUTSIDE:
        return lc_fail(err, LC_E_ZONE, "%s is outside the zone %s", norm, p->zone);
    case NAME_APEX:
    case NAME_SERVICE:
        return lc_fail(err, LC_E_RESERVED,
                       "%s is not a device name: use one label under %s, not starting with '_'",
                       norm, p->zone);
    case NAME_GATEWAY:
        if (!p->allow_gateway)
            return lc_fail(err, LC_E_RESERVED, "%s is the gateway's own name", norm);
        return add_unique(out, norm, false, err);
    case NAME_HEX:
        return add_address(p, out, &info.addr, err);
    case NAME_FRIENDLY:
        return add_unique(out, norm, false, err);
    }
    return lc_fail(err, LC_E_INTERNAL, "unhandled name kind");
}

int policy_check(const struct policy *p, struct policy_names *out, const char *const *names,
                 size_t n_names, const struct lc_addr *ips, size_t n_ips, struct lc_err *err)
{
    struct policy_names result;
    int rc;
    memset(&result, 0, sizeof(result));
    if (n_names + n_ips == 0)
        return lc_fail(err, LC_E_MALFORMED, "the request names no name and no address");
    if (n_names + n_ips > CA_MAX_NAMES)
        return lc_fail(err, LC_E_TOO_MANY, "the request names %zu names; at most %d are allowed",
                       n_names + n_ips, CA_MAX_NAMES);
    for (size_t i = 0; i < n_names; i++)
        if ((rc = check_name(p, &result, names[i], err)) != LC_OK)
            return rc;
    for (size_t i = 0; i < n_ips; i++)
        if ((rc = add_address(p, &result, &ips[i], err)) != LC_OK)
            return rc;
    *out = result;
    return LC_OK;
}
