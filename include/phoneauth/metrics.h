/*
 * Metrics for Prometheus (GET metrics). The workers of a pool are separate
 * processes that come and go, so what they count goes to one place they all
 * reach: the pool's counts of requests, latency and logins to a shared
 * memory file of the host (atomic additions, no round trip, kept across
 * worker restarts and reloads); the SMS, code and block counts to Redis,
 * counted by the scripts that decide them (the service's, all hosts
 * together). This is the counting; GET metrics (route_metrics.h) reads both,
 * and the outbox and the stores, at scrape time.
 */
#ifndef PHONEAUTH_METRICS_H
#define PHONEAUTH_METRICS_H

#include <stdbool.h>
#include <stdio.h>

#include "phoneauth/config.h"

/* POST login's results (mfa: the password was right, the second factor is
 * asked), then passkeys/login's. */
enum login_result { LOGIN_OK, LOGIN_MFA, LOGIN_WRONG_PASSWORD, LOGIN_BANNED, LOGIN_BLOCKED, LOGIN_ERROR,
	LOGIN_PASSKEY_OK, LOGIN_PASSKEY_INVALID, LOGIN__MAX };
/* Second factors judged (verify-mfa, and the codes of the mfa/ routes):
 * right, wrong (a replay included), refused unjudged by a block, or not
 * judged for a store failure. */
enum mfa_result { MFA_OK, MFA_WRONG, MFA_BLOCKED, MFA_ERROR, MFA__MAX };

/* Maps the pool's shared counts (made if missing); false when it cannot:
 * the worker then serves without them, and says so. */
bool metrics_open(const struct config *cfg, int routes);
void metrics_close(void);

/* One answered request: route index (router.h; -1 for none), status, and
 * seconds from its arrival to its answer. */
void metrics_request(int route, int status, double seconds);

void metrics_login(enum login_result r);
/* A sign-in's answer counted by its status: 200 `ok`, `refused_status`
 * (the wrong credential's) `refused`, 403 banned, 429 blocked, 5xx error;
 * any other (a validation error) not at all. */
void metrics_login_answer(int status, enum login_result ok, int refused_status,
    enum login_result refused);
void metrics_mfa(enum mfa_result r);

/* The label a route index is written out with (the router's path). */
typedef const char *(*metrics_label_fn)(int route);

/* Writes the pool's counts (requests, durations, logins) in the exposition
 * format; false, writing nothing, when the worker is not counting. GET
 * metrics is route_metrics.c. */
bool metrics_write(FILE *f, metrics_label_fn route_label);

#endif
