/*
 * The route handlers of the sign-up and password-reset flow (logins are
 * route_login.h's).
 * Each reads its declared inputs, runs the step through the session state
 * machine and the stores, and sets exactly one answer.
 */
#ifndef PHONEAUTH_ROUTE_SIGNUP_H
#define PHONEAUTH_ROUTE_SIGNUP_H

#include "phoneauth/ctx.h"

void route_register(struct ctx *ctx);
void route_password_reset(struct ctx *ctx);
void route_verify_otp(struct ctx *ctx);
void route_resend_otp(struct ctx *ctx);
void route_set_password(struct ctx *ctx);
void route_user_info(struct ctx *ctx);

#endif
