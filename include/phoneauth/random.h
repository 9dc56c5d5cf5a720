/*
 * Secret random bytes for the hot paths (session ids, codes, token ids):
 * OpenSSL's CSPRNG, drawn in blocks. One RAND_bytes() call costs OpenSSL 3
 * about as much as a small HMAC whatever its length, and a register needs
 * two draws; a block serves many. Bytes handed out are wiped from the block.
 * Not for use across fork(): a child would hand out its parent's bytes (the
 * workers and the sender never fork but to exec).
 */
#ifndef PHONEAUTH_RANDOM_H
#define PHONEAUTH_RANDOM_H

#include <stdbool.h>
#include <stddef.h>

/* Fills out with len (at most RANDOM_MAX) bytes; false if RAND_bytes fails. */
#define RANDOM_MAX 64
bool random_bytes(void *out, size_t len);

#endif
