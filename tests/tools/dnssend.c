/* dnssend.c — send hand-made DNS messages and print what comes back, for the
 * integration tests: dig and kdig cannot send a malformed packet, an unknown
 * opcode or a lying TCP length prefix. Messages are given in hex; replies
 * are printed in hex, one per line.
 *
 *   dnssend [-t|-r] [-k] [-n COUNT] [-w SECONDS] [-b SRC] ADDR PORT HEX...
 *   dnssend -f COUNT [-i USEC] [-v] [-w SECONDS] [-b SRC] ADDR PORT HEX
 *
 * UDP (default): each HEX is one datagram; after each, prints the reply's
 * hex or "none" when nothing came within the wait.
 * -t  TCP: each HEX gets its two-byte length and all go out in one write
 *     (pipelining); prints each reply message until COUNT (default: one per
 *     HEX) have come, then "closed" if the server closed first, or "timeout".
 * -r  TCP, raw: the HEX bytes go out as given, without length prefixes.
 * -k  TCP: after the replies, wait for the server to close the connection:
 *     prints "closed after S.S s" or "open after S.S s".
 * -f  UDP flood: COUNT copies of HEX (each with its own ID), one every USEC
 *     microseconds (default 1000), then the wait; prints "sent N answered M".
 * -v  with -f: check each reply too, and add " distinct D differing X": D
 *     replies carried an ID that was sent and not answered before, X differed
 *     from the first reply in their length or in any byte after the ID (all
 *     copies ask the same, so their answers must be equal but for the ID).
 * -b  bind to source address SRC first.
 * Exit status: 0 when the exchange ran (whatever the replies), 1 on a socket
 * error, 2 on bad usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX 65535
#define MAX_MSGS 1024

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
    fprintf(stderr, "usage: dnssend [-t|-r] [-k] [-n COUNT] [-w SECONDS] [-b SRC] ADDR PORT HEX...\n"
                    "       dnssend -f COUNT [-i USEC] [-v] [-w SECONDS] [-b SRC] ADDR PORT HEX\n");
    return 2;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* unhex decodes |text| (spaces and colons ignored) into |out|; -1 when it
 * is not hex or does not fit. */
static long unhex(uint8_t *out, size_t cap, const char *text)
{
    size_t n = 0;
    int hi = -1;
    for (; *text; text++) {
        if (*text == ' ' || *text == ':')
            continue;
        int v = hexval(*text);
        if (v < 0)
            return -1;
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (n == cap)
            return -1;
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    return hi < 0 ? (long)n : -1;
}

static void print_hex(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        printf("%02x", p[i]);
    putchar('\n');
}

static bool parse_addr(struct sockaddr_storage *ss, socklen_t *ss_len, const char *text,
                       unsigned port)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        *ss_len = sizeof(*sin);
        return true;
    }
    if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        *ss_len = sizeof(*sin6);
        return true;
    }
    return false;
}

/* wait_readable waits until |fd| is readable or |deadline| passes. */
static bool wait_readable(int fd, double deadline)
{
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0)
            return false;
        struct pollfd pfd = {fd, POLLIN, 0};
        int n = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (n > 0)
            return true;
        if (n < 0 && errno != EINTR)
            return false;
    }
}

static int run_udp(int fd, uint8_t *const *msgs, const size_t *lens, size_t n_msgs, double wait)
{
    static uint8_t buf[MSG_MAX];
    for (size_t i = 0; i < n_msgs; i++) {
        if (send(fd, msgs[i], lens[i], 0) < 0) {
            fprintf(stderr, "dnssend: send: %s\n", strerror(errno));
            return 1;
        }
        double deadline = now_s() + wait;
        ssize_t got = -1;
        while (got < 0 && wait_readable(fd, deadline)) {
            got = recv(fd, buf, sizeof(buf), 0);
            if (got < 0 && errno != EINTR && errno != EAGAIN)
                break; /* e.g. ECONNREFUSED: nobody listens */
        }
        if (got >= 0)
            print_hex(buf, (size_t)got);
        else
            puts("none");
    }
    return 0;
}

