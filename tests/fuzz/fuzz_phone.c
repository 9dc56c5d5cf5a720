/*
 * Phone numbers: phone_normalize() in both formats. The first byte picks the
 * format ('0' ir, '1' e164: its low bit); the rest is what the user typed.
 *
 * Oracles: an accepted number is the stored form of its format (ir:
 * 09 and nine digits; e164: + and 8 to 15 digits, no leading 0) and
 * normalising it again gives itself; a refused one leaves out empty.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "phoneauth/phone.h"

static bool
stored_form(const char *s, enum phone_format format)
{
	size_t len = strlen(s);

	if (format == PHONE_FORMAT_IR) {
		if (len != 11 || s[0] != '0' || s[1] != '9')
			return false;
	} else if (len < 9 || len > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9') {
		return false;
	}
	for (size_t i = 1; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum phone_format format;
	char *in, *out, again[PHONE_MAX];

	if (size == 0)
		return 0;
	format = (data[0] & 1) ? PHONE_FORMAT_E164 : PHONE_FORMAT_IR;
	in = fuzz_cstring(data + 1, size - 1);
	out = malloc(PHONE_MAX);	/* exactly the size the API promises to respect */
	if (out == NULL)
		abort();
	memset(out, 'x', PHONE_MAX);
	if (phone_normalize(in, format, out)) {
		FUZZ_ASSERT(memchr(out, '\0', PHONE_MAX) != NULL);
		FUZZ_ASSERT(stored_form(out, format));
		FUZZ_ASSERT(phone_normalize(out, format, again) && strcmp(again, out) == 0);
	} else {
		FUZZ_ASSERT(out[0] == '\0');
	}
	free(out);
	free(in);
	return 0;
}
