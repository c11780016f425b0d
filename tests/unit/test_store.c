/* test_store.c — src/store/store.c: schema and settings, durability across
 * reopen, serials never reused, name claims, transactions and savepoints, the
 * certificate queries, DNS keys and the migration that added them, and
 * damaged or future databases. */
#include "store/store.h"

#include <sys/stat.h>

#include <sqlite3.h>

#include "helpers.h"

static char dir[PATH_MAX];

static void setup(void)
{
    th_tmpdir(dir);
}

static void teardown(void)
{
    th_rmtree(dir);
}

static struct store *open_store(void)
{
    struct store *s = NULL;
    struct lc_err err = {LC_OK, ""};
    TH_OK(store_open(&s, dir, &err), err);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* db_exec runs |sql| on the database directly, beside the store. */
static void db_exec(const char *sql)
{
    char path[PATH_MAX];
    sqlite3 *db = NULL;
    char *msg = NULL;
    th_path(path, dir, STORE_DB_NAME);
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql, msg);
    sqlite3_close(db);
}

/* db_text reads one text value with |sql| directly into |out|. */
static void db_text(char *out, size_t out_len, const char *sql)
{
    char path[PATH_MAX];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    th_path(path, dir, STORE_DB_NAME);
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    snprintf(out, out_len, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* free_der frees what store_cert_get allocated; the field is const because
 * store_cert_put borrows it. */
static void free_der(struct store_cert *c)
{
    free((void *)(uintptr_t)c->der);
    c->der = NULL;
}

static void serial_of(uint8_t serial[STORE_SERIAL_LEN], uint8_t b)
{
    memset(serial, b, STORE_SERIAL_LEN);
    serial[0] = (uint8_t)(b & 0x7f);
}

static void key_of(uint8_t key[STORE_KEY_ID_LEN], uint8_t b)
{
    memset(key, b, STORE_KEY_ID_LEN);
}

/* put_cert stores a certificate with serial byte |b|, the given times, a
 * small DER-ish body and |names|. */
static int put_cert(struct store *s, uint8_t b, int64_t device_id, int64_t not_before,
                    int64_t not_after, const char *const *names, size_t n_names,
                    struct lc_err *err)
{
    uint8_t der[64];
    struct store_cert c;
    memset(&c, 0, sizeof(c));
    memset(der, b, sizeof(der));
    serial_of(c.serial, b);
    c.device_id = device_id;
    c.not_before = not_before;
    c.not_after = not_after;
    c.der = der;
    c.der_len = sizeof(der);
    return store_cert_put(s, &c, names, n_names, err);
}

static int64_t count(struct store *s, const char *table)
{
    int64_t n = -1;
    struct lc_err err = {LC_OK, ""};
    TH_OK(store_count(s, &n, table, &err), err);
    return n;
}

static bool serial_exists(struct store *s, uint8_t b)
{
    uint8_t serial[STORE_SERIAL_LEN];
    bool used = false;
    struct lc_err err = {LC_OK, ""};
    serial_of(serial, b);
    TH_OK(store_serial_exists(s, &used, serial, &err), err);
    return used;
}

/* ---- opening --------------------------------------------------------------- */

START_TEST(test_open_creates_schema)
{
    char text[128], path[PATH_MAX];
    struct stat st;
    struct store *s = open_store();
    struct lc_err err = {LC_OK, ""};
    th_path(path, dir, STORE_DB_NAME);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_ge(store_schema_version(s), 1);
    /* Statements are prepared on first use: every one compiles. */
    TH_OK(store_prepare_all(s, &err), err);
    db_text(text, sizeof(text), "PRAGMA user_version");
    ck_assert_int_eq(atoi(text), store_schema_version(s));
    /* WAL is a property of the file, visible from any connection. */
    db_text(text, sizeof(text), "PRAGMA journal_mode");
    ck_assert_str_eq(text, "wal");
    db_text(text, sizeof(text),
            "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master "
            "WHERE type = 'table' ORDER BY name)");
    ck_assert_str_eq(text, "cert_names certs devices dns_keys enrollments jws_seen meta name_addresses names tokens");
    for (const char *const *t = (const char *const[]){"certs", "devices", "names", "tokens", NULL};
         *t; t++)
        ck_assert_int_eq(count(s, *t), 0);
    store_free(s);
    store_free(NULL);
}
END_TEST

START_TEST(test_reopen_keeps_data)
{
    struct lc_err err = {LC_OK, ""};
    struct store_cert got;
    uint8_t serial[STORE_SERIAL_LEN], key[STORE_KEY_ID_LEN];
    int64_t dev = 0, dev_again = 0;
    const char *names[] = {"printer.home.arpa"};
    struct store *s = open_store();
    key_of(key, 1);
    TH_OK(store_begin(s, &err), err);
    TH_OK(store_device_for_key(s, &dev, key, true, &err), err);
    TH_OK(store_name_claim(s, "printer.home.arpa", dev, false, &err), err);
    TH_OK(put_cert(s, 0x42, dev, 1000, 2000, names, 1, &err), err);
    TH_OK(store_commit(s, &err), err);
    store_free(s);

    /* Opening again migrates nothing and finds everything. */
    s = open_store();
    ck_assert_int_eq(count(s, "certs"), 1);
    ck_assert_int_eq(count(s, "devices"), 1);
    ck_assert_int_eq(count(s, "names"), 1);
    TH_OK(store_device_for_key(s, &dev_again, key, false, &err), err);
    ck_assert_int_eq(dev_again, dev);
    serial_of(serial, 0x42);
    TH_OK(store_cert_get(s, &got, serial, &err), err);
    ck_assert_mem_eq(got.serial, serial, STORE_SERIAL_LEN);
    ck_assert_int_eq(got.device_id, dev);
    ck_assert_int_eq(got.not_before, 1000);
    ck_assert_int_eq(got.not_after, 2000);
    ck_assert_int_eq(got.revoked_at, 0);
    ck_assert_uint_eq(got.der_len, 64);
    ck_assert_uint_eq(got.der[63], 0x42);
    free_der(&got);
    store_free(s);
}
END_TEST

START_TEST(test_open_refusals)
{
    char path[PATH_MAX];
    struct store *s = NULL;
    struct lc_err err = {LC_OK, ""};
    FILE *f;

    /* A directory that does not exist. */
    th_path(path, dir, "missing/deeper");
    TH_FAILS(store_open(&s, path, &err), LC_E_STORE, err);
    ck_assert_ptr_null(s);

    /* A file that is not a database is reported, not overwritten. */
    th_path(path, dir, STORE_DB_NAME);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    for (int i = 0; i < 256; i++)
        fputs("this is not an SQLite database\n", f);
    ck_assert_int_eq(fclose(f), 0);
    TH_FAILS(store_open(&s, dir, &err), LC_E_STORE, err);
    ck_assert_ptr_null(s);
    char head[16] = "";
    ck_assert_ptr_nonnull(f = fopen(path, "r"));
    ck_assert_uint_eq(fread(head, 1, 15, f), 15);
    fclose(f);
    ck_assert_str_eq(head, "this is not an ");
}
END_TEST

START_TEST(test_future_schema_refused)
{
    char text[32], sql[64];
    struct store *s = open_store();
    struct lc_err err = {LC_OK, ""};
    int version = store_schema_version(s);
    store_free(s);
    s = NULL;

    /* A newer lancert wrote this store: an older one must not touch it. */
    db_exec("PRAGMA user_version = 99");
    TH_FAILS(store_open(&s, dir, &err), LC_E_STORE, err);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err.msg, "99") != NULL, "%s", err.msg);
    db_text(text, sizeof(text), "PRAGMA user_version");
    ck_assert_str_eq(text, "99");

    /* One past what this build knows is already too new. */
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version + 1);
    db_exec(sql);
    TH_FAILS(store_open(&s, dir, &err), LC_E_STORE, err);
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
    db_exec(sql);
    s = open_store();
    store_free(s);
}
END_TEST

