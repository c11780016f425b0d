/* test_dns_wire.c — dns/wire.c: the message parser with a negative case for
 * every way out (truncated, oversized, hostile), names in and out of text,
 * and the writer: round trips, compression, and a cap it never writes past. */
#include "dns/wire.h"

#include "helpers.h"

/* ---- building packets by hand ------------------------------------------------ */

/* A packet under construction; the tests build every byte themselves so that
 * the parser is never checked against the writer alone. */
struct pk {
    uint8_t b[70000];
    size_t len;
};

static void pk_u8(struct pk *p, unsigned v)
{
    ck_assert_uint_lt(p->len, sizeof(p->b));
    p->b[p->len++] = (uint8_t)v;
}

static void pk_u16(struct pk *p, unsigned v)
{
    pk_u8(p, v >> 8);
    pk_u8(p, v & 0xff);
}

static void pk_u32(struct pk *p, uint32_t v)
{
    pk_u16(p, v >> 16);
    pk_u16(p, v & 0xffff);
}

static void pk_bytes(struct pk *p, const void *data, size_t n)
{
    ck_assert_uint_le(p->len + n, sizeof(p->b));
    memcpy(p->b + p->len, data, n);
    p->len += n;
}

static void pk_hdr(struct pk *p, unsigned flags, unsigned qd, unsigned an, unsigned ns,
                   unsigned ar)
{
    p->len = 0;
    pk_u16(p, 0xbeef);
    pk_u16(p, flags);
    pk_u16(p, qd);
    pk_u16(p, an);
    pk_u16(p, ns);
    pk_u16(p, ar);
}

/* pk_labels writes the labels of |text| ("a.b.c", "" for none) without the
 * terminating root, so a pointer or the root can follow. */
static void pk_labels(struct pk *p, const char *text)
{
    while (*text) {
        const char *dot = strchr(text, '.');
        size_t l = dot ? (size_t)(dot - text) : strlen(text);
        pk_u8(p, (unsigned)l);
        pk_bytes(p, text, l);
        text += l + (dot ? 1 : 0);
    }
}

static void pk_name(struct pk *p, const char *text)
{
    pk_labels(p, text);
    pk_u8(p, 0);
}

static void pk_ptr(struct pk *p, size_t at)
{
    pk_u16(p, 0xc000 | (unsigned)at);
}

static void pk_question(struct pk *p, const char *name, unsigned type)
{
    pk_name(p, name);
    pk_u16(p, type);
    pk_u16(p, DNS_C_IN);
}

/* pk_rr_tail writes what follows an owner name: type, class, TTL, RDATA. */
static void pk_rr_tail(struct pk *p, unsigned type, unsigned class, uint32_t ttl,
                       const void *rdata, size_t rdlen)
{
    pk_u16(p, type);
    pk_u16(p, class);
    pk_u32(p, ttl);
    pk_u16(p, (unsigned)rdlen);
    pk_bytes(p, rdata, rdlen);
}

static void pk_opt(struct pk *p, unsigned payload, uint32_t ttl)
{
    pk_u8(p, 0); /* root */
    pk_rr_tail(p, DNS_T_OPT, payload, ttl, "", 0);
}

static void pk_tsig(struct pk *p, const char *key)
{
    static const uint8_t rdata[] = {11, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '2', '5', '6', 0,
                                    0,  0,   0,   0,   0,   0,   1,   0x2c, 0,   0,   0,   0,
                                    0,  0,   0,   0};
    pk_name(p, key);
    pk_rr_tail(p, DNS_T_TSIG, DNS_C_ANY, 0, rdata, sizeof(rdata));
}

static enum dns_parse_result parse(struct dns_msg *m, const struct pk *p)
{
    m->an = m->ns = NULL;
    return dns_msg_parse(m, p->b, p->len, false);
}

/* PARSES_AS asserts the parse result of |p| with a message that says which
 * case it was. */
#define PARSES_AS(p, want, what)                                                      \
    do {                                                                              \
        struct dns_msg m_;                                                            \
        enum dns_parse_result r_ = parse(&m_, (p));                                   \
        ck_assert_msg(r_ == (want), "%s: parse gave %d, want %d", (what), (int)r_,    \
                      (int)(want));                                                   \
    } while (0)

static struct dns_name name_of(const char *text)
{
    struct dns_name n;
    ck_assert_msg(dns_name_from_text(&n, text), "'%s' is not a name", text);
    return n;
}

/* repeat writes |n| copies of |ch| and a NUL into |out|. */
static void repeat(char *out, char ch, size_t n)
{
    memset(out, ch, n);
    out[n] = '\0';
}

/* ---- the header ---------------------------------------------------------------- */

START_TEST(test_parse_query)
{
    struct pk p;
    struct dns_msg m;
    pk_hdr(&p, DNS_F_RD, 1, 0, 0, 0);
    pk_question(&p, "C0a80117.Home.arpa", DNS_T_AAAA);
    ck_assert_int_eq(parse(&m, &p), DNS_PARSE_OK);
    ck_assert_uint_eq(m.hdr.id, 0xbeef);
    ck_assert_uint_eq(m.hdr.flags, DNS_F_RD);
    ck_assert_uint_eq(m.hdr.qdcount, 1);
    ck_assert(m.has_question);
    ck_assert_uint_eq(m.qtype, DNS_T_AAAA);
    ck_assert_uint_eq(m.qclass, DNS_C_IN);
    ck_assert_uint_eq(m.qname.n_labels, 3);
    ck_assert_uint_eq(m.qname.len, 20);
    ck_assert_mem_eq(m.qname.wire, p.b + DNS_HDR_LEN, 20); /* letter case kept */
    ck_assert(!m.has_edns);
    ck_assert_uint_eq(m.edns_payload, 512);
    ck_assert(!m.has_tsig);
    ck_assert_ptr_eq(m.pkt, p.b);
    ck_assert_uint_eq(m.len, p.len);
}
END_TEST

