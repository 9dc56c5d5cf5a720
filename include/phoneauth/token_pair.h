/*
 * Token pairs: what a successful login, sign-up or reset answers. Signed
 * first; the caller records the refresh token in the same statement as the
 * change it stands for, then answers with token_pair_reply().
 */
#ifndef PHONEAUTH_TOKEN_PAIR_H
#define PHONEAUTH_TOKEN_PAIR_H

#include <stdbool.h>

#include "phoneauth/ctx.h"
#include "phoneauth/token.h"

struct token_pair {
	struct token access, refresh;
};

/* Signs an access and a refresh token for `user_id`; false with a 500 set. */
bool token_pair_issue_or_reply(struct ctx *ctx, long long user_id, struct token_pair *pair);

/* Answers `status` {tokens: {access_token, refresh_token, token_type,
 * expires_in}, message}. */
void token_pair_reply(struct ctx *ctx, int status, const struct token_pair *pair, enum msg m);

void token_pair_clear(struct token_pair *pair);

#endif
