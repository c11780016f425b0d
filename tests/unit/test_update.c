/* test_update.c — dns/update.c with messages we build and sign ourselves:
 * what nsupdate cannot be made to send (stale signatures, replays, malformed
 * sections, limits), the response's own signature, and that a refused update
 * leaves the store and the served records as they were. */
#include "helpers.h"

#include "core/conf.h"
#include "dns/answer.h"
#include "dns/records.h"
#include "dns/tsig.h"
#include "dns/update.h"
#include "dns/wire.h"
#include "store/store.h"

#include <sqlite3.h>

#define NOW 1800000000LL

static char dir[PATH_MAX];
static struct store *store;
static struct dns_records *records;
static struct dns_updater *updater;
static struct dns_zone zone;
static struct tsig_key admin, device1;
static int64_t dev1, dev2;

static void make_tsig_key(struct tsig_key *k, const struct store_dns_key *sk)
{
    struct lc_err err;
    TH_OK(tsig_key_init(k, sk->name, sk->algorithm, sk->secret, sk->secret_len, &err), err);
}

static void setup(void)
{
    struct lc_conf conf;
    struct lc_err err;
    struct store_dns_key sk;
    uint8_t key_id[STORE_KEY_ID_LEN];

    th_tmpdir(dir);
    conf_init(&conf);
    TH_OK(conf_finish(&conf, &err), err);
    TH_OK(store_open(&store, dir, &err), err);
    memset(key_id, 1, sizeof(key_id));
    TH_OK(store_device_for_key(store, &dev1, key_id, true, &err), err);
    memset(key_id, 2, sizeof(key_id));
    TH_OK(store_device_for_key(store, &dev2, key_id, true, &err), err);
    TH_OK(store_name_claim(store, "printer.home.arpa", dev1, false, &err), err);
    TH_OK(store_name_claim(store, "c0a80132.home.arpa", dev1, true, &err), err);
    TH_OK(store_name_claim(store, "nas.home.arpa", dev2, false, &err), err);
    TH_OK(store_dns_key_make(store, &sk, "admin.lancert", "hmac-sha256", 0, &err), err);
    make_tsig_key(&admin, &sk);
    TH_OK(store_dns_key_make(store, &sk, NULL, "hmac-sha512", dev1, &err), err);
    make_tsig_key(&device1, &sk);
    store_dns_key_cleanup(&sk);
    TH_OK(dns_records_new(&records, &err), err);
    TH_OK(dns_records_load(records, store, &err), err);
    TH_OK(dns_zone_init(&zone, &conf, records, &err), err);
    TH_OK(dns_updater_new(&updater, dir, &err), err);
}

static void teardown(void)
{
    dns_updater_free(updater);
    dns_records_free(records);
    store_free(store);
    tsig_key_cleanup(&admin);
    tsig_key_cleanup(&device1);
    th_rmtree(dir);
}

/* ---- building requests ---------------------------------------------------------- */

struct req {
    uint8_t buf[4096];
    struct dns_out w;
    struct dns_hdr h;
    uint8_t mac[TSIG_MAC_MAX];
    size_t mac_len;
};

/* req_start writes the header and, when |zname| is set, the zone section. */
static void req_start(struct req *r, uint16_t id, const char *zname, uint16_t ztype, uint16_t zclass)
{
    struct dns_name n;
    memset(r, 0, sizeof(*r));
    r->h.id = id;
    r->h.flags = DNS_OP_UPDATE << 11;
    dns_out_init(&r->w, r->buf, sizeof(r->buf));
    dns_out_hdr(&r->w, &r->h);
    if (zname) {
        ck_assert(dns_name_from_text(&n, zname));
        dns_out_name(&r->w, &n);
        dns_out_u16(&r->w, ztype);
        dns_out_u16(&r->w, zclass);
        r->h.qdcount = 1;
    }
}

