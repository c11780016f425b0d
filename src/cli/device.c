/* device.c — a device's key, CSR, JWS, answers and files (see device.h). */
#include "cli/device.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/file.h"

int device_key_new(EVP_PKEY **out, struct lc_err *err)
{
    *out = EVP_EC_gen("P-256");
    return *out ? LC_OK : lc_fail_openssl(err, LC_E_CRYPTO, "cannot make a P-256 key");
}

int device_key_load(EVP_PKEY **out, const char *path, struct lc_err *err)
{
    char *pem = NULL;
    size_t len = 0;
    BIO *bio = NULL;
    int rc = file_read(&pem, &len, path, DEVICE_MAX_PEM, err);

    *out = NULL;
    if (rc != LC_OK)
        goto out;
    if (!(bio = BIO_new_mem_buf(pem, (int)len))) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    if (!(*out = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)))
        rc = lc_fail_openssl(err, LC_E_MALFORMED, path);
out:
    BIO_free(bio);
    if (pem)
        OPENSSL_cleanse(pem, len);
    free(pem);
    return rc;
}

/* bio_take copies a memory BIO's contents into a new NUL-terminated string. */
static int bio_take(char **out, size_t *out_len, BIO *bio, struct lc_err *err)
{
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    *out = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!*out)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    memcpy(*out, data, (size_t)n);
    (*out)[n] = '\0';
    if (out_len)
        *out_len = (size_t)n;
    return LC_OK;
}

int device_key_pem(char **out, size_t *out_len, EVP_PKEY *key, struct lc_err *err)
{
    BIO *bio = BIO_new(BIO_s_secmem());
    int rc;
    *out = NULL;
    if (!bio || !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
        rc = lc_fail_openssl(err, LC_E_CRYPTO, "cannot write the key as PEM");
    else
        rc = bio_take(out, out_len, bio, err);
    BIO_free(bio);
    return rc;
}

int device_cert_load(X509 **out, const char *path, struct lc_err *err)
{
    char *pem = NULL;
    size_t len = 0;
    BIO *bio = NULL;
    int rc = file_read(&pem, &len, path, DEVICE_MAX_PEM, err);

    *out = NULL;
    if (rc != LC_OK)
        return rc;
    if (!(bio = BIO_new_mem_buf(pem, (int)len)))
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
    else if (!(*out = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
        rc = lc_fail_openssl(err, LC_E_MALFORMED, path);
    BIO_free(bio);
    free(pem);
    return rc;
}

int device_cert_names(char out[][LC_NAME_MAX + 1], size_t *out_n, X509 *cert, struct lc_err *err)
{
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    int rc = LC_OK;

    *out_n = 0;
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
        if (gn->type != GEN_DNS)
            continue;
        if (*out_n == DEVICE_MAX_NAMES) {
            rc = lc_fail(err, LC_E_TOO_MANY, "the certificate has more than %d names",
                         DEVICE_MAX_NAMES);
            goto out;
        }
        const ASN1_STRING *s = gn->d.dNSName;
        if (name_normalize(out[*out_n], (const char *)ASN1_STRING_get0_data(s),
                           (size_t)ASN1_STRING_length(s), err) != LC_OK) {
            rc = lc_wrap(err, LC_E_MALFORMED, "the certificate's names");
            goto out;
        }
        (*out_n)++;
    }
    if (*out_n == 0)
        rc = lc_fail(err, LC_E_MALFORMED, "the certificate has no DNS names");
out:
    GENERAL_NAMES_free(sans);
    return rc;
}

void device_cert_until(char out[32], X509 *cert)
{
    struct tm tm;
    if (!ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) ||
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "?");
}

int device_names(char out[][LC_NAME_MAX + 1], size_t *out_n, const struct lc_addr *self,
                 const char *zone, const char *const *friendly, size_t n_friendly,
                 struct lc_err *err)
{
    char full[LC_NAME_MAX + 2];
    size_t n = 0;
    int rc;

    *out_n = 0;
    if (n_friendly + 1 > DEVICE_MAX_NAMES)
        return lc_fail(err, LC_E_TOO_MANY, "at most %d names, the hex name among them",
                       DEVICE_MAX_NAMES);
    if ((rc = name_encode(out[n], LC_NAME_MAX + 1, self, zone, err)) != LC_OK)
        return rc;
    n++;
    for (size_t i = 0; i < n_friendly; i++) {
        const char *f = friendly[i];
        size_t f_len = strlen(f);
        /* A bare label goes under the zone; a full name must already be in it. */
        int w = memchr(f, '.', f_len) ? snprintf(full, sizeof(full), "%s", f)
                                      : snprintf(full, sizeof(full), "%s.%s", f, zone);
        if (w < 0 || (size_t)w >= sizeof(full))
            return lc_fail(err, LC_E_MALFORMED, "name '%.40s' is too long", f);
        if ((rc = name_normalize(out[n], full, strlen(full), err)) != LC_OK)
            return lc_fail(err, LC_E_MALFORMED, "name '%.40s': %s", f, err ? err->msg : "");
        struct name_info info;
        name_classify(&info, out[n], zone, "");
        if (info.kind == NAME_OUTSIDE)
            return lc_fail(err, LC_E_ZONE, "'%.60s' is not in the zone %s", out[n], zone);
        bool dup = false;
        for (size_t j = 0; j < n; j++)
            dup = dup || strcmp(out[j], out[n]) == 0;
        if (!dup)
            n++;
    }
    *out_n = n;
    return LC_OK;
}

int device_csr_pem(char **out, EVP_PKEY *key, const char names[][LC_NAME_MAX + 1], size_t n_names,
                   struct lc_err *err)
{
    X509_REQ *req = X509_REQ_new();
    X509_NAME *subj = X509_NAME_new();
    GENERAL_NAMES *sans = sk_GENERAL_NAME_new_null();
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION *ext = NULL;
    BIO *bio = NULL;
    int rc = LC_E_CRYPTO;

    *out = NULL;
    if (n_names == 0) {
        rc = lc_fail(err, LC_E_USAGE, "a CSR needs a name");
        goto out;
    }
    if (!req || !subj || !sans || !exts)
        goto fail;
    for (size_t i = 0; i < n_names; i++) {
        GENERAL_NAME *gn = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        if (!gn || !s || !ASN1_STRING_set(s, names[i], (int)strlen(names[i]))) {
            GENERAL_NAME_free(gn);
            ASN1_IA5STRING_free(s);
            goto fail;
        }
        GENERAL_NAME_set0_value(gn, GEN_DNS, s);
        if (!sk_GENERAL_NAME_push(sans, gn)) {
            GENERAL_NAME_free(gn);
            goto fail;
        }
    }
    if (!X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC, (const unsigned char *)names[0], -1,
                                    -1, 0) ||
        !X509_REQ_set_version(req, 0) || !X509_REQ_set_subject_name(req, subj) ||
        !X509_REQ_set_pubkey(req, key) ||
        !(ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, sans)) ||
        !sk_X509_EXTENSION_push(exts, ext))
        goto fail;
    ext = NULL; /* the stack owns it */
    /* Ed25519 signs without a separate digest. */
    const EVP_MD *md = EVP_PKEY_is_a(key, "ED25519") ? NULL : EVP_sha256();
    if (!X509_REQ_add_extensions(req, exts) || !X509_REQ_sign(req, key, md) ||
        !(bio = BIO_new(BIO_s_mem())) || !PEM_write_bio_X509_REQ(bio, req))
        goto fail;
    rc = bio_take(out, NULL, bio, err);
    goto out;
