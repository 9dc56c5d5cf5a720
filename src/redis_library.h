/*
 * What the connection (redis_store.c) gives Redis before any call: the
 * function library made of src/lua/ (FUNCTION LOAD'S text and each
 * script's function name), and the configuration values every call starts
 * with, formatted once. Made once per store; nothing here speaks to Redis.
 */
#ifndef PHONEAUTH_REDIS_LIBRARY_H
#define PHONEAUTH_REDIS_LIBRARY_H

#include <stdbool.h>
#include <stddef.h>

#include "phoneauth/config.h"
#include "redis_scripts.h"

struct rs_library {
	char *text;				/* FUNCTION LOAD's argument; owner: this */
	char function[SC__MAX][64];		/* pa_<hash>_<script> */
	char common[RS_COMMON_ARGS * 260 + 32];	/* the common argument, a bulk string of the protocol */
	size_t common_len;
};

/* Makes `lib` for `cfg`; false (and nothing to free) when it cannot. */
bool rs_library_make(struct rs_library *lib, const struct config *cfg);
void rs_library_free(struct rs_library *lib);

#endif