START_TEST(test_two_handles)
{
    /* The CLI and the daemon use the store at the same time: one handle sees
     * another's commit, and not its open transaction. */
    struct lc_err err = {LC_OK, ""};
    struct store *a = open_store(), *b = open_store();
    TH_OK(store_begin(a, &err), err);
    TH_OK(put_cert(a, 7, 0, 1, 2, NULL, 0, &err), err);
    ck_assert(serial_exists(a, 7));
    ck_assert(!serial_exists(b, 7));
    TH_OK(store_commit(a, &err), err);
    ck_assert(serial_exists(b, 7));
    store_free(a);
    store_free(b);
}
END_TEST

/* ---- serials --------------------------------------------------------------- */

START_TEST(test_serial_never_reused)
{
    struct lc_err err = {LC_OK, ""};
    uint8_t serial[STORE_SERIAL_LEN];
    struct store *s = open_store();
    ck_assert(!serial_exists(s, 9));
    TH_OK(put_cert(s, 9, 0, 1, 2, NULL, 0, &err), err);
    ck_assert(serial_exists(s, 9));
    TH_FAILS(put_cert(s, 9, 0, 5, 6, NULL, 0, &err), LC_E_EXISTS, err);

    /* Not even after it was revoked, nor by another store handle. */
    serial_of(serial, 9);
    TH_OK(store_cert_revoke(s, serial, 1, 3, &err), err);
    TH_FAILS(put_cert(s, 9, 0, 5, 6, NULL, 0, &err), LC_E_EXISTS, err);
    store_free(s);
    s = open_store();
    TH_FAILS(put_cert(s, 9, 0, 5, 6, NULL, 0, &err), LC_E_EXISTS, err);
    ck_assert_int_eq(count(s, "certs"), 1);

    /* A certificate for a device that does not exist is refused for what it
     * is, not as a used serial. */
    TH_FAILS(put_cert(s, 10, 999, 5, 6, NULL, 0, &err), LC_E_STORE, err);
    ck_assert(!serial_exists(s, 10));

    /* The refused insert changed nothing about the original. */
    struct store_cert got;
    TH_OK(store_cert_get(s, &got, serial, &err), err);
    ck_assert_int_eq(got.not_before, 1);
    ck_assert_int_eq(got.revoked_at, 3);
    free_der(&got);
    store_free(s);
}
END_TEST

/* ---- devices and names ----------------------------------------------------- */

START_TEST(test_devices)
{
    struct lc_err err = {LC_OK, ""};
    uint8_t k1[STORE_KEY_ID_LEN], k2[STORE_KEY_ID_LEN];
    int64_t d1 = 0, d1_again = 0, d2 = 0, untouched = 77;
    struct store *s = open_store();
    key_of(k1, 1);
    key_of(k2, 2);
    TH_FAILS(store_device_for_key(s, &untouched, k1, false, &err), LC_E_NOTFOUND, err);
    ck_assert_int_eq(untouched, 77);
    ck_assert_int_eq(count(s, "devices"), 0);
    TH_OK(store_device_for_key(s, &d1, k1, true, &err), err);
    TH_OK(store_device_for_key(s, &d1_again, k1, true, &err), err);
    ck_assert_int_eq(d1, d1_again);
    TH_OK(store_device_for_key(s, &d2, k2, true, &err), err);
    ck_assert_int_ne(d1, d2);
    ck_assert_int_eq(count(s, "devices"), 2);
    store_free(s);
}
END_TEST

START_TEST(test_name_claims)
{
    struct lc_err err = {LC_OK, ""};
    uint8_t k1[STORE_KEY_ID_LEN], k2[STORE_KEY_ID_LEN];
    int64_t d1 = 0, d2 = 0;
    struct store *s = open_store();
    key_of(k1, 1);
    key_of(k2, 2);
    TH_OK(store_device_for_key(s, &d1, k1, true, &err), err);
    TH_OK(store_device_for_key(s, &d2, k2, true, &err), err);

    TH_OK(store_name_claim(s, "printer.home.arpa", d1, false, &err), err);
    /* The holder may claim it again: renewal. */
    TH_OK(store_name_claim(s, "printer.home.arpa", d1, false, &err), err);
    ck_assert_int_eq(count(s, "names"), 1);
    /* Another device's key may not. */
    TH_FAILS(store_name_claim(s, "printer.home.arpa", d2, false, &err), LC_E_NAME_TAKEN, err);
    ck_assert_msg(strstr(err.msg, "printer.home.arpa") != NULL, "%s", err.msg);
    ck_assert_int_eq(count(s, "names"), 1);

    /* A hex name follows whoever last showed control of its address. */
    char owner[32], want[32];
    TH_OK(store_name_claim(s, "c0a80117.home.arpa", d2, true, &err), err);
    TH_OK(store_name_claim(s, "c0a80117.home.arpa", d1, true, &err), err);
    ck_assert_int_eq(count(s, "names"), 2);
    db_text(owner, sizeof(owner), "SELECT device_id FROM names WHERE name = 'c0a80117.home.arpa'");
    snprintf(want, sizeof(want), "%lld", (long long)d1);
    ck_assert_str_eq(owner, want);
    /* ...while the friendly name stayed with its first key. */
    db_text(owner, sizeof(owner), "SELECT device_id FROM names WHERE name = 'printer.home.arpa'");
    ck_assert_str_eq(owner, want);

    /* Names are compared exactly: callers pass them lowercase. */
    TH_OK(store_name_claim(s, "scanner.home.arpa", d2, false, &err), err);
    ck_assert_int_eq(count(s, "names"), 3);

    /* A device that does not exist cannot hold a name (foreign keys are on). */
    TH_FAILS(store_name_claim(s, "ghost.home.arpa", d2 + 1000, false, &err), LC_E_STORE, err);
    ck_assert_int_eq(count(s, "names"), 3);
    store_free(s);
}
END_TEST

