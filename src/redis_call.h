/*
 * Between the two files that speak to Redis, redis_store.c (the connection
 * and the worker's scripts) and redis_outbox.c (the sender's stream): the one way a
 * command or a script meets the connection. Nothing else includes this, so
 * no hiredis type goes further.
 */
#ifndef PHONEAUTH_REDIS_CALL_H
#define PHONEAUTH_REDIS_CALL_H

#include <stddef.h>

#include <hiredis.h>

#include "phoneauth/redis_store.h"

/* Every script, in src/lua/NAME.lua. */
enum rs_script {
	SC_GATE, SC_OPEN, SC_STEP, SC_ADVANCE, SC_REGISTER, SC_RESEND, SC_RELEASE, SC_FORGET,
	SC_UNBLOCK, SC_BLOCKS, SC_OUTBOX_DONE, SC_INDEX_REBUILD, SC_INDEX_DROP, SC_PAUSES, SC_UNPAUSE,
	SC_COUNTS, SC_DEAD_RETRY, SC_GONE, SC_MOVE, SC_DEVICE, SC_MFA, SC__MAX
};

/* How many values of the configuration every script call starts with, as
 * one argument, joined by newlines (redis_store.c: enum common_arg;
 * prelude.lua: CONFIG_FIELDS and configure()). */
#define RS_COMMON_ARGS 31

/* A script's own arguments (after the common ones); numbers are formatted
 * into `num`. */
#define RS_MAX_ARGS 48
struct rs_args {
	const char *v[RS_MAX_ARGS];
	size_t len[RS_MAX_ARGS];
	char num[RS_MAX_ARGS][24];
	int n;
};

void rs_arg_bin(struct rs_args *a, const void *v, size_t len);
void rs_arg_str(struct rs_args *a, const char *s);
void rs_arg_num(struct rs_args *a, long long v);

/*
 * Whether a command may be sent again when the connection broke under it.
 * RS_RETRY only for reads and for writes of the same value; never a script
 * (see call() in redis_store.c).
 */
enum rs_retry { RS_NO_RETRY, RS_RETRY };

/* One command; the reply (owner: the caller), or NULL when Redis cannot be
 * reached. */
redisReply *rs_call(struct redis_store *rs, int argc, const char **argv, const size_t *lens,
    enum rs_retry retry);

/*
 * Runs script `s` with the common arguments and `own`. STORE_OK with *reply
 * (owner: the caller) an array whose first element is the verdict, set in
 * res->verdict (res may be NULL); otherwise *reply is NULL.
 */
enum store_status rs_run(struct redis_store *rs, enum rs_script s, const struct rs_args *own,
    redisReply **reply, struct rs_result *res);

/* The key prefix, and the configuration the store was made with. */
const struct config *rs_config(const struct redis_store *rs);

/* Copies a string element (truncated to size - 1). */
void rs_copy_str(char *dst, size_t size, const redisReply *e);

#endif
