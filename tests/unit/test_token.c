/* token.c: simplejwt-compatible HS256 tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "harness.h"
#include "phoneauth/token.h"

static const char secret[] = "a test secret that is long enough: 40b";

/* base64url (no padding) -> bytes; returns the length or -1. */
static int
b64url(const char *in, size_t len, unsigned char *out)
{
	char buf[2048];
	size_t n = 0;
	int got;

	if (len + 4 > sizeof buf)
		return -1;
	for (size_t i = 0; i < len; i++)
		buf[n++] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	while (n % 4)
		buf[n++] = '=';
	got = EVP_DecodeBlock(out, (unsigned char *)buf, (int)n);
	if (got < 0)
		return -1;
	while (len % 4 && n-- > len)
		got--;	/* padding bytes decoded as zeros */
	return got;
}

static json_object *
part(const char *jwt, int which)
{
	const char *start = jwt, *end;
	unsigned char out[2048];
	int n;

	for (int i = 0; i < which; i++)
		start = strchr(start, '.') + 1;
	end = strchr(start, '.');
	n = b64url(start, end ? (size_t)(end - start) : strlen(start), out);
	if (n < 0)
		return NULL;
	out[n] = '\0';
	return json_tokener_parse((char *)out);
}

static struct config
test_config(const char *issuer, const char *audience)
{
	struct config cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.jwt_alg = TOKEN_HS256;
	cfg.jwt_key = (unsigned char *)secret;
	cfg.jwt_key_len = sizeof secret - 1;
	cfg.access_ttl = 300;
	cfg.refresh_ttl = 86400;
	cfg.jwt_issuer = (char *)issuer;
	cfg.jwt_audience = (char *)audience;
	return cfg;
}

static struct keys
hs_keys(const struct config *cfg)
{
	struct keys k;
	char err[128];

	if (!keys_load(cfg, &k, err, sizeof err))
		memset(&k, 0, sizeof k);
	return k;
}

static void
signature_is_hmac_sha256_over_header_and_payload(void)
{
	struct config cfg = test_config(NULL, NULL);
	struct keys keys = hs_keys(&cfg);
	struct token t;
	unsigned char mac[32], sig[64];
	unsigned int len;
	const char *dot2;

	CHECK(token_issue(&cfg, &keys, TOKEN_ACCESS, 42, NULL, 1700000000, &t), "issue");
	dot2 = strrchr(t.jwt, '.');
	HMAC(EVP_sha256(), secret, (int)sizeof secret - 1, (unsigned char *)t.jwt,
	    (size_t)(dot2 - t.jwt), mac, &len);
	CHECK(b64url(dot2 + 1, strlen(dot2 + 1), sig) == 32 && memcmp(sig, mac, 32) == 0, "signature");
	token_clear(&t);
	keys_free(&keys);
}

#define SID "0123456789abcdef0123456789abcdef"

