/* test_ca.c — ca/: the root's profile, loading, CSR intake, policy, issuance
 * into the store, the intermediate CSR and import, the CRL, and the reason the
 * root is safe to trust: its name constraints, checked by OpenSSL itself on
 * leaves signed with the root key behind lancert's back. */
#include "ca/ca.h"
#include "ca/csr.h"
#include "ca/gateway.h"
#include "ca/issue.h"
#include "ca/policy.h"
#include "core/conf.h"
#include "store/store.h"

#include <sys/stat.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/sha.h>

#include "helpers.h"

#define DEFAULT_ALLOW "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7"

static char dir[PATH_MAX];
static struct ca_constraints cons;

static void setup(void)
{
    struct lc_err err = {LC_OK, ""};
    th_tmpdir(dir);
    memset(&cons, 0, sizeof(cons));
    snprintf(cons.zone, sizeof(cons.zone), "home.arpa");
    TH_OK(prefix_set_parse(&cons.allow, DEFAULT_ALLOW, strlen(DEFAULT_ALLOW), &err), err);
}

static void teardown(void)
{
    th_rmtree(dir);
}

/* ---- files and certificates ------------------------------------------------ */

static void state_file(char out[PATH_MAX], const char *file)
{
    th_path(out, dir, file);
}

static bool file_exists(const char *file)
{
    char path[PATH_MAX];
    struct stat st;
    state_file(path, file);
    return stat(path, &st) == 0;
}

/* slurp reads a state file into a new string (free). */
static char *slurp(const char *file, size_t *out_len)
{
    char path[PATH_MAX];
    FILE *f;
    BIO *bio = BIO_new(BIO_s_mem());
    char buf[4096];
    size_t n;
    state_file(path, file);
    ck_assert_ptr_nonnull(f = fopen(path, "rb"));
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        ck_assert_int_eq(BIO_write(bio, buf, (int)n), (int)n);
    fclose(f);
    char *text = th_bio_string(bio, out_len);
    BIO_free(bio);
    return text;
}

static X509 *cert_from_pem(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    ck_assert_ptr_nonnull(x);
    return x;
}

static X509 *read_cert(const char *file)
{
    char *pem = slurp(file, NULL);
    X509 *x = cert_from_pem(pem);
    free(pem);
    return x;
}

/* read_root_key reads ca.key as any program with file access could. */
static EVP_PKEY *read_root_key(void)
{
    char *pem = slurp(CA_KEY_FILE, NULL);
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    OPENSSL_cleanse(pem, strlen(pem));
    free(pem);
    ck_assert_ptr_nonnull(key);
    return key;
}

static void write_file(const char *file, const void *data, size_t len)
{
    char path[PATH_MAX];
    FILE *f;
    state_file(path, file);
    ck_assert_ptr_nonnull(f = fopen(path, "wb"));
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static void init_root(void)
{
    struct lc_err err = {LC_OK, ""};
    TH_OK(ca_init_root(dir, &cons, false, &err), err);
}

static struct ca *load_ca(void)
{
    struct ca *ca = NULL;
    struct lc_err err = {LC_OK, ""};
    TH_OK(ca_load(&ca, dir, &err), err);
    ck_assert_ptr_nonnull(ca);
    return ca;
}

/* verify_leaf runs OpenSSL's own path validation of |leaf| to the trust
 * anchor |anchor|, with |untrusted| (may be NULL) as intermediates. Returns
 * the X509_V_* result. */
static int verify_leaf(X509 *leaf, X509 *anchor, STACK_OF(X509) *untrusted)
{
    X509_STORE *trust = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    ck_assert(trust && ctx && X509_STORE_add_cert(trust, anchor) &&
              X509_STORE_CTX_init(ctx, trust, leaf, untrusted));
    int ok = X509_verify_cert(ctx);
    int result = X509_STORE_CTX_get_error(ctx);
    ck_assert_int_eq(ok == 1, result == X509_V_OK);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(trust);
    ERR_clear_error();
    return result;
}

static int ext_critical(X509 *x, int nid)
{
    int i = X509_get_ext_by_NID(x, nid, -1);
    ck_assert_msg(i >= 0, "no %s extension", OBJ_nid2sn(nid));
    ck_assert_int_lt(X509_get_ext_by_NID(x, nid, i), 0); /* only one */
    return X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

/* cert_days is the length of |x|'s validity in seconds. */
static long cert_seconds(X509 *x)
{
    int days = 0, secs = 0;
    ck_assert(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)));
    return (long)days * 86400 + secs;
}

static bool san_has(X509 *x, int type, const void *value, size_t len)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    bool found = false;
    for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
        int t;
        const ASN1_STRING *s = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(gens, i), &t);
        if (t == type && (size_t)ASN1_STRING_length(s) == len &&
            memcmp(ASN1_STRING_get0_data(s), value, len) == 0)
            found = true;
    }
    GENERAL_NAMES_free(gens);
    return found;
}

static bool san_has_dns(X509 *x, const char *name)
{
    return san_has(x, GEN_DNS, name, strlen(name));
}

static bool san_has_ip(X509 *x, const char *text)
{
    struct lc_addr a;
    ck_assert(addr_parse(&a, text, strlen(text)));
    return san_has(x, GEN_IPADD, a.b, addr_len(&a));
}

static int san_count(X509 *x)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int n = gens ? sk_GENERAL_NAME_num(gens) : 0;
    GENERAL_NAMES_free(gens);
    return n;
}

/* ---- certificates made by the test, behind lancert's back ----------------- */

/* sign_cert makes a certificate for |pubkey| and |subject| signed by
 * |issuer_key| (|issuer| NULL: self-signed), with the extensions written in
 * OpenSSL's config syntax (|bc|, |ku|: NULL to leave out) plus |extra| (an
 * extension that is copied; may be NULL), SKI and AKI. */
static X509 *sign_cert(X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *pubkey,
                       const X509_NAME *subject, const char *bc, const char *ku,
                       const X509_EXTENSION *extra, long days)
{
    static long serial = 1000;
    X509 *x = X509_new();
    X509V3_CTX v3;
    ck_assert_ptr_nonnull(x);
    ck_assert(X509_set_version(x, X509_VERSION_3) &&
              ASN1_INTEGER_set(X509_get_serialNumber(x), serial++) &&
              X509_set_subject_name(x, subject) &&
              X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subject) &&
              X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
              X509_gmtime_adj(X509_getm_notAfter(x), days * 86400) && X509_set_pubkey(x, pubkey));
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    const struct {
        int nid;
        const char *value;
    } exts[] = {
        {NID_basic_constraints, bc},
        {NID_key_usage, ku},
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, issuer ? "keyid:always" : NULL},
    };
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        if (!exts[i].value)
            continue;
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, exts[i].nid, exts[i].value);
        ck_assert_msg(ext && X509_add_ext(x, ext, -1), "extension %s", exts[i].value);
        X509_EXTENSION_free(ext);
    }
    if (extra)
        ck_assert(X509_add_ext(x, (X509_EXTENSION *)(uintptr_t)extra, -1));
    ck_assert(X509_sign(x, issuer_key, th_md(issuer_key)) > 0);
    return x;
}

static X509_NAME *name_cn(const char *cn)
{
    X509_NAME *name = X509_NAME_new();
    ck_assert(name && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                                 (const unsigned char *)cn, -1, -1, 0));
    return name;
}

/* forge_leaf signs a leaf for a fresh key with |issuer_key| directly: no
 * policy, no lancert. |cn| may be NULL. */
static X509 *forge_leaf(X509 *issuer, EVP_PKEY *issuer_key, const char *cn,
                        const char *const *dns, size_t n_dns, const char *const *ips,
                        size_t n_ips)
{
    EVP_PKEY *key = th_key_ec("P-256");
    X509_NAME *subject = cn ? name_cn(cn) : X509_NAME_new();
    X509 *x = X509_new();
    static long serial = 1;
    ck_assert(subject && x);
    ck_assert(X509_set_version(x, X509_VERSION_3) &&
              ASN1_INTEGER_set(X509_get_serialNumber(x), serial++) &&
              X509_set_subject_name(x, subject) &&
              X509_set_issuer_name(x, X509_get_subject_name(issuer)) &&
              X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
              X509_gmtime_adj(X509_getm_notAfter(x), 30 * 86400) && X509_set_pubkey(x, key));
    if (n_dns + n_ips > 0) {
        GENERAL_NAMES *gens = th_sans(dns, n_dns, ips, n_ips);
        ck_assert(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) == 1);
        GENERAL_NAMES_free(gens);
    }
    ck_assert(X509_sign(x, issuer_key, th_md(issuer_key)) > 0);
    X509_NAME_free(subject);
    EVP_PKEY_free(key);
    return x;
}

/* ---- the root -------------------------------------------------------------- */

START_TEST(test_root_profile)
{
    init_root();
    X509 *root = read_cert(CA_CERT_FILE);
    EVP_PKEY *pub = X509_get0_pubkey(root);
    char group[32] = "";
    int crit = -1;

    /* Self-signed, version 3, ECDSA P-256 with SHA-256. */
    ck_assert_int_eq(X509_get_version(root), X509_VERSION_3);
    ck_assert_int_eq(X509_check_issued(root, root), X509_V_OK);
    ck_assert_int_eq(X509_verify(root, pub), 1);
    ck_assert_int_eq(EVP_PKEY_get_base_id(pub), EVP_PKEY_EC);
    ck_assert(EVP_PKEY_get_utf8_string_param(pub, "group", group, sizeof(group), NULL));
    ck_assert_str_eq(group, "prime256v1");
    ck_assert_int_eq(X509_get_signature_nid(root), NID_ecdsa_with_SHA256);

    /* basicConstraints: critical, CA. */
    BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(root, NID_basic_constraints, &crit, NULL);
    ck_assert_ptr_nonnull(bc);
    ck_assert_int_eq(crit, 1);
    ck_assert(bc->ca);
    BASIC_CONSTRAINTS_free(bc);
    ck_assert_int_eq(X509_check_ca(root), 1);
    /* ...encoded in DER: TRUE is 0xff. OpenSSL reads 0x01 too, but Chrome's
     * parser rejects the whole root (test_browser.sh found it). */
    const ASN1_OCTET_STRING *bc_der =
        X509_EXTENSION_get_data(X509_get_ext(root, X509_get_ext_by_NID(root, NID_basic_constraints, -1)));
    static const unsigned char bc_want[] = {0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x00};
    ck_assert_int_eq(ASN1_STRING_length(bc_der), (int)sizeof(bc_want));
    ck_assert_mem_eq(ASN1_STRING_get0_data(bc_der), bc_want, sizeof(bc_want));

    /* keyUsage: critical, exactly keyCertSign and cRLSign. */
    ck_assert_int_eq(ext_critical(root, NID_key_usage), 1);
    ck_assert_uint_eq(X509_get_key_usage(root), KU_KEY_CERT_SIGN | KU_CRL_SIGN);

    /* nameConstraints: critical; permitted the zone and each range, as
     * address then mask (RFC 5280 4.2.1.10); nothing excluded. */
    NAME_CONSTRAINTS *nc = X509_get_ext_d2i(root, NID_name_constraints, &crit, NULL);
    ck_assert_ptr_nonnull(nc);
    ck_assert_int_eq(crit, 1);
    ck_assert_ptr_null(nc->excludedSubtrees);
    ck_assert_int_eq(sk_GENERAL_SUBTREE_num(nc->permittedSubtrees), 5);
    static const struct {
        int type;
        const char *value;
        int len;
    } want[] = {
        {GEN_DNS, "home.arpa", 9},
        {GEN_IPADD, "\x0a\x00\x00\x00\xff\x00\x00\x00", 8},
        {GEN_IPADD, "\xac\x10\x00\x00\xff\xf0\x00\x00", 8},
        {GEN_IPADD, "\xc0\xa8\x00\x00\xff\xff\x00\x00", 8},
        {GEN_IPADD, "\xfc\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                    "\xfe\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 32},
    };
    for (int i = 0; i < 5; i++) {
        GENERAL_SUBTREE *st = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i);
        int type;
        const ASN1_STRING *s = GENERAL_NAME_get0_value(st->base, &type);
        ck_assert_int_eq(type, want[i].type);
        ck_assert_int_eq(ASN1_STRING_length(s), want[i].len);
        ck_assert_mem_eq(ASN1_STRING_get0_data(s), want[i].value, (size_t)want[i].len);
        ck_assert_ptr_null(st->minimum);
        ck_assert_ptr_null(st->maximum);
    }
    NAME_CONSTRAINTS_free(nc);

    /* Ten years, starting an hour back for skewed clocks. */
    long secs = cert_seconds(root);
    ck_assert_int_ge(secs, (long)CA_ROOT_DAYS * 86400 + 3600 - 2);
    ck_assert_int_le(secs, (long)CA_ROOT_DAYS * 86400 + 3600 + 2);
    ck_assert_int_le(X509_cmp_current_time(X509_get0_notBefore(root)), 0);
    ck_assert_int_gt(X509_cmp_current_time(X509_get0_notAfter(root)), 0);

    /* A subject key identifier, and the zone in the name people see. */
    ck_assert_ptr_nonnull(X509_get0_subject_key_id(root));
    char subject[256];
    X509_NAME_oneline(X509_get_subject_name(root), subject, sizeof(subject));
    ck_assert_msg(strstr(subject, "home.arpa") != NULL, "%s", subject);

    /* The key file matches the certificate. */
    EVP_PKEY *key = read_root_key();
    ck_assert_int_eq(EVP_PKEY_eq(key, pub), 1);
    EVP_PKEY_free(key);
    X509_free(root);
}
END_TEST

