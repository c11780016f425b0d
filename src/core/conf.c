/* conf.c — the configuration: defaults, one table of keys, a line parser. */
#include "core/conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cur.h"
#include "core/file.h"
#include "core/log.h"

#define DEFAULT_ALLOW "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7"
/* A local forwarder (dnsmasq on the router) asks for every client at once. */
#define DEFAULT_RRL_EXEMPT "127.0.0.0/8 ::1"

typedef int (*conf_setter)(struct lc_conf *conf, const char *value, struct lc_err *err);

static int parse_uint(unsigned *out, const char *value, unsigned min, unsigned max,
                      const char *key, struct lc_err *err)
{
    char *end;
    unsigned long v;
    if (value[0] < '0' || value[0] > '9')
        return lc_fail(err, LC_E_CONFIG, "%s: '%s' is not a number", key, value);
    v = strtoul(value, &end, 10);
    if (*end != '\0' || v < min || v > max)
        return lc_fail(err, LC_E_CONFIG, "%s: '%s' must be a number from %u to %u", key,
                       value, min, max);
    *out = (unsigned)v;
    return LC_OK;
}

static int set_zone(struct lc_conf *conf, const char *value, struct lc_err *err)
{
    char norm[LC_NAME_MAX + 1];
    if (name_normalize(norm, value, strlen(value), err) != LC_OK)
        return lc_wrap(err, LC_E_CONFIG, "zone");
    if (strlen(norm) > LC_NAME_MAX - LC_LABEL_MAX - 1)
        return lc_fail(err, LC_E_CONFIG, "zone: '%s' is too long to leave room for a label", norm);
    memcpy(conf->zone, norm, sizeof(norm));
    return LC_OK;
}

static int set_allow(struct lc_conf *conf, const char *value, struct lc_err *err)
{
    struct lc_prefix_set set;
    if (prefix_set_parse(&set, value, strlen(value), err) != LC_OK)
        return lc_wrap(err, LC_E_CONFIG, "allow");
    conf->allow = set;
    return LC_OK;
}

static int set_gateway_name(struct lc_conf *conf, const char *value, struct lc_err *err)
{
    char norm[LC_NAME_MAX + 1];
    if (name_normalize(norm, value, strlen(value), err) != LC_OK)
        return lc_wrap(err, LC_E_CONFIG, "gateway_name");
    if (strchr(norm, '.') || norm[0] == '_' || name_is_hex_label(norm, strlen(norm)))
        return lc_fail(err, LC_E_CONFIG,
                       "gateway_name: '%s' must be one label, not hex, not starting with '_'", norm);
    snprintf(conf->gateway_name, sizeof(conf->gateway_name), "%s", norm);
    return LC_OK;
}

static int set_gateway_address(struct lc_conf *conf, const char *value, struct lc_err *err)
{
    struct lc_addr addrs[CONF_MAX_GATEWAY_ADDRS];
    size_t n = 0;
    struct cur c = cur_init(value, strlen(value));
    for (;;) {
        struct cur word = cur_init(NULL, 0);
        cur_skip_space(&c);
        if (cur_is_empty(&c))
            break;
        size_t len = 0;
        while (len < c.len && c.p[len] != ' ' && c.p[len] != '\t')
            len++;
        cur_sub(&c, &word, len);
        if (n == CONF_MAX_GATEWAY_ADDRS)
            return lc_fail(err, LC_E_CONFIG, "gateway_address: at most %d addresses",
                           CONF_MAX_GATEWAY_ADDRS);
        if (!addr_parse(&addrs[n], (const char *)word.p, word.len))
            return lc_fail(err, LC_E_CONFIG, "gateway_address: '%.*s' is not an IP address",
                           (int)word.len, word.p);
        n++;
    }
    memcpy(conf->gateway_addrs, addrs, n * sizeof(addrs[0]));
    conf->n_gateway_addrs = n;
    conf->gateway_addrs_given = n > 0;
    return LC_OK;
}

static int set_state_dir(struct lc_conf *conf, const char *value, struct lc_err *err)
{
    if (value[0] == '\0' || strlen(value) >= sizeof(conf->state_dir) - 32)
        return lc_fail(err, LC_E_CONFIG, "state_dir: must be a path shorter than %zu bytes",
                       sizeof(conf->state_dir) - 32);
    snprintf(conf->state_dir, sizeof(conf->state_dir), "%s", value);
    return LC_OK;
}

