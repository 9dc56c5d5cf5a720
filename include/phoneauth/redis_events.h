/*
 * The events stream: <redis_prefix>events, one entry per event with the
 * fields id (the event's UUID), type, event (its JSON, as event_render()
 * wrote it) and lang, written by the workers (XADD only) and read by the
 * sender's outputs (event_deliver.c), one consumer group per output. This
 * file is the stream's protocol on the reading side: the groups, the lease
 * that lets one sender at a time deliver to an output (so that each
 * output gets each event once, in order), acknowledgement, the dead
 * letters (<prefix>events:dead), trimming what every output has
 * acknowledged, the counts the metrics read, and the notices' script.
 */
#ifndef PHONEAUTH_REDIS_EVENTS_H
#define PHONEAUTH_REDIS_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "phoneauth/config.h"
#include "phoneauth/event.h"
#include "phoneauth/redis_store.h"
#include "phoneauth/store.h"

#define EVENTS_OUTPUT_MAX 48		/* bytes of an output's name, NUL included */

struct event_entry {
	char id[48];			/* the stream entry id */
	char event_id[EVENT_ID_LEN + 1];
	char type[32];
	char lang[8];
	char only[EVENTS_OUTPUT_MAX];	/* put back by events-dead --retry for this output only */
	char json[EVENT_JSON_MAX];
	size_t len;
	bool malformed;			/* a field missing or too long */
};

/* Creates the output's consumer group (from the start of the stream) if missing. */
enum store_status events_prepare(struct redis_store *rs, const char *output);

/*
 * The output's lease: taken (or renewed, when `holder` has it) for ttl_ms;
 * *held says whether `holder` has it now. events_lease_drop gives it up.
 */
enum store_status events_lease(struct redis_store *rs, const char *output, const char *holder,
    long ttl_ms, bool *held);
enum store_status events_lease_drop(struct redis_store *rs, const char *output, const char *holder);

/*
 * Up to `max` entries of the output, oldest first: those handed out and
 * not yet acknowledged (a sender that died or lost its lease left them),
 * else new ones, waiting up to block_ms. *n says how many.
 */
enum store_status events_next(struct redis_store *rs, const char *output, long block_ms,
    struct event_entry *out, int max, int *n);

/* The output is done with entry `id`; counted under `result` ("delivered",
 * "skipped") in the counts the metrics read (NULL: not counted). */
enum store_status events_ack(struct redis_store *rs, const char *output, const char *id,
    const char *result);

/* One more try of `output` ended with `result` ("failed"), for the metrics. */
void events_count(struct redis_store *rs, const char *output, const char *result);

/* Copies the entry to the dead letters with the output and the last error,
 * then acknowledges it (a sender dying between the two leaves it pending:
 * delivered again later, never lost). */
enum store_status events_dead(struct redis_store *rs, const char *output,
    const struct event_entry *e, const char *error, long tries);

/* A dead letter, for `phoneauth events-dead`. */
struct events_dead_letter {
	char id[48];
	char output[EVENTS_OUTPUT_MAX];
	char event_id[EVENT_ID_LEN + 1];
	char type[32];
	char error[200];
	long tries;
	long long failed_at;		/* Unix seconds */
};
enum store_status events_dead_list(struct redis_store *rs,
    void (*each)(const struct events_dead_letter *d, void *arg), void *arg);

/* Puts every dead letter back in the stream, for its own output only; *moved. */
enum store_status events_dead_retry(struct redis_store *rs, long *moved);

/* Drops dead letters older than audit_retention_days. */
enum store_status events_dead_expire(struct redis_store *rs);

/* Trims the stream of what each of the n outputs has acknowledged. */
enum store_status events_trim(struct redis_store *rs, const char *const *outputs, int n);

/* An output's backlog (in the stream, not yet acknowledged by it; -1: its
 * group does not exist yet) and the dead letters. */
struct events_status {
	long long dead;
	long long total;		/* entries in the stream */
};
enum store_status events_status(struct redis_store *rs, struct events_status *st);
enum store_status events_backlog(struct redis_store *rs, const char *output, long long *backlog);

/* Each count the outputs kept: output, result, n. */
enum store_status events_counts(struct redis_store *rs,
    void (*each)(const char *output, const char *result, long long n, void *arg), void *arg);

/*
 * The notices' output: acknowledges entry `id` and, if it was not yet
 * acknowledged and the owners' SMS budget allows, puts the notice in the
 * SMS outbox (purpose `notice`, the event's type in `event`), all at once,
 * so a sender that dies mid-way sends it once or not at all.
 */
enum events_notice { EVENTS_NOTICE_QUEUED, EVENTS_NOTICE_DONE_BEFORE, EVENTS_NOTICE_BUDGET };
enum store_status events_notice(struct redis_store *rs, const char *output, const char *id,
    const char *phone, const char *lang, const char *type, const char *text,
    enum events_notice *result);

#endif
