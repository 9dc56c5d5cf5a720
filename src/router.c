/*
 * Every route on one screen, and the request pipeline around a handler.
 * A blocked client gets 429 from every route: the flow handlers check the
 * block inside the store call they make anyway (no extra round trip); routes
 * flagged ROUTE_GATE_FIRST are checked before their handler; and an error
 * answered before any check (a bad body, a missing field) is checked last.
 * Paths are exact, except a ROUTE_PREFIX route's, which takes every path
 * that goes on after it (DELETE sessions/<id>: its handler reads the rest).
 */
#include "phoneauth/router.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "phoneauth/route_account.h"
#include "phoneauth/route_auth_check.h"
#include "phoneauth/route_signup.h"
#include "phoneauth/route_health.h"
#include "phoneauth/limits.h"
#include "phoneauth/log.h"
#include "phoneauth/route_login.h"
#include "phoneauth/route_sessions.h"
#include "phoneauth/route_metrics.h"
#include "phoneauth/route_mfa.h"
#include "phoneauth/route_openapi.h"
#include "phoneauth/route_passkeys.h"
#include "phoneauth/route_tokens.h"

enum route_id {
	R_REGISTER,
	R_VERIFY_OTP,
	R_VERIFY_OTP_ALIAS,
	R_RESEND_OTP,
	R_SET_PASSWORD,
	R_USER_INFO,
	R_LOGIN,
	R_PASSWORD_RESET,
	R_TOKEN_REFRESH,
	R_TOKEN_REFRESH_ALIAS,
	R_TOKEN_VERIFY,
	R_LOGOUT,
	R_ME,
	R_JWKS,
	R_AUTH_CHECK,
	R_HEALTH,
	R_METRICS,
	R_OPENAPI,
	R_SESSIONS,
	R_SESSION_END,
	R_LOGOUT_ALL,
	R_ACCOUNT_DELETE,
	R_PHONE_CHANGE,
	R_PASSWORD_CHANGE,
	R_LOGIN_CODE,
	R_VERIFY_MFA,
	R_MFA_TOTP_SETUP,
	R_MFA_TOTP_CONFIRM,
	R_MFA_TOTP_DISABLE,
	R_MFA_RECOVERY_CODES,
	R_PASSKEYS_REGISTER_OPTIONS,
	R_PASSKEYS_REGISTER,
	R_PASSKEYS,
	R_PASSKEY_DELETE,
	R_PASSKEYS_LOGIN_OPTIONS,
	R_PASSKEYS_LOGIN,
	R__MAX
};