START_TEST(test_root_files)
{
    char path[PATH_MAX];
    struct stat st;
    init_root();
    /* The key is exactly 0600 whatever the umask; the directory is private. */
    state_file(path, CA_KEY_FILE);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    state_file(path, CA_CERT_FILE);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 0022, 0);
    /* No temporary or half-installed file is left behind. */
    ck_assert(!file_exists(CA_KEY_FILE ".new"));
    ck_assert(!file_exists(CA_CERT_FILE ".new"));
    ck_assert(!file_exists(CA_CHAIN_FILE));

    /* Under a permissive umask the key is still 0600, in a new directory. */
    char sub[PATH_MAX];
    th_path(sub, dir, "state");
    mode_t old = umask(0);
    struct lc_err err = {LC_OK, ""};
    TH_OK(ca_init_root(sub, &cons, false, &err), err);
    umask(old);
    th_path(path, sub, CA_KEY_FILE);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(stat(sub, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0077, 0);
}
END_TEST

START_TEST(test_root_refuses_overwrite)
{
    struct lc_err err = {LC_OK, ""};
    size_t key_len, cert_len;
    init_root();
    char *key = slurp(CA_KEY_FILE, &key_len), *cert = slurp(CA_CERT_FILE, &cert_len);

    TH_FAILS(ca_init_root(dir, &cons, false, &err), LC_E_EXISTS, err);
    ck_assert_msg(strstr(err.msg, "force") != NULL, "%s", err.msg);
    size_t len;
    char *after = slurp(CA_KEY_FILE, &len);
    ck_assert(len == key_len && memcmp(after, key, len) == 0);
    free(after);
    after = slurp(CA_CERT_FILE, &len);
    ck_assert(len == cert_len && memcmp(after, cert, len) == 0);
    free(after);

    /* With force: a new key and root, and an old chain.pem goes. */
    write_file(CA_CHAIN_FILE, "stale", 5);
    TH_OK(ca_init_root(dir, &cons, true, &err), err);
    after = slurp(CA_KEY_FILE, &len);
    ck_assert(len != key_len || memcmp(after, key, len) != 0);
    free(after);
    ck_assert(!file_exists(CA_CHAIN_FILE));
    struct ca *ca = load_ca();
    ca_free(ca);

    OPENSSL_cleanse(key, key_len);
    free(key);
    free(cert);
}
END_TEST

/* ---- loading --------------------------------------------------------------- */

START_TEST(test_load)
{
    char fp[CA_FINGERPRINT_LEN], want[CA_FINGERPRINT_LEN];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned md_len;
    init_root();
    struct ca *ca = load_ca();
    ck_assert_ptr_eq(ca_anchor(ca), ca_cert(ca)); /* a root is its own anchor */

    /* The constraints read back are the ones written. */
    const struct ca_constraints *got = ca_get_constraints(ca);
    ck_assert_str_eq(got->zone, "home.arpa");
    ck_assert_uint_eq(got->allow.n_prefixes, cons.allow.n_prefixes);
    for (size_t i = 0; i < cons.allow.n_prefixes; i++) {
        ck_assert(addr_equal(&got->allow.prefixes[i].addr, &cons.allow.prefixes[i].addr));
        ck_assert_uint_eq(got->allow.prefixes[i].bits, cons.allow.prefixes[i].bits);
    }

    /* "AB:CD:..." over the SHA-256 of the DER. */
    ca_fingerprint(fp, ca_cert(ca));
    ck_assert(X509_digest(ca_cert(ca), EVP_sha256(), md, &md_len));
    for (unsigned i = 0; i < md_len; i++)
        snprintf(want + 3 * i, 4, i + 1 < md_len ? "%02X:" : "%02X", md[i]);
    ck_assert_str_eq(fp, want);
    ck_assert_uint_eq(strlen(fp), 95);
    ca_free(ca);
    ca_free(NULL);
}
END_TEST

START_TEST(test_load_other_constraints)
{
    /* Loopback and a host prefix, in a short zone: masks of /8 and /128. */
    struct lc_err err = {LC_OK, ""};
    static const char allow[] = "127.0.0.0/8 ::1/128 192.168.7.0/24";
    snprintf(cons.zone, sizeof(cons.zone), "lan");
    TH_OK(prefix_set_parse(&cons.allow, allow, strlen(allow), &err), err);
    init_root();
    struct ca *ca = load_ca();
    char text[128];
    prefix_set_format(text, sizeof(text), &ca_get_constraints(ca)->allow);
    ck_assert_str_eq(text, allow);
    ck_assert_str_eq(ca_get_constraints(ca)->zone, "lan");
    ca_free(ca);
}
END_TEST

START_TEST(test_load_refusals)
{
    struct ca *ca = NULL;
    struct lc_err err = {LC_OK, ""};
    size_t len;

    TH_FAILS(ca_load(&ca, dir, &err), LC_E_NOTFOUND, err);
    ck_assert_ptr_null(ca);

    init_root();
    char *key = slurp(CA_KEY_FILE, &len);

    /* A key that is not the certificate's. */
    EVP_PKEY *other = th_key_ec("P-256");
    BIO *bio = BIO_new(BIO_s_mem());
    ck_assert(bio && PEM_write_bio_PrivateKey(bio, other, NULL, NULL, 0, NULL, NULL));
    char *other_pem = th_bio_string(bio, NULL);
    BIO_free(bio);
    write_file(CA_KEY_FILE, other_pem, strlen(other_pem));
    TH_FAILS(ca_load(&ca, dir, &err), LC_E_CHAIN, err);
    ck_assert_ptr_null(ca);

    /* A key file that is not a key. */
    static const char not_a_key[] = "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                                    "-----END PRIVATE KEY-----\n";
    write_file(CA_KEY_FILE, not_a_key, strlen(not_a_key));
    TH_FAILS(ca_load(&ca, dir, &err), LC_E_MALFORMED, err);

    /* A certificate file with no certificate. */
    write_file(CA_KEY_FILE, key, len);
    write_file(CA_CERT_FILE, "nothing here\n", 13);
    TH_FAILS(ca_load(&ca, dir, &err), LC_E_MALFORMED, err);
    ck_assert_ptr_null(ca);

    OPENSSL_cleanse(key, len);
    free(key);
    free(other_pem);
    EVP_PKEY_free(other);
}
END_TEST

START_TEST(test_load_finishes_interrupted_install)
{
    /* ca_init_root writes ca.key.new and ca.pem.new, then renames them. A
     * crash between the renames leaves both .new files, or only the key. */
    char other[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
    struct lc_err err = {LC_OK, ""};
    init_root();
    X509 *old_root = read_cert(CA_CERT_FILE);
    th_path(other, dir, "other");
    TH_OK(ca_init_root(other, &cons, false, &err), err);

    /* Only the new key: the pair was never complete; the old CA stays. */
    th_path(from, other, CA_KEY_FILE);
    state_file(to, CA_KEY_FILE ".new");
    ck_assert_int_eq(link(from, to), 0);
    struct ca *ca = load_ca();
    ck_assert_int_eq(X509_cmp(ca_cert(ca), old_root), 0);
    ck_assert(!file_exists(CA_KEY_FILE ".new"));
    ca_free(ca);

    /* Both: the install is finished, and key and certificate match. */
    ck_assert_int_eq(link(from, to), 0);
    th_path(from, other, CA_CERT_FILE);
    state_file(to, CA_CERT_FILE ".new");
    ck_assert_int_eq(link(from, to), 0);
    ca = load_ca();
    ck_assert_int_ne(X509_cmp(ca_cert(ca), old_root), 0);
    ck_assert(!file_exists(CA_KEY_FILE ".new") && !file_exists(CA_CERT_FILE ".new"));
    ca_free(ca);
    X509_free(old_root);
}
END_TEST

/* ---- CSR intake ------------------------------------------------------------ */

static int parse(struct csr *out, const void *data, size_t len, struct lc_err *err)
{
    memset(out, 0, sizeof(*out));
    return csr_parse(out, data, len, err);
}

/* csr_refused asserts that |len| bytes are refused with |code| and that the
 * output was not filled in. */
static void csr_refused(const void *data, size_t len, enum lc_errc code)
{
    struct csr csr;
    struct lc_err err = {LC_OK, ""};
    int rc = parse(&csr, data, len, &err);
    ck_assert_msg(rc == (int)code, "expected %s, got %s (%s)", lc_errc_name(code),
                  lc_errc_name((enum lc_errc)rc), err.msg);
    ck_assert_int_eq(err.code, code);
    ck_assert(err.msg[0] != '\0');
    ck_assert_ptr_null(csr.pubkey);
    ck_assert_uint_eq(ERR_peek_error(), 0); /* OpenSSL's queue is left clean */
}

static void accepted(EVP_PKEY *key)
{
    static const char *const dns[] = {"printer.home.arpa", "printer"};
    static const char *const ips[] = {"192.168.1.23", "fd00::17"};
    X509_REQ *req = th_req_new(key, "ignored.home.arpa", dns, 2, ips, 2);
    size_t der_len, pem_len;
    uint8_t *der = th_req_der(req, &der_len);
    char *pem = th_req_pem(req, &pem_len);
    struct csr csr;
    struct lc_err err = {LC_OK, ""};
    uint8_t want_id[32];
    unsigned char *spki = NULL;
    int spki_len = i2d_PUBKEY(key, &spki);
    ck_assert_int_gt(spki_len, 0);
    SHA256(spki, (size_t)spki_len, want_id);

    for (int form = 0; form < 2; form++) {
        TH_OK(form == 0 ? parse(&csr, der, der_len, &err) : parse(&csr, pem, pem_len, &err), err);
        ck_assert_ptr_nonnull(csr.pubkey);
        ck_assert_int_eq(EVP_PKEY_eq(csr.pubkey, key), 1);
        ck_assert_mem_eq(csr.key_id, want_id, 32);
        /* SANs as given; the CN is not used when there are SANs. */
        ck_assert_uint_eq(csr.n_names, 2);
        ck_assert_str_eq(csr.names[0], "printer.home.arpa");
        ck_assert_str_eq(csr.names[1], "printer");
        ck_assert_uint_eq(csr.n_ips, 2);
        ck_assert_uint_eq(csr.ips[0].family, LC_AF_INET);
        ck_assert_uint_eq(csr.ips[1].family, LC_AF_INET6);
        csr_cleanup(&csr);
        ck_assert_ptr_null(csr.pubkey);
        csr_cleanup(&csr); /* twice is fine */
    }
    OPENSSL_free(spki);
    OPENSSL_free(der);
    free(pem);
    X509_REQ_free(req);
}

START_TEST(test_csr_accepted_keys)
{
    EVP_PKEY *keys[] = {th_key_ec("P-256"), th_key_ec("P-384"), th_key_rsa(2048),
                        th_key_ed25519()};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        accepted(keys[i]);
        EVP_PKEY_free(keys[i]);
    }
}
END_TEST

START_TEST(test_csr_cn_without_sans)
{
    EVP_PKEY *key = th_key_ec("P-256");
    size_t len;
    uint8_t *der = th_csr_der(key, "Printer.home.arpa", NULL, 0, NULL, 0, &len);
    struct csr csr;
    struct lc_err err = {LC_OK, ""};
    TH_OK(parse(&csr, der, len, &err), err);
    ck_assert_uint_eq(csr.n_names, 1);
    ck_assert_str_eq(csr.names[0], "Printer.home.arpa"); /* as given; policy lowercases */
    csr_cleanup(&csr);
    OPENSSL_free(der);

    /* No CN and no SANs: a CSR that names nothing still parses; policy
     * refuses it later. */
    der = th_csr_der(key, NULL, NULL, 0, NULL, 0, &len);
    TH_OK(parse(&csr, der, len, &err), err);
    ck_assert_uint_eq(csr.n_names + csr.n_ips, 0);
    csr_cleanup(&csr);
    OPENSSL_free(der);
    EVP_PKEY_free(key);
}
END_TEST

START_TEST(test_csr_refused_keys)
{
    static const char *const dns[] = {"printer.home.arpa"};
    EVP_PKEY *keys[] = {th_key_rsa(1024), th_key_ec("P-521"), th_key_ec("secp256k1"),
                        EVP_PKEY_Q_keygen(NULL, NULL, "ED448")};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        size_t len;
        ck_assert_ptr_nonnull(keys[i]);
        uint8_t *der = th_csr_der(keys[i], NULL, dns, 1, NULL, 0, &len);
        csr_refused(der, len, LC_E_KEY);
        OPENSSL_free(der);
        EVP_PKEY_free(keys[i]);
    }
}
END_TEST

START_TEST(test_csr_key_messages_say_why)
{
    static const char *const dns[] = {"printer.home.arpa"};
    struct csr csr;
    struct lc_err err = {LC_OK, ""};
    size_t len;
    EVP_PKEY *rsa = th_key_rsa(1024), *ec = th_key_ec("P-521");
    uint8_t *der = th_csr_der(rsa, NULL, dns, 1, NULL, 0, &len);
    TH_FAILS(parse(&csr, der, len, &err), LC_E_KEY, err);
    ck_assert_msg(strstr(err.msg, "1024") && strstr(err.msg, "2048"), "%s", err.msg);
    OPENSSL_free(der);
    der = th_csr_der(ec, NULL, dns, 1, NULL, 0, &len);
    TH_FAILS(parse(&csr, der, len, &err), LC_E_KEY, err);
    ck_assert_msg(strstr(err.msg, "secp521r1") && strstr(err.msg, "P-256"), "%s", err.msg);
    OPENSSL_free(der);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
}
END_TEST

