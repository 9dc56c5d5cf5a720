/*
 * The relay's side of event_outbox (see pg_events.h). Statements with
 * parameters apart from the SQL (PQexecParams); a connection that fails is
 * dropped and made again on the next call, whose transaction it ended.
 */
#include "phoneauth/pg_events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "phoneauth/log.h"

struct pg_events_conn {
	const struct config *cfg;
	PGconn *conn;
	bool down_logged;
};

struct pg_events_conn *
pg_events_new(const struct config *cfg)
{
	struct pg_events_conn *pe = calloc(1, sizeof *pe);

	if (pe != NULL)
		pe->cfg = cfg;
	return pe;
}

void
pg_events_free(struct pg_events_conn *pe)
{
	if (pe == NULL)
		return;
	PQfinish(pe->conn);
	free(pe);
}

static void
drop(struct pg_events_conn *pe)
{
	PQfinish(pe->conn);
	pe->conn = NULL;
}

static bool
connected(struct pg_events_conn *pe)
{
	const char *keys[] = { "connect_timeout", "application_name", "options", "dbname", NULL };
	const char *vals[] = { "3", "phoneauth-relay", "-c statement_timeout=5000",
		pe->cfg->postgres_url, NULL };

	if (pe->conn != NULL && PQstatus(pe->conn) == CONNECTION_OK)
		return true;
	drop(pe);
	pe->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(pe->conn) == CONNECTION_OK) {
		if (pe->down_logged)
			log_info("events: PostgreSQL is back");
		pe->down_logged = false;
		return true;
	}
	if (!pe->down_logged)
		log_warn("events: PostgreSQL cannot be reached: %s", PQerrorMessage(pe->conn));
	pe->down_logged = true;
	drop(pe);
	return false;
}

/* Runs `sql`; the result (owner: the caller) when it succeeded, else NULL
 * with the connection dropped (its transaction ends with it). */
static PGresult *
run(struct pg_events_conn *pe, const char *sql, int n, const char *const *values)
{
	PGresult *r = PQexecParams(pe->conn, sql, n, NULL, values, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(r);

	if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)
		return r;
	log_warn("events: PostgreSQL: %s", PQresultErrorMessage(r));
	PQclear(r);
	drop(pe);
	return NULL;
}

static bool
run_plain(struct pg_events_conn *pe, const char *sql)
{
	PGresult *r = run(pe, sql, 0, NULL);

	PQclear(r);
	return r != NULL;
}

enum store_status
pg_events_take(struct pg_events_conn *pe, struct pg_event_row *rows, int max, int *n)
{
	char limit[16];
	const char *v[] = { limit };
	PGresult *r;

	*n = 0;
	if (!connected(pe) || !run_plain(pe, "BEGIN"))
		return STORE_UNAVAILABLE;
	snprintf(limit, sizeof limit, "%d", max);
	r = run(pe, "SELECT seq, lang, event FROM event_outbox ORDER BY seq LIMIT $1::int"
	    " FOR UPDATE SKIP LOCKED", 1, v);
	if (r == NULL)
		return STORE_UNAVAILABLE;
	for (int i = 0; i < PQntuples(r) && *n < max; i++) {
		struct pg_event_row *row = &rows[*n];

		if ((size_t)PQgetlength(r, i, 2) >= sizeof row->event) {
			log_error("events: event_outbox row %s is longer than any event of ours; left "
			    "there", PQgetvalue(r, i, 0));
			continue;
		}
		row->seq = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		snprintf(row->lang, sizeof row->lang, "%s", PQgetvalue(r, i, 1));
		memcpy(row->event, PQgetvalue(r, i, 2), (size_t)PQgetlength(r, i, 2) + 1);
		(*n)++;
	}
	PQclear(r);
	if (*n == 0)
		pg_events_abort(pe);
	return STORE_OK;
}

enum store_status
pg_events_done(struct pg_events_conn *pe, const struct pg_event_row *rows, int n)
{
	char list[64 * 24] = "{";
	const char *v[] = { list };
	size_t len = 1;
	PGresult *r;

	for (int i = 0; i < n && len + 24 < sizeof list; i++)
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%lld", i ? "," : "",
		    rows[i].seq);
	snprintf(list + len, sizeof list - len, "}");
	if (pe->conn == NULL)
		return STORE_UNAVAILABLE;
	r = run(pe, "DELETE FROM event_outbox WHERE seq = ANY ($1::bigint[])", 1, v);
	if (r == NULL)
		return STORE_UNAVAILABLE;
	PQclear(r);
	return run_plain(pe, "COMMIT") ? STORE_OK : STORE_UNAVAILABLE;
}

void
pg_events_abort(struct pg_events_conn *pe)
{
	if (pe->conn != NULL)
		(void)run_plain(pe, "ROLLBACK");
}
