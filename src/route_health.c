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
		o = json_object_new_object();
		json_object_object_add(o, "status", json_object_new_string("ok"));
		response_json(ctx->resp, 200, o);
	} else {
		response_error(ctx->resp, ERR_SERVICE_UNAVAILABLE, ctx->req->lang);
		o = ctx->resp->body;
		json_object_object_add(o, "status", json_object_new_string("unavailable"));
	}
	json_object_object_add(o, "redis", json_object_new_string(redis_ok ? "ok" : "unavailable"));
	json_object_object_add(o, "postgres", json_object_new_string(pg_ok ? "ok" : "unavailable"));
	if (redis_ok && outbox_status(ctx->rs, &outbox) == STORE_OK)
		json_object_object_add(o, "sms_backlog",
		    json_object_new_int64(outbox.unread + outbox.pending));
}
