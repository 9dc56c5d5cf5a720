/*
 * Where the Redis master is, for redis_url = sentinel://... (see
 * redis_sentinel.h): the URL taken apart at start, and the question put to
 * the Sentinels at each connect. This file never talks to the master itself
 * and keeps no connection: a Sentinel is asked on a connection of its own,
 * closed right after its answer. Whether the address it gave really is the
 * master is checked by redis_store.c (ROLE), on the connection it then uses.
 */
#include "phoneauth/redis_sentinel.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis.h>

#include "phoneauth/errmsg.h"
#include "phoneauth/net.h"

#define SCHEME "sentinel://"

bool
sentinel_url(const char *url)
{
	return url != NULL && strncmp(url, SCHEME, sizeof SCHEME - 1) == 0;
}

void
sentinel_addr_free(struct redis_addr *a)
{
	for (size_t i = 0; i < a->nsentinels; i++)
		free(a->sentinels[i].host);
	free(a->sentinels);
	free(a->master);
	a->sentinels = NULL;
	a->nsentinels = 0;
	a->master = NULL;
}

/* One Sentinel of the list: host, host:port, [v6] or [v6]:port. */
static bool
add_sentinel(struct redis_addr *a, const char *item, size_t len, char *err, size_t errlen)
{
	const char *host, *why;
	size_t hostlen;
	int port = SENTINEL_DEFAULT_PORT;
	struct host_port *grown;

	if (len == 0)
		return errmsg(err, errlen, "redis_url: an empty Sentinel address in the list");
	if (a->nsentinels == SENTINEL_MAX)
		return errmsg(err, errlen, "redis_url: more than %d Sentinels", SENTINEL_MAX);
	if ((why = net_host_port(item, len, &host, &hostlen, &port)) != NULL)
		return errmsg(err, errlen, "redis_url: '%.*s': %s", (int)len, item, why);
	if ((grown = realloc(a->sentinels, (a->nsentinels + 1) * sizeof *grown)) == NULL)
		return errmsg(err, errlen, "out of memory");
	a->sentinels = grown;
	if ((grown[a->nsentinels].host = strndup(host, hostlen)) == NULL)
		return errmsg(err, errlen, "out of memory");
	grown[a->nsentinels].port = port;
	a->nsentinels++;
	return true;
}

/* ?db=N (the only parameter). */
static bool
parse_query(struct redis_addr *a, const char *q, char *err, size_t errlen)
{
	while (q != NULL && *q != '\0') {
		const char *item = q + 1, *amp = strchr(item, '&');
		size_t len = amp ? (size_t)(amp - item) : strlen(item);

		if (len > 3 && strncmp(item, "db=", 3) == 0) {
			int db = 0;
			size_t i;

			for (i = 3; i < len && isdigit((unsigned char)item[i]) && db <= 1000; i++)
				db = db * 10 + (item[i] - '0');
			if (i != len || db > 1000)
				return errmsg(err, errlen, "redis_url: bad db number");
			a->db = db;
		} else {
			return errmsg(err, errlen, "redis_url: unknown parameter in '%.*s' (only db=N)",
			    (int)len, item);
		}
		q = amp;
	}
	return true;
}

bool
sentinel_parse_url(const char *url, struct redis_addr *a, char *err, size_t errlen)
{
	const char *p, *at, *slash, *q, *list;
	size_t masterlen;

	a->db = 0;
	a->port = 0;
	if (!sentinel_url(url))
		return errmsg(err, errlen, "redis_url: must start with " SCHEME);
	p = url + sizeof SCHEME - 1;
	/* The last '@' ends the password: the list and the name hold none, a
	 * password may hold anything (a '/' too). */
	if ((at = strrchr(p, '@')) != NULL) {
		const char *c = memchr(p, ':', (size_t)(at - p));

		if (c == NULL)
			return errmsg(err, errlen, "redis_url: expected [user]:password@ before the "
			    "Sentinels");
		if (c > p && (a->user = strndup(p, (size_t)(c - p))) == NULL)
			return errmsg(err, errlen, "out of memory");
		if ((a->password = strndup(c + 1, (size_t)(at - c - 1))) == NULL)
			return errmsg(err, errlen, "out of memory");
		p = at + 1;
	}
	if ((slash = strchr(p, '/')) == NULL)
		return errmsg(err, errlen, "redis_url: no /MASTER after the Sentinels");
	for (list = p; list <= slash; ) {
		const char *comma = memchr(list, ',', (size_t)(slash - list));
		const char *end = comma ? comma : slash;

		if (!add_sentinel(a, list, (size_t)(end - list), err, errlen))
			return false;
		list = end + 1;
	}
	q = strchr(slash + 1, '?');
	masterlen = q ? (size_t)(q - slash - 1) : strlen(slash + 1);
	if (masterlen == 0)
		return errmsg(err, errlen, "redis_url: no master name after the Sentinels (/MASTER)");
	for (size_t i = 0; i < masterlen; i++)
		if (!isgraph((unsigned char)slash[1 + i]) || slash[1 + i] == '/')
			return errmsg(err, errlen, "redis_url: the master name '%.*s' holds a blank, "
			    "'/' or a control character", (int)masterlen, slash + 1);
	if ((a->master = strndup(slash + 1, masterlen)) == NULL)
		return errmsg(err, errlen, "out of memory");
	return parse_query(a, q, err, errlen);
}