static const struct route routes[R__MAX] = {
	[R_REGISTER]         = { "register",     METHOD_POST, route_register,     ROUTE_READS_BODY },
	[R_VERIFY_OTP]       = { "verify-otp",   METHOD_POST, route_verify_otp,   ROUTE_READS_BODY },
	[R_VERIFY_OTP_ALIAS] = { "verify/otp",   METHOD_POST, route_verify_otp,   ROUTE_READS_BODY },
	[R_RESEND_OTP]       = { "resend-otp",   METHOD_POST, route_resend_otp,   ROUTE_READS_BODY },
	[R_SET_PASSWORD]     = { "set-password", METHOD_POST, route_set_password, ROUTE_READS_BODY },
	[R_USER_INFO]        = { "user-info",    METHOD_POST, route_user_info,    ROUTE_READS_BODY },
	[R_LOGIN]            = { "login",        METHOD_POST, route_login,       ROUTE_READS_BODY },
	[R_PASSWORD_RESET]   = { "password-reset", METHOD_POST, route_password_reset, ROUTE_READS_BODY },
	[R_TOKEN_REFRESH]    = { "token/refresh", METHOD_POST, route_token_refresh,   ROUTE_READS_BODY | ROUTE_GATE_FIRST },
	[R_TOKEN_REFRESH_ALIAS] = { "refresh-token", METHOD_POST, route_token_refresh, ROUTE_READS_BODY | ROUTE_GATE_FIRST },
	[R_TOKEN_VERIFY]     = { "token/verify", METHOD_POST, route_token_verify,     ROUTE_READS_BODY | ROUTE_GATE_FIRST },
	[R_LOGOUT]           = { "logout",       METHOD_POST, route_logout,     ROUTE_READS_BODY | ROUTE_GATE_FIRST },
	[R_ME]               = { "me",           METHOD_GET,  route_me,         ROUTE_GATE_FIRST },
	[R_JWKS]             = { ".well-known/jwks.json", METHOD_GET, route_jwks, ROUTE_GATE_FIRST },
	[R_AUTH_CHECK]       = { "auth-check",   METHOD_GET,  route_auth_check, ROUTE_GATE_FIRST },
	[R_HEALTH]           = { "health",       METHOD_GET,  route_health,      ROUTE_GATE_FIRST },
	[R_METRICS]          = { "metrics",      METHOD_GET,  route_metrics,     0 },
	[R_OPENAPI]          = { "openapi.json", METHOD_GET,  route_openapi,     ROUTE_GATE_FIRST },
	[R_SESSIONS]         = { "sessions",     METHOD_GET,  route_sessions_list, ROUTE_GATE_FIRST },
	[R_SESSION_END]      = { SESSIONS_PATH_PREFIX, METHOD_DELETE, route_session_end, ROUTE_GATE_FIRST | ROUTE_PREFIX },
	[R_LOGOUT_ALL]       = { "logout-all",   METHOD_POST, route_logout_all, ROUTE_READS_BODY | ROUTE_GATE_FIRST },
	[R_ACCOUNT_DELETE]   = { "account/delete", METHOD_POST, route_account_delete, ROUTE_READS_BODY },
	[R_PHONE_CHANGE]     = { "phone/change", METHOD_POST, route_phone_change, ROUTE_READS_BODY },
	[R_PASSWORD_CHANGE]  = { "password/change", METHOD_POST, route_password_change, ROUTE_READS_BODY },
	[R_LOGIN_CODE]       = { "login/code",   METHOD_POST, route_login_code, ROUTE_READS_BODY | ROUTE_LOGIN_BY_CODE },
	[R_VERIFY_MFA]       = { "verify-mfa",   METHOD_POST, route_verify_mfa, ROUTE_READS_BODY },
	[R_MFA_TOTP_SETUP]   = { "mfa/totp/setup", METHOD_POST, route_mfa_totp_setup, ROUTE_READS_BODY },
	[R_MFA_TOTP_CONFIRM] = { "mfa/totp/confirm", METHOD_POST, route_mfa_totp_confirm, ROUTE_READS_BODY },
	[R_MFA_TOTP_DISABLE] = { "mfa/totp/disable", METHOD_POST, route_mfa_totp_disable, ROUTE_READS_BODY },
	[R_MFA_RECOVERY_CODES] = { "mfa/recovery-codes", METHOD_POST, route_mfa_recovery_codes, ROUTE_READS_BODY },
	[R_PASSKEYS_REGISTER_OPTIONS] = { "passkeys/register/options", METHOD_POST, route_passkeys_register_options, ROUTE_READS_BODY | ROUTE_PASSKEYS },
	[R_PASSKEYS_REGISTER] = { "passkeys/register", METHOD_POST, route_passkeys_register, ROUTE_READS_BODY | ROUTE_PASSKEYS },
	[R_PASSKEYS]         = { "passkeys",     METHOD_GET,  route_passkeys_list, ROUTE_GATE_FIRST | ROUTE_PASSKEYS },
	[R_PASSKEY_DELETE]   = { PASSKEYS_PATH_PREFIX, METHOD_DELETE, route_passkey_delete, ROUTE_PREFIX | ROUTE_GATE_FIRST | ROUTE_PASSKEYS },
	[R_PASSKEYS_LOGIN_OPTIONS] = { "passkeys/login/options", METHOD_POST, route_passkeys_login_options, ROUTE_READS_BODY | ROUTE_PASSKEYS },
	[R_PASSKEYS_LOGIN]   = { "passkeys/login", METHOD_POST, route_passkeys_login, ROUTE_READS_BODY | ROUTE_PASSKEYS },
};

