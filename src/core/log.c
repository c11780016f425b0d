/* log.c — one line per event, to stderr or syslog. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int log_to_stderr = 1;
static int log_max = LOG_INFO;

void log_open(const char *ident, int to_stderr, int max_level)
{
    log_to_stderr = to_stderr;
    log_max = max_level;
    if (!to_stderr)
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_msg(int level, const char *fmt, ...)
{
    static const char *const names[] = {"emerg", "alert", "crit", "error",
                                        "warning", "notice", "info", "debug"};
    char line[512];
    va_list ap;
    if (level > log_max)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (!log_to_stderr) {
        syslog(level, "%s", line);
        return;
    }
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s lancertd[%s]: %s\n", stamp, names[level & 7], line);
}

int log_level_parse(const char *s)
{
    if (strcmp(s, "error") == 0)
        return LOG_ERR;
    if (strcmp(s, "warning") == 0)
        return LOG_WARNING;
    if (strcmp(s, "info") == 0)
        return LOG_INFO;
    if (strcmp(s, "debug") == 0)
        return LOG_DEBUG;
    return -1;
}
