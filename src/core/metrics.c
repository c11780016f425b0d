/* metrics.c — the counters and their text rendering. */
#include "core/metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static _Atomic uint64_t counters[METRICS_N];

/* Upper bounds of the latency buckets, in microseconds: 0.5 ms to 10 s. */
static const uint64_t latency_le_us[METRICS_N_LATENCY] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000,
};

/* RFC 1035 4.1.1 and RFC 2136 2.2; the label values of rcode=... */
static const char *const rcode_names[METRICS_N_RCODE] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
    "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "RCODE11",
    "RCODE12", "RCODE13", "RCODE14", "RCODE15",
};
#define N_RCODE_ALWAYS 11 /* NOERROR ... NOTZONE are listed even at 0 */

static const char *const enroll_names[METRICS_N_ENROLL] = {"issued", "pending", "refused",
                                                           "error"};

void metrics_add(enum metrics_counter c, uint64_t n)
{
    atomic_fetch_add_explicit(&counters[c], n, memory_order_relaxed);
}

uint64_t metrics_get(enum metrics_counter c)
{
    return atomic_load_explicit(&counters[c], memory_order_relaxed);
}

void metrics_enroll_done(enum metrics_enroll outcome)
{
    if ((unsigned)outcome >= METRICS_N_ENROLL)
        outcome = METRICS_ENROLL_ERROR;
    metrics_add(METRICS_ENROLL_FIRST + outcome, 1);
}

void metrics_dns_batch_init(struct metrics_dns_batch *b)
{
    memset(b, 0, sizeof(*b));
}

void metrics_dns_batch_flush(struct metrics_dns_batch *b)
{
    /* METRICS_DNS_UPDATE_FIRST follows the queries' RCODEs, as n[] does. */
    while (b->seen) {
        unsigned i = (unsigned)__builtin_ctz(b->seen);
        metrics_add(METRICS_DNS_QUERY_FIRST + i, b->n[i]);
        b->n[i] = 0;
        b->seen &= b->seen - 1;
    }
    if (b->rate_limited) {
        metrics_add(METRICS_DNS_RATE_LIMITED, b->rate_limited);
        b->rate_limited = 0;
    }
}

void metrics_http_request(unsigned status, uint64_t duration_us)
{
    unsigned bucket = 0;
    if (status < 100 || status > 599)
        return;
    while (bucket < METRICS_N_LATENCY && duration_us > latency_le_us[bucket])
        bucket++;
    metrics_add(METRICS_HTTP_CLASS_FIRST + status / 100 - 1, 1);
    metrics_add(METRICS_HTTP_LATENCY_FIRST + bucket, 1);
    metrics_add(METRICS_HTTP_LATENCY_SUM_US, duration_us);
}

/* ---- rendering ---------------------------------------------------------------- */

struct out {
    char *p;
    size_t cap, len;
    bool full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (o->full)
        return;
    va_start(ap, fmt);
    n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len)
        o->full = true;
    else
        o->len += (size_t)n;
}

static void head(struct out *o, const char *name, const char *type, const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* seconds writes |us| microseconds as seconds without trailing zeros:
 * 2500 -> "0.0025", 1000000 -> "1". */
static void seconds(char out[32], uint64_t us)
{
    int n = snprintf(out, 32, "%llu.%06llu", (unsigned long long)(us / 1000000),
                     (unsigned long long)(us % 1000000));
    while (n > 0 && out[n - 1] == '0')
        out[--n] = '\0';
    if (n > 0 && out[n - 1] == '.')
        out[--n] = '\0';
}

static void rcodes(struct out *o, const char *name, enum metrics_counter first)
{
    for (unsigned i = 0; i < METRICS_N_RCODE; i++) {
        uint64_t v = metrics_get(first + i);
        if (i < N_RCODE_ALWAYS || v)
            put(o, "%s{rcode=\"%s\"} %llu\n", name, rcode_names[i], (unsigned long long)v);
    }
}

static void latency(struct out *o)
{
    static const char name[] = "lancert_http_request_duration_seconds";
    uint64_t cumulative = 0;
    char le[32];
    head(o, name, "histogram",
         "HTTPS requests from their headers to their queued response, in seconds.");
    for (unsigned i = 0; i <= METRICS_N_LATENCY; i++) {
        cumulative += metrics_get(METRICS_HTTP_LATENCY_FIRST + i);
        if (i < METRICS_N_LATENCY)
            seconds(le, latency_le_us[i]);
        else
            strcpy(le, "+Inf");
        put(o, "%s_bucket{le=\"%s\"} %llu\n", name, le, (unsigned long long)cumulative);
    }
    /* _count is the +Inf bucket, so the two always agree. */
    seconds(le, metrics_get(METRICS_HTTP_LATENCY_SUM_US));
    put(o, "%s_sum %s\n%s_count %llu\n", name, le, name,
        (unsigned long long)cumulative);
}

size_t metrics_render(char *out, size_t out_cap)
{
    struct out o = {out, out_cap, 0, out_cap == 0};

    head(&o, "lancert_certificates_issued_total", "counter",
         "Certificates signed by this process (enrolment, renewal, the gateway's own).");
    put(&o, "lancert_certificates_issued_total %llu\n",
        (unsigned long long)metrics_get(METRICS_CERTS_ISSUED));
    head(&o, "lancert_certificates_revoked_total", "counter",
         "Certificates revoked by this process.");
    put(&o, "lancert_certificates_revoked_total %llu\n",
        (unsigned long long)metrics_get(METRICS_CERTS_REVOKED));

    head(&o, "lancert_enrollments_total", "counter", "Enrolment requests by outcome.");
    for (unsigned i = 0; i < METRICS_N_ENROLL; i++)
        put(&o, "lancert_enrollments_total{outcome=\"%s\"} %llu\n", enroll_names[i],
            (unsigned long long)metrics_get(METRICS_ENROLL_FIRST + i));

    head(&o, "lancert_dns_queries_total", "counter",
         "DNS responses to queries (UDP and TCP) by header RCODE.");
    rcodes(&o, "lancert_dns_queries_total", METRICS_DNS_QUERY_FIRST);
    head(&o, "lancert_dns_updates_total", "counter",
         "DNS UPDATE responses by header RCODE: NOERROR applied, others refused.");
    rcodes(&o, "lancert_dns_updates_total", METRICS_DNS_UPDATE_FIRST);
    head(&o, "lancert_dns_rate_limited_total", "counter",
         "UDP DNS messages dropped by the per-source rate limit (dns_rrl).");
    put(&o, "lancert_dns_rate_limited_total %llu\n",
        (unsigned long long)metrics_get(METRICS_DNS_RATE_LIMITED));

    head(&o, "lancert_http_requests_total", "counter",
         "HTTPS responses by status class.");
    for (unsigned i = 0; i < 5; i++)
        put(&o, "lancert_http_requests_total{code=\"%uxx\"} %llu\n", i + 1,
            (unsigned long long)metrics_get(METRICS_HTTP_CLASS_FIRST + i));
    latency(&o);
    return o.full ? 0 : o.len;
}