/* rr appends a record; prerequisites must come before updates. */
static void rr(struct req *r, bool prereq, const char *owner, uint16_t type, uint16_t class,
               uint32_t ttl, const void *rdata, size_t rdlen)
{
    struct dns_name n;
    ck_assert(dns_name_from_text(&n, owner));
    size_t at = dns_out_rr_begin(&r->w, &n, type, class, ttl);
    if (rdlen > 0) /* memcpy may not be given NULL, even for nothing */
        dns_out_bytes(&r->w, rdata, rdlen);
    dns_out_rr_end(&r->w, at);
    if (prereq)
        r->h.ancount++;
    else
        r->h.nscount++;
}

static void add_a(struct req *r, const char *owner, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    const uint8_t ip[4] = {a, b, c, d};
    rr(r, false, owner, DNS_T_A, DNS_C_IN, 60, ip, 4);
}

static void add_txt(struct req *r, const char *owner, const char *text)
{
    uint8_t rd[256];
    rd[0] = (uint8_t)strlen(text);
    memcpy(rd + 1, text, rd[0]);
    rr(r, false, owner, DNS_T_TXT, DNS_C_IN, 60, rd, 1 + (size_t)rd[0]);
}

/* req_sign finishes the header and signs with |k| at |when| (NULL: unsigned). */
static void req_sign(struct req *r, const struct tsig_key *k, int64_t when)
{
    struct tsig_vars v = {(uint64_t)when, TSIG_FUDGE, r->h.id, 0, 0, {0}};
    dns_out_hdr(&r->w, &r->h);
    ck_assert(!r->w.overflow);
    if (!k)
        return;
    ck_assert(tsig_sign(&r->w, k, &v, NULL, 0, r->mac));
    r->mac_len = tsig_alg_mac_len(k->alg);
}

/* ---- sending them -------------------------------------------------------------------- */

struct resp {
    uint8_t buf[1232];
    size_t len;
    int rcode;
    bool has_tsig;
    struct tsig_rr t;
    struct dns_msg m;
};

static struct dns_rr an_store[DNS_MAX_RRS], ns_store[DNS_MAX_RRS];

static void submit(struct resp *out, const struct req *r, int64_t now)
{
    struct dns_msg q;
    struct lc_addr src;
    ck_assert(addr_parse(&src, "192.168.1.9", 11));
    q.an = an_store;
    q.ns = ns_store;
    ck_assert_int_eq(dns_msg_parse(&q, r->buf, r->w.len, true), DNS_PARSE_OK);
    memset(out, 0, sizeof(*out));
    out->len = dns_update_answer(updater, &zone, &q, &src, now, out->buf, sizeof(out->buf));
    ck_assert_uint_ge(out->len, DNS_HDR_LEN);
    ck_assert_uint_eq(out->buf[0] << 8 | out->buf[1], r->h.id);
    ck_assert(out->buf[2] & 0x80); /* QR */
    ck_assert_uint_eq((out->buf[2] >> 3) & 0xf, DNS_OP_UPDATE);
    out->rcode = out->buf[3] & 0xf;
    /* Read the response back (as a request: the parser drops answers). */
    out->buf[2] &= 0x7f;
    out->m.an = an_store;
    out->m.ns = ns_store;
    ck_assert_int_eq(dns_msg_parse(&out->m, out->buf, out->len, true), DNS_PARSE_OK);
    out->buf[2] |= 0x80;
    out->has_tsig = out->m.has_tsig;
    if (out->has_tsig)
        ck_assert(tsig_rr_parse(&out->t, &out->m));
}

/* assert_signed: the response carries a TSIG by |k| over the request's MAC. */
static void assert_signed(struct resp *s, const struct req *r, const struct tsig_key *k,
                          uint16_t error, int64_t now)
{
    ck_assert(s->has_tsig);
    ck_assert_uint_eq(s->t.vars.error, error);
    ck_assert_uint_eq(s->t.mac_len, tsig_alg_mac_len(k->alg));
    ck_assert_int_eq(tsig_verify(&s->m, &s->t, k, r->mac, r->mac_len, now), TSIG_NOERROR);
}

static int n_addrs(const char *name)
{
    struct lc_addr a[DNS_MAX_ADDRS];
    return dns_records_get_addrs(records, name, a);
}

static size_t stored_addrs(const char *name)
{
    struct store_name n;
    struct lc_err err;
    TH_OK(store_name_get(store, &n, name, &err), err);
    return n.n_addrs;
}

