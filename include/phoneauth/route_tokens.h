/*
 * The token routes: refresh with rotation and reuse detection, verify,
 * logout, me, and the JWKS. (The JWT codec itself is token.h; the pairs a
 * login answers, token_pair.h.)
 */
#ifndef PHONEAUTH_ROUTE_TOKENS_H
#define PHONEAUTH_ROUTE_TOKENS_H

#include "phoneauth/ctx.h"

void route_token_refresh(struct ctx *ctx);
void route_token_verify(struct ctx *ctx);
void route_logout(struct ctx *ctx);
void route_me(struct ctx *ctx);
void route_jwks(struct ctx *ctx);

#endif
