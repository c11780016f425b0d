/* store.c — SQLite behind one small interface. Each statement is prepared
 * once at open; each change runs inside a transaction the caller brackets. */
#include "store/store.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sqlite3.h>

/* Schema migrations, applied in order; index i moves version i to i+1. Never
 * edit a released entry: add a new one. */
static const char *const migrations[] = {
    /* 0 -> 1: the first release. */
    "CREATE TABLE devices("
    "  id INTEGER PRIMARY KEY,"
    "  key_id BLOB NOT NULL UNIQUE,"
    "  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('pending','active','revoked')),"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE names("
    "  name TEXT PRIMARY KEY,"
    "  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    "  is_hex INTEGER NOT NULL,"
    "  created INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX names_by_device ON names(device_id);"
    "CREATE TABLE name_addresses("
    "  name TEXT NOT NULL REFERENCES names(name) ON DELETE CASCADE,"
    "  address BLOB NOT NULL,"
    "  PRIMARY KEY (name, address)) WITHOUT ROWID;"
    "CREATE TABLE certs("
    "  serial BLOB PRIMARY KEY CHECK (length(serial) = 16),"
    "  device_id INTEGER REFERENCES devices(id) ON DELETE SET NULL,"
    "  not_before INTEGER NOT NULL,"
    "  not_after INTEGER NOT NULL,"
    "  revoked_at INTEGER,"
    "  revoke_reason INTEGER,"
    "  der BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX certs_by_expiry ON certs(not_after);"
    "CREATE INDEX certs_by_device ON certs(device_id);"
    "CREATE INDEX certs_revoked ON certs(revoked_at) WHERE revoked_at IS NOT NULL;"
    "CREATE TABLE cert_names("
    "  name TEXT NOT NULL,"
    "  serial BLOB NOT NULL REFERENCES certs(serial),"
    "  PRIMARY KEY (name, serial)) WITHOUT ROWID;"
    "CREATE TABLE tokens("
    "  id INTEGER PRIMARY KEY,"
    "  hash BLOB NOT NULL UNIQUE,"
    "  names TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL,"
    "  used_at INTEGER);"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",
    /* 1 -> 2: TSIG keys for DNS UPDATE. The secret is raw: HMAC needs it. */
    "CREATE TABLE dns_keys("
    "  name TEXT PRIMARY KEY,"
    "  algorithm TEXT NOT NULL CHECK (algorithm IN ('hmac-sha256','hmac-sha512')),"
    "  secret BLOB NOT NULL,"
    "  device_id INTEGER REFERENCES devices(id) ON DELETE CASCADE,"
    "  created INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX dns_keys_by_device ON dns_keys(device_id);",
    /* 2 -> 3: REST enrolment. A device's latest request: its CSR (kept for
     * approval), the names it asked for, the address it asked from, and
     * whether its update key has been handed out. Tokens are looked up by
     * hash (UNIQUE already indexes it). */
    "CREATE TABLE enrollments("
    "  device_id INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,"
    "  csr BLOB NOT NULL,"
    "  names TEXT NOT NULL,"
    "  peer BLOB NOT NULL CHECK (length(peer) IN (4, 16)),"
    "  key_fetched INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL);",
    /* 3 -> 4: signed device requests already seen (renewal, name updates),
     * kept until their iat window has passed so a replay is refused even
     * across a restart. */
    "CREATE TABLE jws_seen("
    "  id BLOB PRIMARY KEY CHECK (length(id) = 32),"
    "  expires INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX jws_seen_by_expiry ON jws_seen(expires);",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_DEVICE_BY_KEY,
    ST_DEVICE_ADD,
    ST_NAME_OWNER,
    ST_NAME_ADD,
    ST_NAME_MOVE,
    ST_NAMES_EACH,
    ST_NAME_EXISTS,
    ST_NAME_ADDRS_CLEAR,
    ST_NAME_ADDR_ADD,
    ST_CERT_PUT,
    ST_CERT_NAME_PUT,
    ST_SERIAL_EXISTS,
    ST_CERT_GET,
    ST_CERT_REVOKE,
    ST_CERTS_ALL,
    ST_CERTS_BY_NAME,
    ST_CERTS_EXPIRING,
    ST_CERTS_REVOKED,
    ST_NAME_GET,
    ST_NAME_ADDRS,
    ST_DNS_KEY_PUT,
    ST_DNS_KEY_GET,
    ST_DNS_KEY_DELETE,
    ST_DNS_KEYS_ALL,
    ST_CERT_NAMES,
    ST_META_GET,
    ST_META_SET,
    ST_DEVICE_GET,
    ST_DEVICE_BY_KEY_FULL,
    ST_DEVICE_INSERT,
    ST_DEVICE_SET_STATUS,
    ST_DEVICES_ALL,
    ST_DEVICE_NAMES,
    ST_DEVICE_NAMES_DELETE,
    ST_DEVICE_KEYS_DELETE,
    ST_DEVICE_CERTS,
    ST_ENROLLMENT_PUT,
    ST_ENROLLMENT_GET,
    ST_ENROLLMENT_KEY_FETCHED,
    ST_TOKEN_PUT,
    ST_TOKEN_FIND,
    ST_TOKEN_USE,
    ST_DEVICE_SET_KEY,
    ST_JWS_SEEN_PRUNE,
    ST_JWS_SEEN_ADD,
    ST_COUNT_
};

#define CERT_COLS "serial, device_id, not_before, not_after, revoked_at, revoke_reason, der"

static const char *const stmt_sql[ST_COUNT_] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT request",
    [ST_RELEASE] = "RELEASE request",
    [ST_ROLLBACK_TO] = "ROLLBACK TO request",
    [ST_DEVICE_BY_KEY] = "SELECT id FROM devices WHERE key_id = ?1",
    [ST_DEVICE_ADD] = "INSERT INTO devices(key_id, status, created) VALUES (?1, 'active', ?2)",
    [ST_NAME_OWNER] = "SELECT device_id FROM names WHERE name = ?1",
    [ST_NAME_ADD] = "INSERT INTO names(name, device_id, is_hex, created) VALUES (?1, ?2, ?3, ?4)",
    [ST_NAME_MOVE] = "UPDATE names SET device_id = ?2 WHERE name = ?1",
    [ST_NAMES_EACH] = "SELECT n.name, a.address FROM names n LEFT JOIN name_addresses a "
                      "ON a.name = n.name WHERE n.is_hex = 0 ORDER BY n.name",
    [ST_NAME_EXISTS] = "SELECT 1 FROM names WHERE name = ?1 AND is_hex = 0",
    [ST_NAME_ADDRS_CLEAR] = "DELETE FROM name_addresses WHERE name = ?1",
    [ST_NAME_ADDR_ADD] = "INSERT OR IGNORE INTO name_addresses(name, address) VALUES (?1, ?2)",
    [ST_CERT_PUT] = "INSERT INTO certs(" CERT_COLS ") VALUES (?1, ?2, ?3, ?4, NULL, NULL, ?5)",
    [ST_CERT_NAME_PUT] = "INSERT OR IGNORE INTO cert_names(name, serial) VALUES (?1, ?2)",
    [ST_SERIAL_EXISTS] = "SELECT 1 FROM certs WHERE serial = ?1",
    [ST_CERT_GET] = "SELECT " CERT_COLS " FROM certs WHERE serial = ?1",
    [ST_CERT_REVOKE] = "UPDATE certs SET revoked_at = ?2, revoke_reason = ?3 "
                       "WHERE serial = ?1 AND revoked_at IS NULL",
    [ST_CERTS_ALL] = "SELECT " CERT_COLS " FROM certs ORDER BY serial",
    [ST_CERTS_BY_NAME] = "SELECT c.serial, c.device_id, c.not_before, c.not_after, c.revoked_at, "
                         "c.revoke_reason, c.der FROM cert_names n JOIN certs c ON c.serial = n.serial "
                         "WHERE n.name = ?1 ORDER BY c.not_before DESC",
    [ST_CERTS_EXPIRING] = "SELECT " CERT_COLS " FROM certs WHERE not_after < ?1 "
                          "AND revoked_at IS NULL ORDER BY not_after",
    /* Without statistics the planner scans the whole table for ORDER BY
     * serial (or walks certs_by_expiry): name the partial index, so a CRL
     * costs the revoked rows, not every certificate. */
    [ST_CERTS_REVOKED] = "SELECT " CERT_COLS " FROM certs INDEXED BY certs_revoked "
                         "WHERE revoked_at IS NOT NULL AND not_after >= ?1 ORDER BY serial",
    [ST_NAME_GET] = "SELECT device_id, is_hex FROM names WHERE name = ?1",
    [ST_NAME_ADDRS] = "SELECT address FROM name_addresses WHERE name = ?1 ORDER BY address",
    [ST_DNS_KEY_PUT] = "INSERT INTO dns_keys(name, algorithm, secret, device_id, created) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_DNS_KEY_GET] = "SELECT k.name, k.algorithm, k.secret, k.device_id, k.created, d.status "
                       "FROM dns_keys k LEFT JOIN devices d ON d.id = k.device_id "
                       "WHERE k.name = ?1",
    [ST_DNS_KEY_DELETE] = "DELETE FROM dns_keys WHERE name = ?1",
    [ST_DNS_KEYS_ALL] = "SELECT k.name, k.algorithm, NULL, k.device_id, k.created, d.status "
                        "FROM dns_keys k LEFT JOIN devices d ON d.id = k.device_id ORDER BY k.name",
    [ST_CERT_NAMES] = "SELECT name FROM cert_names WHERE serial = ?1 ORDER BY name",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_SET] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [ST_DEVICE_GET] = "SELECT id, status, created FROM devices WHERE id = ?1",
    [ST_DEVICE_BY_KEY_FULL] = "SELECT id, status, created FROM devices WHERE key_id = ?1",
    [ST_DEVICE_INSERT] = "INSERT INTO devices(key_id, status, created) VALUES (?1, ?2, ?3)",
    [ST_DEVICE_SET_STATUS] = "UPDATE devices SET status = ?2 WHERE id = ?1",
    [ST_DEVICES_ALL] = "SELECT id, status, created FROM devices ORDER BY id",
    [ST_DEVICE_NAMES] = "SELECT name, is_hex FROM names WHERE device_id = ?1 ORDER BY name",
    [ST_DEVICE_NAMES_DELETE] = "DELETE FROM names WHERE device_id = ?1",
    [ST_DEVICE_KEYS_DELETE] = "DELETE FROM dns_keys WHERE device_id = ?1",
    [ST_DEVICE_CERTS] = "SELECT " CERT_COLS " FROM certs WHERE device_id = ?1 "
                        "ORDER BY not_before DESC, serial",
    [ST_ENROLLMENT_PUT] = "INSERT OR REPLACE INTO enrollments(device_id, csr, names, peer, "
                          "key_fetched, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_ENROLLMENT_GET] = "SELECT device_id, csr, names, peer, key_fetched, created "
                          "FROM enrollments WHERE device_id = ?1",
    [ST_ENROLLMENT_KEY_FETCHED] = "UPDATE enrollments SET key_fetched = 1 WHERE device_id = ?1",
    [ST_TOKEN_PUT] = "INSERT INTO tokens(hash, names, created, expires) VALUES (?1, ?2, ?3, ?4)",
    [ST_TOKEN_FIND] = "SELECT id, hash, names, created, expires, used_at FROM tokens WHERE hash = ?1",
    [ST_TOKEN_USE] = "UPDATE tokens SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL",
    [ST_DEVICE_SET_KEY] = "UPDATE devices SET key_id = ?2 WHERE id = ?1",
    [ST_JWS_SEEN_PRUNE] = "DELETE FROM jws_seen WHERE expires < ?1",
    [ST_JWS_SEEN_ADD] = "INSERT INTO jws_seen(id, expires) VALUES (?1, ?2)",
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT_]; /* prepared on first use: see stmt_get */
};