static void
claims_are_simplejwts(void)
{
	struct config cfg = test_config(NULL, NULL);
	struct keys keys = hs_keys(&cfg);
	static const struct { enum token_type type; const char *name; long ttl; } kinds[] = {
		{ TOKEN_ACCESS, "access", 300 }, { TOKEN_REFRESH, "refresh", 86400 } };

	for (size_t i = 0; i < 2; i++) {
		struct token t;
		json_object *head, *claims, *v;

		/* the access token names its login (sid), the refresh token does not */
		CHECK(token_issue(&cfg, &keys, kinds[i].type, 42, SID, 1700000000, &t), "issue");
		head = part(t.jwt, 0);
		claims = part(t.jwt, 1);
		CHECK(head && claims, "undecodable token %s", t.jwt);
		if (head == NULL || claims == NULL)
			return;
		CHECK_STR(json_object_get_string(json_object_object_get(head, "alg")), "HS256");
		CHECK_STR(json_object_get_string(json_object_object_get(head, "typ")), "JWT");
		CHECK_STR(json_object_get_string(json_object_object_get(claims, "token_type")), kinds[i].name);
		CHECK_INT(json_object_get_int64(json_object_object_get(claims, "iat")), 1700000000);
		CHECK_INT(json_object_get_int64(json_object_object_get(claims, "exp")), 1700000000 + kinds[i].ttl);
		v = json_object_object_get(claims, "user_id");
		CHECK(json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 42, "user_id");
		v = json_object_object_get(claims, "jti");
		CHECK(v && strlen(json_object_get_string(v)) == 32 &&
		    strspn(json_object_get_string(v), "0123456789abcdef") == 32, "jti");
		CHECK_STR(json_object_get_string(v), t.jti);
		CHECK(!json_object_object_get_ex(claims, "iss", NULL) &&
		    !json_object_object_get_ex(claims, "aud", NULL), "iss/aud without configuration");
		v = json_object_object_get(claims, "sid");
		if (kinds[i].type == TOKEN_ACCESS)
			CHECK(v != NULL && strcmp(json_object_get_string(v), SID) == 0, "sid");
		else
			CHECK(v == NULL, "a refresh token with a sid");
		CHECK_INT(json_object_object_length(claims), kinds[i].type == TOKEN_ACCESS ? 6 : 5);
		json_object_put(head);
		json_object_put(claims);
		token_clear(&t);
	}
	keys_free(&keys);
}

static void
issuer_and_audience_when_configured(void)
{
	struct config cfg = test_config("https://auth.example.ir", "shop");
	struct keys keys = hs_keys(&cfg);
	struct token t;
	json_object *claims;

	CHECK(token_issue(&cfg, &keys, TOKEN_ACCESS, 7, NULL, 1700000000, &t), "issue");
	claims = part(t.jwt, 1);
	CHECK_STR(json_object_get_string(json_object_object_get(claims, "iss")), "https://auth.example.ir");
	CHECK_STR(json_object_get_string(json_object_object_get(claims, "aud")), "shop");
	json_object_put(claims);
	token_clear(&t);
	keys_free(&keys);
}

static void
every_token_has_its_own_jti(void)
{
	struct config cfg = test_config(NULL, NULL);
	struct keys keys = hs_keys(&cfg);
	struct token a, b;

	CHECK(token_issue(&cfg, &keys, TOKEN_ACCESS, 1, NULL, 1700000000, &a) &&
	    token_issue(&cfg, &keys, TOKEN_ACCESS, 1, NULL, 1700000000, &b), "issue");
	CHECK(strcmp(a.jti, b.jti) != 0 && strcmp(a.jwt, b.jwt) != 0, "repeated jti");
	token_clear(&a);
	token_clear(&b);
	keys_free(&keys);
}

/* A rotation's successor presented again (refresh_grace) is the same token:
 * signed again from the claims recorded, it is the one first answered. */
static void
signed_again_a_token_is_the_same_token(void)
{
	struct config cfg = test_config("https://auth.example.ir", "shop");
	struct keys keys = hs_keys(&cfg);
	static const enum token_type types[] = { TOKEN_REFRESH, TOKEN_ACCESS };

	for (size_t i = 0; i < 2; i++) {
		struct token t, claims, again, got;

		CHECK(token_issue(&cfg, &keys, types[i], 42, SID, 1700000000, &t), "issue");
		claims = t;
		claims.jwt = NULL;	/* only the claims are read */
		CHECK(token_sign_again(&cfg, &keys, &claims, &again), "sign again");
		CHECK_STR(again.jwt, t.jwt);
		CHECK(token_verify(&cfg, &keys, again.jwt, types[i], 1700000001, &got), "refused");
		CHECK_STR(got.jti, t.jti);
		CHECK_INT(got.iat, 1700000000);
		CHECK_INT(got.exp, t.exp);
		CHECK_STR(got.sid, types[i] == TOKEN_ACCESS ? SID : "");
		token_clear(&t);
		token_clear(&again);
	}
	keys_free(&keys);
}

