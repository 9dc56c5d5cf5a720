/*
 * When a store connection may be tried again, shared by both stores. A
 * connect that fails fast (refused, no socket: the store is restarting) is
 * tried again on the next request, so that once the store answers no
 * request gets a 503 for it; one that fails slowly (a timeout: the host is
 * gone) makes requests answer 503 at once for a moment instead of each
 * waiting out a timeout of its own. The first failure and the recovery are
 * logged once each.
 */
#ifndef PHONEAUTH_RECONNECT_H
#define PHONEAUTH_RECONNECT_H

#include <stdbool.h>

struct reconnect {
	const char *store;		/* "redis", "postgres": for the log */
	long long next_ms;		/* no connect before this (monotonic) */
	long long started_ms;		/* the attempt under way */
	bool down_logged;
};

/* Whether a connect may be tried now; if so, it is timed from here. */
bool reconnect_may_try(struct reconnect *r);

void reconnect_failed(struct reconnect *r, const char *why);
void reconnect_succeeded(struct reconnect *r);

#endif
