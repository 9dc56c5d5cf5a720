/*
 * Token pairs, and the routes of the token lifecycle: refresh with rotation
 * and reuse detection, verify, logout, me, and the JWKS.
 */
#ifndef PHONEAUTH_TOKENS_H
#define PHONEAUTH_TOKENS_H

#include <stdbool.h>

#include <json-c/json.h>

#include "phoneauth/ctx.h"
#include "phoneauth/token.h"

struct token_pair {
	struct token access, refresh;
};

/* Signs an access and a refresh token for `user_id`; false with a 500 set. */
bool tokens_issue_or_reply(struct ctx *ctx, long long user_id, struct token_pair *pair);

/* {access_token, refresh_token, token_type, expires_in} */
json_object *tokens_object(const struct ctx *ctx, const struct token_pair *pair);

void tokens_clear(struct token_pair *pair);

void tokens_refresh(struct ctx *ctx);
void tokens_verify(struct ctx *ctx);
void tokens_logout(struct ctx *ctx);
void tokens_me(struct ctx *ctx);
void tokens_jwks(struct ctx *ctx);

#endif