/* base64url of `len` bytes, no padding. */
static void
enc64(const void *in, size_t len, char *out)
{
	unsigned char buf[4096];
	int n = EVP_EncodeBlock(buf, in, (int)len);

	while (n > 0 && buf[n - 1] == '=')
		n--;
	for (int i = 0; i < n; i++)
		out[i] = buf[i] == '+' ? '-' : buf[i] == '/' ? '_' : (char)buf[i];
	out[n] = '\0';
}

/* A token with any header and claims, signed HS256 with any key (or with
 * an empty signature when key is NULL). */
static void
forge(const char *header, const char *claims, const void *key, size_t keylen, char *out)
{
	char h[1024], c[2048], sig[128];
	unsigned char mac[32];
	unsigned int len;

	enc64(header, strlen(header), h);
	enc64(claims, strlen(claims), c);
	sprintf(out, "%s.%s", h, c);
	if (key != NULL) {
		HMAC(EVP_sha256(), key, (int)keylen, (unsigned char *)out, strlen(out), mac, &len);
		enc64(mac, 32, sig);
	} else {
		sig[0] = '\0';
	}
	strcat(out, ".");
	strcat(out, sig);
}

static void
verify_accepts_its_own_and_checks_the_type(void)
{
	struct config cfg = test_config(NULL, NULL);
	struct keys keys = hs_keys(&cfg);
	struct token a, r, got;

	CHECK(token_issue(&cfg, &keys, TOKEN_ACCESS, 9, SID, 1700000000, &a) &&
	    token_issue(&cfg, &keys, TOKEN_REFRESH, 9, NULL, 1700000000, &r), "issue");
	CHECK(token_verify(&cfg, &keys, a.jwt, TOKEN_ACCESS, 1700000100, &got), "access refused");
	CHECK(got.user_id == 9 && got.type == TOKEN_ACCESS && strcmp(got.jti, a.jti) == 0, "claims");
	CHECK_STR(got.sid, SID);
	CHECK(token_verify(&cfg, &keys, r.jwt, TOKEN_REFRESH, 1700000100, &got), "refresh refused");
	CHECK_STR(got.sid, "");
	CHECK(token_verify(&cfg, &keys, r.jwt, TOKEN_ANY, 1700000100, &got), "any refused");
	CHECK(!token_verify(&cfg, &keys, r.jwt, TOKEN_ACCESS, 1700000100, &got), "refresh as access");
	CHECK(!token_verify(&cfg, &keys, a.jwt, TOKEN_REFRESH, 1700000100, &got), "access as refresh");
	CHECK(!token_verify(&cfg, &keys, a.jwt, TOKEN_ACCESS, 1700000300, &got), "expired accepted");
	CHECK(token_verify(&cfg, &keys, a.jwt, TOKEN_ACCESS, 1700000299, &got), "a second early");
	token_clear(&a);
	token_clear(&r);
	keys_free(&keys);
}

