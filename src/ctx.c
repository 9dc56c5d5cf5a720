/*
 * The per-request context, and the work done after the answer: audit rows
 * go to PostgreSQL only once the client has its answer, in batches, so a slow
 * or absent database never delays or fails a request for them. A re-hash (upgrading an
 * old iteration count) runs here for the same reason: it costs a whole
 * PBKDF2. So does the occasional sweep of long-expired refresh tokens.
 */
#include "phoneauth/ctx.h"

#include <stdio.h>
#include <time.h>
#include <string.h>

#include <openssl/crypto.h>

#include "phoneauth/store_account_index.h"
#include "phoneauth/clock.h"
#include "phoneauth/hasher.h"
#include "phoneauth/log.h"

#define AUDIT_SWEEP_MS (10 * 60 * 1000)
/* A worker that finds the account index not whole tries to rebuild it at
 * most every second (a rebuild another worker holds costs one Redis call to
 * find out), and 5 s after a try that failed (a store away: three calls that
 * fail fast), so that the index is whole again seconds after its stores are. */
#define REINDEX_WAIT_MS 1000
#define REINDEX_FAILED_WAIT_MS 5000

void
ctx_note_failure(struct ctx *ctx, const char *phone, const char *kind)
{
	struct audit *a = &ctx->audit;
	struct audit_row *row;

	if (a->n == (int)(sizeof a->rows / sizeof a->rows[0]))
		ctx_flush_audit(ctx, true);	/* cannot happen: flushed at AUDIT_BATCH */
	row = &a->rows[a->n++];
	snprintf(row->ip, sizeof row->ip, "%s", ctx->req->ip);
	snprintf(row->phone, sizeof row->phone, "%s", phone ? phone : "");
	row->kind = kind;
	row->at = clock_wall_seconds();
}

bool
ctx_flush_audit(struct ctx *ctx, bool force)
{
	struct audit *a = &ctx->audit;

	if (a->n == 0)
		return false;
	if (!force && a->n < AUDIT_BATCH && clock_wall_seconds() - a->rows[0].at < 1.0)
		return true;
	if (pg_audit_failures(ctx->pg, a->rows, a->n) != STORE_OK)
		log_warn("audit: %d failed attempts not recorded (the first: %s from %s)", a->n,
		    a->rows[0].kind, a->rows[0].ip);
	a->n = 0;
	/* The table would grow forever under attack: whoever writes to it
	 * also sweeps it, at the first batch, then every AUDIT_SWEEP_MS, and at
	 * every batch while a sweep still finds a full batch to delete (an
	 * attack of 90 days ago is being swept as fast as it was written). */
	if (clock_monotonic_ms() >= a->next_sweep_ms) {
		long deleted = 0;

		if (pg_audit_sweep(ctx->pg, ctx->cfg->audit_retention_days, &deleted) != STORE_OK)
			log_warn("audit: failed attempts older than %ld days not swept",
			    ctx->cfg->audit_retention_days);
		a->next_sweep_ms = deleted == PG_AUDIT_SWEEP_BATCH ? 0
		    : clock_monotonic_ms() + AUDIT_SWEEP_MS;
	}
	return false;
}

void
ctx_reply_internal(struct ctx *ctx)
{
	response_error(ctx->resp, ERR_INTERNAL, ctx->req->lang);
}

bool
ctx_store_or_reply(struct ctx *ctx, enum store_status st)
{
	if (st == STORE_OK)
		return true;
	response_error(ctx->resp, st == STORE_UNAVAILABLE ? ERR_SERVICE_UNAVAILABLE : ERR_INTERNAL,
	    ctx->req->lang);
	return false;
}

void
ctx_run_after(struct ctx *ctx)
{
	struct after *a = &ctx->after;

	if (a->rehash_user != 0) {
		char encoded[PASSWORD_ENCODED_MAX];

		if (!hasher_hash(a->password, ctx->cfg->pbkdf2_iterations, encoded) ||
		    pg_user_rehash(ctx->pg, a->rehash_user, a->rehash_credentials, encoded) != STORE_OK)
			log_warn("password hash of user %lld not upgraded", a->rehash_user);
		else
			log_info("password hash of user %lld upgraded to %ld iterations",
			    a->rehash_user, ctx->cfg->pbkdf2_iterations);
		OPENSSL_cleanse(encoded, sizeof encoded);
	}
	/* One worker rebuilds the account index (the others find it taken). */
	if (a->reindex && clock_monotonic_ms() >= ctx->next_reindex_ms) {
		bool done = account_index_rebuild(ctx->pg, ctx->rs, NULL);

		ctx->next_reindex_ms = clock_monotonic_ms() +
		    (done ? REINDEX_WAIT_MS : REINDEX_FAILED_WAIT_MS);
	}
	if (a->sweep && pg_refresh_sweep(ctx->pg) != STORE_OK)
		log_warn("expired refresh tokens not swept");
	ctx_flush_audit(ctx, false);
}

void
ctx_reset(struct ctx *ctx)
{
	OPENSSL_cleanse(ctx->after.password, sizeof ctx->after.password);
	memset(&ctx->after, 0, sizeof ctx->after);
	ctx->gated = false;
	ctx->tried_device[0] = '\0';
	response_reset(ctx->resp);
	request_reset(ctx->req);
}

void
ctx_login_origin(const struct ctx *ctx, struct login_origin *out)
{
	const char *ua = request_param(ctx->req, P_USER_AGENT);
	size_t i;

	memset(out, 0, sizeof *out);
	snprintf(out->ip, sizeof out->ip, "%s", ctx->req->ip);
	if (ua == NULL)
		return;
	/* A header is whatever the client wrote: the column holds text. */
	for (i = 0; i < LOGIN_AGENT_MAX && ua[i] != '\0'; i++)
		out->user_agent[i] = ua[i] >= 0x20 && ua[i] < 0x7f ? ua[i] : '?';
	out->user_agent[i] = '\0';
	out->has_user_agent = true;
}
