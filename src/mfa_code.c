/*
 * The second factor's code field (see mfa_code.h). It only classifies: it
 * must never verify, count or log a code, and never read past
 * MFA_CODE_INPUT_MAX bytes of what the client sent.
 */
#include "phoneauth/mfa_code.h"

#include <string.h>

#include <openssl/crypto.h>

#include "phoneauth/text.h"

_Static_assert(TOTP_DIGITS < RECOVERY_CHARS, "a TOTP code fits in text");

/* Six digits once blanks are dropped: a TOTP code. */
static bool
totp_form(const char *ascii, char out[TOTP_DIGITS + 1])
{
	size_t n = 0;

	for (const char *p = ascii; *p; p++) {
		if (*p == ' ' || *p == '\t')
			continue;
		if (*p < '0' || *p > '9' || n == TOTP_DIGITS)
			return false;
		out[n++] = *p;
	}
	out[n] = '\0';
	return n == TOTP_DIGITS;
}

bool
mfa_code_parse(const char *in, struct mfa_code *out)
{
	char ascii[MFA_CODE_INPUT_MAX + 1];
	bool ok = false;

	memset(out, 0, sizeof *out);
	if (in == NULL || strnlen(in, MFA_CODE_INPUT_MAX + 1) > MFA_CODE_INPUT_MAX ||
	    !text_ascii_digits(in, ascii, sizeof ascii))
		goto out;
	if (totp_form(ascii, out->text)) {
		out->kind = MFA_CODE_TOTP;
		ok = true;
	} else if (recovery_normalize(in, out->text)) {
		out->kind = MFA_CODE_RECOVERY;
		ok = true;
	}
out:
	if (!ok)
		mfa_code_wipe(out);
	OPENSSL_cleanse(ascii, sizeof ascii);
	return ok;
}

void
mfa_code_wipe(struct mfa_code *code)
{
	OPENSSL_cleanse(code, sizeof *code);
	code->kind = MFA_CODE_NONE;
}
