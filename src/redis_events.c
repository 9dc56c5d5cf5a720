/*
 * The events stream's reading side (see redis_events.h), over the
 * connection of redis_store.c. Every sender delivering to an output reads
 * its group as the one consumer "deliverer", under the output's lease: a
 * new holder then finds what the last one left unacknowledged first (read
 * from "0"), in the stream's order, before anything new. Never writes an
 * event: the workers do.
 */
#include "phoneauth/redis_events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redis_call.h"

#include "phoneauth/log.h"

#define CONSUMER "deliverer"
#define DEAD_MAXLEN 100000	/* dead letters kept at most (and audit_retention_days) */

enum events_key { EK_STREAM, EK_DEAD, EK_STATS, EK_LEASE };

static void
key_of(const struct redis_store *rs, enum events_key k, const char *output, char out[256])
{
	static const char *const suffix[] = {
		[EK_STREAM] = "", [EK_DEAD] = ":dead", [EK_STATS] = ":stats", [EK_LEASE] = ":lease:",
	};

	snprintf(out, 256, "%sevents%s%s", rs_config(rs)->redis_prefix, suffix[k],
	    k == EK_LEASE ? output : "");
}

/* A reply that is not an error; logs the error otherwise. */
static bool
answered(const redisReply *r, const char *what)
{
	if (r->type != REDIS_REPLY_ERROR)
		return true;
	log_error("redis: %s: %s", what, r->str);
	return false;
}

enum store_status
events_prepare(struct redis_store *rs, const char *output)
{
	char key[256];
	const char *argv[] = { "XGROUP", "CREATE", key, output, "0", "MKSTREAM" };
	redisReply *r;
	bool ok;

	key_of(rs, EK_STREAM, NULL, key);
	if ((r = rs_call(rs, 6, argv, NULL, RS_RETRY)) == NULL)
		return STORE_UNAVAILABLE;
	ok = r->type != REDIS_REPLY_ERROR || strncmp(r->str, "BUSYGROUP", 9) == 0;
	if (!ok)
		log_error("redis: XGROUP CREATE %s: %s", output, r->str);
	freeReplyObject(r);
	return ok ? STORE_OK : STORE_ERROR;
}

static enum store_status
lease(struct redis_store *rs, const char *output, const char *holder, long ttl_ms,
    const char *op, bool *held)
{
	struct rs_args a = { .n = 0 };
	char key[256];
	long long n = 0;
	enum store_status st;

	key_of(rs, EK_LEASE, output, key);
	rs_arg_str(&a, EVENT_LEASE_ARG_KEY, key);
	rs_arg_str(&a, EVENT_LEASE_ARG_HOLDER, holder);
	rs_arg_num(&a, EVENT_LEASE_ARG_TTL, ttl_ms);
	rs_arg_str(&a, EVENT_LEASE_ARG_OP, op);
	st = rs_run_number(rs, SC_EVENT_LEASE, &a, EVENT_LEASE_REPLY_HELD, &n);
	if (held != NULL)
		*held = st == STORE_OK && n == 1;
	return st;
}

enum store_status
events_lease(struct redis_store *rs, const char *output, const char *holder, long ttl_ms,
    bool *held)
{
	return lease(rs, output, holder, ttl_ms, "take", held);
}

enum store_status
events_lease_drop(struct redis_store *rs, const char *output, const char *holder)
{
	return lease(rs, output, holder, 1, "drop", NULL);
}

/* Copies a field's value if it fits (with its NUL); false if not. */
static bool
take(char *dst, size_t size, const redisReply *v)
{
	if (v->type != REDIS_REPLY_STRING || v->len >= size)
		return false;
	memcpy(dst, v->str, v->len + 1);
	return true;
}

/* [id, [field, value, ...]] -> entry (fields nil: deleted meanwhile) */
static void
parse_entry(const redisReply *item, struct event_entry *e)
{
	const redisReply *fields;
	bool have_id = false, have_type = false, have_json = false;

	memset(e, 0, sizeof *e);
	e->malformed = true;
	if (item == NULL || item->type != REDIS_REPLY_ARRAY || item->elements != 2)
		return;
	rs_copy_str(e->id, sizeof e->id, item->element[0]);
	fields = item->element[1];
	for (size_t i = 0; fields->type == REDIS_REPLY_ARRAY && i + 1 < fields->elements; i += 2) {
		const char *f = fields->element[i]->str;
		const redisReply *v = fields->element[i + 1];

		if (f == NULL)
			continue;
		if (strcmp(f, "id") == 0)
			have_id = take(e->event_id, sizeof e->event_id, v);
		else if (strcmp(f, "type") == 0)
			have_type = take(e->type, sizeof e->type, v);
		else if (strcmp(f, "event") == 0 && (have_json = take(e->json, sizeof e->json, v)))
			e->len = v->len;
		else if (strcmp(f, "lang") == 0)
			(void)take(e->lang, sizeof e->lang, v);
		else if (strcmp(f, "only") == 0)
			(void)take(e->only, sizeof e->only, v);
	}
	e->malformed = !have_id || !have_type || !have_json;
}

