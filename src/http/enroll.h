/* enroll.h — the REST enrolment API of /api/v1: the CA (GET ca), enrolment
 * by CSR (POST enroll, GET enroll/{id}) and the admin's device and token
 * endpoints (GET devices, GET devices/{id}, POST devices/{id}/approve,
 * DELETE devices/{id}, POST tokens). One service with its own store handle,
 * its own copy of the CA and configuration, and one mutex: requests run one
 * at a time on the HTTPS listener's threads, except POST enroll, which an
 * issuing worker thread runs in batches under one commit (group commit)
 * and answers later through the request's waiter (reply.h). Pure: no
 * libmicrohttpd. */
#ifndef LC_HTTP_ENROLL_H
#define LC_HTTP_ENROLL_H

#include "core/conf.h"
#include "core/err.h"
#include "http/admin.h"
#include "http/reply.h"

struct http_enroll; /* opaque */
struct route_request;
struct dns_records;

/* http_enroll_new opens a store handle and loads the CA from |conf|'s state
 * directory; |conf| is copied. |records| (may be NULL) is the DNS table the
 * service updates after each commit, |changed| (may be NULL) is called after
 * a revocation is committed (see http_admin_changed_fn); both are borrowed
 * and outlive the service. Open it after privileges are dropped. Free with
 * http_enroll_free. */
int http_enroll_new(struct http_enroll **out, const struct lc_conf *conf,
                    struct dns_records *records, http_admin_changed_fn changed, void *ctx,
                    struct lc_err *err);

/* http_enroll_reload loads the CA again and takes a copy of |conf| (zone,
 * ranges, enroll_policy, lifetimes), for SIGHUP. On failure the running
 * state is kept. The state directory does not change. */
int http_enroll_reload(struct http_enroll *e, const struct lc_conf *conf, struct lc_err *err);

/* http_enroll_quiesce answers every queued enrolment and stops the issuing
 * worker; later ones run inline, one commit each. Call it before the
 * listener stops (a suspended connection must be resumed first). */
void http_enroll_quiesce(struct http_enroll *e);

/* http_enroll_free quiesces, closes the store, frees the CA and |e|; NULL
 * is fine. */
void http_enroll_free(struct http_enroll *e);

/* GET /api/v1/ca: {zone, root, chain, fingerprint_sha256}. */
void http_enroll_ca(struct reply *out, const struct route_request *req);

/* POST /api/v1/enroll {csr, token?}: 201 with the certificate, 202 pending
 * the admin's approval; 400, 403, 409, 413 problems. See docs/openapi.yaml. */
void http_enroll_post(struct reply *out, const struct route_request *req);

/* GET /api/v1/enroll/{id}: the request's state; the update key once, to
 * the address that asked. */
void http_enroll_get(struct reply *out, const struct route_request *req);

/* Admin (bearer token): GET /api/v1/devices, GET /api/v1/devices/{id},
 * POST /api/v1/devices/{id}/approve, DELETE /api/v1/devices/{id},
 * POST /api/v1/tokens. */
/* http_devices_json sets |*out| (a jansson array the caller frees) to the
 * Device records GET /api/v1/devices lists, taking |e|'s lock; no token
 * check, the caller made it. For the read-only web pages. */
int http_devices_json(struct http_enroll *e, void **out, struct lc_err *err);

/* http_enroll_root copies the zone and the root's SHA-256 fingerprint, as
 * GET /api/v1/ca gives them. */
#define HTTP_FINGERPRINT_LEN 96 /* CA_FINGERPRINT_LEN of ca/ca.h */
void http_enroll_root(struct http_enroll *e, char zone[LC_NAME_MAX + 1],
                      char fingerprint[HTTP_FINGERPRINT_LEN]);

void http_devices_list(struct reply *out, const struct route_request *req);
void http_device_get(struct reply *out, const struct route_request *req);
void http_device_approve(struct reply *out, const struct route_request *req);
void http_device_delete(struct reply *out, const struct route_request *req);
void http_tokens_create(struct reply *out, const struct route_request *req);

#endif
