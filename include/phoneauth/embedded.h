/*
 * Files compiled into the program by scripts/embed.sh: the SQL migrations
 * (sql/NNN_name.sql, in order), the Redis scripts (src/lua/NAME.lua) and the
 * OpenAPI description (openapi/openapi.json, the one entry of openapi_json).
 */
#ifndef PHONEAUTH_EMBEDDED_H
#define PHONEAUTH_EMBEDDED_H

#include <stddef.h>

struct embedded {
	const char *name;	/* file name without directory and extension */
	const char *text;
};

extern const struct embedded migrations[];
extern const size_t migrations_count;
extern const struct embedded lua_scripts[];
extern const size_t lua_scripts_count;
extern const struct embedded openapi_json[];
extern const size_t openapi_json_count;

#endif
