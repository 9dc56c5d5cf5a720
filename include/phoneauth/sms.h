/*
 * SMS drivers: how one code reaches one phone. `log` writes it to the log
 * (for local runs: the only log line that ever shows a code); `command` runs
 * sms_command with PHONE, CODE, PURPOSE, LANGUAGE and TEXT (the whole SMS)
 * in its environment.
 */
#ifndef PHONEAUTH_SMS_H
#define PHONEAUTH_SMS_H

#include <stdbool.h>
#include <stddef.h>

#include "phoneauth/config.h"
#include "phoneauth/redis_outbox.h"

/*
 * Delivers one entry; false with a short reason in `err`, fit for the log
 * (never the code), and in `detail` the first line the command wrote on its
 * standard error, kept only with the dead letter (it might quote the code).
 */
bool sms_deliver(const struct config *cfg, const struct outbox_entry *e, char *err, size_t errlen,
    char *detail, size_t detaillen);

#endif
