/*
 * The limits, on the C side: blocks, the tries a judgement takes and gives
 * back, failures, and the answers they lead to (429 too_many_attempts,
 * 429 otp_rate_limited). The counting itself happens in Redis, inside the
 * script each request runs anyway (src/lua/limits.lua), so that it is atomic
 * with the step it guards; this file is the only one that asks for it and
 * the only writer of ctx->gated, which says the client's blocks were checked,
 * and of ctx->tried_device, which says a try was taken from a device.
 * Every *_or_reply returns false when it has set the answer.
 */
#ifndef PHONEAUTH_LIMITS_H
#define PHONEAUTH_LIMITS_H

#include <stdbool.h>

#include "phoneauth/ctx.h"
#include "phoneauth/redis_store.h"

/* Failure kinds, as the audit table records them. */
#define FAILURE_PASSWORD "password"
#define FAILURE_CODE "code"
#define FAILURE_PHONE "phone"
#define FAILURE_SESSION "session"
#define FAILURE_EMAIL "email"
#define FAILURE_PHONE_TAKEN "phone_taken"
#define FAILURE_MFA "mfa"
#define FAILURE_PASSKEY "passkey"

/*
 * The client is not blocked: false with 429 when it is. A Redis that cannot
 * be reached blocks nobody here: the route meets it itself (503), or does
 * not need it (token routes, health).
 */
bool limits_unblocked_or_reply(struct ctx *ctx);

/*
 * A failure that is not a judged try (an invalid number, an e-mail or a
 * new number another account has): counted against the client and `phone`
 * (may be NULL), and audited. False with 429 when the client or number was
 * blocked already; true, and the caller gives its own answer, otherwise
 * (also when Redis cannot count it).
 */
bool limits_fail_or_reply(struct ctx *ctx, const char *phone, const char *kind);

/*
 * A try is taken against the client and `phone` before a password is
 * judged outside a session (login by number); false with 429 or 503. With
 * `device` (the hash of the request's device token, "" or NULL for none) a
 * live device token of account `user_id`: the number's block does not stop
 * it, and the try is taken from the device instead of the number.
 */
bool limits_take_try_or_reply(struct ctx *ctx, const char *phone, const char *device,
    long long user_id);

/* The judged try (or tries) was right, or ended unjudged: given back (to
 * whatever limits_take_try_or_reply took it from); with clear_number the
 * failures of the number (or of the device) are forgotten too. False with 503. */
bool limits_give_back_or_reply(struct ctx *ctx, const char *phone, bool clear_number);

/* A judged try was wrong: it stays counted; this records it for the audit,
 * with its events (event_record.h): mfa.failed for a second factor, and a
 * block.started for each block it began. */
void limits_note_failure(struct ctx *ctx, const char *phone, const char *kind);

/* The same for a second factor's try (mfa.failed, of account user_id). */
void limits_mfa_failed(struct ctx *ctx, const char *phone, long long user_id);

/* The same for a login's try (a password or a code of account user_id, 0
 * when none): its event is login.failed, `reason` the error code answered. */
void limits_login_failed(struct ctx *ctx, const char *phone, long long user_id, const char *kind,
    const char *reason);

/*
 * The limit verdicts of a script run (`st`, res): the store failing (503,
 * 500), RS_BLOCKED (429 too_many_attempts) and RS_RATE_LIMITED (429
 * otp_rate_limited) are answered here; any other verdict is the caller's
 * (true). A script that ran has checked the client's blocks.
 */
bool limits_verdict_or_reply(struct ctx *ctx, enum store_status st, const struct rs_result *res);

/* Whether this request's client blocks were checked already. */
bool limits_checked(const struct ctx *ctx);

#endif
