/*
 * random_bytes(): blocks of OpenSSL's CSPRNG handed out without repeats,
 * across the end of a block too, and bounded.
 */
#include "phoneauth/random.h"

#include <string.h>

#include "harness.h"

#define DRAWS 200	/* 200 × 33 bytes: the draws cross many 512-byte blocks */

static void
draws_never_repeat_across_blocks(void)
{
	static unsigned char seen[DRAWS][33];
	int zero_bytes = 0;

	for (int i = 0; i < DRAWS; i++) {
		CHECK(random_bytes(seen[i], sizeof seen[i]), "draw %d failed", i);
		for (int j = 0; j < i; j++)
			CHECK(memcmp(seen[i], seen[j], sizeof seen[i]) != 0, "draws %d and %d equal", j, i);
		for (size_t b = 0; b < sizeof seen[i]; b++)
			zero_bytes += seen[i][b] == 0;
	}
	/* a block handed out twice, or wiped before use, would be all zeros */
	CHECK(zero_bytes < DRAWS * 33 / 64, "%d zero bytes in %d", zero_bytes, DRAWS * 33);
}

static void
more_than_the_most_is_refused(void)
{
	unsigned char b[RANDOM_MAX + 1];

	CHECK(random_bytes(b, RANDOM_MAX), "RANDOM_MAX refused");
	CHECK(!random_bytes(b, RANDOM_MAX + 1), "more than RANDOM_MAX given");
}

int
main(void)
{
	RUN(draws_never_repeat_across_blocks);
	RUN(more_than_the_most_is_refused);
	HARNESS_EXIT();
}
