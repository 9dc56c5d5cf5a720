/*
 * The only file that speaks to Redis. One synchronous connection per worker;
 * a connection that failed is freed, never reused (hiredis' rule). One that
 * the server closed (a restart) is found before it is used: an idle
 * connection has nothing to read, so one that polls readable has been ended,
 * and the command goes to a fresh one. A Redis restart thus costs the
 * requests made while it was down and nothing more. The rules themselves
 * live in the scripts of src/lua/, loaded with SCRIPT LOAD at connect and run
 * with EVALSHA.
 */
#define _GNU_SOURCE		/* POLLRDHUP */

#include "phoneauth/redis_store.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis.h>

#include "phoneauth/clock.h"
#include "phoneauth/embedded.h"
#include "phoneauth/log.h"

enum script {
	SC_OPEN, SC_STEP, SC_ADVANCE, SC_RESEND, SC_GATE, SC_RELEASE, SC_REGISTER, SC_OUTBOX_DONE,
	SC__MAX
};

static const char *const script_names[SC__MAX] = {
	[SC_OPEN] = "open", [SC_STEP] = "step", [SC_ADVANCE] = "advance",
	[SC_RESEND] = "resend", [SC_GATE] = "gate", [SC_RELEASE] = "release",
	[SC_REGISTER] = "register", [SC_OUTBOX_DONE] = "outbox_done",
};

/* How long register trusts the cached account state. Every change phoneauth
 * makes drops it at once; this bounds only changes made behind its back
 * (SQL by hand). */
#define ACCOUNT_CACHE_MS 300000

/* After a failed connect, requests answer 503 at once for this long instead
 * of each waiting for a connect timeout of its own. */
#define RECONNECT_PAUSE_MS 500
#define CONNECT_TIMEOUT_MS 1000
#define COMMAND_TIMEOUT_MS 2000
#define OUTBOX_MAXLEN "100000"

struct redis_store {
	const struct config *cfg;
	redisContext *c;
	char *source[SC__MAX];		/* prelude + script; owner: this */
	char sha[SC__MAX][41];
	long long next_connect_ms;
	bool down_logged;
	char common[3][24];		/* max_failed, window ms, duration ms */
};

/* Arguments of one script call; numbers are formatted into `num`. */
#define MAX_ARGS 32
struct args {
	const char *v[MAX_ARGS];
	size_t len[MAX_ARGS];
	char num[MAX_ARGS][24];
	int n;
};

static void
arg_bin(struct args *a, const void *v, size_t len)
{
	if (a->n < MAX_ARGS) {
		a->v[a->n] = v;
		a->len[a->n] = len;
		a->n++;
	}
}

static void
arg_str(struct args *a, const char *s)
{
	arg_bin(a, s, strlen(s));
}

static void
arg_num(struct args *a, long long v)
{
	if (a->n < MAX_ARGS) {
		int len = snprintf(a->num[a->n], sizeof a->num[a->n], "%lld", v);

		arg_bin(a, a->num[a->n], (size_t)len);
	}
}

struct redis_store *
rs_new(const struct config *cfg)
{
	struct redis_store *rs = calloc(1, sizeof *rs);
	const char *prelude = NULL;

	if (rs == NULL)
		return NULL;
	rs->cfg = cfg;
	snprintf(rs->common[0], sizeof rs->common[0], "%ld", cfg->max_failed_attempts);
	snprintf(rs->common[1], sizeof rs->common[1], "%ld", cfg->block_window * 1000);
	snprintf(rs->common[2], sizeof rs->common[2], "%ld", cfg->block_duration * 1000);
	for (size_t i = 0; i < lua_scripts_count; i++)
		if (strcmp(lua_scripts[i].name, "prelude") == 0)
			prelude = lua_scripts[i].text;
	for (int s = 0; s < SC__MAX; s++) {
		const char *body = NULL;
		size_t len;

		for (size_t i = 0; i < lua_scripts_count; i++)
			if (strcmp(lua_scripts[i].name, script_names[s]) == 0)
				body = lua_scripts[i].text;
		if (prelude == NULL || body == NULL) {
			log_error("redis: script %s is not compiled in", script_names[s]);
			rs_free(rs);
			return NULL;
		}
		len = strlen(prelude) + strlen(body) + 1;
		if ((rs->source[s] = malloc(len)) == NULL) {
			rs_free(rs);
			return NULL;
		}
		snprintf(rs->source[s], len, "%s%s", prelude, body);
	}
	return rs;
}

