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

#include "phoneauth/random.h"

/* The largest multiple of 10^6 that fits in 32 bits: draws at or above it
 * are drawn again, so every code is exactly as likely as every other. */
#define UNIFORM_LIMIT 4294000000u

#define SHA256_BLOCK 64

bool
otp_key_derive(const unsigned char *secret, size_t secretlen, struct otp_key *key)
{
	static const char label[] = "phoneauth otp digest key v1";
	unsigned char ipad[SHA256_BLOCK], opad[SHA256_BLOCK];
	unsigned int len = 0;
	EVP_MD_CTX *in, *out;
	bool ok;

	memset(key, 0, sizeof *key);
	if (HMAC(EVP_sha256(), secret, (int)secretlen, (const unsigned char *)label,
	    sizeof label - 1, key->bytes, &len) == NULL || len != sizeof key->bytes)
		return false;
	/* HMAC(k, m) = H(k^opad || H(k^ipad || m)) (RFC 2104): both pads are
	 * hashed once here, and each digest copies the two states. OpenSSL 3
	 * spends more on setting up an HMAC (even copying a keyed one) than on
	 * hashing a session id and a code. */
	for (size_t i = 0; i < SHA256_BLOCK; i++) {
		unsigned char k = i < sizeof key->bytes ? key->bytes[i] : 0;

		ipad[i] = k ^ 0x36;
		opad[i] = k ^ 0x5c;
	}
	in = EVP_MD_CTX_new();
	out = EVP_MD_CTX_new();
	key->scratch = EVP_MD_CTX_new();
	ok = in != NULL && out != NULL && key->scratch != NULL &&
	    EVP_DigestInit_ex(in, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(in, ipad, sizeof ipad) == 1 &&
	    EVP_DigestInit_ex(out, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(out, opad, sizeof opad) == 1;
	OPENSSL_cleanse(ipad, sizeof ipad);
	OPENSSL_cleanse(opad, sizeof opad);
	key->inner = in;
	key->outer = out;
	if (!ok)
		otp_key_free(key);
	return ok;
}

void
otp_key_free(struct otp_key *key)
{
	EVP_MD_CTX_free(key->inner);
	EVP_MD_CTX_free(key->outer);
	EVP_MD_CTX_free(key->scratch);
	OPENSSL_cleanse(key, sizeof *key);
}

bool
otp_generate(char code[OTP_DIGITS + 1])
{
	unsigned char b[4];
	uint32_t v;

	do {
		if (!random_bytes(b, sizeof b))
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
	unsigned char inner[OTP_DIGEST_LEN];
	EVP_MD_CTX *t = key->scratch;
	unsigned int len = 0;
	int n;
	bool ok;

	n = snprintf(msg, sizeof msg, "%s:%s", session_id, code);
	if (n < 0 || (size_t)n >= sizeof msg || key->inner == NULL)
		return false;
	ok = EVP_MD_CTX_copy_ex(t, key->inner) == 1 &&
	    EVP_DigestUpdate(t, msg, (size_t)n) == 1 &&
	    EVP_DigestFinal_ex(t, inner, &len) == 1 && len == sizeof inner &&
	    EVP_MD_CTX_copy_ex(t, key->outer) == 1 &&
	    EVP_DigestUpdate(t, inner, sizeof inner) == 1 &&
	    EVP_DigestFinal_ex(t, out, &len) == 1 && len == OTP_DIGEST_LEN;
	OPENSSL_cleanse(msg, sizeof msg);
	OPENSSL_cleanse(inner, sizeof inner);
	return ok;
}

bool
otp_digest_equal(const unsigned char *a, const unsigned char *b)
{
	return CRYPTO_memcmp(a, b, OTP_DIGEST_LEN) == 0;
}
