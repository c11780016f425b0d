/* answer.c — one query in, one authoritative response out. The hex path
 * decodes the name itself: no table, no lock, no allocation. */
#include "dns/answer.h"

#include <stdio.h>
#include <string.h>

#include "core/name.h"

#define SOA_REFRESH 3600
#define SOA_RETRY 600
#define SOA_EXPIRE 86400

struct reply {
    const struct dns_zone *z;
    const struct dns_msg *q;
    struct dns_out *w;
    uint16_t n_an, n_ns;
    int64_t now;
    const struct dns_name *apex; /* of the zone answering: the SOA's owner */
};

int dns_zone_init(struct dns_zone *z, const struct lc_conf *conf, struct dns_records *records,
                  struct lc_err *err)
{
    char text[LC_NAME_MAX + 32];
    memset(z, 0, sizeof(*z));
    snprintf(z->zone_text, sizeof(z->zone_text), "%s", conf->zone);
    snprintf(z->gateway_label, sizeof(z->gateway_label), "%s", conf->gateway_name);
    if (!dns_name_from_text(&z->apex, conf->zone))
        return lc_fail(err, LC_E_CONFIG, "zone %s is not a DNS name", conf->zone);
    conf_gateway_fqdn(text, conf);
    if (!dns_name_from_text(&z->gateway, text))
        return lc_fail(err, LC_E_CONFIG, "gateway name %s is not a DNS name", text);
    snprintf(text, sizeof(text), "hostmaster.%s", conf->zone);
    if (!dns_name_from_text(&z->hostmaster, text))
        return lc_fail(err, LC_E_CONFIG, "zone %s is too long", conf->zone);
    snprintf(text, sizeof(text), "_lancert._tcp.%s", conf->zone);
    if (!dns_name_from_text(&z->srv_owner, text))
        return lc_fail(err, LC_E_CONFIG, "zone %s is too long", conf->zone);
    memcpy(z->gateway_addrs, conf->gateway_addrs, sizeof(z->gateway_addrs));
    z->n_gateway_addrs = conf->n_gateway_addrs;
    z->allow = conf->allow;
    z->rrl_exempt = conf->dns_rrl_exempt;
    z->https_port = conf->https_listen.n_items ? conf->https_listen.items[0].port : 443;
    z->reverse = conf->reverse;
    z->records = records;
    return LC_OK;
}

size_t dns_udp_limit(const struct dns_msg *q)
{
    if (!q->has_edns)
        return 512;
    return q->edns_payload < DNS_EDNS_PAYLOAD ? q->edns_payload : DNS_EDNS_PAYLOAD;
}

/* ---- records ------------------------------------------------------------------ */

static void rr_addr(struct reply *r, const struct dns_name *owner, const struct lc_addr *a,
                    uint32_t ttl)
{
    size_t at = dns_out_rr_begin(r->w, owner, a->family == LC_AF_INET ? DNS_T_A : DNS_T_AAAA,
                                 DNS_C_IN, ttl);
    dns_out_bytes(r->w, a->b, addr_len(a));
    dns_out_rr_end(r->w, at);
    r->n_an++;
}

static void rr_soa(struct reply *r, bool in_answer)
{
    size_t at = dns_out_rr_begin(r->w, r->apex, DNS_T_SOA, DNS_C_IN, DNS_TTL_NEGATIVE);
    dns_out_name(r->w, &r->z->gateway);
    dns_out_name(r->w, &r->z->hostmaster);
    dns_out_u32(r->w, dns_records_serial(r->z->records));
    dns_out_u32(r->w, SOA_REFRESH);
    dns_out_u32(r->w, SOA_RETRY);
    dns_out_u32(r->w, SOA_EXPIRE);
    dns_out_u32(r->w, DNS_TTL_NEGATIVE);
    dns_out_rr_end(r->w, at);
    if (in_answer)
        r->n_an++;
    else
        r->n_ns++;
}

static void rr_name(struct reply *r, const struct dns_name *owner, uint16_t type,
                    const struct dns_name *target, uint32_t ttl)
{
    size_t at = dns_out_rr_begin(r->w, owner, type, DNS_C_IN, ttl);
    dns_out_name(r->w, target);
    dns_out_rr_end(r->w, at);
    r->n_an++;
}

static void rr_srv(struct reply *r)
{
    size_t at = dns_out_rr_begin(r->w, &r->q->qname, DNS_T_SRV, DNS_C_IN, DNS_TTL_HEX);
    dns_out_u16(r->w, 0);
    dns_out_u16(r->w, 0);
    dns_out_u16(r->w, r->z->https_port);
    dns_out_name(r->w, &r->z->gateway);
    dns_out_rr_end(r->w, at);
    r->n_an++;
}

