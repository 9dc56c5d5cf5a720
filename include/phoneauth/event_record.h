/*
 * The events a request (or an administrator's command) records (API.md,
 * "Events and notices"): each rendered by event.c with the request's
 * address, user agent and language, then handed to the store call that
 * makes its change, which records it atomically with the change: the
 * PostgreSQL statement inserts it into event_outbox (pg_store.h, struct
 * pg_events), a Redis script adds it to the stream <redis_prefix>events.
 * No event is made anywhere else, and nothing here is sent on its own.
 */
#ifndef PHONEAUTH_EVENT_RECORD_H
#define PHONEAUTH_EVENT_RECORD_H

#include "phoneauth/event.h"
#include "phoneauth/pg_store.h"
#include "phoneauth/request.h"

struct ctx;

/* The events of one change; rec->pg goes to the pg_* call. */
struct event_record {
	char change[EVENT_JSON_MAX];
	char revoked[EVENT_JSON_MAX];
	char again[EVENT_JSON_MAX];
	struct pg_events pg;
};

/*
 * Starts `rec` with no event, for request `req` (NULL: a command of the
 * administrator, without address, user agent, and in English).
 */
void event_record_begin(struct event_record *rec, const struct request *req);

/*
 * Renders the change's event: `type`, of account `user_id` (0: the
 * statement fills it in) with number `phone` (NULL: likewise), and up to two
 * data values in the order of the type's keys (NULL key: no more). A
 * failure (no random bytes, a value the type refuses: a bug) is logged and
 * leaves the change without its event rather than refuse the change.
 */
void event_record_change(struct event_record *rec, const struct request *req,
    enum event_type type, long long user_id, const char *phone,
    const char *k1, const char *v1, const char *k2, const char *v2);

/* Renders the event recorded instead of the change's when the change was
 * made already (pg_events.again), with the same arguments. */
void event_record_again(struct event_record *rec, const struct request *req,
    enum event_type type, long long user_id, const char *phone,
    const char *k1, const char *v1, const char *k2, const char *v2);

/* Renders the session.revoked the change makes per login it ends, its
 * sid "-" (the statement puts each login's in), `why` its reason. */
void event_record_revoked(struct event_record *rec, const struct request *req,
    long long user_id, const char *phone, const char *why);

/*
 * A judged try failed: `type` (EVENT_LOGIN_FAILED with `reason`, the error
 * code, EVENT_MFA_FAILED, or EVENT__MAX for none) and a block.started for each block the try
 * began, added to the stream by one Redis script (redis_events.h), which
 * alone knows whether it began one. Logs what it could not record.
 */
void event_record_failure(struct ctx *ctx, enum event_type type, long long user_id,
    const char *phone, const char *reason);

#endif
