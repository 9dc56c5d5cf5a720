/*
 * Token pairs and the token lifecycle routes. Access tokens are stateless
 * (they live access_ttl seconds); refresh tokens are recorded, so they can be
 * spent, revoked, and caught when presented twice.
 */
#include "phoneauth/tokens.h"

#include <string.h>

#include "phoneauth/log.h"

bool
tokens_issue_or_reply(struct ctx *ctx, long long user_id, struct token_pair *pair)
{
	memset(pair, 0, sizeof *pair);
	if (token_issue(ctx->cfg, ctx->keys, TOKEN_ACCESS, user_id, ctx->now, &pair->access) &&
	    token_issue(ctx->cfg, ctx->keys, TOKEN_REFRESH, user_id, ctx->now, &pair->refresh))
		return true;
	tokens_clear(pair);
	ctx_reply_internal(ctx);
	return false;
}

json_object *
tokens_object(const struct ctx *ctx, const struct token_pair *pair)
{
	json_object *t = json_object_new_object();

	json_object_object_add(t, "access_token", json_object_new_string(pair->access.jwt));
	json_object_object_add(t, "refresh_token", json_object_new_string(pair->refresh.jwt));
	json_object_object_add(t, "token_type", json_object_new_string("Bearer"));
	json_object_object_add(t, "expires_in", json_object_new_int64(ctx->cfg->access_ttl));
	return t;
}

void
tokens_clear(struct token_pair *pair)
{
	token_clear(&pair->access);
	token_clear(&pair->refresh);
}

/*
 * The token a body names, under the first of `names` present; NULL with a
 * 400 validation_failed set when it is missing or not a string.
 */
static const char *
body_token_or_reply(struct ctx *ctx, const char *const *names, size_t n)
{
	json_object *v;

	for (size_t i = 0; i < n; i++) {
		if (!json_object_object_get_ex(ctx->req->body, names[i], &v) || v == NULL)
			continue;
		if (json_object_is_type(v, json_type_string) &&
		    strlen(json_object_get_string(v)) == (size_t)json_object_get_string_len(v))
			return json_object_get_string(v);
		response_field_error(ctx->resp, names[i], MSG_NOT_STRING, ctx->req->lang);
		response_validation_failed(ctx->resp, ctx->req->lang);
		return NULL;
	}
	response_field_error(ctx->resp, names[0], MSG_REQUIRED, ctx->req->lang);
	response_validation_failed(ctx->resp, ctx->req->lang);
	return NULL;
}

