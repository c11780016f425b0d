/* bench.c — clocks, a throw-away gateway and CSR pools for the benchmarks. */
#include "bench/bench.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define BENCH_ZONE "home.arpa"
#define BENCH_ALLOW "10.0.0.0/8 127.0.0.0/8"

double bench_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int bench_gw_open(struct bench_gw *gw, const char *parent, struct lc_err *err)
{
    struct ca_constraints c;
    int rc;

    memset(gw, 0, sizeof(*gw));
    if (snprintf(gw->dir, sizeof(gw->dir), "%s/lancert-bench.XXXXXX", parent ? parent : "/var/tmp") >=
        (int)sizeof(gw->dir))
        return lc_fail(err, LC_E_USAGE, "the directory '%.60s' is too long", parent);
    if (!mkdtemp(gw->dir))
        return lc_fail(err, LC_E_IO, "cannot make a directory in %s", parent ? parent : "/var/tmp");
    gw->made_dir = true;
    conf_init(&gw->conf);
    if ((rc = conf_set(&gw->conf, "zone", BENCH_ZONE, err)) != LC_OK ||
        (rc = conf_set(&gw->conf, "allow", BENCH_ALLOW, err)) != LC_OK ||
        (rc = conf_set(&gw->conf, "state_dir", gw->dir, err)) != LC_OK ||
        /* Outside the pools: the gateway's addresses' hex names are no device's. */
        (rc = conf_set(&gw->conf, "gateway_address", "192.0.2.1", err)) != LC_OK ||
        (rc = conf_finish(&gw->conf, err)) != LC_OK)
        return rc;
    memset(&c, 0, sizeof(c));
    snprintf(c.zone, sizeof(c.zone), "%s", gw->conf.zone);
    c.allow = gw->conf.allow;
    if ((rc = ca_init_root(gw->dir, &c, false, err)) != LC_OK ||
        (rc = ca_load(&gw->ca, gw->dir, err)) != LC_OK ||
        (rc = store_open(&gw->store, gw->dir, err)) != LC_OK)
        return rc;
    issuer_init(&gw->issuer, gw->ca, gw->store, &gw->conf);
    return LC_OK;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void bench_gw_cleanup(struct bench_gw *gw, bool keep)
{
    store_free(gw->store);
    gw->store = NULL;
    ca_free(gw->ca);
    gw->ca = NULL;
    if (gw->made_dir && !keep)
        (void)nftw(gw->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    gw->made_dir = false;
}

const char *bench_gw_fs(const struct bench_gw *gw)
{
    static const struct {
        unsigned long magic;
        const char *name;
    } known[] = {
        {0xEF53, "ext4"},         {0x01021994, "tmpfs"}, {0x58465342, "xfs"},
        {0x9123683E, "btrfs"},    {0x794C7630, "overlayfs"}, {0x2FC12FC1, "zfs"},
        {0x65735546, "fuse"},     {0x6969, "nfs"},
    };
    struct statfs sfs;
    if (statfs(gw->dir, &sfs) != 0)
        return "unknown";
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if ((unsigned long)sfs.f_type == known[i].magic)
            return known[i].name;
    return "other";
}

/* make_csr makes a P-256 key and a CSR for |name| (as CN and DNS SAN). */
static int make_csr(uint8_t **out, size_t *out_len, const char *name, bool der)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509_REQ *req = X509_REQ_new();
    X509_NAME *subject = X509_NAME_new();
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    GENERAL_NAMES *san = GENERAL_NAMES_new();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
    X509_EXTENSION *ext = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    int ok = 0;

    if (!key || !req || !subject || !exts || !san || !gn || !ia5 || !bio ||
        !ASN1_STRING_set(ia5, name, (int)strlen(name)))
        goto out;
    GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
    ia5 = NULL;
    if (!sk_GENERAL_NAME_push(san, gn))
        goto out;
    gn = NULL;
    if (!(ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, san)) || !sk_X509_EXTENSION_push(exts, ext))
        goto out;
    ext = NULL;
    if (!X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)name, -1,
                                    -1, 0) ||
        !X509_REQ_set_subject_name(req, subject) || !X509_REQ_set_pubkey(req, key) ||
        !X509_REQ_add_extensions(req, exts) || !X509_REQ_sign(req, key, EVP_sha256()))
        goto out;
    if (der ? !i2d_X509_REQ_bio(bio, req) : !PEM_write_bio_X509_REQ(bio, req))
        goto out;
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    if (len <= 0 || !(*out = malloc((size_t)len)))
        goto out;
    memcpy(*out, data, (size_t)len);
    *out_len = (size_t)len;
    ok = 1;
