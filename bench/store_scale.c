/* store_scale.c — does the store stay as fast with 100,000 certificates as
 * with 10? Two stores are made, a small one (one device, 10 certificates) and
 * a large one (10,000 devices, 10 certificates each: 100,000), filled with
 * real certificates through issuer_issue. Then, in rounds that alternate
 * between the two, the same operations are timed in each: issuing (the
 * in-process signing path, durable, batched), a certificate by serial, the
 * certificates of a name, the expiry scans a renewal sweep makes, and the
 * revoked certificates a CRL lists (5 in each store). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench/bench.h"

#define POOL_BASE 0x0A000000u /* 10.0.0.0: device i owns the hex name of 10.0.0.0 + 1 + i */
#define MAX_ROUNDS 16
#define FILL_BATCH 256
#define ISSUE_BATCH 32
#define SCAN_LIMIT 5 /* the small store has 10 - N_REVOKED unrevoked */
#define N_REVOKED 5 /* in each store, so the CRL's list is the same size */

static const char usage[] =
    "usage: store_scale [--devices D] [--certs C] [--small C0] [--issue N] [--lookups L]\n"
    "                   [--rounds R] [--dir PARENT] [--keep]\n"
    "Fill a store with C certificates for D devices through issuer_issue, and a\n"
    "small one with C0 certificates for one device; then time, R rounds, in both:\n"
    "issuing N certificates (batches of 32), L lookups by serial, L by name, L\n"
    "expiry scans, and L/100 listings of the revoked certificates (5 per store).\n"
    "  --devices D     devices (keys) in the large store (default 10000)\n"
    "  --certs C       certificates in the large store (default 100000)\n"
    "  --small C0      certificates in the small store, one device (default 10)\n"
    "  --issue N       certificates issued per round and store (default 640)\n"
    "  --lookups L     lookups of each kind per round and store (default 2000)\n"
    "  --rounds R      rounds; medians are reported (default 5, at most 16)\n"
    "  --dir PARENT    where the throw-away state directories go (default /var/tmp)\n"
    "  --keep          keep the large store's directory\n";

/* A small deterministic generator: the same lookups on every run. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

struct gw_set {
    struct bench_gw gw;
    struct bench_pool pool; /* a view of the CSRs this store's devices use */
    uint8_t *serials;       /* every serial issued into it, 16 bytes each */
    size_t n_serials, cap_serials;
};

static int issue_into(struct gw_set *g, size_t n, size_t batch, bool random_start, struct lc_err *err)
{
    size_t next = 0;
    int rc;
    if (g->n_serials + n > g->cap_serials) {
        size_t cap = (g->n_serials + n) * 2;
        uint8_t *s = realloc(g->serials, cap * 16);
        if (!s)
            return lc_fail(err, LC_E_NOMEM, "out of memory for %zu serials", cap);
        g->serials = s;
        g->cap_serials = cap;
    }
    for (size_t done = 0; done < n; done += batch) {
        size_t k = n - done < batch ? n - done : batch;
        if (random_start)
            next = (size_t)(rng_next() % g->pool.n_csrs);
        if ((rc = bench_issue_batch(&g->gw, &g->pool, &next, k, g->serials + 16 * g->n_serials,
                                    err)) != LC_OK)
            return rc;
        g->n_serials += k;
    }
    return LC_OK;
}

/* ---- the timed operations, each returning microseconds per operation ---- */

struct timing {
    double wall_us, cpu_us;
};

static int time_issue(struct gw_set *g, size_t n, struct timing *out, struct lc_err *err)
{
    double w0 = bench_wall(), c0 = bench_cpu();
    int rc = issue_into(g, n, ISSUE_BATCH, true, err);
    out->wall_us = 1e6 * (bench_wall() - w0) / (double)n;
    out->cpu_us = 1e6 * (bench_cpu() - c0) / (double)n;
    return rc;
}

static int time_get(struct gw_set *g, size_t n, struct timing *out, struct lc_err *err)
{
    double w0 = bench_wall(), c0 = bench_cpu();
    for (size_t i = 0; i < n; i++) {
        struct store_cert c;
        size_t k = (size_t)(rng_next() % g->n_serials);
        int rc = store_cert_get(g->gw.store, &c, g->serials + 16 * k, err);
        if (rc != LC_OK)
            return rc;
        free((void *)(uintptr_t)c.der); /* ours to free, see store_cert_get */
    }
    out->wall_us = 1e6 * (bench_wall() - w0) / (double)n;
    out->cpu_us = 1e6 * (bench_cpu() - c0) / (double)n;
    return LC_OK;
}

