/*
 * The outbox stream's protocol (see redis_outbox.h), over the connection of
 * redis_store.c, which it calls and which never calls it (the stream's key
 * names are the connection's: the scripts write to the stream too). Reading goes through the consumer group: XAUTOCLAIM for
 * what a dead sender left, XREADGROUP for what is new, XCLAIM to take back an
 * entry for a retry; finishing one (acknowledging it, counting it, copying a
 * dead letter) is the outbox_done script, so it happens at once or not at all.
 */
#include "phoneauth/redis_outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_call.h"

#include "phoneauth/log.h"

/* The names outbox_done counts under, in OUTBOX_STATS. */
static const char *const done_names[] = {
	[OUTBOX_DELIVERED] = "delivered", [OUTBOX_EXPIRED] = "expired",
};
#define DEAD_NAME "dead"

static void
stream(struct redis_store *rs, char out[256])
{
	rs_outbox_key(rs_config(rs), OUTBOX_STREAM, out, 256);
}

enum store_status
outbox_prepare(struct redis_store *rs)
{
	char key[256];
	const char *argv[] = { "XGROUP", "CREATE", key, OUTBOX_GROUP, "0", "MKSTREAM" };
	redisReply *r;
	bool ok;

	stream(rs, key);
	if ((r = rs_call(rs, 6, argv, NULL, RS_RETRY)) == NULL)
		return STORE_UNAVAILABLE;
	ok = r->type != REDIS_REPLY_ERROR || strncmp(r->str, "BUSYGROUP", 9) == 0;
	if (!ok)
		log_error("redis: XGROUP CREATE: %s", r->str);
	freeReplyObject(r);
	return ok ? STORE_OK : STORE_ERROR;
}

/* Copies one field's value if it fits (with its NUL); false if not. */
static bool
take_field(char *dst, size_t size, const char *v, size_t vlen)
{
	if (vlen >= size)
		return false;
	memcpy(dst, v, vlen + 1);
	return true;
}

/* [id, [field, value, ...]] -> entry */
static void
parse_entry(const redisReply *item, struct outbox_entry *e)
{
	const redisReply *fields;
	bool have_phone = false, have_code = false;

	memset(e, 0, sizeof *e);
	e->malformed = true;
	if (item == NULL || item->type != REDIS_REPLY_ARRAY || item->elements != 2 ||
	    item->element[0]->type != REDIS_REPLY_STRING)
		return;
	rs_copy_str(e->id, sizeof e->id, item->element[0]);
	fields = item->element[1];
	if (fields->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i + 1 < fields->elements; i += 2) {
		const char *f = fields->element[i]->str, *v = fields->element[i + 1]->str;
		size_t vlen = fields->element[i + 1]->len;

		if (f == NULL || v == NULL)
			continue;
		if (strcmp(f, "code") == 0 && vlen == 0)
			e->code[0] = '\0';
		else if (strcmp(f, "phone") == 0)
			have_phone = vlen > 0 && take_field(e->phone, sizeof e->phone, v, vlen);
		else if (strcmp(f, "code") == 0)
			have_code = vlen == OTP_DIGITS && take_field(e->code, sizeof e->code, v, vlen);
		else if (strcmp(f, "purpose") == 0)
			(void)take_field(e->purpose, sizeof e->purpose, v, vlen);
		else if (strcmp(f, "language") == 0)
			(void)take_field(e->language, sizeof e->language, v, vlen);
		else if (strcmp(f, "text") == 0)
			(void)take_field(e->text, sizeof e->text, v, vlen);
		else if (strcmp(f, "created_at") == 0)
			e->created_at = strtoll(v, NULL, 10);
	}
	/* a notice (event_notice.lua) carries no code, only its text */
	if (strcmp(e->purpose, OUTBOX_NOTICE) == 0)
		have_code = e->code[0] == '\0' && e->text[0] != '\0';
	e->malformed = !have_phone || !have_code || e->created_at <= 0;
}

