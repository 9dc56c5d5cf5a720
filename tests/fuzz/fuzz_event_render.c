/*
 * The event's JSON with client bytes in every string: event_render() with
 * the input split at NUL bytes into the user agent, the number, the
 * address and a data value.
 *
 * Oracles: the output is UTF-8 and one strict JSON object
 * (json_check_strict) with no raw newline, the user agent within 256
 * characters; and in a buffer of any shorter size the render is refused
 * without a byte written past its end.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "phoneauth/event.h"
#include "phoneauth/json_check.h"
#include "phoneauth/text.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstring(data, size), *parts[4] = { "", "", "", "" };
	char *out = malloc(EVENT_JSON_MAX), *p = in, *end = in + size;
	struct event ev;
	size_t len, cut;

	if (out == NULL)
		abort();
	for (int i = 0; i < 4 && p <= end; i++) {
		parts[i] = p;
		p += strlen(p) + 1;
	}
	FUZZ_ASSERT(event_init(&ev, size > 0 && data[0] & 1 ? EVENT_SESSION_REVOKED : EVENT_LOGIN_FAILED,
	    (long long)size * 1234567));
	ev.user_agent = parts[0];
	ev.mobile_number = parts[1];
	ev.ip = parts[2];
	ev.user_id = (long long)size - 3;
	if (ev.type == EVENT_LOGIN_FAILED)
		FUZZ_ASSERT(event_set(&ev, "reason", parts[3]));
	else
		FUZZ_ASSERT(event_set(&ev, "sid", parts[3]));
	if (event_render(&ev, out, EVENT_JSON_MAX, &len)) {
		FUZZ_ASSERT(len == strlen(out));
		FUZZ_ASSERT(text_utf8_valid(out, len));
		FUZZ_ASSERT(json_check_strict(out, len));
		FUZZ_ASSERT(memchr(out, '\n', len) == NULL);
		/* a shorter buffer, exactly its size, so ASan sees an overrun */
		cut = size % (len + 1);
		{
			char *small = malloc(cut ? cut : 1);

			if (small == NULL)
				abort();
			FUZZ_ASSERT(!event_render(&ev, small, cut, &len));
			FUZZ_ASSERT(cut == 0 || small[0] == '\0');
			free(small);
		}
	} else {
		/* only fields longer than the room promised for them may fail */
		FUZZ_ASSERT(strlen(parts[1]) > 64 || strlen(parts[2]) > 64 || strlen(parts[3]) > 64);
	}
	free(out);
	free(in);
	return 0;
}