START_TEST(test_parse_no_question)
{
    struct pk p;
    struct dns_msg m;
    pk_hdr(&p, 0, 0, 0, 0, 0);
    ck_assert_int_eq(parse(&m, &p), DNS_PARSE_OK);
    ck_assert(!m.has_question);
}
END_TEST

START_TEST(test_truncated_header_dropped)
{
    struct pk p;
    pk_hdr(&p, 0, 0, 0, 0, 0);
    for (size_t n = 0; n < DNS_HDR_LEN; n++) {
        struct dns_msg m;
        m.an = m.ns = NULL;
        ck_assert_msg(dns_msg_parse(&m, p.b, n, false) == DNS_PARSE_DROP,
                      "a %zu-byte message was not dropped", n);
    }
    ck_assert_int_eq(dns_msg_parse(&(struct dns_msg){0}, p.b, DNS_HDR_LEN, false), DNS_PARSE_OK);
}
END_TEST

START_TEST(test_response_dropped)
{
    struct pk p;
    pk_hdr(&p, DNS_F_QR, 1, 0, 0, 0);
    pk_question(&p, "home.arpa", DNS_T_SOA);
    PARSES_AS(&p, DNS_PARSE_DROP, "QR set");
    pk_hdr(&p, DNS_F_QR | 0x000f, 0, 0, 0, 0); /* even an empty one */
    PARSES_AS(&p, DNS_PARSE_DROP, "QR set, no question");
}
END_TEST

START_TEST(test_oversized_dropped)
{
    static struct pk p;
    pk_hdr(&p, 0, 0, 0, 0, 0);
    memset(p.b + p.len, 0, 65536 - p.len);
    p.len = 65536;
    PARSES_AS(&p, DNS_PARSE_DROP, "65536 bytes");
}
END_TEST

/* with_records makes a query whose sections hold |an|, |ns| and |ar| A
 * records, each owned by the question's name. */
static void with_records(struct pk *p, unsigned an, unsigned ns, unsigned ar)
{
    pk_hdr(p, 0, 1, an, ns, ar);
    pk_question(p, "home.arpa", DNS_T_A);
    for (unsigned i = 0; i < an + ns + ar; i++) {
        pk_ptr(p, DNS_HDR_LEN);
        pk_rr_tail(p, DNS_T_A, DNS_C_IN, 0, "\x0a\0\0\1", 4);
    }
}

START_TEST(test_counts_capped)
{
    static struct pk p;
    /* 65535 questions in a 29-byte packet fail on the counts, before any
     * name is read. */
    pk_hdr(&p, 0, 65535, 0, 0, 0);
    pk_question(&p, "home.arpa", DNS_T_A);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "65535 questions");
    pk_hdr(&p, 0, 2, 0, 0, 0);
    pk_question(&p, "home.arpa", DNS_T_A);
    pk_question(&p, "home.arpa", DNS_T_NS);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "two questions");
    pk_hdr(&p, 0, 0, 65535, 65535, 65535);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "every count 65535");
    /* One record over each section's cap, with every record really there. */
    with_records(&p, DNS_MAX_RRS + 1, 0, 0);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "ancount over the cap");
    with_records(&p, 0, DNS_MAX_RRS + 1, 0);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "nscount over the cap");
    with_records(&p, 0, 0, 5);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "arcount over the cap");
    with_records(&p, DNS_MAX_RRS, DNS_MAX_RRS, 4);
    PARSES_AS(&p, DNS_PARSE_OK, "every section at its cap");
    /* Counts within the caps but more than the bytes could hold. */
    pk_hdr(&p, 0, 1, 10, 0, 0);
    pk_question(&p, "home.arpa", DNS_T_A);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "ten records claimed, none there");
    pk_hdr(&p, 0, 1, 0, 0, 0);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "a question claimed, none there");
}
END_TEST

START_TEST(test_max_records_kept)
{
    static struct pk p;
    struct dns_rr an[DNS_MAX_RRS], ns[DNS_MAX_RRS];
    struct dns_msg m;
    pk_hdr(&p, DNS_OP_UPDATE << 11, 1, DNS_MAX_RRS, 1, 0);
    pk_question(&p, "home.arpa", DNS_T_SOA);
    for (unsigned i = 0; i < DNS_MAX_RRS; i++) {
        uint8_t addr[4] = {10, 0, 0, (uint8_t)i};
        pk_ptr(&p, DNS_HDR_LEN);
        pk_rr_tail(&p, DNS_T_A, DNS_C_IN, i, addr, 4);
    }
    size_t ns_at = p.len;
    pk_u8(&p, 1);
    pk_u8(&p, 'x');
    pk_ptr(&p, DNS_HDR_LEN);
    pk_rr_tail(&p, DNS_T_TXT, DNS_C_NONE, 0, "\x02hi", 3);
    m.an = an;
    m.ns = ns;
    ck_assert_int_eq(dns_msg_parse(&m, p.b, p.len, true), DNS_PARSE_OK);
    ck_assert_uint_eq(m.n_an, DNS_MAX_RRS);
    ck_assert_uint_eq(m.n_ns, 1);
    struct dns_name apex = name_of("home.arpa"), x = name_of("x.home.arpa");
    for (unsigned i = 0; i < DNS_MAX_RRS; i++) {
        ck_assert(dns_name_equal(&an[i].name, &apex));
        ck_assert_uint_eq(an[i].ttl, i);
        ck_assert_uint_eq(an[i].rdlen, 4);
        ck_assert_uint_eq(p.b[an[i].rdata_at + 3], i);
    }
    ck_assert(dns_name_equal(&ns[0].name, &x));
    ck_assert_uint_eq(ns[0].start, ns_at);
    ck_assert_uint_eq(ns[0].type, DNS_T_TXT);
    ck_assert_uint_eq(ns[0].class, DNS_C_NONE);
    ck_assert_uint_eq(ns[0].rdata_at, p.len - 3);

    /* Without keep_rrs the same message parses and nothing is stored. */
    ck_assert_int_eq(dns_msg_parse(&m, p.b, p.len, false), DNS_PARSE_OK);
    ck_assert_uint_eq(m.n_an, 0);
}
END_TEST

