/* ca.c — the CA's key and certificates: making a root, the intermediate
 * CSR and import, and loading. Signing is in sign.c. */
#include "ca/ca.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ca/internal.h"
#include "core/file.h"

#define CA_MAX_FILE (256 * 1024)
#define CA_MAX_CHAIN 8

/* ---- files ---------------------------------------------------------------- */

static void state_path(char out[PATH_MAX], const char *dir, const char *file, const char *suffix)
{
    snprintf(out, PATH_MAX, "%s/%s%s", dir, file, suffix);
}

static bool path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int bio_to_string(char **out, size_t *out_len, BIO *bio, struct lc_err *err)
{
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    char *copy = malloc((size_t)len + 1);
    if (!copy)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    memcpy(copy, data, (size_t)len);
    copy[len] = '\0';
    *out = copy;
    if (out_len)
        *out_len = (size_t)len;
    return LC_OK;
}

static int write_key_file(const char *path, EVP_PKEY *key, bool replace, struct lc_err *err)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data;
    long len;
    int rc;
    if (!bio || !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
        BIO_free(bio);
        return lc_fail_openssl(err, LC_E_CRYPTO, "encoding the CA key");
    }
    len = BIO_get_mem_data(bio, &data);
    rc = file_write_atomic(path, data, (size_t)len, 0600, !replace, err);
    OPENSSL_cleanse(data, (size_t)len);
    BIO_free(bio);
    return rc;
}

static int write_cert_file(const char *path, X509 *const *certs, size_t n_certs, struct lc_err *err)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data;
    long len;
    int rc;
    if (!bio)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n_certs; i++)
        if (!PEM_write_bio_X509(bio, certs[i])) {
            BIO_free(bio);
            return lc_fail_openssl(err, LC_E_CRYPTO, "encoding a certificate");
        }
    len = BIO_get_mem_data(bio, &data);
    rc = file_write_atomic(path, data, (size_t)len, 0644, 0, err);
    BIO_free(bio);
    return rc;
}

static int read_key_file(EVP_PKEY **out, const char *path, struct lc_err *err)
{
    char *text = NULL;
    size_t len;
    int rc = file_read(&text, &len, path, CA_MAX_FILE, err);
    if (rc != LC_OK)
        return rc;
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    OPENSSL_cleanse(text, len);
    free(text);
    if (!key)
        return lc_fail_openssl(err, LC_E_MALFORMED, path);
    *out = key;
    return LC_OK;
}

/* read_certs_pem parses every certificate in |len| bytes of PEM text. */
static int read_certs_pem(STACK_OF(X509) **out, const char *text, size_t len, const char *what,
                          struct lc_err *err)
{
    STACK_OF(X509) *certs = sk_X509_new_null();
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    X509 *x;
    int rc = LC_OK;
    if (!certs || !bio) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        goto out;
    }
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (sk_X509_num(certs) >= CA_MAX_CHAIN || !sk_X509_push(certs, x)) {
            X509_free(x);
            rc = lc_fail(err, LC_E_TOO_BIG, "%s holds more than %d certificates", what, CA_MAX_CHAIN);
            goto out;
        }
    }
    ERR_clear_error(); /* the loop ends on "no start line" */
    *out = certs;
    certs = NULL;
out:
    BIO_free(bio);
    sk_X509_pop_free(certs, X509_free);
    return rc;
}

static int read_certs_file(STACK_OF(X509) **out, const char *path, struct lc_err *err)
{
    char *text = NULL;
    size_t len;
    int rc = file_read(&text, &len, path, CA_MAX_FILE, err);
    if (rc != LC_OK)
        return rc;
    rc = read_certs_pem(out, text, len, path, err);
    free(text);
    return rc;
}

/* Installing a CA changes up to three files: the key (for a new root), the
 * chain above the certificate (empty for a root) and the certificate. Each
 * is first written whole as *.new, the certificate last, so its presence
 * marks a complete set; then they are renamed, the certificate last. ca_load
 * finishes a rename a crash interrupted and drops an incomplete set, so the
 * files never disagree for a reader that holds the lock. */
