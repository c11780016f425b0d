/* test_conf.c — src/core/conf.c: defaults, every key with good and bad values,
 * the line and file parsers, listeners, and what conf_finish derives. */
#include "core/conf.h"

#include <syslog.h>

#include "helpers.h"

static struct lc_addr addr_of(const char *s)
{
    struct lc_addr a;
    ck_assert_msg(addr_parse(&a, s, strlen(s)), "'%s' is not an address", s);
    return a;
}

static void set_ok(struct lc_conf *conf, const char *key, const char *value)
{
    struct lc_err err = {LC_OK, ""};
    ck_assert_msg(conf_set(conf, key, value, &err) == LC_OK, "%s = '%s': %s", key, value, err.msg);
}

/* set_refused asserts that |key| = |value| is refused with LC_E_CONFIG, with a
 * message naming the key, and that |conf| did not change. */
static void set_refused(struct lc_conf *conf, const char *key, const char *value)
{
    struct lc_conf before;
    struct lc_err err = {LC_OK, ""};
    memcpy(&before, conf, sizeof(before));
    int rc = conf_set(conf, key, value, &err);
    ck_assert_msg(rc == LC_E_CONFIG, "%s = '%.60s' was not refused (%s)", key, value,
                  lc_errc_name((enum lc_errc)rc));
    ck_assert_int_eq(err.code, LC_E_CONFIG);
    ck_assert_msg(strstr(err.msg, key) != NULL, "'%s' does not name %s", err.msg, key);
    ck_assert_msg(memcmp(&before, conf, sizeof(before)) == 0, "%s = '%.60s' changed the config",
                  key, value);
}

static void listen_is(const struct conf_listen_set *set, size_t i, const char *want)
{
    char out[64];
    ck_assert_uint_lt(i, set->n_items);
    conf_listen_format(out, sizeof(out), &set->items[i]);
    ck_assert_str_eq(out, want);
}

/* ---- defaults -------------------------------------------------------------- */

START_TEST(test_defaults)
{
    struct lc_conf conf;
    char text[256];
    conf_init(&conf);
    ck_assert_str_eq(conf.zone, "home.arpa");
    prefix_set_format(text, sizeof(text), &conf.allow);
    ck_assert_str_eq(text, "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7");
    ck_assert_str_eq(conf.gateway_name, "gateway");
    ck_assert_uint_eq(conf.n_gateway_addrs, 0);
    ck_assert_str_eq(conf.state_dir, LC_DEFAULT_STATE_DIR);
    ck_assert_uint_eq(conf.dns_listen.n_items, 1);
    listen_is(&conf.dns_listen, 0, "127.0.0.1:5300");
    listen_is(&conf.http_listen, 0, "127.0.0.1:8080");
    listen_is(&conf.https_listen, 0, "127.0.0.1:8443");
    ck_assert_str_eq(conf.user, "");
    ck_assert_uint_eq(conf.leaf_days, 90);
    ck_assert_int_eq(conf.enroll_policy, ENROLL_APPROVE);
    ck_assert_uint_eq(conf.dns_rrl, 20);
    prefix_set_format(text, sizeof(text), &conf.dns_rrl_exempt);
    ck_assert_str_eq(text, "127.0.0.0/8 ::1/128");
    ck_assert(!conf.reverse);
    ck_assert_int_eq(conf.log_level, LOG_INFO);

    char fqdn[LC_NAME_MAX + 1];
    conf_gateway_fqdn(fqdn, &conf);
    ck_assert_str_eq(fqdn, "gateway.home.arpa");

    /* Loopback is not allowed unless configured. */
    struct lc_addr lo = addr_of("127.0.0.1");
    ck_assert(!prefix_set_contains(&conf.allow, &lo));
}
END_TEST

