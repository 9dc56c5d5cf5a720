/*
 * Second factors (docs/api.md, "Second factors"): TOTP (RFC 6238, totp.c)
 * turned on by a setup and its confirmation, turned off, its recovery codes
 * renewed, and verify-mfa, the step that ends a sign-in of an account with
 * TOTP. Handlers never build SQL or Redis commands and never answer twice.
 *
 * What must hold here:
 *  - a secret is never stored or logged in the clear: sealed (seal.c) under
 *    data_key_file, bound to its account, before it reaches Redis (a
 *    pending setup) or PostgreSQL; recovery codes are stored as hashes;
 *  - a TOTP code is accepted once per account: the step it matched is
 *    remembered in Redis (redis_mfa.c), so a replay is refused on any
 *    worker or host; a recovery code once, removed by the statement that
 *    accepts it;
 *  - every code is judged as a password is: a try taken against the client
 *    and the account's number first, given back only when it was right, so
 *    wrong codes block as wrong passwords do; verify-mfa's session keeps
 *    otp_max_tries tries of its own;
 *  - the tokens of a sign-in that waited for `mfa` come only from here.
 */
#include "phoneauth/route_mfa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "phoneauth/base32.h"
#include "phoneauth/bearer.h"
#include "phoneauth/event_record.h"
#include "phoneauth/fields.h"
#include "phoneauth/limits.h"
#include "phoneauth/log.h"
#include "phoneauth/metrics.h"
#include "phoneauth/pg_passkeys.h"
#include "phoneauth/qr.h"
#include "phoneauth/recovery.h"
#include "phoneauth/redis_mfa.h"
#include "phoneauth/route_account.h"
#include "phoneauth/seal.h"
#include "phoneauth/session.h"
#include "phoneauth/token_pair.h"
#include "phoneauth/totp.h"

/* What a sealed secret is bound to: its purpose and its account. */
static void
secret_binding(long long user_id, char out[40])
{
	snprintf(out, 40, "totp:%lld", user_id);
}

/* Opens the sealed secret of account user_id; false (logged) when it does
 * not open: another key, or a value that is not this account's. */
static bool
secret_open(struct ctx *ctx, long long user_id, const char *sealed,
    unsigned char secret[TOTP_SECRET_LEN])
{
	char binding[40];
	size_t len = 0;

	secret_binding(user_id, binding);
	if (seal_decrypt(&ctx->cfg->data_key, sealed, binding, secret, TOTP_SECRET_LEN, &len) &&
	    len == TOTP_SECRET_LEN)
		return true;
	OPENSSL_cleanse(secret, TOTP_SECRET_LEN);
	log_error("mfa: the TOTP secret of user %lld does not open with data_key_file", user_id);
	return false;
}

/* The stored hash of a recovery code of account user_id. */
static bool
recovery_hash_of(struct ctx *ctx, long long user_id, const char *code,
    unsigned char out[RECOVERY_HASH_LEN])
{
	struct recovery_key key;
	char binding[24];
	bool ok;

	snprintf(binding, sizeof binding, "%lld", user_id);
	ok = recovery_key_derive(ctx->cfg->data_key.bytes, SEAL_KEY_LEN, &key) &&
	    recovery_hash(&key, binding, code, out);
	recovery_key_wipe(&key);
	return ok;
}

enum verdict { RIGHT, WRONG, ANSWERED };

/* A TOTP code against the sealed secret: right once per account. */
static enum verdict
totp_judged(struct ctx *ctx, long long user_id, const char *sealed, const char *code)
{
	unsigned char secret[TOTP_SECRET_LEN];
	int64_t step = 0;
	bool right, accepted = false;
	enum store_status st;

	if (!secret_open(ctx, user_id, sealed, secret)) {
		ctx_reply_internal(ctx);
		return ANSWERED;
	}
	right = totp_verify(secret, code, ctx->now, TOTP_WINDOW, &step);
	OPENSSL_cleanse(secret, sizeof secret);
	if (!right)
		return WRONG;
	st = rs_mfa_accept_step(ctx->rs, user_id, step, &accepted);
	if (!ctx_store_or_reply(ctx, st))
		return ANSWERED;
	return accepted ? RIGHT : WRONG;
}

/* A recovery code of the account: right once (the statement that spends it
 * is the judge when two requests bring it at once). */
