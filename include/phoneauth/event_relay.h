/*
 * The relay, in the sender: moves the events PostgreSQL recorded
 * (event_outbox) to the Redis stream <redis_prefix>events, oldest first.
 * Each event is added once, whatever happens: a batch's rows are locked
 * (other senders, on any host, take other rows), added by relay.lua only
 * if their id was never added (a marker per id), then deleted and
 * committed; a relay that dies after adding and before committing leaves
 * the rows to the next one, which adds none of them again. Nothing on the
 * request path waits for it.
 */
#ifndef PHONEAUTH_EVENT_RELAY_H
#define PHONEAUTH_EVENT_RELAY_H

#include "phoneauth/config.h"
#include "phoneauth/redis_store.h"

struct event_relay;

/* A relay using `rs` (the sender's, borrowed) and a PostgreSQL connection
 * of its own; NULL when out of memory. */
struct event_relay *event_relay_new(const struct config *cfg, struct redis_store *rs);
void event_relay_free(struct event_relay *r);

/* Moves what is waiting, a few batches at most (the sender's codes come
 * first); a store that fails is tried again 5 s later. Returns how
 * many events it added to the stream. */
int event_relay_run(struct event_relay *r);

#endif
