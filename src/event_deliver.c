/*
 * Event delivery (see event_deliver.h). A child delivers one output and
 * nothing else; it holds no state worth keeping across a crash but the
 * head event's tries, which start over when another sender takes the
 * output (the event is then tried again for up to webhook_retry_for).
 * What it must never do: deliver out of order (the head event is retried
 * until it is delivered or dead, and only then the next), acknowledge an
 * event before it is delivered, or let any output wait on another.
 */
#define _GNU_SOURCE		/* timegm */

#include "phoneauth/event_deliver.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/sha.h>

#include "phoneauth/audit_file.h"
#include "phoneauth/clock.h"
#include "phoneauth/command.h"
#include "phoneauth/log.h"
#include "phoneauth/notice_text.h"
#include "phoneauth/phone.h"
#include "phoneauth/redis_events.h"
#include "phoneauth/signals.h"
#include "phoneauth/webhook.h"

#define BATCH 16
#define OUTPUT_NICE 10		/* added to the outputs' processes' niceness */
#define READ_BLOCK_MS 1000
#define LEASE_MIN_MS 30000
#define RENEW_EVERY_MS 1000
#define TRIM_EVERY_MS 5000
#define RESTART_AFTER_MS 1000

enum output_kind { OUT_AUDIT, OUT_WEBHOOK, OUT_COMMAND, OUT_NOTICES };

struct output {
	enum output_kind kind;
	char name[EVENTS_OUTPUT_MAX];
	const char *url;		/* OUT_WEBHOOK: cfg's */
	pid_t pid;			/* its child; 0: none */
	long long died_ms;		/* when it was last seen dead (monotonic) */
};

struct event_outputs {
	const struct config *cfg;
	struct output out[EVENT_OUTPUTS_MAX];
	int n;
	long long trimmed_ms;
};

static volatile sig_atomic_t stopping, hup;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
on_hup(int sig)
{
	(void)sig;
	hup = 1;
}

/* The parent's outputs, for its SIGHUP handler: set while they run. */
static struct event_outputs *volatile hup_targets;

/*
 * Called from the parent's SIGHUP handler: the signal goes on to the
 * outputs' processes at once (kill is async-signal-safe), so that the audit
 * file is reopened before any event delivered after the signal, not after
 * the parent's next turn (up to a second or two, meanwhile written to the
 * renamed file).
 */
void
event_deliver_hup(void)
{
	struct event_outputs *o = hup_targets;

	hup = 1;
	for (int i = 0; o != NULL && i < o->n; i++)
		if (o->out[i].pid > 0)
			kill(o->out[i].pid, SIGHUP);
}

static void
webhook_name(const char *url, char out[EVENTS_OUTPUT_MAX])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	int len;

	SHA256((const unsigned char *)url, strlen(url), md);
	len = snprintf(out, EVENTS_OUTPUT_MAX, "webhook:");
	for (int i = 0; i < 6; i++)
		len += snprintf(out + len, (size_t)(EVENTS_OUTPUT_MAX - len), "%02x", md[i]);
}

/* Fills o->out from the configuration. */
static int
outputs_of(const struct config *cfg, struct output *out, int max)
{
	int n = 0;

	if (cfg->audit_log != NULL && n < max)
		out[n++] = (struct output){ .kind = OUT_AUDIT, .name = "audit" };
	for (size_t i = 0; i < cfg->nwebhooks && n < max; i++) {
		out[n] = (struct output){ .kind = OUT_WEBHOOK, .url = cfg->webhooks[i] };
		webhook_name(cfg->webhooks[i], out[n++].name);
	}
	if (cfg->event_cmd != NULL && n < max)
		out[n++] = (struct output){ .kind = OUT_COMMAND, .name = "command" };
	if (cfg->notices && n < max)
		out[n++] = (struct output){ .kind = OUT_NOTICES, .name = "notices" };
	return n;
}

int
event_output_names(const struct config *cfg, char names[][48], int max)
{
	struct output out[EVENT_OUTPUTS_MAX];
	int n = outputs_of(cfg, out, max < EVENT_OUTPUTS_MAX ? max : EVENT_OUTPUTS_MAX);

	for (int i = 0; i < n; i++)
		snprintf(names[i], 48, "%s", out[i].name);
	return n;
}

/* ---- one output, in its child ---- */

