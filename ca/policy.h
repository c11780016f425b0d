/* policy.h — which names a certificate may carry. Turns requested names and
 * addresses into the exact SAN list: every name lowercase in the zone, every
 * hex name's address allowed and added as an iPAddress. */
#ifndef LC_CA_POLICY_H
#define LC_CA_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "ca/ca.h"
#include "core/addr.h"
#include "core/err.h"
#include "core/name.h"

struct policy {
    const char *zone;
    const struct lc_prefix_set *allow;
    const char *gateway_label;
    /* The gateway's addresses: their hex names are the gateway's, as its
     * label is (SPEC: reserved), never a device's. */
    const struct lc_addr *gateway_addrs;
    size_t n_gateway_addrs;
    bool allow_gateway; /* only for the gateway's own certificate */
};

struct policy_names {
    char names[CA_MAX_NAMES][LC_NAME_MAX + 1]; /* lowercase FQDNs, no duplicates */
    bool is_hex[CA_MAX_NAMES];
    size_t n_names;
    struct lc_addr ips[CA_MAX_NAMES]; /* the addresses of the hex names */
    size_t n_ips;
};

/* policy_check checks |n_names| requested names (FQDNs, or single labels taken
 * under the zone) and |n_ips| addresses against |p| and fills |out|. Refusals:
 * LC_E_MALFORMED, LC_E_WILDCARD, LC_E_ZONE, LC_E_ADDRESS, LC_E_RESERVED,
 * LC_E_TOO_MANY; nothing requested is LC_E_MALFORMED. */
int policy_check(const struct policy *p, struct policy_names *out, const char *const *names,
                 size_t n_names, const struct lc_addr *ips, size_t n_ips, struct lc_err *err);

#endif
