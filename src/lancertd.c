/* lancertd.c — the gateway daemon: read the configuration, bind, drop root,
 * wire the CA, the store and the listeners together, and wait for signals. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ca/ca.h"
#include "ca/gateway.h"
#include "ca/issue.h"
#include "ca/publish.h"
#include "core/conf.h"
#include "core/log.h"
#include "core/net.h"
#include "dns/answer.h"
#include "dns/records.h"
#include "dns/server.h"
#include "dns/update.h"
#include "http/enroll.h"
#include "http/https.h"
#include "http/plain.h"
#include "store/store.h"

#define CRL_REFRESH_S 3600 /* a fresh CRL each hour; it is valid for a week */
#define TICK_S 60

struct daemon_state {
    struct lc_conf conf;
    int argc;
    char **argv;
    const char *config_path;
    bool foreground;
    struct ca *ca;
    struct store *store;
    struct issuer issuer;
    struct http_plain *plain;
    struct http_https *https;
    struct http_admin *admin; /* its own store handle: admin requests run on the HTTPS threads */
    struct http_renew *renew;   /* its own CA and store handles, likewise */
    struct http_dyndns *dyndns; /* its own store handle, likewise */
    struct http_enroll *enroll; /* its own store handle and CA copy, likewise */
    struct http_services svc; /* what the HTTPS listener serves */
    int64_t gateway_renew_at; /* when the gateway's certificate is due */
    struct dns_records *records;
    struct dns_updater *updater; /* its own store handle: updates run on the DNS threads */
    struct dns_server *dns;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lancertd [--config FILE] [--foreground] [--KEY=VALUE]...\n"
            "\n"
            "The lancert gateway daemon: answers DNS for the zone, serves the CA's root\n"
            "and CRL, redirects plain-HTTP requests for local names to HTTPS, and runs\n"
            "the HTTPS listener with its own certificate. Every key of lancert.conf(5)\n"
            "is also a flag, e.g. --state_dir=/tmp/lc --http_listen=127.0.0.1:8080.\n"
            "\n"
            "  --config FILE   configuration file (default " LC_DEFAULT_CONFIG ")\n"
            "  --foreground    stay in the foreground and log to stderr\n"
            "  --help          this text\n"
            "  --version       print the version\n"
            "\n"
            "Signals: SIGHUP reloads the configuration, the CA and the gateway's\n"
            "certificate; SIGTERM or SIGINT stop.\n"
            "See lancertd(8).\n");
}

/* parse_args reads the flags into |st| (config path, foreground) and, when
 * |conf| is set, applies every --KEY=VALUE to it. */
static int parse_args(struct daemon_state *st, struct lc_conf *conf, struct lc_err *err)
{
    for (int i = 1; i < st->argc; i++) {
        const char *arg = st->argv[i];
        char key[64];
        if (strcmp(arg, "--foreground") == 0 || strcmp(arg, "-f") == 0) {
            st->foreground = true;
            continue;
        }
        if (strcmp(arg, "--config") == 0 || strcmp(arg, "-c") == 0) {
            if (++i >= st->argc)
                return lc_fail(err, LC_E_USAGE, "--config needs a file");
            st->config_path = st->argv[i];
            continue;
        }
        if (strncmp(arg, "--config=", 9) == 0) {
            st->config_path = arg + 9;
            continue;
        }
        const char *eq = strchr(arg, '=');
        if (strncmp(arg, "--", 2) != 0 || !eq || (size_t)(eq - arg - 2) >= sizeof(key))
            return lc_fail(err, LC_E_USAGE, "unknown argument '%.60s'; see --help", arg);
        memcpy(key, arg + 2, (size_t)(eq - arg - 2));
        key[eq - arg - 2] = '\0';
        for (char *p = key; *p; p++)
            if (*p == '-')
                *p = '_';
        if (!conf_is_key(key))
            return lc_fail(err, LC_E_USAGE, "--%s is not a configuration key (see lancert.conf(5))", key);
        if (conf) {
            int rc = conf_set(conf, key, eq + 1, err);
            if (rc != LC_OK)
                return rc;
        }
    }
    return LC_OK;
}

