/* Token pairs (see token_pair.h). */
#include "phoneauth/token_pair.h"

#include <string.h>

#include "phoneauth/device.h"

/* Every this many pairs a worker also sweeps long-expired refresh tokens
 * (after the answer: ctx_run_after). */
#define SWEEP_EVERY 1000

bool
token_pair_refresh_or_reply(struct ctx *ctx, long long user_id, struct token_pair *pair)
{
	memset(pair, 0, sizeof *pair);
	if (token_issue(ctx->cfg, ctx->keys, TOKEN_REFRESH, user_id, NULL, ctx->now, &pair->refresh))
		return true;
	ctx_reply_internal(ctx);
	return false;
}

bool
token_pair_refresh_again_or_reply(struct ctx *ctx, const struct token *was,
    struct token_pair *pair)
{
	token_clear(&pair->refresh);
	if (token_sign_again(ctx->cfg, ctx->keys, was, &pair->refresh))
		return true;
	token_pair_clear(pair);
	ctx_reply_internal(ctx);
	return false;
}

bool
token_pair_access_or_reply(struct ctx *ctx, long long user_id, const char *family,
    struct token_pair *pair)
{
	if (token_issue(ctx->cfg, ctx->keys, TOKEN_ACCESS, user_id, family, ctx->now, &pair->access))
		return true;
	token_pair_clear(pair);
	ctx_reply_internal(ctx);
	return false;
}

bool
token_pair_issue_or_reply(struct ctx *ctx, long long user_id, struct token_pair *pair)
{
	/* A new login: its first refresh token's jti names the family. */
	return token_pair_refresh_or_reply(ctx, user_id, pair) &&
	    token_pair_access_or_reply(ctx, user_id, pair->refresh.jti, pair);
}

void
token_pair_reply(struct ctx *ctx, int status, const struct token_pair *pair, const char *sent,
    enum msg m)
{
	struct response *r = ctx->resp;
	json_object *o = response_object(r), *t = response_object(r);
	char device[DEVICE_TOKEN_LEN + 1];

	device_for_answer(ctx, pair->refresh.user_id, sent, device);

	response_add_string(r, t, "access_token", pair->access.jwt);
	response_add_string(r, t, "refresh_token", pair->refresh.jwt);
	response_add_string(r, t, "token_type", "Bearer");
	response_add_int(r, t, "expires_in", ctx->cfg->access_ttl);
	response_add(r, o, "tokens", t);
	response_add_string(r, o, "device", device);
	response_add_string(r, o, "message", msg_text(m, ctx->req->lang));
	response_json(r, status, o);
	token_pair_issued(ctx);
}

void
token_pair_issued(struct ctx *ctx)
{
	if (++ctx->tokens_issued % SWEEP_EVERY == 0)
		ctx->after.sweep = true;
}

void
token_pair_clear(struct token_pair *pair)
{
	token_clear(&pair->access);
	token_clear(&pair->refresh);
}
