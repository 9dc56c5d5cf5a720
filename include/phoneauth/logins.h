/*
 * Logins: every refresh-token family is one login, a device its user can
 * see (GET sessions) and end (DELETE sessions/<id>, POST logout-all). An
 * access token names its login in the claim sid; the logins table says
 * where and when each began and when it was last used (its last rotation).
 */
#ifndef PHONEAUTH_LOGINS_H
#define PHONEAUTH_LOGINS_H

#include <stdbool.h>

#include "phoneauth/ctx.h"

/* Where this request's login begins: its client and its User-Agent (bytes
 * other than printable ASCII become '?', cut at LOGIN_AGENT_MAX). */
void logins_origin(const struct ctx *ctx, struct login_origin *out);

/* GET sessions: the account's live logins, newest first, the caller's marked. */
void logins_list_route(struct ctx *ctx);

/* DELETE sessions/<id>: ends one live login of the account (404 otherwise). */
void logins_end_route(struct ctx *ctx);

/* POST logout-all: ends every login of the account. */
void logins_end_all_route(struct ctx *ctx);

/* The path of DELETE sessions/<id>, without the id. */
#define LOGINS_PATH_PREFIX "sessions/"

#endif
