/*
 * JSON Web Tokens compatible with djangorestframework-simplejwt: claims
 * token_type, exp, iat, jti (32 hex), user_id, and iss/aud when configured.
 */
#ifndef PHONEAUTH_TOKEN_H
#define PHONEAUTH_TOKEN_H

#include <stdbool.h>
#include <time.h>

#include "phoneauth/config.h"

enum token_type { TOKEN_ACCESS, TOKEN_REFRESH };

#define TOKEN_JTI_LEN 32

struct token {
	char *jwt;			/* owner: the caller, token_clear() frees it */
	char jti[TOKEN_JTI_LEN + 1];
	enum token_type type;
	long long user_id;
	time_t iat, exp;
};

/* Signs a fresh token for `user_id`, issued at `now`. */
bool token_issue(const struct config *cfg, enum token_type type, long long user_id,
    time_t now, struct token *out);

void token_clear(struct token *t);

#endif