/* stmt_get returns statement |id|, preparing it on first use. A handle
 * prepares only what its owner runs: each prepared statement costs some
 * 3.5 KiB, and the daemon keeps several handles (one per service) that each
 * run a handful of the ~50. NULL when preparing fails; SQLite's bind, step,
 * column and reset calls take NULL as misuse and the caller reports the
 * step's failure, with the prepare error still in sqlite3_errmsg. */
static sqlite3_stmt *stmt_get(struct store *s, enum stmt_id id)
{
    if (!s->stmt[id] && sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                           &s->stmt[id], NULL) != SQLITE_OK)
        s->stmt[id] = NULL;
    return s->stmt[id];
}

/* clear_bindings is sqlite3_clear_bindings that takes NULL, as the other
 * calls do (SQLite checks NULL there only with SQLITE_ENABLE_API_ARMOR). */
static void clear_bindings(sqlite3_stmt *st)
{
    if (st)
        sqlite3_clear_bindings(st);
}

static int fail_db(struct store *s, struct lc_err *err, const char *what)
{
    return lc_fail(err, LC_E_STORE, "%s: %s", what, s->db ? sqlite3_errmsg(s->db) : "no database");
}

/* run_stmt steps a statement that returns no rows, then resets it. */
static int run_stmt(struct store *s, enum stmt_id id, struct lc_err *err, const char *what)
{
    sqlite3_stmt *st = stmt_get(s, id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    clear_bindings(st);
    if (rc != SQLITE_DONE)
        return fail_db(s, err, what);
    return LC_OK;
}

static int exec_sql(struct store *s, const char *sql, struct lc_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = lc_fail(err, LC_E_STORE, "%s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return rc;
    }
    return LC_OK;
}

static int migrate(struct store *s, struct lc_err *err)
{
    sqlite3_stmt *st = NULL;
    int version = -1, rc;
    char sql[64];

    if ((rc = exec_sql(s, "BEGIN IMMEDIATE", err)) != LC_OK)
        return rc;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version < 0) {
        rc = fail_db(s, err, "reading the schema version");
        goto fail;
    }
    if (version > SCHEMA_VERSION) {
        rc = lc_fail(err, LC_E_STORE,
                     "the store has schema version %d; this lancert knows up to %d (downgrade?)",
                     version, SCHEMA_VERSION);
        goto fail;
    }
    for (; version < SCHEMA_VERSION; version++)
        if ((rc = exec_sql(s, migrations[version], err)) != LC_OK)
            goto fail;
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
    if ((rc = exec_sql(s, sql, err)) != LC_OK)
        goto fail;
    return exec_sql(s, "COMMIT", err);
fail:
    exec_sql(s, "ROLLBACK", NULL);
    return rc;
}

