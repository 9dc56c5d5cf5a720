/*
 * Signing keys: the HS256 secret, or an RS256/ES256 private key with the
 * public half derived from it once at start — its PEM for verification, its
 * JWK and its RFC 7638 thumbprint (the `kid` of every token and of the JWKS).
 */
#ifndef PHONEAUTH_KEYS_H
#define PHONEAUTH_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "phoneauth/config.h"

struct keys {
	int alg;			/* enum token_alg */
	const unsigned char *sign;	/* secret or private PEM; owner: the config */
	size_t sign_len;
	char *verify;			/* HS256: the secret again; else public PEM; owner: this */
	size_t verify_len;
	char *jwks;			/* {"keys":[...]} or NULL for HS256; owner: this */
	char kid[64];			/* "" for HS256 */
};

/*
 * Prepares the keys of the configuration. A private key of the wrong kind
 * (an EC key for RS256, RSA under 2048 bits, a curve other than P-256) is
 * refused with one line naming jwt_private_key_file in `err`.
 */
bool keys_load(const struct config *cfg, struct keys *keys, char *err, size_t errlen);
void keys_free(struct keys *keys);

/* Writes a new private key for `alg` ("rs256" or "es256") as PEM to `path`
 * (mode 0600, never over an existing file) or, with path NULL, to stdout. */
bool keys_generate(const char *alg, const char *path, char *err, size_t errlen);

#endif
