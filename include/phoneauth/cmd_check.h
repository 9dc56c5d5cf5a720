/*
 * phoneauth check: says that the configuration is valid, and warns of a
 * log-only SMS driver, unbounded SMS economics, a template longer than one
 * SMS and test numbers.
 */
#ifndef PHONEAUTH_CMD_CHECK_H
#define PHONEAUTH_CMD_CHECK_H

#include "phoneauth/config.h"
#include "phoneauth/sms_text.h"

int cmd_check(const struct config *cfg, const struct sms_texts *texts);

#endif
