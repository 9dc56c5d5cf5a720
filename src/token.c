/*
 * Tokens with libjwt. Only this file knows libjwt; the rest of the service
 * sees struct token.
 *
 * Verifying never lets the token choose how it is verified: the header must
 * name the configured algorithm before libjwt sees it (libjwt 1.10 would
 * otherwise follow the header, and an HS256 token "signed" with our public
 * RSA key would pass: the classic algorithm confusion), and libjwt 1.10 does
 * not check claims at all, so every claim is checked here.
 */
#include "phoneauth/token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <jwt.h>
#include <openssl/evp.h>

#include "phoneauth/log.h"
#include "phoneauth/random.h"
#include "phoneauth/token_alg.h"

static const char *const type_names[] = { "access", "refresh" };

const char *const token_alg_names[TOKEN_ALG__MAX + 1] = {
	[TOKEN_HS256] = "HS256",
	[TOKEN_RS256] = "RS256",
	[TOKEN_ES256] = "ES256",
	[TOKEN_ALG__MAX] = NULL,
};

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

	if (!random_bytes(b, sizeof b))
		return false;
	for (size_t i = 0; i < sizeof b; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[TOKEN_JTI_LEN] = '\0';
	return true;
}

/* Signs the claims of `t` (type, user_id, jti, iat, exp, sid) into t->jwt. */
static bool
sign(const struct config *cfg, const struct keys *keys, struct token *t)
{
	jwt_t *jwt = NULL;
	bool ok = false;

	if (t->type == TOKEN_ANY || jwt_new(&jwt) != 0)
		goto out;
	if (jwt_add_grant(jwt, "token_type", type_names[t->type]) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)t->exp) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)t->iat) != 0 ||
	    jwt_add_grant(jwt, "jti", t->jti) != 0 ||
	    jwt_add_grant_int(jwt, "user_id", (long)t->user_id) != 0)
		goto out;
	if (t->sid[0] != '\0' && jwt_add_grant(jwt, "sid", t->sid) != 0)
		goto out;
	if (cfg->jwt_issuer != NULL && jwt_add_grant(jwt, "iss", cfg->jwt_issuer) != 0)
		goto out;
	if (cfg->jwt_audience != NULL && jwt_add_grant(jwt, "aud", cfg->jwt_audience) != 0)
		goto out;
	if (keys->kid[0] != '\0' && jwt_add_header(jwt, "kid", keys->kid) != 0)
		goto out;
	if (jwt_set_alg(jwt, libjwt_alg(keys->alg), keys->sign, (int)keys->sign_len) != 0)
		goto out;
	if ((t->jwt = jwt_encode_str(jwt)) == NULL)
		goto out;
	ok = true;
out:
	if (!ok)
		log_error("token: cannot sign a %s token", t->type == TOKEN_ANY ? "?" : type_names[t->type]);
	jwt_free(jwt);
	return ok;
}

bool
token_issue(const struct config *cfg, const struct keys *keys, enum token_type type,
    long long user_id, const char *sid, time_t now, struct token *out)
{
	long ttl = type == TOKEN_ACCESS ? cfg->access_ttl : cfg->refresh_ttl;

	memset(out, 0, sizeof *out);
	out->type = type;
	out->user_id = user_id;
	out->iat = now;
	out->exp = now + ttl;
	if (sid != NULL && type == TOKEN_ACCESS)
		snprintf(out->sid, sizeof out->sid, "%s", sid);
	if (type != TOKEN_ANY && !new_jti(out->jti)) {
		log_error("token: no random bytes for a jti");
		return false;
	}
	return sign(cfg, keys, out);
}

bool
token_sign_again(const struct config *cfg, const struct keys *keys, const struct token *was,
    struct token *out)
{
	memset(out, 0, sizeof *out);
	out->type = was->type;
	out->user_id = was->user_id;
	out->iat = was->iat;
	out->exp = was->exp;
	snprintf(out->jti, sizeof out->jti, "%s", was->jti);
	if (was->type == TOKEN_ACCESS)
		snprintf(out->sid, sizeof out->sid, "%s", was->sid);
	return sign(cfg, keys, out);
}

/* The JSON object in a base64url segment, or NULL. */
static json_object *
segment_json(const char *seg, size_t len)
{
	char buf[TOKEN_MAX_LEN + 4];
	unsigned char out[TOKEN_MAX_LEN];
	size_t n = 0, pad;
	int got;
	json_object *o;

	if (len == 0 || len > TOKEN_MAX_LEN)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char c = seg[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (c == '=' || c == '+' || c == '/')
			return NULL;	/* not base64url as JWS writes it */
		buf[n++] = c;
	}
	pad = (4 - n % 4) % 4;
	if (pad == 3)
		return NULL;
	memset(buf + n, '=', pad);
	n += pad;
	if ((got = EVP_DecodeBlock(out, (unsigned char *)buf, (int)n)) < 0)
		return NULL;
	got -= (int)pad;
	out[got] = '\0';
	if (memchr(out, '\0', (size_t)got) != NULL)
		return NULL;
	o = json_tokener_parse((char *)out);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static const char *
str_member(json_object *o, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool
int_member(json_object *o, const char *name, long long *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_int))
		return false;
	errno = 0;
	*out = json_object_get_int64(v);
	return errno == 0;
}

