/*
 * Every Redis script's arguments and replies, declared once, as redis
 * declares its commands in src/commands/NAME.json: an enum of argument slots
 * and an enum of reply slots per script, read and written by these names
 * only (redis_call.h's rs_arg_* and rs_reply_*). Each src/lua/NAME.lua says
 * the same in its header ("-- ARGV: ...", "-- REPLY OK: ...") and unpacks its
 * ARGV in that order; tests/unit/test_redis_scripts.c fails when the two
 * sides disagree on a name or a position. Internal to the redis_*.c files.
 */
#ifndef PHONEAUTH_REDIS_SCRIPTS_H
#define PHONEAUTH_REDIS_SCRIPTS_H

#include <stdbool.h>

#include "phoneauth/redis_store.h"

/* Every script, in src/lua/NAME.lua. */
enum rs_script {
	SC_GATE, SC_OPEN, SC_STEP, SC_ADVANCE, SC_REGISTER, SC_RESEND, SC_RELEASE, SC_FORGET,
	SC_UNBLOCK, SC_BLOCKS, SC_OUTBOX_DONE, SC_INDEX_REBUILD, SC_INDEX_DROP, SC_PAUSES, SC_UNPAUSE,
	SC_COUNTS, SC_DEAD_RETRY, SC_GONE, SC_MOVE, SC_DEVICE, SC_TOTP, SC_MFA_SESSION,
	SC_PASSKEY, SC_FAILED, SC_RELAY, SC_EVENT_LEASE, SC_EVENT_NOTICE, SC__MAX
};

/* The code block the code-sending scripts (open, register, resend) take
 * before their own arguments: prelude.lua's code_block, then a text per
 * purpose in enum purpose order. */
enum rs_code_arg {
	CODE_ARG_DIGEST, CODE_ARG_CODE, CODE_ARG_LANG, CODE_ARG_KIND, CODE_ARG_TEXTS,
	CODE_ARG__MAX = CODE_ARG_TEXTS + PURPOSE__MAX
};

/* How many values of the configuration every script call starts with, as
 * one argument, joined by newlines (redis_library.c: enum common_arg;
 * prelude.lua: CONFIG_FIELDS and configure()). */
#define RS_COMMON_ARGS 31

/* Every reply starts with the verdict (enum rs_verdict). */
#define RS_REPLY_VERDICT 0

/* The refusals any script may answer (prelude.lua's R). */
enum rs_refusal_reply { REFUSAL_REPLY_MS = 1, REFUSAL_REPLY_WHY, REFUSAL_REPLY__MAX };
enum rs_wrong_step_reply { WRONG_STEP_REPLY_STEP = 1, WRONG_STEP_REPLY__MAX };

enum gate_arg { GATE_ARG_CLIENT, GATE_ARG_PHONE, GATE_ARG_TAKE, GATE_ARG_DEVICE, GATE_ARG_UID,
	GATE_ARG__MAX };
enum gate_reply { GATE_REPLY_ON_DEVICE = 1, GATE_REPLY__MAX };

enum open_arg { OPEN_ARG_CLIENT, OPEN_ARG_PHONE, OPEN_ARG_SID, OPEN_ARG_STEP, OPEN_ARG_PURPOSE,
	OPEN_ARG_UID, OPEN_ARG_OWNER, OPEN_ARG_BY_CODE, OPEN_ARG_DEVICE, OPEN_ARG_CV,
	OPEN_ARG__MAX };

enum step_arg { STEP_ARG_CLIENT, STEP_ARG_SID, STEP_ARG_EXPECT, STEP_ARG_TAKE, STEP_ARG_DEVICE,
	STEP_ARG__MAX };
enum step_reply { STEP_REPLY_PHONE = 1, STEP_REPLY_STEP, STEP_REPLY_PURPOSE, STEP_REPLY_UID,
	STEP_REPLY_DIGEST, STEP_REPLY_EARLIER, STEP_REPLY_OWNER, STEP_REPLY_BY_CODE,
	STEP_REPLY_ON_DEVICE, STEP_REPLY_CV, STEP_REPLY__MAX };

