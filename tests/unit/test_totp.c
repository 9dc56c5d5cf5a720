/* totp.c: RFC 4226 and RFC 6238 vectors, the window, the otpauth URI; live
 * oracles: oathtool (Debian's oathtool) and pyotp (python3-pyotp) reading
 * the URI this module wrote. */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "tool.h"
#include "phoneauth/base32.h"
#include "phoneauth/totp.h"

#define OATHTOOL "/usr/bin/oathtool"
#define ORACLE "tests/unit/totp_oracle.py"

/* The secret of both RFCs' SHA-1 vectors: ASCII "12345678901234567890". */
static const unsigned char rfc_secret[TOTP_SECRET_LEN] = "12345678901234567890";

/* RFC 4226 Appendix D: HOTP of counters 0..9. */
static const char *const rfc4226[] = {
	"755224", "287082", "359152", "969429", "338314",
	"254676", "287922", "162583", "399871", "520489",
};

static void
hotp_matches_rfc4226_appendix_d(void)
{
	for (unsigned c = 0; c < sizeof rfc4226 / sizeof rfc4226[0]; c++) {
		char code[9];

		CHECK(totp_hotp(rfc_secret, sizeof rfc_secret, c, 6, code, sizeof code), "counter %u", c);
		CHECK(strcmp(code, rfc4226[c]) == 0, "counter %u: %s, want %s", c, code, rfc4226[c]);
	}
}

/* RFC 6238 Appendix B, the SHA-1 rows: 8 digits of the HOTP core; our 6 are
 * the same number modulo 10^6, i.e. its last six digits. */
static const struct {
	int line;
	time_t t;
	int64_t step;
	const char *code8;
} rfc6238[] = {
	{ __LINE__, 59, 1, "94287082" },
	{ __LINE__, 1111111109, 0x23523EC, "07081804" },
	{ __LINE__, 1111111111, 0x23523ED, "14050471" },
	{ __LINE__, 1234567890, 0x273EF07, "89005924" },
	{ __LINE__, 2000000000, 0x3F940AA, "69279037" },
	{ __LINE__, (time_t)20000000000LL, 0x27BC86AA, "65353130" },
};

static void
totp_matches_rfc6238_appendix_b(void)
{
	for (size_t i = 0; i < sizeof rfc6238 / sizeof rfc6238[0]; i++) {
		char code8[9], code6[TOTP_DIGITS + 1];
		int64_t step = totp_step(rfc6238[i].t), matched = 0;

		CHECK_AT(rfc6238[i].line, step == rfc6238[i].step, "step %lld", (long long)step);
		CHECK_AT(rfc6238[i].line, totp_hotp(rfc_secret, sizeof rfc_secret, (uint64_t)step, 8,
		    code8, sizeof code8) && strcmp(code8, rfc6238[i].code8) == 0, "8 digits: %s", code8);
		CHECK_AT(rfc6238[i].line, totp_code(rfc_secret, step, code6) &&
		    strcmp(code6, rfc6238[i].code8 + 2) == 0, "6 digits: %s", code6);
		CHECK_AT(rfc6238[i].line, totp_verify(rfc_secret, rfc6238[i].code8 + 2, rfc6238[i].t,
		    TOTP_WINDOW, &matched) && matched == step, "not verified, matched %lld",
		    (long long)matched);
	}
}

static void
hotp_refuses_what_it_cannot_write(void)
{
	char code[9];

	CHECK(!totp_hotp(rfc_secret, sizeof rfc_secret, 0, 5, code, sizeof code), "5 digits");
	CHECK(!totp_hotp(rfc_secret, sizeof rfc_secret, 0, 9, code, sizeof code), "9 digits");
	CHECK(!totp_hotp(rfc_secret, sizeof rfc_secret, 0, 8, code, 8), "8 digits in 8 bytes");
	CHECK(!totp_code(rfc_secret, -1, code), "a step before 1970");
	CHECK_INT(totp_step(-1), -1);
	CHECK_INT(totp_step(0), 0);
	CHECK_INT(totp_step(29), 0);
	CHECK_INT(totp_step(30), 1);
}