/* parse_listen reads "ADDR:PORT" or "[ADDR6]:PORT", space-separated. */
static int parse_listen(struct conf_listen_set *out, const char *key, const char *value,
                        struct lc_err *err)
{
    struct conf_listen_set set = {.n_items = 0};
    struct cur c = cur_init(value, strlen(value));
    for (;;) {
        struct cur word = cur_init(NULL, 0), whole, host, port_text;
        unsigned port = 0;
        char port_buf[8];
        uint8_t sep;
        cur_skip_space(&c);
        if (cur_is_empty(&c))
            break;
        size_t len = 0;
        while (len < c.len && c.p[len] != ' ' && c.p[len] != '\t')
            len++;
        cur_sub(&c, &word, len);
        whole = word;
        if (set.n_items == CONF_MAX_LISTEN)
            return lc_fail(err, LC_E_CONFIG, "%s: at most %d addresses", key, CONF_MAX_LISTEN);
        if (word.p[0] == '[') {
            cur_skip(&word, 1);
            cur_take_until(&word, &host, ']');
            if (!cur_skip(&word, 1))
                goto bad;
        } else {
            /* The last ':' separates the port; an IPv6 literal needs brackets. */
            const uint8_t *colon = NULL;
            for (size_t i = 0; i < word.len; i++)
                if (word.p[i] == ':')
                    colon = word.p + i;
            if (!colon)
                goto bad;
            host = cur_init(word.p, (size_t)(colon - word.p));
            if (memchr(host.p, ':', host.len))
                goto bad;
            cur_skip(&word, host.len);
        }
        if (!cur_peek(&word, &sep) || sep != ':' || !cur_skip(&word, 1) || word.len == 0 ||
            word.len >= sizeof(port_buf))
            goto bad;
        port_text = word;
        memcpy(port_buf, port_text.p, port_text.len);
        port_buf[port_text.len] = '\0';
        if (parse_uint(&port, port_buf, 1, 65535, key, err) != LC_OK)
            return LC_E_CONFIG;
        if (!addr_parse(&set.items[set.n_items].addr, (const char *)host.p, host.len))
            goto bad;
        set.items[set.n_items++].port = (uint16_t)port;
        continue;
    bad:
        return lc_fail(err, LC_E_CONFIG, "%s: '%.*s' is not ADDRESS:PORT ([ADDRESS]:PORT for IPv6)",
                       key, (int)(whole.len > 60 ? 60 : whole.len), whole.p);
    }
    if (set.n_items == 0)
        return lc_fail(err, LC_E_CONFIG, "%s: no address given", key);
    *out = set;
    return LC_OK;
}

static int set_dns_listen(struct lc_conf *conf, const char *value, struct lc_err *err)
{
    return parse_listen(&conf->dns_listen, "dns_listen", value, err);
}

static int set_http_listen(struct lc_conf *conf, const char *value, struct lc_err *err)
{
    return parse_listen(&conf->http_listen, "http_listen", value, err);
}

static int set_https_listen(struct lc_conf *conf, const char *value, struct lc_err *err)
{
    return parse_listen(&conf->https_listen, "https_listen", value, err);
}

static int set_user(struct lc_conf *conf, const char *value, struct lc_err *err)
{
    if (strlen(value) >= sizeof(conf->user))
        return lc_fail(err, LC_E_CONFIG, "user: name too long");
    snprintf(conf->user, sizeof(conf->user), "%s", value);
    return LC_OK;
}

static int set_leaf_days(struct lc_conf *conf, const char *value, struct lc_err *err)
{
    return parse_uint(&conf->leaf_days, value, 1, 397, "leaf_days", err);
}

static int set_gateway_cert_seconds(struct lc_conf *conf, const char *value, struct lc_err *err)
{
    return parse_uint(&conf->gateway_cert_seconds, value, 10, 397 * 86400, "gateway_cert_seconds",
                      err);
}

static int set_enroll_policy(struct lc_conf *conf, const char *value, struct lc_err *err)
{
    if (strcmp(value, "approve") == 0)
        conf->enroll_policy = ENROLL_APPROVE;
    else if (strcmp(value, "token") == 0)
        conf->enroll_policy = ENROLL_TOKEN;
    else if (strcmp(value, "open") == 0)
        conf->enroll_policy = ENROLL_OPEN;
    else
        return lc_fail(err, LC_E_CONFIG, "enroll_policy: '%s' must be token, approve or open",
                       value);
    return LC_OK;
}