START_TEST(test_is_key)
{
    static const char *const keys[] = {"zone", "allow", "gateway_name", "gateway_address",
                                       "state_dir", "dns_listen", "http_listen", "https_listen",
                                       "user", "leaf_days", "enroll_policy", "dns_rrl",
                                       "dns_rrl_exempt", "reverse", "log_level"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        ck_assert_msg(conf_is_key(keys[i]), "%s is not a key", keys[i]);
    ck_assert(!conf_is_key(""));
    ck_assert(!conf_is_key("Zone"));
    ck_assert(!conf_is_key("zone "));
    ck_assert(!conf_is_key("zon"));
    ck_assert(!conf_is_key("config"));
}
END_TEST

/* ---- every key ------------------------------------------------------------- */

START_TEST(test_zone)
{
    struct lc_conf conf;
    char label[LC_LABEL_MAX + 1], zone[LC_NAME_MAX + 8];
    conf_init(&conf);
    set_ok(&conf, "zone", "Lan.Example.");
    ck_assert_str_eq(conf.zone, "lan.example");
    set_ok(&conf, "zone", "lan");
    ck_assert_str_eq(conf.zone, "lan");
    set_refused(&conf, "zone", "");
    set_refused(&conf, "zone", ".");
    set_refused(&conf, "zone", "a..b");
    set_refused(&conf, "zone", "*.lan");
    set_refused(&conf, "zone", "home arpa");
    set_refused(&conf, "zone", "-home.arpa");

    /* The zone leaves room for a 63-byte label and its dot: 189 bytes. */
    memset(label, 'a', 63);
    label[63] = '\0';
    snprintf(zone, sizeof(zone), "%s.%s.%.61s", label, label, label);
    ck_assert_uint_eq(strlen(zone), 189);
    set_ok(&conf, "zone", zone);
    snprintf(zone, sizeof(zone), "%s.%s.%.62s", label, label, label);
    set_refused(&conf, "zone", zone);

    /* With the longest zone the gateway's name still fits. */
    char fqdn[LC_NAME_MAX + 1];
    snprintf(zone, sizeof(zone), "%s.%s.%.61s", label, label, label);
    set_ok(&conf, "zone", zone);
    set_ok(&conf, "gateway_name", label);
    conf_gateway_fqdn(fqdn, &conf);
    ck_assert_uint_eq(strlen(fqdn), LC_NAME_MAX);
}
END_TEST

START_TEST(test_allow)
{
    struct lc_conf conf;
    struct lc_addr lo = addr_of("127.0.0.1");
    conf_init(&conf);
    set_ok(&conf, "allow", "192.168.0.0/16 127.0.0.0/8 ::1");
    ck_assert_uint_eq(conf.allow.n_prefixes, 3);
    ck_assert(prefix_set_contains(&conf.allow, &lo));
    set_refused(&conf, "allow", "10.0.0.1/8");
    set_refused(&conf, "allow", "192.168.0.0/33");
    set_refused(&conf, "allow", "");
    set_refused(&conf, "allow", "   ");
    set_refused(&conf, "allow", "192.168.0.0/16 bogus");
    set_refused(&conf, "allow", "1.0.0.0/8 2.0.0.0/8 3.0.0.0/8 4.0.0.0/8 5.0.0.0/8 6.0.0.0/8 "
                                "7.0.0.0/8 8.0.0.0/8 9.0.0.0/8 10.0.0.0/8 11.0.0.0/8 12.0.0.0/8 "
                                "13.0.0.0/8 14.0.0.0/8 15.0.0.0/8 16.0.0.0/8 17.0.0.0/8");
}
END_TEST

START_TEST(test_gateway_name)
{
    struct lc_conf conf;
    conf_init(&conf);
    set_ok(&conf, "gateway_name", "Router");
    ck_assert_str_eq(conf.gateway_name, "router");
    set_ok(&conf, "gateway_name", "gw-1.");
    ck_assert_str_eq(conf.gateway_name, "gw-1");
    set_refused(&conf, "gateway_name", "");
    set_refused(&conf, "gateway_name", "gw.home");    /* one label */
    set_refused(&conf, "gateway_name", "_gw");        /* reserved for services */
    set_refused(&conf, "gateway_name", "c0a80101");   /* a hex name */
    set_refused(&conf, "gateway_name", "C0A80101");
    set_refused(&conf, "gateway_name", "fd000000000000000000000000000001");
    set_refused(&conf, "gateway_name", "-gw");
    set_refused(&conf, "gateway_name", "g w");
    set_refused(&conf, "gateway_name", "*");
}
END_TEST

START_TEST(test_gateway_address)
{
    struct lc_conf conf;
    struct lc_addr a = addr_of("192.168.1.1"), b = addr_of("fd00::1"), c = addr_of("10.0.0.1");
    conf_init(&conf);
    set_ok(&conf, "gateway_address", "192.168.1.1 \tfd00::1");
    ck_assert_uint_eq(conf.n_gateway_addrs, 2);
    ck_assert(conf_is_gateway_addr(&conf, &a));
    ck_assert(conf_is_gateway_addr(&conf, &b));
    ck_assert(!conf_is_gateway_addr(&conf, &c));
    set_ok(&conf, "gateway_address",
           "1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8");
    ck_assert_uint_eq(conf.n_gateway_addrs, CONF_MAX_GATEWAY_ADDRS);
    set_refused(&conf, "gateway_address",
                "1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9");
    set_refused(&conf, "gateway_address", "192.168.1.300");
    set_refused(&conf, "gateway_address", "192.168.1.1 gateway.home.arpa");
    set_refused(&conf, "gateway_address", "192.168.1.0/24");
    set_refused(&conf, "gateway_address", "[fd00::1]");
}
END_TEST

START_TEST(test_state_dir)
{
    struct lc_conf conf;
    static char path[PATH_MAX + 16];
    conf_init(&conf);
    set_ok(&conf, "state_dir", "/etc/lancert");
    ck_assert_str_eq(conf.state_dir, "/etc/lancert");
    set_refused(&conf, "state_dir", "");
    /* Room is kept for the file names appended to it. */
    memset(path, 'd', sizeof(path) - 1);
    path[0] = '/';
    path[sizeof(path) - 1] = '\0';
    set_refused(&conf, "state_dir", path);
    path[PATH_MAX - 32] = '\0';
    set_refused(&conf, "state_dir", path);
    path[PATH_MAX - 33] = '\0';
    set_ok(&conf, "state_dir", path);
}
END_TEST

START_TEST(test_listen_good)
{
    struct lc_conf conf;
    conf_init(&conf);
    set_ok(&conf, "dns_listen", "127.0.0.1:53");
    listen_is(&conf.dns_listen, 0, "127.0.0.1:53");
    set_ok(&conf, "dns_listen", "[::1]:53");
    listen_is(&conf.dns_listen, 0, "[::1]:53");
    ck_assert_uint_eq(conf.dns_listen.items[0].addr.family, LC_AF_INET6);
    set_ok(&conf, "http_listen", "0.0.0.0:80 [::]:80");
    ck_assert_uint_eq(conf.http_listen.n_items, 2);
    listen_is(&conf.http_listen, 0, "0.0.0.0:80");
    listen_is(&conf.http_listen, 1, "[::]:80");
    set_ok(&conf, "https_listen", "  192.168.1.1:443\t[fd00::1]:443 10.0.0.1:1 10.0.0.1:65535 ");
    ck_assert_uint_eq(conf.https_listen.n_items, CONF_MAX_LISTEN);
    listen_is(&conf.https_listen, 1, "[fd00::1]:443");
    ck_assert_uint_eq(conf.https_listen.items[2].port, 1);
    ck_assert_uint_eq(conf.https_listen.items[3].port, 65535);
}
END_TEST

START_TEST(test_listen_bad)
{
    static const char *const bad[] = {
        "",                     /* nothing */
        "   ",
        "127.0.0.1",            /* missing port */
        "127.0.0.1:",
        "[::1]",
        "[::1]:",
        "127.0.0.1:0",          /* port 0 */
        "127.0.0.1:65536",      /* over 65535 */
        "127.0.0.1:99999999",
        "127.0.0.1:-1",
        "127.0.0.1:+53",
        "127.0.0.1:5x",
        "127.0.0.1:0x35",
        "127.0.0.1:53:53",
        "::1:53",               /* IPv6 needs brackets */
        "fd00::1:53",
        "::53",
        "[::1]553",             /* junk between ']' and the port */
        "[::1]x:53",
        "[::1",
        "::1]:53",
        "[]:53",
        ":53",
        "localhost:53",         /* names are not addresses */
        "127.0.0.1:53 bogus",   /* one bad word spoils the list */
        "1.1.1.1:1 1.1.1.2:1 1.1.1.3:1 1.1.1.4:1 1.1.1.5:1", /* five */
    };
    static const char *const keys[] = {"dns_listen", "http_listen", "https_listen"};
    struct lc_conf conf;
    conf_init(&conf);
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
            set_refused(&conf, keys[k], bad[i]);
}
END_TEST

START_TEST(test_listen_message_quotes_input)
{
    struct lc_conf conf;
    struct lc_err err = {LC_OK, ""};
    conf_init(&conf);
    TH_FAILS(conf_set(&conf, "dns_listen", "[::1]", &err), LC_E_CONFIG, err);
    ck_assert_msg(strstr(err.msg, "'[::1]'") != NULL, "%s", err.msg);
    TH_FAILS(conf_set(&conf, "dns_listen", "::1:53", &err), LC_E_CONFIG, err);
    ck_assert_msg(strstr(err.msg, "'::1:53'") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_user)
{
    struct lc_conf conf;
    char name[80];
    conf_init(&conf);
    set_ok(&conf, "user", "nobody");
    ck_assert_str_eq(conf.user, "nobody");
    memset(name, 'u', 63);
    name[63] = '\0';
    set_ok(&conf, "user", name);
    memset(name, 'u', 64);
    name[64] = '\0';
    set_refused(&conf, "user", name);
}
END_TEST

START_TEST(test_numbers)
{
    struct lc_conf conf;
    conf_init(&conf);
    set_ok(&conf, "leaf_days", "1");
    ck_assert_uint_eq(conf.leaf_days, 1);
    set_ok(&conf, "leaf_days", "397");
    ck_assert_uint_eq(conf.leaf_days, 397);
    set_ok(&conf, "leaf_days", "030");
    ck_assert_uint_eq(conf.leaf_days, 30);
    static const char *const bad_days[] = {"0", "398", "-1", "+5", " 5", "5 ", "5d", "abc", "",
                                           "4294967297", "18446744073709551617",
                                           "99999999999999999999999999", "0x10", "1e2", "5.0"};
    for (size_t i = 0; i < sizeof(bad_days) / sizeof(bad_days[0]); i++)
        set_refused(&conf, "leaf_days", bad_days[i]);

    set_ok(&conf, "dns_rrl", "0");
    ck_assert_uint_eq(conf.dns_rrl, 0);
    set_ok(&conf, "dns_rrl", "1000000");
    ck_assert_uint_eq(conf.dns_rrl, 1000000);
    set_refused(&conf, "dns_rrl", "1000001");
    set_refused(&conf, "dns_rrl", "-1");
    set_refused(&conf, "dns_rrl", "many");

    /* dns_rrl_exempt: prefixes, or none; a refusal keeps the old set. */
    char text[256];
    struct lc_addr lo = addr_of("127.0.0.53"), lo6 = addr_of("::1"), lan = addr_of("10.0.0.53");
    ck_assert(prefix_set_contains(&conf.dns_rrl_exempt, &lo));
    ck_assert(prefix_set_contains(&conf.dns_rrl_exempt, &lo6));
    ck_assert(!prefix_set_contains(&conf.dns_rrl_exempt, &lan));
    set_ok(&conf, "dns_rrl_exempt", "10.0.0.53/32, fd00::53/128");
    prefix_set_format(text, sizeof(text), &conf.dns_rrl_exempt);
    ck_assert_str_eq(text, "10.0.0.53/32 fd00::53/128");
    ck_assert(prefix_set_contains(&conf.dns_rrl_exempt, &lan));
    ck_assert(!prefix_set_contains(&conf.dns_rrl_exempt, &lo));
    static const char *const bad_exempt[] = {"", " ", "loopback", "127.0.0.1/33", "10.0.0.1/8",
                                             "none 10.0.0.0/8", "::1/129", "127.0.0.1:53"};
    for (size_t i = 0; i < sizeof(bad_exempt) / sizeof(bad_exempt[0]); i++)
        set_refused(&conf, "dns_rrl_exempt", bad_exempt[i]);
    ck_assert_uint_eq(conf.dns_rrl_exempt.n_prefixes, 2);
    set_ok(&conf, "dns_rrl_exempt", "none");
    ck_assert_uint_eq(conf.dns_rrl_exempt.n_prefixes, 0);
    ck_assert(!prefix_set_contains(&conf.dns_rrl_exempt, &lo));
}
END_TEST

START_TEST(test_words)
{
    struct lc_conf conf;
    conf_init(&conf);
    set_ok(&conf, "enroll_policy", "token");
    ck_assert_int_eq(conf.enroll_policy, ENROLL_TOKEN);
    set_ok(&conf, "enroll_policy", "open");
    ck_assert_int_eq(conf.enroll_policy, ENROLL_OPEN);
    set_ok(&conf, "enroll_policy", "approve");
    ck_assert_int_eq(conf.enroll_policy, ENROLL_APPROVE);
    set_refused(&conf, "enroll_policy", "Open");
    set_refused(&conf, "enroll_policy", "anyone");
    set_refused(&conf, "enroll_policy", "");

    set_ok(&conf, "reverse", "yes");
    ck_assert(conf.reverse);
    set_ok(&conf, "reverse", "no");
    ck_assert(!conf.reverse);
    set_refused(&conf, "reverse", "true");
    set_refused(&conf, "reverse", "1");
    set_refused(&conf, "reverse", "YES");

    set_ok(&conf, "log_level", "debug");
    ck_assert_int_eq(conf.log_level, LOG_DEBUG);
    set_ok(&conf, "log_level", "error");
    ck_assert_int_eq(conf.log_level, LOG_ERR);
    set_ok(&conf, "log_level", "warning");
    ck_assert_int_eq(conf.log_level, LOG_WARNING);
    set_ok(&conf, "log_level", "info");
    ck_assert_int_eq(conf.log_level, LOG_INFO);
    set_refused(&conf, "log_level", "verbose");
    set_refused(&conf, "log_level", "7");
}
END_TEST

START_TEST(test_unknown_key)
{
    struct lc_conf conf, before;
    struct lc_err err = {LC_OK, ""};
    conf_init(&conf);
    memcpy(&before, &conf, sizeof(conf));
    TH_FAILS(conf_set(&conf, "zonee", "lan", &err), LC_E_CONFIG, err);
    ck_assert_msg(strstr(err.msg, "unknown key 'zonee'") != NULL, "%s", err.msg);
    TH_FAILS(conf_set(&conf, "", "lan", &err), LC_E_CONFIG, err);
    ck_assert(memcmp(&before, &conf, sizeof(conf)) == 0);
}
END_TEST

/* ---- lines ----------------------------------------------------------------- */

static int line(struct lc_conf *conf, const char *text, struct lc_err *err)
{
    return conf_parse_line(conf, text, strlen(text), err);
}

START_TEST(test_line_blank_and_comments)
{
    static const char *const nothing[] = {"", " ", "\t\t", "\r", "\r\n", "# comment",
                                          "   # indented", "#zone = lan", "\t#\tzone = lan\r"};
    struct lc_conf conf, before;
    struct lc_err err = {LC_OK, ""};
    conf_init(&conf);
    memcpy(&before, &conf, sizeof(conf));
    for (size_t i = 0; i < sizeof(nothing) / sizeof(nothing[0]); i++)
        ck_assert_msg(line(&conf, nothing[i], &err) == LC_OK, "'%s': %s", nothing[i], err.msg);
    ck_assert(memcmp(&before, &conf, sizeof(conf)) == 0);
}
END_TEST

START_TEST(test_line_key_value)
{
    struct lc_conf conf;
    struct lc_err err = {LC_OK, ""};
    conf_init(&conf);
    TH_OK(line(&conf, "zone=lan", &err), err);
    ck_assert_str_eq(conf.zone, "lan");
    TH_OK(line(&conf, "  zone \t=\t example.lan  \r", &err), err);
    ck_assert_str_eq(conf.zone, "example.lan");
    TH_OK(line(&conf, "zone = home.arpa # the RFC 8375 default", &err), err);
    ck_assert_str_eq(conf.zone, "home.arpa");
    TH_OK(line(&conf, "user = lancert\t# who runs it", &err), err);
    ck_assert_str_eq(conf.user, "lancert");

    /* '#' inside a value, not after white space, belongs to the value. */
    TH_OK(line(&conf, "user = a#b", &err), err);
    ck_assert_str_eq(conf.user, "a#b");
    TH_OK(line(&conf, "user =#b", &err), err);
    ck_assert_str_eq(conf.user, "#b");
    TH_OK(line(&conf, "user = a#b # and a comment", &err), err);
    ck_assert_str_eq(conf.user, "a#b");

    /* A value may hold spaces and '='. */
    TH_OK(line(&conf, "allow = 10.0.0.0/8  192.168.0.0/16", &err), err);
    ck_assert_uint_eq(conf.allow.n_prefixes, 2);
    TH_OK(line(&conf, "user = a=b", &err), err);
    ck_assert_str_eq(conf.user, "a=b");

    /* Only |len| bytes are read. */
    TH_OK(conf_parse_line(&conf, "zone = lanXXX", 10, &err), err);
    ck_assert_str_eq(conf.zone, "lan");
}
END_TEST

static void line_refused(const char *text, size_t len, const char *needle)
{
    struct lc_conf conf, before;
    struct lc_err err = {LC_OK, ""};
    conf_init(&conf);
    memcpy(&before, &conf, sizeof(conf));
    TH_FAILS(conf_parse_line(&conf, text, len, &err), LC_E_CONFIG, err);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "'%.40s': '%s' lacks '%s'", text, err.msg,
                  needle);
    ck_assert(memcmp(&before, &conf, sizeof(conf)) == 0);
}

START_TEST(test_line_refusals)
{
    line_refused("zone lan", 8, "key = value");
    line_refused("zone", 4, "key = value");
    line_refused("= lan", 5, "key = value");
    line_refused("  =lan", 6, "key = value");
    line_refused("zone =", 6, "empty value");
    line_refused("zone =   \t", 10, "empty value");
    line_refused("zone = # nothing", 16, "empty value");
    line_refused("bogus = 1", 9, "unknown key 'bogus'");
    line_refused("ZONE = lan", 10, "unknown key");
    line_refused("zone = a = b", 12, "zone");
    line_refused("zone == lan", 11, "zone");

    /* A key of 64 bytes is over the limit before it is looked up. */
    char key[80];
    memset(key, 'k', 64);
    memcpy(key + 64, " = 1", 5);
    line_refused(key, strlen(key), "key = value");
}
END_TEST

START_TEST(test_line_nul)
{
    static const char nul_value[] = "zone = lan\0.evil";
    static const char nul_key[] = "zo\0ne = lan";
    static const char nul_only[] = "\0";
    line_refused(nul_value, sizeof(nul_value) - 1, "NUL");
    line_refused(nul_key, sizeof(nul_key) - 1, "NUL");
    line_refused(nul_only, 1, "NUL");
}
END_TEST

START_TEST(test_line_overlong)
{
    /* CONF_MAX_LINE bytes are fine, one more is not, and the limit holds
     * before anything else: even for a comment or a run of spaces. */
    static char text[CONF_MAX_LINE + 2];
    struct lc_conf conf;
    struct lc_err err = {LC_OK, ""};
    conf_init(&conf);
    memset(text, ' ', sizeof(text));
    text[0] = '#';
    TH_OK(conf_parse_line(&conf, text, CONF_MAX_LINE, &err), err);
    line_refused(text, CONF_MAX_LINE + 1, "over");
    memset(text, ' ', sizeof(text));
    line_refused(text, CONF_MAX_LINE + 1, "over");

    /* The longest value that fits a line: all of it but "state_dir=". */
    memcpy(text, "state_dir=/", 11);
    memset(text + 11, 'd', CONF_MAX_LINE - 11);
    TH_OK(conf_parse_line(&conf, text, CONF_MAX_LINE, &err), err);
    ck_assert_uint_eq(strlen(conf.state_dir), CONF_MAX_LINE - 10);
}
END_TEST

/* ---- files ----------------------------------------------------------------- */

static int parse(struct lc_conf *conf, const char *text, struct lc_err *err)
{
    return conf_parse(conf, text, strlen(text), err);
}

START_TEST(test_parse_file)
{
    static const char text[] = "# lancert.conf\n"
                               "\n"
                               "zone = lan\r\n"
                               "allow = 192.168.0.0/16 127.0.0.0/8   # plus loopback\n"
                               "  gateway_name = router\n"
                               "dns_listen = [::1]:5353 127.0.0.1:5353\n"
                               "leaf_days = 30\n"
                               "enroll_policy = token\n"
                               "reverse = yes"; /* no final newline */
    struct lc_conf conf;
    struct lc_err err = {LC_OK, ""};
    conf_init(&conf);
    TH_OK(parse(&conf, text, &err), err);
    ck_assert_str_eq(conf.zone, "lan");
    ck_assert_uint_eq(conf.allow.n_prefixes, 2);
    ck_assert_str_eq(conf.gateway_name, "router");
    listen_is(&conf.dns_listen, 0, "[::1]:5353");
    listen_is(&conf.dns_listen, 1, "127.0.0.1:5353");
    ck_assert_uint_eq(conf.leaf_days, 30);
    ck_assert_int_eq(conf.enroll_policy, ENROLL_TOKEN);
    ck_assert(conf.reverse);
    /* What the file did not set keeps its default. */
    listen_is(&conf.https_listen, 0, "127.0.0.1:8443");

    /* An empty file, and a later key wins over an earlier one. */
    TH_OK(parse(&conf, "", &err), err);
    TH_OK(parse(&conf, "leaf_days = 10\nleaf_days = 20\n", &err), err);
    ck_assert_uint_eq(conf.leaf_days, 20);
}
END_TEST

/* parse_refused asserts that |len| bytes of |text| are refused with a message
 * that starts "line N: " and holds |needle|, and that |conf| did not change
 * even where earlier lines were good. */
static void parse_refused(const char *text, size_t len, unsigned lineno, const char *needle)
{
    struct lc_conf conf, before;
    struct lc_err err = {LC_OK, ""};
    char prefix[32];
    conf_init(&conf);
    memcpy(&before, &conf, sizeof(conf));
    TH_FAILS(conf_parse(&conf, text, len, &err), LC_E_CONFIG, err);
    snprintf(prefix, sizeof(prefix), "line %u: ", lineno);
    ck_assert_msg(strncmp(err.msg, prefix, strlen(prefix)) == 0, "'%s' does not start '%s'",
                  err.msg, prefix);
    /* The context is added once, not repeated over the message. */
    ck_assert_msg(strstr(err.msg + strlen(prefix), prefix) == NULL, "'%s'", err.msg);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "'%s' lacks '%s'", err.msg, needle);
    ck_assert(memcmp(&before, &conf, sizeof(conf)) == 0);
}

