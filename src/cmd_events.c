/*
 * The events commands (see cmd_events.h), one line per fact, like cmd_sms.c's.
 */
#include "phoneauth/cmd_events.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "phoneauth/event_deliver.h"
#include "phoneauth/redis_events.h"
#include "phoneauth/redis_store.h"

static int
unreachable(const char *command, enum store_status st)
{
	fprintf(stderr, "phoneauth: %s: %s\n", command, st == STORE_UNAVAILABLE
	    ? "Redis cannot be reached" : "Redis answered something unexpected (see the log)");
	return 1;
}

static void
print_dead(const struct events_dead_letter *d, void *arg)
{
	char when[32];
	time_t t = (time_t)d->failed_at;
	struct tm tm;

	(*(int *)arg)++;
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s %-20s %-18s %s failed %s after %ld tries: %s\n", d->id, d->output, d->type,
	    d->event_id, when, d->tries, d->error);
}

int
cmd_events_dead(const struct config *cfg, int argc, char **argv)
{
	struct redis_store *rs;
	enum store_status s;
	int count = 0;
	long moved = 0;
	bool retry = argc == 1 && strcmp(argv[0], "--retry") == 0;

	if (argc == 1 && !retry) {
		fprintf(stderr, "phoneauth: usage: phoneauth events-dead [--retry]\n");
		return 2;
	}
	if ((rs = rs_new(cfg)) == NULL)
		return 1;
	s = retry ? events_dead_retry(rs, &moved) : events_dead_list(rs, print_dead, &count);
	rs_free(rs);
	if (s != STORE_OK)
		return unreachable("events-dead", s);
	if (retry)
		printf("%ld dead letters put back for their outputs\n", moved);
	else if (count == 0)
		printf("no dead letters\n");
	return 0;
}

static void
print_count(const char *output, const char *result, long long n, void *arg)
{
	(void)arg;
	printf("%-22s %-10s %lld\n", output, result, n);
}

int
cmd_events_status(const struct config *cfg, int argc, char **argv)
{
	char names[EVENT_OUTPUTS_MAX][48];
	int n = event_output_names(cfg, names, EVENT_OUTPUTS_MAX);
	struct redis_store *rs = rs_new(cfg);
	struct events_status st;
	enum store_status s = rs != NULL ? events_status(rs, &st) : STORE_ERROR;

	(void)argc;
	(void)argv;
	if (s == STORE_OK) {
		printf("in stream  %lld\ndead       %lld\n", st.total, st.dead);
		for (int i = 0; s == STORE_OK && i < n; i++) {
			long long backlog;

			if ((s = events_backlog(rs, names[i], &backlog)) == STORE_OK)
				printf("%-22s backlog    %lld\n", names[i], backlog);
		}
		if (s == STORE_OK)
			s = events_counts(rs, print_count, NULL);
	}
	rs_free(rs);
	return s == STORE_OK ? 0 : unreachable("events-status", s);
}
