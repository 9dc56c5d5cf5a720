/*
 * Event delivery, in the sender (API.md, "Events and notices"): one child
 * process per output — audit_log, each webhook_url, event_command, and the
 * SMS notices — so that an output that hangs or is down holds up no other,
 * nor the SMS codes of the sender's own loop. Each child reads its
 * output's consumer group of <redis_prefix>events under the output's lease
 * (one sender of all hosts at a time), delivers in the stream's order,
 * retries the head event after 1 s, then doubling delays of at most 60 s,
 * for webhook_retry_for, then dead-letters it. The parent restarts a child
 * that died, forwards SIGHUP (the audit file is reopened) and trims the
 * stream of what every output has acknowledged.
 */
#ifndef PHONEAUTH_EVENT_DELIVER_H
#define PHONEAUTH_EVENT_DELIVER_H

#include "phoneauth/config.h"
#include "phoneauth/redis_store.h"

#define EVENT_OUTPUTS_MAX 20		/* audit, command, notices and the webhooks */

struct event_outputs;

/*
 * The outputs the configuration names, each started in its own process.
 * NULL (said in the log) when there is no memory, or more than
 * EVENT_OUTPUTS_MAX - 3 webhooks. Never fails for an output that cannot
 * deliver yet: its child retries.
 */
struct event_outputs *event_deliver_start(const struct config *cfg);

/* The parent's turn (every second or so): restarts children that died,
 * forwards a pending SIGHUP, trims the stream now and then over `rs`. */
void event_deliver_tend(struct event_outputs *o, struct redis_store *rs);

/* A SIGHUP arrived: forwarded at the next tend (async-signal-safe). */
void event_deliver_hup(void);

/* Stops every child (SIGTERM, then SIGKILL after a grace) and frees. */
void event_deliver_stop(struct event_outputs *o);

/* The name of each configured output (its consumer group and its label in
 * the metrics): "audit", "webhook:<12 hex of the URL's SHA-256>",
 * "command", "notices". Returns how many (at most max). */
int event_output_names(const struct config *cfg, char names[][48], int max);

#endif
