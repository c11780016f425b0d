/* bench.h — what the benchmarks share: clocks, a throw-away gateway (CA,
 * store, issuer) in a fresh directory, and pools of pre-made CSRs. Benchmarks
 * are not tests: they print figures and assert nothing about speed. */
#ifndef LC_BENCH_BENCH_H
#define LC_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ca/ca.h"
#include "ca/issue.h"
#include "core/conf.h"
#include "core/err.h"
#include "core/name.h"
#include "store/store.h"

/* bench_wall and bench_cpu return seconds: monotonic wall time, and the CPU
 * time this process has used (user + system). */
double bench_wall(void);
double bench_cpu(void);

/* A gateway in a directory of its own. */
struct bench_gw {
    char dir[256];
    bool made_dir; /* bench_gw_cleanup removes dir only when we made it */
    struct lc_conf conf;
    struct ca *ca;
    struct store *store;
    struct issuer issuer;
};

/* bench_gw_open makes a new gateway: a fresh directory (|parent|/lancert-bench.XXXXXX,
 * |parent| NULL for /var/tmp, which is on disk where /tmp may be tmpfs), a P-256
 * root whose constraints and policy allow 10.0.0.0/8 and 127.0.0.0/8 under
 * home.arpa, an empty store and an issuer. Release it with bench_gw_cleanup. */
int bench_gw_open(struct bench_gw *gw, const char *parent, struct lc_err *err);

/* bench_gw_cleanup closes everything and, unless |keep|, removes the directory. */
void bench_gw_cleanup(struct bench_gw *gw, bool keep);

/* bench_gw_fs names the file system type of the gateway's directory ("ext4"). */
const char *bench_gw_fs(const struct bench_gw *gw);

/* A pool of CSRs, one per key; key i asks for the hex name of address
 * base + 1 + i (IPv4, host order), so each key owns a name of its own. */
struct bench_pool {
    uint8_t **csr;
    size_t *csr_len;
    char (*names)[LC_NAME_MAX + 1]; /* names[i]: the hex name CSR i asks for */
    size_t n_csrs;
};

/* bench_pool_make makes |n| P-256 keys and one CSR each (PEM, or DER when
 * |der|), for names under |zone|. Free with bench_pool_cleanup. */
int bench_pool_make(struct bench_pool *pool, size_t n, uint32_t base, const char *zone, bool der,
                    struct lc_err *err);
void bench_pool_cleanup(struct bench_pool *pool);

/* bench_issue_batch issues |n| certificates in one transaction, the CSRs taken
 * round-robin from |pool| starting at |*next| (which it advances). When
 * |serials| is not NULL the serials are copied there (n * 16 bytes). */
int bench_issue_batch(struct bench_gw *gw, const struct bench_pool *pool, size_t *next, size_t n,
                      uint8_t *serials, struct lc_err *err);

/* bench_usage_error prints a usage complaint about |arg| for program |prog|. */
int bench_usage_error(const char *prog, const char *what, const char *arg);

/* bench_parse_size reads a positive decimal count, false when |s| is not one. */
bool bench_parse_size(size_t *out, const char *s);

#endif
