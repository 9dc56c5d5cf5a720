/*
 * Internal to the pg_*.c files: a statement of a module beside pg_store.c
 * (pg_passkeys.c), prepared with pg_store.c's own on every connection and
 * run by the same function, so that reconnecting, retries and the mapping
 * of SQLSTATEs to store_status stay in one place.
 */
#ifndef PHONEAUTH_PG_EXEC_H
#define PHONEAUTH_PG_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "phoneauth/pg_store.h"

struct pg_stmt {
	const char *name;
	const char *sql;
	bool retry;		/* safe to run twice (pg_store.c says when) */
};

/*
 * The events of a change (sql/007_events.sql), inserted by the statement
 * that makes it as CTE `name`, one per row of `from` that meets `cond` (no
 * row: no change, no event); none when the event `tmpl` (a parameter: the
 * JSON event_render() wrote) is NULL. `uid`, `phone` and `sid` complete it
 * with what only the statement knows (NULL: as rendered; see event_fill()).
 * A second run of a `retry` statement inserts nothing more: the event's id
 * is its key.
 */
#define EVENT_ADD(name, tmpl, lang, from, cond, uid, phone, sid) \
	" " name " AS (INSERT INTO event_outbox (id, type, lang, event)" \
	"  SELECT (f::json->>'id')::uuid, f::json->>'type', " lang "::text, f FROM" \
	"  (SELECT event_fill(" tmpl "::text, " uid ", " phone ", " sid ") AS f FROM " from \
	"   WHERE " tmpl "::text IS NOT NULL AND " cond ") x ON CONFLICT (id) DO NOTHING RETURNING seq)"
/* A condition that makes the second event of a change wait for the first's
 * CTE `e`, so that their rows (seq) come in the order they happened. */
#define AFTER_E "(SELECT count(*) FROM e) >= 0"
#define NO_UID "NULL::bigint"
#define NO_TEXT "NULL::text"

/* The events of a change as parameters (NULL: none). */
static inline const char *
ev_change(const struct pg_events *ev)
{
	return ev != NULL ? ev->change : NULL;
}

static inline const char *
ev_revoked(const struct pg_events *ev)
{
	return ev != NULL ? ev->revoked : NULL;
}

static inline const char *
ev_again(const struct pg_events *ev)
{
	return ev != NULL ? ev->again : NULL;
}

static inline const char *
ev_lang(const struct pg_events *ev)
{
	return ev != NULL && ev->lang != NULL ? ev->lang : "en";
}

/* pg_passkeys.c's statements. */
extern const struct pg_stmt pg_passkey_stmts[];
extern const size_t pg_passkey_nstmts;

/* Runs a prepared statement: the result (owner: the caller) when it
 * succeeded, else NULL with *st set. */
PGresult *pg_exec_stmt(struct pg_store *pg, const struct pg_stmt *stmt, int n,
    const char *const *values, enum store_status *st);

#endif