struct deliverer {
	const struct config *cfg;
	const struct output *out;
	struct redis_store *rs;
	char holder[96];
	long lease_ms;
	long long renewed_ms;
	struct audit_file audit;
	bool audit_open;
	struct webhook_receiver *receiver;
	struct notice_texts notices;
	char unacked[48];		/* the entry delivered whose XACK failed (Redis
					 * away): acknowledged, not sent again, when it
					 * comes back from the pending list */
};

/* Renews the lease if it is time; false when it is lost (or Redis is). */
static bool
keep_lease(struct deliverer *d, bool now)
{
	long long t = clock_monotonic_ms();
	bool held = false;

	if (!now && t - d->renewed_ms < RENEW_EVERY_MS)
		return true;
	if (events_lease(d->rs, d->out->name, d->holder, d->lease_ms, &held) != STORE_OK || !held)
		return false;
	d->renewed_ms = t;
	return true;
}

/* Waits `seconds`, keeping the lease; false when stopping or it is lost. */
static bool
wait_keeping_lease(struct deliverer *d, long seconds)
{
	long long until = clock_monotonic_ms() + seconds * 1000;

	while (!stopping && clock_monotonic_ms() < until) {
		struct timespec ts = { 0, 100 * 1000000L };

		nanosleep(&ts, NULL);
		if (!keep_lease(d, false))
			return false;
	}
	return !stopping;
}

/* "2026-12-07T10:00:00.123Z" -> Unix ms; false if it is not that. */
static bool
parse_at(const char *s, long long *ms)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, milli, used = 0;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo, &d, &h, &mi, &sec,
	    &milli, &used) != 7 || used != EVENT_TIME_LEN || s[used] != '\0')
		return false;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
	tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
	*ms = (long long)timegm(&tm) * 1000 + milli;
	return true;
}