/* One step either side is accepted, two are not, and the step that matched
 * is the one whose code it was. */
static void
window_accepts_one_step_either_side_and_refuses_two(void)
{
	const time_t now = 1700000000;	/* 15 s into step 56666666 */
	const int64_t step = totp_step(now);

	for (int64_t d = -3; d <= 3; d++) {
		char code[TOTP_DIGITS + 1];
		int64_t matched = 12345;
		bool ok;

		CHECK(totp_code(rfc_secret, step + d, code), "code");
		ok = totp_verify(rfc_secret, code, now, TOTP_WINDOW, &matched);
		if (d >= -1 && d <= 1) {
			CHECK(ok && matched == step + d, "step %+lld refused (matched %lld)", (long long)d,
			    (long long)matched);
		} else {
			CHECK(!ok && matched == -1, "step %+lld accepted", (long long)d);
		}
		CHECK(totp_verify(rfc_secret, code, now, 0, &matched) == (d == 0), "window 0, step %+lld",
		    (long long)d);
		CHECK(totp_verify(rfc_secret, code, now, 2, &matched) == (d >= -2 && d <= 2),
		    "window 2, step %+lld", (long long)d);
	}
}

/* Steps 56188870 and 56188871 share the code 617002 under the RFC secret
 * (found by a search over steps with Python's hmac): the later one is the
 * one returned, from either of them. */
static void
two_steps_with_one_code_give_the_later(void)
{
	char a[TOTP_DIGITS + 1], b[TOTP_DIGITS + 1];
	int64_t matched = 0;

	CHECK(totp_code(rfc_secret, 56188870, a) && totp_code(rfc_secret, 56188871, b), "codes");
	CHECK_STR(a, "617002");
	CHECK_STR(b, "617002");
	CHECK(totp_verify(rfc_secret, "617002", 56188870LL * 30, 1, &matched), "refused");
	CHECK_INT(matched, 56188871);
	CHECK(totp_verify(rfc_secret, "617002", 56188871LL * 30 + 29, 1, &matched), "refused");
	CHECK_INT(matched, 56188871);
	CHECK(totp_verify(rfc_secret, "617002", 56188872LL * 30, 1, &matched), "refused");
	CHECK_INT(matched, 56188871);
	CHECK(totp_verify(rfc_secret, "617002", 56188869LL * 30, 1, &matched), "refused");
	CHECK_INT(matched, 56188870);
}

static const struct {
	int line;
	const char *code;
} not_codes[] = {
	{ __LINE__, "" },
	{ __LINE__, "94287" },
	{ __LINE__, "2870820" },
	{ __LINE__, "28708a" },
	{ __LINE__, " 287082" },
	{ __LINE__, "287082 " },
	{ __LINE__, "287 082" },
	{ __LINE__, "-87082" },
	{ __LINE__, "\xdb\xb2" "87082" },	/* a Persian 2: mfa_code.c's business */
};

static void
verify_takes_exactly_six_ascii_digits(void)
{
	int64_t matched = 0;

	/* 287082 is the code of step 1 (RFC 4226 counter 1): t = 30..59 */
	CHECK(totp_verify(rfc_secret, "287082", 45, TOTP_WINDOW, &matched) && matched == 1, "the code");
	for (size_t i = 0; i < sizeof not_codes / sizeof not_codes[0]; i++)
		CHECK_AT(not_codes[i].line, !totp_verify(rfc_secret, not_codes[i].code, 45, TOTP_WINDOW,
		    &matched) && matched == -1, "\"%s\" accepted", not_codes[i].code);
	CHECK(!totp_verify(rfc_secret, NULL, 45, TOTP_WINDOW, &matched), "NULL");
	CHECK(!totp_verify(rfc_secret, "287082", 45, TOTP_WINDOW_MAX + 1, &matched), "a wide window");
	CHECK(!totp_verify(rfc_secret, "287082", -1, TOTP_WINDOW, &matched), "before 1970");
	/* In 1970's first step there is no step -1 to look at; step 0 and 1 are. */
	CHECK(totp_verify(rfc_secret, "755224", 0, TOTP_WINDOW, &matched) && matched == 0, "step 0");
	CHECK(totp_verify(rfc_secret, "287082", 0, TOTP_WINDOW, &matched) && matched == 1, "step 1");
}