START_TEST(test_trailing_bytes)
{
    struct pk p;
    pk_hdr(&p, 0, 1, 0, 0, 0);
    pk_question(&p, "home.arpa", DNS_T_A);
    PARSES_AS(&p, DNS_PARSE_OK, "the query");
    pk_u8(&p, 0);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "one trailing byte");
    pk_hdr(&p, 0, 0, 0, 0, 0);
    pk_u8(&p, 0);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "a header and a byte");
}
END_TEST

START_TEST(test_question_truncated)
{
    struct pk p;
    pk_hdr(&p, 0, 1, 0, 0, 0);
    pk_question(&p, "home.arpa", DNS_T_A);
    for (size_t n = DNS_HDR_LEN; n < p.len; n++) {
        struct dns_msg m;
        m.an = m.ns = NULL;
        ck_assert_msg(dns_msg_parse(&m, p.b, n, false) == DNS_PARSE_FORMERR,
                      "a question cut at %zu bytes parsed", n);
    }
}
END_TEST

/* ---- names ----------------------------------------------------------------------- */

START_TEST(test_label_past_end)
{
    struct pk p;
    pk_hdr(&p, 0, 1, 0, 0, 0);
    pk_u8(&p, 5);
    pk_bytes(&p, "ab", 2); /* a 5-octet label with 2 octets left */
    pk_u16(&p, 0);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "label length past the end");
    pk_hdr(&p, 0, 1, 0, 0, 0);
    pk_u8(&p, 63);
    pk_u32(&p, 0);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "63-octet label, 4 octets left");
    pk_hdr(&p, 0, 1, 0, 0, 0);
    pk_labels(&p, "home.arpa"); /* runs off the end before a root label */
    PARSES_AS(&p, DNS_PARSE_FORMERR, "no root label");
}
END_TEST

START_TEST(test_label_lengths)
{
    struct pk p;
    char l63[64], l64[65];
    repeat(l63, 'a', 63);
    repeat(l64, 'b', 64);
    pk_hdr(&p, 0, 1, 0, 0, 0);
    pk_question(&p, l63, DNS_T_A);
    PARSES_AS(&p, DNS_PARSE_OK, "a 63-octet label");
    pk_hdr(&p, 0, 1, 0, 0, 0);
    pk_question(&p, l64, DNS_T_A); /* 64 = 0x40: reads as an extended label type */
    PARSES_AS(&p, DNS_PARSE_FORMERR, "a 64-octet label");
    for (unsigned type = 0x40; type <= 0x80; type += 0x40) {
        pk_hdr(&p, 0, 1, 0, 0, 0);
        pk_u8(&p, type | 1);
        pk_bytes(&p, "a", 1);
        pk_u8(&p, 0);
        pk_u32(&p, 0x00010001);
        PARSES_AS(&p, DNS_PARSE_FORMERR, type == 0x40 ? "label type 0x40" : "label type 0x80");
    }
}
END_TEST

/* name_of_octets writes presentation text for a name of exactly |octets|
 * wire octets (>= 2) made of labels up to 63 long. */
static void name_of_octets(char *out, size_t octets)
{
    size_t left = octets - 1; /* the root */
    out[0] = '\0';
    while (left > 0) {
        size_t l = left - 1 > 63 ? 63 : left - 1;
        if (left - 1 - l == 1) /* never leave a single octet: no room for a label */
            l--;
        char label[64];
        repeat(label, 'x', l);
        if (out[0])
            strcat(out, ".");
        strcat(out, label);
        left -= l + 1;
    }
}

START_TEST(test_name_length)
{
    struct pk p;
    char text[300];
    struct dns_msg m;

    name_of_octets(text, 255);
    pk_hdr(&p, 0, 1, 0, 0, 0);
    pk_question(&p, text, DNS_T_A);
    ck_assert_uint_eq(p.len, DNS_HDR_LEN + 255 + 4);
    ck_assert_int_eq(parse(&m, &p), DNS_PARSE_OK);
    ck_assert_uint_eq(m.qname.len, 255);

    name_of_octets(text, 256);
    pk_hdr(&p, 0, 1, 0, 0, 0);
    pk_question(&p, text, DNS_T_A);
    ck_assert_uint_eq(p.len, DNS_HDR_LEN + 256 + 4);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "a 256-octet name");

    /* Over 255 octets only through a pointer: 200 octets in the question,
     * 60 more in front of a pointer to it. */
    name_of_octets(text, 200);
    pk_hdr(&p, 0, 1, 1, 0, 0);
    pk_question(&p, text, DNS_T_A);
    char l59[60];
    repeat(l59, 'y', 59);
    pk_labels(&p, l59);
    pk_ptr(&p, DNS_HDR_LEN);
    pk_rr_tail(&p, DNS_T_A, DNS_C_IN, 0, "\x0a\0\0\1", 4);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "a name made over 255 octets by a pointer");
}
END_TEST