START_TEST(test_csr_bad_signature)
{
    static const char *const dns[] = {"printer.home.arpa"};
    EVP_PKEY *keys[] = {th_key_ec("P-256"), th_key_rsa(2048), th_key_ed25519()};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        size_t len;
        uint8_t *der = th_csr_der(keys[i], NULL, dns, 1, NULL, 0, &len);

        /* A byte of the signature itself. */
        der[len - 1] ^= 0x01;
        csr_refused(der, len, LC_E_SIGNATURE);
        der[len - 1] ^= 0x01;

        /* A byte of what was signed: the name asked for. */
        uint8_t *p = memmem(der, len, "printer", 7);
        ck_assert_ptr_nonnull(p);
        *p = 'q';
        csr_refused(der, len, LC_E_SIGNATURE);
        *p = 'p';

        struct csr csr;
        struct lc_err err = {LC_OK, ""};
        TH_OK(parse(&csr, der, len, &err), err); /* restored, it is fine again */
        csr_cleanup(&csr);
        OPENSSL_free(der);
        EVP_PKEY_free(keys[i]);
    }
}
END_TEST

START_TEST(test_csr_signed_by_another_key)
{
    /* The public key says one thing, the signature was made by another. */
    static const char *const dns[] = {"printer.home.arpa"};
    EVP_PKEY *key = th_key_ec("P-256"), *other = th_key_ec("P-256");
    X509_REQ *req = th_req_new(key, NULL, dns, 1, NULL, 0);
    ck_assert(X509_REQ_sign(req, other, EVP_sha256()) > 0);
    size_t len;
    uint8_t *der = th_req_der(req, &len);
    csr_refused(der, len, LC_E_SIGNATURE);
    OPENSSL_free(der);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
}
END_TEST

START_TEST(test_csr_malformed)
{
    static const char *const dns[] = {"printer.home.arpa"};
    EVP_PKEY *key = th_key_ec("P-256");
    X509_REQ *req = th_req_new(key, NULL, dns, 1, NULL, 0);
    size_t der_len, pem_len;
    uint8_t *der = th_req_der(req, &der_len);
    char *pem = th_req_pem(req, &pem_len);

    csr_refused("", 0, LC_E_MALFORMED);
    csr_refused("\x30", 1, LC_E_MALFORMED);
    csr_refused("hello, world", 12, LC_E_MALFORMED);
    csr_refused("-----BEGIN", 10, LC_E_MALFORMED);
    static const char bad_pem[] = "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n"
                                  "-----END CERTIFICATE REQUEST-----\n";
    csr_refused(bad_pem, strlen(bad_pem), LC_E_MALFORMED);

    /* Every truncation of the DER. */
    for (size_t n = 0; n < der_len; n++)
        csr_refused(der, n, LC_E_MALFORMED);
    /* Every truncation of the PEM that loses part of its last line. */
    for (size_t n = 0; n + 2 < pem_len; n++)
        csr_refused(pem, n, LC_E_MALFORMED);

    /* A certificate is not a CSR, in either form. */
    X509 *x = sign_cert(NULL, key, key, X509_REQ_get_subject_name(req), "CA:FALSE", NULL, NULL, 1);
    char *cert_pem = th_x509_pem(x, NULL);
    csr_refused(cert_pem, strlen(cert_pem), LC_E_MALFORMED);
    uint8_t *cert_der = NULL;
    int cert_der_len = i2d_X509(x, &cert_der);
    ck_assert_int_gt(cert_der_len, 0);
    csr_refused(cert_der, (size_t)cert_der_len, LC_E_MALFORMED);

    OPENSSL_free(cert_der);
    free(cert_pem);
    X509_free(x);
    OPENSSL_free(der);
    free(pem);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
}
END_TEST

START_TEST(test_csr_trailing_garbage)
{
    static const char *const dns[] = {"printer.home.arpa"};
    EVP_PKEY *key = th_key_ec("P-256");
    size_t len;
    uint8_t *der = th_csr_der(key, NULL, dns, 1, NULL, 0, &len);
    uint8_t *longer = malloc(2 * len);
    ck_assert_ptr_nonnull(longer);

    /* One byte, a NUL, or a whole second CSR after the first: refused, so a
     * DER input means exactly one thing. */
    memcpy(longer, der, len);
    longer[len] = 0;
    csr_refused(longer, len + 1, LC_E_MALFORMED);
    longer[len] = 0x30;
    csr_refused(longer, len + 1, LC_E_MALFORMED);
    memcpy(longer + len, der, len);
    csr_refused(longer, 2 * len, LC_E_MALFORMED);

    free(longer);
    OPENSSL_free(der);
    EVP_PKEY_free(key);
}
END_TEST

START_TEST(test_csr_oversized)
{
    static const char *const dns[] = {"printer.home.arpa"};
    EVP_PKEY *key = th_key_ec("P-256");
    size_t pem_len;
    X509_REQ *req = th_req_new(key, NULL, dns, 1, NULL, 0);
    char *pem = th_req_pem(req, &pem_len);
    struct csr csr;
    struct lc_err err = {LC_OK, ""};

    /* A good PEM padded with blank lines to the limit parses; one byte more
     * is refused for its size before it is read. */
    char *big = malloc(CSR_MAX_LEN + 2);
    ck_assert_ptr_nonnull(big);
    memcpy(big, pem, pem_len);
    memset(big + pem_len, '\n', CSR_MAX_LEN + 2 - pem_len);
    TH_OK(parse(&csr, big, CSR_MAX_LEN, &err), err);
    csr_cleanup(&csr);
    csr_refused(big, CSR_MAX_LEN + 1, LC_E_TOO_BIG);
    TH_FAILS(parse(&csr, big, CSR_MAX_LEN + 1, &err), LC_E_TOO_BIG, err);
    ck_assert_msg(strstr(err.msg, "65537") != NULL, "%s", err.msg);

    /* A size far over the limit is refused without reading the bytes. */
    csr_refused(big, SIZE_MAX, LC_E_TOO_BIG);

    free(big);
    free(pem);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
}
END_TEST

START_TEST(test_csr_too_many_names)
{
    EVP_PKEY *key = th_key_ec("P-256");
    char names[CSR_MAX_NAMES + 1][32];
    const char *dns[CSR_MAX_NAMES + 1];
    static const char *const ips[] = {"192.168.1.1"};
    struct csr csr;
    struct lc_err err = {LC_OK, ""};
    size_t len;
    for (int i = 0; i <= CSR_MAX_NAMES; i++) {
        snprintf(names[i], sizeof(names[i]), "device%d.home.arpa", i);
        dns[i] = names[i];
    }
    /* 16 names are fine; 17 are too many, counting addresses too. */
    uint8_t *der = th_csr_der(key, NULL, dns, CSR_MAX_NAMES, NULL, 0, &len);
    TH_OK(parse(&csr, der, len, &err), err);
    ck_assert_uint_eq(csr.n_names, CSR_MAX_NAMES);
    csr_cleanup(&csr);
    OPENSSL_free(der);

    der = th_csr_der(key, NULL, dns, CSR_MAX_NAMES + 1, NULL, 0, &len);
    csr_refused(der, len, LC_E_TOO_MANY);
    OPENSSL_free(der);
    der = th_csr_der(key, NULL, dns, CSR_MAX_NAMES, ips, 1, &len);
    csr_refused(der, len, LC_E_TOO_MANY);
    OPENSSL_free(der);
    EVP_PKEY_free(key);
}
END_TEST

/* req_with_gens makes a signed CSR carrying |gens| as its subjectAltName,
 * |copies| times over. */
static uint8_t *req_with_gens(EVP_PKEY *key, GENERAL_NAMES *gens, int copies, size_t *out_len)
{
    X509_REQ *req = th_req_new(key, NULL, NULL, 0, NULL, 0);
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    ck_assert_ptr_nonnull(exts);
    for (int i = 0; i < copies; i++) {
        X509_EXTENSION *ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
        ck_assert(ext && sk_X509_EXTENSION_push(exts, ext));
    }
    ck_assert(X509_REQ_add_extensions(req, exts));
    ck_assert(X509_REQ_sign(req, key, th_md(key)) > 0);
    uint8_t *der = th_req_der(req, out_len);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_REQ_free(req);
    return der;
}

static GENERAL_NAMES *one_gen(int type, const void *value, int len)
{
    GENERAL_NAMES *gens = GENERAL_NAMES_new();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_STRING *s = type == GEN_IPADD ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
    ck_assert(gens && gn && s && ASN1_STRING_set(s, value, len));
    GENERAL_NAME_set0_value(gn, type, s);
    ck_assert(sk_GENERAL_NAME_push(gens, gn));
    return gens;
}

