/*
 * The SMS commands (see cmd_sms.h), one line per fact, like cmd_admin.c's.
 */
#include "phoneauth/cmd_sms.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "phoneauth/redis_outbox.h"
#include "phoneauth/redis_store.h"

/* The store failed: said once, exit status 1. */
static int
unreachable(const char *command, enum store_status st)
{
	fprintf(stderr, "phoneauth: %s: %s\n", command, st == STORE_UNAVAILABLE
	    ? "Redis cannot be reached" : "Redis answered something unexpected (see the log)");
	return 1;
}

static void
utc(long long seconds, char *out, size_t outlen)
{
	time_t t = (time_t)seconds;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
cmd_sms_status(const struct config *cfg, int argc, char **argv)
{
	struct redis_store *rs = rs_new(cfg);
	struct outbox_status st;
	enum store_status s = rs != NULL ? outbox_status(rs, &st) : STORE_ERROR;

	(void)argc;
	(void)argv;
	rs_free(rs);
	if (s != STORE_OK)
		return unreachable("sms-status", s);
	printf("unread     %lld\npending    %lld\ndelivered  %lld\nexpired    %lld\ndead       %lld\n",
	    st.unread, st.pending, st.delivered, st.expired, st.dead);
	return 0;
}

static void
print_pause(const struct rs_pause *p, void *arg)
{
	char since[32];

	(*(int *)arg)++;
	utc(p->since_ms / 1000, since, sizeof since);
	printf("%-16s paused since %s, for %ld s more\n", p->prefix, since, (p->left_ms + 999) / 1000);
}

int
cmd_sms_pauses(const struct config *cfg, int argc, char **argv)
{
	struct redis_store *rs = rs_new(cfg);
	int count = 0;
	enum store_status s = rs != NULL ? rs_list_pauses(rs, print_pause, &count) : STORE_ERROR;

	(void)argc;
	(void)argv;
	rs_free(rs);
	if (s != STORE_OK)
		return unreachable("sms-pauses", s);
	if (count == 0)
		printf("no prefix is paused\n");
	return 0;
}

int
cmd_sms_unpause(const struct config *cfg, int argc, char **argv)
{
	const char *prefix = argv[0];
	struct redis_store *rs;
	enum store_status s;
	bool was = false;

	(void)argc;
	if (prefix[0] == '+')
		prefix++;	/* counted on the digits */
	if (strlen(prefix) == 0 || strlen(prefix) > 15 || strspn(prefix, "0123456789") != strlen(prefix)) {
		fprintf(stderr, "phoneauth: sms-unpause: PREFIX is the digits a prefix starts with\n");
		return 2;
	}
	rs = rs_new(cfg);
	s = rs != NULL ? rs_unpause(rs, prefix, &was) : STORE_ERROR;
	rs_free(rs);
	if (s != STORE_OK)
		return unreachable("sms-unpause", s);
	printf("%s: %s\n", prefix, was ? "unpaused, its conversion counts forgotten"
	    : "was not paused (its conversion counts forgotten)");
	return 0;
}

static void
print_dead(const struct outbox_dead_letter *d, void *arg)
{
	char when[32];

	(*(int *)arg)++;
	utc(d->failed_at, when, sizeof when);
	printf("%s %-16s %-8s failed %s after %ld attempts: %s\n", d->id, d->phone, d->purpose,
	    when, d->attempts, d->error);
}

int
cmd_sms_dead(const struct config *cfg, int argc, char **argv)
{
	struct redis_store *rs;
	enum store_status s;
	int count = 0;
	long moved = 0;
	bool retry = argc == 1 && strcmp(argv[0], "--retry") == 0;

	if (argc == 1 && !retry) {
		fprintf(stderr, "phoneauth: usage: phoneauth sms-dead [--retry]\n");
		return 2;
	}
	if ((rs = rs_new(cfg)) == NULL)
		return 1;
	s = retry ? outbox_dead_retry(rs, &moved) : outbox_dead_list(rs, print_dead, &count);
	rs_free(rs);
	if (s != STORE_OK)
		return unreachable("sms-dead", s);
	if (retry)
		printf("%ld dead letters put back in the outbox\n", moved);
	else if (count == 0)
		printf("no dead letters\n");
	return 0;
}
