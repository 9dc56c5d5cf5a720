/*
 * The connection to Redis, and the one way a script is called over it
 * (the calls themselves, one file per concern, are redis_session.c,
 * redis_limits.c, redis_accounts.c and redis_admin.c). One synchronous
 * connection per process; a connection that failed is freed, never reused
 * (hiredis' rule). One that the server closed (a restart) is found before it
 * is used: an idle connection has nothing to read, so one that polls
 * readable has been ended, and the command goes to a fresh one. A Redis
 * restart thus costs the requests made while it was down and nothing more.
 *
 * The rules themselves live in src/lua/, loaded as one Redis function
 * library at connect (FUNCTION LOAD; redis_library.c makes it): the
 * libraries run once when it loads, and each script becomes one function,
 * run with FCALL. (As EVAL scripts they ran the whole prelude at every call,
 * a third of a register's time in Redis.) The protocol is named on both
 * sides: the common values (redis_library.c's enum common_arg, configure()
 * at the top of prelude.lua), the verdicts (enum rs_verdict, prelude's R), the steps and purposes
 * (step.c, prelude's STEP and PURPOSE), take and give-back modes, and each
 * script's argument and reply slots (redis_scripts.h, each script's
 * header); unit tests check they agree. This file never calls up into the
 * files that use it.
 */
#define _GNU_SOURCE		/* POLLRDHUP */

#include "redis_call.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phoneauth/log.h"
#include "phoneauth/reconnect.h"
#include "phoneauth/redis_sentinel.h"
#include "redis_library.h"

#define CONNECT_TIMEOUT_MS 1000
#define COMMAND_TIMEOUT_MS 2000

struct redis_store {
	const struct config *cfg;
	redisContext *c;
	struct rs_library lib;		/* what is loaded, and each call's common argument */
	struct reconnect again;
	size_t sentinel_first;		/* the Sentinel asked first (the last to answer) */
	char master[300];		/* host:port the Sentinels named last */
	char why[512];			/* why the Sentinels named none */
	char cmd[16384];			/* the script call being sent */
};

void
rs_arg_bin(struct rs_args *a, int slot, const void *v, size_t len)
{
	int i = a->base + slot;

	if (slot >= 0 && i < RS_MAX_ARGS) {
		a->v[i] = v;
		a->len[i] = len;
		if (i >= a->n)
			a->n = i + 1;
	}
}

void
rs_arg_str(struct rs_args *a, int slot, const char *s)
{
	rs_arg_bin(a, slot, s ? s : "", s ? strlen(s) : 0);
}

void
rs_arg_bool(struct rs_args *a, int slot, bool v)
{
	rs_arg_bin(a, slot, v ? "1" : "0", 1);
}

void
rs_arg_num(struct rs_args *a, int slot, long long v)
{
	int i = a->base + slot;

	if (slot >= 0 && i < RS_MAX_ARGS) {
		int len = snprintf(a->num[i], sizeof a->num[i], "%lld", v);

		rs_arg_bin(a, slot, a->num[i], (size_t)len);
	}
}

const struct config *
rs_config(const struct redis_store *rs)
{
	return rs->cfg;
}

enum store_status
rs_call_integer(struct redis_store *rs, int argc, const char **argv, long long *out)
{
	redisReply *r = rs_call(rs, argc, argv, NULL, RS_RETRY);

	if (r == NULL)
		return STORE_UNAVAILABLE;
	*out = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
	freeReplyObject(r);
	return STORE_OK;
}

void
rs_copy_str(char *dst, size_t size, const redisReply *e)
{
	size_t n = 0;

	if (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS)
		n = e->len < size - 1 ? e->len : size - 1;
	memcpy(dst, e->str ? e->str : "", n);
	dst[n] = '\0';
}

void
rs_reply_str(const redisReply *r, size_t slot, char *dst, size_t size)
{
	if (slot < r->elements)
		rs_copy_str(dst, size, r->element[slot]);
	else
		dst[0] = '\0';
}

bool
rs_reply_flag(const redisReply *r, size_t slot)
{
	return rs_reply_int(r, slot) == 1;
}

long long
rs_reply_int(const redisReply *r, size_t slot)
{
	return slot < r->elements && r->element[slot]->type == REDIS_REPLY_INTEGER
	    ? r->element[slot]->integer : 0;
}

long long
rs_reply_num(const redisReply *r, size_t slot)
{
	if (slot >= r->elements)
		return 0;
	if (r->element[slot]->type == REDIS_REPLY_INTEGER)
		return r->element[slot]->integer;
	return r->element[slot]->str ? strtoll(r->element[slot]->str, NULL, 10) : 0;
}