static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

/* sqlite_setup runs once, before SQLite initialises. SQLite otherwise
 * mallocs 20 pages (~80 KiB) up front for every handle's page cache, and
 * lancertd keeps a handle per service: pages come one at a time as they are
 * used instead. A library that initialised SQLite first makes this a no-op. */
static void sqlite_setup(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)0, 0, 0);
}

int store_open(struct store **out, const char *dir, struct lc_err *err)
{
    char path[PATH_MAX];
    struct store *s = calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return lc_fail(err, LC_E_NOMEM, "out of memory opening the store");
    pthread_once(&sqlite_once, sqlite_setup);
    snprintf(path, sizeof(path), "%s/" STORE_DB_NAME, dir);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                          SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = lc_fail(err, LC_E_STORE, "cannot open %s: %s", path,
                     s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 10000);
    /* WAL lets the CLI read while the daemon writes; FULL syncs the WAL on
     * every commit, so a commit that returned survives a power cut. A small
     * page cache keeps a router's memory free. */
    if ((rc = exec_sql(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                          "PRAGMA foreign_keys = ON; PRAGMA cache_size = -512;"
                          "PRAGMA secure_delete = ON;", err)) != LC_OK)
        goto fail;
    if ((rc = migrate(s, err)) != LC_OK)
        goto fail;
    *out = s;
    return LC_OK;
fail:
    store_free(s);
    return rc;
}

int store_prepare_all(struct store *s, struct lc_err *err)
{
    for (int i = 0; i < ST_COUNT_; i++)
        if (!stmt_get(s, (enum stmt_id)i))
            return lc_fail(err, LC_E_STORE, "preparing statement %d (%.40s...): %s", i,
                           stmt_sql[i], sqlite3_errmsg(s->db));
    return LC_OK;
}

void store_free(struct store *s)
{
    if (!s)
        return;
    for (int i = 0; i < ST_COUNT_; i++)
        sqlite3_finalize(s->stmt[i]);
    sqlite3_close(s->db);
    free(s);
}

int store_schema_version(struct store *s)
{
    (void)s;
    return SCHEMA_VERSION;
}

int store_begin(struct store *s, struct lc_err *err)
{
    return run_stmt(s, ST_BEGIN, err, "starting a transaction");
}

int store_commit(struct store *s, struct lc_err *err)
{
    return run_stmt(s, ST_COMMIT, err, "committing");
}

void store_rollback(struct store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        (void)run_stmt(s, ST_ROLLBACK, NULL, "rolling back");
}

int store_savepoint(struct store *s, struct lc_err *err)
{
    return run_stmt(s, ST_SAVEPOINT, err, "starting a savepoint");
}

int store_release(struct store *s, struct lc_err *err)
{
    return run_stmt(s, ST_RELEASE, err, "releasing a savepoint");
}

void store_rollback_to(struct store *s)
{
    /* ROLLBACK TO keeps the savepoint open; RELEASE then drops it. */
    (void)run_stmt(s, ST_ROLLBACK_TO, NULL, "rolling back a savepoint");
    (void)run_stmt(s, ST_RELEASE, NULL, "releasing a savepoint");
}

int store_device_for_key(struct store *s, int64_t *out_id, const uint8_t key_id[STORE_KEY_ID_LEN],
                         bool create, struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_DEVICE_BY_KEY);
    sqlite3_bind_blob(st, 1, key_id, STORE_KEY_ID_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out_id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    clear_bindings(st);
    if (rc == SQLITE_ROW)
        return LC_OK;
    if (rc != SQLITE_DONE)
        return fail_db(s, err, "looking up a device");
    if (!create)
        return lc_fail(err, LC_E_NOTFOUND, "no device has this key");
    st = stmt_get(s, ST_DEVICE_ADD);
    sqlite3_bind_blob(st, 1, key_id, STORE_KEY_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
    if ((rc = run_stmt(s, ST_DEVICE_ADD, err, "adding a device")) != LC_OK)
        return rc;
    *out_id = sqlite3_last_insert_rowid(s->db);
    return LC_OK;
}

int store_name_claim(struct store *s, const char *name, int64_t device_id, bool is_hex,
                     struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_NAME_OWNER);
    int64_t owner = 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        owner = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail_db(s, err, "looking up a name");
    if (rc == SQLITE_ROW && owner == device_id)
        return LC_OK;
    if (rc == SQLITE_ROW && !is_hex)
        return lc_fail(err, LC_E_NAME_TAKEN, "%s is held by another device's key", name);
    if (rc == SQLITE_ROW) {
        /* A hex name follows whoever last proved control of its address. */
        st = stmt_get(s, ST_NAME_MOVE);
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, device_id);
        return run_stmt(s, ST_NAME_MOVE, err, "moving a hex name");
    }
    st = stmt_get(s, ST_NAME_ADD);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, device_id);
    sqlite3_bind_int(st, 3, is_hex);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
    return run_stmt(s, ST_NAME_ADD, err, "recording a name");
}

