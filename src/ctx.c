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

#include "phoneauth/clock.h"
#include "phoneauth/hasher.h"
#include "phoneauth/log.h"

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
	if (pg_audit_failures(ctx->pg, a->rows, a->n) != PG_OK)
		log_warn("audit: %d failed attempts not recorded (the first: %s from %s)", a->n,
		    a->rows[0].kind, a->rows[0].ip);
	a->n = 0;
	return false;
}

void
ctx_reply_unavailable(struct ctx *ctx)
{
	response_error(ctx->resp, ERR_SERVICE_UNAVAILABLE, ctx->req->lang);
}

void
ctx_reply_internal(struct ctx *ctx)
{
	response_error(ctx->resp, ERR_INTERNAL, ctx->req->lang);
}

void
ctx_reply_blocked(struct ctx *ctx, long retry_ms)
{
	response_retry(ctx->resp, ERR_TOO_MANY_ATTEMPTS, ctx->req->lang, (retry_ms + 999) / 1000);
}

bool
ctx_reply_pg_failure(struct ctx *ctx, enum pg_status st)
{
	if (st == PG_OK)
		return false;
	if (st == PG_UNAVAILABLE)
		ctx_reply_unavailable(ctx);
	else
		ctx_reply_internal(ctx);
	return true;
}

void
ctx_run_after(struct ctx *ctx)
{
	struct after *a = &ctx->after;

	if (a->verified_user != 0 && pg_user_verified(ctx->pg, a->verified_user) != PG_OK)
		log_warn("verification of user %lld not recorded", a->verified_user);
	if (a->rehash_user != 0) {
		char encoded[PASSWORD_ENCODED_MAX];

		if (!hasher_hash(a->password, ctx->cfg->pbkdf2_iterations, encoded) ||
		    pg_user_rehash(ctx->pg, a->rehash_user, encoded) != PG_OK)
			log_warn("password hash of user %lld not upgraded", a->rehash_user);
		else
			log_info("password hash of user %lld upgraded to %ld iterations",
			    a->rehash_user, ctx->cfg->pbkdf2_iterations);
		OPENSSL_cleanse(encoded, sizeof encoded);
	}
	if (a->sweep && pg_refresh_sweep(ctx->pg) != PG_OK)
		log_warn("expired refresh tokens not swept");
	ctx_flush_audit(ctx, false);
}

void
ctx_reset(struct ctx *ctx)
{
	OPENSSL_cleanse(ctx->after.password, sizeof ctx->after.password);
	memset(&ctx->after, 0, sizeof ctx->after);
	ctx->gated = false;
}