/* The event's JSON, parsed (owner: the caller, json_object_put), or NULL. */
static json_object *
parse_event(const struct event_entry *e)
{
	json_tokener *tok = json_tokener_new_ex(8);
	json_object *o;

	if (tok == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, e->json, (int)e->len);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset != (int)e->len || !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static const char *
string_at(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
	    ? json_object_get_string(v) : NULL;
}

static bool
try_audit(struct deliverer *d, const struct event_entry *e, char *err, size_t errlen)
{
	if (!d->audit_open && !(d->audit_open = audit_file_open(&d->audit, d->cfg->audit_log, err,
	    errlen)))
		return false;
	return audit_file_write(&d->audit, e->json, e->len, err, errlen);
}

/* *retry_after: the receiver's Retry-After, when it gave one. */
static bool
try_webhook(struct deliverer *d, const struct event_entry *e, enum event_type type,
    char *err, size_t errlen, long *retry_after)
{
	struct webhook_outcome oc;
	json_object *o = parse_event(e);
	long long at_ms = 0;
	char *body = NULL;
	size_t bodylen = 0;
	bool ok = false;

	if (o == NULL || !parse_at(string_at(o, "at"), &at_ms)) {
		snprintf(err, errlen, "the event's JSON or time cannot be read");
		goto out;
	}
	if (d->receiver == NULL && (d->receiver = webhook_receiver_new(d->out->url,
	    d->cfg->webhook_timeout, NULL, err, errlen)) == NULL)
		goto out;
	if (!webhook_payload(type, at_ms, e->json, e->len, &body, &bodylen)) {
		snprintf(err, errlen, "the event's JSON cannot be sent");
		goto out;
	}
	webhook_deliver(d->receiver, &d->cfg->webhook_secret, e->event_id, (long long)time(NULL),
	    body, bodylen, &oc);
	ok = oc.result == WEBHOOK_DELIVERED;
	*retry_after = oc.retry_after_s;
	if (!ok)
		snprintf(err, errlen, "%s", oc.detail[0] ? oc.detail : "not delivered");
out:
	free(body);
	json_object_put(o);
	return ok;
}

static bool
try_command(struct deliverer *d, const struct event_entry *e, char *err, size_t errlen)
{
	char type[64], id[64];
	const char *env[] = { type, id, NULL };
	struct command_result res;

	snprintf(type, sizeof type, "EVENT_TYPE=%s", e->type);
	snprintf(id, sizeof id, "EVENT_ID=%s", e->event_id);
	if (command_run(d->cfg->event_cmd, env, COMMAND_ENV_CLEAR, e->json, e->len,
	    d->cfg->webhook_timeout * 1000, &res))
		return true;
	snprintf(err, errlen, "%.90s%s%.100s", res.error[0] ? res.error : "failed",
	    res.stderr_line[0] ? ": " : "", res.stderr_line);
	return false;
}

/*
 * The notice of an event, queued and acknowledged in one script call:
 * *acked says it was (or had been). False with err when it cannot be sent
 * at all (dead-lettered) or Redis failed (tried again).
 */
static bool
try_notice(struct deliverer *d, const struct event_entry *e, enum event_type type,
    char *err, size_t errlen, bool *acked)
{
	enum event_notice to = event_notice_of(type);
	json_object *o = parse_event(e), *data;
	const char *number = NULL;
	char phone[PHONE_MAX], text[SMS_TEXT_MAX];
	enum lang l = (enum lang)d->cfg->language;
	enum events_notice result;
	bool ok = false;

	*acked = false;
	if (o == NULL) {
		snprintf(err, errlen, "the event's JSON cannot be read");
		goto out;
	}
	if (to == EVENT_NOTICE_OLD_NUMBER && json_object_object_get_ex(o, "data", &data))
		number = string_at(data, "old");
	else if (to == EVENT_NOTICE_ACCOUNT)
		number = string_at(o, "mobile_number");
	if (number == NULL || !phone_normalize(number, (enum phone_format)d->cfg->phone_format,
	    phone)) {
		snprintf(err, errlen, "the event has no number to send its notice to");
		goto out;
	}
	for (int i = 0; i < LANG__MAX; i++)
		if (strcmp(e->lang, lang_names[i]) == 0)
			l = (enum lang)i;
	if (!notice_text_render(&d->notices, d->cfg, type, l, text, sizeof text)) {
		snprintf(err, errlen, "the notice's text does not fit in an SMS");
		goto out;
	}
	if (events_notice(d->rs, d->out->name, e->id, phone, lang_names[l], e->type, text,
	    &result) != STORE_OK) {
		snprintf(err, errlen, "Redis cannot be reached");
		goto out;
	}
	*acked = ok = true;
	if (result == EVENTS_NOTICE_QUEUED)
		events_count(d->rs, d->out->name, "delivered");
	else if (result == EVENTS_NOTICE_BUDGET) {
		log_warn("events: the notice of %s %s was dropped: the owners' SMS budget is spent",
		    e->type, e->event_id);
		events_count(d->rs, d->out->name, "refused");
	}
out:
	json_object_put(o);
	return ok;
}

/* Whether this output has nothing to do with the event: acknowledged unsent. */
static bool
skipped(const struct deliverer *d, const struct event_entry *e, enum event_type type, bool known)
{
	if (e->only[0] != '\0' && strcmp(e->only, d->out->name) != 0)
		return true;	/* put back by events-dead --retry for another output */
	if (d->out->kind == OUT_WEBHOOK)
		return known && !event_filter_match(&d->cfg->webhook_filter, type);
	if (d->out->kind == OUT_NOTICES)
		return !known || event_notice_of(type) == EVENT_NOTICE_NONE;
	return false;
}

/*
 * One event, tried until it is delivered or dead. False when the output
 * must stop here (stopping, or the lease lost): the event stays pending
 * for whoever holds the lease next.
 */
static bool
deliver_one(struct deliverer *d, const struct event_entry *e)
{
	enum event_type type = EVENT__MAX;
	bool known = event_type_from_name(e->type, strlen(e->type), &type);
	long long first = (long long)time(NULL);
	long tries = 0;

	if (e->malformed) {
		log_warn("events: %s: entry %s is malformed; moved to the dead letters",
		    d->out->name, e->id);
		return events_dead(d->rs, d->out->name, e, "malformed entry", 0) == STORE_OK;
	}
	if (skipped(d, e, type, known))
		return events_ack(d->rs, d->out->name, e->id,
		    e->only[0] ? NULL : "skipped") == STORE_OK;
	if (d->unacked[0] != '\0' && strcmp(d->unacked, e->id) == 0) {
		if (events_ack(d->rs, d->out->name, e->id, "delivered") != STORE_OK)
			return false;
		d->unacked[0] = '\0';
		return true;
	}
	for (;;) {
		char err[200] = "";
		long retry_after = 0, delay;
		bool ok = false, acked = false;

		if (!keep_lease(d, true))
			return false;
		switch (d->out->kind) {
		case OUT_AUDIT:
			ok = try_audit(d, e, err, sizeof err);
			break;
		case OUT_WEBHOOK:
			ok = known ? try_webhook(d, e, type, err, sizeof err, &retry_after)
			    : (snprintf(err, sizeof err, "unknown event type"), false);
			break;
		case OUT_COMMAND:
			ok = try_command(d, e, err, sizeof err);
			break;
		case OUT_NOTICES:
			ok = try_notice(d, e, type, err, sizeof err, &acked);
			if (ok)
				return true;
			break;
		}
		if (ok) {
			if (events_ack(d->rs, d->out->name, e->id, "delivered") == STORE_OK)
				return true;
			snprintf(d->unacked, sizeof d->unacked, "%s", e->id);
			return false;
		}
		tries++;
		events_count(d->rs, d->out->name, "failed");
		if (webhook_gives_up(first, (long long)time(NULL), d->cfg->webhook_retry_for)) {
			log_warn("events: %s: gave up on %s %s after %ld tries: %s", d->out->name,
			    e->type, e->event_id, tries, err);
			return events_dead(d->rs, d->out->name, e, err, tries) == STORE_OK;
		}
		delay = webhook_next_delay(tries);
		if (retry_after > delay)
			delay = retry_after;
		log_warn("events: %s: %s %s not delivered (%s); try %ld, next in %ld s",
		    d->out->name, e->type, e->event_id, err, tries, delay);
		if (!wait_keeping_lease(d, delay))
			return false;
	}
}

static void
reopen_audit(struct deliverer *d)
{
	char err[256];

	hup = 0;
	if (d->out->kind != OUT_AUDIT || !d->audit_open)
		return;
	if (audit_file_reopen(&d->audit, err, sizeof err))
		log_info("events: audit: %s reopened", d->cfg->audit_log);
	else
		log_warn("events: audit: %s", err);
}

static int
run_output(const struct config *cfg, const struct output *out)
{
	struct deliverer d = { .cfg = cfg, .out = out };
	struct event_entry *batch = calloc(BATCH, sizeof *batch);	/* owner: this */
	char host[64] = "host", err[256];
	bool prepared = false, waiting = false;

	signals_catch_stop(on_stop, NULL);
	signal(SIGHUP, on_hup);
	signal(SIGCHLD, SIG_DFL);
	if (batch == NULL || (d.rs = rs_new(cfg)) == NULL) {
		free(batch);
		return 1;
	}
	gethostname(host, sizeof host - 1);
	snprintf(d.holder, sizeof d.holder, "%s-%ld", host, (long)getpid());
	d.lease_ms = (2 * cfg->webhook_timeout + 10) * 1000;
	if (d.lease_ms < LEASE_MIN_MS)
		d.lease_ms = LEASE_MIN_MS;
	if (out->kind == OUT_NOTICES && !notice_texts_load(&d.notices, cfg, err, sizeof err)) {
		log_error("events: notices: %s", err);
		rs_free(d.rs);
		free(batch);
		return 1;
	}
	if (out->kind == OUT_AUDIT && !(d.audit_open = audit_file_open(&d.audit, cfg->audit_log,
	    err, sizeof err)))
		log_warn("events: audit: %s (tried again with each event)", err);
	log_info("events: %s: delivering%s%s", out->name, out->url ? " to " : "",
	    out->url ? out->url : "");
	while (!stopping) {
		bool held = false;
		int n = 0;

		if (hup)
			reopen_audit(&d);
		if (!prepared && !(prepared = events_prepare(d.rs, out->name) == STORE_OK)) {
			sleep(1);
			continue;
		}
		if (events_lease(d.rs, out->name, d.holder, d.lease_ms, &held) != STORE_OK || !held) {
			if (!waiting)
				log_info("events: %s: another sender delivers it (or Redis is away); "
				    "waiting", out->name);
			waiting = true;
			sleep(1);
			continue;
		}
		waiting = false;
		d.renewed_ms = clock_monotonic_ms();
		if (events_next(d.rs, out->name, READ_BLOCK_MS, batch, BATCH, &n) != STORE_OK) {
			prepared = false;
			sleep(1);
			continue;
		}
		for (int i = 0; i < n && !stopping; i++) {
			if (hup)
				reopen_audit(&d);
			if (!deliver_one(&d, &batch[i]))
				break;
		}
	}
	(void)events_lease_drop(d.rs, out->name, d.holder);
	if (d.audit_open)
		audit_file_close(&d.audit);
	webhook_receiver_free(d.receiver);
	if (out->kind == OUT_NOTICES)
		notice_texts_free(&d.notices);
	rs_free(d.rs);
	free(batch);
	return 0;
}

/* ---- the parent ---- */

static void
spawn(struct event_outputs *o, struct output *out)
{
	pid_t parent = getpid(), pid = fork();

	if (pid < 0) {
		log_error("events: %s: fork: %s", out->name, strerror(errno));
		out->died_ms = clock_monotonic_ms();
		return;
	}
	if (pid == 0) {
		/* a sender killed outright takes its outputs with it: none goes on
		 * delivering beside the next sender's */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0);	/* it ended before the line above */
		/* delivery comes after the answers: on a host that also serves,
		 * the workers (and the SMS codes) have the CPU first */
		errno = 0;
		if (nice(OUTPUT_NICE) == -1 && errno != 0)
			log_warn("events: %s: nice: %s", out->name, strerror(errno));
		_exit(run_output(o->cfg, out));
	}
	out->pid = pid;
}

