/*
 * What the fuzz targets share. A target is one LLVMFuzzerTestOneInput();
 * `make fuzz` links it with libFuzzer (clang), `make test` with
 * tests/fuzz/replay.c (gcc) to replay the seeds and the crashers. So a
 * target must be deterministic, free everything it allocates, write nothing
 * outside /tmp, and say what it found by crashing: FUZZ_ASSERT aborts, and
 * the sanitizers do the rest.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An oracle that failed: the input is a crasher like any other. */
#define FUZZ_ASSERT(cond) do {							\
	if (!(cond)) {								\
		fprintf(stderr, "%s:%d: fuzz oracle failed: %s\n",		\
		    __FILE__, __LINE__, #cond);					\
		abort();							\
	}									\
} while (0)

/* The input as a C string (it stops at the first NUL, as a FastCGI param
 * does); owner: the caller. */
static inline char *
fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
