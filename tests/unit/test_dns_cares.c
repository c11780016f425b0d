/* test_dns_cares.c — the responder (dns/server.c, dns/answer.c) started in
 * this process on a loopback port and asked by c-ares, a client we did not
 * write: every record type SPEC lists, NXDOMAIN, NODATA, REFUSED, letter
 * case, EDNS, search domains, and truncation with the fall-back to TCP. */
#include "dns/server.h"

#include <arpa/inet.h>
#include <ares.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>

#include "core/conf.h"
#include "dns/answer.h"
#include "dns/records.h"
#include "dns/wire.h"
#include "helpers.h"

#define GW_V4 "192.168.1.1"
#define GW_V6 "fd00::1"
#define HTTPS_PORT 8443
#define T_MX 15 /* a type the zone never has */

static struct dns_records *records;
static struct dns_server *server;
static struct lc_conf conf;
static unsigned port;

static struct lc_addr addr_of(const char *s)
{
    struct lc_addr a;
    ck_assert_msg(addr_parse(&a, s, strlen(s)), "'%s' is not an address", s);
    return a;
}

static void set(const char *key, const char *value)
{
    struct lc_err err = {LC_OK, ""};
    ck_assert_msg(conf_set(&conf, key, value, &err) == LC_OK, "%s: %s", key, err.msg);
}

/* free_port finds a UDP and TCP port on 127.0.0.1 that nothing uses now:
 * the kernel picks a UDP port, and the caller's bind proves TCP is free. */
static unsigned free_port(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_ge(fd, 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    close(fd);
    return ntohs(sin.sin_port);
}

static void zone_for(struct dns_zone *zone)
{
    struct lc_err err = {LC_OK, ""};
    TH_OK(dns_zone_init(zone, &conf, records, &err), err);
}

static void setup(void)
{
    struct lc_err err = {LC_OK, ""};
    struct dns_zone zone;
    int udp[CONF_MAX_LISTEN], tcp[CONF_MAX_LISTEN];

    conf_init(&conf);
    set("allow", "127.0.0.0/8 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7");
    set("gateway_address", GW_V4 " " GW_V6);
    set("https_listen", "127.0.0.1:8443");
    set("reverse", "yes");
    TH_OK(conf_finish(&conf, &err), err);

    TH_OK(dns_records_new(&records, &err), err);
    struct lc_addr printer[2] = {addr_of("192.168.1.50"), addr_of("fd00::50")};
    TH_OK(dns_records_set_addrs(records, "printer.home.arpa", printer, 2, &err), err);
    TH_OK(dns_records_set_addrs(records, "empty.home.arpa", NULL, 0, &err), err);
    TH_OK(dns_records_add_txt(records, "_acme-challenge.printer.home.arpa", "token-1", 7,
                              (int64_t)time(NULL), &err),
          err);
    /* Four strings of 255 octets: over 512 bytes, under 1232. */
    for (int i = 0; i < 4; i++) {
        char text[DNS_TXT_MAX];
        memset(text, 'a' + i, sizeof(text));
        TH_OK(dns_records_add_txt(records, "_acme-challenge.big.home.arpa", text, sizeof(text),
                                  (int64_t)time(NULL), &err),
              err);
    }

    /* A port another process takes between our probe and our bind is
     * retried with the next one. */
    int rc = LC_E_IO;
    for (int attempt = 0; attempt < 20 && rc != LC_OK; attempt++) {
        char listen[32];
        port = free_port();
        snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
        set("dns_listen", listen);
        rc = dns_listen_sockets(udp, tcp, &conf.dns_listen, &err);
    }
    TH_OK(rc, err);
    zone_for(&zone);
    TH_OK(dns_server_start(&server, udp, tcp, 1, &zone, 0, NULL, NULL, &err), err);
    ck_assert_int_eq(ares_library_init(ARES_LIB_INIT_ALL), ARES_SUCCESS);
}

static void teardown(void)
{
    ares_library_cleanup();
    dns_server_stop(server);
    dns_records_free(records);
    server = NULL;
    records = NULL;
}

/* ---- asking c-ares ------------------------------------------------------------ */

struct answer {
    bool done;
    int status;
    unsigned char buf[65536];
    int len;
};

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    struct answer *a = arg;
    (void)timeouts;
    a->done = true;
    a->status = status;
    a->len = 0;
    if (abuf && alen > 0 && (size_t)alen <= sizeof(a->buf)) {
        memcpy(a->buf, abuf, (size_t)alen);
        a->len = alen;
    }
}

/* ask sends one query (or a search, for an unqualified |name|) through a new
 * channel with |flags| (ARES_FLAG_*) and waits for the callback. */
static struct answer *ask(const char *name, int type, int flags, bool search)
{
    static struct answer a;
    struct ares_options opts;
    ares_channel ch;
    char servers[32];
    char *domains[] = {"home.arpa"};

