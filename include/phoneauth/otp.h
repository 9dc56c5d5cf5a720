/*
 * One-time codes: generated uniformly from OpenSSL's CSPRNG, kept only as a
 * keyed hash bound to their session, compared in constant time.
 */
#ifndef PHONEAUTH_OTP_H
#define PHONEAUTH_OTP_H

#include <stdbool.h>
#include <stddef.h>

#define OTP_DIGITS 6
#define OTP_DIGEST_LEN 32

struct otp_key {
	unsigned char bytes[32];
	/* SHA-256 states after the HMAC pads (EVP_MD_CTX), copied for each
	 * digest */
	void *inner, *outer;
	void *scratch;		/* the copy: one digest at a time */
};

/* Derives the code-hashing key from the service's secret key material. */
bool otp_key_derive(const unsigned char *secret, size_t secretlen, struct otp_key *key);
void otp_key_free(struct otp_key *key);

/* Six decimal digits, uniform over 000000..999999. False if the CSPRNG fails. */
bool otp_generate(char code[OTP_DIGITS + 1]);

/* HMAC-SHA256(key, session_id ":" code): what Redis stores instead of the code. */
bool otp_digest(const struct otp_key *key, const char *session_id, const char *code,
    unsigned char out[OTP_DIGEST_LEN]);

/* Constant-time comparison of two digests. */
bool otp_digest_equal(const unsigned char *a, const unsigned char *b);

#endif