int store_serial_exists(struct store *s, bool *out, const uint8_t serial[STORE_SERIAL_LEN],
                        struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_SERIAL_EXISTS);
    sqlite3_bind_blob(st, 1, serial, STORE_SERIAL_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail_db(s, err, "looking up a serial");
    *out = rc == SQLITE_ROW;
    return LC_OK;
}

int store_cert_put(struct store *s, const struct store_cert *c, const char *const *names,
                   size_t n_names, struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_CERT_PUT);
    int rc;
    sqlite3_bind_blob(st, 1, c->serial, STORE_SERIAL_LEN, SQLITE_STATIC);
    if (c->device_id)
        sqlite3_bind_int64(st, 2, c->device_id);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_int64(st, 3, c->not_before);
    sqlite3_bind_int64(st, 4, c->not_after);
    sqlite3_bind_blob(st, 5, c->der, (int)c->der_len, SQLITE_STATIC);
    rc = sqlite3_step(st);
    /* Only the primary key means a used serial; a missing device is not. */
    int ext_rc = sqlite3_extended_errcode(s->db);
    sqlite3_reset(st);
    clear_bindings(st);
    if (rc == SQLITE_CONSTRAINT && ext_rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return lc_fail(err, LC_E_EXISTS, "serial already used");
    if (rc != SQLITE_DONE)
        return fail_db(s, err, "storing a certificate");
    for (size_t i = 0; i < n_names; i++) {
        st = stmt_get(s, ST_CERT_NAME_PUT);
        sqlite3_bind_text(st, 1, names[i], -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, c->serial, STORE_SERIAL_LEN, SQLITE_STATIC);
        if ((rc = run_stmt(s, ST_CERT_NAME_PUT, err, "indexing a certificate's name")) != LC_OK)
            return rc;
    }
    return LC_OK;
}

/* row_to_cert reads the CERT_COLS of the current row; der stays in SQLite's
 * buffer until the next step or reset. */
static void row_to_cert(sqlite3_stmt *st, struct store_cert *c)
{
    memset(c, 0, sizeof(*c));
    if (sqlite3_column_bytes(st, 0) == STORE_SERIAL_LEN)
        memcpy(c->serial, sqlite3_column_blob(st, 0), STORE_SERIAL_LEN);
    c->device_id = sqlite3_column_int64(st, 1);
    c->not_before = sqlite3_column_int64(st, 2);
    c->not_after = sqlite3_column_int64(st, 3);
    c->revoked_at = sqlite3_column_int64(st, 4);
    c->revoke_reason = sqlite3_column_int(st, 5);
    c->der = sqlite3_column_blob(st, 6);
    c->der_len = (size_t)sqlite3_column_bytes(st, 6);
}

int store_cert_get(struct store *s, struct store_cert *out, const uint8_t serial[STORE_SERIAL_LEN],
                   struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_CERT_GET);
    struct store_cert c;
    int rc;
    sqlite3_bind_blob(st, 1, serial, STORE_SERIAL_LEN, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row_to_cert(st, &c);
        uint8_t *der = malloc(c.der_len ? c.der_len : 1);
        if (!der) {
            rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        } else {
            memcpy(der, c.der, c.der_len);
            c.der = der;
            *out = c;
            rc = LC_OK;
        }
    } else if (rc == SQLITE_DONE) {
        rc = lc_fail(err, LC_E_NOTFOUND, "no certificate has this serial");
    } else {
        rc = fail_db(s, err, "reading a certificate");
    }
    sqlite3_reset(st);
    clear_bindings(st);
    return rc;
}

int store_cert_revoke(struct store *s, const uint8_t serial[STORE_SERIAL_LEN], int reason,
                      int64_t when, struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_CERT_REVOKE);
    int rc;
    sqlite3_bind_blob(st, 1, serial, STORE_SERIAL_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, when);
    sqlite3_bind_int(st, 3, reason);
    if ((rc = run_stmt(s, ST_CERT_REVOKE, err, "revoking")) != LC_OK)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return lc_fail(err, LC_E_NOTFOUND, "no unrevoked certificate has this serial");
    return LC_OK;
}

/* certs_walk steps |st|, a bound statement selecting CERT_COLS, through
 * |fn| row by row, then resets it. */
static int certs_walk(struct store *s, sqlite3_stmt *st, store_cert_fn fn, void *ctx,
                      struct lc_err *err, const char *what)
{
    int rc = LC_OK, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_cert c;
        row_to_cert(st, &c);
        if ((rc = fn(ctx, &c)) != 0)
            break;
    }
    if (rc == LC_OK && step != SQLITE_DONE)
        rc = fail_db(s, err, what);
    sqlite3_reset(st);
    clear_bindings(st);
    return rc;
}

int store_cert_each(struct store *s, enum store_cert_filter filter, const char *arg_name,
                    int64_t arg_time, store_cert_fn fn, void *ctx, struct lc_err *err)
{
    static const enum stmt_id ids[] = {
        [STORE_CERTS_ALL] = ST_CERTS_ALL,
        [STORE_CERTS_BY_NAME] = ST_CERTS_BY_NAME,
        [STORE_CERTS_EXPIRING] = ST_CERTS_EXPIRING,
        [STORE_CERTS_REVOKED] = ST_CERTS_REVOKED,
    };
    sqlite3_stmt *st = stmt_get(s, ids[filter]);
    if (filter == STORE_CERTS_BY_NAME)
        sqlite3_bind_text(st, 1, arg_name, -1, SQLITE_STATIC);
    else if (filter != STORE_CERTS_ALL)
        sqlite3_bind_int64(st, 1, arg_time);
    return certs_walk(s, st, fn, ctx, err, "listing certificates");
}

#define NAME_MAX_ADDRS 16

