/* helpers.h — small helpers shared by the Check unit tests: a temporary state
 * directory, keys and CSRs made in memory with OpenSSL, PEM/DER encoding, and
 * the body of main(). Everything is static inline, so a test that does not use
 * a helper does not warn about it. Helpers assert instead of returning errors:
 * a helper that cannot do its job fails the test that called it. */
#ifndef LC_TESTS_UNIT_HELPERS_H
#define LC_TESTS_UNIT_HELPERS_H

#include <check.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/err.h"

/* TH_OK asserts that an lc_* call returned LC_OK, showing |err|'s message if
 * it did not. */
#define TH_OK(call, err) ck_assert_msg((call) == LC_OK, "%s: %s", #call, (err).msg)

/* TH_FAILS asserts that |rc| is the error |want| and that |err| carries it
 * with a message for people. */
#define TH_FAILS(rc, want, err)                                                            \
    do {                                                                                   \
        int th_rc_ = (rc);                                                                 \
        ck_assert_msg(th_rc_ == (int)(want), "expected %s, got %s (%s)",                   \
                      lc_errc_name(want), lc_errc_name((enum lc_errc)th_rc_), (err).msg);  \
        ck_assert_int_eq((err).code, (want));                                              \
        ck_assert_msg((err).msg[0] != '\0', "error %s has no message", lc_errc_name(want)); \
    } while (0)

/* ---- temporary directories ------------------------------------------------ */

/* th_tmpdir makes a new private directory under $TMPDIR (or /tmp). */
static inline void th_tmpdir(char out[PATH_MAX])
{
    const char *base = getenv("TMPDIR");
    snprintf(out, PATH_MAX, "%s/lancert-unit.XXXXXX", base && *base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(out));
}

