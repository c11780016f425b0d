/* wire.c — DNS messages in and out. Reading goes through the cursor only;
 * every length and count from the wire is checked before it is used. */
#include "dns/wire.h"

#include <string.h>

static uint8_t lower(uint8_t ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (uint8_t)(ch | 0x20) : ch;
}

bool dns_name_read(struct dns_name *out, const uint8_t *pkt, size_t len, struct cur *c)
{
    struct dns_name n;
    size_t pos = (size_t)(c->p - pkt); /* where the name starts in the message */
    size_t resume = 0;                 /* where |c| continues, once known */
    unsigned hops = 0;
    struct cur r = *c;

    n.len = 0;
    n.n_labels = 0;
    for (;;) {
        uint8_t l;
        if (!cur_u8(&r, &l))
            return false;
        if ((l & 0xc0) == 0xc0) {
            uint8_t lo;
            size_t at = pos, target;
            if (!cur_u8(&r, &lo))
                return false;
            target = ((size_t)(l & 0x3f) << 8) | lo;
            /* Only backwards, past the header, and a bounded number of times:
             * no loops, no reads of what has not been seen. */
            if (target >= at || target < DNS_HDR_LEN || ++hops > DNS_MAX_POINTERS)
                return false;
            if (!resume)
                resume = at + 2;
            pos = target;
            r = cur_init(pkt + target, len - target);
            continue;
        }
        if (l & 0xc0) /* 0x40 and 0x80: extended label types, obsolete */
            return false;
        if (l == 0) {
            n.wire[n.len++] = 0;
            break;
        }
        if ((size_t)n.len + 1 + l + 1 > DNS_NAME_MAX)
            return false;
        n.wire[n.len] = l;
        if (!cur_copy(&r, n.wire + n.len + 1, l))
            return false;
        n.len = (uint8_t)(n.len + 1 + l);
        n.n_labels++;
        pos += 1 + (size_t)l;
    }
    if (!resume)
        resume = pos + 1;
    if (!cur_skip(c, resume - (size_t)(c->p - pkt)))
        return false;
    *out = n;
    return true;
}

bool dns_name_from_text(struct dns_name *out, const char *text)
{
    struct dns_name n;
    struct cur c = cur_init(text, strlen(text));
    n.len = 0;
    n.n_labels = 0;
    if (c.len && text[c.len - 1] == '.')
        c.len--;
    while (!cur_is_empty(&c)) {
        struct cur label;
        cur_take_until(&c, &label, '.');
        cur_skip(&c, 1);
        if (label.len == 0 || label.len > 63 || (size_t)n.len + 1 + label.len + 1 > DNS_NAME_MAX)
            return false;
        n.wire[n.len] = (uint8_t)label.len;
        memcpy(n.wire + n.len + 1, label.p, label.len);
        n.len = (uint8_t)(n.len + 1 + label.len);
        n.n_labels++;
    }
    n.wire[n.len++] = 0;
    *out = n;
    return true;
}

bool dns_name_to_text(char *out, size_t out_len, const struct dns_name *n)
{
    size_t used = 0, i = 0;
    while (i < n->len && n->wire[i] != 0) {
        uint8_t l = n->wire[i];
        if (used + l + 2 > out_len)
            return false;
        if (used)
            out[used++] = '.';
        for (uint8_t j = 0; j < l; j++) {
            uint8_t ch = n->wire[i + 1 + j];
            /* Written plainly, a byte that presentation form escapes would
             * spell another name: the one label "a\.b" is not "a.b", and
             * "a\000" is not "a". Such names have no text here. */
            if (ch == '.' || ch == '\\' || ch <= ' ' || ch >= 0x7f)
                return false;
            out[used++] = (char)lower(ch);
        }
        i += 1 + (size_t)l;
    }
    if (out_len == 0)
        return false;
    out[used] = '\0';
    return true;
}

bool dns_name_equal(const struct dns_name *a, const struct dns_name *b)
{
    if (a->len != b->len)
        return false;
    for (size_t i = 0; i < a->len; i++)
        if (lower(a->wire[i]) != lower(b->wire[i]))
            return false;
    return true;
}

size_t dns_name_label_offset(const struct dns_name *n, unsigned i)
{
    size_t off = 0;
    while (i-- > 0 && off < n->len && n->wire[off] != 0)
        off += 1 + (size_t)n->wire[off];
    return off;
}

