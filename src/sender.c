/*
 * The sender. Each entry of the outbox is, in this order: dead-lettered if it
 * is malformed, dropped if it is older than otp_ttl (a late code only
 * confuses), delivered by the driver and acknowledged, or kept pending for
 * a retry after an exponential back-off with jitter; after sms_max_attempts
 * deliveries it goes to <prefix>sms:dead with the last error. The attempt
 * count is Redis's own delivery count, so it survives a sender's death.
 * Codes appear in the log only through the log driver. A notice (purpose
 * notice, no code) is kept for a day, not otp_ttl. The event outputs run
 * beside this loop, each in a child of its own (event_deliver.c): this loop
 * only restarts them, forwards SIGHUP and trims the events stream.
 */
#include "phoneauth/sender.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "phoneauth/clock.h"
#include "phoneauth/event_relay.h"
#include "phoneauth/event_deliver.h"
#include "phoneauth/log.h"
#include "phoneauth/redis_outbox.h"
#include "phoneauth/signals.h"
#include "phoneauth/sms.h"

#define BATCH 16
_Static_assert(BATCH <= OUTBOX_DONE_MAX, "one acknowledgement per read");
#define MAX_RETRIES 1024
#define BLOCK_MS 1000
#define BACKOFF_BASE_MS 1000

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* SIGHUP: the event outputs' processes reopen the audit file (logrotate). */
static void
on_hup(int sig)
{
	(void)sig;
	event_deliver_hup();
}

/* Entries this sender owes a retry, and when. */
struct retry {
	char id[48];
	long long due_ms;
};

/* Entries handled but not yet acknowledged: one call acknowledges what one
 * read gave, rather than one call per code. */
struct acks {
	char ids[BATCH][48];
	int n;
};

struct sender {
	const struct config *cfg;
	struct redis_store *rs;
	struct event_relay *relay;	/* PostgreSQL's events to the stream */
	struct acks done[2];		/* by enum outbox_done */
	char consumer[96];
	struct retry retries[MAX_RETRIES];
	int nretries;
};

/*
 * 1 s, 2 s, 4 s ... doubled per attempt, times a random factor in [0.5, 1.5)
 * so that senders retrying together spread out; capped below sms_claim_idle,
 * so that no other sender takes an entry this one is about to retry.
 */
static long long
backoff_ms(const struct config *cfg, long attempt)
{
	long long base = BACKOFF_BASE_MS, cap = cfg->sms_claim_idle * 1000 / 2;
	unsigned char r = 128;

	for (long i = 1; i < attempt && base < cap; i++)
		base *= 2;
	if (base > cap)
		base = cap > 0 ? cap : BACKOFF_BASE_MS;
	if (RAND_bytes(&r, 1) != 1)
		r = 128;
	return base / 2 + base * r / 256;
}

static void
schedule_retry(struct sender *s, const struct outbox_entry *e, long long delay)
{
	if (s->nretries == MAX_RETRIES)
		return;	/* it stays pending; another sender claims it in time */
	snprintf(s->retries[s->nretries].id, sizeof s->retries[0].id, "%s", e->id);
	s->retries[s->nretries].due_ms = clock_monotonic_ms() + delay;
	s->nretries++;
}

static void
ack_later(struct sender *s, const struct outbox_entry *e, enum outbox_done how)
{
	struct acks *a = &s->done[how];

	snprintf(a->ids[a->n++], sizeof a->ids[0], "%s", e->id);
}

/* Acknowledges what was handled. An entry delivered and not acknowledged
 * (Redis went away) is claimed again later: it may be sent twice, never lost. */
static void
flush_acks(struct sender *s)
{
	for (int how = 0; how < 2; how++) {
		struct acks *a = &s->done[how];
		const char *ids[BATCH];

		for (int i = 0; i < a->n; i++)
			ids[i] = a->ids[i];
		if (a->n > 0 && outbox_done(s->rs, ids, a->n, (enum outbox_done)how) != STORE_OK)
			log_warn("sms: %d codes handled but not acknowledged (Redis): they may be sent again",
			    a->n);
		a->n = 0;
	}
}

