/*
 * The declarations of redis_scripts.h: each script's argument and reply
 * slots by name, in the order its src/lua/NAME.lua header and ARGV unpacking
 * give them (tests/unit/test_redis_scripts.c holds the two sides together).
 * Data only: nothing here speaks to Redis.
 */
#include "redis_scripts.h"

#include <string.h>

#include "phoneauth/embedded.h"

const char *const rs_verdict_names[RS__MAX] = {
	[RS_OK] = "OK", [RS_BLOCKED] = "BLOCKED", [RS_RATE_LIMITED] = "RATE_LIMITED",
	[RS_NO_SESSION] = "NO_SESSION", [RS_WRONG_STEP] = "WRONG_STEP",
	[RS_CODE_VOID] = "CODE_VOID", [RS_NOT_CACHED] = "NOT_CACHED", [RS_BANNED] = "BANNED",
};

const char *
rs_script_text(const char *name)
{
	for (size_t i = 0; i < lua_scripts_count; i++)
		if (strcmp(lua_scripts[i].name, name) == 0)
			return lua_scripts[i].text;
	return NULL;
}

#define N(a) ((int)(sizeof a / sizeof a[0]))
#define REPLY(v, s) { .verdict = (v), .slots = (s), .n = N(s) }
#define WALK(s, e) { .verdict = RS_OK, .slots = (s), .n = N(s), .each = (e), .n_each = N(e) }

const char *const rs_code_argv[CODE_ARG__MAX] = {
	[CODE_ARG_DIGEST] = "digest", [CODE_ARG_CODE] = "code", [CODE_ARG_LANG] = "lang",
	[CODE_ARG_KIND] = "kind", [CODE_ARG_TEXTS + PURPOSE_REGISTER] = "text_register",
	[CODE_ARG_TEXTS + PURPOSE_LOGIN] = "text_login",
	[CODE_ARG_TEXTS + PURPOSE_RESET] = "text_reset",
	[CODE_ARG_TEXTS + PURPOSE_CHANGE] = "text_change",
};

static const char *const verdict_only[] = { [RS_REPLY_VERDICT] = "verdict" };

static const char *const refusal_reply[REFUSAL_REPLY__MAX] = {
	"verdict", [REFUSAL_REPLY_MS] = "ms", [REFUSAL_REPLY_WHY] = "why",
};
static const char *const wrong_step_reply[WRONG_STEP_REPLY__MAX] = {
	"verdict", [WRONG_STEP_REPLY_STEP] = "step",
};

const struct rs_reply_decl rs_refusals[RS_REFUSALS] = {
	REPLY(RS_BLOCKED, refusal_reply), REPLY(RS_RATE_LIMITED, refusal_reply),
	REPLY(RS_WRONG_STEP, wrong_step_reply),
};

static const char *const gate_argv[GATE_ARG__MAX] = {
	[GATE_ARG_CLIENT] = "client", [GATE_ARG_PHONE] = "phone", [GATE_ARG_TAKE] = "take_one",
	[GATE_ARG_DEVICE] = "dev", [GATE_ARG_UID] = "uid",
};
static const char *const gate_reply[GATE_REPLY__MAX] = {
	"verdict", [GATE_REPLY_ON_DEVICE] = "on_device",
};

static const char *const open_argv[OPEN_ARG__MAX] = {
	[OPEN_ARG_CLIENT] = "client", [OPEN_ARG_PHONE] = "phone", [OPEN_ARG_SID] = "sid",
	[OPEN_ARG_STEP] = "step", [OPEN_ARG_PURPOSE] = "purpose", [OPEN_ARG_UID] = "uid",
	[OPEN_ARG_OWNER] = "owner", [OPEN_ARG_BY_CODE] = "by_code", [OPEN_ARG_DEVICE] = "dev",
	[OPEN_ARG_CV] = "cv",
};

static const char *const step_argv[STEP_ARG__MAX] = {
	[STEP_ARG_CLIENT] = "client", [STEP_ARG_SID] = "sid", [STEP_ARG_EXPECT] = "expect",
	[STEP_ARG_TAKE] = "take_mode", [STEP_ARG_DEVICE] = "dev",
};
static const char *const step_reply[STEP_REPLY__MAX] = {
	"verdict", [STEP_REPLY_PHONE] = "phone", [STEP_REPLY_STEP] = "step",
	[STEP_REPLY_PURPOSE] = "purpose", [STEP_REPLY_UID] = "uid", [STEP_REPLY_DIGEST] = "digest",
	[STEP_REPLY_EARLIER] = "earlier", [STEP_REPLY_OWNER] = "owner",
	[STEP_REPLY_BY_CODE] = "by_code", [STEP_REPLY_ON_DEVICE] = "on_device",
	[STEP_REPLY_CV] = "cv",
};

