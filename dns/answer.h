/* answer.h — authoritative answers for the zone (SPEC "DNS"): SOA and NS at
 * the apex, the gateway's addresses, the SRV that points devices at its
 * HTTPS port, hex names computed from the name itself, friendly names and
 * challenge TXT records from the record table, and reverse PTRs. */
#ifndef LC_DNS_ANSWER_H
#define LC_DNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"
#include "dns/records.h"
#include "dns/wire.h"

#define DNS_TTL_HEX 3600     /* a hex name never changes meaning */
#define DNS_TTL_NAMES 60     /* friendly names move when devices do */
#define DNS_TTL_NEGATIVE 60  /* SOA minimum: how long a "no" is cached */

struct dns_zone {
    struct dns_name apex, gateway, hostmaster, srv_owner;
    char zone_text[LC_NAME_MAX + 1];
    char gateway_label[LC_LABEL_MAX + 1];
    struct lc_addr gateway_addrs[CONF_MAX_GATEWAY_ADDRS];
    size_t n_gateway_addrs;
    struct lc_prefix_set allow;
    struct lc_prefix_set rrl_exempt; /* sources the server never rate-limits */
    uint16_t https_port;
    bool reverse;
    struct dns_records *records; /* borrowed */
};

/* dns_zone_init fills |z| from |conf| (copied) and |records| (borrowed). */
int dns_zone_init(struct dns_zone *z, const struct lc_conf *conf, struct dns_records *records,
                  struct lc_err *err);

/* dns_answer_query writes the response to the parsed query |q| into |out|
 * (|out_cap| bytes: the UDP payload limit or 65535 for TCP) and returns its
 * length. A response that does not fit is cut to the question with TC set. */
size_t dns_answer_query(const struct dns_zone *z, const struct dns_msg *q, uint8_t *out,
                        size_t out_cap, int64_t now);

/* dns_answer_error writes a bare response with |rcode| for |q|'s header (and
 * its question when it has one). */
size_t dns_answer_error(const struct dns_msg *q, int rcode, uint8_t *out, size_t out_cap);

/* dns_answer_packet parses |pkt| and answers it as a query would be (QUERY),
 * with NOTIMP for other opcodes and FORMERR for malformed messages; 0 means
 * drop. UPDATE is the caller's to dispatch before this. */
size_t dns_answer_packet(const struct dns_zone *z, const uint8_t *pkt, size_t len, uint8_t *out,
                         size_t out_cap, bool is_tcp, int64_t now);

/* dns_answer_msg answers an already parsed message as dns_answer_packet
 * does after its parse. */
size_t dns_answer_msg(const struct dns_zone *z, const struct dns_msg *q, uint8_t *out,
                      size_t out_cap, bool is_tcp, int64_t now);

/* dns_answer_parse_error answers a message dns_msg_parse refused with |pr|:
 * nothing for DNS_PARSE_DROP, FORMERR with the bare header otherwise. */
size_t dns_answer_parse_error(struct dns_msg *q, enum dns_parse_result pr, uint8_t *out,
                              size_t out_cap);

/* dns_udp_limit is the response size limit for |q| over UDP. */
size_t dns_udp_limit(const struct dns_msg *q);

#endif
