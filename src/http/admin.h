/* admin.h — the admin endpoints of /api/v1 (bearer token): the certificate
 * list and revocation. They run on the HTTPS listener's threads with a store
 * handle of their own, one request at a time. Pure: no libmicrohttpd. */
#ifndef LC_HTTP_ADMIN_H
#define LC_HTTP_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "http/reply.h"

struct http_admin; /* opaque */
struct route_request;

/* Called after a revocation is committed, on the listener's thread, so the
 * owner can republish the CRL. It must be quick and must not call back in. */
typedef void (*http_admin_changed_fn)(void *ctx);

/* http_admin_new opens a store handle on |state_dir| for the admin API;
 * |changed| (may be NULL) and |ctx| are borrowed and outlive the API. Open it
 * after privileges are dropped. Free with http_admin_free. */
int http_admin_new(struct http_admin **out, const char *state_dir, http_admin_changed_fn changed,
                   void *ctx, struct lc_err *err);

/* http_admin_free closes the store and frees |a|; NULL is fine. */
void http_admin_free(struct http_admin *a);

/* http_bearer_parse finds the token in an Authorization header value of the
 * form "Bearer <token68>" (RFC 6750 section 2.1; the scheme is
 * case-insensitive). |*out_token| points into |header|. False for anything
 * else, including an empty or over-long token. */
#define HTTP_BEARER_MAX 256
bool http_bearer_parse(const char *header, const char **out_token, size_t *out_len);

/* http_admin_authorize is true when |req| carries the admin token; else it
 * fills |out| with the refusal: 401 with the Bearer challenge, 503 without
 * an admin API, 500 when the store fails. For endpoints outside this module
 * that the admin may call. */
bool http_admin_authorize(struct reply *out, const struct route_request *req);

/* http_basic_password finds the password in an Authorization header value
 * of the form "Basic <base64 of user:password>" (RFC 7617; the scheme is
 * case-insensitive, the user name is ignored) and copies it, NUL-terminated,
 * to |out|. False for anything else: bad base64, no ':', an empty password
 * or one over HTTP_BEARER_MAX bytes, a NUL or control byte. The caller wipes
 * |out| with OPENSSL_cleanse. */
#define HTTP_BASIC_MAX 700 /* base64 of a 256-byte user, ':' and a 256-byte password */
bool http_basic_password(char out[HTTP_BEARER_MAX + 1], size_t *out_len, const char *header);

/* http_admin_authorize_basic is http_admin_authorize for the read-only web
 * pages (src/http/uiview.c): the admin token as the password of HTTP Basic,
 * which a browser asks for and then resends by itself; the 401 carries the
 * Basic challenge. Only routes that change nothing may
 * take it: see docs/architecture.md on CSRF. */
bool http_admin_authorize_basic(struct reply *out, const struct route_request *req);

struct store;
/* http_admin_authorize_on is http_admin_authorize against the admin token
 * hash in |store|, a handle its caller serialises: for services with a
 * store handle of their own (the enrolment API's admin endpoints). */
bool http_admin_authorize_on(struct reply *out, const struct route_request *req,
                             struct store *store);

/* GET /api/v1/certificates[?name=N]: every certificate (or those naming N),
 * as {"certificates": [{serial, names, not_before, not_after, revoked,
 * revoked_at?, device_id}]}. */
void http_admin_certs_list(struct reply *out, const struct route_request *req);

/* http_admin_certs_json sets |*out| to the array GET /api/v1/certificates
 * lists (every certificate), taking |a|'s lock; no token check, the caller
 * made it. The caller frees |*out| with json_decref. */
int http_admin_certs_json(struct http_admin *a, void **out, struct lc_err *err);

/* POST /api/v1/certificates/{serial}/revoke: revokes, commits, then answers
 * 200 with the record; 400 malformed serial, 404 unknown, 409 already revoked. */
void http_admin_cert_revoke(struct reply *out, const struct route_request *req);

#endif