    memset(&a, 0, sizeof(a));
    memset(&opts, 0, sizeof(opts));
    opts.flags = flags;
    opts.tries = 1;
    opts.timeout = 3000;
    opts.ndots = 1;
    opts.domains = domains;
    opts.ndomains = 1;
    opts.ednspsz = 1232;
    ck_assert_int_eq(ares_init_options(&ch, &opts,
                                       ARES_OPT_FLAGS | ARES_OPT_TRIES | ARES_OPT_TIMEOUTMS |
                                           ARES_OPT_NDOTS | ARES_OPT_DOMAINS | ARES_OPT_EDNSPSZ),
                     ARES_SUCCESS);
    snprintf(servers, sizeof(servers), "127.0.0.1:%u", port);
    ck_assert_int_eq(ares_set_servers_ports_csv(ch, servers), ARES_SUCCESS);
    if (search)
        ares_search(ch, name, DNS_C_IN, type, on_answer, &a);
    else
        ares_query(ch, name, DNS_C_IN, type, on_answer, &a);
    while (!a.done) {
        fd_set r, w;
        struct timeval tv, *tvp;
        FD_ZERO(&r);
        FD_ZERO(&w);
        int nfds = ares_fds(ch, &r, &w);
        if (nfds == 0)
            break;
        tvp = ares_timeout(ch, NULL, &tv);
        ck_assert_int_ge(select(nfds, &r, &w, NULL, tvp), 0);
        ares_process(ch, &r, &w);
    }
    ares_destroy(ch);
    ck_assert_msg(a.done, "no answer for %s", name);
    return &a;
}

static unsigned hdr_u16(const struct answer *a, size_t at)
{
    ck_assert_int_ge(a->len, DNS_HDR_LEN);
    return (unsigned)(a->buf[at] << 8 | a->buf[at + 1]);
}

/* authoritative asserts the header facts every answer from us carries. */
static void authoritative(const struct answer *a, unsigned rcode)
{
    unsigned flags = hdr_u16(a, 2);
    ck_assert_msg(flags & DNS_F_QR, "QR clear");
    ck_assert_msg(flags & DNS_F_AA, "AA clear");
    ck_assert_msg(!(flags & DNS_F_RA), "RA set");
    ck_assert_msg(!(flags & DNS_F_TC), "TC set");
    ck_assert_uint_eq(DNS_RCODE(flags), rcode);
}

/* authority_is_soa_of asserts that the authority section is the SOA of
 * |zone| alone, as negative answers carry it (RFC 2308 3). */
static void authority_is_soa_of(const struct answer *a, const char *zone)
{
    static uint8_t copy[65536];
    struct dns_rr an[DNS_MAX_RRS], ns[DNS_MAX_RRS];
    struct dns_msg m;
    struct dns_name apex;
    memcpy(copy, a->buf, (size_t)a->len);
    copy[2] &= 0x7f; /* our parser reads queries: clear QR */
    m.an = an;
    m.ns = ns;
    ck_assert_int_eq(dns_msg_parse(&m, copy, (size_t)a->len, true), DNS_PARSE_OK);
    ck_assert_uint_eq(m.n_ns, 1);
    ck_assert_uint_eq(ns[0].type, DNS_T_SOA);
    ck_assert_uint_eq(ns[0].class, DNS_C_IN);
    ck_assert_uint_eq(ns[0].ttl, DNS_TTL_NEGATIVE);
    ck_assert(dns_name_from_text(&apex, zone));
    ck_assert_msg(dns_name_equal(&ns[0].name, &apex), "the SOA is not %s's", zone);
}

static void authority_is_soa(const struct answer *a)
{
    authority_is_soa_of(a, "home.arpa");
}

/* the counts in the header */
#define ANCOUNT(a) hdr_u16((a), 6)
#define ARCOUNT(a) hdr_u16((a), 10)

static const char *const transports[] = {"UDP", "TCP", "UDP+EDNS"};
static const int transport_flags[] = {0, ARES_FLAG_USEVC, ARES_FLAG_EDNS};

/* ---- the apex and the gateway --------------------------------------------------- */

START_TEST(test_apex_soa)
{
    int flags = transport_flags[_i];
    struct answer *a = ask("home.arpa", DNS_T_SOA, flags, false);
    struct ares_soa_reply *soa = NULL;
    ck_assert_msg(a->status == ARES_SUCCESS, "%s: %s", transports[_i], ares_strerror(a->status));
    authoritative(a, DNS_R_NOERROR);
    ck_assert_int_eq(ares_parse_soa_reply(a->buf, a->len, &soa), ARES_SUCCESS);
    ck_assert_str_eq(soa->nsname, "gateway.home.arpa");
    ck_assert_str_eq(soa->hostmaster, "hostmaster.home.arpa");
    ck_assert_uint_eq(soa->serial, dns_records_serial(records));
    ck_assert_uint_eq(soa->refresh, 3600);
    ck_assert_uint_eq(soa->retry, 600);
    ck_assert_uint_eq(soa->expire, 86400);
    ck_assert_uint_eq(soa->minttl, DNS_TTL_NEGATIVE);
    ares_free_data(soa);
}
END_TEST

