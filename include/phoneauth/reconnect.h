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

/*
 * A connection that answered this recently is used without asking whether
 * the server has ended it since (the poll that asks is a system call of its
 * own, per command; a busy worker talks to its stores every millisecond or
 * so). Safe: no store is killed, started again and found answering in so
 * short a time, so a command that finds its server gone meets it while it is
 * down, which is when a 503 is the right answer. (100 ms was too long: a
 * Redis without data to load is back in well under that.)
 */
#define RECONNECT_TRUST_MS 2

struct reconnect {
	const char *store;		/* "redis", "postgres": for the log */
	long long next_ms;		/* no connect before this (monotonic) */
	long long started_ms;		/* the attempt under way */
	long long answered_ms;		/* the connection's last answer */
	bool down_logged;
};

/* Whether a connect may be tried now; if so, it is timed from here. */
bool reconnect_may_try(struct reconnect *r);

void reconnect_failed(struct reconnect *r, const char *why);

/* The connection answered; whether it is to be trusted without a look. */
void reconnect_answered(struct reconnect *r);
bool reconnect_trusted(const struct reconnect *r);
void reconnect_succeeded(struct reconnect *r);

#endif
