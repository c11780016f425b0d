/* admin.h — the admin's credentials and the names of what the admin acts on:
 * the admin token (made by `lancert ca init`, rotated by `lancert token
 * rotate-admin`; the store keeps only its SHA-256) and certificate serials as
 * people type them. */
#ifndef LC_CA_ADMIN_H
#define LC_CA_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

#define ADMIN_TOKEN_BYTES 32
#define ADMIN_TOKEN_TEXT_LEN 43 /* base64url of 32 bytes, no padding */
#define ADMIN_TOKEN_FILE "admin.token"
#define ADMIN_TOKEN_META "admin_token_sha256" /* meta key: lowercase hex SHA-256 */
#define ADMIN_SERIAL_HEX_LEN (2 * STORE_SERIAL_LEN)

/* admin_token_rotate makes a new random admin token, writes it to
 * |state_dir|/admin.token (mode 0600, replaced atomically, with a newline)
 * and then commits its SHA-256 to |store|, replacing the previous one in one
 * transaction. |out_text| receives the token, base64url (RFC 4648 section 5)
 * without padding, NUL-terminated; the caller shows it once and wipes it with
 * OPENSSL_cleanse. Errors: LC_E_IO (the file), LC_E_STORE, LC_E_CRYPTO. */
int admin_token_rotate(struct store *store, char out_text[ADMIN_TOKEN_TEXT_LEN + 1],
                       const char *state_dir, struct lc_err *err);

/* admin_token_check sets |*out_ok| when SHA-256(|presented|) equals the
 * admin token hash in |store|, compared in constant time. The hash is read
 * on every call, so a rotation takes effect at once. A store without a hash
 * accepts nothing. Errors are the store's only; a wrong token is LC_OK with
 * |*out_ok| false. |presented| is borrowed and never logged. */
int admin_token_check(struct store *store, bool *out_ok, const char *presented,
                      size_t presented_len, struct lc_err *err);

/* admin_cert_revoke revokes |serial| at |when| (reason unspecified) in one
 * transaction of its own and commits it before returning. |out| receives the
 * record as it now is; its der is the caller's to free(). LC_E_NOTFOUND when
 * no certificate has |serial|, LC_E_EXISTS when it is already revoked (|out|
 * then holds it too), LC_E_STORE; nothing changes on error. */
int admin_cert_revoke(struct store *store, struct store_cert *out,
                      const uint8_t serial[STORE_SERIAL_LEN], int64_t when, struct lc_err *err);

/* admin_serial_parse reads a certificate serial written as exactly 32 hex
 * digits (either case; an optional "0x" is not accepted, nor colons) into
 * |out|. Returns false, leaving |out| untouched, for anything else. */
bool admin_serial_parse(uint8_t out[STORE_SERIAL_LEN], const char *text, size_t text_len);

/* admin_serial_format writes |serial| as 32 lowercase hex digits and a NUL. */
void admin_serial_format(char out[ADMIN_SERIAL_HEX_LEN + 1], const uint8_t serial[STORE_SERIAL_LEN]);

#endif
