/* gateway.c — the gateway's own certificate, checked at start and on each
 * tick of the daemon, renewed with a fresh key when two thirds of its life
 * have passed. */
#include "ca/gateway.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/file.h"
#include "core/log.h"

/* The names the certificate must carry, as policy_check makes them. */
struct wanted {
    const char *names[1];
    size_t n_names;
    struct lc_addr ips[CONF_MAX_GATEWAY_ADDRS];
    size_t n_ips;
    struct policy_names checked;
};

static int wanted_names(struct wanted *w, char fqdn[LC_NAME_MAX + 1], const struct issuer *is,
                        const struct lc_conf *conf, struct lc_err *err)
{
    struct policy p = is->policy;
    memset(w, 0, sizeof(*w));
    conf_gateway_fqdn(fqdn, conf);
    w->names[0] = fqdn;
    w->n_names = 1;
    /* An address outside the allowed ranges has no hex name, and the root's
     * name constraints would refuse it as an IP SAN. */
    for (size_t i = 0; i < conf->n_gateway_addrs; i++)
        if (prefix_set_contains(&conf->allow, &conf->gateway_addrs[i]))
            w->ips[w->n_ips++] = conf->gateway_addrs[i];
    p.allow_gateway = true;
    return policy_check(&p, &w->checked, w->names, w->n_names, w->ips, w->n_ips, err);
}

/* gateway_path leaves |out| empty (a path no call opens) when it would not fit. */
static void gateway_path(char out[PATH_MAX], const struct lc_conf *conf, const char *file)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", conf->state_dir, file);
    if (n < 0 || n >= PATH_MAX)
        out[0] = '\0';
}

static int64_t asn1_time_to_unix(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

static void fill_times(struct gateway_cert *gc, X509 *leaf)
{
    gc->not_before = asn1_time_to_unix(X509_get0_notBefore(leaf));
    gc->not_after = asn1_time_to_unix(X509_get0_notAfter(leaf));
    gc->renew_at = gc->not_before + (gc->not_after - gc->not_before) * 2 / 3;
}

static void fill_serial(struct gateway_cert *gc, X509 *leaf)
{
    const ASN1_INTEGER *sn = X509_get0_serialNumber(leaf);
    BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
    memset(gc->serial, 0, sizeof(gc->serial));
    if (bn && BN_num_bytes(bn) <= (int)sizeof(gc->serial))
        BN_bn2binpad(bn, gc->serial, (int)sizeof(gc->serial));
    BN_free(bn);
}

/* covers_exactly: |leaf| names every wanted name and address, and nothing else. */
static bool covers_exactly(X509 *leaf, const struct policy_names *w)
{
    GENERAL_NAMES *san = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    bool ok = san && (size_t)sk_GENERAL_NAME_num(san) == w->n_names + w->n_ips;
    for (size_t i = 0; ok && i < w->n_names; i++)
        ok = X509_check_host(leaf, w->names[i], 0, X509_CHECK_FLAG_NO_WILDCARDS, NULL) == 1;
    for (size_t i = 0; ok && i < w->n_ips; i++)
        ok = X509_check_ip(leaf, w->ips[i].b, addr_len(&w->ips[i]), 0) == 1;
    GENERAL_NAMES_free(san);
    return ok;
}

/* load_current reads the files and says whether they are still good. Any
 * problem only means "issue a new one"; it is logged, never fatal. */
static bool load_current(struct gateway_cert *out, const struct issuer *is,
                         const struct lc_conf *conf, const struct policy_names *w)
{
    char key_path[PATH_MAX], cert_path[PATH_MAX];
    struct gateway_cert gc;
    struct stat st;
    struct lc_err err;
    BIO *bio = NULL;
    EVP_PKEY *key = NULL;
    X509 *leaf = NULL;
    bool good = false;

    memset(&gc, 0, sizeof(gc));
    gateway_path(key_path, conf, GATEWAY_KEY_FILE);
    gateway_path(cert_path, conf, GATEWAY_CERT_FILE);
    if (stat(cert_path, &st) != 0 || stat(key_path, &st) != 0)
        goto out;
    if ((st.st_mode & 077) != 0) {
        log_msg(LOG_WARNING, "%s is readable by others; making a new gateway key", key_path);
        goto out;
    }
    if (file_read(&gc.key_pem, &gc.key_pem_len, key_path, GATEWAY_MAX_PEM, &err) != LC_OK ||
        file_read(&gc.chain_pem, &gc.chain_pem_len, cert_path, GATEWAY_MAX_PEM, &err) != LC_OK) {
        log_msg(LOG_WARNING, "gateway certificate: %s", err.msg);
        goto out;
    }
    if (!(bio = BIO_new_mem_buf(gc.key_pem, (int)gc.key_pem_len)) ||
        !(key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)))
        goto out;
    BIO_free(bio);
    if (!(bio = BIO_new_mem_buf(gc.chain_pem, (int)gc.chain_pem_len)) ||
        !(leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
        goto out;
    fill_times(&gc, leaf);
    fill_serial(&gc, leaf);
    good = X509_check_private_key(leaf, key) == 1 &&
           X509_verify(leaf, X509_get0_pubkey(ca_cert(is->ca))) == 1 && covers_exactly(leaf, w) &&
           (int64_t)time(NULL) < gc.renew_at &&
           gc.not_after - (int64_t)time(NULL) <= (int64_t)conf->gateway_cert_seconds;
out:
    if (good)
        *out = gc;
    else
        gateway_cert_cleanup(&gc);
    ERR_clear_error();
    BIO_free(bio);
    EVP_PKEY_free(key);
    X509_free(leaf);
    return good;
}

static int make_key_and_csr(char **out_key_pem, size_t *out_key_len, uint8_t **out_csr,
                            int *out_csr_len, const char *fqdn, struct lc_err *err)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509_REQ *req = X509_REQ_new();
    X509_NAME *subject = X509_NAME_new();
    BIO *bio = BIO_new(BIO_s_mem());
    char *data;
    long len;
    int rc = LC_E_CRYPTO;

    *out_key_pem = NULL;
    *out_csr = NULL;
    if (!key || !req || !subject || !bio ||
        !X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, (const unsigned char *)fqdn, -1,
                                    -1, 0) ||
        !X509_REQ_set_subject_name(req, subject) || !X509_REQ_set_pubkey(req, key) ||
        !X509_REQ_sign(req, key, EVP_sha256()) ||
        (*out_csr_len = i2d_X509_REQ(req, out_csr)) <= 0 ||
        !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
        rc = lc_fail_openssl(err, LC_E_CRYPTO, "making the gateway key and request");
        goto out;
    }
    len = BIO_get_mem_data(bio, &data);
    if (!(*out_key_pem = malloc((size_t)len + 1))) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    memcpy(*out_key_pem, data, (size_t)len);
    (*out_key_pem)[len] = '\0';
    *out_key_len = (size_t)len;
    OPENSSL_cleanse(data, (size_t)len);
    rc = LC_OK;
out:
    if (rc != LC_OK) {
        OPENSSL_free(*out_csr);
        *out_csr = NULL;
    }
    BIO_free(bio);
    X509_NAME_free(subject);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
    return rc;
}

