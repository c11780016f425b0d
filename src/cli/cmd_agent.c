/* cmd_agent.c — `lancert agent`: the small daemon a device runs beside its
 * web server. Each pass renews the certificate when it is due (then runs
 * --reload-cmd), and moves the friendly names when the device's address
 * changed; between passes it can answer plain HTTP with a 308 to the
 * device's HTTPS name. Single-threaded: one poll loop, one connection at a
 * time, each bounded in size and time. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include "cli/agent.h"
#include "cli/cli.h"
#include "cli/device.h"
#include "core/file.h"
#include "core/net.h"

#define DEFAULT_INTERVAL_S 3600
#define MAX_INTERVAL_S 86400
#define FIRST_BACKOFF_S 30
#define REQUEST_TIME_S 5 /* a client gets this long to send its request line */
#define ADDRESS_FILE "address"

enum {
    OPT_SERVER_A = OPT_ADMIN_VERB_BASE,
    OPT_DIR,
    OPT_INTERVAL,
    OPT_ONCE,
    OPT_REDIRECT,
    OPT_HTTPS_PORT,
    OPT_RELOAD_CMD,
    OPT_ADDRESS,
    OPT_RENEW_BEFORE,
};

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
}

struct agent {
    struct cli *cli;
    struct cli_device dev;
    const char *reload_cmd;
    long interval, renew_before;
    unsigned https_port;
    int listen_fd;
    char host[LC_NAME_MAX + 1]; /* where the redirect points */
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("lancert agent: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int parse_num(long *out, const char *arg, long min, long max, const char *what,
                     struct lc_err *err)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < min || v > max)
        return lc_fail(err, LC_E_USAGE, "%s needs a number, %ld to %ld", what, min, max);
    *out = v;
    return LC_OK;
}

/* server_host_port takes HOST and PORT out of https://HOST[:PORT]. */
static int server_host_port(char *host, size_t host_len, char port[8], const char *server,
                            struct lc_err *err)
{
    const char *h = strncmp(server, "https://", 8) == 0 ? server + 8 : NULL, *end, *colon;
    size_t n = h ? strcspn(h, "/") : 0, plen = 0;
    if (!h || n == 0)
        return lc_fail(err, LC_E_USAGE, "--server needs https://HOST[:PORT]");
    const char *stop = h + n;
    if (h[0] == '[') {
        end = memchr(h, ']', n);
        if (!end)
            return lc_fail(err, LC_E_USAGE, "--server has an unclosed [");
        colon = end + 1 < stop && end[1] == ':' ? end + 1 : NULL;
        h++;
    } else {
        colon = memchr(h, ':', n);
        end = colon ? colon : stop;
    }
    if ((size_t)(end - h) >= host_len || end == h)
        return lc_fail(err, LC_E_USAGE, "--server's host is empty or too long");
    snprintf(host, host_len, "%.*s", (int)(end - h), h);
    if (colon)
        plen = (size_t)(stop - (colon + 1));
    if (colon && (plen == 0 || plen > 5))
        return lc_fail(err, LC_E_USAGE, "--server has a bad port");
    snprintf(port, 8, "%.*s", colon ? (int)plen : 3, colon ? colon + 1 : "443");
    return LC_OK;
}

/* current_address is the address this device reaches the gateway from: the
 * source the kernel picks for a UDP "connection" to it (nothing is sent);
 * --address when given. */
