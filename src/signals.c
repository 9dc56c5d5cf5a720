/* The stop signals (see signals.h). */
#include "phoneauth/signals.h"

#include <string.h>

static const int stop_signals[] = { SIGTERM, SIGINT, SIGQUIT, SIGUSR2 };

void
signals_catch_stop(void (*on_stop)(int), sigset_t *set)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	if (set != NULL)
		sigemptyset(set);
	for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++) {
		sigaction(stop_signals[i], &sa, NULL);
		if (set != NULL)
			sigaddset(set, stop_signals[i]);
	}
}
