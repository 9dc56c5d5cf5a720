/*
 * What a handler works with: the configuration, the request, the response
 * being built, the worker's store connections, and the work to do after the
 * answer has been sent. One per worker, reset after every request.
 */
#ifndef PHONEAUTH_CTX_H
#define PHONEAUTH_CTX_H

#include <stdbool.h>
#include <time.h>

#include "phoneauth/config.h"
#include "phoneauth/keys.h"
#include "phoneauth/otp.h"
#include "phoneauth/password.h"
#include "phoneauth/pg_store.h"
#include "phoneauth/redis_store.h"
#include "phoneauth/request.h"
#include "phoneauth/response.h"
#include "phoneauth/sms_text.h"

/*
 * Failed attempts waiting to be written to failed_attempts. Under attack
 * every request is a failure; writing them in batches keeps the audit from
 * doubling the database's work. A batch is written when it is full, when its
 * oldest row is a second old (an idle worker wakes for it), and when the
 * worker stops.
 */
#define AUDIT_BATCH 64

struct audit {
	struct audit_row rows[AUDIT_BATCH + 8];	/* a request adds at most 2 */
	int n;
	long long next_sweep_ms;	/* rows past audit_retention_days go then */
};

/* Work that must not delay the answer: done once it has been sent. */
struct after {
	long long rehash_user;			/* upgrade the hash of this password */
	long long rehash_credentials;		/* unless its credentials_version changed */
	char password[PASSWORD_MAX_CHARS * 4 + 1];
	bool sweep;				/* delete long-expired refresh tokens */
	bool reindex;				/* the account index is not whole */
};

struct ctx {
	const struct config *cfg;
	struct request *req;
	struct response *resp;
	struct redis_store *rs;
	struct pg_store *pg;
	const struct otp_key *otp_key;
	const struct keys *keys;
	const struct sms_texts *texts;	/* the SMS templates */
	time_t now;
	int route;			/* the request's (router.c's index), -1 for none */
	unsigned long tokens_issued;	/* by this worker, for the sweep */
	struct audit audit;		/* kept across requests */
	long long next_reindex_ms;	/* no rebuild of the account index before */
	bool gated;		/* the blocks of this client were checked (limits.c) */
	/* The device whose count a try outside a session was taken from
	 * instead of the number's (limits.c; "" for none). */
	char tried_device[RS_DEVICE_HASH_LEN + 1];
	struct after after;
};

/* Queues one row of failed_attempts for after the answer. */
void ctx_note_failure(struct ctx *ctx, const char *phone, const char *kind);

/* Writes the queued failures now if `force`, or if the batch is due; true
 * when rows are still waiting (the caller arms the idle alarm). */
bool ctx_flush_audit(struct ctx *ctx, bool force);

/* A bug: 500 internal_error (the log says what). */
void ctx_reply_internal(struct ctx *ctx);

/*
 * The one translation of a store status into an answer: true for STORE_OK;
 * otherwise false with 503 (STORE_UNAVAILABLE) or 500 set. A caller that
 * expects STORE_NOT_FOUND or STORE_CONFLICT looks for them first.
 */
bool ctx_store_or_reply(struct ctx *ctx, enum store_status st);

/* Does the queued work; called after the answer has been sent. */
void ctx_run_after(struct ctx *ctx);

/* Clears what one request left: in ctx, its request and its response. */
void ctx_reset(struct ctx *ctx);

/* Where this request's login begins: its client and its User-Agent (bytes
 * other than printable ASCII become '?', cut at LOGIN_AGENT_MAX). */
void ctx_login_origin(const struct ctx *ctx, struct login_origin *out);

#endif