static enum verdict
recovery_judged(struct ctx *ctx, long long user_id, const struct pg_mfa *m, const char *code)
{
	unsigned char hash[RECOVERY_HASH_LEN];
	enum store_status st;
	enum verdict v = WRONG;

	if (!recovery_hash_of(ctx, user_id, code, hash)) {
		ctx_reply_internal(ctx);
		return ANSWERED;
	}
	if (recovery_match((const unsigned char (*)[RECOVERY_HASH_LEN])m->codes, m->ncodes,
	    hash) >= 0) {
		st = pg_mfa_use_code(ctx->pg, user_id, hash);
		if (st == STORE_OK)
			v = RIGHT;
		else if (st != STORE_NOT_FOUND && !ctx_store_or_reply(ctx, st))
			v = ANSWERED;
	}
	OPENSSL_cleanse(hash, sizeof hash);
	return v;
}

/* A code of either kind (a recovery code only where `recovery` allows it)
 * for account user_id, whose TOTP is `m` (its secret: the stored or the
 * pending one). */
static enum verdict
judged(struct ctx *ctx, long long user_id, const struct pg_mfa *m, const struct mfa_code *c,
    bool recovery)
{
	if (c->kind == MFA_CODE_TOTP)
		return totp_judged(ctx, user_id, m->secret, c->text);
	if (c->kind == MFA_CODE_RECOVERY && recovery)
		return recovery_judged(ctx, user_id, m, c->text);
	return WRONG;
}

/* A wrong code: it stays counted, as a wrong password does. */
static void
wrong_reply(struct ctx *ctx, long long user_id, const char *phone)
{
	limits_mfa_failed(ctx, phone, user_id);
	metrics_mfa(MFA_WRONG);
	response_error(ctx->resp, ERR_MFA_INVALID, ctx->req->lang);
}

/*
 * The code of the caller's account `u` judged outside a session (the mfa/
 * routes): a try taken against the client and the number first, given back
 * when it was right. False with the answer set.
 */
static bool
code_or_reply(struct ctx *ctx, const struct user *u, const struct pg_mfa *m,
    const struct mfa_code *c, bool recovery)
{
	enum verdict v;

	if (!limits_take_try_or_reply(ctx, u->phone, NULL, 0)) {
		metrics_mfa(ctx->resp->status == 429 ? MFA_BLOCKED : MFA_ERROR);
		return false;
	}
	v = judged(ctx, u->id, m, c, recovery);
	if (v == WRONG)
		wrong_reply(ctx, u->id, u->phone);
	if (v != RIGHT) {
		if (v == ANSWERED)
			metrics_mfa(MFA_ERROR);
		return false;
	}
	metrics_mfa(MFA_OK);
	return limits_give_back_or_reply(ctx, u->phone, false);
}

/* The account's TOTP (*on false: it has none); false with the answer set. */
static bool
mfa_or_reply(struct ctx *ctx, long long user_id, struct pg_mfa *m, bool *on)
{
	enum store_status st = pg_mfa_get(ctx->pg, user_id, m);

	*on = st == STORE_OK;
	return st == STORE_NOT_FOUND || ctx_store_or_reply(ctx, st);
}

/* A fresh set of recovery codes: their display form into `codes`, their
 * hashes into m->codes. False with a 500 set. */
static bool
new_codes_or_reply(struct ctx *ctx, long long user_id,
    char codes[RECOVERY_COUNT][RECOVERY_DISPLAY_LEN + 1], struct pg_mfa *m)
{
	bool ok = recovery_generate(codes);

	for (size_t i = 0; ok && i < RECOVERY_COUNT; i++)
		ok = recovery_hash_of(ctx, user_id, codes[i], m->codes[i]);
	m->ncodes = ok ? RECOVERY_COUNT : 0;
	if (!ok) {
		log_error("mfa: cannot make recovery codes");
		ctx_reply_internal(ctx);
	}
	return ok;
}

/* Answers 200 {recovery_codes, message}. */
static void
codes_reply(struct ctx *ctx, char codes[RECOVERY_COUNT][RECOVERY_DISPLAY_LEN + 1], enum msg msg)
{
	struct response *r = ctx->resp;
	json_object *o = response_object(r), *list = response_array(r);

	for (size_t i = 0; i < RECOVERY_COUNT; i++)
		response_append_string(r, list, codes[i]);
	response_add(r, o, "recovery_codes", list);
	response_add_string(r, o, "message", msg_text(msg, ctx->req->lang));
	response_json(r, 200, o);
}

static void
message_reply(struct ctx *ctx, enum msg msg)
{
	json_object *o = response_object(ctx->resp);

	response_add_string(ctx->resp, o, "message", msg_text(msg, ctx->req->lang));
	response_json(ctx->resp, 200, o);
}

