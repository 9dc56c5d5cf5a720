/*
 * GET health: whether both stores answer, and the SMS backlog.
 */
#ifndef PHONEAUTH_ROUTE_HEALTH_H
#define PHONEAUTH_ROUTE_HEALTH_H

#include "phoneauth/ctx.h"

void route_health(struct ctx *ctx);

#endif
