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

/*
 * The calling codes whose every region dials a national (trunk) prefix "0"
 * that is no part of the number: +98 0912... is +98 912..., as a user
 * writing the national form behind the country code means it. Derived from
 * libphonenumber's metadata (national_prefix "0" for every region of the
 * code; python3-phonenumbers 8.12.57): Italy (+39), whose 0 is part of the
 * number, is not here, nor is any code without a national prefix or with
 * another one (+1 "1", +7 "8", +36 "06"). Calling codes are prefix-free,
 * so the first that the digits begin with is theirs.
 */
static const char *const trunk_zero_codes[] = {
	"20", "27", "31", "32", "33", "40", "41", "43", "44", "46", "49", "51",
	"53", "54", "55", "57", "58", "60", "61", "62", "63", "64", "66", "81",
	"82", "84", "86", "90", "91", "92", "93", "94", "95", "98", "211",
	"212", "213", "218", "231", "232", "233", "234", "243", "249", "250",
	"251", "252", "254", "255", "256", "260", "261", "262", "263", "264",
	"265", "291", "353", "355", "358", "359", "373", "374", "377", "380",
	"381", "382", "383", "385", "386", "387", "389", "421", "423", "508",
	"590", "591", "593", "594", "595", "596", "598", "686", "850", "855",
	"856", "880", "886", "961", "962", "963", "964", "966", "967", "970",
	"971", "972", "976", "977", "994", "995", "996",
};

/*
 * The numbers of those codes that do begin with 0 (libphonenumber's
 * patterns): Rwanda's fixed lines 06XXXXXX, and the 00... services of
 * Indonesia, Thailand, Japan, Korea and India. Their 0 stays when the
 * digits after the calling code have such a number's beginning and length
 * (libphonenumber too keeps a 0 whose removal leaves no possible number).
 */
static const struct {
	const char *code, *lead;
	size_t min, max;		/* the national number's digits */
} zero_numbers[] = {
	{ "62", "00", 12, 13 },
	{ "66", "001800", 13, 13 },
	{ "81", "00", 8, 17 },
	{ "82", "00", 11, 14 },
	{ "91", "000800", 13, 13 },
	{ "250", "06", 8, 8 },
};

static bool
zero_is_the_numbers(const char *code, const char *national)
{
	size_t len = strlen(national);

	for (size_t i = 0; i < sizeof zero_numbers / sizeof zero_numbers[0]; i++)
		if (strcmp(code, zero_numbers[i].code) == 0 &&
		    strncmp(national, zero_numbers[i].lead, strlen(zero_numbers[i].lead)) == 0 &&
		    len >= zero_numbers[i].min && len <= zero_numbers[i].max)
			return true;
	return false;
}

/* The length of the calling code `digits` begin with, if its trunk prefix
 * is "0" and the number after it is not one that begins with 0; else 0. */
static size_t
trunk_zero_code(const char *digits)
{
	for (size_t i = 0; i < sizeof trunk_zero_codes / sizeof trunk_zero_codes[0]; i++) {
		size_t n = strlen(trunk_zero_codes[i]);

		if (strncmp(digits, trunk_zero_codes[i], n) == 0)
			return zero_is_the_numbers(trunk_zero_codes[i], digits + n) ? 0 : n;
	}
	return 0;
}

/* ^\+[1-9][0-9]{7,14}$; a leading 00 is the same as +, and a trunk 0
 * after a calling code that has one is dropped. */
static bool
normalize_e164(const char *s, char out[PHONE_MAX])
{
	size_t len, cc, trunk = 0;	/* trunk: where the dropped 0 was */

	if (s[0] == '+')
		s += 1;
	else if (s[0] == '0' && s[1] == '0')
		s += 2;
	else
		return false;
	len = strlen(s);
	if (len == 0 || s[0] == '0' || !all_digits(s, len))
		return false;
	if ((cc = trunk_zero_code(s)) > 0 && s[cc] == '0')
		trunk = cc;
	if (len - (trunk > 0) < 8 || len - (trunk > 0) > 15)
		return false;
	out[0] = '+';
	if (trunk > 0) {
		memcpy(out + 1, s, trunk);
		memcpy(out + 1 + trunk, s + trunk + 1, len - trunk);	/* with the NUL */
		/* a second 0 where the trunk 0 was (+374 00 …) is no number:
		 * taken, it would lose that 0 too when normalized again */
		if (out[1 + trunk] == '0' && trunk_zero_code(out + 1) == trunk) {
			out[0] = '\0';
			return false;
		}
	} else {
		memcpy(out + 1, s, len + 1);
	}
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
