/*
 * TOTP, RFC 6238 as authenticator apps do it: HMAC-SHA1, 6 digits, 30-second
 * steps, a 160-bit secret. A code is checked against the current step and
 * `window` steps either side, every candidate compared in constant time. The
 * step that matched is returned so that the caller refuses a code of that
 * step or an earlier one next time (RFC 6238 section 5.2): that memory is
 * per account and lives in the store, not here.
 */
#ifndef PHONEAUTH_TOTP_H
#define PHONEAUTH_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TOTP_SECRET_LEN 20		/* 160 bits, RFC 4226's recommendation */
#define TOTP_SECRET_B32_LEN 32		/* its base32 characters, no padding */
#define TOTP_DIGITS 6
#define TOTP_PERIOD 30
#define TOTP_WINDOW 1			/* steps accepted either side of now */
#define TOTP_WINDOW_MAX 2

/* The otpauth URI: its issuer and label (in bytes, before encoding). */
#define TOTP_ISSUER_MAX 96
#define TOTP_LABEL_MAX 64
#define TOTP_URI_MAX 1024

/* A new secret from the CSPRNG (random.h). False if that fails. */
bool totp_secret_new(unsigned char secret[TOTP_SECRET_LEN]);

/*
 * RFC 4226 HOTP: the `digits` (6 to 8) decimal digits of HMAC-SHA1(key,
 * counter), dynamically truncated, and a NUL, into out (outlen > digits).
 * Exposed for the RFC 4226 and RFC 6238 test vectors (8 digits).
 */
bool totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter,
    unsigned digits, char *out, size_t outlen);

/* The step of a time: now / TOTP_PERIOD; -1 for a time before 1970. */
int64_t totp_step(time_t now);

/* The code of a step (step >= 0). */
bool totp_code(const unsigned char secret[TOTP_SECRET_LEN], int64_t step,
    char code[TOTP_DIGITS + 1]);

/*
 * Whether `code` (exactly TOTP_DIGITS ASCII digits; see mfa_code.h for what
 * a client may type) is the code of a step from totp_step(now) - window to
 * totp_step(now) + window (window <= TOTP_WINDOW_MAX; steps below 0 are not
 * candidates). All candidates are computed and compared whatever matches.
 * On true, *matched_step is the step that matched; when two steps have the
 * same code (one chance in a million) it is the later one, so that a code
 * presented again never finds a step above the one remembered.
 */
bool totp_verify(const unsigned char secret[TOTP_SECRET_LEN], const char *code,
    time_t now, unsigned window, int64_t *matched_step);

/*
 * The Key URI Format's provisioning URI (google-authenticator's wiki):
 *   otpauth://totp/ISSUER:LABEL?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
 * issuer (sms_app_name) and label (the phone number) percent-encoded byte by
 * byte but for RFC 3986's unreserved characters (so "+98..." is "%2B98...",
 * a space "%20"). Each must be valid UTF-8 of 1 to TOTP_ISSUER_MAX /
 * TOTP_LABEL_MAX bytes, without control characters and without ':' (the
 * format's separator, literal or encoded). False, out "", otherwise or if
 * outlen is too small (TOTP_URI_MAX always suffices).
 */
bool totp_uri(const char *issuer, const char *label,
    const unsigned char secret[TOTP_SECRET_LEN], char *out, size_t outlen);

#endif