static int install_finish(const char *dir, struct lc_err *err)
{
    static const char *const files[] = {CA_KEY_FILE, CA_CHAIN_FILE, CA_CERT_FILE};
    char from[PATH_MAX], to[PATH_MAX], cert_new[PATH_MAX];
    bool changed = false;
    state_path(cert_new, dir, CA_CERT_FILE, ".new");
    bool complete = path_exists(cert_new);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        state_path(from, dir, files[i], ".new");
        state_path(to, dir, files[i], "");
        if (!path_exists(from))
            continue;
        changed = true;
        if (!complete) {
            unlink(from); /* the crash came before the set was whole */
            continue;
        }
        /* An empty chain.pem.new stands for "no chain": a root. */
        struct stat st;
        if (strcmp(files[i], CA_CHAIN_FILE) == 0 && stat(from, &st) == 0 && st.st_size == 0) {
            if ((unlink(to) != 0 && errno != ENOENT) || unlink(from) != 0)
                return lc_fail(err, LC_E_IO, "cannot remove %s: %s", to, strerror(errno));
            continue;
        }
        if (rename(from, to) != 0)
            return lc_fail(err, LC_E_IO, "cannot install %s: %s", to, strerror(errno));
    }
    if (changed && file_sync_dir(dir) != 0)
        return lc_fail(err, LC_E_IO, "cannot sync %s: %s", dir, strerror(errno));
    return LC_OK;
}

/* install_set writes |key| (may be NULL: keep the key), the chain |above|
 * (n_above certificates; none for a root) and |cert| as *.new, then
 * installs them. */
static int install_set(const char *dir, EVP_PKEY *key, X509 *const *above, size_t n_above,
                       X509 *cert, struct lc_err *err)
{
    char key_new[PATH_MAX], chain_new[PATH_MAX], cert_new[PATH_MAX];
    int rc;
    state_path(key_new, dir, CA_KEY_FILE, ".new");
    state_path(chain_new, dir, CA_CHAIN_FILE, ".new");
    state_path(cert_new, dir, CA_CERT_FILE, ".new");
    unlink(cert_new);
    unlink(key_new);
    unlink(chain_new);
    if ((key && (rc = write_key_file(key_new, key, false, err)) != LC_OK) ||
        (rc = write_cert_file(chain_new, above, n_above, err)) != LC_OK ||
        (rc = write_cert_file(cert_new, &cert, 1, err)) != LC_OK) {
        unlink(key_new);
        unlink(chain_new);
        return rc;
    }
    return install_finish(dir, err);
}

/* The CA files change as a group and ca_load repairs an install a crash
 * interrupted, so every public entry that reads or changes them holds an
 * exclusive flock on the state directory itself. Without it, a ca_load in
 * another process (lancert issue, status, the daemon) could "repair" an
 * install still being written — delete its ca.key.new — and leave a new
 * ca.pem beside the old ca.key. The kernel drops the lock when its holder
 * dies, so a crash never leaves it held. */
static int lock_dir(int *out_fd, const char *dir, struct lc_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return lc_fail(err, errno == ENOENT ? LC_E_NOTFOUND : LC_E_IO, "cannot open %s: %s", dir,
                       strerror(errno));
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return lc_fail(err, LC_E_IO, "cannot lock %s: %s", dir, strerror(e));
        }
    }
    *out_fd = fd;
    return LC_OK;
}

/* ---- extensions ----------------------------------------------------------- */

int ca_ext_add(X509 *x, int nid, void *value, int critical, struct lc_err *err)
{
    if (X509_add1_ext_i2d(x, nid, value, critical, X509V3_ADD_DEFAULT) != 1)
        return lc_fail_openssl(err, LC_E_CRYPTO, "adding an extension");
    return LC_OK;
}

/* ip_subtree makes a GENERAL_SUBTREE for a prefix: address then mask
 * (RFC 5280, 4.2.1.10). */
