/* dns_answer.c — the responder's own work per query, without sockets:
 * dns_answer_packet (parse, classify, answer, encode) over the hex names
 * bench/dns.sh asks for, on one thread. bench/dns.sh measures the whole
 * server under dnsperf, where the kernel's UDP path costs far more; this
 * is the part of that figure lancert's code decides. Each round also times
 * counting the answers by RCODE as dns/server.c does (core/metrics batches
 * flushed every 32 answers, a full recvmmsg, and after every answer, the
 * worst case): what the metrics add per query. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"
#include "core/metrics.h"
#include "dns/answer.h"
#include "dns/records.h"

#define QUERY_MAX 64 /* header, question of an 8-hex-digit name, OPT */

struct query {
    uint8_t pkt[QUERY_MAX];
    size_t len;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: dns_answer [--names N] [--passes P] [--rounds R] [--edns]\n"
            "\n"
            "Answers N type-A queries for the hex names of 10.0.0.1 ... in process,\n"
            "P passes over them per round, R rounds; prints CPU ns per query (median\n"
            "round). Defaults: N=1000, P=2000, R=5; --edns adds an OPT record as\n"
            "dnsperf -e does.\n");
}

/* make_query writes a QUERY for <hex of |a|>.home.arpa A with RD set, as
 * dnsperf sends it. */
static void make_query(struct query *q, uint32_t a, uint16_t id, bool edns)
{
    char label[9];
    struct dns_out w;
    struct dns_hdr h = {id, DNS_F_RD, 1, 0, 0, edns ? 1 : 0};
    snprintf(label, sizeof(label), "%08x", a);
    dns_out_init(&w, q->pkt, sizeof(q->pkt));
    dns_out_hdr(&w, &h);
    uint8_t l = 8;
    dns_out_bytes(&w, &l, 1);
    dns_out_bytes(&w, label, 8);
    dns_out_bytes(&w, "\4home\4arpa", 11);
    dns_out_u16(&w, DNS_T_A);
    dns_out_u16(&w, DNS_C_IN);
    if (edns) {
        dns_out_bytes(&w, "", 1);
        dns_out_u16(&w, DNS_T_OPT);
        dns_out_u16(&w, 4096);
        dns_out_u32(&w, 0);
        dns_out_u16(&w, 0);
    }
    q->len = w.len;
}

/* counted counts |n| answers whose RCODEs are |rcodes| |passes| times over
 * in a metrics batch flushed every |batch| answers, as dns/server.c does
 * after each recvmmsg; returns CPU ns per answer. Timed apart from the
 * answers because it is a few ns beside ~125. */
static double counted(const uint8_t *rcodes, size_t n, size_t passes, size_t batch)
{
    struct metrics_dns_batch b;
    size_t in_batch = 0;
    double c0 = bench_cpu();
    metrics_dns_batch_init(&b);
    for (size_t p = 0; p < passes; p++)
        for (size_t i = 0; i < n; i++) {
            metrics_dns_batch_count(&b, false, rcodes[i]);
            if (++in_batch == batch) {
                metrics_dns_batch_flush(&b);
                in_batch = 0;
            }
        }
    metrics_dns_batch_flush(&b);
    return (bench_cpu() - c0) * 1e9 / (double)(passes * n);
}

static int cmp_double(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return (*x > *y) - (*x < *y);
}