static void
drop(struct redis_store *rs, const char *why)
{
	if (rs->c != NULL) {
		log_warn("redis: connection lost (%s); reconnecting on the next request", why);
		redisFree(rs->c);
		rs->c = NULL;
	}
}

void
rs_free(struct redis_store *rs)
{
	if (rs == NULL)
		return;
	if (rs->c != NULL)
		redisFree(rs->c);
	for (int s = 0; s < SC__MAX; s++)
		free(rs->source[s]);
	free(rs);
}

/* Sends a command and expects a reply that is not an error. */
static bool
command_ok(redisContext *c, int argc, const char **argv, const size_t *lens, const char *what)
{
	redisReply *r = redisCommandArgv(c, argc, argv, lens);
	bool ok = r != NULL && r->type != REDIS_REPLY_ERROR;

	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		log_error("redis: %s: %s", what, r->str);
	freeReplyObject(r);
	return ok;
}

static bool
load_scripts(struct redis_store *rs)
{
	for (int s = 0; s < SC__MAX; s++) {
		const char *argv[] = { "SCRIPT", "LOAD", rs->source[s] };
		redisReply *r = redisCommandArgv(rs->c, 3, argv, NULL);
		bool ok = r != NULL && r->type == REDIS_REPLY_STRING && r->len == 40;

		if (ok)
			memcpy(rs->sha[s], r->str, 41);
		else if (r != NULL && r->type == REDIS_REPLY_ERROR)
			log_error("redis: loading script %s: %s", script_names[s], r->str);
		freeReplyObject(r);
		if (!ok)
			return false;
	}
	return true;
}

/* Whether the server has ended our idle connection (see the top). */
static bool
server_ended(const redisContext *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLRDHUP };

	return c->err != 0 || poll(&p, 1, 0) != 0;
}

/* A connect that fails this fast (refused, no socket) is tried again on the
 * next request; only a slow one (a timeout) makes requests wait it out. */
#define FAST_FAILURE_MS 100

static bool
ensure_connected(struct redis_store *rs)
{
	const struct redis_addr *a = &rs->cfg->redis;
	struct timeval connect_tv = { CONNECT_TIMEOUT_MS / 1000, (CONNECT_TIMEOUT_MS % 1000) * 1000 };
	struct timeval cmd_tv = { COMMAND_TIMEOUT_MS / 1000, (COMMAND_TIMEOUT_MS % 1000) * 1000 };
	const char *why = NULL;
	long long started;

	if (rs->c != NULL && server_ended(rs->c))
		drop(rs, "closed by the server");
	if (rs->c != NULL)
		return true;
	started = clock_monotonic_ms();
	if (started < rs->next_connect_ms)
		return false;
	rs->c = a->socket_path ? redisConnectUnixWithTimeout(a->socket_path, connect_tv)
	    : redisConnectWithTimeout(a->host, a->port, connect_tv);
	if (rs->c == NULL || rs->c->err) {
		why = rs->c ? rs->c->errstr : "out of memory";
		goto fail;
	}
	if (redisSetTimeout(rs->c, cmd_tv) != REDIS_OK) {
		why = "cannot set a timeout";
		goto fail;
	}
	if (a->password != NULL) {
		const char *argv[] = { "AUTH", a->user ? a->user : a->password, a->password };

		if (!command_ok(rs->c, a->user ? 3 : 2, argv, NULL, "AUTH")) {
			why = "AUTH failed";
			goto fail;
		}
	}
	if (a->db != 0) {
		char db[16];
		const char *argv[] = { "SELECT", db };

		snprintf(db, sizeof db, "%d", a->db);
		if (!command_ok(rs->c, 2, argv, NULL, "SELECT")) {
			why = "SELECT failed";
			goto fail;
		}
	}
	if (!load_scripts(rs)) {
		why = "SCRIPT LOAD failed";
		goto fail;
	}
	if (rs->down_logged)
		log_info("redis: connected again");
	rs->down_logged = false;
	return true;
fail:
	if (!rs->down_logged)
		log_warn("redis: cannot connect: %s", why);
	rs->down_logged = true;
	if (rs->c != NULL)
		redisFree(rs->c);
	rs->c = NULL;
	if (clock_monotonic_ms() - started > FAST_FAILURE_MS)
		rs->next_connect_ms = clock_monotonic_ms() + RECONNECT_PAUSE_MS;
	return false;
}

