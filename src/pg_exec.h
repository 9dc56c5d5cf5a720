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

/* pg_passkeys.c's statements. */
extern const struct pg_stmt pg_passkey_stmts[];
extern const size_t pg_passkey_nstmts;

/* Runs a prepared statement: the result (owner: the caller) when it
 * succeeded, else NULL with *st set. */
PGresult *pg_exec_stmt(struct pg_store *pg, const struct pg_stmt *stmt, int n,
    const char *const *values, enum store_status *st);

#endif
