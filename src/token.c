/*
 * Token signing with libjwt. Only this file knows libjwt; the rest of the
 * service sees struct token. The key material comes from the configuration,
 * read once at start.
 */
#include "phoneauth/token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>
#include <openssl/rand.h>

#include "phoneauth/log.h"

static const char *const type_names[] = { "access", "refresh" };

static jwt_alg_t
libjwt_alg(int alg)
{
	switch (alg) {
	case TOKEN_RS256:
		return JWT_ALG_RS256;
	case TOKEN_ES256:
		return JWT_ALG_ES256;
	default:
		return JWT_ALG_HS256;
	}
}

static bool
new_jti(char out[TOKEN_JTI_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[TOKEN_JTI_LEN / 2];

	if (RAND_bytes(b, sizeof b) != 1)
		return false;
	for (size_t i = 0; i < sizeof b; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[TOKEN_JTI_LEN] = '\0';
	return true;
}

bool
token_issue(const struct config *cfg, enum token_type type, long long user_id,
    time_t now, struct token *out)
{
	long ttl = type == TOKEN_ACCESS ? cfg->access_ttl : cfg->refresh_ttl;
	jwt_t *jwt = NULL;
	bool ok = false;

	memset(out, 0, sizeof *out);
	out->type = type;
	out->user_id = user_id;
	out->iat = now;
	out->exp = now + ttl;
	if (!new_jti(out->jti) || jwt_new(&jwt) != 0)
		goto out;
	if (jwt_add_grant(jwt, "token_type", type_names[type]) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)out->exp) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)out->iat) != 0 ||
	    jwt_add_grant(jwt, "jti", out->jti) != 0 ||
	    jwt_add_grant_int(jwt, "user_id", (long)user_id) != 0)
		goto out;
	if (cfg->jwt_issuer != NULL && jwt_add_grant(jwt, "iss", cfg->jwt_issuer) != 0)
		goto out;
	if (cfg->jwt_audience != NULL && jwt_add_grant(jwt, "aud", cfg->jwt_audience) != 0)
		goto out;
	if (jwt_set_alg(jwt, libjwt_alg(cfg->jwt_alg), cfg->jwt_key, (int)cfg->jwt_key_len) != 0)
		goto out;
	if ((out->jwt = jwt_encode_str(jwt)) == NULL)
		goto out;
	ok = true;
out:
	if (!ok)
		log_error("token: cannot sign a %s token", type_names[type]);
	jwt_free(jwt);
	return ok;
}

void
token_clear(struct token *t)
{
	free(t->jwt);	/* libjwt 1.10 allocates with malloc */
	memset(t, 0, sizeof *t);
}