struct redis_store *
rs_new(const struct config *cfg)
{
	struct redis_store *rs = calloc(1, sizeof *rs);

	if (rs == NULL)
		return NULL;
	rs->cfg = cfg;
	rs->again.store = "redis";
	if (!rs_library_make(&rs->lib, cfg)) {
		free(rs);
		return NULL;
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
	rs_library_free(&rs->lib);
	free(rs);
}

/* Sends a command and expects a reply that is not an error. */
static bool
command_ok(redisContext *c, int argc, const char **argv, const char *what)
{
	redisReply *r = redisCommandArgv(c, argc, argv, NULL);
	bool ok = r != NULL && r->type != REDIS_REPLY_ERROR;

	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		log_error("redis: %s: %s", what, r->str);
	freeReplyObject(r);
	return ok;
}

/* FUNCTION LOAD REPLACE: the same text again changes nothing. */
static bool
load_library(struct redis_store *rs)
{
	const char *argv[] = { "FUNCTION", "LOAD", "REPLACE", rs->lib.text };
	redisReply *r = redisCommandArgv(rs->c, 4, argv, NULL);
	bool ok = r != NULL && r->type == REDIS_REPLY_STRING;

	if (r != NULL && r->type == REDIS_REPLY_ERROR)
		log_error("redis: FUNCTION LOAD: %s (Redis 7 or later is needed)", r->str);
	freeReplyObject(r);
	return ok;
}

/* Whether the server has ended our idle connection (see the top). */
static bool
server_ended(const redisContext *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLRDHUP };

	return c->err != 0 || poll(&p, 1, 0) != 0;
}

/* Whether the server we reached is a master (ROLE): a Sentinel's answer
 * may be a moment late, and a replica would refuse every write. */
static bool
is_master(redisContext *c)
{
	const char *argv[] = { "ROLE" };
	redisReply *r = redisCommandArgv(c, 1, argv, NULL);
	bool ok = r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	    r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "master") == 0;

	freeReplyObject(r);
	return ok;
}

/* AUTH and SELECT on a fresh connection (and with Sentinels, ROLE); the
 * reason it failed, or NULL. */
static const char *
introduce(struct redis_store *rs)
{
	const struct redis_addr *a = &rs->cfg->redis;
	struct timeval cmd_tv = { COMMAND_TIMEOUT_MS / 1000, (COMMAND_TIMEOUT_MS % 1000) * 1000 };

	if (redisSetTimeout(rs->c, cmd_tv) != REDIS_OK)
		return "cannot set a timeout";
	if (a->password != NULL) {
		const char *argv[] = { "AUTH", a->user ? a->user : a->password, a->password };

		if (!command_ok(rs->c, a->user ? 3 : 2, argv, "AUTH"))
			return "AUTH failed";
	}
	if (a->db != 0) {
		char db[16];
		const char *argv[] = { "SELECT", db };

		snprintf(db, sizeof db, "%d", a->db);
		if (!command_ok(rs->c, 2, argv, "SELECT"))
			return "SELECT failed";
	}
	if (a->master != NULL && !is_master(rs->c))
		return "the server the Sentinels named is not a master (ROLE)";
	return load_library(rs) ? NULL : "FUNCTION LOAD failed";
}

/*
 * A new connection: to the socket or host of redis_url, or to the master the
 * Sentinels name now (asked at every connect: after a failover, or after the
 * master answered READONLY, the next connection goes where they say). NULL
 * with *why when there is none.
 */
static redisContext *
open_connection(struct redis_store *rs, const char **why)
{
	const struct redis_addr *a = &rs->cfg->redis;
	struct timeval connect_tv = { CONNECT_TIMEOUT_MS / 1000, (CONNECT_TIMEOUT_MS % 1000) * 1000 };
	char host[256], master[sizeof rs->master];
	int port;

	if (a->socket_path != NULL)
		return redisConnectUnixWithTimeout(a->socket_path, connect_tv);
	if (a->master == NULL)
		return redisConnectWithTimeout(a->host, a->port, connect_tv);
	if (!sentinel_master(a, CONNECT_TIMEOUT_MS, &rs->sentinel_first, host, sizeof host, &port,
	    rs->why, sizeof rs->why)) {
		*why = rs->why;
		return NULL;
	}
	snprintf(master, sizeof master, "%s:%d", host, port);
	if (strcmp(master, rs->master) != 0) {
		log_info("redis: the Sentinels name %s as master %s", master, a->master);
		memcpy(rs->master, master, sizeof master);
	}
	return redisConnectWithTimeout(host, port, connect_tv);
}