/* ---- transactions ---------------------------------------------------------- */

START_TEST(test_rollback)
{
    struct lc_err err = {LC_OK, ""};
    struct store *s = open_store();
    TH_OK(store_begin(s, &err), err);
    TH_OK(put_cert(s, 1, 0, 1, 2, NULL, 0, &err), err);
    store_rollback(s);
    ck_assert(!serial_exists(s, 1));
    ck_assert_int_eq(count(s, "certs"), 0);
    /* Harmless without a transaction, and the handle stays usable. */
    store_rollback(s);
    TH_OK(store_begin(s, &err), err);
    TH_OK(put_cert(s, 1, 0, 1, 2, NULL, 0, &err), err);
    TH_OK(store_commit(s, &err), err);
    ck_assert(serial_exists(s, 1));
    store_free(s);
}
END_TEST

START_TEST(test_transaction_misuse)
{
    struct lc_err err = {LC_OK, ""};
    struct store *s = open_store();
    TH_FAILS(store_commit(s, &err), LC_E_STORE, err);
    TH_FAILS(store_release(s, &err), LC_E_STORE, err);
    TH_OK(store_begin(s, &err), err);
    TH_FAILS(store_begin(s, &err), LC_E_STORE, err);
    TH_OK(store_commit(s, &err), err);
    store_free(s);
}
END_TEST

START_TEST(test_savepoint_rollback_leaves_no_trace)
{
    struct lc_err err = {LC_OK, ""};
    uint8_t k1[STORE_KEY_ID_LEN], k2[STORE_KEY_ID_LEN];
    int64_t d1 = 0, d2 = 0;
    const char *n1[] = {"one.home.arpa"}, *n2[] = {"two.home.arpa"};
    struct store *s = open_store();
    key_of(k1, 1);
    key_of(k2, 2);

    /* A batch of two requests; the second fails after writing a device, a
     * name and a certificate, and leaves none of them. */
    TH_OK(store_begin(s, &err), err);
    TH_OK(store_savepoint(s, &err), err);
    TH_OK(store_device_for_key(s, &d1, k1, true, &err), err);
    TH_OK(store_name_claim(s, n1[0], d1, false, &err), err);
    TH_OK(put_cert(s, 1, d1, 1, 2, n1, 1, &err), err);
    TH_OK(store_release(s, &err), err);

    TH_OK(store_savepoint(s, &err), err);
    TH_OK(store_device_for_key(s, &d2, k2, true, &err), err);
    TH_OK(store_name_claim(s, n2[0], d2, false, &err), err);
    TH_OK(put_cert(s, 2, d2, 1, 2, n2, 1, &err), err);
    store_rollback_to(s);
    TH_OK(store_commit(s, &err), err);

    ck_assert_int_eq(count(s, "devices"), 1);
    ck_assert_int_eq(count(s, "names"), 1);
    ck_assert_int_eq(count(s, "certs"), 1);
    ck_assert(serial_exists(s, 1));
    ck_assert(!serial_exists(s, 2));
    TH_FAILS(store_device_for_key(s, &d2, k2, false, &err), LC_E_NOTFOUND, err);

    /* The rolled-back serial and name are free again. */
    TH_OK(store_begin(s, &err), err);
    TH_OK(store_device_for_key(s, &d2, k2, true, &err), err);
    TH_OK(store_name_claim(s, n2[0], d2, false, &err), err);
    TH_OK(put_cert(s, 2, d2, 1, 2, n2, 1, &err), err);
    TH_OK(store_commit(s, &err), err);
    ck_assert_int_eq(count(s, "certs"), 2);

    /* After a rolled-back savepoint the handle is out of it: no savepoint
     * is left open to release. */
    TH_OK(store_begin(s, &err), err);
    TH_OK(store_savepoint(s, &err), err);
    store_rollback_to(s);
    TH_FAILS(store_release(s, &err), LC_E_STORE, err);
    TH_OK(store_commit(s, &err), err);
    store_free(s);
}
END_TEST

/* ---- certificates ---------------------------------------------------------- */

START_TEST(test_cert_get_and_revoke)
{
    struct lc_err err = {LC_OK, ""};
    uint8_t serial[STORE_SERIAL_LEN];
    struct store_cert got;
    struct store *s = open_store();
    serial_of(serial, 5);
    memset(&got, 0x5a, sizeof(got));
    TH_FAILS(store_cert_get(s, &got, serial, &err), LC_E_NOTFOUND, err);
    TH_FAILS(store_cert_revoke(s, serial, 1, 100, &err), LC_E_NOTFOUND, err);

    TH_OK(put_cert(s, 5, 0, 10, 20, NULL, 0, &err), err);
    TH_OK(store_cert_get(s, &got, serial, &err), err);
    ck_assert_int_eq(got.device_id, 0);
    ck_assert_int_eq(got.revoked_at, 0);
    free_der(&got);

    TH_OK(store_cert_revoke(s, serial, 4, 15, &err), err);
    TH_OK(store_cert_get(s, &got, serial, &err), err);
    ck_assert_int_eq(got.revoked_at, 15);
    ck_assert_int_eq(got.revoke_reason, 4);
    free_der(&got);

    /* Revoking twice is refused and keeps the first date and reason. */
    TH_FAILS(store_cert_revoke(s, serial, 1, 99, &err), LC_E_NOTFOUND, err);
    TH_OK(store_cert_get(s, &got, serial, &err), err);
    ck_assert_int_eq(got.revoked_at, 15);
    ck_assert_int_eq(got.revoke_reason, 4);
    free_der(&got);
    store_free(s);
}
END_TEST

