/* issue_bench.c — the in-process signing path, CSR bytes to a durable store
 * row (csr_parse, policy, ownership, ca_sign, store insert, commit), per
 * second on the core it runs on. Commits are durable (the store's
 * synchronous=FULL) and grouped B issuances to a transaction, as the daemon
 * does; a run with B=1 shows what grouping buys. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "bench/bench.h"
#include "ca/csr.h"
#include "ca/policy.h"

#define POOL_BASE 0x7F000000u /* 127.0.0.0: key i owns the hex name of 127.0.0.0 + 1 + i */
#define NOT_BEFORE_SKEW 300   /* as ca/issue.c */
#define MAX_ROUNDS 16

static const char usage[] =
    "usage: issue_bench [--batch B] [--count N] [--rounds R] [--single N1] [--pool K]\n"
    "                   [--der] [--dir PARENT] [--keep] [--no-breakdown]\n"
    "Issue N certificates in groups of B per durable commit, R rounds, into one\n"
    "store that starts empty (so it grows); then N1 with B=1; then a timed\n"
    "breakdown of the steps.\n"
    "  --batch B       issuances per commit (default 32)\n"
    "  --count N       certificates per round (default 20000)\n"
    "  --rounds R      timed rounds; the median is reported (default 3, at most 16)\n"
    "  --single N1     certificates for the B=1 comparison (default 500; 0 skips it)\n"
    "  --pool K        distinct P-256 keys and CSRs, one hex name each (default 256)\n"
    "  --der           hand the issuer DER CSRs instead of PEM\n"
    "  --dir PARENT    where the throw-away state directory goes (default /var/tmp)\n"
    "  --keep          keep the state directory\n"
    "  --no-breakdown  skip the per-step breakdown\n";

struct run {
    size_t batch, n_certs;
    double wall, cpu;
    int64_t n_stored; /* certificates in the store after the run */
};

static int timed_run(struct bench_gw *gw, const struct bench_pool *pool, size_t *next, size_t batch,
                     size_t n_certs, struct run *out, struct lc_err *err)
{
    double w0 = bench_wall(), c0 = bench_cpu();
    int rc;
    for (size_t done = 0; done < n_certs; done += batch) {
        size_t n = n_certs - done < batch ? n_certs - done : batch;
        if ((rc = bench_issue_batch(gw, pool, next, n, NULL, err)) != LC_OK)
            return rc;
    }
    out->batch = batch;
    out->n_certs = n_certs;
    out->wall = bench_wall() - w0;
    out->cpu = bench_cpu() - c0;
    return store_count(gw->store, &out->n_stored, "certs", err);
}

static void print_run(const char *label, const struct run *r)
{
    printf("%-8s %6zu %8zu %9.3f %10.1f %10.1f %11.1f %9lld\n", label, r->batch, r->n_certs, r->wall,
           (double)r->n_certs / r->wall, 1e6 * r->wall / (double)r->n_certs,
           1e6 * r->cpu / (double)r->n_certs, (long long)r->n_stored);
}

static int cmp_wall(const void *a, const void *b)
{
    const struct run *x = a, *y = b;
    return (x->wall > y->wall) - (x->wall < y->wall);
}

/* ---- breakdown ------------------------------------------------------------
 * The same module calls issuer_issue makes (ca/issue.c, issue_checked), timed
 * one by one. Keep the sequence in step with ca/issue.c. */

enum phase { PH_PARSE, PH_POLICY, PH_LOOKUP, PH_SIGN, PH_ENCODE, PH_INSERT, PH_COMMIT, PH_COUNT_ };

static const char *const phase_names[PH_COUNT_] = {
    [PH_PARSE] = "CSR parse + verify + key id",
    [PH_POLICY] = "policy",
    [PH_LOOKUP] = "store lookups (device, names, serial)",
    [PH_SIGN] = "sign (build + ECDSA)",
    [PH_ENCODE] = "DER encode",
    [PH_INSERT] = "store insert (certs, cert_names)",
    [PH_COMMIT] = "commit (fsync), per cert",
};

static int breakdown_one(struct bench_gw *gw, const uint8_t *bytes, size_t len, double t[PH_COUNT_],
                         struct lc_err *err)
{
    struct issuer *is = &gw->issuer;
    struct csr csr;
    struct policy_names pn;
    const char *names[CSR_MAX_NAMES], *san[CA_MAX_NAMES];
    int64_t device_id;
    X509 *cert = NULL;
    unsigned char *der = NULL;
    int der_len, rc;
    bool used = true;

