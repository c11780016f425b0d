/* test_tsig.c — dns/tsig.c: messages signed by BIND's dig and nsupdate
 * verify (known vectors), our own signatures round-trip for requests and
 * responses, and every way a signature can be wrong gives its own error. */
#include "helpers.h"

#include "dns/tsig.h"
#include "dns/wire.h"

/* `dig -y hmac-sha256:Test.Key:<bytes 0..31> @127.0.0.1 printer.home.arpa A`
 * (BIND 9.18): a query with an EDNS cookie, then TSIG, signed at
 * 0x6b06ad99. The record starts at 58, its RDATA at 78: algorithm name
 * 78..90, Time Signed 91, fudge 97, MAC size 99, MAC 101..132, original ID
 * 133, error 135, other length 137. */
static const uint8_t dig256[] = {
    0xa5, 0x89, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    0x07, 0x70, 0x72, 0x69, 0x6e, 0x74, 0x65, 0x72, 0x04, 0x68, 0x6f, 0x6d,
    0x65, 0x04, 0x61, 0x72, 0x70, 0x61, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
    0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a,
    0x00, 0x08, 0x07, 0x77, 0x00, 0x6e, 0x4d, 0x5e, 0xea, 0xc1, 0x04, 0x74,
    0x65, 0x73, 0x74, 0x03, 0x6b, 0x65, 0x79, 0x00, 0x00, 0xfa, 0x00, 0xff,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x3d, 0x0b, 0x68, 0x6d, 0x61, 0x63, 0x2d,
    0x73, 0x68, 0x61, 0x32, 0x35, 0x36, 0x00, 0x00, 0x00, 0x6b, 0x06, 0xad,
    0x99, 0x01, 0x2c, 0x00, 0x20, 0x47, 0xa1, 0x4f, 0xa1, 0x85, 0xa0, 0xd1,
    0x11, 0x5a, 0x85, 0xd1, 0xba, 0x97, 0x2b, 0xcf, 0xce, 0xdd, 0xc6, 0xea,
    0x64, 0x85, 0x85, 0x80, 0xe7, 0x6a, 0xb8, 0x7b, 0x9b, 0xc0, 0x2d, 0xda,
    0xdb, 0xa5, 0x89, 0x00, 0x00, 0x00, 0x00,
};
#define DIG_TIME 0x6b06ad99LL
#define DIG_TSIG 58
#define DIG_RDATA 78
#define DIG_MAC 101

/* `nsupdate -y hmac-sha512:test.key:<bytes 0..63>`: zone home.arpa, update
 * add printer.home.arpa 60 A 192.168.1.50, signed at 0x6b06ad9a. */
static const uint8_t up512[] = {
    0x0d, 0xad, 0x28, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
    0x04, 0x68, 0x6f, 0x6d, 0x65, 0x04, 0x61, 0x72, 0x70, 0x61, 0x00, 0x00,
    0x06, 0x00, 0x01, 0x07, 0x70, 0x72, 0x69, 0x6e, 0x74, 0x65, 0x72, 0xc0,
    0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 0xc0,
    0xa8, 0x01, 0x32, 0x04, 0x74, 0x65, 0x73, 0x74, 0x03, 0x6b, 0x65, 0x79,
    0x00, 0x00, 0xfa, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5d, 0x0b,
    0x68, 0x6d, 0x61, 0x63, 0x2d, 0x73, 0x68, 0x61, 0x35, 0x31, 0x32, 0x00,
    0x00, 0x00, 0x6b, 0x06, 0xad, 0x9a, 0x01, 0x2c, 0x00, 0x40, 0xb7, 0xb9,
    0x83, 0x80, 0x93, 0xe8, 0x60, 0x40, 0x08, 0x40, 0x99, 0x53, 0xf3, 0x5b,
    0xf7, 0xb8, 0x1b, 0xbd, 0xe0, 0x7d, 0x6b, 0xac, 0xa6, 0xa3, 0x38, 0xfe,
    0xdd, 0xfd, 0x2b, 0xf9, 0x4b, 0x87, 0x15, 0x22, 0x1b, 0xa4, 0xb8, 0x13,
    0x6b, 0xf5, 0xa4, 0xf9, 0x8c, 0x92, 0x4c, 0x84, 0xc6, 0x4f, 0x29, 0x74,
    0x2a, 0x6c, 0x97, 0x97, 0x0e, 0x63, 0xb7, 0xf3, 0x6d, 0x5f, 0x45, 0x84,
    0x8c, 0x62, 0x0d, 0xad, 0x00, 0x00, 0x00, 0x00,
};
#define UP_TIME 0x6b06ad9aLL

