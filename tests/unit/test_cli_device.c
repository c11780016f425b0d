/* test_cli_device.c — the device side of `lancert enroll` and `renew` that
 * needs no server (src/cli/device.c): names, the CSR, the renewal JWS (verified
 * with libjose and ca/jws.c), the gateway's answers (good, malformed and hostile), the files
 * and their modes; client_status_err's handling of problem documents; and
 * the verbs' argument checks, which fail before any request is sent. */
#include "ca/csr.h"
#include "ca/jws.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/device.h"

#include <dirent.h>
#include <stdarg.h>
#include <sys/stat.h>

#include <jansson.h>
#include <jose/b64.h>
#include <jose/jws.h>
#include <jose/openssl.h>
#include <openssl/rand.h>

#include "core/file.h"
#include "helpers.h"

static char dir[PATH_MAX];

static void setup(void)
{
    th_tmpdir(dir);
}

static void teardown(void)
{
    th_rmtree(dir);
}

/* self_signed makes a certificate for |key|, signed by |key|, naming |dns|. */
static X509 *self_signed(EVP_PKEY *key, const char *dns)
{
    X509 *x = X509_new();
    ck_assert_ptr_nonnull(x);
    ck_assert(X509_set_version(x, 2));
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    ck_assert(X509_gmtime_adj(X509_getm_notBefore(x), 0));
    ck_assert(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
    X509_NAME *n = X509_get_subject_name(x);
    ck_assert(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)dns, -1, -1, 0));
    ck_assert(X509_set_issuer_name(x, n));
    ck_assert(X509_set_pubkey(x, key));
    const char *names[] = {dns};
    GENERAL_NAMES *gens = th_sans(names, 1, NULL, 0);
    ck_assert(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0));
    GENERAL_NAMES_free(gens);
    ck_assert(X509_sign(x, key, th_md(key)) > 0);
    return x;
}

static const struct lc_addr addr_127_0_0_5 = {LC_AF_INET, {127, 0, 0, 5}};

/* ---- names ------------------------------------------------------------------ */

START_TEST(test_names)
{
    char names[DEVICE_MAX_NAMES][LC_NAME_MAX + 1];
    size_t n = 0;
    struct lc_err err;
    const char *friendly[] = {"Printer", "printer.home.arpa", "nas.home.arpa."};
    TH_OK(device_names(names, &n, &addr_127_0_0_5, "home.arpa", friendly, 3, &err), err);
    ck_assert_uint_eq(n, 3); /* the duplicate is dropped */
    ck_assert_str_eq(names[0], "7f000005.home.arpa");
    ck_assert_str_eq(names[1], "printer.home.arpa");
    ck_assert_str_eq(names[2], "nas.home.arpa");

    struct lc_addr v6 = {LC_AF_INET6, {0xfd, [15] = 0x17}};
    TH_OK(device_names(names, &n, &v6, "lan", NULL, 0, &err), err);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(names[0], "fd000000000000000000000000000017.lan");

    const char *outside[] = {"www.example.com"};
    TH_FAILS(device_names(names, &n, &addr_127_0_0_5, "home.arpa", outside, 1, &err), LC_E_ZONE,
             err);
    const char *bad[] = {"under_score!"};
    TH_FAILS(device_names(names, &n, &addr_127_0_0_5, "home.arpa", bad, 1, &err), LC_E_MALFORMED,
             err);
    char longname[300];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    const char *toolong[] = {longname};
    TH_FAILS(device_names(names, &n, &addr_127_0_0_5, "home.arpa", toolong, 1, &err),
             LC_E_MALFORMED, err);
    const char *many[DEVICE_MAX_NAMES];
    for (size_t i = 0; i < DEVICE_MAX_NAMES; i++)
        many[i] = "a";
    TH_FAILS(device_names(names, &n, &addr_127_0_0_5, "home.arpa", many, DEVICE_MAX_NAMES, &err),
             LC_E_TOO_MANY, err);
}
END_TEST

/* ---- CSR ---------------------------------------------------------------------- */