fail:
    rc = lc_fail_openssl(err, LC_E_CRYPTO, "cannot make the CSR");
out:
    BIO_free(bio);
    X509_EXTENSION_free(ext);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    GENERAL_NAMES_free(sans);
    X509_NAME_free(subj);
    X509_REQ_free(req);
    return rc;
}

/* load_object parses untrusted JSON that must be one object. */
static json_t *load_object(const char *body, size_t len, const char *what, struct lc_err *err)
{
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        lc_fail(err, LC_E_MALFORMED, "the gateway's answer to %s is not a JSON object", what);
        return NULL;
    }
    return j;
}

int device_ca_parse(char out_zone[LC_NAME_MAX + 1], const char *body, size_t len,
                    struct lc_err *err)
{
    json_t *j = load_object(body, len, "GET ca", err);
    const char *zone = j ? json_string_value(json_object_get(j, "zone")) : NULL;
    int rc;
    if (!j)
        return LC_E_MALFORMED;
    if (!zone || name_normalize(out_zone, zone, strlen(zone), NULL) != LC_OK)
        rc = lc_fail(err, LC_E_MALFORMED, "the gateway's answer to GET ca has no valid zone");
    else
        rc = LC_OK;
    json_decref(j);
    return rc;
}

/* get_id reads a positive integer id. */
static bool get_id(int64_t *out, const json_t *j)
{
    json_t *id = json_object_get(j, "id");
    if (!json_is_integer(id) || json_integer_value(id) <= 0)
        return false;
    *out = (int64_t)json_integer_value(id);
    return true;
}