_Static_assert(sizeof routes / sizeof routes[0] == R__MAX, "one entry per route");

static const char *
allow_list(enum method m)
{
	switch (m) {
	case METHOD_GET:
		return "GET, HEAD, OPTIONS";
	case METHOD_DELETE:
		return "DELETE, OPTIONS";
	default:
		return "POST, OPTIONS";
	}
}

/* Whether route `r` has path `path`: exactly, or for a ROUTE_PREFIX route,
 * as the start of a longer one. */
static bool
path_matches(const struct route *r, const char *path)
{
	size_t len = strlen(r->path);

	if (r->flags & ROUTE_PREFIX)
		return strncmp(r->path, path, len) == 0 && path[len] != '\0';
	return strcmp(r->path, path) == 0;
}

int
router_route_count(void)
{
	return R__MAX;
}

const char *
router_route_label(int route)
{
	return route >= 0 && route < R__MAX ? routes[route].path : "none";
}

const struct route *
router_match(enum method method, const char *path, unsigned skip, enum route_match *match,
    char *allow, size_t allowlen)
{
	bool path_known = false;

	if (allowlen > 0)
		allow[0] = '\0';
	for (int i = 0; i < R__MAX; i++) {
		const struct route *r = &routes[i];

		if ((r->flags & skip) || !path_matches(r, path))
			continue;
		if (r->method == method || (r->method == METHOD_GET && method == METHOD_HEAD)) {
			*match = ROUTE_FOUND;
			return r;
		}
		if (method == METHOD_OPTIONS) {
			*match = ROUTE_OPTIONS;
			if (allowlen > 0)
				snprintf(allow, allowlen, "%s", allow_list(r->method));
			return r;
		}
		if (!path_known && allowlen > 0)
			snprintf(allow, allowlen, "%s", allow_list(r->method));
		path_known = true;
	}
	*match = path_known ? ROUTE_WRONG_METHOD : ROUTE_NOT_FOUND;
	return NULL;
}

/* False (with the answer set) when the body cannot be used. */
static bool
body_or_reply(struct ctx *ctx, FCGX_Stream *in)
{
	enum lang lang = ctx->req->lang;

	switch (request_read_body(ctx->req, in, ctx->cfg)) {
	case BODY_OK:
		return true;
	case BODY_TOO_LARGE:
		response_error(ctx->resp, ERR_PAYLOAD_TOO_LARGE, lang);
		return false;
	case BODY_UNSUPPORTED_TYPE:
		response_error(ctx->resp, ERR_UNSUPPORTED_MEDIA_TYPE, lang);
		return false;
	case BODY_INVALID_JSON:
		response_error(ctx->resp, ERR_INVALID_JSON, lang);
		return false;
	case BODY_INVALID_FORM_TEXT:
		response_field_error(ctx->resp, ctx->req->bad_field, MSG_BAD_TEXT, lang);
		response_validation_failed(ctx->resp, lang);
		return false;
	case BODY_READ_ERROR:
		log_warn("request: the body could not be read");
		response_error(ctx->resp, ERR_INVALID_JSON, lang);
		return false;
	case BODY_NO_MEMORY:
		ctx_reply_internal(ctx);
		return false;
	case BODY_TIMEOUT:
		log_warn("request: the body did not arrive within %ld s; given up",
		    ctx->cfg->body_timeout);
		response_error(ctx->resp, ERR_REQUEST_TIMEOUT, lang);
		return false;
	}
	return false;
}

/* The request's Origin when it is one of cors_origins, else NULL. */
static const char *
allowed_origin(const struct ctx *ctx)
{
	const char *origin = request_param(ctx->req, P_ORIGIN);

	for (size_t i = 0; origin != NULL && i < ctx->cfg->norigins; i++)
		if (strcmp(origin, ctx->cfg->origins[i]) == 0)
			return origin;
	return NULL;
}

/* Whether `origin` ("scheme://host[:port]") is the service's own: the
 * scheme the client used (request.c) and the host it sent the request to. */
