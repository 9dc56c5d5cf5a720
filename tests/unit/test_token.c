/* token.c: simplejwt-compatible HS256 tokens. */
#include <stdlib.h>
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

static void
signature_is_hmac_sha256_over_header_and_payload(void)
{
	struct config cfg = test_config(NULL, NULL);
	struct token t;
	unsigned char mac[32], sig[64];
	unsigned int len;
	const char *dot2;

	CHECK(token_issue(&cfg, TOKEN_ACCESS, 42, 1700000000, &t), "issue");
	dot2 = strrchr(t.jwt, '.');
	HMAC(EVP_sha256(), secret, (int)sizeof secret - 1, (unsigned char *)t.jwt,
	    (size_t)(dot2 - t.jwt), mac, &len);
	CHECK(b64url(dot2 + 1, strlen(dot2 + 1), sig) == 32 && memcmp(sig, mac, 32) == 0, "signature");
	token_clear(&t);
}

static void
claims_are_simplejwts(void)
{
	struct config cfg = test_config(NULL, NULL);
	static const struct { enum token_type type; const char *name; long ttl; } kinds[] = {
		{ TOKEN_ACCESS, "access", 300 }, { TOKEN_REFRESH, "refresh", 86400 } };

	for (size_t i = 0; i < 2; i++) {
		struct token t;
		json_object *head, *claims, *v;

		CHECK(token_issue(&cfg, kinds[i].type, 42, 1700000000, &t), "issue");
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
		CHECK_INT(json_object_object_length(claims), 5);
		json_object_put(head);
		json_object_put(claims);
		token_clear(&t);
	}
}

static void
issuer_and_audience_when_configured(void)
{
	struct config cfg = test_config("https://auth.example.ir", "shop");
	struct token t;
	json_object *claims;

	CHECK(token_issue(&cfg, TOKEN_ACCESS, 7, 1700000000, &t), "issue");
	claims = part(t.jwt, 1);
	CHECK_STR(json_object_get_string(json_object_object_get(claims, "iss")), "https://auth.example.ir");
	CHECK_STR(json_object_get_string(json_object_object_get(claims, "aud")), "shop");
	json_object_put(claims);
	token_clear(&t);
}

static void
every_token_has_its_own_jti(void)
{
	struct config cfg = test_config(NULL, NULL);
	struct token a, b;

	CHECK(token_issue(&cfg, TOKEN_ACCESS, 1, 1700000000, &a) &&
	    token_issue(&cfg, TOKEN_ACCESS, 1, 1700000000, &b), "issue");
	CHECK(strcmp(a.jti, b.jti) != 0 && strcmp(a.jwt, b.jwt) != 0, "repeated jti");
	token_clear(&a);
	token_clear(&b);
}

int
main(void)
{
	RUN(signature_is_hmac_sha256_over_header_and_payload);
	RUN(claims_are_simplejwts);
	RUN(issuer_and_audience_when_configured);
	RUN(every_token_has_its_own_jti);
	HARNESS_EXIT();
}