static int n_txt(const char *name)
{
    struct dns_txt t[DNS_MAX_TXT];
    return dns_records_get_txt(records, name, NOW, t);
}

/* ---- tests ----------------------------------------------------------------------------- */

START_TEST(test_add_signed_and_stored)
{
    struct req r;
    struct resp s;
    uint32_t serial = dns_records_serial(records);
    req_start(&r, 0x4242, "home.arpa", DNS_T_SOA, DNS_C_IN);
    add_a(&r, "Printer.HOME.arpa", 192, 168, 1, 50);
    add_txt(&r, "_acme-challenge.printer.home.arpa", "tok");
    req_sign(&r, &admin, NOW);
    submit(&s, &r, NOW);
    ck_assert_int_eq(s.rcode, DNS_R_NOERROR);
    assert_signed(&s, &r, &admin, TSIG_NOERROR, NOW);
    ck_assert_int_eq(n_addrs("printer.home.arpa"), 1);
    ck_assert_uint_eq(stored_addrs("printer.home.arpa"), 1);
    ck_assert_int_eq(n_txt("_acme-challenge.printer.home.arpa"), 1);
    ck_assert_uint_gt(dns_records_serial(records), serial);
    /* The zone section is echoed. */
    ck_assert(s.m.has_question);
    ck_assert(dns_name_equal(&s.m.qname, &zone.apex));
}
END_TEST

START_TEST(test_badtime)
{
    struct req r;
    struct resp s;
    req_start(&r, 1, "home.arpa", DNS_T_SOA, DNS_C_IN);
    add_a(&r, "printer.home.arpa", 192, 168, 1, 50);
    req_sign(&r, &admin, NOW - TSIG_FUDGE - 1);
    submit(&s, &r, NOW);
    ck_assert_int_eq(s.rcode, DNS_R_NOTAUTH);
    /* Signed, with the request's time and ours in Other Data (RFC 8945 5.2.3). */
    assert_signed(&s, &r, &admin, TSIG_BADTIME, NOW - TSIG_FUDGE - 1);
    ck_assert_uint_eq(s.t.vars.time_signed, (uint64_t)(NOW - TSIG_FUDGE - 1));
    ck_assert_uint_eq(s.t.vars.other_len, 6);
    uint64_t told = 0;
    for (int i = 0; i < 6; i++)
        told = told << 8 | s.t.vars.other[i];
    ck_assert_uint_eq(told, (uint64_t)NOW);
    ck_assert_int_eq(n_addrs("printer.home.arpa"), 0);
    ck_assert_uint_eq(stored_addrs("printer.home.arpa"), 0);
    /* From the future too. */
    req_start(&r, 2, "home.arpa", DNS_T_SOA, DNS_C_IN);
    add_a(&r, "printer.home.arpa", 192, 168, 1, 50);
    req_sign(&r, &admin, NOW + TSIG_FUDGE + 1);
    submit(&s, &r, NOW);
    ck_assert_int_eq(s.rcode, DNS_R_NOTAUTH);
    ck_assert_uint_eq(s.t.vars.error, TSIG_BADTIME);
    ck_assert_int_eq(n_addrs("printer.home.arpa"), 0);
}
END_TEST

START_TEST(test_replay_refused)
{
    struct req add, del;
    struct resp s;
    req_start(&add, 10, "home.arpa", DNS_T_SOA, DNS_C_IN);
    add_a(&add, "printer.home.arpa", 192, 168, 1, 50);
    req_sign(&add, &admin, NOW);
    submit(&s, &add, NOW);
    ck_assert_int_eq(s.rcode, DNS_R_NOERROR);
    req_start(&del, 11, "home.arpa", DNS_T_SOA, DNS_C_IN);
    rr(&del, false, "printer.home.arpa", DNS_T_A, DNS_C_ANY, 0, NULL, 0);
    req_sign(&del, &admin, NOW + 1);
    submit(&s, &del, NOW + 1);
    ck_assert_int_eq(s.rcode, DNS_R_NOERROR);
    ck_assert_int_eq(n_addrs("printer.home.arpa"), 0);
    /* The first update again, within the fudge: older than what the key
     * already sent, so BADTIME, and the deleted record stays deleted. */
    submit(&s, &add, NOW + 2);
    ck_assert_int_eq(s.rcode, DNS_R_NOTAUTH);
    assert_signed(&s, &add, &admin, TSIG_BADTIME, NOW + 2);
    ck_assert_int_eq(n_addrs("printer.home.arpa"), 0);
    /* Another key has its own clock. */
    req_start(&add, 12, "home.arpa", DNS_T_SOA, DNS_C_IN);
    add_a(&add, "printer.home.arpa", 192, 168, 1, 51);
    req_sign(&add, &device1, NOW);
    submit(&s, &add, NOW + 2);
    ck_assert_int_eq(s.rcode, DNS_R_NOERROR);
}
END_TEST