int device_pending_parse(int64_t *out_id, bool *out_pending, const char *body, size_t len,
                         struct lc_err *err)
{
    json_t *j = load_object(body, len, "enroll", err);
    const char *status = j ? json_string_value(json_object_get(j, "status")) : NULL;
    int rc = LC_OK;
    if (!j)
        return LC_E_MALFORMED;
    if (!get_id(out_id, j) || !status)
        rc = lc_fail(err, LC_E_MALFORMED, "the gateway's answer has no id or status");
    else if (strcmp(status, "pending") == 0)
        *out_pending = true;
    else if (strcmp(status, "active") == 0)
        *out_pending = false;
    else if (strcmp(status, "refused") == 0 || strcmp(status, "revoked") == 0)
        rc = lc_fail(err, LC_E_PERM, "the gateway's admin %s the request", status);
    else
        rc = lc_fail(err, LC_E_MALFORMED, "the gateway's answer has an unknown status");
    json_decref(j);
    return rc;
}

/* read_certs parses every certificate in |pem|, at most |max|; *out_n of
 * them go to |out| (the caller frees them). On failure none are kept. */
static int read_certs(X509 **out, size_t *out_n, size_t max, const char *pem, size_t len,
                      const char *what, struct lc_err *err)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    int rc = LC_OK;
    X509 *x;
    *out_n = 0;
    if (!bio)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
        if (*out_n == max) {
            X509_free(x);
            rc = lc_fail(err, LC_E_TOO_MANY, "the %s holds more than %zu certificates", what, max);
            goto out;
        }
        out[(*out_n)++] = x;
    }
    if (*out_n == 0)
        rc = lc_fail(err, LC_E_MALFORMED, "the %s holds no PEM certificate", what);
out:
    if (rc != LC_OK) {
        for (size_t i = 0; i < *out_n; i++)
            X509_free(out[i]);
        *out_n = 0;
    }
    ERR_clear_error(); /* the loop ends on "no start line" */
    BIO_free(bio);
    return rc;
}

/* copy_pem validates a PEM string member: present, under the cap, and only
 * printable ASCII and line breaks, so it is safe to write out as-is. */
static int copy_pem(char **out, const json_t *j, const char *key, struct lc_err *err)
{
    const char *s = json_string_value(json_object_get(j, key));
    size_t len = s ? json_string_length(json_object_get(j, key)) : 0;
    if (!s || len == 0)
        return lc_fail(err, LC_E_MALFORMED, "the gateway's answer has no %s", key);
    if (len > DEVICE_MAX_PEM)
        return lc_fail(err, LC_E_TOO_BIG, "the gateway's %s is over %d bytes", key,
                       DEVICE_MAX_PEM);
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 0x20 && s[i] < 0x7f) || s[i] == '\n' || s[i] == '\r'))
            return lc_fail(err, LC_E_MALFORMED, "the gateway's %s is not PEM text", key);
    if (!(*out = malloc(len + 2)))
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    memcpy(*out, s, len);
    /* Files end with a newline. */
    if (s[len - 1] != '\n')
        (*out)[len++] = '\n';
    (*out)[len] = '\0';
    return LC_OK;
}

static bool token_chars(const char *s, size_t len, size_t max, const char *allowed)
{
    if (!s || len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr(allowed, s[i]))
            return false;
    return true;
}

static int parse_update_key(struct device_update_key *k, const json_t *uk, struct lc_err *err)
{
    const json_t *jn = json_object_get(uk, "name"), *ja = json_object_get(uk, "algorithm"),
                 *js = json_object_get(uk, "secret");
    const char *n = json_string_value(jn), *a = json_string_value(ja), *s = json_string_value(js);
    if (!json_is_object(uk) || !n || name_normalize(k->name, n, json_string_length(jn), NULL) != LC_OK ||
        !token_chars(a, a ? json_string_length(ja) : 0, sizeof(k->algorithm) - 1, "-") ||
        !token_chars(s, s ? json_string_length(js) : 0, sizeof(k->secret) - 1, "+/="))
        return lc_fail(err, LC_E_MALFORMED, "the gateway's update_key is not a valid TSIG key");
    memcpy(k->algorithm, a, json_string_length(ja) + 1);
    memcpy(k->secret, s, json_string_length(js) + 1);
    return LC_OK;
}

