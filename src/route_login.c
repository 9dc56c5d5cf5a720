/*
 * Logins, in the two forms the contract gives: a session waiting for
 * `password` (after register), or the number itself. Both take a try before
 * the password is judged and give it back only when it was right (or when
 * nothing was judged), and both spend the time of a whole PBKDF2 at today's
 * iteration count on a wrong password whatever the account, so neither the
 * answer nor its timing tells who has an account or how old its hash is.
 * With a live device token of the account (device.h) the number's block
 * does not stop a login, and its try is the device's, not the number's.
 */
#include "phoneauth/route_login.h"

#include <string.h>

#include "phoneauth/event_record.h"
#include "phoneauth/fields.h"
#include "phoneauth/hasher.h"
#include "phoneauth/limits.h"
#include "phoneauth/metrics.h"
#include "phoneauth/route_mfa.h"
#include "phoneauth/route_sessions.h"
#include "phoneauth/session.h"
#include "phoneauth/token_pair.h"


/*
 * Judges a password. A wrong one costs as much as a hash at today's
 * iteration count would, so the answer's timing does not tell an imported
 * (older, cheaper) hash from a fresh one.
 */
static bool
password_matches(struct ctx *ctx, const char *password, const char *encoded, long *iterations)
{
	if (hasher_verify(password, encoded, iterations))
		return true;
	if (*iterations < ctx->cfg->pbkdf2_iterations)
		hasher_burn(password, ctx->cfg->pbkdf2_iterations - *iterations);
	return false;
}

/* Upgrades an old hash of a right password, after the answer (not if the
 * password changed meanwhile). */
static void
rehash_later(struct ctx *ctx, const struct user *u, const char *password, long iterations)
{
	size_t len = strlen(password);

	if (iterations < ctx->cfg->pbkdf2_iterations && len < sizeof ctx->after.password) {
		ctx->after.rehash_user = u->id;
		ctx->after.rehash_credentials = u->credentials_version;
		memcpy(ctx->after.password, password, len + 1);
	}
}

bool
login_password_right(struct ctx *ctx, const struct user *u, const char *password)
{
	long iterations = 0;

	if (u == NULL || !u->has_password) {
		/* No account, or none with a password: spend the same time. */
		hasher_burn(password, ctx->cfg->pbkdf2_iterations);
		return false;
	}
	if (!password_matches(ctx, password, u->password, &iterations))
		return false;
	rehash_later(ctx, u, password, iterations);
	return true;
}

/* The session (session form) or the tries (number form) of a login that
 * succeeded: moved on, given back, and the number's failures forgotten. */
static bool
settle_or_reply(struct ctx *ctx, const struct user *u, const char *sid,
    const struct rs_session *s)
{
	if (sid == NULL)
		return limits_give_back_or_reply(ctx, u->phone, true);
	return session_advance_or_reply(ctx, sid, s, STEP_PASSWORD,
	    u->is_active ? STEP__MAX : STEP_USER_INFO, RS_GIVE_BACK_CLEAR_NUMBER, false);
}

/* A store failure after the try was taken: the try goes back, unjudged. */
static void
unjudged(struct ctx *ctx, const char *phone, enum store_status st, enum err e)
{
	(void)limits_give_back_or_reply(ctx, phone, false);
	if (st == STORE_NOT_FOUND)
		response_error(ctx->resp, e, ctx->req->lang);
	else
		(void)ctx_store_or_reply(ctx, st);
}

/*
 * The end of a login whose password was right: tokens for a complete
 * account, or a session waiting for the profile. `sid` is the login session
 * (session form) or NULL (number form); `device` the device token the
 * request sent. The login is recorded before the session moves on, so a
 * failure in between leaves the session where it was and the client can
 * send the login again.
 */
static void
succeeded(struct ctx *ctx, const struct user *u, const char *sid, const struct rs_session *s,
    const char *device)
{
	char new_sid[SESSION_ID_LEN + 1];
	struct token_pair pair;
	struct login_origin from;
	struct event_record rec;
	enum store_status st;

	if (!u->is_active) {
		if (!settle_or_reply(ctx, u, sid, s) || (sid == NULL &&
		    !session_open_or_reply(ctx, u->phone, STEP_USER_INFO, PURPOSE_LOGIN, u,
		    CODE_NONE, new_sid)))
			return;
		session_reply_step(ctx, sid ? sid : new_sid, STEP_USER_INFO, MSG_COMPLETE_PROFILE);
		return;
	}
	/* An account with a second factor gets its tokens from verify-mfa. */
	if (!(sid ? mfa_session_or_reply(ctx, sid, s, STEP_PASSWORD, RS_GIVE_BACK, NULL) :
	    mfa_login_or_reply(ctx, u)))
		return;
	if (!token_pair_issue_or_reply(ctx, u->id, &pair))
		return;
	ctx_login_origin(ctx, &from);
	event_record_begin(&rec, ctx->req);
	event_record_change(&rec, ctx->req, EVENT_LOGIN_SUCCEEDED, u->id, u->phone, "method",
	    "password", "mfa", NULL);
	st = pg_user_login(ctx->pg, u->id, u->phone, &pair.refresh, &from, &rec.pg);
	if (st == STORE_NOT_FOUND)
		session_account_lost_reply(ctx, u->id, u->phone,
		    sid ? ERR_SESSION_INVALID : ERR_PASSWORD_INCORRECT);
	else if (st != STORE_OK)
		/* the password was right: a store refusing the login's row (a
		 * failover, a fenced primary) is no failure of the owner's */
		unjudged(ctx, u->phone, st, ERR_INTERNAL);
	else if (settle_or_reply(ctx, u, sid, s))
		token_pair_reply(ctx, 200, &pair, device, MSG_LOGGED_IN);
	token_pair_clear(&pair);
}