START_TEST(test_apex_ns)
{
    struct answer *a = ask("home.arpa", DNS_T_NS, transport_flags[_i], false);
    struct hostent *host = NULL;
    ck_assert_int_eq(a->status, ARES_SUCCESS);
    authoritative(a, DNS_R_NOERROR);
    ck_assert_int_eq(ares_parse_ns_reply(a->buf, a->len, &host), ARES_SUCCESS);
    ck_assert_ptr_nonnull(host->h_aliases[0]);
    ck_assert_str_eq(host->h_aliases[0], "gateway.home.arpa");
    ck_assert_ptr_null(host->h_aliases[1]);
    ares_free_hostent(host);
}
END_TEST

START_TEST(test_apex_any)
{
    struct answer *a = ask("home.arpa", DNS_T_ANY, 0, false);
    ck_assert_int_eq(a->status, ARES_SUCCESS);
    authoritative(a, DNS_R_NOERROR);
    ck_assert_uint_eq(ANCOUNT(a), 2); /* SOA and NS */
    /* no A at the apex: NODATA */
    a = ask("home.arpa", DNS_T_A, 0, false);
    ck_assert_int_eq(a->status, ARES_ENODATA);
    authoritative(a, DNS_R_NOERROR);
    authority_is_soa(a);
}
END_TEST

/* expect_a asserts |a| answers exactly the IPv4 addresses |want| with |ttl|. */
static void expect_a(const struct answer *a, const char *const *want, int n_want, int ttl)
{
    struct ares_addrttl got[8];
    int n = 8;
    struct hostent *host = NULL;
    ck_assert_msg(a->status == ARES_SUCCESS, "%s", ares_strerror(a->status));
    authoritative(a, DNS_R_NOERROR);
    ck_assert_int_eq(ares_parse_a_reply(a->buf, a->len, &host, got, &n), ARES_SUCCESS);
    ck_assert_int_eq(n, n_want);
    for (int i = 0; i < n; i++) {
        char text[INET_ADDRSTRLEN];
        ck_assert_ptr_nonnull(inet_ntop(AF_INET, &got[i].ipaddr, text, sizeof(text)));
        ck_assert_str_eq(text, want[i]);
        ck_assert_int_eq(got[i].ttl, ttl);
    }
    ares_free_hostent(host);
}

static void expect_aaaa(const struct answer *a, const char *const *want, int n_want, int ttl)
{
    struct ares_addr6ttl got[8];
    int n = 8;
    struct hostent *host = NULL;
    ck_assert_msg(a->status == ARES_SUCCESS, "%s", ares_strerror(a->status));
    authoritative(a, DNS_R_NOERROR);
    ck_assert_int_eq(ares_parse_aaaa_reply(a->buf, a->len, &host, got, &n), ARES_SUCCESS);
    ck_assert_int_eq(n, n_want);
    for (int i = 0; i < n; i++) {
        char text[INET6_ADDRSTRLEN];
        ck_assert_ptr_nonnull(inet_ntop(AF_INET6, &got[i].ip6addr, text, sizeof(text)));
        ck_assert_str_eq(text, want[i]);
        ck_assert_int_eq(got[i].ttl, ttl);
    }
    ares_free_hostent(host);
}

START_TEST(test_gateway)
{
    static const char *const v4[] = {GW_V4}, *const v6[] = {GW_V6};
    int flags = transport_flags[_i];
    expect_a(ask("gateway.home.arpa", DNS_T_A, flags, false), v4, 1, DNS_TTL_NAMES);
    expect_aaaa(ask("gateway.home.arpa", DNS_T_AAAA, flags, false), v6, 1, DNS_TTL_NAMES);
    struct answer *a = ask("gateway.home.arpa", DNS_T_TXT, flags, false);
    ck_assert_int_eq(a->status, ARES_ENODATA);
    authoritative(a, DNS_R_NOERROR);
}
END_TEST