struct event_outputs *
event_deliver_start(const struct config *cfg)
{
	struct event_outputs *o = calloc(1, sizeof *o);

	if (o == NULL)
		return NULL;
	if (cfg->nwebhooks > EVENT_OUTPUTS_MAX - 3) {
		log_error("events: at most %d webhook_url", EVENT_OUTPUTS_MAX - 3);
		free(o);
		return NULL;
	}
	o->cfg = cfg;
	o->n = outputs_of(cfg, o->out, EVENT_OUTPUTS_MAX);
	for (int i = 0; i < o->n; i++)
		spawn(o, &o->out[i]);
	hup_targets = o;
	return o;
}

void
event_deliver_tend(struct event_outputs *o, struct redis_store *rs)
{
	long long now = clock_monotonic_ms();
	int status;

	if (o == NULL)
		return;
	for (int i = 0; i < o->n; i++)
		if (o->out[i].pid > 0 && waitpid(o->out[i].pid, &status, WNOHANG) == o->out[i].pid) {
			log_warn("events: %s: its process ended (status %d); restarting it",
			    o->out[i].name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			o->out[i].pid = 0;
			o->out[i].died_ms = now;
		}
	for (int i = 0; i < o->n && !stopping; i++)
		if (o->out[i].pid == 0 && now - o->out[i].died_ms >= RESTART_AFTER_MS)
			spawn(o, &o->out[i]);
	hup = 0;	/* (forwarded by event_deliver_hup itself) */
	if (rs != NULL && now - o->trimmed_ms >= TRIM_EVERY_MS) {
		const char *names[EVENT_OUTPUTS_MAX];

		o->trimmed_ms = now;
		for (int i = 0; i < o->n; i++)
			names[i] = o->out[i].name;
		(void)events_trim(rs, names, o->n);
		(void)events_dead_expire(rs);
	}
}

void
event_deliver_stop(struct event_outputs *o)
{
	long long until;
	int left;

	if (o == NULL)
		return;
	hup_targets = NULL;
	for (int i = 0; i < o->n; i++)
		if (o->out[i].pid > 0)
			kill(o->out[i].pid, SIGTERM);
	until = clock_monotonic_ms() + (2 * o->cfg->webhook_timeout + 5) * 1000;
	do {
		struct timespec ts = { 0, 50 * 1000000L };

		left = 0;
		for (int i = 0; i < o->n; i++) {
			if (o->out[i].pid <= 0)
				continue;
			if (waitpid(o->out[i].pid, NULL, WNOHANG) == o->out[i].pid)
				o->out[i].pid = 0;
			else
				left++;
		}
		if (left > 0)
			nanosleep(&ts, NULL);
	} while (left > 0 && clock_monotonic_ms() < until);
	for (int i = 0; i < o->n; i++)
		if (o->out[i].pid > 0) {
			kill(o->out[i].pid, SIGKILL);
			waitpid(o->out[i].pid, NULL, 0);
		}
	free(o);
}
