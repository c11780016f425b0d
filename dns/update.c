/* update.c — one UPDATE in, one response out. The request is authenticated
 * (TSIG), then its zone section, prerequisites (RFC 2136 3.2) and updates
 * (3.4) are checked against a working copy of the names it touches. Only
 * when every check holds are the addresses written to the store, in one
 * transaction that is committed before the records the responder serves
 * change and before the response goes out. */
#include "dns/update.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/name.h"
#include "dns/tsig.h"
#include "store/store.h"

#define REPLAY_SLOTS 16

/* What a name in the zone is, for updates. */
enum owner {
    OWN_NONE,      /* nothing is there and nothing may be put there */
    OWN_FIXED,     /* computed by the zone: apex, gateway, hex names, the SRV */
    OWN_FRIENDLY,  /* a friendly name: A/AAAA, persisted */
    OWN_CHALLENGE, /* _acme-challenge.<label>.<zone>: TXT, in memory */
};

/* Types the zone computes at fixed names, besides addresses. */
#define FIXED_SOA 1u
#define FIXED_NS 2u
#define FIXED_SRV 4u

struct work {
    struct dns_name lname;      /* lowercase wire form: what identifies the entry */
    char name[LC_NAME_MAX + 1]; /* lowercase text, as the store and the records key it */
    enum owner owner;
    int64_t holder; /* the device holding the name (for a challenge: its base name); 0: none */
    unsigned fixed; /* FIXED_* */
    struct lc_addr addrs[DNS_MAX_ADDRS];
    size_t n_addrs;
    struct dns_txt txt[DNS_MAX_TXT];
    bool txt_added[DNS_MAX_TXT]; /* added or added again by this update: (re)start its life */
    size_t n_txt;
    struct dns_txt orig_txt[DNS_MAX_TXT]; /* as the records held them before */
    size_t n_orig_txt;
    bool dirty;
};

/* The newest Time Signed seen per key: RFC 8945 5.2.3 asks for BADTIME when
 * a later message carries an earlier time, which stops replays of an older
 * update after a newer one. */
struct replay {
    char key[254];
    uint64_t last;
};

struct dns_updater {
    struct store *store;
    struct work works[DNS_UPDATE_MAX_NAMES];
    size_t n_works;
    struct replay replay[REPLAY_SLOTS];
};

struct req {
    struct dns_updater *u;
    const struct dns_zone *z;
    const struct dns_msg *q;
    int64_t now;
    struct tsig_rr t;
    bool has_t;         /* |t| is the request's TSIG record: the response carries one */
    bool is_signed;     /* the response is signed with |key| */
    uint16_t tsig_error;
    struct tsig_key key;
    struct store_dns_key sk;
    unsigned n_changed;
    char why[160]; /* why the update was refused, for the log */
};

int dns_updater_new(struct dns_updater **out, const char *state_dir, struct lc_err *err)
{
    struct dns_updater *u = calloc(1, sizeof(*u));
    int rc;
    if (!u)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    if ((rc = store_open(&u->store, state_dir, err)) != LC_OK) {
        free(u);
        return rc;
    }
    *out = u;
    return LC_OK;
}

void dns_updater_free(struct dns_updater *u)
{
    if (!u)
        return;
    store_free(u->store);
    free(u);
}

static int refuse(struct req *r, int rcode, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int refuse(struct req *r, int rcode, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, sizeof(r->why), fmt, ap);
    va_end(ap);
    return rcode;
}

/* ---- the working copy ---------------------------------------------------------- */

static void name_lower(struct dns_name *out, const struct dns_name *in)
{
    *out = *in;
    for (size_t i = 0; i < out->len; i++)
        if (out->wire[i] >= 'A' && out->wire[i] <= 'Z')
            out->wire[i] |= 0x20;
}

/* wire_is_host_name: every label is letters, digits, '-' and '_' only, so
 * its text form (which dns_name_to_text does not escape) means the same. */
static bool wire_is_host_name(const struct dns_name *n)
{
    size_t off = 0;
    while (off < n->len && n->wire[off] != 0) {
        uint8_t l = n->wire[off];
        for (size_t i = off + 1; i <= off + l; i++) {
            uint8_t ch = n->wire[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '-' || ch == '_'))
                return false;
        }
        off += 1 + (size_t)l;
    }
    return true;
}

static int load_friendly(struct req *r, struct work *w)
{
    struct store_name sn;
    struct lc_err err;
    int rc = store_name_get(r->u->store, &sn, w->name, &err);
    w->owner = OWN_FRIENDLY;
    if (rc == LC_E_NOTFOUND || (rc == LC_OK && sn.is_hex))
        return DNS_R_NOERROR; /* nobody holds it: not in use, not updatable */
    if (rc != LC_OK) {
        log_msg(LOG_ERR, "dns update: %s", err.msg);
        return refuse(r, DNS_R_SERVFAIL, "the store failed");
    }
    w->holder = sn.device_id;
    for (size_t i = 0; i < sn.n_addrs && w->n_addrs < DNS_MAX_ADDRS; i++)
        if (addr_from_bytes(&w->addrs[w->n_addrs], sn.addrs[i], sn.addr_lens[i]))
            w->n_addrs++;
    return DNS_R_NOERROR;
}