/*
 * Both forms, once the account is known (`u` NULL: there is none) and a try
 * is taken against the client and `phone`.
 */
static void
judge(struct ctx *ctx, const struct user *u, const char *phone, const struct inputs *in,
    const char *sid, const struct rs_session *s)
{
	if (u != NULL && u->is_banned) {
		if (limits_give_back_or_reply(ctx, phone, false)) {
			event_record_failure(ctx, EVENT_LOGIN_FAILED, u->id, phone, "user_banned");
			response_error(ctx->resp, ERR_USER_BANNED, ctx->req->lang);
		}
		return;
	}
	if (!login_password_right(ctx, u, in->password)) {
		limits_login_failed(ctx, phone, u != NULL ? u->id : 0, FAILURE_PASSWORD,
		    "password_incorrect");
		response_error(ctx->resp, ERR_PASSWORD_INCORRECT, ctx->req->lang);
		return;
	}
	succeeded(ctx, u, sid, s, in->device);
}

static void
with_session(struct ctx *ctx)
{
	static const struct field fields[] = {
		{ "session_id", F_SESSION },
		{ "password", F_PASSWORD },
		{ "device", F_DEVICE },
	};
	struct inputs in;
	struct rs_session s;
	struct user u;
	enum store_status st;

	if (!session_request_or_reply(ctx, fields, NFIELDS(fields), &in, STEP_PASSWORD,
	    RS_TAKE_TRY, &s))
		return;
	/* An account deleted since the session began, or moved to another
	 * number, is not this session's: its number's cached state, which
	 * said otherwise, goes. */
	if ((st = pg_user_by_id(ctx->pg, s.user_id, &u)) == STORE_OK && strcmp(u.phone, s.phone) != 0)
		st = STORE_NOT_FOUND;
	if (st == STORE_NOT_FOUND)
		(void)rs_forget_account(ctx->rs, s.phone);
	if (st != STORE_OK)
		unjudged(ctx, s.phone, st, ERR_SESSION_INVALID);
	else
		judge(ctx, &u, s.phone, &in, in.session_id, &s);
}

/*
 * Without a device token the try is taken first, so that a blocked client or
 * number costs PostgreSQL nothing. With one, the account is read first:
 * whether the token is a live one of it is decided in the same Redis call
 * that takes the try. (A test number's block holds on every path: its
 * device tokens are ignored.)
 */
static void
with_number(struct ctx *ctx)
{
	static const struct field fields[] = {
		{ "mobile_number", F_PHONE },
		{ "password", F_PASSWORD },
		{ "device", F_DEVICE },
	};
	struct inputs in;
	struct user u;
	enum store_status st;
	bool device;

	if (!fields_read_or_reply(ctx, fields, NFIELDS(fields), &in))
		return;
	device = in.device_hash[0] != '\0' &&
	    config_test_code(ctx->cfg, in.phone, ctx->now) == NULL;
	if (device) {
		st = pg_user_by_phone(ctx->pg, in.phone, &u);
		if ((st != STORE_NOT_FOUND && !ctx_store_or_reply(ctx, st)) ||
		    !limits_take_try_or_reply(ctx, in.phone, in.device_hash,
		    st == STORE_OK ? u.id : 0))
			return;
	} else {
		if (!limits_take_try_or_reply(ctx, in.phone, NULL, 0))
			return;
		st = pg_user_by_phone(ctx->pg, in.phone, &u);
	}
	if (st != STORE_OK && st != STORE_NOT_FOUND)
		unjudged(ctx, in.phone, st, ERR_INTERNAL);
	else
		judge(ctx, st == STORE_OK ? &u : NULL, in.phone, &in, NULL, NULL);
}

/* Whether a 200 is the mfa step: the password was right, the tokens wait
 * for verify-mfa (phoneauth_mfa_total counts how that ends). */
static bool
asks_second_factor(const struct response *r)
{
	json_object *next;

	return r->body != NULL && json_object_object_get_ex(r->body, "next_step", &next) &&
	    strcmp(json_object_get_string(next), step_name(STEP_MFA)) == 0;
}

void
route_login(struct ctx *ctx)
{
	json_object *sid;

	if (json_object_object_get_ex(ctx->req->body, "session_id", &sid) && sid != NULL)
		with_session(ctx);
	else
		with_number(ctx);
	metrics_login_answer(ctx->resp->status,
	    asks_second_factor(ctx->resp) ? LOGIN_MFA : LOGIN_OK, 401, LOGIN_WRONG_PASSWORD);
}
