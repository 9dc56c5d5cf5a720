/*
 * Strict base64url (see base64url.h). Shared by the WebAuthn verifier and
 * whoever writes its options; it must never accept two spellings of one
 * byte string, nor read or write past the bounds it was given. Not
 * constant-time: it carries challenges and credential ids, which travel in
 * the clear anyway, never a secret key.
 */
#include "phoneauth/base64url.h"

#include <stdint.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The value of a character, or 64 for one outside the alphabet. */
static unsigned
value_of(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return 64;
}

bool
base64url_decode(const char *in, size_t len, unsigned char *out, size_t outsize, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0, i, tail = len % 4;

	*outlen = 0;
	if (tail == 1 || BASE64URL_DECODED_LEN(len) > outsize)
		return false;
	for (i = 0; i + 4 <= len; i += 4) {
		unsigned a = value_of(p[i]), b = value_of(p[i + 1]), c = value_of(p[i + 2]),
		    d = value_of(p[i + 3]);
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;

		if ((a | b | c | d) & 64)
			return false;
		out[o++] = (unsigned char)(v >> 16);
		out[o++] = (unsigned char)(v >> 8);
		out[o++] = (unsigned char)v;
	}
	if (tail > 0) {
		unsigned a = value_of(p[i]), b = value_of(p[i + 1]), c = tail == 3 ? value_of(p[i + 2]) : 0;
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;

		if ((a | b | c) & 64)
			return false;
		/* The bits below the last whole byte must be zero: "QQ" is "A",
		 * and "QR" must not be "A" too. */
		if ((tail == 2 && (b & 15) != 0) || (tail == 3 && (c & 3) != 0))
			return false;
		out[o++] = (unsigned char)(v >> 16);
		if (tail == 3)
			out[o++] = (unsigned char)(v >> 8);
	}
	*outlen = o;
	return true;
}

bool
base64url_encode(const unsigned char *in, size_t len, char *out, size_t outsize)
{
	size_t o = 0, i;

	if (outsize == 0 || BASE64URL_ENCODED_LEN(len) > outsize - 1)
		return false;
	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (len - i > 0) {
		uint32_t v = (uint32_t)in[i] << 16 | (len - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);

		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		if (len - i == 2)
			out[o++] = alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
	return true;
}