/* load_challenge takes _acme-challenge.<label>.<zone> for a label that can
 * be certified: friendly, hex (of an allowed address) or the gateway's. */
static int load_challenge(struct req *r, struct work *w, unsigned depth)
{
    static const char prefix[] = "_acme-challenge.";
    const struct dns_zone *z = r->z;
    struct name_info info;
    struct store_name sn;
    struct lc_err err;
    if (depth != 2 || strncmp(w->name, prefix, sizeof(prefix) - 1) != 0)
        return DNS_R_NOERROR;
    const char *base = w->name + sizeof(prefix) - 1;
    name_classify(&info, base, z->zone_text, z->gateway_label);
    if (!(info.kind == NAME_FRIENDLY || info.kind == NAME_GATEWAY ||
          (info.kind == NAME_HEX && prefix_set_contains(&z->allow, &info.addr))))
        return DNS_R_NOERROR;
    w->owner = OWN_CHALLENGE;
    if (info.kind != NAME_GATEWAY) {
        int rc = store_name_get(r->u->store, &sn, base, &err);
        if (rc == LC_OK) {
            w->holder = sn.device_id;
        } else if (rc != LC_E_NOTFOUND) {
            log_msg(LOG_ERR, "dns update: %s", err.msg);
            return refuse(r, DNS_R_SERVFAIL, "the store failed");
        }
    }
    int n = dns_records_get_txt(z->records, w->name, r->now, w->txt);
    w->n_txt = n > 0 ? (size_t)n : 0;
    memcpy(w->orig_txt, w->txt, w->n_txt * sizeof(w->txt[0]));
    w->n_orig_txt = w->n_txt;
    return DNS_R_NOERROR;
}

static int load_work(struct req *r, struct work *w, unsigned depth)
{
    const struct dns_zone *z = r->z;
    char norm[LC_NAME_MAX + 1];
    struct name_info info;

    if (depth == 0) {
        w->owner = OWN_FIXED;
        w->fixed = FIXED_SOA | FIXED_NS;
        snprintf(w->name, sizeof(w->name), "%s", z->zone_text);
        return DNS_R_NOERROR;
    }
    /* A name the responder could never serve is not in use and not updatable. */
    if (!wire_is_host_name(&w->lname) || !dns_name_to_text(w->name, sizeof(w->name), &w->lname) ||
        name_normalize(norm, w->name, strlen(w->name), NULL) != LC_OK)
        return DNS_R_NOERROR;
    name_classify(&info, w->name, z->zone_text, z->gateway_label);
    switch (info.kind) {
    case NAME_GATEWAY:
        w->owner = OWN_FIXED;
        w->n_addrs = z->n_gateway_addrs < DNS_MAX_ADDRS ? z->n_gateway_addrs : DNS_MAX_ADDRS;
        memcpy(w->addrs, z->gateway_addrs, w->n_addrs * sizeof(w->addrs[0]));
        break;
    case NAME_HEX:
        if (prefix_set_contains(&z->allow, &info.addr)) {
            w->owner = OWN_FIXED;
            w->addrs[0] = info.addr;
            w->n_addrs = 1;
        }
        break;
    case NAME_FRIENDLY:
        return load_friendly(r, w);
    case NAME_SERVICE:
        if (dns_name_equal(&w->lname, &z->srv_owner)) {
            w->owner = OWN_FIXED;
            w->fixed = FIXED_SRV;
            break;
        }
        return load_challenge(r, w, depth);
    case NAME_APEX:
    case NAME_OUTSIDE:
        break;
    }
    return DNS_R_NOERROR;
}

/* work_for finds or loads the entry for owner name |n|. */
static int work_for(struct req *r, const struct dns_name *n, struct work **out)
{
    struct dns_updater *u = r->u;
    struct dns_name l;
    unsigned depth;
    if (!dns_name_is_under(n, &r->z->apex, &depth))
        return refuse(r, DNS_R_NOTZONE, "a name outside the zone %s", r->z->zone_text);
    name_lower(&l, n);
    for (size_t i = 0; i < u->n_works; i++)
        if (u->works[i].lname.len == l.len && memcmp(u->works[i].lname.wire, l.wire, l.len) == 0) {
            *out = &u->works[i];
            return DNS_R_NOERROR;
        }
    if (u->n_works == DNS_UPDATE_MAX_NAMES)
        return refuse(r, DNS_R_REFUSED, "more than %d names in one update", DNS_UPDATE_MAX_NAMES);
    struct work *w = &u->works[u->n_works++];
    memset(w, 0, sizeof(*w));
    w->lname = l;
    *out = w;
    return load_work(r, w, depth);
}