static int current_address(struct lc_addr *out, const struct agent *a, struct lc_err *err)
{
    char host[LC_NAME_MAX + 3], port[8];
    struct addrinfo hints, *ai = NULL;
    struct sockaddr_storage ss;
    socklen_t ss_len = sizeof(ss);
    int rc, fd = -1, g;

    if (a->dev.address) {
        if (!addr_parse(out, a->dev.address, strlen(a->dev.address)))
            return lc_fail(err, LC_E_USAGE, "--address needs an IP address");
        return LC_OK;
    }
    if ((rc = server_host_port(host, sizeof(host), port, a->dev.server, err)) != LC_OK)
        return rc;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_DGRAM;
    if ((g = getaddrinfo(host, port, &hints, &ai)) != 0)
        return lc_fail(err, LC_E_IO, "cannot resolve %.60s: %s", host, gai_strerror(g));
    rc = lc_fail(err, LC_E_IO, "no route to %.60s", host);
    for (struct addrinfo *p = ai; p; p = p->ai_next) {
        if ((fd = socket(p->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
            continue;
        if (connect(fd, p->ai_addr, p->ai_addrlen) == 0 &&
            getsockname(fd, (struct sockaddr *)&ss, &ss_len) == 0) {
            bool ok = ss.ss_family == AF_INET
                          ? addr_from_bytes(out, (const uint8_t *)&((struct sockaddr_in *)&ss)->sin_addr, 4)
                          : addr_from_bytes(out, ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr, 16);
            close(fd);
            if (ok) {
                rc = LC_OK;
                break;
            }
            continue;
        }
        close(fd);
    }
    freeaddrinfo(ai);
    if (rc == LC_OK)
        lc_err_clear(err);
    return rc;
}

static int dir_path(char out[PATH_MAX], const struct agent *a, const char *file, struct lc_err *err)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", a->dev.dir, file);
    return n > 0 && n < PATH_MAX ? LC_OK : lc_fail(err, LC_E_USAGE, "the directory name is too long");
}

static void reload(const struct agent *a)
{
    if (!a->reload_cmd)
        return;
    int st = system(a->reload_cmd);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        say("--reload-cmd failed (status %d)", st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/* renew_if_due renews when the certificate in DIR is due. */
static int renew_if_due(struct agent *a, struct lc_err *err)
{
    char path[PATH_MAX], when[32];
    X509 *cert = NULL;
    time_t due;
    int rc;
    if ((rc = dir_path(path, a, DEVICE_CERT_FILE, err)) != LC_OK ||
        (rc = device_cert_load(&cert, path, err)) != LC_OK)
        return rc;
    rc = agent_renew_after(&due, cert, a->renew_before, err);
    X509_free(cert);
    if (rc != LC_OK)
        return rc;
    if (time(NULL) < due)
        return LC_OK;
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&due));
    say("the certificate was due at %s: renewing", when);
    if ((rc = cli_device_renew(a->cli, &a->dev, err)) != LC_OK)
        return rc;
    reload(a);
    return LC_OK;
}

/* follow_address moves the friendly names when this device's address is no
 * longer the one they point to (DIR/address; at first the hex name's). */
static int follow_address(struct agent *a, struct lc_err *err)
{
    char path[PATH_MAX], names[DEVICE_MAX_NAMES][LC_NAME_MAX + 1], hex[LC_NAME_MAX + 1],
        now_text[LC_ADDR_STRLEN], was_text[LC_ADDR_STRLEN], hex_text[LC_ADDR_STRLEN],
        *saved = NULL;
    size_t n_names = 0, friendly[DEVICE_MAX_NAMES], n_friendly = 0, saved_len = 0;
    struct lc_addr now, was, hex_addr;
    X509 *cert = NULL;
    int rc;

    if ((rc = dir_path(path, a, DEVICE_CERT_FILE, err)) != LC_OK ||
        (rc = device_cert_load(&cert, path, err)) != LC_OK)
        return rc;
    rc = device_cert_names(names, &n_names, cert, err);
    X509_free(cert);
    if (rc != LC_OK)
        return rc;
    agent_names(hex, &hex_addr, friendly, &n_friendly, names, n_names);
    snprintf(a->host, sizeof(a->host), "%s", n_friendly ? names[friendly[0]] : names[0]);
    if ((rc = current_address(&now, a, err)) != LC_OK ||
        (rc = dir_path(path, a, ADDRESS_FILE, err)) != LC_OK)
        return rc;
    was = hex_addr;
    if (file_read(&saved, &saved_len, path, LC_ADDR_STRLEN + 1, NULL) == LC_OK) {
        saved_len = strcspn(saved, "\n");
        if (!addr_parse(&was, saved, saved_len))
            say("%.60s is not an address: taking the hex name's", path);
        free(saved);
    }
    if (!hex[0] && !saved)
        return lc_fail(err, LC_E_MALFORMED, "the certificate has no hex name, and %.60s is "
                                            "missing: cannot tell where the names point", path);
    if (addr_equal(&now, &was))
        return LC_OK;
    addr_format(now_text, &now);
    addr_format(was_text, &was);
    addr_format(hex_text, &hex_addr);
    say("this device's address changed from %s to %s", was_text, now_text);
    if (hex[0] && !addr_equal(&now, &hex_addr))
        say("%s still names %s: a hex name cannot move; enrol again (a new directory) for a "
            "name of %s", hex, hex_text, now_text);
    for (size_t i = 0; i < n_friendly; i++) {
        if ((rc = cli_device_move(&a->dev, names[friendly[i]], &now, err)) != LC_OK)
            return rc; /* DIR/address unchanged: the next pass tries again */
        say("moved %s to %s", names[friendly[i]], now_text);
    }
    size_t len = strlen(now_text);
    now_text[len] = '\n';
    return device_write(a->dev.dir, ADDRESS_FILE, now_text, len + 1, 0644, err);
}

static int one_pass(struct agent *a, struct lc_err *err)
{
    int rc = renew_if_due(a, err);
    if (rc != LC_OK)
        return rc;
    return follow_address(a, err);
}

/* serve_one answers one connection on the redirect listener, if one waits. */
static void serve_one(const struct agent *a)
{
    char buf[AGENT_MAX_LINE + 1], location[AGENT_MAX_URL], resp[AGENT_MAX_URL + 200];
    size_t got = 0;
    int fd = accept4(a->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), code, n;
    time_t until = time(NULL) + REQUEST_TIME_S;
    char *nl = NULL;

    if (fd < 0)
        return;
    if (!a->host[0]) {
        close(fd); /* no name to send anyone to yet */
        return;
    }
    while (!nl && got < AGENT_MAX_LINE && !stopping) {
        time_t left = until - time(NULL);
        struct pollfd p = {fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int)left * 1000) <= 0)
            break;
        ssize_t r = recv(fd, buf + got, AGENT_MAX_LINE - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
        nl = memchr(buf, '\n', got);
    }
    if (nl) {
        code = agent_redirect(location, a->host, a->https_port, buf, (size_t)(nl - buf));
    } else if (got == AGENT_MAX_LINE) {
        code = 414;
    } else {
        close(fd); /* gone quiet or gone: nothing to answer */
        return;
    }
    if (code == 308)
        n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 308 Permanent Redirect\r\nLocation: %s\r\nContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n", location);
    else
        n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", code,
                     code == 414 ? "URI Too Long" : "Bad Request");
    /* One small answer: it fits the socket buffer, so a non-blocking send
     * writes it whole or the client is not worth waiting for. */
    if (n > 0 && send(fd, resp, (size_t)n, MSG_NOSIGNAL) < 0)
        say("redirect: %s", strerror(errno));
    shutdown(fd, SHUT_WR);
    close(fd);
}