static int set_dns_rrl(struct lc_conf *conf, const char *value, struct lc_err *err)
{
    return parse_uint(&conf->dns_rrl, value, 0, 1000000, "dns_rrl", err);
}

static int set_dns_rrl_exempt(struct lc_conf *conf, const char *value, struct lc_err *err)
{
    struct lc_prefix_set set = {.n_prefixes = 0};
    if (strcmp(value, "none") != 0 && prefix_set_parse(&set, value, strlen(value), err) != LC_OK)
        return lc_wrap(err, LC_E_CONFIG, "dns_rrl_exempt");
    conf->dns_rrl_exempt = set;
    return LC_OK;
}

static int set_reverse(struct lc_conf *conf, const char *value, struct lc_err *err)
{
    if (strcmp(value, "yes") == 0)
        conf->reverse = true;
    else if (strcmp(value, "no") == 0)
        conf->reverse = false;
    else
        return lc_fail(err, LC_E_CONFIG, "reverse: '%s' must be yes or no", value);
    return LC_OK;
}

static int set_log_level(struct lc_conf *conf, const char *value, struct lc_err *err)
{
    int level = log_level_parse(value);
    if (level < 0)
        return lc_fail(err, LC_E_CONFIG, "log_level: '%s' must be error, warning, info or debug",
                       value);
    conf->log_level = level;
    return LC_OK;
}

static const struct {
    const char *key;
    conf_setter set;
} conf_keys[] = {
    {"zone", set_zone},
    {"allow", set_allow},
    {"gateway_name", set_gateway_name},
    {"gateway_address", set_gateway_address},
    {"state_dir", set_state_dir},
    {"dns_listen", set_dns_listen},
    {"http_listen", set_http_listen},
    {"https_listen", set_https_listen},
    {"user", set_user},
    {"leaf_days", set_leaf_days},
    {"gateway_cert_seconds", set_gateway_cert_seconds},
    {"enroll_policy", set_enroll_policy},
    {"dns_rrl", set_dns_rrl},
    {"dns_rrl_exempt", set_dns_rrl_exempt},
    {"reverse", set_reverse},
    {"log_level", set_log_level},
};

void conf_init(struct lc_conf *conf)
{
    struct lc_err ignored;
    memset(conf, 0, sizeof(*conf));
    snprintf(conf->zone, sizeof(conf->zone), "home.arpa");
    snprintf(conf->gateway_name, sizeof(conf->gateway_name), "gateway");
    snprintf(conf->state_dir, sizeof(conf->state_dir), "%s", LC_DEFAULT_STATE_DIR);
    (void)prefix_set_parse(&conf->allow, DEFAULT_ALLOW, strlen(DEFAULT_ALLOW), &ignored);
    (void)set_dns_listen(conf, "127.0.0.1:5300", &ignored);
    (void)set_http_listen(conf, "127.0.0.1:8080", &ignored);
    (void)set_https_listen(conf, "127.0.0.1:8443", &ignored);
    conf->leaf_days = 90;
    conf->gateway_cert_seconds = 90 * 86400;
    conf->enroll_policy = ENROLL_APPROVE;
    conf->dns_rrl = 20;
    (void)prefix_set_parse(&conf->dns_rrl_exempt, DEFAULT_RRL_EXEMPT, strlen(DEFAULT_RRL_EXEMPT),
                           &ignored);
    conf->reverse = false;
    conf->log_level = LOG_INFO;
}

