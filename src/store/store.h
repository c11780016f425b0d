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

/* store_prepare_all prepares every statement now (they are otherwise
 * prepared on first use), so a test sees at once that each one compiles
 * against the schema. */
int store_prepare_all(struct store *s, struct lc_err *err);

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

/* store_devices_release_name deletes every device that holds a certificate
 * naming |name| and no certificate without it, in the caller's transaction:
 * a store from before the gateway's certificates were tied to no device gave
 * each gateway key a device. Their certificates stay, tied to no device;
 * their names and keys go with them. *out_n is how many went. */
int store_devices_release_name(struct store *s, int64_t *out_n, const char *name,
                               struct lc_err *err);

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

/* ---- devices, enrolments, enrolment tokens (schema version 3) ------------- */

enum store_device_status { STORE_DEVICE_PENDING, STORE_DEVICE_ACTIVE, STORE_DEVICE_REVOKED };

struct store_device {
    int64_t id;
    enum store_device_status status;
    int64_t created;
};

/* store_device_status_name is "pending", "active" or "revoked". */
const char *store_device_status_name(enum store_device_status status);

/* store_device_get reads device |id|; LC_E_NOTFOUND when there is none. */
int store_device_get(struct store *s, struct store_device *out, int64_t id, struct lc_err *err);

/* store_device_by_key reads the device whose key has SHA-256 SPKI digest
 * |key_id|; LC_E_NOTFOUND when there is none. */
int store_device_by_key(struct store *s, struct store_device *out,
                        const uint8_t key_id[STORE_KEY_ID_LEN], struct lc_err *err);

/* store_device_add records a new device with |status|; LC_E_EXISTS when a
 * device has the key already. */
int store_device_add(struct store *s, int64_t *out_id, const uint8_t key_id[STORE_KEY_ID_LEN],
                     enum store_device_status status, struct lc_err *err);

/* store_device_set_status changes device |id|'s status; LC_E_NOTFOUND. */
int store_device_set_status(struct store *s, int64_t id, enum store_device_status status,
                            struct lc_err *err);

/* store_device_forget deletes device |id|'s names (with their addresses) and
 * DNS keys and marks it revoked; its certificates are the caller's to revoke.
 * The row stays, so its key cannot enrol again. */
int store_device_forget(struct store *s, int64_t id, struct lc_err *err);

/* A visitor for store_devices_each; |d| is valid only during the call. A
 * non-zero return stops the walk and is returned. */
typedef int (*store_device_fn)(void *ctx, const struct store_device *d);

/* store_devices_each visits every device by id. */
int store_devices_each(struct store *s, store_device_fn fn, void *ctx, struct lc_err *err);

/* A visitor for store_device_names_each: one name the device holds. */
typedef int (*store_device_name_fn)(void *ctx, const char *name, bool is_hex);

/* store_device_names_each visits the names device |id| holds, by name. It
 * may run inside a store_devices_each visitor. */
int store_device_names_each(struct store *s, int64_t id, store_device_name_fn fn, void *ctx,
                            struct lc_err *err);

/* store_device_certs_each visits device |id|'s certificates, newest first. */
int store_device_certs_each(struct store *s, int64_t id, store_cert_fn fn, void *ctx,
                            struct lc_err *err);

#define STORE_ENROLL_NAMES_MAX (16 * 254) /* space-separated FQDNs */

/* A device's latest REST enrolment request (table enrollments). */
struct store_enrollment {
    int64_t device_id;
    const uint8_t *csr; /* borrowed by store_enrollment_put; owned after a get */
    size_t csr_len;
    char names[STORE_ENROLL_NAMES_MAX]; /* requested names, space-separated */
    uint8_t peer[16];                   /* the address it asked from, raw */
    size_t peer_len;                    /* 4 or 16 */
    bool key_fetched;                   /* the update key has been handed out */
    int64_t created;                    /* 0 on put: now */
};

/* store_enrollment_put records |e|, replacing the device's earlier one. */
int store_enrollment_put(struct store *s, const struct store_enrollment *e, struct lc_err *err);

/* store_enrollment_get reads device |device_id|'s enrolment; LC_E_NOTFOUND
 * when there is none. Release |out| with store_enrollment_cleanup. */
int store_enrollment_get(struct store *s, struct store_enrollment *out, int64_t device_id,
                         struct lc_err *err);
void store_enrollment_cleanup(struct store_enrollment *e);

/* store_enrollment_key_fetched records that the update key was handed out. */
int store_enrollment_key_fetched(struct store *s, int64_t device_id, struct lc_err *err);

#define STORE_TOKEN_HASH_LEN 32 /* SHA-256 of the token text */

/* An enrolment token as stored: never the token, only its hash. */
struct store_token {
    int64_t id;
    uint8_t hash[STORE_TOKEN_HASH_LEN];
    char names[STORE_ENROLL_NAMES_MAX]; /* the friendly names it grants, space-separated */
    int64_t created, expires;
    int64_t used_at; /* 0: unused */
};

/* store_token_put records |t| (its id is ignored) and returns the new id. */
int store_token_put(struct store *s, int64_t *out_id, const struct store_token *t,
                    struct lc_err *err);

/* store_token_find reads the token whose hash is |hash|; LC_E_NOTFOUND. */
int store_token_find(struct store *s, struct store_token *out,
                     const uint8_t hash[STORE_TOKEN_HASH_LEN], struct lc_err *err);

/* store_token_use marks token |id| used at |when|; LC_E_EXISTS when it was
 * used already, so two requests racing for one token cannot both win. */
int store_token_use(struct store *s, int64_t id, int64_t when, struct lc_err *err);

/* store_count returns the number of rows in one of "certs", "devices",
 * "names", "tokens". */
int store_count(struct store *s, int64_t *out, const char *table, struct lc_err *err);

/* store_integrity_check runs PRAGMA integrity_check; LC_E_STORE unless "ok". */
int store_integrity_check(struct store *s, struct lc_err *err);

#endif