static GENERAL_SUBTREE *ip_subtree(const struct lc_prefix *p)
{
    uint8_t buf[32] = {0};
    size_t alen = addr_len(&p->addr);
    GENERAL_SUBTREE *st = GENERAL_SUBTREE_new();
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    if (!st || !os)
        goto fail;
    memcpy(buf, p->addr.b, alen);
    for (unsigned i = 0; i < p->bits; i++)
        buf[alen + i / 8] |= (uint8_t)(0x80 >> (i % 8));
    if (!ASN1_OCTET_STRING_set(os, buf, (int)(2 * alen)))
        goto fail;
    GENERAL_NAME_set0_value(st->base, GEN_IPADD, os);
    return st;
fail:
    ASN1_OCTET_STRING_free(os);
    GENERAL_SUBTREE_free(st);
    return NULL;
}

static NAME_CONSTRAINTS *constraints_encode(const struct ca_constraints *c)
{
    NAME_CONSTRAINTS *nc = NAME_CONSTRAINTS_new();
    GENERAL_SUBTREE *st = NULL;
    ASN1_IA5STRING *dns = NULL;
    if (!nc || !(nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null()))
        goto fail;
    if (!(st = GENERAL_SUBTREE_new()) || !(dns = ASN1_IA5STRING_new()) ||
        !ASN1_STRING_set(dns, c->zone, (int)strlen(c->zone)))
        goto fail;
    GENERAL_NAME_set0_value(st->base, GEN_DNS, dns);
    dns = NULL;
    if (!sk_GENERAL_SUBTREE_push(nc->permittedSubtrees, st))
        goto fail;
    st = NULL;
    for (size_t i = 0; i < c->allow.n_prefixes; i++) {
        if (!(st = ip_subtree(&c->allow.prefixes[i])) ||
            !sk_GENERAL_SUBTREE_push(nc->permittedSubtrees, st))
            goto fail;
        st = NULL;
    }
    return nc;
fail:
    ASN1_IA5STRING_free(dns);
    GENERAL_SUBTREE_free(st);
    NAME_CONSTRAINTS_free(nc);
    return NULL;
}

/* constraints_decode reads our own profile back: one permitted DNS subtree
 * (the zone) and IP subtrees (the ranges). */
static int constraints_decode(struct ca_constraints *out, X509 *cert, struct lc_err *err)
{
    struct ca_constraints c;
    int crit = 0;
    NAME_CONSTRAINTS *nc = X509_get_ext_d2i(cert, NID_name_constraints, &crit, NULL);
    int rc = LC_OK;
    memset(&c, 0, sizeof(c));
    if (!nc || !nc->permittedSubtrees)
        return lc_fail(err, LC_E_CHAIN, "the CA certificate has no name constraints");
    for (int i = 0; i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); i++) {
        GENERAL_SUBTREE *st = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i);
        int type;
        void *v = GENERAL_NAME_get0_value(st->base, &type);
        if (type == GEN_DNS && c.zone[0] == '\0') {
            const ASN1_STRING *s = v;
            struct lc_err nerr;
            if (name_normalize(c.zone, (const char *)ASN1_STRING_get0_data(s),
                               (size_t)ASN1_STRING_length(s), &nerr) != LC_OK) {
                rc = lc_fail(err, LC_E_CHAIN, "the CA's DNS constraint is not a zone: %s", nerr.msg);
                break;
            }
        } else if (type == GEN_IPADD) {
            const ASN1_OCTET_STRING *os = v;
            int n = ASN1_STRING_length(os);
            const uint8_t *b = ASN1_STRING_get0_data(os);
            struct lc_prefix p;
            memset(&p, 0, sizeof(p));
            if ((n != 8 && n != 32) || c.allow.n_prefixes >= LC_MAX_PREFIXES)
                continue;
            p.addr.family = n == 8 ? LC_AF_INET : LC_AF_INET6;
            memcpy(p.addr.b, b, (size_t)n / 2);
            for (int j = 0; j < n / 2; j++)
                for (int bit = 7; bit >= 0 && (b[n / 2 + j] >> bit) & 1; bit--)
                    p.bits++;
            c.allow.prefixes[c.allow.n_prefixes++] = p;
        }
    }
    NAME_CONSTRAINTS_free(nc);
    if (rc == LC_OK && c.zone[0] == '\0')
        rc = lc_fail(err, LC_E_CHAIN, "the CA's name constraints permit no DNS zone");
    if (rc == LC_OK)
        *out = c;
    return rc;
}

