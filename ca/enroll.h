/* enroll.h — who gets which names through the REST enrolment API (SPEC
 * "Names"): a hex name only to a request from its own address, a friendly
 * name to the device key that already holds it, to the bearer of an admin's
 * token naming it, or (enroll_policy) after the admin's approval or to
 * anyone. Pure decisions plus the enrolment token's text and hash; the store
 * is read by the caller and handed in as facts. */
#ifndef LC_CA_ENROLL_H
#define LC_CA_ENROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ca/policy.h"
#include "core/addr.h"
#include "core/conf.h"
#include "core/err.h"
#include "store/store.h"

#define ENROLL_TOKEN_BYTES 32
#define ENROLL_TOKEN_TEXT_LEN 43 /* base64url of 32 bytes, no padding */
#define ENROLL_TOKEN_TTL_DEFAULT 86400
#define ENROLL_TOKEN_TTL_MAX (30 * 86400)

/* What a request may be given, as the caller found it. */
struct enroll_facts {
    enum enroll_policy mode;
    struct lc_addr peer; /* where the request came from */
    /* For each name of the checked request (same index as policy_names):
     * which device holds it now, 0 for nobody. */
    int64_t holder[CA_MAX_NAMES];
    int64_t device_id; /* the device of the CSR's key, 0 for a new key */
    enum store_device_status device_status; /* when device_id is set */
    /* A token the request carries, already found unused and unexpired; NULL
     * without one. Its names are space-separated FQDNs. */
    const char *token_names;
};

enum enroll_verdict {
    ENROLL_ISSUE,   /* issue now */
    ENROLL_PENDING, /* record the request and wait for the admin */
};

/* enroll_decide applies the rules to the checked names |names| and |facts|.
 * Refusals: LC_E_PERM (a hex name of another address, a friendly name the
 * request has no right to, a token that does not name it, a revoked device,
 * an enrolled device asking for a new name without a token) and
 * LC_E_NAME_TAKEN (a friendly name another device holds); |err| says which
 * name. */
int enroll_decide(enum enroll_verdict *out, const struct policy_names *names,
                  const struct enroll_facts *facts, struct lc_err *err);

/* enroll_names_join writes |names|' names space-separated into |out|. */
void enroll_names_join(char out[STORE_ENROLL_NAMES_MAX], const struct policy_names *names);

/* enroll_names_has is true when the space-separated |list| holds |name|. */
bool enroll_names_has(const char *list, const char *name);

/* enroll_token_names checks the |n_names| names an admin puts on a token:
 * friendly names of the zone only (single labels are taken under it;
 * duplicates count once), at least one, at most CA_MAX_NAMES. Writes them, lowercase
 * FQDNs, space-separated into |out|. Errors as policy_check's, and
 * LC_E_RESERVED for a hex name. */
int enroll_token_names(char out[STORE_ENROLL_NAMES_MAX], const struct policy *p,
                       const char *const *names, size_t n_names, struct lc_err *err);

/* enroll_token_new makes a random token: |out_text| gets its base64url text
 * (shown once, then wiped by the caller with OPENSSL_cleanse), |out_hash| its
 * SHA-256, which is all the store keeps. */
int enroll_token_new(char out_text[ENROLL_TOKEN_TEXT_LEN + 1],
                     uint8_t out_hash[STORE_TOKEN_HASH_LEN], struct lc_err *err);

/* enroll_token_hash is the SHA-256 of |len| bytes of presented token text. */
void enroll_token_hash(uint8_t out[STORE_TOKEN_HASH_LEN], const char *text, size_t len);

/* enroll_token_usable says why the stored token |t| cannot be used at
 * |now|: LC_E_PERM for a used or expired one, LC_OK otherwise. */
int enroll_token_usable(const struct store_token *t, int64_t now, struct lc_err *err);

#endif