/* The secrets of both vectors: bytes 0, 1, 2, ... */
static void make_key(struct tsig_key *k, const char *name, const char *alg, size_t secret_len)
{
    uint8_t secret[TSIG_SECRET_MAX];
    struct lc_err err;
    for (size_t i = 0; i < sizeof(secret); i++)
        secret[i] = (uint8_t)i;
    TH_OK(tsig_key_init(k, name, alg, secret, secret_len, &err), err);
}

/* parse parses |len| bytes of |pkt| as a message with its sections kept. */
static struct dns_rr an_store[DNS_MAX_RRS], ns_store[DNS_MAX_RRS];
static void parse(struct dns_msg *m, const uint8_t *pkt, size_t len)
{
    m->an = an_store;
    m->ns = ns_store;
    ck_assert_int_eq(dns_msg_parse(m, pkt, len, true), DNS_PARSE_OK);
    ck_assert(m->has_tsig);
}

/* verify_bytes parses and verifies |pkt| with |key| at |now|. */
static int verify_bytes(const uint8_t *pkt, size_t len, const struct tsig_key *key, int64_t now)
{
    struct dns_msg m;
    struct tsig_rr t;
    parse(&m, pkt, len);
    ck_assert(tsig_rr_parse(&t, &m));
    return tsig_verify(&m, &t, key, NULL, 0, now);
}

/* ---- names and keys ------------------------------------------------------------ */

START_TEST(test_algorithms)
{
    enum tsig_alg a;
    ck_assert(tsig_alg_from_text(&a, "hmac-sha256"));
    ck_assert_int_eq(a, TSIG_HMAC_SHA256);
    ck_assert(tsig_alg_from_text(&a, "HMAC-SHA512."));
    ck_assert_int_eq(a, TSIG_HMAC_SHA512);
    ck_assert(!tsig_alg_from_text(&a, "hmac-md5.sig-alg.reg.int"));
    ck_assert(!tsig_alg_from_text(&a, "hmac-sha1"));
    ck_assert(!tsig_alg_from_text(&a, "hmac-sha256.x"));
    ck_assert(!tsig_alg_from_text(&a, ""));
    ck_assert_str_eq(tsig_alg_text(TSIG_HMAC_SHA256), "hmac-sha256");
    ck_assert_str_eq(tsig_alg_text(TSIG_HMAC_SHA512), "hmac-sha512");
    ck_assert_uint_eq(tsig_alg_mac_len(TSIG_HMAC_SHA256), 32);
    ck_assert_uint_eq(tsig_alg_mac_len(TSIG_HMAC_SHA512), 64);
}
END_TEST

START_TEST(test_key_init_refusals)
{
    struct tsig_key k;
    struct lc_err err;
    uint8_t secret[TSIG_SECRET_MAX + 1] = {0};
    TH_FAILS(tsig_key_init(&k, "a..b", "hmac-sha256", secret, 32, &err), LC_E_MALFORMED, err);
    TH_FAILS(tsig_key_init(&k, ".", "hmac-sha256", secret, 32, &err), LC_E_MALFORMED, err);
    TH_FAILS(tsig_key_init(&k, "k", "hmac-md5", secret, 32, &err), LC_E_KEY, err);
    TH_FAILS(tsig_key_init(&k, "k", "hmac-sha256", secret, 0, &err), LC_E_KEY, err);
    TH_FAILS(tsig_key_init(&k, "k", "hmac-sha256", secret, sizeof(secret), &err), LC_E_KEY, err);
    TH_OK(tsig_key_init(&k, "k", "hmac-sha256", secret, TSIG_SECRET_MAX, &err), err);
    tsig_key_cleanup(&k);
    ck_assert_uint_eq(k.secret_len, 0);
}
END_TEST