/* load_config builds a configuration: defaults, then the file, then flags. */
static int load_config(struct daemon_state *st, struct lc_conf *out, struct lc_err *err)
{
    struct lc_conf conf;
    int rc;
    conf_init(&conf);
    if (st->config_path) {
        if ((rc = conf_load(&conf, st->config_path, err)) != LC_OK)
            return rc;
    } else if (access(LC_DEFAULT_CONFIG, R_OK) == 0 &&
               (rc = conf_load(&conf, LC_DEFAULT_CONFIG, err)) != LC_OK) {
        return rc;
    }
    if ((rc = parse_args(st, &conf, err)) != LC_OK || (rc = conf_finish(&conf, err)) != LC_OK)
        return rc;
    *out = conf;
    return LC_OK;
}

/* refresh_gateway makes sure the gateway's own certificate is good for
 * |conf| (issuing a new one through |is| when it is missing, due, or names
 * other addresses) and hands it to the HTTPS listener. */
static int refresh_gateway(struct daemon_state *st, const struct issuer *is,
                           const struct lc_conf *conf, struct lc_err *err)
{
    struct gateway_cert gc;
    bool issued = false;
    int rc;
    memset(&gc, 0, sizeof(gc));
    if ((rc = gateway_cert_refresh(&gc, &issued, is, conf, err)) != LC_OK)
        goto out;
    if ((rc = http_https_publish(st->https, conf, &gc, err)) != LC_OK)
        goto out;
    st->gateway_renew_at = gc.renew_at;
    if (issued) {
        char serial[33];
        for (size_t i = 0; i < sizeof(gc.serial); i++)
            snprintf(serial + 2 * i, 3, "%02x", gc.serial[i]);
        log_msg(LOG_INFO, "gateway certificate %s issued, valid until %lld, renewal at %lld",
                serial, (long long)gc.not_after, (long long)gc.renew_at);
    }
out:
    gateway_cert_cleanup(&gc);
    return rc;
}

/* open_state loads the CA and the store for |conf| and, when the listener
 * runs, publishes them. Only when everything succeeded does it replace what
 * |st| held, so a failed reload leaves the running state whole. */
static int open_state(struct daemon_state *st, const struct lc_conf *conf, struct lc_err *err)
{
    struct ca *ca = NULL;
    struct store *store = NULL;
    struct ca_publication *pub = NULL;
    struct issuer is;
    int64_t released = 0;
    int rc;
    if ((rc = ca_load(&ca, conf->state_dir, err)) != LC_OK ||
        (rc = ca_check_fits(ca, conf->zone, &conf->allow, err)) != LC_OK ||
        (rc = store_open(&store, conf->state_dir, err)) != LC_OK ||
        (rc = gateway_release_devices(&released, store, conf, err)) != LC_OK)
        goto fail;
    if (released > 0)
        log_msg(LOG_INFO, "removed %lld device%s made for the gateway's own keys: its "
                "certificates belong to no device", (long long)released, released == 1 ? "" : "s");
    issuer_init(&is, ca, store, conf);
    if ((rc = publication_build(&pub, &is, err)) != LC_OK)
        goto fail;
    if (st->https && (rc = refresh_gateway(st, &is, conf, err)) != LC_OK)
        goto fail;
    if (st->dns) {
        struct dns_zone zone;
        if ((rc = dns_zone_init(&zone, conf, st->records, err)) != LC_OK ||
            (rc = dns_server_set_zone(st->dns, &zone, conf->dns_rrl, err)) != LC_OK)
            goto fail;
    }
    if (st->plain) {
        rc = http_plain_publish(st->plain, conf, pub, err); /* takes |pub| */
        pub = NULL;
        if (rc != LC_OK)
            goto fail;
    }
    publication_free(pub);
    ca_free(st->ca);
    store_free(st->store);
    st->conf = *conf;
    st->ca = ca;
    st->store = store;
    issuer_init(&st->issuer, ca, store, &st->conf);
    return LC_OK;
fail:
    publication_free(pub);
    store_free(store);
    ca_free(ca);
    return rc;
}

static int chown_state(const char *dir, uid_t uid, gid_t gid, struct lc_err *err)
{
    static const char *const files[] = {"", "/ca.key", "/ca.pem", "/chain.pem", "/" GATEWAY_KEY_FILE,
                                        "/" GATEWAY_CERT_FILE, "/lancert.db",
                                        "/lancert.db-wal", "/lancert.db-shm"};
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s%s", dir, files[i]);
        if (chown(path, uid, gid) != 0 && errno != ENOENT)
            return lc_fail(err, LC_E_PERM, "cannot hand %s to the service user: %s", path,
                           strerror(errno));
    }
    return LC_OK;
}

/* drop_privileges switches to |user| after the sockets are bound; the state
 * directory is handed to that user so the daemon can keep writing it. */
