/*
 * Redis's part of second factors (src/lua/totp.lua, mfa_session.lua): a TOTP setup waiting
 * for its confirmation, the last TOTP step each account accepted (so that a
 * code is accepted once, on whichever worker or host sees it first), and
 * what a session waiting for `mfa` keeps beyond its step: the tries its
 * wrong codes spent, and a reset's new password until the factor is proved.
 * Everything secret arrives sealed or hashed; nothing here opens it.
 */
#ifndef PHONEAUTH_REDIS_MFA_H
#define PHONEAUTH_REDIS_MFA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phoneauth/redis_store.h"

/* How long a setup waits for its confirmation. */
#define RS_MFA_SETUP_MS 600000

/* Keeps the sealed secret of account user_id's setup (replacing any). */
enum store_status rs_mfa_setup_put(struct redis_store *rs, long long user_id, const char *sealed);

/* The sealed secret of the setup waiting ("" for none). */
enum store_status rs_mfa_setup_get(struct redis_store *rs, long long user_id, char *out,
    size_t outlen);

enum store_status rs_mfa_setup_drop(struct redis_store *rs, long long user_id);

/* Whether a TOTP code of `step` may be accepted for the account: only when
 * no code of that step or a later one was (*accepted; it is remembered). */
enum store_status rs_mfa_accept_step(struct redis_store *rs, long long user_id, int64_t step,
    bool *accepted);

/* A reset's new password hash, kept by session `sid` (waiting for
 * set_password or mfa) until verify-mfa; and read back ("" for none). */
enum store_status rs_mfa_hold(struct redis_store *rs, const char *sid, const char *encoded);
enum store_status rs_mfa_held(struct redis_store *rs, const char *sid, char *out, size_t outlen);

/* A wrong code spent a try of session `sid` (at the mfa step); *ended when
 * it was the last (otp_max_tries) and the session is gone. */
enum store_status rs_mfa_miss(struct redis_store *rs, const char *sid, bool *ended);

#endif
