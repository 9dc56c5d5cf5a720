/*
 * The FastCGI authorizer: phoneauth guarding another application on the
 * same server. In the Authorizer role (lighttpd "mode" => "authorizer",
 * Apache mod_authnz_fcgi) a valid access token answers 200 with
 * Variable-PHONEAUTH_USER_ID and Variable-PHONEAUTH_MOBILE, which the server
 * hands to the guarded application as environment variables; anything else
 * answers 401. GET auth-check gives the same verdict as a plain responder
 * (204 with X-Phoneauth-User-Id and X-Phoneauth-Mobile), for nginx's
 * auth_request.
 */
#ifndef PHONEAUTH_ROUTE_AUTH_CHECK_H
#define PHONEAUTH_ROUTE_AUTH_CHECK_H

#include "phoneauth/ctx.h"

/* A request in the FastCGI Authorizer role. */
void route_authorize(struct ctx *ctx);

/* GET auth-check. */
void route_auth_check(struct ctx *ctx);

#endif
