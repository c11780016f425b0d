/* err.h — the one error type of lancert: a code plus a message for people. */
#ifndef LC_CORE_ERR_H
#define LC_CORE_ERR_H

#include <stddef.h>

/* Codes and their exit statuses live in one table in err.c; keep the order. */
enum lc_errc {
    LC_OK = 0,
    LC_E_USAGE,       /* wrong command-line words */
    LC_E_CONFIG,      /* a config key or value is wrong */
    LC_E_IO,          /* a file or socket operation failed */
    LC_E_NOMEM,
    LC_E_STORE,       /* the SQLite store failed */
    LC_E_CRYPTO,      /* OpenSSL failed where it should not */
    LC_E_EXISTS,      /* refusing to overwrite */
    LC_E_NOTFOUND,
    LC_E_MALFORMED,   /* input is not what it claims to be (PEM, DER, name, address) */
    LC_E_TOO_BIG,     /* input over its size limit */
    LC_E_SIGNATURE,   /* a signature does not verify */
    LC_E_KEY,         /* key type or size outside policy */
    LC_E_ZONE,        /* a name outside the zone */
    LC_E_WILDCARD,    /* a wildcard name */
    LC_E_ADDRESS,     /* an address outside the allowed ranges */
    LC_E_TOO_MANY,    /* too many names */
    LC_E_NAME_TAKEN,  /* a friendly name held by another device key */
    LC_E_RESERVED,    /* a reserved or ill-formed friendly name */
    LC_E_CHAIN,       /* a certificate chain does not verify or does not fit */
    LC_E_PERM,        /* not allowed (privileges, ownership) */
    LC_E_INTERNAL,
    LC_E_COUNT_
};

struct lc_err {
    enum lc_errc code;
    char msg[160];
};

/* lc_fail fills |err| (which may be NULL) with |code| and a printf-style message
 * and returns |code|, so callers can write `return lc_fail(err, ...)`. The
 * arguments may include err->msg itself, to add context to an inner error. */
int lc_fail(struct lc_err *err, enum lc_errc code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* lc_wrap puts "|prefix|: " before the message already in |err| (which may
 * be NULL), sets |code| and returns it: context added on the way up. */
int lc_wrap(struct lc_err *err, enum lc_errc code, const char *prefix);

/* lc_err_clear resets |err| to LC_OK with an empty message. */
void lc_err_clear(struct lc_err *err);

/* lc_errc_name returns a short stable name for |code| ("malformed"). */
const char *lc_errc_name(enum lc_errc code);

/* lc_errc_exit returns the process exit status the CLI uses for |code|. */
int lc_errc_exit(enum lc_errc code);

/* lc_fail_openssl is lc_fail with OpenSSL's most recent error appended; it
 * drains OpenSSL's error queue. */
int lc_fail_openssl(struct lc_err *err, enum lc_errc code, const char *what);

#endif