/* ---- known vectors ---------------------------------------------------------------- */

START_TEST(test_bind_dig_sha256)
{
    struct tsig_key k;
    struct dns_msg m;
    struct tsig_rr t;
    make_key(&k, "test.key", "hmac-sha256", 32);
    parse(&m, dig256, sizeof(dig256));
    ck_assert(m.has_edns);
    ck_assert(tsig_rr_parse(&t, &m));
    ck_assert_uint_eq(t.vars.time_signed, DIG_TIME);
    ck_assert_uint_eq(t.vars.fudge, 300);
    ck_assert_uint_eq(t.mac_len, 32);
    ck_assert_uint_eq(t.vars.orig_id, 0xa589);
    ck_assert_uint_eq(t.vars.error, 0);
    ck_assert_uint_eq(t.vars.other_len, 0);
    ck_assert_int_eq(tsig_verify(&m, &t, &k, NULL, 0, DIG_TIME), TSIG_NOERROR);
    tsig_key_cleanup(&k);
}
END_TEST

START_TEST(test_bind_nsupdate_sha512)
{
    struct tsig_key k;
    struct dns_msg m;
    struct tsig_rr t;
    make_key(&k, "test.key", "hmac-sha512", 64);
    parse(&m, up512, sizeof(up512));
    ck_assert_uint_eq(DNS_OPCODE(m.hdr.flags), DNS_OP_UPDATE);
    ck_assert_uint_eq(m.n_ns, 1);
    ck_assert(tsig_rr_parse(&t, &m));
    ck_assert_uint_eq(t.mac_len, 64);
    ck_assert_int_eq(tsig_verify(&m, &t, &k, NULL, 0, UP_TIME), TSIG_NOERROR);
    tsig_key_cleanup(&k);
}
END_TEST

START_TEST(test_names_compared_canonically)
{
    uint8_t pkt[sizeof(dig256)];
    struct tsig_key k;
    /* Key and algorithm names in capitals still verify: both are compared
     * and digested lowercase (RFC 8945 4.3.3). */
    memcpy(pkt, dig256, sizeof(pkt));
    for (size_t i = DIG_TSIG; i < DIG_TSIG + 10; i++)
        if (pkt[i] >= 'a' && pkt[i] <= 'z')
            pkt[i] &= 0xdf;
    for (size_t i = DIG_RDATA + 1; i < DIG_RDATA + 12; i++)
        if (pkt[i] >= 'a' && pkt[i] <= 'z')
            pkt[i] &= 0xdf;
    make_key(&k, "Test.KEY.", "HMAC-sha256", 32);
    ck_assert_int_eq(verify_bytes(pkt, sizeof(pkt), &k, DIG_TIME), TSIG_NOERROR);
    tsig_key_cleanup(&k);
}
END_TEST

START_TEST(test_time_fudge)
{
    struct tsig_key k;
    make_key(&k, "test.key", "hmac-sha256", 32);
    ck_assert_int_eq(verify_bytes(dig256, sizeof(dig256), &k, DIG_TIME + 300), TSIG_NOERROR);
    ck_assert_int_eq(verify_bytes(dig256, sizeof(dig256), &k, DIG_TIME - 300), TSIG_NOERROR);
    ck_assert_int_eq(verify_bytes(dig256, sizeof(dig256), &k, DIG_TIME + 301), TSIG_BADTIME);
    ck_assert_int_eq(verify_bytes(dig256, sizeof(dig256), &k, DIG_TIME - 301), TSIG_BADTIME);
    ck_assert_int_eq(verify_bytes(dig256, sizeof(dig256), &k, 0), TSIG_BADTIME);
    tsig_key_cleanup(&k);
}
END_TEST

