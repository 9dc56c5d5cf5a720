/*
 * The scripts that keep Redis's view of the accounts in step with
 * PostgreSQL's: the account state register.lua caches (forget.lua,
 * gone.lua, move.lua) and the index of numbers with an account
 * (index_rebuild.lua, index_drop.lua; store_account_index.c drives the
 * rebuild). Arguments and replies by redis_scripts.h's slots.
 */
#include "redis_call.h"

enum store_status
rs_forget_account(struct redis_store *rs, const char *phone)
{
	struct rs_args a = { .n = 0 };

	rs_arg_str(&a, PHONE_ARG_PHONE, phone);
	return rs_run_plain(rs, SC_FORGET, &a, NULL);
}

enum store_status
rs_account_gone(struct redis_store *rs, const char *phone)
{
	struct rs_args a = { .n = 0 };

	rs_arg_str(&a, PHONE_ARG_PHONE, phone);
	return rs_run_plain(rs, SC_GONE, &a, NULL);
}

enum store_status
rs_account_moved(struct redis_store *rs, const struct rs_move_args *o, struct rs_result *res)
{
	struct rs_args a = { .n = 0 };

	rs_arg_str(&a, MOVE_ARG_CLIENT, o->client);
	rs_arg_str(&a, MOVE_ARG_SID, o->sid);
	rs_arg_str(&a, MOVE_ARG_OLD, o->old);
	rs_arg_str(&a, MOVE_ARG_NEW, o->phone);
	return rs_run_plain(rs, SC_MOVE, &a, res);
}

/* The steps as index_rebuild.lua names them. */
static const char *const index_steps[] = {
	[RS_INDEX_BEGIN] = "begin", [RS_INDEX_ADD] = "add", [RS_INDEX_END] = "end",
	[RS_INDEX_ABANDON] = "abandon",
};

enum store_status
rs_index_rebuild(struct redis_store *rs, enum rs_index_step step, const char *token,
    const char *numbers, bool *done)
{
	struct rs_args a = { .n = 0 };
	enum store_status st;
	long long n;

	rs_arg_str(&a, INDEX_REBUILD_ARG_STEP, index_steps[step]);
	rs_arg_str(&a, INDEX_REBUILD_ARG_TOKEN, token);
	rs_arg_str(&a, INDEX_REBUILD_ARG_NUMBERS, numbers);
	st = rs_run_number(rs, SC_INDEX_REBUILD, &a, INDEX_REBUILD_REPLY_DONE, &n);
	*done = n == 1;
	return st;
}

enum store_status
rs_index_drop(struct redis_store *rs)
{
	struct rs_args a = { .n = 0 };

	return rs_run_plain(rs, SC_INDEX_DROP, &a, NULL);
}
