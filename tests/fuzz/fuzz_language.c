/*
 * Accept-Language: request_pick_language(). The first byte picks the
 * configured fallback (its low bit: en or fa); the rest is the header.
 *
 * Oracles: the answer is a language we speak; a header that names neither
 * "en" nor "fa" (in any case) gets the fallback; and the answer does not
 * depend on text after a NUL (the header ends there for FastCGI too).
 */
#include <strings.h>

#include "fuzz.h"
#include "phoneauth/request.h"

static int
names_one(const char *s)
{
	for (; *s; s++)
		if (strncasecmp(s, "en", 2) == 0 || strncasecmp(s, "fa", 2) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum lang fallback, got;
	char *header;

	if (size == 0)
		return 0;
	fallback = (data[0] & 1) ? LANG_FA : LANG_EN;
	header = fuzz_cstring(data + 1, size - 1);
	got = request_pick_language(header, fallback);
	FUZZ_ASSERT(got == LANG_EN || got == LANG_FA);
	if (!names_one(header))
		FUZZ_ASSERT(got == fallback);
	FUZZ_ASSERT(request_pick_language(header, fallback) == got);
	free(header);
	return 0;
}