static bool work_exists(const struct work *w)
{
    return w->owner == OWN_FIXED || w->n_addrs > 0 || w->n_txt > 0 ||
           (w->owner == OWN_FRIENDLY && w->holder != 0);
}

static size_t count_family(const struct work *w, int family)
{
    size_t n = 0;
    for (size_t i = 0; i < w->n_addrs; i++)
        n += w->addrs[i].family == family;
    return n;
}

/* count_type is the size of |w|'s RRset of |type|. */
static size_t count_type(const struct work *w, uint16_t type)
{
    switch (type) {
    case DNS_T_A:
        return count_family(w, LC_AF_INET);
    case DNS_T_AAAA:
        return count_family(w, LC_AF_INET6);
    case DNS_T_TXT:
        return w->n_txt;
    case DNS_T_SOA:
        return (w->fixed & FIXED_SOA) ? 1 : 0;
    case DNS_T_NS:
        return (w->fixed & FIXED_NS) ? 1 : 0;
    case DNS_T_SRV:
        return (w->fixed & FIXED_SRV) ? 1 : 0;
    default:
        return 0;
    }
}

static int find_addr(const struct work *w, const struct lc_addr *a)
{
    for (size_t i = 0; i < w->n_addrs; i++)
        if (addr_equal(&w->addrs[i], a))
            return (int)i;
    return -1;
}

static int find_txt(const struct work *w, const struct dns_txt *t)
{
    for (size_t i = 0; i < w->n_txt; i++)
        if (w->txt[i].len == t->len && memcmp(w->txt[i].text, t->text, t->len) == 0)
            return (int)i;
    return -1;
}

static void remove_addr(struct work *w, size_t i)
{
    w->addrs[i] = w->addrs[--w->n_addrs];
    w->dirty = true;
}

static void remove_txt(struct work *w, size_t i)
{
    w->n_txt--;
    w->txt[i] = w->txt[w->n_txt];
    w->txt_added[i] = w->txt_added[w->n_txt];
    w->dirty = true;
}

/* ---- record data ------------------------------------------------------------- */

static const uint8_t *rdata(const struct req *r, const struct dns_rr *rr)
{
    return r->q->pkt + rr->rdata_at;
}

/* read_addr reads an A or AAAA record's RDATA; FORMERR when its length is
 * wrong, REFUSED for an IPv4-mapped AAAA (it would turn into an A). */
static int read_addr(struct req *r, const struct dns_rr *rr, struct lc_addr *out)
{
    size_t want = rr->type == DNS_T_A ? 4 : 16;
    if (rr->rdlen != want || !addr_from_bytes(out, rdata(r, rr), want))
        return refuse(r, DNS_R_FORMERR, "an address record of %u bytes", rr->rdlen);
    if (addr_len(out) != want)
        return refuse(r, DNS_R_REFUSED, "an IPv4-mapped AAAA record");
    return DNS_R_NOERROR;
}

/* read_txt reads a TXT record's RDATA, which must be one character-string:
 * the records hold one string per record, as ACME's challenges are. */
static int read_txt(struct req *r, const struct dns_rr *rr, struct dns_txt *out)
{
    struct cur c = cur_init(rdata(r, rr), rr->rdlen);
    uint8_t len;
    if (!cur_u8(&c, &len) || !cur_copy(&c, out->text, len))
        return refuse(r, DNS_R_FORMERR, "a malformed TXT record");
    if (!cur_is_empty(&c))
        return refuse(r, DNS_R_REFUSED, "a TXT record of more than one string");
    out->len = len;
    return DNS_R_NOERROR;
}

/* has_rdata: the zone holds the RR |rr| (type A, AAAA or TXT) at |w|. */
static bool has_rdata(struct req *r, const struct work *w, const struct dns_rr *rr)
{
    if (rr->type == DNS_T_TXT) {
        struct dns_txt t;
        return read_txt(r, rr, &t) == DNS_R_NOERROR && find_txt(w, &t) >= 0;
    }
    struct lc_addr a;
    return read_addr(r, rr, &a) == DNS_R_NOERROR && find_addr(w, &a) >= 0;
}

static bool same_rr(const struct req *r, const struct dns_rr *a, const struct dns_rr *b)
{
    return a->type == b->type && dns_name_equal(&a->name, &b->name) && a->rdlen == b->rdlen &&
           memcmp(rdata(r, a), rdata(r, b), a->rdlen) == 0;
}

