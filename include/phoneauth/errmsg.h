/*
 * The one-line reasons the start-up checks (configuration, keys) give:
 * written into the caller's buffer, so the caller decides where they go.
 */
#ifndef PHONEAUTH_ERRMSG_H
#define PHONEAUTH_ERRMSG_H

#include <stdbool.h>
#include <stddef.h>

/* Formats the reason into err; returns false, so that `return errmsg(...)`
 * reads as the failure it is. */
bool errmsg(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
