/*
 * The registration, login and password-reset flow. Handlers never build SQL
 * or Redis commands and never answer twice: every *_or_reply helper they call
 * has already set the answer when it returns false.
 *
 * Order matters for safety in three places:
 *  - a try is taken (session_load_or_reply with RS_TAKE_*, rs_gate with take)
 *    before a password or code is judged, and given back only on success,
 *    so parallel guesses never get more than max_failed_attempts judged;
 *  - a step's database write happens before the session moves on, so a
 *    failure in between leaves the session where it was and the step can
 *    simply be sent again;
 *  - tokens are signed first and their refresh token is recorded by the same
 *    statement that makes the change they stand for.
 */
#include "phoneauth/flow.h"

#include <string.h>

#include <openssl/crypto.h>

#include "phoneauth/fields.h"
#include "phoneauth/hasher.h"
#include "phoneauth/log.h"
#include "phoneauth/session.h"
#include "phoneauth/tokens.h"

#define NFIELDS(a) (sizeof (a) / sizeof (a)[0])

/* Every this many tokens a worker also sweeps long-expired refresh tokens. */
#define SWEEP_EVERY 1000

static void
reply_step(struct ctx *ctx, const char *sid, enum step next, enum msg m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "session_id", json_object_new_string(sid));
	json_object_object_add(o, "next_step", json_object_new_string(session_step_name(next)));
	json_object_object_add(o, "message", json_object_new_string(msg_text(m, ctx->req->lang)));
	response_json(ctx->resp, 200, o);
}

/* Answers `status` {tokens, message}; the pair's refresh token is recorded. */
static void
reply_tokens(struct ctx *ctx, int status, struct token_pair *pair, enum msg m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "tokens", tokens_object(ctx, pair));
	json_object_object_add(o, "message", json_object_new_string(msg_text(m, ctx->req->lang)));
	response_json(ctx->resp, status, o);
	if (++ctx->tokens_issued % SWEEP_EVERY == 0)
		ctx->after.sweep = true;
}

void
flow_register(struct ctx *ctx)
{
	static const struct field fields[] = { { "mobile_number", F_PHONE } };
	struct inputs in;
	struct user u;
	enum pg_status st;
	char sid[SESSION_ID_LEN + 1], state[64];
	enum step next;
	bool not_cached;

	if (!fields_read_or_reply(ctx, fields, NFIELDS(fields), &in))
		return;
	/* Most registers are of numbers whose state Redis has cached: one round
	 * trip. Otherwise the state is read from PostgreSQL ("0|0|0|0" for a
	 * number without an account: it gets its row only once it proves its
	 * phone, so a register writes nothing there), and Redis is asked again. */
	if (!session_register_or_reply(ctx, in.phone, NULL, sid, &next, &not_cached)) {
		if (!not_cached)
			return;
		st = pg_user_by_phone(ctx->pg, in.phone, &u);
		if (st == PG_NOT_FOUND)
			memset(&u, 0, sizeof u);
		else if (ctx_reply_pg_failure(ctx, st))
			return;
		snprintf(state, sizeof state, "%lld|%d|%d|%d", u.id, u.has_password, u.is_verified,
		    u.is_banned);
		if (!session_register_or_reply(ctx, in.phone, state, sid, &next, &not_cached))
			return;
	}
	/* Only a number with a password skips the code; one that proved itself
	 * once but never set a password proves itself again. */
	reply_step(ctx, sid, next, next == STEP_OTP ? MSG_CODE_SENT : MSG_ENTER_PASSWORD);
}

