/* server.h — the DNS responder's sockets and threads: one thread per UDP
 * socket batching with recvmmsg/sendmmsg, one thread for all TCP clients
 * (pipelined queries, idle timeouts), per-source response rate limiting. */
#ifndef LC_DNS_SERVER_H
#define LC_DNS_SERVER_H

#include <stddef.h>

#include "core/addr.h"
#include "core/conf.h"
#include "core/err.h"
#include "dns/answer.h"

#define DNS_TCP_IDLE_S 10
#define DNS_TCP_MAX_CLIENTS 64
#define DNS_TCP_PER_SOURCE 8

struct dns_server; /* opaque */

/* A handler for UPDATE messages (RFC 2136), called from the responder's
 * threads one at a time; it writes the response and returns its length (0
 * drops). |zone| is the zone the responder answers from now (it changes on
 * reload), |src| the client's address. */
typedef size_t (*dns_update_fn)(void *ctx, const struct dns_zone *zone, const struct dns_msg *q,
                                const struct lc_addr *src, uint8_t *out, size_t out_cap);

/* dns_listen_sockets binds UDP and TCP sockets for every address of |set|;
 * the caller owns them until dns_server_start takes them over. */
int dns_listen_sockets(int *udp_fds, int *tcp_fds, const struct conf_listen_set *set,
                       struct lc_err *err);

/* dns_server_start answers on the sockets (taken over) from |zone| (copied).
 * |rrl| is responses per second per source over UDP, 0 for no limit. */
int dns_server_start(struct dns_server **out, const int *udp_fds, const int *tcp_fds,
                     size_t n_fds, const struct dns_zone *zone, unsigned rrl,
                     dns_update_fn update, void *update_ctx, struct lc_err *err);

/* dns_server_set_zone swaps in a new zone (copied) for answers from now on. */
int dns_server_set_zone(struct dns_server *s, const struct dns_zone *zone, unsigned rrl,
                        struct lc_err *err);

/* dns_server_stop stops the threads, closes the sockets and frees |s|. */
void dns_server_stop(struct dns_server *s);

#endif
