/* update.h — RFC 2136 dynamic updates of the zone, signed with TSIG
 * (RFC 8945). Address records of friendly names are persisted in the store
 * and then served; _acme-challenge TXT records live in memory only.
 *
 * Who may change what:
 *   - an admin key: the A/AAAA of every friendly name a device holds (names
 *     belong to devices, so an update never creates one), and the TXT of
 *     _acme-challenge.<label>.<zone> for any friendly, hex or gateway label;
 *   - a device key: the A/AAAA of the friendly names its device holds and
 *     the TXT of _acme-challenge.<any name its device holds>.
 * The apex, the gateway's name, hex names and _lancert._tcp are computed and
 * never change; A/AAAA data must lie in the allowed ranges. An update that
 * fails any check changes nothing. */
#ifndef LC_DNS_UPDATE_H
#define LC_DNS_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "dns/answer.h"
#include "dns/wire.h"

#define DNS_UPDATE_MAX_NAMES 32 /* distinct owner names in one update */

struct dns_updater; /* opaque */

/* dns_updater_new makes an update handler with its own store handle on
 * |state_dir|: a SQLite handle serves one thread at a time, and updates run
 * on the responder's threads (one at a time) while the daemon's main thread
 * keeps its own. Free with dns_updater_free. */
int dns_updater_new(struct dns_updater **out, const char *state_dir, struct lc_err *err);

/* dns_updater_free closes the store handle and frees |u|; NULL is fine. */
void dns_updater_free(struct dns_updater *u);

/* dns_update_answer handles the parsed UPDATE |q| (with its prerequisite and
 * update sections kept) from |src| for |zone| at time |now|, writes the
 * response (signed when the request's signature verified) into |out| and
 * returns its length, 0 when it does not fit. */
size_t dns_update_answer(struct dns_updater *u, const struct dns_zone *zone,
                         const struct dns_msg *q, const struct lc_addr *src, int64_t now,
                         uint8_t *out, size_t out_cap);

/* dns_update_handle is dns_update_answer at the current time, in the shape
 * of a dns_update_fn (|ctx| is the struct dns_updater). */
size_t dns_update_handle(void *ctx, const struct dns_zone *zone, const struct dns_msg *q,
                         const struct lc_addr *src, uint8_t *out, size_t out_cap);

#endif