static bool wants(uint16_t qtype, uint16_t type)
{
    return qtype == type || qtype == DNS_T_ANY;
}

/* answer_addrs answers A/AAAA from a list; NODATA when none fits. */
static int answer_addrs(struct reply *r, const struct lc_addr *addrs, size_t n, uint32_t ttl)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t type = addrs[i].family == LC_AF_INET ? DNS_T_A : DNS_T_AAAA;
        if (wants(r->q->qtype, type))
            rr_addr(r, &r->q->qname, &addrs[i], ttl);
    }
    if (r->n_an == 0)
        rr_soa(r, false);
    return DNS_R_NOERROR;
}

static int nxdomain(struct reply *r)
{
    rr_soa(r, false);
    return DNS_R_NXDOMAIN;
}

static int answer_service(struct reply *r, const char *name)
{
    const struct dns_zone *z = r->z;
    static const char challenge[] = "_acme-challenge.";
    char tcp[LC_NAME_MAX + 8];
    if (dns_name_equal(&r->q->qname, &z->srv_owner)) {
        if (wants(r->q->qtype, DNS_T_SRV))
            rr_srv(r);
        else
            rr_soa(r, false);
        return DNS_R_NOERROR;
    }
    snprintf(tcp, sizeof(tcp), "_tcp.%s", z->zone_text);
    if (strcmp(name, tcp) == 0) { /* an empty non-terminal above the SRV */
        rr_soa(r, false);
        return DNS_R_NOERROR;
    }
    if (strncmp(name, challenge, sizeof(challenge) - 1) == 0) {
        struct dns_txt txt[DNS_MAX_TXT];
        int n = dns_records_get_txt(z->records, name, r->now, txt);
        if (n < 0)
            return nxdomain(r);
        for (int i = 0; i < n && wants(r->q->qtype, DNS_T_TXT); i++) {
            size_t at = dns_out_rr_begin(r->w, &r->q->qname, DNS_T_TXT, DNS_C_IN, DNS_TTL_NAMES);
            dns_out_bytes(r->w, &txt[i].len, 1);
            dns_out_bytes(r->w, txt[i].text, txt[i].len);
            dns_out_rr_end(r->w, at);
            r->n_an++;
        }
        if (r->n_an == 0)
            rr_soa(r, false);
        return DNS_R_NOERROR;
    }
    return nxdomain(r);
}

/* answer_apex answers at a zone's apex (r->apex): SOA and NS. */
static int answer_apex(struct reply *r)
{
    if (wants(r->q->qtype, DNS_T_SOA))
        rr_soa(r, true);
    if (wants(r->q->qtype, DNS_T_NS))
        rr_name(r, &r->q->qname, DNS_T_NS, &r->z->gateway, SOA_REFRESH);
    if (r->n_an == 0)
        rr_soa(r, false);
    return DNS_R_NOERROR;
}

static int answer_zone(struct reply *r, unsigned depth)
{
    const struct dns_zone *z = r->z;
    const struct dns_msg *q = r->q;
    char name[LC_NAME_MAX + 1];
    struct name_info info;

    if (depth == 0)
        return answer_apex(r);
    /* The hex path reads the first label as it came off the wire: no text
     * form, no classification by string. A hex label one level down that
     * does not decode is what name_classify calls a service name, which
     * answer_service answers with NXDOMAIN. */
    if (depth == 1 && name_is_hex_label((const char *)q->qname.wire + 1, q->qname.wire[0])) {
        struct lc_addr a;
        if (!name_hex_decode(&a, (const char *)q->qname.wire + 1, q->qname.wire[0]) ||
            !prefix_set_contains(&z->allow, &a))
            return nxdomain(r);
        return answer_addrs(r, &a, 1, DNS_TTL_HEX);
    }
    if (!dns_name_to_text(name, sizeof(name), &q->qname))
        return nxdomain(r);
    name_classify(&info, name, z->zone_text, z->gateway_label);
    switch (info.kind) {
    case NAME_GATEWAY:
        return answer_addrs(r, z->gateway_addrs, z->n_gateway_addrs, DNS_TTL_NAMES);
    case NAME_HEX:
        if (!prefix_set_contains(&z->allow, &info.addr))
            return nxdomain(r);
        return answer_addrs(r, &info.addr, 1, DNS_TTL_HEX);
    case NAME_FRIENDLY: {
        struct lc_addr addrs[DNS_MAX_ADDRS];
        int n = dns_records_get_addrs(z->records, name, addrs);
        if (n < 0)
            return nxdomain(r);
        return answer_addrs(r, addrs, (size_t)n, DNS_TTL_NAMES);
    }
    case NAME_SERVICE:
        return answer_service(r, name);
    case NAME_APEX:
    case NAME_OUTSIDE:
        break;
    }
    return nxdomain(r);
}

