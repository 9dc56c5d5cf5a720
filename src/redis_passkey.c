/*
 * A passkey ceremony's challenge in Redis: each call one run of
 * src/lua/passkey.lua (see redis_passkey.h), through redis_call.h.
 */
#include "phoneauth/redis_passkey.h"

#include <string.h>

#include "redis_call.h"

#include "phoneauth/log.h"

static const char *const ceremonies[] = {
	[RS_CEREMONY_REGISTER] = "register", [RS_CEREMONY_LOGIN] = "login",
};

enum store_status
rs_passkey_open(struct redis_store *rs, const char *client, const char *sid, enum rs_ceremony c,
    long long user_id, const char *challenge, struct rs_result *res)
{
	struct rs_args a = { .n = 0 };

	rs_arg_str(&a, PASSKEY_ARG_OP, "open");
	rs_arg_str(&a, PASSKEY_ARG_CLIENT, client);
	rs_arg_str(&a, PASSKEY_ARG_SID, sid);
	rs_arg_str(&a, PASSKEY_ARG_PURPOSE, ceremonies[c]);
	rs_arg_num(&a, PASSKEY_ARG_UID, user_id);
	rs_arg_str(&a, PASSKEY_ARG_VALUE, challenge);
	return rs_run_plain(rs, SC_PASSKEY, &a, res);
}

enum store_status
rs_passkey_take(struct redis_store *rs, const char *client, const char *sid,
    char challenge[RS_CHALLENGE_MAX], enum rs_ceremony *c, long long *user_id,
    struct rs_result *res)
{
	struct rs_args a = { .n = 0 };
	char purpose[16];
	redisReply *r;
	enum store_status st;

	challenge[0] = '\0';
	*c = RS_CEREMONY_LOGIN;
	*user_id = 0;
	rs_arg_str(&a, PASSKEY_ARG_OP, "take");
	rs_arg_str(&a, PASSKEY_ARG_CLIENT, client);
	rs_arg_str(&a, PASSKEY_ARG_SID, sid);
	rs_arg_str(&a, PASSKEY_ARG_PURPOSE, "");
	rs_arg_num(&a, PASSKEY_ARG_UID, 0);
	rs_arg_str(&a, PASSKEY_ARG_VALUE, "");
	st = rs_run(rs, SC_PASSKEY, &a, &r, res);
	if (st != STORE_OK)
		return st;
	if (res->verdict == RS_OK) {
		rs_reply_str(r, PASSKEY_REPLY_VALUE, challenge, RS_CHALLENGE_MAX);
		rs_reply_str(r, PASSKEY_REPLY_PURPOSE, purpose, sizeof purpose);
		*user_id = rs_reply_num(r, PASSKEY_REPLY_UID);
		if (strcmp(purpose, ceremonies[RS_CEREMONY_REGISTER]) == 0) {
			*c = RS_CEREMONY_REGISTER;
		} else if (strcmp(purpose, ceremonies[RS_CEREMONY_LOGIN]) != 0) {
			log_error("redis: passkey: a session that is not one of ours");
			st = STORE_ERROR;
		}
	}
	freeReplyObject(r);
	return st;
}
