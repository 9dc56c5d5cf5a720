/*
 * The verify-mfa `code` field: whatever a client sends goes through
 * mfa_code_parse(), then where the route would take it: totp_verify() for a
 * TOTP code, recovery_hash() and recovery_match() against a set for a
 * recovery code.
 *
 * Oracles: a TOTP code is six ASCII digits; a recovery code is 17 upper-case
 * base32 characters that hash and match the stored code of the same
 * characters, and only it; anything refused is kind NONE with text "".
 */
#include <stdbool.h>

#include "fuzz.h"
#include "phoneauth/mfa_code.h"

/* The stored set: codes whose normalised forms are known. */
static const char *const set[] = {
	"abcde-23456-fghij-k7", "22222-22222-22222-22", "zzzzz-77777-aaaaa-bb",
};
static const char *const normal[] = {
	"ABCDE23456FGHIJK7", "22222222222222222", "ZZZZZ77777AAAAABB",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char secret[TOTP_SECRET_LEN] = "12345678901234567890";
	static const unsigned char data_key[32] = "0123456789abcdef0123456789abcdef";
	unsigned char stored[3][RECOVERY_HASH_LEN], h[RECOVERY_HASH_LEN];
	struct recovery_key key;
	struct mfa_code code;
	char *in = fuzz_cstring(data, size);
	int64_t step;
	int at;

	if (mfa_code_parse(in, &code)) {
		switch (code.kind) {
		case MFA_CODE_TOTP:
			FUZZ_ASSERT(strlen(code.text) == TOTP_DIGITS &&
			    strspn(code.text, "0123456789") == TOTP_DIGITS);
			/* 1111111109 is the RFC 6238 time of 081804 */
			if (totp_verify(secret, code.text, 1111111109, TOTP_WINDOW, &step))
				FUZZ_ASSERT(step >= 0x23523EB && step <= 0x23523ED);
			else
				FUZZ_ASSERT(strcmp(code.text, "081804") != 0);
			break;
		case MFA_CODE_RECOVERY:
			FUZZ_ASSERT(strlen(code.text) == RECOVERY_CHARS && strspn(code.text,
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == RECOVERY_CHARS);
			FUZZ_ASSERT(recovery_key_derive(data_key, sizeof data_key, &key));
			for (int i = 0; i < 3; i++)
				FUZZ_ASSERT(recovery_hash(&key, "42", set[i], stored[i]));
			FUZZ_ASSERT(recovery_hash(&key, "42", in, h));
			at = recovery_match((const unsigned char (*)[RECOVERY_HASH_LEN])stored, 3, h);
			for (int i = 0; i < 3; i++)
				FUZZ_ASSERT((at == i) == (strcmp(code.text, normal[i]) == 0));
			recovery_key_wipe(&key);
			break;
		default:
			FUZZ_ASSERT(0);
		}
	} else {
		FUZZ_ASSERT(code.kind == MFA_CODE_NONE && code.text[0] == '\0');
	}
	mfa_code_wipe(&code);
	free(in);
	return 0;
}
