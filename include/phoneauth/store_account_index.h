/*
 * The account index in Redis: which numbers have an account, so that a
 * register of a number without one costs one round trip (the index says
 * so) instead of three (Redis, PostgreSQL, Redis). Kept up to date by the
 * scripts as accounts are made; rebuilt from PostgreSQL when it is not whole
 * (a Redis that restarted, an import) by the first worker that needs it.
 */
#ifndef PHONEAUTH_STORE_ACCOUNT_INDEX_H
#define PHONEAUTH_STORE_ACCOUNT_INDEX_H

#include <stdbool.h>

#include "phoneauth/pg_store.h"
#include "phoneauth/redis_store.h"

/* Rebuilds the index unless someone else is; false when a store failed or
 * the rebuild was lost (it is then tried again later). *count (may be
 * NULL): numbers indexed, or -1 when it was whole or taken by another. */
bool account_index_rebuild(struct pg_store *pg, struct redis_store *rs, long *count);

/* From a command run by hand: the index is no longer whole (accounts were
 * added behind its back); the workers rebuild it. False when Redis cannot
 * be reached. */
bool account_index_drop(const struct config *cfg);

/* phoneauth reindex: rebuilds the index now. */
int cmd_reindex(const struct config *cfg, int argc, char **argv);

#endif