static inline int th_rmtree_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* th_rmtree removes |dir| and everything in it. */
static inline void th_rmtree(const char *dir)
{
    ck_assert_int_eq(nftw(dir, th_rmtree_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* th_path writes "<dir>/<file>". */
static inline void th_path(char out[PATH_MAX], const char *dir, const char *file)
{
    ck_assert_int_lt(snprintf(out, PATH_MAX, "%s/%s", dir, file), PATH_MAX);
}

/* ---- keys ------------------------------------------------------------------ */

/* th_key_ec makes an EC key on the named curve ("P-256", "secp256k1"). */
static inline EVP_PKEY *th_key_ec(const char *curve)
{
    EVP_PKEY *key = EVP_EC_gen(curve);
    ck_assert_msg(key != NULL, "cannot make an EC key on %s", curve);
    return key;
}

static inline EVP_PKEY *th_key_rsa(unsigned bits)
{
    EVP_PKEY *key = EVP_RSA_gen(bits);
    ck_assert_msg(key != NULL, "cannot make an RSA-%u key", bits);
    return key;
}

static inline EVP_PKEY *th_key_ed25519(void)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    ck_assert_ptr_nonnull(key);
    return key;
}

/* th_md is the digest to sign with |key|: none for EdDSA. */
static inline const EVP_MD *th_md(EVP_PKEY *key)
{
    int id = EVP_PKEY_get_base_id(key);
    return (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) ? NULL : EVP_sha256();
}

/* ---- general names --------------------------------------------------------- */

/* th_sans makes a GeneralNames of |n_dns| dNSNames and |n_ips| iPAddresses
 * (textual addresses). The caller frees it with GENERAL_NAMES_free. */
static inline GENERAL_NAMES *th_sans(const char *const *dns, size_t n_dns, const char *const *ips,
                                     size_t n_ips)
{
    GENERAL_NAMES *gens = GENERAL_NAMES_new();
    ck_assert_ptr_nonnull(gens);
    for (size_t i = 0; i < n_dns; i++) {
        GENERAL_NAME *gn = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        ck_assert(gn && s && ASN1_STRING_set(s, dns[i], (int)strlen(dns[i])));
        GENERAL_NAME_set0_value(gn, GEN_DNS, s);
        ck_assert(sk_GENERAL_NAME_push(gens, gn));
    }
    for (size_t i = 0; i < n_ips; i++) {
        GENERAL_NAME *gn = GENERAL_NAME_new();
        ASN1_OCTET_STRING *os = a2i_IPADDRESS(ips[i]);
        ck_assert_msg(gn && os, "cannot encode IP %s", ips[i]);
        GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
        ck_assert(sk_GENERAL_NAME_push(gens, gn));
    }
    return gens;
}

/* ---- CSRs ------------------------------------------------------------------ */

/* th_req_new makes a CSR for |key| signed by |key|, with subject CN |cn| (NULL:
 * none) and a subjectAltName of |dns| and |ips| when there are any. */
static inline X509_REQ *th_req_new(EVP_PKEY *key, const char *cn, const char *const *dns,
                                   size_t n_dns, const char *const *ips, size_t n_ips)
{
    X509_REQ *req = X509_REQ_new();
    X509_NAME *subject = X509_NAME_new();
    ck_assert(req && subject);
    if (cn)
        ck_assert(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                             (const unsigned char *)cn, -1, -1, 0));
    ck_assert(X509_REQ_set_version(req, 0) && X509_REQ_set_subject_name(req, subject) &&
              X509_REQ_set_pubkey(req, key));
    X509_NAME_free(subject);
    if (n_dns + n_ips > 0) {
        GENERAL_NAMES *gens = th_sans(dns, n_dns, ips, n_ips);
        STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
        X509_EXTENSION *ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
        ck_assert(exts && ext && sk_X509_EXTENSION_push(exts, ext));
        ck_assert(X509_REQ_add_extensions(req, exts));
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
        GENERAL_NAMES_free(gens);
    }
    ck_assert(X509_REQ_sign(req, key, th_md(key)) > 0);
    return req;
}

/* th_req_der encodes |req| as DER into a new buffer (OPENSSL_free). */
static inline uint8_t *th_req_der(X509_REQ *req, size_t *out_len)
{
    uint8_t *der = NULL;
    int len = i2d_X509_REQ(req, &der);
    ck_assert_int_gt(len, 0);
    *out_len = (size_t)len;
    return der;
}

/* th_bio_string copies what |bio| holds into a new NUL-terminated string (free). */
static inline char *th_bio_string(BIO *bio, size_t *out_len)
{
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    char *copy = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, data, (size_t)len);
    copy[len] = '\0';
    if (out_len)
        *out_len = (size_t)len;
    return copy;
}

/* th_req_pem encodes |req| as PEM into a new string (free). */
static inline char *th_req_pem(X509_REQ *req, size_t *out_len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    ck_assert(bio && PEM_write_bio_X509_REQ(bio, req));
    char *pem = th_bio_string(bio, out_len);
    BIO_free(bio);
    return pem;
}

/* th_x509_pem encodes |x| as PEM into a new string (free). */
static inline char *th_x509_pem(X509 *x, size_t *out_len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    ck_assert(bio && PEM_write_bio_X509(bio, x));
    char *pem = th_bio_string(bio, out_len);
    BIO_free(bio);
    return pem;
}

/* th_csr_der is th_req_new then th_req_der, for tests that only need bytes. */
static inline uint8_t *th_csr_der(EVP_PKEY *key, const char *cn, const char *const *dns,
                                  size_t n_dns, const char *const *ips, size_t n_ips,
                                  size_t *out_len)
{
    X509_REQ *req = th_req_new(key, cn, dns, n_dns, ips, n_ips);
    uint8_t *der = th_req_der(req, out_len);
    X509_REQ_free(req);
    return der;
}

/* ---- main ------------------------------------------------------------------ */

/* th_run runs |s| and returns the process exit status. */
static inline int th_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
