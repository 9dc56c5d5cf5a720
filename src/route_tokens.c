/*
 * The token routes: refresh (rotation with reuse detection), verify, logout,
 * me and the JWKS. Access tokens are not recorded (they live access_ttl
 * seconds), but where this service reads the account anyway (me, verify)
 * one is only as good as its login (bearer.h); refresh tokens are
 * recorded, so they can be spent, revoked, and caught when presented twice.
 */
#include "phoneauth/route_tokens.h"

#include <string.h>

#include "phoneauth/bearer.h"
#include "phoneauth/event_record.h"
#include "phoneauth/log.h"
#include "phoneauth/route_mfa.h"
#include "phoneauth/token_pair.h"

/*
 * The token a body names under the first of `names` present, checked as
 * `expect`: false with 400 validation_failed when it is missing or not a
 * string, 401 token_invalid when it does not verify.
 */
static bool
body_token_or_reply(struct ctx *ctx, const char *const *names, size_t n, enum token_type expect,
    struct token *out)
{
	json_object *v;

	for (size_t i = 0; i < n; i++) {
		const char *jwt;

		if (!json_object_object_get_ex(ctx->req->body, names[i], &v) || v == NULL)
			continue;
		if (!json_object_is_type(v, json_type_string) ||
		    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
			response_field_error(ctx->resp, names[i], MSG_NOT_STRING, ctx->req->lang);
			response_validation_failed(ctx->resp, ctx->req->lang);
			return false;
		}
		jwt = json_object_get_string(v);
		return token_verify(ctx->cfg, ctx->keys, jwt, expect, ctx->now, out) ||
		    bearer_invalid_reply(ctx);
	}
	response_field_error(ctx->resp, names[0], MSG_REQUIRED, ctx->req->lang);
	response_validation_failed(ctx->resp, ctx->req->lang);
	return false;
}

static const char *const refresh_names[] = { "refresh", "refresh_token" };

void
route_token_refresh(struct ctx *ctx)
{
	struct token old, into;
	struct token_pair pair;
	enum pg_rotation outcome;
	char family[PG_FAMILY_MAX];
	struct event_record rec;
	json_object *o;

	/* The refresh token first; the access token names the family the
	 * rotation finds (sid). */
	if (!body_token_or_reply(ctx, refresh_names, 2, TOKEN_REFRESH, &old) ||
	    !token_pair_refresh_or_reply(ctx, old.user_id, &pair))
		return;
	/* A reuse's events; the statement fills in the account and login. */
	event_record_begin(&rec, ctx->req);
	event_record_change(&rec, ctx->req, EVENT_TOKEN_REUSED, 0, NULL, "sid", "-", NULL, NULL);
	event_record_revoked(&rec, ctx->req, 0, NULL, "reuse");
	if (!ctx_store_or_reply(ctx, pg_refresh_rotate(ctx->pg, old.jti, &pair.refresh, &outcome,
	    family, &into, &rec.pg))) {
		token_pair_clear(&pair);
		return;
	}
	switch (outcome) {
	case ROTATION_DONE:
		/* Spent within refresh_grace before: the token it was rotated
		 * into, the same again (no new branch), with a new access token. */
		if (strcmp(into.jti, pair.refresh.jti) != 0 &&
		    !token_pair_refresh_again_or_reply(ctx, &into, &pair))
			return;
		if (!token_pair_access_or_reply(ctx, old.user_id, family, &pair))
			return;
		token_pair_issued(ctx);
		o = response_object(ctx->resp);
		response_add_string(ctx->resp, o, "access", pair.access.jwt);
		response_add_string(ctx->resp, o, "refresh", pair.refresh.jwt);
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
	case ROTATION_AGED:
		log_info("a login of user %lld reached login_max_age: it is ended", old.user_id);
		(void)bearer_invalid_reply(ctx);
		break;
	case ROTATION_UNKNOWN:
		(void)bearer_invalid_reply(ctx);
		break;
	}
	token_pair_clear(&pair);
}

void
route_token_verify(struct ctx *ctx)
{
	static const char *const names[] = { "token" };
	struct token t;
	struct user u;
	bool live;
	enum store_status st;

	if (!body_token_or_reply(ctx, names, 1, TOKEN_ANY, &t))
		return;
	/*
	 * A token is only as good as its account and its login, whatever its
	 * signature says: a refresh token as its record (spent, revoked, of a
	 * banned account: no longer valid), an access token as the login it
	 * names (bearer.h), read with its account in one statement. A banned
	 * account's tokens are simply not valid here (401, not the 403 of a
	 * route that would act).
	 */
	if (t.type == TOKEN_REFRESH) {
		st = pg_refresh_live(ctx->pg, t.jti);
	} else {
		st = pg_user_by_login(ctx->pg, t.user_id, t.sid, &u, &live);
		if (st == STORE_OK && (u.is_banned || !live))
			st = STORE_NOT_FOUND;
	}
	if (st == STORE_NOT_FOUND) {
		(void)bearer_invalid_reply(ctx);
		return;
	}
	if (!ctx_store_or_reply(ctx, st))
		return;
	response_json(ctx->resp, 200, response_object(ctx->resp));
}

void
route_logout(struct ctx *ctx)
{
	struct token t;
	struct event_record rec;
	enum store_status st;
	json_object *o;

	if (!body_token_or_reply(ctx, refresh_names, 2, TOKEN_REFRESH, &t))
		return;
	event_record_begin(&rec, ctx->req);
	event_record_revoked(&rec, ctx->req, 0, NULL, "logout");
	st = pg_refresh_revoke_family(ctx->pg, t.jti, &rec.pg);
	if (st == STORE_NOT_FOUND) {
		(void)bearer_invalid_reply(ctx);
		return;
	}
	if (!ctx_store_or_reply(ctx, st))
		return;
	o = response_object(ctx->resp);
	response_add_string(ctx->resp, o, "message", msg_text(MSG_LOGGED_OUT, ctx->req->lang));
	response_json(ctx->resp, 200, o);
}

void
route_me(struct ctx *ctx)
{
	struct token t;
	struct profile p;
	bool live;
	enum store_status st;
	struct response *r;
	json_object *o;

	/* The profile is read with the login's standing: one statement. */
	if (!bearer_token_or_reply(ctx, &t))
		return;
	st = pg_user_profile(ctx->pg, t.user_id, t.sid, &p, &live);
	if (!bearer_standing_or_reply(ctx, st, st == STORE_OK && p.is_banned, live))
		return;
	r = ctx->resp;
	o = response_object(r);
	response_add_int(r, o, "id", p.id);
	response_add_string(r, o, "mobile_number", p.phone);
	response_add_string(r, o, "email", p.has_email ? p.email : NULL);
	response_add_string(r, o, "first_name", p.first_name);
	response_add_string(r, o, "last_name", p.last_name);
	response_add_bool(r, o, "is_verified", p.is_verified);
	response_add_string(r, o, "date_joined", p.date_joined);
	response_add_string(r, o, "last_login", p.has_last_login ? p.last_login : NULL);
	if (mfa_summary_or_reply(ctx, p.id, o))
		response_json(r, 200, o);
	else
		json_object_put(o);
}

void
route_jwks(struct ctx *ctx)
{
	json_object *o;

	/* An HS256 key is secret: there is nothing to publish. */
	if (ctx->keys->jwks == NULL || (o = json_tokener_parse(ctx->keys->jwks)) == NULL) {
		response_error(ctx->resp, ERR_NOT_FOUND, ctx->req->lang);
		return;
	}
	response_json(ctx->resp, 200, o);
}