/* XREADGROUP from `from` ("0": this consumer's pending, ">": new). */
static enum store_status
read_group(struct redis_store *rs, const char *output, const char *from, long block_ms,
    struct event_entry *out, int max, int *n)
{
	char key[256], count[16], block[24];
	const char *argv[] = { "XREADGROUP", "GROUP", output, CONSUMER, "COUNT", count,
		"BLOCK", block, "STREAMS", key, from };
	int argc = 11;
	redisReply *r;

	key_of(rs, EK_STREAM, NULL, key);
	snprintf(count, sizeof count, "%d", max);
	snprintf(block, sizeof block, "%ld", block_ms);
	if (strcmp(from, ">") != 0) {
		/* no BLOCK for the pending ones */
		argv[6] = "STREAMS", argv[7] = key, argv[8] = from;
		argc = 9;
	}
	if ((r = rs_call(rs, argc, argv, NULL, RS_NO_RETRY)) == NULL)
		return STORE_UNAVAILABLE;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2) {
		const redisReply *items = r->element[0]->element[1];

		for (size_t i = 0; items->type == REDIS_REPLY_ARRAY && i < items->elements &&
		    *n < max; i++)
			parse_entry(items->element[i], &out[(*n)++]);
	} else if (r->type == REDIS_REPLY_ERROR) {
		log_error("redis: XREADGROUP %s: %s", output, r->str);
		if (strncmp(r->str, "NOGROUP", 7) == 0)
			(void)events_prepare(rs, output);
		freeReplyObject(r);
		return STORE_ERROR;
	}
	freeReplyObject(r);
	return STORE_OK;
}

enum store_status
events_next(struct redis_store *rs, const char *output, long block_ms,
    struct event_entry *out, int max, int *n)
{
	enum store_status st;

	*n = 0;
	if ((st = read_group(rs, output, "0", 0, out, max, n)) != STORE_OK || *n > 0)
		return st;
	return read_group(rs, output, ">", block_ms, out, max, n);
}

void
events_count(struct redis_store *rs, const char *output, const char *result)
{
	char key[256], field[EVENTS_OUTPUT_MAX + 32];
	const char *argv[] = { "HINCRBY", key, field, "1" };

	key_of(rs, EK_STATS, NULL, key);
	snprintf(field, sizeof field, "%s|%s", output, result);
	freeReplyObject(rs_call(rs, 4, argv, NULL, RS_NO_RETRY));
}

enum store_status
events_ack(struct redis_store *rs, const char *output, const char *id, const char *result)
{
	char key[256];
	const char *argv[] = { "XACK", key, output, id };
	redisReply *r;
	bool ok;

	key_of(rs, EK_STREAM, NULL, key);
	if ((r = rs_call(rs, 4, argv, NULL, RS_RETRY)) == NULL)
		return STORE_UNAVAILABLE;
	ok = answered(r, "XACK");
	freeReplyObject(r);
	if (ok && result != NULL)
		events_count(rs, output, result);
	return ok ? STORE_OK : STORE_ERROR;
}

enum store_status
events_dead(struct redis_store *rs, const char *output, const struct event_entry *e,
    const char *error, long tries)
{
	char key[256], when[24], n[24];
	const char *argv[] = { "XADD", key, "MAXLEN", "~", "100000", "*",
		"output", output, "id", e->event_id, "type", e->type, "event", e->json,
		"lang", e->lang, "error", error, "tries", n, "failed_at", when };
	redisReply *r;
	bool ok;

	key_of(rs, EK_DEAD, NULL, key);
	snprintf(when, sizeof when, "%lld", (long long)time(NULL));
	snprintf(n, sizeof n, "%ld", tries);
	if ((r = rs_call(rs, 22, argv, NULL, RS_NO_RETRY)) == NULL)
		return STORE_UNAVAILABLE;
	ok = answered(r, "XADD events:dead");
	freeReplyObject(r);
	if (!ok)
		return STORE_ERROR;
	return events_ack(rs, output, e->id, "dead");
}