START_TEST(test_authentication)
{
    struct req r;
    struct resp s;
    struct tsig_key wrong;
    uint8_t secret[32] = {0};
    struct lc_err err;

    /* Unsigned: REFUSED, no TSIG. */
    req_start(&r, 20, "home.arpa", DNS_T_SOA, DNS_C_IN);
    add_a(&r, "printer.home.arpa", 192, 168, 1, 50);
    req_sign(&r, NULL, 0);
    submit(&s, &r, NOW);
    ck_assert_int_eq(s.rcode, DNS_R_REFUSED);
    ck_assert(!s.has_tsig);
    /* The right name, the wrong secret: NOTAUTH, BADSIG, unsigned. */
    TH_OK(tsig_key_init(&wrong, "admin.lancert", "hmac-sha256", secret, sizeof(secret), &err), err);
    req_start(&r, 21, "home.arpa", DNS_T_SOA, DNS_C_IN);
    add_a(&r, "printer.home.arpa", 192, 168, 1, 50);
    req_sign(&r, &wrong, NOW);
    submit(&s, &r, NOW);
    ck_assert_int_eq(s.rcode, DNS_R_NOTAUTH);
    ck_assert(s.has_tsig);
    ck_assert_uint_eq(s.t.vars.error, TSIG_BADSIG);
    ck_assert_uint_eq(s.t.mac_len, 0);
    tsig_key_cleanup(&wrong);
    /* An unknown name: BADKEY, unsigned. */
    TH_OK(tsig_key_init(&wrong, "nobody", "hmac-sha256", secret, sizeof(secret), &err), err);
    req_start(&r, 22, "home.arpa", DNS_T_SOA, DNS_C_IN);
    add_a(&r, "printer.home.arpa", 192, 168, 1, 50);
    req_sign(&r, &wrong, NOW);
    submit(&s, &r, NOW);
    ck_assert_int_eq(s.rcode, DNS_R_NOTAUTH);
    ck_assert_uint_eq(s.t.vars.error, TSIG_BADKEY);
    ck_assert_uint_eq(s.t.mac_len, 0);
    tsig_key_cleanup(&wrong);
    ck_assert_int_eq(n_addrs("printer.home.arpa"), 0);
    ck_assert_uint_eq(stored_addrs("printer.home.arpa"), 0);
}
END_TEST

START_TEST(test_zone_section)
{
    struct req r;
    struct resp s;
    static const struct {
        const char *zone;
        uint16_t type, class;
        int rcode;
    } cases[] = {
        {NULL, 0, 0, DNS_R_FORMERR},                     /* no zone section */
        {"home.arpa", DNS_T_A, DNS_C_IN, DNS_R_FORMERR}, /* not SOA */
        {"example.com", DNS_T_SOA, DNS_C_IN, DNS_R_NOTAUTH},
        {"printer.home.arpa", DNS_T_SOA, DNS_C_IN, DNS_R_NOTAUTH}, /* not the apex */
        {"home.arpa", DNS_T_SOA, 3, DNS_R_NOTAUTH},                /* class CH */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        req_start(&r, (uint16_t)(30 + i), cases[i].zone, cases[i].type, cases[i].class);
        add_a(&r, "printer.home.arpa", 192, 168, 1, 50);
        req_sign(&r, &admin, NOW + (int64_t)i);
        submit(&s, &r, NOW + (int64_t)i);
        ck_assert_msg(s.rcode == cases[i].rcode, "case %zu: rcode %d", i, s.rcode);
        assert_signed(&s, &r, &admin, TSIG_NOERROR, NOW + (int64_t)i);
    }
    ck_assert_int_eq(n_addrs("printer.home.arpa"), 0);
}
END_TEST