static int drop_privileges(const struct lc_conf *conf, struct lc_err *err)
{
    struct passwd *pw;
    int rc;
    if (conf->user[0] == '\0')
        return LC_OK;
    if (getuid() != 0) {
        log_msg(LOG_WARNING, "user = %s ignored: not started as root", conf->user);
        return LC_OK;
    }
    if (!(pw = getpwnam(conf->user)))
        return lc_fail(err, LC_E_CONFIG, "user: no such user '%s'", conf->user);
    if ((rc = chown_state(conf->state_dir, pw->pw_uid, pw->pw_gid, err)) != LC_OK)
        return rc;
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
        return lc_fail(err, LC_E_PERM, "cannot become %s: %s", conf->user, strerror(errno));
    if (setuid(0) == 0)
        return lc_fail(err, LC_E_PERM, "still able to regain root after dropping to %s", conf->user);
    log_msg(LOG_INFO, "running as %s", conf->user);
    return LC_OK;
}

static int daemonize(struct lc_err *err)
{
    pid_t pid = fork();
    if (pid < 0)
        return lc_fail(err, LC_E_IO, "fork: %s", strerror(errno));
    if (pid > 0)
        _exit(0);
    if (setsid() < 0)
        return lc_fail(err, LC_E_IO, "setsid: %s", strerror(errno));
    pid = fork();
    if (pid < 0)
        return lc_fail(err, LC_E_IO, "fork: %s", strerror(errno));
    if (pid > 0)
        _exit(0);
    if (chdir("/") != 0)
        return lc_fail(err, LC_E_IO, "chdir /: %s", strerror(errno));
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
    return LC_OK;
}

static bool listeners_equal(const struct conf_listen_set *a, const struct conf_listen_set *b)
{
    if (a->n_items != b->n_items)
        return false;
    for (size_t i = 0; i < a->n_items; i++)
        if (!addr_equal(&a->items[i].addr, &b->items[i].addr) || a->items[i].port != b->items[i].port)
            return false;
    return true;
}

/* The daemon runs from "/", so relative paths are made absolute first. */
static char config_abs[PATH_MAX];

static int absolute_config_path(struct daemon_state *st, struct lc_err *err)
{
    if (!st->config_path || st->config_path[0] == '/')
        return LC_OK;
    if (!realpath(st->config_path, config_abs))
        return lc_fail(err, errno == ENOENT ? LC_E_NOTFOUND : LC_E_IO, "cannot open %s: %s",
                       st->config_path, strerror(errno));
    st->config_path = config_abs;
    return LC_OK;
}

static int absolute_state_dir(struct lc_conf *conf, struct lc_err *err)
{
    char abs[PATH_MAX];
    if (conf->state_dir[0] == '/')
        return LC_OK;
    if (!realpath(conf->state_dir, abs))
        return lc_fail(err, errno == ENOENT ? LC_E_NOTFOUND : LC_E_IO,
                       "state_dir %s: %s (run 'lancert ca init' first)", conf->state_dir,
                       strerror(errno));
    return conf_set(conf, "state_dir", abs, err);
}

static void reload(struct daemon_state *st)
{
    struct lc_conf conf;
    struct lc_err err;
    if (load_config(st, &conf, &err) != LC_OK) {
        log_msg(LOG_ERR, "reload refused, keeping the running configuration: %s", err.msg);
        return;
    }
    if (!listeners_equal(&conf.http_listen, &st->conf.http_listen) ||
        !listeners_equal(&conf.https_listen, &st->conf.https_listen) ||
        !listeners_equal(&conf.dns_listen, &st->conf.dns_listen) ||
        strcmp(conf.user, st->conf.user) != 0 || strcmp(conf.state_dir, st->conf.state_dir) != 0)
        log_msg(LOG_WARNING, "listeners, user and state_dir change only on restart");
    conf.http_listen = st->conf.http_listen;
    conf.https_listen = st->conf.https_listen;
    conf.dns_listen = st->conf.dns_listen;
    memcpy(conf.user, st->conf.user, sizeof(conf.user));
    memcpy(conf.state_dir, st->conf.state_dir, sizeof(conf.state_dir));
    if (conf_finish(&conf, &err) != LC_OK) {
        log_msg(LOG_ERR, "reload refused: %s", err.msg);
        return;
    }
    if (open_state(st, &conf, &err) != LC_OK) {
        log_msg(LOG_ERR, "reload failed, keeping the running state: %s", err.msg);
        return;
    }
    /* The device services sign and check with the CA and ranges just loaded. */
    if (st->renew && http_renew_reload(st->renew, &st->conf, &err) != LC_OK)
        log_msg(LOG_ERR, "reload: renewal keeps its previous CA: %s", err.msg);
    if (st->dyndns)
        http_dyndns_reload(st->dyndns, &st->conf);
    /* The enrolment API keeps its own copy of the CA: hand it the new one. */
    if (st->enroll && http_enroll_reload(st->enroll, &st->conf, &err) != LC_OK)
        log_msg(LOG_ERR, "reload: the enrolment API keeps the previous CA: %s", err.msg);
    log_open("lancertd", st->foreground, conf.log_level);
    log_msg(LOG_INFO, "reloaded");
}