/* A visitor that records serial bytes in order, and stops after |stop_after|
 * certificates when that is non-zero. */
struct seen {
    uint8_t b[32];
    size_t n;
    size_t stop_after;
};

static int record(void *ctx, const struct store_cert *c)
{
    struct seen *seen = ctx;
    ck_assert_uint_lt(seen->n, sizeof(seen->b));
    /* The body is readable during the call and matches its serial. */
    ck_assert_uint_eq(c->der_len, 64);
    ck_assert_uint_eq(c->der[0], c->serial[1]);
    seen->b[seen->n++] = c->serial[1];
    return seen->stop_after && seen->n == seen->stop_after ? 42 : 0;
}

static struct seen walk(struct store *s, enum store_cert_filter filter, const char *name,
                        int64_t t)
{
    struct seen seen;
    struct lc_err err = {LC_OK, ""};
    memset(&seen, 0, sizeof(seen));
    TH_OK(store_cert_each(s, filter, name, t, record, &seen, &err), err);
    return seen;
}

START_TEST(test_cert_each_filters)
{
    struct lc_err err = {LC_OK, ""};
    uint8_t serial[STORE_SERIAL_LEN];
    const char *printer[] = {"printer.home.arpa"};
    const char *both[] = {"printer.home.arpa", "nas.home.arpa", "printer.home.arpa"};
    struct store *s = open_store();
    struct seen seen;

    /* Serial byte, not_before, not_after, names; inserted out of order. */
    TH_OK(put_cert(s, 0x30, 0, 300, 1300, printer, 1, &err), err);
    TH_OK(put_cert(s, 0x10, 0, 100, 1100, both, 3, &err), err);
    TH_OK(put_cert(s, 0x40, 0, 400, 1050, NULL, 0, &err), err);
    TH_OK(put_cert(s, 0x20, 0, 200, 1200, printer, 1, &err), err);
    serial_of(serial, 0x20);
    TH_OK(store_cert_revoke(s, serial, 1, 500, &err), err);
    serial_of(serial, 0x40);
    TH_OK(store_cert_revoke(s, serial, 0, 500, &err), err);

    seen = walk(s, STORE_CERTS_ALL, NULL, 0);
    ck_assert_uint_eq(seen.n, 4);
    ck_assert_mem_eq(seen.b, ((uint8_t[]){0x10, 0x20, 0x30, 0x40}), 4);

    /* By name: newest first; a name listed twice counts once. */
    seen = walk(s, STORE_CERTS_BY_NAME, "printer.home.arpa", 0);
    ck_assert_uint_eq(seen.n, 3);
    ck_assert_mem_eq(seen.b, ((uint8_t[]){0x30, 0x20, 0x10}), 3);
    seen = walk(s, STORE_CERTS_BY_NAME, "nas.home.arpa", 0);
    ck_assert_uint_eq(seen.n, 1);
    ck_assert_uint_eq(seen.b[0], 0x10);
    seen = walk(s, STORE_CERTS_BY_NAME, "PRINTER.home.arpa", 0);
    ck_assert_uint_eq(seen.n, 0);
    seen = walk(s, STORE_CERTS_BY_NAME, "", 0);
    ck_assert_uint_eq(seen.n, 0);

    /* Expiring before t: unrevoked only, soonest first, strictly before. */
    seen = walk(s, STORE_CERTS_EXPIRING, NULL, 1300);
    ck_assert_uint_eq(seen.n, 1);
    ck_assert_uint_eq(seen.b[0], 0x10);
    seen = walk(s, STORE_CERTS_EXPIRING, NULL, 1301);
    ck_assert_uint_eq(seen.n, 2);
    ck_assert_mem_eq(seen.b, ((uint8_t[]){0x10, 0x30}), 2);
    seen = walk(s, STORE_CERTS_EXPIRING, NULL, 1100);
    ck_assert_uint_eq(seen.n, 0);

    /* Revoked and not yet expired at t: for the CRL. */
    seen = walk(s, STORE_CERTS_REVOKED, NULL, 0);
    ck_assert_uint_eq(seen.n, 2);
    ck_assert_mem_eq(seen.b, ((uint8_t[]){0x20, 0x40}), 2);
    seen = walk(s, STORE_CERTS_REVOKED, NULL, 1050);
    ck_assert_uint_eq(seen.n, 2);
    seen = walk(s, STORE_CERTS_REVOKED, NULL, 1051);
    ck_assert_uint_eq(seen.n, 1);
    ck_assert_uint_eq(seen.b[0], 0x20);
    seen = walk(s, STORE_CERTS_REVOKED, NULL, 1201);
    ck_assert_uint_eq(seen.n, 0);

    /* A visitor's non-zero return stops the walk and comes back. */
    memset(&seen, 0, sizeof(seen));
    seen.stop_after = 2;
    ck_assert_int_eq(store_cert_each(s, STORE_CERTS_ALL, NULL, 0, record, &seen, &err), 42);
    ck_assert_uint_eq(seen.n, 2);
    /* And the statement is reset: the next walk starts from the beginning. */
    seen = walk(s, STORE_CERTS_ALL, NULL, 0);
    ck_assert_uint_eq(seen.n, 4);
    ck_assert_uint_eq(seen.b[0], 0x10);
    store_free(s);
}
END_TEST

START_TEST(test_count_refuses_other_tables)
{
    int64_t n = 5;
    struct lc_err err = {LC_OK, ""};
    struct store *s = open_store();
    TH_FAILS(store_count(s, &n, "meta", &err), LC_E_INTERNAL, err);
    TH_FAILS(store_count(s, &n, "certs; DROP TABLE certs", &err), LC_E_INTERNAL, err);
    TH_FAILS(store_count(s, &n, "", &err), LC_E_INTERNAL, err);
    ck_assert_int_eq(n, 5);
    ck_assert_int_eq(count(s, "certs"), 0);
    store_free(s);
}
END_TEST