START_TEST(test_srv)
{
    struct answer *a = ask("_lancert._tcp.home.arpa", DNS_T_SRV, transport_flags[_i], false);
    struct ares_srv_reply *srv = NULL;
    ck_assert_int_eq(a->status, ARES_SUCCESS);
    authoritative(a, DNS_R_NOERROR);
    ck_assert_int_eq(ares_parse_srv_reply(a->buf, a->len, &srv), ARES_SUCCESS);
    ck_assert_str_eq(srv->host, "gateway.home.arpa");
    ck_assert_uint_eq(srv->port, HTTPS_PORT);
    ck_assert_uint_eq(srv->priority, 0);
    ck_assert_uint_eq(srv->weight, 0);
    ck_assert_ptr_null(srv->next);
    ares_free_data(srv);
    /* the name above it exists (an empty non-terminal): NODATA */
    a = ask("_tcp.home.arpa", DNS_T_SRV, 0, false);
    ck_assert_int_eq(a->status, ARES_ENODATA);
    a = ask("_lancert._tcp.home.arpa", DNS_T_A, 0, false);
    ck_assert_int_eq(a->status, ARES_ENODATA);
    a = ask("_other._tcp.home.arpa", DNS_T_SRV, 0, false);
    ck_assert_int_eq(a->status, ARES_ENOTFOUND);
}
END_TEST

/* ---- hex and friendly names --------------------------------------------------- */

START_TEST(test_hex_names)
{
    static const char *const v4[] = {"192.168.1.23"}, *const lo[] = {"127.0.0.1"},
                             *const v6[] = {"fd00::17"};
    int flags = transport_flags[_i];
    expect_a(ask("c0a80117.home.arpa", DNS_T_A, flags, false), v4, 1, DNS_TTL_HEX);
    expect_a(ask("7f000001.home.arpa", DNS_T_A, flags, false), lo, 1, DNS_TTL_HEX);
    expect_aaaa(ask("fd000000000000000000000000000017.home.arpa", DNS_T_AAAA, flags, false), v6,
                1, DNS_TTL_HEX);
    /* the other family: NODATA with the SOA */
    struct answer *a = ask("c0a80117.home.arpa", DNS_T_AAAA, flags, false);
    ck_assert_int_eq(a->status, ARES_ENODATA);
    authoritative(a, DNS_R_NOERROR);
    ck_assert_uint_eq(ANCOUNT(a), 0);
    authority_is_soa(a);
    a = ask("fd000000000000000000000000000017.home.arpa", DNS_T_A, flags, false);
    ck_assert_int_eq(a->status, ARES_ENODATA);
}
END_TEST

START_TEST(test_hex_outside_allowed)
{
    /* 8.8.8.8 and 2001:db8::1 are outside the allowed ranges: no such name */
    static const char *const names[] = {"08080808.home.arpa",
                                        "20010db8000000000000000000000001.home.arpa"};
    for (size_t i = 0; i < 2; i++) {
        struct answer *a = ask(names[i], DNS_T_A, 0, false);
        ck_assert_msg(a->status == ARES_ENOTFOUND, "%s: %s", names[i], ares_strerror(a->status));
        authoritative(a, DNS_R_NXDOMAIN);
        authority_is_soa(a);
    }
}
END_TEST

START_TEST(test_friendly)
{
    static const char *const v4[] = {"192.168.1.50"}, *const v6[] = {"fd00::50"};
    int flags = transport_flags[_i];
    expect_a(ask("printer.home.arpa", DNS_T_A, flags, false), v4, 1, DNS_TTL_NAMES);
    expect_aaaa(ask("printer.home.arpa", DNS_T_AAAA, flags, false), v6, 1, DNS_TTL_NAMES);
    /* a friendly name with no addresses exists: NODATA, not NXDOMAIN */
    struct answer *a = ask("empty.home.arpa", DNS_T_A, flags, false);
    ck_assert_int_eq(a->status, ARES_ENODATA);
    authoritative(a, DNS_R_NOERROR);
    authority_is_soa(a);
}
END_TEST

START_TEST(test_friendly_changes)
{
    static const char *const v4[] = {"10.1.2.3", "10.1.2.4"};
    struct lc_err err = {LC_OK, ""};
    struct lc_addr addrs[2] = {addr_of(v4[0]), addr_of(v4[1])};
    TH_OK(dns_records_set_addrs(records, "scanner.home.arpa", addrs, 2, &err), err);
    expect_a(ask("scanner.home.arpa", DNS_T_A, 0, false), v4, 2, DNS_TTL_NAMES);
    dns_records_remove(records, "scanner.home.arpa");
    ck_assert_int_eq(ask("scanner.home.arpa", DNS_T_A, 0, false)->status, ARES_ENOTFOUND);
}
END_TEST

