/*
 * The webhook_events filter: event_filter_parse() on any text.
 *
 * Oracles: `why` is a string that fits its buffer; a refused setting lets
 * nothing through; an accepted one lets something through and nothing
 * past the last type, and every type named in it whole is let through.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "phoneauth/event.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event_filter f;
	char *text = fuzz_cstring(data, size), *why = malloc(48);
	bool ok;

	if (why == NULL)
		abort();
	memset(why, 'x', 48);
	ok = event_filter_parse(text, &f, why, 48);
	FUZZ_ASSERT(memchr(why, '\0', 48) != NULL);
	if (!ok) {
		FUZZ_ASSERT(f.types == 0);
		FUZZ_ASSERT(why[0] != '\0');
	} else {
		FUZZ_ASSERT(f.types != 0);
		FUZZ_ASSERT(why[0] == '\0');
		FUZZ_ASSERT((f.types >> EVENT__MAX) == 0);
		FUZZ_ASSERT(!event_filter_match(&f, EVENT__MAX));
		for (int t = 0; t < EVENT__MAX; t++) {
			const char *name = event_type_name((enum event_type)t);
			const char *at = strstr(text, name);
			size_t n = strlen(name);

			/* named whole: between the start or a separator and the
			 * end or a separator */
			while (at != NULL) {
				bool start = at == text || at[-1] == ',' || at[-1] == ' ' || at[-1] == '\t';
				char after = at[n];

				if (start && (after == '\0' || after == ',' || after == ' ' || after == '\t'))
					FUZZ_ASSERT(event_filter_match(&f, (enum event_type)t));
				at = strstr(at + 1, name);
			}
		}
	}
	free(why);
	free(text);
	return 0;
}