/*
 * One command, the only place a command meets the connection: (re)connects
 * as needed. A command that meets a connection dying under it is sent again
 * on a fresh one only when `retry` says a second run changes nothing: reads,
 * and writes of the same value. A script is never sent twice: it may have
 * run before the connection broke, and running it again would count a
 * failure twice or send a second code. The reply (owner: the caller), or
 * NULL when Redis cannot be reached.
 */
enum retry { NO_RETRY, RETRY };

static redisReply *
call(struct redis_store *rs, int argc, const char **argv, const size_t *lens, enum retry retry)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		redisReply *r;

		if (!ensure_connected(rs))
			return NULL;
		if ((r = redisCommandArgv(rs->c, argc, argv, lens)) != NULL)
			return r;
		drop(rs, rs->c->errstr);
		if (retry == NO_RETRY)
			break;
	}
	return NULL;
}

bool
rs_ping(struct redis_store *rs)
{
	const char *argv[] = { "PING" };
	redisReply *r = call(rs, 1, argv, NULL, RETRY);
	bool ok = r != NULL && r->type == REDIS_REPLY_STATUS;

	freeReplyObject(r);
	return ok;
}

/*
 * EVALSHA with the common arguments first. Returns the reply (owner: the
 * caller) or NULL with res->outcome set. NOSCRIPT (Redis restarted without
 * our connection noticing, or SCRIPT FLUSH) reloads the scripts once.
 */
static redisReply *
run(struct redis_store *rs, enum script s, const struct args *own, struct rs_result *res)
{
	const char *argv[MAX_ARGS + 8];
	size_t lens[MAX_ARGS + 8];
	int argc = 0;
	redisReply *r = NULL;

	memset(res, 0, sizeof *res);
	argv[argc] = "EVALSHA", lens[argc++] = 7;
	argv[argc] = rs->sha[s], lens[argc++] = 40;
	argv[argc] = "0", lens[argc++] = 1;
	argv[argc] = rs->cfg->redis_prefix, lens[argc++] = strlen(rs->cfg->redis_prefix);
	for (int i = 0; i < 3; i++)
		argv[argc] = rs->common[i], lens[argc++] = strlen(rs->common[i]);
	for (int i = 0; i < own->n; i++)
		argv[argc] = own->v[i], lens[argc++] = own->len[i];
	if ((r = call(rs, argc, argv, lens, NO_RETRY)) != NULL && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "NOSCRIPT", 8) == 0) {
		/* The scripts are gone (SCRIPT FLUSH), so this one did not run:
		 * load them and send it once more. */
		freeReplyObject(r);
		r = rs->c != NULL && load_scripts(rs) ? call(rs, argc, argv, lens, NO_RETRY) : NULL;
	}
	if (r == NULL) {
		res->outcome = RS_UNAVAILABLE;
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		/* Replica, out of memory, loading: Redis is there but cannot serve. */
		log_error("redis: script %s: %s", script_names[s], r->str);
		freeReplyObject(r);
		res->outcome = RS_UNAVAILABLE;
		return NULL;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER) {
		log_error("redis: script %s: unexpected reply", script_names[s]);
		freeReplyObject(r);
		res->outcome = RS_UNAVAILABLE;
		return NULL;
	}
	return r;
}

