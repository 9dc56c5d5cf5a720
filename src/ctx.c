/*
 * The per-request context, and the work done after the answer: audit rows
 * go to PostgreSQL only once the client has its answer, so a slow or absent
 * database never delays or fails a request for them. A re-hash (upgrading an
 * old iteration count) runs here for the same reason: it costs a whole
 * PBKDF2. So does the occasional sweep of long-expired refresh tokens.
 */
#include "phoneauth/ctx.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "phoneauth/log.h"

void
ctx_note_failure(struct ctx *ctx, const char *phone, const char *kind)
{
	struct after *a = &ctx->after;

	if (a->nfailures >= AFTER_MAX_FAILURES)
		return;
	snprintf(a->failures[a->nfailures].ip, sizeof a->failures[0].ip, "%s", ctx->req->ip);
	snprintf(a->failures[a->nfailures].phone, sizeof a->failures[0].phone, "%s",
	    phone ? phone : "");
	a->failures[a->nfailures].kind = kind;
	a->nfailures++;
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

	for (int i = 0; i < a->nfailures; i++) {
		const char *phone = a->failures[i].phone[0] ? a->failures[i].phone : NULL;

		if (pg_audit_failure(ctx->pg, a->failures[i].ip, phone, a->failures[i].kind) != PG_OK)
			log_warn("audit: failed attempt (%s from %s) not recorded",
			    a->failures[i].kind, a->failures[i].ip);
	}
	if (a->verified_user != 0 && pg_user_verified(ctx->pg, a->verified_user) != PG_OK)
		log_warn("verification of user %lld not recorded", a->verified_user);
	if (a->rehash_user != 0) {
		char encoded[PASSWORD_ENCODED_MAX];

		if (!password_hash(a->password, ctx->cfg->pbkdf2_iterations, encoded) ||
		    pg_user_rehash(ctx->pg, a->rehash_user, encoded) != PG_OK)
			log_warn("password hash of user %lld not upgraded", a->rehash_user);
		else
			log_info("password hash of user %lld upgraded to %ld iterations",
			    a->rehash_user, ctx->cfg->pbkdf2_iterations);
		OPENSSL_cleanse(encoded, sizeof encoded);
	}
	if (a->sweep && pg_refresh_sweep(ctx->pg) != PG_OK)
		log_warn("expired refresh tokens not swept");
}

void
ctx_reset(struct ctx *ctx)
{
	OPENSSL_cleanse(ctx->after.password, sizeof ctx->after.password);
	memset(&ctx->after, 0, sizeof ctx->after);
	ctx->gated = false;
}
