/*
 * base64url.c: RFC 4648's test vectors, every refusal of the strict decoder,
 * and agreement with OpenSSL's base64 (EVP_EncodeBlock, which nobody here
 * wrote) on inputs of every length up to 100 bytes.
 */
#include "phoneauth/base64url.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "harness.h"

/* RFC 4648 section 10, in the URL alphabet without padding. */
static const struct {
	int line;
	const char *bytes, *text;
} vectors[] = {
	{ __LINE__, "", "" },
	{ __LINE__, "f", "Zg" },
	{ __LINE__, "fo", "Zm8" },
	{ __LINE__, "foo", "Zm9v" },
	{ __LINE__, "foob", "Zm9vYg" },
	{ __LINE__, "fooba", "Zm9vYmE" },
	{ __LINE__, "foobar", "Zm9vYmFy" },
	{ __LINE__, "\xfb\xff", "-_8" },	/* '+' and '/' of base64 are '-' and '_' here */
	{ __LINE__, "\xff\xff\xfe", "___-" },
};

static void
rfc4648_vectors_round_trip(void)
{
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		size_t n = strlen(vectors[i].bytes), got;
		char text[32];
		unsigned char bytes[32];

		CHECK_AT(vectors[i].line, base64url_encode((const unsigned char *)vectors[i].bytes, n,
		    text, sizeof text), "encode refused");
		CHECK_AT(vectors[i].line, strcmp(text, vectors[i].text) == 0, "encoded \"%s\"", text);
		CHECK_AT(vectors[i].line, base64url_decode(vectors[i].text, strlen(vectors[i].text),
		    bytes, sizeof bytes, &got), "decode refused");
		CHECK_AT(vectors[i].line, got == n && memcmp(bytes, vectors[i].bytes, n) == 0,
		    "decoded %zu bytes", got);
		CHECK_AT(vectors[i].line, BASE64URL_ENCODED_LEN(n) == strlen(vectors[i].text) &&
		    BASE64URL_DECODED_LEN(strlen(vectors[i].text)) == n, "length macros");
	}
}

static const struct {
	int line;
	const char *text;
	size_t len;		/* 0: strlen(text) */
} refused[] = {
	{ __LINE__, "Zg==", 0 },		/* padding */
	{ __LINE__, "Zm8=", 0 },
	{ __LINE__, "Z", 0 },			/* one character is no byte */
	{ __LINE__, "Zm9vY", 0 },
	{ __LINE__, "Zh", 0 },			/* "f" with a stray low bit */
	{ __LINE__, "Zm9", 0 },			/* "fo" with a stray low bit */
	{ __LINE__, "Zm+v", 0 },		/* base64's alphabet, not base64url's */
	{ __LINE__, "Zm/v", 0 },
	{ __LINE__, "Zm9v Yg", 0 },		/* whitespace */
	{ __LINE__, "Zm9v\nYg", 0 },
	{ __LINE__, "Zm\0v", 4 },		/* a NUL inside the given length */
	{ __LINE__, "Zm9v\xc3\xa9", 0 },	/* not ASCII */
	{ __LINE__, "Zg.", 0 },
};

static void
strict_decoder_refuses_other_spellings(void)
{
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		unsigned char out[16];
		size_t len = refused[i].len ? refused[i].len : strlen(refused[i].text), got = 99;

		CHECK_AT(refused[i].line, !base64url_decode(refused[i].text, len, out, sizeof out, &got),
		    "\"%s\" accepted", refused[i].text);
		CHECK_AT(refused[i].line, got == 0, "outlen %zu on refusal", got);
	}
}

static void
bounds_are_kept_on_both_sides(void)
{
	unsigned char out[8] = { 0 };
	char text[9];
	size_t got;

	/* "foobar" needs 6 bytes: 5 is refused and nothing past 5 is written */
	memset(out, 0xa5, sizeof out);
	CHECK(!base64url_decode("Zm9vYmFy", 8, out, 5, &got), "decoded into too small a buffer");
	CHECK(out[5] == 0xa5 && out[6] == 0xa5, "wrote past outsize");
	CHECK(base64url_decode("Zm9vYmFy", 8, out, 6, &got) && got == 6, "exact fit refused");
	/* "foobar" encodes to 8 characters and a NUL */
	CHECK(!base64url_encode((const unsigned char *)"foobar", 6, text, 8), "no room for the NUL");
	CHECK(!base64url_encode((const unsigned char *)"", 0, text, 0), "no room at all");
	CHECK(base64url_encode((const unsigned char *)"foobar", 6, text, 9), "exact fit refused");
	CHECK(base64url_decode("", 0, out, 0, &got) && got == 0, "empty refused");
}

/* OpenSSL's padded base64 in the URL alphabet without padding. */
static size_t
openssl_b64url(const unsigned char *in, size_t len, char *out)
{
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);

	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (int i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return (size_t)n;
}

static void
agrees_with_openssl_on_every_length(void)
{
	for (size_t len = 0; len <= 100; len++) {
		for (int round = 0; round < 20; round++) {
			unsigned char in[100], back[100];
			char ours[140], theirs[140];
			size_t n, got;

			if (len > 0 && RAND_bytes(in, (int)len) != 1)
				abort();
			n = openssl_b64url(in, len, theirs);
			CHECK(base64url_encode(in, len, ours, sizeof ours), "encode refused at %zu", len);
			CHECK(strcmp(ours, theirs) == 0, "len %zu: ours %s, OpenSSL %s", len, ours, theirs);
			CHECK(base64url_decode(theirs, n, back, sizeof back, &got) && got == len &&
			    memcmp(back, in, len) == 0, "OpenSSL's %s did not decode back", theirs);
		}
	}
}

int
main(void)
{
	RUN(rfc4648_vectors_round_trip);
	RUN(strict_decoder_refuses_other_spellings);
	RUN(bounds_are_kept_on_both_sides);
	RUN(agrees_with_openssl_on_every_length);
	HARNESS_EXIT();
}
