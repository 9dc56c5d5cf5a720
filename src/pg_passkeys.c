/*
 * PostgreSQL's part of passkeys (pg_passkeys.h): the statements of
 * sql/008_passkeys.sql's tables, prepared and run by pg_store.c
 * (pg_exec.h), as pg_store.c runs its own.
 */
#include "phoneauth/pg_passkeys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phoneauth/log.h"

#include "pg_exec.h"

#define ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

enum pk_stmt { PK_HANDLE, PK_LIST, PK_COUNT, PK_ADD, PK_KEY, PK_USED, PK_DELETE, PK__MAX };

const struct pg_stmt pg_passkey_stmts[PK__MAX] = {
	/* The account's handle: made once (two requests at once: the first
	 * insert wins, the other finds it). */
	[PK_HANDLE] = { "passkey_handle",
	    "WITH n AS (INSERT INTO passkey_handles (user_id, handle)"
	    "  SELECT id, $2::text FROM users WHERE id = $1::bigint"
	    "  ON CONFLICT (user_id) DO NOTHING RETURNING handle)"
	    " SELECT handle FROM n UNION ALL"
	    " SELECT handle FROM passkey_handles WHERE user_id = $1::bigint", true },
	[PK_LIST] = { "passkey_list",
	    "SELECT credential_id, name, " ISO("created_at") ", " ISO("last_used_at")
	    " FROM passkeys WHERE user_id = $1::bigint ORDER BY created_at, credential_id", true },
	[PK_COUNT] = { "passkey_count",
	    "SELECT count(*) FROM passkeys WHERE user_id = $1::bigint", true },
	/* Not marked retry: a second run would meet its own row (23505). */
	[PK_ADD] = { "passkey_add",
	    "WITH a AS (INSERT INTO passkeys (credential_id, user_id, public_key, alg, sign_count,"
	    "  aaguid, transports, name)"
	    " SELECT $2::text, id, decode($3::text, 'hex'), $4::int, $5::bigint, $6::uuid,"
	    "  string_to_array($7::text, ','), $8::text FROM users"
	    " WHERE id = $1::bigint AND NOT is_banned RETURNING created_at),"
	    EVENT_ADD("e", "$9", "$10", "a", "true", NO_UID, NO_TEXT, NO_TEXT)
	    " SELECT " ISO("created_at") " FROM a", false },
	[PK_KEY] = { "passkey_key",
	    "SELECT p.user_id, coalesce(h.handle, ''), encode(p.public_key, 'hex'), p.alg,"
	    "  p.sign_count FROM passkeys p LEFT JOIN passkey_handles h USING (user_id)"
	    " WHERE p.credential_id = $1::text", true },
	[PK_USED] = { "passkey_used",
	    "UPDATE passkeys SET sign_count = $4::bigint, last_used_at = now()"
	    " WHERE credential_id = $1::text AND user_id = $2::bigint"
	    " AND (sign_count = $3::bigint OR sign_count = $4::bigint) RETURNING 1", true },
	[PK_DELETE] = { "passkey_delete",
	    "WITH d AS (DELETE FROM passkeys WHERE user_id = $1::bigint AND credential_id = $2::text"
	    " RETURNING 1),"
	    EVENT_ADD("e", "$3", "$4", "d", "true", NO_UID, NO_TEXT, NO_TEXT)
	    " SELECT 1 FROM d", true },
};
const size_t pg_passkey_nstmts = PK__MAX;

static void
fmt_id(char buf[24], long long id)
{
	snprintf(buf, 24, "%lld", id);
}

/* The first column of the first row into out (may be NULL); STORE_NOT_FOUND
 * for no row. */
static enum store_status
first(struct pg_store *pg, enum pk_stmt s, int n, const char *const *v, char *out,
    size_t outlen)
{
	enum store_status st;
	PGresult *r = pg_exec_stmt(pg, &pg_passkey_stmts[s], n, v, &st);

	if (r == NULL)
		return st;
	if (PQntuples(r) == 0) {
		st = STORE_NOT_FOUND;
	} else if (out != NULL && (size_t)PQgetlength(r, 0, 0) >= outlen) {
		log_error("postgres: %s: a value longer than ours", pg_passkey_stmts[s].name);
		st = STORE_ERROR;
	} else if (out != NULL) {
		memcpy(out, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0) + 1);
	}
	PQclear(r);
	return st;
}

enum store_status
pg_passkey_handle(struct pg_store *pg, long long user_id, const char *fresh,
    char out[PG_HANDLE_MAX])
{
	char idbuf[24];
	const char *v[] = { idbuf, fresh };

	fmt_id(idbuf, user_id);
	return first(pg, PK_HANDLE, 2, v, out, PG_HANDLE_MAX);
}