static void
copy_str(char *dst, size_t size, const redisReply *e)
{
	size_t n = 0;

	if (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS)
		n = e->len < size - 1 ? e->len : size - 1;
	memcpy(dst, e->str ? e->str : "", n);
	dst[n] = '\0';
}

/* Turns the script's {code, ...} into res; returns the reply's element count. */
static size_t
outcome(const redisReply *r, struct rs_result *res)
{
	long long code = r->element[0]->integer;

	switch (code) {
	case 0:
		res->outcome = RS_OK;
		break;
	case 1:
	case 2:
		res->outcome = code == 1 ? RS_BLOCKED : RS_RATE_LIMITED;
		res->retry_ms = r->elements > 1 && r->element[1]->type == REDIS_REPLY_INTEGER
		    ? (long)r->element[1]->integer : 1000;
		break;
	case 3:
		res->outcome = RS_NO_SESSION;
		break;
	case 4:
		res->outcome = RS_WRONG_STEP;
		if (r->elements > 1)
			copy_str(res->step, sizeof res->step, r->element[1]);
		break;
	case 6:
		res->outcome = RS_NOT_CACHED;
		break;
	case 7:
		res->outcome = RS_BANNED;
		break;
	default:
		res->outcome = RS_CODE_VOID;
		break;
	}
	return r->elements;
}

void
rs_gate(struct redis_store *rs, const char *ip, const char *phone, bool take,
    struct rs_result *res)
{
	struct args a = { .n = 0 };
	redisReply *r;

	arg_str(&a, ip);
	arg_str(&a, phone ? phone : "");
	arg_str(&a, take ? "1" : "0");
	if ((r = run(rs, SC_GATE, &a, res)) != NULL) {
		outcome(r, res);
		freeReplyObject(r);
	}
}

/* The arguments every script that sends a code takes, in this order. */
static void
code_args(struct args *a, const struct config *cfg, const struct rs_code *code)
{
	arg_bin(a, code->digest, OTP_DIGEST_LEN);
	arg_num(a, cfg->otp_ttl * 1000LL);
	arg_num(a, cfg->otp_cooldown * 1000LL);
	arg_num(a, cfg->otp_max_per_hour);
	arg_num(a, cfg->otp_max_per_ip_hour);
	arg_str(a, code->code ? code->code : "");	/* "": a ghost */
	arg_str(a, code->language);
	arg_str(a, OUTBOX_MAXLEN);
}

void
rs_open(struct redis_store *rs, const char *ip, const char *phone, const char *sid,
    const char *step, const char *purpose, long long user_id, const struct rs_code *code,
    struct rs_result *res)
{
	struct args a = { .n = 0 };
	redisReply *r;

	arg_str(&a, ip);
	arg_str(&a, phone);
	arg_str(&a, sid);
	arg_str(&a, step);
	arg_str(&a, purpose);
	arg_num(&a, user_id);
	arg_num(&a, rs->cfg->session_ttl * 1000LL);
	if (code != NULL)
		code_args(&a, rs->cfg, code);
	if ((r = run(rs, SC_OPEN, &a, res)) != NULL) {
		outcome(r, res);
		freeReplyObject(r);
	}
}

void
rs_step(struct redis_store *rs, const char *ip, const char *sid, const char *expect,
    enum rs_take take, struct rs_result *res)
{
	static const char *const modes[] = { "0", "1", "2" };
	struct args a = { .n = 0 };
	redisReply *r;

	arg_str(&a, ip);
	arg_str(&a, sid);
	arg_str(&a, expect);
	arg_str(&a, modes[take]);
	arg_num(&a, rs->cfg->session_ttl * 1000LL);
	arg_num(&a, rs->cfg->otp_max_tries);
	if ((r = run(rs, SC_STEP, &a, res)) == NULL)
		return;
	if (outcome(r, res) >= 6 && res->outcome == RS_OK) {
		struct rs_session *s = &res->session;

		copy_str(s->phone, sizeof s->phone, r->element[1]);
		copy_str(s->step, sizeof s->step, r->element[2]);
		copy_str(s->purpose, sizeof s->purpose, r->element[3]);
		s->user_id = r->element[4]->str ? strtoll(r->element[4]->str, NULL, 10) : 0;
		s->has_digest = r->element[5]->type == REDIS_REPLY_STRING &&
		    r->element[5]->len == OTP_DIGEST_LEN;
		if (s->has_digest)
			memcpy(s->digest, r->element[5]->str, OTP_DIGEST_LEN);
	} else if (res->outcome == RS_OK) {
		log_error("redis: script step: short reply");
		res->outcome = RS_UNAVAILABLE;
	}
	freeReplyObject(r);
}

