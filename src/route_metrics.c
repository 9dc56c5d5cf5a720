/*
 * GET metrics (see metrics.h): the Prometheus exposition, for the addresses
 * of metrics_allow only. The pool's counts come from metrics.c; the counts
 * the scripts keep in Redis, the outbox and whether each store answers are
 * read here at scrape time. Nothing here counts.
 */
#define _GNU_SOURCE		/* open_memstream */

#include "phoneauth/route_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phoneauth/event_deliver.h"
#include "phoneauth/metrics.h"
#include "phoneauth/net.h"
#include "phoneauth/redis_events.h"
#include "phoneauth/redis_outbox.h"
#include "phoneauth/router.h"

static bool
reader_allowed(const struct ctx *ctx)
{
	unsigned char addr[16];

	if (!net_parse_ip(ctx->req->ip, addr))
		return false;
	for (size_t i = 0; i < ctx->cfg->nmetrics_readers; i++)
		if (net_cidr_contains(&ctx->cfg->metrics_readers[i], addr))
			return true;
	return false;
}

/* The counts the scripts keep in Redis, by family ("sms_refused:budget_day"). */
static const struct family {
	const char *key;	/* before the colon */
	const char *name, *label, *help;
	const char *const *labels;	/* every value, written even at 0 */
} families[] = {
	{ "sms_sent", "phoneauth_sms_sent_total", "purpose",
	  "Codes (and notices) put in the outbox, by purpose.",
	  (const char *const[]){ "register", "login", "reset", "change", "notice", NULL } },
	{ "sms_refused", "phoneauth_sms_refused_total", "reason",
	  "Codes a send limit refused, by the limit.",
	  (const char *const[]){ "cooldown", "number_hour", "pair_hour", "owner_hour", "device_hour",
	  "client_hour", "prefix_paused", "prefix_hour", "budget_hour", "budget_day",
	  "owner_budget_hour", "owner_budget_day", "conversion", "notice_budget_hour",
	  "notice_budget_day", NULL } },
	{ "sms_paused", "phoneauth_sms_paused_total", "by", "Prefixes the breaker paused.",
	  (const char *const[]){ "conversion", NULL } },
	{ "codes_verified", "phoneauth_codes_verified_total", "purpose",
	  "Codes verified, by purpose.",
	  (const char *const[]){ "register", "login", "reset", "change", NULL } },
	{ "blocks", "phoneauth_blocks_total", "kind", "Blocks begun, of a client or a number.",
	  (const char *const[]){ "ip", "phone", NULL } },
	/* counted as they reach the stream <prefix>events (src/lua/events.lua) */
	{ "events", "phoneauth_events_total", "type", "Events recorded, by type.",
	  (const char *const[]){ "signup.completed", "login.succeeded", "login.failed",
	  "mfa.failed", "password.changed", "phone.changed", "account.deleted", "session.revoked",
	  "token.reused", "block.started", "mfa.enabled", "mfa.disabled", "recovery_codes.renewed",
	  "passkey.added", "passkey.removed", "user.banned", "user.unbanned", NULL } },
};
#define NFAMILIES (sizeof families / sizeof families[0])
#define MAX_LABELS 24

struct redis_counts {
	long long n[NFAMILIES][MAX_LABELS];
};

static void
take_count(const char *name, long long n, void *arg)
{
	struct redis_counts *rc = arg;
	const char *colon = strchr(name, ':');

	for (size_t f = 0; colon != NULL && f < NFAMILIES; f++) {
		if (strncmp(name, families[f].key, (size_t)(colon - name)) != 0 ||
		    families[f].key[colon - name] != '\0')
			continue;
		for (int l = 0; l < MAX_LABELS && families[f].labels[l] != NULL; l++)
			if (strcmp(colon + 1, families[f].labels[l]) == 0)
				rc->n[f][l] = n;
	}
}