void
flow_password_reset(struct ctx *ctx)
{
	static const struct field fields[] = { { "mobile_number", F_PHONE } };
	struct inputs in;
	struct user u;
	enum pg_status st;
	char sid[SESSION_ID_LEN + 1];
	bool real;

	if (!fields_read_or_reply(ctx, fields, NFIELDS(fields), &in))
		return;
	st = pg_user_by_phone(ctx->pg, in.phone, &u);
	if (st != PG_NOT_FOUND && ctx_reply_pg_failure(ctx, st))
		return;
	/* Whoever asks gets the same answer, limits and timing; only an account
	 * with a password gets a code. A ghost session accepts no code at all. */
	real = st == PG_OK && u.has_password && !u.is_banned;
	if (!session_open_or_reply(ctx, in.phone, STEP_OTP, PURPOSE_RESET, real ? u.id : 0,
	    real ? CODE_SEND : CODE_GHOST, sid))
		return;
	reply_step(ctx, sid, STEP_OTP, MSG_RESET_CODE_SENT);
}

void
flow_verify_otp(struct ctx *ctx)
{
	static const struct field fields[] = {
		{ "session_id", F_SESSION },
		{ "code", F_CODE },
	};
	struct inputs in;
	struct rs_session s;
	unsigned char digest[OTP_DIGEST_LEN];
	long long user_id;
	enum pg_status st;
	bool right;

	if (!fields_read_or_reply(ctx, fields, NFIELDS(fields), &in))
		return;
	if (!session_load_or_reply(ctx, in.session_id, STEP_OTP, RS_TAKE_CODE_TRY, &s))
		return;
	/* Only a register session may make an account's row (a reset ghost has
	 * no account, and a digest no code fits). */
	right = s.has_digest && (s.user_id != 0 || session_purpose(s.purpose) == PURPOSE_REGISTER) &&
	    otp_digest(ctx->otp_key, in.session_id, in.code, digest) &&
	    otp_digest_equal(digest, s.digest);
	OPENSSL_cleanse(in.code, sizeof in.code);
	if (!right) {
		ctx_note_failure(ctx, s.phone, FAILURE_CODE);
		response_error(ctx->resp, ERR_OTP_INVALID, ctx->req->lang);
		return;
	}
	/* The phone is proved: a number without an account gets its row now. */
	st = pg_user_verify(ctx->pg, s.phone, s.user_id, &user_id);
	if (st == PG_NOT_FOUND) {
		log_warn("verify-otp: user %lld of a live session is gone", s.user_id);
		response_error(ctx->resp, ERR_SESSION_INVALID, ctx->req->lang);
		return;
	}
	if (ctx_reply_pg_failure(ctx, st))
		return;
	s.user_id = user_id;
	if (!session_advance_or_reply(ctx, in.session_id, &s, STEP_OTP, STEP_SET_PASSWORD,
	    RS_GIVE_BACK, true))
		return;
	reply_step(ctx, in.session_id, STEP_SET_PASSWORD, MSG_CODE_VERIFIED);
}

void
flow_resend_otp(struct ctx *ctx)
{
	static const struct field fields[] = { { "session_id", F_SESSION } };
	struct inputs in;

	if (!fields_read_or_reply(ctx, fields, NFIELDS(fields), &in))
		return;
	if (!session_resend_or_reply(ctx, in.session_id))
		return;
	reply_step(ctx, in.session_id, STEP_OTP, MSG_CODE_SENT);
}

static enum msg
policy_msg(enum password_problem p)
{
	switch (p) {
	case PASSWORD_TOO_SHORT:
		return MSG_PASSWORD_TOO_SHORT;
	case PASSWORD_TOO_LONG:
		return MSG_PASSWORD_TOO_LONG;
	case PASSWORD_ALL_DIGITS:
		return MSG_PASSWORD_ALL_DIGITS;
	default:
		return MSG_PASSWORD_HAS_NUMBER;
	}
}

