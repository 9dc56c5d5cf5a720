/*
 * The caller of a Bearer route (Authorization: Bearer <access token>): the
 * token verified, its account there and not banned, and its login alive.
 * An access token is only as alive as its login: once the login its sid
 * names is ended (a logout, DELETE sessions/<id>, logout-all, a reuse, a
 * reset, a ban) or gone, its access token opens no Bearer route, however
 * long it has left. A token without sid (issued before logins were named,
 * or by another issuer with the key) names no login that could be proved
 * alive, and is refused the same way.
 *
 * Every Bearer route (sessions, DELETE sessions/<id>, logout-all,
 * account/delete, phone/change, me, and those to come) comes through here.
 * The login is checked in the statement that reads the account anyway (no
 * round trip of its own); the authorizer does not come through here: it
 * judges the account only, and an ended login's token passes it until it
 * expires (access_ttl bounds that).
 */
#ifndef PHONEAUTH_BEARER_H
#define PHONEAUTH_BEARER_H

#include <stdbool.h>

#include "phoneauth/ctx.h"
#include "phoneauth/token.h"

/* Answers 401 token_invalid with WWW-Authenticate; returns false. */
bool bearer_invalid_reply(struct ctx *ctx);

/* The request's access token, verified (signature, type, expiry): false
 * with 401 token_invalid when there is none or it does not verify. */
bool bearer_token_or_reply(struct ctx *ctx, struct token *t);

/*
 * What the store said of the token's account (`st`: STORE_NOT_FOUND when it
 * is gone) and login: false with 401 token_invalid for an account gone or a
 * login not alive, 403 user_banned for a banned account, 503/500 for the
 * store; true when the caller may go on.
 */
bool bearer_standing_or_reply(struct ctx *ctx, enum store_status st, bool banned,
    bool login_live);

/* Both, around the read of the account (pg_user_by_login): the account of
 * the request's access token, whose login is alive. */
bool bearer_account_or_reply(struct ctx *ctx, struct token *t, struct user *u);

#endif
