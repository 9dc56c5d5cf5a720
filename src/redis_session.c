/*
 * The session scripts: open.lua, step.lua, advance.lua, register.lua and
 * resend.lua, called over redis_store.c's connection with the argument and
 * reply slots redis_scripts.h declares. A session is Redis's alone; this
 * file copies what a script answered into struct rs_result and keeps no
 * hiredis type past its return. It never decides a rule: the scripts do.
 */
#include "redis_call.h"

#include <string.h>

#include "phoneauth/lang.h"
#include "phoneauth/log.h"

/* The code kinds as prelude.lua's code_block and limits.lua name them. */
static const char *const code_kinds[] = {
	[RS_CODE_SEND] = "send", [RS_CODE_GHOST] = "ghost", [RS_CODE_TEST] = "test",
};

/* The modes as prelude.lua's TAKE and GIVE_BACK name them: their numbers. */
static const char *const mode_digits[] = { "0", "1", "2" };
_Static_assert(RS_TAKE__MAX == 3 && RS_GIVE_BACK__MAX == 3, "one digit per mode");

/* The code block the code-sending scripts take first (enum rs_code_arg);
 * the script's own slots count from after it. */
static void
code_args(struct rs_args *a, const struct rs_code *code)
{
	bool sent = code != NULL && code->kind == RS_CODE_SEND;

	if (code == NULL) {
		for (int i = 0; i < CODE_ARG_TEXTS; i++)
			rs_arg_str(a, i, "");
	} else {
		rs_arg_bin(a, CODE_ARG_DIGEST, code->digest, OTP_DIGEST_LEN);
		rs_arg_str(a, CODE_ARG_CODE, sent ? code->code : "");
		rs_arg_str(a, CODE_ARG_LANG, lang_names[code->lang]);
		rs_arg_str(a, CODE_ARG_KIND, code_kinds[code->kind]);
	}
	for (int p = 0; p < PURPOSE__MAX; p++)
		rs_arg_str(a, CODE_ARG_TEXTS + p, sent ? code->texts[p] : "");
	a->base = CODE_ARG__MAX;
}

enum store_status
rs_open(struct redis_store *rs, const struct rs_open_args *o, struct rs_result *res)
{
	struct rs_args a = { .n = 0 };

	code_args(&a, o->code);
	rs_arg_str(&a, OPEN_ARG_CLIENT, o->client);
	rs_arg_str(&a, OPEN_ARG_PHONE, o->phone);
	rs_arg_str(&a, OPEN_ARG_SID, o->sid);
	rs_arg_str(&a, OPEN_ARG_STEP, step_name(o->step));
	rs_arg_str(&a, OPEN_ARG_PURPOSE, purpose_name(o->purpose));
	rs_arg_num(&a, OPEN_ARG_UID, o->user_id);
	rs_arg_bool(&a, OPEN_ARG_OWNER, o->owner);
	rs_arg_bool(&a, OPEN_ARG_BY_CODE, o->by_code);
	rs_arg_str(&a, OPEN_ARG_DEVICE, o->device);
	rs_arg_num(&a, OPEN_ARG_CV, o->credentials_version);
	return rs_run_plain(rs, SC_OPEN, &a, res);
}

/* A digest slot of a reply ("" when there is none). */
static bool
take_digest(const redisReply *r, size_t slot, unsigned char out[OTP_DIGEST_LEN])
{
	const redisReply *e = r->element[slot];

	if (e->type != REDIS_REPLY_STRING || e->len != OTP_DIGEST_LEN)
		return false;
	memcpy(out, e->str, OTP_DIGEST_LEN);
	return true;
}

/*
 * Runs session script `s`; `read` copies what its reply says into res
 * (false: a session that is not one of ours, which no script makes: a
 * version skew, or another program's keys).
 */
static enum store_status
run_session(struct redis_store *rs, enum rs_script s, const struct rs_args *a,
    struct rs_result *res, bool (*read)(const redisReply *r, struct rs_result *res))
{
	redisReply *r;
	enum store_status st = rs_run(rs, s, a, &r, res);

	if (st == STORE_OK && !read(r, res)) {
		log_error("redis: script %s: a session that is not one of ours", rs_scripts[s].name);
		st = STORE_ERROR;
	}
	freeReplyObject(r);
	return st;
}

/* The session of step.lua's RS_OK reply. */
static bool
read_session(const redisReply *r, struct rs_result *res)
{
	struct rs_session *s = &res->session;
	char step[32], purpose[32];

	if (res->verdict != RS_OK)
		return true;

	rs_reply_str(r, STEP_REPLY_PHONE, s->phone, sizeof s->phone);
	rs_reply_str(r, STEP_REPLY_STEP, step, sizeof step);
	rs_reply_str(r, STEP_REPLY_PURPOSE, purpose, sizeof purpose);
	s->user_id = rs_reply_num(r, STEP_REPLY_UID);
	s->has_digest = take_digest(r, STEP_REPLY_DIGEST, s->digest);
	s->has_earlier = take_digest(r, STEP_REPLY_EARLIER, s->earlier);
	s->owner = rs_reply_flag(r, STEP_REPLY_OWNER);
	s->by_code = rs_reply_flag(r, STEP_REPLY_BY_CODE);
	s->on_device = rs_reply_flag(r, STEP_REPLY_ON_DEVICE);
	s->credentials_version = rs_reply_num(r, STEP_REPLY_CV);
	return step_from_name(step, &s->step) && purpose_from_name(purpose, &s->purpose);
}