static int random_serial(ASN1_INTEGER **out, uint8_t raw[16])
{
    /* 16 random bytes, high bit clear so the INTEGER stays positive and
     * 16 bytes long (RFC 5280 4.1.2.2 allows up to 20). */
    if (RAND_bytes(raw, 16) != 1)
        return 0;
    raw[0] &= 0x7f;
    if (raw[0] == 0)
        raw[0] = 0x01;
    BIGNUM *bn = BN_bin2bn(raw, 16, NULL);
    *out = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    BN_free(bn);
    return *out != NULL;
}

static const EVP_MD *md_for_key(EVP_PKEY *key)
{
    int id = EVP_PKEY_get_base_id(key);
    return (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) ? NULL : EVP_sha256();
}

int ca_ext_add_ski(X509 *x, struct lc_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len;
    ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();
    int rc;
    if (!ski || !X509_pubkey_digest(x, EVP_sha1(), md, &md_len) ||
        !ASN1_OCTET_STRING_set(ski, md, (int)md_len)) {
        ASN1_OCTET_STRING_free(ski);
        return lc_fail_openssl(err, LC_E_CRYPTO, "making the key identifier");
    }
    rc = ca_ext_add(x, NID_subject_key_identifier, ski, 0, err);
    ASN1_OCTET_STRING_free(ski);
    return rc;
}

int ca_ext_add_aki(X509 *x, X509 *issuer, struct lc_err *err)
{
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(issuer);
    AUTHORITY_KEYID *aki;
    int rc;
    if (!ski)
        return LC_OK;
    aki = AUTHORITY_KEYID_new();
    if (!aki || !(aki->keyid = ASN1_OCTET_STRING_dup(ski))) {
        AUTHORITY_KEYID_free(aki);
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    }
    rc = ca_ext_add(x, NID_authority_key_identifier, aki, 0, err);
    AUTHORITY_KEYID_free(aki);
    return rc;
}

static int add_ca_extensions(X509 *x, X509 *issuer, const struct ca_constraints *c, bool is_root,
                             struct lc_err *err)
{
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
    NAME_CONSTRAINTS *nc = constraints_encode(c);
    int rc = LC_E_CRYPTO;
    if (!bc || !ku || !nc)
        goto out;
    /* DER's TRUE is 0xff; OpenSSL writes this int's low byte as it is, and a
     * 0x01 makes Chrome's strict parser drop the root as if not installed. */
    bc->ca = 0xff;
    /* pathlen 0: this root signs leaves only, never another CA. */
    if (is_root && (!(bc->pathlen = ASN1_INTEGER_new()) || !ASN1_INTEGER_set(bc->pathlen, 0)))
        goto out;
    if (!ASN1_BIT_STRING_set_bit(ku, 5, 1) || !ASN1_BIT_STRING_set_bit(ku, 6, 1)) /* keyCertSign, cRLSign */
        goto out;
    if ((rc = ca_ext_add(x, NID_basic_constraints, bc, 1, err)) != LC_OK ||
        (rc = ca_ext_add(x, NID_key_usage, ku, 1, err)) != LC_OK ||
        (rc = ca_ext_add(x, NID_name_constraints, nc, 1, err)) != LC_OK ||
        (rc = ca_ext_add_ski(x, err)) != LC_OK)
        goto out;
    if (issuer)
        rc = ca_ext_add_aki(x, issuer, err);
out:
    if (rc == LC_E_CRYPTO)
        rc = lc_fail_openssl(err, LC_E_CRYPTO, "making the CA extensions");
    BASIC_CONSTRAINTS_free(bc);
    ASN1_BIT_STRING_free(ku);
    NAME_CONSTRAINTS_free(nc);
    return rc;
}

static X509_NAME *ca_subject(const struct ca_constraints *c)
{
    char cn[LC_NAME_MAX + 32];
    uint8_t tag[3];
    X509_NAME *name = X509_NAME_new();
    if (!name || RAND_bytes(tag, sizeof(tag)) != 1) {
        X509_NAME_free(name);
        return NULL;
    }
    /* A random tag tells two roots for the same zone apart in trust stores. */
    snprintf(cn, sizeof(cn), "lancert %s %02x%02x%02x", c->zone, tag[0], tag[1], tag[2]);
    if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"lancert", -1, -1, 0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0)) {
        X509_NAME_free(name);
        return NULL;
    }
    return name;
}

