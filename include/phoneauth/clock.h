/*
 * Time, the two ways the service needs it: a monotonic clock for timeouts
 * and pauses (it never jumps), and the wall clock for what is recorded.
 */
#ifndef PHONEAUTH_CLOCK_H
#define PHONEAUTH_CLOCK_H

#include <time.h>

static inline long long
clock_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline long long
clock_monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline double
clock_wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
