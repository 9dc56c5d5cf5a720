/*
 * The events commands for administrators: the dead letters of the event
 * outputs (events a receiver never took within webhook_retry_for).
 */
#ifndef PHONEAUTH_CMD_EVENTS_H
#define PHONEAUTH_CMD_EVENTS_H

#include "phoneauth/config.h"

/* phoneauth events-dead [--retry]: list them, or put each back in the
 * stream for its own output only. */
int cmd_events_dead(const struct config *cfg, int argc, char **argv);

/* phoneauth events-status: each output's backlog, the deliveries counted,
 * the dead letters. */
int cmd_events_status(const struct config *cfg, int argc, char **argv);

#endif