START_TEST(test_all_or_nothing)
{
    struct req r;
    struct resp s;
    /* Two good changes and a bad one: none happens. */
    req_start(&r, 40, "home.arpa", DNS_T_SOA, DNS_C_IN);
    add_a(&r, "printer.home.arpa", 192, 168, 1, 50);
    add_txt(&r, "_acme-challenge.printer.home.arpa", "tok");
    add_a(&r, "nas.home.arpa", 8, 8, 8, 8);
    req_sign(&r, &admin, NOW);
    submit(&s, &r, NOW);
    ck_assert_int_eq(s.rcode, DNS_R_REFUSED);
    ck_assert_int_eq(n_addrs("printer.home.arpa"), 0);
    ck_assert_uint_eq(stored_addrs("printer.home.arpa"), 0);
    ck_assert_int_eq(n_txt("_acme-challenge.printer.home.arpa"), -1);
    /* A failed prerequisite after good updates' names were looked at. */
    req_start(&r, 41, "home.arpa", DNS_T_SOA, DNS_C_IN);
    rr(&r, true, "ghost.home.arpa", DNS_T_ANY, DNS_C_ANY, 0, NULL, 0);
    add_a(&r, "printer.home.arpa", 192, 168, 1, 50);
    req_sign(&r, &admin, NOW + 1);
    submit(&s, &r, NOW + 1);
    ck_assert_int_eq(s.rcode, DNS_R_NXDOMAIN);
    ck_assert_int_eq(n_addrs("printer.home.arpa"), 0);
    /* Added and deleted in one update: nothing to keep. */
    req_start(&r, 42, "home.arpa", DNS_T_SOA, DNS_C_IN);
    add_a(&r, "printer.home.arpa", 192, 168, 1, 50);
    rr(&r, false, "printer.home.arpa", DNS_T_ANY, DNS_C_ANY, 0, NULL, 0);
    req_sign(&r, &admin, NOW + 2);
    submit(&s, &r, NOW + 2);
    ck_assert_int_eq(s.rcode, DNS_R_NOERROR);
    ck_assert_int_eq(n_addrs("printer.home.arpa"), 0);
}
END_TEST

START_TEST(test_device_scope)
{
    struct req r;
    struct resp s;
    req_start(&r, 50, "home.arpa", DNS_T_SOA, DNS_C_IN);
    add_a(&r, "printer.home.arpa", 10, 0, 0, 5);
    add_txt(&r, "_acme-challenge.c0a80132.home.arpa", "hex-of-mine");
    req_sign(&r, &device1, NOW);
    submit(&s, &r, NOW);
    ck_assert_int_eq(s.rcode, DNS_R_NOERROR);
    assert_signed(&s, &r, &device1, TSIG_NOERROR, NOW);
    req_start(&r, 51, "home.arpa", DNS_T_SOA, DNS_C_IN);
    add_a(&r, "nas.home.arpa", 10, 0, 0, 6);
    req_sign(&r, &device1, NOW + 1);
    submit(&s, &r, NOW + 1);
    ck_assert_int_eq(s.rcode, DNS_R_REFUSED);
    ck_assert_int_eq(n_addrs("nas.home.arpa"), 0);
    /* A device that is no longer active loses its key's rights. */
    char path[PATH_MAX];
    sqlite3 *db = NULL;
    th_path(path, dir, STORE_DB_NAME);
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "UPDATE devices SET status = 'revoked' WHERE id = 1", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    req_start(&r, 52, "home.arpa", DNS_T_SOA, DNS_C_IN);
    add_a(&r, "printer.home.arpa", 10, 0, 0, 7);
    req_sign(&r, &device1, NOW + 2);
    submit(&s, &r, NOW + 2);
    ck_assert_int_eq(s.rcode, DNS_R_REFUSED);
    assert_signed(&s, &r, &device1, TSIG_NOERROR, NOW + 2);
    ck_assert_int_eq(n_addrs("printer.home.arpa"), 1);
    ck_assert_uint_eq(stored_addrs("printer.home.arpa"), 1);
}
END_TEST

