/* name.h — names in the local zone: hex names that encode an address, friendly
 * names, and the syntax checks both share. */
#ifndef LC_CORE_NAME_H
#define LC_CORE_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "core/addr.h"
#include "core/err.h"

#define LC_NAME_MAX 253  /* presentation form, without the final dot */
#define LC_LABEL_MAX 63

enum name_kind {
    NAME_OUTSIDE,  /* not in the zone */
    NAME_APEX,     /* the zone itself */
    NAME_HEX,      /* <8 or 32 hex digits>.<zone>: an address */
    NAME_FRIENDLY, /* one LDH label under the zone, not hex, not reserved */
    NAME_GATEWAY,  /* the gateway's own label */
    NAME_SERVICE,  /* a label starting with '_' directly under the zone, or deeper names */
};

struct name_info {
    enum name_kind kind;
    struct lc_addr addr;          /* NAME_HEX only */
    char label[LC_LABEL_MAX + 1]; /* the first label, lowercase */
};

/* name_normalize checks |len| bytes of |in| as a DNS host name (LDH labels of
 * 1..63 bytes, at most 253 bytes, one optional final dot, '_' allowed at the
 * start of a label for service names) and writes its lowercase form without
 * the final dot to |out|. */
int name_normalize(char out[LC_NAME_MAX + 1], const char *in, size_t len, struct lc_err *err);

/* name_encode writes the hex name of |a| under |zone| ("c0a80117.home.arpa"). */
int name_encode(char *out, size_t out_len, const struct lc_addr *a, const char *zone,
                struct lc_err *err);

/* name_classify says what a normalized |name| is in |zone|, where the gateway's
 * own label is |gateway_label|. Never fails: anything not in the zone is
 * NAME_OUTSIDE. */
void name_classify(struct name_info *out, const char *name, const char *zone,
                   const char *gateway_label);

/* name_decode parses a hex name of |zone| (any letter case, optional final
 * dot) back to its address. Fills |err| when |name| is not a hex name. */
int name_decode(struct lc_addr *out, const char *name, size_t len, const char *zone,
                struct lc_err *err);

/* name_is_hex_label is true for exactly 8 or 32 hex digits. */
bool name_is_hex_label(const char *label, size_t len);

/* name_hex_decode reads the address a hex label names (8 or 32 hex digits,
 * either letter case); false when |label| is not a hex label or is the
 * 32-digit form of an IPv4-mapped address, whose name has 8 digits. */
bool name_hex_decode(struct lc_addr *out, const char *label, size_t len);

#endif