int main(int argc, char **argv)
{
    size_t n_names = 1000, passes = 2000, rounds = 5;
    bool edns = false;
    struct lc_err err = {LC_OK, ""};
    struct lc_conf conf;
    struct dns_records *records = NULL;
    struct dns_zone zone;
    struct query *queries = NULL;
    double *ns = NULL, *ns32 = NULL, *ns1 = NULL;
    uint8_t *rcodes = NULL;
    uint8_t out[DNS_EDNS_PAYLOAD];
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        size_t *target = NULL;
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--edns") == 0) {
            edns = true;
            continue;
        } else if (strcmp(argv[i], "--names") == 0) {
            target = &n_names;
        } else if (strcmp(argv[i], "--passes") == 0) {
            target = &passes;
        } else if (strcmp(argv[i], "--rounds") == 0) {
            target = &rounds;
        } else {
            usage(stderr);
            return bench_usage_error("dns_answer", "an unknown argument", argv[i]);
        }
        if (++i >= argc || !bench_parse_size(target, argv[i]))
            return bench_usage_error("dns_answer", argv[i - 1], i < argc ? argv[i] : "(nothing)");
    }
    if (n_names > 65535)
        return bench_usage_error("dns_answer", "--names", "over 65535");

    conf_init(&conf);
    if (conf_set(&conf, "allow", "10.0.0.0/8", &err) != LC_OK ||
        conf_set(&conf, "dns_rrl", "0", &err) != LC_OK || conf_finish(&conf, &err) != LC_OK ||
        dns_records_new(&records, &err) != LC_OK || dns_zone_init(&zone, &conf, records, &err) != LC_OK)
        goto out;
    if (!(queries = calloc(n_names, sizeof(*queries))) || !(ns = calloc(rounds, sizeof(*ns))) ||
        !(ns32 = calloc(rounds, sizeof(*ns32))) || !(ns1 = calloc(rounds, sizeof(*ns1))) ||
        !(rcodes = calloc(n_names, 1))) {
        fprintf(stderr, "dns_answer: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < n_names; i++)
        make_query(&queries[i], 0x0a000001u + (uint32_t)i, (uint16_t)i, edns);

    /* Every answer must be a NOERROR with one A record, or the figure
     * would time some other path. */
    for (size_t i = 0; i < n_names; i++) {
        size_t len = dns_answer_packet(&zone, queries[i].pkt, queries[i].len, out, sizeof(out),
                                       false, (int64_t)time(NULL));
        if (len < DNS_HDR_LEN || DNS_RCODE(out[3]) != DNS_R_NOERROR || out[6] != 0 || out[7] != 1) {
            fprintf(stderr, "dns_answer: query %zu was not answered with one record\n", i);
            goto out;
        }
        rcodes[i] = out[3] & 0x0f;
    }

    size_t total = 0;
    for (size_t r = 0; r < rounds; r++) {
        double c0 = bench_cpu();
        for (size_t p = 0; p < passes; p++)
            for (size_t i = 0; i < n_names; i++)
                total += dns_answer_packet(&zone, queries[i].pkt, queries[i].len, out, sizeof(out),
                                           false, (int64_t)time(NULL));
        ns[r] = (bench_cpu() - c0) * 1e9 / (double)(passes * n_names);
        ns32[r] = counted(rcodes, n_names, passes, 32);
        ns1[r] = counted(rcodes, n_names, passes, 1);
        printf("round %zu: %.1f ns CPU per query; counting it, batches of 32: %.2f, of 1: %.2f\n",
               r + 1, ns[r], ns32[r], ns1[r]);
    }
    qsort(ns, rounds, sizeof(*ns), cmp_double);
    qsort(ns32, rounds, sizeof(*ns32), cmp_double);
    qsort(ns1, rounds, sizeof(*ns1), cmp_double);
    printf("result names=%zu passes=%zu edns=%s ns_per_query=%.1f min=%.1f max=%.1f (%zu bytes out)\n",
           n_names, passes, edns ? "yes" : "no", ns[rounds / 2], ns[0], ns[rounds - 1], total);
    printf("metrics: counting by RCODE adds %.2f ns CPU per query in batches of 32, %.2f in "
           "batches of 1\n", ns32[rounds / 2], ns1[rounds / 2]);
    rc = 0;
out:
    if (rc && err.code != LC_OK)
        fprintf(stderr, "dns_answer: %s\n", err.msg);
    free(queries);
    free(ns);
    free(ns32);
    free(ns1);
    free(rcodes);
    dns_records_free(records);
    return rc;
}
