/*
 * GET health: 200 when Redis and PostgreSQL both answer (one PING, one
 * SELECT 1), else 503 naming the part that does not; with the outbox's
 * backlog and the events', which keep growing when no sender runs.
 */
#include "phoneauth/route_health.h"

#include "phoneauth/event_deliver.h"
#include "phoneauth/redis_events.h"
#include "phoneauth/redis_outbox.h"

/* The events not yet taken by the output furthest behind (with no output
 * configured, the stream's length: nobody reads it). -1 when not known. */
static long long
events_backlog_of(struct ctx *ctx)
{
	char names[EVENT_OUTPUTS_MAX][48];
	int n = event_output_names(ctx->cfg, names, EVENT_OUTPUTS_MAX);
	struct events_status st;
	long long most = 0;

	if (n == 0)
		return events_status(ctx->rs, &st) == STORE_OK ? st.total : -1;
	for (int i = 0; i < n; i++) {
		long long b;

		if (events_backlog(ctx->rs, names[i], &b) != STORE_OK)
			return -1;
		if (b > most)
			most = b;
	}
	return most;
}

void
route_health(struct ctx *ctx)
{
	bool redis_ok = rs_ping(ctx->rs);
	bool pg_ok = pg_ping(ctx->pg);
	struct outbox_status outbox;
	json_object *o;

	if (redis_ok && pg_ok) {
		o = response_object(ctx->resp);
		response_add_string(ctx->resp, o, "status", "ok");
		response_json(ctx->resp, 200, o);
	} else {
		response_error(ctx->resp, ERR_SERVICE_UNAVAILABLE, ctx->req->lang);
		o = ctx->resp->body;
		response_add_string(ctx->resp, o, "status", "unavailable");
	}
	response_add_string(ctx->resp, o, "redis", redis_ok ? "ok" : "unavailable");
	response_add_string(ctx->resp, o, "postgres", pg_ok ? "ok" : "unavailable");
	if (redis_ok && outbox_status(ctx->rs, &outbox) == STORE_OK)
		response_add_int(ctx->resp, o, "sms_backlog", outbox.unread + outbox.pending);
	if (redis_ok) {
		long long backlog = events_backlog_of(ctx);

		if (backlog >= 0)
			response_add_int(ctx->resp, o, "events_backlog", backlog);
	}
}
