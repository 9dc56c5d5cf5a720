/*
 * The token routes: refresh with rotation and reuse detection, verify,
 * logout, me, and the JWKS. (The JWT codec itself is token.h; the pairs a
 * login answers, token_pair.h.)
 */
#ifndef PHONEAUTH_TOKEN_ROUTES_H
#define PHONEAUTH_TOKEN_ROUTES_H

#include "phoneauth/ctx.h"

void token_routes_refresh(struct ctx *ctx);
void token_routes_verify(struct ctx *ctx);
void token_routes_logout(struct ctx *ctx);
void token_routes_me(struct ctx *ctx);
void token_routes_jwks(struct ctx *ctx);

#endif
