/* fuzz_conf.c — lancert.conf(5) text (src/core/conf.c): conf_parse on the
 * whole input and conf_parse_line on each line. Invariants: a refused line or
 * file leaves the configuration unchanged; what parsed is in range (zone and
 * names normalized, leaf_days 1..397, listener sets non-empty); and it round
 * trips: written back as `key=value` lines it parses to the same values. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/conf.h"
#include "core/log.h"
#include "core/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_conf: invariant broken: %s\n", what);
        abort();
    }
}

static void require_err(const struct lc_err *err)
{
    require(err->code == LC_E_CONFIG, "a refused line is LC_E_CONFIG");
    require(memchr(err->msg, '\0', sizeof(err->msg)) != NULL && err->msg[0] != '\0',
            "a refusal has a message");
}

static int is_normalized(const char *name)
{
    char norm[LC_NAME_MAX + 1];
    struct lc_err err;
    return name_normalize(norm, name, strlen(name), &err) == LC_OK && strcmp(norm, name) == 0;
}

static void check_listen_set(const struct conf_listen_set *s)
{
    require(s->n_items >= 1 && s->n_items <= CONF_MAX_LISTEN, "a listener set is not empty");
    for (size_t i = 0; i < s->n_items; i++) {
        const struct lc_addr *a = &s->items[i].addr;
        require(a->family == LC_AF_INET || a->family == LC_AF_INET6, "listener family");
        require(s->items[i].port >= 1, "listener port");
    }
}

static void check_conf(struct lc_conf *c)
{
    char fqdn[LC_NAME_MAX + 1];
    struct name_info info;
    struct lc_err err;

    require(is_normalized(c->zone), "the zone normalizes to itself");
    require(strlen(c->zone) <= LC_NAME_MAX - LC_LABEL_MAX - 1, "the zone leaves room for a label");
    require(is_normalized(c->gateway_name) && !strchr(c->gateway_name, '.') &&
                c->gateway_name[0] != '_' &&
                !name_is_hex_label(c->gateway_name, strlen(c->gateway_name)),
            "the gateway name is one plain label");
    require(c->allow.n_prefixes >= 1 && c->allow.n_prefixes <= LC_MAX_PREFIXES, "allow set size");
    for (size_t i = 0; i < c->allow.n_prefixes; i++)
        require(prefix_contains(&c->allow.prefixes[i], &c->allow.prefixes[i].addr),
                "an allowed prefix has no host bits");
    require(c->n_gateway_addrs <= CONF_MAX_GATEWAY_ADDRS, "gateway address count");
    require(c->state_dir[0] != '\0' && strlen(c->state_dir) < sizeof(c->state_dir) - 32,
            "state_dir length");
    require(strlen(c->user) < sizeof(c->user), "user length");
    check_listen_set(&c->dns_listen);
    check_listen_set(&c->http_listen);
    check_listen_set(&c->https_listen);
    require(c->leaf_days >= 1 && c->leaf_days <= 397, "leaf_days in range");
    require(c->dns_rrl <= 1000000, "dns_rrl in range");
    require(c->enroll_policy == ENROLL_APPROVE || c->enroll_policy == ENROLL_TOKEN ||
                c->enroll_policy == ENROLL_OPEN,
            "enroll_policy is known");
    require(c->log_level == LOG_ERR || c->log_level == LOG_WARNING || c->log_level == LOG_INFO ||
                c->log_level == LOG_DEBUG,
            "log_level is known");

    require(conf_finish(c, &err) == LC_OK, "a parsed configuration finishes");
    require(c->n_gateway_addrs <= CONF_MAX_GATEWAY_ADDRS, "finished gateway address count");
    conf_gateway_fqdn(fqdn, c);
    require(fqdn[0] != '\0' && is_normalized(fqdn), "the gateway's name is a name");
    name_classify(&info, fqdn, c->zone, c->gateway_name);
    require(info.kind == NAME_GATEWAY, "the gateway's name classifies as the gateway");
}

static const char *log_level_name(int level)
{
    switch (level) {
    case LOG_ERR:
        return "error";
    case LOG_WARNING:
        return "warning";
    case LOG_DEBUG:
        return "debug";
    default:
        return "info";
    }
}

static const char *enroll_policy_name(enum enroll_policy p)
{
    return p == ENROLL_TOKEN ? "token" : p == ENROLL_OPEN ? "open" : "approve";
}

/* put appends to |out| as snprintf would, never past |out_len|. */
static void put(char *out, size_t out_len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void put(char *out, size_t out_len, size_t *used, const char *fmt, ...)
{
    va_list ap;
    int n;
    require(*used < out_len, "rendered text fits");
    va_start(ap, fmt);
    n = vsnprintf(out + *used, out_len - *used, fmt, ap);
    va_end(ap);
    require(n >= 0 && (size_t)n < out_len - *used, "rendered text fits");
    *used += (size_t)n;
}

static void put_listen(char *out, size_t out_len, size_t *used, const char *key,
                       const struct conf_listen_set *s)
{
    char one[LC_ADDR_STRLEN + 16];
    put(out, out_len, used, "%s=", key);
    for (size_t i = 0; i < s->n_items; i++) {
        conf_listen_format(one, sizeof(one), &s->items[i]);
        put(out, out_len, used, "%s%s", i ? " " : "", one);
    }
    put(out, out_len, used, "\n");
}

/* render writes |c| back as configuration text, one `key=value` per line
 * (no space after '=', so a value that starts with '#' stays a value). */
static size_t render(char *out, size_t out_len, const struct lc_conf *c)
{
    char allow[LC_MAX_PREFIXES * (LC_ADDR_STRLEN + 5) + 1], addr[LC_ADDR_STRLEN];
    size_t used = 0;
    prefix_set_format(allow, sizeof(allow), &c->allow);
    put(out, out_len, &used, "zone=%s\nallow=%s\ngateway_name=%s\nstate_dir=%s\n", c->zone,
        allow, c->gateway_name, c->state_dir);
    if (c->n_gateway_addrs > 0) {
        put(out, out_len, &used, "gateway_address=");
        for (size_t i = 0; i < c->n_gateway_addrs; i++) {
            addr_format(addr, &c->gateway_addrs[i]);
            put(out, out_len, &used, "%s%s", i ? " " : "", addr);
        }
        put(out, out_len, &used, "\n");
    }
    put_listen(out, out_len, &used, "dns_listen", &c->dns_listen);
    put_listen(out, out_len, &used, "http_listen", &c->http_listen);
    put_listen(out, out_len, &used, "https_listen", &c->https_listen);
    if (c->user[0] != '\0')
        put(out, out_len, &used, "user=%s\n", c->user);
    put(out, out_len, &used, "leaf_days=%u\nenroll_policy=%s\ndns_rrl=%u\nreverse=%s\nlog_level=%s\n",
        c->leaf_days, enroll_policy_name(c->enroll_policy), c->dns_rrl, c->reverse ? "yes" : "no",
        log_level_name(c->log_level));
    return used;
}

static int listen_sets_equal(const struct conf_listen_set *a, const struct conf_listen_set *b)
{
    if (a->n_items != b->n_items)
        return 0;
    for (size_t i = 0; i < a->n_items; i++)
        if (!addr_equal(&a->items[i].addr, &b->items[i].addr) || a->items[i].port != b->items[i].port)
            return 0;
    return 1;
}

/* conf_equal compares field by field: struct padding is not part of a value. */
static int conf_equal(const struct lc_conf *a, const struct lc_conf *b)
{
    if (strcmp(a->zone, b->zone) != 0 || strcmp(a->gateway_name, b->gateway_name) != 0 ||
        strcmp(a->state_dir, b->state_dir) != 0 || strcmp(a->user, b->user) != 0 ||
        a->allow.n_prefixes != b->allow.n_prefixes || a->n_gateway_addrs != b->n_gateway_addrs ||
        a->leaf_days != b->leaf_days || a->enroll_policy != b->enroll_policy ||
        a->dns_rrl != b->dns_rrl || a->reverse != b->reverse || a->log_level != b->log_level)
        return 0;
    for (size_t i = 0; i < a->allow.n_prefixes; i++)
        if (!addr_equal(&a->allow.prefixes[i].addr, &b->allow.prefixes[i].addr) ||
            a->allow.prefixes[i].bits != b->allow.prefixes[i].bits)
            return 0;
    for (size_t i = 0; i < a->n_gateway_addrs; i++)
        if (!addr_equal(&a->gateway_addrs[i], &b->gateway_addrs[i]))
            return 0;
    return listen_sets_equal(&a->dns_listen, &b->dns_listen) &&
           listen_sets_equal(&a->http_listen, &b->http_listen) &&
           listen_sets_equal(&a->https_listen, &b->https_listen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char text[CONF_MAX_FILE];
    struct lc_conf whole, before, by_line, again;
    struct lc_err err;
    const char *in = (const char *)data;
    char expected[sizeof(err.msg) + 16];
    unsigned lineno = 0, first_bad = 0;
    int whole_ok;

    if (size > CONF_MAX_FILE)
        return 0; /* conf_load refuses bigger files before parsing */

    /* One line at a time: a refused line changes nothing. */
    conf_init(&by_line);
    for (size_t off = 0; off < size;) {
        const char *nl = memchr(in + off, '\n', size - off);
        size_t len = nl ? (size_t)(nl - (in + off)) : size - off;
        before = by_line;
        lineno++;
        if (conf_parse_line(&by_line, in + off, len, &err) != LC_OK) {
            require_err(&err);
            require(memcmp(&before, &by_line, sizeof(before)) == 0, "a refused line changes nothing");
            if (!first_bad) {
                first_bad = lineno;
                /* lc_fail truncates to the size of err.msg; so does this. */
                snprintf(expected, sizeof(expected), "line %u: %s", lineno, err.msg);
                expected[sizeof(err.msg) - 1] = '\0';
            }
        }
        off += len + 1;
    }

    /* The whole text: all or nothing, and the error names its line. */
    conf_init(&whole);
    before = whole;
    whole_ok = conf_parse(&whole, in, size, &err) == LC_OK;
    require(whole_ok == !first_bad, "the file parses exactly when each line does");
    if (!whole_ok) {
        require_err(&err);
        require(memcmp(&before, &whole, sizeof(before)) == 0, "a refused file changes nothing");
        require(strcmp(err.msg, expected) == 0, "the error is 'line N: ' and the line's own error");
        return 0;
    }
    require(conf_equal(&whole, &by_line), "the file parses as its lines do");
    check_conf(&whole);

    /* Round trip: written back, it parses to the same values. */
    size_t text_len = render(text, sizeof(text), &whole);
    conf_init(&again);
    if (conf_parse(&again, text, text_len, &err) != LC_OK) {
        fprintf(stderr, "fuzz_conf: rendered text refused: %s\n%.*s", err.msg, (int)text_len, text);
        require(0, "rendered configuration parses");
    }
    require(conf_finish(&again, &err) == LC_OK, "the rendered configuration finishes");
    require(conf_equal(&whole, &again), "rendered configuration parses to the same values");
    return 0;
}