void
route_mfa_totp_setup(struct ctx *ctx)
{
	static const struct field fields[] = { { "password", F_PASSWORD } };
	struct inputs in;
	struct token t;
	struct user u;
	struct pg_mfa m;
	unsigned char secret[TOTP_SECRET_LEN];
	char b32[TOTP_SECRET_B32_LEN + 1], uri[TOTP_URI_MAX], binding[40];
	char sealed[SEAL_TEXT_LEN(TOTP_SECRET_LEN) + 1];
	char *svg = NULL;	/* owner: this function */
	size_t svglen = 0;
	bool on;

	if (!bearer_account_or_reply(ctx, &t, &u) ||
	    !fields_read_or_reply(ctx, fields, NFIELDS(fields), &in) ||
	    !account_password_or_reply(ctx, &u, in.password) ||
	    !mfa_or_reply(ctx, u.id, &m, &on))
		return;
	if (on) {
		response_error(ctx->resp, ERR_MFA_ALREADY_ENABLED, ctx->req->lang);
		return;
	}
	secret_binding(u.id, binding);
	if (!totp_secret_new(secret) || !base32_encode(secret, sizeof secret, b32, sizeof b32) ||
	    !totp_uri(ctx->cfg->sms_app_name, u.phone, secret, uri, sizeof uri) ||
	    !qr_svg(uri, &svg, &svglen) ||
	    !seal_encrypt(&ctx->cfg->data_key, secret, sizeof secret, binding, sealed,
	    sizeof sealed)) {
		log_error("mfa: cannot make a TOTP setup");
		ctx_reply_internal(ctx);
	} else if (ctx_store_or_reply(ctx, rs_mfa_setup_put(ctx->rs, u.id, sealed))) {
		struct response *r = ctx->resp;
		json_object *o = response_object(r);

		response_add_string(r, o, "secret", b32);
		response_add_string(r, o, "otpauth_uri", uri);
		response_add_string(r, o, "qr_svg", svg);
		response_json(r, 200, o);
	}
	OPENSSL_cleanse(secret, sizeof secret);
	OPENSSL_cleanse(b32, sizeof b32);
	OPENSSL_cleanse(uri, sizeof uri);
	if (svg != NULL)
		OPENSSL_cleanse(svg, svglen);
	free(svg);
}

void
route_mfa_totp_confirm(struct ctx *ctx)
{
	static const struct field fields[] = { { "code", F_MFA_CODE } };
	char codes[RECOVERY_COUNT][RECOVERY_DISPLAY_LEN + 1];
	struct inputs in;
	struct token t;
	struct user u;
	struct pg_mfa m, pending;
	struct event_record rec;
	enum store_status st;
	bool on;

	memset(&in, 0, sizeof in);
	memset(&pending, 0, sizeof pending);
	if (!bearer_account_or_reply(ctx, &t, &u) ||
	    !fields_read_or_reply(ctx, fields, NFIELDS(fields), &in) ||
	    !mfa_or_reply(ctx, u.id, &m, &on))
		goto out;
	if (on) {
		response_error(ctx->resp, ERR_MFA_ALREADY_ENABLED, ctx->req->lang);
		goto out;
	}
	st = rs_mfa_setup_get(ctx->rs, u.id, pending.secret, sizeof pending.secret);
	if (!ctx_store_or_reply(ctx, st))
		goto out;
	/* No setup waiting (none made, or expired): no code can be right, and
	 * one sent counts as a wrong one. */
	if (pending.secret[0] == '\0') {
		if (limits_fail_or_reply(ctx, u.phone, FAILURE_MFA))
			response_error(ctx->resp, ERR_MFA_INVALID, ctx->req->lang);
		goto out;
	}
	if (!code_or_reply(ctx, &u, &pending, &in.mfa, false) ||
	    !new_codes_or_reply(ctx, u.id, codes, &m))
		goto out;
	event_record_begin(&rec, ctx->req);
	event_record_change(&rec, ctx->req, EVENT_MFA_ENABLED, u.id, u.phone, NULL, NULL, NULL, NULL);
	st = pg_mfa_enable(ctx->pg, u.id, pending.secret,
	    (const unsigned char (*)[RECOVERY_HASH_LEN])m.codes, m.ncodes, &rec.pg);
	if (st == STORE_CONFLICT) {
		response_error(ctx->resp, ERR_MFA_ALREADY_ENABLED, ctx->req->lang);
	} else if (ctx_store_or_reply(ctx, st)) {
		if (rs_mfa_setup_drop(ctx->rs, u.id) != STORE_OK)
			log_warn("mfa: the setup of user %lld stays until it expires", u.id);
		log_info("user %lld turned TOTP on", u.id);
		codes_reply(ctx, codes, MSG_MFA_ENABLED);
	}
	OPENSSL_cleanse(codes, sizeof codes);
out:
	OPENSSL_cleanse(&pending, sizeof pending);
	mfa_code_wipe(&in.mfa);
}

