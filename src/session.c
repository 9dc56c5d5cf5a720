/*
 * Sessions over Redis (the scripts in src/lua/ do the storing), and the
 * translation of every session verdict into the contract's answer, made
 * once here so that each handler reads as its happy path. The limit
 * verdicts (blocked, rate limited) are limits.c's.
 */
#include "phoneauth/session.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <uuid/uuid.h>

#include "phoneauth/limits.h"
#include "phoneauth/log.h"
#include "phoneauth/otp.h"
#include "phoneauth/random.h"
#include "phoneauth/sms_text.h"

void
session_new_id(char out[SESSION_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uuid_t u;
	char *o = out;

	/* A version 4 UUID from OpenSSL's CSPRNG (the session id is a bearer
	 * secret), in libuuid's lower-case form (written here: its printf
	 * showed in the profile of register). */
	if (!random_bytes(u, sizeof u)) {
		uuid_generate_random(u);	/* getrandom(2) underneath */
	} else {
		u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
		u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	}
	for (size_t i = 0; i < sizeof u; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[u[i] >> 4];
		*o++ = hex[u[i] & 15];
	}
	*o = '\0';
}

bool
session_id_wellformed(const char *s)
{
	uuid_t u;

	return strlen(s) == SESSION_ID_LEN && uuid_parse(s, u) == 0;
}

/* The answer to a script's run: the limits first, then the session's own
 * verdicts. True only for RS_OK. */
static bool
verdict_or_reply(struct ctx *ctx, enum store_status st, const struct rs_result *res)
{
	if (!limits_verdict_or_reply(ctx, st, res))
		return false;
	switch (res->verdict) {
	case RS_OK:
		return true;
	case RS_NO_SESSION:
		limits_note_failure(ctx, NULL, FAILURE_SESSION);
		response_error(ctx->resp, ERR_SESSION_INVALID, ctx->req->lang);
		return false;
	case RS_WRONG_STEP:
		if (res->step == STEP__MAX)	/* it ended meanwhile */
			response_error(ctx->resp, ERR_SESSION_INVALID, ctx->req->lang);
		else
			response_wrong_step(ctx->resp, ctx->req->lang, step_name(res->step));
		return false;
	case RS_CODE_VOID:
		response_error(ctx->resp, ERR_OTP_INVALID, ctx->req->lang);
		return false;
	case RS_BANNED:
		response_error(ctx->resp, ERR_USER_BANNED, ctx->req->lang);
		return false;
	default:
		log_error("session: verdict %s where none was expected", rs_verdict_names[res->verdict]);
		ctx_reply_internal(ctx);
		return false;
	}
}

/* A code in the making, as the scripts take it (redis_store.h's rs_code). */
struct new_code {
	char digits[OTP_DIGITS + 1];
	unsigned char digest[OTP_DIGEST_LEN];
	char texts[PURPOSE__MAX][SMS_TEXT_MAX];
	struct rs_code rs;
};

/*
 * The code of session `sid` to `phone`: a fresh one, or a test number's
 * fixed one, with the SMS text for each purpose of the mask `purposes`; or
 * for a ghost a digest of no code at all (it takes tries, counts failures
 * and runs out exactly like a real code, and nothing fits it). False with a
 * 500 set. The caller wipes it (code_wipe).
 */
static bool
code_or_reply(struct ctx *ctx, const char *sid, const char *phone, bool ghost, unsigned purposes,
    struct new_code *c)
{
	const char *fixed = ghost ? NULL : config_test_code(ctx->cfg, phone, ctx->now);

	memset(&c->rs, 0, sizeof c->rs);
	c->rs.lang = ctx->req->lang;
	c->rs.digest = c->digest;
	c->rs.code = c->digits;
	c->rs.kind = ghost ? RS_CODE_GHOST : fixed ? RS_CODE_TEST : RS_CODE_SEND;
	if (ghost) {
		c->digits[0] = '\0';
		if (random_bytes(c->digest, sizeof c->digest))
			return true;
	} else if (fixed != NULL ? (memcpy(c->digits, fixed, OTP_DIGITS + 1), true)
	    : otp_generate(c->digits)) {
		bool ok = otp_digest(ctx->otp_key, sid, c->digits, c->digest);

		for (int p = 0; ok && p < PURPOSE__MAX; p++)
			if (purposes & (1u << p)) {
				ok = sms_text_render(ctx->texts, ctx->cfg, (enum purpose)p,
				    ctx->req->lang, c->digits, c->texts[p], sizeof c->texts[p]);
				c->rs.texts[p] = c->texts[p];
			}
		if (ok)
			return true;
	}
	log_error("otp: cannot make a code");
	ctx_reply_internal(ctx);
	return false;
}

static void
code_wipe(struct new_code *c)
{
	OPENSSL_cleanse(c, sizeof *c);
}

#define ONE(p) (1u << (p))
#define ALL_PURPOSES ((1u << PURPOSE__MAX) - 1)

/* A session id that has not even the form of one: as unknown as a session
 * gets, and a failure of the client like one. */
static bool
malformed_id_reply(struct ctx *ctx)
{
	if (limits_fail_or_reply(ctx, NULL, FAILURE_SESSION))
		response_error(ctx->resp, ERR_SESSION_INVALID, ctx->req->lang);
	return false;
}

/* Opens session `sid` as `o` says (its client, sid, owner and code are
 * filled in here), with a code of `mode`. */
static bool
open_or_reply(struct ctx *ctx, struct rs_open_args *o, enum code_mode mode,
    char sid[SESSION_ID_LEN + 1])
{
	struct new_code c;
	struct rs_result res;
	enum store_status st;
	bool ok;

	session_new_id(sid);
	if (mode != CODE_NONE &&
	    !code_or_reply(ctx, sid, o->phone, mode == CODE_GHOST, ONE(o->purpose), &c))
		return false;
	o->client = ctx->req->client;
	o->sid = sid;
	/* The owner of a number may always prove the phone: a block of the
	 * number does not stop a reset or a login by code (the right code
	 * lifts it). */
	o->owner = o->purpose == PURPOSE_RESET || o->by_code;
	o->code = mode == CODE_NONE ? NULL : &c.rs;
	st = rs_open(ctx->rs, o, &res);
	ok = verdict_or_reply(ctx, st, &res);
	code_wipe(&c);
	return ok;
}

bool
session_open_or_reply(struct ctx *ctx, const char *phone, enum step step, enum purpose purpose,
    const struct user *u, enum code_mode mode, char sid[SESSION_ID_LEN + 1])
{
	struct rs_open_args o = { .phone = phone, .step = step, .purpose = purpose,
		.user_id = u->id, .credentials_version = u->credentials_version };

	return open_or_reply(ctx, &o, mode, sid);
}

static void
owner_code_reply(struct ctx *ctx, const char *phone, enum purpose purpose,
    bool (*worthy)(const struct user *u), const char *device, enum msg sent)
{
	struct user u;
	enum store_status st = pg_user_by_phone(ctx->pg, phone, &u);
	struct rs_open_args o = { .phone = phone, .step = STEP_OTP, .purpose = purpose,
		.by_code = purpose == PURPOSE_LOGIN, .device = device };
	char sid[SESSION_ID_LEN + 1];
	bool real;

	if (st != STORE_NOT_FOUND && !ctx_store_or_reply(ctx, st))
		return;
	real = st == STORE_OK && worthy(&u);
	if (real) {
		o.user_id = u.id;
		o.credentials_version = u.credentials_version;
	}
	if (open_or_reply(ctx, &o, real ? CODE_SEND : CODE_GHOST, sid))
		session_reply_step(ctx, sid, STEP_OTP, sent);
}

void
session_owner_code_reply(struct ctx *ctx, enum purpose purpose,
    bool (*worthy)(const struct user *u), enum msg sent)
{
	/* The code goes to that number: sms_countries applies to it, whether
	 * an account has it or not (an account may have been made before the
	 * setting, or imported). */
	static const struct field fields[] = {
		{ "mobile_number", F_SMS_PHONE },
		{ "device", F_DEVICE },
	};
	struct inputs in;

	if (fields_read_or_reply(ctx, fields, NFIELDS(fields), &in))
		owner_code_reply(ctx, in.phone, purpose, worthy, in.device_hash, sent);
}

void
session_account_lost_reply(struct ctx *ctx, long long user_id, const char *phone, enum err gone)
{
	struct user u;
	enum store_status st = pg_user_by_id(ctx->pg, user_id, &u);

	if (st == STORE_OK && (phone == NULL || strcmp(u.phone, phone) == 0) && u.is_banned)
		response_error(ctx->resp, ERR_USER_BANNED, ctx->req->lang);
	else if (st == STORE_OK || st == STORE_NOT_FOUND)
		response_error(ctx->resp, gone, ctx->req->lang);
	else
		(void)ctx_store_or_reply(ctx, st);
}

bool
session_load_or_reply(struct ctx *ctx, const char *sid, enum step expect, enum rs_take take,
    const char *device, struct rs_session *out)
{
	const struct rs_step_args a = { .client = ctx->req->client, .sid = sid, .expect = expect,
		.take = take, .device = device };
	struct rs_result res;

	if (!session_id_wellformed(sid))
		return malformed_id_reply(ctx);
	if (!verdict_or_reply(ctx, rs_step(ctx->rs, &a, &res), &res))
		return false;
	*out = res.session;
	snprintf(out->device, sizeof out->device, "%s", out->on_device ? device : "");
	return true;
}

bool
session_request_or_reply(struct ctx *ctx, const struct field *fields, size_t n,
    struct inputs *in, enum step expect, enum rs_take take, struct rs_session *out)
{
	return fields_read_or_reply(ctx, fields, n, in) &&
	    session_load_or_reply(ctx, in->session_id, expect, take, in->device_hash, out);
}

bool
session_advance_or_reply(struct ctx *ctx, const char *sid, const struct rs_session *s,
    enum step from, enum step to, enum rs_give_back back, bool account_changed)
{
	const struct rs_advance_args a = { .client = ctx->req->client, .sid = sid, .s = s,
		.from = from, .to = to, .back = back, .account_changed = account_changed };
	struct rs_result res;

	return verdict_or_reply(ctx, rs_advance(ctx->rs, &a, &res), &res);
}

void
session_void_reply(struct ctx *ctx, const char *sid, const struct rs_session *s, enum step at,
    const char *phone)
{
	/* A right code that found its session void is no failure: its try
	 * goes back. */
	const enum rs_give_back back = at == STEP_OTP ? RS_GIVE_BACK : RS_KEEP;
	const struct rs_advance_args a = { .client = ctx->req->client, .sid = sid, .s = s,
		.from = at, .to = STEP__MAX, .back = back };
	struct rs_result res;

	if (rs_advance(ctx->rs, &a, &res) != STORE_OK)
		log_warn("session: a void session could not be ended; it ends with its lifetime");
	session_account_lost_reply(ctx, s->user_id, phone, ERR_SESSION_INVALID);
}

/* "id|has_password|is_verified|is_banned" of `phone` from PostgreSQL,
 * "0|0|0|0" when it has no account; false with the answer set. */
static bool
account_state_or_reply(struct ctx *ctx, const char *phone, char *state, size_t len)
{
	struct user u;
	enum store_status st = pg_user_by_phone(ctx->pg, phone, &u);

	if (st == STORE_NOT_FOUND)
		memset(&u, 0, sizeof u);
	else if (!ctx_store_or_reply(ctx, st))
		return false;
	snprintf(state, len, "%lld|%d|%d|%d", u.id, u.has_password, u.is_verified, u.is_banned);
	return true;
}

bool
session_register_or_reply(struct ctx *ctx, const char *phone, const char *device,
    char sid[SESSION_ID_LEN + 1], enum step *next)
{
	char state[80];
	struct new_code c;
	struct rs_register_args a = { .client = ctx->req->client, .phone = phone, .sid = sid,
		.device = device, .code = &c.rs };
	struct rs_result res;
	enum store_status st;
	bool ok = false;

	/* The code is made before we know whether the account needs one, or
	 * for which purpose: the script decides in the same round trip. */
	session_new_id(sid);
	if (!code_or_reply(ctx, sid, phone, false, ONE(PURPOSE_REGISTER) | ONE(PURPOSE_LOGIN), &c))
		return false;
	/* Most registers are of numbers whose state Redis has cached, or that
	 * the account index knows to have no account: one round trip.
	 * Otherwise PostgreSQL is read and Redis asked again. */
	st = rs_register(ctx->rs, &a, &res);
	if (st == STORE_OK && res.verdict == RS_NOT_CACHED) {
		ctx->after.reindex = !res.index_whole;
		if (!account_state_or_reply(ctx, phone, state, sizeof state))
			goto out;
		a.state = state;
		st = rs_register(ctx->rs, &a, &res);
		if (st == STORE_OK && res.verdict == RS_NOT_CACHED) {
			log_error("redis: register refused the account state it was given");
			st = STORE_ERROR;
		}
	}
	if ((ok = verdict_or_reply(ctx, st, &res)))
		*next = res.session.step;
out:
	code_wipe(&c);
	return ok;
}

bool
session_resend_or_reply(struct ctx *ctx, const char *sid)
{
	struct new_code c;
	struct rs_result res;
	bool ok;

	if (!session_id_wellformed(sid))
		return malformed_id_reply(ctx);
	/* The number and purpose are the session's: a text for each purpose
	 * (a test number's session keeps its fixed code: the script knows). */
	if (!code_or_reply(ctx, sid, "", false, ALL_PURPOSES, &c))
		return false;
	ok = verdict_or_reply(ctx, rs_resend(ctx->rs, ctx->req->client, sid, &c.rs, &res), &res);
	code_wipe(&c);
	return ok;
}

void
session_reply_step(struct ctx *ctx, const char *sid, enum step next, enum msg m)
{
	struct response *r = ctx->resp;
	json_object *o = response_object(r);

	response_add_string(r, o, "session_id", sid);
	response_add_string(r, o, "next_step", step_name(next));
	response_add_string(r, o, "message", msg_text(m, ctx->req->lang));
	response_json(r, 200, o);
}
