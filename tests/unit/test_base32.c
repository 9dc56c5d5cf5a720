/* base32.c: RFC 4648 base32, checked against the RFC's vectors and Python's
 * base64 module. */
#include <stdint.h>

#include <openssl/rand.h>

#include "harness.h"
#include "tool.h"
#include "phoneauth/base32.h"

/* RFC 4648 section 10; our output has no padding, the decoder takes both. */
static const struct {
	int line;
	const char *plain, *padded, *bare;
} rfc4648[] = {
	{ __LINE__, "", "", "" },
	{ __LINE__, "f", "MY======", "MY" },
	{ __LINE__, "fo", "MZXQ====", "MZXQ" },
	{ __LINE__, "foo", "MZXW6===", "MZXW6" },
	{ __LINE__, "foob", "MZXW6YQ=", "MZXW6YQ" },
	{ __LINE__, "fooba", "MZXW6YTB", "MZXW6YTB" },
	{ __LINE__, "foobar", "MZXW6YTBOI======", "MZXW6YTBOI" },
};

static void
rfc4648_vectors_encode_without_padding_and_decode_both_ways(void)
{
	for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
		const char *plain = rfc4648[i].plain;
		char enc[32], lower[32];
		unsigned char dec[16];
		size_t n;

		CHECK_AT(rfc4648[i].line, base32_encode(plain, strlen(plain), enc, sizeof enc), "encode");
		CHECK_AT(rfc4648[i].line, strcmp(enc, rfc4648[i].bare) == 0, "encoded %s", enc);
		CHECK_AT(rfc4648[i].line, strlen(enc) == BASE32_LEN(strlen(plain)), "BASE32_LEN");
		CHECK_AT(rfc4648[i].line, base32_decode(rfc4648[i].padded, strlen(rfc4648[i].padded),
		    dec, sizeof dec, &n) && n == strlen(plain) && memcmp(dec, plain, n) == 0,
		    "padded %s does not decode", rfc4648[i].padded);
		CHECK_AT(rfc4648[i].line, base32_decode(rfc4648[i].bare, strlen(rfc4648[i].bare),
		    dec, sizeof dec, &n) && n == strlen(plain) && memcmp(dec, plain, n) == 0,
		    "bare %s does not decode", rfc4648[i].bare);
		for (n = 0; rfc4648[i].padded[n]; n++)
			lower[n] = (char)(rfc4648[i].padded[n] | 0x20);	/* '=' | 0x20 is '=' */
		lower[n] = '\0';
		CHECK_AT(rfc4648[i].line, base32_decode(lower, strlen(lower), dec, sizeof dec, &n) &&
		    n == strlen(plain) && memcmp(dec, plain, n) == 0, "lower case %s", lower);
	}
}

static const struct {
	int line;
	const char *in, *why;
} refused[] = {
	{ __LINE__, "M", "1 data character is no length" },
	{ __LINE__, "MZX", "3 data characters are no length" },
	{ __LINE__, "MZXW6Y", "6 data characters are no length" },
	{ __LINE__, "MZ", "unused bits are not zero (MY is canonical)" },
	{ __LINE__, "MZXW7", "unused bits are not zero" },
	{ __LINE__, "MY=", "padding short of a block" },
	{ __LINE__, "MY=====", "padding short of a block" },
	{ __LINE__, "MY=======", "padding past a block" },
	{ __LINE__, "MZXW6YTB========", "a whole block of padding" },
	{ __LINE__, "========", "padding alone" },
	{ __LINE__, "M=Y=====", "padding inside the data" },
	{ __LINE__, "MY======MY======", "padding before more data" },
	{ __LINE__, "MZXW6YT0", "0 is not in the alphabet" },
	{ __LINE__, "MZXW6YT1", "1 is not in the alphabet" },
	{ __LINE__, "MZXW6YT8", "8 is not in the alphabet" },
	{ __LINE__, "MZXW6YT9", "9 is not in the alphabet" },
	{ __LINE__, "MZXW 6YTB", "a blank" },
	{ __LINE__, "MZXW-6YTB", "a dash" },
	{ __LINE__, "MZXW6YT\xc3\x80", "a non-ASCII letter" },
	{ __LINE__, "MZXW6YT@", "the byte before A" },
	{ __LINE__, "MZXW6YT[", "the byte after Z" },
	{ __LINE__, "MZXW6YT`", "the byte before a" },
	{ __LINE__, "MZXW6YT{", "the byte after z" },
};

