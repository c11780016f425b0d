/* records.h — the records the zone holds beyond what it computes: friendly
 * names with their addresses (persisted in the store) and _acme-challenge
 * TXT records (in memory, short-lived). Shared by the responder threads
 * (readers) and the UPDATE handler (writer) under a read-write lock. */
#ifndef LC_DNS_RECORDS_H
#define LC_DNS_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/name.h"

#define DNS_MAX_ADDRS 8  /* addresses per friendly name */
#define DNS_MAX_TXT 4    /* TXT strings per challenge name */
#define DNS_TXT_MAX 255  /* one character-string */
#define DNS_TXT_LIFETIME 600 /* seconds a challenge record lives */

struct dns_records; /* opaque */

struct dns_txt {
    uint8_t len;
    char text[DNS_TXT_MAX];
};

/* dns_records_new makes an empty table; free with dns_records_free. */
int dns_records_new(struct dns_records **out, struct lc_err *err);
void dns_records_free(struct dns_records *r);

struct store;
/* dns_records_load adds every friendly name of |store| with its addresses. */
int dns_records_load(struct dns_records *r, struct store *store, struct lc_err *err);

/* dns_records_set_addrs replaces the addresses of friendly |name| (lowercase
 * FQDN); zero addresses keep the name (it exists, with no records). */
int dns_records_set_addrs(struct dns_records *r, const char *name, const struct lc_addr *addrs,
                          size_t n_addrs, struct lc_err *err);

/* dns_records_remove forgets |name| and its records. */
void dns_records_remove(struct dns_records *r, const char *name);

/* dns_records_get_addrs copies up to DNS_MAX_ADDRS addresses of |name| into
 * |out|; returns -1 when the name does not exist, else the count. */
int dns_records_get_addrs(struct dns_records *r, const char *name, struct lc_addr *out);

/* dns_records_name_of finds a friendly name holding address |a| (for PTR);
 * false when there is none. */
bool dns_records_name_of(struct dns_records *r, const struct lc_addr *a,
                         char out[LC_NAME_MAX + 1]);

/* dns_records_add_txt adds a TXT string to |name| (an _acme-challenge
 * owner) that expires DNS_TXT_LIFETIME seconds after |now|. */
int dns_records_add_txt(struct dns_records *r, const char *name, const char *text, size_t len,
                        int64_t now, struct lc_err *err);

/* dns_records_del_txt deletes one string (|text| set) or all of |name|'s. */
void dns_records_del_txt(struct dns_records *r, const char *name, const char *text, size_t len);

/* dns_records_get_txt copies |name|'s unexpired strings; -1 when none. */
int dns_records_get_txt(struct dns_records *r, const char *name, int64_t now, struct dns_txt *out);

/* dns_records_serial is a number that grows with every change (SOA serial). */
uint32_t dns_records_serial(struct dns_records *r);

#endif
