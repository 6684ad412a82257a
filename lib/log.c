/* Logging to stderr, with systemd's <N> priority prefixes when under systemd. */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "log.h"

static int log_max_level = LOG_INFO;
static bool log_prefix_priority;
static const char *log_ident = "consentd";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg",
	[LOG_ALERT] = "alert",
	[LOG_CRIT] = "crit",
	[LOG_ERR] = "error",
	[LOG_WARNING] = "warning",
	[LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

void
log_setup(const char *ident)
{
	const char *e;

	if (ident)
		log_ident = ident;
	/* systemd sets JOURNAL_STREAM when stderr goes to the journal. */
	log_prefix_priority = getenv("JOURNAL_STREAM") != NULL;
	e = getenv("CONSENTD_LOG_LEVEL");
	if (e && log_level_from_string(e) >= 0)
		log_max_level = log_level_from_string(e);
}

void
log_set_max_level(int level)
{
	log_max_level = level;
}

int
log_get_max_level(void)
{
	return log_max_level;
}

int
log_level_from_string(const char *s)
{
	for (size_t i = 0; s && i < ELEMENTSOF(level_names); i++)
		if (level_names[i] && strcmp(s, level_names[i]) == 0)
			return (int)i;
	if (streq(s, "err"))
		return LOG_ERR;
	if (streq(s, "warn"))
		return LOG_WARNING;
	return -EINVAL;
}

static void
log_emit(int level, int error, const char *file, int line, const char *fmt,
    va_list ap)
{
	char msg[2048];
	int saved = errno;

	/* %m prints strerror(error), not whatever errno happens to be. */
	errno = error;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	errno = saved;
	pthread_mutex_lock(&log_lock);
	if (log_prefix_priority)
		fprintf(stderr, "<%d>%s\n", level, msg);
	else if (log_max_level >= LOG_DEBUG)
		fprintf(stderr, "%s: %s: %s (%s:%d)\n", log_ident,
		    level_names[level], msg, file, line);
	else
		fprintf(stderr, "%s: %s: %s\n", log_ident, level_names[level],
		    msg);
	pthread_mutex_unlock(&log_lock);
}

int
log_internal(int level, int error, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;

	if (error < 0)
		error = -error;
	if (level <= log_max_level) {
		va_start(ap, fmt);
		log_emit(level, error, file, line, fmt, ap);
		va_end(ap);
	}
	return -error;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, errno, __FILE__, __LINE__, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}
