/* err.c — error codes, their names and exit statuses, in one table. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

static const struct {
    const char *name;
    int exit_status;
} errc_table[LC_E_COUNT_] = {
    [LC_OK] = {"ok", 0},
    [LC_E_USAGE] = {"usage", 2},
    [LC_E_CONFIG] = {"config", 3},
    [LC_E_IO] = {"io", 4},
    [LC_E_NOMEM] = {"nomem", 5},
    [LC_E_STORE] = {"store", 6},
    [LC_E_CRYPTO] = {"crypto", 7},
    [LC_E_EXISTS] = {"exists", 8},
    [LC_E_NOTFOUND] = {"notfound", 9},
    [LC_E_MALFORMED] = {"malformed", 10},
    [LC_E_TOO_BIG] = {"too-big", 11},
    [LC_E_SIGNATURE] = {"bad-signature", 12},
    [LC_E_KEY] = {"bad-key", 13},
    [LC_E_ZONE] = {"outside-zone", 14},
    [LC_E_WILDCARD] = {"wildcard", 15},
    [LC_E_ADDRESS] = {"address-not-allowed", 16},
    [LC_E_TOO_MANY] = {"too-many-names", 17},
    [LC_E_NAME_TAKEN] = {"name-taken", 18},
    [LC_E_RESERVED] = {"reserved-name", 19},
    [LC_E_CHAIN] = {"bad-chain", 20},
    [LC_E_PERM] = {"permission", 21},
    [LC_E_INTERNAL] = {"internal", 70},
};

int lc_fail(struct lc_err *err, enum lc_errc code, const char *fmt, ...)
{
    if (err) {
        /* Format into a copy first: callers may pass err->msg as an argument
         * ("zone: %s", err->msg) to add context to an inner error. */
        char msg[sizeof(err->msg)];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        err->code = code;
        memcpy(err->msg, msg, sizeof(msg));
    }
    return (int)code;
}

int lc_fail_openssl(struct lc_err *err, enum lc_errc code, const char *what)
{
    char detail[120] = "no detail";
    unsigned long e = ERR_peek_last_error();
    if (e != 0)
        ERR_error_string_n(e, detail, sizeof(detail));
    ERR_clear_error();
    return lc_fail(err, code, "%s: %s", what, detail);
}

void lc_err_clear(struct lc_err *err)
{
    if (err) {
        err->code = LC_OK;
        err->msg[0] = '\0';
    }
}

const char *lc_errc_name(enum lc_errc code)
{
    if ((unsigned)code >= LC_E_COUNT_ || !errc_table[code].name)
        return "unknown";
    return errc_table[code].name;
}

int lc_errc_exit(enum lc_errc code)
{
    if ((unsigned)code >= LC_E_COUNT_ || !errc_table[code].name)
        return 70;
    return errc_table[code].exit_status;
}
