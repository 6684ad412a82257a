/* Logging: levels, stderr with <N> priority prefixes under systemd. */
#ifndef CONSENTD_LOG_H
#define CONSENTD_LOG_H

#include <syslog.h>

#include "macro.h"

/* Reads $JOURNAL_STREAM / $INVOCATION_ID to decide whether to print
 * <N> prefixes (systemd) or "consentd: level: " prefixes (a terminal). */
void log_setup(const char *ident);
void log_set_max_level(int level);
int log_get_max_level(void);
/* Parses "debug", "info", "notice", "warning", "error"; -EINVAL otherwise. */
int log_level_from_string(const char *s);

/* Logs and returns -abs(error) when error != 0, else 0; %m prints
 * strerror(error). */
int log_internal(int level, int error, const char *file, int line,
    const char *fmt, ...) _printf_(5, 6);

#define log_full_errno(level, error, ...)                                      \
	log_internal((level), (error), __FILE__, __LINE__, __VA_ARGS__)
#define log_full(level, ...) (void)log_full_errno((level), 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, (e), __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, (e), __VA_ARGS__)
#define log_notice_errno(e, ...) log_full_errno(LOG_NOTICE, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, (e), __VA_ARGS__)

/* Start-up failures and broken invariants only, never input. */
_noreturn_ void fatal(const char *fmt, ...) _printf_(1, 2);

#endif