START_TEST(test_txt)
{
    struct answer *a = ask("_acme-challenge.printer.home.arpa", DNS_T_TXT, transport_flags[_i],
                           false);
    struct ares_txt_reply *txt = NULL;
    ck_assert_int_eq(a->status, ARES_SUCCESS);
    authoritative(a, DNS_R_NOERROR);
    ck_assert_int_eq(ares_parse_txt_reply(a->buf, a->len, &txt), ARES_SUCCESS);
    ck_assert_uint_eq(txt->length, 7);
    ck_assert_mem_eq(txt->txt, "token-1", 7);
    ck_assert_ptr_null(txt->next);
    ares_free_data(txt);
    a = ask("_acme-challenge.printer.home.arpa", DNS_T_A, 0, false);
    ck_assert_int_eq(a->status, ARES_ENODATA);
    a = ask("_acme-challenge.scanner.home.arpa", DNS_T_TXT, 0, false);
    ck_assert_int_eq(a->status, ARES_ENOTFOUND);
}
END_TEST

/* ---- negative answers ----------------------------------------------------------- */

START_TEST(test_nxdomain)
{
    /* The 32-digit form of an IPv4-mapped address and a hex name outside
     * the allowed ranges do not exist either. */
    static const char *const names[] = {"nosuch.home.arpa", "a.b.home.arpa",
                                        "c0a8011.home.arpa", "x.c0a80117.home.arpa",
                                        "00000000000000000000ffffc0a80117.home.arpa",
                                        "08080808.home.arpa"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct answer *a = ask(names[i], DNS_T_A, transport_flags[_i], false);
        ck_assert_msg(a->status == ARES_ENOTFOUND, "%s: %s", names[i], ares_strerror(a->status));
        authoritative(a, DNS_R_NXDOMAIN);
        ck_assert_uint_eq(ANCOUNT(a), 0);
        authority_is_soa(a); /* for negative caching */
    }
}
END_TEST

START_TEST(test_nodata_soa)
{
    struct answer *a = ask("printer.home.arpa", T_MX, 0, false);
    struct ares_soa_reply *soa = NULL;
    ck_assert_int_eq(a->status, ARES_ENODATA);
    authoritative(a, DNS_R_NOERROR);
    ck_assert_uint_eq(ANCOUNT(a), 0);
    authority_is_soa(a);
    /* c-ares 1.18 reads an SOA only from the answer section. */
    ck_assert_int_eq(ares_parse_soa_reply(a->buf, a->len, &soa), ARES_EBADRESP);
    authority_is_soa(a);
}
END_TEST

START_TEST(test_escaped_labels)
{
    /* One label holding a dot or a NUL is not the name its plain text
     * spells: "c0a80117\.home\.arpa\000" under the zone does not exist. */
    static const char *const names[] = {"c0a80117\\.home\\.arpa\\000.home.arpa",
                                        "_acme-challenge\\.printer.home.arpa",
                                        "printer\\000.home.arpa", "printer\\032.home.arpa"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct answer *a = ask(names[i], i == 1 ? DNS_T_TXT : DNS_T_A, 0, false);
        ck_assert_msg(a->status == ARES_ENOTFOUND, "%s: %s", names[i], ares_strerror(a->status));
        authoritative(a, DNS_R_NXDOMAIN);
    }
}
END_TEST

START_TEST(test_refused)
{
    static const char *const names[] = {"example.com", "arpa", "home.arpa.example",
                                        "8.8.8.8.in-addr.arpa"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        /* c-ares 1.18 gives up on a server that refuses and reports that it
         * could not reach one; later versions say EREFUSED. */
        struct answer *a = ask(names[i], DNS_T_A, 0, false);
        ck_assert_msg(a->status == ARES_ECONNREFUSED || a->status == ARES_EREFUSED, "%s: %s",
                      names[i], ares_strerror(a->status));
        /* Handed the response as it is, c-ares says EREFUSED. */
        a = ask(names[i], DNS_T_A, ARES_FLAG_NOCHECKRESP, false);
        ck_assert_int_eq(a->status, ARES_EREFUSED);
        ck_assert_uint_eq(DNS_RCODE(hdr_u16(a, 2)), DNS_R_REFUSED);
        ck_assert(!(hdr_u16(a, 2) & DNS_F_AA));
        ck_assert_uint_eq(ANCOUNT(a), 0);
    }
}
END_TEST

/* ---- reverse ---------------------------------------------------------------------- */

static const char *ptr_name(const char *addr_text, struct answer *a)
{
    static char name[256];
    struct in_addr in;
    struct hostent *host = NULL;
    ck_assert_int_eq(inet_pton(AF_INET, addr_text, &in), 1);
    ck_assert_msg(a->status == ARES_SUCCESS, "%s: %s", addr_text, ares_strerror(a->status));
    authoritative(a, DNS_R_NOERROR);
    ck_assert_int_eq(ares_parse_ptr_reply(a->buf, a->len, &in, sizeof(in), AF_INET, &host),
                     ARES_SUCCESS);
    snprintf(name, sizeof(name), "%s", host->h_name);
    ares_free_hostent(host);
    return name;
}

