/*
 * redis_url = sentinel://[[user]:password@]host[:port][,host[:port]...]/MASTER[?db=N]:
 * Redis behind Sentinel. The URL names no Redis server, only the Sentinels
 * that know which one is the master now; redis_store.c asks them at every
 * connect, so a connection made after a failover goes to the new master.
 *
 * The password is the Redis servers' own (AUTH, as with redis://). A
 * Sentinel is asked without one; only a Sentinel that answers NOAUTH (it
 * has `requirepass`) is sent the same password, alone (AUTH password: its
 * default user). So Sentinels either need no password or share the data
 * nodes' one.
 */
#ifndef PHONEAUTH_REDIS_SENTINEL_H
#define PHONEAUTH_REDIS_SENTINEL_H

#include <stdbool.h>
#include <stddef.h>

#include "phoneauth/redis_addr.h"

#define SENTINEL_DEFAULT_PORT 26379
#define SENTINEL_MAX 16		/* Sentinels in one URL */

/* Whether `url` is a sentinel:// one (the rest of it may still be wrong). */
bool sentinel_url(const char *url);

/*
 * Takes a sentinel:// URL apart into `a` (its master, sentinels, user,
 * password, db; host stays NULL). On failure one line starting with
 * "redis_url: " in `err`, and false; what was set is freed by
 * sentinel_addr_free() (config_free() calls it).
 */
bool sentinel_parse_url(const char *url, struct redis_addr *a, char *err, size_t errlen);
void sentinel_addr_free(struct redis_addr *a);

/*
 * Asks the Sentinels of `a` for the address of the master, each in turn
 * from the one at *first (the one that answered last time: a Sentinel that
 * is down costs its timeout only once), each given `timeout_ms` to connect
 * and answer. On success the master's host (at most hostlen - 1 bytes) and
 * port, and *first is the Sentinel that said so; on failure why (each
 * Sentinel's answer, one line) and false.
 */
bool sentinel_master(const struct redis_addr *a, int timeout_ms, size_t *first, char *host,
    size_t hostlen, int *port, char *why, size_t whylen);

#endif