static void
secrets_are_160_random_bits(void)
{
	unsigned char a[TOTP_SECRET_LEN], b[TOTP_SECRET_LEN];
	char text[TOTP_SECRET_B32_LEN + 1];

	CHECK(totp_secret_new(a) && totp_secret_new(b), "CSPRNG");
	CHECK(memcmp(a, b, sizeof a) != 0, "two secrets are equal");
	CHECK(base32_encode(a, sizeof a, text, sizeof text) && strlen(text) == 32, "base32");
}

/* oathtool --totp on our secrets, in base32 as an app gets them: the same
 * codes, and ours accept its code one step away but not two. */
static void
codes_match_oathtool(void)
{
	static const time_t times[] = { 59, 1111111109, 1700000000, 1700000029, 2000000000,
	    4102444800 };
	char out[256], cmd[256], b32[TOTP_SECRET_B32_LEN + 1];

	if (!tool_have(OATHTOOL)) {
		CHECK(0, "%s is missing: install oathtool (scripts/deps.sh test)", OATHTOOL);
		return;
	}
	for (int k = 0; k < 8; k++) {
		unsigned char secret[TOTP_SECRET_LEN];

		if (k == 0)
			memcpy(secret, rfc_secret, sizeof secret);
		else
			CHECK(totp_secret_new(secret), "CSPRNG");
		CHECK(base32_encode(secret, sizeof secret, b32, sizeof b32), "base32");
		for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
			char ours[TOTP_DIGITS + 1], near[TOTP_DIGITS + 1], far[TOTP_DIGITS + 1];
			int64_t step = totp_step(times[i]), matched;
			int st;

			snprintf(cmd, sizeof cmd, "%s --totp -b %s -N @%lld", OATHTOOL, b32,
			    (long long)times[i]);
			st = tool_run(cmd, out, sizeof out);
			out[strcspn(out, "\n")] = '\0';
			CHECK(st == 0 && totp_code(secret, step, ours) && strcmp(ours, out) == 0,
			    "%s at %lld: ours %s, oathtool's %s", b32, (long long)times[i], ours, out);
			CHECK(totp_verify(secret, out, times[i] + 30, 1, &matched) && matched == step,
			    "oathtool's code refused one step later");
			CHECK(totp_verify(secret, out, times[i] - 30, 1, &matched) && matched == step,
			    "oathtool's code refused one step earlier");
			/* Two steps away it is refused, unless (one chance in a million)
			 * a step in that window has the same code. */
			CHECK(totp_code(secret, step + 1, near) && totp_code(secret, step + 3, far), "code");
			if (strcmp(out, near) != 0 && strcmp(out, far) != 0 &&
			    totp_code(secret, step + 2, near) && strcmp(out, near) != 0)
				CHECK(!totp_verify(secret, out, times[i] + 60, 1, &matched),
				    "oathtool's code accepted two steps later");
			if (step < 3)
				continue;
			CHECK(totp_code(secret, step - 1, near) && totp_code(secret, step - 3, far), "code");
			if (strcmp(out, near) != 0 && strcmp(out, far) != 0 &&
			    totp_code(secret, step - 2, near) && strcmp(out, near) != 0)
				CHECK(!totp_verify(secret, out, times[i] - 60, 1, &matched),
				    "oathtool's code accepted two steps earlier");
		}
	}
}

