/*
 * The JWT signing algorithms (`jwt_alg`), and their names as the
 * configuration and a token's header spell them, once.
 */
#ifndef PHONEAUTH_TOKEN_ALG_H
#define PHONEAUTH_TOKEN_ALG_H

enum token_alg { TOKEN_HS256, TOKEN_RS256, TOKEN_ES256, TOKEN_ALG__MAX };

/* "HS256", "RS256", "ES256", indexed by enum token_alg; NULL-terminated. */
extern const char *const token_alg_names[TOKEN_ALG__MAX + 1];

#endif
