/*
 * `phoneauth migrate`: the schema of sql/, compiled into the program.
 */
#ifndef PHONEAUTH_PG_MIGRATE_H
#define PHONEAUTH_PG_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "phoneauth/config.h"
#include "phoneauth/embedded.h"

/*
 * Applies the migrations not yet recorded in schema_migrations, in order,
 * each in its own transaction, under an advisory lock so that two programs
 * migrating at once do not collide. Prints what it applied to stdout.
 */
bool pg_migrate(const struct config *cfg, const struct embedded *list, size_t count);

#endif
