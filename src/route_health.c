/*
 * GET health: 200 when Redis and PostgreSQL both answer (one PING, one
 * SELECT 1), else 503 naming the part that does not; with the outbox's
 * backlog, which keeps growing when no sender runs.
 */
#include "phoneauth/route_health.h"

#include "phoneauth/redis_outbox.h"

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
}