START_TEST(test_pointer_backwards)
{
    struct pk p;
    struct dns_rr an[DNS_MAX_RRS];
    struct dns_msg m;
    pk_hdr(&p, 0, 1, 1, 0, 0);
    pk_question(&p, "Printer.home.arpa", DNS_T_A);
    pk_labels(&p, "_acme-challenge");
    pk_ptr(&p, DNS_HDR_LEN);
    size_t after_name = p.len;
    pk_rr_tail(&p, DNS_T_TXT, DNS_C_IN, 60, "\x01x", 2);
    m.an = an;
    m.ns = NULL;
    ck_assert_int_eq(dns_msg_parse(&m, p.b, p.len, true), DNS_PARSE_OK);
    struct dns_name want = name_of("_acme-challenge.printer.home.arpa");
    ck_assert(dns_name_equal(&an[0].name, &want));
    ck_assert_uint_eq(an[0].name.n_labels, 4);
    ck_assert_uint_eq(an[0].rdata_at, after_name + 10);

    /* dns_name_read continues right after the pointer. */
    struct cur c = cur_init(p.b + an[0].start, p.len - an[0].start);
    struct dns_name n;
    ck_assert(dns_name_read(&n, p.b, p.len, &c));
    ck_assert_ptr_eq(c.p, p.b + after_name);
    ck_assert(dns_name_equal(&n, &want));
}
END_TEST

START_TEST(test_pointer_hostile)
{
    struct pk p;
    /* forward: the question points past itself */
    pk_hdr(&p, 0, 1, 0, 0, 0);
    pk_ptr(&p, DNS_HDR_LEN + 6);
    pk_u32(&p, 0x00010001);
    pk_name(&p, "a");
    PARSES_AS(&p, DNS_PARSE_FORMERR, "pointer forward");
    /* to itself */
    pk_hdr(&p, 0, 1, 0, 0, 0);
    pk_ptr(&p, DNS_HDR_LEN);
    pk_u32(&p, 0x00010001);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "pointer to itself");
    /* into the header, at every offset */
    for (size_t at = 0; at < DNS_HDR_LEN; at++) {
        pk_hdr(&p, 0, 1, 0, 0, 0);
        pk_ptr(&p, at);
        pk_u32(&p, 0x00010001);
        PARSES_AS(&p, DNS_PARSE_FORMERR, "pointer into the header");
    }
    /* A -> B -> A: the answer's owner points back at the question's second
     * label, where a pointer leads forward to the answer again. */
    pk_hdr(&p, 0, 1, 1, 0, 0);
    pk_labels(&p, "a");          /* 12: a */
    pk_ptr(&p, DNS_HDR_LEN + 8); /* 14: -> 20, the answer's owner (forward) */
    pk_u32(&p, 0x00010001);      /* 16 */
    pk_ptr(&p, DNS_HDR_LEN + 2); /* 20: -> 14 */
    pk_rr_tail(&p, DNS_T_A, DNS_C_IN, 0, "\x0a\0\0\1", 4);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "pointer loop A->B->A");
    /* A label followed by a pointer back to that label: a loop that only
     * ever goes backwards, stopped by the hop limit or the name length. */
    pk_hdr(&p, 0, 1, 1, 0, 0);
    pk_question(&p, "a", DNS_T_A); /* 12..18 */
    pk_labels(&p, "b");            /* 19: b */
    pk_ptr(&p, DNS_HDR_LEN + 7);   /* 21: -> 19 */
    pk_rr_tail(&p, DNS_T_A, DNS_C_IN, 0, "\x0a\0\0\1", 4);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "label-pointer loop");
    /* a pointer cut in half */
    pk_hdr(&p, 0, 1, 0, 0, 0);
    pk_labels(&p, "abcdefg");
    pk_u8(&p, 0xc0);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "half a pointer");
}
END_TEST

/* chain builds a message whose answer owner name takes exactly |hops|
 * pointers to reach the question's name "a": the pointers wait in the RDATA of
 * a first record, each pointing at the one before. */
static void chain(struct pk *p, unsigned hops)
{
    uint8_t rdata[2 * 32];
    pk_hdr(p, 0, 1, 2, 0, 0);
    pk_question(p, "a", DNS_T_A); /* 12 */
    pk_u8(p, 0);                  /* a root owner */
    size_t rdata_at = p->len + 10;
    unsigned links = hops - 1; /* the owner's own pointer is one hop */
    ck_assert_uint_le(links, 32);
    for (unsigned i = 0; i < links; i++) {
        size_t target = i == 0 ? DNS_HDR_LEN : rdata_at + 2 * (i - 1);
        rdata[2 * i] = (uint8_t)(0xc0 | target >> 8);
        rdata[2 * i + 1] = (uint8_t)target;
    }
    pk_rr_tail(p, DNS_T_TXT, DNS_C_IN, 0, rdata, 2 * links);
    pk_ptr(p, rdata_at + 2 * (links - 1));
    pk_rr_tail(p, DNS_T_A, DNS_C_IN, 0, "\x0a\0\0\1", 4);
}

START_TEST(test_pointer_hops)
{
    struct pk p;
    struct dns_rr an[DNS_MAX_RRS];
    struct dns_msg m;
    chain(&p, DNS_MAX_POINTERS);
    m.an = an;
    m.ns = NULL;
    ck_assert_int_eq(dns_msg_parse(&m, p.b, p.len, true), DNS_PARSE_OK);
    struct dns_name a = name_of("a");
    ck_assert(dns_name_equal(&an[1].name, &a));
    chain(&p, DNS_MAX_POINTERS + 1);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "more than DNS_MAX_POINTERS hops");
    chain(&p, 32);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "32 hops");
}
END_TEST