/* is_meta: a type only a question may carry (RFC 6895 3.1: 128-255), OPT,
 * or 0; none of them is data an update may add. */
static bool is_meta(uint16_t type)
{
    return type == 0 || type == DNS_T_OPT || (type >= 128 && type <= 255);
}

/* ---- prerequisites (RFC 2136 3.2) ---------------------------------------------- */

static int check_value_sets(struct req *r);

static int check_prereqs(struct req *r)
{
    const struct dns_msg *q = r->q;
    bool has_values = false;
    for (size_t i = 0; i < q->n_an; i++) {
        const struct dns_rr *rr = &q->an[i];
        struct work *w;
        int rc;
        if (rr->ttl != 0)
            return refuse(r, DNS_R_FORMERR, "a prerequisite with a TTL");
        if ((rc = work_for(r, &rr->name, &w)) != DNS_R_NOERROR)
            return rc;
        if (rr->class == DNS_C_ANY || rr->class == DNS_C_NONE) {
            if (rr->rdlen != 0)
                return refuse(r, DNS_R_FORMERR, "a prerequisite of class ANY/NONE with data");
            bool present = rr->type == DNS_T_ANY ? work_exists(w) : count_type(w, rr->type) > 0;
            if (rr->class == DNS_C_ANY && !present)
                return refuse(r, rr->type == DNS_T_ANY ? DNS_R_NXDOMAIN : DNS_R_NXRRSET,
                              "prerequisite: %s is not in use", w->name);
            if (rr->class == DNS_C_NONE && present)
                return refuse(r, rr->type == DNS_T_ANY ? DNS_R_YXDOMAIN : DNS_R_YXRRSET,
                              "prerequisite: %s is in use", w->name);
        } else if (rr->class == DNS_C_IN) {
            if (is_meta(rr->type))
                return refuse(r, DNS_R_FORMERR, "a prerequisite of a meta type");
            if (rr->type != DNS_T_A && rr->type != DNS_T_AAAA && rr->type != DNS_T_TXT)
                return refuse(r, DNS_R_NOTIMP,
                              "value-dependent prerequisites only for A, AAAA and TXT");
            if (!has_rdata(r, w, rr))
                return refuse(r, DNS_R_NXRRSET, "prerequisite: %s lacks a record given", w->name);
            has_values = true;
        } else {
            return refuse(r, DNS_R_FORMERR, "a prerequisite of class %u", rr->class);
        }
    }
    return has_values ? check_value_sets(r) : DNS_R_NOERROR;
}

/* check_value_sets finishes RFC 2136 3.2.5: every record given is in the
 * zone (checked already); now the zone's RRset must hold no more records
 * than the distinct ones given for it. */
static int check_value_sets(struct req *r)
{
    const struct dns_msg *q = r->q;
    for (size_t i = 0; i < q->n_an; i++) {
        const struct dns_rr *rr = &q->an[i];
        bool first = true;
        size_t distinct = 0;
        struct work *w;
        if (rr->class != DNS_C_IN)
            continue;
        for (size_t j = 0; j < i && first; j++)
            if (q->an[j].class == DNS_C_IN && q->an[j].type == rr->type &&
                dns_name_equal(&q->an[j].name, &rr->name))
                first = false;
        if (!first) /* the set was counted at its first record */
            continue;
        for (size_t j = i; j < q->n_an; j++) {
            const struct dns_rr *a = &q->an[j];
            bool dup = false;
            if (a->class != DNS_C_IN || a->type != rr->type || !dns_name_equal(&a->name, &rr->name))
                continue;
            for (size_t k = i; k < j && !dup; k++)
                dup = q->an[k].class == DNS_C_IN && same_rr(r, &q->an[k], a);
            distinct += !dup;
        }
        if (work_for(r, &rr->name, &w) != DNS_R_NOERROR)
            return DNS_R_SERVFAIL; /* loaded in check_prereqs: cannot fail here */
        if (count_type(w, rr->type) != distinct)
            return refuse(r, DNS_R_NXRRSET, "prerequisite: %s holds other records", w->name);
    }
    return DNS_R_NOERROR;
}

/* ---- updates (RFC 2136 3.4) ---------------------------------------------------- */

/* prescan is RFC 2136 3.4.1.3 for one record. */
static int prescan(struct req *r, const struct dns_rr *rr)
{
    switch (rr->class) {
    case DNS_C_IN:
        if (is_meta(rr->type))
            return refuse(r, DNS_R_FORMERR, "an update adding a meta type");
        return DNS_R_NOERROR;
    case DNS_C_ANY:
        if (rr->ttl != 0 || rr->rdlen != 0 || (is_meta(rr->type) && rr->type != DNS_T_ANY))
            return refuse(r, DNS_R_FORMERR, "a malformed RRset deletion");
        return DNS_R_NOERROR;
    case DNS_C_NONE:
        if (rr->ttl != 0 || is_meta(rr->type))
            return refuse(r, DNS_R_FORMERR, "a malformed record deletion");
        return DNS_R_NOERROR;
    default:
        return refuse(r, DNS_R_FORMERR, "an update of class %u", rr->class);
    }
}

