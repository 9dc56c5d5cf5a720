/*
 * Device tokens (see device.h): made, named and kept here; what a live token
 * changes for the limits is decided in the Redis scripts (src/lua/devices.lua
 * and limits.lua), in the same call as the limits themselves.
 */
#include "phoneauth/device.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "phoneauth/log.h"
#include "phoneauth/random.h"

_Static_assert(DEVICE_TOKEN_BYTES <= RANDOM_MAX, "one draw of random_bytes");
_Static_assert(DEVICE_TOKEN_LEN == (DEVICE_TOKEN_BYTES * 4 + 2) / 3, "base64url, no padding");

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool
device_token_wellformed(const char *s, size_t len)
{
	/* 43 characters of 6 bits carry 258 bits: the last one holds 4 bits of
	 * the token and 2 zero bits, as a base64url encoder writes it. */
	const char *last;

	if (len != DEVICE_TOKEN_LEN || strspn(s, b64url) != len)
		return false;
	last = strchr(b64url, s[len - 1]);
	return ((last - b64url) & 3) == 0;
}

bool
device_hash(const char *token, char out[DEVICE_HASH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(token, strlen(token), md, &n, EVP_sha256(), NULL) != 1 ||
	    n * 2 != DEVICE_HASH_LEN)
		return false;
	for (unsigned int i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[DEVICE_HASH_LEN] = '\0';
	return true;
}

bool
device_new(char token[DEVICE_TOKEN_LEN + 1], char hash[DEVICE_HASH_LEN + 1])
{
	unsigned char raw[DEVICE_TOKEN_BYTES + 2] = { 0 };	/* a whole last group */
	char *o = token;
	bool ok = random_bytes(raw, DEVICE_TOKEN_BYTES);

	for (size_t i = 0; ok && i < DEVICE_TOKEN_BYTES; i += 3) {
		unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];

		*o++ = b64url[v >> 18 & 63];
		*o++ = b64url[v >> 12 & 63];
		*o++ = b64url[v >> 6 & 63];
		*o++ = b64url[v & 63];
	}
	OPENSSL_cleanse(raw, sizeof raw);
	token[DEVICE_TOKEN_LEN] = '\0';	/* drops the padding the last group wrote */
	return ok && device_hash(token, hash);
}

void
device_for_answer(struct ctx *ctx, long long user_id, const char *sent,
    char out[DEVICE_TOKEN_LEN + 1])
{
	char sent_hash[DEVICE_HASH_LEN + 1] = "", made_hash[DEVICE_HASH_LEN + 1];
	bool kept = false;

	if (!device_new(out, made_hash)) {
		/* No randomness: no new token, and nothing of it is kept. */
		log_error("device: cannot make a token");
		memset(out, 'A', DEVICE_TOKEN_LEN);
		out[DEVICE_TOKEN_LEN] = '\0';
		made_hash[0] = '\0';
	}
	if (sent != NULL && sent[0] != '\0' && !device_hash(sent, sent_hash))
		sent_hash[0] = '\0';
	if (rs_device_grant(ctx->rs, user_id, sent_hash, made_hash, &kept) != STORE_OK)
		log_warn("device: the token of a login of user %lld could not be kept", user_id);
	else if (kept)
		memcpy(out, sent, DEVICE_TOKEN_LEN + 1);
	OPENSSL_cleanse(made_hash, sizeof made_hash);
}
