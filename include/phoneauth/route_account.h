/*
 * The account itself: POST account/delete, POST phone/change, POST
 * password/change and POST login/code, and what verify-otp does with the sessions the last two open
 * (the account moves to the new number; tokens for a login by code).
 */
#ifndef PHONEAUTH_ROUTE_ACCOUNT_H
#define PHONEAUTH_ROUTE_ACCOUNT_H

#include "phoneauth/ctx.h"
#include "phoneauth/redis_store.h"

void route_account_delete(struct ctx *ctx);
void route_phone_change(struct ctx *ctx);
void route_password_change(struct ctx *ctx);
void route_login_code(struct ctx *ctx);

/* The password of the caller's account `u`, judged as a login judges one (a
 * try taken first, a wrong one counted: 401 password_incorrect); false with
 * the answer set. */
bool account_password_or_reply(struct ctx *ctx, const struct user *u, const char *password);

/* verify-otp, once the right code of session `sid` (a phone change, or a
 * login by code) is known: the rest of the step, and its answer. `device`:
 * the device token the request sent ("" for none), for a login's answer. */
void account_code_verified(struct ctx *ctx, const char *sid, const struct rs_session *s,
    const char *device);

#endif
