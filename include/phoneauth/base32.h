/*
 * RFC 4648 base32 (the alphabet A-Z 2-7), as authenticator apps show TOTP
 * secrets: upper case and no padding on output. Decoding is strict about
 * what a secret can be (only the alphabet, a canonical last character,
 * padding only where RFC 4648 puts it) and lenient only where apps differ:
 * lower case, and padding left off. Neither direction indexes a table with
 * the data, since the data is secret (TOTP secrets, recovery codes).
 */
#ifndef PHONEAUTH_BASE32_H
#define PHONEAUTH_BASE32_H

#include <stdbool.h>
#include <stddef.h>

/* Characters of n bytes in base32 without padding (the NUL not counted). */
#define BASE32_LEN(n) (((n) * 8 + 4) / 5)

/*
 * Writes len bytes as base32 and a NUL into out. False, with out "" (when
 * outlen > 0), if outlen < BASE32_LEN(len) + 1.
 */
bool base32_encode(const void *in, size_t len, char *out, size_t outlen);

/*
 * Decodes the len characters of in into at most outcap bytes; *outlen gets
 * their number. False (*outlen 0, nothing of in left in out) for a
 * character outside the alphabet, a length no encoding has (1, 3 or 6 data
 * characters past a multiple of 8), padding that is wrong or not at the end,
 * unused bits that are not zero, or more bytes than outcap.
 */
bool base32_decode(const char *in, size_t len, unsigned char *out, size_t outcap,
    size_t *outlen);

#endif
