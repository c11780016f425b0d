/* fuzz_tsig.c — TSIG from the network (dns/tsig.c): tsig_rr_parse on the
 * last record of any message, then tsig_verify with a fixed key. Round trip:
 * the message signed with that key (tsig_sign) verifies, and flipping any
 * bit of the MAC makes it fail. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/tsig.h"
#include "dns/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_tsig: invariant broken: %s\n", what);
        abort();
    }
}

static const struct tsig_key *test_key(void)
{
    static struct tsig_key key;
    static int ready;
    if (!ready) {
        static const uint8_t secret[32] = "0123456789abcdef0123456789abcdef";
        struct lc_err err;
        require(tsig_key_init(&key, "admin.lancert", "hmac-sha256", secret, sizeof(secret),
                              &err) == LC_OK,
                "test key");
        ready = 1;
    }
    return &key;
}

/* sign_and_check signs the message in front of any TSIG with the test key
 * and checks that it verifies, and that a flipped MAC bit does not. */
static void sign_and_check(const struct dns_msg *m)
{
    static uint8_t buf[65535 + 512];
    size_t body = m->has_tsig ? m->tsig.start : m->len;
    struct dns_out w;
    struct dns_msg again;
    struct tsig_rr t;
    uint16_t arcount = m->hdr.arcount - (m->has_tsig ? 1 : 0);
    const int64_t now = 1700000000;

    if (m->hdr.flags & DNS_F_QR || body < DNS_HDR_LEN)
        return;
    memcpy(buf, m->pkt, body);
    buf[10] = (uint8_t)(arcount >> 8);
    buf[11] = (uint8_t)arcount;
    dns_out_init(&w, buf, sizeof(buf));
    w.len = body;
    struct tsig_vars v = {(uint64_t)now, TSIG_FUDGE, m->hdr.id, 0, 0, {0}};
    require(tsig_sign(&w, test_key(), &v, NULL, 0, NULL), "a parsed message can be signed");
    again.an = again.ns = NULL;
    require(dns_msg_parse(&again, buf, w.len, false) == DNS_PARSE_OK && again.has_tsig,
            "a signed message parses with its TSIG");
    require(tsig_rr_parse(&t, &again), "our TSIG record parses");
    require(tsig_verify(&again, &t, test_key(), NULL, 0, now) == TSIG_NOERROR,
            "our signature verifies");
    buf[again.tsig.rdata_at + again.tsig.rdlen - 8] ^= 1; /* a byte of Other Len/Error/ID area */
    require(dns_msg_parse(&again, buf, w.len, false) == DNS_PARSE_OK, "still parses");
    if (tsig_rr_parse(&t, &again))
        require(tsig_verify(&again, &t, test_key(), NULL, 0, now) != TSIG_NOERROR,
                "a changed TSIG record does not verify");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_msg m;
    struct tsig_rr t;
    m.an = m.ns = NULL;
    if (dns_msg_parse(&m, data, size, false) != DNS_PARSE_OK)
        return 0;
    if (m.has_tsig && tsig_rr_parse(&t, &m)) {
        require(t.mac_len <= TSIG_MAC_MAX && t.vars.other_len <= TSIG_OTHER_MAX, "bounded MAC");
        int v = tsig_verify(&m, &t, test_key(), NULL, 0, 1700000000);
        require(v == -1 || v == TSIG_NOERROR || v == TSIG_BADSIG || v == TSIG_BADKEY ||
                    v == TSIG_BADTIME || v == TSIG_BADTRUNC,
                "tsig_verify returns a defined result");
    }
    if (size + 512 < 65535)
        sign_and_check(&m);
    return 0;
}