START_TEST(test_ptr)
{
    int flags = transport_flags[_i];
    /* a friendly name wins over the hex name */
    ck_assert_str_eq(ptr_name("192.168.1.50", ask("50.1.168.192.in-addr.arpa", DNS_T_PTR, flags,
                                                  false)),
                     "printer.home.arpa");
    ck_assert_str_eq(ptr_name("192.168.1.23", ask("23.1.168.192.in-addr.arpa", DNS_T_PTR, flags,
                                                  false)),
                     "c0a80117.home.arpa");
    /* Compression matches suffixes ignoring case, so the target's "arpa"
     * may point at the question's "Arpa": the same name. */
    ck_assert_int_eq(strcasecmp(ptr_name("10.0.0.1", ask("1.0.0.10.In-Addr.Arpa", DNS_T_PTR,
                                                         flags, false)),
                                "0a000001.home.arpa"),
                     0);
    /* Within a /8 the zone serves, but not allowed: no such name. The SOA
     * in negative answers is the reverse zone's, not home.arpa's. */
    struct answer *a = ask("1.0.15.172.in-addr.arpa", DNS_T_PTR, flags, false);
    ck_assert_int_eq(a->status, ARES_ENOTFOUND);
    authoritative(a, DNS_R_NXDOMAIN);
    authority_is_soa_of(a, "172.in-addr.arpa");
    /* an empty non-terminal above the addresses, and another type */
    a = ask("1.168.192.in-addr.arpa", DNS_T_PTR, flags, false);
    ck_assert_int_eq(a->status, ARES_ENODATA);
    authority_is_soa_of(a, "192.in-addr.arpa");
    a = ask("23.1.168.192.in-addr.arpa", DNS_T_A, flags, false);
    ck_assert_int_eq(a->status, ARES_ENODATA);
    authority_is_soa_of(a, "192.in-addr.arpa");
}
END_TEST

START_TEST(test_reverse_apex)
{
    /* Each /8 holding an allowed range is a reverse zone with its own apex. */
    struct ares_soa_reply *soa = NULL;
    struct hostent *host = NULL;
    struct answer *a = ask("192.in-addr.arpa", DNS_T_SOA, 0, false);
    ck_assert_int_eq(a->status, ARES_SUCCESS);
    authoritative(a, DNS_R_NOERROR);
    ck_assert_int_eq(ares_parse_soa_reply(a->buf, a->len, &soa), ARES_SUCCESS);
    ck_assert_str_eq(soa->nsname, "gateway.home.arpa");
    ares_free_data(soa);
    a = ask("10.in-addr.arpa", DNS_T_NS, 0, false);
    ck_assert_int_eq(a->status, ARES_SUCCESS);
    ck_assert_int_eq(ares_parse_ns_reply(a->buf, a->len, &host), ARES_SUCCESS);
    ck_assert_str_eq(host->h_aliases[0], "gateway.home.arpa");
    ares_free_hostent(host);
    a = ask("192.in-addr.arpa", DNS_T_PTR, 0, false);
    ck_assert_int_eq(a->status, ARES_ENODATA);
    authority_is_soa_of(a, "192.in-addr.arpa");
    /* 11/8 holds no allowed range: not ours */
    a = ask("11.in-addr.arpa", DNS_T_SOA, ARES_FLAG_NOCHECKRESP, false);
    ck_assert_int_eq(a->status, ARES_EREFUSED);
}
END_TEST

START_TEST(test_ptr_off)
{
    /* reverse = no (the default): the reverse zone is not ours */
    struct lc_err err = {LC_OK, ""};
    struct dns_zone zone;
    set("reverse", "no");
    zone_for(&zone);
    TH_OK(dns_server_set_zone(server, &zone, 0, &err), err);
    struct answer *a = ask("23.1.168.192.in-addr.arpa", DNS_T_PTR, ARES_FLAG_NOCHECKRESP, false);
    ck_assert_int_eq(a->status, ARES_EREFUSED);
    expect_a(ask("c0a80117.home.arpa", DNS_T_A, 0, false), (const char *const[]){"192.168.1.23"},
             1, DNS_TTL_HEX);
}
END_TEST

/* ---- letter case, EDNS, search ------------------------------------------------------ */

/* question_name expands the question's name from the raw answer. */
static void question_name(const struct answer *a, char *out, size_t out_len)
{
    char *name = NULL;
    long len = 0;
    ck_assert_uint_eq(hdr_u16(a, 4), 1);
    ck_assert_int_eq(ares_expand_name(a->buf + DNS_HDR_LEN, a->buf, a->len, &name, &len),
                     ARES_SUCCESS);
    snprintf(out, out_len, "%s", name);
    ares_free_string(name);
}