out:
    BIO_free(bio);
    X509_EXTENSION_free(ext);
    ASN1_IA5STRING_free(ia5);
    GENERAL_NAME_free(gn);
    GENERAL_NAMES_free(san);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_NAME_free(subject);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
    return ok;
}

int bench_pool_make(struct bench_pool *pool, size_t n, uint32_t base, const char *zone, bool der,
                    struct lc_err *err)
{
    memset(pool, 0, sizeof(*pool));
    if (n == 0 || n > 0xFFFFFF)
        return lc_fail(err, LC_E_USAGE, "a pool holds 1 to %u CSRs", 0xFFFFFFu);
    pool->csr = calloc(n, sizeof(*pool->csr));
    pool->csr_len = calloc(n, sizeof(*pool->csr_len));
    pool->names = calloc(n, sizeof(*pool->names));
    if (!pool->csr || !pool->csr_len || !pool->names) {
        bench_pool_cleanup(pool);
        return lc_fail(err, LC_E_NOMEM, "out of memory for %zu CSRs", n);
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t v = base + 1 + (uint32_t)i;
        struct lc_addr a = {.family = LC_AF_INET,
                            .b = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v}};
        char *name = pool->names[i];
        int rc;
        if ((rc = name_encode(name, sizeof(pool->names[i]), &a, zone, err)) != LC_OK) {
            bench_pool_cleanup(pool);
            return rc;
        }
        if (!make_csr(&pool->csr[i], &pool->csr_len[i], name, der)) {
            bench_pool_cleanup(pool);
            return lc_fail_openssl(err, LC_E_CRYPTO, "making a CSR");
        }
        pool->n_csrs = i + 1;
    }
    return LC_OK;
}

void bench_pool_cleanup(struct bench_pool *pool)
{
    for (size_t i = 0; pool->csr && i < pool->n_csrs; i++)
        free(pool->csr[i]);
    free(pool->csr);
    free(pool->csr_len);
    free(pool->names);
    memset(pool, 0, sizeof(*pool));
}

int bench_issue_batch(struct bench_gw *gw, const struct bench_pool *pool, size_t *next, size_t n,
                      uint8_t *serials, struct lc_err *err)
{
    int rc;
    if ((rc = store_begin(gw->store, err)) != LC_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct issue_result r;
        struct issue_request req = {
            .csr = pool->csr[*next],
            .csr_len = pool->csr_len[*next],
        };
        *next = (*next + 1) % pool->n_csrs;
        if ((rc = issuer_issue(&gw->issuer, &r, &req, err)) != LC_OK) {
            store_rollback(gw->store);
            return rc;
        }
        if (serials)
            memcpy(serials + 16 * i, r.serial, 16);
        issue_result_cleanup(&r);
    }
    if ((rc = store_commit(gw->store, err)) != LC_OK) {
        store_rollback(gw->store);
        return rc;
    }
    return LC_OK;
}

int bench_usage_error(const char *prog, const char *what, const char *arg)
{
    fprintf(stderr, "%s: %s '%.60s'; see --help\n", prog, what, arg ? arg : "");
    return 2;
}

bool bench_parse_size(size_t *out, const char *s)
{
    char *end;
    unsigned long long v;
    if (!s || s[0] < '0' || s[0] > '9')
        return false;
    v = strtoull(s, &end, 10);
    if (*end != '\0' || v == 0 || v > 100000000ULL)
        return false;
    *out = (size_t)v;
    return true;
}