/* How many times the group has handed `id` out (XPENDING). */
static long
deliveries_of(struct redis_store *rs, const char *key, const char *id)
{
	const char *argv[] = { "XPENDING", key, OUTBOX_GROUP, id, id, "1" };
	redisReply *r = rs_call(rs, 6, argv, NULL, RS_RETRY);
	long n = 1;

	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 4 &&
	    r->element[0]->element[3]->type == REDIS_REPLY_INTEGER)
		n = (long)r->element[0]->element[3]->integer;
	freeReplyObject(r);
	return n;
}

/* Entries a dead (or stuck) sender left behind for sms_claim_idle. */
static enum store_status
claim_abandoned(struct redis_store *rs, const char *key, const char *consumer,
    struct outbox_entry *out, int max, int *n)
{
	char idle[24], count[16];
	const char *argv[] = { "XAUTOCLAIM", key, OUTBOX_GROUP, consumer, idle, "0-0", "COUNT", count };
	redisReply *r;

	snprintf(idle, sizeof idle, "%ld", rs_config(rs)->sms_claim_idle * 1000);
	snprintf(count, sizeof count, "%d", max);
	/* Not sent twice: entries a lost reply claimed stay this sender's and
	 * come back to it once idle. */
	if ((r = rs_call(rs, 8, argv, NULL, RS_NO_RETRY)) == NULL)
		return STORE_UNAVAILABLE;
	if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOGROUP", 7) == 0) {
		freeReplyObject(r);
		return outbox_prepare(rs);
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
	    r->element[1]->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i < r->element[1]->elements && *n < max; i++) {
			if (r->element[1]->element[i]->type != REDIS_REPLY_ARRAY)
				continue;	/* deleted from the stream meanwhile */
			parse_entry(r->element[1]->element[i], &out[*n]);
			out[*n].deliveries = deliveries_of(rs, key, out[*n].id);
			(*n)++;
		}
	}
	freeReplyObject(r);
	return STORE_OK;
}

static enum store_status
read_new(struct redis_store *rs, const char *key, const char *consumer, long block_ms,
    struct outbox_entry *out, int max, int *n)
{
	char count[16], block[24];
	const char *argv[] = { "XREADGROUP", "GROUP", OUTBOX_GROUP, consumer, "COUNT", count,
		"BLOCK", block, "STREAMS", key, ">" };
	redisReply *r;

	snprintf(count, sizeof count, "%d", max);
	snprintf(block, sizeof block, "%ld", block_ms);
	if ((r = rs_call(rs, 11, argv, NULL, RS_NO_RETRY)) == NULL)
		return STORE_UNAVAILABLE;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2) {
		const redisReply *items = r->element[0]->element[1];

		for (size_t i = 0; i < items->elements && *n < max; i++) {
			parse_entry(items->element[i], &out[*n]);
			out[*n].deliveries = 1;
			(*n)++;
		}
	} else if (r->type == REDIS_REPLY_ERROR) {
		log_error("redis: XREADGROUP: %s", r->str);
		if (strncmp(r->str, "NOGROUP", 7) == 0)
			(void)outbox_prepare(rs);
	}
	freeReplyObject(r);
	return STORE_OK;
}

enum store_status
outbox_next(struct redis_store *rs, const char *consumer, long block_ms,
    struct outbox_entry *out, int max, int *n)
{
	char key[256];
	enum store_status st;

	*n = 0;
	stream(rs, key);
	if ((st = claim_abandoned(rs, key, consumer, out, max, n)) != STORE_OK || *n > 0)
		return st;
	return read_new(rs, key, consumer, block_ms, out, max, n);
}

enum store_status
outbox_retake(struct redis_store *rs, const char *consumer, struct outbox_entry *e, bool *taken)
{
	char key[256], id[sizeof e->id];
	const char *argv[] = { "XCLAIM", key, OUTBOX_GROUP, consumer, "0", id };
	redisReply *r;

	*taken = false;
	stream(rs, key);
	snprintf(id, sizeof id, "%s", e->id);
	if ((r = rs_call(rs, 6, argv, NULL, RS_NO_RETRY)) == NULL)
		return STORE_UNAVAILABLE;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY) {
		parse_entry(r->element[0], e);
		e->deliveries = deliveries_of(rs, key, e->id);
		*taken = true;
	}
	freeReplyObject(r);
	return STORE_OK;
}