/* permitted is our policy (RFC 2136 3.3): which key may touch which name
 * with which type. */
static int permitted(struct req *r, const struct work *w, const struct dns_rr *rr)
{
    bool delete_all = rr->class == DNS_C_ANY && rr->type == DNS_T_ANY;
    int64_t device = r->sk.device_id;
    switch (w->owner) {
    case OWN_FRIENDLY:
        if (rr->type != DNS_T_A && rr->type != DNS_T_AAAA && !delete_all)
            return refuse(r, DNS_R_REFUSED, "%s: a friendly name holds only A and AAAA records",
                          w->name);
        if (w->holder == 0)
            return refuse(r, DNS_R_REFUSED, "%s: no device holds this name", w->name);
        if (device != 0 && w->holder != device)
            return refuse(r, DNS_R_REFUSED, "%s: held by another device", w->name);
        return DNS_R_NOERROR;
    case OWN_CHALLENGE:
        if (rr->type != DNS_T_TXT && !delete_all)
            return refuse(r, DNS_R_REFUSED, "%s: a challenge name holds only TXT records", w->name);
        if (device != 0 && w->holder != device)
            return refuse(r, DNS_R_REFUSED, "%s: for a name the key's device does not hold",
                          w->name);
        return DNS_R_NOERROR;
    case OWN_FIXED:
        return refuse(r, DNS_R_REFUSED, "%s is computed by the zone and never updated",
                      w->name[0] ? w->name : "a name");
    case OWN_NONE:
        break;
    }
    return refuse(r, DNS_R_REFUSED, "%s cannot be updated", w->name[0] ? w->name : "this name");
}

static int add_rr(struct req *r, struct work *w, const struct dns_rr *rr)
{
    int rc;
    if (rr->type == DNS_T_TXT) {
        struct dns_txt t;
        if ((rc = read_txt(r, rr, &t)) != DNS_R_NOERROR)
            return rc;
        int i = find_txt(w, &t);
        if (i < 0) {
            if (w->n_txt == DNS_MAX_TXT)
                return refuse(r, DNS_R_REFUSED, "%s: at most %d TXT records", w->name, DNS_MAX_TXT);
            i = (int)w->n_txt++;
            w->txt[i] = t;
        }
        w->txt_added[i] = true;
        w->dirty = true;
        return DNS_R_NOERROR;
    }
    struct lc_addr a;
    char text[LC_ADDR_STRLEN];
    if ((rc = read_addr(r, rr, &a)) != DNS_R_NOERROR)
        return rc;
    if (!prefix_set_contains(&r->z->allow, &a)) {
        addr_format(text, &a);
        return refuse(r, DNS_R_REFUSED, "%s: %s is outside the allowed ranges", w->name, text);
    }
    if (find_addr(w, &a) >= 0)
        return DNS_R_NOERROR;
    if (w->n_addrs == DNS_MAX_ADDRS)
        return refuse(r, DNS_R_REFUSED, "%s: at most %d addresses", w->name, DNS_MAX_ADDRS);
    w->addrs[w->n_addrs++] = a;
    w->dirty = true;
    return DNS_R_NOERROR;
}

static void delete_rrset(struct work *w, uint16_t type)
{
    for (size_t i = w->n_addrs; i-- > 0;)
        if (type == DNS_T_ANY || (type == DNS_T_A && w->addrs[i].family == LC_AF_INET) ||
            (type == DNS_T_AAAA && w->addrs[i].family == LC_AF_INET6))
            remove_addr(w, i);
    if (type == DNS_T_ANY || type == DNS_T_TXT)
        while (w->n_txt > 0)
            remove_txt(w, w->n_txt - 1);
}

static int delete_rr(struct req *r, struct work *w, const struct dns_rr *rr)
{
    int rc, i;
    if (rr->type == DNS_T_TXT) {
        struct dns_txt t;
        if ((rc = read_txt(r, rr, &t)) != DNS_R_NOERROR)
            return rc;
        if ((i = find_txt(w, &t)) >= 0)
            remove_txt(w, (size_t)i);
        return DNS_R_NOERROR;
    }
    struct lc_addr a;
    if ((rc = read_addr(r, rr, &a)) != DNS_R_NOERROR)
        return rc;
    if ((i = find_addr(w, &a)) >= 0)
        remove_addr(w, (size_t)i);
    return DNS_R_NOERROR;
}

