/*
 * The SMS outbox: the Redis stream the workers' scripts add codes to
 * (prelude.lua's outbox_add) and the sender (sender.c) empties through a
 * consumer group, acknowledging an entry only once it is delivered, so a
 * sender that dies loses nothing. This file is the stream's protocol; its
 * key names are the connection's (src/redis_call.h), which hands them to
 * the scripts.
 */
#ifndef PHONEAUTH_REDIS_OUTBOX_H
#define PHONEAUTH_REDIS_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "phoneauth/config.h"
#include "phoneauth/otp.h"
#include "phoneauth/phone.h"
#include "phoneauth/redis_store.h"
#include "phoneauth/sms_text.h"
#include "phoneauth/store.h"

/* The purpose of an SMS notice of a security change (event_notice.lua):
 * no code, and not dropped after otp_ttl. */
#define OUTBOX_NOTICE "notice"
#define OUTBOX_NOTICE_TTL 86400	/* seconds a notice may still be sent late */

struct outbox_entry {
	char id[48];			/* the stream entry id */
	char phone[PHONE_MAX];
	char code[OTP_DIGITS + 1];
	char purpose[16];
	char language[8];
	char text[SMS_TEXT_MAX];	/* the whole SMS, rendered by the worker */
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
enum store_status outbox_prepare(struct redis_store *rs);

/*
 * Up to `max` entries for `consumer`: first those another sender left
 * pending for sms_claim_idle seconds (XAUTOCLAIM), then new ones, waiting
 * up to block_ms for them. *n says how many.
 */
enum store_status outbox_next(struct redis_store *rs, const char *consumer, long block_ms,
    struct outbox_entry *out, int max, int *n);

/* Takes back one of this sender's own pending entries for a retry; *taken
 * is false when it is no longer there. */
enum store_status outbox_retake(struct redis_store *rs, const char *consumer,
    struct outbox_entry *e, bool *taken);

enum outbox_done { OUTBOX_DELIVERED, OUTBOX_EXPIRED };

/* Acknowledges n entries (their ids) that were delivered, or dropped as too
 * old, in one call. At most OUTBOX_DONE_MAX. */
#define OUTBOX_DONE_MAX 32
enum store_status outbox_done(struct redis_store *rs, const char *const *ids, int n,
    enum outbox_done how);

/* Moves an entry to the dead letters with the last error, and acknowledges it. */
enum store_status outbox_dead(struct redis_store *rs, const struct outbox_entry *e,
    const char *error);

enum store_status outbox_status(struct redis_store *rs, struct outbox_status *st);

/* A dead letter: the entry as it was, and why it died. */
struct outbox_dead_letter {
	char id[48];
	char phone[PHONE_MAX];
	char purpose[16];
	char error[420];
	long attempts;
	long long failed_at;		/* Unix seconds */
};

/* Calls `each` for every dead letter, oldest first. */
enum store_status outbox_dead_list(struct redis_store *rs,
    void (*each)(const struct outbox_dead_letter *d, void *arg), void *arg);

/* Puts every dead letter back in the outbox (as new entries); *moved. */
enum store_status outbox_dead_retry(struct redis_store *rs, long *moved);

#endif
