/*
 * The sign-up and password-reset flow: register, verify-otp, resend-otp,
 * set-password, user-info, password-reset. (Logins are route_login.c's.) Handlers
 * never build SQL or Redis commands and never answer twice: every
 * *_or_reply helper they call has already set the answer when it returns
 * false.
 *
 * Order matters for safety in three places:
 *  - a try is taken (session_load_or_reply with RS_TAKE_*) before a code is
 *    judged, and given back only on success, so parallel guesses never get
 *    more than max_failed_attempts judged;
 *  - a step's database write happens before the session moves on, so a
 *    failure in between leaves the session where it was and the step can
 *    simply be sent again;
 *  - tokens are signed first and their refresh token is recorded by the same
 *    statement that makes the change they stand for.
 */
#include "phoneauth/route_signup.h"

#include <string.h>

#include <openssl/crypto.h>

#include "phoneauth/event_record.h"
#include "phoneauth/route_account.h"
#include "phoneauth/fields.h"
#include "phoneauth/hasher.h"
#include "phoneauth/limits.h"
#include "phoneauth/log.h"
#include "phoneauth/route_mfa.h"
#include "phoneauth/route_sessions.h"
#include "phoneauth/session.h"
#include "phoneauth/token_pair.h"


void
route_register(struct ctx *ctx)
{
	static const struct field fields[] = {
		{ "mobile_number", F_SMS_PHONE },
		{ "device", F_DEVICE },
	};
	struct inputs in;
	char sid[SESSION_ID_LEN + 1];
	enum step next;

	if (!fields_read_or_reply(ctx, fields, NFIELDS(fields), &in) ||
	    !session_register_or_reply(ctx, in.phone, in.device_hash, sid, &next))
		return;
	/* Only a number with a password skips the code; one that proved itself
	 * once but never set a password proves itself again. */
	session_reply_step(ctx, sid, next, next == STEP_OTP ? MSG_CODE_SENT : MSG_ENTER_PASSWORD);
}

/* Who may reset a password: an account with one that is not banned. */
static bool
may_reset(const struct user *u)
{
	return u->has_password && !u->is_banned;
}

void
route_password_reset(struct ctx *ctx)
{
	session_owner_code_reply(ctx, PURPOSE_RESET, may_reset, MSG_RESET_CODE_SENT);
}

/* Whether `code` is a code of session `s` (whose try is taken): its current
 * one or, after a resend, the one before, while each is valid. Only a
 * register session may go on without an account (it makes the row); a
 * reset ghost has none, and a digest no code fits. */
static bool
code_right(struct ctx *ctx, const char *sid, const struct rs_session *s, char *code)
{
	unsigned char digest[OTP_DIGEST_LEN];
	bool right = (s->user_id != 0 || s->purpose == PURPOSE_REGISTER) &&
	    otp_digest(ctx->otp_key, sid, code, digest) &&
	    ((s->has_digest && otp_digest_equal(digest, s->digest)) |
	    (s->has_earlier && otp_digest_equal(digest, s->earlier)));

	OPENSSL_cleanse(code, OTP_DIGITS + 1);
	OPENSSL_cleanse(digest, sizeof digest);
	return right;
}

