/*
 * The events of a request (see event_record.h): rendered here, recorded by
 * the store call that makes their change.
 */
#include "phoneauth/event_record.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "phoneauth/ctx.h"
#include "phoneauth/lang.h"
#include "phoneauth/log.h"
#include "phoneauth/redis_event_record.h"

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
lang_of(const struct request *req)
{
	return lang_names[req != NULL ? req->lang : LANG_EN];
}

/* Renders an event of `type` into out (EVENT_JSON_MAX bytes); false (logged)
 * when it could not be made. */
static bool
render(char *out, const struct request *req, enum event_type type, long long user_id,
    const char *phone, const char *k1, const char *v1, const char *k2, const char *v2,
    long long until_ms)
{
	struct event ev;
	size_t len;

	if (!event_init(&ev, type, now_ms()))
		goto fail;
	ev.user_id = user_id;
	ev.mobile_number = phone;
	if (req != NULL) {
		ev.ip = req->ip[0] != '\0' ? req->ip : NULL;
		ev.user_agent = request_param(req, P_USER_AGENT);
	}
	if ((k1 != NULL && !event_set(&ev, k1, v1)) || (k2 != NULL && !event_set(&ev, k2, v2)))
		goto fail;
	if (until_ms >= 0 && !event_set_time(&ev, "until", until_ms))
		goto fail;
	if (event_render(&ev, out, EVENT_JSON_MAX, &len))
		return true;
fail:
	log_error("events: a %s event could not be made; its change is recorded without it",
	    event_type_name(type) ? event_type_name(type) : "?");
	out[0] = '\0';
	return false;
}

void
event_record_begin(struct event_record *rec, const struct request *req)
{
	rec->change[0] = rec->revoked[0] = rec->again[0] = '\0';
	rec->pg.lang = lang_of(req);
	rec->pg.change = rec->pg.revoked = rec->pg.again = NULL;
}

void
event_record_change(struct event_record *rec, const struct request *req, enum event_type type,
    long long user_id, const char *phone, const char *k1, const char *v1, const char *k2,
    const char *v2)
{
	if (render(rec->change, req, type, user_id, phone, k1, v1, k2, v2, -1))
		rec->pg.change = rec->change;
}

void
event_record_again(struct event_record *rec, const struct request *req, enum event_type type,
    long long user_id, const char *phone, const char *k1, const char *v1, const char *k2,
    const char *v2)
{
	if (render(rec->again, req, type, user_id, phone, k1, v1, k2, v2, -1))
		rec->pg.again = rec->again;
}

void
event_record_revoked(struct event_record *rec, const struct request *req, long long user_id,
    const char *phone, const char *why)
{
	if (render(rec->revoked, req, EVENT_SESSION_REVOKED, user_id, phone, "sid", "-", "why", why,
	    -1))
		rec->pg.revoked = rec->revoked;
}

void
event_record_failure(struct ctx *ctx, enum event_type type, long long user_id, const char *phone,
    const char *reason)
{
	static char event[EVENT_JSON_MAX], block_ip[EVENT_JSON_MAX], block_number[EVENT_JSON_MAX];
	const struct request *req = ctx->req;
	struct rs_failed_args a = { .client = req->client, .phone = phone, .lang = lang_of(req),
		.event = event, .block_ip = block_ip, .block_number = block_number };

	if (type == EVENT__MAX)
		event[0] = '\0';
	else
		(void)render(event, req, type, user_id, phone,
		    type == EVENT_LOGIN_FAILED ? "reason" : NULL, reason, NULL, NULL, -1);
	(void)render(block_ip, req, EVENT_BLOCK_STARTED, 0, NULL, "kind", "ip", NULL, NULL, 0);
	if (phone != NULL && phone[0] != '\0')
		(void)render(block_number, req, EVENT_BLOCK_STARTED, user_id, phone, "kind", "number",
		    NULL, NULL, 0);
	else
		block_number[0] = '\0';
	if (rs_event_failed(ctx->rs, &a, NULL) != STORE_OK)
		log_warn("events: a failure from %s not recorded (Redis)", req->ip);
}