/* Runs outbox_done for the n entries `ids`, counted under `how`; with an
 * error, `dead` (its only entry) is a dead letter. */
static enum store_status
finish(struct redis_store *rs, const char *const *ids, int n, const char *how,
    const struct outbox_entry *dead, const char *error)
{
	struct rs_args a = { .n = 0 };
	char created[24];	/* lives as long as `a`, which points into it */
	enum store_status st;
	redisReply *r;

	if (n <= 0 || n > OUTBOX_DONE_MAX)
		return n == 0 ? STORE_OK : STORE_ERROR;
	rs_arg_str(&a, OUTBOX_DONE_ARG_HOW, how);
	rs_arg_str(&a, OUTBOX_DONE_ARG_ERROR, error);
	rs_arg_num(&a, OUTBOX_DONE_ARG_DELIVERIES, dead ? dead->deliveries : 0);
	rs_arg_num(&a, OUTBOX_DONE_ARG_N, n);
	for (int i = 0; i < n; i++)
		rs_arg_str(&a, OUTBOX_DONE_ARG_IDS + i, ids[i]);
	if (dead != NULL) {
		const char *fields[][2] = {
			{ "phone", dead->phone }, { "code", dead->code }, { "purpose", dead->purpose },
			{ "created_at", created }, { "language", dead->language }, { "text", dead->text },
		};

		/* the entry as it was, for whoever looks into the dead letters */
		snprintf(created, sizeof created, "%lld", dead->created_at);
		for (int i = 0; i < (int)(sizeof fields / sizeof fields[0]); i++) {
			rs_arg_str(&a, OUTBOX_DONE_ARG_IDS + n + 2 * i, fields[i][0]);
			rs_arg_str(&a, OUTBOX_DONE_ARG_IDS + n + 2 * i + 1, fields[i][1]);
		}
	}
	st = rs_run(rs, SC_OUTBOX_DONE, &a, &r, NULL);
	freeReplyObject(r);
	return st;
}

enum store_status
outbox_done(struct redis_store *rs, const char *const *ids, int n, enum outbox_done how)
{
	return finish(rs, ids, n, done_names[how], NULL, NULL);
}

enum store_status
outbox_dead(struct redis_store *rs, const struct outbox_entry *e, const char *error)
{
	const char *ids[] = { e->id };

	return finish(rs, ids, 1, DEAD_NAME, e, error[0] ? error : "unknown error");
}

/* XINFO GROUPS: our group's pending count and lag (-1: not known). */
static enum store_status
group_info(struct redis_store *rs, const char *key, struct outbox_status *st, bool *have_group)
{
	const char *argv[] = { "XINFO", "GROUPS", key };
	redisReply *r;

	*have_group = false;
	if ((r = rs_call(rs, 3, argv, NULL, RS_RETRY)) == NULL)
		return STORE_UNAVAILABLE;
	/* per group a flat list of name/value pairs */
	for (size_t g = 0; r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
		const redisReply *grp = r->element[g];
		bool ours = false;
		long long pending = 0, lag = -1;

		for (size_t i = 0; grp->type == REDIS_REPLY_ARRAY && i + 1 < grp->elements; i += 2) {
			const char *f = grp->element[i]->str;
			const redisReply *v = grp->element[i + 1];

			if (f == NULL)
				continue;
			if (strcmp(f, "name") == 0 && v->str && strcmp(v->str, OUTBOX_GROUP) == 0)
				ours = true;
			else if (strcmp(f, "pending") == 0 && v->type == REDIS_REPLY_INTEGER)
				pending = v->integer;
			else if (strcmp(f, "lag") == 0 && v->type == REDIS_REPLY_INTEGER)
				lag = v->integer;
		}
		if (ours) {
			*have_group = true;
			st->pending = pending;
			st->unread = lag;
		}
	}
	freeReplyObject(r);
	return STORE_OK;
}

