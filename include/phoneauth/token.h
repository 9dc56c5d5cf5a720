/*
 * JSON Web Tokens compatible with djangorestframework-simplejwt: claims
 * token_type, exp, iat, jti (32 hex), user_id, and iss/aud when configured;
 * an access token also names its login (sid: the family of the refresh
 * token it was issued with). Header alg, typ JWT, and kid (the key's RFC
 * 7638 thumbprint) for RS256/ES256.
 */
#ifndef PHONEAUTH_TOKEN_H
#define PHONEAUTH_TOKEN_H

#include <stdbool.h>
#include <time.h>

#include "phoneauth/config.h"
#include "phoneauth/keys.h"

enum token_type { TOKEN_ACCESS, TOKEN_REFRESH, TOKEN_ANY };

#define TOKEN_JTI_LEN 32
#define TOKEN_MAX_LEN 8192

struct token {
	char *jwt;			/* owner: the caller, token_clear() frees it */
	char jti[TOKEN_JTI_LEN + 1];
	char sid[TOKEN_JTI_LEN + 1];	/* access: its login's family ("" when none) */
	enum token_type type;
	long long user_id;
	time_t iat, exp;
};

/* Signs a fresh token for `user_id`, issued at `now`; an access token names
 * the family `sid` of its login (NULL: none). */
bool token_issue(const struct config *cfg, const struct keys *keys, enum token_type type,
    long long user_id, const char *sid, time_t now, struct token *out);

/*
 * Signs again a token issued before, from its claims in `was` (type,
 * user_id, jti, iat, exp, and an access token's sid; its jwt is not read):
 * the same token. With HS256 and RS256 the bytes are the same too; an
 * ES256 signature is randomised, so only the claims are.
 */
bool token_sign_again(const struct config *cfg, const struct keys *keys, const struct token *was,
    struct token *out);

/*
 * Checks `jwt` as this service's verifier must: the configured algorithm and
 * no other (no "none", no HS256 keyed with a public key), the signature, an
 * unexpired exp, the expected token_type (TOKEN_ANY: either), a positive
 * integer user_id, a jti, and iss/aud when configured; a sid, when there
 * is one, is a string no longer than a jti. Fills out (jwt NULL).
 */
bool token_verify(const struct config *cfg, const struct keys *keys, const char *jwt,
    enum token_type expect, time_t now, struct token *out);

void token_clear(struct token *t);

#endif
