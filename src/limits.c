/*
 * The limits on the C side (see limits.h). Redis decides, in the scripts of
 * src/lua/; here the decisions become answers, and the request remembers
 * that its client was checked, so that the router's last look at a blocked
 * client (an error answered before any store call) costs a round trip only
 * when nothing else made one.
 */
#include "phoneauth/limits.h"

#include <stdio.h>
#include <string.h>

#include "phoneauth/event_record.h"
#include "phoneauth/log.h"

static void
reply_blocked(struct ctx *ctx, long retry_ms)
{
	response_retry(ctx->resp, ERR_TOO_MANY_ATTEMPTS, ctx->req->lang, (retry_ms + 999) / 1000);
}

bool
limits_verdict_or_reply(struct ctx *ctx, enum store_status st, const struct rs_result *res)
{
	if (!ctx_store_or_reply(ctx, st))
		return false;
	ctx->gated = true;
	switch (res->verdict) {
	case RS_BLOCKED:
		if (res->why[0] != '\0')
			log_info("limits: %s refused (%s)", ctx->req->client, res->why);
		reply_blocked(ctx, res->retry_ms);
		return false;
	case RS_RATE_LIMITED:
		/* Which limit is for the log (and the counts); the client learns
		 * only when to come back. */
		log_info("sms: a code refused for %s (%s)", ctx->req->client,
		    res->why[0] ? res->why : "a send limit");
		response_retry(ctx->resp, ERR_OTP_RATE_LIMITED, ctx->req->lang,
		    (res->retry_ms + 999) / 1000);
		return false;
	default:
		return true;
	}
}

bool
limits_unblocked_or_reply(struct ctx *ctx)
{
	const struct rs_gate_args a = { .client = ctx->req->client };
	struct rs_result res;

	if (rs_gate(ctx->rs, &a, &res) != STORE_OK)
		return true;
	return limits_verdict_or_reply(ctx, STORE_OK, &res);
}

bool
limits_take_try_or_reply(struct ctx *ctx, const char *phone, const char *device,
    long long user_id)
{
	const struct rs_gate_args a = { .client = ctx->req->client, .phone = phone, .take = true,
		.device = device, .user_id = user_id };
	struct rs_result res;

	if (!limits_verdict_or_reply(ctx, rs_gate(ctx->rs, &a, &res), &res))
		return false;
	if (res.on_device)
		snprintf(ctx->tried_device, sizeof ctx->tried_device, "%s", device);
	return true;
}

bool
limits_fail_or_reply(struct ctx *ctx, const char *phone, const char *kind)
{
	const struct rs_gate_args a = { .client = ctx->req->client, .phone = phone, .take = true };
	struct rs_result res;
	enum store_status st = rs_gate(ctx->rs, &a, &res);

	if (st == STORE_OK) {
		ctx->gated = true;
		if (res.verdict == RS_BLOCKED) {
			reply_blocked(ctx, res.retry_ms);
			return false;
		}
	}
	limits_note_failure(ctx, phone, kind);
	return true;
}

bool
limits_give_back_or_reply(struct ctx *ctx, const char *phone, bool clear_number)
{
	return ctx_store_or_reply(ctx, rs_release(ctx->rs, ctx->req->client, phone, ctx->tried_device,
	    clear_number));
}

void
limits_note_failure(struct ctx *ctx, const char *phone, const char *kind)
{
	ctx_note_failure(ctx, phone, kind);
	event_record_failure(ctx, strcmp(kind, FAILURE_MFA) == 0 ? EVENT_MFA_FAILED : EVENT__MAX, 0,
	    phone, NULL);
}

void
limits_mfa_failed(struct ctx *ctx, const char *phone, long long user_id)
{
	ctx_note_failure(ctx, phone, FAILURE_MFA);
	event_record_failure(ctx, EVENT_MFA_FAILED, user_id, phone, NULL);
}

void
limits_login_failed(struct ctx *ctx, const char *phone, long long user_id, const char *kind,
    const char *reason)
{
	ctx_note_failure(ctx, phone, kind);
	event_record_failure(ctx, EVENT_LOGIN_FAILED, user_id, phone, reason);
}

bool
limits_checked(const struct ctx *ctx)
{
	return ctx->gated;
}