/* reverse_addr reads "d.c.b.a.in-addr.arpa" (4 labels of 1-3 digits). */
static bool reverse_addr(const struct dns_name *n, struct lc_addr *out, unsigned *out_labels)
{
    static const struct dns_name arpa = {{7, 'i', 'n', '-', 'a', 'd', 'd', 'r', 4, 'a', 'r', 'p', 'a', 0}, 14, 2};
    unsigned depth;
    uint8_t octets[4] = {0};
    if (!dns_name_is_under(n, &arpa, &depth) || depth == 0 || depth > 4)
        return false;
    size_t off = 0;
    for (unsigned i = 0; i < depth; i++) {
        uint8_t l = n->wire[off];
        unsigned v = 0;
        if (l == 0 || l > 3)
            return false;
        for (uint8_t j = 1; j <= l; j++) {
            uint8_t d = n->wire[off + j];
            if (d < '0' || d > '9' || (j == 1 && d == '0' && l > 1))
                return false;
            v = v * 10 + (unsigned)(d - '0');
        }
        if (v > 255)
            return false;
        octets[depth - 1 - i] = (uint8_t)v;
        off += 1 + (size_t)l;
    }
    *out_labels = depth;
    return addr_from_bytes(out, octets, 4);
}

/* reverse_apex makes the apex of the reverse zone |n| (|labels| labels
 * under in-addr.arpa) lies in: "<first octet>.in-addr.arpa". */
static void reverse_apex(struct dns_name *out, const struct dns_name *n, unsigned labels)
{
    size_t off = dns_name_label_offset(n, labels - 1);
    out->len = (uint8_t)(n->len - off);
    out->n_labels = 3;
    memcpy(out->wire, n->wire + off, out->len);
}

static int answer_reverse(struct reply *r, const struct lc_addr *a, unsigned labels)
{
    char name[LC_NAME_MAX + 1];
    struct dns_name target;
    struct lc_err ignored;
    if (labels == 1)
        return answer_apex(r);
    if (labels < 4) { /* an empty non-terminal of an allowed range */
        rr_soa(r, false);
        return DNS_R_NOERROR;
    }
    if (!prefix_set_contains(&r->z->allow, a))
        return nxdomain(r);
    if (!dns_records_name_of(r->z->records, a, name) &&
        name_encode(name, sizeof(name), a, r->z->zone_text, &ignored) != LC_OK)
        return nxdomain(r);
    if (!dns_name_from_text(&target, name))
        return nxdomain(r);
    if (wants(r->q->qtype, DNS_T_PTR))
        rr_name(r, &r->q->qname, DNS_T_PTR, &target, DNS_TTL_NAMES);
    else
        rr_soa(r, false);
    return DNS_R_NOERROR;
}

/* reverse_in_scope: the /8 of the name's first octet holds an allowed range. */
static bool reverse_in_scope(const struct dns_zone *z, const struct lc_addr *a)
{
    for (size_t i = 0; i < z->allow.n_prefixes; i++) {
        const struct lc_prefix *p = &z->allow.prefixes[i];
        if (p->addr.family == LC_AF_INET && p->bits >= 8 && p->addr.b[0] == a->b[0])
            return true;
    }
    return false;
}

static void write_question(struct dns_out *w, const struct dns_msg *q)
{
    if (!q->has_question)
        return;
    dns_out_name(w, &q->qname); /* as received: the client's letter case echoed */
    dns_out_u16(w, q->qtype);
    dns_out_u16(w, q->qclass);
}

static uint16_t reply_flags(const struct dns_msg *q, int rcode, bool aa)
{
    return (uint16_t)(DNS_F_QR | (q->hdr.flags & (0x7800 | DNS_F_RD)) | (aa ? DNS_F_AA : 0) |
                      (rcode & 0xf));
}