/* ---- root, CSR, import ---------------------------------------------------- */

static int init_root_locked(const char *dir, const struct ca_constraints *c, bool force,
                            struct lc_err *err)
{
    char key_path[PATH_MAX];
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    X509_NAME *subject = NULL;
    ASN1_INTEGER *serial = NULL;
    uint8_t raw[16];
    int rc;

    if ((rc = file_mkdir_private(dir, err)) != LC_OK)
        return rc;
    if ((rc = install_finish(dir, err)) != LC_OK)
        return rc;
    state_path(key_path, dir, CA_KEY_FILE, "");
    if (!force && path_exists(key_path))
        return lc_fail(err, LC_E_EXISTS, "%s already holds a CA; use --force to replace it", dir);

    rc = LC_E_CRYPTO;
    if (!(key = EVP_EC_gen("P-256")) || !(x = X509_new()) || !(subject = ca_subject(c)) ||
        !random_serial(&serial, raw))
        goto crypto_fail;
    if (!X509_set_version(x, X509_VERSION_3) || !X509_set_serialNumber(x, serial) ||
        !X509_set_subject_name(x, subject) || !X509_set_issuer_name(x, subject) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), (long)CA_ROOT_DAYS * 86400) ||
        !X509_set_pubkey(x, key))
        goto crypto_fail;
    if ((rc = add_ca_extensions(x, x, c, true, err)) != LC_OK)
        goto out;
    if (!X509_sign(x, key, EVP_sha256()))
        goto crypto_fail;
    /* A root has no chain: an intermediate's old chain.pem goes with it. */
    rc = install_set(dir, key, NULL, 0, x, err);
    goto out;
crypto_fail:
    rc = lc_fail_openssl(err, LC_E_CRYPTO, "making the root");
out:
    ASN1_INTEGER_free(serial);
    X509_NAME_free(subject);
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}

static int make_csr_locked(char **out_pem, const char *dir, const struct ca_constraints *c,
                           struct lc_err *err)
{
    char key_path[PATH_MAX];
    EVP_PKEY *key = NULL;
    X509_REQ *req = NULL;
    X509_NAME *subject = NULL;
    STACK_OF(X509_EXTENSION) *exts = NULL;
    BIO *bio = NULL;
    int rc;

    if ((rc = file_mkdir_private(dir, err)) != LC_OK)
        return rc;
    state_path(key_path, dir, CA_KEY_FILE, "");
    if (path_exists(key_path)) {
        if ((rc = read_key_file(&key, key_path, err)) != LC_OK)
            return rc;
    } else {
        if (!(key = EVP_EC_gen("P-256")))
            return lc_fail_openssl(err, LC_E_CRYPTO, "making the CA key");
        if ((rc = write_key_file(key_path, key, false, err)) != LC_OK)
            goto out;
    }
    /* The extensions are made on a scratch certificate, then moved to the CSR. */
    X509 *scratch = X509_new();
    rc = LC_E_CRYPTO;
    if (!scratch || !X509_set_pubkey(scratch, key)) {
        X509_free(scratch);
        goto crypto_fail;
    }
    rc = add_ca_extensions(scratch, NULL, c, false, err);
    if (rc == LC_OK) {
        exts = sk_X509_EXTENSION_new_null();
        for (int i = 0; exts && i < X509_get_ext_count(scratch); i++)
            if (!sk_X509_EXTENSION_push(exts, X509_EXTENSION_dup(X509_get_ext(scratch, i))))
                rc = LC_E_CRYPTO;
    }
    X509_free(scratch);
    if (rc != LC_OK)
        goto out;
    if (!exts || !(req = X509_REQ_new()) || !(subject = ca_subject(c)) ||
        !X509_REQ_set_version(req, 0) || !X509_REQ_set_subject_name(req, subject) ||
        !X509_REQ_set_pubkey(req, key) || !X509_REQ_add_extensions(req, exts) ||
        !X509_REQ_sign(req, key, md_for_key(key)) || !(bio = BIO_new(BIO_s_mem())) ||
        !PEM_write_bio_X509_REQ(bio, req))
        goto crypto_fail;
    rc = bio_to_string(out_pem, NULL, bio, err);
    goto out;
crypto_fail:
    rc = lc_fail_openssl(err, LC_E_CRYPTO, "making the CA CSR");
out:
    BIO_free(bio);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_NAME_free(subject);
    X509_REQ_free(req);
    EVP_PKEY_free(key);
    return rc;
}

