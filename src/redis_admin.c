/*
 * The scripts of the administration commands: blocks.lua and unblock.lua
 * (`phoneauth blocks`, `unblock`), pauses.lua and unpause.lua
 * (`sms-pauses`, `sms-unpause`), and counts.lua (the counts the metrics
 * read). Arguments and replies by redis_scripts.h's slots; a listing
 * walks Redis with SCAN's cursor, a step per call, so no script runs long.
 */
#include "redis_call.h"

#include <string.h>

/* The kinds as the scripts' keys name them (KEY.block(kind, id)). */
static const char *const block_kind_tags[] = { [RS_BLOCK_IP] = "ip", [RS_BLOCK_PHONE] = "ph" };

/* What a walk hands each item to, and the caller's callback. */
struct walk {
	void (*item)(const redisReply *r, size_t at, const struct walk *w);
	void (*each_block)(const struct rs_block *b, void *arg);
	void (*each_pause)(const struct rs_pause *p, void *arg);
	void *arg;
};

/* Walks script `s` (blocks.lua, pauses.lua) from cursor 0 back to 0,
 * giving each group of its replies to w->item. */
static enum store_status
walk(struct redis_store *rs, enum rs_script s, const struct walk *w)
{
	const size_t group = (size_t)rs_scripts[s].ok.n_each;
	char cursor[32] = "0";

	do {
		struct rs_args a = { .n = 0 };
		enum store_status st;
		redisReply *r;

		rs_arg_str(&a, WALK_ARG_CURSOR, cursor);
		if ((st = rs_run(rs, s, &a, &r, NULL)) != STORE_OK)
			return st;
		rs_reply_str(r, WALK_REPLY_CURSOR, cursor, sizeof cursor);
		for (size_t at = WALK_REPLY__MAX; at + group <= r->elements; at += group)
			w->item(r, at, w);
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return STORE_OK;
}

/* One block of a blocks.lua reply, from slot `at` on. */
static void
block_item(const redisReply *r, size_t at, const struct walk *w)
{
	struct rs_block b;
	char kind[8];

	rs_reply_str(r, at + BLOCKS_EACH_KIND, kind, sizeof kind);
	rs_reply_str(r, at + BLOCKS_EACH_ID, b.id, sizeof b.id);
	b.until_ms = rs_reply_num(r, at + BLOCKS_EACH_UNTIL);
	b.left_ms = (long)rs_reply_int(r, at + BLOCKS_EACH_LEFT);
	if (strcmp(kind, block_kind_tags[RS_BLOCK_IP]) == 0)
		b.kind = RS_BLOCK_IP;
	else if (strcmp(kind, block_kind_tags[RS_BLOCK_PHONE]) == 0)
		b.kind = RS_BLOCK_PHONE;
	else
		return;
	w->each_block(&b, w->arg);
}

enum store_status
rs_list_blocks(struct redis_store *rs, void (*each)(const struct rs_block *b, void *arg),
    void *arg)
{
	const struct walk w = { .item = block_item, .each_block = each, .arg = arg };

	return walk(rs, SC_BLOCKS, &w);
}

enum store_status
rs_unblock(struct redis_store *rs, enum rs_block_kind kind, const char *id, int *removed)
{
	struct rs_args a = { .n = 0 };
	enum store_status st;
	long long n;

	rs_arg_str(&a, UNBLOCK_ARG_KIND, block_kind_tags[kind]);
	rs_arg_str(&a, UNBLOCK_ARG_ID, id);
	st = rs_run_number(rs, SC_UNBLOCK, &a, UNBLOCK_REPLY_REMOVED, &n);
	*removed = (int)n;
	return st;
}

/* One paused prefix of a pauses.lua reply, from slot `at` on. */
static void
pause_item(const redisReply *r, size_t at, const struct walk *w)
{
	struct rs_pause p;

	rs_reply_str(r, at + PAUSES_EACH_PREFIX, p.prefix, sizeof p.prefix);
	p.since_ms = rs_reply_num(r, at + PAUSES_EACH_SINCE);
	p.left_ms = (long)rs_reply_int(r, at + PAUSES_EACH_LEFT);
	w->each_pause(&p, w->arg);
}

enum store_status
rs_list_pauses(struct redis_store *rs, void (*each)(const struct rs_pause *p, void *arg),
    void *arg)
{
	const struct walk w = { .item = pause_item, .each_pause = each, .arg = arg };

	return walk(rs, SC_PAUSES, &w);
}

enum store_status
rs_unpause(struct redis_store *rs, const char *prefix, bool *was_paused)
{
	struct rs_args a = { .n = 0 };
	enum store_status st;
	long long n;

	rs_arg_str(&a, UNPAUSE_ARG_PREFIX, prefix);
	st = rs_run_number(rs, SC_UNPAUSE, &a, UNPAUSE_REPLY_WAS, &n);
	*was_paused = n == 1;
	return st;
}

enum store_status
rs_counts(struct redis_store *rs, void (*each)(const char *name, long long n, void *arg),
    void *arg)
{
	struct rs_args a = { .n = 0 };
	enum store_status st;
	redisReply *r;

	if ((st = rs_run(rs, SC_COUNTS, &a, &r, NULL)) != STORE_OK)
		return st;
	for (size_t at = (size_t)rs_scripts[SC_COUNTS].ok.n; at + COUNTS_EACH__MAX <= r->elements;
	    at += COUNTS_EACH__MAX) {
		char name[96];

		rs_reply_str(r, at + COUNTS_EACH_NAME, name, sizeof name);
		each(name, rs_reply_num(r, at + COUNTS_EACH_N), arg);
	}
	freeReplyObject(r);
	return STORE_OK;
}