static const char agent_usage[] =
    "usage: lancert agent --server URL [--dir DIR] [--interval SECONDS] [--once]\n"
    "                     [--redirect ADDR:PORT] [--https-port N] [--reload-cmd CMD]\n"
    "                     [--renew-before SECONDS] [--ca FILE] [--address ADDR]\n"
    "Keep this device's certificate and names fresh: every pass renews DIR/cert.pem\n"
    "once two thirds of its life have passed (then runs CMD), and when the device's\n"
    "address changed moves its friendly names to the new one (DIR/address keeps the\n"
    "address they point to). A hex name cannot move: a new address needs a new\n"
    "enrolment. Errors are logged and retried sooner, backing off. SIGTERM or\n"
    "SIGINT stop it.\n"
    "  --dir DIR       the device's directory from 'lancert enroll' (default .)\n"
    "  --interval SECONDS  between passes (default 3600)\n"
    "  --once          one pass, then exit (its status says how it went)\n"
    "  --redirect ADDR:PORT  answer plain HTTP there with a 308 to https://NAME\n"
    "                  (the first friendly name, else the hex name), path and query kept\n"
    "  --https-port N  the port in those URLs (default 443, left out)\n"
    "  --reload-cmd CMD  run by /bin/sh -c after a new certificate is written\n"
    "  --renew-before SECONDS  also renew this long before the certificate ends\n"
    "  --server URL    the gateway's HTTPS address (https://gateway.home.arpa:8443)\n"
    "  --ca FILE       the root to verify the gateway with (default DIR/ca.pem)\n"
    "  --address ADDR  this device's address (default: the one the system picks\n"
    "                  towards the gateway); requests are sent from it\n";

