/* metrics.h — the daemon's counters for GET /metrics: a fixed set of
 * process-wide relaxed C11 atomics, bumped from any thread without locks or
 * allocation, rendered in the Prometheus text exposition format (0.0.4).
 * Counters only count: a reader may see one counter a little ahead of
 * another, never a torn value. dns/, ca/ and src/http bump them; src/http
 * renders. A CLI process bumps its own copy, which nobody reads. */
#ifndef LC_CORE_METRICS_H
#define LC_CORE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The outcome of one POST /api/v1/enroll (label outcome=...). */
enum metrics_enroll {
    METRICS_ENROLL_ISSUED,  /* 201: a certificate */
    METRICS_ENROLL_PENDING, /* 202: waits for the admin */
    METRICS_ENROLL_REFUSED, /* 4xx: the request or the policy said no */
    METRICS_ENROLL_ERROR,   /* 5xx: the gateway failed */
    METRICS_N_ENROLL
};

/* A DNS header RCODE has 4 bits (RFC 1035 4.1.1). */
#define METRICS_N_RCODE 16

/* The request-latency histogram: upper bounds in microseconds, then +Inf. */
#define METRICS_N_LATENCY 14

enum metrics_counter {
    METRICS_CERTS_ISSUED,
    METRICS_CERTS_REVOKED,
    METRICS_ENROLL_FIRST, /* + enum metrics_enroll */
    METRICS_DNS_QUERY_FIRST = METRICS_ENROLL_FIRST + METRICS_N_ENROLL,   /* + RCODE */
    METRICS_DNS_UPDATE_FIRST = METRICS_DNS_QUERY_FIRST + METRICS_N_RCODE, /* + RCODE */
    METRICS_DNS_RATE_LIMITED = METRICS_DNS_UPDATE_FIRST + METRICS_N_RCODE,
    METRICS_HTTP_CLASS_FIRST, /* + status / 100 - 1: 1xx ... 5xx */
    METRICS_HTTP_LATENCY_FIRST = METRICS_HTTP_CLASS_FIRST + 5, /* + bucket; +Inf last */
    METRICS_HTTP_LATENCY_SUM_US = METRICS_HTTP_LATENCY_FIRST + METRICS_N_LATENCY + 1,
    METRICS_N
};

/* metrics_add adds |n| to counter |c| with one relaxed atomic add: counters
 * are statistics and order nothing. */
void metrics_add(enum metrics_counter c, uint64_t n);

/* metrics_get reads counter |c| (relaxed). */
uint64_t metrics_get(enum metrics_counter c);

/* metrics_enroll_done counts one enrolment request by its outcome; a value
 * out of range counts as an error. */
void metrics_enroll_done(enum metrics_enroll outcome);

/* A DNS thread counts its answers in a batch of its own, plain integers, and
 * adds the batch to the shared counters once per recvmmsg: per answer that
 * is an increment and an OR in a local struct instead of an atomic add on a
 * cache line the other DNS threads write too; per batch one atomic add for
 * each RCODE seen. Zero it with metrics_dns_batch_init. */
struct metrics_dns_batch {
    uint32_t n[2 * METRICS_N_RCODE]; /* queries by RCODE, then UPDATEs */
    uint32_t seen;                   /* bit i: n[i] is not 0 */
    uint32_t rate_limited;
};

void metrics_dns_batch_init(struct metrics_dns_batch *b);

/* metrics_dns_batch_count notes one response with RCODE |rcode| (its low 4
 * bits) to a query, or to an UPDATE when |is_update|. */
static inline void metrics_dns_batch_count(struct metrics_dns_batch *b, bool is_update,
                                           unsigned rcode)
{
    unsigned i = (is_update ? METRICS_N_RCODE : 0) + (rcode & (METRICS_N_RCODE - 1));
    b->n[i]++;
    b->seen |= UINT32_C(1) << i;
}

/* metrics_dns_batch_flush adds |b| to the shared counters and zeroes it. */
void metrics_dns_batch_flush(struct metrics_dns_batch *b);

/* metrics_http_request counts one HTTPS response with |status| (100-599;
 * others are not counted) that took |duration_us| from its request's headers
 * to its queued reply. */
void metrics_http_request(unsigned status, uint64_t duration_us);

/* metrics_render writes every counter in the Prometheus text format 0.0.4
 * ("# HELP", "# TYPE" and sample lines, each ending in '\n') to |out|, adds
 * a NUL and returns the length without it; 0 when |out_cap| is too small.
 * METRICS_RENDER_MAX always suffices. */
#define METRICS_RENDER_MAX 8192
size_t metrics_render(char *out, size_t out_cap);

#endif