/* The end of a reset: a new password, every old login revoked, a new one. */
static void
finish_reset(struct ctx *ctx, const char *sid, const struct rs_session *s, const char *encoded)
{
	struct token_pair pair;
	enum pg_status st;

	if (!tokens_issue_or_reply(ctx, s->user_id, &pair))
		return;
	st = pg_user_reset_password(ctx->pg, s->user_id, encoded, &pair.refresh);
	if (st == PG_NOT_FOUND)
		response_error(ctx->resp, ERR_USER_BANNED, ctx->req->lang);
	else if (!ctx_reply_pg_failure(ctx, st) &&
	    session_advance_or_reply(ctx, sid, s, STEP_SET_PASSWORD, STEP__MAX, RS_KEEP, true))
		reply_tokens(ctx, 200, &pair, MSG_PASSWORD_CHANGED);
	tokens_clear(&pair);
}

void
flow_set_password(struct ctx *ctx)
{
	static const struct field fields[] = {
		{ "session_id", F_SESSION },
		{ "password", F_PASSWORD },
	};
	struct inputs in;
	struct rs_session s;
	struct user u;
	enum password_problem problem;
	char encoded[PASSWORD_ENCODED_MAX];
	enum pg_status st;

	if (!fields_read_or_reply(ctx, fields, NFIELDS(fields), &in))
		return;
	if (!session_load_or_reply(ctx, in.session_id, STEP_SET_PASSWORD, RS_LOOK, &s))
		return;
	if ((problem = password_check_policy(in.password, s.phone)) != PASSWORD_OK) {
		response_field_error(ctx->resp, "password", policy_msg(problem), ctx->req->lang);
		response_validation_failed(ctx->resp, ctx->req->lang);
		return;
	}
	if (!hasher_hash(in.password, ctx->cfg->pbkdf2_iterations, encoded)) {
		ctx_reply_internal(ctx);
		return;
	}
	if (session_purpose(s.purpose) == PURPOSE_RESET) {
		finish_reset(ctx, in.session_id, &s, encoded);
		OPENSSL_cleanse(encoded, sizeof encoded);
		return;
	}
	st = pg_user_set_password(ctx->pg, s.user_id, encoded, &u);
	OPENSSL_cleanse(encoded, sizeof encoded);
	if (st == PG_NOT_FOUND) {
		log_warn("set-password: user %lld of a live session is gone", s.user_id);
		response_error(ctx->resp, ERR_SESSION_INVALID, ctx->req->lang);
		return;
	}
	if (ctx_reply_pg_failure(ctx, st))
		return;
	if (u.is_banned) {
		response_error(ctx->resp, ERR_USER_BANNED, ctx->req->lang);
		return;
	}
	if (!session_advance_or_reply(ctx, in.session_id, &s, STEP_SET_PASSWORD, STEP_USER_INFO,
	    RS_KEEP, true))
		return;
	reply_step(ctx, in.session_id, STEP_USER_INFO, MSG_PASSWORD_SET);
}

void
flow_user_info(struct ctx *ctx)
{
	static const struct field fields[] = {
		{ "session_id", F_SESSION },
		{ "first_name", F_FIRST_NAME },
		{ "last_name", F_LAST_NAME },
		{ "email", F_EMAIL },
	};
	struct inputs in;
	struct rs_session s;
	struct rs_result res;
	struct token_pair pair;
	enum pg_status st;

	if (!fields_read_or_reply(ctx, fields, NFIELDS(fields), &in))
		return;
	if (!session_load_or_reply(ctx, in.session_id, STEP_USER_INFO, RS_LOOK, &s))
		return;
	if (!tokens_issue_or_reply(ctx, s.user_id, &pair))
		return;
	st = pg_user_complete(ctx->pg, s.user_id, in.first_name, in.last_name,
	    in.email[0] ? in.email : NULL, &pair.refresh);
	if (st == PG_CONFLICT) {
		/* Whether an address is taken is worth knowing to an attacker:
		 * asking counts as a failure, like a wrong password. */
		rs_gate(ctx->rs, ctx->req->client, s.phone, true, &res);
		ctx->gated = res.outcome != RS_UNAVAILABLE;
		ctx_note_failure(ctx, s.phone, FAILURE_EMAIL);
		response_field_error(ctx->resp, "email", MSG_EMAIL_TAKEN, ctx->req->lang);
		response_validation_failed(ctx->resp, ctx->req->lang);
	} else if (st == PG_NOT_FOUND) {
		response_error(ctx->resp, ERR_USER_BANNED, ctx->req->lang);
	} else if (!ctx_reply_pg_failure(ctx, st) &&
	    session_advance_or_reply(ctx, in.session_id, &s, STEP_USER_INFO, STEP__MAX, RS_KEEP,
	    false)) {
		reply_tokens(ctx, 201, &pair, MSG_SIGNED_UP);
	}
	tokens_clear(&pair);
}

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