    memset(&csr, 0, sizeof(csr));
    double t0 = bench_wall();
    if ((rc = csr_parse(&csr, bytes, len, err)) != LC_OK)
        return rc;
    double t1 = bench_wall();
    for (size_t i = 0; i < csr.n_names; i++)
        names[i] = csr.names[i];
    if ((rc = policy_check(&is->policy, &pn, names, csr.n_names, csr.ips, csr.n_ips, err)) != LC_OK)
        goto out;
    double t2 = bench_wall();
    if ((rc = store_savepoint(gw->store, err)) != LC_OK ||
        (rc = store_device_for_key(gw->store, &device_id, csr.key_id, true, err)) != LC_OK)
        goto out;
    for (size_t i = 0; i < pn.n_names; i++)
        if ((rc = store_name_claim(gw->store, pn.names[i], device_id, pn.is_hex[i], err)) != LC_OK)
            goto out;
    struct ca_leaf leaf = {
        .pubkey = csr.pubkey,
        .names = san,
        .n_names = pn.n_names,
        .ips = pn.ips,
        .n_ips = pn.n_ips,
        .crl_url = is->crl_url[0] ? is->crl_url : NULL,
    };
    for (int attempt = 0; used && attempt < 4; attempt++) {
        if (RAND_bytes(leaf.serial, 16) != 1) {
            rc = lc_fail_openssl(err, LC_E_CRYPTO, "drawing a serial");
            goto out;
        }
        leaf.serial[0] = (leaf.serial[0] & 0x7f) ? (leaf.serial[0] & 0x7f) : 0x01;
        if ((rc = store_serial_exists(gw->store, &used, leaf.serial, err)) != LC_OK)
            goto out;
    }
    double t3 = bench_wall();
    for (size_t i = 0; i < pn.n_names; i++)
        san[i] = pn.names[i];
    int64_t now = (int64_t)time(NULL);
    leaf.not_before = now - NOT_BEFORE_SKEW;
    leaf.not_after = now + (int64_t)is->leaf_days * 86400;
    if ((rc = ca_sign(is->ca, &cert, &leaf, err)) != LC_OK)
        goto out;
    double t4 = bench_wall();
    if ((der_len = i2d_X509(cert, &der)) <= 0) {
        rc = lc_fail_openssl(err, LC_E_CRYPTO, "encoding the certificate");
        goto out;
    }
    double t5 = bench_wall();
    struct store_cert row = {
        .device_id = device_id,
        .not_before = leaf.not_before,
        .not_after = leaf.not_after,
        .der = der,
        .der_len = (size_t)der_len,
    };
    memcpy(row.serial, leaf.serial, 16);
    if ((rc = store_cert_put(gw->store, &row, san, pn.n_names, err)) != LC_OK ||
        (rc = store_release(gw->store, err)) != LC_OK)
        goto out;
    double t6 = bench_wall();
    t[PH_PARSE] += t1 - t0;
    t[PH_POLICY] += t2 - t1;
    t[PH_LOOKUP] += t3 - t2;
    t[PH_SIGN] += t4 - t3;
    t[PH_ENCODE] += t5 - t4;
    t[PH_INSERT] += t6 - t5;
out:
    OPENSSL_free(der);
    X509_free(cert);
    csr_cleanup(&csr);
    return rc;
}

static int breakdown(struct bench_gw *gw, const struct bench_pool *pool, size_t *next, size_t batch,
                     size_t n_certs, double headline_us, struct lc_err *err)
{
    double t[PH_COUNT_] = {0}, total = 0;
    int rc;
    for (size_t done = 0; done < n_certs; done += batch) {
        size_t n = n_certs - done < batch ? n_certs - done : batch;
        if ((rc = store_begin(gw->store, err)) != LC_OK)
            return rc;
        for (size_t i = 0; i < n; i++) {
            rc = breakdown_one(gw, pool->csr[*next], pool->csr_len[*next], t, err);
            *next = (*next + 1) % pool->n_csrs;
            if (rc != LC_OK) {
                store_rollback(gw->store);
                return rc;
            }
        }
        double c0 = bench_wall();
        if ((rc = store_commit(gw->store, err)) != LC_OK) {
            store_rollback(gw->store);
            return rc;
        }
        t[PH_COMMIT] += bench_wall() - c0;
    }
    printf("\nbreakdown: batch %zu, %zu certificates, each step timed on its own (wall)\n", batch,
           n_certs);
    for (int p = 0; p < PH_COUNT_; p++)
        total += t[p];
    for (int p = 0; p < PH_COUNT_; p++)
        printf("  %-40s %8.1f us %5.1f%%\n", phase_names[p], 1e6 * t[p] / (double)n_certs,
               100.0 * t[p] / total);
    printf("  %-40s %8.1f us (the timed run above: %.1f us)\n", "sum", 1e6 * total / (double)n_certs,
           headline_us);
    for (int p = 0; p < PH_COUNT_; p++)
        printf("result breakdown_%d_us=%.2f\n", p, 1e6 * t[p] / (double)n_certs);
    return LC_OK;
}