START_TEST(test_malformed_updates)
{
    struct req r;
    struct resp s;
    const uint8_t five[5] = {192, 168, 1, 50, 0}, bad_txt[3] = {5, 'a', 'b'},
                  two_strings[4] = {1, 'a', 1, 'b'}, ip[4] = {192, 168, 1, 50};
    static const struct {
        bool prereq;
        uint16_t type, class;
        uint32_t ttl;
        int which; /* rdata: 0 none, 1 five bytes, 2 bad TXT, 3 two strings, 4 an address */
        int rcode;
    } cases[] = {
        {true, DNS_T_ANY, DNS_C_ANY, 60, 0, DNS_R_FORMERR},   /* a prerequisite with a TTL */
        {true, DNS_T_A, DNS_C_ANY, 0, 4, DNS_R_FORMERR},      /* ANY with data */
        {true, DNS_T_A, 3, 0, 0, DNS_R_FORMERR},              /* class CH */
        {true, DNS_T_SRV, DNS_C_IN, 0, 4, DNS_R_NOTIMP},      /* value-dependent SRV */
        {false, DNS_T_A, DNS_C_IN, 60, 1, DNS_R_FORMERR},     /* A of five bytes */
        {false, DNS_T_ANY, DNS_C_IN, 60, 0, DNS_R_FORMERR},   /* adding ANY */
        {false, DNS_T_A, DNS_C_ANY, 0, 4, DNS_R_FORMERR},     /* RRset deletion with data */
        {false, DNS_T_A, DNS_C_ANY, 60, 0, DNS_R_FORMERR},    /* ... with a TTL */
        {false, DNS_T_ANY, DNS_C_NONE, 0, 0, DNS_R_FORMERR},  /* deleting one ANY */
        {false, DNS_T_A, 3, 60, 4, DNS_R_FORMERR},            /* class CH */
        {false, 252, DNS_C_ANY, 0, 0, DNS_R_FORMERR},         /* AXFR */
        {false, 15 /* MX */, DNS_C_IN, 60, 4, DNS_R_REFUSED}, /* MX at a friendly name */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const void *rd = NULL;
        size_t rdlen = 0;
        switch (cases[i].which) {
        case 1: rd = five; rdlen = sizeof(five); break;
        case 2: rd = bad_txt; rdlen = sizeof(bad_txt); break;
        case 3: rd = two_strings; rdlen = sizeof(two_strings); break;
        case 4: rd = ip; rdlen = sizeof(ip); break;
        default: break;
        }
        req_start(&r, (uint16_t)(60 + i), "home.arpa", DNS_T_SOA, DNS_C_IN);
        rr(&r, cases[i].prereq, "printer.home.arpa", cases[i].type, cases[i].class, cases[i].ttl,
           rd, rdlen);
        req_sign(&r, &admin, NOW + (int64_t)i);
        submit(&s, &r, NOW + (int64_t)i);
        ck_assert_msg(s.rcode == cases[i].rcode, "case %zu: rcode %d, want %d", i, s.rcode,
                      cases[i].rcode);
    }
    /* TXT: a length past the data, and two strings in one record. */
    req_start(&r, 90, "home.arpa", DNS_T_SOA, DNS_C_IN);
    rr(&r, false, "_acme-challenge.printer.home.arpa", DNS_T_TXT, DNS_C_IN, 60, bad_txt, 3);
    req_sign(&r, &admin, NOW + 100);
    submit(&s, &r, NOW + 100);
    ck_assert_int_eq(s.rcode, DNS_R_FORMERR);
    req_start(&r, 91, "home.arpa", DNS_T_SOA, DNS_C_IN);
    rr(&r, false, "_acme-challenge.printer.home.arpa", DNS_T_TXT, DNS_C_IN, 60, two_strings, 4);
    req_sign(&r, &admin, NOW + 101);
    submit(&s, &r, NOW + 101);
    ck_assert_int_eq(s.rcode, DNS_R_REFUSED);
    ck_assert_int_eq(n_addrs("printer.home.arpa"), 0);
}
END_TEST