struct visit {
    size_t n_rows, limit;
    size_t der_bytes;
};

static int count_row(void *ctx, const struct store_cert *c)
{
    struct visit *v = ctx;
    v->der_bytes += c->der_len;
    if (++v->n_rows == v->limit)
        return -1; /* enough: stop the walk */
    return 0;
}

/* time_each runs |n| walks of |filter|; a walk that stops at |limit| rows is
 * fine. *out_rows is the mean number of rows a walk saw. */
static int time_each(struct gw_set *g, size_t n, enum store_cert_filter filter, int64_t bound,
                     size_t limit, struct timing *out, double *out_rows, struct lc_err *err)
{
    struct visit v = {0, 0, 0};
    size_t total_rows = 0;
    double w0 = bench_wall(), c0 = bench_cpu();
    for (size_t i = 0; i < n; i++) {
        const char *name = g->pool.names[rng_next() % g->pool.n_csrs];
        v.n_rows = 0;
        v.limit = limit;
        int rc = store_cert_each(g->gw.store, filter, name, bound, count_row, &v, err);
        if (rc != LC_OK && rc != -1)
            return rc;
        total_rows += v.n_rows;
    }
    out->wall_us = 1e6 * (bench_wall() - w0) / (double)n;
    out->cpu_us = 1e6 * (bench_cpu() - c0) / (double)n;
    *out_rows = (double)total_rows / (double)n;
    return LC_OK;
}

enum op { OP_ISSUE, OP_GET, OP_BY_NAME, OP_EXPIRING_NONE, OP_EXPIRING_FIRST, OP_REVOKED, OP_COUNT_ };

static const char *const op_names[OP_COUNT_] = {
    [OP_ISSUE] = "issue (batch 32, durable), per cert",
    [OP_GET] = "store_cert_get by serial",
    [OP_BY_NAME] = "store_cert_each by name",
    [OP_EXPIRING_NONE] = "expiring before now+30d (none due)",
    [OP_EXPIRING_FIRST] = "expiring, the 5 soonest",
    [OP_REVOKED] = "revoked and unexpired (the CRL's list)",
};

static const char *const op_keys[OP_COUNT_] = {
    [OP_ISSUE] = "issue",
    [OP_GET] = "get",
    [OP_BY_NAME] = "by_name",
    [OP_EXPIRING_NONE] = "expiring_none",
    [OP_EXPIRING_FIRST] = "expiring_first5",
    [OP_REVOKED] = "revoked",
};

struct results {
    struct timing t[OP_COUNT_][MAX_ROUNDS];
    double rows[OP_COUNT_];
};

static int measure(struct gw_set *g, size_t round, size_t n_issue, size_t n_lookups,
                   struct results *r, struct lc_err *err)
{
    int64_t now = (int64_t)time(NULL);
    int rc;
    /* Lookups first, on the store as filled; then the issuing, which adds. */
    if ((rc = time_get(g, n_lookups, &r->t[OP_GET][round], err)) != LC_OK ||
        (rc = time_each(g, n_lookups, STORE_CERTS_BY_NAME, 0, 0, &r->t[OP_BY_NAME][round],
                        &r->rows[OP_BY_NAME], err)) != LC_OK ||
        (rc = time_each(g, n_lookups, STORE_CERTS_EXPIRING, now + 30 * 86400, 0,
                        &r->t[OP_EXPIRING_NONE][round], &r->rows[OP_EXPIRING_NONE], err)) != LC_OK ||
        (rc = time_each(g, n_lookups, STORE_CERTS_EXPIRING, INT64_MAX, SCAN_LIMIT,
                        &r->t[OP_EXPIRING_FIRST][round], &r->rows[OP_EXPIRING_FIRST], err)) != LC_OK ||
        (rc = time_each(g, n_lookups / 100 + 1, STORE_CERTS_REVOKED, now, 0,
                        &r->t[OP_REVOKED][round], &r->rows[OP_REVOKED], err)) != LC_OK)
        return rc;
    r->rows[OP_GET] = 1;
    r->rows[OP_ISSUE] = 1;
    return time_issue(g, n_issue, &r->t[OP_ISSUE][round], err);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static struct timing median(const struct timing *t, size_t n)
{
    double w[MAX_ROUNDS], c[MAX_ROUNDS];
    for (size_t i = 0; i < n; i++) {
        w[i] = t[i].wall_us;
        c[i] = t[i].cpu_us;
    }
    qsort(w, n, sizeof(w[0]), cmp_double);
    qsort(c, n, sizeof(c[0]), cmp_double);
    return (struct timing){w[n / 2], c[n / 2]};
}

static double file_mib(const char *dir, const char *file)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    return stat(path, &st) == 0 ? (double)st.st_size / (1024.0 * 1024.0) : 0.0;
}