/* ---- integrity ------------------------------------------------------------- */

START_TEST(test_integrity_check)
{
    struct lc_err err = {LC_OK, ""};
    struct store *s = open_store();
    TH_OK(store_begin(s, &err), err);
    for (int i = 0; i < 100; i++)
        TH_OK(put_cert(s, (uint8_t)i, 0, i, i + 10, NULL, 0, &err), err);
    TH_OK(store_commit(s, &err), err);
    TH_OK(store_integrity_check(s, &err), err);
    store_free(s);
}
END_TEST

START_TEST(test_integrity_check_finds_damage)
{
    /* Damage the certs index behind SQLite's back (writable_schema lets a
     * test point it at the wrong table); the check must notice. */
    struct lc_err err = {LC_OK, ""};
    struct store *s = open_store();
    TH_OK(store_begin(s, &err), err);
    for (int i = 0; i < 50; i++)
        TH_OK(put_cert(s, (uint8_t)i, 0, i, i + 10, NULL, 0, &err), err);
    TH_OK(store_commit(s, &err), err);
    store_free(s);

    db_exec("PRAGMA writable_schema = ON;"
            "UPDATE sqlite_master SET sql = 'CREATE INDEX certs_by_expiry ON certs(not_before)' "
            "WHERE name = 'certs_by_expiry';");
    s = open_store();
    TH_FAILS(store_integrity_check(s, &err), LC_E_STORE, err);
    store_free(s);
}
END_TEST

START_TEST(test_migration_to_v2)
{
    char text[64];
    uint8_t key[STORE_KEY_ID_LEN];
    int64_t id = 0;
    struct lc_err err = {LC_OK, ""};
    struct store *s = open_store();
    key_of(key, 7);
    TH_OK(store_device_for_key(s, &id, key, true, &err), err);
    store_free(s);

    /* A version-1 store, as the first release left it: opening it adds
     * dns_keys and keeps what was there. */
    db_exec("DROP TABLE jws_seen; DROP TABLE enrollments; DROP INDEX dns_keys_by_device; DROP TABLE dns_keys; "
            "PRAGMA user_version = 1");
    s = open_store();
    db_text(text, sizeof(text), "PRAGMA user_version");
    ck_assert_int_eq(atoi(text), store_schema_version(s));
    db_text(text, sizeof(text), "SELECT count(*) FROM dns_keys");
    ck_assert_str_eq(text, "0");
    ck_assert_int_eq(count(s, "devices"), 1);
    store_free(s);
}
END_TEST

START_TEST(test_migration_to_v4)
{
    char text[64];
    struct store *s = open_store();
    store_free(s);
    /* A version-3 store: opening it adds jws_seen. */
    db_exec("DROP TABLE jws_seen; PRAGMA user_version = 3");
    s = open_store();
    db_text(text, sizeof(text), "PRAGMA user_version");
    ck_assert_int_eq(atoi(text), store_schema_version(s));
    db_text(text, sizeof(text), "SELECT count(*) FROM jws_seen");
    ck_assert_str_eq(text, "0");
    store_free(s);
}
END_TEST

START_TEST(test_jws_seen)
{
    uint8_t a[STORE_JWS_ID_LEN], b[STORE_JWS_ID_LEN];
    struct lc_err err = {LC_OK, ""};
    struct store *s = open_store();
    memset(a, 0xaa, sizeof(a));
    memset(b, 0xbb, sizeof(b));
    TH_OK(store_begin(s, &err), err);
    TH_OK(store_jws_seen_add(s, a, 1000, 500, &err), err);
    TH_FAILS(store_jws_seen_add(s, a, 1000, 500, &err), LC_E_EXISTS, err);
    TH_OK(store_jws_seen_add(s, b, 600, 500, &err), err);
    TH_OK(store_commit(s, &err), err);
    store_free(s);

    /* Durable: a new handle still refuses it. */
    s = open_store();
    TH_OK(store_begin(s, &err), err);
    TH_FAILS(store_jws_seen_add(s, a, 1000, 700, &err), LC_E_EXISTS, err);
    /* b expired at 600 and was forgotten by the add at 700. */
    TH_OK(store_jws_seen_add(s, b, 1300, 700, &err), err);
    /* A rolled-back transaction remembers nothing. */
    store_rollback(s);
    TH_OK(store_begin(s, &err), err);
    TH_OK(store_jws_seen_add(s, b, 1300, 700, &err), err);
    store_rollback(s);
    store_free(s);
}
END_TEST

START_TEST(test_device_status_and_key)
{
    uint8_t k1[STORE_KEY_ID_LEN], k2[STORE_KEY_ID_LEN], k3[STORE_KEY_ID_LEN];
    int64_t d1 = 0, d2 = 0, got = 0;
    char status[STORE_STATUS_MAX];
    struct lc_err err = {LC_OK, ""};
    struct store *s = open_store();
    key_of(k1, 1);
    key_of(k2, 2);
    key_of(k3, 3);
    TH_OK(store_device_for_key(s, &d1, k1, true, &err), err);
    TH_OK(store_device_for_key(s, &d2, k2, true, &err), err);
    TH_OK(store_device_status(s, status, d1, &err), err);
    ck_assert_str_eq(status, "active");
    TH_FAILS(store_device_status(s, status, 99, &err), LC_E_NOTFOUND, err);
    db_exec("UPDATE devices SET status = 'revoked' WHERE id = 2");
    TH_OK(store_device_status(s, status, d2, &err), err);
    ck_assert_str_eq(status, "revoked");

    TH_OK(store_device_set_key(s, d1, k3, &err), err);
    TH_OK(store_device_for_key(s, &got, k3, false, &err), err);
    ck_assert_int_eq(got, d1);
    TH_FAILS(store_device_for_key(s, &got, k1, false, &err), LC_E_NOTFOUND, err);
    TH_FAILS(store_device_set_key(s, d1, k2, &err), LC_E_EXISTS, err);
    TH_FAILS(store_device_set_key(s, 99, k1, &err), LC_E_NOTFOUND, err);
    store_free(s);
}
END_TEST