/*
 * The start of disable and recovery-codes: a live login of the account, its
 * password right, TOTP on and a code given (in `in`, the account's factors
 * in `m`). False when it has answered; a request for an account whose TOTP
 * is off counts as a wrong code: there is nothing a code could be right for.
 */
static bool
totp_on_or_reply(struct ctx *ctx, struct user *u, struct inputs *in, struct pg_mfa *m)
{
	static const struct field fields[] = {
		{ "password", F_PASSWORD },
		{ "code", F_MFA_CODE },
	};
	struct token t;
	bool on = false;

	if (!bearer_account_or_reply(ctx, &t, u) ||
	    !fields_read_or_reply(ctx, fields, NFIELDS(fields), in) ||
	    !account_password_or_reply(ctx, u, in->password) ||
	    !mfa_or_reply(ctx, u->id, m, &on))
		return false;
	if (!on && limits_fail_or_reply(ctx, u->phone, FAILURE_MFA))
		response_error(ctx->resp, ERR_MFA_INVALID, ctx->req->lang);
	return on;
}

void
route_mfa_totp_disable(struct ctx *ctx)
{
	struct inputs in;
	struct user u;
	struct pg_mfa m;
	struct event_record rec;
	enum store_status st;

	memset(&in, 0, sizeof in);
	memset(&m, 0, sizeof m);
	if (!totp_on_or_reply(ctx, &u, &in, &m))
		goto out;
	if (!code_or_reply(ctx, &u, &m, &in.mfa, true))
		goto out;
	event_record_begin(&rec, ctx->req);
	event_record_change(&rec, ctx->req, EVENT_MFA_DISABLED, u.id, u.phone, NULL, NULL, NULL,
	    NULL);
	st = pg_mfa_disable(ctx->pg, u.id, &rec.pg);
	if (st == STORE_NOT_FOUND || ctx_store_or_reply(ctx, st)) {
		log_info("user %lld turned TOTP off", u.id);
		message_reply(ctx, MSG_MFA_DISABLED);
	}
out:
	OPENSSL_cleanse(&m, sizeof m);
	mfa_code_wipe(&in.mfa);
}

void
route_mfa_recovery_codes(struct ctx *ctx)
{
	char codes[RECOVERY_COUNT][RECOVERY_DISPLAY_LEN + 1];
	struct inputs in;
	struct user u;
	struct pg_mfa m;
	struct event_record rec;
	enum store_status st;

	memset(&in, 0, sizeof in);
	memset(&m, 0, sizeof m);
	if (!totp_on_or_reply(ctx, &u, &in, &m))
		goto out;
	/* A TOTP code only: a recovery code cannot renew the set it is of. */
	if (!code_or_reply(ctx, &u, &m, &in.mfa, false) ||
	    !new_codes_or_reply(ctx, u.id, codes, &m))
		goto out;
	event_record_begin(&rec, ctx->req);
	event_record_change(&rec, ctx->req, EVENT_RECOVERY_CODES_RENEWED, u.id, u.phone, NULL, NULL,
	    NULL, NULL);
	st = pg_mfa_set_codes(ctx->pg, u.id, (const unsigned char (*)[RECOVERY_HASH_LEN])m.codes,
	    m.ncodes, &rec.pg);
	if (st == STORE_NOT_FOUND) {
		/* turned off meanwhile */
		response_error(ctx->resp, ERR_MFA_INVALID, ctx->req->lang);
	} else if (ctx_store_or_reply(ctx, st)) {
		log_info("user %lld renewed its recovery codes", u.id);
		codes_reply(ctx, codes, MSG_RECOVERY_CODES_RENEWED);
	}
	OPENSSL_cleanse(codes, sizeof codes);
out:
	OPENSSL_cleanse(&m, sizeof m);
	mfa_code_wipe(&in.mfa);
}

/*
 * The end of a sign-in whose second factor was right: what its first step
 * would have done. A reset sets the new password it held (revoking every
 * earlier login), a login by code completes only while the account's
 * credentials are those of when it began; then the session ends and its
 * try goes back with the number's failures.
 */
