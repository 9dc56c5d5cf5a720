/*
 * Sessions over Redis (the scripts in src/lua/ do the storing), and the
 * translation of every store outcome into the contract's answer, made once
 * here so that each handler reads as its happy path.
 */
#include "phoneauth/session.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <uuid/uuid.h>

#include "phoneauth/log.h"
#include "phoneauth/otp.h"

static const char *const step_names[STEP__MAX] = {
	[STEP_OTP] = "otp",
	[STEP_SET_PASSWORD] = "set_password",
	[STEP_USER_INFO] = "user_info",
	[STEP_PASSWORD] = "password",
};

static const char *const purpose_names[PURPOSE__MAX] = {
	[PURPOSE_REGISTER] = "register",
	[PURPOSE_LOGIN] = "login",
	[PURPOSE_RESET] = "reset",
};

const char *
session_step_name(enum step s)
{
	return step_names[s];
}

const char *
session_purpose_name(enum purpose p)
{
	return purpose_names[p];
}

enum purpose
session_purpose(const char *name)
{
	for (int p = 0; p < PURPOSE__MAX; p++)
		if (strcmp(purpose_names[p], name) == 0)
			return (enum purpose)p;
	return PURPOSE_REGISTER;
}

void
session_new_id(char out[SESSION_ID_LEN + 1])
{
	uuid_t u;

	/* A version 4 UUID from OpenSSL's CSPRNG (the session id is a bearer
	 * secret), formatted by libuuid. */
	if (RAND_bytes(u, sizeof u) != 1) {
		uuid_generate_random(u);	/* getrandom(2) underneath */
	} else {
		u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
		u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	}
	uuid_unparse_lower(u, out);
}

bool
session_id_wellformed(const char *s)
{
	uuid_t u;

	return strlen(s) == SESSION_ID_LEN && uuid_parse(s, u) == 0;
}

/* The answers every session operation shares; false when one was given. */
static bool
common_outcome(struct ctx *ctx, const struct rs_result *res)
{
	switch (res->outcome) {
	case RS_OK:
		return true;
	case RS_UNAVAILABLE:
		ctx_reply_unavailable(ctx);
		return false;
	case RS_BLOCKED:
		ctx->gated = true;
		ctx_reply_blocked(ctx, res->retry_ms);
		return false;
	case RS_RATE_LIMITED:
		ctx->gated = true;
		response_retry(ctx->resp, ERR_OTP_RATE_LIMITED, ctx->req->lang,
		    (res->retry_ms + 999) / 1000);
		return false;
	case RS_NO_SESSION:
		ctx->gated = true;
		ctx_note_failure(ctx, NULL, FAILURE_SESSION);
		response_error(ctx->resp, ERR_SESSION_INVALID, ctx->req->lang);
		return false;
	case RS_WRONG_STEP:
		ctx->gated = true;
		if (res->step[0] == '\0')	/* it ended meanwhile */
			response_error(ctx->resp, ERR_SESSION_INVALID, ctx->req->lang);
		else
			response_wrong_step(ctx->resp, ctx->req->lang, res->step);
		return false;
	case RS_CODE_VOID:
		ctx->gated = true;
		response_error(ctx->resp, ERR_OTP_INVALID, ctx->req->lang);
		return false;
	case RS_NOT_CACHED:
	case RS_BANNED:
		break;	/* only rs_register answers these; it handles them itself */
	}
	return false;
}

/* Makes a code and its digest for session `sid`. */
static bool
new_code(struct ctx *ctx, const char *sid, char code[OTP_DIGITS + 1],
    unsigned char digest[OTP_DIGEST_LEN])
{
	if (otp_generate(code) && otp_digest(ctx->otp_key, sid, code, digest))
		return true;
	log_error("otp: cannot make a code");
	ctx_reply_internal(ctx);
	return false;
}

static const char *const lang_tags[LANG__MAX] = { "en", "fa" };