START_TEST(test_csr)
{
    char names[2][LC_NAME_MAX + 1] = {"7f000005.home.arpa", "printer.home.arpa"};
    struct lc_err err;
    struct csr parsed;
    EVP_PKEY *key = NULL;
    char *pem = NULL;

    memset(&parsed, 0, sizeof(parsed));
    TH_OK(device_key_new(&key, &err), err);
    ck_assert(EVP_PKEY_is_a(key, "EC"));
    ck_assert_int_eq(EVP_PKEY_get_bits(key), 256);
    TH_OK(device_csr_pem(&pem, key, names, 2, &err), err);
    ck_assert_ptr_nonnull(strstr(pem, "-----BEGIN CERTIFICATE REQUEST-----"));
    /* The gateway's own parser accepts it: signature, key, names. */
    TH_OK(csr_parse(&parsed, (const uint8_t *)pem, strlen(pem), &err), err);
    ck_assert_uint_eq(parsed.n_names, 2);
    ck_assert_str_eq(parsed.names[0], "7f000005.home.arpa");
    ck_assert_str_eq(parsed.names[1], "printer.home.arpa");
    ck_assert_uint_eq(parsed.n_ips, 0);
    ck_assert_int_eq(EVP_PKEY_eq(parsed.pubkey, key), 1);
    csr_cleanup(&parsed);
    free(pem);
    pem = NULL;
    TH_FAILS(device_csr_pem(&pem, key, names, 0, &err), LC_E_USAGE, err);
    ck_assert_ptr_null(pem);
    EVP_PKEY_free(key);

    /* An Ed25519 key from --key signs without a digest. */
    key = th_key_ed25519();
    TH_OK(device_csr_pem(&pem, key, names, 1, &err), err);
    TH_OK(csr_parse(&parsed, (const uint8_t *)pem, strlen(pem), &err), err);
    csr_cleanup(&parsed);
    free(pem);
    EVP_PKEY_free(key);
}
END_TEST

/* ---- keys and certificates on disk ----------------------------------------------- */

START_TEST(test_key_files)
{
    char path[PATH_MAX], *pem = NULL;
    size_t len = 0;
    struct lc_err err;
    struct stat st;
    EVP_PKEY *key = NULL, *back = NULL;
    X509 *cert = NULL, *cert_back = NULL;

    TH_OK(device_key_new(&key, &err), err);
    TH_OK(device_key_pem(&pem, &len, key, &err), err);
    ck_assert_uint_eq(strlen(pem), len);
    TH_OK(device_write(dir, DEVICE_KEY_FILE, pem, len, 0600, &err), err);
    th_path(path, dir, DEVICE_KEY_FILE);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    TH_OK(device_key_load(&back, path, &err), err);
    ck_assert_int_eq(EVP_PKEY_eq(back, key), 1);
    EVP_PKEY_free(back);
    back = NULL;

    /* Replacing keeps the mode asked for, and leaves no temporary file. */
    TH_OK(device_write(dir, DEVICE_KEY_FILE, "x\n", 2, 0600, &err), err);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(st.st_size, 2);
    DIR *dp = opendir(dir);
    struct dirent *de;
    int n_files = 0;
    while ((de = readdir(dp)))
        n_files += de->d_name[0] != '.';
    closedir(dp);
    ck_assert_int_eq(n_files, 1);
    TH_FAILS(device_key_load(&back, path, &err), LC_E_MALFORMED, err);
    th_path(path, dir, "nothing.pem");
    ck_assert_int_ne(device_key_load(&back, path, &err), LC_OK);
    ck_assert_ptr_null(back);

    cert = self_signed(key, "7f000005.home.arpa");
    size_t cpem_len = 0;
    char *cpem = th_x509_pem(cert, &cpem_len);
    TH_OK(device_write(dir, DEVICE_CERT_FILE, cpem, cpem_len, 0644, &err), err);
    th_path(path, dir, DEVICE_CERT_FILE);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0644);
    TH_OK(device_cert_load(&cert_back, path, &err), err);
    ck_assert_int_eq(X509_cmp(cert, cert_back), 0);
    char names[DEVICE_MAX_NAMES][LC_NAME_MAX + 1];
    size_t n = 0;
    TH_OK(device_cert_names(names, &n, cert_back, &err), err);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(names[0], "7f000005.home.arpa");
    char until[32];
    device_cert_until(until, cert);
    ck_assert_uint_eq(strlen(until), 20);
    ck_assert_int_eq(until[19], 'Z');

    char toolong[PATH_MAX + 10];
    memset(toolong, 'd', sizeof(toolong) - 1);
    toolong[sizeof(toolong) - 1] = '\0';
    TH_FAILS(device_write(toolong, "f", "x", 1, 0600, &err), LC_E_USAGE, err);

    OPENSSL_cleanse(pem, len);
    free(pem);
    free(cpem);
    X509_free(cert);
    X509_free(cert_back);
    EVP_PKEY_free(key);
}
END_TEST