static void
signed_in(struct ctx *ctx, const char *sid, const struct rs_session *s, const char *device,
    const char *factor)
{
	char held[PASSWORD_ENCODED_MAX] = "";
	struct token_pair pair;
	struct login_origin from;
	struct event_record rec;
	enum store_status st;
	enum msg msg = MSG_LOGGED_IN;

	if (s->purpose == PURPOSE_RESET) {
		st = rs_mfa_held(ctx->rs, sid, held, sizeof held);
		if (!ctx_store_or_reply(ctx, st))
			return;
		if (held[0] == '\0') {
			log_error("verify-mfa: a reset session holds no password");
			ctx_reply_internal(ctx);
			return;
		}
	}
	if (!token_pair_issue_or_reply(ctx, s->user_id, &pair))
		goto out;
	ctx_login_origin(ctx, &from);
	event_record_begin(&rec, ctx->req);
	if (s->purpose == PURPOSE_RESET) {
		event_record_change(&rec, ctx->req, EVENT_PASSWORD_CHANGED, s->user_id, s->phone,
		    "via", "reset", NULL, NULL);
		event_record_revoked(&rec, ctx->req, s->user_id, s->phone, "password");
		st = pg_user_reset_password(ctx->pg, s->user_id, s->phone, s->credentials_version,
		    held, &pair.refresh, &from, &rec.pg);
		msg = MSG_PASSWORD_CHANGED;
	} else if (s->by_code) {
		event_record_change(&rec, ctx->req, EVENT_LOGIN_SUCCEEDED, s->user_id, s->phone,
		    "method", "code", "mfa", factor);
		st = pg_user_login_by_code(ctx->pg, s->user_id, s->phone, s->credentials_version,
		    &pair.refresh, &from, &rec.pg);
	} else {
		event_record_change(&rec, ctx->req, EVENT_LOGIN_SUCCEEDED, s->user_id, s->phone,
		    "method", "password", "mfa", factor);
		st = pg_user_login(ctx->pg, s->user_id, s->phone, &pair.refresh, &from, &rec.pg);
	}
	if (st == STORE_NOT_FOUND)
		session_void_reply(ctx, sid, s, STEP_MFA, s->phone);
	else if (ctx_store_or_reply(ctx, st) &&
	    session_advance_or_reply(ctx, sid, s, STEP_MFA, STEP__MAX, RS_GIVE_BACK_CLEAR_NUMBER,
	    s->purpose == PURPOSE_RESET))
		token_pair_reply(ctx, 200, &pair, s->purpose == PURPOSE_RESET ? NULL : device, msg);
	token_pair_clear(&pair);
out:
	OPENSSL_cleanse(held, sizeof held);
}

void
route_verify_mfa(struct ctx *ctx)
{
	static const struct field fields[] = {
		{ "session_id", F_SESSION },
		{ "code", F_MFA_CODE },
		{ "device", F_DEVICE },
	};
	struct inputs in;
	struct rs_session s;
	struct user u;
	struct pg_mfa m;
	enum store_status st;
	enum verdict v;
	bool on = false, ended;

	memset(&in, 0, sizeof in);
	memset(&m, 0, sizeof m);
	if (!session_request_or_reply(ctx, fields, NFIELDS(fields), &in, STEP_MFA, RS_TAKE_TRY,
	    &s)) {
		if (ctx->resp->status == 429)
			metrics_mfa(MFA_BLOCKED);
		goto out;
	}
	/* The session's account, still with its number, not banned, and
	 * still with TOTP (an administrator's mfa-reset voids the session:
	 * the next sign-in needs no second factor). */
	st = pg_user_by_id(ctx->pg, s.user_id, &u);
	if (st == STORE_OK && (strcmp(u.phone, s.phone) != 0 || u.is_banned))
		st = STORE_NOT_FOUND;
	if (st == STORE_OK && !mfa_or_reply(ctx, u.id, &m, &on))
		goto out;
	if (st == STORE_NOT_FOUND || (st == STORE_OK && !on)) {
		session_void_reply(ctx, in.session_id, &s, STEP_MFA, s.phone);
		goto out;
	}
	if (!ctx_store_or_reply(ctx, st))
		goto out;
	v = judged(ctx, u.id, &m, &in.mfa, true);
	if (v == ANSWERED) {
		metrics_mfa(MFA_ERROR);
	} else if (v == WRONG) {
		/* The try stays counted; the session's own tries run out too. */
		if (rs_mfa_miss(ctx->rs, in.session_id, &ended) != STORE_OK)
			log_warn("verify-mfa: a wrong code's try of the session was not counted");
		wrong_reply(ctx, s.user_id, s.phone);
	} else {
		metrics_mfa(MFA_OK);
		signed_in(ctx, in.session_id, &s, in.device,
		    in.mfa.kind == MFA_CODE_RECOVERY ? "recovery_code" : "totp");
	}
out:
	OPENSSL_cleanse(&m, sizeof m);
	mfa_code_wipe(&in.mfa);
}

