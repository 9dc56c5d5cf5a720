/*
 * GET metrics: the Prometheus exposition of the counts (metrics.h), the
 * counts the scripts keep in Redis, the outbox and the stores' state.
 */
#ifndef PHONEAUTH_ROUTE_METRICS_H
#define PHONEAUTH_ROUTE_METRICS_H

#include "phoneauth/ctx.h"

/* For metrics_allow's addresses; 404 to others. */
void route_metrics(struct ctx *ctx);

#endif