START_TEST(test_csr_hostile_names)
{
    EVP_PKEY *key = th_key_ec("P-256");
    size_t len;
    char long_name[300];
    static const struct {
        int type;
        const char *value;
        int len;
        enum lc_errc code;
    } cases[] = {
        {GEN_DNS, "printer.home.arpa\0.evil.com", 27, LC_E_MALFORMED}, /* embedded NUL */
        {GEN_DNS, "", 0, LC_E_MALFORMED},
        {GEN_IPADD, "\xc0\xa8\x01\x17\x00", 5, LC_E_MALFORMED},
        {GEN_IPADD, "", 0, LC_E_MALFORMED},
        {GEN_EMAIL, "root@home.arpa", 14, LC_E_ZONE},
        {GEN_URI, "https://printer.home.arpa/", 26, LC_E_ZONE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        GENERAL_NAMES *gens = one_gen(cases[i].type, cases[i].value, cases[i].len);
        uint8_t *der = req_with_gens(key, gens, 1, &len);
        csr_refused(der, len, cases[i].code);
        OPENSSL_free(der);
        GENERAL_NAMES_free(gens);
    }

    /* A dNSName over 253 bytes. */
    memset(long_name, 'a', sizeof(long_name));
    GENERAL_NAMES *gens = one_gen(GEN_DNS, long_name, 254);
    uint8_t *der = req_with_gens(key, gens, 1, &len);
    csr_refused(der, len, LC_E_MALFORMED);
    OPENSSL_free(der);
    GENERAL_NAMES_free(gens);

    /* A subjectAltName extension whose value is not GeneralNames. */
    X509_REQ *req = th_req_new(key, NULL, NULL, 0, NULL, 0);
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    ASN1_OCTET_STRING *junk = ASN1_OCTET_STRING_new();
    ck_assert(exts && junk &&
              ASN1_OCTET_STRING_set(junk, (const unsigned char *)"\x30\x03junk", 6));
    X509_EXTENSION *ext = X509_EXTENSION_create_by_NID(NULL, NID_subject_alt_name, 0, junk);
    ck_assert(ext && sk_X509_EXTENSION_push(exts, ext) && X509_REQ_add_extensions(req, exts));
    ck_assert(X509_REQ_sign(req, key, EVP_sha256()) > 0);
    der = th_req_der(req, &len);
    csr_refused(der, len, LC_E_MALFORMED);
    OPENSSL_free(der);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    ASN1_OCTET_STRING_free(junk);
    X509_REQ_free(req);

    /* Two subjectAltName extensions: which one would count? */
    gens = one_gen(GEN_DNS, "printer.home.arpa", 17);
    der = req_with_gens(key, gens, 2, &len);
    csr_refused(der, len, LC_E_MALFORMED);
    OPENSSL_free(der);
    GENERAL_NAMES_free(gens);
    EVP_PKEY_free(key);
}
END_TEST

/* ---- policy ---------------------------------------------------------------- */

static struct policy test_policy(void)
{
    struct policy p = {
        .zone = cons.zone,
        .allow = &cons.allow,
        .gateway_label = "gateway",
        .allow_gateway = false,
    };
    return p;
}

static int check(const struct policy *p, struct policy_names *out, const char *const *names,
                 size_t n_names, const char *const *ip_texts, size_t n_ips, struct lc_err *err)
{
    struct lc_addr ips[CA_MAX_NAMES + 2];
    ck_assert_uint_le(n_ips, CA_MAX_NAMES + 2);
    for (size_t i = 0; i < n_ips; i++)
        ck_assert(addr_parse(&ips[i], ip_texts[i], strlen(ip_texts[i])));
    memset(out, 0x5a, sizeof(*out));
    return policy_check(p, out, names, n_names, ips, n_ips, err);
}

static void policy_refused(const char *const *names, size_t n_names, const char *const *ips,
                           size_t n_ips, enum lc_errc code)
{
    struct policy p = test_policy();
    struct policy_names out, untouched;
    struct lc_err err = {LC_OK, ""};
    int rc = check(&p, &out, names, n_names, ips, n_ips, &err);
    ck_assert_msg(rc == (int)code, "%s: expected %s, got %s (%s)",
                  n_names ? names[0] : n_ips ? ips[0] : "(nothing)", lc_errc_name(code),
                  lc_errc_name((enum lc_errc)rc), err.msg);
    ck_assert_int_eq(err.code, code);
    ck_assert(err.msg[0] != '\0');
    memset(&untouched, 0x5a, sizeof(untouched));
    ck_assert_msg(memcmp(&out, &untouched, sizeof(out)) == 0, "a refusal filled the output");
}

START_TEST(test_policy_accepts)
{
    struct policy p = test_policy();
    struct policy_names out;
    struct lc_err err = {LC_OK, ""};

    /* A bare label is taken under the zone; case and a final dot go. */
    static const char *const friendly[] = {"printer", "Scanner.HOME.arpa."};
    TH_OK(check(&p, &out, friendly, 2, NULL, 0, &err), err);
    ck_assert_uint_eq(out.n_names, 2);
    ck_assert_str_eq(out.names[0], "printer.home.arpa");
    ck_assert_str_eq(out.names[1], "scanner.home.arpa");
    ck_assert(!out.is_hex[0] && !out.is_hex[1]);
    ck_assert_uint_eq(out.n_ips, 0);

    /* A hex name brings its address; an address brings its hex name; the
     * same address twice is one name and one address. */
    static const char *const hex[] = {"C0A80117.home.arpa", "fd000000000000000000000000000017"};
    static const char *const ips[] = {"192.168.1.23", "10.1.2.3"};
    TH_OK(check(&p, &out, hex, 2, ips, 2, &err), err);
    ck_assert_uint_eq(out.n_names, 3);
    ck_assert_str_eq(out.names[0], "c0a80117.home.arpa");
    ck_assert_str_eq(out.names[1], "fd000000000000000000000000000017.home.arpa");
    ck_assert_str_eq(out.names[2], "0a010203.home.arpa");
    ck_assert(out.is_hex[0] && out.is_hex[1] && out.is_hex[2]);
    ck_assert_uint_eq(out.n_ips, 3);
    char text[LC_ADDR_STRLEN];
    addr_format(text, &out.ips[1]);
    ck_assert_str_eq(text, "fd00::17");

    /* Duplicates in any spelling count once. */
    static const char *const dup[] = {"printer", "PRINTER.home.arpa", "printer.home.arpa."};
    TH_OK(check(&p, &out, dup, 3, NULL, 0, &err), err);
    ck_assert_uint_eq(out.n_names, 1);

    /* The gateway may have its own name when the caller says so. */
    static const char *const gw[] = {"gateway"};
    p.allow_gateway = true;
    TH_OK(check(&p, &out, gw, 1, NULL, 0, &err), err);
    ck_assert_str_eq(out.names[0], "gateway.home.arpa");
}
END_TEST

START_TEST(test_policy_limits)
{
    struct policy p = test_policy();
    struct policy_names out;
    struct lc_err err = {LC_OK, ""};
    char names[CA_MAX_NAMES + 1][16];
    const char *list[CA_MAX_NAMES + 1];
    static const char *const ip[] = {"192.168.1.1"};
    for (int i = 0; i <= CA_MAX_NAMES; i++) {
        snprintf(names[i], sizeof(names[i]), "device%d", i);
        list[i] = names[i];
    }
    TH_OK(check(&p, &out, list, CA_MAX_NAMES, NULL, 0, &err), err);
    ck_assert_uint_eq(out.n_names, CA_MAX_NAMES);
    policy_refused(list, CA_MAX_NAMES + 1, NULL, 0, LC_E_TOO_MANY);
    policy_refused(list, CA_MAX_NAMES, ip, 1, LC_E_TOO_MANY);
    policy_refused(NULL, 0, NULL, 0, LC_E_MALFORMED);

    /* 15 names and an address make 16 names with its hex name: fine. */
    TH_OK(check(&p, &out, list, CA_MAX_NAMES - 1, ip, 1, &err), err);
    ck_assert_uint_eq(out.n_names, CA_MAX_NAMES);
}
END_TEST

START_TEST(test_policy_refusals)
{
    static const struct {
        const char *name;
        enum lc_errc code;
    } cases[] = {
        {"evil.example.com", LC_E_ZONE},
        {"home.arpa.evil.com", LC_E_ZONE},
        {"evilhome.arpa", LC_E_ZONE},
        {"printer.lan", LC_E_ZONE},
        {"*.home.arpa", LC_E_WILDCARD},
        {"*", LC_E_WILDCARD},
        {"*.evil.com", LC_E_WILDCARD},
        {"08080808.home.arpa", LC_E_ADDRESS},   /* 8.8.8.8 */
        {"7f000001", LC_E_ADDRESS},             /* 127.0.0.1, not configured */
        {"20010db8000000000000000000000001.home.arpa", LC_E_ADDRESS},
        {"00000000000000000000000000000001.home.arpa", LC_E_ADDRESS}, /* ::1 */
        {"_x.home.arpa", LC_E_RESERVED},
        {"_x", LC_E_RESERVED},
        {"_lancert._tcp.home.arpa", LC_E_RESERVED},
        {"gateway.home.arpa", LC_E_RESERVED},
        {"gateway", LC_E_RESERVED},
        {"GATEWAY.home.arpa.", LC_E_RESERVED},
        {"home.arpa", LC_E_RESERVED},           /* the apex */
        {"www.printer.home.arpa", LC_E_RESERVED},
        {"00000000000000000000ffffc0a80117.home.arpa", LC_E_RESERVED}, /* v4-mapped */
        {"", LC_E_MALFORMED},
        {"printer..home.arpa", LC_E_MALFORMED},
        {"-printer", LC_E_MALFORMED},
        {"print er", LC_E_MALFORMED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *one[] = {cases[i].name};
        policy_refused(one, 1, NULL, 0, cases[i].code);
        /* A refusal anywhere in the list refuses the whole request. */
        const char *last[] = {"printer", "c0a80117", cases[i].name};
        policy_refused(last, 3, NULL, 0, cases[i].code);
    }

    /* A bare label too long to put under the zone. */
    char label[300];
    memset(label, 'a', sizeof(label) - 1);
    label[sizeof(label) - 1] = '\0';
    const char *too_long[] = {label};
    policy_refused(too_long, 1, NULL, 0, LC_E_MALFORMED);
    label[64] = '\0';
    policy_refused(too_long, 1, NULL, 0, LC_E_MALFORMED);
}
END_TEST

START_TEST(test_policy_addresses)
{
    static const char *const outside[] = {"8.8.8.8", "127.0.0.1", "::1", "2001:db8::1",
                                          "fe80::1", "172.32.0.1", "11.0.0.1", "0.0.0.0"};
    for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
        const char *one[] = {outside[i]};
        policy_refused(NULL, 0, one, 1, LC_E_ADDRESS);
    }
    const char *mixed[] = {"192.168.1.1", "8.8.8.8"};
    policy_refused(NULL, 0, mixed, 2, LC_E_ADDRESS);

    /* The message names the address. */
    struct policy p = test_policy();
    struct policy_names out;
    struct lc_err err = {LC_OK, ""};
    const char *one[] = {"8.8.8.8"};
    TH_FAILS(check(&p, &out, NULL, 0, one, 1, &err), LC_E_ADDRESS, err);
    ck_assert_msg(strstr(err.msg, "8.8.8.8") != NULL, "%s", err.msg);
}
END_TEST

/* The gateway's addresses: their hex names are the gateway's (reserved), by
 * name or by address, unless the caller is the gateway itself. */
START_TEST(test_policy_gateway_addresses)
{
    struct lc_addr gw[2];
    ck_assert(addr_parse(&gw[0], "192.168.1.1", strlen("192.168.1.1")));
    ck_assert(addr_parse(&gw[1], "fd00::1", strlen("fd00::1")));
    struct policy p = test_policy();
    p.gateway_addrs = gw;
    p.n_gateway_addrs = 2;
    struct policy_names out;
    struct lc_err err = {LC_OK, ""};
    static const char *const reserved[] = {"c0a80101", "C0A80101.home.arpa.",
                                           "fd000000000000000000000000000001.home.arpa"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        const char *one[] = {reserved[i]};
        TH_FAILS(check(&p, &out, one, 1, NULL, 0, &err), LC_E_RESERVED, err);
        ck_assert_msg(strstr(err.msg, "the gateway's own name") != NULL, "%s", err.msg);
        const char *with[] = {"printer", reserved[i]};
        TH_FAILS(check(&p, &out, with, 2, NULL, 0, &err), LC_E_RESERVED, err);
    }
    static const char *const ips[] = {"192.168.1.1", "fd00::1", "::ffff:192.168.1.1"};
    for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
        const char *one[] = {ips[i]};
        TH_FAILS(check(&p, &out, NULL, 0, one, 1, &err), LC_E_RESERVED, err);
    }
    /* Its neighbours are anyone's who shows the address. */
    static const char *const near[] = {"c0a80102", "fd000000000000000000000000000002.home.arpa"};
    TH_OK(check(&p, &out, near, 2, NULL, 0, &err), err);
    ck_assert_uint_eq(out.n_ips, 2);
    /* The gateway itself may have them. */
    p.allow_gateway = true;
    const char *mine[] = {"gateway", "c0a80101"};
    TH_OK(check(&p, &out, mine, 2, NULL, 0, &err), err);
    ck_assert_str_eq(out.names[1], "c0a80101.home.arpa");
}
END_TEST

/* ---- issuance -------------------------------------------------------------- */

struct issue_env {
    struct lc_conf conf;
    struct ca *ca;
    struct store *store;
    struct issuer is;
};

static void env_open(struct issue_env *env)
{
    struct lc_err err = {LC_OK, ""};
    conf_init(&env->conf);
    TH_OK(conf_set(&env->conf, "state_dir", dir, &err), err);
    env->ca = load_ca();
    TH_OK(store_open(&env->store, dir, &err), err);
    issuer_init(&env->is, env->ca, env->store, &env->conf);
}

static void env_close(struct issue_env *env)
{
    store_free(env->store);
    ca_free(env->ca);
}

/* issue runs one issuance of |csr| in its own transaction and commits it
 * when it succeeds. */
static int issue(struct issue_env *env, struct issue_result *out, const uint8_t *csr,
                 size_t csr_len, const char *const *names, size_t n_names, struct lc_err *err)
{
    struct issue_request req = {.csr = csr, .csr_len = csr_len, .names = names, .n_names = n_names};
    struct lc_err tx_err = {LC_OK, ""};
    memset(out, 0, sizeof(*out));
    TH_OK(store_begin(env->store, &tx_err), tx_err);
    int rc = issuer_issue(&env->is, out, &req, err);
    TH_OK(store_commit(env->store, &tx_err), tx_err);
    return rc;
}

static int64_t rows(struct issue_env *env, const char *table)
{
    int64_t n = -1;
    struct lc_err err = {LC_OK, ""};
    TH_OK(store_count(env->store, &n, table, &err), err);
    return n;
}

START_TEST(test_issue_end_to_end)
{
    struct issue_env env;
    struct issue_result r;
    struct lc_err err = {LC_OK, ""};
    static const char *const dns[] = {"printer", "c0a80117.home.arpa"};
    EVP_PKEY *key = th_key_ec("P-256");
    size_t len;
    init_root();
    env_open(&env);
    uint8_t *csr = th_csr_der(key, NULL, dns, 2, NULL, 0, &len);

    TH_OK(issue(&env, &r, csr, len, NULL, 0, &err), err);
    X509 *leaf = r.cert;
    ck_assert_ptr_nonnull(leaf);

    /* SPEC's leaf profile. */
    ck_assert_int_eq(X509_get_version(leaf), X509_VERSION_3);
    ck_assert_int_eq(EVP_PKEY_eq(X509_get0_pubkey(leaf), key), 1);
    ck_assert(san_has_dns(leaf, "printer.home.arpa"));
    ck_assert(san_has_dns(leaf, "c0a80117.home.arpa"));
    ck_assert(san_has_ip(leaf, "192.168.1.23"));
    ck_assert_int_eq(san_count(leaf), 3);
    ck_assert_int_eq(ext_critical(leaf, NID_basic_constraints), 1);
    ck_assert_int_eq(X509_check_ca(leaf), 0);
    ck_assert_int_eq(ext_critical(leaf, NID_key_usage), 1);
    ck_assert_uint_eq(X509_get_key_usage(leaf), KU_DIGITAL_SIGNATURE);
    ck_assert_uint_eq(X509_get_extended_key_usage(leaf), XKU_SSL_SERVER | XKU_SSL_CLIENT);
    ck_assert_int_eq(ext_critical(leaf, NID_subject_alt_name), 0);
    char cn[128] = "";
    ck_assert_int_gt(X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn,
                                               sizeof(cn)), 0);
    ck_assert_str_eq(cn, "printer.home.arpa");
    ck_assert_int_eq(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf),
                                           X509_get0_subject_key_id(ca_cert(env.ca))), 0);
    ck_assert_ptr_nonnull(X509_get0_subject_key_id(leaf));

    /* 90 days from five minutes back; the result says the same. */
    ck_assert_int_eq(cert_seconds(leaf), 90L * 86400 + 300);
    ck_assert_int_eq(r.not_after - r.not_before, 90L * 86400 + 300);
    ck_assert_int_le(r.not_before, (int64_t)time(NULL));

    /* A random 128-bit serial, the one in the result and in the store. */
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
    uint8_t serial[16];
    ck_assert_ptr_nonnull(bn);
    ck_assert_int_le(BN_num_bytes(bn), 16);
    ck_assert_int_eq(BN_bn2binpad(bn, serial, 16), 16);
    ck_assert_mem_eq(serial, r.serial, 16);
    BN_free(bn);

    /* The CRL distribution point on the gateway's HTTP port. */
    CRL_DIST_POINTS *dps = X509_get_ext_d2i(leaf, NID_crl_distribution_points, NULL, NULL);
    ck_assert_ptr_nonnull(dps);
    DIST_POINT *dp = sk_DIST_POINT_value(dps, 0);
    int type;
    GENERAL_NAME *gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0);
    const ASN1_STRING *uri = GENERAL_NAME_get0_value(gn, &type);
    ck_assert_int_eq(type, GEN_URI);
    ck_assert_str_eq((const char *)ASN1_STRING_get0_data(uri), "http://gateway.home.arpa:8080/crl");
    CRL_DIST_POINTS_free(dps);

    /* OpenSSL's own path validation accepts it under the root. */
    ck_assert_int_eq(verify_leaf(leaf, ca_cert(env.ca), NULL), X509_V_OK);
    ck_assert_int_eq(X509_check_host(leaf, "printer.home.arpa", 0, 0, NULL), 1);
    ck_assert_int_eq(X509_check_ip_asc(leaf, "192.168.1.23", 0), 1);

    /* Committed: the certificate, its device and both names. */
    struct store_cert row;
    TH_OK(store_cert_get(env.store, &row, r.serial, &err), err);
    uint8_t *der = NULL;
    int der_len = i2d_X509(leaf, &der);
    ck_assert_uint_eq(row.der_len, (size_t)der_len);
    ck_assert_mem_eq(row.der, der, row.der_len);
    ck_assert_int_eq(row.device_id, r.device_id);
    OPENSSL_free(der);
    free((void *)(uintptr_t)row.der);
    ck_assert_int_eq(rows(&env, "certs"), 1);
    ck_assert_int_eq(rows(&env, "devices"), 1);
    ck_assert_int_eq(rows(&env, "names"), 2);

    /* The same key renews: a new serial, the same device. */
    struct issue_result again;
    TH_OK(issue(&env, &again, csr, len, NULL, 0, &err), err);
    ck_assert_int_eq(again.device_id, r.device_id);
    ck_assert(memcmp(again.serial, r.serial, 16) != 0);
    ck_assert_int_eq(rows(&env, "certs"), 2);
    ck_assert_int_eq(rows(&env, "devices"), 1);

    issue_result_cleanup(&again);
    issue_result_cleanup(&r);
    ck_assert_ptr_null(r.cert);
    OPENSSL_free(csr);
    EVP_PKEY_free(key);
    env_close(&env);
}
END_TEST