START_TEST(test_limits)
{
    struct req r;
    struct resp s;
    char name[64];
    /* Nine addresses for one name: more than the records hold. */
    req_start(&r, 100, "home.arpa", DNS_T_SOA, DNS_C_IN);
    for (uint8_t i = 0; i < DNS_MAX_ADDRS + 1; i++)
        add_a(&r, "printer.home.arpa", 192, 168, 1, (uint8_t)(10 + i));
    req_sign(&r, &admin, NOW);
    submit(&s, &r, NOW);
    ck_assert_int_eq(s.rcode, DNS_R_REFUSED);
    ck_assert_int_eq(n_addrs("printer.home.arpa"), 0);
    /* Five challenge strings for one name. */
    req_start(&r, 101, "home.arpa", DNS_T_SOA, DNS_C_IN);
    for (int i = 0; i < DNS_MAX_TXT + 1; i++) {
        snprintf(name, sizeof(name), "token-%d", i);
        add_txt(&r, "_acme-challenge.printer.home.arpa", name);
    }
    req_sign(&r, &admin, NOW + 1);
    submit(&s, &r, NOW + 1);
    ck_assert_int_eq(s.rcode, DNS_R_REFUSED);
    ck_assert_int_eq(n_txt("_acme-challenge.printer.home.arpa"), -1);
    /* More distinct names than one update may touch. */
    req_start(&r, 102, "home.arpa", DNS_T_SOA, DNS_C_IN);
    for (int i = 0; i < DNS_UPDATE_MAX_NAMES + 1; i++) {
        snprintf(name, sizeof(name), "_acme-challenge.host%d.home.arpa", i);
        add_txt(&r, name, "t");
    }
    req_sign(&r, &admin, NOW + 2);
    submit(&s, &r, NOW + 2);
    ck_assert_int_eq(s.rcode, DNS_R_REFUSED);
    ck_assert_int_eq(n_txt("_acme-challenge.host0.home.arpa"), -1);
    /* Exactly the limit is fine. */
    req_start(&r, 103, "home.arpa", DNS_T_SOA, DNS_C_IN);
    for (int i = 0; i < DNS_UPDATE_MAX_NAMES; i++) {
        snprintf(name, sizeof(name), "_acme-challenge.host%d.home.arpa", i);
        add_txt(&r, name, "t");
    }
    req_sign(&r, &admin, NOW + 3);
    submit(&s, &r, NOW + 3);
    ck_assert_int_eq(s.rcode, DNS_R_NOERROR);
    ck_assert_int_eq(n_txt("_acme-challenge.host31.home.arpa"), 1);
}
END_TEST

START_TEST(test_response_too_big)
{
    struct req r;
    struct dns_msg q;
    struct lc_addr src;
    uint8_t out[64];
    req_start(&r, 110, "home.arpa", DNS_T_SOA, DNS_C_IN);
    add_a(&r, "printer.home.arpa", 192, 168, 1, 50);
    req_sign(&r, &admin, NOW);
    q.an = an_store;
    q.ns = ns_store;
    ck_assert(addr_parse(&src, "::1", 3));
    ck_assert_int_eq(dns_msg_parse(&q, r.buf, r.w.len, true), DNS_PARSE_OK);
    /* The signed response does not fit: nothing is sent (the change, made
     * and committed before the answer, stands). */
    ck_assert_uint_eq(dns_update_answer(updater, &zone, &q, &src, NOW, out, sizeof(out)), 0);
    ck_assert_int_eq(n_addrs("printer.home.arpa"), 1);
}
END_TEST

static Suite *update_suite(void)
{
    Suite *s = suite_create("update");
    TCase *tc = tcase_create("update");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_add_signed_and_stored);
    tcase_add_test(tc, test_badtime);
    tcase_add_test(tc, test_replay_refused);
    tcase_add_test(tc, test_authentication);
    tcase_add_test(tc, test_zone_section);
    tcase_add_test(tc, test_all_or_nothing);
    tcase_add_test(tc, test_device_scope);
    tcase_add_test(tc, test_malformed_updates);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_response_too_big);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(update_suite());
}
