/* store.h — the state store: one SQLite database (lancert.db, WAL) holding
 * devices, names, certificates, tokens and DNS keys. Everything that touches
 * SQLite is in store.c, with prepared statements only. See docs/state.md. */
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

/* store_device_status copies the status of device |device_id| ("pending",
 * "active" or "revoked") into |out|; LC_E_NOTFOUND when there is none. */
#define STORE_STATUS_MAX 16
int store_device_status(struct store *s, char out[STORE_STATUS_MAX], int64_t device_id,
                        struct lc_err *err);

/* store_device_set_key records |key_id| as device |device_id|'s key (a
 * renewal with a new key). LC_E_EXISTS when another device has that key,
 * LC_E_NOTFOUND when there is no such device. */
int store_device_set_key(struct store *s, int64_t device_id, const uint8_t key_id[STORE_KEY_ID_LEN],
                         struct lc_err *err);

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

/* A visitor for store_cert_names_each: one name, valid only during the call.
 * A non-zero return stops the walk and is returned. */
typedef int (*store_cert_name_fn)(void *ctx, const char *name);

/* store_cert_names_each visits the DNS names certificate |serial| carries,
 * in order. It may run inside a store_cert_each visitor. */
int store_cert_names_each(struct store *s, const uint8_t serial[STORE_SERIAL_LEN],
                          store_cert_name_fn fn, void *ctx, struct lc_err *err);

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

/* One name as the store holds it. */
#define STORE_NAME_MAX_ADDRS 16
struct store_name {
    int64_t device_id; /* the holder */
    bool is_hex;
    uint8_t addrs[STORE_NAME_MAX_ADDRS][16]; /* raw, 4 or 16 bytes each */
    size_t addr_lens[STORE_NAME_MAX_ADDRS];
    size_t n_addrs;
};

/* store_name_get reads who holds |name| (lowercase FQDN) and its addresses;
 * LC_E_NOTFOUND when no device holds it. */
int store_name_get(struct store *s, struct store_name *out, const char *name, struct lc_err *err);

/* ---- TSIG keys for DNS UPDATE (table dns_keys, schema version 2) ---------- */

#define STORE_DNS_SECRET_MAX 64
/* A device's key is named "<device id>." STORE_DEVICE_KEY_SUFFIX, e.g.
 * "42.device.lancert": outside any zone, so it never names a host. */
#define STORE_DEVICE_KEY_SUFFIX "device.lancert"

struct store_dns_key {
    char name[254];     /* lowercase, no final dot */
    char algorithm[16]; /* "hmac-sha256" or "hmac-sha512" */
    uint8_t secret[STORE_DNS_SECRET_MAX];
    size_t secret_len;  /* 0 in store_dns_keys_each: listing never reads secrets */
    int64_t device_id;  /* 0: an admin key, good for every updatable name */
    bool device_active; /* device_id is set and that device's status is active */
    int64_t created;
};

/* store_dns_key_make makes a key with a fresh random secret (32 bytes for
 * hmac-sha256, 64 for hmac-sha512) and records it. An admin key
 * (|device_id| 0) is named |name|; a device's key is named |name| or, when
 * |name| is NULL, "<device_id>.device.lancert" (what enrolment uses). The
 * caller validates |name| (lowercase, no final dot). LC_E_EXISTS when the
 * name is taken, LC_E_NOTFOUND when there is no such device, LC_E_KEY for
 * another algorithm. |out| then holds the secret: wipe it with
 * store_dns_key_cleanup once it has been shown. */
int store_dns_key_make(struct store *s, struct store_dns_key *out, const char *name,
                       const char *algorithm, int64_t device_id, struct lc_err *err);

/* store_dns_key_get reads the key named |name| (lowercase, no final dot),
 * secret included; LC_E_NOTFOUND when there is none. Wipe |out| after use. */
int store_dns_key_get(struct store *s, struct store_dns_key *out, const char *name,
                      struct lc_err *err);

/* store_dns_key_delete deletes the key named |name|; LC_E_NOTFOUND when there
 * is none. Forgetting a device deletes its keys too (ON DELETE CASCADE). */
int store_dns_key_delete(struct store *s, const char *name, struct lc_err *err);

/* store_dns_key_cleanup wipes |k|'s secret. */
void store_dns_key_cleanup(struct store_dns_key *k);

/* A visitor for store_dns_keys_each: one key without its secret, valid only
 * during the call. A non-zero return stops the walk and is returned. */
typedef int (*store_dns_key_fn)(void *ctx, const struct store_dns_key *k);

/* store_dns_keys_each visits every key by name. */
int store_dns_keys_each(struct store *s, store_dns_key_fn fn, void *ctx, struct lc_err *err);

/* ---- signed requests already seen (table jws_seen, schema version 3) ------ */

#define STORE_JWS_ID_LEN 32

/* store_jws_seen_add remembers request |id| until |expires|, inside the
 * caller's transaction, after forgetting those expired before |now|.
 * LC_E_EXISTS when |id| was seen before: a replay. */
int store_jws_seen_add(struct store *s, const uint8_t id[STORE_JWS_ID_LEN], int64_t expires,
                       int64_t now, struct lc_err *err);

/* ---- meta: small named values (table meta) ------------------------------- */

/* store_meta_get copies the value of |key| into |out| (NUL-terminated);
 * LC_E_NOTFOUND when there is none, LC_E_STORE when it does not fit. */
int store_meta_get(struct store *s, char *out, size_t out_len, const char *key, struct lc_err *err);

/* store_meta_set sets |key| to |value|, inside the caller's transaction if
 * one is open. */
int store_meta_set(struct store *s, const char *key, const char *value, struct lc_err *err);

/* store_count returns the number of rows in one of "certs", "devices",
 * "names", "tokens". */
int store_count(struct store *s, int64_t *out, const char *table, struct lc_err *err);

/* store_integrity_check runs PRAGMA integrity_check; LC_E_STORE unless "ok". */
int store_integrity_check(struct store *s, struct lc_err *err);

#endif
