/* PostgreSQL for the commands run by hand (see pg_cli.h). */
#include "phoneauth/pg_cli.h"

#include <stdio.h>
#include <string.h>

PGconn *
pg_cli_connect(const char *url, const char *app, const char *command, const char *what)
{
	const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *vals[] = { "10", app, url, NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "phoneauth: %s: cannot connect to %s: %s", command, what,
		    PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

bool
pg_cli_exec(PGconn *c, const char *command, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "phoneauth: %s: %.60s%s: %s", command, sql, strlen(sql) > 60 ? "..." : "",
		    PQresultErrorMessage(r));
	PQclear(r);
	return ok;
}
