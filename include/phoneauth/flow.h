/*
 * The route handlers of the sign-up and password-reset flow (logins are
 * login.h's).
 * Each reads its declared inputs, runs the step through the session state
 * machine and the stores, and sets exactly one answer.
 */
#ifndef PHONEAUTH_FLOW_H
#define PHONEAUTH_FLOW_H

#include "phoneauth/ctx.h"

void flow_register(struct ctx *ctx);
void flow_password_reset(struct ctx *ctx);
void flow_verify_otp(struct ctx *ctx);
void flow_resend_otp(struct ctx *ctx);
void flow_set_password(struct ctx *ctx);
void flow_user_info(struct ctx *ctx);

#endif