static void
verify_refuses_forgeries(void)
{
	struct config cfg = test_config(NULL, NULL);
	struct keys keys = hs_keys(&cfg);
	static const char ok_claims[] = "{\"token_type\":\"access\",\"exp\":1800000000,"
	    "\"iat\":1700000000,\"jti\":\"0123456789abcdef0123456789abcdef\",\"user_id\":5}";
	static const struct { int line; const char *header, *claims; bool sign; const char *key; } bad[] = {
		{ __LINE__, "{\"alg\":\"none\",\"typ\":\"JWT\"}", ok_claims, false, NULL },
		{ __LINE__, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", ok_claims, true, "another key, long enough: 40 bytes.." },
		{ __LINE__, "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", ok_claims, true, NULL },
		{ __LINE__, "{\"alg\":\"HS256\",\"typ\":\"JWS\"}", ok_claims, true, NULL },
		{ __LINE__, "{\"alg\":\"HS256\",\"crit\":[\"x\"]}", ok_claims, true, NULL },
		{ __LINE__, "{\"typ\":\"JWT\"}", ok_claims, true, NULL },
		{ __LINE__, "{\"alg\":\"HS256\"}", "{\"token_type\":\"access\",\"exp\":1800000000,\"jti\":\"x\",\"user_id\":\"5\"}", true, NULL },
		{ __LINE__, "{\"alg\":\"HS256\"}", "{\"token_type\":\"access\",\"exp\":1800000000,\"jti\":\"x\"}", true, NULL },
		{ __LINE__, "{\"alg\":\"HS256\"}", "{\"token_type\":\"id\",\"exp\":1800000000,\"jti\":\"x\",\"user_id\":5}", true, NULL },
		{ __LINE__, "{\"alg\":\"HS256\"}", "{\"token_type\":\"access\",\"jti\":\"x\",\"user_id\":5}", true, NULL },
		{ __LINE__, "{\"alg\":\"HS256\"}", "{\"token_type\":\"access\",\"exp\":1800000000,\"user_id\":5}", true, NULL },
		{ __LINE__, "{\"alg\":\"HS256\"}", "{\"token_type\":\"access\",\"exp\":1800000000,\"jti\":\"x\",\"user_id\":5,\"nbf\":1900000000}", true, NULL },
		{ __LINE__, "[1]", ok_claims, true, NULL },
		/* a sid that is not a string, or longer than a jti */
		{ __LINE__, "{\"alg\":\"HS256\"}", "{\"token_type\":\"access\",\"exp\":1800000000,\"jti\":\"x\",\"user_id\":5,\"sid\":7}", true, NULL },
		{ __LINE__, "{\"alg\":\"HS256\"}", "{\"token_type\":\"access\",\"exp\":1800000000,\"jti\":\"x\",\"user_id\":5,\"sid\":\"0123456789abcdef0123456789abcdef0\"}", true, NULL },
	};
	char jwt[4096];
	struct token got;

	/* the positive control: a forged token with our key is "valid" */
	forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", ok_claims, secret, sizeof secret - 1, jwt);
	CHECK(token_verify(&cfg, &keys, jwt, TOKEN_ACCESS, 1700000100, &got), "control refused");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *key = bad[i].key ? bad[i].key : secret;

		forge(bad[i].header, bad[i].claims, bad[i].sign ? key : NULL, strlen(key), jwt);
		CHECK_AT(bad[i].line, !token_verify(&cfg, &keys, jwt, TOKEN_ANY, 1700000100, &got),
		    "accepted %.200s", jwt);
	}
	CHECK(!token_verify(&cfg, &keys, "a.b", TOKEN_ANY, 1700000100, &got), "two parts");
	CHECK(!token_verify(&cfg, &keys, "a.b.c.d", TOKEN_ANY, 1700000100, &got), "four parts");
	CHECK(!token_verify(&cfg, &keys, "", TOKEN_ANY, 1700000100, &got), "empty");
	CHECK(!token_verify(&cfg, &keys, "...", TOKEN_ANY, 1700000100, &got), "dots");
	keys_free(&keys);
}

static void
verify_requires_configured_issuer_and_audience(void)
{
	struct config plain = test_config(NULL, NULL), strict = test_config("iss-a", "aud-a");
	struct config other = test_config("iss-b", "aud-a"), other_aud = test_config("iss-a", "aud-b");
	struct keys keys = hs_keys(&strict);
	struct token t, got;

	CHECK(token_issue(&strict, &keys, TOKEN_ACCESS, 3, NULL, 1700000000, &t), "issue");
	CHECK(token_verify(&strict, &keys, t.jwt, TOKEN_ACCESS, 1700000001, &got), "own refused");
	CHECK(!token_verify(&other, &keys, t.jwt, TOKEN_ACCESS, 1700000001, &got), "wrong iss accepted");
	CHECK(!token_verify(&other_aud, &keys, t.jwt, TOKEN_ACCESS, 1700000001, &got), "wrong aud accepted");
	token_clear(&t);
	CHECK(token_issue(&plain, &keys, TOKEN_ACCESS, 3, NULL, 1700000000, &t), "issue");
	CHECK(!token_verify(&strict, &keys, t.jwt, TOKEN_ACCESS, 1700000001, &got), "missing iss accepted");
	token_clear(&t);
	keys_free(&keys);
}