int ca_init_root(const char *dir, const struct ca_constraints *c, bool force, struct lc_err *err)
{
    int lock, rc;
    if ((rc = file_mkdir_private(dir, err)) != LC_OK || (rc = lock_dir(&lock, dir, err)) != LC_OK)
        return rc;
    rc = init_root_locked(dir, c, force, err);
    close(lock);
    return rc;
}

int ca_state_write(const char *dir, const char *name, const void *data, size_t len, mode_t mode,
                   struct lc_err *err)
{
    char path[PATH_MAX];
    int lock = -1, rc;
    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
        rc = lc_fail(err, LC_E_IO, "the path of %s in %.60s... is too long", name, dir);
        goto out;
    }
    if ((rc = lock_dir(&lock, dir, err)) != LC_OK)
        goto out;
    rc = file_write_atomic(path, data, len, mode, 0, err);
out:
    if (lock >= 0)
        close(lock);
    return rc;
}

int ca_make_csr(char **out_pem, const char *dir, const struct ca_constraints *c,
                struct lc_err *err)
{
    int lock, rc;
    if ((rc = file_mkdir_private(dir, err)) != LC_OK || (rc = lock_dir(&lock, dir, err)) != LC_OK)
        return rc;
    rc = make_csr_locked(out_pem, dir, c, err);
    close(lock);
    return rc;
}

static bool is_self_signed(X509 *x)
{
    return X509_check_issued(x, x) == X509_V_OK;
}