static void refresh_crl(struct daemon_state *st)
{
    struct ca_publication *pub = NULL;
    struct lc_err err;
    if (publication_build(&pub, &st->issuer, &err) != LC_OK ||
        http_plain_publish(st->plain, &st->conf, pub, &err) != LC_OK)
        log_msg(LOG_ERR, "refreshing the CRL: %s", err.msg);
}

/* crl_stale is the admin API's word that a revocation was committed: it
 * wakes the main loop (SIGUSR1 is blocked in every thread and taken by
 * sigtimedwait), which rebuilds and republishes the CRL. Signals coalesce,
 * and a rebuild reads every revocation committed before it. */
static void crl_stale(void *ctx)
{
    (void)ctx;
    kill(getpid(), SIGUSR1);
}

/* renew_gateway runs on the tick when the gateway's certificate is due. A
 * failure is retried a tick later; the listener keeps the current one. */
static void renew_gateway(struct daemon_state *st)
{
    struct lc_err err;
    if (refresh_gateway(st, &st->issuer, &st->conf, &err) != LC_OK) {
        log_msg(LOG_ERR, "renewing the gateway certificate, retrying in %d s: %s", TICK_S, err.msg);
        st->gateway_renew_at = (int64_t)time(NULL) + TICK_S;
    }
}

