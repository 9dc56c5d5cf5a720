/*
 * The step state machine. A session is bound to one number and to the one
 * step it waits for:
 *
 *   register (new or unverified number)  otp -> set_password -> user_info -> tokens
 *   register (number with a password)    password -> tokens (or user_info)
 *   password-reset                       otp -> set_password -> tokens
 *   login/code                           otp -> tokens
 *   phone/change (for the new number)    otp -> the account has that number
 *
 * A session holds the id of its account (0: none yet) and its number; a
 * step acts on that account only while it still has that number, so a
 * session outlives neither its account's deletion nor its move.
 *
 * Any other step gets 409 wrong_step and leaves the session as it was. A
 * session only reaches set_password by proving the phone with its code, so
 * knowing a number is never enough to take its account over.
 */
#ifndef PHONEAUTH_SESSION_H
#define PHONEAUTH_SESSION_H

#include <stdbool.h>

#include "phoneauth/ctx.h"
#include "phoneauth/fields.h"
#include "phoneauth/redis_store.h"
#include "phoneauth/step.h"

/* A fresh session id: a random (version 4) UUID in lower case. */
void session_new_id(char out[SESSION_ID_LEN + 1]);

/* Whether `s` has the form of a session id (it may still be unknown). */
bool session_id_wellformed(const char *s);

enum code_mode {
	CODE_NONE,	/* a session without a code (waiting for a password) */
	CODE_SEND,	/* a code is made and queued for the phone */
	CODE_GHOST,	/* counted like a code, but nothing is sent and no code fits */
};

/*
 * Opens a session of account `u` for `phone` at `step`, with a code as
 * `mode` says (subject to the send limits); the session keeps the account's
 * credentials_version (a phone change completes only while it holds).
 * Writes the id to `sid`. On false the answer (429, 503) is already set.
 */
bool session_open_or_reply(struct ctx *ctx, const char *phone, enum step step,
    enum purpose purpose, const struct user *u, enum code_mode mode,
    char sid[SESSION_ID_LEN + 1]);

/*
 * Answers a request to prove the phone of an account: password-reset
 * (purpose reset) or login/code (purpose login: its right code answers
 * tokens at verify-otp). Whoever asks gets the same answer `sent`, limits and
 * timing; only an account `worthy` of it gets a code, any other number a
 * ghost session, which accepts no code at all. `device`: the hash of the
 * request's device token ("" for none); the session keeps the account's
 * credentials_version, and completes only while it holds.
 */
void session_owner_code_reply(struct ctx *ctx, enum purpose purpose,
    bool (*worthy)(const struct user *u), enum msg sent);

/*
 * A step's statement found no account `user_id` with the number `phone`
 * (NULL: whatever its number): answers 403 user_banned when it is banned,
 * else `gone` (it was deleted or moved meanwhile), or 503.
 */
void session_account_lost_reply(struct ctx *ctx, long long user_id, const char *phone,
    enum err gone);

/*
 * Loads the session `sid` that must wait for `expect`. With RS_TAKE_TRY or
 * RS_TAKE_CODE_TRY a try is counted before the caller judges a password or
 * a code: against the number, or against `device` (the hash of the
 * request's device token, "" for none) when it is a live one of the
 * session's account (out->on_device). On false the answer (400, 409, 429,
 * 503) is already set.
 */
bool session_load_or_reply(struct ctx *ctx, const char *sid, enum step expect,
    enum rs_take take, const char *device, struct rs_session *out);

/* The declared inputs of a route (session_id among them, and the device
 * token when it declares one) and the session they name, as
 * session_load_or_reply loads it. False with the answer set. */
bool session_request_or_reply(struct ctx *ctx, const struct field *fields, size_t n,
    struct inputs *in, enum step expect, enum rs_take take, struct rs_session *out);

/* Moves the session on (`to` = STEP__MAX ends it); false with the answer set.
 * account_changed: the step changed the account's password or verification. */
bool session_advance_or_reply(struct ctx *ctx, const char *sid, const struct rs_session *s,
    enum step from, enum step to, enum rs_give_back back, bool account_changed);

/*
 * The statement of session `sid` (waiting at `at`) found its account no
 * longer as the session knew it: deleted, moved to another number than
 * `phone` (NULL: whatever its number), banned, its password set already,
 * or its password or number changed since an owner session opened. The
 * session ends, and the answer is 403 user_banned for a banned account,
 * else 400 session_invalid (or 503).
 */
void session_void_reply(struct ctx *ctx, const char *sid, const struct rs_session *s,
    enum step at, const char *phone);

/*
 * register: opens a session for `phone` at the step its account calls for
 * (*next: password, or otp with a code sent). The account state comes from
 * Redis's cache in the same round trip or, when it is not cached, from
 * PostgreSQL (read only: a number without an account gets no row here).
 * `device`: the hash of the request's device token ("" for none). False
 * with the answer set (403, 429, 503).
 */
bool session_register_or_reply(struct ctx *ctx, const char *phone, const char *device,
    char sid[SESSION_ID_LEN + 1], enum step *next);

/* Answers 200 {session_id, next_step, message}. */
void session_reply_step(struct ctx *ctx, const char *sid, enum step next, enum msg m);

/* A new code for a session waiting for one. False with the answer set. */
bool session_resend_or_reply(struct ctx *ctx, const char *sid);

#endif