static void
parse_dead(const redisReply *item, struct events_dead_letter *d, struct event_entry *e)
{
	const redisReply *fields;

	memset(d, 0, sizeof *d);
	parse_entry(item, e);
	if (item->type != REDIS_REPLY_ARRAY || item->elements != 2)
		return;
	rs_copy_str(d->id, sizeof d->id, item->element[0]);
	fields = item->element[1];
	for (size_t i = 0; fields->type == REDIS_REPLY_ARRAY && i + 1 < fields->elements; i += 2) {
		const char *f = fields->element[i]->str;
		const redisReply *v = fields->element[i + 1];
		char num[32] = "";

		if (f == NULL)
			continue;
		if (strcmp(f, "output") == 0)
			rs_copy_str(d->output, sizeof d->output, v);
		else if (strcmp(f, "error") == 0)
			rs_copy_str(d->error, sizeof d->error, v);
		else if (strcmp(f, "tries") == 0 || strcmp(f, "failed_at") == 0) {
			rs_copy_str(num, sizeof num, v);
			if (f[0] == 't')
				d->tries = strtol(num, NULL, 10);
			else
				d->failed_at = strtoll(num, NULL, 10);
		}
	}
	snprintf(d->event_id, sizeof d->event_id, "%s", e->event_id);
	snprintf(d->type, sizeof d->type, "%s", e->type);
}

/* Calls `each` for every dead letter, oldest first, with its entry. */
static enum store_status
dead_walk(struct redis_store *rs, bool (*each)(struct redis_store *rs,
    const struct events_dead_letter *d, const struct event_entry *e, void *arg), void *arg)
{
	char key[256], from[64] = "-";
	struct event_entry *e = malloc(sizeof *e);	/* owner: this function */

	if (e == NULL)
		return STORE_ERROR;
	key_of(rs, EK_DEAD, NULL, key);
	for (;;) {
		const char *argv[] = { "XRANGE", key, from, "+", "COUNT", "200" };
		redisReply *r = rs_call(rs, 6, argv, NULL, RS_RETRY);
		size_t n;

		if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			free(e);
			return r == NULL ? STORE_UNAVAILABLE : STORE_ERROR;
		}
		n = r->elements;
		for (size_t i = 0; i < n; i++) {
			struct events_dead_letter d;

			parse_dead(r->element[i], &d, e);
			snprintf(from, sizeof from, "(%s", d.id);	/* after this one */
			if (!each(rs, &d, e, arg)) {
				freeReplyObject(r);
				free(e);
				return STORE_UNAVAILABLE;
			}
		}
		freeReplyObject(r);
		if (n < 200) {
			free(e);
			return STORE_OK;
		}
	}
}

struct list_arg {
	void (*each)(const struct events_dead_letter *d, void *arg);
	void *arg;
};

static bool
list_one(struct redis_store *rs, const struct events_dead_letter *d, const struct event_entry *e,
    void *arg)
{
	struct list_arg *l = arg;

	(void)rs;
	(void)e;
	l->each(d, l->arg);
	return true;
}

enum store_status
events_dead_list(struct redis_store *rs,
    void (*each)(const struct events_dead_letter *d, void *arg), void *arg)
{
	struct list_arg l = { each, arg };

	return dead_walk(rs, list_one, &l);
}

/* Back in the stream as a new entry for its output only, then out of the
 * dead letters (a crash between the two: delivered twice, never lost). */
static bool
retry_one(struct redis_store *rs, const struct events_dead_letter *d,
    const struct event_entry *e, void *arg)
{
	char stream[256], dead[256];
	const char *add[] = { "XADD", stream, "*", "id", e->event_id, "type", e->type,
		"event", e->json, "lang", e->lang, "only", d->output };
	const char *del[] = { "XDEL", dead, d->id };
	redisReply *r;

	if (e->malformed || d->output[0] == '\0')
		return true;	/* nothing to deliver: left for the operator to read */
	key_of(rs, EK_STREAM, NULL, stream);
	key_of(rs, EK_DEAD, NULL, dead);
	if ((r = rs_call(rs, 13, add, NULL, RS_NO_RETRY)) == NULL)
		return false;
	freeReplyObject(r);
	if ((r = rs_call(rs, 3, del, NULL, RS_RETRY)) == NULL)
		return false;
	freeReplyObject(r);
	(*(long *)arg)++;
	return true;
}