int cli_agent(struct cli *cli, int argc, char **argv, struct lc_err *err)
{
    static const struct option longopts[] = {
        CLI_COMMON_LONGOPTS,
        {"server", required_argument, NULL, OPT_SERVER_A},
        {"ca", required_argument, NULL, OPT_CA},
        {"dir", required_argument, NULL, OPT_DIR},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        {"once", no_argument, NULL, OPT_ONCE},
        {"redirect", required_argument, NULL, OPT_REDIRECT},
        {"https-port", required_argument, NULL, OPT_HTTPS_PORT},
        {"reload-cmd", required_argument, NULL, OPT_RELOAD_CMD},
        {"address", required_argument, NULL, OPT_ADDRESS},
        {"renew-before", required_argument, NULL, OPT_RENEW_BEFORE},
        {NULL, 0, NULL, 0}};
    struct agent a;
    struct lc_conf listen_conf;
    const char *redirect = NULL;
    bool once = false;
    long v;
    int opt, rc = LC_OK;

    memset(&a, 0, sizeof(a));
    a.cli = cli;
    a.dev.dir = ".";
    a.interval = DEFAULT_INTERVAL_S;
    a.https_port = 443;
    a.listen_fd = -1;
    struct cli_opts o = {argc, argv, longopts, agent_usage, false};
    while ((opt = cli_opt_next(cli, &o, &rc, err)) != -1) {
        switch (opt) {
        case CLI_OPT_STOP:
            return rc;
        case OPT_SERVER_A:
            a.dev.server = optarg;
            break;
        case OPT_CA:
            a.dev.ca_file = optarg;
            break;
        case OPT_DIR:
            a.dev.dir = optarg;
            break;
        case OPT_INTERVAL:
            if ((rc = parse_num(&a.interval, optarg, 1, MAX_INTERVAL_S, "--interval", err)) != LC_OK)
                return rc;
            break;
        case OPT_ONCE:
            once = true;
            break;
        case OPT_REDIRECT:
            redirect = optarg;
            break;
        case OPT_HTTPS_PORT:
            if ((rc = parse_num(&v, optarg, 1, 65535, "--https-port", err)) != LC_OK)
                return rc;
            a.https_port = (unsigned)v;
            break;
        case OPT_RELOAD_CMD:
            a.reload_cmd = optarg;
            break;
        case OPT_ADDRESS:
            a.dev.address = optarg;
            break;
        case OPT_RENEW_BEFORE:
            if ((rc = parse_num(&a.renew_before, optarg, 0, 400L * 86400, "--renew-before", err)) != LC_OK)
                return rc;
            break;
        default:
            return cli_opt_refuse(&o, err);
        }
    }
    if (optind < argc)
        return lc_fail(err, LC_E_USAGE, "unexpected argument '%.40s'", argv[optind]);
    if (!a.dev.server)
        return lc_fail(err, LC_E_USAGE, "--server URL is required (https://gateway.home.arpa:8443)");
    char host[LC_NAME_MAX + 3], port[8];
    if ((rc = server_host_port(host, sizeof(host), port, a.dev.server, err)) != LC_OK)
        return rc;
    struct lc_addr given;
    if (a.dev.address && !addr_parse(&given, a.dev.address, strlen(a.dev.address)))
        return lc_fail(err, LC_E_USAGE, "--address needs an IP address");
    if (redirect && !once) {
        conf_init(&listen_conf);
        if (conf_set(&listen_conf, "http_listen", redirect, err) != LC_OK)
            return lc_fail(err, LC_E_USAGE, "--redirect needs ADDR:PORT ([ADDR]:PORT for IPv6)");
        if ((rc = net_listen_tcp(&a.listen_fd, &listen_conf.http_listen.items[0], 16, err)) != LC_OK)
            return rc;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop; /* no SA_RESTART: poll returns at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    long backoff = FIRST_BACKOFF_S < a.interval ? FIRST_BACKOFF_S : a.interval;
    time_t next = 0;
    while (!stopping) {
        time_t now = time(NULL);
        if (now >= next) {
            struct lc_err pass_err;
            lc_err_clear(&pass_err);
            rc = one_pass(&a, &pass_err);
            if (once) {
                if (rc != LC_OK)
                    *err = pass_err;
                break;
            }
            if (rc == LC_OK) {
                next = now + a.interval;
                backoff = FIRST_BACKOFF_S < a.interval ? FIRST_BACKOFF_S : a.interval;
            } else {
                say("%s; trying again in %ld s", pass_err.msg[0] ? pass_err.msg : lc_errc_name((enum lc_errc)rc), backoff);
                next = now + backoff;
                backoff = backoff * 2 < a.interval ? backoff * 2 : a.interval;
            }
            if (a.listen_fd >= 0 && !a.host[0])
                say("redirect: no name known yet (the certificate is unreadable)");
            continue;
        }
        struct pollfd p = {a.listen_fd, POLLIN, 0};
        long wait_ms = (long)(next - now) * 1000;
        int got = poll(&p, a.listen_fd >= 0 ? 1 : 0, wait_ms > INT_MAX ? INT_MAX : (int)wait_ms);
        if (got > 0 && (p.revents & POLLIN))
            serve_one(&a);
    }
    if (a.listen_fd >= 0)
        close(a.listen_fd);
    if (stopping)
        say("stopped");
    return once ? rc : LC_OK;
}