void
rs_advance(struct redis_store *rs, const char *ip, const char *sid, const char *phone,
    long long user_id, const char *from, const char *to, enum rs_give_back back,
    bool account_changed, struct rs_result *res)
{
	static const char *const backs[] = { "0", "1", "2" };
	struct args a = { .n = 0 };
	redisReply *r;

	arg_str(&a, ip);
	arg_str(&a, sid);
	arg_str(&a, phone);
	arg_str(&a, from);
	arg_str(&a, to ? to : "");
	arg_str(&a, backs[back]);
	arg_num(&a, rs->cfg->session_ttl * 1000LL);
	arg_str(&a, account_changed ? "1" : "0");
	arg_num(&a, user_id);
	if ((r = run(rs, SC_ADVANCE, &a, res)) != NULL) {
		outcome(r, res);
		freeReplyObject(r);
	}
}

void
rs_register(struct redis_store *rs, const char *ip, const char *phone, const char *sid,
    const char *state, const struct rs_code *code, struct rs_result *res)
{
	struct args a = { .n = 0 };
	redisReply *r;

	arg_str(&a, ip);
	arg_str(&a, phone);
	arg_str(&a, sid);
	arg_num(&a, rs->cfg->session_ttl * 1000LL);
	arg_num(&a, ACCOUNT_CACHE_MS);
	arg_str(&a, state ? state : "");
	code_args(&a, rs->cfg, code);
	if ((r = run(rs, SC_REGISTER, &a, res)) == NULL)
		return;
	if (outcome(r, res) >= 2 && res->outcome == RS_OK) {
		copy_str(res->step, sizeof res->step, r->element[1]);
		if (r->elements >= 3)
			copy_str(res->session.purpose, sizeof res->session.purpose, r->element[2]);
	}
	freeReplyObject(r);
}

bool
rs_forget_account(struct redis_store *rs, const char *phone)
{
	char key[256];
	const char *argv[] = { "DEL", key };
	redisReply *r;

	snprintf(key, sizeof key, "%su:%s", rs->cfg->redis_prefix, phone);
	if ((r = call(rs, 2, argv, NULL, RETRY)) == NULL)
		return false;
	freeReplyObject(r);
	return true;
}

void
rs_resend(struct redis_store *rs, const char *ip, const char *sid, const struct rs_code *code,
    struct rs_result *res)
{
	struct args a = { .n = 0 };
	redisReply *r;

	arg_str(&a, ip);
	arg_str(&a, sid);
	arg_num(&a, rs->cfg->session_ttl * 1000LL);
	code_args(&a, rs->cfg, code);
	if ((r = run(rs, SC_RESEND, &a, res)) == NULL)
		return;
	if (outcome(r, res) >= 4 && res->outcome == RS_OK) {
		copy_str(res->session.phone, sizeof res->session.phone, r->element[1]);
		copy_str(res->session.purpose, sizeof res->session.purpose, r->element[2]);
		res->session.ghost = r->element[3]->type == REDIS_REPLY_INTEGER &&
		    r->element[3]->integer == 1;
	}
	freeReplyObject(r);
}

void
rs_release(struct redis_store *rs, const char *ip, const char *phone, bool clear_number,
    struct rs_result *res)
{
	struct args a = { .n = 0 };
	redisReply *r;

	arg_str(&a, ip);
	arg_str(&a, phone);
	arg_str(&a, clear_number ? "1" : "0");
	if ((r = run(rs, SC_RELEASE, &a, res)) != NULL) {
		outcome(r, res);
		freeReplyObject(r);
	}
}

