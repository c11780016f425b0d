/* server.c — sockets and threads for the responder. Queries are answered
 * where they arrive, with no allocation on the way; the zone is an
 * immutable snapshot behind an atomic pointer, replaced on reload. */
#include "dns/server.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/net.h"

#define UDP_BATCH 32
/* Software interrupt moderation (see udp_main): at more than UDP_HOLD_RATE
 * queries/s, the thread sleeps UDP_HOLD_NS before reading a socket it has
 * just drained, so that queries arrive together and their answers leave
 * together. UDP_HOLD_SLACK_NS is the timer slack allowed on that sleep:
 * an answer waits at most UDP_HOLD_NS + UDP_HOLD_SLACK_NS more. */
#define UDP_HOLD_NS 100000
#define UDP_HOLD_SLACK_NS 10000
#define UDP_HOLD_RATE 40000
#define UDP_RATE_WINDOW_NS 1000000 /* the rate is measured over 1 ms windows */
/* A train (UDP GSO, see udp_send): at most 64 datagrams (the kernel's
 * UDP_MAX_SEGMENTS before Linux 6.x raised it) and well under 64 KiB. */
#define UDP_TRAIN_MAX 64
#define UDP_TRAIN_BYTES 60000
#define UDP_IN_MAX 4096 /* queries and small updates; larger ones come over TCP */
#define UDP_OUT_MAX DNS_EDNS_PAYLOAD
#define TCP_MSG_MAX 65535
#define RRL_SLOTS 4096
#define MAX_ZONES 64 /* reloads kept before the oldest zone may be freed */

struct zone_box {
    struct dns_zone zone;
    unsigned rrl;
};

struct rrl_slot {
    uint32_t key;
    uint32_t second;
    uint32_t used;
};

/* udp_rate: queries per second on one socket, over UDP_RATE_WINDOW_NS. */
struct udp_rate {
    int64_t start_ns;
    uint64_t count;
    bool busy;      /* the last window was above UDP_HOLD_RATE */
    bool hold_pays; /* the last hold brought more than one query */
};

struct udp_worker {
    struct dns_server *s;
    int fd;
    pthread_t thread;
    bool started;
    bool trains; /* the kernel takes UDP_SEGMENT on this socket */
    struct rrl_slot rrl[RRL_SLOTS];
    uint8_t in[UDP_BATCH][UDP_IN_MAX];
    uint8_t out[UDP_BATCH][UDP_OUT_MAX];
};

struct tcp_conn {
    int fd;
    struct lc_addr src;
    time_t last;
    uint8_t in[2 + TCP_MSG_MAX];
    size_t in_len;
    uint8_t *out;
    size_t out_len, out_cap;
};

