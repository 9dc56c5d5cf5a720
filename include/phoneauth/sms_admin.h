/*
 * The SMS commands for administrators: the outbox's counts, the paused
 * prefixes of the conversion breaker, the dead letters.
 */
#ifndef PHONEAUTH_SMS_ADMIN_H
#define PHONEAUTH_SMS_ADMIN_H

#include "phoneauth/config.h"

/* phoneauth sms-status: unread, pending, delivered, expired and dead counts. */
int sms_admin_status(const struct config *cfg, int argc, char **argv);

/* phoneauth sms-pauses: the prefixes the conversion breaker paused. */
int sms_admin_pauses(const struct config *cfg, int argc, char **argv);

/* phoneauth sms-unpause PREFIX */
int sms_admin_unpause(const struct config *cfg, int argc, char **argv);

/* phoneauth sms-dead [--retry] */
int sms_admin_dead(const struct config *cfg, int argc, char **argv);

#endif
