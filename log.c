/* SPDX-License-Identifier: MIT */
/*
 * log.c - the log backend behind vtep.h's API: one line per message on
 * stderr, prefixed with the <N> syslog priority when stderr is connected to
 * the journal (JOURNAL_STREAM set, sd-daemon(3)), plain text otherwise.
 */
#include "vtep.h"

#include <stdarg.h>
#include <unistd.h>

static int log_max_level = VTEP_LOG_INFO;
static bool log_prefix;

void vtep_log_init(int verbosity)
{
	log_max_level = VTEP_LOG_INFO + verbosity;
	if (log_max_level > VTEP_LOG_DEBUG)
		log_max_level = VTEP_LOG_DEBUG;
	log_prefix = getenv("JOURNAL_STREAM") != NULL;
}

bool vtep_log_enabled(enum vtep_log_level level)
{
	return (int)level <= log_max_level;
}

static void log_line(enum vtep_log_level level, int err, const char *fmt, va_list ap)
{
	char line[1024];
	int n = 0;

	if (!vtep_log_enabled(level))
		return;
	if (log_prefix)
		n = snprintf(line, sizeof(line), "<%d>", (int)level);
	else if (level <= VTEP_LOG_WARNING)
		n = snprintf(line, sizeof(line), "%s", level == VTEP_LOG_ERR ? "error: " : "warning: ");
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	if (err)
		n += snprintf(line + n, sizeof(line) - (size_t)n, ": %s", strerror(-err));
	if (n >= (int)sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

void vtep_log(enum vtep_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(level, 0, fmt, ap);
	va_end(ap);
}

void vtep_log_errno(enum vtep_log_level level, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(level, err < 0 ? err : -err, fmt, ap);
	va_end(ap);
}

void vtep_fatal(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(VTEP_LOG_ERR, 0, fmt, ap);
	va_end(ap);
	exit(status);
}