enum store_status
pg_passkeys_list(struct pg_store *pg, long long user_id,
    void (*each)(const struct pg_passkey *p, void *arg), void *arg, int *n)
{
	char idbuf[24];
	const char *v[] = { idbuf };
	enum store_status st;
	PGresult *r;

	*n = 0;
	fmt_id(idbuf, user_id);
	if ((r = pg_exec_stmt(pg, &pg_passkey_stmts[PK_LIST], 1, v, &st)) == NULL)
		return st;
	for (int i = 0; i < PQntuples(r); i++) {
		struct pg_passkey p;

		memset(&p, 0, sizeof p);
		snprintf(p.id, sizeof p.id, "%s", PQgetvalue(r, i, 0));
		snprintf(p.name, sizeof p.name, "%s", PQgetvalue(r, i, 1));
		snprintf(p.created_at, sizeof p.created_at, "%s", PQgetvalue(r, i, 2));
		p.has_last_used = !PQgetisnull(r, i, 3);
		snprintf(p.last_used_at, sizeof p.last_used_at, "%s", PQgetvalue(r, i, 3));
		each(&p, arg);
		(*n)++;
	}
	PQclear(r);
	return STORE_OK;
}

enum store_status
pg_passkeys_count(struct pg_store *pg, long long user_id, int *n)
{
	char idbuf[24], count[24] = "0";
	const char *v[] = { idbuf };
	enum store_status st;

	fmt_id(idbuf, user_id);
	st = first(pg, PK_COUNT, 1, v, count, sizeof count);
	*n = st == STORE_OK ? atoi(count) : 0;
	return st;
}

static void
hex(const unsigned char *b, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * len] = '\0';
}

static int
unhex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

enum store_status
pg_passkey_add(struct pg_store *pg, long long user_id, const char *id,
    const struct webauthn_credential *c, const char *transports, const char *name,
    const struct pg_events *ev, struct pg_passkey *out)
{
	char idbuf[24], key[2 * WEBAUTHN_PUBLIC_KEY_MAX + 1], alg[16], count[16], aaguid[40];
	const char *v[] = { idbuf, id, key, alg, count, aaguid, transports, name, ev_change(ev),
		ev_lang(ev) };
	enum store_status st;

	memset(out, 0, sizeof *out);
	fmt_id(idbuf, user_id);
	hex(c->public_key, c->public_key_len, key);
	snprintf(alg, sizeof alg, "%d", c->alg);
	snprintf(count, sizeof count, "%lu", (unsigned long)c->sign_count);
	hex(c->aaguid, sizeof c->aaguid, aaguid);	/* 32 digits: a uuid's text */
	st = first(pg, PK_ADD, 10, v, out->created_at, sizeof out->created_at);
	if (st == STORE_OK) {
		snprintf(out->id, sizeof out->id, "%s", id);
		snprintf(out->name, sizeof out->name, "%s", name);
	}
	return st;
}

enum store_status
pg_passkey_key(struct pg_store *pg, const char *id, struct pg_passkey_key *out)
{
	const char *v[] = { id };
	enum store_status st;
	PGresult *r;
	const char *key;
	size_t len;

	memset(out, 0, sizeof *out);
	if ((r = pg_exec_stmt(pg, &pg_passkey_stmts[PK_KEY], 1, v, &st)) == NULL)
		return st;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOT_FOUND;
	}
	key = PQgetvalue(r, 0, 2);
	len = (size_t)PQgetlength(r, 0, 2);
	if (len % 2 != 0 || len / 2 > sizeof out->public_key ||
	    (size_t)PQgetlength(r, 0, 1) >= sizeof out->handle) {
		log_error("postgres: passkey_key: a row that is not one we wrote");
		PQclear(r);
		return STORE_ERROR;
	}
	out->user_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	snprintf(out->handle, sizeof out->handle, "%s", PQgetvalue(r, 0, 1));
	for (size_t i = 0; i < len / 2; i++) {
		int hi = unhex_digit(key[2 * i]), lo = unhex_digit(key[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			PQclear(r);
			return STORE_ERROR;
		}
		out->public_key[i] = (unsigned char)(hi << 4 | lo);
	}
	out->public_key_len = len / 2;
	out->alg = atoi(PQgetvalue(r, 0, 3));
	out->sign_count = (uint32_t)strtoul(PQgetvalue(r, 0, 4), NULL, 10);
	PQclear(r);
	return STORE_OK;
}

enum store_status
pg_passkey_used(struct pg_store *pg, const char *id, long long user_id, uint32_t was,
    uint32_t count)
{
	char idbuf[24], wasbuf[16], countbuf[16];
	const char *v[] = { id, idbuf, wasbuf, countbuf };

	fmt_id(idbuf, user_id);
	snprintf(wasbuf, sizeof wasbuf, "%lu", (unsigned long)was);
	snprintf(countbuf, sizeof countbuf, "%lu", (unsigned long)count);
	return first(pg, PK_USED, 4, v, NULL, 0);
}

enum store_status
pg_passkey_delete(struct pg_store *pg, long long user_id, const char *id,
    const struct pg_events *ev)
{
	char idbuf[24];
	const char *v[] = { idbuf, id, ev_change(ev), ev_lang(ev) };

	fmt_id(idbuf, user_id);
	return first(pg, PK_DELETE, 4, v, NULL, 0);
}