bool dns_name_is_under(const struct dns_name *n, const struct dns_name *zone, unsigned *out_depth)
{
    if (n->n_labels < zone->n_labels)
        return false;
    unsigned depth = (unsigned)(n->n_labels - zone->n_labels);
    size_t off = dns_name_label_offset(n, depth);
    if ((size_t)n->len - off != zone->len)
        return false;
    for (size_t i = 0; i < zone->len; i++)
        if (lower(n->wire[off + i]) != lower(zone->wire[i]))
            return false;
    *out_depth = depth;
    return true;
}

/* read_rr reads one resource record's fixed part and skips its RDATA. */
static bool read_rr(struct dns_rr *rr, const uint8_t *pkt, size_t len, struct cur *c)
{
    rr->start = (uint16_t)(c->p - pkt);
    if (!dns_name_read(&rr->name, pkt, len, c) || !cur_u16(c, &rr->type) ||
        !cur_u16(c, &rr->class) || !cur_u32(c, &rr->ttl) || !cur_u16(c, &rr->rdlen))
        return false;
    rr->rdata_at = (uint16_t)(c->p - pkt);
    return cur_skip(c, rr->rdlen);
}

enum dns_parse_result dns_msg_parse(struct dns_msg *out, const uint8_t *pkt, size_t len,
                                    bool keep_rrs)
{
    struct cur c = cur_init(pkt, len);
    struct dns_hdr *h = &out->hdr;

    out->pkt = pkt;
    out->len = len;
    out->has_question = out->has_edns = out->has_tsig = false;
    out->edns_payload = 512;
    out->edns_version = 0;
    out->n_an = out->n_ns = 0;
    if (len > 65535 || !cur_u16(&c, &h->id) || !cur_u16(&c, &h->flags) ||
        !cur_u16(&c, &h->qdcount) || !cur_u16(&c, &h->ancount) || !cur_u16(&c, &h->nscount) ||
        !cur_u16(&c, &h->arcount))
        return DNS_PARSE_DROP;
    if (h->flags & DNS_F_QR) /* never answer an answer */
        return DNS_PARSE_DROP;
    /* Counts are capped before any work: a record takes at least 11 octets,
     * so 65535 claimed questions in a short packet fail here at once. */
    if (h->qdcount > 1 || h->ancount > DNS_MAX_RRS || h->nscount > DNS_MAX_RRS ||
        h->arcount > 4 ||
        ((size_t)h->ancount + h->nscount + h->arcount) * 11 + (size_t)h->qdcount * 5 > c.len)
        return DNS_PARSE_FORMERR;
    if (h->qdcount == 1) {
        if (!dns_name_read(&out->qname, pkt, len, &c) || !cur_u16(&c, &out->qtype) ||
            !cur_u16(&c, &out->qclass))
            return DNS_PARSE_FORMERR;
        out->has_question = true;
    }
    for (unsigned section = 0; section < 3; section++) {
        unsigned count = section == 0 ? h->ancount : section == 1 ? h->nscount : h->arcount;
        for (unsigned i = 0; i < count; i++) {
            struct dns_rr rr;
            if (!read_rr(&rr, pkt, len, &c))
                return DNS_PARSE_FORMERR;
            if (rr.type == DNS_T_OPT) {
                /* RFC 6891 6.1.1: one OPT, in the additional section, at the root. */
                if (section != 2 || out->has_edns || rr.name.len != 1)
                    return DNS_PARSE_FORMERR;
                out->has_edns = true;
                out->edns_payload = rr.class < 512 ? 512 : rr.class;
                out->edns_version = (uint8_t)(rr.ttl >> 16);
            } else if (rr.type == DNS_T_TSIG) {
                /* RFC 8945 5.1: TSIG is the last record of the additional section. */
                if (section != 2 || i != count - 1)
                    return DNS_PARSE_FORMERR;
                out->has_tsig = true;
                out->tsig = rr;
            } else if (keep_rrs && section == 0 && out->an) {
                out->an[out->n_an++] = rr;
            } else if (keep_rrs && section == 1 && out->ns) {
                out->ns[out->n_ns++] = rr;
            }
        }
    }
    if (!cur_is_empty(&c))
        return DNS_PARSE_FORMERR;
    return DNS_PARSE_OK;
}

/* ---- writing ---------------------------------------------------------------- */

void dns_out_init(struct dns_out *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = false;
    w->n_slots = 0;
}

static bool out_room(struct dns_out *w, size_t n)
{
    if (w->overflow || w->len + n > w->cap) {
        w->overflow = true;
        return false;
    }
    return true;
}

