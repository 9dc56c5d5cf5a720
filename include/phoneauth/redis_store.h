/*
 * Redis: sessions, codes, failure counters, blocks, send limits and the SMS
 * outbox. Every operation is one script run atomically inside Redis (loaded
 * once per connection), so the rules hold across every worker and every host
 * sharing the Redis, in one round trip. No hiredis type leaves this module.
 */
#ifndef PHONEAUTH_REDIS_STORE_H
#define PHONEAUTH_REDIS_STORE_H

#include <stdbool.h>

#include "phoneauth/config.h"
#include "phoneauth/otp.h"
#include "phoneauth/phone.h"

struct redis_store;

enum rs_outcome {
	RS_OK,
	RS_BLOCKED,		/* retry_ms says how long */
	RS_RATE_LIMITED,	/* a code may not be sent yet; retry_ms */
	RS_NO_SESSION,
	RS_WRONG_STEP,		/* step says which one the session waits for */
	RS_CODE_VOID,		/* expired or out of tries */
	RS_NOT_CACHED,		/* rs_register: the account state must come from PostgreSQL */
	RS_BANNED,		/* rs_register: the account is banned */
	RS_UNAVAILABLE,		/* Redis cannot be reached: answer 503 */
};

#define RS_STEP_MAX 16
#define SESSION_ID_LEN 36

/* What a session holds, as loaded by rs_step(). */
struct rs_session {
	char phone[PHONE_MAX];
	char step[RS_STEP_MAX];
	char purpose[RS_STEP_MAX];
	long long user_id;
	unsigned char digest[OTP_DIGEST_LEN];
	bool has_digest;
	bool ghost;			/* rs_resend: nothing was sent */
};

struct rs_result {
	enum rs_outcome outcome;
	long retry_ms;
	char step[RS_STEP_MAX];		/* RS_WRONG_STEP */
	struct rs_session session;	/* RS_OK from rs_step/rs_resend */
};

/* A code to send along with a session. A ghost (code NULL, the digest of no
 * code) is counted against the limits and judged like a code but nothing is
 * sent: the answer to a reset for a number without an account must look the
 * same. */
struct rs_code {
	const char *code;		/* plain digits, for the outbox only */
	const unsigned char *digest;	/* what the session keeps */
	const char *language;
};

enum rs_take { RS_LOOK, RS_TAKE_TRY, RS_TAKE_CODE_TRY };
enum rs_give_back { RS_KEEP, RS_GIVE_BACK, RS_GIVE_BACK_CLEAR_NUMBER };

struct redis_store *rs_new(const struct config *cfg);
void rs_free(struct redis_store *rs);

/* PING; false if Redis cannot be reached. */
bool rs_ping(struct redis_store *rs);

/* Checks the blocks of ip (and phone, may be NULL); with take, counts a failure. */
void rs_gate(struct redis_store *rs, const char *ip, const char *phone, bool take,
    struct rs_result *res);

/* Opens session `sid` at `step`; with `code`, first applies the send limits and
 * queues the code in the outbox. */
void rs_open(struct redis_store *rs, const char *ip, const char *phone, const char *sid,
    const char *step, const char *purpose, long long user_id, const struct rs_code *code,
    struct rs_result *res);

/* Loads session `sid` for step `expect`; see enum rs_take. */
void rs_step(struct redis_store *rs, const char *ip, const char *sid, const char *expect,
    enum rs_take take, struct rs_result *res);

/* Moves `sid` from `from` to `to` (NULL: ends it), recording its account
 * `user_id`, and gives back tries; with account_changed, drops the account
 * state cached for register. */
void rs_advance(struct redis_store *rs, const char *ip, const char *sid, const char *phone,
    long long user_id, const char *from, const char *to, enum rs_give_back back,
    bool account_changed, struct rs_result *res);

/*
 * register in one round trip: opens session `sid` for `phone` at the step
 * its cached account state calls for (password, or otp with `code`). With
 * `state` ("id|has_password|is_verified|is_banned", from PostgreSQL) the
 * state is cached first. RS_OK fills res->step and res->session.purpose.
 */
void rs_register(struct redis_store *rs, const char *ip, const char *phone, const char *sid,
    const char *state, const struct rs_code *code, struct rs_result *res);

/* Drops the cached account state of `phone` (after a change made elsewhere). */
bool rs_forget_account(struct redis_store *rs, const char *phone);

/* A fresh code for a session waiting for one; fills res->session phone and purpose. */
void rs_resend(struct redis_store *rs, const char *ip, const char *sid,
    const struct rs_code *code, struct rs_result *res);

/* Gives back the tries of a judged login by number. */
void rs_release(struct redis_store *rs, const char *ip, const char *phone,
    bool clear_number, struct rs_result *res);

/* ---- administration (the `phoneauth unblock` and `blocks` commands) ---- */

enum rs_block_kind { RS_BLOCK_IP, RS_BLOCK_PHONE };

struct rs_block {
	enum rs_block_kind kind;
	char id[64];		/* the address or the number */
	long long until_ms;	/* Unix time in ms */
	long left_ms;
};

/* Lifts the block and forgets the failures of an address or a number.
 * Returns how many keys were removed, or -1 if Redis cannot be reached. */
int rs_unblock(struct redis_store *rs, enum rs_block_kind kind, const char *id);

/* Calls `each` for every block in force; false if Redis cannot be reached. */
bool rs_list_blocks(struct redis_store *rs, void (*each)(const struct rs_block *b, void *arg),
    void *arg);

/* ---- the SMS outbox, for the sender (sender.c) ---- */

#define OUTBOX_GROUP "senders"

struct outbox_entry {
	char id[48];			/* the stream entry id */
	char phone[PHONE_MAX];
	char code[OTP_DIGITS + 1];
	char purpose[16];
	char language[8];
	long long created_at;		/* Unix seconds */
	long deliveries;		/* times handed to a sender, this one included */
	bool malformed;			/* a field missing or wrong: dead-letter it */
};

struct outbox_status {
	long long unread;		/* in the stream, not yet handed to a sender */
	long long pending;		/* handed to a sender, not yet done */
	long long dead, delivered, expired;
};

/* Creates the consumer group (from the start of the stream) if missing. */
bool rs_outbox_prepare(struct redis_store *rs);

/*
 * Up to `max` entries for `consumer`: first those another sender left
 * pending for sms_claim_idle seconds (XAUTOCLAIM), then new ones, waiting
 * up to block_ms for them. Returns how many, or -1 if Redis is unavailable.
 */
int rs_outbox_next(struct redis_store *rs, const char *consumer, long block_ms,
    struct outbox_entry *out, int max);

/* Takes back one of this sender's own pending entries for a retry. */
bool rs_outbox_retake(struct redis_store *rs, const char *consumer, struct outbox_entry *e);

enum outbox_done { OUTBOX_DELIVERED, OUTBOX_EXPIRED };

/* Acknowledges an entry that was delivered or dropped as too old. */
bool rs_outbox_done(struct redis_store *rs, const struct outbox_entry *e, enum outbox_done how);

/* Moves an entry to <prefix>sms:dead with the last error, and acknowledges it. */
bool rs_outbox_dead(struct redis_store *rs, const struct outbox_entry *e, const char *error);

bool rs_outbox_status(struct redis_store *rs, struct outbox_status *st);

#endif
