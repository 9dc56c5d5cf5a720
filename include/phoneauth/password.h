/*
 * Passwords: PBKDF2-HMAC-SHA256 in Django's encoding,
 * "pbkdf2_sha256$<iterations>$<salt>$<base64 hash>", so users move between
 * a Django database and this one with their hashes as they are.
 */
#ifndef PHONEAUTH_PASSWORD_H
#define PHONEAUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "phoneauth/blocklist.h"

#define PASSWORD_ENCODED_MAX 128
#define PASSWORD_MIN_CHARS 8	/* the floor; password_min_length may raise it */
#define PASSWORD_MAX_CHARS 128

enum password_problem {
	PASSWORD_OK,
	PASSWORD_TOO_SHORT,
	PASSWORD_TOO_LONG,
	PASSWORD_COMMON,		/* in the blocklist */
	PASSWORD_CONTAINS_NUMBER,
};

/*
 * The rules of the contract (API.md "Passwords"; NIST SP 800-63B-4
 * 3.1.1.2): `min_chars` to PASSWORD_MAX_CHARS code points, not in
 * `common` (compared case-insensitively), not containing `phone` (the
 * stored form of the account's number; NULL or "" for none) in any of its
 * forms. No composition rule: digits only, letters only, anything goes.
 */
enum password_problem password_check_policy(const char *password, const char *phone,
    long min_chars, const struct blocklist *common);

/* Hashes with a fresh random salt. False only if OpenSSL fails. */
bool password_hash(const char *password, long iterations,
    char out[PASSWORD_ENCODED_MAX]);

/* Same, with a given salt: for tests against Django's own output. */
bool password_hash_with_salt(const char *password, const char *salt,
    long iterations, char out[PASSWORD_ENCODED_MAX]);

/* The parts of an encoded hash; pointers into the encoded string. */
struct password_encoded {
	long iterations;		/* 1 to INT_MAX */
	const char *salt;		/* salt_len bytes, no '$' */
	size_t salt_len;
	const char *hash;		/* the 44 characters of base64 at the end */
};

/* Whether `encoded` is "pbkdf2_sha256$<iterations>$<salt>$<44 characters>";
 * its parts into `out`. What password_verify() reads. */
bool password_parse(const char *encoded, struct password_encoded *out);

/*
 * True if `password` matches `encoded` (any iteration count). `*iterations`
 * receives the count found in `encoded` (0 if unparsable), so the caller
 * can upgrade an old hash.
 */
bool password_verify(const char *password, const char *encoded, long *iterations);

/* Spends the time a verification at `iterations` takes, for unknown users. */
void password_burn(const char *password, long iterations);

#endif
