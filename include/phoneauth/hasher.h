/*
 * Password hashing off the request path's CPU priority. PBKDF2 at 600000
 * iterations is by far the costliest thing the service does (a few hundred
 * milliseconds of CPU); run at normal priority, a handful of logins would
 * starve every cheap request on the machine. Each worker hashes in a helper
 * thread at nice +10: alone it runs at full speed, under load the cheap
 * requests go first and the logins share what is left.
 */
#ifndef PHONEAUTH_HASHER_H
#define PHONEAUTH_HASHER_H

#include <stdbool.h>

#include "phoneauth/password.h"

#define HASHER_NICE 10

/* Starts the helper thread; without it the calls below hash inline. */
bool hasher_start(void);
void hasher_stop(void);

/* password_verify, password_hash and password_burn, in the helper thread. */
bool hasher_verify(const char *password, const char *encoded, long *iterations);
bool hasher_hash(const char *password, long iterations, char out[PASSWORD_ENCODED_MAX]);
void hasher_burn(const char *password, long iterations);

#endif