int main(int argc, char **argv)
{
    enum { OPT_BATCH = 0x100, OPT_COUNT, OPT_ROUNDS, OPT_SINGLE, OPT_POOL, OPT_DER, OPT_DIR,
           OPT_KEEP, OPT_NO_BREAKDOWN, OPT_HELP };
    static const struct option longopts[] = {
        {"batch", required_argument, NULL, OPT_BATCH},
        {"count", required_argument, NULL, OPT_COUNT},
        {"rounds", required_argument, NULL, OPT_ROUNDS},
        {"single", required_argument, NULL, OPT_SINGLE},
        {"pool", required_argument, NULL, OPT_POOL},
        {"der", no_argument, NULL, OPT_DER},
        {"dir", required_argument, NULL, OPT_DIR},
        {"keep", no_argument, NULL, OPT_KEEP},
        {"no-breakdown", no_argument, NULL, OPT_NO_BREAKDOWN},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    size_t batch = 32, n_certs = 20000, n_rounds = 3, n_single = 500, n_pool = 256, next = 0;
    const char *parent = NULL;
    bool der = false, keep = false, do_breakdown = true;
    struct bench_gw gw;
    struct bench_pool pool;
    struct run runs[MAX_ROUNDS], single;
    struct lc_err err;
    int opt, rc = 1;

    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_BATCH:
            if (!bench_parse_size(&batch, optarg))
                return bench_usage_error("issue_bench", "--batch needs a count, not", optarg);
            break;
        case OPT_COUNT:
            if (!bench_parse_size(&n_certs, optarg))
                return bench_usage_error("issue_bench", "--count needs a count, not", optarg);
            break;
        case OPT_ROUNDS:
            if (!bench_parse_size(&n_rounds, optarg) || n_rounds > MAX_ROUNDS)
                return bench_usage_error("issue_bench", "--rounds needs 1 to 16, not", optarg);
            break;
        case OPT_SINGLE:
            if (strcmp(optarg, "0") == 0)
                n_single = 0;
            else if (!bench_parse_size(&n_single, optarg))
                return bench_usage_error("issue_bench", "--single needs a count, not", optarg);
            break;
        case OPT_POOL:
            if (!bench_parse_size(&n_pool, optarg) || n_pool > 65534)
                return bench_usage_error("issue_bench", "--pool needs 1 to 65534 keys, not", optarg);
            break;
        case OPT_DER:
            der = true;
            break;
        case OPT_DIR:
            parent = optarg;
            break;
        case OPT_KEEP:
            keep = true;
            break;
        case OPT_NO_BREAKDOWN:
            do_breakdown = false;
            break;
        case OPT_HELP:
            fputs(usage, stdout);
            return 0;
        default:
            return bench_usage_error("issue_bench", "unknown option", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return bench_usage_error("issue_bench", "unexpected argument", argv[optind]);

    lc_err_clear(&err);
    memset(&pool, 0, sizeof(pool));
    if (bench_gw_open(&gw, parent, &err) != LC_OK)
        goto out;
    if (bench_pool_make(&pool, n_pool, POOL_BASE, gw.conf.zone, der, &err) != LC_OK)
        goto out;
    printf("issue_bench: %zu P-256 keys, %s CSRs, store %s (%s)\n", n_pool, der ? "DER" : "PEM",
           gw.dir, bench_gw_fs(&gw));
    /* One pass over the pool first: new devices and names are made once;
     * the timed rounds are renewals by keys the store knows. */
    if (bench_issue_batch(&gw, &pool, &next, n_pool, NULL, &err) != LC_OK)
        goto out;
    printf("%-8s %6s %8s %9s %10s %10s %11s %9s\n", "run", "batch", "certs", "wall s", "certs/s",
           "us/cert", "cpu us/cert", "in store");
    for (size_t r = 0; r < n_rounds; r++) {
        char label[32];
        if (timed_run(&gw, &pool, &next, batch, n_certs, &runs[r], &err) != LC_OK)
            goto out;
        snprintf(label, sizeof(label), "round %zu", r + 1);
        print_run(label, &runs[r]);
    }
    qsort(runs, n_rounds, sizeof(runs[0]), cmp_wall);
    struct run *median = &runs[n_rounds / 2];
    print_run("median", median);
    if (n_single > 0) {
        if (timed_run(&gw, &pool, &next, 1, n_single, &single, &err) != LC_OK)
            goto out;
        print_run("B=1", &single);
    }
    printf("result batch=%zu certs_per_s=%.1f us_per_cert=%.2f cpu_us_per_cert=%.2f "
           "min_certs_per_s=%.1f max_certs_per_s=%.1f\n",
           batch, (double)median->n_certs / median->wall, 1e6 * median->wall / (double)median->n_certs,
           1e6 * median->cpu / (double)median->n_certs,
           (double)runs[n_rounds - 1].n_certs / runs[n_rounds - 1].wall,
           (double)runs[0].n_certs / runs[0].wall);
    if (n_single > 0)
        printf("result batch=1 certs_per_s=%.1f us_per_cert=%.2f cpu_us_per_cert=%.2f\n",
               (double)single.n_certs / single.wall, 1e6 * single.wall / (double)single.n_certs,
               1e6 * single.cpu / (double)single.n_certs);
    if (do_breakdown &&
        breakdown(&gw, &pool, &next, batch, n_certs < 5000 ? n_certs : 5000,
                  1e6 * median->wall / (double)median->n_certs, &err) != LC_OK)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "issue_bench: %s\n", err.msg[0] ? err.msg : "failed");
    if (keep && gw.made_dir)
        printf("kept %s\n", gw.dir);
    bench_pool_cleanup(&pool);
    bench_gw_cleanup(&gw, keep);
    return rc;
}