/* apply_updates applies the update section, in order, to the working copy. */
static int apply_updates(struct req *r)
{
    const struct dns_msg *q = r->q;
    for (size_t i = 0; i < q->n_ns; i++) {
        const struct dns_rr *rr = &q->ns[i];
        struct work *w;
        int rc;
        if ((rc = prescan(r, rr)) != DNS_R_NOERROR ||
            (rc = work_for(r, &rr->name, &w)) != DNS_R_NOERROR ||
            (rc = permitted(r, w, rr)) != DNS_R_NOERROR)
            return rc;
        if (rr->class == DNS_C_IN)
            rc = add_rr(r, w, rr);
        else if (rr->class == DNS_C_ANY)
            delete_rrset(w, rr->type);
        else
            rc = delete_rr(r, w, rr);
        if (rc != DNS_R_NOERROR)
            return rc;
    }
    return DNS_R_NOERROR;
}

/* ---- committing ----------------------------------------------------------------- */

static bool txt_in(const struct dns_txt *list, size_t n, const struct dns_txt *t)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].len == t->len && memcmp(list[i].text, t->text, t->len) == 0)
            return true;
    return false;
}

/* store_work writes every changed friendly name's addresses inside the open
 * transaction. */
static int store_work(struct req *r, struct lc_err *err)
{
    struct dns_updater *u = r->u;
    for (size_t i = 0; i < u->n_works; i++) {
        struct work *w = &u->works[i];
        const uint8_t *ptrs[DNS_MAX_ADDRS];
        size_t lens[DNS_MAX_ADDRS];
        int rc;
        if (w->owner != OWN_FRIENDLY || !w->dirty)
            continue;
        for (size_t j = 0; j < w->n_addrs; j++) {
            ptrs[j] = w->addrs[j].b;
            lens[j] = addr_len(&w->addrs[j]);
        }
        if ((rc = store_name_set_addrs(u->store, w->name, ptrs, lens, w->n_addrs, err)) != LC_OK)
            return rc;
    }
    return LC_OK;
}

/* commit makes the working copy true: the store first (durable when
 * store_commit returns), then the records the responder serves. */
static int commit(struct req *r)
{
    struct dns_updater *u = r->u;
    struct lc_err err;
    if (store_work(r, &err) != LC_OK || store_commit(u->store, &err) != LC_OK) {
        store_rollback(u->store);
        log_msg(LOG_ERR, "dns update: %s", err.msg);
        return refuse(r, DNS_R_SERVFAIL, "the store failed; nothing changed");
    }
    for (size_t i = 0; i < u->n_works; i++) {
        struct work *w = &u->works[i];
        if (!w->dirty)
            continue;
        r->n_changed++;
        if (w->owner == OWN_FRIENDLY) {
            if (dns_records_set_addrs(r->z->records, w->name, w->addrs, w->n_addrs, &err) != LC_OK)
                log_msg(LOG_ERR, "dns update: %s is stored but not served until restart: %s",
                        w->name, err.msg);
            continue;
        }
        for (size_t j = 0; j < w->n_orig_txt; j++)
            if (!txt_in(w->txt, w->n_txt, &w->orig_txt[j]))
                dns_records_del_txt(r->z->records, w->name, w->orig_txt[j].text,
                                    w->orig_txt[j].len);
        for (size_t j = 0; j < w->n_txt; j++)
            if (w->txt_added[j] &&
                dns_records_add_txt(r->z->records, w->name, w->txt[j].text, w->txt[j].len,
                                    r->now, &err) != LC_OK)
                log_msg(LOG_ERR, "dns update: TXT for %s not kept: %s", w->name, err.msg);
    }
    return DNS_R_NOERROR;
}

static int process(struct req *r)
{
    const struct dns_msg *q = r->q;
    struct lc_err err;
    int rc;
    /* RFC 2136 3.1: one SOA question naming a zone of ours. */
    if (!q->has_question || q->qtype != DNS_T_SOA)
        return refuse(r, DNS_R_FORMERR, "the zone section is not one SOA question");
    if (q->qclass != DNS_C_IN || !dns_name_equal(&q->qname, &r->z->apex))
        return refuse(r, DNS_R_NOTAUTH, "not for the zone %s", r->z->zone_text);
    if (r->sk.device_id != 0 && !r->sk.device_active)
        return refuse(r, DNS_R_REFUSED, "the key's device %lld is not active",
                      (long long)r->sk.device_id);
    /* The write lock is taken first, so what is checked is what is written:
     * no other writer can move a name between the checks and the commit. */
    r->u->n_works = 0;
    if (store_begin(r->u->store, &err) != LC_OK) {
        log_msg(LOG_ERR, "dns update: %s", err.msg);
        return refuse(r, DNS_R_SERVFAIL, "the store failed");
    }
    if ((rc = check_prereqs(r)) != DNS_R_NOERROR || (rc = apply_updates(r)) != DNS_R_NOERROR) {
        store_rollback(r->u->store);
        return rc;
    }
    return commit(r);
}