START_TEST(test_letter_case)
{
    static const char *const v4[] = {"192.168.1.23"}, *const printer[] = {"192.168.1.50"};
    static const char *const names[] = {"C0A80117.Home.Arpa", "c0a80117.HOME.ARPA",
                                        "PRINTER.home.arpa", "GateWay.Home.Arpa"};
    char echoed[256];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct answer *a = ask(names[i], DNS_T_A, transport_flags[_i], false);
        ck_assert_msg(a->status == ARES_SUCCESS, "%s: %s", names[i], ares_strerror(a->status));
        question_name(a, echoed, sizeof(echoed));
        ck_assert_str_eq(echoed, names[i]); /* the client's case, echoed */
        if (i < 2)
            expect_a(a, v4, 1, DNS_TTL_HEX);
        else if (i == 2)
            expect_a(a, printer, 1, DNS_TTL_NAMES);
    }
    struct answer *a = ask("_LANCERT._TCP.home.arpa", DNS_T_SRV, 0, false);
    ck_assert_int_eq(a->status, ARES_SUCCESS);
    a = ask("_ACME-Challenge.Printer.Home.Arpa", DNS_T_TXT, 0, false);
    ck_assert_int_eq(a->status, ARES_SUCCESS);
}
END_TEST

/* opt_payload finds the OPT record in a raw answer's additional section and
 * returns its payload size; -1 when there is none. */
static int opt_payload(const struct answer *a)
{
    struct dns_msg m;
    uint8_t copy[65536];
    memcpy(copy, a->buf, (size_t)a->len);
    copy[2] &= 0x7f; /* the parser reads queries: clear QR */
    m.an = m.ns = NULL;
    /* the answer section is skipped, but OPT must be there exactly once */
    ck_assert_int_eq(dns_msg_parse(&m, copy, (size_t)a->len, false), DNS_PARSE_OK);
    return m.has_edns ? m.edns_payload : -1;
}

START_TEST(test_edns)
{
    static const char *const v4[] = {"192.168.1.23"};
    struct answer *a = ask("c0a80117.home.arpa", DNS_T_A, ARES_FLAG_EDNS, false);
    expect_a(a, v4, 1, DNS_TTL_HEX);
    ck_assert_uint_eq(ARCOUNT(a), 1);
    ck_assert_int_eq(opt_payload(a), DNS_EDNS_PAYLOAD);
    a = ask("c0a80117.home.arpa", DNS_T_A, 0, false);
    ck_assert_uint_eq(ARCOUNT(a), 0);
    ck_assert_int_eq(opt_payload(a), -1);
    /* negative answers carry OPT too */
    a = ask("nosuch.home.arpa", DNS_T_A, ARES_FLAG_EDNS, false);
    ck_assert_int_eq(a->status, ARES_ENOTFOUND);
    ck_assert_int_eq(opt_payload(a), DNS_EDNS_PAYLOAD);
    a = ask("example.com", DNS_T_A, ARES_FLAG_EDNS | ARES_FLAG_NOCHECKRESP, false);
    ck_assert_int_eq(a->status, ARES_EREFUSED);
    ck_assert_int_eq(opt_payload(a), DNS_EDNS_PAYLOAD);
}
END_TEST

START_TEST(test_search)
{
    static const char *const v4[] = {"192.168.1.23"}, *const printer[] = {"192.168.1.50"};
    expect_a(ask("c0a80117", DNS_T_A, 0, true), v4, 1, DNS_TTL_HEX);
    expect_a(ask("printer", DNS_T_A, 0, true), printer, 1, DNS_TTL_NAMES);
    /* nosuch.home.arpa does not exist, and the bare name is outside */
    ck_assert_int_eq(ask("nosuch", DNS_T_A, ARES_FLAG_NOCHECKRESP, true)->status, ARES_EREFUSED);
}
END_TEST

/* ---- truncation ----------------------------------------------------------------- */

/* raw_udp sends |len| bytes to the responder and returns the reply's length
 * in |out| (0 when none came within two seconds). */
static size_t raw_udp(const uint8_t *msg, size_t len, uint8_t *out, size_t out_cap)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    ck_assert_int_eq(send(fd, msg, len, 0), (ssize_t)len);
    struct pollfd pfd = {fd, POLLIN, 0};
    ssize_t n = 0;
    if (poll(&pfd, 1, 2000) == 1)
        n = recv(fd, out, out_cap, 0);
    close(fd);
    ck_assert_int_ge(n, 0);
    return (size_t)n;
}

/* txt_query writes a TXT query for |name|, with an OPT offering |payload|
 * when it is not 0. */
static size_t txt_query(uint8_t *buf, size_t cap, const char *name, uint16_t payload)
{
    struct dns_out w;
    struct dns_name n;
    struct dns_hdr h = {0x4242, 0, 1, 0, 0, payload ? 1 : 0};
    ck_assert(dns_name_from_text(&n, name));
    dns_out_init(&w, buf, cap);
    dns_out_hdr(&w, &h);
    dns_out_name(&w, &n);
    dns_out_u16(&w, DNS_T_TXT);
    dns_out_u16(&w, DNS_C_IN);
    if (payload) {
        dns_out_bytes(&w, "", 1);
        dns_out_u16(&w, DNS_T_OPT);
        dns_out_u16(&w, payload);
        dns_out_u32(&w, 0);
        dns_out_u16(&w, 0);
    }
    ck_assert(!w.overflow);
    return w.len;
}

