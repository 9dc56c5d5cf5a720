/*
 * (method, path) -> handler, and what every request goes through around
 * its handler: 404/405, the body (413, 415, invalid_json), and the check
 * that a blocked client gets 429 whatever it asks for.
 */
#ifndef PHONEAUTH_ROUTER_H
#define PHONEAUTH_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "phoneauth/ctx.h"

enum route_match {
	ROUTE_FOUND,
	ROUTE_NOT_FOUND,
	ROUTE_WRONG_METHOD,
	ROUTE_OPTIONS,		/* OPTIONS on an existing route: `allow` is filled */
};

typedef void (*handler_fn)(struct ctx *ctx);

#define ROUTE_READS_BODY 0x1	/* parse the body before the handler */
#define ROUTE_GATE_FIRST 0x2	/* check the client's block before the handler
				 * (other handlers check it in their own store call) */
#define ROUTE_PREFIX 0x4	/* the path is a prefix: "sessions/" takes sessions/<id> */
#define ROUTE_LOGIN_BY_CODE 0x8	/* only with login_by_code = on */
#define ROUTE_PASSKEYS 0x10	/* only with passkey_rp_id set */

struct route {
	const char *path;	/* below base_path */
	enum method method;	/* METHOD_GET also answers HEAD */
	handler_fn handler;
	unsigned flags;
};

/* The route of (method, path), or NULL with *match saying why not; on
 * ROUTE_WRONG_METHOD and ROUTE_OPTIONS, `allow` receives the methods the
 * path has. Routes with a flag of `skip` are as if they did not exist (the
 * configuration switches them off). */
const struct route *router_match(enum method method, const char *path, unsigned skip,
    enum route_match *match, char *allow, size_t allowlen);

/* The routes, for the metrics: how many, and each one's path (its label). */
int router_route_count(void);
const char *router_route_label(int route);

/* Answers one request into ctx->resp (and sets ctx->route). */
void router_dispatch(struct ctx *ctx, FCGX_Stream *in);

#endif
