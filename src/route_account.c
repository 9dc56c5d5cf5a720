/*
 * The account itself (see route_account.h). A password these routes ask
 * for is judged as a login judges one: a try is taken against the client
 * and the account's number first, a wrong password stays counted (401
 * password_incorrect) at the cost of a whole PBKDF2, a right one is given
 * back. What PostgreSQL changes is followed in Redis: the state register
 * caches for a number and the account index (which numbers have an
 * account) go with the account when it is deleted, and with it to its new
 * number when it moves.
 *
 * login/code answers an unknown number (or one without a verified and
 * complete account, or a banned one) exactly as a known one: the same 200,
 * the same send limits, the same lookups, and a ghost session that counts
 * wrong codes like a real one and that no code fits.
 */
#include "phoneauth/route_account.h"

#include <string.h>

#include <openssl/crypto.h>

#include "phoneauth/bearer.h"
#include "phoneauth/event_record.h"
#include "phoneauth/fields.h"
#include "phoneauth/hasher.h"
#include "phoneauth/limits.h"
#include "phoneauth/log.h"
#include "phoneauth/route_login.h"
#include "phoneauth/route_mfa.h"
#include "phoneauth/route_sessions.h"
#include "phoneauth/session.h"
#include "phoneauth/token_pair.h"


/* The password of the caller's account `u`; false with the answer set. */
static bool
password_or_reply(struct ctx *ctx, const struct user *u, const char *password)
{
	if (!limits_take_try_or_reply(ctx, u->phone, NULL, 0))
		return false;
	if (!login_password_right(ctx, u, password)) {
		limits_note_failure(ctx, u->phone, FAILURE_PASSWORD);
		response_error(ctx->resp, ERR_PASSWORD_INCORRECT, ctx->req->lang);
		return false;
	}
	return limits_give_back_or_reply(ctx, u->phone, false);
}

static void
reply_message(struct ctx *ctx, enum msg m, const char *phone)
{
	json_object *o = response_object(ctx->resp);

	if (phone != NULL)
		response_add_string(ctx->resp, o, "mobile_number", phone);
	response_add_string(ctx->resp, o, "message", msg_text(m, ctx->req->lang));
	response_json(ctx->resp, 200, o);
}