/* ---- OPT and TSIG --------------------------------------------------------------- */

START_TEST(test_edns)
{
    struct pk p;
    struct dns_msg m;
    pk_hdr(&p, 0, 1, 0, 0, 1);
    pk_question(&p, "home.arpa", DNS_T_SOA);
    pk_opt(&p, 4096, 0x00008000); /* DO bit */
    ck_assert_int_eq(parse(&m, &p), DNS_PARSE_OK);
    ck_assert(m.has_edns);
    ck_assert_uint_eq(m.edns_payload, 4096);
    ck_assert_uint_eq(m.edns_version, 0);

    pk_hdr(&p, 0, 1, 0, 0, 1);
    pk_question(&p, "home.arpa", DNS_T_SOA);
    pk_opt(&p, 100, 0x00010000); /* too small a payload, version 1 */
    ck_assert_int_eq(parse(&m, &p), DNS_PARSE_OK);
    ck_assert_uint_eq(m.edns_payload, 512);
    ck_assert_uint_eq(m.edns_version, 1);
}
END_TEST

START_TEST(test_opt_misplaced)
{
    struct pk p;
    pk_hdr(&p, 0, 1, 1, 0, 0);
    pk_question(&p, "home.arpa", DNS_T_A);
    pk_opt(&p, 1232, 0);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "OPT in the answer section");
    pk_hdr(&p, 0, 1, 0, 1, 0);
    pk_question(&p, "home.arpa", DNS_T_A);
    pk_opt(&p, 1232, 0);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "OPT in the authority section");
    pk_hdr(&p, 0, 1, 0, 0, 2);
    pk_question(&p, "home.arpa", DNS_T_A);
    pk_opt(&p, 1232, 0);
    pk_opt(&p, 1232, 0);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "two OPTs");
    pk_hdr(&p, 0, 1, 0, 0, 1);
    pk_question(&p, "home.arpa", DNS_T_A);
    pk_name(&p, "home.arpa");
    pk_rr_tail(&p, DNS_T_OPT, 1232, 0, "", 0);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "OPT with a non-root name");
    pk_hdr(&p, 0, 1, 0, 0, 1);
    pk_question(&p, "home.arpa", DNS_T_A);
    pk_ptr(&p, DNS_HDR_LEN + 10); /* the root octet of the question's name */
    pk_rr_tail(&p, DNS_T_OPT, 1232, 0, "", 0);
    PARSES_AS(&p, DNS_PARSE_OK, "OPT whose root name is a pointer to a root");
}
END_TEST

START_TEST(test_tsig_last)
{
    struct pk p;
    struct dns_msg m;
    pk_hdr(&p, 0, 1, 0, 0, 2);
    pk_question(&p, "home.arpa", DNS_T_SOA);
    pk_opt(&p, 1232, 0);
    size_t tsig_at = p.len;
    pk_tsig(&p, "key.example");
    ck_assert_int_eq(parse(&m, &p), DNS_PARSE_OK);
    ck_assert(m.has_tsig);
    ck_assert(m.has_edns);
    ck_assert_uint_eq(m.tsig.start, tsig_at);
    ck_assert_uint_eq(m.tsig.type, DNS_T_TSIG);
    struct dns_name key = name_of("key.example");
    ck_assert(dns_name_equal(&m.tsig.name, &key));

    pk_hdr(&p, 0, 1, 0, 0, 2);
    pk_question(&p, "home.arpa", DNS_T_SOA);
    pk_tsig(&p, "key.example");
    pk_opt(&p, 1232, 0);
    PARSES_AS(&p, DNS_PARSE_FORMERR, "TSIG not last");
    pk_hdr(&p, 0, 1, 1, 0, 0);
    pk_question(&p, "home.arpa", DNS_T_SOA);
    pk_tsig(&p, "key.example");
    PARSES_AS(&p, DNS_PARSE_FORMERR, "TSIG in the answer section");
    pk_hdr(&p, 0, 1, 0, 1, 0);
    pk_question(&p, "home.arpa", DNS_T_SOA);
    pk_tsig(&p, "key.example");
    PARSES_AS(&p, DNS_PARSE_FORMERR, "TSIG in the authority section");
}
END_TEST

START_TEST(test_rr_truncated)
{
    struct pk p;
    pk_hdr(&p, 0, 1, 1, 0, 0);
    pk_question(&p, "home.arpa", DNS_T_A);
    pk_ptr(&p, DNS_HDR_LEN);
    pk_rr_tail(&p, DNS_T_A, DNS_C_IN, 0, "\x0a\0\0\1", 4);
    PARSES_AS(&p, DNS_PARSE_OK, "the whole record");
    size_t whole = p.len;
    for (size_t n = whole - 14; n < whole; n++) {
        struct dns_msg m;
        m.an = m.ns = NULL;
        ck_assert_msg(dns_msg_parse(&m, p.b, n, false) == DNS_PARSE_FORMERR,
                      "a record cut at %zu of %zu bytes parsed", n, whole);
    }
    /* RDLENGTH past the end */
    p.b[whole - 5] = 0xff;
    PARSES_AS(&p, DNS_PARSE_FORMERR, "RDLENGTH past the end");
}
END_TEST

/* ---- names as text ------------------------------------------------------------ */