/* Hex of s, for comparing with the oracle's lines. */
static const char *
hex(const char *s)
{
	static char buf[2 * 256 + 1];
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p && o + 2 < sizeof buf; p++)
		o += (size_t)snprintf(buf + o, sizeof buf - o, "%02x", *p);
	buf[o] = '\0';
	return buf;
}

/* The oracle's line that starts with `key `, without the key; "" if none. */
static const char *
line_of(const char *out, const char *key, char *buf, size_t buflen)
{
	size_t klen = strlen(key);

	buf[0] = '\0';
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			size_t len = strcspn(p + klen + 1, "\n");

			snprintf(buf, buflen, "%.*s", (int)(len < buflen ? len : buflen - 1), p + klen + 1);
			break;
		}
	}
	return buf;
}

static const struct {
	int line;
	const char *issuer, *label;
	bool pyotp_reads_it;	/* pyotp 2.6 unquotes the whole URI first */
} uris[] = {
	{ __LINE__, "phoneauth", "+989121234567", true },
	{ __LINE__, "Example Shop", "09121234567", true },
	{ __LINE__, "\xd9\x81\xd8\xb1\xd9\x88\xd8\xb4\xda\xaf\xd8\xa7\xd9\x87", "+14155550123", true },
	{ __LINE__, "A&B=C+D?E#F%G/H", "+44 20 7946 0958", false },
	{ __LINE__, "~._-", "a@b.c", true },
};

static void
otpauth_uri_reads_back_in_pyotp_and_urllib(void)
{
	static const time_t times[] = { 59, 1111111111, 1700000000, 2000000000 };
	char uri[TOTP_URI_MAX], out[4096], cmd[512], buf[600], want[600];

	if (!tool_have(TOOL_PYTHON) || access(ORACLE, R_OK) != 0) {
		CHECK(0, "%s or %s is missing (scripts/deps.sh test; run from the top of the tree)",
		    TOOL_PYTHON, ORACLE);
		return;
	}
	for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
		unsigned char secret[TOTP_SECRET_LEN];
		int st;

		CHECK_AT(uris[i].line, totp_secret_new(secret), "CSPRNG");
		CHECK_AT(uris[i].line, totp_uri(uris[i].issuer, uris[i].label, secret, uri, sizeof uri),
		    "no URI");
		CHECK_AT(uris[i].line, strncmp(uri, "otpauth://totp/", 15) == 0 &&
		    strpbrk(uri + 15, "+ \"<>\\^`{|}") == NULL, "%s", uri);
		setenv("OTPAUTH_URI", uri, 1);
		snprintf(cmd, sizeof cmd, "%s %s %lld %lld %lld %lld 2>&1", TOOL_PYTHON, ORACLE,
		    (long long)times[0], (long long)times[1], (long long)times[2], (long long)times[3]);
		st = tool_run(cmd, out, sizeof out);
		CHECK_AT(uris[i].line, st == 0, "the oracle failed on %s: %s", uri, out);
		CHECK_AT(uris[i].line, strcmp(line_of(out, "label", buf, sizeof buf),
		    hex(uris[i].label)) == 0, "label %s in %s", buf, uri);
		CHECK_AT(uris[i].line, strcmp(line_of(out, "issuer", buf, sizeof buf),
		    hex(uris[i].issuer)) == 0, "issuer %s in %s", buf, uri);
		CHECK_AT(uris[i].line, strcmp(line_of(out, "params", buf, sizeof buf),
		    "secret,issuer,algorithm,digits,period") == 0, "params %s", buf);
		if (!uris[i].pyotp_reads_it)
			continue;
		snprintf(want, sizeof want, "%s ", hex(uris[i].issuer));
		snprintf(want + strlen(want), sizeof want - strlen(want), "%s 6 30 sha1",
		    hex(uris[i].label));
		CHECK_AT(uris[i].line, strcmp(line_of(out, "pyotp", buf, sizeof buf), want) == 0,
		    "pyotp read \"%s\", want \"%s\"", buf, want);
		for (size_t t = 0; t < sizeof times / sizeof times[0]; t++) {
			char key[64], ours[TOTP_DIGITS + 1];

			snprintf(key, sizeof key, "code %lld", (long long)times[t]);
			line_of(out, key, buf, sizeof buf);
			CHECK_AT(uris[i].line, totp_code(secret, totp_step(times[t]), ours) &&
			    strcmp(ours, buf) == 0, "at %lld: ours %s, pyotp's %s", (long long)times[t],
			    ours, buf);
		}
	}
	unsetenv("OTPAUTH_URI");
}

