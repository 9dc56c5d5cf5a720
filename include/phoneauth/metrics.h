/*
 * Metrics for Prometheus (GET metrics). The workers of a pool are separate
 * processes that come and go, so what they count goes to one place they all
 * reach: the pool's counts of requests, latency and logins to a shared
 * memory file of the host (atomic additions, no round trip, kept across
 * worker restarts and reloads); the SMS, code and block counts to Redis,
 * counted by the scripts that decide them (the service's, all hosts
 * together). GET metrics reads both, and the outbox and the stores, at
 * scrape time.
 */
#ifndef PHONEAUTH_METRICS_H
#define PHONEAUTH_METRICS_H

#include <stdbool.h>

#include "phoneauth/config.h"
#include "phoneauth/ctx.h"

enum login_result { LOGIN_OK, LOGIN_WRONG_PASSWORD, LOGIN_BANNED, LOGIN_BLOCKED, LOGIN_ERROR,
	LOGIN__MAX };

/* Maps the pool's shared counts (made if missing); false when it cannot:
 * the worker then serves without them, and says so. */
bool metrics_open(const struct config *cfg, int routes);
void metrics_close(void);

/* One answered request: route index (router.h; -1 for none), status, and
 * seconds from its arrival to its answer. */
void metrics_request(int route, int status, double seconds);

void metrics_login(enum login_result r);

/* GET metrics: the exposition, for metrics_allow's addresses; 404 to others. */
void metrics_route(struct ctx *ctx);

#endif