static void
reply_token_invalid(struct ctx *ctx)
{
	response_error(ctx->resp, ERR_TOKEN_INVALID, ctx->req->lang);
	response_header(ctx->resp, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
}

static const char *const refresh_names[] = { "refresh", "refresh_token" };

void
tokens_refresh(struct ctx *ctx)
{
	const char *jwt = body_token_or_reply(ctx, refresh_names, 2);
	struct token old;
	struct token_pair pair;
	enum pg_rotation outcome;
	enum pg_status st;
	json_object *o;

	if (jwt == NULL)
		return;
	if (!token_verify(ctx->cfg, ctx->keys, jwt, TOKEN_REFRESH, ctx->now, &old)) {
		reply_token_invalid(ctx);
		return;
	}
	if (!tokens_issue_or_reply(ctx, old.user_id, &pair))
		return;
	st = pg_refresh_rotate(ctx->pg, old.jti, &pair.refresh, &outcome);
	if (ctx_reply_pg_failure(ctx, st)) {
		tokens_clear(&pair);
		return;
	}
	switch (outcome) {
	case ROTATION_DONE:
		o = json_object_new_object();
		json_object_object_add(o, "access", json_object_new_string(pair.access.jwt));
		json_object_object_add(o, "refresh", json_object_new_string(pair.refresh.jwt));
		response_json(ctx->resp, 200, o);
		break;
	case ROTATION_BANNED:
		response_error(ctx->resp, ERR_USER_BANNED, ctx->req->lang);
		break;
	case ROTATION_REUSED:
		log_warn("refresh token of user %lld presented again: its login is revoked",
		    old.user_id);
		response_error(ctx->resp, ERR_TOKEN_REUSED, ctx->req->lang);
		break;
	case ROTATION_UNKNOWN:
		reply_token_invalid(ctx);
		break;
	}
	tokens_clear(&pair);
}

void
tokens_verify(struct ctx *ctx)
{
	static const char *const names[] = { "token" };
	const char *jwt = body_token_or_reply(ctx, names, 1);
	struct token t;
	enum pg_status st;

	if (jwt == NULL)
		return;
	if (!token_verify(ctx->cfg, ctx->keys, jwt, TOKEN_ANY, ctx->now, &t)) {
		reply_token_invalid(ctx);
		return;
	}
	/* A refresh token is only as good as its record: spent or revoked ones
	 * are not valid any more, whatever their signature says. */
	if (t.type == TOKEN_REFRESH) {
		st = pg_refresh_live(ctx->pg, t.jti);
		if (st == PG_NOT_FOUND) {
			reply_token_invalid(ctx);
			return;
		}
		if (ctx_reply_pg_failure(ctx, st))
			return;
	}
	response_json(ctx->resp, 200, json_object_new_object());
}

void
tokens_logout(struct ctx *ctx)
{
	const char *jwt = body_token_or_reply(ctx, refresh_names, 2);
	struct token t;
	enum pg_status st;
	json_object *o;

	if (jwt == NULL)
		return;
	if (!token_verify(ctx->cfg, ctx->keys, jwt, TOKEN_REFRESH, ctx->now, &t)) {
		reply_token_invalid(ctx);
		return;
	}
	st = pg_refresh_revoke_family(ctx->pg, t.jti);
	if (st == PG_NOT_FOUND) {
		reply_token_invalid(ctx);
		return;
	}
	if (ctx_reply_pg_failure(ctx, st))
		return;
	o = json_object_new_object();
	json_object_object_add(o, "message", json_object_new_string(msg_text(MSG_LOGGED_OUT,
	    ctx->req->lang)));
	response_json(ctx->resp, 200, o);
}

void
tokens_me(struct ctx *ctx)
{
	const char *jwt = request_bearer(ctx->req);
	struct token t;
	struct profile p;
	enum pg_status st;
	json_object *o;

	if (jwt == NULL || !token_verify(ctx->cfg, ctx->keys, jwt, TOKEN_ACCESS, ctx->now, &t)) {
		reply_token_invalid(ctx);
		return;
	}
	st = pg_user_profile(ctx->pg, t.user_id, &p);
	if (st == PG_NOT_FOUND) {
		reply_token_invalid(ctx);
		return;
	}
	if (ctx_reply_pg_failure(ctx, st))
		return;
	if (p.is_banned) {
		response_error(ctx->resp, ERR_USER_BANNED, ctx->req->lang);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(p.id));
	json_object_object_add(o, "mobile_number", json_object_new_string(p.phone));
	json_object_object_add(o, "email", p.has_email ? json_object_new_string(p.email) : NULL);
	json_object_object_add(o, "first_name", json_object_new_string(p.first_name));
	json_object_object_add(o, "last_name", json_object_new_string(p.last_name));
	json_object_object_add(o, "is_verified", json_object_new_boolean(p.is_verified));
	json_object_object_add(o, "date_joined", json_object_new_string(p.date_joined));
	json_object_object_add(o, "last_login",
	    p.has_last_login ? json_object_new_string(p.last_login) : NULL);
	response_json(ctx->resp, 200, o);
}

void
tokens_jwks(struct ctx *ctx)
{
	json_object *o;

	/* An HS256 key is secret: there is nothing to publish. */
	if (ctx->keys->jwks == NULL || (o = json_tokener_parse(ctx->keys->jwks)) == NULL) {
		response_error(ctx->resp, ERR_NOT_FOUND, ctx->req->lang);
		return;
	}
	response_json(ctx->resp, 200, o);
}