/* revoke_some revokes the first N_REVOKED certificates issued into |g|. */
static int revoke_some(struct gw_set *g, struct lc_err *err)
{
    int64_t now = (int64_t)time(NULL);
    int rc;
    if ((rc = store_begin(g->gw.store, err)) != LC_OK)
        return rc;
    for (size_t i = 0; i < N_REVOKED && i < g->n_serials; i++)
        if ((rc = store_cert_revoke(g->gw.store, g->serials + 16 * i, 1, now, err)) != LC_OK) {
            store_rollback(g->gw.store);
            return rc;
        }
    if ((rc = store_commit(g->gw.store, err)) != LC_OK)
        store_rollback(g->gw.store);
    return rc;
}

/* open_small makes the small store: one device holding |n_certs| certificates. */
static int open_small(struct gw_set *g, const struct bench_pool *big, size_t n_certs,
                      const char *parent, struct lc_err *err)
{
    int rc;
    memset(g, 0, sizeof(*g));
    g->pool = *big;
    g->pool.n_csrs = 1; /* a view of the first CSR only; the big pool owns it */
    if ((rc = bench_gw_open(&g->gw, parent, err)) != LC_OK ||
        (rc = issue_into(g, n_certs, n_certs, false, err)) != LC_OK)
        return rc;
    return revoke_some(g, err);
}

static void close_set(struct gw_set *g, bool keep)
{
    bench_gw_cleanup(&g->gw, keep);
    free(g->serials);
    g->serials = NULL;
    g->n_serials = g->cap_serials = 0;
}