START_TEST(test_tampering)
{
    uint8_t pkt[sizeof(dig256)];
    struct tsig_key k;
    make_key(&k, "test.key", "hmac-sha256", 32);

    /* The question changed: BADSIG. */
    memcpy(pkt, dig256, sizeof(pkt));
    pkt[13] ^= 0x01;
    ck_assert_int_eq(verify_bytes(pkt, sizeof(pkt), &k, DIG_TIME), TSIG_BADSIG);
    /* Every byte of the MAC counts, the last one too. */
    for (size_t i = DIG_MAC; i < DIG_MAC + 32; i++) {
        memcpy(pkt, dig256, sizeof(pkt));
        pkt[i] ^= 0x80;
        ck_assert_int_eq(verify_bytes(pkt, sizeof(pkt), &k, DIG_TIME), TSIG_BADSIG);
    }
    /* The signed time and the fudge are signed too. */
    memcpy(pkt, dig256, sizeof(pkt));
    pkt[DIG_RDATA + 13 + 5] ^= 0x01;
    ck_assert_int_eq(verify_bytes(pkt, sizeof(pkt), &k, DIG_TIME), TSIG_BADSIG);
    memcpy(pkt, dig256, sizeof(pkt));
    pkt[DIG_RDATA + 13 + 7] = 0x2d;
    ck_assert_int_eq(verify_bytes(pkt, sizeof(pkt), &k, DIG_TIME), TSIG_BADSIG);
    /* A forwarder may change the header's ID: the original ID is signed. */
    memcpy(pkt, dig256, sizeof(pkt));
    pkt[0] ^= 0xff;
    ck_assert_int_eq(verify_bytes(pkt, sizeof(pkt), &k, DIG_TIME), TSIG_NOERROR);
    pkt[DIG_MAC + 32] ^= 0xff;
    ck_assert_int_eq(verify_bytes(pkt, sizeof(pkt), &k, DIG_TIME), TSIG_BADSIG);
    /* The right name and algorithm with the wrong secret. */
    tsig_key_cleanup(&k);
    make_key(&k, "test.key", "hmac-sha256", 31);
    ck_assert_int_eq(verify_bytes(dig256, sizeof(dig256), &k, DIG_TIME), TSIG_BADSIG);
    tsig_key_cleanup(&k);
}
END_TEST

START_TEST(test_bad_key)
{
    struct tsig_key k;
    /* No key of that name, another name, another algorithm: BADKEY. */
    ck_assert_int_eq(verify_bytes(dig256, sizeof(dig256), NULL, DIG_TIME), TSIG_BADKEY);
    make_key(&k, "other.key", "hmac-sha256", 32);
    ck_assert_int_eq(verify_bytes(dig256, sizeof(dig256), &k, DIG_TIME), TSIG_BADKEY);
    tsig_key_cleanup(&k);
    make_key(&k, "test.key.", "hmac-sha512", 32);
    ck_assert_int_eq(verify_bytes(dig256, sizeof(dig256), &k, DIG_TIME), TSIG_BADKEY);
    tsig_key_cleanup(&k);
    /* A key name that is one label holding a dot is not test.key. */
    make_key(&k, "test.key", "hmac-sha256", 32);
    uint8_t pkt[sizeof(dig256)];
    memcpy(pkt, dig256, sizeof(pkt));
    pkt[DIG_TSIG] = 8;       /* "test.key" as one label of 8 ... */
    pkt[DIG_TSIG + 5] = '.'; /* ... whose fifth byte is a dot */
    ck_assert_int_eq(verify_bytes(pkt, sizeof(pkt), &k, DIG_TIME), TSIG_BADKEY);
    tsig_key_cleanup(&k);
}
END_TEST

/* ---- malformed records ---------------------------------------------------------------- */

START_TEST(test_truncated_rdata)
{
    /* Cut the TSIG RDATA short by every amount (RDLENGTH and the message
     * shrinking together, so the message itself stays well formed): never
     * parsed, never read past. */
    size_t rdlen = sizeof(dig256) - DIG_RDATA;
    for (size_t cut = 1; cut <= rdlen; cut++) {
        size_t len = sizeof(dig256) - cut;
        uint8_t *pkt = malloc(len); /* exact size: ASan sees any overread */
        struct dns_msg m;
        struct tsig_rr t;
        ck_assert_ptr_nonnull(pkt);
        memcpy(pkt, dig256, len);
        pkt[DIG_RDATA - 2] = (uint8_t)((rdlen - cut) >> 8);
        pkt[DIG_RDATA - 1] = (uint8_t)(rdlen - cut);
        parse(&m, pkt, len);
        ck_assert_msg(!tsig_rr_parse(&t, &m), "RDATA cut by %zu parsed", cut);
        free(pkt);
    }
}
END_TEST