START_TEST(test_name_text)
{
    struct dns_name n;
    char out[256];
    ck_assert(dns_name_from_text(&n, "Printer.Home.Arpa."));
    ck_assert_uint_eq(n.len, 19);
    ck_assert_uint_eq(n.n_labels, 3);
    ck_assert_mem_eq(n.wire, "\x07Printer\x04Home\x04" "Arpa", 19);
    ck_assert(dns_name_to_text(out, sizeof(out), &n));
    ck_assert_str_eq(out, "printer.home.arpa");
    ck_assert(!dns_name_to_text(out, 17, &n)); /* one short of the NUL */
    ck_assert(dns_name_to_text(out, 18, &n));

    ck_assert(dns_name_from_text(&n, ""));
    ck_assert_uint_eq(n.len, 1);
    ck_assert(dns_name_to_text(out, sizeof(out), &n));
    ck_assert_str_eq(out, "");
    ck_assert(!dns_name_to_text(out, 0, &n));

    /* Labels holding bytes that presentation form escapes have no text: in
     * plain text they would spell another name. */
    static const struct {
        const char *wire;
        size_t len;
    } escaped[] = {
        {"\x07" "c0a8.17\x04home\x04" "arpa", 19}, /* "c0a8\.17" */
        {"\x08gateway\0\x04home\x04" "arpa", 20},  /* "gateway\000" */
        {"\x03" "a b\x04home\x04" "arpa", 15},
        {"\x03" "a\\b\x04home\x04" "arpa", 15},
        {"\x03" "a\x7f" "b\x04home\x04" "arpa", 15},
        {"\x03" "a\xc3" "b\x04home\x04" "arpa", 15},
        {"\x03" "a\nb\x04home\x04" "arpa", 15},
    };
    for (size_t i = 0; i < sizeof(escaped) / sizeof(escaped[0]); i++) {
        memcpy(n.wire, escaped[i].wire, escaped[i].len);
        n.len = (uint8_t)escaped[i].len;
        n.n_labels = 3;
        ck_assert_msg(!dns_name_to_text(out, sizeof(out), &n), "escaped name %zu has text", i);
    }
    memcpy(n.wire, "\x0f_acme-challenge\x04home\x04" "arpa", 27);
    n.len = 27;
    ck_assert(dns_name_to_text(out, sizeof(out), &n)); /* '_' and '-' need no escape */
    ck_assert_str_eq(out, "_acme-challenge.home.arpa");

    char text[300], l64[65];
    ck_assert(!dns_name_from_text(&n, "a..b"));
    ck_assert(!dns_name_from_text(&n, ".a"));
    repeat(l64, 'a', 64);
    ck_assert(!dns_name_from_text(&n, l64));
    name_of_octets(text, 255);
    ck_assert(dns_name_from_text(&n, text));
    ck_assert_uint_eq(n.len, 255);
    name_of_octets(text, 256);
    ck_assert(!dns_name_from_text(&n, text));
}
END_TEST

START_TEST(test_name_compare)
{
    struct dns_name a = name_of("C0A80117.Home.Arpa"), b = name_of("c0a80117.home.arpa"),
                    zone = name_of("home.arpa"), other = name_of("home.arpa.example");
    unsigned depth = 99;
    ck_assert(dns_name_equal(&a, &b));
    ck_assert(!dns_name_equal(&a, &zone));
    ck_assert(dns_name_is_under(&a, &zone, &depth));
    ck_assert_uint_eq(depth, 1);
    ck_assert(dns_name_is_under(&zone, &zone, &depth));
    ck_assert_uint_eq(depth, 0);
    ck_assert(!dns_name_is_under(&zone, &a, &depth));
    ck_assert(!dns_name_is_under(&other, &zone, &depth));
    struct dns_name suffix = name_of("xhome.arpa");
    ck_assert(!dns_name_is_under(&suffix, &zone, &depth));
    ck_assert_uint_eq(dns_name_label_offset(&a, 0), 0);
    ck_assert_uint_eq(dns_name_label_offset(&a, 1), 9);
    ck_assert_uint_eq(dns_name_label_offset(&a, 3), 19);
    ck_assert_uint_eq(dns_name_label_offset(&a, 9), 19); /* stops at the root */
}
END_TEST

/* ---- writing ------------------------------------------------------------------ */

/* write_query writes a header and the question |name|/|type| with the
 * writer, into |buf|; returns the length. */
static size_t write_query(uint8_t *buf, size_t cap, const struct dns_name *name, uint16_t type)
{
    struct dns_out w;
    struct dns_hdr h = {0x1234, DNS_F_RD, 1, 0, 0, 0};
    dns_out_init(&w, buf, cap);
    dns_out_hdr(&w, &h);
    dns_out_name(&w, name);
    dns_out_u16(&w, type);
    dns_out_u16(&w, DNS_C_IN);
    ck_assert(!w.overflow);
    return w.len;
}

START_TEST(test_round_trip_question)
{
    static const char *const names[] = {
        "home.arpa", "C0A80117.Home.Arpa", "fd000000000000000000000000000017.home.arpa",
        "_acme-challenge.printer.home.arpa", "23.1.168.192.in-addr.arpa", "", "x",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct pk p;
        struct dns_msg m;
        struct dns_name n = name_of(names[i]);
        /* the hand-built packet re-encodes byte for byte */
        pk_hdr(&p, 0, 1, 0, 0, 0);
        pk_question(&p, names[i], DNS_T_AAAA);
        ck_assert_int_eq(parse(&m, &p), DNS_PARSE_OK);
        uint8_t buf[512];
        size_t len = write_query(buf, sizeof(buf), &m.qname, m.qtype);
        ck_assert_uint_eq(len, p.len);
        ck_assert_mem_eq(buf + 4, p.b + 4, len - 4);
        /* and what the writer makes parses back to the same name */
        len = write_query(buf, sizeof(buf), &n, DNS_T_A);
        struct dns_msg m2;
        m2.an = m2.ns = NULL;
        ck_assert_int_eq(dns_msg_parse(&m2, buf, len, false), DNS_PARSE_OK);
        ck_assert_uint_eq(m2.hdr.id, 0x1234);
        ck_assert_uint_eq(m2.qtype, DNS_T_A);
        ck_assert_uint_eq(m2.qname.len, n.len);
        ck_assert_mem_eq(m2.qname.wire, n.wire, n.len);
    }
}
END_TEST

