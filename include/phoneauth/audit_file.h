/*
 * The audit_log output: one event a line, either appended to a file (JSON
 * lines) or sent to syslog (facility authpriv, level info) when the
 * setting is `syslog`. A line is written with one write(2) on a descriptor
 * opened O_APPEND, so lines of several processes appending to one file
 * never interleave. The file is reopened on request (the sender does it on
 * SIGHUP, after logrotate has moved it).
 */
#ifndef PHONEAUTH_AUDIT_FILE_H
#define PHONEAUTH_AUDIT_FILE_H

#include <stdbool.h>
#include <stddef.h>

#define AUDIT_LINE_MAX 8192		/* bytes of a line, its newline included */

struct audit_file {
	int fd;				/* -1 for syslog, or when closed */
	bool to_syslog;
	char *path;			/* owner: this; NULL for syslog */
};

/* Opens `setting`: "syslog", or a file path (created 0640 if missing).
 * False with one line in `err` naming the path and the reason. */
bool audit_file_open(struct audit_file *a, const char *setting, char *err, size_t errlen);

/*
 * Appends `json` (len bytes, one event as event_render() writes it) and a
 * newline. False with the reason in `err` if it holds a line break (one
 * event, one line: it would otherwise forge a second), if it is longer
 * than AUDIT_LINE_MAX - 1, or if the write fails or is cut short (a full
 * disk).
 */
bool audit_file_write(struct audit_file *a, const char *json, size_t len, char *err, size_t errlen);

/* Opens the path again and writes there from now on. When it cannot be
 * opened, false with the reason, and the old descriptor stays in use: an
 * event written to the moved file is better than one lost. */
bool audit_file_reopen(struct audit_file *a, char *err, size_t errlen);

void audit_file_close(struct audit_file *a);

#endif
