/*
 * Events: what happened to an account, as one JSON object (API.md, "Events
 * and notices"):
 *
 *   {"id":"<uuid>","type":"login.succeeded","at":"2026-12-07T10:00:00.123Z",
 *    "user_id":42,"mobile_number":"09121234567","ip":"203.0.113.9",
 *    "user_agent":"...","data":{"method":"password","mfa":null}}
 *
 * The types and the keys of their `data` are one table in event.c: a key a
 * type does not have is refused, so no password, code, token or secret can
 * ride along by mistake, and the keys whose values are a closed set (method,
 * via, why, kind) refuse any other value. Also here: which types make an SMS
 * notice, and the webhook_events filter.
 */
#ifndef PHONEAUTH_EVENT_H
#define PHONEAUTH_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum event_type {
	EVENT_SIGNUP_COMPLETED,
	EVENT_LOGIN_SUCCEEDED,		/* method, mfa */
	EVENT_LOGIN_FAILED,		/* reason */
	EVENT_MFA_FAILED,
	EVENT_PASSWORD_CHANGED,		/* via */
	EVENT_PHONE_CHANGED,		/* old, new */
	EVENT_ACCOUNT_DELETED,
	EVENT_SESSION_REVOKED,		/* sid, why */
	EVENT_TOKEN_REUSED,		/* sid */
	EVENT_BLOCK_STARTED,		/* kind, until (a time) */
	EVENT_MFA_ENABLED,
	EVENT_MFA_DISABLED,
	EVENT_RECOVERY_CODES_RENEWED,
	EVENT_PASSKEY_ADDED,		/* id */
	EVENT_PASSKEY_REMOVED,		/* id */
	EVENT_USER_BANNED,
	EVENT_USER_UNBANNED,
	EVENT__MAX
};

/* "login.succeeded"; NULL for a value out of range. */
const char *event_type_name(enum event_type type);

/* The type named exactly `name` (len bytes); false if there is none. */
bool event_type_from_name(const char *name, size_t len, enum event_type *out);

/* Whom a type's SMS notice goes to. */
enum event_notice {
	EVENT_NOTICE_NONE,
	EVENT_NOTICE_ACCOUNT,		/* the account's number */
	EVENT_NOTICE_OLD_NUMBER,	/* the number it had (phone.changed: data.old) */
};
enum event_notice event_notice_of(enum event_type type);

#define EVENT_ID_LEN 36			/* a UUID: 8-4-4-4-12 hex digits */
#define EVENT_TIME_LEN 24		/* 2026-12-07T10:00:00.123Z */
#define EVENT_USER_AGENT_MAX 256	/* characters (code points) kept */
#define EVENT_DATA_MAX 2		/* data keys of the type that has most */
#define EVENT_JSON_MAX 4096		/* room that any event of ours fits in */

/* A value of `data`: a string, null, or a time (written as `at` is). */
enum event_value_kind { EVENT_VALUE_NULL, EVENT_VALUE_STRING, EVENT_VALUE_TIME };

struct event_value {
	enum event_value_kind kind;
	const char *str;		/* EVENT_VALUE_STRING; owner: the caller */
	long long ms;			/* EVENT_VALUE_TIME: Unix milliseconds */
};

/*
 * One event. The strings are the caller's and must outlive the rendering;
 * NULL (0 for user_id) is written as null. They may be anything a client
 * sent: each is escaped, bytes that are not UTF-8 become U+FFFD, and the
 * user agent is cut to EVENT_USER_AGENT_MAX characters.
 */
struct event {
	char id[EVENT_ID_LEN + 1];
	enum event_type type;
	long long at_ms;		/* Unix milliseconds */
	long long user_id;		/* 0: none (a failure for an unknown number) */
	const char *mobile_number;
	const char *ip;
	const char *user_agent;
	struct event_value data[EVENT_DATA_MAX];	/* in the order of the type's keys */
};

/*
 * Starts an event of `type` at `at_ms` with a fresh id (a version 4 UUID
 * from the CSPRNG) and everything else null. False if no random bytes could
 * be had or `type` is out of range.
 */
bool event_init(struct event *ev, enum event_type type, long long at_ms);

/* Sets data.`key` to a string (NULL: null) or a time. False, leaving the
 * event as it was, if the type has no such key, if the key takes the other
 * kind of value, or if the key's values are a closed set without this one. */
bool event_set(struct event *ev, const char *key, const char *value);
bool event_set_time(struct event *ev, const char *key, long long ms);

/*
 * Writes the event's JSON (no newline) into out, NUL-terminated, and its
 * length to *len. False, with out holding "", if it does not fit in outlen
 * bytes (EVENT_JSON_MAX is enough for any user agent and for numbers, ips
 * and data values of up to 64 bytes each) or if a time is before 1970 or
 * after 9999.
 */
bool event_render(const struct event *ev, char *out, size_t outlen, size_t *len);

/* `ms` as RFC 3339 UTC with milliseconds: 2026-12-07T10:00:00.123Z.
 * False for a time before 1970 or after 9999. */
bool event_time(long long ms, char out[EVENT_TIME_LEN + 1]);

/*
 * The webhook_events setting: a comma-separated list of type names and
 * `prefix.*` patterns (`login.*`: login.succeeded and login.failed), or
 * `all` (or `*`). Spaces around items are allowed; an unknown type, a
 * pattern that matches no type, or an empty item is refused with one line
 * in `why` naming it. Parsed once, matched with one bit test.
 */
#define EVENT_FILTER_MAX 4096		/* bytes of a setting */
struct event_filter {
	uint32_t types;			/* bit (1 << type) for each type let through */
};
_Static_assert(EVENT__MAX <= 32, "one bit per type");

bool event_filter_parse(const char *text, struct event_filter *out, char *why, size_t whylen);
bool event_filter_match(const struct event_filter *f, enum event_type type);

#endif
