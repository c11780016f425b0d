/* addr.h — IPv4/IPv6 addresses, prefixes (CIDR) and the allowed-range set. */
#ifndef LC_CORE_ADDR_H
#define LC_CORE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum { LC_AF_INET = 4, LC_AF_INET6 = 6 };
#define LC_MAX_PREFIXES 16
#define LC_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

struct lc_addr {
    uint8_t family; /* LC_AF_INET or LC_AF_INET6 */
    uint8_t b[16];  /* network order; IPv4 uses the first 4 bytes */
};

struct lc_prefix {
    struct lc_addr addr;
    uint8_t bits;
};

struct lc_prefix_set {
    struct lc_prefix prefixes[LC_MAX_PREFIXES];
    size_t n_prefixes;
};

/* addr_len is 4 or 16, the byte length of |a|'s family. */
size_t addr_len(const struct lc_addr *a);

/* addr_parse reads a textual IPv4 or IPv6 address of |len| bytes (no brackets,
 * no scope). IPv4-mapped IPv6 addresses become IPv4. Returns false when |s| is
 * not exactly one address. */
bool addr_parse(struct lc_addr *out, const char *s, size_t len);

/* addr_format writes the canonical text of |a| into |out| (LC_ADDR_STRLEN). */
void addr_format(char out[LC_ADDR_STRLEN], const struct lc_addr *a);

/* addr_from_bytes makes an address from 4 or 16 raw bytes; 16 bytes holding
 * an IPv4-mapped address become IPv4. Returns false for other lengths. */
bool addr_from_bytes(struct lc_addr *out, const uint8_t *b, size_t len);

bool addr_equal(const struct lc_addr *a, const struct lc_addr *b);

/* prefix_parse reads "ADDR/BITS" (or a bare address, as a host prefix). Host
 * bits must be zero. Fills |err| on failure. */
int prefix_parse(struct lc_prefix *out, const char *s, size_t len, struct lc_err *err);

/* prefix_format writes "ADDR/BITS". */
void prefix_format(char out[LC_ADDR_STRLEN + 4], const struct lc_prefix *p);

bool prefix_contains(const struct lc_prefix *p, const struct lc_addr *a);

/* prefix_within is true when all of |inner| lies inside |outer|. */
bool prefix_within(const struct lc_prefix *inner, const struct lc_prefix *outer);

/* prefix_set_parse replaces |set| with the space-separated prefixes in |s|. */
int prefix_set_parse(struct lc_prefix_set *set, const char *s, size_t len, struct lc_err *err);

/* prefix_set_add appends one prefix; fails when the set is full. */
int prefix_set_add(struct lc_prefix_set *set, const struct lc_prefix *p, struct lc_err *err);

bool prefix_set_contains(const struct lc_prefix_set *set, const struct lc_addr *a);

/* prefix_set_format writes the set space-separated; truncates to |out_len|. */
void prefix_set_format(char *out, size_t out_len, const struct lc_prefix_set *set);

#endif
