/* tsig.c — RFC 8945 with OpenSSL's EVP_MAC. What is digested is built from
 * the received bytes and our own canonical names; nothing is trusted before
 * the cursor has read it within the record's RDLENGTH. */
#include "dns/tsig.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

/* Algorithm names in wire form, lowercase (RFC 8945 6). */
static const struct {
    const char *text;
    const char *digest;
    size_t mac_len;
    struct dns_name wire;
} algs[] = {
    [TSIG_HMAC_SHA256] = {"hmac-sha256", "SHA256", 32,
                          {{11, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '2', '5', '6', 0}, 13, 1}},
    [TSIG_HMAC_SHA512] = {"hmac-sha512", "SHA512", 64,
                          {{11, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '5', '1', '2', 0}, 13, 1}},
};
#define N_ALGS (sizeof(algs) / sizeof(algs[0]))

bool tsig_alg_from_text(enum tsig_alg *out, const char *text)
{
    struct dns_name n;
    if (!dns_name_from_text(&n, text))
        return false;
    for (size_t i = 0; i < N_ALGS; i++)
        if (dns_name_equal(&n, &algs[i].wire)) {
            *out = (enum tsig_alg)i;
            return true;
        }
    return false;
}

const char *tsig_alg_text(enum tsig_alg alg)
{
    return algs[alg].text;
}

size_t tsig_alg_mac_len(enum tsig_alg alg)
{
    return algs[alg].mac_len;
}

int tsig_key_init(struct tsig_key *k, const char *name, const char *alg, const uint8_t *secret,
                  size_t secret_len, struct lc_err *err)
{
    memset(k, 0, sizeof(*k));
    if (!dns_name_from_text(&k->name, name) || k->name.n_labels == 0)
        return lc_fail(err, LC_E_MALFORMED, "key name '%.60s' is not a DNS name", name);
    if (!tsig_alg_from_text(&k->alg, alg))
        return lc_fail(err, LC_E_KEY, "TSIG algorithm '%.30s' is not hmac-sha256 or hmac-sha512",
                       alg);
    if (secret_len == 0 || secret_len > TSIG_SECRET_MAX)
        return lc_fail(err, LC_E_KEY, "a TSIG secret has 1 to %d bytes, not %zu", TSIG_SECRET_MAX,
                       secret_len);
    memcpy(k->secret, secret, secret_len);
    k->secret_len = secret_len;
    return LC_OK;
}

void tsig_key_cleanup(struct tsig_key *k)
{
    OPENSSL_cleanse(k->secret, sizeof(k->secret));
    k->secret_len = 0;
}

/* ---- parsing ------------------------------------------------------------------ */

static bool cur_u48(struct cur *c, uint64_t *out)
{
    uint16_t hi;
    uint32_t lo;
    if (c->len < 6 || !cur_u16(c, &hi) || !cur_u32(c, &lo))
        return false;
    *out = ((uint64_t)hi << 32) | lo;
    return true;
}

bool tsig_rr_parse(struct tsig_rr *out, const struct dns_msg *m)
{
    struct tsig_rr t;
    struct cur c;
    if (!m->has_tsig || m->tsig.class != DNS_C_ANY || m->tsig.ttl != 0 ||
        (size_t)m->tsig.rdata_at + m->tsig.rdlen > m->len)
        return false;
    c = cur_init(m->pkt + m->tsig.rdata_at, m->tsig.rdlen);
    t.key_name = m->tsig.name;
    /* The algorithm name is read within RDLENGTH; a pointer may only reach
     * back into the message, which dns_name_read bounds. */
    if (!dns_name_read(&t.alg_name, m->pkt, m->len, &c) || !cur_u48(&c, &t.vars.time_signed) ||
        !cur_u16(&c, &t.vars.fudge) || !cur_u16(&c, &t.mac_len) || t.mac_len > TSIG_MAC_MAX ||
        !cur_copy(&c, t.mac, t.mac_len) || !cur_u16(&c, &t.vars.orig_id) ||
        !cur_u16(&c, &t.vars.error) || !cur_u16(&c, &t.vars.other_len) ||
        t.vars.other_len > TSIG_OTHER_MAX || !cur_copy(&c, t.vars.other, t.vars.other_len) ||
        !cur_is_empty(&c))
        return false;
    *out = t;
    return true;
}

/* ---- the MAC ----------------------------------------------------------------- */

struct hmac {
    EVP_MAC *mac;
    EVP_MAC_CTX *ctx;
    bool ok;
};