struct dns_server {
    _Atomic(struct zone_box *) zone;
    atomic_bool stopping;
    struct zone_box *old_zones[MAX_ZONES]; /* retired, freed at stop */
    size_t n_old;
    pthread_mutex_t update_lock;
    dns_update_fn update;
    void *update_ctx;
    int stop_fd; /* eventfd: readable when the threads must end */
    struct udp_worker *udp;
    size_t n_udp;
    int tcp_fds[CONF_MAX_LISTEN];
    size_t n_tcp;
    pthread_t tcp_thread;
    bool tcp_started;
};

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static bool src_from_sockaddr(struct lc_addr *out, const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return addr_from_bytes(out, (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr, 4);
    if (ss->ss_family == AF_INET6)
        return addr_from_bytes(out, (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
    return false;
}

/* handle answers one message; UPDATE goes to the handler, one at a time.
 * The answer's RCODE is counted in |batch|. */
static size_t handle(struct dns_server *s, const uint8_t *pkt, size_t len, const struct lc_addr *src,
                     uint8_t *out, size_t out_cap, bool is_tcp, struct metrics_dns_batch *batch)
{
    struct zone_box *box = atomic_load_explicit(&s->zone, memory_order_acquire);
    struct dns_rr an[DNS_MAX_RRS], ns[DNS_MAX_RRS];
    struct dns_msg m;
    /* Only UPDATE needs its records kept; a query is parsed once, here. */
    bool is_update = len >= DNS_HDR_LEN && DNS_OPCODE((pkt[2] << 8) | pkt[3]) == DNS_OP_UPDATE;
    m.an = is_update ? an : NULL;
    m.ns = is_update ? ns : NULL;
    enum dns_parse_result pr = dns_msg_parse(&m, pkt, len, is_update);
    size_t n;
    if (pr != DNS_PARSE_OK) {
        n = dns_answer_parse_error(&m, pr, out, out_cap);
    } else if (s->update &&
               (is_update || (m.has_tsig && DNS_OPCODE(m.hdr.flags) == DNS_OP_QUERY))) {
        /* UPDATE, and a query signed with TSIG (it gets a signed answer), go
         * to the handler that holds the keys, one at a time. */
        pthread_mutex_lock(&s->update_lock);
        n = s->update(s->update_ctx, &box->zone, &m, src, out, out_cap);
        pthread_mutex_unlock(&s->update_lock);
    } else {
        n = dns_answer_msg(&box->zone, &m, out, out_cap, is_tcp, now_s());
    }
    if (n >= DNS_HDR_LEN)
        metrics_dns_batch_count(batch, is_update, out[3] & 0x0f);
    return n;
}

/* rrl_allow: a token count per source and second; over |limit| is dropped.
 * Sources that hash to one slot reset each other's count, which errs towards
 * answering: a flood is limited less while a colliding source also asks. */
static bool rrl_allow(struct udp_worker *w, unsigned limit, const struct lc_addr *src)
{
    uint32_t h = 2166136261u;
    if (limit == 0)
        return true;
    for (size_t i = 0; i < addr_len(src); i++)
        h = (h ^ src->b[i]) * 16777619u;
    struct rrl_slot *slot = &w->rrl[h % RRL_SLOTS];
    uint32_t second = (uint32_t)now_s();
    if (slot->key != h || slot->second != second) {
        slot->key = h;
        slot->second = second;
        slot->used = 0;
    }
    return ++slot->used <= limit;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* udp_rate_note counts |n| queries just read; at the end of a window it
 * decides whether holding is worth trying. A window that spans an idle
 * wait comes out slow, so the first query after a quiet spell is never
 * held. */
static void udp_rate_note(struct udp_rate *r, int n)
{
    int64_t now = mono_ns(), elapsed = now - r->start_ns;
    r->count += (uint64_t)n;
    if (elapsed < UDP_RATE_WINDOW_NS)
        return;
    r->busy = r->count * 1000000000u >= (uint64_t)UDP_HOLD_RATE * (uint64_t)elapsed;
    r->hold_pays = true; /* try again each window */
    r->count = 0;
    r->start_ns = now;
}

/* udp_hold sleeps UDP_HOLD_NS. A plain sleep, not a wait on the socket: a
 * wait would end at the first datagram, and while the thread does not wait
 * on the socket the client's kernel has no one to wake per query. */
static void udp_hold(void)
{
    struct timespec ts = {0, UDP_HOLD_NS};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* udp_send_each sends |k| answers, a datagram each. */
static void udp_send_each(int fd, struct mmsghdr *msgs, int k)
{
    for (int sent = 0; sent < k;) {
        int m = sendmmsg(fd, msgs + sent, (unsigned)(k - sent), 0);
        if (m <= 0) {
            if (m < 0 && errno == EINTR)
                continue;
            break; /* a full socket buffer drops the rest, as UDP may */
        }
        sent += m;
    }
}

/* udp_send sends the batch's |k| answers (msgs[i] with the one iovec
 * iov[i]). Per datagram, the kernel's UDP/IP path costs far more than
 * lancert's answer; so answers in a row to one address whose sizes allow
 * it (all of one size but the last, which may be shorter) leave as one
 * train with UDP_SEGMENT (UDP GSO, Linux >= 4.18): one pass through UDP
 * and IP, cut into ordinary datagrams at the device, or on loopback at the
 * receiving socket; the client sees the same datagrams. A train the kernel
 * refuses (a route without checksum offload, an MTU below the answer
 * size) is sent a datagram at a time, and this socket makes no more. */
static void udp_send(struct udp_worker *w, struct mmsghdr *msgs, struct iovec *iov, int k)
{
    struct mmsghdr trains[UDP_BATCH];
    union {
        char buf[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } ctl[UDP_BATCH];
    int t = 0;
    if (!w->trains || k < 2) {
        udp_send_each(w->fd, msgs, k);
        return;
    }
    for (int i = 0; i < k;) {
        const struct msghdr *first = &msgs[i].msg_hdr;
        size_t size = iov[i].iov_len, bytes = size;
        int j = i + 1;
        while (j < k && j - i < UDP_TRAIN_MAX && iov[j - 1].iov_len == size && iov[j].iov_len <= size &&
               bytes + iov[j].iov_len <= UDP_TRAIN_BYTES &&
               msgs[j].msg_hdr.msg_namelen == first->msg_namelen &&
               memcmp(msgs[j].msg_hdr.msg_name, first->msg_name, first->msg_namelen) == 0)
            bytes += iov[j++].iov_len;
        struct msghdr *h = &trains[t].msg_hdr;
        *h = *first;
        h->msg_iovlen = (size_t)(j - i);
        if (j - i > 1) {
            uint16_t seg = (uint16_t)size;
            h->msg_control = ctl[t].buf;
            h->msg_controllen = sizeof(ctl[t].buf);
            struct cmsghdr *c = CMSG_FIRSTHDR(h);
            c->cmsg_level = SOL_UDP;
            c->cmsg_type = UDP_SEGMENT;
            c->cmsg_len = CMSG_LEN(sizeof(seg));
            memcpy(CMSG_DATA(c), &seg, sizeof(seg));
        }
        t++;
        i = j;
    }
    for (int sent = 0; sent < t;) {
        int m = sendmmsg(w->fd, trains + sent, (unsigned)(t - sent), 0);
        if (m > 0) {
            sent += m;
            continue;
        }
        if (m < 0 && errno == EINTR)
            continue;
        struct msghdr *h = &trains[sent].msg_hdr;
        if (m < 0 && h->msg_iovlen > 1 && (errno == EIO || errno == EINVAL || errno == EMSGSIZE)) {
            log_msg(LOG_INFO, "dns: UDP GSO refused (%s); sending a datagram per answer",
                    strerror(errno));
            w->trains = false;
            udp_send_each(w->fd, msgs + (h->msg_iov - iov), (int)h->msg_iovlen);
            sent++;
            continue;
        }
        break; /* a full socket buffer drops the rest, as UDP may */
    }
}

static void *udp_main(void *arg)
{
    struct udp_worker *w = arg;
    struct dns_server *s = w->s;
    uint8_t(*in)[UDP_IN_MAX] = w->in;
    uint8_t(*out)[UDP_OUT_MAX] = w->out;
    struct sockaddr_storage from[UDP_BATCH];
    struct iovec in_iov[UDP_BATCH], out_iov[UDP_BATCH];
    struct mmsghdr in_msgs[UDP_BATCH], out_msgs[UDP_BATCH];
    struct metrics_dns_batch batch;

    metrics_dns_batch_init(&batch);
    memset(in_msgs, 0, sizeof(in_msgs));
    for (int i = 0; i < UDP_BATCH; i++) {
        in_iov[i].iov_base = in[i];
        in_iov[i].iov_len = sizeof(in[i]);
        in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
        in_msgs[i].msg_hdr.msg_iovlen = 1;
        in_msgs[i].msg_hdr.msg_name = &from[i];
    }
    /* One system call per batch: recvmmsg blocks for the first datagram and
     * takes whatever else has arrived (MSG_WAITFORONE). The receive timeout
     * bounds how long a stop waits; dns_server_stop also shuts the socket
     * down, which wakes the call at once. */
    struct timeval tick = {1, 0};
    int flags = fcntl(w->fd, F_GETFL);
    if (flags < 0 || fcntl(w->fd, F_SETFL, flags & ~O_NONBLOCK) < 0 ||
        setsockopt(w->fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick)) < 0)
        log_msg(LOG_WARNING, "dns: cannot make the UDP socket blocking: %s", strerror(errno));
    /* Trains only where the kernel knows UDP_SEGMENT: an older one would
     * ignore the option and send the train as one large datagram. */
    int seg = 0;
    socklen_t seg_len = sizeof(seg);
    w->trains = getsockopt(w->fd, SOL_UDP, UDP_SEGMENT, &seg, &seg_len) == 0;
    /* The hold's sleep may overrun by the thread's timer slack, 50 us by
     * default; this bounds it (the setting is per thread). */
    if (prctl(PR_SET_TIMERSLACK, (unsigned long)UDP_HOLD_SLACK_NS, 0, 0, 0) < 0)
        log_msg(LOG_WARNING, "dns: cannot set the timer slack: %s", strerror(errno));

    /* Moderation. When the thread is faster than its clients it drains the
     * socket at each datagram: every query then pays a wake-up, a recvmmsg,
     * a sendmmsg, and the wake-up of the client for its answer, and on a
     * virtual machine each wake-up across cores is a costly exit to the
     * hypervisor. So when the socket was drained (the last read did not
     * fill the batch), the rate is high and the last hold paid off, the
     * thread sleeps UDP_HOLD_NS before reading again: queries gather in the
     * socket and their answers leave as trains (udp_send). Below the rate,
     * or after a hold that brought a single query (one client asking in
     * turn, which a hold would only slow), it reads at once. */
    struct udp_rate rate = {.start_ns = mono_ns()};
    int n = UDP_BATCH;
    while (!atomic_load_explicit(&s->stopping, memory_order_relaxed)) {
        for (int i = 0; i < UDP_BATCH; i++)
            in_msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
        bool held = n < UDP_BATCH && rate.busy && rate.hold_pays;
        if (held)
            udp_hold();
        n = recvmmsg(w->fd, in_msgs, UDP_BATCH, MSG_WAITFORONE, NULL);
        udp_rate_note(&rate, n > 0 ? n : 0);
        if (held)
            rate.hold_pays = n > 1;
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_msg(LOG_WARNING, "dns: recvmmsg: %s", strerror(errno));
            continue;
        }
        struct zone_box *box = atomic_load_explicit(&s->zone, memory_order_acquire);
        int k = 0;
        for (int i = 0; i < n; i++) {
            struct lc_addr src;
            if (!src_from_sockaddr(&src, &from[i]))
                continue;
            /* The exemption is looked up only for what the limit would drop. */
            if (!rrl_allow(w, box->rrl, &src) &&
                !prefix_set_contains(&box->zone.rrl_exempt, &src)) {
                batch.rate_limited++;
                continue;
            }
            size_t len = handle(s, in[i], in_msgs[i].msg_len, &src, out[k], sizeof(out[k]),
                                false, &batch);
            if (len == 0)
                continue;
            out_iov[k].iov_base = out[k];
            out_iov[k].iov_len = len;
            memset(&out_msgs[k].msg_hdr, 0, sizeof(out_msgs[k].msg_hdr));
            out_msgs[k].msg_hdr.msg_iov = &out_iov[k];
            out_msgs[k].msg_hdr.msg_iovlen = 1;
            out_msgs[k].msg_hdr.msg_name = &from[i];
            out_msgs[k].msg_hdr.msg_namelen = in_msgs[i].msg_hdr.msg_namelen;
            k++;
        }
        /* Counted before the answers leave: a client that has its answer
         * finds it in the next scrape. */
        metrics_dns_batch_flush(&batch);
        udp_send(w, out_msgs, out_iov, k);
    }
    return NULL;
}

/* ---- TCP -------------------------------------------------------------------- */

static void conn_close(int ep, struct tcp_conn **conns, size_t i)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, conns[i]->fd, NULL);
    close(conns[i]->fd);
    free(conns[i]->out);
    free(conns[i]);
    conns[i] = NULL;
}

/* conn_flush writes what is queued; false when the client is gone. */
static bool conn_flush(struct tcp_conn *c)
{
    while (c->out_len > 0) {
        ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (n <= 0)
            return false;
        memmove(c->out, c->out + n, c->out_len - (size_t)n);
        c->out_len -= (size_t)n;
    }
    return true;
}

static bool conn_queue(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
    /* A client that does not read its answers gets at most this much queued. */
    if (c->out_len + 2 + len > 4 * (2 + TCP_MSG_MAX))
        return false;
    if (c->out_len + 2 + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap * 2 : 4096;
        while (cap < c->out_len + 2 + len)
            cap *= 2;
        uint8_t *p = realloc(c->out, cap);
        if (!p)
            return false;
        c->out = p;
        c->out_cap = cap;
    }
    c->out[c->out_len++] = (uint8_t)(len >> 8);
    c->out[c->out_len++] = (uint8_t)len;
    memcpy(c->out + c->out_len, msg, len);
    c->out_len += len;
    return true;
}

/* conn_read reads and answers every complete message (pipelining, RFC 7766
 * 6.2.1); false when the connection must close. */
static bool conn_read(struct dns_server *s, struct tcp_conn *c, uint8_t *answer)
{
    struct metrics_dns_batch batch;
    metrics_dns_batch_init(&batch);
    for (;;) {
        ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            return false;
        c->in_len += (size_t)n;
        for (;;) {
            if (c->in_len < 2)
                break;
            size_t msg_len = ((size_t)c->in[0] << 8) | c->in[1];
            if (msg_len < DNS_HDR_LEN)
                return false; /* no DNS message is this short */
            if (c->in_len < 2 + msg_len)
                break;
            /* Idle time counts from the last whole message (RFC 7766 6.2.3):
             * a byte now and then does not keep a slot. */
            c->last = time(NULL);
            size_t len = handle(s, c->in + 2, msg_len, &c->src, answer, TCP_MSG_MAX, true, &batch);
            if (len > 0 && !conn_queue(c, answer, len))
                return false; /* nothing queued goes out: none of it is counted */
            memmove(c->in, c->in + 2 + msg_len, c->in_len - 2 - msg_len);
            c->in_len -= 2 + msg_len;
        }
    }
    /* Counted when the answers go out, before they leave, as for UDP. */
    metrics_dns_batch_flush(&batch);
    return conn_flush(c);
}

static void *tcp_main(void *arg)
{
    struct dns_server *s = arg;
    struct tcp_conn *conns[DNS_TCP_MAX_CLIENTS] = {NULL};
    struct epoll_event ev, events[32];
    uint8_t *answer = malloc(TCP_MSG_MAX);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0 || !answer) {
        free(answer);
        if (ep >= 0)
            close(ep);
        log_msg(LOG_ERR, "dns: cannot start the TCP loop");
        return NULL;
    }
    /* Listening sockets carry their index + 1 in negative space. */
    for (size_t i = 0; i < s->n_tcp; i++) {
        ev.events = EPOLLIN;
        ev.data.u64 = 1000 + i;
        epoll_ctl(ep, EPOLL_CTL_ADD, s->tcp_fds[i], &ev);
    }
    ev.events = EPOLLIN;
    ev.data.u64 = 999;
    epoll_ctl(ep, EPOLL_CTL_ADD, s->stop_fd, &ev);
    for (;;) {
        int n = epoll_wait(ep, events, 32, 1000);
        if (n < 0 && errno != EINTR)
            break;
        bool stop = false;
        for (int e = 0; e < n; e++) {
            uint64_t tag = events[e].data.u64;
            if (tag == 999) {
                stop = true;
            } else if (tag >= 1000) {
                struct sockaddr_storage ss;
                socklen_t ss_len = sizeof(ss);
                int fd = accept4(s->tcp_fds[tag - 1000], (struct sockaddr *)&ss, &ss_len,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                    continue;
                size_t slot = DNS_TCP_MAX_CLIENTS, same_src = 0;
                struct lc_addr src;
                bool known = src_from_sockaddr(&src, &ss);
                for (size_t i = 0; i < DNS_TCP_MAX_CLIENTS; i++) {
                    if (!conns[i] && slot == DNS_TCP_MAX_CLIENTS)
                        slot = i;
                    else if (conns[i] && known && addr_equal(&conns[i]->src, &src))
                        same_src++;
                }
                /* One address may not hold every slot. */
                struct tcp_conn *c = slot < DNS_TCP_MAX_CLIENTS && known &&
                                             same_src < DNS_TCP_PER_SOURCE
                                         ? calloc(1, sizeof(*c))
                                         : NULL;
                if (c)
                    c->src = src;
                if (!c) {
                    free(c);
                    close(fd); /* full: the oldest idle ones time out soon */
                    continue;
                }
                c->fd = fd;
                c->last = time(NULL);
                conns[slot] = c;
                ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
                ev.data.u64 = slot;
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
            } else if (tag < DNS_TCP_MAX_CLIENTS && conns[tag]) {
                struct tcp_conn *c = conns[tag];
                bool alive = true;
                if (events[e].events & (EPOLLERR | EPOLLHUP))
                    alive = false;
                if (alive && (events[e].events & EPOLLIN))
                    alive = conn_read(s, c, answer);
                if (alive && (events[e].events & EPOLLOUT))
                    alive = conn_flush(c);
                if (!alive)
                    conn_close(ep, conns, tag);
            }
        }
        if (stop)
            break;
        time_t now = time(NULL);
        for (size_t i = 0; i < DNS_TCP_MAX_CLIENTS; i++)
            if (conns[i] && now - conns[i]->last >= DNS_TCP_IDLE_S)
                conn_close(ep, conns, i);
    }
    for (size_t i = 0; i < DNS_TCP_MAX_CLIENTS; i++)
        if (conns[i])
            conn_close(ep, conns, i);
    close(ep);
    free(answer);
    return NULL;
}

/* ---- set-up ----------------------------------------------------------------- */

int dns_listen_sockets(int *udp_fds, int *tcp_fds, const struct conf_listen_set *set,
                       struct lc_err *err)
{
    size_t i;
    int rc;
    for (i = 0; i < set->n_items; i++) {
        if ((rc = net_listen_udp(&udp_fds[i], &set->items[i], err)) != LC_OK)
            goto fail;
        if ((rc = net_listen_tcp(&tcp_fds[i], &set->items[i], 64, err)) != LC_OK) {
            close(udp_fds[i]);
            goto fail;
        }
    }
    return LC_OK;
fail:
    while (i-- > 0) {
        close(udp_fds[i]);
        close(tcp_fds[i]);
    }
    return rc;
}

static int box_zone(struct zone_box **out, const struct dns_zone *zone, unsigned rrl,
                    struct lc_err *err)
{
    struct zone_box *b = malloc(sizeof(*b));
    if (!b)
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    b->zone = *zone;
    b->rrl = rrl;
    *out = b;
    return LC_OK;
}

int dns_server_start(struct dns_server **out, const int *udp_fds, const int *tcp_fds,
                     size_t n_fds, const struct dns_zone *zone, unsigned rrl,
                     dns_update_fn update, void *update_ctx, struct lc_err *err)
{
    struct dns_server *s = calloc(1, sizeof(*s));
    struct zone_box *box = NULL;
    int rc;
    if (!s || !(s->udp = calloc(n_fds ? n_fds : 1, sizeof(*s->udp)))) {
        free(s);
        return lc_fail(err, LC_E_NOMEM, "out of memory");
    }
    pthread_mutex_init(&s->update_lock, NULL);
    s->update = update;
    s->update_ctx = update_ctx;
    s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if ((rc = box_zone(&box, zone, rrl, err)) != LC_OK)
        goto fail;
    atomic_store(&s->zone, box);
    for (size_t i = 0; i < n_fds; i++) {
        s->udp[i].s = s;
        s->udp[i].fd = udp_fds[i];
        s->tcp_fds[i] = tcp_fds[i];
    }
    s->n_udp = s->n_tcp = n_fds;
    if (s->stop_fd < 0) {
        rc = lc_fail(err, LC_E_IO, "eventfd: %s", strerror(errno));
        goto fail;
    }
    for (size_t i = 0; i < n_fds; i++) {
        if (pthread_create(&s->udp[i].thread, NULL, udp_main, &s->udp[i]) != 0) {
            rc = lc_fail(err, LC_E_IO, "cannot start a DNS thread");
            goto fail;
        }
        s->udp[i].started = true;
    }
    if (n_fds && pthread_create(&s->tcp_thread, NULL, tcp_main, s) != 0) {
        rc = lc_fail(err, LC_E_IO, "cannot start the DNS TCP thread");
        goto fail;
    }
    s->tcp_started = n_fds > 0;
    *out = s;
    return LC_OK;
fail:
    dns_server_stop(s);
    return rc;
}

int dns_server_set_zone(struct dns_server *s, const struct dns_zone *zone, unsigned rrl,
                        struct lc_err *err)
{
    struct zone_box *box;
    int rc = box_zone(&box, zone, rrl, err);
    if (rc != LC_OK)
        return rc;
    struct zone_box *old = atomic_exchange(&s->zone, box);
    /* Threads may still read the old zone: keep it until stop. Reloads are
     * rare, so the list stays short; past its end the oldest is freed. */
    if (s->n_old == MAX_ZONES) {
        free(s->old_zones[0]);
        memmove(s->old_zones, s->old_zones + 1, (MAX_ZONES - 1) * sizeof(s->old_zones[0]));
        s->n_old--;
    }
    s->old_zones[s->n_old++] = old;
    return LC_OK;
}

void dns_server_stop(struct dns_server *s)
{
    if (!s)
        return;
    uint64_t one = 1;
    atomic_store(&s->stopping, true);
    if (s->stop_fd >= 0 && write(s->stop_fd, &one, sizeof(one)) < 0)
        log_msg(LOG_WARNING, "dns: cannot signal the threads to stop");
    for (size_t i = 0; i < s->n_udp; i++)
        if (s->udp[i].started)
            shutdown(s->udp[i].fd, SHUT_RD); /* wakes a blocked recvmmsg */
    for (size_t i = 0; i < s->n_udp; i++)
        if (s->udp[i].started)
            pthread_join(s->udp[i].thread, NULL);
    if (s->tcp_started)
        pthread_join(s->tcp_thread, NULL);
    for (size_t i = 0; i < s->n_udp; i++)
        close(s->udp[i].fd);
    for (size_t i = 0; i < s->n_tcp; i++)
        close(s->tcp_fds[i]);
    if (s->stop_fd >= 0)
        close(s->stop_fd);
    for (size_t i = 0; i < s->n_old; i++)
        free(s->old_zones[i]);
    free(atomic_load(&s->zone));
    pthread_mutex_destroy(&s->update_lock);
    free(s->udp);
    free(s);
}
