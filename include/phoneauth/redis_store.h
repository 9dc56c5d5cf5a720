/*
 * Redis: sessions, codes, failure counters, blocks and send limits. Every
 * operation is one script run atomically inside Redis (src/lua/, loaded once
 * per connection), so the rules hold across every worker and every host
 * sharing the Redis, in one round trip. Every call answers a store_status;
 * what a script decided is in struct rs_result. No hiredis type leaves the
 * files that speak to Redis (redis_store.c, the connection; redis_session.c,
 * redis_limits.c, redis_accounts.c and redis_admin.c, the script calls;
 * redis_outbox.c, the sender's stream).
 */
#ifndef PHONEAUTH_REDIS_STORE_H
#define PHONEAUTH_REDIS_STORE_H

#include <stdbool.h>

#include "phoneauth/config.h"
#include "phoneauth/otp.h"
#include "phoneauth/phone.h"
#include "phoneauth/step.h"
#include "phoneauth/store.h"

struct redis_store;

/* What a script decided; named like the replies in src/lua/prelude.lua. */
enum rs_verdict {
	RS_OK,
	RS_BLOCKED,		/* retry_ms says how long */
	RS_RATE_LIMITED,	/* a code may not be sent yet; retry_ms */
	RS_NO_SESSION,
	RS_WRONG_STEP,		/* step says which one the session waits for */
	RS_CODE_VOID,		/* expired or out of tries */
	RS_NOT_CACHED,		/* rs_register: the account state must come from PostgreSQL */
	RS_BANNED,		/* rs_register: the account is banned */
	RS__MAX
};

/* The names prelude.lua gives the verdicts (for the protocol's unit test). */
extern const char *const rs_verdict_names[RS__MAX];

#define SESSION_ID_LEN 36

/* What names a device token in Redis: the hex SHA-256 of the token (device.h). */
#define RS_DEVICE_HASH_LEN 64

/* What a session holds. */
struct rs_session {
	char phone[PHONE_MAX];
	enum step step;
	enum purpose purpose;
	long long user_id;		/* 0: no account yet */
	unsigned char digest[OTP_DIGEST_LEN];	/* the current code's, if it has not expired */
	bool has_digest;
	unsigned char earlier[OTP_DIGEST_LEN];	/* the code before it, if that has not */
	bool has_earlier;
	bool owner;			/* reset or login by code: not stopped by a block of the number */
	bool ghost;			/* rs_resend: nothing was sent */
	bool by_code;			/* rs_step: a login by code (a right code answers tokens) */
	/* rs_step: the request's device token is a live one of the account,
	 * and the try was taken from it (not from the number); `device` is its
	 * hash (the caller's to fill in), which rs_advance gives it back to. */
	bool on_device;
	char device[RS_DEVICE_HASH_LEN + 1];
	long long credentials_version;	/* rs_step: the account's when the session opened */
};

struct rs_result {
	enum rs_verdict verdict;
	long retry_ms;			/* RS_BLOCKED, RS_RATE_LIMITED */
	char why[24];			/* RS_RATE_LIMITED, and RS_BLOCKED by a count: which limit (for the log only) */
	enum step step;			/* RS_WRONG_STEP; STEP__MAX: the session ended */
	bool index_whole;		/* RS_NOT_CACHED: the account index could not tell */
	bool on_device;			/* rs_gate: the device took the number's place */
	struct rs_session session;	/* RS_OK from rs_step, rs_resend, rs_register */
};

/*
 * A code to send along with a session. A ghost (the digest of no code) is
 * counted against the limits and judged like a code but nothing is sent:
 * the answer to a reset for a number without an account must look the same.
 * A test number's code (test_numbers) is the fixed one, and is neither
 * limited nor sent.
 */
enum rs_code_kind { RS_CODE_SEND, RS_CODE_GHOST, RS_CODE_TEST };