static bool
own_origin(const struct ctx *ctx, const char *origin)
{
	const char *host = request_param(ctx->req, P_HOST);
	const char *scheme = ctx->req->https ? "https://" : "http://";
	size_t len = strlen(scheme);

	return host != NULL && *host != '\0' && strncmp(origin, scheme, len) == 0 &&
	    strcasecmp(origin + len, host) == 0;
}

/*
 * A browser request made by a page of another site: an Origin that is
 * neither ours nor one of cors_origins ("null" included), or, without an
 * Origin, Sec-Fetch-Site saying cross-site. Apps and curl send neither.
 */
static bool
cross_site(const struct ctx *ctx)
{
	const char *origin = request_param(ctx->req, P_ORIGIN);
	const char *site = request_param(ctx->req, P_SEC_FETCH_SITE);

	if (origin == NULL)
		return site != NULL && strcmp(site, "cross-site") == 0;
	return !own_origin(ctx, origin) && allowed_origin(ctx) == NULL;
}

/*
 * CORS, for the origins of cors_origins and no other: every answer names the
 * origin it is for (never "*") and says it varies with the Origin header; a
 * preflight (`allow`: the route's methods) also gets what it asks about.
 */
static void
add_cors(struct ctx *ctx, const char *allow)
{
	const char *origin = allowed_origin(ctx);

	if (origin == NULL)
		return;
	response_header(ctx->resp, "Access-Control-Allow-Origin", origin);
	response_header(ctx->resp, "Vary", "Origin");
	if (allow == NULL)
		return;
	response_header(ctx->resp, "Access-Control-Allow-Methods", allow);
	response_header(ctx->resp, "Access-Control-Allow-Headers",
	    "Content-Type, Authorization, Accept-Language");
	response_header(ctx->resp, "Access-Control-Max-Age", "600");
}

void
router_dispatch(struct ctx *ctx, FCGX_Stream *in)
{
	struct request *req = ctx->req;
	const struct route *route = NULL;
	enum route_match match = ROUTE_NOT_FOUND;
	char allow[32];
	/* A route the configuration switches off does not exist. */
	unsigned off = (ctx->cfg->login_by_code ? 0 : ROUTE_LOGIN_BY_CODE) |
	    (ctx->cfg->passkey_rp_id != NULL ? 0 : ROUTE_PASSKEYS);

	if (req->in_base)
		route = router_match(req->method, req->path, off, &match, allow, sizeof allow);
	ctx->route = route != NULL ? (int)(route - routes) : -1;
	if (match == ROUTE_OPTIONS) {
		/* Asks what the route allows; for a listed origin, a CORS preflight. */
		response_empty(ctx->resp, 204, false);
		response_header(ctx->resp, "Allow", allow);
		add_cors(ctx, allow);
		return;
	}
	if (match == ROUTE_NOT_FOUND) {
		response_error(ctx->resp, ERR_NOT_FOUND, req->lang);
	} else if (match == ROUTE_WRONG_METHOD) {
		response_error(ctx->resp, ERR_METHOD_NOT_ALLOWED, req->lang);
		response_header(ctx->resp, "Allow", allow);
	} else if ((req->method == METHOD_POST || req->method == METHOD_DELETE) && cross_site(ctx)) {
		/* No web page may make its visitors' browsers act here: refused
		 * before anything is read or done. */
		response_error(ctx->resp, ERR_ORIGIN_NOT_ALLOWED, req->lang);
	} else if ((route->flags & ROUTE_READS_BODY) && !body_or_reply(ctx, in)) {
		/* answered */
	} else if ((route->flags & ROUTE_GATE_FIRST) && !limits_unblocked_or_reply(ctx)) {
		/* answered */
	} else {
		route->handler(ctx);
	}
	/* An error answered before any store call looked at the client: a
	 * blocked client gets its 429 all the same. */
	if (ctx->resp->is_error && !limits_checked(ctx) && ctx->resp->status != 503 &&
	    ctx->resp->status != 429)
		(void)limits_unblocked_or_reply(ctx);
	add_cors(ctx, NULL);
}