static int import_locked(const char *dir, const char *cert_pem, size_t cert_len,
                         const char *chain_pem, size_t chain_len, struct lc_err *err)
{
    char key_path[PATH_MAX], cert_path[PATH_MAX], chain_path[PATH_MAX];
    STACK_OF(X509) *certs = NULL, *chain = NULL;
    EVP_PKEY *key = NULL;
    X509_STORE *trust = NULL;
    X509_STORE_CTX *ctx = NULL;
    X509 *cert, *root;
    int rc;

    state_path(key_path, dir, CA_KEY_FILE, "");
    state_path(cert_path, dir, CA_CERT_FILE, "");
    state_path(chain_path, dir, CA_CHAIN_FILE, "");
    if ((rc = read_key_file(&key, key_path, err)) != LC_OK)
        goto out;
    if ((rc = read_certs_pem(&certs, cert_pem, cert_len, "the certificate", err)) != LC_OK ||
        (rc = read_certs_pem(&chain, chain_pem, chain_len, "the chain", err)) != LC_OK)
        goto out;
    if (sk_X509_num(certs) < 1) {
        rc = lc_fail(err, LC_E_MALFORMED, "no PEM certificate in the certificate input");
        goto out;
    }
    /* A bundle may carry the chain behind the certificate itself. */
    cert = sk_X509_shift(certs);
    while (sk_X509_num(certs) > 0)
        sk_X509_push(chain, sk_X509_shift(certs));
    sk_X509_push(certs, cert);
    if (sk_X509_num(chain) < 1) {
        rc = lc_fail(err, LC_E_CHAIN, "no chain given: pass the certificates above it up to the root");
        goto out;
    }
    if (EVP_PKEY_eq(X509_get0_pubkey(cert), key) != 1) {
        rc = lc_fail(err, LC_E_CHAIN, "the certificate is not for this gateway's CA key");
        goto out;
    }
    if (X509_check_ca(cert) != 1 || !(X509_get_key_usage(cert) & KU_KEY_CERT_SIGN)) {
        rc = lc_fail(err, LC_E_CHAIN, "the certificate is not a CA certificate allowed to sign certificates");
        goto out;
    }
    struct ca_constraints c;
    if ((rc = constraints_decode(&c, cert, err)) != LC_OK)
        goto out;
    root = sk_X509_value(chain, sk_X509_num(chain) - 1);
    if (!is_self_signed(root)) {
        rc = lc_fail(err, LC_E_CHAIN, "the chain does not end in a self-signed root");
        goto out;
    }
    if (!(trust = X509_STORE_new()) || !X509_STORE_add_cert(trust, root) ||
        !(ctx = X509_STORE_CTX_new()) || !X509_STORE_CTX_init(ctx, trust, cert, chain)) {
        rc = lc_fail_openssl(err, LC_E_CRYPTO, "setting up verification");
        goto out;
    }
    if (X509_verify_cert(ctx) != 1) {
        rc = lc_fail(err, LC_E_CHAIN, "the chain does not verify: %s",
                     X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        goto out;
    }
    /* Store the chain in the order verification found it (issuer first),
     * whatever order it came in; the anchor last. */
    STACK_OF(X509) *path = X509_STORE_CTX_get1_chain(ctx);
    int n_path = path ? sk_X509_num(path) : 0;
    X509 *above[CA_MAX_CHAIN + 1];
    if (n_path < 2 || n_path - 1 > CA_MAX_CHAIN) {
        sk_X509_pop_free(path, X509_free);
        rc = lc_fail(err, LC_E_CHAIN, "the verified chain has %d certificates", n_path);
        goto out;
    }
    for (int i = 1; i < n_path; i++)
        above[i - 1] = sk_X509_value(path, i);
    rc = install_set(dir, NULL, above, (size_t)(n_path - 1), cert, err);
    sk_X509_pop_free(path, X509_free);
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(trust);
    sk_X509_pop_free(certs, X509_free);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
    return rc;
}

int ca_import(const char *dir, const char *cert_pem, size_t cert_len, const char *chain_pem,
              size_t chain_len, struct lc_err *err)
{
    int lock, rc;
    if ((rc = lock_dir(&lock, dir, err)) != LC_OK)
        return rc;
    rc = import_locked(dir, cert_pem, cert_len, chain_pem, chain_len, err);
    close(lock);
    return rc;
}

/* ---- loading and using ---------------------------------------------------- */

static int load_locked(struct ca **out, const char *dir, struct lc_err *err)
{
    char key_path[PATH_MAX], cert_path[PATH_MAX], chain_path[PATH_MAX];
    STACK_OF(X509) *certs = NULL;
    struct ca *ca = calloc(1, sizeof(*ca));
    int rc;

    if (!ca)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    file_remove_stale_temps(dir);
    if ((rc = install_finish(dir, err)) != LC_OK)
        goto fail;
    state_path(key_path, dir, CA_KEY_FILE, "");
    state_path(cert_path, dir, CA_CERT_FILE, "");
    state_path(chain_path, dir, CA_CHAIN_FILE, "");
    if (!path_exists(key_path) || !path_exists(cert_path)) {
        rc = lc_fail(err, LC_E_NOTFOUND, "no CA in %s: run 'lancert ca init' first", dir);
        goto fail;
    }
    if ((rc = read_key_file(&ca->key, key_path, err)) != LC_OK ||
        (rc = read_certs_file(&certs, cert_path, err)) != LC_OK)
        goto fail;
    if (sk_X509_num(certs) < 1) {
        rc = lc_fail(err, LC_E_MALFORMED, "%s holds no certificate", cert_path);
        goto fail;
    }
    ca->cert = sk_X509_shift(certs);
    if (EVP_PKEY_eq(X509_get0_pubkey(ca->cert), ca->key) != 1) {
        rc = lc_fail(err, LC_E_CHAIN, "%s does not match %s", cert_path, key_path);
        goto fail;
    }
    if (path_exists(chain_path)) {
        if ((rc = read_certs_file(&ca->chain, chain_path, err)) != LC_OK)
            goto fail;
        if (sk_X509_num(ca->chain) > 0 &&
            X509_check_issued(sk_X509_value(ca->chain, 0), ca->cert) != X509_V_OK) {
            rc = lc_fail(err, LC_E_CHAIN, "%s is not the chain above %s", chain_path, cert_path);
            goto fail;
        }
    } else if (!(ca->chain = sk_X509_new_null())) {
        rc = lc_fail(err, LC_E_NOMEM, "out of memory");
        goto fail;
    }
    if ((rc = constraints_decode(&ca->constraints, ca->cert, err)) != LC_OK)
        goto fail;
    ca->md = md_for_key(ca->key);
    sk_X509_pop_free(certs, X509_free);
    *out = ca;
    return LC_OK;
fail:
    sk_X509_pop_free(certs, X509_free);
    ca_free(ca);
    return rc;
}

int ca_load(struct ca **out, const char *dir, struct lc_err *err)
{
    int lock, rc = lock_dir(&lock, dir, err);
    if (rc == LC_E_NOTFOUND)
        return lc_fail(err, LC_E_NOTFOUND, "no CA in %s: run 'lancert ca init' first", dir);
    if (rc != LC_OK)
        return rc;
    rc = load_locked(out, dir, err);
    close(lock);
    return rc;
}

void ca_free(struct ca *ca)
{
    if (!ca)
        return;
    EVP_PKEY_free(ca->key); /* OpenSSL clears private key material on free */
    X509_free(ca->cert);
    sk_X509_pop_free(ca->chain, X509_free);
    free(ca);
}

X509 *ca_cert(const struct ca *ca)
{
    return ca->cert;
}

X509 *ca_anchor(const struct ca *ca)
{
    int n = sk_X509_num(ca->chain);
    return n > 0 ? sk_X509_value(ca->chain, n - 1) : ca->cert;
}

const struct ca_constraints *ca_get_constraints(const struct ca *ca)
{
    return &ca->constraints;
}

int ca_check_fits(const struct ca *ca, const char *zone, const struct lc_prefix_set *allow,
                  struct lc_err *err)
{
    const struct ca_constraints *c = &ca->constraints;
    if (strcmp(c->zone, zone) != 0)
        return lc_fail(err, LC_E_CONFIG, "the CA is for zone %s but the config says %s", c->zone,
                       zone);
    for (size_t i = 0; i < allow->n_prefixes; i++) {
        bool inside = false;
        for (size_t j = 0; j < c->allow.n_prefixes && !inside; j++)
            inside = prefix_within(&allow->prefixes[i], &c->allow.prefixes[j]);
        if (!inside) {
            char p[LC_ADDR_STRLEN + 4];
            prefix_format(p, &allow->prefixes[i]);
            return lc_fail(err, LC_E_CONFIG,
                           "allow: %s is outside the CA's name constraints; narrow allow, or make "
                           "a new root with 'lancert ca init --force'", p);
        }
    }
    return LC_OK;
}

void ca_fingerprint(char out[CA_FINGERPRINT_LEN], X509 *cert)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    out[0] = '\0';
    if (!X509_digest(cert, EVP_sha256(), md, &md_len))
        return;
    for (unsigned i = 0; i < md_len && 3 * i + 3 <= CA_FINGERPRINT_LEN; i++)
        snprintf(out + 3 * i, 4, i + 1 < md_len ? "%02X:" : "%02X", md[i]);
}

int ca_chain_pem(char **out_pem, size_t *out_len, const struct ca *ca, X509 *leaf,
                 struct lc_err *err)
{
    BIO *bio = BIO_new(BIO_s_mem());
    int rc;
    if (!bio || (leaf && !PEM_write_bio_X509(bio, leaf)) || !PEM_write_bio_X509(bio, ca->cert))
        goto fail;
    for (int i = 0; i < sk_X509_num(ca->chain); i++) {
        X509 *x = sk_X509_value(ca->chain, i);
        if (!is_self_signed(x) && !PEM_write_bio_X509(bio, x))
            goto fail;
    }
    rc = bio_to_string(out_pem, out_len, bio, err);
    BIO_free(bio);
    return rc;
fail:
    BIO_free(bio);
    return lc_fail_openssl(err, LC_E_CRYPTO, "encoding the chain");
}

