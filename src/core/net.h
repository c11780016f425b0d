/* net.h — listening sockets, made before privileges are dropped. */
#ifndef LC_CORE_NET_H
#define LC_CORE_NET_H

#include "core/conf.h"
#include "core/err.h"

/* net_listen_tcp binds and listens on |l|; returns the socket (non-blocking,
 * close-on-exec, IPv6 sockets v6-only) in *out_fd. */
int net_listen_tcp(int *out_fd, const struct conf_listen *l, int backlog, struct lc_err *err);

/* net_listen_udp binds a UDP socket on |l| (non-blocking, close-on-exec,
 * IPv6 sockets v6-only) into *out_fd. */
int net_listen_udp(int *out_fd, const struct conf_listen *l, struct lc_err *err);

#endif