int main(int argc, char **argv)
{
    enum { OPT_DEVICES = 0x100, OPT_CERTS, OPT_SMALL, OPT_ISSUE, OPT_LOOKUPS, OPT_ROUNDS, OPT_DIR,
           OPT_KEEP, OPT_HELP };
    static const struct option longopts[] = {
        {"devices", required_argument, NULL, OPT_DEVICES},
        {"certs", required_argument, NULL, OPT_CERTS},
        {"small", required_argument, NULL, OPT_SMALL},
        {"issue", required_argument, NULL, OPT_ISSUE},
        {"lookups", required_argument, NULL, OPT_LOOKUPS},
        {"rounds", required_argument, NULL, OPT_ROUNDS},
        {"dir", required_argument, NULL, OPT_DIR},
        {"keep", no_argument, NULL, OPT_KEEP},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    size_t n_devices = 10000, n_certs = 100000, n_small = 10, n_issue = 640, n_lookups = 2000;
    size_t n_rounds = 5;
    const char *parent = NULL;
    bool keep = false;
    struct bench_pool pool;
    struct gw_set big, small;
    static struct results res_small, res_big;
    struct lc_err err;
    int opt, rc = 1;

    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        size_t *target = NULL;
        switch (opt) {
        case OPT_DEVICES:
            target = &n_devices;
            break;
        case OPT_CERTS:
            target = &n_certs;
            break;
        case OPT_SMALL:
            target = &n_small;
            break;
        case OPT_ISSUE:
            target = &n_issue;
            break;
        case OPT_LOOKUPS:
            target = &n_lookups;
            break;
        case OPT_ROUNDS:
            target = &n_rounds;
            break;
        case OPT_DIR:
            parent = optarg;
            break;
        case OPT_KEEP:
            keep = true;
            break;
        case OPT_HELP:
            fputs(usage, stdout);
            return 0;
        default:
            return bench_usage_error("store_scale", "unknown option", argv[optind - 1]);
        }
        if (target && !bench_parse_size(target, optarg))
            return bench_usage_error("store_scale", "a count is needed, not", optarg);
    }
    if (optind < argc)
        return bench_usage_error("store_scale", "unexpected argument", argv[optind]);
    if (n_rounds > MAX_ROUNDS || n_devices > 0xFFFFFF || n_certs < n_devices)
        return bench_usage_error("store_scale", "need rounds <= 16 and certs >= devices; got",
                                 "--rounds/--devices/--certs");

    lc_err_clear(&err);
    memset(&pool, 0, sizeof(pool));
    memset(&big, 0, sizeof(big));
    memset(&small, 0, sizeof(small));
    double t0 = bench_wall();
    if (bench_pool_make(&pool, n_devices, POOL_BASE, "home.arpa", false, &err) != LC_OK)
        goto out;
    printf("store_scale: %zu P-256 keys and CSRs made in %.1f s\n", n_devices, bench_wall() - t0);

    big.pool = pool;
    if (bench_gw_open(&big.gw, parent, &err) != LC_OK)
        goto out;
    t0 = bench_wall();
    double c0 = bench_cpu();
    if (issue_into(&big, n_certs, FILL_BATCH, false, &err) != LC_OK ||
        revoke_some(&big, &err) != LC_OK)
        goto out;
    double fill_s = bench_wall() - t0, fill_cpu = bench_cpu() - c0;
    int64_t n_rows = 0, n_dev = 0, n_names = 0;
    if (store_count(big.gw.store, &n_rows, "certs", &err) != LC_OK ||
        store_count(big.gw.store, &n_dev, "devices", &err) != LC_OK ||
        store_count(big.gw.store, &n_names, "names", &err) != LC_OK)
        goto out;
    printf("filled %s (%s) through issuer_issue, batches of %d: %lld certificates, %lld devices,\n"
           "  %lld names in %.1f s (%.0f certs/s, %.0f cpu us/cert); lancert.db %.1f MiB, WAL %.1f MiB\n",
           big.gw.dir, bench_gw_fs(&big.gw), FILL_BATCH, (long long)n_rows, (long long)n_dev,
           (long long)n_names, fill_s, (double)n_certs / fill_s, 1e6 * fill_cpu / (double)n_certs,
           file_mib(big.gw.dir, "lancert.db"), file_mib(big.gw.dir, "lancert.db-wal"));
    printf("result fill_certs=%lld fill_certs_per_s=%.1f db_mib=%.1f\n", (long long)n_rows,
           (double)n_certs / fill_s, file_mib(big.gw.dir, "lancert.db"));

    /* Rounds alternate small and large so drift on a shared machine hits both.
     * Each round gets a fresh small store, so it holds n_small rows when timed. */
    for (size_t r = 0; r < n_rounds; r++) {
        if (open_small(&small, &pool, n_small, parent, &err) != LC_OK ||
            measure(&small, r, n_issue, n_lookups, &res_small, &err) != LC_OK)
            goto out;
        close_set(&small, false);
        if (measure(&big, r, n_issue, n_lookups, &res_big, &err) != LC_OK)
            goto out;
        printf("round %zu: issue %.1f vs %.1f us/cert; get %.2f vs %.2f us\n", r + 1,
               res_small.t[OP_ISSUE][r].wall_us, res_big.t[OP_ISSUE][r].wall_us,
               res_small.t[OP_GET][r].wall_us, res_big.t[OP_GET][r].wall_us);
    }

    printf("\nmedians of %zu rounds, wall (cpu) microseconds per operation\n", n_rounds);
    printf("%-38s %8s %20s %20s %7s\n", "operation", "rows", "small store", "large store", "ratio");
    printf("%-38s %8s %20zu %20lld\n", "certificates in the store", "", n_small, (long long)n_rows);
    for (int op = 0; op < OP_COUNT_; op++) {
        struct timing s = median(res_small.t[op], n_rounds), b = median(res_big.t[op], n_rounds);
        char sb[32], bb[32];
        snprintf(sb, sizeof(sb), "%.2f (%.2f)", s.wall_us, s.cpu_us);
        snprintf(bb, sizeof(bb), "%.2f (%.2f)", b.wall_us, b.cpu_us);
        printf("%-38s %4.0f/%-3.0f %20s %20s %6.2fx\n", op_names[op], res_small.rows[op],
               res_big.rows[op], sb, bb, b.wall_us / s.wall_us);
        printf("result %s small_us=%.3f large_us=%.3f small_cpu_us=%.3f large_cpu_us=%.3f ratio=%.3f\n",
               op_keys[op], s.wall_us, b.wall_us, s.cpu_us, b.cpu_us, b.wall_us / s.wall_us);
    }
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "store_scale: %s\n", err.msg[0] ? err.msg : "failed");
    if (keep && big.gw.made_dir)
        printf("kept %s\n", big.gw.dir);
    close_set(&small, false);
    close_set(&big, keep);
    bench_pool_cleanup(&pool);
    return rc;
}
