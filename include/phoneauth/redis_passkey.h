/*
 * Redis's part of passkeys (src/lua/passkey.lua): the challenge of a
 * ceremony, kept in a session of its own for session_ttl and used once, on
 * whichever worker or host the answer reaches.
 */
#ifndef PHONEAUTH_REDIS_PASSKEY_H
#define PHONEAUTH_REDIS_PASSKEY_H

#include "phoneauth/redis_store.h"

/* A challenge as kept: base64url of 32 bytes (43 characters). */
#define RS_CHALLENGE_MAX 48

enum rs_ceremony { RS_CEREMONY_REGISTER, RS_CEREMONY_LOGIN };

/* Session sid keeps `challenge` (base64url) for ceremony `c` of account
 * user_id (0 for a login). res->verdict RS_BLOCKED for a blocked client. */
enum store_status rs_passkey_open(struct redis_store *rs, const char *client, const char *sid,
    enum rs_ceremony c, long long user_id, const char *challenge, struct rs_result *res);

/* The challenge of session sid, which ends: res->verdict RS_OK with the
 * challenge, ceremony and account out; RS_NO_SESSION (counted as a failure
 * of the client) when it is not there; RS_BLOCKED. */
enum store_status rs_passkey_take(struct redis_store *rs, const char *client, const char *sid,
    char challenge[RS_CHALLENGE_MAX], enum rs_ceremony *c, long long *user_id,
    struct rs_result *res);

#endif