/* renew runs one renewal for |device| within |current| names. */
static int renew(struct issue_env *env, struct issue_result *out, const uint8_t *csr,
                 size_t csr_len, int64_t device, const char *const *current, size_t n_current,
                 struct lc_err *err)
{
    struct issue_request req = {.csr = csr, .csr_len = csr_len, .device_id = device,
                                .renew_names = current, .n_renew_names = n_current};
    struct lc_err tx_err = {LC_OK, ""};
    memset(out, 0, sizeof(*out));
    TH_OK(store_begin(env->store, &tx_err), tx_err);
    int rc = issuer_issue(&env->is, out, &req, err);
    TH_OK(store_commit(env->store, &tx_err), tx_err);
    return rc;
}

START_TEST(test_issue_renewal)
{
    struct issue_env env;
    struct issue_result r, other, rn;
    struct lc_err err = {LC_OK, ""};
    static const char *const names[] = {"printer", "scanner"};
    static const char *const current[] = {"printer.home.arpa", "scanner.home.arpa"};
    static const char *const one[] = {"printer.home.arpa"};
    static const char *const wider[] = {"printer.home.arpa", "fax.home.arpa"};
    EVP_PKEY *k1 = th_key_ec("P-256"), *k2 = th_key_ec("P-256"), *k3 = th_key_ec("P-256");
    uint8_t *csr, key_id[32];
    size_t len;
    int64_t holder = 0, certs;
    init_root();
    env_open(&env);
    csr = th_csr_der(k1, "printer", NULL, 0, NULL, 0, &len);
    TH_OK(issue(&env, &r, csr, len, names, 2, &err), err);
    OPENSSL_free(csr);
    csr = th_csr_der(k3, "other", NULL, 0, NULL, 0, &len);
    TH_OK(issue(&env, &other, csr, len, (const char *const[]){"other"}, 1, &err), err);
    OPENSSL_free(csr);
    ck_assert_int_ne(r.device_id, other.device_id);

    /* A CSR without SANs (the CN is ignored) gets the current names; its new
     * key becomes the device's. */
    csr = th_csr_der(k2, "ignored", NULL, 0, NULL, 0, &len);
    TH_OK(renew(&env, &rn, csr, len, r.device_id, current, 2, &err), err);
    OPENSSL_free(csr);
    ck_assert_int_eq(rn.device_id, r.device_id);
    ck_assert(san_has_dns(rn.cert, "printer.home.arpa") && san_has_dns(rn.cert, "scanner.home.arpa"));
    ck_assert_int_eq(san_count(rn.cert), 2);
    TH_OK(csr_key_id(key_id, k2, &err), err);
    TH_OK(store_device_for_key(env.store, &holder, key_id, false, &err), err);
    ck_assert_int_eq(holder, r.device_id);
    ck_assert_int_eq(rows(&env, "devices"), 2);
    issue_result_cleanup(&rn);

    /* Fewer names are fine; more are refused and leave no trace. */
    csr = th_csr_der(k2, NULL, one, 1, NULL, 0, &len);
    TH_OK(renew(&env, &rn, csr, len, r.device_id, current, 2, &err), err);
    ck_assert_int_eq(san_count(rn.cert), 1);
    issue_result_cleanup(&rn);
    OPENSSL_free(csr);
    certs = rows(&env, "certs");
    csr = th_csr_der(k2, NULL, wider, 2, NULL, 0, &len);
    TH_FAILS(renew(&env, &rn, csr, len, r.device_id, current, 2, &err), LC_E_PERM, err);
    ck_assert_msg(strstr(err.msg, "fax.home.arpa") != NULL, "%s", err.msg);
    OPENSSL_free(csr);
    /* Another device's key: refused, nothing changes hands. */
    csr = th_csr_der(k3, NULL, one, 1, NULL, 0, &len);
    TH_FAILS(renew(&env, &rn, csr, len, r.device_id, current, 2, &err), LC_E_EXISTS, err);
    OPENSSL_free(csr);
    ck_assert_int_eq(rows(&env, "certs"), certs);
    TH_OK(csr_key_id(key_id, k3, &err), err);
    TH_OK(store_device_for_key(env.store, &holder, key_id, false, &err), err);
    ck_assert_int_eq(holder, other.device_id);

    issue_result_cleanup(&r);
    issue_result_cleanup(&other);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
    EVP_PKEY_free(k3);
    env_close(&env);
}
END_TEST

START_TEST(test_issue_rsa_and_ed25519)
{
    struct issue_env env;
    struct issue_result r;
    struct lc_err err = {LC_OK, ""};
    static const char *const rsa_names[] = {"nas"}, *const ed_names[] = {"camera"};
    EVP_PKEY *rsa = th_key_rsa(2048), *ed = th_key_ed25519();
    size_t len;
    init_root();
    env_open(&env);

    uint8_t *csr = th_csr_der(rsa, NULL, rsa_names, 1, NULL, 0, &len);
    TH_OK(issue(&env, &r, csr, len, NULL, 0, &err), err);
    /* RSA key transport needs keyEncipherment as well. */
    ck_assert_uint_eq(X509_get_key_usage(r.cert), KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
    ck_assert_int_eq(verify_leaf(r.cert, ca_cert(env.ca), NULL), X509_V_OK);
    issue_result_cleanup(&r);
    OPENSSL_free(csr);

    csr = th_csr_der(ed, NULL, ed_names, 1, NULL, 0, &len);
    TH_OK(issue(&env, &r, csr, len, NULL, 0, &err), err);
    ck_assert_uint_eq(X509_get_key_usage(r.cert), KU_DIGITAL_SIGNATURE);
    ck_assert_int_eq(verify_leaf(r.cert, ca_cert(env.ca), NULL), X509_V_OK);
    issue_result_cleanup(&r);
    OPENSSL_free(csr);

    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ed);
    env_close(&env);
}
END_TEST

/* EC keys are made from a cached group per curve: the certificate must still
 * carry the CSR's SubjectPublicKeyInfo byte for byte, in either point form,
 * and a point off the curve must be refused. */
START_TEST(test_issue_ec_point_forms)
{
    struct issue_env env;
    struct issue_result r;
    struct lc_err err = {LC_OK, ""};
    static const char *const names[][1] = {{"sensor1"}, {"sensor2"}, {"sensor3"}, {"sensor4"}};
    static const char *const curves[] = {"P-256", "P-384"}, *const forms[] = {"compressed", "uncompressed"};
    init_root();
    env_open(&env);
    for (size_t c = 0; c < 2; c++) {
        for (size_t f = 0; f < 2; f++) {
            EVP_PKEY *key = th_key_ec(curves[c]);
            unsigned char *want = NULL, *got = NULL;
            size_t len;
            ck_assert_int_eq(EVP_PKEY_set_utf8_string_param(key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                                            forms[f]), 1);
            int want_len = i2d_PUBKEY(key, &want);
            uint8_t *csr = th_csr_der(key, NULL, names[2 * c + f], 1, NULL, 0, &len);
            TH_OK(issue(&env, &r, csr, len, NULL, 0, &err), err);
            int got_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(r.cert), &got);
            ck_assert_int_eq(got_len, want_len);
            ck_assert_mem_eq(got, want, (size_t)want_len);
            ck_assert_int_eq(verify_leaf(r.cert, ca_cert(env.ca), NULL), X509_V_OK);
            issue_result_cleanup(&r);
            if (f == 1) {
                /* The last byte of y, changed: the point leaves the curve. */
                size_t point_len = c == 0 ? 65 : 97;
                uint8_t *point = NULL;
                for (size_t i = 0; i + point_len <= len && !point; i++)
                    if (memcmp(csr + i, want + want_len - point_len, point_len) == 0)
                        point = csr + i;
                ck_assert_ptr_nonnull(point);
                point[point_len - 1] ^= 1;
                csr_refused(csr, len, LC_E_KEY);
            }
            OPENSSL_free(csr);
            OPENSSL_free(want);
            OPENSSL_free(got);
            EVP_PKEY_free(key);
        }
    }
    env_close(&env);
}
END_TEST

START_TEST(test_issue_names_override_csr)
{
    struct issue_env env;
    struct issue_result r;
    struct lc_err err = {LC_OK, ""};
    static const char *const csr_names[] = {"evil.example.com"};
    static const char *const given[] = {"printer"};
    EVP_PKEY *key = th_key_ec("P-256");
    size_t len;
    init_root();
    env_open(&env);
    uint8_t *csr = th_csr_der(key, NULL, csr_names, 1, NULL, 0, &len);

    /* The admin's names replace what the CSR asks for. */
    TH_OK(issue(&env, &r, csr, len, given, 1, &err), err);
    ck_assert(san_has_dns(r.cert, "printer.home.arpa"));
    ck_assert(!san_has_dns(r.cert, "evil.example.com"));
    ck_assert_int_eq(san_count(r.cert), 1);
    issue_result_cleanup(&r);

    /* Without them, the CSR's own outside name is refused. */
    TH_FAILS(issue(&env, &r, csr, len, NULL, 0, &err), LC_E_ZONE, err);
    ck_assert_ptr_null(r.cert);
    OPENSSL_free(csr);
    EVP_PKEY_free(key);
    env_close(&env);
}
END_TEST

START_TEST(test_issue_long_names)
{
    /* Every name the policy accepts must be issuable: a 63-byte label under
     * the zone is 73 bytes, over X.509's 64-byte limit for a CN. */
    struct issue_env env;
    struct issue_result r;
    struct lc_err err = {LC_OK, ""};
    char label[LC_LABEL_MAX + 1], fqdn[LC_NAME_MAX + 1];
    const char *names[] = {label};
    EVP_PKEY *key = th_key_ec("P-256");
    size_t len;
    memset(label, 'p', LC_LABEL_MAX);
    label[LC_LABEL_MAX] = '\0';
    snprintf(fqdn, sizeof(fqdn), "%s.home.arpa", label);
    init_root();
    env_open(&env);
    uint8_t *csr = th_csr_der(key, NULL, names, 1, NULL, 0, &len);
    TH_OK(issue(&env, &r, csr, len, NULL, 0, &err), err);
    ck_assert(san_has_dns(r.cert, fqdn));
    /* No name fits a CN: the subject is empty and the SAN critical. */
    ck_assert_int_eq(X509_NAME_entry_count(X509_get_subject_name(r.cert)), 0);
    ck_assert_int_eq(ext_critical(r.cert, NID_subject_alt_name), 1);
    ck_assert_int_eq(verify_leaf(r.cert, ca_cert(env.ca), NULL), X509_V_OK);
    ck_assert_int_eq(X509_check_host(r.cert, fqdn, 0, 0, NULL), 1);
    issue_result_cleanup(&r);

    /* Where a shorter name comes along, it is the CN. */
    const char *two[] = {label, "c0a80117"};
    TH_OK(issue(&env, &r, csr, len, two, 2, &err), err);
    char cn[128] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(r.cert), NID_commonName, cn, sizeof(cn));
    ck_assert_str_eq(cn, "c0a80117.home.arpa");
    issue_result_cleanup(&r);
    OPENSSL_free(csr);
    EVP_PKEY_free(key);
    env_close(&env);
}
END_TEST

