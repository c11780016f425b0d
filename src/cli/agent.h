/* agent.h — the decisions of `lancert agent` that need no network and no
 * clock of their own: when a certificate is due for renewal, which of its
 * names move with the device's address, and where a plain-HTTP request is
 * sent. cmd_agent.c does the I/O around them. */
#ifndef LC_CLI_AGENT_H
#define LC_CLI_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/name.h"

/* A request line longer than this is refused (414) without reading more. */
#define AGENT_MAX_LINE 4096
#define AGENT_MAX_URL (AGENT_MAX_LINE + LC_NAME_MAX + 16)

/* agent_renew_after is when |cert| is due: two thirds of its life after
 * notBefore, or |before| seconds ahead of notAfter when that comes first
 * (0: only the two thirds). Errors on a certificate without valid times. */
int agent_renew_after(time_t *out, X509 *cert, int64_t before, struct lc_err *err);

/* agent_names sorts a certificate's names (as device_cert_names lists them):
 * the first hex name goes to |hex| (empty when there is none) with its
 * address in *hex_addr; the others, which can move, are indexes into |names|
 * in |friendly| (*n_friendly of them, in order). */
void agent_names(char hex[LC_NAME_MAX + 1], struct lc_addr *hex_addr, size_t *friendly,
                 size_t *n_friendly, const char names[][LC_NAME_MAX + 1], size_t n_names);

/* agent_redirect answers one plain-HTTP request line (|len| bytes, the line
 * break not included; untrusted): 308 with the URL https://|host|[:|port|]
 * + the request's path and query written to |location| (AGENT_MAX_URL
 * bytes), or 400 for a line that is not "METHOD TARGET HTTP/x.y" with a
 * printable target, or 414 when the URL would not fit. |port| 443 or 0 is
 * left out. The request's Host never enters the URL: an absolute-form target
 * keeps only its path. */
int agent_redirect(char location[AGENT_MAX_URL], const char *host, unsigned port,
                   const char *line, size_t len);

#endif
