/* conf.h — lancert.conf(5): one `key = value` per line, `#` comments. Every
 * key may also be given as a `--key=value` flag, through conf_set. */
#ifndef LC_CORE_CONF_H
#define LC_CORE_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/name.h"

#define CONF_MAX_FILE (64 * 1024)
#define CONF_MAX_LINE 1024
#define CONF_MAX_LISTEN 4
#define CONF_MAX_GATEWAY_ADDRS 8

enum enroll_policy { ENROLL_APPROVE, ENROLL_TOKEN, ENROLL_OPEN };

struct conf_listen {
    struct lc_addr addr;
    uint16_t port;
};

struct conf_listen_set {
    struct conf_listen items[CONF_MAX_LISTEN];
    size_t n_items;
};

struct lc_conf {
    char zone[LC_NAME_MAX + 1];
    struct lc_prefix_set allow;
    char gateway_name[LC_LABEL_MAX + 1]; /* the label under the zone */
    struct lc_addr gateway_addrs[CONF_MAX_GATEWAY_ADDRS];
    size_t n_gateway_addrs;
    bool gateway_addrs_given; /* else conf_finish derives them from https_listen */
    char state_dir[PATH_MAX];
    struct conf_listen_set dns_listen, http_listen, https_listen;
    char user[64];
    unsigned leaf_days;
    unsigned gateway_cert_seconds; /* the life of the gateway's own HTTPS certificate */
    enum enroll_policy enroll_policy;
    unsigned dns_rrl;
    struct lc_prefix_set dns_rrl_exempt; /* sources never rate-limited */
    bool reverse;
    int log_level;
};

/* conf_init fills |conf| with the built-in defaults (the demo's loopback
 * listeners, SPEC's zone and ranges). */
void conf_init(struct lc_conf *conf);

/* conf_set sets |key| to |value| (both NUL-terminated), validating the value;
 * on failure |conf| is unchanged. */
int conf_set(struct lc_conf *conf, const char *key, const char *value, struct lc_err *err);

/* conf_parse_line applies one line of |len| bytes (no newline needed):
 * blank lines and comments are fine; anything else must be `key = value`. */
int conf_parse_line(struct lc_conf *conf, const char *line, size_t len, struct lc_err *err);

/* conf_parse applies a whole file's text; errors name the line number. */
int conf_parse(struct lc_conf *conf, const char *text, size_t len, struct lc_err *err);

/* conf_load reads and applies |path| (at most CONF_MAX_FILE bytes). */
int conf_load(struct lc_conf *conf, const char *path, struct lc_err *err);

/* conf_finish derives what was left implicit (gateway addresses from the HTTPS
 * listener) and checks the whole; call it after the file and flags. */
int conf_finish(struct lc_conf *conf, struct lc_err *err);

/* conf_is_key is true when |key| is a configuration key. */
bool conf_is_key(const char *key);

/* conf_listen_format writes "ADDR:PORT" ("[ADDR]:PORT" for IPv6). */
void conf_listen_format(char *out, size_t out_len, const struct conf_listen *l);

/* conf_gateway_fqdn writes "<gateway_name>.<zone>". */
void conf_gateway_fqdn(char out[LC_NAME_MAX + 1], const struct lc_conf *conf);

/* conf_is_gateway_addr is true for one of the gateway's own addresses. */
bool conf_is_gateway_addr(const struct lc_conf *conf, const struct lc_addr *a);

#endif