static bool
ensure_connected(struct redis_store *rs)
{
	const char *why = "out of memory";

	if (rs->c != NULL && !reconnect_trusted(&rs->again) && server_ended(rs->c))
		drop(rs, "closed by the server");
	if (rs->c != NULL)
		return true;
	if (!reconnect_may_try(&rs->again))
		return false;
	rs->c = open_connection(rs, &why);
	if (rs->c == NULL || rs->c->err)
		why = rs->c ? rs->c->errstr : why;
	else
		why = introduce(rs);
	if (why == NULL) {
		reconnect_succeeded(&rs->again);
		return true;
	}
	reconnect_failed(&rs->again, why);
	if (rs->c != NULL)
		redisFree(rs->c);
	rs->c = NULL;
	return false;
}

/*
 * The only place a command meets the connection: (re)connects as needed. A
 * command that meets a connection dying under it is sent again on a fresh
 * one only with RS_RETRY, which callers give reads and writes of the same
 * value. A script is never sent twice: it may have run before the
 * connection broke, and running it again would count a failure twice or
 * send a second code. A command refused with READONLY did not run (the
 * server is a replica now: a failover moved the master away), so whatever
 * it is it goes once more, on a new connection to wherever the master is
 * now; keeping the old one would refuse every write for ever.
 */
/* One command, already in the protocol's form, and its reply; see above. */
static redisReply *
exchange(struct redis_store *rs, const char *cmd, size_t len, enum rs_retry retry)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		void *r = NULL;

		if (!ensure_connected(rs))
			return NULL;
		if (redisAppendFormattedCommand(rs->c, cmd, len) == REDIS_OK &&
		    redisGetReply(rs->c, &r) == REDIS_OK && r != NULL) {
			const redisReply *e = r;

			reconnect_answered(&rs->again);
			if (e->type != REDIS_REPLY_ERROR || strncmp(e->str, "READONLY", 8) != 0)
				return r;
			freeReplyObject(r);
			drop(rs, "READONLY: the server is a replica now");
			continue;
		}
		drop(rs, rs->c->errstr);
		if (retry == RS_NO_RETRY)
			break;
	}
	return NULL;
}

redisReply *
rs_call(struct redis_store *rs, int argc, const char **argv, const size_t *lens,
    enum rs_retry retry)
{
	char *cmd = NULL;	/* owner: this function */
	int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
	redisReply *r = len > 0 ? exchange(rs, cmd, (size_t)len, retry) : NULL;

	redisFreeCommand(cmd);
	return r;
}

/* Appends one bulk string ("$len\r\nbytes\r\n") to rs->cmd; false when it
 * would not fit. */
static bool
put_bulk(struct redis_store *rs, size_t *at, const void *v, size_t len)
{
	char digits[24], *d = digits + sizeof digits;
	size_t n, l = len;

	/* The length by hand: snprintf's cost showed in every profile. */
	do
		*--d = (char)('0' + l % 10);
	while ((l /= 10) != 0);
	n = (size_t)(digits + sizeof digits - d);
	if (*at + 1 + n + 2 + len + 2 > sizeof rs->cmd)
		return false;
	rs->cmd[(*at)++] = '$';
	memcpy(rs->cmd + *at, d, n);
	memcpy(rs->cmd + *at + n, "\r\n", 2);
	memcpy(rs->cmd + *at + n + 2, v, len);
	memcpy(rs->cmd + *at + n + 2 + len, "\r\n", 2);
	*at += n + 2 + len + 2;
	return true;
}

/* Whether `own` gives script `s` what it declares: every slot, and no more
 * unless more may follow them. */
static bool
args_as_declared(enum rs_script s, const struct rs_args *own)
{
	const struct rs_script_decl *d = &rs_scripts[s];
	int want = (d->code_block ? CODE_ARG__MAX : 0) + d->argc;

	if (own->n < want || (own->n > want && d->rest == NULL))
		return false;
	for (int i = 0; i < own->n; i++)
		if (own->v[i] == NULL)
			return false;
	return true;
}

/*
 * FCALL function 0 <common> <own>, written straight into the protocol's
 * form: the common arguments were formatted once, at rs_new, and hiredis'
 * general formatter (which showed in every profile) is not needed. Returns
 * the length, 0 when it does not fit.
 */
static size_t
format_call(struct redis_store *rs, enum rs_script s, const struct rs_args *own)
{
	size_t at;
	int n = snprintf(rs->cmd, sizeof rs->cmd, "*%d\r\n$5\r\nFCALL\r\n", 4 + own->n);
	bool ok;

	at = (size_t)n;
	ok = put_bulk(rs, &at, rs->lib.function[s], strlen(rs->lib.function[s])) &&
	    put_bulk(rs, &at, "0", 1) && at + rs->lib.common_len < sizeof rs->cmd;
	if (ok) {
		memcpy(rs->cmd + at, rs->lib.common, rs->lib.common_len);
		at += rs->lib.common_len;
	}
	for (int i = 0; ok && i < own->n; i++)
		ok = put_bulk(rs, &at, own->v[i], own->len[i]);
	return ok ? at : 0;
}

