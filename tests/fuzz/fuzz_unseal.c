/*
 * seal_decrypt() of stored text under a fixed key (a database row is not
 * client input, but one written by a bug or an attacker must not crash the
 * worker). The first byte's low bit picks the mode:
 *   0: the rest is the text (NULs end it, as in a C string), opened with
 *      binding "totp:42" into a buffer of exactly the cap it is given;
 *   1: the rest but its first byte is a plaintext, sealed, opened, then
 *      opened again with one character of the text changed: the first byte
 *      of the rest says which, the second (the plaintext's first) to what.
 *
 * Oracles: what opens fits the cap and seals and opens again to itself;
 * what does not open leaves *len 0 and the buffer zero; a round trip always
 * opens, and a changed character never does.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "phoneauth/seal.h"

static const struct seal_key key = { {
	0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae, 0xf0, 0x85, 0x7d, 0x77, 0x81,
	0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61, 0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4,
} };

static void
open_text(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size), *again = malloc(SEAL_TEXT_MAX);
	unsigned char *plain = calloc(1, 64), back[64];
	size_t n = 99, m = 0;

	if (plain == NULL || again == NULL)
		abort();
	if (seal_decrypt(&key, text, "totp:42", plain, 64, &n)) {
		FUZZ_ASSERT(n <= 64);
		FUZZ_ASSERT(seal_encrypt(&key, plain, n, "totp:42", again, SEAL_TEXT_MAX));
		FUZZ_ASSERT(seal_decrypt(&key, again, "totp:42", back, sizeof back, &m) && m == n &&
		    memcmp(back, plain, n) == 0);
		FUZZ_ASSERT(!seal_decrypt(&key, text, "totp:43", back, sizeof back, &m) && m == 0);
	} else {
		FUZZ_ASSERT(n == 0);
		for (size_t i = 0; i < 64; i++)
			FUZZ_ASSERT(plain[i] == 0);
	}
	free(plain);
	free(again);
	free(text);
}

static void
round_trip(const uint8_t *data, size_t size)
{
	/* each character once: a shift of 1 to 60 of 65 always changes it */
	static const char other[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
	size_t which = size > 0 ? data[0] : 0, len = size > 0 ? size - 1 : 0, n = 0, tlen;
	char *text = malloc(SEAL_TEXT_MAX);
	unsigned char *back = malloc(SEAL_PLAIN_MAX + 1);

	if (text == NULL || back == NULL)
		abort();
	if (len > SEAL_PLAIN_MAX) {
		FUZZ_ASSERT(!seal_encrypt(&key, data + 1, len, "row:7", text, SEAL_TEXT_MAX));
		goto out;
	}
	FUZZ_ASSERT(seal_encrypt(&key, len ? data + 1 : NULL, len, "row:7", text, SEAL_TEXT_MAX));
	tlen = strlen(text);
	FUZZ_ASSERT(tlen == SEAL_TEXT_LEN(len));
	FUZZ_ASSERT(seal_decrypt(&key, text, "row:7", back, len, &n) && n == len &&
	    (len == 0 || memcmp(back, data + 1, len) == 0));
	which %= tlen;
	text[which] = other[(strchr(other, text[which]) - other + 1 + (size > 1 ? data[1] : 0) % 60)
	    % (sizeof other - 1)];
	FUZZ_ASSERT(!seal_decrypt(&key, text, "row:7", back, SEAL_PLAIN_MAX, &n) && n == 0);
out:
	free(back);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		round_trip(data + 1, size - 1);
	else
		open_text(data + 1, size - 1);
	return 0;
}
