/*
 * Device tokens (OWASP's "device cookies"): every answer that carries tokens
 * also carries `device`, an opaque token bound to the account, which the
 * client sends back as the body field `device` of login, register,
 * password-reset, login/code and verify-otp. For a request with a live
 * device token of the account it names, the number's block and the number's
 * code caps do not apply: the device has a failure count and a code cap of
 * its own (src/lua/devices.lua), so that no one who merely knows the number
 * can lock out a device its owner signed in from before.
 *
 * A token is 32 bytes of the CSPRNG in base64url without padding; Redis
 * keeps only its SHA-256 (hex), so a dump of Redis gives away no token. A
 * token that is wrong, expired, voided or another account's is ignored:
 * never a failure, never an answer of its own.
 */
#ifndef PHONEAUTH_DEVICE_H
#define PHONEAUTH_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "phoneauth/ctx.h"

#define DEVICE_TOKEN_BYTES 32
#define DEVICE_TOKEN_LEN 43			/* base64url of 32 bytes, no padding */
#define DEVICE_HASH_LEN RS_DEVICE_HASH_LEN	/* hex SHA-256 */

/* Whether `s` (len bytes) has the form of a device token. */
bool device_token_wellformed(const char *s, size_t len);

/* The name of `token` in Redis: its SHA-256 in hex. False if OpenSSL fails. */
bool device_hash(const char *token, char out[DEVICE_HASH_LEN + 1]);

/* A fresh token and its hash; false if the CSPRNG fails. */
bool device_new(char token[DEVICE_TOKEN_LEN + 1], char hash[DEVICE_HASH_LEN + 1]);

/*
 * The device token the tokens answer of account `user_id` carries: `sent`
 * (the token the request sent, "" for none) when it is a live token of that
 * account, its lifetime renewed; else a new one. Called once the change the
 * tokens stand for is committed. It never fails the request: a token Redis
 * could not keep is answered all the same (a lost device token costs its
 * owner nothing but the next login's, which makes another).
 */
void device_for_answer(struct ctx *ctx, long long user_id, const char *sent,
    char out[DEVICE_TOKEN_LEN + 1]);

#endif