/* flood_check: -v's bookkeeping over the replies of a flood. */
struct flood_check {
    uint8_t first[MSG_MAX];
    ssize_t first_len; /* -1 before the first reply */
    bool seen[65536];
    long distinct, differing;
};

static void flood_note(struct flood_check *c, const uint8_t *reply, ssize_t len, long sent)
{
    if (c->first_len < 0) {
        memcpy(c->first, reply, (size_t)len);
        c->first_len = len;
    }
    if (len != c->first_len || (len > 2 && memcmp(reply + 2, c->first + 2, (size_t)len - 2) != 0))
        c->differing++;
    if (len >= 2) {
        unsigned id = (unsigned)reply[0] << 8 | reply[1];
        if ((long)id < sent && !c->seen[id]) {
            c->seen[id] = true;
            c->distinct++;
        }
    }
}

static int run_flood(int fd, const uint8_t *msg, size_t len, long count, long interval_us,
                     double wait, bool verify)
{
    static uint8_t buf[MSG_MAX];
    static uint8_t copy[MSG_MAX];
    static struct flood_check check = {.first_len = -1};
    long sent = 0, answered = 0;
    double start = now_s(), end = 0;
    memcpy(copy, msg, len);
    for (;;) {
        double t = now_s();
        if (sent < count && t >= start + (double)sent * (double)interval_us / 1e6) {
            if (len >= 2) {
                copy[0] = (uint8_t)(sent >> 8);
                copy[1] = (uint8_t)sent;
            }
            if (send(fd, copy, len, 0) >= 0)
                sent++;
            else if (errno != EAGAIN && errno != ENOBUFS && errno != ECONNREFUSED)
                break;
            if (sent == count)
                end = now_s() + wait;
            continue;
        }
        if (sent == count && t >= end)
            break;
        double next = sent < count ? start + (double)sent * (double)interval_us / 1e6 : end;
        struct pollfd pfd = {fd, POLLIN, 0};
        int ms = (int)((next - t) * 1000);
        if (poll(&pfd, 1, ms > 0 ? ms : 0) > 0) {
            ssize_t got;
            while ((got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
                answered++;
                if (verify)
                    flood_note(&check, buf, got, sent);
            }
        }
    }
    if (verify)
        printf("sent %ld answered %ld distinct %ld differing %ld\n", sent, answered, check.distinct,
               check.differing);
    else
        printf("sent %ld answered %ld\n", sent, answered);
    return 0;
}

static int run_tcp(int fd, const uint8_t *out, size_t out_len, long want, bool wait_close,
                   double wait)
{
    static uint8_t buf[2 + MSG_MAX];
    size_t have = 0;
    long got = 0;
    bool closed = false;
    for (size_t off = 0; off < out_len;) {
        ssize_t n = send(fd, out + off, out_len - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "dnssend: send: %s\n", strerror(errno));
            return 1;
        }
        off += (size_t)n;
    }
    double sent_at = now_s(), deadline = sent_at + wait;
    while (got < want) {
        if (!wait_readable(fd, deadline))
            break;
        ssize_t n = recv(fd, buf + have, sizeof(buf) - have, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            closed = true;
            break;
        }
        have += (size_t)n;
        while (have >= 2) {
            size_t len = (size_t)buf[0] << 8 | buf[1];
            if (have < 2 + len)
                break;
            print_hex(buf + 2, len);
            got++;
            memmove(buf, buf + 2 + len, have - 2 - len);
            have -= 2 + len;
        }
    }
    if (got < want)
        puts(closed ? "closed" : "timeout");
    if (wait_close && !closed) {
        double since = now_s();
        for (;;) {
            if (!wait_readable(fd, since + wait)) {
                printf("open after %.1f s\n", now_s() - since);
                break;
            }
            ssize_t n = recv(fd, buf, sizeof(buf), 0);
            if (n <= 0 && !(n < 0 && errno == EINTR)) {
                printf("closed after %.1f s\n", now_s() - since);
                break;
            }
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static uint8_t *msgs[MAX_MSGS];
    static size_t lens[MAX_MSGS];
    uint8_t *framed = NULL;
    size_t n_msgs = 0, framed_len = 0, framed_cap = 0;
    bool tcp = false, raw = false, wait_close = false, verify = false;
    long want = -1, flood = 0, interval_us = 1000;
    double wait = 2.0;
    const char *src = NULL;
    struct sockaddr_storage to, from;
    socklen_t to_len, from_len = 0;
    char *end;
    int opt, fd = -1, rc = 1;

    while ((opt = getopt(argc, argv, "trkvn:w:b:f:i:")) != -1) {
        switch (opt) {
        case 't': tcp = true; break;
        case 'r': tcp = raw = true; break;
        case 'k': wait_close = true; break;
        case 'n': want = atol(optarg); break;
        case 'w': wait = atof(optarg); break;
        case 'b': src = optarg; break;
        case 'f': flood = atol(optarg); break;
        case 'i': interval_us = atol(optarg); break;
        case 'v': verify = true; break;
        default: return usage();
        }
    }
    if (argc - optind < 3 || argc - optind - 2 > MAX_MSGS || wait <= 0 || interval_us < 0 ||
        (flood > 0 && tcp))
        return usage();
    unsigned long port = strtoul(argv[optind + 1], &end, 10);
    if (*end || port == 0 || port > 65535 || !parse_addr(&to, &to_len, argv[optind], (unsigned)port))
        return usage();
    if (src && (!parse_addr(&from, &from_len, src, 0) || from.ss_family != to.ss_family))
        return usage();

    for (int i = optind + 2; i < argc; i++)
        framed_cap += 2 + strlen(argv[i]) / 2;
    if (!(framed = malloc(framed_cap)))
        goto out;
    for (int i = optind + 2; i < argc; i++) {
        size_t cap = strlen(argv[i]) / 2;
        if (!(msgs[n_msgs] = malloc(cap ? cap : 1)))
            goto out;
        long n = unhex(msgs[n_msgs], cap, argv[i]);
        n_msgs++;
        if (n < 0 || n > MSG_MAX) {
            fprintf(stderr, "dnssend: '%.40s' is not a message in hex\n", argv[i]);
            rc = 2;
            goto out;
        }
        lens[n_msgs - 1] = (size_t)n;
        if (!raw) {
            framed[framed_len++] = (uint8_t)(n >> 8);
            framed[framed_len++] = (uint8_t)n;
        }
        memcpy(framed + framed_len, msgs[n_msgs - 1], (size_t)n);
        framed_len += (size_t)n;
    }
    if (want < 0)
        want = raw ? 1 : (long)n_msgs;

    if ((fd = socket(to.ss_family, tcp ? SOCK_STREAM : SOCK_DGRAM, 0)) < 0) {
        fprintf(stderr, "dnssend: socket: %s\n", strerror(errno));
        goto out;
    }
    if (src && bind(fd, (struct sockaddr *)&from, from_len) != 0) {
        fprintf(stderr, "dnssend: bind %s: %s\n", src, strerror(errno));
        goto out;
    }
    if (connect(fd, (struct sockaddr *)&to, to_len) != 0) {
        fprintf(stderr, "dnssend: connect: %s\n", strerror(errno));
        goto out;
    }
    if (flood > 0)
        rc = run_flood(fd, msgs[0], lens[0], flood, interval_us, wait, verify);
    else if (tcp)
        rc = run_tcp(fd, framed, framed_len, want, wait_close, wait);
    else
        rc = run_udp(fd, msgs, lens, n_msgs, wait);
out:
    if (fd >= 0)
        close(fd);
    for (size_t i = 0; i < n_msgs; i++)
        free(msgs[i]);
    free(framed);
    return rc;
}
