/*
 * Passwords: the policy (password_check_policy) and the stored hash's
 * parser (password_parse, which password_verify and so hasher_verify read).
 * The input up to the first newline is the password; the rest is both the
 * number it is checked against (normalised as a request's would be, in the
 * `ir` format, or e164 when it starts with '+') and an encoded hash (without
 * a newline, the whole input is all three).
 *
 * Oracles, beyond "no crash, no leak":
 *  - the policy's verdict is the rule's, counted independently: too short
 *    under 8 code points, too long over 128, one of a small blocklist in
 *    any case (Persian digits as digits) refused, a password holding the
 *    number (or its digits after the 0 or +) refused; whatever passes is
 *    within the bounds; no composition rule (digits only pass);
 *  - a parsed hash is exactly "pbkdf2_sha256$N$SALT$HASH" again when its
 *    parts are written out, N in 1..INT_MAX, no '$' in the salt, 44
 *    characters of hash;
 *  - with few iterations (at most 64, so PBKDF2 does not eat the run),
 *    hasher_verify accepts it exactly when hashing the password with its
 *    salt and count gives the same encoded string, and reports the count.
 */
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "phoneauth/hasher.h"
#include "phoneauth/password.h"
#include "phoneauth/phone.h"
#include "phoneauth/text.h"

#define FEW_ITERATIONS 64

/* Code points of valid UTF-8 (its lead bytes), independent of text.c. */
static size_t
code_points(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* The fuzz run's blocklist, and the oracle's own look at it. */
static const char *const common_words[] = { "12345678", "password1", "iloveyou" };

static struct blocklist *
common_list(void)
{
	static const char text[] = "12345678\nPassword1\r\n# a comment\niloveyou";
	static struct blocklist list;
	static bool loaded;
	char why[128];

	if (!loaded)
		FUZZ_ASSERT(blocklist_parse(text, sizeof text - 1, &list, why, sizeof why));
	loaded = true;
	return &list;
}

static bool
listed(const char *ascii)
{
	for (size_t i = 0; i < sizeof common_words / sizeof common_words[0]; i++)
		if (strcasecmp(ascii, common_words[i]) == 0)
			return true;
	return false;
}

static void
check_policy(const char *password, const char *typed_phone)
{
	char phone[PHONE_MAX] = "", ascii[PASSWORD_MAX_CHARS * 4 + 1];
	enum password_problem got;
	size_t chars;

	/* What reaches the policy: a body string (UTF-8, no NUL) and a stored number. */
	if (!text_utf8_valid(password, strlen(password)))
		return;
	if (!phone_normalize(typed_phone, typed_phone[0] == '+' ? PHONE_FORMAT_E164 : PHONE_FORMAT_IR,
	    phone))
		phone[0] = '\0';
	got = password_check_policy(password, phone[0] ? phone : NULL, PASSWORD_MIN_CHARS,
	    common_list());
	chars = code_points(password);
	FUZZ_ASSERT(got == PASSWORD_OK || got == PASSWORD_TOO_SHORT || got == PASSWORD_TOO_LONG ||
	    got == PASSWORD_COMMON || got == PASSWORD_CONTAINS_NUMBER);
	FUZZ_ASSERT((got == PASSWORD_TOO_SHORT) == (chars < PASSWORD_MIN_CHARS));
	if (chars > PASSWORD_MAX_CHARS)
		FUZZ_ASSERT(got == PASSWORD_TOO_LONG);
	if (got == PASSWORD_TOO_SHORT || got == PASSWORD_TOO_LONG)
		return;
	FUZZ_ASSERT(text_ascii_digits(password, ascii, sizeof ascii));
	FUZZ_ASSERT((got == PASSWORD_COMMON) == listed(ascii));
	if (got == PASSWORD_OK && phone[0] != '\0')
		FUZZ_ASSERT(strstr(ascii, phone) == NULL && strstr(ascii, phone + 1) == NULL);
}

static void
check_hash(const char *password, const char *encoded)
{
	struct password_encoded e;
	char *again, salt[PASSWORD_ENCODED_MAX], expected[PASSWORD_ENCODED_MAX];
	size_t len = strlen(encoded);
	long iterations = -1;
	bool ok;

	if (!password_parse(encoded, &e)) {
		FUZZ_ASSERT(!hasher_verify(password, encoded, &iterations) && iterations == 0);
		return;
	}
	FUZZ_ASSERT(e.iterations >= 1 && e.iterations <= INT_MAX);
	FUZZ_ASSERT(e.salt > encoded && e.hash > e.salt + e.salt_len && strlen(e.hash) == 44);
	FUZZ_ASSERT(memchr(e.salt, '$', e.salt_len) == NULL);
	/* (a salt of any length is parsed: the buffer is the input's) */
	if ((again = malloc(len + 1)) == NULL)
		abort();
	FUZZ_ASSERT(snprintf(again, len + 1, "pbkdf2_sha256$%ld$%.*s$%s", e.iterations,
	    (int)e.salt_len, e.salt, e.hash) == (int)len);
	FUZZ_ASSERT(strcmp(again, encoded) == 0);
	free(again);
	if (e.iterations > FEW_ITERATIONS || e.salt_len >= sizeof salt)
		return;
	memcpy(salt, e.salt, e.salt_len);
	salt[e.salt_len] = '\0';
	ok = hasher_verify(password, encoded, &iterations);
	FUZZ_ASSERT(iterations == e.iterations);
	if (password_hash_with_salt(password, salt, e.iterations, expected))
		FUZZ_ASSERT(ok == (strcmp(expected, encoded) == 0));
	else
		FUZZ_ASSERT(!ok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size), *nl = strchr(text, '\n');
	char *password = strndup(text, nl ? (size_t)(nl - text) : strlen(text));

	if (password == NULL)
		abort();
	check_policy(password, nl ? nl + 1 : "");
	check_hash(password, nl ? nl + 1 : text);
	free(password);
	free(text);
	return 0;
}
