/*
 * Second factors: the routes mfa/totp/setup, mfa/totp/confirm,
 * mfa/totp/disable, mfa/recovery-codes and verify-mfa, and what the steps
 * that end a sign-in ask of them. Every step that would answer tokens for
 * an existing account (login in both forms, verify-otp of login/code,
 * set-password of a reset) asks mfa_needed_or_reply first; for an account
 * with TOTP its session waits for `mfa` instead, and only verify-mfa
 * answers the tokens.
 */
#ifndef PHONEAUTH_ROUTE_MFA_H
#define PHONEAUTH_ROUTE_MFA_H

#include <stdbool.h>

#include <json-c/json.h>

#include "phoneauth/ctx.h"

void route_mfa_totp_setup(struct ctx *ctx);
void route_mfa_totp_confirm(struct ctx *ctx);
void route_mfa_totp_disable(struct ctx *ctx);
void route_mfa_recovery_codes(struct ctx *ctx);
void route_verify_mfa(struct ctx *ctx);

/*
 * Whether account `user_id` must prove a second factor before its tokens
 * (*needed; *recovery_left: how many recovery codes it has). False with the
 * answer set (503, 500).
 */
bool mfa_needed_or_reply(struct ctx *ctx, long long user_id, bool *needed, int *recovery_left);

/* Answers 200 {session_id, next_step: "mfa", methods, message}. */
void mfa_step_reply(struct ctx *ctx, const char *sid, int recovery_left, bool passkey);

/*
 * Before the tokens of session `sid` (`s`, waiting at `at`): true when its
 * account has no second factor (the caller goes on); otherwise false with
 * the answer set: the session moved on to `mfa` (giving back its tries as
 * `back`, a reset's new password hash `encoded` held with it; NULL for
 * none) and 200 next_step "mfa", or an error.
 */
bool mfa_session_or_reply(struct ctx *ctx, const char *sid, const struct rs_session *s,
    enum step at, enum rs_give_back back, const char *encoded);

/* The same for a login by number (no session yet; its try is given back):
 * a session is opened at `mfa` for the account `u`. */
bool mfa_login_or_reply(struct ctx *ctx, const struct user *u);

/* GET me's `mfa` object for account `user_id`, added to `o`; false with the
 * answer set (503, 500). */
bool mfa_summary_or_reply(struct ctx *ctx, long long user_id, json_object *o);

#endif
