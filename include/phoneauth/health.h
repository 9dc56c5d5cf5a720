/*
 * GET health: whether both stores answer, and the SMS backlog.
 */
#ifndef PHONEAUTH_HEALTH_H
#define PHONEAUTH_HEALTH_H

#include "phoneauth/ctx.h"

void health_route(struct ctx *ctx);

#endif