START_TEST(test_issue_refusals_leave_no_trace)
{
    struct issue_env env;
    struct issue_result r;
    struct lc_err err = {LC_OK, ""};
    static const char *const printer[] = {"printer"};
    EVP_PKEY *owner = th_key_ec("P-256"), *thief = th_key_ec("P-256"), *weak = th_key_rsa(1024);
    size_t len;
    init_root();
    env_open(&env);
    uint8_t *csr = th_csr_der(owner, NULL, printer, 1, NULL, 0, &len);
    TH_OK(issue(&env, &r, csr, len, NULL, 0, &err), err);
    issue_result_cleanup(&r);
    OPENSSL_free(csr);

    /* Another key asks for the held name: refused, and its device record,
     * made before the name was checked, is rolled back with it. */
    csr = th_csr_der(thief, NULL, printer, 1, NULL, 0, &len);
    TH_FAILS(issue(&env, &r, csr, len, NULL, 0, &err), LC_E_NAME_TAKEN, err);
    ck_assert_ptr_null(r.cert);
    ck_assert_int_eq(rows(&env, "devices"), 1);
    ck_assert_int_eq(rows(&env, "certs"), 1);
    ck_assert_int_eq(rows(&env, "names"), 1);

    /* A held name among free ones: none of the free ones is claimed. */
    static const char *const mixed[] = {"scanner", "c0a80101", "printer"};
    TH_FAILS(issue(&env, &r, csr, len, mixed, 3, &err), LC_E_NAME_TAKEN, err);
    ck_assert_int_eq(rows(&env, "names"), 1);
    ck_assert_int_eq(rows(&env, "devices"), 1);
    OPENSSL_free(csr);

    /* Each intake and policy refusal keeps its own code. */
    csr = th_csr_der(weak, NULL, printer, 1, NULL, 0, &len);
    TH_FAILS(issue(&env, &r, csr, len, NULL, 0, &err), LC_E_KEY, err);
    OPENSSL_free(csr);
    csr = th_csr_der(thief, NULL, printer, 1, NULL, 0, &len);
    csr[len - 1] ^= 1;
    TH_FAILS(issue(&env, &r, csr, len, NULL, 0, &err), LC_E_SIGNATURE, err);
    TH_FAILS(issue(&env, &r, csr, len - 1, NULL, 0, &err), LC_E_MALFORMED, err);
    OPENSSL_free(csr);
    static const char *const wild[] = {"*.home.arpa"}, *const far[] = {"08080808"};
    csr = th_csr_der(thief, NULL, wild, 1, NULL, 0, &len);
    TH_FAILS(issue(&env, &r, csr, len, NULL, 0, &err), LC_E_WILDCARD, err);
    TH_FAILS(issue(&env, &r, csr, len, far, 1, &err), LC_E_ADDRESS, err);
    OPENSSL_free(csr);

    ck_assert_int_eq(rows(&env, "devices"), 1);
    ck_assert_int_eq(rows(&env, "certs"), 1);
    ck_assert_int_eq(rows(&env, "names"), 1);
    TH_OK(store_integrity_check(env.store, &err), err);

    EVP_PKEY_free(owner);
    EVP_PKEY_free(thief);
    EVP_PKEY_free(weak);
    env_close(&env);
}
END_TEST

/* ---- the root's name constraints, against leaves lancert never made ------- */

START_TEST(test_constraints_hold_against_the_root_key)
{
    init_root();
    X509 *root = read_cert(CA_CERT_FILE);
    EVP_PKEY *root_key = read_root_key();
    static const char *const evil[] = {"evil.example.com"}, *const google[] = {"8.8.8.8"},
                             *const printer[] = {"printer.home.arpa"};

    /* A leaf for a name on the internet, signed with the root key: OpenSSL
     * refuses it, so a user who trusts this root trusts nothing outside. */
    X509 *leaf = forge_leaf(root, root_key, "evil.example.com", evil, 1, NULL, 0);
    ck_assert_int_eq(verify_leaf(leaf, root, NULL), X509_V_ERR_PERMITTED_VIOLATION);
    X509_free(leaf);

    /* An address on the internet likewise. */
    leaf = forge_leaf(root, root_key, NULL, NULL, 0, google, 1);
    ck_assert_int_eq(verify_leaf(leaf, root, NULL), X509_V_ERR_PERMITTED_VIOLATION);
    X509_free(leaf);

    /* The same signing, for a name in the zone, is accepted: the refusals
     * above come from the constraints and nothing else. */
    leaf = forge_leaf(root, root_key, "printer.home.arpa", printer, 1, NULL, 0);
    ck_assert_int_eq(verify_leaf(leaf, root, NULL), X509_V_OK);
    X509_free(leaf);

    EVP_PKEY_free(root_key);
    X509_free(root);
}
END_TEST

START_TEST(test_constraints_edges)
{
    init_root();
    X509 *root = read_cert(CA_CERT_FILE);
    EVP_PKEY *root_key = read_root_key();
    static const struct {
        const char *cn;
        const char *dns[2];
        size_t n_dns;
        const char *ips[2];
        size_t n_ips;
        int want;
    } cases[] = {
        /* Suffix tricks. */
        {NULL, {"evilhome.arpa"}, 1, {NULL}, 0, X509_V_ERR_PERMITTED_VIOLATION},
        {NULL, {"home.arpa.evil.com"}, 1, {NULL}, 0, X509_V_ERR_PERMITTED_VIOLATION},
        /* One outside name spoils a leaf with good ones. */
        {NULL, {"printer.home.arpa", "evil.example.com"}, 2, {NULL}, 0,
         X509_V_ERR_PERMITTED_VIOLATION},
        {NULL, {"printer.home.arpa"}, 1, {"8.8.8.8"}, 1, X509_V_ERR_PERMITTED_VIOLATION},
        /* Addresses just outside each range, and other families. */
        {NULL, {NULL}, 0, {"172.32.0.1"}, 1, X509_V_ERR_PERMITTED_VIOLATION},
        {NULL, {NULL}, 0, {"11.0.0.1"}, 1, X509_V_ERR_PERMITTED_VIOLATION},
        {NULL, {NULL}, 0, {"127.0.0.1"}, 1, X509_V_ERR_PERMITTED_VIOLATION},
        {NULL, {NULL}, 0, {"2001:db8::1"}, 1, X509_V_ERR_PERMITTED_VIOLATION},
        {NULL, {NULL}, 0, {"fe80::1"}, 1, X509_V_ERR_PERMITTED_VIOLATION},
        /* No SAN: OpenSSL checks a host-like CN against the DNS constraint. */
        {"evil.example.com", {NULL}, 0, {NULL}, 0, X509_V_ERR_PERMITTED_VIOLATION},
        /* Inside, for contrast: the zone, deeper names, each range. */
        {NULL, {"c0a80117.home.arpa"}, 1, {"192.168.1.23"}, 1, X509_V_OK},
        {NULL, {"deep.printer.home.arpa"}, 1, {NULL}, 0, X509_V_OK},
        {NULL, {NULL}, 0, {"10.255.255.255", "172.31.0.1"}, 2, X509_V_OK},
        {NULL, {NULL}, 0, {"fd00::17"}, 1, X509_V_OK},
        {"printer.home.arpa", {NULL}, 0, {NULL}, 0, X509_V_OK},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        X509 *leaf = forge_leaf(root, root_key, cases[i].cn, cases[i].dns, cases[i].n_dns,
                                cases[i].ips, cases[i].n_ips);
        int got = verify_leaf(leaf, root, NULL);
        ck_assert_msg(got == cases[i].want, "case %zu (%s): %s", i,
                      cases[i].n_dns ? cases[i].dns[cases[i].n_dns - 1]
                      : cases[i].n_ips ? cases[i].ips[0] : cases[i].cn,
                      X509_verify_cert_error_string(got));
        X509_free(leaf);
    }
    EVP_PKEY_free(root_key);
    X509_free(root);
}
END_TEST

START_TEST(test_root_cannot_make_a_ca)
{
    /* pathlen 0: a CA certificate signed with the root key (which would not
     * carry the constraints forward in its own name) does not verify. */
    init_root();
    X509 *root = read_cert(CA_CERT_FILE);
    EVP_PKEY *root_key = read_root_key(), *sub_key = th_key_ec("P-256");
    X509_NAME *name = name_cn("sub CA");
    X509 *sub = sign_cert(root, root_key, sub_key, name, "critical,CA:TRUE",
                          "critical,keyCertSign,cRLSign", NULL, 30);
    static const char *const printer[] = {"printer.home.arpa"};
    X509 *leaf = forge_leaf(sub, sub_key, NULL, printer, 1, NULL, 0);
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    ck_assert(untrusted && sk_X509_push(untrusted, sub));
    ck_assert_int_eq(verify_leaf(leaf, root, untrusted), X509_V_ERR_PATH_LENGTH_EXCEEDED);
    sk_X509_free(untrusted);
    X509_free(leaf);
    X509_free(sub);
    X509_NAME_free(name);
    EVP_PKEY_free(sub_key);
    EVP_PKEY_free(root_key);
    X509_free(root);
}
END_TEST

/* ---- the intermediate: ca_make_csr and ca_import --------------------------- */

struct enterprise {
    EVP_PKEY *key;
    X509 *root;
    X509_REQ *req;       /* the gateway's CSR */
    X509_EXTENSION *nc;  /* the name constraints the CSR asks for */
};

static void enterprise_init(struct enterprise *e)
{
    struct lc_err err = {LC_OK, ""};
    char *pem = NULL;
    X509_NAME *name = name_cn("Example Corp Root");
    e->key = th_key_ec("P-384");
    e->root = sign_cert(NULL, e->key, e->key, name, "critical,CA:TRUE",
                        "critical,keyCertSign,cRLSign", NULL, 365);
    X509_NAME_free(name);

    TH_OK(ca_make_csr(&pem, dir, &cons, &err), err);
    BIO *bio = BIO_new_mem_buf(pem, -1);
    e->req = bio ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    free(pem);
    ck_assert_ptr_nonnull(e->req);

    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(e->req);
    int i = X509v3_get_ext_by_NID(exts, NID_name_constraints, -1);
    ck_assert_int_ge(i, 0);
    e->nc = X509_EXTENSION_dup(X509v3_get_ext(exts, i));
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

static void enterprise_cleanup(struct enterprise *e)
{
    X509_EXTENSION_free(e->nc);
    X509_REQ_free(e->req);
    X509_free(e->root);
    EVP_PKEY_free(e->key);
}

/* intermediate signs a certificate for |pubkey| (the CSR's when NULL) with the
 * enterprise root, with the given extensions. */
static X509 *intermediate(struct enterprise *e, EVP_PKEY *pubkey, const char *bc, const char *ku,
                          const X509_EXTENSION *nc)
{
    return sign_cert(e->root, e->key, pubkey ? pubkey : X509_REQ_get0_pubkey(e->req),
                     X509_REQ_get_subject_name(e->req), bc, ku, nc, 365);
}

static int import(X509 *cert, X509 *chain, struct lc_err *err)
{
    char *cert_pem = th_x509_pem(cert, NULL);
    char *chain_pem = chain ? th_x509_pem(chain, NULL) : strdup("");
    int rc = ca_import(dir, cert_pem, strlen(cert_pem), chain_pem, strlen(chain_pem), err);
    free(cert_pem);
    free(chain_pem);
    return rc;
}

START_TEST(test_make_csr)
{
    struct enterprise e;
    char path[PATH_MAX];
    struct stat st;
    enterprise_init(&e);

    /* A key was made for it, 0600, and no certificate yet. */
    state_file(path, CA_KEY_FILE);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert(!file_exists(CA_CERT_FILE));

    /* The CSR is signed by that key and asks for the CA profile. */
    EVP_PKEY *key = read_root_key();
    ck_assert_int_eq(EVP_PKEY_eq(X509_REQ_get0_pubkey(e.req), key), 1);
    ck_assert_int_eq(X509_REQ_verify(e.req, key), 1);
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(e.req);
    int crit = -1;
    BASIC_CONSTRAINTS *bc = X509V3_get_d2i(exts, NID_basic_constraints, &crit, NULL);
    ck_assert(bc && bc->ca && crit == 1);
    BASIC_CONSTRAINTS_free(bc);
    ASN1_BIT_STRING *ku = X509V3_get_d2i(exts, NID_key_usage, &crit, NULL);
    ck_assert(ku && crit == 1 && ASN1_BIT_STRING_get_bit(ku, 5) && ASN1_BIT_STRING_get_bit(ku, 6));
    ASN1_BIT_STRING_free(ku);
    NAME_CONSTRAINTS *nc = X509V3_get_d2i(exts, NID_name_constraints, &crit, NULL);
    ck_assert(nc && crit == 1);
    ck_assert_int_eq(sk_GENERAL_SUBTREE_num(nc->permittedSubtrees), 5);
    NAME_CONSTRAINTS_free(nc);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);

    /* A second CSR reuses the key rather than replacing it. */
    char *pem = NULL;
    struct lc_err err = {LC_OK, ""};
    TH_OK(ca_make_csr(&pem, dir, &cons, &err), err);
    EVP_PKEY *again = read_root_key();
    ck_assert_int_eq(EVP_PKEY_eq(again, key), 1);
    free(pem);
    EVP_PKEY_free(again);
    EVP_PKEY_free(key);
    enterprise_cleanup(&e);
}
END_TEST