struct rs_code {
	enum rs_code_kind kind;
	const char *code;		/* plain digits, for the outbox only */
	const unsigned char *digest;	/* what the session keeps */
	enum lang lang;
	/* The whole SMS (sms_text.c) for each purpose the script may choose
	 * (NULL for the others), for the outbox. */
	const char *texts[PURPOSE__MAX];
};

/* What rs_step takes before a judgement; what rs_advance gives back after
 * one (prelude.lua: TAKE, GIVE_BACK). */
enum rs_take { RS_LOOK, RS_TAKE_TRY, RS_TAKE_CODE_TRY, RS_TAKE__MAX };
enum rs_give_back { RS_KEEP, RS_GIVE_BACK, RS_GIVE_BACK_CLEAR_NUMBER, RS_GIVE_BACK__MAX };

struct redis_store *rs_new(const struct config *cfg);
void rs_free(struct redis_store *rs);

/* PING; false if Redis cannot be reached. */
bool rs_ping(struct redis_store *rs);

/*
 * A `device` argument is the hash of the device token the request sent
 * ("" or NULL: none); it counts only when it names a live device of the
 * account the request names (src/lua/devices.lua), and is ignored otherwise.
 */

/* Checks the blocks of `client` (and `phone`, may be NULL); with take,
 * counts a failure (or takes a try) against both. A live device token of
 * account `user_id` is not stopped by the number's block and is counted
 * instead of the number (res->on_device). */
struct rs_gate_args {
	const char *client;
	const char *phone;
	bool take;
	const char *device;
	long long user_id;
};
enum store_status rs_gate(struct redis_store *rs, const struct rs_gate_args *a,
    struct rs_result *res);

/* Opens session `sid` at `step`; with `code`, first applies the send limits and
 * queues the code in the outbox. An `owner` session (password-reset, login by
 * code) is not stopped by a block of its number; `by_code` marks a login by
 * code (its right code answers tokens). */
struct rs_open_args {
	const char *client;
	const char *phone;
	const char *sid;
	enum step step;
	enum purpose purpose;
	long long user_id;		/* 0: no account */
	bool owner;
	bool by_code;
	const char *device;		/* see above; its codes count against it */
	long long credentials_version;	/* the account's, kept by an owner session */
	const struct rs_code *code;	/* NULL: none is sent */
};
enum store_status rs_open(struct redis_store *rs, const struct rs_open_args *a,
    struct rs_result *res);

/* Loads session `sid` for step `expect`; see enum rs_take. A live device
 * token of the session's account takes the number's place (on_device). */
struct rs_step_args {
	const char *client;
	const char *sid;
	enum step expect;
	enum rs_take take;
	const char *device;
};
enum store_status rs_step(struct redis_store *rs, const struct rs_step_args *a,
    struct rs_result *res);

/* Moves `sid` (session `s`, as rs_step loaded it) from `from` to `to`
 * (STEP__MAX: ends it), recording its account s->user_id, and gives back
 * tries (to s->device when s->on_device); with account_changed, drops the
 * account state cached for register. */
struct rs_advance_args {
	const char *client;
	const char *sid;
	const struct rs_session *s;
	enum step from;
	enum step to;
	enum rs_give_back back;
	bool account_changed;
};
enum store_status rs_advance(struct redis_store *rs, const struct rs_advance_args *a,
    struct rs_result *res);

/*
 * register in one round trip: opens session `sid` for `phone` at the step
 * its cached account state calls for (password, or otp with `code`). With
 * `state` ("id|has_password|is_verified|is_banned", from PostgreSQL) the
 * state is cached first. RS_OK fills res->session.step and .purpose.
 */
struct rs_register_args {
	const char *client;
	const char *phone;
	const char *sid;
	const char *state;		/* NULL: the cached one */
	const char *device;
	const struct rs_code *code;
};
enum store_status rs_register(struct redis_store *rs, const struct rs_register_args *a,
    struct rs_result *res);

/* Drops the cached account state of `phone` (after a change made elsewhere)
 * and notes in the account index that it has an account. */
