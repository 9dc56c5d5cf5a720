/*
 * `phoneauth sender`: the process that empties the SMS outbox. It reads the
 * stream through a consumer group, delivers each code with the configured
 * driver and acknowledges it only once delivered, so a sender that dies
 * loses nothing: another one claims what it left after sms_claim_idle.
 * Several senders can run side by side (at-least-once delivery).
 */
#ifndef PHONEAUTH_SENDER_H
#define PHONEAUTH_SENDER_H

#include "phoneauth/config.h"

/* phoneauth sender: runs until TERM or INT. */
int cmd_sender(const struct config *cfg, int argc, char **argv);

#endif
