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

/* Signs a refresh token for `user_id` that starts a login (a family) and an
 * access token naming it (sid); false with a 500 set. */
bool token_pair_issue_or_reply(struct ctx *ctx, long long user_id, struct token_pair *pair);

/*
 * A rotation signs its pair in two halves: the refresh token first, then,
 * once the rotation has said which family it belongs to, the access token
 * naming that family. False with a 500 set (and the pair cleared).
 */
bool token_pair_refresh_or_reply(struct ctx *ctx, long long user_id, struct token_pair *pair);
bool token_pair_access_or_reply(struct ctx *ctx, long long user_id, const char *family,
    struct token_pair *pair);

/* A rotation of a token spent within refresh_grace answers the token it was
 * rotated into: the refresh half becomes `was` (claims recorded by that
 * rotation) signed again. False with a 500 set (and the pair cleared). */
bool token_pair_refresh_again_or_reply(struct ctx *ctx, const struct token *was,
    struct token_pair *pair);

/* Counts a pair issued (every so many, the sweep of old tokens follows the
 * answer); token_pair_reply does it for the answers it writes. */
void token_pair_issued(struct ctx *ctx);

/* Answers `status` {tokens: {access_token, refresh_token, token_type,
 * expires_in}, device, message}, once the login is recorded: `device` is
 * the token the request sent (`sent`, "" or NULL for none) when it is a
 * live device token of the account, else a new one (device.h). */
void token_pair_reply(struct ctx *ctx, int status, const struct token_pair *pair,
    const char *sent, enum msg m);

void token_pair_clear(struct token_pair *pair);

#endif
