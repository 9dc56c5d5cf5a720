/*
 * PostgreSQL's part of passkeys (sql/008_passkeys.sql): an account's
 * WebAuthn credentials and its opaque user handle. Results are copied into
 * caller-owned structs; no libpq type leaves pg_passkeys.c.
 */
#ifndef PHONEAUTH_PG_PASSKEYS_H
#define PHONEAUTH_PG_PASSKEYS_H

#include <stddef.h>
#include <stdint.h>

#include "phoneauth/pg_store.h"
#include "phoneauth/webauthn.h"

/* A user handle as stored: base64url of 32 random bytes, 43 characters. */
#define PG_HANDLE_BYTES 32
#define PG_HANDLE_MAX 48
/* A credential id as stored: base64url of at most 1023 bytes. */
#define PG_CREDENTIAL_ID_MAX 1368
#define PG_PASSKEY_NAME_MAX 260		/* 64 characters of UTF-8, NUL included */

/* The handle of account user_id: `fresh` (a new random one) becomes it
 * unless it has one already; out: the one it has. STORE_NOT_FOUND when the
 * account is gone. */
enum store_status pg_passkey_handle(struct pg_store *pg, long long user_id, const char *fresh,
    char out[PG_HANDLE_MAX]);

/* A passkey as its owner sees it. */
struct pg_passkey {
	char id[PG_CREDENTIAL_ID_MAX];
	char name[PG_PASSKEY_NAME_MAX];
	char created_at[PG_TIME_MAX], last_used_at[PG_TIME_MAX];	/* ISO 8601, UTC */
	bool has_last_used;
};

/* Calls `each` for the passkeys of an account, oldest first; *n: how many. */
enum store_status pg_passkeys_list(struct pg_store *pg, long long user_id,
    void (*each)(const struct pg_passkey *p, void *arg), void *arg, int *n);

/* How many passkeys an account has. */
enum store_status pg_passkeys_count(struct pg_store *pg, long long user_id, int *n);

/* Adds a verified credential `c` (id: `id`, its base64url) to account
 * user_id, unless it is banned or gone (STORE_NOT_FOUND); STORE_CONFLICT
 * when that credential is registered already. out->created_at is set. */
enum store_status pg_passkey_add(struct pg_store *pg, long long user_id, const char *id,
    const struct webauthn_credential *c, const char *transports, const char *name,
    const struct pg_events *ev, struct pg_passkey *out);

/* What a login needs of a credential: its account, the account's handle,
 * the key and the last counter. STORE_NOT_FOUND for an unknown id. */
struct pg_passkey_key {
	long long user_id;
	char handle[PG_HANDLE_MAX];
	unsigned char public_key[WEBAUTHN_PUBLIC_KEY_MAX];
	size_t public_key_len;
	int alg;
	uint32_t sign_count;
};
enum store_status pg_passkey_key(struct pg_store *pg, const char *id, struct pg_passkey_key *out);

/* A login with the credential: its counter becomes `count` and it was
 * used now, only while its counter is still `was` (a concurrent login
 * with a clone loses: STORE_NOT_FOUND). */
enum store_status pg_passkey_used(struct pg_store *pg, const char *id, long long user_id,
    uint32_t was, uint32_t count);

/* Removes passkey `id` of account user_id; STORE_NOT_FOUND when it is not
 * one of its. */
enum store_status pg_passkey_delete(struct pg_store *pg, long long user_id, const char *id,
    const struct pg_events *ev);

#endif
