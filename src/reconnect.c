/* When a store connection may be tried again (see reconnect.h). */
#include "phoneauth/reconnect.h"

#include "phoneauth/clock.h"
#include "phoneauth/log.h"

#define PAUSE_MS 500
#define FAST_FAILURE_MS 100

bool
reconnect_may_try(struct reconnect *r)
{
	r->started_ms = clock_monotonic_ms();
	return r->started_ms >= r->next_ms;
}

void
reconnect_failed(struct reconnect *r, const char *why)
{
	long long now = clock_monotonic_ms();

	if (!r->down_logged)
		log_warn("%s: cannot connect: %s", r->store, why);
	r->down_logged = true;
	if (now - r->started_ms > FAST_FAILURE_MS)
		r->next_ms = now + PAUSE_MS;
}

void
reconnect_succeeded(struct reconnect *r)
{
	if (r->down_logged)
		log_info("%s: connected again", r->store);
	r->down_logged = false;
	r->next_ms = 0;
}

void
reconnect_answered(struct reconnect *r)
{
	r->answered_ms = clock_monotonic_ms();
}

bool
reconnect_trusted(const struct reconnect *r)
{
	return clock_monotonic_ms() - r->answered_ms < RECONNECT_TRUST_MS;
}
