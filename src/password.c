/*
 * PBKDF2-HMAC-SHA256 through OpenSSL, encoded exactly as Django's
 * PBKDF2PasswordHasher does: 32-byte derived key, standard base64, and a salt
 * of 22 characters from [A-Za-z0-9] (Django's 128 bits of entropy).
 * Verification compares in constant time and never reads past the input.
 */
#include "phoneauth/password.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "phoneauth/text.h"

#define DK_LEN 32
#define SALT_LEN 22
#define B64_LEN 44		/* base64 of 32 bytes, padded */

static const char prefix[] = "pbkdf2_sha256$";

/*
 * Whether `ascii` (digits as ASCII) holds the number `phone` in a form its
 * owner would type: the stored one (09121234567, +441234567890), and its
 * digits without the leading 0 or + (9121234567, 441234567890), which the
 * international forms of an Iranian number (+98 912..., 0098 912...) and
 * an E.164 number typed without its + all contain.
 */
static bool
contains_number(const char *ascii, const char *phone)
{
	return phone != NULL && phone[0] != '\0' &&
	    (strstr(ascii, phone) != NULL || strstr(ascii, phone + 1) != NULL);
}

enum password_problem
password_check_policy(const char *password, const char *phone, long min_chars,
    const struct blocklist *common)
{
	size_t chars = text_utf8_length(password);
	char ascii[PASSWORD_MAX_CHARS * 4 + 1];
	enum password_problem problem = PASSWORD_OK;

	if (min_chars < PASSWORD_MIN_CHARS)
		min_chars = PASSWORD_MIN_CHARS;
	if (chars < (size_t)min_chars)
		return PASSWORD_TOO_SHORT;
	/* Digits typed on a Persian keyboard are still the number's digits. */
	if (chars > PASSWORD_MAX_CHARS || !text_ascii_digits(password, ascii, sizeof ascii))
		return PASSWORD_TOO_LONG;
	if (common != NULL && blocklist_contains(common, password))
		problem = PASSWORD_COMMON;
	else if (contains_number(ascii, phone))
		problem = PASSWORD_CONTAINS_NUMBER;
	OPENSSL_cleanse(ascii, sizeof ascii);
	return problem;
}

static bool
derive_b64(const char *password, const char *salt, size_t saltlen, long iterations,
    char b64[B64_LEN + 1])
{
	unsigned char dk[DK_LEN];
	bool ok;

	if (iterations < 1 || iterations > INT_MAX)
		return false;
	ok = PKCS5_PBKDF2_HMAC(password, (int)strlen(password),
	    (const unsigned char *)salt, (int)saltlen, (int)iterations,
	    EVP_sha256(), DK_LEN, dk) == 1;
	if (ok)
		ok = EVP_EncodeBlock((unsigned char *)b64, dk, DK_LEN) == B64_LEN;
	OPENSSL_cleanse(dk, sizeof dk);
	return ok;
}

bool
password_hash_with_salt(const char *password, const char *salt, long iterations,
    char out[PASSWORD_ENCODED_MAX])
{
	char b64[B64_LEN + 1];
	int n;

	if (strchr(salt, '$') != NULL || !derive_b64(password, salt, strlen(salt), iterations, b64))
		return false;
	n = snprintf(out, PASSWORD_ENCODED_MAX, "%s%ld$%s$%s", prefix, iterations, salt, b64);
	return n > 0 && n < PASSWORD_ENCODED_MAX;
}

bool
password_hash(const char *password, long iterations, char out[PASSWORD_ENCODED_MAX])
{
	static const char alphabet[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	char salt[SALT_LEN + 1];
	size_t n = 0;

	/* Uniform over 62 symbols: bytes of 248 and above are drawn again. */
	while (n < SALT_LEN) {
		unsigned char buf[32];

		if (RAND_bytes(buf, sizeof buf) != 1)
			return false;
		for (size_t i = 0; i < sizeof buf && n < SALT_LEN; i++)
			if (buf[i] < 248)
				salt[n++] = alphabet[buf[i] % 62];
	}
	salt[SALT_LEN] = '\0';
	return password_hash_with_salt(password, salt, iterations, out);
}

bool
password_parse(const char *encoded, struct password_encoded *out)
{
	const char *it, *salt, *hash;
	char *end;
	long n;

	memset(out, 0, sizeof *out);
	if (strncmp(encoded, prefix, sizeof prefix - 1) != 0)
		return false;
	it = encoded + sizeof prefix - 1;
	if (*it < '1' || *it > '9')
		return false;
	errno = 0;
	n = strtol(it, &end, 10);
	if (errno != 0 || *end != '$' || n < 1 || n > INT_MAX)
		return false;
	salt = end + 1;
	if ((hash = strchr(salt, '$')) == NULL || strlen(hash + 1) != B64_LEN)
		return false;
	out->iterations = n;
	out->salt = salt;
	out->salt_len = (size_t)(hash - salt);
	out->hash = hash + 1;
	return true;
}

bool
password_verify(const char *password, const char *encoded, long *iterations)
{
	struct password_encoded e;
	char b64[B64_LEN + 1];
	bool ok;

	*iterations = 0;
	if (!password_parse(encoded, &e))
		return false;
	*iterations = e.iterations;
	if (!derive_b64(password, e.salt, e.salt_len, e.iterations, b64))
		return false;
	ok = CRYPTO_memcmp(b64, e.hash, B64_LEN) == 0;
	OPENSSL_cleanse(b64, sizeof b64);
	return ok;
}

void
password_burn(const char *password, long iterations)
{
	char b64[B64_LEN + 1];

	(void)derive_b64(password, "phoneauth-burn-salt", 19, iterations, b64);
	OPENSSL_cleanse(b64, sizeof b64);
}