START_TEST(test_parse_line_numbers)
{
    static const char unknown[] = "zone = lan\n\nbogus = 1\nleaf_days = 5\n";
    parse_refused(unknown, strlen(unknown), 3, "unknown key 'bogus'");
    static const char first[] = "leaf_days = 0";
    parse_refused(first, strlen(first), 1, "leaf_days");
    static const char crlf[] = "# c\r\n\r\n\r\nzone lan\r\n";
    parse_refused(crlf, strlen(crlf), 4, "key = value");
    static const char value[] = "zone = lan\nallow = 10.0.0.1/8\n";
    parse_refused(value, strlen(value), 2, "allow: ");
    static const char nul[] = "zone = lan\nuser = a\0b\n";
    parse_refused(nul, sizeof(nul) - 1, 2, "NUL");
    static const char listen[] = "\n\n\n\n\ndns_listen = ::1:53\n";
    parse_refused(listen, strlen(listen), 6, "dns_listen");

    /* Line numbers keep counting past 255 and the 16-bit mark. */
    static char many[70000 * 2 + 16];
    size_t n = 0;
    for (int i = 0; i < 70000; i++) {
        many[n++] = '#';
        many[n++] = '\n';
    }
    memcpy(many + n, "bogus = 1\n", 10);
    parse_refused(many, n + 10, 70001, "bogus");
}
END_TEST

