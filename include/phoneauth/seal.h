/*
 * Secrets at rest (TOTP secrets, in PostgreSQL and in Redis while a setup is
 * pending): AES-256-GCM under the 32-byte key of data_key_file, as text
 *
 *   v1.<base64url nonce>.<base64url ciphertext and tag>
 *
 * (base64url without padding; the nonce is 96 random bits, the tag 128).
 * The caller's binding (e.g. "totp:<user id>") is authenticated with it: a
 * sealed value moved to another row, account or purpose does not open.
 */
#ifndef PHONEAUTH_SEAL_H
#define PHONEAUTH_SEAL_H

#include <stdbool.h>
#include <stddef.h>

#define SEAL_KEY_LEN 32
#define SEAL_PLAIN_MAX 1024		/* bytes sealed at once */
#define SEAL_BINDING_MAX 256
/* The text of SEAL_PLAIN_MAX bytes and its NUL. */
#define SEAL_TEXT_MAX (3 + 16 + 1 + ((SEAL_PLAIN_MAX + 16) * 4 + 2) / 3 + 1)
/* The text of len bytes, NUL not counted. */
#define SEAL_TEXT_LEN(len) (3 + 16 + 1 + (((len) + 16) * 4 + 2) / 3)

struct seal_key {
	unsigned char bytes[SEAL_KEY_LEN];
};

/*
 * Reads data_key_file: 32 bytes, written either as 64 hex digits (with or
 * without a final newline; what `openssl rand -hex 32` writes, as the JWT
 * secret is made) or as 32 raw bytes. It is refused, with one line naming
 * data_key_file in why, when it is missing or unreadable, not a regular
 * file, of another length or form, or open to others: any permission for
 * others, or write permission for the group (group read is fine: the package
 * makes its keys root:phoneauth 0640).
 */
bool seal_key_load(const char *path, struct seal_key *key, char *why, size_t whylen);
void seal_key_wipe(struct seal_key *key);

/*
 * Seals len (at most SEAL_PLAIN_MAX) bytes bound to `binding` (1 to
 * SEAL_BINDING_MAX bytes) into out (outlen > SEAL_TEXT_LEN(len)), with a
 * fresh random nonce. False, out "", if an argument is out of bounds or
 * OpenSSL or the CSPRNG fails.
 */
bool seal_encrypt(const struct seal_key *key, const void *plain, size_t len,
    const char *binding, char *out, size_t outlen);

/*
 * Opens text sealed under key with the same binding into plain (cap bytes;
 * *len gets how many). False, with nothing written to plain kept, for
 * anything else: another key or binding, a changed or truncated text, an
 * unknown version, text longer than SEAL_TEXT_MAX, a cap too small.
 */
bool seal_decrypt(const struct seal_key *key, const char *text, const char *binding,
    void *plain, size_t cap, size_t *len);

#endif
