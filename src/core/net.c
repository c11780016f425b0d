/* net.c — socket set-up shared by the listeners. */
#include "core/net.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static socklen_t to_sockaddr(struct sockaddr_storage *ss, const struct conf_listen *l)
{
    memset(ss, 0, sizeof(*ss));
    if (l->addr.family == LC_AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(l->port);
        memcpy(&sin->sin_addr, l->addr.b, 4);
        return sizeof(*sin);
    }
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(l->port);
    memcpy(&sin6->sin6_addr, l->addr.b, 16);
    return sizeof(*sin6);
}

int net_listen_udp(int *out_fd, const struct conf_listen *l, struct lc_err *err)
{
    struct sockaddr_storage ss;
    socklen_t ss_len = to_sockaddr(&ss, l);
    char text[LC_ADDR_STRLEN + 8];
    int one = 1, fd;
    conf_listen_format(text, sizeof(text), l);
    fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return lc_fail(err, LC_E_IO, "socket for %s: %s", text, strerror(errno));
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, ss_len) != 0) {
        int e = errno;
        close(fd);
        return lc_fail(err, LC_E_IO, "cannot listen on %s (udp): %s", text, strerror(e));
    }
    *out_fd = fd;
    return LC_OK;
}

int net_listen_tcp(int *out_fd, const struct conf_listen *l, int backlog, struct lc_err *err)
{
    struct sockaddr_storage ss;
    socklen_t ss_len;
    char text[LC_ADDR_STRLEN + 8];
    int one = 1, fd;

    ss_len = to_sockaddr(&ss, l);
    conf_listen_format(text, sizeof(text), l);
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return lc_fail(err, LC_E_IO, "socket for %s: %s", text, strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, ss_len) != 0 || listen(fd, backlog) != 0) {
        int e = errno;
        close(fd);
        return lc_fail(err, LC_E_IO, "cannot listen on %s: %s", text, strerror(e));
    }
    *out_fd = fd;
    return LC_OK;
}
