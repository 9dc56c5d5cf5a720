/*
 * The audit log (see audit_file.h). What it must never do: write one line
 * in two write(2) calls (another process's line could land between them),
 * write a line break from inside an event, or lose the descriptor it has
 * for one it could not get.
 */
#include "phoneauth/audit_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static int
open_append(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

bool
audit_file_open(struct audit_file *a, const char *setting, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	a->fd = -1;
	if (setting == NULL || setting[0] == '\0') {
		snprintf(err, errlen, "audit_log: a file path or syslog is required");
		return false;
	}
	if (strcmp(setting, "syslog") == 0) {
		/* LOG_NDELAY: the socket is opened now, not at the first event */
		openlog("phoneauth", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
		a->to_syslog = true;
		return true;
	}
	if ((a->path = strdup(setting)) == NULL) {	/* owner: a, audit_file_close() */
		snprintf(err, errlen, "audit_log: out of memory");
		return false;
	}
	if ((a->fd = open_append(a->path)) < 0) {
		snprintf(err, errlen, "audit_log: cannot open %s: %s", a->path, strerror(errno));
		free(a->path);
		a->path = NULL;
		return false;
	}
	return true;
}

bool
audit_file_write(struct audit_file *a, const char *json, size_t len, char *err, size_t errlen)
{
	char line[AUDIT_LINE_MAX];
	ssize_t n;

	if (len > sizeof line - 1) {
		snprintf(err, errlen, "audit_log: an event of %zu bytes (at most %d)", len,
		    AUDIT_LINE_MAX - 1);
		return false;
	}
	if (memchr(json, '\n', len) != NULL || memchr(json, '\r', len) != NULL ||
	    memchr(json, '\0', len) != NULL) {
		snprintf(err, errlen, "audit_log: an event with a line break or a NUL");
		return false;
	}
	if (a->to_syslog) {
		syslog(LOG_AUTHPRIV | LOG_INFO, "%.*s", (int)len, json);
		return true;
	}
	if (a->fd < 0) {
		snprintf(err, errlen, "audit_log: not open");
		return false;
	}
	memcpy(line, json, len);
	line[len] = '\n';
	do
		n = write(a->fd, line, len + 1);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(err, errlen, "audit_log: cannot write %s: %s", a->path, strerror(errno));
		return false;
	}
	if ((size_t)n != len + 1) {
		snprintf(err, errlen, "audit_log: %s: a line cut short after %zd of %zu bytes (disk full?)",
		    a->path, n, len + 1);
		return false;
	}
	return true;
}

bool
audit_file_reopen(struct audit_file *a, char *err, size_t errlen)
{
	int fd;

	if (a->to_syslog)
		return true;
	if (a->path == NULL) {
		snprintf(err, errlen, "audit_log: not open");
		return false;
	}
	if ((fd = open_append(a->path)) < 0) {
		snprintf(err, errlen, "audit_log: cannot reopen %s: %s (still writing to the file "
		    "it was)", a->path, strerror(errno));
		return false;
	}
	if (a->fd >= 0)
		close(a->fd);
	a->fd = fd;
	return true;
}

void
audit_file_close(struct audit_file *a)
{
	if (a->to_syslog)
		closelog();
	if (a->fd >= 0)
		close(a->fd);
	free(a->path);
	memset(a, 0, sizeof *a);
	a->fd = -1;
}
