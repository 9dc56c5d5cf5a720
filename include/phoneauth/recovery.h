/*
 * Recovery codes: RECOVERY_COUNT codes of 85 random bits each, 17 base32
 * characters shown in lower case as xxxxx-xxxxx-xxxxx-xx, used once each.
 * Stored only as HMAC-SHA256(key, binding ":" CODE), CODE the 17 characters
 * in upper case and binding what the caller ties the set to (the user id):
 * a hash copied into another account's set matches nothing there. The key
 * is derived from the service's data key (seal.h), so a copy of the
 * database alone cannot even be searched for codes; 85 random bits need
 * no slow hash.
 */
#ifndef PHONEAUTH_RECOVERY_H
#define PHONEAUTH_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>

#define RECOVERY_COUNT 10
#define RECOVERY_CHARS 17		/* base32 characters: 85 bits */
#define RECOVERY_DISPLAY_LEN 20		/* xxxxx-xxxxx-xxxxx-xx */
#define RECOVERY_INPUT_MAX 64		/* bytes of what a user may type */
#define RECOVERY_HASH_LEN 32
#define RECOVERY_BINDING_MAX 128

struct recovery_key {
	unsigned char bytes[32];
};

/* HMAC-SHA256(secret, "phoneauth recovery code key v1"); secret: the data
 * key (struct seal_key's bytes). */
bool recovery_key_derive(const unsigned char *secret, size_t secretlen,
    struct recovery_key *key);
void recovery_key_wipe(struct recovery_key *key);

/* A fresh set of RECOVERY_COUNT distinct codes in their display form. */
bool recovery_generate(char codes[RECOVERY_COUNT][RECOVERY_DISPLAY_LEN + 1]);

/*
 * What a user typed (at most RECOVERY_INPUT_MAX bytes) as the 17 upper-case
 * characters of a code: either case, '-' and blanks anywhere, Persian and
 * Arabic-Indic digits as ASCII ones. False, out "", for anything else.
 */
bool recovery_normalize(const char *in, char out[RECOVERY_CHARS + 1]);

/*
 * The stored hash of a code (any form recovery_normalize takes) for binding
 * (1 to RECOVERY_BINDING_MAX bytes). False if the code is not one or
 * OpenSSL fails.
 */
bool recovery_hash(const struct recovery_key *key, const char *binding, const char *code,
    unsigned char out[RECOVERY_HASH_LEN]);

/*
 * The index in stored[0..n) of the hash equal to `hash`, or -1. Every stored
 * hash is compared, in constant time, whichever matches.
 */
int recovery_match(const unsigned char (*stored)[RECOVERY_HASH_LEN], size_t n,
    const unsigned char hash[RECOVERY_HASH_LEN]);

#endif