START_TEST(test_malformed_fields)
{
    uint8_t pkt[sizeof(dig256) + 1];
    struct dns_msg m;
    struct tsig_rr t;

    /* One byte more than the fields use. */
    memcpy(pkt, dig256, sizeof(dig256));
    pkt[sizeof(dig256)] = 0;
    pkt[DIG_RDATA - 1]++;
    parse(&m, pkt, sizeof(pkt));
    ck_assert(!tsig_rr_parse(&t, &m));
    /* Class other than ANY, TTL other than 0. */
    memcpy(pkt, dig256, sizeof(dig256));
    pkt[DIG_TSIG + 10 + 3] = 1;
    parse(&m, pkt, sizeof(dig256));
    ck_assert(!tsig_rr_parse(&t, &m));
    memcpy(pkt, dig256, sizeof(dig256));
    pkt[DIG_TSIG + 10 + 7] = 1;
    parse(&m, pkt, sizeof(dig256));
    ck_assert(!tsig_rr_parse(&t, &m));
    /* A MAC size past the RDATA, and past anything we compute. */
    memcpy(pkt, dig256, sizeof(dig256));
    pkt[DIG_MAC - 1] = 33;
    parse(&m, pkt, sizeof(dig256));
    ck_assert(!tsig_rr_parse(&t, &m));
    pkt[DIG_MAC - 2] = 0xff;
    parse(&m, pkt, sizeof(dig256));
    ck_assert(!tsig_rr_parse(&t, &m));
    /* Other Data longer than what remains. */
    memcpy(pkt, dig256, sizeof(dig256));
    pkt[sizeof(dig256) - 1] = 1;
    parse(&m, pkt, sizeof(dig256));
    ck_assert(!tsig_rr_parse(&t, &m));
    /* A compression loop in the algorithm name. */
    memcpy(pkt, dig256, sizeof(dig256));
    pkt[DIG_RDATA] = 0xc0;
    pkt[DIG_RDATA + 1] = DIG_RDATA;
    parse(&m, pkt, sizeof(dig256));
    ck_assert(!tsig_rr_parse(&t, &m));
}
END_TEST

/* query writes a query for printer.home.arpa A with ID |id|. */
static void query(struct dns_out *w, uint8_t *buf, size_t cap, uint16_t id, uint16_t flags)
{
    struct dns_hdr h = {id, flags, 1, 0, 0, 0};
    struct dns_name n;
    ck_assert(dns_name_from_text(&n, "printer.home.arpa"));
    dns_out_init(w, buf, cap);
    dns_out_hdr(w, &h);
    dns_out_name(w, &n);
    dns_out_u16(w, DNS_T_A);
    dns_out_u16(w, DNS_C_IN);
}

/* mac_sized writes a query whose TSIG (hmac-sha256, test.key) carries a MAC
 * of |mac_len| bytes, and verifies it. */
static int mac_sized(uint16_t mac_len, const struct tsig_key *k)
{
    uint8_t buf[512], mac[TSIG_MAC_MAX] = {0};
    struct dns_out w;
    struct dns_name owner, alg;
    query(&w, buf, sizeof(buf), 7, 0);
    ck_assert(dns_name_from_text(&owner, "test.key") && dns_name_from_text(&alg, "hmac-sha256"));
    buf[11] = 1; /* ARCOUNT */
    dns_out_bytes(&w, owner.wire, owner.len);
    dns_out_u16(&w, DNS_T_TSIG);
    dns_out_u16(&w, DNS_C_ANY);
    dns_out_u32(&w, 0);
    size_t at = w.len;
    dns_out_u16(&w, 0);
    dns_out_bytes(&w, alg.wire, alg.len);
    dns_out_u16(&w, 0);
    dns_out_u32(&w, (uint32_t)DIG_TIME);
    dns_out_u16(&w, 300);
    dns_out_u16(&w, mac_len);
    dns_out_bytes(&w, mac, mac_len);
    dns_out_u16(&w, 7);
    dns_out_u16(&w, 0);
    dns_out_u16(&w, 0);
    dns_out_rr_end(&w, at);
    ck_assert(!w.overflow);
    return verify_bytes(buf, w.len, k, DIG_TIME);
}