START_TEST(test_parse_overlong_line)
{
    static char text[CONF_MAX_LINE * 3];
    size_t n = 0;
    memcpy(text, "zone = lan\n", 11);
    n = 11;
    memset(text + n, '#', CONF_MAX_LINE + 1);
    n += CONF_MAX_LINE + 1;
    text[n++] = '\n';
    parse_refused(text, n, 2, "over");
}
END_TEST

START_TEST(test_load)
{
    char dir[PATH_MAX], path[PATH_MAX];
    struct lc_conf conf;
    struct lc_err err = {LC_OK, ""};
    FILE *f;
    th_tmpdir(dir);
    th_path(path, dir, "lancert.conf");
    conf_init(&conf);

    TH_FAILS(conf_load(&conf, path, &err), LC_E_NOTFOUND, err);

    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs("zone = lan\nhttps_listen = 192.168.1.1:443\n", f);
    ck_assert_int_eq(fclose(f), 0);
    TH_OK(conf_load(&conf, path, &err), err);
    ck_assert_str_eq(conf.zone, "lan");

    /* A bad line names the file and the line. */
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs("zone = lan\nleaf_days = 999\n", f);
    ck_assert_int_eq(fclose(f), 0);
    TH_FAILS(conf_load(&conf, path, &err), LC_E_CONFIG, err);
    ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, ": line 2: leaf_days") != NULL, "%s", err.msg);
    ck_assert_str_eq(conf.zone, "lan");

    /* A file over 64 KiB is refused for its size, whatever it holds. */
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    for (int i = 0; i <= CONF_MAX_FILE / 8; i++)
        fputs("#######\n", f);
    ck_assert_int_eq(fclose(f), 0);
    TH_FAILS(conf_load(&conf, path, &err), LC_E_TOO_BIG, err);

    /* Exactly 64 KiB of comments is fine. */
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    for (int i = 0; i < CONF_MAX_FILE / 8; i++)
        fputs("#######\n", f);
    ck_assert_int_eq(fclose(f), 0);
    TH_OK(conf_load(&conf, path, &err), err);
    th_rmtree(dir);
}
END_TEST

