/* store.c — SQLite behind one small interface. Each statement is prepared
 * once at open; each change runs inside a transaction the caller brackets. */
#include "store/store.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    ST_CERT_PUT,
    ST_CERT_NAME_PUT,
    ST_SERIAL_EXISTS,
    ST_CERT_GET,
    ST_CERT_REVOKE,
    ST_CERTS_ALL,
    ST_CERTS_BY_NAME,
    ST_CERTS_EXPIRING,
    ST_CERTS_REVOKED,
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
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT_];
};

static int fail_db(struct store *s, struct lc_err *err, const char *what)
{
    return lc_fail(err, LC_E_STORE, "%s: %s", what, s->db ? sqlite3_errmsg(s->db) : "no database");
}

/* run_stmt steps a statement that returns no rows, then resets it. */
static int run_stmt(struct store *s, enum stmt_id id, struct lc_err *err, const char *what)
{
    sqlite3_stmt *st = s->stmt[id];
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
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

int store_open(struct store **out, const char *dir, struct lc_err *err)
{
    char path[PATH_MAX];
    struct store *s = calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return lc_fail(err, LC_E_NOMEM, "out of memory opening the store");
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
    for (int i = 0; i < ST_COUNT_; i++)
        if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
                               NULL) != SQLITE_OK) {
            rc = fail_db(s, err, "preparing a statement");
            goto fail;
        }
    *out = s;
    return LC_OK;
fail:
    store_free(s);
    return rc;
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
    sqlite3_stmt *st = s->stmt[ST_DEVICE_BY_KEY];
    sqlite3_bind_blob(st, 1, key_id, STORE_KEY_ID_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out_id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_ROW)
        return LC_OK;
    if (rc != SQLITE_DONE)
        return fail_db(s, err, "looking up a device");
    if (!create)
        return lc_fail(err, LC_E_NOTFOUND, "no device has this key");
    st = s->stmt[ST_DEVICE_ADD];
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
    sqlite3_stmt *st = s->stmt[ST_NAME_OWNER];
    int64_t owner = 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        owner = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail_db(s, err, "looking up a name");
    if (rc == SQLITE_ROW)
        return owner == device_id
                   ? LC_OK
                   : lc_fail(err, LC_E_NAME_TAKEN, "%s is held by another device's key", name);
    st = s->stmt[ST_NAME_ADD];
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, device_id);
    sqlite3_bind_int(st, 3, is_hex);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
    return run_stmt(s, ST_NAME_ADD, err, "recording a name");
}

int store_serial_exists(struct store *s, bool *out, const uint8_t serial[STORE_SERIAL_LEN],
                        struct lc_err *err)
{
    sqlite3_stmt *st = s->stmt[ST_SERIAL_EXISTS];
    sqlite3_bind_blob(st, 1, serial, STORE_SERIAL_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail_db(s, err, "looking up a serial");
    *out = rc == SQLITE_ROW;
    return LC_OK;
}

int store_cert_put(struct store *s, const struct store_cert *c, const char *const *names,
                   size_t n_names, struct lc_err *err)
{
    sqlite3_stmt *st = s->stmt[ST_CERT_PUT];
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
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_CONSTRAINT)
        return lc_fail(err, LC_E_EXISTS, "serial already used");
    if (rc != SQLITE_DONE)
        return fail_db(s, err, "storing a certificate");
    for (size_t i = 0; i < n_names; i++) {
        st = s->stmt[ST_CERT_NAME_PUT];
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
    sqlite3_stmt *st = s->stmt[ST_CERT_GET];
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
    sqlite3_clear_bindings(st);
    return rc;
}

int store_cert_revoke(struct store *s, const uint8_t serial[STORE_SERIAL_LEN], int reason,
                      int64_t when, struct lc_err *err)
{
    sqlite3_stmt *st = s->stmt[ST_CERT_REVOKE];
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

int store_cert_each(struct store *s, enum store_cert_filter filter, const char *arg_name,
                    int64_t arg_time, store_cert_fn fn, void *ctx, struct lc_err *err)
{
    static const enum stmt_id ids[] = {
        [STORE_CERTS_ALL] = ST_CERTS_ALL,
        [STORE_CERTS_BY_NAME] = ST_CERTS_BY_NAME,
        [STORE_CERTS_EXPIRING] = ST_CERTS_EXPIRING,
        [STORE_CERTS_REVOKED] = ST_CERTS_REVOKED,
    };
    sqlite3_stmt *st = s->stmt[ids[filter]];
    int rc = LC_OK, step;
    if (filter == STORE_CERTS_BY_NAME)
        sqlite3_bind_text(st, 1, arg_name, -1, SQLITE_STATIC);
    else if (filter != STORE_CERTS_ALL)
        sqlite3_bind_int64(st, 1, arg_time);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_cert c;
        row_to_cert(st, &c);
        if ((rc = fn(ctx, &c)) != 0)
            break;
    }
    if (rc == LC_OK && step != SQLITE_DONE)
        rc = fail_db(s, err, "listing certificates");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
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