int store_names_each(struct store *s, store_name_fn fn, void *ctx, struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_NAMES_EACH);
    char name[256] = "";
    uint8_t addrs[NAME_MAX_ADDRS][16];
    const uint8_t *ptrs[NAME_MAX_ADDRS];
    size_t lens[NAME_MAX_ADDRS], n = 0;
    bool have = false;
    int step, rc = LC_OK;
    for (size_t i = 0; i < NAME_MAX_ADDRS; i++)
        ptrs[i] = addrs[i];
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *row_name = (const char *)sqlite3_column_text(st, 0);
        if (!row_name || strlen(row_name) >= sizeof(name))
            continue;
        if (have && strcmp(row_name, name) != 0) {
            if ((rc = fn(ctx, name, ptrs, lens, n)) != 0)
                break;
            n = 0;
        }
        snprintf(name, sizeof(name), "%s", row_name);
        have = true;
        int alen = sqlite3_column_bytes(st, 1);
        if ((alen == 4 || alen == 16) && n < NAME_MAX_ADDRS) {
            memcpy(addrs[n], sqlite3_column_blob(st, 1), (size_t)alen);
            lens[n++] = (size_t)alen;
        }
    }
    if (rc == LC_OK && step != SQLITE_DONE)
        rc = fail_db(s, err, "listing names");
    else if (rc == LC_OK && have)
        rc = fn(ctx, name, ptrs, lens, n);
    sqlite3_reset(st);
    return rc;
}

int store_name_set_addrs(struct store *s, const char *name, const uint8_t *const *addrs,
                         const size_t *addr_lens, size_t n_addrs, struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_NAME_EXISTS);
    int rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    clear_bindings(st);
    if (rc == SQLITE_DONE)
        return lc_fail(err, LC_E_NOTFOUND, "no device holds %s", name);
    if (rc != SQLITE_ROW)
        return fail_db(s, err, "looking up a name");
    sqlite3_bind_text(stmt_get(s, ST_NAME_ADDRS_CLEAR), 1, name, -1, SQLITE_STATIC);
    if ((rc = run_stmt(s, ST_NAME_ADDRS_CLEAR, err, "clearing addresses")) != LC_OK)
        return rc;
    for (size_t i = 0; i < n_addrs; i++) {
        st = stmt_get(s, ST_NAME_ADDR_ADD);
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, addrs[i], (int)addr_lens[i], SQLITE_STATIC);
        if ((rc = run_stmt(s, ST_NAME_ADDR_ADD, err, "recording an address")) != LC_OK)
            return rc;
    }
    return LC_OK;
}

int store_count(struct store *s, int64_t *out, const char *table, struct lc_err *err)
{
    static const char *const allowed[] = {"certs", "devices", "names", "tokens"};
    char sql[64];
    sqlite3_stmt *st = NULL;
    int ok = 0;
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
        if (strcmp(table, allowed[i]) == 0) {
            snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", allowed[i]);
            ok = 1;
        }
    if (!ok)
        return lc_fail(err, LC_E_INTERNAL, "no table %s", table);
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return fail_db(s, err, "counting");
    }
    *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return LC_OK;
}

int store_integrity_check(struct store *s, struct lc_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = LC_OK;
    if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
        return fail_db(s, err, "integrity check");
    if (sqlite3_step(st) != SQLITE_ROW)
        rc = fail_db(s, err, "integrity check");
    else if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
        rc = lc_fail(err, LC_E_STORE, "integrity check: %.100s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc;
}

/* ---- names, one at a time -------------------------------------------------- */

int store_name_get(struct store *s, struct store_name *out, const char *name, struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_NAME_GET);
    struct store_name n;
    int rc, step;
    memset(&n, 0, sizeof(n));
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        n.device_id = sqlite3_column_int64(st, 0);
        n.is_hex = sqlite3_column_int(st, 1) != 0;
    }
    sqlite3_reset(st);
    clear_bindings(st);
    if (step == SQLITE_DONE)
        return lc_fail(err, LC_E_NOTFOUND, "no device holds %s", name);
    if (step != SQLITE_ROW)
        return fail_db(s, err, "looking up a name");
    st = stmt_get(s, ST_NAME_ADDRS);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int alen = sqlite3_column_bytes(st, 0);
        if ((alen == 4 || alen == 16) && n.n_addrs < STORE_NAME_MAX_ADDRS) {
            memcpy(n.addrs[n.n_addrs], sqlite3_column_blob(st, 0), (size_t)alen);
            n.addr_lens[n.n_addrs++] = (size_t)alen;
        }
    }
    rc = step == SQLITE_DONE ? LC_OK : fail_db(s, err, "reading a name's addresses");
    sqlite3_reset(st);
    clear_bindings(st);
    if (rc == LC_OK)
        *out = n;
    return rc;
}

/* ---- TSIG keys ---------------------------------------------------------------- */

static const struct {
    const char *name;
    size_t secret_len;
} dns_key_algs[] = {
    {"hmac-sha256", 32},
    {"hmac-sha512", 64},
};

void store_dns_key_cleanup(struct store_dns_key *k)
{
    OPENSSL_cleanse(k->secret, sizeof(k->secret));
    k->secret_len = 0;
}

/* row_to_dns_key reads the columns of ST_DNS_KEY_GET / ST_DNS_KEYS_ALL; the
 * secret only when the row has one. */
static bool row_to_dns_key(sqlite3_stmt *st, struct store_dns_key *k)
{
    const char *name = (const char *)sqlite3_column_text(st, 0);
    const char *alg = (const char *)sqlite3_column_text(st, 1);
    const char *status = (const char *)sqlite3_column_text(st, 5);
    int secret_len = sqlite3_column_bytes(st, 2);
    memset(k, 0, sizeof(*k));
    if (!name || !alg || strlen(name) >= sizeof(k->name) || strlen(alg) >= sizeof(k->algorithm) ||
        secret_len < 0 || (size_t)secret_len > sizeof(k->secret))
        return false;
    memcpy(k->name, name, strlen(name) + 1);
    memcpy(k->algorithm, alg, strlen(alg) + 1);
    if (secret_len > 0)
        memcpy(k->secret, sqlite3_column_blob(st, 2), (size_t)secret_len);
    k->secret_len = (size_t)secret_len;
    k->device_id = sqlite3_column_int64(st, 3);
    k->created = sqlite3_column_int64(st, 4);
    k->device_active = k->device_id != 0 && status && strcmp(status, "active") == 0;
    return true;
}

