/*
 * The logins of an account (see route_sessions.h). The routes here read no body
 * and count no failure: a bearer token that does not verify, or whose
 * login is ended, is refused like everywhere (401, bearer.c), and an id
 * that names no live login of the account is 404, whoever's it may be, so
 * that a login of another account is not told apart from one that never
 * was.
 */
#include "phoneauth/route_sessions.h"

#include <stdio.h>
#include <string.h>

#include "phoneauth/bearer.h"
#include "phoneauth/event_record.h"
#include "phoneauth/log.h"

/* GET sessions shows at most this many (the newest). */
#define LOGINS_SHOWN 100

static void
reply_message(struct ctx *ctx, enum msg m)
{
	json_object *o = response_object(ctx->resp);

	response_add_string(ctx->resp, o, "message", msg_text(m, ctx->req->lang));
	response_json(ctx->resp, 200, o);
}

struct listing {
	struct response *resp;
	json_object *list;
	const char *current;	/* the caller's family ("" when its token names none) */
};

static void
add_login(const struct pg_login *l, void *arg)
{
	struct listing *out = arg;
	struct response *r = out->resp;
	json_object *o = response_object(r);

	response_add_string(r, o, "id", l->family);
	response_add_string(r, o, "created_at", l->created_at);
	response_add_string(r, o, "last_used_at", l->last_used_at);
	response_add_string(r, o, "ip", l->has_ip ? l->ip : NULL);
	response_add_string(r, o, "user_agent", l->has_user_agent ? l->user_agent : NULL);
	response_add_bool(r, o, "current", out->current[0] != '\0' &&
	    strcmp(out->current, l->family) == 0);
	response_append(r, out->list, o);
}

void
route_sessions_list(struct ctx *ctx)
{
	struct token t;
	struct user u;
	struct listing out;
	json_object *o;

	if (!bearer_account_or_reply(ctx, &t, &u))
		return;
	out.resp = ctx->resp;
	out.list = response_array(ctx->resp);
	out.current = t.sid;
	if (!ctx_store_or_reply(ctx, pg_logins(ctx->pg, u.id, LOGINS_SHOWN, add_login, &out))) {
		json_object_put(out.list);
		return;
	}
	o = response_object(ctx->resp);
	response_add(ctx->resp, o, "sessions", out.list);
	response_json(ctx->resp, 200, o);
}

/* Whether `id` has the form of a login's id: a jti, 32 hex digits. */
static bool
family_wellformed(const char *id)
{
	return strlen(id) == TOKEN_JTI_LEN && strspn(id, "0123456789abcdef") == TOKEN_JTI_LEN;
}

void
route_session_end(struct ctx *ctx)
{
	const char *id = ctx->req->path + strlen(SESSIONS_PATH_PREFIX);
	struct token t;
	struct user u;
	struct event_record rec;
	enum store_status st;

	if (!bearer_account_or_reply(ctx, &t, &u))
		return;
	event_record_begin(&rec, ctx->req);
	event_record_revoked(&rec, ctx->req, u.id, u.phone, "ended");
	st = family_wellformed(id) ? pg_login_end(ctx->pg, u.id, id, &rec.pg) : STORE_NOT_FOUND;
	if (st == STORE_NOT_FOUND) {
		response_error(ctx->resp, ERR_NOT_FOUND, ctx->req->lang);
		return;
	}
	if (!ctx_store_or_reply(ctx, st))
		return;
	log_info("login %.8s... of user %lld ended by its user", id, u.id);
	reply_message(ctx, MSG_LOGIN_ENDED);
}

void
route_logout_all(struct ctx *ctx)
{
	struct token t;
	struct user u;
	struct event_record rec;

	if (!bearer_account_or_reply(ctx, &t, &u))
		return;
	event_record_begin(&rec, ctx->req);
	event_record_revoked(&rec, ctx->req, u.id, u.phone, "logout_all");
	if (!ctx_store_or_reply(ctx, pg_logins_end_all(ctx->pg, u.id, NULL, &rec.pg)))
		return;
	reply_message(ctx, MSG_LOGGED_OUT_ALL);
}
