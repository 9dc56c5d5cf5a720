/*
 * base32_decode() on any bytes (the whole input, NULs included: the length
 * is the caller's), into a buffer of exactly the room it allows, and
 * base32_encode() of the input as data.
 *
 * Oracles: what decodes encodes back to the input in upper case without its
 * padding (one spelling per value, but for case and padding); what is
 * refused leaves *outlen 0; any bytes encode to BASE32_LEN characters that
 * decode back to themselves.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "phoneauth/base32.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cap = size * 5 / 8, n = 99, elen = BASE32_LEN(size) + 1;
	unsigned char *out = malloc(cap ? cap : 1), *back;
	char *enc = malloc(elen), *want;

	if (out == NULL || enc == NULL)
		abort();
	if (base32_decode((const char *)data, size, out, cap, &n)) {
		size_t data_len = size;

		while (data_len > 0 && data[data_len - 1] == '=')
			data_len--;
		FUZZ_ASSERT(n <= cap && n == data_len * 5 / 8);
		FUZZ_ASSERT(base32_encode(out, n, enc, elen));
		FUZZ_ASSERT(strlen(enc) == data_len);
		if ((want = malloc(data_len + 1)) == NULL)
			abort();
		for (size_t i = 0; i < data_len; i++)
			want[i] = (char)(data[i] >= 'a' && data[i] <= 'z' ? data[i] - 32 : data[i]);
		want[data_len] = '\0';
		FUZZ_ASSERT(strcmp(enc, want) == 0);
		free(want);
	} else {
		FUZZ_ASSERT(n == 0);
	}
	/* The input as data. */
	FUZZ_ASSERT(!base32_encode(data, size, enc, elen - 1) && (elen == 1 || enc[0] == '\0'));
	FUZZ_ASSERT(base32_encode(data, size, enc, elen) && strlen(enc) == BASE32_LEN(size));
	if ((back = malloc(size ? size : 1)) == NULL)
		abort();
	FUZZ_ASSERT(base32_decode(enc, strlen(enc), back, size, &n) && n == size);
	FUZZ_ASSERT(size == 0 || memcmp(back, data, size) == 0);
	free(back);
	free(enc);
	free(out);
	return 0;
}