enum store_status
outbox_status(struct redis_store *rs, struct outbox_status *st)
{
	char key[256], dead[256], stats[256];
	const char *len[] = { "XLEN", key };
	const char *dlen[] = { "XLEN", dead };
	const char *hget[] = { "HMGET", stats, done_names[OUTBOX_DELIVERED], done_names[OUTBOX_EXPIRED] };
	enum store_status s;
	redisReply *r;
	bool have_group;
	long long all;

	memset(st, 0, sizeof *st);
	rs_outbox_key(rs_config(rs), OUTBOX_STREAM, key, sizeof key);
	rs_outbox_key(rs_config(rs), OUTBOX_DEAD, dead, sizeof dead);
	rs_outbox_key(rs_config(rs), OUTBOX_STATS, stats, sizeof stats);
	if ((s = group_info(rs, key, st, &have_group)) != STORE_OK)
		return s;
	if (!have_group || st->unread < 0) {
		/* no sender ever ran (or Redis too old to say): everything is unread */
		if ((s = rs_call_integer(rs, 2, len, &all)) != STORE_OK)
			return s;
		st->unread = all - st->pending > 0 ? all - st->pending : 0;
	}
	if ((s = rs_call_integer(rs, 2, dlen, &st->dead)) != STORE_OK)
		return s;
	if ((r = rs_call(rs, 4, hget, NULL, RS_RETRY)) == NULL)
		return STORE_UNAVAILABLE;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
		st->delivered = r->element[0]->str ? strtoll(r->element[0]->str, NULL, 10) : 0;
		st->expired = r->element[1]->str ? strtoll(r->element[1]->str, NULL, 10) : 0;
	}
	freeReplyObject(r);
	return STORE_OK;
}

/* [id, [field, value, ...]] of the dead letters -> d */
static void
parse_dead(const redisReply *item, struct outbox_dead_letter *d)
{
	const redisReply *fields;

	memset(d, 0, sizeof *d);
	if (item->type != REDIS_REPLY_ARRAY || item->elements != 2)
		return;
	rs_copy_str(d->id, sizeof d->id, item->element[0]);
	fields = item->element[1];
	for (size_t i = 0; fields->type == REDIS_REPLY_ARRAY && i + 1 < fields->elements; i += 2) {
		const char *f = fields->element[i]->str;
		const redisReply *v = fields->element[i + 1];
		char n[32];

		if (f == NULL)
			continue;
		if (strcmp(f, "phone") == 0)
			rs_copy_str(d->phone, sizeof d->phone, v);
		else if (strcmp(f, "purpose") == 0)
			rs_copy_str(d->purpose, sizeof d->purpose, v);
		else if (strcmp(f, "error") == 0)
			rs_copy_str(d->error, sizeof d->error, v);
		else if (strcmp(f, "attempts") == 0 || strcmp(f, "failed_at") == 0) {
			rs_copy_str(n, sizeof n, v);
			if (f[0] == 'a')
				d->attempts = strtol(n, NULL, 10);
			else
				d->failed_at = strtoll(n, NULL, 10);
		}
	}
}

enum store_status
outbox_dead_list(struct redis_store *rs, void (*each)(const struct outbox_dead_letter *d,
    void *arg), void *arg)
{
	char key[256], from[64] = "-";

	rs_outbox_key(rs_config(rs), OUTBOX_DEAD, key, sizeof key);
	for (;;) {
		const char *argv[] = { "XRANGE", key, from, "+", "COUNT", "500" };
		redisReply *r = rs_call(rs, 6, argv, NULL, RS_RETRY);
		size_t n;

		if (r == NULL)
			return STORE_UNAVAILABLE;
		if (r->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			return STORE_ERROR;
		}
		n = r->elements;
		for (size_t i = 0; i < n; i++) {
			struct outbox_dead_letter d;

			parse_dead(r->element[i], &d);
			each(&d, arg);
			if (i == n - 1)
				snprintf(from, sizeof from, "(%s", d.id);	/* after the last one */
		}
		freeReplyObject(r);
		if (n < 500)
			return STORE_OK;
	}
}

enum store_status
outbox_dead_retry(struct redis_store *rs, long *moved)
{
	*moved = 0;
	for (;;) {
		struct rs_args a = { .n = 0 };
		enum store_status st;
		long long n;

		if ((st = rs_run_number(rs, SC_DEAD_RETRY, &a, DEAD_RETRY_REPLY_MOVED, &n)) != STORE_OK)
			return st;
		*moved += (long)n;
		if (n == 0)
			return STORE_OK;
	}
}