START_TEST(test_import_and_issue)
{
    struct enterprise e;
    struct lc_err err = {LC_OK, ""};
    enterprise_init(&e);
    X509 *inter = intermediate(&e, NULL, "critical,CA:TRUE", "critical,keyCertSign,cRLSign", e.nc);
    TH_OK(import(inter, e.root, &err), err);
    ck_assert(file_exists(CA_CHAIN_FILE));

    struct issue_env env;
    env_open(&env);
    ck_assert_int_eq(X509_cmp(ca_cert(env.ca), inter), 0);
    ck_assert_int_eq(X509_cmp(ca_anchor(env.ca), e.root), 0);
    ck_assert_str_eq(ca_get_constraints(env.ca)->zone, "home.arpa");

    /* A leaf issued now verifies against the enterprise root, through the
     * intermediate that ca_chain_pem hands out with it. */
    static const char *const names[] = {"printer", "c0a80117"};
    EVP_PKEY *key = th_key_ec("P-256");
    size_t len;
    uint8_t *csr = th_csr_der(key, NULL, names, 2, NULL, 0, &len);
    struct issue_result r;
    TH_OK(issue(&env, &r, csr, len, NULL, 0, &err), err);

    char *chain = NULL;
    size_t chain_len = 0;
    TH_OK(ca_chain_pem(&chain, &chain_len, env.ca, r.cert, &err), err);
    ck_assert_uint_eq(strlen(chain), chain_len);
    BIO *bio = BIO_new_mem_buf(chain, (int)chain_len);
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509 *x, *first = NULL;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (!first)
            first = x;
        else
            ck_assert(sk_X509_push(untrusted, x));
    }
    ERR_clear_error();
    BIO_free(bio);
    ck_assert_ptr_nonnull(first);
    ck_assert_int_eq(X509_cmp(first, r.cert), 0);
    ck_assert_int_eq(sk_X509_num(untrusted), 1); /* the intermediate; not the root */
    ck_assert_int_eq(X509_cmp(sk_X509_value(untrusted, 0), inter), 0);
    ck_assert_int_eq(verify_leaf(r.cert, e.root, untrusted), X509_V_OK);

    /* The intermediate carries the constraints below the enterprise root:
     * its key cannot vouch for a name outside the zone. */
    static const char *const evil[] = {"evil.example.com"};
    EVP_PKEY *inter_key = read_root_key();
    X509 *forged = forge_leaf(inter, inter_key, NULL, evil, 1, NULL, 0);
    ck_assert_int_eq(verify_leaf(forged, e.root, untrusted), X509_V_ERR_PERMITTED_VIOLATION);

    X509_free(forged);
    EVP_PKEY_free(inter_key);
    X509_free(first);
    sk_X509_pop_free(untrusted, X509_free);
    free(chain);
    issue_result_cleanup(&r);
    OPENSSL_free(csr);
    EVP_PKEY_free(key);
    env_close(&env);
    X509_free(inter);
    enterprise_cleanup(&e);
}
END_TEST

START_TEST(test_import_bundle)
{
    /* The chain may come behind the certificate in one PEM bundle. */
    struct enterprise e;
    struct lc_err err = {LC_OK, ""};
    enterprise_init(&e);
    X509 *inter = intermediate(&e, NULL, "critical,CA:TRUE", "critical,keyCertSign,cRLSign", e.nc);
    char *a = th_x509_pem(inter, NULL), *b = th_x509_pem(e.root, NULL);
    size_t la = strlen(a), lb = strlen(b);
    char *bundle = malloc(la + lb + 1);
    ck_assert_ptr_nonnull(bundle);
    memcpy(bundle, a, la);
    memcpy(bundle + la, b, lb + 1);
    TH_OK(ca_import(dir, bundle, la + lb, "", 0, &err), err);
    struct ca *ca = load_ca();
    ck_assert_int_eq(X509_cmp(ca_anchor(ca), e.root), 0);
    ca_free(ca);
    free(bundle);
    free(a);
    free(b);
    X509_free(inter);
    enterprise_cleanup(&e);
}
END_TEST

/* import_refused asserts a refusal with |code| that installs nothing. */
static void import_refused(X509 *cert, X509 *chain, enum lc_errc code)
{
    struct lc_err err = {LC_OK, ""};
    TH_FAILS(import(cert, chain, &err), code, err);
    ck_assert(!file_exists(CA_CERT_FILE));
    ck_assert(!file_exists(CA_CHAIN_FILE));
}

START_TEST(test_import_refusals)
{
    struct enterprise e;
    enterprise_init(&e);
    const char *bc = "critical,CA:TRUE", *ku = "critical,keyCertSign,cRLSign";

    /* Signed for a key that is not this gateway's. */
    EVP_PKEY *other = th_key_ec("P-256");
    X509 *x = intermediate(&e, other, bc, ku, e.nc);
    import_refused(x, e.root, LC_E_CHAIN);
    X509_free(x);

    /* Not a CA, or a CA that may not sign certificates. */
    x = intermediate(&e, NULL, "critical,CA:FALSE", ku, e.nc);
    import_refused(x, e.root, LC_E_CHAIN);
    X509_free(x);
    x = intermediate(&e, NULL, NULL, ku, e.nc);
    import_refused(x, e.root, LC_E_CHAIN);
    X509_free(x);
    x = intermediate(&e, NULL, bc, "critical,digitalSignature,cRLSign", e.nc);
    import_refused(x, e.root, LC_E_CHAIN);
    X509_free(x);

    /* Without the name constraints the CSR asked for. */
    x = intermediate(&e, NULL, bc, ku, NULL);
    import_refused(x, e.root, LC_E_CHAIN);
    X509_free(x);

    /* A good certificate with a broken chain: none, a root that did not
     * sign it, or a chain that does not end in a self-signed root. */
    X509 *good = intermediate(&e, NULL, bc, ku, e.nc);
    import_refused(good, NULL, LC_E_CHAIN);
    EVP_PKEY *stranger_key = th_key_ec("P-256");
    X509_NAME *name = X509_NAME_dup(X509_get_subject_name(e.root)); /* same name, other key */
    X509 *stranger = sign_cert(NULL, stranger_key, stranger_key, name, bc, ku, NULL, 365);
    import_refused(good, stranger, LC_E_CHAIN);
    import_refused(good, good, LC_E_CHAIN);

    /* Not even a certificate. */
    struct lc_err err = {LC_OK, ""};
    TH_FAILS(ca_import(dir, "junk", 4, "junk", 4, &err), LC_E_MALFORMED, err);
    ck_assert(!file_exists(CA_CERT_FILE));

    /* And after all that, the good pair still installs. */
    TH_OK(import(good, e.root, &err), err);

    X509_free(stranger);
    X509_NAME_free(name);
    EVP_PKEY_free(stranger_key);
    X509_free(good);
    EVP_PKEY_free(other);
    enterprise_cleanup(&e);
}
END_TEST

START_TEST(test_import_expired_chain)
{
    /* An intermediate whose validity is over does not verify. */
    struct enterprise e;
    enterprise_init(&e);
    X509 *x = intermediate(&e, NULL, "critical,CA:TRUE", "critical,keyCertSign,cRLSign", e.nc);
    ck_assert(X509_gmtime_adj(X509_getm_notBefore(x), -7200));
    ck_assert(X509_gmtime_adj(X509_getm_notAfter(x), -3600));
    ck_assert(X509_sign(x, e.key, EVP_sha256()) > 0);
    import_refused(x, e.root, LC_E_CHAIN);
    X509_free(x);
    enterprise_cleanup(&e);
}
END_TEST

/* ---- the CRL --------------------------------------------------------------- */

static bool crl_lists(X509_CRL *crl, const uint8_t serial[16], int *out_reason)
{
    STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(crl);
    for (int i = 0; i < sk_X509_REVOKED_num(revoked); i++) {
        X509_REVOKED *r = sk_X509_REVOKED_value(revoked, i);
        BIGNUM *bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(r), NULL);
        uint8_t got[16];
        ck_assert_ptr_nonnull(bn);
        bool same = BN_num_bytes(bn) <= 16 && BN_bn2binpad(bn, got, 16) == 16 &&
                    memcmp(got, serial, 16) == 0;
        BN_free(bn);
        if (same) {
            ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
            *out_reason = reason ? (int)ASN1_ENUMERATED_get(reason) : -1;
            ASN1_ENUMERATED_free(reason);
            return true;
        }
    }
    return false;
}

START_TEST(test_crl)
{
    struct ca_revoked revoked[2];
    uint8_t *der = NULL;
    size_t len = 0;
    struct lc_err err = {LC_OK, ""};
    int reason;
    init_root();
    struct ca *ca = load_ca();
    memset(revoked, 0, sizeof(revoked));
    memset(revoked[0].serial, 0x11, 16);
    revoked[0].revoked_at = (int64_t)time(NULL) - 60;
    revoked[0].reason = 1; /* keyCompromise */
    memset(revoked[1].serial, 0x22, 16);
    revoked[1].revoked_at = (int64_t)time(NULL) - 30;
    revoked[1].reason = 0; /* unspecified: no reason code entry (RFC 5280 5.3.1) */

    TH_OK(ca_crl(ca, &der, &len, revoked, 2, 7, 7, &err), err);
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    ck_assert_ptr_nonnull(crl);
    ck_assert_ptr_eq(p, der + len);
    ck_assert_int_eq(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
    ck_assert_int_eq(X509_CRL_verify(crl, X509_get0_pubkey(ca_cert(ca))), 1);
    ck_assert_int_eq(
        X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca_cert(ca))), 0);
    ck_assert(crl_lists(crl, revoked[0].serial, &reason));
    ck_assert_int_eq(reason, 1);
    ck_assert(crl_lists(crl, revoked[1].serial, &reason));
    ck_assert_int_eq(reason, -1);
    uint8_t absent[16];
    memset(absent, 0x33, 16);
    ck_assert(!crl_lists(crl, absent, &reason));

    ASN1_INTEGER *number = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
    ck_assert_ptr_nonnull(number);
    ck_assert_int_eq(ASN1_INTEGER_get(number), 7);
    ASN1_INTEGER_free(number);
    int days = 0, secs = 0;
    ck_assert(ASN1_TIME_diff(&days, &secs, X509_CRL_get0_lastUpdate(crl),
                             X509_CRL_get0_nextUpdate(crl)));
    ck_assert_int_eq(days, 7);
    X509_CRL_free(crl);
    OPENSSL_free(der);

    /* An empty CRL is a valid CRL. */
    TH_OK(ca_crl(ca, &der, &len, NULL, 0, 8, 7, &err), err);
    p = der;
    crl = d2i_X509_CRL(NULL, &p, (long)len);
    ck_assert_ptr_nonnull(crl);
    ck_assert_int_le(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 0); /* -1: none at all */
    X509_CRL_free(crl);
    OPENSSL_free(der);
    ca_free(ca);
}
END_TEST

START_TEST(test_issuer_crl_lists_revoked)
{
    struct issue_env env;
    struct issue_result kept, gone;
    struct lc_err err = {LC_OK, ""};
    static const char *const a[] = {"printer"}, *const b[] = {"scanner"};
    EVP_PKEY *key = th_key_ec("P-256");
    size_t len;
    int reason;
    init_root();
    env_open(&env);
    uint8_t *csr = th_csr_der(key, NULL, a, 1, NULL, 0, &len);
    TH_OK(issue(&env, &kept, csr, len, NULL, 0, &err), err);
    TH_OK(issue(&env, &gone, csr, len, b, 1, &err), err);
    TH_OK(store_cert_revoke(env.store, gone.serial, 4, (int64_t)time(NULL), &err), err);

    uint8_t *der = NULL;
    TH_OK(issuer_crl(&env.is, &der, &len, &err), err);
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    ck_assert_ptr_nonnull(crl);
    ck_assert_int_eq(X509_CRL_verify(crl, X509_get0_pubkey(ca_cert(env.ca))), 1);
    ck_assert_int_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 1);
    ck_assert(crl_lists(crl, gone.serial, &reason));
    ck_assert_int_eq(reason, 4); /* superseded */
    ck_assert(!crl_lists(crl, kept.serial, &reason));

    /* OpenSSL, checking the CRL, now refuses the revoked leaf. */
    X509_STORE *trust = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    ck_assert(trust && ctx && X509_STORE_add_cert(trust, ca_cert(env.ca)) &&
              X509_STORE_add_crl(trust, crl));
    X509_STORE_set_flags(trust, X509_V_FLAG_CRL_CHECK);
    ck_assert(X509_STORE_CTX_init(ctx, trust, gone.cert, NULL));
    ck_assert_int_ne(X509_verify_cert(ctx), 1);
    ck_assert_int_eq(X509_STORE_CTX_get_error(ctx), X509_V_ERR_CERT_REVOKED);
    X509_STORE_CTX_cleanup(ctx);
    ck_assert(X509_STORE_CTX_init(ctx, trust, kept.cert, NULL));
    ck_assert_int_eq(X509_verify_cert(ctx), 1);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(trust);
    ERR_clear_error();

    X509_CRL_free(crl);
    OPENSSL_free(der);
    issue_result_cleanup(&kept);
    issue_result_cleanup(&gone);
    OPENSSL_free(csr);
    EVP_PKEY_free(key);
    env_close(&env);
}
END_TEST

/* ---- the gateway's own certificate ------------------------------------------- */

static X509 *gateway_leaf(const struct gateway_cert *gc)
{
    BIO *bio = BIO_new_mem_buf(gc->chain_pem, (int)gc->chain_pem_len);
    X509 *leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    ck_assert_ptr_nonnull(leaf);
    return leaf;
}

