/*
 * recovery_normalize() and recovery_hash() on what a user typed, into an
 * out buffer of exactly the size the API promises to respect.
 *
 * Oracles: a normalised code is 17 upper-case base32 characters, normalises
 * to itself, and its display form (lower case, dashes) to it as well; the
 * input hashes exactly when it normalises, to the hash of its normal form.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "phoneauth/recovery.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char data_key[32] = "0123456789abcdef0123456789abcdef";
	unsigned char h1[RECOVERY_HASH_LEN], h2[RECOVERY_HASH_LEN];
	char *in = fuzz_cstring(data, size), *out = malloc(RECOVERY_CHARS + 1);
	char again[RECOVERY_CHARS + 1], display[RECOVERY_DISPLAY_LEN + 1];
	struct recovery_key key;
	bool ok;

	if (out == NULL)
		abort();
	memset(out, 'x', RECOVERY_CHARS + 1);
	FUZZ_ASSERT(recovery_key_derive(data_key, sizeof data_key, &key));
	ok = recovery_normalize(in, out);
	FUZZ_ASSERT(recovery_hash(&key, "user:1", in, h1) == ok);
	if (ok) {
		size_t o = 0;

		FUZZ_ASSERT(strlen(out) == RECOVERY_CHARS &&
		    strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == RECOVERY_CHARS);
		FUZZ_ASSERT(recovery_normalize(out, again) && strcmp(again, out) == 0);
		for (size_t i = 0; i < RECOVERY_CHARS; i++) {
			if (i > 0 && i % 5 == 0)
				display[o++] = '-';
			display[o++] = (char)(out[i] | 0x20);
		}
		display[o] = '\0';
		FUZZ_ASSERT(recovery_normalize(display, again) && strcmp(again, out) == 0);
		FUZZ_ASSERT(recovery_hash(&key, "user:1", out, h2) && memcmp(h1, h2, sizeof h1) == 0);
		FUZZ_ASSERT(recovery_match((const unsigned char (*)[RECOVERY_HASH_LEN])&h2, 1, h1) == 0);
	} else {
		FUZZ_ASSERT(out[0] == '\0');
	}
	recovery_key_wipe(&key);
	free(out);
	free(in);
	return 0;
}