enum store_status
rs_step(struct redis_store *rs, const struct rs_step_args *o, struct rs_result *res)
{
	struct rs_args a = { .n = 0 };

	rs_arg_str(&a, STEP_ARG_CLIENT, o->client);
	rs_arg_str(&a, STEP_ARG_SID, o->sid);
	rs_arg_str(&a, STEP_ARG_EXPECT, step_name(o->expect));
	rs_arg_str(&a, STEP_ARG_TAKE, mode_digits[o->take]);
	rs_arg_str(&a, STEP_ARG_DEVICE, o->device);
	return run_session(rs, SC_STEP, &a, res, read_session);
}

enum store_status
rs_advance(struct redis_store *rs, const struct rs_advance_args *o, struct rs_result *res)
{
	struct rs_args a = { .n = 0 };
	const struct rs_session *s = o->s;

	rs_arg_str(&a, ADVANCE_ARG_CLIENT, o->client);
	rs_arg_str(&a, ADVANCE_ARG_SID, o->sid);
	rs_arg_str(&a, ADVANCE_ARG_PHONE, s->phone);
	rs_arg_num(&a, ADVANCE_ARG_UID, s->user_id);
	rs_arg_str(&a, ADVANCE_ARG_FROM, step_name(o->from));
	rs_arg_str(&a, ADVANCE_ARG_TO, o->to == STEP__MAX ? "" : step_name(o->to));
	rs_arg_str(&a, ADVANCE_ARG_BACK, mode_digits[o->back]);
	rs_arg_bool(&a, ADVANCE_ARG_CHANGED, o->account_changed);
	rs_arg_str(&a, ADVANCE_ARG_DEVICE, s->on_device ? s->device : "");
	return rs_run_plain(rs, SC_ADVANCE, &a, res);
}

/* The step and purpose of register.lua's RS_OK reply; whether PostgreSQL
 * must be asked whole (RS_NOT_CACHED). */
static bool
read_opened(const redisReply *r, struct rs_result *res)
{
	struct rs_session *s = &res->session;
	char step[32], purpose[32];

	if (res->verdict == RS_NOT_CACHED)
		res->index_whole = rs_reply_flag(r, NOT_CACHED_REPLY_INDEX_WHOLE);
	if (res->verdict != RS_OK)
		return true;
	rs_reply_str(r, REGISTER_REPLY_STEP, step, sizeof step);
	rs_reply_str(r, REGISTER_REPLY_PURPOSE, purpose, sizeof purpose);
	return step_from_name(step, &s->step) && purpose_from_name(purpose, &s->purpose);
}

enum store_status
rs_register(struct redis_store *rs, const struct rs_register_args *o, struct rs_result *res)
{
	struct rs_args a = { .n = 0 };

	code_args(&a, o->code);
	rs_arg_str(&a, REGISTER_ARG_CLIENT, o->client);
	rs_arg_str(&a, REGISTER_ARG_PHONE, o->phone);
	rs_arg_str(&a, REGISTER_ARG_SID, o->sid);
	rs_arg_str(&a, REGISTER_ARG_STATE, o->state);
	rs_arg_str(&a, REGISTER_ARG_DEVICE, o->device);
	return run_session(rs, SC_REGISTER, &a, res, read_opened);
}

/* The number, purpose and ghost of resend.lua's RS_OK reply. */
static bool
read_resent(const redisReply *r, struct rs_result *res)
{
	struct rs_session *s = &res->session;
	char purpose[32];

	if (res->verdict != RS_OK)
		return true;
	rs_reply_str(r, RESEND_REPLY_PHONE, s->phone, sizeof s->phone);
	rs_reply_str(r, RESEND_REPLY_PURPOSE, purpose, sizeof purpose);
	s->ghost = rs_reply_flag(r, RESEND_REPLY_GHOST);
	return purpose_from_name(purpose, &s->purpose);
}

enum store_status
rs_resend(struct redis_store *rs, const char *client, const char *sid, const struct rs_code *code,
    struct rs_result *res)
{
	struct rs_args a = { .n = 0 };

	code_args(&a, code);
	rs_arg_str(&a, RESEND_ARG_CLIENT, client);
	rs_arg_str(&a, RESEND_ARG_SID, sid);
	return run_session(rs, SC_RESEND, &a, res, read_resent);
}