static const char *const advance_argv[ADVANCE_ARG__MAX] = {
	[ADVANCE_ARG_CLIENT] = "client", [ADVANCE_ARG_SID] = "sid", [ADVANCE_ARG_PHONE] = "phone",
	[ADVANCE_ARG_UID] = "uid", [ADVANCE_ARG_FROM] = "from", [ADVANCE_ARG_TO] = "to",
	[ADVANCE_ARG_BACK] = "back", [ADVANCE_ARG_CHANGED] = "changed",
	[ADVANCE_ARG_DEVICE] = "dev",
};

static const char *const register_argv[REGISTER_ARG__MAX] = {
	[REGISTER_ARG_CLIENT] = "client", [REGISTER_ARG_PHONE] = "phone",
	[REGISTER_ARG_SID] = "sid", [REGISTER_ARG_STATE] = "state",
	[REGISTER_ARG_DEVICE] = "dev",
};
static const char *const register_reply[REGISTER_REPLY__MAX] = {
	"verdict", [REGISTER_REPLY_STEP] = "step", [REGISTER_REPLY_PURPOSE] = "purpose",
};
static const char *const not_cached_reply[NOT_CACHED_REPLY__MAX] = {
	"verdict", [NOT_CACHED_REPLY_INDEX_WHOLE] = "index_whole",
};

static const char *const resend_argv[RESEND_ARG__MAX] = {
	[RESEND_ARG_CLIENT] = "client", [RESEND_ARG_SID] = "sid",
};
static const char *const resend_reply[RESEND_REPLY__MAX] = {
	"verdict", [RESEND_REPLY_PHONE] = "phone", [RESEND_REPLY_PURPOSE] = "purpose",
	[RESEND_REPLY_GHOST] = "ghost",
};

static const char *const release_argv[RELEASE_ARG__MAX] = {
	[RELEASE_ARG_CLIENT] = "client", [RELEASE_ARG_PHONE] = "phone",
	[RELEASE_ARG_CLEAR] = "clear", [RELEASE_ARG_DEVICE] = "dev",
};

static const char *const phone_argv[PHONE_ARG__MAX] = { [PHONE_ARG_PHONE] = "phone" };

static const char *const unblock_argv[UNBLOCK_ARG__MAX] = {
	[UNBLOCK_ARG_KIND] = "kind", [UNBLOCK_ARG_ID] = "id",
};
static const char *const unblock_reply[UNBLOCK_REPLY__MAX] = {
	"verdict", [UNBLOCK_REPLY_REMOVED] = "removed",
};

static const char *const walk_argv[WALK_ARG__MAX] = { [WALK_ARG_CURSOR] = "cursor" };
static const char *const walk_reply[WALK_REPLY__MAX] = { "verdict", [WALK_REPLY_CURSOR] = "cursor" };
static const char *const blocks_each[BLOCKS_EACH__MAX] = {
	[BLOCKS_EACH_KIND] = "kind", [BLOCKS_EACH_ID] = "id", [BLOCKS_EACH_UNTIL] = "until",
	[BLOCKS_EACH_LEFT] = "left",
};
static const char *const pauses_each[PAUSES_EACH__MAX] = {
	[PAUSES_EACH_PREFIX] = "prefix", [PAUSES_EACH_SINCE] = "since", [PAUSES_EACH_LEFT] = "left",
};
static const char *const counts_each[COUNTS_EACH__MAX] = {
	[COUNTS_EACH_NAME] = "name", [COUNTS_EACH_N] = "n",
};

static const char *const outbox_done_argv[OUTBOX_DONE_ARG__MAX] = {
	[OUTBOX_DONE_ARG_HOW] = "how", [OUTBOX_DONE_ARG_ERROR] = "err",
	[OUTBOX_DONE_ARG_DELIVERIES] = "deliveries", [OUTBOX_DONE_ARG_N] = "n",
};
static const char *const outbox_done_reply[OUTBOX_DONE_REPLY__MAX] = {
	"verdict", [OUTBOX_DONE_REPLY_ACKED] = "acked",
};

