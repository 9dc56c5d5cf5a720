/*
 * base64url without padding (RFC 4648 section 5), as WebAuthn and JOSE write
 * binary values. Decoding is strict, so that one byte string has exactly one
 * accepted spelling: no padding, no byte outside the alphabet (no '+', '/',
 * '=', whitespace or NUL), no length that leaves a single character, and no
 * non-zero bits in the last character beyond what the bytes need.
 */
#ifndef PHONEAUTH_BASE64URL_H
#define PHONEAUTH_BASE64URL_H

#include <stdbool.h>
#include <stddef.h>

/* The bytes that `n` characters decode to (n % 4 == 1 decodes to nothing). */
#define BASE64URL_DECODED_LEN(n) ((n) / 4 * 3 + ((n) % 4 > 1 ? (n) % 4 - 1 : 0))
/* The characters that `n` bytes encode to, without the terminating NUL. */
#define BASE64URL_ENCODED_LEN(n) ((n) / 3 * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/*
 * Decodes `len` characters of `in` into out (outsize bytes), the length in
 * *outlen. False, *outlen 0, when `in` is not strict base64url or its bytes
 * do not fit: nothing is written past outsize. An empty `in` is zero bytes.
 */
bool base64url_decode(const char *in, size_t len, unsigned char *out, size_t outsize,
    size_t *outlen);

/*
 * Encodes `len` bytes into out as a NUL-terminated string; false when out
 * (outsize bytes) cannot hold BASE64URL_ENCODED_LEN(len) + 1.
 */
bool base64url_encode(const unsigned char *in, size_t len, char *out, size_t outsize);

#endif