/* ---- administration ---- */

static const char *const block_kind_tags[] = { [RS_BLOCK_IP] = "ip", [RS_BLOCK_PHONE] = "ph" };

int
rs_unblock(struct redis_store *rs, enum rs_block_kind kind, const char *id)
{
	char block[256], fails[256];
	const char *argv[] = { "DEL", block, fails };
	redisReply *r;
	int n;

	snprintf(block, sizeof block, "%sb:%s:%s", rs->cfg->redis_prefix, block_kind_tags[kind], id);
	snprintf(fails, sizeof fails, "%sf:%s:%s", rs->cfg->redis_prefix, block_kind_tags[kind], id);
	if ((r = call(rs, 3, argv, NULL, RETRY)) == NULL)
		return -1;
	n = r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
	freeReplyObject(r);
	return n;
}

/* One block key "<prefix>b:<ip|ph>:<id>" -> struct rs_block, with its TTL. */
static bool
read_block(struct redis_store *rs, const char *key, size_t prefix_len, struct rs_block *b)
{
	const char *argv[] = { "PTTL", key };
	const char *rest = key + prefix_len + 2;	/* after "b:" */
	redisReply *r;
	struct timespec now;

	if (strncmp(rest, "ip:", 3) == 0)
		b->kind = RS_BLOCK_IP;
	else if (strncmp(rest, "ph:", 3) == 0)
		b->kind = RS_BLOCK_PHONE;
	else
		return false;
	snprintf(b->id, sizeof b->id, "%s", rest + 3);
	if ((r = call(rs, 2, argv, NULL, RETRY)) == NULL)
		return false;
	b->left_ms = r->type == REDIS_REPLY_INTEGER ? (long)r->integer : -2;
	freeReplyObject(r);
	clock_gettime(CLOCK_REALTIME, &now);
	b->until_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 + b->left_ms;
	return b->left_ms > 0;
}

bool
rs_list_blocks(struct redis_store *rs, void (*each)(const struct rs_block *b, void *arg),
    void *arg)
{
	char pattern[256], cursor[32] = "0";
	size_t prefix_len = strlen(rs->cfg->redis_prefix), o = 0;

	/* The prefix is literal text, not a pattern. */
	for (const char *c = rs->cfg->redis_prefix; *c && o < sizeof pattern - 8; c++) {
		if (strchr("*?[]\\", *c) != NULL)
			pattern[o++] = '\\';
		pattern[o++] = *c;
	}
	snprintf(pattern + o, sizeof pattern - o, "b:*");
	do {
		const char *argv[] = { "SCAN", cursor, "MATCH", pattern, "COUNT", "1000" };
		redisReply *r = call(rs, 6, argv, NULL, RETRY);

		if (r == NULL)
			return false;
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
			freeReplyObject(r);
			return false;
		}
		snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
		for (size_t i = 0; i < r->element[1]->elements; i++) {
			struct rs_block b;

			if (read_block(rs, r->element[1]->element[i]->str, prefix_len, &b))
				each(&b, arg);
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return true;
}

/* ---- the SMS outbox ---- */

static void
stream_key(const struct redis_store *rs, char *out, size_t outlen, const char *suffix)
{
	snprintf(out, outlen, "%ssms%s", rs->cfg->redis_prefix, suffix);
}

bool
rs_outbox_prepare(struct redis_store *rs)
{
	char key[256];
	const char *argv[] = { "XGROUP", "CREATE", key, OUTBOX_GROUP, "0", "MKSTREAM" };
	redisReply *r;
	bool ok;

	stream_key(rs, key, sizeof key, "");
	if ((r = call(rs, 6, argv, NULL, RETRY)) == NULL)
		return false;
	ok = r->type != REDIS_REPLY_ERROR || strncmp(r->str, "BUSYGROUP", 9) == 0;
	if (!ok)
		log_error("redis: XGROUP CREATE: %s", r->str);
	freeReplyObject(r);
	return ok;
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
	copy_str(e->id, sizeof e->id, item->element[0]);
	fields = item->element[1];
	if (fields->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i + 1 < fields->elements; i += 2) {
		const char *f = fields->element[i]->str, *v = fields->element[i + 1]->str;
		size_t vlen = fields->element[i + 1]->len;

		if (f == NULL || v == NULL)
			continue;
		if (strcmp(f, "phone") == 0 && vlen < sizeof e->phone) {
			memcpy(e->phone, v, vlen + 1);
			have_phone = vlen > 0;
		} else if (strcmp(f, "code") == 0 && vlen == OTP_DIGITS) {
			memcpy(e->code, v, vlen + 1);
			have_code = true;
		} else if (strcmp(f, "purpose") == 0 && vlen < sizeof e->purpose) {
			memcpy(e->purpose, v, vlen + 1);
		} else if (strcmp(f, "language") == 0 && vlen < sizeof e->language) {
			memcpy(e->language, v, vlen + 1);
		} else if (strcmp(f, "created_at") == 0) {
			e->created_at = strtoll(v, NULL, 10);
		}
	}
	e->malformed = !have_phone || !have_code || e->created_at <= 0;
}

/* How many times the group has handed `id` out (XPENDING). */
static long
deliveries_of(struct redis_store *rs, const char *key, const char *id)
{
	const char *argv[] = { "XPENDING", key, OUTBOX_GROUP, id, id, "1" };
	redisReply *r = call(rs, 6, argv, NULL, RETRY);
	long n = 1;

	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 4 &&
	    r->element[0]->element[3]->type == REDIS_REPLY_INTEGER)
		n = (long)r->element[0]->element[3]->integer;
	freeReplyObject(r);
	return n;
}