static const char *const index_rebuild_argv[INDEX_REBUILD_ARG__MAX] = {
	[INDEX_REBUILD_ARG_STEP] = "step", [INDEX_REBUILD_ARG_TOKEN] = "token",
	[INDEX_REBUILD_ARG_NUMBERS] = "numbers",
};

static const char *const index_rebuild_reply[INDEX_REBUILD_REPLY__MAX] = {
	"verdict", [INDEX_REBUILD_REPLY_DONE] = "done",
};

static const char *const unpause_argv[UNPAUSE_ARG__MAX] = { [UNPAUSE_ARG_PREFIX] = "prefix" };
static const char *const unpause_reply[UNPAUSE_REPLY__MAX] = {
	"verdict", [UNPAUSE_REPLY_WAS] = "was",
};

static const char *const dead_retry_reply[DEAD_RETRY_REPLY__MAX] = {
	"verdict", [DEAD_RETRY_REPLY_MOVED] = "moved",
};

static const char *const move_argv[MOVE_ARG__MAX] = {
	[MOVE_ARG_CLIENT] = "client", [MOVE_ARG_SID] = "sid", [MOVE_ARG_OLD] = "old",
	[MOVE_ARG_NEW] = "new",
};

static const char *const device_argv[DEVICE_ARG__MAX] = {
	[DEVICE_ARG_UID] = "uid", [DEVICE_ARG_SENT] = "sent", [DEVICE_ARG_MADE] = "made",
};
static const char *const device_reply[DEVICE_REPLY__MAX] = {
	"verdict", [DEVICE_REPLY_KEPT] = "kept",
};

static const char *const totp_argv[TOTP_ARG__MAX] = {
	[TOTP_ARG_OP] = "op", [TOTP_ARG_UID] = "uid", [TOTP_ARG_VALUE] = "value",
	[TOTP_ARG_MS] = "ms",
};

static const char *const mfa_session_argv[MFA_SESSION_ARG__MAX] = {
	[MFA_SESSION_ARG_OP] = "op", [MFA_SESSION_ARG_SID] = "sid",
	[MFA_SESSION_ARG_VALUE] = "value",
};

static const char *const mfa_reply[MFA_REPLY__MAX] = { "verdict", [MFA_REPLY_VALUE] = "value" };

static const char *const passkey_argv[PASSKEY_ARG__MAX] = {
	[PASSKEY_ARG_OP] = "op", [PASSKEY_ARG_CLIENT] = "client", [PASSKEY_ARG_SID] = "sid",
	[PASSKEY_ARG_PURPOSE] = "purpose", [PASSKEY_ARG_UID] = "uid", [PASSKEY_ARG_VALUE] = "value",
};
static const char *const passkey_reply[PASSKEY_REPLY__MAX] = {
	"verdict", [PASSKEY_REPLY_VALUE] = "value", [PASSKEY_REPLY_PURPOSE] = "purpose",
	[PASSKEY_REPLY_UID] = "uid",
};
static const char *const failed_argv[FAILED_ARG__MAX] = {
	[FAILED_ARG_CLIENT] = "client", [FAILED_ARG_PHONE] = "phone", [FAILED_ARG_LANG] = "lang",
	[FAILED_ARG_EVENT] = "event", [FAILED_ARG_BLOCK_IP] = "block_ip",
	[FAILED_ARG_BLOCK_NUMBER] = "block_number",
};
static const char *const events_reply[EVENTS_REPLY__MAX] = {
	"verdict", [EVENTS_REPLY_ADDED] = "added",
};
static const char *const event_lease_argv[EVENT_LEASE_ARG__MAX] = {
	[EVENT_LEASE_ARG_KEY] = "key", [EVENT_LEASE_ARG_HOLDER] = "holder",
	[EVENT_LEASE_ARG_TTL] = "ttl", [EVENT_LEASE_ARG_OP] = "op",
};
static const char *const event_lease_reply[EVENT_LEASE_REPLY__MAX] = {
	"verdict", [EVENT_LEASE_REPLY_HELD] = "held",
};
static const char *const event_notice_argv[EVENT_NOTICE_ARG__MAX] = {
	[EVENT_NOTICE_ARG_STREAM] = "stream", [EVENT_NOTICE_ARG_GROUP] = "group",
	[EVENT_NOTICE_ARG_ID] = "id", [EVENT_NOTICE_ARG_PHONE] = "phone",
	[EVENT_NOTICE_ARG_LANG] = "lang", [EVENT_NOTICE_ARG_EVENT] = "event",
	[EVENT_NOTICE_ARG_TEXT] = "text",
};
static const char *const event_notice_reply[EVENT_NOTICE_REPLY__MAX] = {
	"verdict", [EVENT_NOTICE_REPLY_RESULT] = "result",
};