int store_dns_key_make(struct store *s, struct store_dns_key *out, const char *name,
                       const char *algorithm, int64_t device_id, struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_DNS_KEY_PUT);
    struct store_dns_key k;
    size_t secret_len = 0;
    int rc, step, ext;

    memset(&k, 0, sizeof(k));
    for (size_t i = 0; i < sizeof(dns_key_algs) / sizeof(dns_key_algs[0]); i++)
        if (strcmp(algorithm, dns_key_algs[i].name) == 0)
            secret_len = dns_key_algs[i].secret_len;
    if (secret_len == 0)
        return lc_fail(err, LC_E_KEY, "TSIG algorithm '%.30s' is not hmac-sha256 or hmac-sha512",
                       algorithm);
    if (!name && device_id <= 0)
        return lc_fail(err, LC_E_INTERNAL, "an admin key needs a name");
    if (name)
        snprintf(k.name, sizeof(k.name), "%s", name);
    else
        snprintf(k.name, sizeof(k.name), "%lld." STORE_DEVICE_KEY_SUFFIX, (long long)device_id);
    snprintf(k.algorithm, sizeof(k.algorithm), "%s", algorithm);
    k.device_id = device_id > 0 ? device_id : 0;
    k.device_active = false;
    k.created = (int64_t)time(NULL);
    if (RAND_bytes(k.secret, (int)secret_len) != 1) {
        rc = lc_fail(err, LC_E_CRYPTO, "no random bytes for a TSIG secret");
        goto out;
    }
    k.secret_len = secret_len;
    sqlite3_bind_text(st, 1, k.name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, k.algorithm, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, k.secret, (int)k.secret_len, SQLITE_STATIC);
    if (k.device_id)
        sqlite3_bind_int64(st, 4, k.device_id);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_int64(st, 5, k.created);
    step = sqlite3_step(st);
    ext = sqlite3_extended_errcode(s->db);
    sqlite3_reset(st);
    clear_bindings(st);
    if (step == SQLITE_CONSTRAINT && ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        rc = lc_fail(err, LC_E_EXISTS, "a DNS key named %s exists already", k.name);
    else if (step == SQLITE_CONSTRAINT && ext == SQLITE_CONSTRAINT_FOREIGNKEY)
        rc = lc_fail(err, LC_E_NOTFOUND, "no device %lld", (long long)k.device_id);
    else if (step != SQLITE_DONE)
        rc = fail_db(s, err, "storing a DNS key");
    else
        rc = LC_OK;
    if (rc == LC_OK) {
        k.device_active = k.device_id != 0;
        *out = k;
    }
out:
    store_dns_key_cleanup(&k);
    return rc;
}

int store_dns_key_get(struct store *s, struct store_dns_key *out, const char *name,
                      struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_DNS_KEY_GET);
    int rc, step;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = row_to_dns_key(st, out) ? LC_OK
                                     : lc_fail(err, LC_E_STORE, "the DNS key %s is damaged", name);
    else if (step == SQLITE_DONE)
        rc = lc_fail(err, LC_E_NOTFOUND, "no DNS key named %s", name);
    else
        rc = fail_db(s, err, "reading a DNS key");
    sqlite3_reset(st);
    clear_bindings(st);
    return rc;
}

int store_dns_key_delete(struct store *s, const char *name, struct lc_err *err)
{
    int rc;
    sqlite3_bind_text(stmt_get(s, ST_DNS_KEY_DELETE), 1, name, -1, SQLITE_STATIC);
    if ((rc = run_stmt(s, ST_DNS_KEY_DELETE, err, "deleting a DNS key")) != LC_OK)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return lc_fail(err, LC_E_NOTFOUND, "no DNS key named %s", name);
    return LC_OK;
}

int store_dns_keys_each(struct store *s, store_dns_key_fn fn, void *ctx, struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_DNS_KEYS_ALL);
    int rc = LC_OK, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_dns_key k;
        if (!row_to_dns_key(st, &k)) {
            rc = lc_fail(err, LC_E_STORE, "a row of dns_keys is damaged");
            break;
        }
        if ((rc = fn(ctx, &k)) != 0)
            break;
    }
    if (rc == LC_OK && step != SQLITE_DONE)
        rc = fail_db(s, err, "listing DNS keys");
    sqlite3_reset(st);
    return rc;
}

int store_meta_get(struct store *s, char *out, size_t out_len, const char *key, struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_META_GET);
    int rc, step;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        size_t n = v ? (size_t)sqlite3_column_bytes(st, 0) : 0;
        if (!v || n >= out_len) {
            rc = lc_fail(err, LC_E_STORE, "meta value %s is missing or too long", key);
        } else {
            memcpy(out, v, n + 1);
            rc = LC_OK;
        }
    } else if (step == SQLITE_DONE) {
        rc = lc_fail(err, LC_E_NOTFOUND, "the store has no %s", key);
    } else {
        rc = fail_db(s, err, "reading a meta value");
    }
    sqlite3_reset(st);
    clear_bindings(st);
    return rc;
}

int store_meta_set(struct store *s, const char *key, const char *value, struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_META_SET);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return run_stmt(s, ST_META_SET, err, "writing a meta value");
}

int store_cert_names_each(struct store *s, const uint8_t serial[STORE_SERIAL_LEN],
                          store_cert_name_fn fn, void *ctx, struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_CERT_NAMES);
    int rc = LC_OK, step;
    sqlite3_bind_blob(st, 1, serial, STORE_SERIAL_LEN, SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (name && (rc = fn(ctx, name)) != 0)
            break;
    }
    if (rc == LC_OK && step != SQLITE_DONE)
        rc = fail_db(s, err, "listing a certificate's names");
    sqlite3_reset(st);
    clear_bindings(st);
    return rc;
}

/* ---- devices, enrolments and enrolment tokens ------------------------------ */

static const char *const device_status_names[] = {
    [STORE_DEVICE_PENDING] = "pending",
    [STORE_DEVICE_ACTIVE] = "active",
    [STORE_DEVICE_REVOKED] = "revoked",
};

const char *store_device_status_name(enum store_device_status status)
{
    return device_status_names[status];
}

static void row_to_device(sqlite3_stmt *st, struct store_device *d)
{
    const char *status = (const char *)sqlite3_column_text(st, 1);
    memset(d, 0, sizeof(*d));
    d->id = sqlite3_column_int64(st, 0);
    d->status = STORE_DEVICE_REVOKED; /* the CHECK constraint allows nothing else */
    for (int i = 0; status && i <= STORE_DEVICE_REVOKED; i++)
        if (strcmp(status, device_status_names[i]) == 0)
            d->status = (enum store_device_status)i;
    d->created = sqlite3_column_int64(st, 2);
}

/* device_read runs a statement that selects one device row. */
static int device_read(struct store *s, struct store_device *out, enum stmt_id id,
                       struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, id);
    int step = sqlite3_step(st), rc;
    if (step == SQLITE_ROW) {
        row_to_device(st, out);
        rc = LC_OK;
    } else if (step == SQLITE_DONE) {
        rc = lc_fail(err, LC_E_NOTFOUND, "no such device");
    } else {
        rc = fail_db(s, err, "reading a device");
    }
    sqlite3_reset(st);
    clear_bindings(st);
    return rc;
}