START_TEST(test_mac_length)
{
    struct tsig_key k;
    make_key(&k, "test.key", "hmac-sha256", 32);
    /* Longer than the digest, empty, or under max(10, 32/2): FORMERR (-1). */
    ck_assert_int_eq(mac_sized(33, &k), -1);
    ck_assert_int_eq(mac_sized(64, &k), -1);
    ck_assert_int_eq(mac_sized(0, &k), -1);
    ck_assert_int_eq(mac_sized(15, &k), -1);
    /* A legal truncation, which we never accept: BADTRUNC. */
    ck_assert_int_eq(mac_sized(16, &k), TSIG_BADTRUNC);
    ck_assert_int_eq(mac_sized(31, &k), TSIG_BADTRUNC);
    /* The full length, all zeros: a MAC that is wrong. */
    ck_assert_int_eq(mac_sized(32, &k), TSIG_BADSIG);
    tsig_key_cleanup(&k);
    /* hmac-sha512: the floor is 32. */
    make_key(&k, "test.key", "hmac-sha512", 64);
    ck_assert_int_eq(mac_sized(32, &k), TSIG_BADKEY); /* the record says hmac-sha256 */
    tsig_key_cleanup(&k);
}
END_TEST

/* ---- our own signatures --------------------------------------------------------------- */

static void round_trip(const char *alg, size_t secret_len)
{
    uint8_t req[512], resp[512], req_mac[TSIG_MAC_MAX], other_mac[TSIG_MAC_MAX];
    struct dns_out w;
    struct dns_msg m;
    struct tsig_rr t;
    struct tsig_key k;
    struct tsig_vars v = {DIG_TIME, TSIG_FUDGE, 0x1234, 0, 0, {0}};
    size_t mac_len;
    make_key(&k, "Round.Trip", alg, secret_len);
    mac_len = tsig_alg_mac_len(k.alg);

    /* A request, as a client signs it. */
    query(&w, req, sizeof(req), 0x1234, 0);
    ck_assert(tsig_sign(&w, &k, &v, NULL, 0, req_mac));
    ck_assert_uint_eq(req[11], 1);
    parse(&m, req, w.len);
    ck_assert(tsig_rr_parse(&t, &m));
    ck_assert_uint_eq(t.mac_len, mac_len);
    ck_assert_mem_eq(t.mac, req_mac, mac_len);
    ck_assert_int_eq(tsig_verify(&m, &t, &k, NULL, 0, DIG_TIME + 10), TSIG_NOERROR);

    /* Its response covers the request's MAC first. */
    query(&w, resp, sizeof(resp), 0x1234, DNS_F_QR | DNS_F_AA);
    v.time_signed = DIG_TIME + 1;
    ck_assert(tsig_sign(&w, &k, &v, req_mac, mac_len, NULL));
    resp[2] &= 0x7f; /* dns_msg_parse drops responses: read it as a request */
    parse(&m, resp, w.len);
    ck_assert(tsig_rr_parse(&t, &m));
    resp[2] |= 0x80;
    ck_assert_int_eq(tsig_verify(&m, &t, &k, req_mac, mac_len, DIG_TIME), TSIG_NOERROR);
    ck_assert_int_eq(tsig_verify(&m, &t, &k, NULL, 0, DIG_TIME), TSIG_BADSIG);
    memcpy(other_mac, req_mac, mac_len);
    other_mac[0] ^= 1;
    ck_assert_int_eq(tsig_verify(&m, &t, &k, other_mac, mac_len, DIG_TIME), TSIG_BADSIG);

    /* A BADTIME response: the request's time, ours in Other Data, signed. */
    query(&w, resp, sizeof(resp), 0x1234, DNS_F_QR);
    struct tsig_vars bt = {DIG_TIME, TSIG_FUDGE, 0x1234, TSIG_BADTIME, 6, {0, 0, 0x6b, 0x06, 0xb0, 0}};
    ck_assert(tsig_sign(&w, &k, &bt, req_mac, mac_len, NULL));
    resp[2] &= 0x7f;
    parse(&m, resp, w.len);
    ck_assert(tsig_rr_parse(&t, &m));
    resp[2] |= 0x80;
    ck_assert_uint_eq(t.vars.error, TSIG_BADTIME);
    ck_assert_uint_eq(t.vars.other_len, 6);
    ck_assert_mem_eq(t.vars.other, bt.other, 6);
    ck_assert_int_eq(tsig_verify(&m, &t, &k, req_mac, mac_len, DIG_TIME), TSIG_NOERROR);
    tsig_key_cleanup(&k);
}

