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
#include <openssl/hmac.h>
#include <openssl/rand.h>

/* The largest multiple of 10^6 that fits in 32 bits: draws at or above it
 * are drawn again, so every code is exactly as likely as every other. */
#define UNIFORM_LIMIT 4294000000u

bool
otp_key_derive(const unsigned char *secret, size_t secretlen, struct otp_key *key)
{
	static const char label[] = "phoneauth otp digest key v1";
	unsigned int len = 0;

	return HMAC(EVP_sha256(), secret, (int)secretlen, (const unsigned char *)label,
	    sizeof label - 1, key->bytes, &len) != NULL && len == sizeof key->bytes;
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

	n = snprintf(msg, sizeof msg, "%s:%s", session_id, code);
	if (n < 0 || (size_t)n >= sizeof msg)
		return false;
	ok = HMAC(EVP_sha256(), key->bytes, sizeof key->bytes, (unsigned char *)msg,
	    (size_t)n, out, &len) != NULL && len == OTP_DIGEST_LEN;
	OPENSSL_cleanse(msg, sizeof msg);
	return ok;
}

bool
otp_digest_equal(const unsigned char *a, const unsigned char *b)
{
	return CRYPTO_memcmp(a, b, OTP_DIGEST_LEN) == 0;
}
