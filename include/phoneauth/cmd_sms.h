/*
 * The SMS commands for administrators: the outbox's counts, the paused
 * prefixes of the conversion breaker, the dead letters.
 */
#ifndef PHONEAUTH_CMD_SMS_H
#define PHONEAUTH_CMD_SMS_H

#include "phoneauth/config.h"

/* phoneauth sms-status: unread, pending, delivered, expired and dead counts. */
int cmd_sms_status(const struct config *cfg, int argc, char **argv);

/* phoneauth sms-pauses: the prefixes the conversion breaker paused. */
int cmd_sms_pauses(const struct config *cfg, int argc, char **argv);

/* phoneauth sms-unpause PREFIX */
int cmd_sms_unpause(const struct config *cfg, int argc, char **argv);

/* phoneauth sms-dead [--retry] */
int cmd_sms_dead(const struct config *cfg, int argc, char **argv);

#endif