static void
malformed_input_is_refused_and_leaves_nothing(void)
{
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		unsigned char dec[16];
		size_t n = 99;

		memset(dec, 0xa5, sizeof dec);
		CHECK_AT(refused[i].line, !base32_decode(refused[i].in, strlen(refused[i].in), dec,
		    sizeof dec, &n), "\"%s\" accepted (%s)", refused[i].in, refused[i].why);
		CHECK_AT(refused[i].line, n == 0, "outlen %zu", n);
		for (size_t j = 0; j < sizeof dec; j++)
			CHECK_AT(refused[i].line, dec[j] == 0 || dec[j] == 0xa5, "byte %zu left", j);
	}
}

static void
buffers_are_bounded_both_ways(void)
{
	unsigned char dec[5];
	char enc[9];
	size_t n;

	CHECK(!base32_encode("fooba", 5, enc, 8), "8 bytes took 8 characters and a NUL");
	CHECK_STR(enc, "");
	CHECK(base32_encode("fooba", 5, enc, 9), "9 bytes refused");
	CHECK(!base32_encode("f", 1, enc, 0), "outlen 0 accepted");
	CHECK(!base32_decode("MZXW6YTBOI", 10, dec, 5, &n), "6 bytes into 5");
	CHECK(n == 0, "outlen %zu", n);
	CHECK(base32_decode("MZXW6YTB", 8, dec, 5, &n) && n == 5, "5 bytes into 5");
	/* The length is the caller's: a NUL inside it is a character like any. */
	CHECK(!base32_decode("MY\0=====", 8, dec, 5, &n), "NUL taken for padding");
}

/* Random inputs encoded here and by Python's base64.b32encode. */
static void
encoding_matches_python_base64(void)
{
	enum { N = 300 };
	static char want[N * 80], cmd[N * 90], ours[N][72];
	unsigned char in[40];
	size_t o;
	char *line, *save = NULL;
	int st, i;

	if (!tool_have(TOOL_PYTHON)) {
		CHECK(0, "%s is missing (scripts/deps.sh test)", TOOL_PYTHON);
		return;
	}
	o = (size_t)snprintf(cmd, sizeof cmd, "%s -c 'import base64,sys\n"
	    "for h in sys.argv[1:]: print(base64.b32encode(bytes.fromhex(h[1:])).decode().rstrip(\"=\"))'",
	    TOOL_PYTHON);
	for (i = 0; i < N; i++) {
		size_t len = (size_t)i % sizeof in;

		CHECK(RAND_bytes(in, sizeof in) == 1, "RAND_bytes");
		CHECK(base32_encode(in, len, ours[i], sizeof ours[i]), "encode %d", i);
		o += (size_t)snprintf(cmd + o, sizeof cmd - o, " x");
		for (size_t j = 0; j < len; j++)
			o += (size_t)snprintf(cmd + o, sizeof cmd - o, "%02x", in[j]);
	}
	st = tool_run(cmd, want, sizeof want);
	CHECK(st == 0, "python3 exited with %d", st);
	line = strtok_r(want, "\n", &save);
	for (i = 0; i < N; i++) {
		unsigned char back[40];
		size_t n;

		/* an empty input prints an empty line, which strtok skips */
		if (ours[i][0] == '\0')
			continue;
		CHECK(line != NULL && strcmp(line, ours[i]) == 0, "input %d: ours %s, Python's %s",
		    i, ours[i], line ? line : "(none)");
		CHECK(base32_decode(ours[i], strlen(ours[i]), back, sizeof back, &n) &&
		    n == (size_t)i % sizeof in, "input %d does not decode back", i);
		line = strtok_r(NULL, "\n", &save);
	}
	CHECK(line == NULL, "Python printed more: %s", line ? line : "");
}

int
main(void)
{
	RUN(rfc4648_vectors_encode_without_padding_and_decode_both_ways);
	RUN(malformed_input_is_refused_and_leaves_nothing);
	RUN(buffers_are_bounded_both_ways);
	RUN(encoding_matches_python_base64);
	HARNESS_EXIT();
}