static bool
header_acceptable(const struct keys *keys, json_object *head)
{
	const char *alg = str_member(head, "alg"), *typ, *kid;
	json_object *v;

	if (alg == NULL || strcmp(alg, token_alg_names[keys->alg]) != 0)
		return false;
	if (json_object_object_get_ex(head, "typ", &v) &&
	    ((typ = str_member(head, "typ")) == NULL || strcmp(typ, "JWT") != 0))
		return false;
	if (json_object_object_get_ex(head, "crit", NULL))
		return false;	/* extensions we do not implement */
	if (keys->kid[0] != '\0' && json_object_object_get_ex(head, "kid", &v) &&
	    ((kid = str_member(head, "kid")) == NULL || strcmp(kid, keys->kid) != 0))
		return false;
	return true;
}

static bool
claims_acceptable(const struct config *cfg, json_object *c, enum token_type expect, time_t now,
    struct token *out)
{
	const char *type = str_member(c, "token_type"), *jti = str_member(c, "jti");
	const char *sid = str_member(c, "sid");
	long long exp, iat = 0, nbf, uid;
	json_object *aud;

	if (type == NULL || jti == NULL || !int_member(c, "exp", &exp) ||
	    !int_member(c, "user_id", &uid) || uid <= 0)
		return false;
	if (strcmp(type, "access") == 0)
		out->type = TOKEN_ACCESS;
	else if (strcmp(type, "refresh") == 0)
		out->type = TOKEN_REFRESH;
	else
		return false;
	if (expect != TOKEN_ANY && out->type != expect)
		return false;
	if (exp <= (long long)now)
		return false;
	if (json_object_object_get_ex(c, "nbf", NULL) && (!int_member(c, "nbf", &nbf) || nbf > now))
		return false;
	if (json_object_object_get_ex(c, "iat", NULL) && !int_member(c, "iat", &iat))
		return false;
	if (strlen(jti) == 0 || strlen(jti) > TOKEN_JTI_LEN)
		return false;
	/* Tokens issued before logins were named carry no sid. */
	if (json_object_object_get_ex(c, "sid", NULL) && (sid == NULL || strlen(sid) > TOKEN_JTI_LEN))
		return false;
	if (cfg->jwt_issuer != NULL) {
		const char *iss = str_member(c, "iss");

		if (iss == NULL || strcmp(iss, cfg->jwt_issuer) != 0)
			return false;
	}
	if (cfg->jwt_audience != NULL) {
		bool found = false;

		if (!json_object_object_get_ex(c, "aud", &aud))
			return false;
		if (json_object_is_type(aud, json_type_string)) {
			found = strcmp(json_object_get_string(aud), cfg->jwt_audience) == 0;
		} else if (json_object_is_type(aud, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(aud); i++) {
				json_object *a = json_object_array_get_idx(aud, i);

				if (json_object_is_type(a, json_type_string) &&
				    strcmp(json_object_get_string(a), cfg->jwt_audience) == 0)
					found = true;
			}
		}
		if (!found)
			return false;
	}
	snprintf(out->jti, sizeof out->jti, "%s", jti);
	snprintf(out->sid, sizeof out->sid, "%s", sid ? sid : "");
	out->user_id = uid;
	out->exp = (time_t)exp;
	out->iat = (time_t)iat;
	return true;
}

bool
token_verify(const struct config *cfg, const struct keys *keys, const char *token,
    enum token_type expect, time_t now, struct token *out)
{
	const char *dot1, *dot2;
	json_object *head = NULL, *claims = NULL;
	jwt_t *jwt = NULL;
	char *grants = NULL;
	bool ok = false;

	memset(out, 0, sizeof *out);
	if (token == NULL || strlen(token) > TOKEN_MAX_LEN)
		return false;
	/* Base64url and dots only: libjwt 1.10 skips other bytes in an RS256 or
	 * ES256 signature, which gave one token many spellings (found by fuzzing). */
	if (token[strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")] != '\0')
		return false;
	if ((dot1 = strchr(token, '.')) == NULL || (dot2 = strchr(dot1 + 1, '.')) == NULL ||
	    strchr(dot2 + 1, '.') != NULL || dot2[1] == '\0')
		return false;
	if ((head = segment_json(token, (size_t)(dot1 - token))) == NULL ||
	    !header_acceptable(keys, head))
		goto out;
	/* The header names our algorithm: now libjwt checks the signature with
	 * our key, and we check it used the algorithm we asked for. */
	if (jwt_decode(&jwt, token, (const unsigned char *)keys->verify, (int)keys->verify_len) != 0 ||
	    jwt_get_alg(jwt) != libjwt_alg(keys->alg))
		goto out;
	if ((grants = jwt_get_grants_json(jwt, NULL)) == NULL ||
	    (claims = json_tokener_parse(grants)) == NULL ||
	    !json_object_is_type(claims, json_type_object))
		goto out;
	ok = claims_acceptable(cfg, claims, expect, now, out);
out:
	free(grants);
	json_object_put(head);
	json_object_put(claims);
	jwt_free(jwt);
	if (!ok)
		memset(out, 0, sizeof *out);
	return ok;
}

void
token_clear(struct token *t)
{
	free(t->jwt);	/* libjwt 1.10 allocates with malloc */
	memset(t, 0, sizeof *t);
}