int store_device_get(struct store *s, struct store_device *out, int64_t id, struct lc_err *err)
{
    sqlite3_bind_int64(stmt_get(s, ST_DEVICE_GET), 1, id);
    return device_read(s, out, ST_DEVICE_GET, err);
}

int store_device_by_key(struct store *s, struct store_device *out,
                        const uint8_t key_id[STORE_KEY_ID_LEN], struct lc_err *err)
{
    sqlite3_bind_blob(stmt_get(s, ST_DEVICE_BY_KEY_FULL), 1, key_id, STORE_KEY_ID_LEN, SQLITE_STATIC);
    return device_read(s, out, ST_DEVICE_BY_KEY_FULL, err);
}

int store_device_add(struct store *s, int64_t *out_id, const uint8_t key_id[STORE_KEY_ID_LEN],
                     enum store_device_status status, struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_DEVICE_INSERT);
    int step, ext;
    sqlite3_bind_blob(st, 1, key_id, STORE_KEY_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, device_status_names[status], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
    step = sqlite3_step(st);
    ext = sqlite3_extended_errcode(s->db);
    sqlite3_reset(st);
    clear_bindings(st);
    if (step == SQLITE_CONSTRAINT && ext == SQLITE_CONSTRAINT_UNIQUE)
        return lc_fail(err, LC_E_EXISTS, "a device has this key already");
    if (step != SQLITE_DONE)
        return fail_db(s, err, "adding a device");
    *out_id = sqlite3_last_insert_rowid(s->db);
    return LC_OK;
}

int store_device_set_status(struct store *s, int64_t id, enum store_device_status status,
                            struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_DEVICE_SET_STATUS);
    int rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, device_status_names[status], -1, SQLITE_STATIC);
    if ((rc = run_stmt(s, ST_DEVICE_SET_STATUS, err, "changing a device's status")) != LC_OK)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return lc_fail(err, LC_E_NOTFOUND, "no device %lld", (long long)id);
    return LC_OK;
}

int store_devices_each(struct store *s, store_device_fn fn, void *ctx, struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_DEVICES_ALL);
    int rc = LC_OK, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_device d;
        row_to_device(st, &d);
        if ((rc = fn(ctx, &d)) != 0)
            break;
    }
    if (rc == LC_OK && step != SQLITE_DONE)
        rc = fail_db(s, err, "listing devices");
    sqlite3_reset(st);
    return rc;
}

int store_device_names_each(struct store *s, int64_t id, store_device_name_fn fn, void *ctx,
                            struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_DEVICE_NAMES);
    int rc = LC_OK, step;
    sqlite3_bind_int64(st, 1, id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (name && (rc = fn(ctx, name, sqlite3_column_int(st, 1) != 0)) != 0)
            break;
    }
    if (rc == LC_OK && step != SQLITE_DONE)
        rc = fail_db(s, err, "listing a device's names");
    sqlite3_reset(st);
    clear_bindings(st);
    return rc;
}

int store_device_certs_each(struct store *s, int64_t id, store_cert_fn fn, void *ctx,
                            struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_DEVICE_CERTS);
    sqlite3_bind_int64(st, 1, id);
    return certs_walk(s, st, fn, ctx, err, "listing a device's certificates");
}

int store_devices_release_name(struct store *s, int64_t *out_n, const char *name,
                               struct lc_err *err)
{
    /* Run once at start, so not a cached statement. Certificates fall to
     * no device (ON DELETE SET NULL); names, their addresses, DNS keys and
     * enrolments are deleted (ON DELETE CASCADE). */
    static const char sql[] =
        "DELETE FROM devices WHERE id IN ("
        "  SELECT c.device_id FROM cert_names n JOIN certs c ON c.serial = n.serial"
        "  WHERE n.name = ?1 AND c.device_id IS NOT NULL)"
        " AND NOT EXISTS (SELECT 1 FROM certs o WHERE o.device_id = devices.id"
        "  AND NOT EXISTS (SELECT 1 FROM cert_names m WHERE m.serial = o.serial AND m.name = ?1))";
    sqlite3_stmt *st = NULL;
    int rc = LC_OK;
    *out_n = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE)
        rc = fail_db(s, err, "releasing the gateway's devices");
    else
        *out_n = sqlite3_changes(s->db);
    sqlite3_finalize(st);
    return rc;
}

int store_device_forget(struct store *s, int64_t id, struct lc_err *err)
{
    int rc;
    /* Names take their addresses with them (ON DELETE CASCADE). */
    sqlite3_bind_int64(stmt_get(s, ST_DEVICE_NAMES_DELETE), 1, id);
    if ((rc = run_stmt(s, ST_DEVICE_NAMES_DELETE, err, "deleting a device's names")) != LC_OK)
        return rc;
    sqlite3_bind_int64(stmt_get(s, ST_DEVICE_KEYS_DELETE), 1, id);
    if ((rc = run_stmt(s, ST_DEVICE_KEYS_DELETE, err, "deleting a device's DNS keys")) != LC_OK)
        return rc;
    return store_device_set_status(s, id, STORE_DEVICE_REVOKED, err);
}

int store_enrollment_put(struct store *s, const struct store_enrollment *e, struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_ENROLLMENT_PUT);
    if (e->peer_len != 4 && e->peer_len != 16)
        return lc_fail(err, LC_E_INTERNAL, "an enrolment's address is 4 or 16 bytes");
    sqlite3_bind_int64(st, 1, e->device_id);
    sqlite3_bind_blob(st, 2, e->csr, (int)e->csr_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, e->names, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, e->peer, (int)e->peer_len, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, e->key_fetched);
    sqlite3_bind_int64(st, 6, e->created ? e->created : (int64_t)time(NULL));
    return run_stmt(s, ST_ENROLLMENT_PUT, err, "recording an enrolment");
}