/* ---- conf_finish ----------------------------------------------------------- */

START_TEST(test_finish_derives_gateway_addrs)
{
    struct lc_conf conf;
    struct lc_err err = {LC_OK, ""};
    struct lc_addr lo = addr_of("127.0.0.1");

    conf_init(&conf);
    TH_OK(conf_finish(&conf, &err), err);
    ck_assert_uint_eq(conf.n_gateway_addrs, 1);
    ck_assert(conf_is_gateway_addr(&conf, &lo));

    /* Wildcard listeners say nothing about the gateway's own address. */
    conf_init(&conf);
    set_ok(&conf, "https_listen", "0.0.0.0:443 [::]:443");
    TH_OK(conf_finish(&conf, &err), err);
    ck_assert_uint_eq(conf.n_gateway_addrs, 0);

    conf_init(&conf);
    set_ok(&conf, "https_listen", "192.168.1.1:443 0.0.0.0:8443 [fd00::1]:443");
    TH_OK(conf_finish(&conf, &err), err);
    ck_assert_uint_eq(conf.n_gateway_addrs, 2);
    struct lc_addr a = addr_of("192.168.1.1"), b = addr_of("fd00::1");
    ck_assert(conf_is_gateway_addr(&conf, &a));
    ck_assert(conf_is_gateway_addr(&conf, &b));
    ck_assert(!conf_is_gateway_addr(&conf, &lo));

    /* Addresses given explicitly are kept as they are. */
    conf_init(&conf);
    set_ok(&conf, "gateway_address", "10.0.0.1");
    TH_OK(conf_finish(&conf, &err), err);
    ck_assert_uint_eq(conf.n_gateway_addrs, 1);
    ck_assert(!conf_is_gateway_addr(&conf, &lo));

    /* Finishing twice changes nothing. */
    conf_init(&conf);
    TH_OK(conf_finish(&conf, &err), err);
    TH_OK(conf_finish(&conf, &err), err);
    ck_assert_uint_eq(conf.n_gateway_addrs, 1);
}
END_TEST

