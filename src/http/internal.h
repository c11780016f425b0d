/* internal.h — shared by src/http/enroll.c and src/http/devices.c only: the
 * enrolment service's state and the steps both the enrolment and the
 * admin's approval take. */
#ifndef LC_HTTP_INTERNAL_H
#define LC_HTTP_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "ca/ca.h"
#include "ca/issue.h"
#include "core/conf.h"
#include "http/enroll.h"
#include "http/reply.h"
#include "store/store.h"

struct enroll_job;

struct http_enroll {
    /* The issuing worker's queue (enroll.c): POST enroll requests that
     * answer later, issued in batches under one commit. */
    pthread_mutex_t queue_lock;
    pthread_cond_t queue_wake;
    struct enroll_job *queue_head, *queue_tail; /* under queue_lock */
    bool worker_running; /* under queue_lock; false: requests run inline */
    bool stopping;       /* under queue_lock */
    pthread_t worker;

    pthread_mutex_t lock; /* serialises everything below */
    struct store *store;
    struct lc_conf conf;
    struct ca *ca;
    struct issuer issuer; /* ties |ca|, |store| and |conf| */
    struct dns_records *records; /* borrowed; may be NULL */
    http_admin_changed_fn changed;
    void *changed_ctx;
};

/* What one issuance for a device handed out: the certificate and, when
 * |key_out| is set, the device's update key to show with it. */
struct enroll_issued {
    struct issue_result cert;
    struct store_dns_key key;
    bool key_out;
};

/* enroll_issue_for runs one issuance of |csr| for the request that came from
 * |peer| inside the caller's open transaction (|parsed|: |csr| parsed
 * already, or NULL): the certificate (names
 * claimed), the device active, its friendly names pointed at |peer| when
 * they have no address yet, its update key made when it has none, and the
 * enrolment recorded. With |key_shown| the answer carries the update key
 * (|out|->key_out) when it was made now, or was made at an approval and
 * never fetched and |peer| is the address that asked then; without, the
 * key waits for GET enroll/{id}. Nothing is committed; the caller commits,
 * or rolls back. */
int enroll_issue_for(struct http_enroll *e, struct enroll_issued *out, const uint8_t *csr,
                     size_t csr_len, const struct csr *parsed, const struct lc_addr *peer,
                     bool key_shown, struct lc_err *err);

/* enroll_issued_cleanup frees the certificate and wipes the key. */
void enroll_issued_cleanup(struct enroll_issued *r);

/* enroll_dns_publish points the DNS table at the committed addresses of the
 * friendly names in |names|; call after the commit, with the lock held. */
void enroll_dns_publish(struct http_enroll *e, const struct policy_names *names);

/* enroll_refused is true when |rc| is a refusal of the request (a 4xx),
 * false for a failure of the gateway (a 500). */
bool enroll_refused(int rc);

/* enroll_refusal turns a refusal |rc| into its problem document. */
void enroll_refusal(struct reply *out, int rc, const struct lc_err *err);

/* enroll_store_failed answers 500 and logs |err|. */
void enroll_store_failed(struct reply *out, const struct lc_err *err);

/* enroll_time_format writes |t| as RFC 3339 UTC ("2026-11-25T12:00:00Z"). */
void enroll_time_format(char out[32], int64_t t);
json_t *enroll_time_json(int64_t t);

/* enroll_id_parse reads a device id (decimal, 1 to 2^63-1) from the path. */
bool enroll_id_parse(int64_t *out, const char *text, size_t len);

/* enroll_body_parse parses |req|'s body as a JSON object; NULL with a 400
 * problem in |out| otherwise. */
json_t *enroll_body_parse(struct reply *out, const struct route_request *req);

#endif