int
rs_outbox_next(struct redis_store *rs, const char *consumer, long block_ms,
    struct outbox_entry *out, int max)
{
	char key[256], idle[24], count[16], block[24];
	redisReply *r;
	int n = 0;

	stream_key(rs, key, sizeof key, "");
	snprintf(idle, sizeof idle, "%ld", rs->cfg->sms_claim_idle * 1000);
	snprintf(count, sizeof count, "%d", max);
	snprintf(block, sizeof block, "%ld", block_ms);
	/* Entries a dead (or stuck) sender left behind come first. */
	{
		const char *argv[] = { "XAUTOCLAIM", key, OUTBOX_GROUP, consumer, idle, "0-0",
			"COUNT", count };

		if ((r = call(rs, 8, argv, NULL, NO_RETRY)) == NULL)
			return -1;
		if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOGROUP", 7) == 0) {
			freeReplyObject(r);
			return rs_outbox_prepare(rs) ? 0 : -1;
		}
		if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
		    r->element[1]->type == REDIS_REPLY_ARRAY) {
			for (size_t i = 0; i < r->element[1]->elements && n < max; i++) {
				if (r->element[1]->element[i]->type != REDIS_REPLY_ARRAY)
					continue;	/* deleted from the stream meanwhile */
				parse_entry(r->element[1]->element[i], &out[n]);
				out[n].deliveries = deliveries_of(rs, key, out[n].id);
				n++;
			}
		}
		freeReplyObject(r);
		if (n > 0)
			return n;
	}
	{
		const char *argv[] = { "XREADGROUP", "GROUP", OUTBOX_GROUP, consumer, "COUNT", count,
			"BLOCK", block, "STREAMS", key, ">" };

		if ((r = call(rs, 11, argv, NULL, NO_RETRY)) == NULL)
			return -1;
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
		    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2) {
			const redisReply *items = r->element[0]->element[1];

			for (size_t i = 0; i < items->elements && n < max; i++) {
				parse_entry(items->element[i], &out[n]);
				out[n].deliveries = 1;
				n++;
			}
		} else if (r->type == REDIS_REPLY_ERROR) {
			log_error("redis: XREADGROUP: %s", r->str);
			if (strncmp(r->str, "NOGROUP", 7) == 0)
				rs_outbox_prepare(rs);
		}
		freeReplyObject(r);
	}
	return n;
}