size_t dns_answer_error(const struct dns_msg *q, int rcode, uint8_t *out, size_t out_cap)
{
    struct dns_out w;
    struct dns_hdr h = {q->hdr.id, reply_flags(q, rcode, false), q->has_question ? 1 : 0, 0, 0,
                        q->has_edns ? 1 : 0};
    dns_out_init(&w, out, out_cap);
    dns_out_hdr(&w, &h);
    write_question(&w, q);
    if (q->has_edns)
        dns_out_edns(&w, (uint8_t)(rcode >> 4));
    if (w.overflow) { /* even the question does not fit: header only */
        h.qdcount = h.arcount = 0;
        dns_out_init(&w, out, out_cap);
        dns_out_hdr(&w, &h);
    }
    return w.overflow ? 0 : w.len;
}

size_t dns_answer_query(const struct dns_zone *z, const struct dns_msg *q, uint8_t *out,
                        size_t out_cap, int64_t now)
{
    struct dns_out w;
    struct reply r = {z, q, &w, 0, 0, now, &z->apex};
    struct dns_name rev_apex;
    unsigned depth, labels;
    struct lc_addr a;
    int rcode;

    if (!q->has_question)
        return dns_answer_error(q, DNS_R_FORMERR, out, out_cap);
    if (q->has_edns && q->edns_version > 0)
        return dns_answer_error(q, DNS_R_BADVERS, out, out_cap);
    dns_out_init(&w, out, out_cap);
    w.len = DNS_HDR_LEN;
    write_question(&w, q);
    if (q->qclass != DNS_C_IN && q->qclass != DNS_C_ANY)
        return dns_answer_error(q, DNS_R_REFUSED, out, out_cap);
    if (dns_name_is_under(&q->qname, &z->apex, &depth)) {
        rcode = answer_zone(&r, depth);
    } else if (z->reverse && reverse_addr(&q->qname, &a, &labels) && reverse_in_scope(z, &a)) {
        /* RFC 2308 3: a negative answer carries the SOA of the zone the
         * name is in; for reverse names that is not the forward zone. */
        reverse_apex(&rev_apex, &q->qname, labels);
        r.apex = &rev_apex;
        rcode = answer_reverse(&r, &a, labels);
    } else {
        return dns_answer_error(q, DNS_R_REFUSED, out, out_cap);
    }
    if (q->has_edns)
        dns_out_edns(&w, 0);
    struct dns_hdr h = {q->hdr.id, reply_flags(q, rcode, true), 1, r.n_an, r.n_ns,
                        q->has_edns ? 1 : 0};
    if (w.overflow) { /* RFC 2181 9: cut to the question, say so with TC */
        dns_out_init(&w, out, out_cap);
        w.len = DNS_HDR_LEN;
        write_question(&w, q);
        if (q->has_edns)
            dns_out_edns(&w, 0);
        h.flags |= DNS_F_TC;
        h.ancount = h.nscount = 0;
    }
    dns_out_hdr(&w, &h);
    return w.overflow ? 0 : w.len;
}

size_t dns_answer_msg(const struct dns_zone *z, const struct dns_msg *q, uint8_t *out,
                      size_t out_cap, bool is_tcp, int64_t now)
{
    if (DNS_OPCODE(q->hdr.flags) != DNS_OP_QUERY)
        return dns_answer_error(q, DNS_R_NOTIMP, out, out_cap);
    if (q->hdr.qdcount != 1 || q->hdr.ancount != 0 || q->hdr.nscount != 0)
        return dns_answer_error(q, DNS_R_FORMERR, out, out_cap);
    size_t cap = is_tcp ? out_cap : dns_udp_limit(q);
    return dns_answer_query(z, q, out, cap < out_cap ? cap : out_cap, now);
}

size_t dns_answer_parse_error(struct dns_msg *q, enum dns_parse_result pr, uint8_t *out,
                              size_t out_cap)
{
    if (pr == DNS_PARSE_DROP)
        return 0;
    /* Nothing past the header can be trusted: answer with the bare header. */
    q->has_question = false;
    q->has_edns = false;
    return dns_answer_error(q, DNS_R_FORMERR, out, out_cap);
}

size_t dns_answer_packet(const struct dns_zone *z, const uint8_t *pkt, size_t len, uint8_t *out,
                         size_t out_cap, bool is_tcp, int64_t now)
{
    struct dns_msg q;
    q.an = q.ns = NULL;
    enum dns_parse_result pr = dns_msg_parse(&q, pkt, len, false);
    if (pr != DNS_PARSE_OK)
        return dns_answer_parse_error(&q, pr, out, out_cap);
    return dns_answer_msg(z, &q, out, out_cap, is_tcp, now);
}