START_TEST(test_gateway_fqdn)
{
    struct lc_conf conf;
    char fqdn[LC_NAME_MAX + 1];
    conf_init(&conf);
    set_ok(&conf, "zone", "lan.example");
    set_ok(&conf, "gateway_name", "router");
    conf_gateway_fqdn(fqdn, &conf);
    ck_assert_str_eq(fqdn, "router.lan.example");
}
END_TEST

static Suite *conf_suite(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("keys");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_is_key);
    tcase_add_test(tc, test_zone);
    tcase_add_test(tc, test_allow);
    tcase_add_test(tc, test_gateway_name);
    tcase_add_test(tc, test_gateway_address);
    tcase_add_test(tc, test_state_dir);
    tcase_add_test(tc, test_listen_good);
    tcase_add_test(tc, test_listen_bad);
    tcase_add_test(tc, test_listen_message_quotes_input);
    tcase_add_test(tc, test_user);
    tcase_add_test(tc, test_numbers);
    tcase_add_test(tc, test_words);
    tcase_add_test(tc, test_unknown_key);
    suite_add_tcase(s, tc);

    tc = tcase_create("lines");
    tcase_add_test(tc, test_line_blank_and_comments);
    tcase_add_test(tc, test_line_key_value);
    tcase_add_test(tc, test_line_refusals);
    tcase_add_test(tc, test_line_nul);
    tcase_add_test(tc, test_line_overlong);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_test(tc, test_parse_file);
    tcase_add_test(tc, test_parse_line_numbers);
    tcase_add_test(tc, test_parse_overlong_line);
    tcase_add_test(tc, test_load);
    suite_add_tcase(s, tc);

    tc = tcase_create("finish");
    tcase_add_test(tc, test_finish_derives_gateway_addrs);
    tcase_add_test(tc, test_gateway_fqdn);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run(conf_suite());
}
