/*
 * Phone normalisation. The stored form is the identity of an account, so
 * every spelling of one number must come out the same, and anything that is
 * not clearly a number of the configured format is refused rather than guessed.
 */
#include "phoneauth/phone.h"

#include <string.h>

#include "phoneauth/text.h"

static bool
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s[n] == '\0';
}

/* ^09[0-9]{9}$ after the international prefixes are folded in. */
static bool
normalize_ir(const char *s, char out[PHONE_MAX])
{
	size_t len = strlen(s);
	const char *national = NULL;	/* the 10 digits after the leading 0 */

	if (len == 13 && strncmp(s, "+98", 3) == 0)
		national = s + 3;
	else if (len == 14 && strncmp(s, "0098", 4) == 0)
		national = s + 4;
	else if (len == 12 && strncmp(s, "98", 2) == 0)
		national = s + 2;
	else if (len == 11 && s[0] == '0')
		national = s + 1;
	else if (len == 10 && s[0] == '9')
		national = s;
	if (national == NULL || national[0] != '9' || !all_digits(national, 10))
		return false;
	out[0] = '0';
	memcpy(out + 1, national, 10);
	out[11] = '\0';
	return true;
}

/* ^\+[1-9][0-9]{7,14}$; a leading 00 is the same as +. */
static bool
normalize_e164(const char *s, char out[PHONE_MAX])
{
	size_t len;

	if (s[0] == '+')
		s += 1;
	else if (s[0] == '0' && s[1] == '0')
		s += 2;
	else
		return false;
	len = strlen(s);
	if (len < 8 || len > 15 || s[0] == '0' || !all_digits(s, len))
		return false;
	out[0] = '+';
	memcpy(out + 1, s, len + 1);
	return true;
}

bool
phone_normalize(const char *in, enum phone_format format, char out[PHONE_MAX])
{
	char digits[64], compact[64];
	size_t o = 0;

	out[0] = '\0';
	if (!text_ascii_digits(in, digits, sizeof digits))
		return false;
	for (const char *c = digits; *c; c++) {
		if (*c == ' ' || *c == '-' || *c == '(' || *c == ')')
			continue;
		compact[o++] = *c;
	}
	compact[o] = '\0';
	return format == PHONE_FORMAT_E164 ? normalize_e164(compact, out)
	    : normalize_ir(compact, out);
}
