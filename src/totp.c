/*
 * TOTP (see totp.h). This file must never tell, by its timing, which of the
 * candidate steps matched or how much of a code was right, never keep a
 * secret or a code in its own memory once it returns, and never build a URI
 * that an app could read as another issuer or account.
 */
#include "phoneauth/totp.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "phoneauth/base32.h"
#include "phoneauth/random.h"
#include "phoneauth/text.h"

#define SHA1_LEN 20

_Static_assert(BASE32_LEN(TOTP_SECRET_LEN) == TOTP_SECRET_B32_LEN, "TOTP_SECRET_B32_LEN");

bool
totp_secret_new(unsigned char secret[TOTP_SECRET_LEN])
{
	return random_bytes(secret, TOTP_SECRET_LEN);
}

bool
totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter,
    unsigned digits, char *out, size_t outlen)
{
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	uint32_t v;
	unsigned off;
	bool ok = false;

	if (digits < 6 || digits > 8 || outlen <= digits || keylen > INT32_MAX)
		return false;
	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)counter;
		counter >>= 8;
	}
	if (HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof msg, mac, &maclen) == NULL ||
	    maclen != SHA1_LEN)
		goto out;
	/* RFC 4226 5.3: dynamic truncation to 31 bits. */
	off = mac[SHA1_LEN - 1] & 0x0f;
	v = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	    (uint32_t)mac[off + 2] << 8 | mac[off + 3];
	/* A fixed number of divisions by a constant, whatever the value (a
	 * printf would stop early on leading zeros). */
	for (unsigned i = digits; i-- > 0;) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	out[digits] = '\0';
	ok = true;
out:
	OPENSSL_cleanse(mac, sizeof mac);
	v = 0;
	return ok;
}

int64_t
totp_step(time_t now)
{
	if (now < 0)
		return -1;
	return (int64_t)(now / TOTP_PERIOD);
}

bool
totp_code(const unsigned char secret[TOTP_SECRET_LEN], int64_t step,
    char code[TOTP_DIGITS + 1])
{
	if (step < 0)
		return false;
	return totp_hotp(secret, TOTP_SECRET_LEN, (uint64_t)step, TOTP_DIGITS, code,
	    TOTP_DIGITS + 1);
}

bool
totp_verify(const unsigned char secret[TOTP_SECRET_LEN], const char *code,
    time_t now, unsigned window, int64_t *matched_step)
{
	int64_t step = totp_step(now), matched = -1;
	uint64_t any = 0;
	char want[TOTP_DIGITS + 1];
	bool ok = true;

	*matched_step = -1;
	/* The form of what was sent is no secret: checking it may stop early. */
	if (step < 0 || window > TOTP_WINDOW_MAX || code == NULL ||
	    strnlen(code, TOTP_DIGITS + 1) != TOTP_DIGITS ||
	    strspn(code, "0123456789") != TOTP_DIGITS)
		return false;
	for (int64_t s = step - (int64_t)window; s <= step + (int64_t)window; s++) {
		uint64_t hit, mask;

		if (s < 0)
			continue;	/* only in 1970's first minute: no secret in it */
		ok &= totp_code(secret, s, want);
		hit = (uint64_t)(CRYPTO_memcmp(want, code, TOTP_DIGITS) == 0);
		mask = (uint64_t)0 - hit;
		/* Later steps overwrite earlier ones: the last match wins. */
		matched = (int64_t)(((uint64_t)s & mask) | ((uint64_t)matched & ~mask));
		any |= hit;
	}
	OPENSSL_cleanse(want, sizeof want);
	if (!ok || !any)
		return false;
	*matched_step = matched;
	return true;
}

/* Appends s percent-encoded (RFC 3986: all but the unreserved characters)
 * at out + *o; false if it does not fit with a NUL after it. */
static bool
append_encoded(char *out, size_t outlen, size_t *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';

		if (*o + (plain ? 1 : 3) >= outlen)
			return false;
		if (plain) {
			out[(*o)++] = (char)*p;
		} else {
			out[(*o)++] = '%';
			out[(*o)++] = hex[*p >> 4];
			out[(*o)++] = hex[*p & 15];
		}
	}
	out[*o] = '\0';
	return true;
}

static bool
append(char *out, size_t outlen, size_t *o, const char *s)
{
	size_t len = strlen(s);

	if (*o + len >= outlen)
		return false;
	memcpy(out + *o, s, len + 1);
	*o += len;
	return true;
}

/* Text an authenticator app can show as an issuer or account name. */
static bool
uri_part_ok(const char *s, size_t max)
{
	size_t len = s != NULL ? strnlen(s, max + 1) : 0;

	return len > 0 && len <= max && text_utf8_valid(s, len) && !text_has_control(s) &&
	    strchr(s, ':') == NULL;
}

bool
totp_uri(const char *issuer, const char *label,
    const unsigned char secret[TOTP_SECRET_LEN], char *out, size_t outlen)
{
	char b32[TOTP_SECRET_B32_LEN + 1];
	size_t o = 0;
	bool ok;

	if (outlen == 0)
		return false;
	out[0] = '\0';
	if (!uri_part_ok(issuer, TOTP_ISSUER_MAX) || !uri_part_ok(label, TOTP_LABEL_MAX) ||
	    !base32_encode(secret, TOTP_SECRET_LEN, b32, sizeof b32))
		return false;
	ok = append(out, outlen, &o, "otpauth://totp/") &&
	    append_encoded(out, outlen, &o, issuer) &&
	    append(out, outlen, &o, ":") &&
	    append_encoded(out, outlen, &o, label) &&
	    append(out, outlen, &o, "?secret=") &&
	    append(out, outlen, &o, b32) &&
	    append(out, outlen, &o, "&issuer=") &&
	    append_encoded(out, outlen, &o, issuer) &&
	    append(out, outlen, &o, "&algorithm=SHA1&digits=6&period=30");
	OPENSSL_cleanse(b32, sizeof b32);
	if (!ok)
		OPENSSL_cleanse(out, outlen);
	return ok;
}
