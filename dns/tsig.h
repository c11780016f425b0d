/* tsig.h — transaction signatures (RFC 8945): verifying a signed request and
 * signing its response with HMAC-SHA256 or HMAC-SHA512. Key and algorithm
 * names are compared and digested in canonical (lowercase) wire form; MACs
 * are compared with CRYPTO_memcmp over the digest's full length. */
#ifndef LC_DNS_TSIG_H
#define LC_DNS_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "dns/wire.h"

#define TSIG_FUDGE 300      /* seconds of clock skew accepted, and sent */
#define TSIG_MAC_MAX 64     /* the longest digest we compute (SHA-512) */
#define TSIG_SECRET_MAX 128 /* HMAC keys longer than a block are hashed; more is pointless */
#define TSIG_OTHER_MAX 6    /* Other Data: only BADTIME's 48-bit server time is defined */

enum tsig_alg { TSIG_HMAC_SHA256, TSIG_HMAC_SHA512 };

/* TSIG error codes (RFC 8945 3, the TSIG RR's Error field). */
enum tsig_error {
    TSIG_NOERROR = 0,
    TSIG_BADSIG = 16,
    TSIG_BADKEY = 17,
    TSIG_BADTIME = 18,
    TSIG_BADTRUNC = 22,
};

struct tsig_key {
    struct dns_name name; /* as configured; compared ignoring case */
    enum tsig_alg alg;
    uint8_t secret[TSIG_SECRET_MAX];
    size_t secret_len;
};

/* The TSIG variables that are signed besides the message (RFC 8945 4.3.3). */
struct tsig_vars {
    uint64_t time_signed; /* 48 bits on the wire */
    uint16_t fudge;
    uint16_t orig_id;
    uint16_t error;
    uint16_t other_len;
    uint8_t other[TSIG_OTHER_MAX];
};

/* A TSIG record as received, copied out of the message. */
struct tsig_rr {
    struct dns_name key_name;
    struct dns_name alg_name;
    struct tsig_vars vars;
    uint16_t mac_len;
    uint8_t mac[TSIG_MAC_MAX];
};

/* tsig_alg_from_text maps "hmac-sha256" / "hmac-sha512" (any case, with or
 * without the final dot) to an algorithm; false for anything else. */
bool tsig_alg_from_text(enum tsig_alg *out, const char *text);

/* tsig_alg_text is the algorithm's name without the final dot. */
const char *tsig_alg_text(enum tsig_alg alg);

/* tsig_alg_mac_len is the digest length: 32 or 64. It is also the length of
 * the secrets lancert makes for the algorithm. */
size_t tsig_alg_mac_len(enum tsig_alg alg);

/* tsig_key_init fills |k| from a key name in presentation form, an algorithm
 * name and |secret_len| bytes of |secret| (copied). Fails with LC_E_MALFORMED
 * for a bad name, LC_E_KEY for an unknown algorithm or a secret that is
 * empty or longer than TSIG_SECRET_MAX. Wipe |k| with tsig_key_cleanup. */
int tsig_key_init(struct tsig_key *k, const char *name, const char *alg, const uint8_t *secret,
                  size_t secret_len, struct lc_err *err);

/* tsig_key_cleanup wipes the secret. */
void tsig_key_cleanup(struct tsig_key *k);

/* tsig_rr_parse reads the TSIG record of |m| (which has one). Every RDATA
 * field is read through the cursor within RDLENGTH and nothing may be left
 * over; the class must be ANY and the TTL 0 (RFC 8945 4.2). A MAC longer
 * than TSIG_MAC_MAX or Other Data longer than TSIG_OTHER_MAX is refused
 * here too. False means FORMERR. */
bool tsig_rr_parse(struct tsig_rr *out, const struct dns_msg *m);

/* tsig_verify checks |m|'s TSIG |t| (parsed from |m|) with |key|, the key
 * found under t->key_name (NULL when there is none), at time |now|, in the
 * order of RFC 8945 5.2: key and algorithm (BADKEY), MAC length (-1 for
 * FORMERR: longer than the digest, or shorter than the truncation floor;
 * BADTRUNC for a legal truncation, which we do not accept), MAC (BADSIG),
 * time within the smaller of the request's fudge and TSIG_FUDGE (BADTIME).
 * |prior_mac|/|prior_len| is the request's MAC when |m| is a response
 * (NULL/0 for a request). Returns TSIG_NOERROR when all is well. */
int tsig_verify(const struct dns_msg *m, const struct tsig_rr *t, const struct tsig_key *key,
                const uint8_t *prior_mac, size_t prior_len, int64_t now);

/* tsig_sign signs the message in |w| (complete, its ARCOUNT not counting the
 * TSIG record) with |key| and |vars|, appends the TSIG record and adds one
 * to ARCOUNT. For a response |prior_mac|/|prior_len| is the request's MAC,
 * which the new MAC covers first (RFC 8945 5.3.1); NULL/0 for a request.
 * The MAC is copied to |out_mac| (TSIG_MAC_MAX bytes) when it is not NULL.
 * False when |w| has no room or HMAC fails; |w| may then hold a partial
 * record and must not be sent. */
bool tsig_sign(struct dns_out *w, const struct tsig_key *key, const struct tsig_vars *vars,
               const uint8_t *prior_mac, size_t prior_len, uint8_t *out_mac);

/* tsig_append_unsigned appends the TSIG record of an error response that
 * must not be signed (BADKEY, BADSIG, BADTRUNC; RFC 8945 5.3.2): the
 * request's key and algorithm names, MAC size 0, |error|, time |now|. */
bool tsig_append_unsigned(struct dns_out *w, const struct tsig_rr *req, uint16_t error,
                          int64_t now);

#endif