/* ---- authentication ---------------------------------------------------------------- */

/* replayed records |t| as the newest Time Signed of key |name| and is true
 * when a newer one was seen already. */
static bool replayed(struct dns_updater *u, const char *name, uint64_t t)
{
    struct replay *slot = NULL, *oldest = &u->replay[0];
    for (size_t i = 0; i < REPLAY_SLOTS && !slot; i++) {
        if (strcmp(u->replay[i].key, name) == 0)
            slot = &u->replay[i];
        else if (u->replay[i].last < oldest->last)
            oldest = &u->replay[i];
    }
    if (slot) {
        if (t < slot->last)
            return true;
        slot->last = t;
        return false;
    }
    snprintf(oldest->key, sizeof(oldest->key), "%s", name);
    oldest->last = t;
    return false;
}

static int authenticate(struct req *r)
{
    char key_name[LC_NAME_MAX + 1] = "";
    struct lc_err err;
    bool have_key = false;
    int v;

    if (!r->q->has_tsig)
        return refuse(r, DNS_R_REFUSED, "not signed (TSIG)");
    if (!tsig_rr_parse(&r->t, r->q))
        return refuse(r, DNS_R_FORMERR, "a malformed TSIG record");
    r->has_t = true;
    if (dns_name_to_text(key_name, sizeof(key_name), &r->t.key_name)) {
        int rc = store_dns_key_get(r->u->store, &r->sk, key_name, &err);
        if (rc == LC_OK) {
            have_key = tsig_key_init(&r->key, r->sk.name, r->sk.algorithm, r->sk.secret,
                                     r->sk.secret_len, &err) == LC_OK;
            if (!have_key)
                log_msg(LOG_ERR, "dns update: the key %s is unusable: %s", r->sk.name, err.msg);
        } else if (rc != LC_E_NOTFOUND) {
            log_msg(LOG_ERR, "dns update: %s", err.msg);
            r->has_t = false;
            return refuse(r, DNS_R_SERVFAIL, "the store failed");
        }
    }
    v = tsig_verify(r->q, &r->t, have_key ? &r->key : NULL, NULL, 0, r->now);
    if (v < 0) {
        r->has_t = false;
        return refuse(r, DNS_R_FORMERR, "a TSIG MAC of %u bytes", r->t.mac_len);
    }
    if (v == TSIG_NOERROR && replayed(r->u, r->sk.name, r->t.vars.time_signed))
        v = TSIG_BADTIME;
    r->tsig_error = (uint16_t)v;
    /* RFC 8945 5.3.2: errors about the key or the MAC go back unsigned;
     * BADTIME, from a message that verified, is signed. */
    r->is_signed = v == TSIG_NOERROR || v == TSIG_BADTIME;
    switch (v) {
    case TSIG_NOERROR:
        return DNS_R_NOERROR;
    case TSIG_BADKEY:
        if (have_key)
            return refuse(r, DNS_R_NOTAUTH, "key %s is %s, not the algorithm used (BADKEY)",
                          key_name, r->sk.algorithm);
        return refuse(r, DNS_R_NOTAUTH, "unknown key %s (BADKEY)", key_name);
    case TSIG_BADSIG:
        return refuse(r, DNS_R_NOTAUTH, "bad signature by key %s (BADSIG)", key_name);
    case TSIG_BADTIME:
        return refuse(r, DNS_R_NOTAUTH, "signed at %llu, now %lld: stale or replayed (BADTIME)",
                      (unsigned long long)r->t.vars.time_signed, (long long)r->now);
    default:
        return refuse(r, DNS_R_NOTAUTH, "a truncated MAC (BADTRUNC)");
    }
}

/* ---- the response --------------------------------------------------------------- */

/* append_tsig closes a response to |r| with its TSIG record: signed with
 * the request's key when it verified (or only its time was off), else the
 * unsigned error form (RFC 8945 5.3). Nothing when the request had none. */
static bool append_tsig(struct dns_out *w, const struct req *r)
{
    if (!r->has_t)
        return true;
    if (!r->is_signed)
        return tsig_append_unsigned(w, &r->t, r->tsig_error, r->now);
    uint64_t now = (uint64_t)r->now & 0xffffffffffffULL;
    struct tsig_vars v = {now, TSIG_FUDGE, r->t.vars.orig_id, r->tsig_error, 0, {0}};
    if (r->tsig_error == TSIG_BADTIME) {
        /* The client learns our clock from Other Data; Time Signed is its own. */
        v.time_signed = r->t.vars.time_signed;
        v.other_len = 6;
        for (int i = 0; i < 6; i++)
            v.other[i] = (uint8_t)(now >> (40 - 8 * i));
    }
    return tsig_sign(w, &r->key, &v, r->t.mac, r->t.mac_len, NULL);
}