/* SENTINEL get-master-addr-by-name, on a connection of its own. */
static redisReply *
get_master(redisContext *c, const char *master)
{
	const char *argv[] = { "SENTINEL", "get-master-addr-by-name", master };

	return redisCommandArgv(c, 3, argv, NULL);
}

/* Asks one Sentinel; on failure what it said, in `said`. */
static bool
ask(const struct redis_addr *a, const struct host_port *s, struct timeval tv, char *host,
    size_t hostlen, int *port, char *said, size_t saidlen)
{
	redisContext *c = redisConnectWithTimeout(s->host, s->port, tv);	/* owner: this function */
	redisReply *r = NULL;
	bool ok = false;

	if (c == NULL || c->err) {
		snprintf(said, saidlen, "%s", c ? c->errstr : "out of memory");
		goto out;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(said, saidlen, "cannot set a timeout");
		goto out;
	}
	r = get_master(c, a->master);
	if (r != NULL && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOAUTH", 6) == 0 &&
	    a->password != NULL) {
		/* This Sentinel has a password: ours (see redis_sentinel.h). */
		const char *argv[] = { "AUTH", a->password };
		bool authed;

		freeReplyObject(r);
		if ((r = redisCommandArgv(c, 2, argv, NULL)) != NULL && r->type == REDIS_REPLY_ERROR) {
			snprintf(said, saidlen, "AUTH: %s", r->str);
			goto out;
		}
		authed = r != NULL;
		freeReplyObject(r);
		r = authed ? get_master(c, a->master) : NULL;
	}
	if (r == NULL)
		snprintf(said, saidlen, "%s", c->errstr[0] ? c->errstr : "no answer");
	else if (r->type == REDIS_REPLY_ERROR)
		snprintf(said, saidlen, "%s", r->str);
	else if (r->type == REDIS_REPLY_NIL)
		snprintf(said, saidlen, "knows no master named %s", a->master);
	else if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING ||
	    r->element[0]->len == 0 || r->element[0]->len >= hostlen ||
	    !net_parse_port(r->element[1]->str, r->element[1]->len, port))
		snprintf(said, saidlen, "an answer that is not host and port");
	else {
		memcpy(host, r->element[0]->str, r->element[0]->len);
		host[r->element[0]->len] = '\0';
		ok = true;
	}
out:
	freeReplyObject(r);
	if (c != NULL)
		redisFree(c);
	return ok;
}

bool
sentinel_master(const struct redis_addr *a, int timeout_ms, size_t *first, char *host,
    size_t hostlen, int *port, char *why, size_t whylen)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	size_t used = 0;

	if (whylen > 0)
		why[0] = '\0';
	for (size_t i = 0; i < a->nsentinels; i++) {
		size_t k = (*first + i) % a->nsentinels;
		char said[160];

		if (ask(a, &a->sentinels[k], tv, host, hostlen, port, said, sizeof said)) {
			*first = k;
			return true;
		}
		if (used < whylen) {
			int n = snprintf(why + used, whylen - used, "%sSentinel %s:%d: %s",
			    i ? "; " : "", a->sentinels[k].host, a->sentinels[k].port, said);

			used += n > 0 ? (size_t)n : 0;
		}
	}
	if (a->nsentinels == 0)
		snprintf(why, whylen, "no Sentinel to ask");
	return false;
}
