/*
 * Codes. A code never rests anywhere in plain text but in the SMS outbox:
 * Redis holds HMAC(key, session_id ":" code), so a Redis dump does not give
 * away live codes, and a digest of one session proves nothing in another.
 */
#include "phoneauth/otp.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

/* The largest multiple of 10^6 that fits in 32 bits: draws at or above it
 * are drawn again, so every code is exactly as likely as every other. */
#define UNIFORM_LIMIT 4294000000u

bool
otp_key_derive(const unsigned char *secret, size_t secretlen, struct otp_key *key)
{
	static const char label[] = "phoneauth otp digest key v1";
	unsigned int len = 0;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac;

	key->mac = NULL;
	if (HMAC(EVP_sha256(), secret, (int)secretlen, (const unsigned char *)label,
	    sizeof label - 1, key->bytes, &len) == NULL || len != sizeof key->bytes)
		return false;
	/* OpenSSL 3's one-shot HMAC() looks the algorithm up on every call,
	 * which costs more than the hash itself: key a context once and copy it
	 * for each digest instead. */
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return false;
	if ((key->mac = EVP_MAC_CTX_new(mac)) != NULL &&
	    EVP_MAC_init(key->mac, key->bytes, sizeof key->bytes, params) != 1) {
		EVP_MAC_CTX_free(key->mac);
		key->mac = NULL;
	}
	EVP_MAC_free(mac);
	return key->mac != NULL;
}

void
otp_key_free(struct otp_key *key)
{
	EVP_MAC_CTX_free(key->mac);
	OPENSSL_cleanse(key, sizeof *key);
}

bool
otp_generate(char code[OTP_DIGITS + 1])
{
	unsigned char b[4];
	uint32_t v;

	do {
		if (RAND_bytes(b, sizeof b) != 1)
			return false;
		v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	} while (v >= UNIFORM_LIMIT);
	snprintf(code, OTP_DIGITS + 1, "%06u", (unsigned)(v % 1000000u));
	OPENSSL_cleanse(b, sizeof b);
	return true;
}

bool
otp_digest(const struct otp_key *key, const char *session_id, const char *code,
    unsigned char out[OTP_DIGEST_LEN])
{
	char msg[64 + OTP_DIGITS + 2];
	unsigned int len = 0;
	int n;
	bool ok;

	EVP_MAC_CTX *ctx;
	size_t outlen = 0;

	n = snprintf(msg, sizeof msg, "%s:%s", session_id, code);
	if (n < 0 || (size_t)n >= sizeof msg)
		return false;
	if (key->mac != NULL && (ctx = EVP_MAC_CTX_dup(key->mac)) != NULL) {
		ok = EVP_MAC_update(ctx, (unsigned char *)msg, (size_t)n) == 1 &&
		    EVP_MAC_final(ctx, out, &outlen, OTP_DIGEST_LEN) == 1 && outlen == OTP_DIGEST_LEN;
		EVP_MAC_CTX_free(ctx);
	} else {
		ok = HMAC(EVP_sha256(), key->bytes, sizeof key->bytes, (unsigned char *)msg,
		    (size_t)n, out, &len) != NULL && len == OTP_DIGEST_LEN;
	}
	OPENSSL_cleanse(msg, sizeof msg);
	return ok;
}

bool
otp_digest_equal(const unsigned char *a, const unsigned char *b)
{
	return CRYPTO_memcmp(a, b, OTP_DIGEST_LEN) == 0;
}