static int issue_new(struct gateway_cert *out, const struct issuer *is, const struct lc_conf *conf,
                     const struct wanted *w, const char *fqdn, struct lc_err *err)
{
    char key_path[PATH_MAX], cert_path[PATH_MAX];
    struct gateway_cert gc;
    struct issuer gw = *is;
    struct issue_result res;
    uint8_t *csr = NULL;
    int csr_len = 0, rc;

    memset(&gc, 0, sizeof(gc));
    memset(&res, 0, sizeof(res));
    gw.policy.allow_gateway = true;
    if ((rc = make_key_and_csr(&gc.key_pem, &gc.key_pem_len, &csr, &csr_len, fqdn, err)) != LC_OK)
        goto out;
    struct issue_request req = {
        .csr = csr,
        .csr_len = (size_t)csr_len,
        .names = w->names,
        .n_names = w->n_names,
        .ips = w->ips,
        .n_ips = w->n_ips,
        .lifetime_s = conf->gateway_cert_seconds,
    };
    if ((rc = store_begin(gw.store, err)) != LC_OK)
        goto out;
    if ((rc = issuer_issue(&gw, &res, &req, err)) != LC_OK ||
        (rc = store_commit(gw.store, err)) != LC_OK) {
        store_rollback(gw.store);
        goto out;
    }
    /* Committed first, then the files: the key before the certificate, so a
     * crash in between leaves a mismatch that the next start replaces. */
    if ((rc = ca_chain_pem(&gc.chain_pem, &gc.chain_pem_len, gw.ca, res.cert, err)) != LC_OK)
        goto out;
    gateway_path(key_path, conf, GATEWAY_KEY_FILE);
    gateway_path(cert_path, conf, GATEWAY_CERT_FILE);
    if ((rc = file_write_atomic(key_path, gc.key_pem, gc.key_pem_len, 0600, 0, err)) != LC_OK ||
        (rc = file_write_atomic(cert_path, gc.chain_pem, gc.chain_pem_len, 0644, 0, err)) != LC_OK)
        goto out;
    fill_times(&gc, res.cert);
    memcpy(gc.serial, res.serial, sizeof(gc.serial));
    *out = gc;
    memset(&gc, 0, sizeof(gc));
out:
    gateway_cert_cleanup(&gc);
    issue_result_cleanup(&res);
    OPENSSL_free(csr);
    return rc;
}

int gateway_release_devices(int64_t *out_n, struct store *store, const struct lc_conf *conf,
                            struct lc_err *err)
{
    char fqdn[LC_NAME_MAX + 1];
    int rc;
    conf_gateway_fqdn(fqdn, conf);
    if ((rc = store_begin(store, err)) != LC_OK)
        return rc;
    if ((rc = store_devices_release_name(store, out_n, fqdn, err)) != LC_OK ||
        (rc = store_commit(store, err)) != LC_OK)
        store_rollback(store);
    return rc;
}

int gateway_cert_refresh(struct gateway_cert *out, bool *out_issued, const struct issuer *is,
                         const struct lc_conf *conf, struct lc_err *err)
{
    struct wanted w;
    char fqdn[LC_NAME_MAX + 1];
    int rc;
    *out_issued = false;
    if ((rc = wanted_names(&w, fqdn, is, conf, err)) != LC_OK)
        return lc_wrap(err, (enum lc_errc)rc, "the gateway's certificate");
    if (load_current(out, is, conf, &w.checked))
        return LC_OK;
    if ((rc = issue_new(out, is, conf, &w, fqdn, err)) != LC_OK)
        return lc_wrap(err, (enum lc_errc)rc, "issuing the gateway's certificate");
    *out_issued = true;
    return LC_OK;
}

void gateway_cert_cleanup(struct gateway_cert *gc)
{
    if (gc->key_pem) {
        OPENSSL_cleanse(gc->key_pem, gc->key_pem_len);
        free(gc->key_pem);
    }
    free(gc->chain_pem);
    memset(gc, 0, sizeof(*gc));
}