int device_result_parse(struct device_result *out, const char *body, size_t len, EVP_PKEY *key,
                        struct lc_err *err)
{
    X509 *chain[DEVICE_MAX_CHAIN], *leaf[1];
    size_t n_chain = 0, n_leaf = 0;
    json_t *j, *names, *uk;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!(j = load_object(body, len, "the request", err)))
        return LC_E_MALFORMED;
    if (!get_id(&out->id, j)) {
        rc = lc_fail(err, LC_E_MALFORMED, "the gateway's answer has no device id");
        goto out;
    }
    if ((rc = copy_pem(&out->cert_pem, j, "certificate", err)) != LC_OK ||
        (rc = copy_pem(&out->chain_pem, j, "chain", err)) != LC_OK ||
        (rc = read_certs(leaf, &n_leaf, 1, out->cert_pem, strlen(out->cert_pem), "certificate",
                         err)) != LC_OK ||
        (rc = read_certs(chain, &n_chain, DEVICE_MAX_CHAIN, out->chain_pem,
                         strlen(out->chain_pem), "chain", err)) != LC_OK)
        goto out;
    out->cert = leaf[0];
    n_leaf = 0;
    /* A certificate for another key would be useless, or someone else's. */
    if (EVP_PKEY_eq(X509_get0_pubkey(out->cert), key) != 1) {
        rc = lc_fail(err, LC_E_SIGNATURE, "the gateway's certificate is not for this device's key");
        goto out;
    }
    names = json_object_get(j, "names");
    if (!json_is_array(names) || json_array_size(names) == 0 ||
        json_array_size(names) > DEVICE_MAX_NAMES) {
        rc = lc_fail(err, LC_E_MALFORMED, "the gateway's answer has no list of 1 to %d names",
                     DEVICE_MAX_NAMES);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(names); i++) {
        json_t *n = json_array_get(names, i);
        if (!json_is_string(n) ||
            name_normalize(out->names[i], json_string_value(n), json_string_length(n), NULL) != LC_OK) {
            rc = lc_fail(err, LC_E_MALFORMED, "the gateway's answer has a name that is not one");
            goto out;
        }
        out->n_names++;
    }
    uk = json_object_get(j, "update_key");
    if (uk && !json_is_null(uk)) {
        if ((rc = parse_update_key(&out->update_key, uk, err)) != LC_OK)
            goto out;
        out->has_update_key = true;
    }
    rc = LC_OK;
out:
    for (size_t i = 0; i < n_chain; i++)
        X509_free(chain[i]);
    if (n_leaf)
        X509_free(leaf[0]);
    json_decref(j);
    return rc;
}

void device_result_cleanup(struct device_result *r)
{
    X509_free(r->cert);
    free(r->cert_pem);
    free(r->chain_pem);
    OPENSSL_cleanse(&r->update_key, sizeof(r->update_key));
    memset(r, 0, sizeof(*r));
}

int device_update_key_format(char *out, size_t out_len, const struct device_update_key *k,
                             struct lc_err *err)
{
    int n = snprintf(out, out_len,
                     "# lancert update key: `nsupdate -k` reads this file (TSIG, RFC 8945);\n"
                     "# dyndns2 (/nic/update) takes the same name and secret:\n"
                     "# dyndns2-user: %s\n"
                     "# dyndns2-password: %s\n"
                     "key \"%s\" {\n"
                     "\talgorithm %s;\n"
                     "\tsecret \"%s\";\n"
                     "};\n",
                     k->name, k->secret, k->name, k->algorithm, k->secret);
    if (n < 0 || (size_t)n >= out_len)
        return lc_fail(err, LC_E_TOO_BIG, "the update key does not fit its file");
    return LC_OK;
}

int device_write(const char *dir, const char *name, const char *data, size_t len, unsigned mode,
                 struct lc_err *err)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path))
        return lc_fail(err, LC_E_USAGE, "the directory name is too long");
    return file_write_atomic(path, data, len, (mode_t)mode, 0, err);
}

int device_fingerprint_parse(uint8_t out[32], const char *text, struct lc_err *err)
{
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (*p == ':')
            continue;
        if (!isxdigit((unsigned char)*p) || n == 64)
            break;
        int v = isdigit((unsigned char)*p) ? *p - '0' : tolower((unsigned char)*p) - 'a' + 10;
        out[n / 2] = (uint8_t)(n % 2 ? (out[n / 2] | v) : v << 4);
        n++;
        if (p[1] == '\0' && n == 64)
            return LC_OK;
    }
    return lc_fail(err, LC_E_USAGE,
                   "--fingerprint needs the root's SHA-256: 64 hex digits, colons optional");
}

int device_fingerprint_check(const char *pem, size_t pem_len, const uint8_t want[32],
                             struct lc_err *err)
{
    unsigned char md[32];
    unsigned int md_len = 0;
    size_t n_certs = 0;
    X509 *cert[1];
    int rc;

    if ((rc = read_certs(cert, &n_certs, 1, pem, pem_len, "root file", err)) != LC_OK)
        return rc;
    rc = X509_digest(cert[0], EVP_sha256(), md, &md_len) && md_len == 32 ? LC_OK : LC_E_CRYPTO;
    X509_free(cert[0]);
    if (rc != LC_OK)
        return lc_fail_openssl(err, LC_E_CRYPTO, "cannot hash the root");
    if (CRYPTO_memcmp(md, want, sizeof(md)) != 0)
        return lc_fail(err, LC_E_SIGNATURE,
                       "the gateway's root does not have the SHA-256 fingerprint given; "
                       "someone may be in the middle");
    return LC_OK;
}
