/*
 * Base32 (see base32.h). The characters are computed, not looked up: a
 * table indexed by secret bits is a cache side channel, however small. This
 * file must never accept two spellings of one secret but for letter case and
 * padding (a non-canonical last character is refused), and never write past
 * the caller's buffer.
 */
#include "phoneauth/base32.h"

#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>

/* 1 when lo <= c <= hi, else 0, without a branch on c. */
static unsigned
in_range(int c, int lo, int hi)
{
	return ((unsigned)((c - lo) | (hi - c)) >> (sizeof(unsigned) * 8 - 1)) ^ 1u;
}

/* The character of a 5-bit value: 0..25 are A..Z, 26..31 are 2..7. */
static char
encode_char(unsigned v)
{
	unsigned letter = in_range((int)v, 0, 25);

	return (char)(v + 'A' - (1u - letter) * ('A' + 26 - '2'));
}

/* The 5-bit value of a character, and in *bad 1 when it is not one. */
static unsigned
decode_char(unsigned char c, unsigned *bad)
{
	unsigned upper = in_range(c, 'A', 'Z');
	unsigned lower = in_range(c, 'a', 'z');
	unsigned digit = in_range(c, '2', '7');

	*bad |= (upper | lower | digit) ^ 1u;
	return upper * (unsigned)(c - 'A') + lower * (unsigned)(c - 'a') +
	    digit * (unsigned)(c - '2' + 26);
}

bool
base32_encode(const void *in, size_t len, char *out, size_t outlen)
{
	const unsigned char *p = in;
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	if (outlen == 0 || len > (SIZE_MAX - 5) / 8 || outlen < BASE32_LEN(len) + 1) {
		if (outlen > 0)
			out[0] = '\0';
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8 | p[i]) & 0xfff;	/* at most 12 bits are pending */
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = encode_char(acc >> bits & 31);
		}
	}
	if (bits > 0)
		out[o++] = encode_char(acc << (5 - bits) & 31);
	out[o] = '\0';
	acc = 0;
	return true;
}

bool
base32_decode(const char *in, size_t len, unsigned char *out, size_t outcap,
    size_t *outlen)
{
	size_t data = len, o = 0, pad;
	uint32_t acc = 0;
	unsigned bits = 0, bad = 0;

	*outlen = 0;
	/* Padding: only at the end, and then the whole is whole 8-character
	 * blocks with the pad count the last block's data calls for. */
	while (data > 0 && in[data - 1] == '=')
		data--;
	pad = len - data;
	switch (data % 8) {
	case 0: case 2: case 4: case 5: case 7:
		break;
	default:
		return false;
	}
	if (pad > 0 && (len % 8 != 0 || data % 8 == 0))
		return false;
	if (data / 8 * 5 + data % 8 * 5 / 8 > outcap)
		return false;
	for (size_t i = 0; i < data; i++) {
		acc = (acc << 5 | decode_char((unsigned char)in[i], &bad)) & 0xfff;	/* at most 12 pending */
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* What is left over must be zero bits: one value, one spelling. */
	if (bad || (acc & ((1u << bits) - 1)) != 0) {
		OPENSSL_cleanse(out, outcap);
		return false;
	}
	acc = 0;
	*outlen = o;
	return true;
}
