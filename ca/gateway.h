/* gateway.h — the gateway's own HTTPS certificate: a P-256 key and a leaf
 * for gateway.<zone>, the hex names of the gateway's addresses and those
 * addresses, issued by its own CA through the normal issuer path and kept in
 * the state directory (gateway.key, 0600, and gateway.pem, leaf then chain). */
#ifndef LC_CA_GATEWAY_H
#define LC_CA_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ca/issue.h"
#include "core/conf.h"
#include "core/err.h"

#define GATEWAY_KEY_FILE "gateway.key"
#define GATEWAY_CERT_FILE "gateway.pem"
#define GATEWAY_MAX_PEM (64 * 1024)

struct gateway_cert {
    char *key_pem; /* secret: wiped by gateway_cert_cleanup */
    size_t key_pem_len;
    char *chain_pem; /* the leaf, then the CA chain above it */
    size_t chain_pem_len;
    uint8_t serial[16];
    int64_t not_before, not_after;
    int64_t renew_at; /* two thirds of the way from not_before to not_after */
};

/* gateway_release_devices deletes, in its own committed transaction, the
 * devices an older lancertd made for the gateway's own keys (each certificate
 * naming the gateway): the certificates stay, tied to no device, as new ones
 * are. *out_n is how many went. */
int gateway_release_devices(int64_t *out_n, struct store *store, const struct lc_conf *conf,
                            struct lc_err *err);

/* gateway_cert_refresh fills |out| with the gateway's certificate from
 * |conf|'s state directory when it is still good: the key is 0600 and
 * matches, |is|'s CA signed it, it names exactly what |conf| asks for,
 * renewal is not due and it does not outlive gateway_cert_seconds from now. Otherwise it makes a new key, issues a leaf through
 * |is| (allow_gateway, life gateway_cert_seconds) in its own committed
 * transaction, and then replaces both files atomically. *out_issued says
 * which happened. The caller releases |out| with gateway_cert_cleanup. */
int gateway_cert_refresh(struct gateway_cert *out, bool *out_issued, const struct issuer *is,
                         const struct lc_conf *conf, struct lc_err *err);

/* gateway_cert_cleanup wipes the key and frees |gc|'s buffers; safe on a
 * zeroed struct. */
void gateway_cert_cleanup(struct gateway_cert *gc);

#endif
