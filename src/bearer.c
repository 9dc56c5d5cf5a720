/*
 * The caller of a Bearer route (see bearer.h). Whatever is wrong with the
 * token (missing, forged, expired, of an account gone, of an ended login)
 * is the same 401, so that a token's holder learns nothing more from it
 * than that it is no good; only a ban is said (403), as everywhere.
 */
#include "phoneauth/bearer.h"

bool
bearer_invalid_reply(struct ctx *ctx)
{
	response_error(ctx->resp, ERR_TOKEN_INVALID, ctx->req->lang);
	response_header(ctx->resp, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
	return false;
}

bool
bearer_token_or_reply(struct ctx *ctx, struct token *t)
{
	const char *jwt = request_bearer(ctx->req);

	if (jwt == NULL || !token_verify(ctx->cfg, ctx->keys, jwt, TOKEN_ACCESS, ctx->now, t))
		return bearer_invalid_reply(ctx);
	return true;
}

bool
bearer_standing_or_reply(struct ctx *ctx, enum store_status st, bool banned, bool login_live)
{
	if (st == STORE_NOT_FOUND)
		return bearer_invalid_reply(ctx);	/* the account was deleted */
	if (!ctx_store_or_reply(ctx, st))
		return false;
	if (banned) {
		/* A ban ends every login too: said first, it is the reason. */
		response_error(ctx->resp, ERR_USER_BANNED, ctx->req->lang);
		return false;
	}
	if (!login_live)
		return bearer_invalid_reply(ctx);
	return true;
}

bool
bearer_account_or_reply(struct ctx *ctx, struct token *t, struct user *u)
{
	bool live;
	enum store_status st;

	if (!bearer_token_or_reply(ctx, t))
		return false;
	st = pg_user_by_login(ctx->pg, t->user_id, t->sid, u, &live);
	return bearer_standing_or_reply(ctx, st, st == STORE_OK && u->is_banned, live);
}