START_TEST(test_round_trip_sha256)
{
    round_trip("hmac-sha256", 32);
}
END_TEST

START_TEST(test_round_trip_sha512)
{
    round_trip("hmac-sha512", 64);
}
END_TEST

START_TEST(test_unsigned_error)
{
    uint8_t buf[512];
    struct dns_out w;
    struct dns_msg m, req;
    struct tsig_rr t, reqt;
    parse(&req, dig256, sizeof(dig256));
    ck_assert(tsig_rr_parse(&reqt, &req));
    query(&w, buf, sizeof(buf), 0xa589, 0);
    ck_assert(tsig_append_unsigned(&w, &reqt, TSIG_BADSIG, DIG_TIME + 5));
    parse(&m, buf, w.len);
    ck_assert(tsig_rr_parse(&t, &m));
    ck_assert(dns_name_equal(&t.key_name, &reqt.key_name));
    ck_assert(dns_name_equal(&t.alg_name, &reqt.alg_name));
    ck_assert_uint_eq(t.mac_len, 0);
    ck_assert_uint_eq(t.vars.error, TSIG_BADSIG);
    ck_assert_uint_eq(t.vars.orig_id, 0xa589);
    ck_assert_uint_eq(t.vars.time_signed, DIG_TIME + 5);
}
END_TEST

START_TEST(test_sign_without_room)
{
    uint8_t buf[64];
    struct dns_out w;
    struct tsig_key k;
    struct tsig_vars v = {DIG_TIME, TSIG_FUDGE, 1, 0, 0, {0}};
    make_key(&k, "test.key", "hmac-sha256", 32);
    for (size_t cap = DNS_HDR_LEN + 23; cap < sizeof(buf); cap++) {
        query(&w, buf, cap, 1, 0);
        ck_assert(!tsig_sign(&w, &k, &v, NULL, 0, NULL));
    }
    /* Not even a header. */
    dns_out_init(&w, buf, sizeof(buf));
    ck_assert(!tsig_sign(&w, &k, &v, NULL, 0, NULL));
    v.other_len = TSIG_OTHER_MAX + 1;
    query(&w, buf, sizeof(buf), 1, 0);
    ck_assert(!tsig_sign(&w, &k, &v, NULL, 0, NULL));
    tsig_key_cleanup(&k);
}
END_TEST

static Suite *tsig_suite(void)
{
    Suite *s = suite_create("tsig");
    TCase *tc = tcase_create("tsig");
    tcase_add_test(tc, test_algorithms);
    tcase_add_test(tc, test_key_init_refusals);
    tcase_add_test(tc, test_bind_dig_sha256);
    tcase_add_test(tc, test_bind_nsupdate_sha512);
    tcase_add_test(tc, test_names_compared_canonically);
    tcase_add_test(tc, test_time_fudge);
    tcase_add_test(tc, test_tampering);
    tcase_add_test(tc, test_bad_key);
    tcase_add_test(tc, test_truncated_rdata);
    tcase_add_test(tc, test_malformed_fields);
    tcase_add_test(tc, test_mac_length);
    tcase_add_test(tc, test_round_trip_sha256);
    tcase_add_test(tc, test_round_trip_sha512);
    tcase_add_test(tc, test_unsigned_error);
    tcase_add_test(tc, test_sign_without_room);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(tsig_suite());
}
