/*
 * The scripts that add events to the stream (see redis_event_record.h).
 * Arguments and replies by redis_scripts.h's slots.
 */
#include "phoneauth/redis_event_record.h"

#include "redis_call.h"

_Static_assert(RS_RELAY_MAX * 2 <= RS_MAX_ARGS, "a relay's batch in one call");

enum store_status
rs_event_failed(struct redis_store *rs, const struct rs_failed_args *o, long long *added)
{
	struct rs_args a = { .n = 0 };
	long long n = 0;
	enum store_status st;

	rs_arg_str(&a, FAILED_ARG_CLIENT, o->client);
	rs_arg_str(&a, FAILED_ARG_PHONE, o->phone);
	rs_arg_str(&a, FAILED_ARG_LANG, o->lang);
	rs_arg_str(&a, FAILED_ARG_EVENT, o->event);
	rs_arg_str(&a, FAILED_ARG_BLOCK_IP, o->block_ip);
	rs_arg_str(&a, FAILED_ARG_BLOCK_NUMBER, o->block_number);
	st = rs_run_number(rs, SC_FAILED, &a, EVENTS_REPLY_ADDED, &n);
	if (added != NULL)
		*added = n;
	return st;
}

enum store_status
rs_events_relay(struct redis_store *rs, const char *const *langs, const char *const *events,
    int n, long long *added)
{
	struct rs_args a = { .n = 0 };
	long long got = 0;
	enum store_status st;

	if (n <= 0 || n > RS_RELAY_MAX)
		return n == 0 ? STORE_OK : STORE_ERROR;
	for (int i = 0; i < n; i++) {
		rs_arg_str(&a, 2 * i, langs[i]);
		rs_arg_str(&a, 2 * i + 1, events[i]);
	}
	st = rs_run_number(rs, SC_RELAY, &a, EVENTS_REPLY_ADDED, &got);
	if (added != NULL)
		*added = got;
	return st;
}