enum advance_arg { ADVANCE_ARG_CLIENT, ADVANCE_ARG_SID, ADVANCE_ARG_PHONE, ADVANCE_ARG_UID,
	ADVANCE_ARG_FROM, ADVANCE_ARG_TO, ADVANCE_ARG_BACK, ADVANCE_ARG_CHANGED, ADVANCE_ARG_DEVICE,
	ADVANCE_ARG__MAX };

enum register_arg { REGISTER_ARG_CLIENT, REGISTER_ARG_PHONE, REGISTER_ARG_SID, REGISTER_ARG_STATE,
	REGISTER_ARG_DEVICE, REGISTER_ARG__MAX };
enum register_reply { REGISTER_REPLY_STEP = 1, REGISTER_REPLY_PURPOSE, REGISTER_REPLY__MAX };
enum register_not_cached_reply { NOT_CACHED_REPLY_INDEX_WHOLE = 1, NOT_CACHED_REPLY__MAX };

enum resend_arg { RESEND_ARG_CLIENT, RESEND_ARG_SID, RESEND_ARG__MAX };
enum resend_reply { RESEND_REPLY_PHONE = 1, RESEND_REPLY_PURPOSE, RESEND_REPLY_GHOST,
	RESEND_REPLY__MAX };

enum release_arg { RELEASE_ARG_CLIENT, RELEASE_ARG_PHONE, RELEASE_ARG_CLEAR, RELEASE_ARG_DEVICE,
	RELEASE_ARG__MAX };

/* forget.lua and gone.lua */
enum phone_arg { PHONE_ARG_PHONE, PHONE_ARG__MAX };

enum unblock_arg { UNBLOCK_ARG_KIND, UNBLOCK_ARG_ID, UNBLOCK_ARG__MAX };
enum unblock_reply { UNBLOCK_REPLY_REMOVED = 1, UNBLOCK_REPLY__MAX };

/* blocks.lua and pauses.lua: one step of a SCAN walk, then a group per item */
enum walk_arg { WALK_ARG_CURSOR, WALK_ARG__MAX };
enum walk_reply { WALK_REPLY_CURSOR = 1, WALK_REPLY__MAX };
enum blocks_each { BLOCKS_EACH_KIND, BLOCKS_EACH_ID, BLOCKS_EACH_UNTIL, BLOCKS_EACH_LEFT,
	BLOCKS_EACH__MAX };
enum pauses_each { PAUSES_EACH_PREFIX, PAUSES_EACH_SINCE, PAUSES_EACH_LEFT, PAUSES_EACH__MAX };

/* outbox_done.lua: the ids follow, then the dead letter's field pairs */
enum outbox_done_arg { OUTBOX_DONE_ARG_HOW, OUTBOX_DONE_ARG_ERROR, OUTBOX_DONE_ARG_DELIVERIES,
	OUTBOX_DONE_ARG_N, OUTBOX_DONE_ARG_IDS, OUTBOX_DONE_ARG__MAX = OUTBOX_DONE_ARG_IDS };
enum outbox_done_reply { OUTBOX_DONE_REPLY_ACKED = 1, OUTBOX_DONE_REPLY__MAX };

enum index_rebuild_arg { INDEX_REBUILD_ARG_STEP, INDEX_REBUILD_ARG_TOKEN,
	INDEX_REBUILD_ARG_NUMBERS, INDEX_REBUILD_ARG__MAX };

enum index_rebuild_reply { INDEX_REBUILD_REPLY_DONE = 1, INDEX_REBUILD_REPLY__MAX };

enum unpause_arg { UNPAUSE_ARG_PREFIX, UNPAUSE_ARG__MAX };
enum unpause_reply { UNPAUSE_REPLY_WAS = 1, UNPAUSE_REPLY__MAX };

enum dead_retry_reply { DEAD_RETRY_REPLY_MOVED = 1, DEAD_RETRY_REPLY__MAX };

/* event_lease.lua and event_notice.lua (redis_events.c) */
enum event_lease_arg { EVENT_LEASE_ARG_KEY, EVENT_LEASE_ARG_HOLDER, EVENT_LEASE_ARG_TTL,
	EVENT_LEASE_ARG_OP, EVENT_LEASE_ARG__MAX };
