/*
 * The authorizer. The token comes from "Authorization: Bearer" or, when
 * auth_cookie is set, from that cookie; it must be a valid access token of an
 * account that exists and is not banned (one PostgreSQL query). Every
 * refusal is the same 401, so a guarded site tells a prober nothing.
 *
 * Unlike the Bearer routes (bearer.h), it does not ask whether the token's
 * login is still alive: it guards other applications as a backend that
 * verifies tokens itself would, and an ended login's access token passes
 * until it expires (access_ttl bounds that).
 */
#include "phoneauth/route_auth_check.h"

#include <stdio.h>

#include "phoneauth/token.h"

/* The account a request's access token stands for; false with the 401 (or
 * 503) answer set. */
static bool
account_or_reply(struct ctx *ctx, struct user *u)
{
	char cookie[TOKEN_MAX_LEN + 1];
	const char *jwt = request_bearer(ctx->req);
	struct token t;
	enum store_status st;

	if (jwt == NULL && ctx->cfg->auth_cookie != NULL)
		jwt = request_cookie(ctx->req, ctx->cfg->auth_cookie, cookie, sizeof cookie);
	if (jwt != NULL && token_verify(ctx->cfg, ctx->keys, jwt, TOKEN_ACCESS, ctx->now, &t)) {
		st = pg_user_by_id(ctx->pg, t.user_id, u);
		if (st == STORE_OK && !u->is_banned)
			return true;
		if (st != STORE_NOT_FOUND && !ctx_store_or_reply(ctx, st))
			return false;
	}
	response_error(ctx->resp, ERR_TOKEN_INVALID, ctx->req->lang);
	response_header(ctx->resp, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
	return false;
}

/* The verdict, as an authorizer (200 with Variable-* lines for the server)
 * or as the auth-check route (204 with X-Phoneauth-* headers for nginx). */
static void
answer(struct ctx *ctx, bool authorizer_role)
{
	struct user u;
	char id[24];

	if (!account_or_reply(ctx, &u))
		return;
	snprintf(id, sizeof id, "%lld", u.id);
	response_empty(ctx->resp, authorizer_role ? 200 : 204, authorizer_role);
	response_header(ctx->resp, authorizer_role ? "Variable-PHONEAUTH_USER_ID"
	    : "X-Phoneauth-User-Id", id);
	response_header(ctx->resp, authorizer_role ? "Variable-PHONEAUTH_MOBILE"
	    : "X-Phoneauth-Mobile", u.phone);
}

void
route_authorize(struct ctx *ctx)
{
	answer(ctx, true);
}

void
route_auth_check(struct ctx *ctx)
{
	answer(ctx, false);
}