/* RS256/ES256 with keys made by keys_generate; the HS256-with-public-key
 * confusion is refused. */
static void
asymmetric_keys_sign_verify_and_refuse_confusion(void)
{
	static const char *const algs[] = { "rs256", "es256" };

	for (int i = 0; i < 2; i++) {
		char path[] = "/tmp/phoneauth-test-key-XXXXXX", err[256], jwt[8192];
		struct config cfg = test_config(NULL, NULL);
		struct keys keys;
		struct token t, got;
		FILE *f;
		long len;
		int fd = mkstemp(path);
		const char *dot;

		close(fd);
		unlink(path);	/* keys_generate refuses to overwrite */
		CHECK(keys_generate(algs[i], path, err, sizeof err), "%s", err);
		f = fopen(path, "rb");
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		cfg.jwt_key = malloc((size_t)len + 1);
		CHECK(fread(cfg.jwt_key, 1, (size_t)len, f) == (size_t)len, "read");
		cfg.jwt_key[len] = '\0';
		cfg.jwt_key_len = (size_t)len;
		fclose(f);
		unlink(path);
		cfg.jwt_alg = i == 0 ? TOKEN_RS256 : TOKEN_ES256;
		CHECK(keys_load(&cfg, &keys, err, sizeof err), "%s", err);
		CHECK(strlen(keys.kid) == 43 && keys.jwks != NULL && strstr(keys.jwks, keys.kid), "kid/jwks");
		CHECK(token_issue(&cfg, &keys, TOKEN_ACCESS, 77, NULL, 1700000000, &t), "issue");
		CHECK(token_verify(&cfg, &keys, t.jwt, TOKEN_ACCESS, 1700000001, &got) && got.user_id == 77,
		    "%s: own token refused", algs[i]);
		/* a flipped signature byte */
		snprintf(jwt, sizeof jwt, "%s", t.jwt);
		jwt[strlen(jwt) - 5] = jwt[strlen(jwt) - 5] == 'A' ? 'B' : 'A';
		CHECK(!token_verify(&cfg, &keys, jwt, TOKEN_ACCESS, 1700000001, &got), "bad signature");
		/* HS256 "signed" with the public key PEM, which anyone can fetch */
		dot = strchr(t.jwt, '.');
		{
			char claims[2048];
			unsigned char raw[2048];
			int n;
			const char *dot2 = strchr(dot + 1, '.');

			n = b64url(dot + 1, (size_t)(dot2 - dot - 1), raw);
			raw[n] = '\0';
			snprintf(claims, sizeof claims, "%s", (char *)raw);
			forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims, keys.verify, keys.verify_len, jwt);
			CHECK(!token_verify(&cfg, &keys, jwt, TOKEN_ACCESS, 1700000001, &got),
			    "%s: algorithm confusion accepted", algs[i]);
		}
		token_clear(&t);
		keys_free(&keys);
		free(cfg.jwt_key);
	}
}

int
main(void)
{
	RUN(signature_is_hmac_sha256_over_header_and_payload);
	RUN(claims_are_simplejwts);
	RUN(issuer_and_audience_when_configured);
	RUN(every_token_has_its_own_jti);
	RUN(signed_again_a_token_is_the_same_token);
	RUN(verify_accepts_its_own_and_checks_the_type);
	RUN(verify_refuses_forgeries);
	RUN(verify_requires_configured_issuer_and_audience);
	RUN(asymmetric_keys_sign_verify_and_refuse_confusion);
	HARNESS_EXIT();
}