START_TEST(test_dns_keys)
{
    uint8_t key[STORE_KEY_ID_LEN];
    int64_t dev = 0;
    struct store_dns_key a, b, got;
    struct lc_err err = {LC_OK, ""};
    struct store *s = open_store();
    char text[64];

    TH_OK(store_dns_key_make(s, &a, "admin.lancert", "hmac-sha256", 0, &err), err);
    ck_assert_str_eq(a.name, "admin.lancert");
    ck_assert_uint_eq(a.secret_len, 32);
    ck_assert_int_eq(a.device_id, 0);
    TH_OK(store_dns_key_make(s, &b, "big.admin", "hmac-sha512", 0, &err), err);
    ck_assert_uint_eq(b.secret_len, 64);
    ck_assert_msg(memcmp(a.secret, b.secret, 32) != 0, "two keys share a secret");
    TH_FAILS(store_dns_key_make(s, &got, "admin.lancert", "hmac-sha512", 0, &err), LC_E_EXISTS,
             err);
    TH_FAILS(store_dns_key_make(s, &got, "md5.admin", "hmac-md5", 0, &err), LC_E_KEY, err);
    TH_FAILS(store_dns_key_make(s, &got, NULL, "hmac-sha256", 0, &err), LC_E_INTERNAL, err);
    TH_FAILS(store_dns_key_make(s, &got, NULL, "hmac-sha256", 42, &err), LC_E_NOTFOUND, err);

    /* A device's key is named after the device and follows its status. */
    key_of(key, 3);
    TH_OK(store_device_for_key(s, &dev, key, true, &err), err);
    TH_OK(store_dns_key_make(s, &got, NULL, "hmac-sha256", dev, &err), err);
    snprintf(text, sizeof(text), "%lld." STORE_DEVICE_KEY_SUFFIX, (long long)dev);
    ck_assert_str_eq(got.name, text);
    ck_assert_int_eq(got.device_id, dev);
    store_dns_key_cleanup(&got);
    ck_assert_uint_eq(got.secret_len, 0);
    TH_OK(store_dns_key_get(s, &got, text, &err), err);
    ck_assert(got.device_active);
    ck_assert_uint_eq(got.secret_len, 32);
    db_exec("UPDATE devices SET status = 'revoked'");
    TH_OK(store_dns_key_get(s, &got, text, &err), err);
    ck_assert(!got.device_active);

    /* What was made is what is read back. */
    TH_OK(store_dns_key_get(s, &got, "big.admin", &err), err);
    ck_assert_str_eq(got.algorithm, "hmac-sha512");
    ck_assert_uint_eq(got.secret_len, 64);
    ck_assert_mem_eq(got.secret, b.secret, 64);
    ck_assert(!got.device_active);
    TH_FAILS(store_dns_key_get(s, &got, "nobody", &err), LC_E_NOTFOUND, err);

    TH_OK(store_dns_key_delete(s, "big.admin", &err), err);
    TH_FAILS(store_dns_key_delete(s, "big.admin", &err), LC_E_NOTFOUND, err);
    TH_FAILS(store_dns_key_get(s, &got, "big.admin", &err), LC_E_NOTFOUND, err);
    /* Forgetting the device takes its key along. */
    db_exec("PRAGMA foreign_keys = ON; DELETE FROM devices");
    TH_FAILS(store_dns_key_get(s, &got, text, &err), LC_E_NOTFOUND, err);
    TH_OK(store_dns_key_get(s, &got, "admin.lancert", &err), err);
    store_dns_key_cleanup(&a);
    store_dns_key_cleanup(&b);
    store_dns_key_cleanup(&got);
    store_free(s);
}
END_TEST

static int collect_key(void *ctx, const struct store_dns_key *k)
{
    char *out = ctx;
    ck_assert_uint_eq(k->secret_len, 0); /* listing never reads a secret */
    strcat(out, k->name);
    strcat(out, k->device_id ? "(d) " : "(a) ");
    return 0;
}

static int stop_at_first(void *ctx, const struct store_dns_key *k)
{
    (void)k;
    ++*(int *)ctx;
    return 99;
}

START_TEST(test_dns_keys_each)
{
    uint8_t key[STORE_KEY_ID_LEN];
    int64_t dev = 0;
    struct store_dns_key k;
    struct lc_err err = {LC_OK, ""};
    struct store *s = open_store();
    char names[256] = "";
    int calls = 0;
    key_of(key, 9);
    TH_OK(store_device_for_key(s, &dev, key, true, &err), err);
    TH_OK(store_dns_key_make(s, &k, "z.admin", "hmac-sha256", 0, &err), err);
    TH_OK(store_dns_key_make(s, &k, NULL, "hmac-sha512", dev, &err), err);
    TH_OK(store_dns_key_make(s, &k, "a.admin", "hmac-sha256", 0, &err), err);
    store_dns_key_cleanup(&k);
    TH_OK(store_dns_keys_each(s, collect_key, names, &err), err);
    ck_assert_str_eq(names, "1.device.lancert(d) a.admin(a) z.admin(a) ");
    ck_assert_int_eq(store_dns_keys_each(s, stop_at_first, &calls, &err), 99);
    ck_assert_int_eq(calls, 1);
    store_free(s);
}
END_TEST

START_TEST(test_name_get)
{
    uint8_t key[STORE_KEY_ID_LEN];
    const uint8_t v4[4] = {192, 168, 1, 50}, v6[16] = {0xfd, [15] = 5};
    const uint8_t *addrs[2] = {v4, v6};
    const size_t lens[2] = {4, 16};
    int64_t dev = 0;
    struct store_name n;
    struct lc_err err = {LC_OK, ""};
    struct store *s = open_store();
    key_of(key, 5);
    TH_OK(store_device_for_key(s, &dev, key, true, &err), err);
    TH_OK(store_name_claim(s, "printer.home.arpa", dev, false, &err), err);
    TH_OK(store_name_claim(s, "c0a80132.home.arpa", dev, true, &err), err);
    TH_OK(store_name_get(s, &n, "printer.home.arpa", &err), err);
    ck_assert_int_eq(n.device_id, dev);
    ck_assert(!n.is_hex);
    ck_assert_uint_eq(n.n_addrs, 0);
    TH_OK(store_name_set_addrs(s, "printer.home.arpa", addrs, lens, 2, &err), err);
    TH_OK(store_name_get(s, &n, "printer.home.arpa", &err), err);
    ck_assert_uint_eq(n.n_addrs, 2);
    ck_assert_uint_eq(n.addr_lens[0], 4); /* by address bytes: 192... before 253... */
    ck_assert_mem_eq(n.addrs[0], v4, 4);
    ck_assert_uint_eq(n.addr_lens[1], 16);
    ck_assert_mem_eq(n.addrs[1], v6, 16);
    TH_OK(store_name_get(s, &n, "c0a80132.home.arpa", &err), err);
    ck_assert(n.is_hex);
    TH_FAILS(store_name_get(s, &n, "nobody.home.arpa", &err), LC_E_NOTFOUND, err);
    store_free(s);
}
END_TEST

