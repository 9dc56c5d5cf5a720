/*
 * Log lines: "2026-11-24T12:00:00Z phoneauth[123] warn: text". Each line is
 * formatted into one buffer and written with a single write(2), which keeps
 * lines whole when several workers append to one file.
 */
#include "phoneauth/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_LEVEL_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_set_level(enum log_level level)
{
	min_level = level;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	struct tm tm;
	time_t now;
	size_t len;
	int n, saved_errno = errno;
	va_list ap;

	if (level < min_level)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	len = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line + len, sizeof line - len, " phoneauth[%ld] %s: ",
	    (long)getpid(), level_names[level]);
	if (n > 0)
		len += (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof line - len, fmt, ap);
	va_end(ap);
	if (n > 0)
		len += (size_t)n;
	if (len > sizeof line - 2)
		len = sizeof line - 2;	/* truncated: still end the line */
	/* Keep the log one line per event: a newline in the text would let a
	 * client forge log lines. */
	for (size_t i = 0; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) < 0) {
		/* nowhere left to report it */
	}
	errno = saved_errno;
}