bool conf_is_key(const char *key)
{
    for (size_t i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
        if (strcmp(conf_keys[i].key, key) == 0)
            return true;
    return false;
}

int conf_set(struct lc_conf *conf, const char *key, const char *value, struct lc_err *err)
{
    for (size_t i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++)
        if (strcmp(conf_keys[i].key, key) == 0)
            return conf_keys[i].set(conf, value, err);
    return lc_fail(err, LC_E_CONFIG, "unknown key '%.40s' (see lancert.conf(5))", key);
}

int conf_parse_line(struct lc_conf *conf, const char *line, size_t len, struct lc_err *err)
{
    char key[64], value[CONF_MAX_LINE];
    struct cur c = cur_init(line, len), k, v;
    uint8_t ch;

    if (len > CONF_MAX_LINE)
        return lc_fail(err, LC_E_CONFIG, "line is over %d bytes", CONF_MAX_LINE);
    cur_trim_space(&c);
    if (cur_is_empty(&c) || (cur_peek(&c, &ch) && ch == '#'))
        return LC_OK;
    if (memchr(c.p, '\0', c.len))
        return lc_fail(err, LC_E_CONFIG, "line holds a NUL byte");
    cur_take_until(&c, &k, '=');
    if (!cur_skip(&c, 1))
        return lc_fail(err, LC_E_CONFIG, "expected 'key = value'");
    cur_trim_space(&k);
    /* A '#' after the value starts a comment only after white space, so a value
     * may still hold '#'. */
    v = c;
    for (size_t i = 1; i < v.len; i++)
        if (v.p[i] == '#' && (v.p[i - 1] == ' ' || v.p[i - 1] == '\t')) {
            v.len = i;
            break;
        }
    cur_trim_space(&v);
    if (k.len == 0 || k.len >= sizeof(key))
        return lc_fail(err, LC_E_CONFIG, "expected 'key = value'");
    memcpy(key, k.p, k.len);
    key[k.len] = '\0';
    memcpy(value, v.p, v.len);
    value[v.len] = '\0';
    if (value[0] == '\0')
        return lc_fail(err, LC_E_CONFIG, "%s: empty value", key);
    return conf_set(conf, key, value, err);
}

int conf_parse(struct lc_conf *conf, const char *text, size_t len, struct lc_err *err)
{
    struct lc_conf fresh = *conf;
    struct cur c = cur_init(text, len);
    unsigned lineno = 0;
    while (!cur_is_empty(&c)) {
        struct cur line;
        cur_take_until(&c, &line, '\n');
        cur_skip(&c, 1);
        lineno++;
        if (conf_parse_line(&fresh, (const char *)line.p, line.len, err) != LC_OK) {
            char where[24];
            snprintf(where, sizeof(where), "line %u", lineno);
            return lc_wrap(err, LC_E_CONFIG, where);
        }
    }
    *conf = fresh;
    return LC_OK;
}

int conf_load(struct lc_conf *conf, const char *path, struct lc_err *err)
{
    char *text = NULL;
    size_t len;
    int rc = file_read(&text, &len, path, CONF_MAX_FILE, err);
    if (rc != LC_OK)
        return rc;
    rc = conf_parse(conf, text, len, err);
    if (rc != LC_OK)
        rc = lc_wrap(err, LC_E_CONFIG, path);
    free(text);
    return rc;
}

int conf_finish(struct lc_conf *conf, struct lc_err *err)
{
    if (!conf->gateway_addrs_given) {
        conf->n_gateway_addrs = 0;
        static const uint8_t zero[16];
        for (size_t i = 0; i < conf->https_listen.n_items; i++) {
            const struct lc_addr *a = &conf->https_listen.items[i].addr;
            if (memcmp(a->b, zero, addr_len(a)) != 0 && conf->n_gateway_addrs < CONF_MAX_GATEWAY_ADDRS)
                conf->gateway_addrs[conf->n_gateway_addrs++] = *a;
        }
    }
    (void)err;
    return LC_OK;
}

void conf_listen_format(char *out, size_t out_len, const struct conf_listen *l)
{
    char a[LC_ADDR_STRLEN];
    addr_format(a, &l->addr);
    if (l->addr.family == LC_AF_INET6)
        snprintf(out, out_len, "[%s]:%u", a, l->port);
    else
        snprintf(out, out_len, "%s:%u", a, l->port);
}

void conf_gateway_fqdn(char out[LC_NAME_MAX + 1], const struct lc_conf *conf)
{
    /* set_zone leaves room for a 63-byte label; a longer result cannot occur. */
    if (snprintf(out, LC_NAME_MAX + 1, "%s.%s", conf->gateway_name, conf->zone) > LC_NAME_MAX)
        out[0] = '\0';
}

bool conf_is_gateway_addr(const struct lc_conf *conf, const struct lc_addr *a)
{
    for (size_t i = 0; i < conf->n_gateway_addrs; i++)
        if (addr_equal(&conf->gateway_addrs[i], a))
            return true;
    return false;
}