bool
mfa_needed_or_reply(struct ctx *ctx, long long user_id, bool *needed, int *recovery_left)
{
	struct pg_mfa m;
	bool ok = mfa_or_reply(ctx, user_id, &m, needed);

	*recovery_left = *needed ? (int)m.ncodes : 0;
	OPENSSL_cleanse(&m, sizeof m);
	return ok;
}

/* How many passkeys account user_id has (0 while passkeys are off); false
 * with the answer set. */
static bool
passkeys_or_reply(struct ctx *ctx, long long user_id, int *n)
{
	*n = 0;
	return ctx->cfg->passkey_rp_id == NULL ||
	    ctx_store_or_reply(ctx, pg_passkeys_count(ctx->pg, user_id, n));
}

void
mfa_step_reply(struct ctx *ctx, const char *sid, int recovery_left, bool passkey)
{
	struct response *r = ctx->resp;
	json_object *o = response_object(r), *methods = response_array(r);

	response_append_string(r, methods, "totp");
	if (recovery_left > 0)
		response_append_string(r, methods, "recovery_code");
	if (passkey)
		response_append_string(r, methods, "passkey");
	response_add_string(r, o, "session_id", sid);
	response_add_string(r, o, "next_step", step_name(STEP_MFA));
	response_add(r, o, "methods", methods);
	response_add_string(r, o, "message", msg_text(MSG_MFA_REQUIRED, ctx->req->lang));
	response_json(r, 200, o);
}

bool
mfa_summary_or_reply(struct ctx *ctx, long long user_id, json_object *o)
{
	struct response *r = ctx->resp;
	json_object *summary;
	bool on;
	int left, passkeys;

	if (!mfa_needed_or_reply(ctx, user_id, &on, &left) ||
	    !passkeys_or_reply(ctx, user_id, &passkeys))
		return false;
	summary = response_object(r);
	response_add_bool(r, summary, "totp", on);
	response_add_int(r, summary, "passkeys", passkeys);
	response_add_int(r, summary, "recovery_codes_left", left);
	response_add(r, o, "mfa", summary);
	return true;
}

bool
mfa_session_or_reply(struct ctx *ctx, const char *sid, const struct rs_session *s, enum step at,
    enum rs_give_back back, const char *encoded)
{
	enum store_status st;
	bool needed;
	int left, passkeys;

	if (!mfa_needed_or_reply(ctx, s->user_id, &needed, &left))
		return false;
	if (!needed)
		return true;
	if (!passkeys_or_reply(ctx, s->user_id, &passkeys))
		return false;
	if (encoded != NULL && (st = rs_mfa_hold(ctx->rs, sid, encoded)) != STORE_OK) {
		if (st == STORE_NOT_FOUND)	/* it ended meanwhile */
			response_error(ctx->resp, ERR_SESSION_INVALID, ctx->req->lang);
		else
			(void)ctx_store_or_reply(ctx, st);
		return false;
	}
	if (session_advance_or_reply(ctx, sid, s, at, STEP_MFA, back, false))
		mfa_step_reply(ctx, sid, left, passkeys > 0);
	return false;
}

bool
mfa_login_or_reply(struct ctx *ctx, const struct user *u)
{
	char sid[SESSION_ID_LEN + 1];
	bool needed;
	int left, passkeys;

	if (!mfa_needed_or_reply(ctx, u->id, &needed, &left))
		return false;
	if (!needed)
		return true;
	if (!passkeys_or_reply(ctx, u->id, &passkeys)) {
		(void)limits_give_back_or_reply(ctx, u->phone, false);
		return false;
	}
	if (limits_give_back_or_reply(ctx, u->phone, false) &&
	    session_open_or_reply(ctx, u->phone, STEP_MFA, PURPOSE_LOGIN, u, CODE_NONE, sid))
		mfa_step_reply(ctx, sid, left, passkeys > 0);
	return false;
}