static void
otpauth_uri_encodes_the_number_and_refuses_what_apps_misread(void)
{
	char uri[TOTP_URI_MAX], label[TOTP_LABEL_MAX + 2], issuer[TOTP_ISSUER_MAX + 2];

	CHECK(totp_uri("phoneauth", "+989121234567", rfc_secret, uri, sizeof uri), "refused");
	CHECK_STR(uri, "otpauth://totp/phoneauth:%2B989121234567?secret="
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=phoneauth&algorithm=SHA1&digits=6&period=30");
	CHECK(totp_uri("My App", "+98 912", rfc_secret, uri, sizeof uri), "refused");
	CHECK(strstr(uri, "/My%20App:%2B98%20912?") != NULL && strstr(uri, "&issuer=My%20App&"),
	    "%s", uri);
	CHECK(!totp_uri("a:b", "+98912", rfc_secret, uri, sizeof uri), "':' in the issuer");
	CHECK_STR(uri, "");
	CHECK(!totp_uri("ab", "+98:912", rfc_secret, uri, sizeof uri), "':' in the label");
	CHECK(!totp_uri("", "+98912", rfc_secret, uri, sizeof uri), "no issuer");
	CHECK(!totp_uri("ab", "", rfc_secret, uri, sizeof uri), "no label");
	CHECK(!totp_uri(NULL, "+98912", rfc_secret, uri, sizeof uri), "NULL issuer");
	CHECK(!totp_uri("ab", "a\nb", rfc_secret, uri, sizeof uri), "a control character");
	CHECK(!totp_uri("a\x7f", "b", rfc_secret, uri, sizeof uri), "DEL");
	CHECK(!totp_uri("a\xff", "b", rfc_secret, uri, sizeof uri), "not UTF-8");
	memset(label, 'x', sizeof label);
	label[TOTP_LABEL_MAX] = '\0';
	CHECK(totp_uri("ab", label, rfc_secret, uri, sizeof uri), "the longest label refused");
	label[TOTP_LABEL_MAX] = 'x';
	label[TOTP_LABEL_MAX + 1] = '\0';
	CHECK(!totp_uri("ab", label, rfc_secret, uri, sizeof uri), "a label too long");
	/* The longest of everything, every byte encoded, fits TOTP_URI_MAX. */
	memset(issuer, '/', sizeof issuer);
	issuer[TOTP_ISSUER_MAX] = '\0';
	memset(label, '+', sizeof label);
	label[TOTP_LABEL_MAX] = '\0';
	CHECK(totp_uri(issuer, label, rfc_secret, uri, sizeof uri), "the longest URI refused");
	CHECK(!totp_uri(issuer, label, rfc_secret, uri, strlen(uri)), "a buffer one short");
	CHECK_STR(uri, "");
}

int
main(void)
{
	RUN(hotp_matches_rfc4226_appendix_d);
	RUN(totp_matches_rfc6238_appendix_b);
	RUN(hotp_refuses_what_it_cannot_write);
	RUN(window_accepts_one_step_either_side_and_refuses_two);
	RUN(two_steps_with_one_code_give_the_later);
	RUN(verify_takes_exactly_six_ascii_digits);
	RUN(secrets_are_160_random_bits);
	RUN(codes_match_oathtool);
	RUN(otpauth_uri_reads_back_in_pyotp_and_urllib);
	RUN(otpauth_uri_encodes_the_number_and_refuses_what_apps_misread);
	HARNESS_EXIT();
}