#define ARGV(a) .argv = (a), .argc = N(a)

const struct rs_script_decl rs_scripts[SC__MAX] = {
	[SC_GATE] = { "gate", false, ARGV(gate_argv), .ok = REPLY(RS_OK, gate_reply) },
	[SC_OPEN] = { "open", true, ARGV(open_argv), .ok = REPLY(RS_OK, verdict_only) },
	[SC_STEP] = { "step", false, ARGV(step_argv), .ok = REPLY(RS_OK, step_reply) },
	[SC_ADVANCE] = { "advance", false, ARGV(advance_argv), .ok = REPLY(RS_OK, verdict_only) },
	[SC_REGISTER] = { "register", true, ARGV(register_argv),
		.ok = REPLY(RS_OK, register_reply), .other = REPLY(RS_NOT_CACHED, not_cached_reply) },
	[SC_RESEND] = { "resend", true, ARGV(resend_argv), .ok = REPLY(RS_OK, resend_reply) },
	[SC_RELEASE] = { "release", false, ARGV(release_argv), .ok = REPLY(RS_OK, verdict_only) },
	[SC_FORGET] = { "forget", false, ARGV(phone_argv), .ok = REPLY(RS_OK, verdict_only) },
	[SC_UNBLOCK] = { "unblock", false, ARGV(unblock_argv), .ok = REPLY(RS_OK, unblock_reply) },
	[SC_BLOCKS] = { "blocks", false, ARGV(walk_argv), .ok = WALK(walk_reply, blocks_each) },
	[SC_OUTBOX_DONE] = { "outbox_done", false, ARGV(outbox_done_argv),
		.rest = "ids... fields...", .ok = REPLY(RS_OK, outbox_done_reply) },
	[SC_INDEX_REBUILD] = { "index_rebuild", false, ARGV(index_rebuild_argv),
		.ok = REPLY(RS_OK, index_rebuild_reply) },
	[SC_INDEX_DROP] = { "index_drop", false, .ok = REPLY(RS_OK, verdict_only) },
	[SC_PAUSES] = { "pauses", false, ARGV(walk_argv), .ok = WALK(walk_reply, pauses_each) },
	[SC_UNPAUSE] = { "unpause", false, ARGV(unpause_argv), .ok = REPLY(RS_OK, unpause_reply) },
	[SC_COUNTS] = { "counts", false, .ok = WALK(verdict_only, counts_each) },
	[SC_DEAD_RETRY] = { "dead_retry", false, .ok = REPLY(RS_OK, dead_retry_reply) },
	[SC_GONE] = { "gone", false, ARGV(phone_argv), .ok = REPLY(RS_OK, verdict_only) },
	[SC_MOVE] = { "move", false, ARGV(move_argv), .ok = REPLY(RS_OK, verdict_only) },
	[SC_DEVICE] = { "device", false, ARGV(device_argv), .ok = REPLY(RS_OK, device_reply) },
	[SC_TOTP] = { "totp", false, ARGV(totp_argv), .ok = REPLY(RS_OK, mfa_reply) },
	[SC_MFA_SESSION] = { "mfa_session", false, ARGV(mfa_session_argv),
		.ok = REPLY(RS_OK, mfa_reply) },
	[SC_PASSKEY] = { "passkey", false, ARGV(passkey_argv), .ok = REPLY(RS_OK, passkey_reply) },
	[SC_FAILED] = { "failed", false, ARGV(failed_argv), .ok = REPLY(RS_OK, events_reply) },
	[SC_RELAY] = { "relay", false, .rest = "events...", .ok = REPLY(RS_OK, events_reply) },
	[SC_EVENT_LEASE] = { "event_lease", false, ARGV(event_lease_argv),
		.ok = REPLY(RS_OK, event_lease_reply) },
	[SC_EVENT_NOTICE] = { "event_notice", false, ARGV(event_notice_argv),
		.ok = REPLY(RS_OK, event_notice_reply) },
};
