/*
 * Recovery codes (see recovery.h). This file must never keep a code in its
 * own memory once it returns, never store or compare one but as its keyed
 * hash, and never tell by its timing which stored hash a code matched.
 *
 * Why HMAC and not PBKDF2: a code is 85 bits from the CSPRNG, so guessing
 * one from its hash is out of reach however fast the hash; the key only
 * makes a stolen table useless without data_key_file, and the binding makes
 * a hash useless in another account's set.
 */
#include "phoneauth/recovery.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "phoneauth/base32.h"
#include "phoneauth/random.h"
#include "phoneauth/text.h"

/* 11 bytes are 88 bits, 17 full base32 characters and 3 bits left over. */
#define RANDOM_LEN 11

_Static_assert(BASE32_LEN(RANDOM_LEN) == RECOVERY_CHARS + 1, "RANDOM_LEN");
_Static_assert(RECOVERY_DISPLAY_LEN == RECOVERY_CHARS + 3, "three dashes");

bool
recovery_key_derive(const unsigned char *secret, size_t secretlen, struct recovery_key *key)
{
	static const char label[] = "phoneauth recovery code key v1";
	unsigned int len = 0;

	memset(key, 0, sizeof *key);
	if (secretlen < 16 || secretlen > INT_MAX ||
	    HMAC(EVP_sha256(), secret, (int)secretlen, (const unsigned char *)label,
	    sizeof label - 1, key->bytes, &len) == NULL || len != sizeof key->bytes) {
		OPENSSL_cleanse(key, sizeof *key);
		return false;
	}
	return true;
}

void
recovery_key_wipe(struct recovery_key *key)
{
	OPENSSL_cleanse(key, sizeof *key);
}

/* One code: 17 characters of 11 random bytes' base32, grouped by 5 and
 * lower-cased (| 0x20 leaves 2..7 as they are). */
static bool
one_code(char out[RECOVERY_DISPLAY_LEN + 1])
{
	unsigned char raw[RANDOM_LEN];
	char b32[BASE32_LEN(RANDOM_LEN) + 1];
	size_t o = 0;
	bool ok;

	ok = random_bytes(raw, sizeof raw) && base32_encode(raw, sizeof raw, b32, sizeof b32);
	if (ok) {
		for (size_t i = 0; i < RECOVERY_CHARS; i++) {
			if (i > 0 && i % 5 == 0)
				out[o++] = '-';
			out[o++] = (char)(b32[i] | 0x20);
		}
		out[o] = '\0';
	}
	OPENSSL_cleanse(raw, sizeof raw);
	OPENSSL_cleanse(b32, sizeof b32);
	return ok;
}

bool
recovery_generate(char codes[RECOVERY_COUNT][RECOVERY_DISPLAY_LEN + 1])
{
	for (size_t i = 0; i < RECOVERY_COUNT; i++) {
		bool again;

		/* Distinct within the set: a twin would be two uses of one code.
		 * At 85 bits this loop runs once, but it costs nothing to be sure. */
		do {
			if (!one_code(codes[i])) {
				OPENSSL_cleanse(codes, sizeof(codes[0]) * RECOVERY_COUNT);
				return false;
			}
			again = false;
			for (size_t j = 0; j < i; j++)
				again |= strcmp(codes[i], codes[j]) == 0;
		} while (again);
	}
	return true;
}

bool
recovery_normalize(const char *in, char out[RECOVERY_CHARS + 1])
{
	char ascii[RECOVERY_INPUT_MAX + 1];
	size_t n = 0;
	bool ok = false;

	out[0] = '\0';
	/* Branches on the characters are fine here: they are the presented
	 * code, the sender's own guess, never the stored secret. */
	if (in == NULL || strnlen(in, RECOVERY_INPUT_MAX + 1) > RECOVERY_INPUT_MAX ||
	    !text_ascii_digits(in, ascii, sizeof ascii))
		goto out;
	for (const char *p = ascii; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '-' || c == ' ' || c == '\t')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		else if (!(c >= 'A' && c <= 'Z') && !(c >= '2' && c <= '7'))
			goto out;
		if (n == RECOVERY_CHARS)
			goto out;
		out[n++] = (char)c;
	}
	ok = n == RECOVERY_CHARS;
out:
	out[ok ? n : 0] = '\0';
	if (!ok)
		OPENSSL_cleanse(out, RECOVERY_CHARS + 1);
	OPENSSL_cleanse(ascii, sizeof ascii);
	return ok;
}

bool
recovery_hash(const struct recovery_key *key, const char *binding, const char *code,
    unsigned char out[RECOVERY_HASH_LEN])
{
	char norm[RECOVERY_CHARS + 1], msg[RECOVERY_BINDING_MAX + 1 + RECOVERY_CHARS + 1];
	size_t blen = binding != NULL ? strnlen(binding, RECOVERY_BINDING_MAX + 1) : 0;
	unsigned int len = 0;
	bool ok = false;

	/* The code is the last 17 characters of the message, so the binding may
	 * hold any character, ':' included, without two readings of one message. */
	if (blen == 0 || blen > RECOVERY_BINDING_MAX || !recovery_normalize(code, norm))
		goto out;
	memcpy(msg, binding, blen);
	msg[blen] = ':';
	memcpy(msg + blen + 1, norm, RECOVERY_CHARS);
	ok = HMAC(EVP_sha256(), key->bytes, sizeof key->bytes, (const unsigned char *)msg,
	    blen + 1 + RECOVERY_CHARS, out, &len) != NULL && len == RECOVERY_HASH_LEN;
out:
	if (!ok)
		OPENSSL_cleanse(out, RECOVERY_HASH_LEN);
	OPENSSL_cleanse(norm, sizeof norm);
	OPENSSL_cleanse(msg, sizeof msg);
	return ok;
}

int
recovery_match(const unsigned char (*stored)[RECOVERY_HASH_LEN], size_t n,
    const unsigned char hash[RECOVERY_HASH_LEN])
{
	uint64_t found = (uint64_t)-1;

	if (n > INT_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint64_t hit = (uint64_t)(CRYPTO_memcmp(stored[i], hash, RECOVERY_HASH_LEN) == 0);
		uint64_t mask = (uint64_t)0 - hit;

		found = ((uint64_t)i & mask) | (found & ~mask);
	}
	return found == (uint64_t)-1 ? -1 : (int)found;
}