enum store_status
events_dead_retry(struct redis_store *rs, long *moved)
{
	*moved = 0;
	return dead_walk(rs, retry_one, moved);
}

enum store_status
events_dead_expire(struct redis_store *rs)
{
	char key[256], minid[32];
	const char *argv[] = { "XTRIM", key, "MINID", "~", minid };
	long long ms = ((long long)time(NULL) - rs_config(rs)->audit_retention_days * 86400LL) * 1000;
	redisReply *r;

	key_of(rs, EK_DEAD, NULL, key);
	snprintf(minid, sizeof minid, "%lld", ms > 0 ? ms : 0);
	if ((r = rs_call(rs, 5, argv, NULL, RS_RETRY)) == NULL)
		return STORE_UNAVAILABLE;
	freeReplyObject(r);
	return STORE_OK;
}

/* "ms-seq" -> its two numbers; false if it is not an entry id. */
static bool
entry_id(const char *s, unsigned long long *ms, unsigned long long *seq)
{
	char *end;

	*ms = strtoull(s, &end, 10);
	if (end == s || *end != '-')
		return false;
	*seq = strtoull(end + 1, &end, 10);
	return *end == '\0';
}

static bool
id_less(unsigned long long ams, unsigned long long aseq, unsigned long long bms,
    unsigned long long bseq)
{
	return ams < bms || (ams == bms && aseq < bseq);
}

/*
 * The first id the output still needs: its oldest unacknowledged one, else
 * the one after the last it was handed. *known false when its group does
 * not exist (then nothing may be trimmed: it will start from the beginning).
 */
static enum store_status
needed_from(struct redis_store *rs, const char *key, const char *output,
    unsigned long long *ms, unsigned long long *seq, bool *known)
{
	const char *info[] = { "XINFO", "GROUPS", key };
	const char *pend[] = { "XPENDING", key, output };
	redisReply *r;

	*known = false;
	if ((r = rs_call(rs, 3, info, NULL, RS_RETRY)) == NULL)
		return STORE_UNAVAILABLE;
	for (size_t g = 0; r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
		const redisReply *grp = r->element[g];
		bool ours = false;
		char last[64] = "";

		for (size_t i = 0; grp->type == REDIS_REPLY_ARRAY && i + 1 < grp->elements; i += 2) {
			const char *f = grp->element[i]->str;
			const redisReply *v = grp->element[i + 1];

			if (f == NULL)
				continue;
			if (strcmp(f, "name") == 0 && v->str && strcmp(v->str, output) == 0)
				ours = true;
			else if (strcmp(f, "last-delivered-id") == 0)
				rs_copy_str(last, sizeof last, v);
		}
		if (ours && entry_id(last, ms, seq)) {
			*known = true;
			(*seq)++;
		}
	}
	freeReplyObject(r);
	if (!*known)
		return STORE_OK;
	if ((r = rs_call(rs, 3, pend, NULL, RS_RETRY)) == NULL)
		return STORE_UNAVAILABLE;
	/* [count, smallest id, greatest id, consumers] */
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 4 &&
	    r->element[1]->type == REDIS_REPLY_STRING) {
		unsigned long long pms, pseq;

		if (entry_id(r->element[1]->str, &pms, &pseq) && id_less(pms, pseq, *ms, *seq))
			*ms = pms, *seq = pseq;
	}
	freeReplyObject(r);
	return STORE_OK;
}

enum store_status
events_trim(struct redis_store *rs, const char *const *outputs, int n)
{
	char key[256], minid[64];
	const char *argv[] = { "XTRIM", key, "MINID", minid };
	unsigned long long ms = ~0ULL, seq = ~0ULL;
	enum store_status st;
	redisReply *r;

	key_of(rs, EK_STREAM, NULL, key);
	for (int i = 0; i < n; i++) {
		unsigned long long oms, oseq;
		bool known;

		if ((st = needed_from(rs, key, outputs[i], &oms, &oseq, &known)) != STORE_OK)
			return st;
		if (!known)
			return STORE_OK;
		if (id_less(oms, oseq, ms, seq))
			ms = oms, seq = oseq;
	}
	if (n == 0) {
		/* no output: nobody will ever read them */
		const char *all[] = { "XTRIM", key, "MAXLEN", "0" };

		if ((r = rs_call(rs, 4, all, NULL, RS_RETRY)) == NULL)
			return STORE_UNAVAILABLE;
		freeReplyObject(r);
		return STORE_OK;
	}
	snprintf(minid, sizeof minid, "%llu-%llu", ms, seq);
	if ((r = rs_call(rs, 4, argv, NULL, RS_RETRY)) == NULL)
		return STORE_UNAVAILABLE;
	freeReplyObject(r);
	return STORE_OK;
}

