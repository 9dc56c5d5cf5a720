/*
 * `phoneauth migrate`: the SQL of sql/ (compiled in, in order) applied to
 * the database of postgres_url, each migration not yet recorded in
 * schema_migrations in a transaction of its own, under an advisory lock so
 * that two programs migrating at once do not collide. Never run by a worker.
 */
#include "phoneauth/pg_migrate.h"

#include <stdio.h>

#include "phoneauth/pg_cli.h"

#define CMD "migrate"

bool
pg_migrate(const struct config *cfg, const struct embedded *list, size_t count)
{
	PGconn *c = pg_cli_connect(cfg->postgres_url, "phoneauth-migrate", CMD,
	    "postgres_url");
	bool ok = false;
	int applied = 0;

	if (c == NULL)
		return false;
	if (!pg_cli_exec(c, CMD, "SET client_min_messages = warning") ||
	    !pg_cli_exec(c, CMD, "SELECT pg_advisory_lock(hashtext('phoneauth migrate'))") ||
	    !pg_cli_exec(c, CMD, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"))
		goto out;
	for (size_t i = 0; i < count; i++) {
		const char *v[] = { list[i].name };
		PGresult *r = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1",
		    1, NULL, v, NULL, NULL, 0);
		bool done = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
		bool failed = PQresultStatus(r) != PGRES_TUPLES_OK;

		PQclear(r);
		if (failed) {
			fprintf(stderr, "phoneauth: migrate: %s", PQerrorMessage(c));
			goto out;
		}
		if (done)
			continue;
		if (!pg_cli_exec(c, CMD, "BEGIN"))
			goto out;
		if (!pg_cli_exec(c, CMD, list[i].text)) {
			fprintf(stderr, "phoneauth: migrate: %s not applied\n", list[i].name);
			goto out;
		}
		r = PQexecParams(c, "INSERT INTO schema_migrations (version) VALUES ($1)",
		    1, NULL, v, NULL, NULL, 0);
		failed = PQresultStatus(r) != PGRES_COMMAND_OK;
		PQclear(r);
		if (failed || !pg_cli_exec(c, CMD, "COMMIT"))
			goto out;
		printf("migrate: applied %s\n", list[i].name);
		applied++;
	}
	if (applied == 0)
		printf("migrate: schema is up to date (%zu migrations)\n", count);
	ok = true;
out:
	PQfinish(c);	/* ends any open transaction and releases the lock */
	return ok;
}
