/*
 * PostgreSQL: users and the audit table. Prepared statements on one
 * connection per worker; results are copied into caller-owned structs and no
 * libpq type leaves this module.
 */
#ifndef PHONEAUTH_PG_STORE_H
#define PHONEAUTH_PG_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "phoneauth/config.h"
#include "phoneauth/embedded.h"
#include "phoneauth/password.h"
#include "phoneauth/phone.h"

struct pg_store;

enum pg_status {
	PG_OK = 0,
	PG_NOT_FOUND = -1,
	PG_CONFLICT = -2,	/* a unique constraint: the e-mail is taken */
	PG_UNAVAILABLE = -3,	/* cannot reach PostgreSQL: answer 503 */
	PG_ERROR = -4,		/* a bug: answer 500, the log says more */
};

struct user {
	long long id;
	char phone[PHONE_MAX];
	char password[PASSWORD_ENCODED_MAX];	/* '' when none (or not ours) */
	bool has_password;
	bool is_verified;
	bool is_active;		/* profile complete */
	bool is_banned;
};

struct pg_store *pg_new(const struct config *cfg);
void pg_free(struct pg_store *pg);

bool pg_ping(struct pg_store *pg);

/* The user of `phone`, inserted as a new unverified user if there is none. */
enum pg_status pg_user_register(struct pg_store *pg, const char *phone, struct user *out);

enum pg_status pg_user_by_phone(struct pg_store *pg, const char *phone, struct user *out);
enum pg_status pg_user_by_id(struct pg_store *pg, long long id, struct user *out);

/* Marks the number verified (it answered a code). */
enum pg_status pg_user_verified(struct pg_store *pg, long long id);

/* Sets the password hash and marks the number verified. */
enum pg_status pg_user_set_password(struct pg_store *pg, long long id, const char *encoded,
    struct user *out);

/* Completes the profile; PG_CONFLICT when the e-mail belongs to someone else. */
enum pg_status pg_user_set_profile(struct pg_store *pg, long long id, const char *first_name,
    const char *last_name, const char *email);

/* Records a login; with `encoded`, also replaces the hash (an upgrade). */
enum pg_status pg_user_logged_in(struct pg_store *pg, long long id, const char *encoded);

/* One row of failed_attempts. */
enum pg_status pg_audit_failure(struct pg_store *pg, const char *ip, const char *phone,
    const char *kind);

/*
 * Applies the migrations not yet recorded in schema_migrations, in order,
 * each in its own transaction, under an advisory lock so that two programs
 * migrating at once do not collide. Prints what it applied to stdout.
 */
bool pg_migrate(const struct config *cfg, const struct embedded *list, size_t count);

#endif