static size_t respond(struct req *r, int rcode, uint8_t *out, size_t out_cap)
{
    const struct dns_msg *q = r->q;
    struct dns_out w;
    /* RFC 2136 3.8: the ID and opcode copied, the zone section echoed. */
    struct dns_hdr h = {q->hdr.id, (uint16_t)(DNS_F_QR | (DNS_OP_UPDATE << 11) | (rcode & 0xf)),
                        q->has_question ? 1 : 0, 0, 0, q->has_edns ? 1 : 0};
    dns_out_init(&w, out, out_cap);
    dns_out_hdr(&w, &h);
    if (q->has_question) {
        dns_out_name(&w, &q->qname);
        dns_out_u16(&w, q->qtype);
        dns_out_u16(&w, q->qclass);
    }
    if (q->has_edns)
        dns_out_edns(&w, 0);
    if (!append_tsig(&w, r))
        return 0;
    return w.overflow ? 0 : w.len;
}

/* signed_query answers a QUERY that carries TSIG: the answer is the usual
 * one, and the response is signed with the same key (RFC 8945 5.3), or,
 * when the signature fails, NOTAUTH with the TSIG error. nsupdate signs the
 * SOA query it sends before an update. */
static size_t signed_query(struct dns_updater *u, const struct dns_zone *zone,
                           const struct dns_msg *q, const struct lc_addr *src, int64_t now,
                           uint8_t *out, size_t out_cap, size_t limit)
{
    struct req r;
    struct dns_out w;
    size_t n;
    char from[LC_ADDR_STRLEN];
    /* Room kept for the TSIG record: names, fixed fields and the MAC. */
    const size_t tsig_room = 2 * DNS_NAME_MAX + 16 + TSIG_MAC_MAX + TSIG_OTHER_MAX;

    memset(&r, 0, sizeof(r));
    r.u = u;
    r.z = zone;
    r.q = q;
    r.now = now;
    int rcode = authenticate(&r);
    if (rcode == DNS_R_NOERROR)
        n = dns_answer_query(zone, q, out, limit > tsig_room + DNS_HDR_LEN ? limit - tsig_room : limit,
                             now);
    else
        n = dns_answer_error(q, rcode, out, limit);
    if (n == 0)
        goto out;
    dns_out_init(&w, out, limit < out_cap ? limit : out_cap);
    w.len = n;
    n = append_tsig(&w, &r) ? w.len : 0;
    if (rcode != DNS_R_NOERROR) {
        addr_format(from, src);
        log_msg(LOG_INFO, "dns: signed query from %s refused (rcode %d): %s", from, rcode, r.why);
    }
out:
    tsig_key_cleanup(&r.key);
    store_dns_key_cleanup(&r.sk);
    return n;
}

size_t dns_update_answer(struct dns_updater *u, const struct dns_zone *zone,
                         const struct dns_msg *q, const struct lc_addr *src, int64_t now,
                         uint8_t *out, size_t out_cap)
{
    struct req r;
    char from[LC_ADDR_STRLEN];
    size_t n;
    int rcode;

    if (DNS_OPCODE(q->hdr.flags) == DNS_OP_QUERY) {
        bool tcp = out_cap > DNS_EDNS_PAYLOAD;
        size_t limit = tcp ? out_cap : dns_udp_limit(q);
        if (!q->has_question || q->hdr.qdcount != 1 || q->hdr.ancount || q->hdr.nscount)
            return dns_answer_error(q, DNS_R_FORMERR, out, limit);
        return signed_query(u, zone, q, src, now, out, out_cap, limit);
    }
    memset(&r, 0, sizeof(r));
    r.u = u;
    r.z = zone;
    r.q = q;
    r.now = now;
    rcode = authenticate(&r);
    if (rcode == DNS_R_NOERROR)
        rcode = process(&r);
    n = respond(&r, rcode, out, out_cap);
    addr_format(from, src);
    if (rcode == DNS_R_NOERROR)
        log_msg(LOG_INFO, "dns update from %s by key %s: %u name(s) changed", from, r.sk.name,
                r.n_changed);
    else
        log_msg(r.tsig_error ? LOG_WARNING : LOG_INFO, "dns update from %s%s%s refused (rcode %d): %s",
                from, r.sk.name[0] ? " by key " : "", r.sk.name, rcode, r.why);
    tsig_key_cleanup(&r.key);
    store_dns_key_cleanup(&r.sk);
    return n;
}

size_t dns_update_handle(void *ctx, const struct dns_zone *zone, const struct dns_msg *q,
                         const struct lc_addr *src, uint8_t *out, size_t out_cap)
{
    return dns_update_answer(ctx, zone, q, src, (int64_t)time(NULL), out, out_cap);
}