/* One entry, from whichever source: delivered, dropped, dead or retried. */
static void
handle(struct sender *s, struct outbox_entry *e)
{
	const struct config *cfg = s->cfg;
	char err[160] = "", detail[256] = "", why[420];
	long long age = (long long)time(NULL) - e->created_at;

	if (e->malformed) {
		log_warn("sms: entry %s is malformed; moved to the dead letters", e->id);
		(void)outbox_dead(s->rs, e, "malformed entry");
		return;
	}
	if (strcmp(e->purpose, OUTBOX_NOTICE) == 0 ? age > OUTBOX_NOTICE_TTL : age > cfg->otp_ttl) {
		log_info("sms: dropped a code for %s, %lld s old (otp_ttl is %ld s)", e->phone, age,
		    cfg->otp_ttl);
		ack_later(s, e, OUTBOX_EXPIRED);
		return;
	}
	if (sms_deliver(cfg, e, err, sizeof err, detail, sizeof detail)) {
		if (cfg->sms_driver != SMS_DRIVER_LOG)
			log_info("sms: delivered to %s (%s, attempt %ld)", e->phone, e->purpose,
			    e->deliveries);
		ack_later(s, e, OUTBOX_DELIVERED);
		return;
	}
	if (e->deliveries >= cfg->sms_max_attempts) {
		log_warn("sms: gave up on %s after %ld attempts: %s", e->phone, e->deliveries, err);
		snprintf(why, sizeof why, "%s%s%s", err, detail[0] ? ": " : "", detail);
		(void)outbox_dead(s->rs, e, why);
		return;
	}
	{
		long long delay = backoff_ms(cfg, e->deliveries);

		log_warn("sms: delivery to %s failed (%s); attempt %ld of %ld, next in %.1f s",
		    e->phone, err, e->deliveries, cfg->sms_max_attempts, delay / 1000.0);
		schedule_retry(s, e, delay);
	}
}

/* The retries that are due, taken back from the group one by one. */
static void
run_due_retries(struct sender *s)
{
	long long now = clock_monotonic_ms();

	for (int i = 0; i < s->nretries && !stopping; ) {
		struct outbox_entry e;

		if (s->retries[i].due_ms > now) {
			i++;
			continue;
		}
		bool taken;

		memset(&e, 0, sizeof e);
		snprintf(e.id, sizeof e.id, "%s", s->retries[i].id);
		s->retries[i] = s->retries[--s->nretries];
		if (outbox_retake(s->rs, s->consumer, &e, &taken) == STORE_OK && taken) {
			handle(s, &e);
			flush_acks(s);
		}
	}
}

/* How long the next read may wait: until the first retry is due. */
static long
block_for(const struct sender *s)
{
	long long wait = BLOCK_MS, now = clock_monotonic_ms();

	for (int i = 0; i < s->nretries; i++)
		if (s->retries[i].due_ms - now < wait)
			wait = s->retries[i].due_ms - now;
	return wait < 1 ? 1 : (long)wait;
}

int
cmd_sender(const struct config *cfg, int argc, char **argv)
{
	struct sender *s = calloc(1, sizeof *s);
	struct outbox_entry entries[BATCH];
	char host[64] = "host", keys_off[256];
	bool ready = false, down_logged = false;
	struct event_outputs *events;

	(void)argc;
	(void)argv;
	if (s == NULL || (s->rs = rs_new(cfg)) == NULL ||
	    (s->relay = event_relay_new(cfg, s->rs)) == NULL) {
		if (s != NULL)
			rs_free(s->rs);
		free(s);
		return 1;
	}
	s->cfg = cfg;
	gethostname(host, sizeof host - 1);
	snprintf(s->consumer, sizeof s->consumer, "%s-%ld", host, (long)getpid());
	signals_catch_stop(on_stop, NULL);
	signal(SIGHUP, on_hup);
	/* the event outputs, each in a process of its own (event_deliver.c) */
	events = event_deliver_start(cfg);
	log_info("sender %s ready (driver %s)", s->consumer,
	    cfg->sms_driver == SMS_DRIVER_LOG ? "log" : "command");
	if (cfg->sms_driver == SMS_DRIVER_LOG)
		log_warn("sender: sms_driver = log: codes are only written to this log, no SMS is "
		    "sent; set sms_driver = command to deliver them");
	if (config_sms_unguarded(cfg, keys_off, sizeof keys_off))
		log_warn("sender: every SMS-economics control is off (%s): nothing bounds what a "
		    "botnet makes this sender send; turn some on (docs/operations.md, \"Deployment\")", keys_off);
	while (!stopping) {
		int n;

		event_deliver_tend(events, ready ? s->rs : NULL);
		if (!ready && !(ready = outbox_prepare(s->rs) == STORE_OK)) {
			if (!down_logged)
				log_warn("sender: Redis cannot be reached; waiting for it");
			down_logged = true;
			sleep(1);
			continue;
		}
		if (down_logged)
			log_info("sender: Redis is back");
		down_logged = false;
		(void)event_relay_run(s->relay);
		run_due_retries(s);
		if (outbox_next(s->rs, s->consumer, block_for(s), entries, BATCH, &n) != STORE_OK) {
			ready = false;
			continue;
		}
		for (int i = 0; i < n && !stopping; i++)
			handle(s, &entries[i]);
		flush_acks(s);
	}
	log_info("sender %s stopping (%d retries left pending for another sender)", s->consumer,
	    s->nretries);
	event_relay_free(s->relay);
	event_deliver_stop(events);
	rs_free(s->rs);
	free(s);
	return 0;
}