/* Gives back the tries a login took, when it ends without judging them. */
static void
give_back_tries(struct ctx *ctx, const char *phone)
{
	struct rs_result res;

	rs_release(ctx->rs, ctx->req->client, phone, false, &res);
}

/*
 * The end of a login whose password was right: tokens for a complete
 * account, or a session waiting for the profile. `sid` is the login session
 * (session form) or NULL (number form). Tries are given back and the
 * number's failures forgotten.
 */
static void
login_succeeded(struct ctx *ctx, const struct user *u, const char *password, long iterations,
    const char *sid, const struct rs_session *s)
{
	char new_sid[SESSION_ID_LEN + 1];
	struct token_pair pair;
	struct rs_result res;
	enum pg_status st;

	if (sid != NULL) {
		if (!session_advance_or_reply(ctx, sid, s, STEP_PASSWORD,
		    u->is_active ? STEP__MAX : STEP_USER_INFO, RS_GIVE_BACK_CLEAR_NUMBER, false))
			return;
	} else {
		rs_release(ctx->rs, ctx->req->client, u->phone, true, &res);
		if (res.outcome == RS_UNAVAILABLE) {
			ctx_reply_unavailable(ctx);
			return;
		}
	}
	if (iterations < ctx->cfg->pbkdf2_iterations &&
	    strlen(password) < sizeof ctx->after.password) {
		ctx->after.rehash_user = u->id;
		memcpy(ctx->after.password, password, strlen(password) + 1);
	}
	if (!u->is_active) {
		if (sid == NULL && !session_open_or_reply(ctx, u->phone, STEP_USER_INFO,
		    PURPOSE_LOGIN, u->id, CODE_NONE, new_sid))
			return;
		reply_step(ctx, sid ? sid : new_sid, STEP_USER_INFO, MSG_COMPLETE_PROFILE);
		return;
	}
	if (!tokens_issue_or_reply(ctx, u->id, &pair))
		return;
	st = pg_user_login(ctx->pg, u->id, &pair.refresh);
	if (st == PG_NOT_FOUND)
		response_error(ctx->resp, ERR_USER_BANNED, ctx->req->lang);
	else if (!ctx_reply_pg_failure(ctx, st))
		reply_tokens(ctx, 200, &pair, MSG_LOGGED_IN);
	tokens_clear(&pair);
}

static void
login_with_session(struct ctx *ctx)
{
	static const struct field fields[] = {
		{ "session_id", F_SESSION },
		{ "password", F_PASSWORD },
	};
	struct inputs in;
	struct rs_session s;
	struct user u;
	enum pg_status st;
	long iterations;

	if (!fields_read_or_reply(ctx, fields, NFIELDS(fields), &in))
		return;
	if (!session_load_or_reply(ctx, in.session_id, STEP_PASSWORD, RS_TAKE_TRY, &s))
		return;
	if ((st = pg_user_by_id(ctx->pg, s.user_id, &u)) != PG_OK) {
		give_back_tries(ctx, s.phone);
		if (st == PG_NOT_FOUND)
			response_error(ctx->resp, ERR_SESSION_INVALID, ctx->req->lang);
		else
			ctx_reply_pg_failure(ctx, st);
		return;
	}
	if (u.is_banned) {
		give_back_tries(ctx, s.phone);
		response_error(ctx->resp, ERR_USER_BANNED, ctx->req->lang);
		return;
	}
	if (!password_matches(ctx, in.password, u.password, &iterations)) {
		ctx_note_failure(ctx, s.phone, FAILURE_PASSWORD);
		response_error(ctx->resp, ERR_PASSWORD_INCORRECT, ctx->req->lang);
		return;
	}
	login_succeeded(ctx, &u, in.password, iterations, in.session_id, &s);
}

