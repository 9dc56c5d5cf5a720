/*
 * Events in Redis: the scripts that add events to the stream
 * <redis_prefix>events (src/lua/events.lua): failed.lua for a failure that
 * is final and the blocks it began, relay.lua for the events PostgreSQL
 * recorded (event_relay.c). Each event is the JSON event_render() wrote.
 */
#ifndef PHONEAUTH_REDIS_EVENT_RECORD_H
#define PHONEAUTH_REDIS_EVENT_RECORD_H

#include "phoneauth/redis_store.h"
#include "phoneauth/store.h"

/* A judged try failed: its event (NULL: none), and the block.started of
 * the client's and of the number's block (rendered with `until` at the
 * epoch) if the try began them. *added (may be NULL): events added. */
struct rs_failed_args {
	const char *client;
	const char *phone;		/* NULL: none */
	const char *lang;
	const char *event;
	const char *block_ip, *block_number;
};
enum store_status rs_event_failed(struct redis_store *rs, const struct rs_failed_args *a,
    long long *added);

/* Adds events[i] (language langs[i]) to the stream, in order, each unless
 * its id was added before. */
#define RS_RELAY_MAX 16
enum store_status rs_events_relay(struct redis_store *rs, const char *const *langs,
    const char *const *events, int n, long long *added);

#endif
