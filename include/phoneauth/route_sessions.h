/*
 * Logins: every refresh-token family is one login, a device its user can
 * see (GET sessions) and end (DELETE sessions/<id>, POST logout-all). An
 * access token names its login in the claim sid; the logins table says
 * where and when each began and when it was last used (its last rotation).
 */
#ifndef PHONEAUTH_ROUTE_SESSIONS_H
#define PHONEAUTH_ROUTE_SESSIONS_H

#include <stdbool.h>

#include "phoneauth/ctx.h"

/* GET sessions: the account's live logins, newest first, the caller's marked. */
void route_sessions_list(struct ctx *ctx);

/* DELETE sessions/<id>: ends one live login of the account (404 otherwise). */
void route_session_end(struct ctx *ctx);

/* POST logout-all: ends every login of the account. */
void route_logout_all(struct ctx *ctx);

/* The path of DELETE sessions/<id>, without the id. */
#define SESSIONS_PATH_PREFIX "sessions/"

#endif
