/*
 * PostgreSQL for the commands run by hand (migrate, import-django): a
 * connection of their own, and plain statements whose failure is printed
 * for the person at the terminal. The workers' connection is pg_store's.
 */
#ifndef PHONEAUTH_PG_CLI_H
#define PHONEAUTH_PG_CLI_H

#include <stdbool.h>

#include <libpq-fe.h>

/* Connects to `url` as application `app`; NULL (with the reason printed,
 * naming `what` and the command) when it cannot. */
PGconn *pg_cli_connect(const char *url, const char *app, const char *command, const char *what);

/* Runs `sql` (no parameters) for `command`; false with the error printed,
 * naming the statement. */
bool pg_cli_exec(PGconn *c, const char *command, const char *sql);

#endif
