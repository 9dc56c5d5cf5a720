/*
 * redis_url taken apart: the address config.c parses, redis_sentinel.c fills
 * for a sentinel:// URL and the Redis connection dials. Types only.
 */
#ifndef PHONEAUTH_REDIS_ADDR_H
#define PHONEAUTH_REDIS_ADDR_H

#include <stddef.h>

/* One host:port of a list (the Sentinels of a sentinel:// URL). */
struct host_port {
	char *host;
	int port;
};

/* redis_url, taken apart. */
struct redis_addr {
	char *host;		/* NULL for a unix socket and for sentinel:// */
	int port;
	char *socket_path;	/* unix:/path */
	char *user, *password;	/* NULL when not given */
	int db;
	/* sentinel:// (redis_sentinel.h): the master's name, and the Sentinels
	 * that are asked where it is; NULL and 0 otherwise. */
	char *master;
	struct host_port *sentinels;
	size_t nsentinels;
};

#endif