START_TEST(test_round_trip_compressed)
{
    /* A name read through a pointer re-encodes uncompressed in a message of
     * its own, and that parses to the same name. */
    struct pk p;
    struct dns_rr an[DNS_MAX_RRS];
    struct dns_msg m;
    pk_hdr(&p, 0, 1, 1, 0, 0);
    pk_question(&p, "home.arpa", DNS_T_A);
    pk_labels(&p, "Printer");
    pk_ptr(&p, DNS_HDR_LEN);
    pk_rr_tail(&p, DNS_T_A, DNS_C_IN, 0, "\x0a\0\0\1", 4);
    m.an = an;
    m.ns = NULL;
    ck_assert_int_eq(dns_msg_parse(&m, p.b, p.len, true), DNS_PARSE_OK);
    uint8_t buf[512];
    size_t len = write_query(buf, sizeof(buf), &an[0].name, DNS_T_A);
    ck_assert_uint_eq(len, DNS_HDR_LEN + 19 + 4);
    ck_assert_mem_eq(buf + DNS_HDR_LEN, "\x07Printer\x04home\x04" "arpa", 19);
    struct dns_msg m2;
    m2.an = m2.ns = NULL;
    ck_assert_int_eq(dns_msg_parse(&m2, buf, len, false), DNS_PARSE_OK);
    ck_assert_mem_eq(m2.qname.wire, an[0].name.wire, an[0].name.len);
}
END_TEST

START_TEST(test_compression)
{
    uint8_t buf[512];
    struct dns_out w;
    struct dns_name printer = name_of("Printer.Home.Arpa"), gw = name_of("gateway.HOME.arpa"),
                    zone = name_of("home.arpa"), other = name_of("ome.arpa"),
                    far = name_of("example.org");
    dns_out_init(&w, buf, sizeof(buf));
    w.len = DNS_HDR_LEN;
    dns_out_name(&w, &printer); /* 12: 7 Printer 4 Home 4 Arpa 0 */
    ck_assert_uint_eq(w.len, DNS_HDR_LEN + 19);
    ck_assert_mem_eq(buf + DNS_HDR_LEN, printer.wire, 19);
    size_t at = w.len;
    dns_out_name(&w, &gw); /* a shared suffix in another case: a pointer to "Home" */
    ck_assert_uint_eq(w.len, at + 8 + 2);
    ck_assert_mem_eq(buf + at, "\x07gateway\xc0\x14", 10);
    at = w.len;
    dns_out_name(&w, &zone);
    ck_assert_uint_eq(w.len, at + 2);
    ck_assert_mem_eq(buf + at, "\xc0\x14", 2);
    at = w.len;
    dns_out_name(&w, &printer); /* the same name again: one pointer */
    ck_assert_mem_eq(buf + at, "\xc0\x0c", 2);
    at = w.len;
    dns_out_name(&w, &other); /* "ome" is no label of "home": only "arpa" shared */
    ck_assert_mem_eq(buf + at, "\x03ome\xc0\x19", 6);
    at = w.len;
    dns_out_name(&w, &far);
    ck_assert_uint_eq(w.len, at + far.len);
    ck_assert(!w.overflow);

    /* Everything written parses back: put it in the RDATA-free owner names
     * of records and read each name. */
    struct cur c = cur_init(buf + DNS_HDR_LEN, w.len - DNS_HDR_LEN);
    const struct dns_name *want[] = {&printer, &gw, &zone, &printer, &other, &far};
    for (size_t i = 0; i < 6; i++) {
        struct dns_name n;
        ck_assert(dns_name_read(&n, buf, w.len, &c));
        ck_assert(dns_name_equal(&n, want[i]));
    }
    ck_assert(cur_is_empty(&c));
}
END_TEST

START_TEST(test_compression_limits)
{
    static uint8_t buf[0x4100];
    struct dns_out w;
    struct dns_name n = name_of("a.home.arpa");
    /* Names written past offset 0x3fff cannot be pointed at. */
    dns_out_init(&w, buf, sizeof(buf));
    w.len = 0x3fff;
    dns_out_name(&w, &n);
    size_t at = w.len;
    dns_out_name(&w, &n);
    ck_assert_uint_eq(w.len, at + n.len);
    ck_assert(!w.overflow);

    /* More names than slots: the later ones are written whole, and correctly. */
    uint8_t small[2048];
    dns_out_init(&w, small, sizeof(small));
    w.len = DNS_HDR_LEN;
    for (unsigned i = 0; i < DNS_COMPRESS_SLOTS + 4; i++) {
        char text[32];
        struct dns_name d;
        snprintf(text, sizeof(text), "n%u.example", i);
        d = name_of(text);
        dns_out_name(&w, &d);
    }
    ck_assert(!w.overflow);
    struct cur c = cur_init(small + DNS_HDR_LEN, w.len - DNS_HDR_LEN);
    for (unsigned i = 0; i < DNS_COMPRESS_SLOTS + 4; i++) {
        char text[32], got[64];
        struct dns_name d;
        snprintf(text, sizeof(text), "n%u.example", i);
        ck_assert(dns_name_read(&d, small, w.len, &c));
        ck_assert(dns_name_to_text(got, sizeof(got), &d));
        ck_assert_str_eq(got, text);
    }
}
END_TEST

