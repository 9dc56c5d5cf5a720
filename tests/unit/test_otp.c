/* otp.c: uniform codes, keyed digests. */
#include <math.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "harness.h"
#include "phoneauth/otp.h"

static void
codes_are_six_digits_and_uniform(void)
{
	enum { DRAWS = 200000 };
	static long counts[OTP_DIGITS][10];
	long leading_zero = 0;
	double worst = 0;

	for (int i = 0; i < DRAWS; i++) {
		char code[OTP_DIGITS + 1];

		CHECK(otp_generate(code), "RAND_bytes failed");
		CHECK(strlen(code) == OTP_DIGITS && strspn(code, "0123456789") == OTP_DIGITS,
		    "bad code \"%s\"", code);
		for (int p = 0; p < OTP_DIGITS; p++)
			counts[p][code[p] - '0']++;
		leading_zero += code[0] == '0';
	}
	/* Chi-square with 9 degrees of freedom per position; 40 is beyond the
	 * 0.9999 quantile (~33.7), so an honest generator never fails this. */
	for (int p = 0; p < OTP_DIGITS; p++) {
		double chi = 0, expected = DRAWS / 10.0;

		for (int d = 0; d < 10; d++)
			chi += (counts[p][d] - expected) * (counts[p][d] - expected) / expected;
		if (chi > worst)
			worst = chi;
	}
	CHECK(worst < 40.0, "digit frequencies are skewed: chi-square %.1f", worst);
	CHECK(leading_zero > DRAWS / 20, "leading zeros are missing: %ld", leading_zero);
}

static void
digest_is_keyed_and_bound_to_session_and_code(void)
{
	struct otp_key k1, k2;
	unsigned char a[OTP_DIGEST_LEN], b[OTP_DIGEST_LEN], c[OTP_DIGEST_LEN], d[OTP_DIGEST_LEN];
	unsigned char e[OTP_DIGEST_LEN];

	CHECK(otp_key_derive((const unsigned char *)"0123456789abcdef0123456789abcdef", 32, &k1), "k1");
	CHECK(otp_key_derive((const unsigned char *)"0123456789abcdef0123456789abcdeF", 32, &k2), "k2");
	CHECK(memcmp(k1.bytes, k2.bytes, sizeof k1.bytes) != 0, "keys do not depend on the secret");
	otp_digest(&k1, "session-a", "123456", a);
	otp_digest(&k1, "session-a", "123456", b);
	otp_digest(&k1, "session-b", "123456", c);
	otp_digest(&k1, "session-a", "123457", d);
	otp_digest(&k2, "session-a", "123456", e);
	CHECK(otp_digest_equal(a, b), "not deterministic");
	CHECK(!otp_digest_equal(a, c), "not bound to the session");
	CHECK(!otp_digest_equal(a, d), "not bound to the code");
	CHECK(!otp_digest_equal(a, e), "not keyed");
	otp_key_free(&k1);
	otp_key_free(&k2);
}

static void
digest_is_hmac_sha256_of_session_and_code(void)
{
	static const unsigned char secret[] = "an example secret of 32+ bytes....";
	static const char label[] = "phoneauth otp digest key v1";
	unsigned char key[32], want[32], got[OTP_DIGEST_LEN];
	unsigned int len;
	struct otp_key k;

	HMAC(EVP_sha256(), secret, (int)sizeof secret - 1, (const unsigned char *)label,
	    sizeof label - 1, key, &len);
	HMAC(EVP_sha256(), key, 32, (const unsigned char *)"sid-1:000042", 12, want, &len);
	CHECK(otp_key_derive(secret, sizeof secret - 1, &k), "derive");
	CHECK(memcmp(k.bytes, key, 32) == 0, "key derivation differs");
	CHECK(otp_digest(&k, "sid-1", "000042", got), "digest");
	CHECK(memcmp(got, want, 32) == 0, "digest differs from HMAC-SHA256(key, sid:code)");
	otp_key_free(&k);
}

int
main(void)
{
	RUN(codes_are_six_digits_and_uniform);
	RUN(digest_is_keyed_and_bound_to_session_and_code);
	RUN(digest_is_hmac_sha256_of_session_and_code);
	HARNESS_EXIT();
}