static bool hmac_begin(struct hmac *h, const struct tsig_key *key)
{
    OSSL_PARAM params[2];
    h->ctx = NULL;
    h->ok = false;
    if (!(h->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) || !(h->ctx = EVP_MAC_CTX_new(h->mac)))
        return false;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)(uintptr_t)algs[key->alg].digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    h->ok = EVP_MAC_init(h->ctx, key->secret, key->secret_len, params) == 1;
    return h->ok;
}

static void hmac_add(struct hmac *h, const void *p, size_t n)
{
    if (h->ok && n > 0)
        h->ok = EVP_MAC_update(h->ctx, p, n) == 1;
}

static void hmac_add_u16(struct hmac *h, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    hmac_add(h, b, sizeof(b));
}

/* hmac_end finishes into |out| (TSIG_MAC_MAX); false when any step failed.
 * It frees the context either way. */
static bool hmac_end(struct hmac *h, uint8_t *out, size_t *out_len)
{
    size_t len = 0;
    bool ok = h->ok && EVP_MAC_final(h->ctx, out, &len, TSIG_MAC_MAX) == 1;
    EVP_MAC_CTX_free(h->ctx);
    EVP_MAC_free(h->mac);
    *out_len = len;
    return ok;
}

static void name_lower(struct dns_name *out, const struct dns_name *in)
{
    *out = *in;
    for (size_t i = 0; i < out->len; i++)
        if (out->wire[i] >= 'A' && out->wire[i] <= 'Z')
            out->wire[i] |= 0x20;
}

/* add_vars digests the TSIG variables (RFC 8945 4.3.3): names in canonical
 * form, uncompressed and lowercase. Label lengths (at most 63) can never be
 * mistaken for capitals, so lowercasing the whole wire form is safe. */
static void add_vars(struct hmac *h, const struct dns_name *key_name,
                     const struct dns_name *alg_name, const struct tsig_vars *v)
{
    struct dns_name n;
    uint8_t fixed[6 + 6 + 2 + 2 + 2];
    name_lower(&n, key_name);
    hmac_add(h, n.wire, n.len);
    hmac_add_u16(h, DNS_C_ANY);
    hmac_add_u16(h, 0); /* TTL, 32 bits */
    hmac_add_u16(h, 0);
    name_lower(&n, alg_name);
    hmac_add(h, n.wire, n.len);
    fixed[0] = (uint8_t)(v->time_signed >> 40);
    fixed[1] = (uint8_t)(v->time_signed >> 32);
    fixed[2] = (uint8_t)(v->time_signed >> 24);
    fixed[3] = (uint8_t)(v->time_signed >> 16);
    fixed[4] = (uint8_t)(v->time_signed >> 8);
    fixed[5] = (uint8_t)v->time_signed;
    fixed[6] = (uint8_t)(v->fudge >> 8);
    fixed[7] = (uint8_t)v->fudge;
    fixed[8] = (uint8_t)(v->error >> 8);
    fixed[9] = (uint8_t)v->error;
    fixed[10] = (uint8_t)(v->other_len >> 8);
    fixed[11] = (uint8_t)v->other_len;
    hmac_add(h, fixed, 12);
    hmac_add(h, v->other, v->other_len);
}

static void add_prior(struct hmac *h, const uint8_t *prior_mac, size_t prior_len)
{
    if (!prior_mac)
        return;
    hmac_add_u16(h, (uint16_t)prior_len);
    hmac_add(h, prior_mac, prior_len);
}

int tsig_verify(const struct dns_msg *m, const struct tsig_rr *t, const struct tsig_key *key,
                const uint8_t *prior_mac, size_t prior_len, int64_t now)
{
    uint8_t mac[TSIG_MAC_MAX];
    size_t mac_len, want;
    struct hmac h;
    int result;

    /* 5.2.1: the key must be known, under this name and this algorithm. */
    if (!key || !dns_name_equal(&t->key_name, &key->name) ||
        !dns_name_equal(&t->alg_name, &algs[key->alg].wire))
        return TSIG_BADKEY;
    /* 5.2.2.1: longer than the digest, or under the truncation floor of
     * max(10, half the digest), is FORMERR; a legal truncation is below our
     * policy, which wants the full MAC. */
    want = algs[key->alg].mac_len;
    if (t->mac_len > want || t->mac_len < (want / 2 > 10 ? want / 2 : 10))
        return -1;
    if (t->mac_len < want)
        return TSIG_BADTRUNC;
    /* 5.2.2: the MAC covers the message with the original ID and ARCOUNT
     * less the TSIG record, then the TSIG variables. */
    if (m->len < DNS_HDR_LEN || m->tsig.start < DNS_HDR_LEN || m->tsig.start > m->len ||
        m->hdr.arcount == 0)
        return -1;
    if (!hmac_begin(&h, key)) {
        hmac_end(&h, mac, &mac_len);
        return TSIG_BADSIG;
    }
    add_prior(&h, prior_mac, prior_len);
    hmac_add_u16(&h, t->vars.orig_id);
    hmac_add(&h, m->pkt + 2, 8);
    hmac_add_u16(&h, (uint16_t)(m->hdr.arcount - 1));
    hmac_add(&h, m->pkt + DNS_HDR_LEN, m->tsig.start - DNS_HDR_LEN);
    add_vars(&h, &t->key_name, &t->alg_name, &t->vars);
    if (!hmac_end(&h, mac, &mac_len) || mac_len != want ||
        CRYPTO_memcmp(mac, t->mac, want) != 0)
        result = TSIG_BADSIG;
    else
        result = TSIG_NOERROR;
    OPENSSL_cleanse(mac, sizeof(mac));
    if (result != TSIG_NOERROR)
        return result;
    /* 5.2.3: only a message that verified is judged on its time. A client
     * cannot widen the window past ours by sending a larger fudge. */
    int64_t fudge = t->vars.fudge < TSIG_FUDGE ? t->vars.fudge : TSIG_FUDGE;
    int64_t skew = now - (int64_t)t->vars.time_signed;
    if (skew > fudge || skew < -fudge)
        return TSIG_BADTIME;
    return TSIG_NOERROR;
}