void
route_verify_otp(struct ctx *ctx)
{
	static const struct field fields[] = {
		{ "session_id", F_SESSION },
		{ "code", F_CODE },
		{ "device", F_DEVICE },
	};
	struct inputs in;
	struct rs_session s;
	enum store_status st;

	if (!session_request_or_reply(ctx, fields, NFIELDS(fields), &in, STEP_OTP,
	    RS_TAKE_CODE_TRY, &s))
		return;
	if (!code_right(ctx, in.session_id, &s, in.code)) {
		if (s.by_code)
			limits_login_failed(ctx, s.phone, s.user_id, FAILURE_CODE, "otp_invalid");
		else
			limits_note_failure(ctx, s.phone, FAILURE_CODE);
		response_error(ctx->resp, ERR_OTP_INVALID, ctx->req->lang);
		return;
	}
	/* A phone change or a login by code ends here (route_account.c). */
	if (s.purpose == PURPOSE_CHANGE || s.by_code) {
		account_code_verified(ctx, in.session_id, &s, in.device);
		return;
	}
	/* The phone is proved: a number without an account gets its row now. */
	st = pg_user_verify(ctx->pg, s.phone, s.user_id, &s.user_id);
	if (st == STORE_CONFLICT) {
		/* The account index had no account for the number, yet it has
		 * one, with a password (made by SQL behind its back): now it
		 * knows, and the next register asks for the password. */
		log_warn("verify-otp: an account the account index did not know");
		(void)rs_forget_account(ctx->rs, s.phone);
		response_error(ctx->resp, ERR_SESSION_INVALID, ctx->req->lang);
		return;
	}
	if (st == STORE_NOT_FOUND) {
		log_warn("verify-otp: the account of a live session is gone");
		response_error(ctx->resp, ERR_SESSION_INVALID, ctx->req->lang);
		return;
	}
	/* The owner proved the phone (a reset): the number's block, if any,
	 * is lifted and its failures forgotten. */
	if (!ctx_store_or_reply(ctx, st) ||
	    !session_advance_or_reply(ctx, in.session_id, &s, STEP_OTP, STEP_SET_PASSWORD,
	    s.owner ? RS_GIVE_BACK_CLEAR_NUMBER : RS_GIVE_BACK, true))
		return;
	session_reply_step(ctx, in.session_id, STEP_SET_PASSWORD, MSG_CODE_VERIFIED);
}

void
route_resend_otp(struct ctx *ctx)
{
	static const struct field fields[] = { { "session_id", F_SESSION } };
	struct inputs in;

	if (!fields_read_or_reply(ctx, fields, NFIELDS(fields), &in) ||
	    !session_resend_or_reply(ctx, in.session_id))
		return;
	session_reply_step(ctx, in.session_id, STEP_OTP, MSG_CODE_SENT);
}

/* The end of a reset: a new password, every old login revoked, a new one.
 * Only while the account's password and number are those of when the reset
 * began: a reset session parked while its owner changed them is void. */
static void
finish_reset(struct ctx *ctx, const char *sid, const struct rs_session *s, const char *encoded)
{
	struct token_pair pair;
	struct login_origin from;
	struct event_record rec;
	enum store_status st;

	/* A reset proves the phone, not the second factor: for an account
	 * with one, the new password waits for verify-mfa. */
	if (!mfa_session_or_reply(ctx, sid, s, STEP_SET_PASSWORD, RS_KEEP, encoded) ||
	    !token_pair_issue_or_reply(ctx, s->user_id, &pair))
		return;
	ctx_login_origin(ctx, &from);
	event_record_begin(&rec, ctx->req);
	event_record_change(&rec, ctx->req, EVENT_PASSWORD_CHANGED, s->user_id, s->phone, "via",
	    "reset", NULL, NULL);
	event_record_revoked(&rec, ctx->req, s->user_id, s->phone, "password");
	st = pg_user_reset_password(ctx->pg, s->user_id, s->phone, s->credentials_version, encoded,
	    &pair.refresh, &from, &rec.pg);
	if (st == STORE_NOT_FOUND)
		session_void_reply(ctx, sid, s, STEP_SET_PASSWORD, s->phone);
	else if (ctx_store_or_reply(ctx, st) &&
	    session_advance_or_reply(ctx, sid, s, STEP_SET_PASSWORD, STEP__MAX, RS_KEEP, true))
		token_pair_reply(ctx, 200, &pair, NULL, MSG_PASSWORD_CHANGED);
	token_pair_clear(&pair);
}

/* The first password of an account that has just proved its phone: never
 * over a password it has (set meanwhile by another session, or by a reset). */