bool
rs_ping(struct redis_store *rs)
{
	const char *argv[] = { "PING" };
	redisReply *r = rs_call(rs, 1, argv, NULL, RS_RETRY);
	bool ok = r != NULL && r->type == REDIS_REPLY_STATUS;

	freeReplyObject(r);
	return ok;
}

/* Sends the call formatted in rs->cmd; the reply, or NULL when Redis cannot
 * be reached. */
static redisReply *
send_call(struct redis_store *rs, size_t len)
{
	redisReply *r = exchange(rs, rs->cmd, len, RS_NO_RETRY);

	if (r != NULL && r->type == REDIS_REPLY_ERROR &&
	    strstr(r->str, "Function not found") != NULL) {
		/* The library is gone (FUNCTION FLUSH, a Redis restarted under a
		 * connection we had not noticed), so this one did not run: load
		 * it and send the call once more. */
		freeReplyObject(r);
		r = rs->c != NULL && load_library(rs) ? exchange(rs, rs->cmd, len, RS_NO_RETRY) : NULL;
	}
	return r;
}

/* Whether reply `r` has a verdict and, for one with a declared shape of its
 * own, its slots. */
static bool
reply_as_declared(enum rs_script s, const redisReply *r)
{
	const struct rs_script_decl *d = &rs_scripts[s];
	long long v;

	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[RS_REPLY_VERDICT]->type != REDIS_REPLY_INTEGER)
		return false;
	v = r->element[RS_REPLY_VERDICT]->integer;
	if (v < 0 || v >= RS__MAX)
		return false;
	return v != RS_OK || r->elements >= (size_t)d->ok.n;
}

/* The verdict of a reply, and what a refusal says (prelude.lua's R). */
static void
read_verdict(const redisReply *r, struct rs_result *res)
{
	res->verdict = (enum rs_verdict)r->element[RS_REPLY_VERDICT]->integer;
	if (res->verdict == RS_BLOCKED || res->verdict == RS_RATE_LIMITED) {
		res->retry_ms = r->elements > REFUSAL_REPLY_MS &&
		    r->element[REFUSAL_REPLY_MS]->type == REDIS_REPLY_INTEGER
		    ? (long)r->element[REFUSAL_REPLY_MS]->integer : 1000;
		rs_reply_str(r, REFUSAL_REPLY_WHY, res->why, sizeof res->why);
	}
	if (res->verdict == RS_WRONG_STEP) {
		char name[32];

		rs_reply_str(r, WRONG_STEP_REPLY_STEP, name, sizeof name);
		if (!step_from_name(name, &res->step))
			res->step = STEP__MAX;	/* it ended meanwhile */
	}
}

enum store_status
rs_run(struct redis_store *rs, enum rs_script s, const struct rs_args *own, redisReply **reply,
    struct rs_result *res)
{
	size_t len;
	redisReply *r;

	*reply = NULL;
	if (res != NULL)
		memset(res, 0, sizeof *res);
	if (!args_as_declared(s, own)) {
		log_error("redis: script %s: not the arguments it declares", rs_scripts[s].name);
		return STORE_ERROR;
	}
	if ((len = format_call(rs, s, own)) == 0) {
		log_error("redis: script %s: arguments too long", rs_scripts[s].name);
		return STORE_ERROR;
	}
	if ((r = send_call(rs, len)) == NULL)
		return STORE_UNAVAILABLE;
	if (r->type == REDIS_REPLY_ERROR) {
		/* Out of memory (noeviction), a replica, loading: Redis is there
		 * but cannot serve, and the script changed nothing. */
		log_error("redis: script %s: %s", rs_scripts[s].name, r->str);
		freeReplyObject(r);
		return STORE_UNAVAILABLE;
	}
	if (!reply_as_declared(s, r)) {
		log_error("redis: script %s: unexpected reply", rs_scripts[s].name);
		freeReplyObject(r);
		return STORE_ERROR;
	}
	if (res != NULL)
		read_verdict(r, res);
	*reply = r;
	return STORE_OK;
}

enum store_status
rs_run_plain(struct redis_store *rs, enum rs_script s, const struct rs_args *a,
    struct rs_result *res)
{
	redisReply *r;
	enum store_status st = rs_run(rs, s, a, &r, res);

	freeReplyObject(r);
	return st;
}

enum store_status
rs_run_number(struct redis_store *rs, enum rs_script s, const struct rs_args *a, size_t slot,
    long long *n)
{
	redisReply *r;
	enum store_status st = rs_run(rs, s, a, &r, NULL);

	*n = st == STORE_OK ? rs_reply_int(r, slot) : 0;
	freeReplyObject(r);
	return st;
}