/* ---- JWS: what `lancert renew` sends (ca/jws.c's jws_sign) ------------------------------- */

static void check_jws(EVP_PKEY *key, const char *alg)
{
    struct lc_err err;
    char *text = NULL;
    X509 *cert = self_signed(key, "7f000005.home.arpa");
    json_t *payload = json_pack("{s:s}", "csr", "-----BEGIN CERTIFICATE REQUEST-----\n");

    TH_OK(jws_sign(&text, key, cert, payload, 1764072000, &err), err);
    json_t *jws = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    ck_assert_ptr_nonnull(jws);
    /* Flattened: exactly protected, payload, signature (RFC 7515 7.2.2). */
    ck_assert_uint_eq(json_object_size(jws), 3);
    ck_assert(json_is_string(json_object_get(jws, "protected")));
    ck_assert(json_is_string(json_object_get(jws, "payload")));
    ck_assert(json_is_string(json_object_get(jws, "signature")));

    /* It verifies with the public key of the certificate it carries. */
    json_t *hdr = jose_b64_dec_load(json_object_get(jws, "protected"));
    ck_assert_ptr_nonnull(hdr);
    ck_assert_str_eq(json_string_value(json_object_get(hdr, "alg")), alg);
    ck_assert_int_eq(json_integer_value(json_object_get(hdr, "iat")), 1764072000);
    const char *nonce = json_string_value(json_object_get(hdr, "nonce"));
    ck_assert(nonce && strlen(nonce) >= 16);
    json_t *x5c = json_object_get(hdr, "x5c");
    ck_assert(json_is_array(x5c) && json_array_size(x5c) == 1);
    const char *b64 = json_string_value(json_array_get(x5c, 0));
    unsigned char der[4096];
    int der_len = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)strlen(b64));
    ck_assert_int_gt(der_len, 0);
    const unsigned char *p = der;
    X509 *carried = d2i_X509(NULL, &p, der_len + 2); /* DecodeBlock counts padding */
    ck_assert_ptr_nonnull(carried);
    ck_assert_int_eq(X509_cmp(carried, cert), 0);
    json_t *pub = jose_openssl_jwk_from_EVP_PKEY(NULL, X509_get0_pubkey(carried));
    ck_assert_ptr_nonnull(pub);
    ck_assert(jose_jws_ver(NULL, jws, NULL, pub, true));

    json_t *back = jose_b64_dec_load(json_object_get(jws, "payload"));
    ck_assert(json_equal(back, payload));
    /* And the gateway's own check (ca/jws.c) takes it. */
    struct jws_verified v;
    memset(&v, 0, sizeof(v));
    TH_OK(jws_verify(&v, (const uint8_t *)text, strlen(text), 1764072000 + 10, &err), err);
    ck_assert_str_eq(v.alg, alg);
    ck_assert(json_equal(v.payload, payload));
    jws_verified_cleanup(&v);

    /* A different key does not verify it, nor does a changed payload. */
    EVP_PKEY *other = th_key_ec("P-256");
    json_t *other_jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, other);
    ck_assert(!jose_jws_ver(NULL, jws, NULL, other_jwk, true));
    json_object_set_new(jws, "payload", jose_b64_enc("{\"csr\":\"x\"}", 11));
    ck_assert(!jose_jws_ver(NULL, jws, NULL, pub, true));

    /* Two signatures have different nonces. */
    char *again = NULL;
    TH_OK(jws_sign(&again, key, cert, payload, 1764072000, &err), err);
    json_t *jws2 = json_loads(again, 0, NULL);
    json_t *hdr2 = jose_b64_dec_load(json_object_get(jws2, "protected"));
    ck_assert_str_ne(json_string_value(json_object_get(hdr2, "nonce")), nonce);

    json_decref(hdr2);
    json_decref(jws2);
    free(again);
    json_decref(other_jwk);
    EVP_PKEY_free(other);
    json_decref(back);
    json_decref(pub);
    X509_free(carried);
    json_decref(hdr);
    json_decref(jws);
    json_decref(payload);
    free(text);
    X509_free(cert);
}