bool
rs_outbox_retake(struct redis_store *rs, const char *consumer, struct outbox_entry *e)
{
	char key[256], id[sizeof e->id];
	const char *argv[] = { "XCLAIM", key, OUTBOX_GROUP, consumer, "0", id };
	redisReply *r;
	bool ok = false;

	stream_key(rs, key, sizeof key, "");
	snprintf(id, sizeof id, "%s", e->id);
	if ((r = call(rs, 6, argv, NULL, NO_RETRY)) == NULL)
		return false;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY) {
		parse_entry(r->element[0], e);
		e->deliveries = deliveries_of(rs, key, e->id);
		ok = true;
	}
	freeReplyObject(r);
	return ok;
}

static bool
finish(struct redis_store *rs, const struct outbox_entry *e, const char *how, const char *error)
{
	struct args a = { .n = 0 };
	struct rs_result res;
	char created[24];	/* lives as long as `a`, which points into it */
	redisReply *r;

	arg_str(&a, e->id);
	arg_str(&a, how);
	if (error != NULL) {
		snprintf(created, sizeof created, "%lld", e->created_at);
		arg_str(&a, error);
		arg_num(&a, e->deliveries);
		/* the entry as it was, for whoever looks into the dead letters */
		arg_str(&a, "phone");
		arg_str(&a, e->phone);
		arg_str(&a, "code");
		arg_str(&a, e->code);
		arg_str(&a, "purpose");
		arg_str(&a, e->purpose);
		arg_str(&a, "created_at");
		arg_str(&a, created);
		arg_str(&a, "language");
		arg_str(&a, e->language);
	}
	if ((r = run(rs, SC_OUTBOX_DONE, &a, &res)) == NULL)
		return false;
	freeReplyObject(r);
	return true;
}

bool
rs_outbox_done(struct redis_store *rs, const struct outbox_entry *e, enum outbox_done how)
{
	return finish(rs, e, how == OUTBOX_DELIVERED ? "delivered" : "expired", NULL);
}

bool
rs_outbox_dead(struct redis_store *rs, const struct outbox_entry *e, const char *error)
{
	return finish(rs, e, "dead", error);
}

bool
rs_outbox_status(struct redis_store *rs, struct outbox_status *st)
{
	char key[256], dead[256], stats[256];
	const char *groups[] = { "XINFO", "GROUPS", key };
	const char *len[] = { "XLEN", key };
	const char *dlen[] = { "XLEN", dead };
	const char *hget[] = { "HMGET", stats, "delivered", "expired" };
	redisReply *r;
	bool have_group = false;

	memset(st, 0, sizeof *st);
	stream_key(rs, key, sizeof key, "");
	stream_key(rs, dead, sizeof dead, ":dead");
	stream_key(rs, stats, sizeof stats, ":stats");
	if ((r = call(rs, 3, groups, NULL, RETRY)) == NULL)
		return false;
	/* XINFO GROUPS: per group a flat list of name/value pairs */
	if (r->type == REDIS_REPLY_ARRAY) {
		for (size_t g = 0; g < r->elements; g++) {
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
				have_group = true;
				st->pending = pending;
				st->unread = lag;
			}
		}
	}
	freeReplyObject(r);
	if (!have_group || st->unread < 0) {
		/* no sender ever ran (or Redis too old to say): everything is unread */
		if ((r = call(rs, 2, len, NULL, RETRY)) == NULL)
			return false;
		st->unread = r->type == REDIS_REPLY_INTEGER ? r->integer - st->pending : 0;
		if (st->unread < 0)
			st->unread = 0;
		freeReplyObject(r);
	}
	if ((r = call(rs, 2, dlen, NULL, RETRY)) == NULL)
		return false;
	st->dead = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	if ((r = call(rs, 4, hget, NULL, RETRY)) == NULL)
		return false;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
		st->delivered = r->element[0]->str ? strtoll(r->element[0]->str, NULL, 10) : 0;
		st->expired = r->element[1]->str ? strtoll(r->element[1]->str, NULL, 10) : 0;
	}
	freeReplyObject(r);
	return true;
}
