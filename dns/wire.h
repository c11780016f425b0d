/* wire.h — the DNS wire format (RFC 1035 4.1, RFC 6891 for EDNS): reading
 * messages through the cursor with every count and pointer bounded, and
 * writing responses with name compression into a fixed buffer. */
#ifndef LC_DNS_WIRE_H
#define LC_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cur.h"

#define DNS_HDR_LEN 12
#define DNS_NAME_MAX 255      /* wire octets, RFC 1035 2.3.4 */
#define DNS_MAX_POINTERS 16   /* compression hops before a name is refused */
#define DNS_MAX_RRS 64        /* records kept per message section; more is FORMERR */
#define DNS_EDNS_PAYLOAD 1232 /* what we offer and cap UDP answers at (DNS flag day 2020) */

enum dns_type {
    DNS_T_A = 1, DNS_T_NS = 2, DNS_T_SOA = 6, DNS_T_PTR = 12, DNS_T_TXT = 16,
    DNS_T_AAAA = 28, DNS_T_SRV = 33, DNS_T_OPT = 41, DNS_T_TSIG = 250, DNS_T_ANY = 255,
};
enum dns_class { DNS_C_IN = 1, DNS_C_NONE = 254, DNS_C_ANY = 255 };
enum dns_opcode { DNS_OP_QUERY = 0, DNS_OP_UPDATE = 5 };
enum dns_rcode {
    DNS_R_NOERROR = 0, DNS_R_FORMERR = 1, DNS_R_SERVFAIL = 2, DNS_R_NXDOMAIN = 3,
    DNS_R_NOTIMP = 4, DNS_R_REFUSED = 5, DNS_R_YXDOMAIN = 6, DNS_R_YXRRSET = 7,
    DNS_R_NXRRSET = 8, DNS_R_NOTAUTH = 9, DNS_R_NOTZONE = 10,
    DNS_R_BADVERS = 16, /* extended: needs OPT */
};

/* Header flag bits (RFC 1035 4.1.1). */
#define DNS_F_QR 0x8000
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_RA 0x0080
#define DNS_F_CD 0x0010
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xf)
#define DNS_RCODE(flags) ((flags)&0xf)

struct dns_hdr {
    uint16_t id, flags, qdcount, ancount, nscount, arcount;
};

/* A name in uncompressed wire form, letter case as received. */
struct dns_name {
    uint8_t wire[DNS_NAME_MAX];
    uint8_t len;      /* octets, including the root label */
    uint8_t n_labels; /* not counting the root */
};

struct dns_rr {
    struct dns_name name;
    uint16_t type, class;
    uint32_t ttl;
    uint16_t rdlen;
    uint16_t rdata_at; /* offset of RDATA in the message */
    uint16_t start;    /* offset of the record's first octet */
};

/* A parsed message. Queries use only the question and the EDNS/TSIG facts;
 * updates also use the prerequisite and update sections (an, ns). */
struct dns_msg {
    const uint8_t *pkt;
    size_t len;
    struct dns_hdr hdr;
    struct dns_name qname;
    uint16_t qtype, qclass;
    bool has_question;
    bool has_edns;
    uint16_t edns_payload;
    uint8_t edns_version;
    bool has_tsig;
    struct dns_rr tsig;   /* has_tsig: the TSIG record, last in the message */
    struct dns_rr *an;    /* with keep_rrs: caller's storage for DNS_MAX_RRS records */
    struct dns_rr *ns;
    uint16_t n_an, n_ns;
};

enum dns_parse_result {
    DNS_PARSE_OK,
    DNS_PARSE_FORMERR, /* answer with FORMERR (the header was readable) */
    DNS_PARSE_DROP,    /* no answer: not even a header, or a response */
};

/* dns_msg_parse reads |len| bytes of |pkt| (borrowed; it must outlive |out|).
 * With |keep_rrs| the answer and authority records are kept (UPDATE's
 * prerequisite and update sections) in out->an and out->ns, which the caller
 * points at DNS_MAX_RRS records each; without, they are only skipped. Names are bounded:
 * 255 octets, labels of 63, compression pointers strictly backwards and at
 * most DNS_MAX_POINTERS. OPT must be in the additional section, once, with
 * the root name; TSIG must be the last record. */
enum dns_parse_result dns_msg_parse(struct dns_msg *out, const uint8_t *pkt, size_t len,
                                    bool keep_rrs);

/* dns_name_read reads a possibly compressed name at |c| within message
 * |pkt|/|len|, advancing |c| past it. */
bool dns_name_read(struct dns_name *out, const uint8_t *pkt, size_t len, struct cur *c);

/* dns_name_from_text makes a wire name from presentation text ("a.b" or
 * "a.b."); false when a label is empty or over 63, or the name over 255. */
bool dns_name_from_text(struct dns_name *out, const char *text);

/* dns_name_to_text writes the name lowercase in presentation form without
 * the final dot ("" for the root); false when |out_len| is too small or a
 * label holds a byte that form would have to escape ('.', '\\', space,
 * controls, non-ASCII), whose plain text would be another name's. */
bool dns_name_to_text(char *out, size_t out_len, const struct dns_name *n);

/* dns_name_equal compares two names ignoring ASCII letter case. */
bool dns_name_equal(const struct dns_name *a, const struct dns_name *b);

/* dns_name_label_offset returns the offset in |n|->wire of label |i| (0 is
 * the first); the suffix from there is itself a name. */
size_t dns_name_label_offset(const struct dns_name *n, unsigned i);

/* dns_name_is_under is true when |n| equals |zone| or lies below it; then
 * *out_depth is how many labels |n| has above |zone| (0 for the apex). */
bool dns_name_is_under(const struct dns_name *n, const struct dns_name *zone, unsigned *out_depth);

/* ---- writing ------------------------------------------------------------- */

#define DNS_COMPRESS_SLOTS 16

struct dns_out {
    uint8_t *buf;
    size_t cap; /* the limit for this answer (UDP payload size, or 65535) */
    size_t len;
    bool overflow; /* a write did not fit; what was written before stays */
    uint16_t slots[DNS_COMPRESS_SLOTS]; /* offsets of names written, for compression */
    unsigned n_slots;
};

/* dns_out_init starts a message in |buf| of |cap| bytes (borrowed). */
void dns_out_init(struct dns_out *w, uint8_t *buf, size_t cap);

void dns_out_u16(struct dns_out *w, uint16_t v);
void dns_out_u32(struct dns_out *w, uint32_t v);
void dns_out_bytes(struct dns_out *w, const void *p, size_t n);

/* dns_out_name writes |n|, pointing at an earlier copy of its longest
 * matching suffix when there is one (RFC 1035 4.1.4). */
void dns_out_name(struct dns_out *w, const struct dns_name *n);

/* dns_out_hdr writes (or rewrites at offset 0) the header. */
void dns_out_hdr(struct dns_out *w, const struct dns_hdr *h);

/* dns_out_rr_begin writes owner, type, class, TTL and a placeholder RDLENGTH;
 * returns the offset for dns_out_rr_end, which fills the length in. */
size_t dns_out_rr_begin(struct dns_out *w, const struct dns_name *owner, uint16_t type,
                        uint16_t class, uint32_t ttl);
void dns_out_rr_end(struct dns_out *w, size_t rdlen_at);

/* dns_out_edns writes our OPT record (RFC 6891 6.1.2): a DNS_EDNS_PAYLOAD
 * payload, version 0, the upper bits of |ext_rcode| (BADVERS is 1). */
void dns_out_edns(struct dns_out *w, uint8_t ext_rcode);

#endif