void
route_account_delete(struct ctx *ctx)
{
	static const struct field fields[] = { { "password", F_PASSWORD } };
	struct inputs in;
	struct token t;
	struct user u;
	char phone[PHONE_MAX];
	struct event_record rec;
	enum store_status st;

	if (!bearer_account_or_reply(ctx, &t, &u) ||
	    !fields_read_or_reply(ctx, fields, NFIELDS(fields), &in) ||
	    !password_or_reply(ctx, &u, in.password))
		return;
	ctx->after.rehash_user = 0;	/* nothing left to upgrade */
	event_record_begin(&rec, ctx->req);
	event_record_change(&rec, ctx->req, EVENT_ACCOUNT_DELETED, u.id, u.phone, NULL, NULL, NULL,
	    NULL);
	/* Its tokens and logins go with the row (cascade). */
	st = pg_user_delete(ctx->pg, u.id, false, phone, &rec.pg);
	if (st == STORE_NOT_FOUND) {
		/* banned, or deleted by a request that came first */
		session_account_lost_reply(ctx, u.id, NULL, ERR_TOKEN_INVALID);
		if (ctx->resp->is_error && ctx->resp->error == ERR_TOKEN_INVALID)
			response_header(ctx->resp, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
		return;
	}
	if (!ctx_store_or_reply(ctx, st))
		return;
	log_info("user %lld deleted its account", u.id);
	/* The row is gone, whatever Redis says now: a stale cached state would
	 * send the number's next register to a password step whose login finds
	 * no account (and drops it), and an index that still has the number
	 * only sends its register to PostgreSQL. */
	if (rs_account_gone(ctx->rs, phone) != STORE_OK)
		log_warn("account of user %lld deleted; its number's cached state could not be "
		    "dropped", u.id);
	reply_message(ctx, MSG_ACCOUNT_DELETED, NULL);
}

void
route_phone_change(struct ctx *ctx)
{
	/* The code goes to the new number: sms_countries applies to it. */
	static const struct field fields[] = {
		{ "mobile_number", F_SMS_PHONE },
		{ "password", F_PASSWORD },
	};
	struct inputs in;
	struct token t;
	struct user u, other;
	char sid[SESSION_ID_LEN + 1];
	enum store_status st;

	if (!bearer_account_or_reply(ctx, &t, &u) ||
	    !fields_read_or_reply(ctx, fields, NFIELDS(fields), &in) ||
	    !password_or_reply(ctx, &u, in.password))
		return;
	/* Asked here, and again by the move itself (the unique number): a
	 * number that has an account, this one's included, is taken. Whether
	 * a number has an account is worth knowing to an attacker: asking
	 * counts as a failure, as a taken e-mail does, against the client and
	 * the caller's own number (the account that asks: however many
	 * addresses it asks from, it learns a few numbers a block_duration,
	 * and the numbers asked about are not made a weapon against their
	 * owners). */
	st = strcmp(in.phone, u.phone) == 0 ? STORE_OK : pg_user_by_phone(ctx->pg, in.phone, &other);
	if (st == STORE_OK) {
		if (limits_fail_or_reply(ctx, u.phone, FAILURE_PHONE_TAKEN))
			response_error(ctx->resp, ERR_PHONE_TAKEN, ctx->req->lang);
		return;
	}
	if (st != STORE_NOT_FOUND && !ctx_store_or_reply(ctx, st))
		return;
	/* The session is the new number's: its blocks and send limits apply. */
	if (!session_open_or_reply(ctx, in.phone, STEP_OTP, PURPOSE_CHANGE, &u, CODE_SEND, sid))
		return;
	session_reply_step(ctx, sid, STEP_OTP, MSG_CHANGE_CODE_SENT);
}

void
route_password_change(struct ctx *ctx)
{
	static const struct field fields[] = {
		{ "password", F_PASSWORD },
		{ "new_password", F_PASSWORD },
	};
	struct inputs in;
	struct token t;
	struct user u;
	char encoded[PASSWORD_ENCODED_MAX];
	struct event_record rec;
	enum store_status st;

	/* The new password's rules first: a refused one costs no try. */
	if (!bearer_account_or_reply(ctx, &t, &u) ||
	    !fields_read_or_reply(ctx, fields, NFIELDS(fields), &in) ||
	    !fields_new_password_or_reply(ctx, "new_password", in.new_password, u.phone) ||
	    !password_or_reply(ctx, &u, in.password))
		return;
	ctx->after.rehash_user = 0;	/* the old password is upgraded to nothing */
	if (!hasher_hash(in.new_password, ctx->cfg->pbkdf2_iterations, encoded)) {
		ctx_reply_internal(ctx);
		return;
	}
	event_record_begin(&rec, ctx->req);
	event_record_change(&rec, ctx->req, EVENT_PASSWORD_CHANGED, u.id, u.phone, "via", "change",
	    NULL, NULL);
	event_record_revoked(&rec, ctx->req, u.id, u.phone, "password");
	st = pg_user_change_password(ctx->pg, u.id, u.credentials_version, encoded, t.sid, &rec.pg);
	OPENSSL_cleanse(encoded, sizeof encoded);
	if (st == STORE_NOT_FOUND) {
		/* Banned, deleted, or its password or number changed since it was
		 * read (another change, a reset): nothing is changed. */
		(void)bearer_invalid_reply(ctx);
		return;
	}
	if (!ctx_store_or_reply(ctx, st))
		return;
	log_info("user %lld changed its password; its other logins are ended", u.id);
	reply_message(ctx, MSG_PASSWORD_CHANGED, NULL);
}

/* Who may log in by a code: a verified, active account that is not banned. */
static bool
may_log_in_by_code(const struct user *u)
{
	return u->is_verified && u->is_active && !u->is_banned;
}

void
route_login_code(struct ctx *ctx)
{
	session_owner_code_reply(ctx, PURPOSE_LOGIN, may_log_in_by_code, MSG_LOGIN_CODE_SENT);
}

/* The right code of a login by code: a new login, recorded before the
 * session ends (a failure in between leaves it, and the code can be sent
 * again); only while the account's password and number are those of when
 * the session opened. `device`: the device token the request sent. */
static void
logged_in(struct ctx *ctx, const char *sid, const struct rs_session *s, const char *device)
{
	struct token_pair pair;
	struct login_origin from;
	struct event_record rec;
	enum store_status st;

	/* An account with a second factor gets its tokens from verify-mfa. */
	if (!mfa_session_or_reply(ctx, sid, s, STEP_OTP, RS_GIVE_BACK, NULL) ||
	    !token_pair_issue_or_reply(ctx, s->user_id, &pair))
		return;
	ctx_login_origin(ctx, &from);
	event_record_begin(&rec, ctx->req);
	event_record_change(&rec, ctx->req, EVENT_LOGIN_SUCCEEDED, s->user_id, s->phone, "method",
	    "code", "mfa", NULL);
	st = pg_user_login_by_code(ctx->pg, s->user_id, s->phone, s->credentials_version,
	    &pair.refresh, &from, &rec.pg);
	if (st == STORE_NOT_FOUND)
		session_void_reply(ctx, sid, s, STEP_OTP, s->phone);
	else if (ctx_store_or_reply(ctx, st) &&
	    session_advance_or_reply(ctx, sid, s, STEP_OTP, STEP__MAX, RS_GIVE_BACK_CLEAR_NUMBER,
	    false))
		token_pair_reply(ctx, 200, &pair, device, MSG_LOGGED_IN);
	token_pair_clear(&pair);
}

/* The right code of a phone change: the account takes the session's
 * number, only while its password and number are those of when the change
 * began. */
static void
moved(struct ctx *ctx, const char *sid, const struct rs_session *s)
{
	char old[PHONE_MAX] = "";
	const struct rs_move_args move = { .client = ctx->req->client, .sid = sid, .old = old,
		.phone = s->phone };
	struct rs_result res;
	struct event_record rec;
	enum store_status st;

	/* The number it had only the statement knows: it replaces the "-". */
	event_record_begin(&rec, ctx->req);
	event_record_change(&rec, ctx->req, EVENT_PHONE_CHANGED, s->user_id, s->phone, "old", "-",
	    "new", s->phone);
	st = pg_user_move(ctx->pg, s->user_id, s->phone, s->credentials_version, old, &rec.pg);

	if (st == STORE_CONFLICT) {
		/* Another account took the number since the code was sent. */
		if (session_advance_or_reply(ctx, sid, s, STEP_OTP, STEP__MAX, RS_GIVE_BACK, false))
			response_error(ctx->resp, ERR_PHONE_TAKEN, ctx->req->lang);
		return;
	}
	if (st == STORE_NOT_FOUND) {
		session_void_reply(ctx, sid, s, STEP_OTP, NULL);
		return;
	}
	if (!ctx_store_or_reply(ctx, st))
		return;
	/* The move is made; a 503 here leaves the session waiting for its
	 * code, and sending it again finds the move made. A session that ended
	 * meanwhile (the same code sent twice at once) moved it all the same. */
	st = rs_account_moved(ctx->rs, &move, &res);
	if (!ctx_store_or_reply(ctx, st))
		return;
	if (old[0] != '\0')
		log_info("user %lld moved to a new number", s->user_id);
	reply_message(ctx, MSG_PHONE_CHANGED, s->phone);
}

void
account_code_verified(struct ctx *ctx, const char *sid, const struct rs_session *s,
    const char *device)
{
	if (s->purpose == PURPOSE_CHANGE)
		moved(ctx, sid, s);
	else
		logged_in(ctx, sid, s, device);
}

bool
account_password_or_reply(struct ctx *ctx, const struct user *u, const char *password)
{
	return password_or_reply(ctx, u, password);
}