enum store_status
events_status(struct redis_store *rs, struct events_status *st)
{
	char key[256], dead[256];
	const char *len[] = { "XLEN", key };
	const char *dlen[] = { "XLEN", dead };
	enum store_status s;

	memset(st, 0, sizeof *st);
	key_of(rs, EK_STREAM, NULL, key);
	key_of(rs, EK_DEAD, NULL, dead);
	if ((s = rs_call_integer(rs, 2, len, &st->total)) != STORE_OK)
		return s;
	return rs_call_integer(rs, 2, dlen, &st->dead);
}

enum store_status
events_backlog(struct redis_store *rs, const char *output, long long *backlog)
{
	char key[256];
	const char *info[] = { "XINFO", "GROUPS", key };
	redisReply *r;

	*backlog = -1;
	key_of(rs, EK_STREAM, NULL, key);
	if ((r = rs_call(rs, 3, info, NULL, RS_RETRY)) == NULL)
		return STORE_UNAVAILABLE;
	for (size_t g = 0; r->type == REDIS_REPLY_ARRAY && g < r->elements; g++) {
		const redisReply *grp = r->element[g];
		bool ours = false;
		long long pending = 0, lag = 0;

		for (size_t i = 0; grp->type == REDIS_REPLY_ARRAY && i + 1 < grp->elements; i += 2) {
			const char *f = grp->element[i]->str;
			const redisReply *v = grp->element[i + 1];

			if (f == NULL)
				continue;
			if (strcmp(f, "name") == 0 && v->str && strcmp(v->str, output) == 0)
				ours = true;
			else if (strcmp(f, "pending") == 0 && v->type == REDIS_REPLY_INTEGER)
				pending = v->integer;
			else if (strcmp(f, "lag") == 0 && v->type == REDIS_REPLY_INTEGER)
				lag = v->integer;
		}
		if (ours)
			*backlog = pending + lag;
	}
	freeReplyObject(r);
	if (*backlog < 0) {
		/* no sender ever ran for it: the whole stream waits */
		const char *len[] = { "XLEN", key };

		return rs_call_integer(rs, 2, len, backlog);
	}
	return STORE_OK;
}

enum store_status
events_counts(struct redis_store *rs,
    void (*each)(const char *output, const char *result, long long n, void *arg), void *arg)
{
	char key[256];
	const char *argv[] = { "HGETALL", key };
	redisReply *r;

	key_of(rs, EK_STATS, NULL, key);
	if ((r = rs_call(rs, 2, argv, NULL, RS_RETRY)) == NULL)
		return STORE_UNAVAILABLE;
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
		char field[EVENTS_OUTPUT_MAX + 32], n[32];
		char *bar;

		rs_copy_str(field, sizeof field, r->element[i]);
		rs_copy_str(n, sizeof n, r->element[i + 1]);
		if ((bar = strrchr(field, '|')) == NULL)
			continue;
		*bar = '\0';
		each(field, bar + 1, strtoll(n, NULL, 10), arg);
	}
	freeReplyObject(r);
	return STORE_OK;
}

enum store_status
events_notice(struct redis_store *rs, const char *output, const char *id, const char *phone,
    const char *lang, const char *type, const char *text, enum events_notice *result)
{
	struct rs_args a = { .n = 0 };
	char stream[256];
	long long n = 0;
	enum store_status st;

	key_of(rs, EK_STREAM, NULL, stream);
	rs_arg_str(&a, EVENT_NOTICE_ARG_STREAM, stream);
	rs_arg_str(&a, EVENT_NOTICE_ARG_GROUP, output);
	rs_arg_str(&a, EVENT_NOTICE_ARG_ID, id);
	rs_arg_str(&a, EVENT_NOTICE_ARG_PHONE, phone);
	rs_arg_str(&a, EVENT_NOTICE_ARG_LANG, lang);
	rs_arg_str(&a, EVENT_NOTICE_ARG_EVENT, type);
	rs_arg_str(&a, EVENT_NOTICE_ARG_TEXT, text);
	st = rs_run_number(rs, SC_EVENT_NOTICE, &a, EVENT_NOTICE_REPLY_RESULT, &n);
	*result = n == 0 ? EVENTS_NOTICE_QUEUED : n == 1 ? EVENTS_NOTICE_DONE_BEFORE
	    : EVENTS_NOTICE_BUDGET;
	return st;
}