/* ---- devices, enrolments, tokens (schema 3) --------------------------------- */

START_TEST(test_migration_to_v3)
{
    char text[64];
    uint8_t key[STORE_KEY_ID_LEN];
    int64_t id = 0;
    struct lc_err err = {LC_OK, ""};
    struct store *s = open_store();
    key_of(key, 9);
    TH_OK(store_device_for_key(s, &id, key, true, &err), err);
    store_free(s);

    /* A version-2 store: opening it adds enrollments (and jws_seen) and
     * keeps the devices. */
    db_exec("DROP TABLE jws_seen; DROP TABLE enrollments; PRAGMA user_version = 2");
    s = open_store();
    db_text(text, sizeof(text), "PRAGMA user_version");
    ck_assert_int_eq(atoi(text), store_schema_version(s));
    db_text(text, sizeof(text), "SELECT count(*) FROM enrollments");
    ck_assert_str_eq(text, "0");
    ck_assert_int_eq(count(s, "devices"), 1);
    store_free(s);
}
END_TEST

static int count_device(void *ctx, const struct store_device *d)
{
    int64_t *n = ctx;
    (void)d;
    (*n)++;
    return 0;
}

struct names_seen {
    char text[256];
};

static int collect_name(void *ctx, const char *name, bool is_hex)
{
    struct names_seen *n = ctx;
    size_t used = strlen(n->text);
    snprintf(n->text + used, sizeof(n->text) - used, "%s%s%s", used ? " " : "", name,
             is_hex ? "(hex)" : "");
    return 0;
}

static int collect_serial(void *ctx, const struct store_cert *c)
{
    struct names_seen *n = ctx;
    size_t used = strlen(n->text);
    snprintf(n->text + used, sizeof(n->text) - used, "%s%02x%s", used ? " " : "", c->serial[1],
             c->revoked_at ? "r" : "");
    return 0;
}

START_TEST(test_device_records)
{
    uint8_t key[STORE_KEY_ID_LEN], other[STORE_KEY_ID_LEN];
    int64_t id = 0, id2 = 0, n = 0;
    struct store_device d;
    struct store_dns_key k;
    struct names_seen seen = {""};
    struct lc_err err = {LC_OK, ""};
    struct store *s = open_store();
    const char *one[] = {"printer.home.arpa", "c0a80105.home.arpa"};
    const uint8_t addr[4] = {192, 168, 1, 5};
    const uint8_t *addrs[] = {addr};
    size_t addr_lens[] = {4};

    key_of(key, 1);
    key_of(other, 2);
    TH_FAILS(store_device_get(s, &d, 1, &err), LC_E_NOTFOUND, err);
    TH_FAILS(store_device_by_key(s, &d, key, &err), LC_E_NOTFOUND, err);
    TH_OK(store_device_add(s, &id, key, STORE_DEVICE_PENDING, &err), err);
    TH_FAILS(store_device_add(s, &id2, key, STORE_DEVICE_ACTIVE, &err), LC_E_EXISTS, err);
    TH_OK(store_device_by_key(s, &d, key, &err), err);
    ck_assert_int_eq(d.id, id);
    ck_assert_int_eq(d.status, STORE_DEVICE_PENDING);
    ck_assert_int_gt(d.created, 0);
    ck_assert_str_eq(store_device_status_name(d.status), "pending");
    /* store_device_for_key finds the pending device rather than adding one. */
    TH_OK(store_device_for_key(s, &id2, key, true, &err), err);
    ck_assert_int_eq(id2, id);
    TH_OK(store_device_set_status(s, id, STORE_DEVICE_ACTIVE, &err), err);
    TH_OK(store_device_get(s, &d, id, &err), err);
    ck_assert_int_eq(d.status, STORE_DEVICE_ACTIVE);
    TH_FAILS(store_device_set_status(s, 999, STORE_DEVICE_ACTIVE, &err), LC_E_NOTFOUND, err);
    TH_OK(store_device_add(s, &id2, other, STORE_DEVICE_ACTIVE, &err), err);
    TH_OK(store_devices_each(s, count_device, &n, &err), err);
    ck_assert_int_eq(n, 2);

    TH_OK(store_name_claim(s, one[0], id, false, &err), err);
    TH_OK(store_name_claim(s, one[1], id, true, &err), err);
    TH_OK(store_name_set_addrs(s, one[0], addrs, addr_lens, 1, &err), err);
    TH_OK(store_device_names_each(s, id, collect_name, &seen, &err), err);
    ck_assert_str_eq(seen.text, "c0a80105.home.arpa(hex) printer.home.arpa");
    TH_OK(put_cert(s, 0x11, id, 100, 200, one, 2, &err), err);
    TH_OK(put_cert(s, 0x12, id, 300, 400, one, 2, &err), err);
    TH_OK(put_cert(s, 0x13, id2, 300, 400, one, 1, &err), err);
    seen.text[0] = '\0';
    TH_OK(store_device_certs_each(s, id, collect_serial, &seen, &err), err);
    ck_assert_str_eq(seen.text, "12 11"); /* newest first, only its own */
    TH_OK(store_dns_key_make(s, &k, NULL, "hmac-sha256", id, &err), err);
    store_dns_key_cleanup(&k);

    TH_OK(store_device_forget(s, id, &err), err);
    TH_OK(store_device_get(s, &d, id, &err), err);
    ck_assert_int_eq(d.status, STORE_DEVICE_REVOKED);
    seen.text[0] = '\0';
    TH_OK(store_device_names_each(s, id, collect_name, &seen, &err), err);
    ck_assert_str_eq(seen.text, "");
    ck_assert_int_eq(count(s, "names"), 0);
    TH_FAILS(store_dns_key_get(s, &k, "1.device.lancert", &err), LC_E_NOTFOUND, err);
    /* The certificates stay (the caller revokes them); the key stays blocked. */
    seen.text[0] = '\0';
    TH_OK(store_device_certs_each(s, id, collect_serial, &seen, &err), err);
    ck_assert_str_eq(seen.text, "12 11");
    TH_OK(store_device_by_key(s, &d, key, &err), err);
    ck_assert_int_eq(d.status, STORE_DEVICE_REVOKED);
    store_free(s);
}
END_TEST