enum event_lease_reply { EVENT_LEASE_REPLY_HELD = 1, EVENT_LEASE_REPLY__MAX };
enum event_notice_arg { EVENT_NOTICE_ARG_STREAM, EVENT_NOTICE_ARG_GROUP, EVENT_NOTICE_ARG_ID,
	EVENT_NOTICE_ARG_PHONE, EVENT_NOTICE_ARG_LANG, EVENT_NOTICE_ARG_EVENT, EVENT_NOTICE_ARG_TEXT,
	EVENT_NOTICE_ARG__MAX };
enum event_notice_reply { EVENT_NOTICE_REPLY_RESULT = 1, EVENT_NOTICE_REPLY__MAX };

enum counts_each { COUNTS_EACH_NAME, COUNTS_EACH_N, COUNTS_EACH__MAX };

enum move_arg { MOVE_ARG_CLIENT, MOVE_ARG_SID, MOVE_ARG_OLD, MOVE_ARG_NEW, MOVE_ARG__MAX };

enum device_arg { DEVICE_ARG_UID, DEVICE_ARG_SENT, DEVICE_ARG_MADE, DEVICE_ARG__MAX };
enum device_reply { DEVICE_REPLY_KEPT = 1, DEVICE_REPLY__MAX };

/* totp.lua and mfa_session.lua: an operation, its subject, a value */
enum totp_arg { TOTP_ARG_OP, TOTP_ARG_UID, TOTP_ARG_VALUE, TOTP_ARG_MS, TOTP_ARG__MAX };
enum mfa_session_arg { MFA_SESSION_ARG_OP, MFA_SESSION_ARG_SID, MFA_SESSION_ARG_VALUE,
	MFA_SESSION_ARG__MAX };
enum mfa_reply { MFA_REPLY_VALUE = 1, MFA_REPLY__MAX };

/* passkey.lua: a ceremony's challenge */
enum passkey_arg { PASSKEY_ARG_OP, PASSKEY_ARG_CLIENT, PASSKEY_ARG_SID, PASSKEY_ARG_PURPOSE,
	PASSKEY_ARG_UID, PASSKEY_ARG_VALUE, PASSKEY_ARG__MAX };
enum passkey_reply { PASSKEY_REPLY_VALUE = 1, PASSKEY_REPLY_PURPOSE, PASSKEY_REPLY_UID,
	PASSKEY_REPLY__MAX };

/* failed.lua and relay.lua (its events follow as pairs: lang, event) */
enum failed_arg { FAILED_ARG_CLIENT, FAILED_ARG_PHONE, FAILED_ARG_LANG, FAILED_ARG_EVENT,
	FAILED_ARG_BLOCK_IP, FAILED_ARG_BLOCK_NUMBER, FAILED_ARG__MAX };
enum events_reply { EVENTS_REPLY_ADDED = 1, EVENTS_REPLY__MAX };

/* One shape of reply: its slots (the verdict first), and a group of slots
 * repeated after them (each), if any. */
struct rs_reply_decl {
	enum rs_verdict verdict;
	const char *const *slots;
	int n;
	const char *const *each;
	int n_each;
};

struct rs_script_decl {
	const char *name;		/* src/lua/<name>.lua */
	bool code_block;		/* the code block comes first */
	const char *const *argv;	/* its own arguments, in order */
	int argc;
	const char *rest;		/* what may follow them ("ids... fields..."), or NULL */
	struct rs_reply_decl ok;	/* its RS_OK reply */
	struct rs_reply_decl other;	/* another verdict's own shape (slots NULL: none) */
};

extern const struct rs_script_decl rs_scripts[SC__MAX];

/* The text of src/lua/<name>.lua as compiled in, or NULL. */
const char *rs_script_text(const char *name);
extern const char *const rs_code_argv[CODE_ARG__MAX];

/* The refusals' shapes, as prelude.lua declares them. */
#define RS_REFUSALS 3
extern const struct rs_reply_decl rs_refusals[RS_REFUSALS];

#endif
