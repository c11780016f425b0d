/* log.h — logging to stderr (foreground) or syslog (daemon). */
#ifndef LC_CORE_LOG_H
#define LC_CORE_LOG_H

#include <syslog.h>

/* log_open chooses the sink: stderr when |to_stderr|, else syslog as |ident|.
 * Messages above |max_level| (a syslog priority) are dropped. */
void log_open(const char *ident, int to_stderr, int max_level);

/* log_msg logs one line at |level| (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG).
 * Never pass secrets: log fingerprints instead. */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* log_level_parse maps "error", "warning", "info", "debug" to a syslog level;
 * returns -1 for anything else. */
int log_level_parse(const char *s);

#endif
