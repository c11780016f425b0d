/* fuzz_dns.c — DNS messages from the network: dns_msg_parse (dns/wire.c)
 * for queries and for updates (their records kept), and dns_answer_packet
 * (dns/answer.c) over UDP and TCP limits. Invariants: a response fits its
 * limit, carries the query's ID with QR set and never more than it claims; a
 * parsed question name re-encodes and re-parses to itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "dns/answer.h"
#include "dns/records.h"
#include "dns/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_dns: invariant broken: %s\n", what);
        abort();
    }
}

static const struct dns_zone *test_zone(void)
{
    static struct dns_zone zone;
    static struct dns_records *records;
    static int ready;
    if (!ready) {
        struct lc_conf conf;
        struct lc_err err;
        struct lc_addr a;
        conf_init(&conf);
        require(conf_set(&conf, "allow", "127.0.0.0/8 10.0.0.0/8 192.168.0.0/16 fc00::/7", &err) == LC_OK &&
                    conf_set(&conf, "reverse", "yes", &err) == LC_OK &&
                    conf_finish(&conf, &err) == LC_OK && dns_records_new(&records, &err) == LC_OK,
                "test zone");
        require(addr_parse(&a, "192.168.1.50", 12), "address");
        require(dns_records_set_addrs(records, "printer.home.arpa", &a, 1, &err) == LC_OK &&
                    dns_records_add_txt(records, "_acme-challenge.printer.home.arpa", "token", 5, 0,
                                        &err) == LC_OK &&
                    dns_zone_init(&zone, &conf, records, &err) == LC_OK,
                "test records");
        ready = 1;
    }
    return &zone;
}

static void check_response(const uint8_t *q, size_t q_len, const uint8_t *r, size_t r_len,
                           size_t cap)
{
    require(r_len <= cap, "a response fits its limit");
    if (r_len == 0)
        return;
    require(r_len >= DNS_HDR_LEN && q_len >= DNS_HDR_LEN, "a response has a header");
    require(r[0] == q[0] && r[1] == q[1], "a response has the query's ID");
    require(r[2] & 0x80, "a response has QR set");
    require((r[3] & 0x80) == 0, "an authoritative server never offers recursion");
}

static void check_question_round_trip(const struct dns_msg *m)
{
    uint8_t buf[512];
    struct dns_out w;
    struct dns_name again;
    dns_out_init(&w, buf, sizeof(buf));
    w.len = DNS_HDR_LEN;
    memset(buf, 0, DNS_HDR_LEN);
    dns_out_name(&w, &m->qname);
    require(!w.overflow, "a parsed name re-encodes");
    struct cur c = cur_init(buf + DNS_HDR_LEN, w.len - DNS_HDR_LEN);
    require(dns_name_read(&again, buf, w.len, &c), "a re-encoded name parses");
    require(dns_name_equal(&again, &m->qname) && again.len == m->qname.len &&
                memcmp(again.wire, m->qname.wire, again.len) == 0,
            "a name round-trips with its letter case");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[65535];
    struct dns_rr an[DNS_MAX_RRS], ns[DNS_MAX_RRS];
    struct dns_msg m;
    const struct dns_zone *z = test_zone();

    m.an = an;
    m.ns = ns;
    if (dns_msg_parse(&m, data, size, true) == DNS_PARSE_OK) {
        require(m.n_an <= DNS_MAX_RRS && m.n_ns <= DNS_MAX_RRS, "records within their cap");
        for (unsigned i = 0; i < m.n_an; i++)
            require((size_t)an[i].rdata_at + an[i].rdlen <= size, "RDATA inside the message");
        for (unsigned i = 0; i < m.n_ns; i++)
            require((size_t)ns[i].rdata_at + ns[i].rdlen <= size, "RDATA inside the message");
        if (m.has_tsig)
            require((size_t)m.tsig.rdata_at + m.tsig.rdlen <= size, "TSIG inside the message");
        if (m.has_question)
            check_question_round_trip(&m);
    }
    size_t n = dns_answer_packet(z, data, size, out, 512, false, 1000);
    check_response(data, size, out, n, 512);
    n = dns_answer_packet(z, data, size, out, sizeof(out), true, 1000);
    check_response(data, size, out, n, sizeof(out));
    return 0;
}
