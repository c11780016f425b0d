/* store.h — the state store: one SQLite database (lancert.db, WAL) holding
 * devices, names, certificates and tokens. Everything that touches SQLite is
 * in store.c, with prepared statements only. See docs/state.md. */
#ifndef LC_STORE_STORE_H
#define LC_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define STORE_SERIAL_LEN 16
#define STORE_KEY_ID_LEN 32 /* SHA-256 of a SubjectPublicKeyInfo */
#define STORE_DB_NAME "lancert.db"

struct store; /* opaque handle */

struct store_cert {
    uint8_t serial[STORE_SERIAL_LEN];
    int64_t device_id; /* 0: not tied to a device */
    int64_t not_before, not_after; /* seconds since the epoch */
    int64_t revoked_at;            /* 0: not revoked */
    int revoke_reason;             /* RFC 5280 CRLReason */
    const uint8_t *der;            /* borrowed by store_cert_put; owned by the row on reads */
    size_t der_len;
};

/* store_open opens (creating if needed) |dir|/lancert.db, applies pending
 * schema migrations in one transaction and sets WAL, synchronous=FULL, a busy
 * timeout and foreign keys. The caller frees the result with store_free. */
int store_open(struct store **out, const char *dir, struct lc_err *err);

/* store_free closes |s|; NULL is fine. */
void store_free(struct store *s);

/* store_schema_version returns the schema version of an open store. */
int store_schema_version(struct store *s);

/* store_begin starts a write transaction (BEGIN IMMEDIATE, so two writers
 * queue instead of deadlocking); store_commit makes it durable before it
 * returns; store_rollback drops it (harmless without one). */
int store_begin(struct store *s, struct lc_err *err);
int store_commit(struct store *s, struct lc_err *err);
void store_rollback(struct store *s);

/* store_savepoint marks a point inside a transaction; store_release keeps
 * what came after it, store_rollback_to undoes it. One request in a batch
 * that fails leaves no trace while the others commit together. */
int store_savepoint(struct store *s, struct lc_err *err);
int store_release(struct store *s, struct lc_err *err);
void store_rollback_to(struct store *s);

/* store_device_for_key finds the device whose key has SHA-256 SPKI digest
 * |key_id|, creating it (status active) when |create| is set. */
int store_device_for_key(struct store *s, int64_t *out_id, const uint8_t key_id[STORE_KEY_ID_LEN],
                         bool create, struct lc_err *err);

/* store_name_claim records that |device_id| holds |name| (lowercase FQDN,
 * |is_hex| for a hex name). A friendly name held by another device is
 * LC_E_NAME_TAKEN and nothing changes (SPEC: held by the key that first got
 * it); a hex name moves to |device_id|, since whoever asks has just shown
 * control of its address. A name the device already holds is fine. */
int store_name_claim(struct store *s, const char *name, int64_t device_id, bool is_hex,
                     struct lc_err *err);

/* store_cert_put inserts a certificate and its names. A serial that was ever
 * used is LC_E_EXISTS: serials are never reused. |names| are borrowed. */
int store_cert_put(struct store *s, const struct store_cert *c, const char *const *names,
                   size_t n_names, struct lc_err *err);

/* store_serial_exists is true when |serial| was ever issued. */
int store_serial_exists(struct store *s, bool *out, const uint8_t serial[STORE_SERIAL_LEN],
                        struct lc_err *err);

/* store_cert_get reads one certificate; out->der is a new buffer the caller
 * frees with free(). LC_E_NOTFOUND when there is none. */
int store_cert_get(struct store *s, struct store_cert *out, const uint8_t serial[STORE_SERIAL_LEN],
                   struct lc_err *err);

/* store_cert_revoke marks |serial| revoked at |when| for |reason|. */
int store_cert_revoke(struct store *s, const uint8_t serial[STORE_SERIAL_LEN], int reason,
                      int64_t when, struct lc_err *err);

/* A visitor for store_cert_each; its |c| and its der are valid only during the
 * call. A non-zero return stops the walk and is returned. */
typedef int (*store_cert_fn)(void *ctx, const struct store_cert *c);

enum store_cert_filter {
    STORE_CERTS_ALL,      /* every certificate, by serial */
    STORE_CERTS_BY_NAME,  /* those naming |arg_name|, newest first */
    STORE_CERTS_EXPIRING, /* unrevoked, not_after < |arg_time|, soonest first */
    STORE_CERTS_REVOKED,  /* revoked, not yet expired at |arg_time| (for the CRL) */
};

int store_cert_each(struct store *s, enum store_cert_filter filter, const char *arg_name,
                    int64_t arg_time, store_cert_fn fn, void *ctx, struct lc_err *err);

/* A visitor for store_names_each: one friendly name and its addresses
 * (raw 4 or 16 bytes each), valid only during the call. */
typedef int (*store_name_fn)(void *ctx, const char *name, const uint8_t *const *addrs,
                             const size_t *addr_lens, size_t n_addrs);

/* store_names_each visits every friendly name with its addresses. */
int store_names_each(struct store *s, store_name_fn fn, void *ctx, struct lc_err *err);

/* store_name_set_addrs replaces the addresses of the friendly |name| (held
 * by a device) with |n_addrs| raw addresses; LC_E_NOTFOUND when no device
 * holds |name|. */
int store_name_set_addrs(struct store *s, const char *name, const uint8_t *const *addrs,
                         const size_t *addr_lens, size_t n_addrs, struct lc_err *err);

/* store_count returns the number of rows in one of "certs", "devices",
 * "names", "tokens". */
int store_count(struct store *s, int64_t *out, const char *table, struct lc_err *err);

/* store_integrity_check runs PRAGMA integrity_check; LC_E_STORE unless "ok". */
int store_integrity_check(struct store *s, struct lc_err *err);

#endif
