/*
 * Second factors in Redis: each call one run of src/lua/totp.lua (an
 * account's pending setup and the last TOTP step it accepted) or
 * src/lua/mfa_session.lua (what a session waiting for mfa keeps); see
 * redis_mfa.h. Beside the other script calls (redis_session.c and the
 * like), through redis_call.h.
 */
#include "phoneauth/redis_mfa.h"

#include <stdio.h>

#include "redis_call.h"

#include "phoneauth/log.h"
#include "phoneauth/totp.h"

/* A code's step is acceptable for TOTP_WINDOW_MAX steps after its own;
 * remembered a step longer than that. */
#define LAST_STEP_MS ((long long)(2 * TOTP_WINDOW_MAX + 2) * TOTP_PERIOD * 1000)

/* totp.lua's operation `op` on account user_id; *reply (owner: the caller)
 * on STORE_OK. */
static enum store_status
totp_run(struct redis_store *rs, const char *op, long long user_id, const char *value, long long ms,
    redisReply **reply, struct rs_result *res)
{
	struct rs_args a = { .n = 0 };

	rs_arg_str(&a, TOTP_ARG_OP, op);
	rs_arg_num(&a, TOTP_ARG_UID, user_id);
	rs_arg_str(&a, TOTP_ARG_VALUE, value);
	rs_arg_num(&a, TOTP_ARG_MS, ms);
	return rs_run(rs, SC_TOTP, &a, reply, res);
}

static enum store_status
session_run(struct redis_store *rs, const char *op, const char *sid, const char *value,
    redisReply **reply, struct rs_result *res)
{
	struct rs_args a = { .n = 0 };

	rs_arg_str(&a, MFA_SESSION_ARG_OP, op);
	rs_arg_str(&a, MFA_SESSION_ARG_SID, sid);
	rs_arg_str(&a, MFA_SESSION_ARG_VALUE, value);
	return rs_run(rs, SC_MFA_SESSION, &a, reply, res);
}

/* The value slot of a reply into out ("" for none); an error when it does
 * not fit (not a value we wrote). */
static enum store_status
value_of(enum store_status st, redisReply *r, const char *what, char *out, size_t outlen)
{
	out[0] = '\0';
	if (st != STORE_OK)
		return st;
	if (r->elements > MFA_REPLY_VALUE && r->element[MFA_REPLY_VALUE]->type == REDIS_REPLY_STRING &&
	    r->element[MFA_REPLY_VALUE]->len >= outlen) {
		log_error("redis: %s: a value longer than ours", what);
		st = STORE_ERROR;
	} else {
		rs_reply_str(r, MFA_REPLY_VALUE, out, outlen);
	}
	freeReplyObject(r);
	return st;
}

enum store_status
rs_mfa_setup_put(struct redis_store *rs, long long user_id, const char *sealed)
{
	redisReply *r;
	enum store_status st = totp_run(rs, "setup_put", user_id, sealed, RS_MFA_SETUP_MS, &r, NULL);

	freeReplyObject(r);
	return st;
}

enum store_status
rs_mfa_setup_get(struct redis_store *rs, long long user_id, char *out, size_t outlen)
{
	redisReply *r;
	enum store_status st = totp_run(rs, "setup_get", user_id, "", 0, &r, NULL);

	return value_of(st, r, "totp setup_get", out, outlen);
}

enum store_status
rs_mfa_setup_drop(struct redis_store *rs, long long user_id)
{
	redisReply *r;
	enum store_status st = totp_run(rs, "setup_drop", user_id, "", 0, &r, NULL);

	freeReplyObject(r);
	return st;
}

enum store_status
rs_mfa_accept_step(struct redis_store *rs, long long user_id, int64_t step, bool *accepted)
{
	char at[24];
	struct rs_result res;
	redisReply *r;
	enum store_status st;

	snprintf(at, sizeof at, "%lld", (long long)step);
	st = totp_run(rs, "accept", user_id, at, LAST_STEP_MS, &r, &res);
	*accepted = st == STORE_OK && res.verdict == RS_OK;
	freeReplyObject(r);
	return st;
}

enum store_status
rs_mfa_hold(struct redis_store *rs, const char *sid, const char *encoded)
{
	struct rs_result res;
	redisReply *r;
	enum store_status st = session_run(rs, "hold", sid, encoded, &r, &res);

	freeReplyObject(r);
	return st == STORE_OK && res.verdict != RS_OK ? STORE_NOT_FOUND : st;
}

enum store_status
rs_mfa_held(struct redis_store *rs, const char *sid, char *out, size_t outlen)
{
	redisReply *r;
	enum store_status st = session_run(rs, "held", sid, "", &r, NULL);

	return value_of(st, r, "mfa_session held", out, outlen);
}

enum store_status
rs_mfa_miss(struct redis_store *rs, const char *sid, bool *ended)
{
	redisReply *r;
	enum store_status st = session_run(rs, "miss", sid, "", &r, NULL);

	*ended = st != STORE_OK || rs_reply_int(r, MFA_REPLY_VALUE) != 0;
	freeReplyObject(r);
	return st;
}
