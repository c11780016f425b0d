/* issue.h — issuance: CSR intake, policy, name ownership, signing and the
 * store record, as one step inside the caller's transaction. Callers batch
 * several issuances into one commit (group commit) and hand a certificate
 * out only after store_commit returns. */
#ifndef LC_CA_ISSUE_H
#define LC_CA_ISSUE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ca/ca.h"
#include "ca/csr.h"
#include "ca/policy.h"
#include "core/conf.h"
#include "core/err.h"
#include "store/store.h"

struct issuer {
    struct ca *ca;       /* borrowed */
    struct store *store; /* borrowed */
    struct policy policy;
    unsigned leaf_days;
    char crl_url[LC_NAME_MAX + 32];
};

struct issue_request {
    const uint8_t *csr; /* PEM or DER, untrusted */
    size_t csr_len;
    /* |csr| already parsed by the caller (borrowed), or NULL: parsing checks
     * the signature, the dearest step after signing, so it is done once. */
    const struct csr *parsed;
    const char *const *names; /* when n_names + n_ips > 0 these replace the CSR's */
    size_t n_names;
    const struct lc_addr *ips;
    size_t n_ips;
    int64_t lifetime_s; /* 0: the issuer's leaf_days */
    /* A renewal: the certificate is for device |device_id| (0: the device of
     * the CSR's key, created when new) and may carry only names among
     * |renew_names| (the current certificate's, borrowed); a CSR without any
     * SAN gets them all. A new CSR key becomes the device's key. */
    int64_t device_id;
    const char *const *renew_names;
    size_t n_renew_names;
};

struct issue_result {
    X509 *cert; /* owned; free with issue_result_cleanup */
    uint8_t serial[16];
    int64_t device_id;
    int64_t not_before, not_after;
    struct policy_names names;
};

/* issuer_init ties |ca| and |store| (both borrowed) to the policy in |conf|
 * (borrowed; it must outlive the issuer). */
void issuer_init(struct issuer *is, struct ca *ca, struct store *store, const struct lc_conf *conf);

/* issuer_issue runs one issuance inside the caller's open transaction. A
 * refusal leaves the store as it was (a savepoint is rolled back). Errors are
 * those of csr_parse and policy_check, and LC_E_NAME_TAKEN; for a renewal
 * also LC_E_PERM (a name the current certificate does not carry) and
 * LC_E_EXISTS (the CSR's key is another device's). */
int issuer_issue(struct issuer *is, struct issue_result *out, const struct issue_request *req,
                 struct lc_err *err);

void issue_result_cleanup(struct issue_result *r);

/* issuer_crl signs a CRL of every revoked, unexpired certificate in the
 * store; *out_der is freed by the caller with OPENSSL_free. */
int issuer_crl(struct issuer *is, uint8_t **out_der, size_t *out_len, struct lc_err *err);

#endif