int main(int argc, char **argv)
{
    struct daemon_state st;
    struct lc_err err;
    struct lc_conf conf;
    int http_fds[CONF_MAX_LISTEN], https_fds[CONF_MAX_LISTEN], dns_udp[CONF_MAX_LISTEN],
        dns_tcp[CONF_MAX_LISTEN], rc;
    size_t n_http = 0, n_https = 0, n_dns = 0;
    sigset_t sigs;

    memset(&st, 0, sizeof(st));
    st.argc = argc;
    st.argv = argv;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("lancertd %s\n", LC_VERSION);
            return 0;
        }
    }
    log_open("lancertd", 1, LOG_INFO);
    if ((rc = parse_args(&st, NULL, &err)) != LC_OK || (rc = absolute_config_path(&st, &err)) != LC_OK ||
        (rc = load_config(&st, &conf, &err)) != LC_OK || (rc = absolute_state_dir(&conf, &err)) != LC_OK)
        goto fail;
    log_open("lancertd", 1, conf.log_level);
    umask(077);

    /* Everything that can fail for a reason a person must fix fails here,
     * in the foreground, before the daemon detaches. */
    if ((rc = open_state(&st, &conf, &err)) != LC_OK)
        goto fail;
    for (size_t i = 0; i < conf.http_listen.n_items; i++) {
        if ((rc = net_listen_tcp(&http_fds[n_http], &conf.http_listen.items[i], 64, &err)) != LC_OK)
            goto fail;
        n_http++;
    }
    for (size_t i = 0; i < conf.https_listen.n_items; i++) {
        if ((rc = net_listen_tcp(&https_fds[n_https], &conf.https_listen.items[i], 64, &err)) != LC_OK)
            goto fail;
        n_https++;
    }
    if ((rc = dns_listen_sockets(dns_udp, dns_tcp, &conf.dns_listen, &err)) != LC_OK)
        goto fail;
    n_dns = conf.dns_listen.n_items;
    /* SQLite handles must not cross fork(): close and reopen after. */
    store_free(st.store);
    st.store = NULL;
    if ((rc = drop_privileges(&conf, &err)) != LC_OK)
        goto fail;
    if (!st.foreground) {
        if ((rc = daemonize(&err)) != LC_OK)
            goto fail;
        log_open("lancertd", 0, conf.log_level);
    }

    /* Signals are taken synchronously by this thread; listener threads
     * inherit the blocked mask. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((rc = http_plain_start(&st.plain, http_fds, n_http, &err)) != LC_OK)
        goto fail;
    n_http = 0;
    if ((rc = open_state(&st, &conf, &err)) != LC_OK)
        goto fail;
    /* The gateway's certificate is issued as the service user, after the
     * store is open; the listener gets it before the daemon says it is ready. */
    /* The DNS table comes first: enrolment updates it after each commit. */
    if ((rc = dns_records_new(&st.records, &err)) != LC_OK ||
        (rc = dns_records_load(st.records, st.store, &err)) != LC_OK)
        goto fail;
    if ((rc = http_admin_new(&st.admin, st.conf.state_dir, crl_stale, NULL, &err)) != LC_OK ||
        (rc = http_enroll_new(&st.enroll, &st.conf, st.records, crl_stale, NULL, &err)) != LC_OK)
        goto fail;
    st.svc.admin = st.admin;
    st.svc.enroll = st.enroll;
    /* Name updates and dyndns2 change the DNS table from the listener's
     * threads after their commits, as enrolment does. */
    if ((rc = http_renew_new(&st.renew, &st.conf, st.records, &err)) != LC_OK ||
        (rc = http_dyndns_new(&st.dyndns, &st.conf, st.records, &err)) != LC_OK)
        goto fail;
    st.svc.renew = st.renew;
    st.svc.dyndns = st.dyndns;
    if ((rc = http_https_start(&st.https, https_fds, n_https, &st.svc, &err)) != LC_OK) {
        n_https = 0;
        goto fail;
    }
    n_https = 0;
    if ((rc = refresh_gateway(&st, &st.issuer, &st.conf, &err)) != LC_OK)
        goto fail;
    {
        struct dns_zone zone;
        if ((rc = dns_zone_init(&zone, &st.conf, st.records, &err)) != LC_OK ||
            (rc = dns_updater_new(&st.updater, st.conf.state_dir, &err)) != LC_OK ||
            (rc = dns_server_start(&st.dns, dns_udp, dns_tcp, n_dns, &zone, st.conf.dns_rrl,
                                   dns_update_handle, st.updater, &err)) != LC_OK)
            goto fail;
        n_dns = 0;
    }
    {
        char where[64], dns_where[64], https_where[64];
        conf_listen_format(where, sizeof(where), &conf.http_listen.items[0]);
        conf_listen_format(dns_where, sizeof(dns_where), &conf.dns_listen.items[0]);
        conf_listen_format(https_where, sizeof(https_where), &conf.https_listen.items[0]);
        log_msg(LOG_INFO, "lancertd %s ready: zone %s, dns %s, http %s, https %s, state %s",
                LC_VERSION, conf.zone, dns_where, where, https_where, conf.state_dir);
    }

    for (;;) {
        /* Wake for the tick or when the gateway's certificate falls due,
         * whichever is first (a short life in tests must not wait a minute). */
        int64_t until_due = st.gateway_renew_at - (int64_t)time(NULL);
        struct timespec tick = {until_due < 1 ? 1 : until_due < TICK_S ? (time_t)until_due : TICK_S, 0};
        int sig = sigtimedwait(&sigs, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            log_msg(LOG_INFO, "stopping on signal %d", sig);
            break;
        }
        if (sig == SIGHUP) {
            reload(&st);
            continue;
        }
        /* No continue: revocations in a row must not starve the renewal below. */
        if (sig == SIGUSR1 || time(NULL) - http_plain_crl_made_at(st.plain) >= CRL_REFRESH_S)
            refresh_crl(&st);
        if ((int64_t)time(NULL) >= st.gateway_renew_at)
            renew_gateway(&st);
    }
    rc = LC_OK;
    goto out;
fail:
    log_msg(LOG_ERR, "%s", err.msg);
out:
    for (size_t i = 0; i < n_http; i++)
        close(http_fds[i]);
    for (size_t i = 0; i < n_https; i++)
        close(https_fds[i]);
    for (size_t i = 0; i < n_dns; i++) {
        close(dns_udp[i]);
        close(dns_tcp[i]);
    }
    dns_server_stop(st.dns);
    dns_updater_free(st.updater);
    http_enroll_quiesce(st.enroll); /* resumes the connections it holds */
    http_https_stop(st.https);
    http_admin_free(st.admin);
    http_renew_free(st.renew);
    http_dyndns_free(st.dyndns);
    http_enroll_free(st.enroll);
    http_plain_stop(st.plain);
    dns_records_free(st.records);
    store_free(st.store);
    ca_free(st.ca);
    return lc_errc_exit((enum lc_errc)rc);
}