/* ---- writing ------------------------------------------------------------------- */

static void out_u48(struct dns_out *w, uint64_t v)
{
    dns_out_u16(w, (uint16_t)(v >> 32));
    dns_out_u32(w, (uint32_t)v);
}

/* append_rr writes the TSIG record, names uncompressed (RFC 8945 4.2), and
 * counts it in ARCOUNT. */
static bool append_rr(struct dns_out *w, const struct dns_name *key_name,
                      const struct dns_name *alg_name, const struct tsig_vars *v,
                      const uint8_t *mac, size_t mac_len)
{
    if (w->len < DNS_HDR_LEN || w->overflow)
        return false;
    dns_out_bytes(w, key_name->wire, key_name->len);
    dns_out_u16(w, DNS_T_TSIG);
    dns_out_u16(w, DNS_C_ANY);
    dns_out_u32(w, 0);
    size_t rdlen_at = w->len;
    dns_out_u16(w, 0);
    dns_out_bytes(w, alg_name->wire, alg_name->len);
    out_u48(w, v->time_signed);
    dns_out_u16(w, v->fudge);
    dns_out_u16(w, (uint16_t)mac_len);
    if (mac_len > 0)
        dns_out_bytes(w, mac, mac_len);
    dns_out_u16(w, v->orig_id);
    dns_out_u16(w, v->error);
    dns_out_u16(w, v->other_len);
    dns_out_bytes(w, v->other, v->other_len);
    if (w->overflow)
        return false;
    dns_out_rr_end(w, rdlen_at);
    uint16_t arcount = (uint16_t)((w->buf[10] << 8) | w->buf[11]);
    arcount++;
    w->buf[10] = (uint8_t)(arcount >> 8);
    w->buf[11] = (uint8_t)arcount;
    return true;
}

bool tsig_sign(struct dns_out *w, const struct tsig_key *key, const struct tsig_vars *vars,
               const uint8_t *prior_mac, size_t prior_len, uint8_t *out_mac)
{
    uint8_t mac[TSIG_MAC_MAX];
    size_t mac_len = 0;
    struct dns_name key_name;
    struct hmac h;
    bool ok;

    if (w->len < DNS_HDR_LEN || w->overflow || vars->other_len > TSIG_OTHER_MAX)
        return false;
    name_lower(&key_name, &key->name);
    ok = hmac_begin(&h, key);
    add_prior(&h, prior_mac, prior_len);
    hmac_add_u16(&h, vars->orig_id);
    hmac_add(&h, w->buf + 2, w->len - 2);
    add_vars(&h, &key_name, &algs[key->alg].wire, vars);
    ok = hmac_end(&h, mac, &mac_len) && ok && mac_len == algs[key->alg].mac_len;
    if (ok)
        ok = append_rr(w, &key_name, &algs[key->alg].wire, vars, mac, mac_len);
    if (ok && out_mac)
        memcpy(out_mac, mac, mac_len);
    OPENSSL_cleanse(mac, sizeof(mac));
    return ok;
}

bool tsig_append_unsigned(struct dns_out *w, const struct tsig_rr *req, uint16_t error,
                          int64_t now)
{
    struct tsig_vars v = {(uint64_t)now & 0xffffffffffffULL, TSIG_FUDGE, req->vars.orig_id,
                          error, 0, {0}};
    return append_rr(w, &req->key_name, &req->alg_name, &v, NULL, 0);
}