int store_enrollment_get(struct store *s, struct store_enrollment *out, int64_t device_id,
                         struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_ENROLLMENT_GET);
    struct store_enrollment e;
    int step, rc;
    memset(&e, 0, sizeof(e));
    sqlite3_bind_int64(st, 1, device_id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const char *names = (const char *)sqlite3_column_text(st, 2);
        int csr_len = sqlite3_column_bytes(st, 1), peer_len = sqlite3_column_bytes(st, 3);
        uint8_t *csr = malloc(csr_len > 0 ? (size_t)csr_len : 1);
        e.device_id = sqlite3_column_int64(st, 0);
        e.key_fetched = sqlite3_column_int(st, 4) != 0;
        e.created = sqlite3_column_int64(st, 5);
        if (!csr) {
            rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        } else if (!names || strlen(names) >= sizeof(e.names) ||
                   (peer_len != 4 && peer_len != 16)) {
            free(csr);
            rc = lc_fail(err, LC_E_STORE, "the enrolment of device %lld is damaged",
                         (long long)device_id);
        } else {
            memcpy(csr, sqlite3_column_blob(st, 1), (size_t)csr_len);
            e.csr = csr;
            e.csr_len = (size_t)csr_len;
            memcpy(e.names, names, strlen(names) + 1);
            memcpy(e.peer, sqlite3_column_blob(st, 3), (size_t)peer_len);
            e.peer_len = (size_t)peer_len;
            *out = e;
            rc = LC_OK;
        }
    } else if (step == SQLITE_DONE) {
        rc = lc_fail(err, LC_E_NOTFOUND, "device %lld has no enrolment", (long long)device_id);
    } else {
        rc = fail_db(s, err, "reading an enrolment");
    }
    sqlite3_reset(st);
    clear_bindings(st);
    return rc;
}

void store_enrollment_cleanup(struct store_enrollment *e)
{
    free((void *)(uintptr_t)e->csr);
    e->csr = NULL;
    e->csr_len = 0;
}

int store_enrollment_key_fetched(struct store *s, int64_t device_id, struct lc_err *err)
{
    sqlite3_bind_int64(stmt_get(s, ST_ENROLLMENT_KEY_FETCHED), 1, device_id);
    return run_stmt(s, ST_ENROLLMENT_KEY_FETCHED, err, "marking an update key fetched");
}

int store_token_put(struct store *s, int64_t *out_id, const struct store_token *t,
                    struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_TOKEN_PUT);
    int rc;
    sqlite3_bind_blob(st, 1, t->hash, STORE_TOKEN_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, t->names, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, t->created);
    sqlite3_bind_int64(st, 4, t->expires);
    if ((rc = run_stmt(s, ST_TOKEN_PUT, err, "storing a token")) != LC_OK)
        return rc;
    *out_id = sqlite3_last_insert_rowid(s->db);
    return LC_OK;
}

int store_token_find(struct store *s, struct store_token *out,
                     const uint8_t hash[STORE_TOKEN_HASH_LEN], struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_TOKEN_FIND);
    struct store_token t;
    int step, rc;
    memset(&t, 0, sizeof(t));
    sqlite3_bind_blob(st, 1, hash, STORE_TOKEN_HASH_LEN, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const char *names = (const char *)sqlite3_column_text(st, 2);
        /* The index found it; the digests are compared again in constant
         * time, as every secret's are. */
        if (sqlite3_column_bytes(st, 1) != STORE_TOKEN_HASH_LEN || !names ||
            strlen(names) >= sizeof(t.names)) {
            rc = lc_fail(err, LC_E_STORE, "a token row is damaged");
        } else if (CRYPTO_memcmp(sqlite3_column_blob(st, 1), hash, STORE_TOKEN_HASH_LEN) != 0) {
            rc = lc_fail(err, LC_E_NOTFOUND, "no such token");
        } else {
            t.id = sqlite3_column_int64(st, 0);
            memcpy(t.hash, hash, STORE_TOKEN_HASH_LEN);
            memcpy(t.names, names, strlen(names) + 1);
            t.created = sqlite3_column_int64(st, 3);
            t.expires = sqlite3_column_int64(st, 4);
            t.used_at = sqlite3_column_int64(st, 5);
            *out = t;
            rc = LC_OK;
        }
    } else if (step == SQLITE_DONE) {
        rc = lc_fail(err, LC_E_NOTFOUND, "no such token");
    } else {
        rc = fail_db(s, err, "looking up a token");
    }
    sqlite3_reset(st);
    clear_bindings(st);
    return rc;
}

int store_token_use(struct store *s, int64_t id, int64_t when, struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_TOKEN_USE);
    int rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, when);
    if ((rc = run_stmt(s, ST_TOKEN_USE, err, "using a token")) != LC_OK)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return lc_fail(err, LC_E_EXISTS, "the token was used already");
    return LC_OK;
}

/* ---- devices by id, seen requests ------------------------------------------- */

int store_device_status(struct store *s, char out[STORE_STATUS_MAX], int64_t device_id,
                        struct lc_err *err)
{
    struct store_device d;
    int rc = store_device_get(s, &d, device_id, err);
    if (rc == LC_OK)
        snprintf(out, STORE_STATUS_MAX, "%s", store_device_status_name(d.status));
    return rc;
}

int store_device_set_key(struct store *s, int64_t device_id, const uint8_t key_id[STORE_KEY_ID_LEN],
                         struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_DEVICE_SET_KEY);
    int step, ext;
    sqlite3_bind_int64(st, 1, device_id);
    sqlite3_bind_blob(st, 2, key_id, STORE_KEY_ID_LEN, SQLITE_STATIC);
    step = sqlite3_step(st);
    ext = sqlite3_extended_errcode(s->db);
    sqlite3_reset(st);
    clear_bindings(st);
    if (step == SQLITE_CONSTRAINT && ext == SQLITE_CONSTRAINT_UNIQUE)
        return lc_fail(err, LC_E_EXISTS, "this key belongs to another device");
    if (step != SQLITE_DONE)
        return fail_db(s, err, "recording a device's key");
    if (sqlite3_changes(s->db) == 0)
        return lc_fail(err, LC_E_NOTFOUND, "no device %lld", (long long)device_id);
    return LC_OK;
}

int store_jws_seen_add(struct store *s, const uint8_t id[STORE_JWS_ID_LEN], int64_t expires,
                       int64_t now, struct lc_err *err)
{
    sqlite3_stmt *st = stmt_get(s, ST_JWS_SEEN_PRUNE);
    int rc, step, ext;
    sqlite3_bind_int64(st, 1, now);
    if ((rc = run_stmt(s, ST_JWS_SEEN_PRUNE, err, "forgetting expired requests")) != LC_OK)
        return rc;
    st = stmt_get(s, ST_JWS_SEEN_ADD);
    sqlite3_bind_blob(st, 1, id, STORE_JWS_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, expires);
    step = sqlite3_step(st);
    ext = sqlite3_extended_errcode(s->db);
    sqlite3_reset(st);
    clear_bindings(st);
    if (step == SQLITE_CONSTRAINT && ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        return lc_fail(err, LC_E_EXISTS, "this signed request was already used");
    if (step != SQLITE_DONE)
        return fail_db(s, err, "remembering a request");
    return LC_OK;
}
