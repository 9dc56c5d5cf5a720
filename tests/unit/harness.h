/*
 * A tiny test harness. Each test case is a function; CHECK* record a failure
 * with file and line and let the case go on. Every case prints one line,
 * "PASS name" or "FAIL name: file:line: what", which tests/run.sh counts.
 * Table-driven cases carry their own __LINE__ (as lighttpd's src/t/ tests do).
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stdio.h>
#include <string.h>

/* A failure's message is cut to harness_why on purpose: the cut is the point. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static int harness_case_failed, harness_failed;
static char harness_why[2048];

#define FAILF(file, line, ...) do {						\
	if (!harness_case_failed) {						\
		int n_ = snprintf(harness_why, sizeof harness_why, "%s:%d: ", file, line); \
		snprintf(harness_why + n_, sizeof harness_why - (size_t)n_, __VA_ARGS__); \
	}									\
	harness_case_failed = 1;						\
} while (0)

#define CHECK(cond, ...) do { if (!(cond)) FAILF(__FILE__, __LINE__, __VA_ARGS__); } while (0)
#define CHECK_AT(line, cond, ...) do { if (!(cond)) FAILF(__FILE__, line, __VA_ARGS__); } while (0)
#define CHECK_STR(got, want) do {						\
	const char *g_ = (got), *w_ = (want);					\
	if (g_ == NULL || strcmp(g_, w_) != 0)					\
		FAILF(__FILE__, __LINE__, "got \"%s\", want \"%s\"", g_ ? g_ : "(null)", w_); \
} while (0)
#define CHECK_INT(got, want) do {						\
	long long g_ = (long long)(got), w_ = (long long)(want);		\
	if (g_ != w_)								\
		FAILF(__FILE__, __LINE__, "%s = %lld, want %lld", #got, g_, w_);	\
} while (0)

typedef void (*harness_fn)(void);

static void
harness_run(const char *name, harness_fn fn)
{
	harness_case_failed = 0;
	fn();
	if (harness_case_failed) {
		harness_failed++;
		printf("FAIL %s: %s\n", name, harness_why);
	} else {
		printf("PASS %s\n", name);
	}
	fflush(stdout);
}

#define RUN(fn) harness_run(#fn, fn)
#define HARNESS_EXIT() return harness_failed ? 1 : 0

#endif
