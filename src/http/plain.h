/* plain.h — the plain-HTTP listener: landing page, root and CRL downloads,
 * and the redirect of every other request to its trusted HTTPS name. */
#ifndef LC_HTTP_PLAIN_H
#define LC_HTTP_PLAIN_H

#include <stddef.h>

#include "ca/publish.h"
#include "core/conf.h"
#include "core/err.h"

struct http_plain; /* opaque */

/* http_plain_start serves on the already-listening sockets |fds| (taken over:
 * closed by http_plain_stop). It answers 503 until the first publish. */
int http_plain_start(struct http_plain **out, const int *fds, size_t n_fds, struct lc_err *err);

/* http_plain_publish swaps in what the pages show: a copy of |conf| and
 * |pub| (taken over). Requests under way finish with the old content. */
int http_plain_publish(struct http_plain *srv, const struct lc_conf *conf,
                       struct ca_publication *pub, struct lc_err *err);

/* http_plain_crl_made_at returns when the published CRL was made (0: none). */
int64_t http_plain_crl_made_at(struct http_plain *srv);

/* http_plain_stop stops the listener and frees it; NULL is fine. */
void http_plain_stop(struct http_plain *srv);

#endif
