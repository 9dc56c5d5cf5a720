/*
 * The scripts that count tries and failures outside a session: gate.lua
 * (blocks, and a failure or a try taken), release.lua (tries given back)
 * and device.lua (the device token an answer with tokens grants). The
 * rules are the scripts' and limits.c asks for them; this file only
 * carries the arguments and the replies, by redis_scripts.h's slots.
 */
#include "redis_call.h"

enum store_status
rs_gate(struct redis_store *rs, const struct rs_gate_args *o, struct rs_result *res)
{
	struct rs_args a = { .n = 0 };
	enum store_status st;
	redisReply *r;

	rs_arg_str(&a, GATE_ARG_CLIENT, o->client);
	rs_arg_str(&a, GATE_ARG_PHONE, o->phone);
	rs_arg_bool(&a, GATE_ARG_TAKE, o->take);
	rs_arg_str(&a, GATE_ARG_DEVICE, o->device);
	rs_arg_num(&a, GATE_ARG_UID, o->user_id);
	if ((st = rs_run(rs, SC_GATE, &a, &r, res)) != STORE_OK)
		return st;
	if (res != NULL && res->verdict == RS_OK)
		res->on_device = rs_reply_flag(r, GATE_REPLY_ON_DEVICE);
	freeReplyObject(r);
	return STORE_OK;
}

enum store_status
rs_release(struct redis_store *rs, const char *client, const char *phone, const char *device,
    bool clear_number)
{
	struct rs_args a = { .n = 0 };

	rs_arg_str(&a, RELEASE_ARG_CLIENT, client);
	rs_arg_str(&a, RELEASE_ARG_PHONE, phone);
	rs_arg_bool(&a, RELEASE_ARG_CLEAR, clear_number);
	rs_arg_str(&a, RELEASE_ARG_DEVICE, device);
	return rs_run_plain(rs, SC_RELEASE, &a, NULL);
}

enum store_status
rs_device_grant(struct redis_store *rs, long long user_id, const char *sent, const char *made,
    bool *kept)
{
	struct rs_args a = { .n = 0 };
	enum store_status st;
	long long n;

	rs_arg_num(&a, DEVICE_ARG_UID, user_id);
	rs_arg_str(&a, DEVICE_ARG_SENT, sent);
	rs_arg_str(&a, DEVICE_ARG_MADE, made);
	st = rs_run_number(rs, SC_DEVICE, &a, DEVICE_REPLY_KEPT, &n);
	*kept = n == 1;
	return st;
}