START_TEST(test_enrollments)
{
    uint8_t key[STORE_KEY_ID_LEN];
    const uint8_t csr[] = {1, 2, 3, 0, 4};
    int64_t id = 0;
    struct store_enrollment e, got;
    struct lc_err err = {LC_OK, ""};
    struct store *s = open_store();

    key_of(key, 1);
    TH_OK(store_device_add(s, &id, key, STORE_DEVICE_PENDING, &err), err);
    TH_FAILS(store_enrollment_get(s, &got, id, &err), LC_E_NOTFOUND, err);
    memset(&e, 0, sizeof(e));
    e.device_id = id;
    e.csr = csr;
    e.csr_len = sizeof(csr);
    snprintf(e.names, sizeof(e.names), "printer.home.arpa 7f000007.home.arpa");
    e.peer[0] = 127;
    e.peer[3] = 7;
    e.peer_len = 4;
    TH_OK(store_enrollment_put(s, &e, &err), err);
    TH_OK(store_enrollment_get(s, &got, id, &err), err);
    ck_assert_uint_eq(got.csr_len, sizeof(csr));
    ck_assert_mem_eq(got.csr, csr, sizeof(csr));
    ck_assert_str_eq(got.names, e.names);
    ck_assert_uint_eq(got.peer_len, 4);
    ck_assert_mem_eq(got.peer, e.peer, 4);
    ck_assert(!got.key_fetched);
    ck_assert_int_gt(got.created, 0);
    store_enrollment_cleanup(&got);
    ck_assert_ptr_null(got.csr);

    TH_OK(store_enrollment_key_fetched(s, id, &err), err);
    TH_OK(store_enrollment_get(s, &got, id, &err), err);
    ck_assert(got.key_fetched);
    store_enrollment_cleanup(&got);

    /* A new request replaces the device's earlier one. */
    snprintf(e.names, sizeof(e.names), "scanner.home.arpa");
    e.peer_len = 16;
    TH_OK(store_enrollment_put(s, &e, &err), err);
    TH_OK(store_enrollment_get(s, &got, id, &err), err);
    ck_assert_str_eq(got.names, "scanner.home.arpa");
    ck_assert_uint_eq(got.peer_len, 16);
    ck_assert(!got.key_fetched);
    store_enrollment_cleanup(&got);

    e.peer_len = 5;
    TH_FAILS(store_enrollment_put(s, &e, &err), LC_E_INTERNAL, err);
    e.peer_len = 4;
    e.device_id = 999; /* no such device: the foreign key refuses it */
    TH_FAILS(store_enrollment_put(s, &e, &err), LC_E_STORE, err);
    store_free(s);
}
END_TEST

START_TEST(test_tokens)
{
    struct store_token t, got;
    int64_t id = 0, id2 = 0;
    struct lc_err err = {LC_OK, ""};
    struct store *s = open_store();
    char text[32];

    memset(&t, 0, sizeof(t));
    memset(t.hash, 0xab, sizeof(t.hash));
    snprintf(t.names, sizeof(t.names), "printer.home.arpa");
    t.created = 1000;
    t.expires = 2000;
    TH_OK(store_token_put(s, &id, &t, &err), err);
    TH_FAILS(store_token_put(s, &id2, &t, &err), LC_E_STORE, err); /* the hash is unique */
    TH_OK(store_token_find(s, &got, t.hash, &err), err);
    ck_assert_int_eq(got.id, id);
    ck_assert_str_eq(got.names, "printer.home.arpa");
    ck_assert_int_eq(got.created, 1000);
    ck_assert_int_eq(got.expires, 2000);
    ck_assert_int_eq(got.used_at, 0);
    t.hash[31] ^= 1;
    TH_FAILS(store_token_find(s, &got, t.hash, &err), LC_E_NOTFOUND, err);
    t.hash[31] ^= 1;

    TH_OK(store_token_use(s, id, 1500, &err), err);
    TH_FAILS(store_token_use(s, id, 1600, &err), LC_E_EXISTS, err);
    TH_FAILS(store_token_use(s, 999, 1600, &err), LC_E_EXISTS, err);
    TH_OK(store_token_find(s, &got, t.hash, &err), err);
    ck_assert_int_eq(got.used_at, 1500);
    db_text(text, sizeof(text), "SELECT count(*) FROM tokens");
    ck_assert_str_eq(text, "1");
    store_free(s);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("open");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_open_creates_schema);
    tcase_add_test(tc, test_reopen_keeps_data);
    tcase_add_test(tc, test_open_refusals);
    tcase_add_test(tc, test_future_schema_refused);
    tcase_add_test(tc, test_two_handles);
    tcase_add_test(tc, test_migration_to_v2);
    tcase_add_test(tc, test_migration_to_v4);
    suite_add_tcase(s, tc);

    tc = tcase_create("records");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_serial_never_reused);
    tcase_add_test(tc, test_devices);
    tcase_add_test(tc, test_name_claims);
    tcase_add_test(tc, test_cert_get_and_revoke);
    tcase_add_test(tc, test_cert_each_filters);
    tcase_add_test(tc, test_count_refuses_other_tables);
    tcase_add_test(tc, test_name_get);
    tcase_add_test(tc, test_dns_keys);
    tcase_add_test(tc, test_dns_keys_each);
    tcase_add_test(tc, test_device_records);
    tcase_add_test(tc, test_enrollments);
    tcase_add_test(tc, test_tokens);
    suite_add_tcase(s, tc);

    tc = tcase_create("transactions");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_rollback);
    tcase_add_test(tc, test_transaction_misuse);
    tcase_add_test(tc, test_savepoint_rollback_leaves_no_trace);
    suite_add_tcase(s, tc);

    tc = tcase_create("integrity");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_integrity_check);
    tcase_add_test(tc, test_integrity_check_finds_damage);
    tcase_add_test(tc, test_migration_to_v3);
    tcase_add_test(tc, test_jws_seen);
    tcase_add_test(tc, test_device_status_and_key);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(store_suite());
}
