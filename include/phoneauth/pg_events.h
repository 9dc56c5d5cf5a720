/*
 * The relay's side of event_outbox (sql/007_events.sql): a batch of the
 * oldest events taken in a transaction that locks their rows (others'
 * batches skip them), then deleted and committed once they are in the
 * stream, or left (rolled back) for the next try. A connection of its own,
 * apart from pg_store's, since it holds a transaction open between calls.
 */
#ifndef PHONEAUTH_PG_EVENTS_H
#define PHONEAUTH_PG_EVENTS_H

#include "phoneauth/config.h"
#include "phoneauth/event.h"
#include "phoneauth/store.h"

struct pg_events_conn;

struct pg_event_row {
	long long seq;
	char lang[8];
	char event[EVENT_JSON_MAX];
};

struct pg_events_conn *pg_events_new(const struct config *cfg);
void pg_events_free(struct pg_events_conn *pe);

/* Begins a transaction and takes up to `max` rows, oldest first, that no
 * other relay holds; *n of them. On STORE_OK with *n 0 nothing is held. */
enum store_status pg_events_take(struct pg_events_conn *pe, struct pg_event_row *rows, int max,
    int *n);

/* Deletes the rows taken and commits. */
enum store_status pg_events_done(struct pg_events_conn *pe, const struct pg_event_row *rows, int n);

/* Gives the rows taken back (rolls back). */
void pg_events_abort(struct pg_events_conn *pe);

#endif