enum store_status rs_forget_account(struct redis_store *rs, const char *phone);

/* An account was deleted: drops the state cached for its number `phone`
 * and takes the number out of the account index. */
enum store_status rs_account_gone(struct redis_store *rs, const char *phone);

/*
 * The account of phone-change session `sid` moved from `old` ("": not
 * known, it had moved before) to `phone`: the cached state of both numbers
 * goes, the account index follows, the code's tries are given back and the
 * session ends (RS_WRONG_STEP when it no longer waited for its code).
 */
struct rs_move_args {
	const char *client;
	const char *sid;
	const char *old;
	const char *phone;
};
enum store_status rs_account_moved(struct redis_store *rs, const struct rs_move_args *a,
    struct rs_result *res);

/* A fresh code for a session waiting for one; fills res->session phone,
 * purpose and ghost. */
enum store_status rs_resend(struct redis_store *rs, const char *client, const char *sid,
    const struct rs_code *code, struct rs_result *res);

/* Gives back the tries of a judged login by number: the number's, or the
 * device's (`device`: the one rs_gate counted instead). */
enum store_status rs_release(struct redis_store *rs, const char *client, const char *phone,
    const char *device, bool clear_number);

/*
 * The device token of an answer with tokens for account `user_id`: keeps
 * `sent` (a hash, "" for none) when it names a live device of the account,
 * renewing it (*kept), else makes `made` (a fresh token's hash, "" for
 * none) one. The account keeps its most recently used devices only.
 */
enum store_status rs_device_grant(struct redis_store *rs, long long user_id, const char *sent,
    const char *made, bool *kept);

/* ---- the account index (store_account_index.c; src/lua/accounts.lua) ---- */

enum rs_index_step { RS_INDEX_BEGIN, RS_INDEX_ADD, RS_INDEX_END, RS_INDEX_ABANDON };

/* One step of a rebuild by the holder of `token`: take it (*done: taken),
 * add comma-separated `numbers`, or declare the index whole (*done: false
 * when the rebuild was lost meanwhile, e.g. Redis restarted). */
enum store_status rs_index_rebuild(struct redis_store *rs, enum rs_index_step step,
    const char *token, const char *numbers, bool *done);

/* The index is no longer whole (accounts were added behind its back). */
enum store_status rs_index_drop(struct redis_store *rs);

/* ---- SMS economics (the `phoneauth sms-pauses` and `sms-unpause` commands) ---- */

struct rs_pause {
	char prefix[24];
	long long since_ms;	/* Unix time in ms */
	long left_ms;
};

/* Calls `each` for every paused prefix. */
enum store_status rs_list_pauses(struct redis_store *rs,
    void (*each)(const struct rs_pause *p, void *arg), void *arg);

/* Lifts the pause of `prefix` and forgets its conversion counts; *was_paused. */
enum store_status rs_unpause(struct redis_store *rs, const char *prefix, bool *was_paused);

/* The counts the scripts keep for the metrics ("sms_refused:budget_day" ->
 * n), each given to `each`. */
enum store_status rs_counts(struct redis_store *rs,
    void (*each)(const char *name, long long n, void *arg), void *arg);

/* ---- administration (the `phoneauth unblock` and `blocks` commands) ---- */

enum rs_block_kind { RS_BLOCK_IP, RS_BLOCK_PHONE };

struct rs_block {
	enum rs_block_kind kind;
	char id[64];		/* the client (address or IPv6 network) or the number */
	long long until_ms;	/* Unix time in ms */
	long left_ms;
};

/* Lifts the block and forgets the failures of a client or a number;
 * *removed says how many keys went. */
enum store_status rs_unblock(struct redis_store *rs, enum rs_block_kind kind, const char *id,
    int *removed);

/* Calls `each` for every block in force. */
enum store_status rs_list_blocks(struct redis_store *rs,
    void (*each)(const struct rs_block *b, void *arg), void *arg);

#endif
