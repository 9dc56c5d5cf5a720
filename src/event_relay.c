/*
 * The relay (see event_relay.h): pg_events.c's batches, relay.lua's adds.
 */
#include "phoneauth/event_relay.h"

#include <stdlib.h>

#include "phoneauth/clock.h"
#include "phoneauth/log.h"
#include "phoneauth/pg_events.h"
#include "phoneauth/redis_event_record.h"

#define BATCHES 8		/* per call: then the sender's codes again */
#define RETRY_MS 5000		/* after a store failed: a PostgreSQL that does not answer
				 * (connect_timeout 3 s) holds up the codes no more often */

struct event_relay {
	struct redis_store *rs;			/* borrowed */
	struct pg_events_conn *pg;		/* owned */
	struct pg_event_row rows[RS_RELAY_MAX];
	long long not_before_ms;
};

struct event_relay *
event_relay_new(const struct config *cfg, struct redis_store *rs)
{
	struct event_relay *r = calloc(1, sizeof *r);

	if (r == NULL || (r->pg = pg_events_new(cfg)) == NULL) {
		free(r);
		return NULL;
	}
	r->rs = rs;
	return r;
}

void
event_relay_free(struct event_relay *r)
{
	if (r == NULL)
		return;
	pg_events_free(r->pg);
	free(r);
}

/* One batch: taken, added (*added of them: the others were before),
 * deleted. The rows it took, or -1 when a store failed. */
static int
batch(struct event_relay *r, long long *added)
{
	const char *langs[RS_RELAY_MAX], *events[RS_RELAY_MAX];
	int n;

	if (pg_events_take(r->pg, r->rows, RS_RELAY_MAX, &n) != STORE_OK)
		return -1;
	if (n == 0)
		return 0;
	for (int i = 0; i < n; i++) {
		langs[i] = r->rows[i].lang;
		events[i] = r->rows[i].event;
	}
	if (rs_events_relay(r->rs, langs, events, n, added) != STORE_OK) {
		pg_events_abort(r->pg);
		log_warn("events: %d events wait in PostgreSQL: Redis did not take them", n);
		return -1;
	}
	if (pg_events_done(r->pg, r->rows, n) != STORE_OK) {
		/* in the stream already: whoever takes them again adds none */
		log_warn("events: %d events added but not deleted from event_outbox", n);
		return -1;
	}
	return n;
}

int
event_relay_run(struct event_relay *r)
{
	int total = 0;

	if (clock_monotonic_ms() < r->not_before_ms)
		return 0;
	for (int i = 0; i < BATCHES; i++) {
		long long added = 0;
		int taken = batch(r, &added);

		total += (int)added;
		if (taken < 0)
			r->not_before_ms = clock_monotonic_ms() + RETRY_MS;
		if (taken < RS_RELAY_MAX)
			break;
	}
	return total;
}
