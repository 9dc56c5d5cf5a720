/*
 * Device tokens (device.c): 32 bytes of the CSPRNG in base64url without
 * padding, each new; their form; and their name in Redis, the hex SHA-256.
 */
#include "phoneauth/device.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "harness.h"

/* The base64url text `s` decoded (no padding); its length, -1 if it is not that. */
static int
b64url_decode(const char *s, unsigned char *out, size_t size)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned long acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *s; s++) {
		const char *p = strchr(abc, *s);

		if (p == NULL)
			return -1;
		acc = acc << 6 | (unsigned long)(p - abc);
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (n == size)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return (int)n;
}

static void
new_tokens_are_32_random_bytes_in_base64url_and_named_by_their_hash(void)
{
	char token[DEVICE_TOKEN_LEN + 1], again[DEVICE_TOKEN_LEN + 1];
	char hash[DEVICE_HASH_LEN + 1], want[DEVICE_HASH_LEN + 1], other[DEVICE_HASH_LEN + 1];
	unsigned char raw[64];

	for (int i = 0; i < 200; i++) {
		CHECK(device_new(token, hash), "no token");
		CHECK_INT(strlen(token), DEVICE_TOKEN_LEN);
		CHECK(device_token_wellformed(token, strlen(token)), "\"%s\" not well-formed", token);
		CHECK(b64url_decode(token, raw, sizeof raw) == DEVICE_TOKEN_BYTES, "\"%s\"", token);
		CHECK(device_hash(token, want) && strcmp(hash, want) == 0, "%s is not the hash of %s",
		    hash, token);
		CHECK(device_new(again, other) && strcmp(token, again) != 0 && strcmp(hash, other) != 0,
		    "the same token twice: %s", token);
	}
}

static void
the_hash_is_hex_sha256(void)
{
	char hash[DEVICE_HASH_LEN + 1];

	CHECK(device_hash("abc", hash), "no hash");
	CHECK_STR(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
only_the_form_of_a_token_is_well_formed(void)
{
	static const struct { int line; const char *s; bool ok; } cases[] = {
		{ __LINE__, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", true },
		{ __LINE__, "abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE", true },
		{ __LINE__, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", false },	/* bits past the 256th */
		{ __LINE__, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false },	/* short */
		{ __LINE__, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false },	/* long */
		{ __LINE__, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", false },	/* padding */
		{ __LINE__, "AAAAAAAAAAAAAAAAAAAA+AAAAAAAAAAAAAAAAAAAAAA", false },	/* base64, not base64url */
		{ __LINE__, "AAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAAA", false },
		{ __LINE__, "", false },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_AT(cases[i].line, device_token_wellformed(cases[i].s, strlen(cases[i].s)) ==
		    cases[i].ok, "\"%s\"", cases[i].s);
	/* a NUL inside is not a token (the length says where it ends) */
	CHECK(!device_token_wellformed("AAAAAAAAAAAAAAAAAAAA\0AAAAAAAAAAAAAAAAAAAAAA", 43), "NUL");
}

int
main(void)
{
	RUN(new_tokens_are_32_random_bytes_in_base64url_and_named_by_their_hash);
	RUN(the_hash_is_hex_sha256);
	RUN(only_the_form_of_a_token_is_well_formed);
	HARNESS_EXIT();
}