static void
write_redis_counts(FILE *f, const struct redis_counts *rc)
{
	for (size_t i = 0; i < NFAMILIES; i++) {
		fprintf(f, "# HELP %s %s (All hosts: kept in Redis.)\n# TYPE %s counter\n",
		    families[i].name, families[i].help, families[i].name);
		for (int l = 0; families[i].labels[l] != NULL; l++)
			fprintf(f, "%s{%s=\"%s\"} %lld\n", families[i].name, families[i].label,
			    families[i].labels[l], rc->n[i][l]);
	}
}

static void
write_event_count(const char *output, const char *result, long long n, void *arg)
{
	fprintf(arg, "phoneauth_event_deliveries_total{output=\"%s\",result=\"%s\"} %lld\n",
	    output, result, n);
}

/* The event outputs (event_deliver.c): tries by result, each configured
 * output's backlog, the dead letters. */
static void
write_events(FILE *f, struct ctx *ctx)
{
	char names[EVENT_OUTPUTS_MAX][48];
	int n = event_output_names(ctx->cfg, names, EVENT_OUTPUTS_MAX);
	struct events_status st;

	fprintf(f, "# HELP phoneauth_event_deliveries_total Tries of the event outputs, by output "
	    "and result: delivered, failed (tried again), dead, skipped (filtered out), refused "
	    "(a notice over the SMS budget). (All hosts: kept in Redis.)\n"
	    "# TYPE phoneauth_event_deliveries_total counter\n");
	(void)events_counts(ctx->rs, write_event_count, f);
	fprintf(f, "# HELP phoneauth_events_pending Events an output has not yet taken.\n"
	    "# TYPE phoneauth_events_pending gauge\n");
	for (int i = 0; i < n; i++) {
		long long backlog;

		if (events_backlog(ctx->rs, names[i], &backlog) == STORE_OK)
			fprintf(f, "phoneauth_events_pending{output=\"%s\"} %lld\n", names[i], backlog);
	}
	if (events_status(ctx->rs, &st) == STORE_OK)
		fprintf(f, "# HELP phoneauth_events_dead Events an output gave up on (phoneauth "
		    "events-dead).\n# TYPE phoneauth_events_dead gauge\nphoneauth_events_dead %lld\n",
		    st.dead);
}

void
route_metrics(struct ctx *ctx)
{
	struct redis_counts rc;
	struct outbox_status outbox;
	bool redis_up, pg_up, have_outbox = false;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	/* Only for the addresses of metrics_allow: to anyone else there is no
	 * such route, and asking costs the stores nothing (no PING). */
	if (!reader_allowed(ctx)) {
		response_error(ctx->resp, ERR_NOT_FOUND, ctx->req->lang);
		return;
	}
	redis_up = rs_ping(ctx->rs);
	pg_up = pg_ping(ctx->pg);
	memset(&rc, 0, sizeof rc);
	if (redis_up) {
		(void)rs_counts(ctx->rs, take_count, &rc);
		have_outbox = outbox_status(ctx->rs, &outbox) == STORE_OK;
	}
	if ((f = open_memstream(&text, &len)) == NULL) {
		ctx_reply_internal(ctx);
		return;
	}
	(void)metrics_write(f, router_route_label);
	if (redis_up) {
		write_redis_counts(f, &rc);
		write_events(f, ctx);
	}
	if (have_outbox)
		fprintf(f, "# HELP phoneauth_outbox_pending Codes in the outbox not yet delivered.\n"
		    "# TYPE phoneauth_outbox_pending gauge\nphoneauth_outbox_pending %lld\n"
		    "# HELP phoneauth_outbox_dead Codes given up on (phoneauth sms-dead).\n"
		    "# TYPE phoneauth_outbox_dead gauge\nphoneauth_outbox_dead %lld\n",
		    outbox.unread + outbox.pending, outbox.dead);
	fprintf(f, "# HELP phoneauth_store_up Whether a store answers (1) or not (0).\n"
	    "# TYPE phoneauth_store_up gauge\nphoneauth_store_up{store=\"redis\"} %d\n"
	    "phoneauth_store_up{store=\"postgres\"} %d\n", redis_up, pg_up);
	if (fclose(f) != 0) {
		free(text);
		ctx_reply_internal(ctx);
		return;
	}
	response_raw(ctx->resp, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}