void dns_out_u16(struct dns_out *w, uint16_t v)
{
    if (!out_room(w, 2))
        return;
    w->buf[w->len++] = (uint8_t)(v >> 8);
    w->buf[w->len++] = (uint8_t)v;
}

void dns_out_u32(struct dns_out *w, uint32_t v)
{
    dns_out_u16(w, (uint16_t)(v >> 16));
    dns_out_u16(w, (uint16_t)v);
}

void dns_out_bytes(struct dns_out *w, const void *p, size_t n)
{
    if (!out_room(w, n))
        return;
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

void dns_out_hdr(struct dns_out *w, const struct dns_hdr *h)
{
    if (w->cap < DNS_HDR_LEN) {
        w->overflow = true;
        return;
    }
    size_t keep = w->len > DNS_HDR_LEN ? w->len : DNS_HDR_LEN;
    bool overflow = w->overflow;
    w->len = 0;
    w->overflow = false;
    dns_out_u16(w, h->id);
    dns_out_u16(w, h->flags);
    dns_out_u16(w, h->qdcount);
    dns_out_u16(w, h->ancount);
    dns_out_u16(w, h->nscount);
    dns_out_u16(w, h->arcount);
    w->len = keep;
    w->overflow = overflow;
}

/* out_suffix_matches compares the name written at |at| (our own output, so
 * its pointers are sound) with the wire suffix |s|, ignoring case. */
static bool out_suffix_matches(const struct dns_out *w, size_t at, const uint8_t *s)
{
    unsigned hops = 0;
    for (;;) {
        uint8_t l = w->buf[at];
        if ((l & 0xc0) == 0xc0) {
            if (++hops > DNS_MAX_POINTERS)
                return false;
            at = ((size_t)(l & 0x3f) << 8) | w->buf[at + 1];
            continue;
        }
        if (l != *s)
            return false;
        if (l == 0)
            return true;
        for (uint8_t i = 1; i <= l; i++)
            if (lower(w->buf[at + i]) != lower(s[i]))
                return false;
        at += 1 + (size_t)l;
        s += 1 + (size_t)l;
    }
}

void dns_out_name(struct dns_out *w, const struct dns_name *n)
{
    uint16_t fresh[DNS_COMPRESS_SLOTS];
    unsigned n_fresh = 0;
    size_t off = 0;
    if (w->overflow) /* a cut-off name must not be matched against */
        return;
    while (n->wire[off] != 0) {
        for (unsigned i = 0; i < w->n_slots; i++)
            if (out_suffix_matches(w, w->slots[i], n->wire + off)) {
                dns_out_u16(w, (uint16_t)(0xc000 | w->slots[i]));
                goto done;
            }
        uint8_t l = n->wire[off];
        if (w->len < 0x3fff && w->n_slots + n_fresh < DNS_COMPRESS_SLOTS)
            fresh[n_fresh++] = (uint16_t)w->len;
        dns_out_bytes(w, n->wire + off, 1 + (size_t)l);
        off += 1 + (size_t)l;
    }
    dns_out_bytes(w, "", 1);
done:
    /* Only a name written whole may be pointed at: matching against one still
     * being written would read past its end. */
    if (w->overflow)
        return;
    for (unsigned i = 0; i < n_fresh; i++)
        w->slots[w->n_slots++] = fresh[i];
}

size_t dns_out_rr_begin(struct dns_out *w, const struct dns_name *owner, uint16_t type,
                        uint16_t class, uint32_t ttl)
{
    dns_out_name(w, owner);
    dns_out_u16(w, type);
    dns_out_u16(w, class);
    dns_out_u32(w, ttl);
    size_t at = w->len;
    dns_out_u16(w, 0);
    return at;
}

void dns_out_rr_end(struct dns_out *w, size_t rdlen_at)
{
    if (w->overflow)
        return;
    size_t rdlen = w->len - rdlen_at - 2;
    w->buf[rdlen_at] = (uint8_t)(rdlen >> 8);
    w->buf[rdlen_at + 1] = (uint8_t)rdlen;
}

void dns_out_edns(struct dns_out *w, uint8_t ext_rcode)
{
    dns_out_bytes(w, "", 1); /* the root name */
    dns_out_u16(w, DNS_T_OPT);
    dns_out_u16(w, DNS_EDNS_PAYLOAD);
    dns_out_u32(w, (uint32_t)ext_rcode << 24); /* extended RCODE, version 0, no flags */
    dns_out_u16(w, 0);
}