START_TEST(test_truncation)
{
    uint8_t q[512], r[4096];
    const char *big = "_acme-challenge.big.home.arpa";
    /* Without EDNS the four strings do not fit in 512 bytes: TC, and only
     * the question. */
    size_t n = raw_udp(q, txt_query(q, sizeof(q), big, 0), r, sizeof(r));
    ck_assert_uint_gt(n, DNS_HDR_LEN);
    ck_assert_uint_le(n, 512);
    ck_assert_uint_eq(r[0] << 8 | r[1], 0x4242);
    ck_assert_msg(r[2] << 8 & DNS_F_TC, "TC clear in a truncated answer");
    ck_assert_uint_eq(r[2] << 8 & DNS_F_AA, DNS_F_AA);
    ck_assert_uint_eq(r[6] << 8 | r[7], 0); /* ANCOUNT */
    ck_assert_uint_eq(r[4] << 8 | r[5], 1); /* the question stays */
    /* With EDNS and 1232 bytes they fit. */
    n = raw_udp(q, txt_query(q, sizeof(q), big, 1232), r, sizeof(r));
    ck_assert_uint_gt(n, 1024);
    ck_assert_uint_le(n, DNS_EDNS_PAYLOAD);
    ck_assert(!(r[2] << 8 & DNS_F_TC));
    ck_assert_uint_eq(r[6] << 8 | r[7], 4);
    /* An EDNS payload under 512 means 512: truncated again. */
    n = raw_udp(q, txt_query(q, sizeof(q), big, 256), r, sizeof(r));
    ck_assert_uint_le(n, 512);
    ck_assert(r[2] << 8 & DNS_F_TC);
    /* A client offering more than 1232 still gets at most 1232. */
    n = raw_udp(q, txt_query(q, sizeof(q), big, 65000), r, sizeof(r));
    ck_assert_uint_le(n, DNS_EDNS_PAYLOAD);
}
END_TEST

START_TEST(test_truncation_tcp_fallback)
{
    /* c-ares without EDNS sees TC over UDP and asks again over TCP. */
    struct answer *a = ask("_acme-challenge.big.home.arpa", DNS_T_TXT, transport_flags[_i], false);
    struct ares_txt_reply *txt = NULL;
    int n = 0;
    ck_assert_msg(a->status == ARES_SUCCESS, "%s", ares_strerror(a->status));
    authoritative(a, DNS_R_NOERROR);
    ck_assert_int_eq(ares_parse_txt_reply(a->buf, a->len, &txt), ARES_SUCCESS);
    for (struct ares_txt_reply *t = txt; t; t = t->next, n++) {
        ck_assert_uint_eq(t->length, DNS_TXT_MAX);
        for (size_t j = 0; j < t->length; j++)
            ck_assert_int_ge(t->txt[j], 'a');
    }
    ck_assert_int_eq(n, 4);
    ares_free_data(txt);
}
END_TEST

static Suite *cares_suite(void)
{
    Suite *s = suite_create("dns_cares");
    TCase *tc = tcase_create("records");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_apex_soa, 0, 3);
    tcase_add_loop_test(tc, test_apex_ns, 0, 3);
    tcase_add_test(tc, test_apex_any);
    tcase_add_loop_test(tc, test_gateway, 0, 3);
    tcase_add_loop_test(tc, test_srv, 0, 3);
    tcase_add_loop_test(tc, test_hex_names, 0, 3);
    tcase_add_test(tc, test_hex_outside_allowed);
    tcase_add_loop_test(tc, test_friendly, 0, 3);
    tcase_add_test(tc, test_friendly_changes);
    tcase_add_loop_test(tc, test_txt, 0, 3);
    tcase_add_loop_test(tc, test_ptr, 0, 3);
    tcase_add_test(tc, test_reverse_apex);
    tcase_add_test(tc, test_ptr_off);
    suite_add_tcase(s, tc);

    tc = tcase_create("negative");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_nxdomain, 0, 3);
    tcase_add_test(tc, test_nodata_soa);
    tcase_add_test(tc, test_escaped_labels);
    tcase_add_test(tc, test_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("protocol");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_letter_case, 0, 3);
    tcase_add_test(tc, test_edns);
    tcase_add_test(tc, test_search);
    tcase_add_test(tc, test_truncation);
    tcase_add_loop_test(tc, test_truncation_tcp_fallback, 0, 3);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(cares_suite());
}