static void
login_with_number(struct ctx *ctx)
{
	static const struct field fields[] = {
		{ "mobile_number", F_PHONE },
		{ "password", F_PASSWORD },
	};
	struct inputs in;
	struct user u;
	struct rs_result res;
	enum pg_status st;
	long iterations = 0;
	bool right;

	if (!fields_read_or_reply(ctx, fields, NFIELDS(fields), &in))
		return;
	rs_gate(ctx->rs, ctx->req->client, in.phone, true, &res);
	ctx->gated = res.outcome != RS_UNAVAILABLE;
	if (res.outcome == RS_UNAVAILABLE) {
		ctx_reply_unavailable(ctx);
		return;
	}
	if (res.outcome == RS_BLOCKED) {
		ctx_reply_blocked(ctx, res.retry_ms);
		return;
	}
	st = pg_user_by_phone(ctx->pg, in.phone, &u);
	if (st != PG_OK && st != PG_NOT_FOUND) {
		give_back_tries(ctx, in.phone);
		ctx_reply_pg_failure(ctx, st);
		return;
	}
	if (st == PG_OK && u.is_banned) {
		give_back_tries(ctx, in.phone);
		response_error(ctx->resp, ERR_USER_BANNED, ctx->req->lang);
		return;
	}
	if (st == PG_OK && u.has_password) {
		right = password_matches(ctx, in.password, u.password, &iterations);
	} else {
		/* No account, or none with a password: spend the same time, so the
		 * answer's timing does not tell who has an account. */
		hasher_burn(in.password, ctx->cfg->pbkdf2_iterations);
		right = false;
	}
	if (!right) {
		ctx_note_failure(ctx, in.phone, FAILURE_PASSWORD);
		response_error(ctx->resp, ERR_PASSWORD_INCORRECT, ctx->req->lang);
		return;
	}
	login_succeeded(ctx, &u, in.password, iterations, NULL, NULL);
}

void
flow_login(struct ctx *ctx)
{
	json_object *sid;

	/* Two forms: a session waiting for `password`, or the number itself. */
	if (json_object_object_get_ex(ctx->req->body, "session_id", &sid) && sid != NULL)
		login_with_session(ctx);
	else
		login_with_number(ctx);
}

void
flow_health(struct ctx *ctx)
{
	bool redis_ok = rs_ping(ctx->rs);
	bool pg_ok = pg_ping(ctx->pg);
	struct outbox_status outbox;
	json_object *o;

	if (redis_ok && pg_ok) {
		o = json_object_new_object();
		json_object_object_add(o, "status", json_object_new_string("ok"));
		response_json(ctx->resp, 200, o);
	} else {
		response_error(ctx->resp, ERR_SERVICE_UNAVAILABLE, ctx->req->lang);
		o = ctx->resp->body;
		json_object_object_add(o, "status", json_object_new_string("unavailable"));
	}
	json_object_object_add(o, "redis", json_object_new_string(redis_ok ? "ok" : "unavailable"));
	json_object_object_add(o, "postgres", json_object_new_string(pg_ok ? "ok" : "unavailable"));
	/* Codes waiting for the sender: a growing number means none is running. */
	if (redis_ok && rs_outbox_status(ctx->rs, &outbox))
		json_object_object_add(o, "sms_backlog", json_object_new_int64(outbox.unread + outbox.pending));
}
