/*
 * Second factors in Redis: each call one run of src/lua/mfa.lua (see
 * redis_mfa.h). Beside redis_store.c, as redis_outbox.c is: the connection
 * and the script calls are redis_call.h's.
 */
#include "phoneauth/redis_mfa.h"

#include "redis_call.h"

#include <stdio.h>

#include "phoneauth/log.h"
#include "phoneauth/totp.h"

/* A code's step is acceptable for TOTP_WINDOW_MAX steps after its own;
 * remembered a step longer than that. */
#define LAST_STEP_MS ((long long)(2 * TOTP_WINDOW_MAX + 2) * TOTP_PERIOD * 1000)

/* Runs op with its arguments; *reply (owner: the caller) on STORE_OK. */
static enum store_status
run(struct redis_store *rs, const char *op, const char *a1, const char *a2, long long a3,
    redisReply **reply, struct rs_result *res)
{
	struct rs_args a = { .n = 0 };

	rs_arg_str(&a, op);
	rs_arg_str(&a, a1);
	if (a2 != NULL)
		rs_arg_str(&a, a2);
	if (a3 >= 0)
		rs_arg_num(&a, a3);
	return rs_run(rs, SC_MFA, &a, reply, res);
}

static enum store_status
run_plain(struct redis_store *rs, const char *op, const char *a1, const char *a2, long long a3,
    struct rs_result *res)
{
	redisReply *r;
	enum store_status st = run(rs, op, a1, a2, a3, &r, res);

	freeReplyObject(r);
	return st;
}

/* The string the reply carries after its verdict ("" for none). */
static enum store_status
run_string(struct redis_store *rs, const char *op, const char *a1, char *out, size_t outlen)
{
	struct rs_result res;
	redisReply *r;
	enum store_status st = run(rs, op, a1, NULL, -1, &r, &res);

	out[0] = '\0';
	if (st != STORE_OK)
		return st;
	if (r->elements < 2 || r->element[1]->type != REDIS_REPLY_STRING) {
		log_error("redis: script mfa %s: unexpected reply", op);
		st = STORE_ERROR;
	} else if (r->element[1]->len >= outlen) {
		log_error("redis: script mfa %s: a value longer than ours", op);
		st = STORE_ERROR;
	} else {
		rs_copy_str(out, outlen, r->element[1]);
	}
	freeReplyObject(r);
	return st;
}

static void
fmt_id(char buf[24], long long id)
{
	snprintf(buf, 24, "%lld", id);
}

enum store_status
rs_mfa_setup_put(struct redis_store *rs, long long user_id, const char *sealed)
{
	char id[24];

	fmt_id(id, user_id);
	return run_plain(rs, "setup_put", id, sealed, RS_MFA_SETUP_MS, NULL);
}

enum store_status
rs_mfa_setup_get(struct redis_store *rs, long long user_id, char *out, size_t outlen)
{
	char id[24];

	fmt_id(id, user_id);
	return run_string(rs, "setup_get", id, out, outlen);
}

enum store_status
rs_mfa_setup_drop(struct redis_store *rs, long long user_id)
{
	char id[24];

	fmt_id(id, user_id);
	return run_plain(rs, "setup_drop", id, NULL, -1, NULL);
}

enum store_status
rs_mfa_accept_step(struct redis_store *rs, long long user_id, int64_t step, bool *accepted)
{
	char id[24], at[24];
	struct rs_result res;
	enum store_status st;

	fmt_id(id, user_id);
	fmt_id(at, (long long)step);
	st = run_plain(rs, "accept", id, at, LAST_STEP_MS, &res);
	*accepted = st == STORE_OK && res.verdict == RS_OK;
	return st;
}

enum store_status
rs_mfa_hold(struct redis_store *rs, const char *sid, const char *encoded)
{
	struct rs_result res;
	enum store_status st = run_plain(rs, "hold", sid, encoded, -1, &res);

	return st == STORE_OK && res.verdict != RS_OK ? STORE_NOT_FOUND : st;
}

enum store_status
rs_mfa_held(struct redis_store *rs, const char *sid, char *out, size_t outlen)
{
	return run_string(rs, "held", sid, out, outlen);
}

enum store_status
rs_mfa_miss(struct redis_store *rs, const char *sid, bool *ended)
{
	redisReply *r;
	enum store_status st = run(rs, "miss", sid, NULL, -1, &r, NULL);

	*ended = true;
	if (st != STORE_OK)
		return st;
	*ended = r->elements < 2 || r->element[1]->type != REDIS_REPLY_INTEGER ||
	    r->element[1]->integer != 0;
	freeReplyObject(r);
	return st;
}
