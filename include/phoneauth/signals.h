/*
 * The signals that end a phoneauth process: TERM, INT, QUIT (Debian 12's
 * multiwatch 1.0.0 sends it when told -s TERM) and USR2 (multiwatch's
 * graceful reload: the worker ends and a fresh one reads the configuration
 * again). SIGPIPE is ignored: a peer that went away is an error return, not
 * a death.
 */
#ifndef PHONEAUTH_SIGNALS_H
#define PHONEAUTH_SIGNALS_H

#include <signal.h>

/* Installs `on_stop` for every stop signal (without SA_RESTART) and fills
 * `set` (may be NULL) with them. */
void signals_catch_stop(void (*on_stop)(int), sigset_t *set);

#endif