START_TEST(test_jws_es256)
{
    EVP_PKEY *key = th_key_ec("P-256");
    check_jws(key, "ES256");
    EVP_PKEY_free(key);
}
END_TEST

/* ---- the gateway's answers ------------------------------------------------------------ */

static EVP_PKEY *ans_key;
static char *ans_cert, *ans_chain;

static void answers_setup(void)
{
    setup();
    ans_key = th_key_ec("P-256");
    X509 *leaf = self_signed(ans_key, "7f000005.home.arpa");
    EVP_PKEY *ca_key = th_key_ec("P-256");
    X509 *root = self_signed(ca_key, "home.arpa");
    ans_cert = th_x509_pem(leaf, NULL);
    ans_chain = th_x509_pem(root, NULL);
    X509_free(leaf);
    X509_free(root);
    EVP_PKEY_free(ca_key);
}

static void answers_teardown(void)
{
    EVP_PKEY_free(ans_key);
    free(ans_cert);
    free(ans_chain);
    teardown();
}

/* answer builds a 201 body, then lets |tweak| spoil one member. */
static char *answer(const char *key, json_t *value)
{
    json_t *j = json_pack("{s:i, s:s, s:[s, s], s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "id", 5,
                          "status", "active", "names", "7f000005.home.arpa", "printer.home.arpa",
                          "certificate", ans_cert, "chain", ans_chain, "not_after",
                          "2027-02-23T12:00:00Z", "renew_after", "2027-01-24T12:00:00Z",
                          "update_key", "name", "5.device.lancert", "algorithm", "hmac-sha256",
                          "secret", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0cw==");
    ck_assert_ptr_nonnull(j);
    if (key && value)
        json_object_set_new(j, key, value);
    else if (key)
        json_object_del(j, key);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

static int parse_answer(const char *key, json_t *value, struct lc_err *err)
{
    struct device_result r;
    char *body = answer(key, value);
    int rc = device_result_parse(&r, body, strlen(body), ans_key, err);
    device_result_cleanup(&r);
    free(body);
    return rc;
}

START_TEST(test_result_good)
{
    struct device_result r;
    struct lc_err err;
    char *body = answer(NULL, NULL);
    TH_OK(device_result_parse(&r, body, strlen(body), ans_key, &err), err);
    ck_assert_int_eq(r.id, 5);
    ck_assert_uint_eq(r.n_names, 2);
    ck_assert_str_eq(r.names[1], "printer.home.arpa");
    ck_assert_str_eq(r.cert_pem, ans_cert);
    ck_assert_str_eq(r.chain_pem, ans_chain);
    ck_assert(r.has_update_key);
    ck_assert_str_eq(r.update_key.name, "5.device.lancert");

    /* update.key: what nsupdate -k and dyndns2 need, and nothing broken. */
    char text[1024];
    TH_OK(device_update_key_format(text, sizeof(text), &r.update_key, &err), err);
    ck_assert_ptr_nonnull(strstr(text, "key \"5.device.lancert\" {\n"));
    ck_assert_ptr_nonnull(strstr(text, "\talgorithm hmac-sha256;\n"));
    ck_assert_ptr_nonnull(strstr(text, "\tsecret \"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0cw==\";\n"));
    ck_assert_ptr_nonnull(strstr(text, "# dyndns2-user: 5.device.lancert\n"));
    char small[40];
    TH_FAILS(device_update_key_format(small, sizeof(small), &r.update_key, &err), LC_E_TOO_BIG,
             err);
    device_result_cleanup(&r);
    ck_assert_ptr_null(r.cert);
    free(body);

    /* Renewal's answer has no update_key; a PEM without its last newline gets one. */
    size_t n = strlen(ans_cert);
    char *trimmed = strdup(ans_cert);
    trimmed[n - 1] = '\0';
    body = answer("update_key", NULL);
    json_t *j = json_loads(body, 0, NULL);
    json_object_set_new(j, "certificate", json_string(trimmed));
    free(body);
    body = json_dumps(j, 0);
    TH_OK(device_result_parse(&r, body, strlen(body), ans_key, &err), err);
    ck_assert(!r.has_update_key);
    ck_assert_str_eq(r.cert_pem, ans_cert);
    device_result_cleanup(&r);
    json_decref(j);
    free(trimmed);
    free(body);
}
END_TEST

START_TEST(test_result_hostile)
{
    struct device_result r;
    struct lc_err err;
    static const char *const not_objects[] = {"", "null", "[]", "\"x\"", "{", "{\"id\":1,\"id\":2}",
                                              "{\"id\":1}\x01"};
    for (size_t i = 0; i < sizeof(not_objects) / sizeof(not_objects[0]); i++) {
        ck_assert_int_eq(device_result_parse(&r, not_objects[i], strlen(not_objects[i]), ans_key, &err),
                         LC_E_MALFORMED);
        device_result_cleanup(&r);
    }
    TH_FAILS(parse_answer("id", NULL, &err), LC_E_MALFORMED, err);
    TH_FAILS(parse_answer("id", json_integer(-1), &err), LC_E_MALFORMED, err);
    TH_FAILS(parse_answer("id", json_string("5"), &err), LC_E_MALFORMED, err);
    TH_FAILS(parse_answer("certificate", NULL, &err), LC_E_MALFORMED, err);
    TH_FAILS(parse_answer("certificate", json_integer(1), &err), LC_E_MALFORMED, err);
    TH_FAILS(parse_answer("certificate", json_string("not PEM\n"), &err), LC_E_MALFORMED, err);
    TH_FAILS(parse_answer("certificate", json_string("\x1b]0;owned\x07"), &err), LC_E_MALFORMED,
             err);
    TH_FAILS(parse_answer("chain", json_string(""), &err), LC_E_MALFORMED, err);
    /* A certificate for someone else's key. */
    EVP_PKEY *other = th_key_ec("P-256");
    X509 *x = self_signed(other, "7f000005.home.arpa");
    char *pem = th_x509_pem(x, NULL);
    TH_FAILS(parse_answer("certificate", json_string(pem), &err), LC_E_SIGNATURE, err);
    free(pem);
    X509_free(x);
    EVP_PKEY_free(other);
    /* Two certificates where one is wanted; too long a chain. */
    char *two = malloc(2 * strlen(ans_cert) + 1);
    strcpy(two, ans_cert);
    strcat(two, ans_cert);
    TH_FAILS(parse_answer("certificate", json_string(two), &err), LC_E_TOO_MANY, err);
    free(two);
    char *nine = calloc(1, 9 * strlen(ans_chain) + 1);
    for (int i = 0; i < 9; i++)
        strcat(nine, ans_chain);
    TH_FAILS(parse_answer("chain", json_string(nine), &err), LC_E_TOO_MANY, err);
    free(nine);
    /* Over the size cap. */
    char *huge = malloc(DEVICE_MAX_PEM + 2);
    memset(huge, 'A', DEVICE_MAX_PEM + 1);
    huge[DEVICE_MAX_PEM + 1] = '\0';
    TH_FAILS(parse_answer("chain", json_string(huge), &err), LC_E_TOO_BIG, err);
    free(huge);
    /* Names: missing, empty, not names, too many. */
    TH_FAILS(parse_answer("names", NULL, &err), LC_E_MALFORMED, err);
    TH_FAILS(parse_answer("names", json_array(), &err), LC_E_MALFORMED, err);
    TH_FAILS(parse_answer("names", json_pack("[i]", 1), &err), LC_E_MALFORMED, err);
    TH_FAILS(parse_answer("names", json_pack("[s]", "bad name\n"), &err), LC_E_MALFORMED, err);
    json_t *many = json_array();
    for (int i = 0; i <= DEVICE_MAX_NAMES; i++)
        json_array_append_new(many, json_string("a.home.arpa"));
    TH_FAILS(parse_answer("names", many, &err), LC_E_MALFORMED, err);
    /* update_key that would break the key file or the nsupdate syntax. */
    TH_FAILS(parse_answer("update_key", json_string("x"), &err), LC_E_MALFORMED, err);
    TH_FAILS(parse_answer("update_key",
                          json_pack("{s:s, s:s, s:s}", "name", "5.device.lancert", "algorithm",
                                    "hmac-sha256", "secret", "abc\";}; key \"x"),
                          &err),
             LC_E_MALFORMED, err);
    TH_FAILS(parse_answer("update_key",
                          json_pack("{s:s, s:s, s:s}", "name", "a\"b", "algorithm", "hmac-sha256",
                                    "secret", "abc="),
                          &err),
             LC_E_MALFORMED, err);
    TH_FAILS(parse_answer("update_key",
                          json_pack("{s:s, s:s, s:s}", "name", "5.device.lancert", "algorithm",
                                    "hmac sha256;", "secret", "abc="),
                          &err),
             LC_E_MALFORMED, err);
    TH_FAILS(parse_answer("update_key", json_pack("{s:s, s:s}", "name", "5.device.lancert",
                                                  "algorithm", "hmac-sha256"),
                          &err),
             LC_E_MALFORMED, err);
    char longsecret[200];
    memset(longsecret, 'A', sizeof(longsecret) - 1);
    longsecret[sizeof(longsecret) - 1] = '\0';
    TH_FAILS(parse_answer("update_key",
                          json_pack("{s:s, s:s, s:s}", "name", "5.device.lancert", "algorithm",
                                    "hmac-sha256", "secret", longsecret),
                          &err),
             LC_E_MALFORMED, err);
}
END_TEST

START_TEST(test_pending_and_ca)
{
    struct lc_err err;
    int64_t id = 0;
    bool pending = false;
    char zone[LC_NAME_MAX + 1];
    const char *p = "{\"id\":12,\"status\":\"pending\"}";
    TH_OK(device_pending_parse(&id, &pending, p, strlen(p), &err), err);
    ck_assert_int_eq(id, 12);
    ck_assert(pending);
    p = "{\"id\":12,\"status\":\"active\",\"certificate\":\"x\"}";
    TH_OK(device_pending_parse(&id, &pending, p, strlen(p), &err), err);
    ck_assert(!pending);
    p = "{\"id\":12,\"status\":\"refused\"}";
    TH_FAILS(device_pending_parse(&id, &pending, p, strlen(p), &err), LC_E_PERM, err);
    static const char *const bad[] = {"{\"id\":12,\"status\":\"weird\"}", "{\"status\":\"pending\"}",
                                      "{\"id\":0,\"status\":\"pending\"}", "{\"id\":1,\"status\":7}",
                                      "[1]", "nonsense", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        TH_FAILS(device_pending_parse(&id, &pending, bad[i], strlen(bad[i]), &err), LC_E_MALFORMED,
                 err);

    p = "{\"zone\":\"Home.Arpa\",\"root\":\"x\"}";
    TH_OK(device_ca_parse(zone, p, strlen(p), &err), err);
    ck_assert_str_eq(zone, "home.arpa");
    static const char *const bad_ca[] = {"{\"zone\":\"a b\"}", "{\"zone\":1}", "{}", "[]", "{"};
    for (size_t i = 0; i < sizeof(bad_ca) / sizeof(bad_ca[0]); i++)
        TH_FAILS(device_ca_parse(zone, bad_ca[i], strlen(bad_ca[i]), &err), LC_E_MALFORMED, err);
}
END_TEST

START_TEST(test_fingerprint)
{
    struct lc_err err;
    EVP_PKEY *key = th_key_ec("P-256");
    X509 *root = self_signed(key, "home.arpa");
    char *pem = th_x509_pem(root, NULL);
    unsigned char md[32];
    unsigned int md_len;
    char colons[100] = "", plain[66] = "";
    ck_assert(X509_digest(root, EVP_sha256(), md, &md_len));
    for (int i = 0; i < 32; i++) {
        sprintf(colons + strlen(colons), i ? ":%02X" : "%02X", md[i]);
        sprintf(plain + 2 * i, "%02x", md[i]);
    }
    uint8_t want[32];
    TH_OK(device_fingerprint_parse(want, colons, &err), err);
    ck_assert_mem_eq(want, md, 32);
    TH_OK(device_fingerprint_check(pem, strlen(pem), want, &err), err);
    TH_OK(device_fingerprint_parse(want, plain, &err), err);
    TH_OK(device_fingerprint_check(pem, strlen(pem), want, &err), err);
    want[31] ^= 1;
    TH_FAILS(device_fingerprint_check(pem, strlen(pem), want, &err), LC_E_SIGNATURE, err);
    TH_FAILS(device_fingerprint_check("<html>", 6, md, &err), LC_E_MALFORMED, err);
    size_t pem_len = strlen(pem);
    char *two = malloc(2 * pem_len + 1);
    memcpy(two, pem, pem_len);
    memcpy(two + pem_len, pem, pem_len + 1);
    TH_FAILS(device_fingerprint_check(two, 2 * pem_len, md, &err), LC_E_TOO_MANY, err);
    free(two);
    strcat(plain, "0");
    TH_FAILS(device_fingerprint_parse(want, plain, &err), LC_E_USAGE, err);
    plain[63] = '\0';
    TH_FAILS(device_fingerprint_parse(want, plain, &err), LC_E_USAGE, err);
    TH_FAILS(device_fingerprint_parse(want, "", &err), LC_E_USAGE, err);
    TH_FAILS(device_fingerprint_parse(want, "zz", &err), LC_E_USAGE, err);
    plain[62] = 'g';
    TH_FAILS(device_fingerprint_parse(want, plain, &err), LC_E_USAGE, err);
    free(pem);
    X509_free(root);
    EVP_PKEY_free(key);
}
END_TEST

/* ---- problem documents ------------------------------------------------------------------- */

START_TEST(test_status_err)
{
    struct lc_err err;
    char body[] = "{\"type\":\"about:blank\",\"title\":\"Forbidden\",\"detail\":\"not your \x1b[31maddress\"}";
    struct client_response r = {403, body, sizeof(body) - 1, "application/problem+json"};
    /* A raw control byte is not JSON: the detail is dropped, the status stays. */
    TH_FAILS(client_status_err(&err, &r, "enroll"), LC_E_PERM, err);
    ck_assert_str_eq(err.msg, "enroll: the server answered 403");

    char escaped[] = "{\"title\":\"Forbidden\",\"detail\":\"not your \\u001b[31maddress\"}";
    r.body = escaped;
    r.body_len = sizeof(escaped) - 1;
    TH_FAILS(client_status_err(&err, &r, "enroll"), LC_E_PERM, err);
    ck_assert_str_eq(err.msg, "enroll: 403: not your ?[31maddress");

    char title_only[] = "{\"title\":\"Conflict\"}";
    struct client_response c = {409, title_only, sizeof(title_only) - 1, "application/problem+json; charset=utf-8"};
    TH_FAILS(client_status_err(&err, &c, "enroll"), LC_E_EXISTS, err);
    ck_assert_str_eq(err.msg, "enroll: 409: Conflict");

    struct client_response html = {404, title_only, sizeof(title_only) - 1, "text/html"};
    TH_FAILS(client_status_err(&err, &html, "devices show 3"), LC_E_NOTFOUND, err);
    ck_assert_str_eq(err.msg, "devices show 3: the server answered 404");
    struct client_response other = {500, NULL, 0, ""};
    TH_FAILS(client_status_err(&err, &other, "x"), LC_E_IO, err);
    struct client_response big = {413, NULL, 0, ""};
    TH_FAILS(client_status_err(&err, &big, "x"), LC_E_TOO_BIG, err);
    struct client_response bad = {400, NULL, 0, ""};
    TH_FAILS(client_status_err(&err, &bad, "x"), LC_E_MALFORMED, err);

    char out[8];
    client_printable(out, sizeof(out), "ab\ncd\x7f" "efgh");
    ck_assert_str_eq(out, "ab?cd?e");
    client_printable(out, sizeof(out), NULL);
    ck_assert_str_eq(out, "");
}
END_TEST

/* ---- the verbs' arguments: refused before anything is sent --------------------------------- */

static int run_verb(cli_verb_fn fn, struct lc_err *err, ...)
{
    char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, err);
    for (char *a; (a = va_arg(ap, char *)) && argc < 15;)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    struct cli cli;
    memset(&cli, 0, sizeof(cli));
    conf_init(&cli.conf);
    snprintf(cli.conf.state_dir, sizeof(cli.conf.state_dir), "%s", dir);
    lc_err_clear(err);
    return fn(&cli, argc, argv, err);
}

START_TEST(test_arguments)
{
    struct lc_err err;
    char out[PATH_MAX];
    th_path(out, dir, "dev");
    TH_FAILS(run_verb(cli_enroll, &err, "enroll", "--out", out, NULL), LC_E_USAGE, err);
    ck_assert_ptr_nonnull(strstr(err.msg, "--server"));
    TH_FAILS(run_verb(cli_enroll, &err, "enroll", "--server", "http://gw:8080", NULL), LC_E_USAGE,
             err);
    TH_FAILS(run_verb(cli_enroll, &err, "enroll", "--server", "https://gw/api", NULL), LC_E_USAGE,
             err);
    TH_FAILS(run_verb(cli_enroll, &err, "enroll", "--server", "https://gw", "--wait", "-1", NULL),
             LC_E_USAGE, err);
    TH_FAILS(run_verb(cli_enroll, &err, "enroll", "--server", "https://gw", "--wait", "9x", NULL),
             LC_E_USAGE, err);
    TH_FAILS(run_verb(cli_enroll, &err, "enroll", "--server", "https://gw", "--id", "0", NULL),
             LC_E_USAGE, err);
    TH_FAILS(run_verb(cli_enroll, &err, "enroll", "--server", "https://gw", "extra", NULL),
             LC_E_USAGE, err);
    TH_FAILS(run_verb(cli_enroll, &err, "enroll", "--bogus", NULL), LC_E_USAGE, err);
    TH_FAILS(run_verb(cli_enroll, &err, "enroll", "--name", NULL), LC_E_USAGE, err);
    /* No way to trust the gateway: refused before a key is made. */
    TH_FAILS(run_verb(cli_enroll, &err, "enroll", "--server", "https://gw", "--out", out, NULL),
             LC_E_USAGE, err);
    ck_assert_ptr_nonnull(strstr(err.msg, "--fingerprint"));
    char key[PATH_MAX];
    th_path(key, out, DEVICE_KEY_FILE);
    ck_assert_int_ne(access(key, F_OK), 0);
    TH_FAILS(run_verb(cli_enroll, &err, "enroll", "--server", "https://gw", "--out", out,
                      "--fingerprint", "12:34", NULL),
             LC_E_USAGE, err);
    ck_assert_int_eq(run_verb(cli_enroll, &err, "enroll", "--help", NULL), CLI_HELP_SHOWN);

    TH_FAILS(run_verb(cli_renew, &err, "renew", "--dir", out, NULL), LC_E_USAGE, err);
    TH_FAILS(run_verb(cli_renew, &err, "renew", "--server", "https://gw", "--new-key=yes", NULL),
             LC_E_USAGE, err);
    /* A directory without cert.pem. */
    ck_assert_int_ne(run_verb(cli_renew, &err, "renew", "--server", "https://gw", "--dir", out,
                              "--ca", "/nonexistent/ca.pem", NULL),
                     LC_OK);
    ck_assert_int_eq(run_verb(cli_renew, &err, "renew", "--help", NULL), CLI_HELP_SHOWN);

    TH_FAILS(run_verb(cli_devices, &err, "devices", "show", NULL), LC_E_USAGE, err);
    TH_FAILS(run_verb(cli_devices, &err, "devices", "show", "01", NULL), LC_E_USAGE, err);
    TH_FAILS(run_verb(cli_devices, &err, "devices", "approve", "1/../2", NULL), LC_E_USAGE, err);
    TH_FAILS(run_verb(cli_devices, &err, "devices", "revoke", "1", "2", NULL), LC_E_USAGE, err);
    TH_FAILS(run_verb(cli_devices, &err, "devices", "list", "x", NULL), LC_E_USAGE, err);
    TH_FAILS(run_verb(cli_devices, &err, "devices", "list", "--server", "http://gw", NULL),
             LC_E_USAGE, err);
    /* No admin.token in the state directory. */
    ck_assert_int_ne(run_verb(cli_devices, &err, "devices", "list", NULL), LC_OK);
    ck_assert_ptr_nonnull(strstr(err.msg, "admin token"));
    TH_FAILS(run_verb(cli_token, &err, "token", "create", NULL), LC_E_USAGE, err);
    TH_FAILS(run_verb(cli_token, &err, "token", "create", "printer", "--expires", "0", NULL),
             LC_E_USAGE, err);
    TH_FAILS(run_verb(cli_token, &err, "token", "create", "printer", "--expires", "2592001", NULL),
             LC_E_USAGE, err);
}
END_TEST

static Suite *cli_device_suite(void)
{
    Suite *s = suite_create("cli_device");
    TCase *tc = tcase_create("pure");
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_csr);
    tcase_add_test(tc, test_jws_es256);
    tcase_add_test(tc, test_pending_and_ca);
    tcase_add_test(tc, test_fingerprint);
    tcase_add_test(tc, test_status_err);
    suite_add_tcase(s, tc);
    tc = tcase_create("files");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_key_files);
    tcase_add_test(tc, test_arguments);
    suite_add_tcase(s, tc);
    tc = tcase_create("answers");
    tcase_add_checked_fixture(tc, answers_setup, answers_teardown);
    tcase_add_test(tc, test_result_good);
    tcase_add_test(tc, test_result_hostile);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(cli_device_suite());
}