static void refresh(struct issue_env *env, struct gateway_cert *gc, bool want_issued)
{
    struct lc_err err = {LC_OK, ""};
    bool issued = !want_issued;
    gateway_cert_cleanup(gc);
    TH_OK(gateway_cert_refresh(gc, &issued, &env->is, &env->conf, &err), err);
    ck_assert_msg(issued == want_issued, "issued %d, want %d", issued, want_issued);
}

START_TEST(test_gateway_cert)
{
    struct issue_env env;
    struct gateway_cert gc, first;
    struct lc_err err = {LC_OK, ""};
    struct store_name held;
    char path[PATH_MAX + 32];
    struct stat st;
    init_root();
    env_open(&env);
    TH_OK(conf_set(&env.conf, "https_listen", "192.168.1.1:8443 127.0.0.1:8443", &err), err);
    TH_OK(conf_finish(&env.conf, &err), err);
    issuer_init(&env.is, env.ca, env.store, &env.conf); /* as the daemon does, after the conf */
    memset(&gc, 0, sizeof(gc));
    memset(&first, 0, sizeof(first));

    /* First start: a new key and a leaf for the name, the hex name and the
     * address; 127.0.0.1 is outside the allowed ranges and left out. */
    refresh(&env, &gc, true);
    snprintf(path, sizeof(path), "%s/%s", dir, GATEWAY_KEY_FILE);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    X509 *leaf = gateway_leaf(&gc);
    ck_assert_int_eq(verify_leaf(leaf, ca_cert(env.ca), NULL), X509_V_OK);
    ck_assert_int_eq(X509_check_host(leaf, "gateway.home.arpa", 0, 0, NULL), 1);
    ck_assert_int_eq(X509_check_host(leaf, "c0a80101.home.arpa", 0, 0, NULL), 1);
    ck_assert_int_eq(X509_check_ip_asc(leaf, "192.168.1.1", 0), 1);
    ck_assert_int_ne(X509_check_ip_asc(leaf, "127.0.0.1", 0), 1);
    X509_free(leaf);
    ck_assert_int_eq(gc.not_after - gc.not_before, 90 * 86400 + 300);
    ck_assert(gc.renew_at > gc.not_before && gc.renew_at < gc.not_after);
    ck_assert_int_eq(rows(&env, "certs"), 1);
    /* The certificate is tied to no device and claims no name: its names
     * are the gateway's by configuration. */
    struct store_cert row;
    TH_OK(store_cert_get(env.store, &row, gc.serial, &err), err);
    ck_assert_int_eq(row.device_id, 0);
    free((void *)(uintptr_t)row.der);
    ck_assert_int_eq(rows(&env, "devices"), 0);
    ck_assert_int_eq(rows(&env, "names"), 0);
    TH_FAILS(store_name_get(env.store, &held, "gateway.home.arpa", &err), LC_E_NOTFOUND, err);
    TH_FAILS(store_name_get(env.store, &held, "c0a80101.home.arpa", &err), LC_E_NOTFOUND, err);

    /* A device can never have them, the hex name of the gateway's address
     * included: refused, and nothing stored. */
    struct issue_result dev;
    EVP_PKEY *dev_key = th_key_ec("P-256");
    size_t dev_len;
    static const char *const gw_hex[] = {"c0a80101.home.arpa"};
    uint8_t *dev_csr = th_csr_der(dev_key, NULL, gw_hex, 1, NULL, 0, &dev_len);
    TH_FAILS(issue(&env, &dev, dev_csr, dev_len, NULL, 0, &err), LC_E_RESERVED, err);
    static const char *const gw_name[] = {"gateway"};
    TH_FAILS(issue(&env, &dev, dev_csr, dev_len, gw_name, 1, &err), LC_E_RESERVED, err);
    ck_assert_int_eq(rows(&env, "devices"), 0);
    ck_assert_int_eq(rows(&env, "certs"), 1);

    /* Still good: kept as it is. */
    memcpy(first.serial, gc.serial, sizeof(gc.serial));
    refresh(&env, &gc, false);
    ck_assert_mem_eq(gc.serial, first.serial, sizeof(gc.serial));
    ck_assert_int_eq(rows(&env, "certs"), 1);

    /* A key others may read is replaced, with a fresh key. */
    ck_assert_int_eq(chmod(path, 0644), 0);
    char *old_key = strdup(gc.key_pem);
    refresh(&env, &gc, true);
    ck_assert_mem_ne(gc.serial, first.serial, sizeof(gc.serial));
    ck_assert_str_ne(gc.key_pem, old_key);
    free(old_key);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);

    /* Other addresses: a new certificate naming them. */
    TH_OK(conf_set(&env.conf, "gateway_address", "192.168.1.2", &err), err);
    refresh(&env, &gc, true);
    leaf = gateway_leaf(&gc);
    ck_assert_int_eq(X509_check_ip_asc(leaf, "192.168.1.2", 0), 1);
    ck_assert_int_ne(X509_check_ip_asc(leaf, "192.168.1.1", 0), 1);
    X509_free(leaf);

    /* A shorter configured life replaces a longer one; a tenth of it is back-dated. */
    TH_OK(conf_set(&env.conf, "gateway_cert_seconds", "60", &err), err);
    refresh(&env, &gc, true);
    ck_assert_int_eq(gc.not_after - gc.not_before, 66);
    ck_assert_int_eq(gc.renew_at, gc.not_before + 44);
    refresh(&env, &gc, false);

    /* A longer configured life keeps a shorter certificate until it is due. */
    TH_OK(conf_set(&env.conf, "gateway_cert_seconds", "600", &err), err);
    refresh(&env, &gc, false);

    /* A missing certificate file (a crash between the two writes) is replaced. */
    memcpy(first.serial, gc.serial, sizeof(gc.serial));
    snprintf(path, sizeof(path), "%s/%s", dir, GATEWAY_CERT_FILE);
    ck_assert_int_eq(unlink(path), 0);
    refresh(&env, &gc, true);
    ck_assert_mem_ne(gc.serial, first.serial, sizeof(gc.serial));
    /* Five certificates, five keys, and still no device, no name. */
    ck_assert_int_eq(rows(&env, "certs"), 5);
    ck_assert_int_eq(rows(&env, "devices"), 0);
    ck_assert_int_eq(rows(&env, "names"), 0);

    /* 192.168.1.1 is no longer the gateway's: a device there may have it. */
    issuer_init(&env.is, env.ca, env.store, &env.conf);
    struct issue_result later;
    TH_OK(issue(&env, &later, dev_csr, dev_len, NULL, 0, &err), err);
    ck_assert_int_ne(later.device_id, 0);
    issue_result_cleanup(&later);
    static const char *const new_hex[] = {"c0a80102"};
    TH_FAILS(issue(&env, &later, dev_csr, dev_len, new_hex, 1, &err), LC_E_RESERVED, err);
    OPENSSL_free(dev_csr);
    EVP_PKEY_free(dev_key);
    gateway_cert_cleanup(&gc);
    gateway_cert_cleanup(&gc); /* twice is fine */
    env_close(&env);
}
END_TEST

/* A store from an older lancertd: a device for each gateway key. */
START_TEST(test_gateway_release_devices)
{
    struct issue_env env;
    struct lc_err err = {LC_OK, ""};
    static const uint8_t der[] = {0x30, 0x00};
    static const uint8_t key_a[32] = {1}, key_b[32] = {2}, key_c[32] = {3};
    int64_t old_gw, mixed, plain, n = -1;
    struct store_cert c = {.not_before = 1, .not_after = 2, .der = der, .der_len = sizeof(der)};
    const char *gw_names[] = {"gateway.home.arpa", "c0a80101.home.arpa"};
    const char *dev_names[] = {"printer.home.arpa"};
    init_root();
    env_open(&env);
    TH_OK(store_begin(env.store, &err), err);
    /* Two certificates of two gateway keys, as older versions issued them. */
    TH_OK(store_device_for_key(env.store, &old_gw, key_a, true, &err), err);
    TH_OK(store_name_claim(env.store, gw_names[1], old_gw, true, &err), err);
    c.device_id = old_gw;
    c.serial[0] = 0x11;
    TH_OK(store_cert_put(env.store, &c, gw_names, 2, &err), err);
    c.serial[0] = 0x12;
    TH_OK(store_cert_put(env.store, &c, gw_names, 1, &err), err);
    /* A device with one certificate naming the gateway and another not. */
    TH_OK(store_device_for_key(env.store, &mixed, key_b, true, &err), err);
    c.device_id = mixed;
    c.serial[0] = 0x21;
    TH_OK(store_cert_put(env.store, &c, gw_names, 1, &err), err);
    c.serial[0] = 0x22;
    TH_OK(store_cert_put(env.store, &c, dev_names, 1, &err), err);
    /* A device that never had one. */
    TH_OK(store_device_for_key(env.store, &plain, key_c, true, &err), err);
    TH_OK(store_name_claim(env.store, dev_names[0], plain, false, &err), err);
    c.device_id = plain;
    c.serial[0] = 0x31;
    TH_OK(store_cert_put(env.store, &c, dev_names, 1, &err), err);
    TH_OK(store_commit(env.store, &err), err);

    TH_OK(gateway_release_devices(&n, env.store, &env.conf, &err), err);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(rows(&env, "devices"), 2);
    ck_assert_int_eq(rows(&env, "certs"), 5);
    struct store_cert row;
    static const uint8_t owners[][2] = {{0x11, 0}, {0x12, 0}, {0x21, 2}, {0x22, 2}, {0x31, 3}};
    const int64_t ids[] = {0, 0, mixed, plain};
    for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
        uint8_t serial[16] = {owners[i][0]};
        TH_OK(store_cert_get(env.store, &row, serial, &err), err);
        ck_assert_int_eq(row.device_id, ids[owners[i][1]]);
        free((void *)(uintptr_t)row.der);
    }
    struct store_name held;
    TH_FAILS(store_name_get(env.store, &held, gw_names[1], &err), LC_E_NOTFOUND, err);
    TH_OK(store_name_get(env.store, &held, dev_names[0], &err), err);
    ck_assert_int_eq(held.device_id, plain);

    /* Again: nothing left to do. */
    TH_OK(gateway_release_devices(&n, env.store, &env.conf, &err), err);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(rows(&env, "devices"), 2);
    env_close(&env);
}
END_TEST

static TCase *tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    /* Key generation and signing under the sanitizers take their time. */
    tcase_set_timeout(tc, 120);
    return tc;
}

static Suite *ca_suite(void)
{
    Suite *s = suite_create("ca");
    TCase *tc = tcase("root");
    tcase_add_test(tc, test_root_profile);
    tcase_add_test(tc, test_root_files);
    tcase_add_test(tc, test_root_refuses_overwrite);
    tcase_add_test(tc, test_load);
    tcase_add_test(tc, test_load_other_constraints);
    tcase_add_test(tc, test_load_refusals);
    tcase_add_test(tc, test_load_finishes_interrupted_install);
    suite_add_tcase(s, tc);

    tc = tcase("csr");
    tcase_add_test(tc, test_csr_accepted_keys);
    tcase_add_test(tc, test_csr_cn_without_sans);
    tcase_add_test(tc, test_csr_refused_keys);
    tcase_add_test(tc, test_csr_key_messages_say_why);
    tcase_add_test(tc, test_csr_bad_signature);
    tcase_add_test(tc, test_csr_signed_by_another_key);
    tcase_add_test(tc, test_csr_malformed);
    tcase_add_test(tc, test_csr_trailing_garbage);
    tcase_add_test(tc, test_csr_oversized);
    tcase_add_test(tc, test_csr_too_many_names);
    tcase_add_test(tc, test_csr_hostile_names);
    suite_add_tcase(s, tc);

    tc = tcase("policy");
    tcase_add_test(tc, test_policy_accepts);
    tcase_add_test(tc, test_policy_limits);
    tcase_add_test(tc, test_policy_refusals);
    tcase_add_test(tc, test_policy_addresses);
    tcase_add_test(tc, test_policy_gateway_addresses);
    suite_add_tcase(s, tc);

    tc = tcase("issue");
    tcase_add_test(tc, test_issue_end_to_end);
    tcase_add_test(tc, test_issue_rsa_and_ed25519);
    tcase_add_test(tc, test_issue_ec_point_forms);
    tcase_add_test(tc, test_issue_names_override_csr);
    tcase_add_test(tc, test_issue_long_names);
    tcase_add_test(tc, test_issue_refusals_leave_no_trace);
    tcase_add_test(tc, test_issue_renewal);
    tcase_add_test(tc, test_gateway_cert);
    tcase_add_test(tc, test_gateway_release_devices);
    suite_add_tcase(s, tc);

    tc = tcase("name_constraints");
    tcase_add_test(tc, test_constraints_hold_against_the_root_key);
    tcase_add_test(tc, test_constraints_edges);
    tcase_add_test(tc, test_root_cannot_make_a_ca);
    suite_add_tcase(s, tc);

    tc = tcase("intermediate");
    tcase_add_test(tc, test_make_csr);
    tcase_add_test(tc, test_import_and_issue);
    tcase_add_test(tc, test_import_bundle);
    tcase_add_test(tc, test_import_refusals);
    tcase_add_test(tc, test_import_expired_chain);
    suite_add_tcase(s, tc);

    tc = tcase("crl");
    tcase_add_test(tc, test_crl);
    tcase_add_test(tc, test_issuer_crl_lists_revoked);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(ca_suite());
}