START_TEST(test_overflow)
{
    uint8_t buf[64];
    struct dns_out w;
    struct dns_name n = name_of("printer.home.arpa");
    for (size_t cap = 0; cap <= 48; cap++) {
        memset(buf, 0xa5, sizeof(buf));
        dns_out_init(&w, buf, cap);
        struct dns_hdr h = {1, 2, 3, 4, 5, 6};
        dns_out_hdr(&w, &h);
        dns_out_name(&w, &n);
        dns_out_u16(&w, DNS_T_A);
        dns_out_u32(&w, 7);
        dns_out_bytes(&w, "abcd", 4);
        ck_assert_msg(w.overflow == (cap < (size_t)DNS_HDR_LEN + n.len + 10), "cap %zu", cap);
        ck_assert_uint_le(w.len, cap);
        for (size_t i = cap; i < sizeof(buf); i++)
            ck_assert_msg(buf[i] == 0xa5, "cap %zu: byte %zu written", cap, i);
    }
    /* Overflow sticks: a later small write that would fit does nothing. */
    dns_out_init(&w, buf, 16);
    dns_out_bytes(&w, "0123456789", 10);
    dns_out_bytes(&w, "0123456789", 10);
    ck_assert(w.overflow);
    ck_assert_uint_eq(w.len, 10);
    dns_out_u16(&w, 1);
    dns_out_name(&w, &n);
    ck_assert_uint_eq(w.len, 10);
    /* Rewriting the header keeps what follows and the overflow state. */
    struct dns_hdr h = {0xabcd, 0, 0, 0, 0, 0};
    dns_out_hdr(&w, &h);
    ck_assert(w.overflow);
    ck_assert_uint_eq(w.len, 12);
    ck_assert_uint_eq(buf[0], 0xab);
}
END_TEST

START_TEST(test_rr_writer)
{
    uint8_t buf[128];
    struct dns_out w;
    struct dns_name owner = name_of("gateway.home.arpa");
    struct dns_hdr h = {7, DNS_F_QR | DNS_F_AA, 0, 1, 0, 0};
    dns_out_init(&w, buf, sizeof(buf));
    dns_out_hdr(&w, &h);
    size_t at = dns_out_rr_begin(&w, &owner, DNS_T_A, DNS_C_IN, 3600);
    dns_out_bytes(&w, "\x7f\0\0\1", 4);
    dns_out_rr_end(&w, at);
    ck_assert(!w.overflow);
    ck_assert_uint_eq(at, DNS_HDR_LEN + owner.len + 8);
    ck_assert_uint_eq(buf[at], 0);
    ck_assert_uint_eq(buf[at + 1], 4);
    /* A response does not parse as a query (QR), so clear QR and read the
     * record as a single answer. */
    buf[2] &= 0x7f;
    struct dns_rr an[DNS_MAX_RRS];
    struct dns_msg m;
    m.an = an;
    m.ns = NULL;
    ck_assert_int_eq(dns_msg_parse(&m, buf, w.len, true), DNS_PARSE_OK);
    ck_assert_uint_eq(m.n_an, 1);
    ck_assert(dns_name_equal(&an[0].name, &owner));
    ck_assert_uint_eq(an[0].ttl, 3600);
    ck_assert_uint_eq(an[0].rdlen, 4);
    ck_assert_mem_eq(buf + an[0].rdata_at, "\x7f\0\0\1", 4);

    /* rr_end after an overflow leaves the (short) buffer alone. */
    uint8_t tiny[24];
    memset(tiny, 0xa5, sizeof(tiny));
    dns_out_init(&w, tiny, sizeof(tiny));
    dns_out_hdr(&w, &h);
    at = dns_out_rr_begin(&w, &owner, DNS_T_A, DNS_C_IN, 3600);
    dns_out_rr_end(&w, at);
    ck_assert(w.overflow);
    ck_assert_uint_le(w.len, sizeof(tiny));
}
END_TEST

static Suite *wire_suite(void)
{
    Suite *s = suite_create("dns_wire");
    TCase *tc = tcase_create("header");
    tcase_add_test(tc, test_parse_query);
    tcase_add_test(tc, test_parse_no_question);
    tcase_add_test(tc, test_truncated_header_dropped);
    tcase_add_test(tc, test_response_dropped);
    tcase_add_test(tc, test_oversized_dropped);
    tcase_add_test(tc, test_counts_capped);
    tcase_add_test(tc, test_max_records_kept);
    tcase_add_test(tc, test_trailing_bytes);
    tcase_add_test(tc, test_question_truncated);
    suite_add_tcase(s, tc);

    tc = tcase_create("names");
    tcase_add_test(tc, test_label_past_end);
    tcase_add_test(tc, test_label_lengths);
    tcase_add_test(tc, test_name_length);
    tcase_add_test(tc, test_pointer_backwards);
    tcase_add_test(tc, test_pointer_hostile);
    tcase_add_test(tc, test_pointer_hops);
    tcase_add_test(tc, test_name_text);
    tcase_add_test(tc, test_name_compare);
    suite_add_tcase(s, tc);

    tc = tcase_create("records");
    tcase_add_test(tc, test_edns);
    tcase_add_test(tc, test_opt_misplaced);
    tcase_add_test(tc, test_tsig_last);
    tcase_add_test(tc, test_rr_truncated);
    suite_add_tcase(s, tc);

    tc = tcase_create("writer");
    tcase_add_test(tc, test_round_trip_question);
    tcase_add_test(tc, test_round_trip_compressed);
    tcase_add_test(tc, test_compression);
    tcase_add_test(tc, test_compression_limits);
    tcase_add_test(tc, test_overflow);
    tcase_add_test(tc, test_rr_writer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(wire_suite());
}
