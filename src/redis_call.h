/*
 * Between the files that speak to Redis: the connection (redis_store.c)
 * below, and above it the script calls (redis_session.c, redis_limits.c,
 * redis_accounts.c, redis_admin.c) and the sender's stream (redis_outbox.c).
 * The one way a command or a script meets the connection, and the one way
 * a script's arguments and reply are read and written: by the slots
 * redis_scripts.h declares. Nothing else includes this, so no hiredis type
 * goes further.
 */
#ifndef PHONEAUTH_REDIS_CALL_H
#define PHONEAUTH_REDIS_CALL_H

#include <stddef.h>

#include <hiredis.h>

#include "phoneauth/redis_store.h"
#include "redis_scripts.h"

/*
 * The SMS outbox's keys, which the scripts add codes to (prelude.lua's
 * outbox_add, handed over in the common arguments) and redis_outbox.c reads:
 * <redis_prefix>sms, its dead letters and its counts.
 */
#define OUTBOX_GROUP "senders"	/* the senders' consumer group */
#define OUTBOX_MAXLEN 100000	/* entries kept (approximately), in each stream */
enum outbox_key { OUTBOX_STREAM, OUTBOX_DEAD, OUTBOX_STATS };
void rs_outbox_key(const struct config *cfg, enum outbox_key k, char *out, size_t outlen);

/*
 * A script's own arguments (after the common ones), each put in its slot
 * (an enum of redis_scripts.h); slots count from `base`, which the code
 * block moves past itself. Numbers are formatted into `num`.
 */
#define RS_MAX_ARGS 48
struct rs_args {
	const char *v[RS_MAX_ARGS];
	size_t len[RS_MAX_ARGS];
	char num[RS_MAX_ARGS][24];
	int n;
	int base;
};

void rs_arg_bin(struct rs_args *a, int slot, const void *v, size_t len);
void rs_arg_str(struct rs_args *a, int slot, const char *s);	/* NULL: "" */
void rs_arg_num(struct rs_args *a, int slot, long long v);
void rs_arg_bool(struct rs_args *a, int slot, bool v);		/* "1" or "0" */

/*
 * Whether a command may be sent again when the connection broke under it.
 * RS_RETRY only for reads and for writes of the same value; never a script
 * (see exchange() in redis_store.c).
 */
enum rs_retry { RS_NO_RETRY, RS_RETRY };

/* One command; the reply (owner: the caller), or NULL when Redis cannot be
 * reached. */
redisReply *rs_call(struct redis_store *rs, int argc, const char **argv, const size_t *lens,
    enum rs_retry retry);

/* The integer reply of a read-only command (retried once; 0 for a reply of
 * another kind). */
enum store_status rs_call_integer(struct redis_store *rs, int argc, const char **argv,
    long long *out);

/*
 * Runs script `s` with the common arguments and `own` (every slot its
 * declaration names given). STORE_OK with *reply (owner: the caller) an
 * array whose first element is the verdict, set in res->verdict (res may be
 * NULL), with at least the declared slots of its shape; otherwise *reply is
 * NULL.
 */
enum store_status rs_run(struct redis_store *rs, enum rs_script s, const struct rs_args *own,
    redisReply **reply, struct rs_result *res);

/* Runs a script whose reply says nothing beyond its verdict. */
enum store_status rs_run_plain(struct redis_store *rs, enum rs_script s, const struct rs_args *a,
    struct rs_result *res);

/* Runs a script that answers one integer, in reply slot `slot`: *n (0 when
 * it did not run, or answered none). */
enum store_status rs_run_number(struct redis_store *rs, enum rs_script s, const struct rs_args *a,
    size_t slot, long long *n);

/* The key prefix, and the configuration the store was made with. */
const struct config *rs_config(const struct redis_store *rs);

/* Copies a string element (truncated to size - 1). */
void rs_copy_str(char *dst, size_t size, const redisReply *e);

/* Slot `slot` of a script's reply: copied as a string ("" when missing);
 * whether it is the integer 1; its integer (0 when not one); the number a
 * string slot holds (0 when none). */
void rs_reply_str(const redisReply *r, size_t slot, char *dst, size_t size);
bool rs_reply_flag(const redisReply *r, size_t slot);
long long rs_reply_int(const redisReply *r, size_t slot);
long long rs_reply_num(const redisReply *r, size_t slot);

#endif