bool
session_open_or_reply(struct ctx *ctx, const char *phone, enum step step, enum purpose purpose,
    long long user_id, enum code_mode mode, char sid[SESSION_ID_LEN + 1])
{
	char code[OTP_DIGITS + 1] = "";
	unsigned char digest[OTP_DIGEST_LEN];
	struct rs_code real = { code, digest, lang_tags[ctx->req->lang] };
	struct rs_code ghost = { NULL, digest, lang_tags[ctx->req->lang] };
	struct rs_result res;
	bool ok;

	session_new_id(sid);
	if (mode == CODE_SEND && !new_code(ctx, sid, code, digest))
		return false;
	/* A ghost keeps a digest of no code at all: it takes tries, counts
	 * failures and runs out exactly like a real code, and nothing fits it. */
	if (mode == CODE_GHOST && RAND_bytes(digest, sizeof digest) != 1) {
		ctx_reply_internal(ctx);
		return false;
	}
	rs_open(ctx->rs, ctx->req->client, phone, sid, step_names[step], purpose_names[purpose],
	    user_id, mode == CODE_SEND ? &real : mode == CODE_GHOST ? &ghost : NULL, &res);
	ctx->gated = res.outcome != RS_UNAVAILABLE;
	ok = common_outcome(ctx, &res);
	OPENSSL_cleanse(code, sizeof code);
	return ok;
}

bool
session_load_or_reply(struct ctx *ctx, const char *sid, enum step expect, enum rs_take take,
    struct rs_session *out)
{
	struct rs_result res;

	if (!session_id_wellformed(sid)) {
		/* Not even the form of one: as unknown as a session gets. */
		rs_gate(ctx->rs, ctx->req->client, NULL, true, &res);
		if (res.outcome == RS_OK)
			res.outcome = RS_NO_SESSION;
	} else {
		rs_step(ctx->rs, ctx->req->client, sid, step_names[expect], take, &res);
	}
	ctx->gated = res.outcome != RS_UNAVAILABLE;
	if (!common_outcome(ctx, &res))
		return false;
	*out = res.session;
	return true;
}

bool
session_advance_or_reply(struct ctx *ctx, const char *sid, const struct rs_session *s,
    enum step from, enum step to, enum rs_give_back back, bool account_changed)
{
	struct rs_result res;

	rs_advance(ctx->rs, ctx->req->client, sid, s->phone, s->user_id, step_names[from],
	    to == STEP__MAX ? NULL : step_names[to], back, account_changed, &res);
	return common_outcome(ctx, &res);
}

bool
session_register_or_reply(struct ctx *ctx, const char *phone, const char *state,
    char sid[SESSION_ID_LEN + 1], enum step *next, bool *not_cached)
{
	char code[OTP_DIGITS + 1];
	unsigned char digest[OTP_DIGEST_LEN];
	struct rs_code c = { code, digest, lang_tags[ctx->req->lang] };
	struct rs_result res;
	bool ok;

	*not_cached = false;
	/* The code is made before we know whether the account needs one: the
	 * script decides in the same round trip. */
	session_new_id(sid);
	if (!new_code(ctx, sid, code, digest))
		return false;
	rs_register(ctx->rs, ctx->req->client, phone, sid, state, &c, &res);
	ctx->gated = res.outcome != RS_UNAVAILABLE;
	if (res.outcome == RS_NOT_CACHED && state == NULL) {
		*not_cached = true;
		ok = false;
	} else if (res.outcome == RS_BANNED) {
		response_error(ctx->resp, ERR_USER_BANNED, ctx->req->lang);
		ok = false;
	} else if (res.outcome == RS_NOT_CACHED) {
		log_error("redis: register refused the account state it was given");
		ctx_reply_internal(ctx);
		ok = false;
	} else if ((ok = common_outcome(ctx, &res))) {
		*next = strcmp(res.step, "otp") == 0 ? STEP_OTP : STEP_PASSWORD;
	}
	OPENSSL_cleanse(code, sizeof code);
	return ok;
}

bool
session_resend_or_reply(struct ctx *ctx, const char *sid)
{
	char code[OTP_DIGITS + 1];
	unsigned char digest[OTP_DIGEST_LEN];
	struct rs_code c = { code, digest, lang_tags[ctx->req->lang] };
	struct rs_result res;
	bool ok;

	if (!session_id_wellformed(sid)) {
		rs_gate(ctx->rs, ctx->req->client, NULL, true, &res);
		if (res.outcome == RS_OK)
			res.outcome = RS_NO_SESSION;
	} else {
		if (!new_code(ctx, sid, code, digest))
			return false;
		rs_resend(ctx->rs, ctx->req->client, sid, &c, &res);
	}
	ctx->gated = res.outcome != RS_UNAVAILABLE;
	ok = common_outcome(ctx, &res);
	OPENSSL_cleanse(code, sizeof code);
	return ok;
}