static void
first_password(struct ctx *ctx, const char *sid, const struct rs_session *s, const char *encoded)
{
	struct user u;
	enum store_status st = pg_user_set_password(ctx->pg, s->user_id, s->phone, encoded, &u);

	if (st == STORE_NOT_FOUND) {
		log_info("set-password: user %lld has a password already, or is gone", s->user_id);
		session_void_reply(ctx, sid, s, STEP_SET_PASSWORD, s->phone);
	} else if (!ctx_store_or_reply(ctx, st)) {
		/* answered */
	} else if (u.is_banned) {
		response_error(ctx->resp, ERR_USER_BANNED, ctx->req->lang);
	} else if (session_advance_or_reply(ctx, sid, s, STEP_SET_PASSWORD, STEP_USER_INFO, RS_KEEP,
	    true)) {
		session_reply_step(ctx, sid, STEP_USER_INFO, MSG_PASSWORD_SET);
	}
}

void
route_set_password(struct ctx *ctx)
{
	static const struct field fields[] = {
		{ "session_id", F_SESSION },
		{ "password", F_PASSWORD },
	};
	struct inputs in;
	struct rs_session s;
	char encoded[PASSWORD_ENCODED_MAX];

	if (!session_request_or_reply(ctx, fields, NFIELDS(fields), &in, STEP_SET_PASSWORD,
	    RS_LOOK, &s) ||
	    !fields_new_password_or_reply(ctx, "password", in.password, s.phone))
		return;
	if (!hasher_hash(in.password, ctx->cfg->pbkdf2_iterations, encoded)) {
		ctx_reply_internal(ctx);
		return;
	}
	if (s.purpose == PURPOSE_RESET)
		finish_reset(ctx, in.session_id, &s, encoded);
	else
		first_password(ctx, in.session_id, &s, encoded);
	OPENSSL_cleanse(encoded, sizeof encoded);
}

void
route_user_info(struct ctx *ctx)
{
	static const struct field fields[] = {
		{ "session_id", F_SESSION },
		{ "first_name", F_FIRST_NAME },
		{ "last_name", F_LAST_NAME },
		{ "email", F_EMAIL },
	};
	struct inputs in;
	struct rs_session s;
	struct token_pair pair;
	struct login_origin from;
	struct event_record rec;
	enum store_status st;

	if (!session_request_or_reply(ctx, fields, NFIELDS(fields), &in, STEP_USER_INFO,
	    RS_LOOK, &s) ||
	    !token_pair_issue_or_reply(ctx, s.user_id, &pair))
		return;
	ctx_login_origin(ctx, &from);
	event_record_begin(&rec, ctx->req);
	event_record_change(&rec, ctx->req, EVENT_SIGNUP_COMPLETED, s.user_id, s.phone, NULL, NULL,
	    NULL, NULL);
	/* the profile completed already (this is a retry of a lost answer): a
	 * login begins all the same, and is told */
	event_record_again(&rec, ctx->req, EVENT_LOGIN_SUCCEEDED, s.user_id, s.phone, "method",
	    "password", "mfa", NULL);
	st = pg_user_complete(ctx->pg, s.user_id, s.phone, in.first_name, in.last_name,
	    in.email[0] ? in.email : NULL, &pair.refresh, &from, &rec.pg);
	if (st == STORE_CONFLICT) {
		/* Whether an address is taken is worth knowing to an attacker:
		 * asking counts as a failure, like a wrong password. */
		if (limits_fail_or_reply(ctx, s.phone, FAILURE_EMAIL)) {
			response_field_error(ctx->resp, "email", MSG_EMAIL_TAKEN, ctx->req->lang);
			response_validation_failed(ctx->resp, ctx->req->lang);
		}
	} else if (st == STORE_NOT_FOUND) {
		session_account_lost_reply(ctx, s.user_id, s.phone, ERR_SESSION_INVALID);
	} else if (ctx_store_or_reply(ctx, st) &&
	    session_advance_or_reply(ctx, in.session_id, &s, STEP_USER_INFO, STEP__MAX, RS_KEEP,
	    false)) {
		token_pair_reply(ctx, 201, &pair, NULL, MSG_SIGNED_UP);
	}
	token_pair_clear(&pair);
}
