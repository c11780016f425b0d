/* client.h — the HTTP(S) client of `lancert`: the one module through which
 * libcurl enters. HTTPS always verifies the gateway's certificate against a
 * given root (never the system store); responses are capped before they are
 * buffered, and problem documents become lc_err messages. */
#ifndef LC_CLI_CLIENT_H
#define LC_CLI_CLIENT_H

#include <stddef.h>

#include "core/addr.h"
#include "core/err.h"

/* Bodies over this many bytes are refused while they arrive (a chain of a
 * few certificates is a few KiB; a device list for a home network is small). */
#define CLIENT_MAX_BODY (1024 * 1024)
#define CLIENT_TIMEOUT_S 30

struct client_opts {
    const char *ca_file;  /* the root (PEM) HTTPS must chain to; NULL only for plain HTTP */
    const char *bearer;   /* Authorization: Bearer value, or NULL; borrowed */
    const char *resolve;  /* "HOST:PORT:ADDR" as curl's --resolve, or NULL */
    const char *source;   /* local address to connect from, or NULL */
};

struct client_response {
    long status;
    char *body; /* NUL-terminated; owned, free with client_response_cleanup */
    size_t body_len;
    char content_type[96];
};

struct client;

/* client_new makes a client; |o|'s strings are borrowed and must outlive it. */
int client_new(struct client **out, const struct client_opts *o, struct lc_err *err);

/* client_free releases |c|; NULL is fine. */
void client_free(struct client *c);

/* client_request sends |method| to |url| with an optional JSON |body| and
 * fills |out| with whatever status the server answered. Errors: LC_E_IO when
 * the server cannot be reached or its certificate does not verify,
 * LC_E_TOO_BIG over CLIENT_MAX_BODY. */
int client_request(struct client *c, struct client_response *out, const char *method,
                   const char *url, const char *body, struct lc_err *err);

/* client_local_addr gives the local address of the last connection: the
 * address the server saw the request come from. */
int client_local_addr(struct client *c, struct lc_addr *out, struct lc_err *err);

void client_response_cleanup(struct client_response *r);

/* client_status_err turns an unexpected answer into an error: the code the
 * status means (403 → LC_E_PERM, 404 → LC_E_NOTFOUND, ...) and a message with
 * the status and the problem document's detail (or title), made printable. */
int client_status_err(struct lc_err *err, const struct client_response *r, const char *what);

/* client_printable copies at most |out_len|-1 bytes of |s| (NULL: empty),
 * printable ASCII only (anything else becomes '?'), so words from a server
 * cannot drive the terminal they are shown on. */
void client_printable(char *out, size_t out_len, const char *s);

#endif
