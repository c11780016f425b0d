/* reply.h — what a route answers, before it is sent: status, content type
 * and body. Routes build replies without touching libmicrohttpd, so they are
 * tested on their own; https.c sends them with the security headers. */
#ifndef LC_HTTP_REPLY_H
#define LC_HTTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

struct reply {
    unsigned status;
    const char *type; /* a static string */
    char *body;       /* owned; freed by reply_cleanup */
    size_t body_len;
    char allow[48]; /* for 405: the methods the path takes, "GET, HEAD" */
    const char *www_authenticate; /* for 401: a static challenge, or NULL */
    const char *csp; /* a static Content-Security-Policy, or NULL for the strict default */
    bool deferred; /* no answer yet: it comes through the request's waiter */
};

/* A reply that comes later. A route whose work finishes on another thread
 * (enrolment: the issuing worker's group commit) sets nothing in its reply
 * but |deferred|, and hands the request's waiter (struct route_request) to
 * that thread, which calls |done| exactly once, from any thread, with the
 * real reply; |done| takes over its body. The listener holds the connection
 * until then and sends the reply as if the route had returned it. */
struct reply_waiter {
    void (*done)(struct reply_waiter *w, struct reply *r);
};

/* reply_json sets |r| to |status| with the compact JSON of |json| (a jansson
 * json_t *, taken over and released). Falls back to a 500 problem when
 * encoding fails. */
void reply_json(struct reply *r, unsigned status, void *json);

/* reply_problem sets |r| to an RFC 9457 problem document
 * (application/problem+json): type "about:blank", |title| (the status
 * phrase), |status| and |detail| (what is wrong, for a person). */
void reply_problem(struct reply *r, unsigned status, const char *title, const char *detail);

/* reply_problem_typed is reply_problem with a problem |type| URI other than
 * about:blank, for a refusal a client acts on ("urn:lancert:problem:replayed"). */
void reply_problem_typed(struct reply *r, unsigned status, const char *type, const char *title,
                         const char *detail);

/* reply_text sets |r| to |status| with a copy of the plain text |text|. */
void reply_text(struct reply *r, unsigned status, const char *text);

/* reply_bytes sets |r| to |status| with a copy of |len| bytes of |body| of
 * content type |type| (a static string). Falls back to a 500 problem when
 * out of memory. */
void reply_bytes(struct reply *r, unsigned status, const char *type, const void *body, size_t len);

/* reply_cleanup frees |r|'s body; safe on a zeroed struct. */
void reply_cleanup(struct reply *r);

#endif
