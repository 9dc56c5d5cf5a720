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
#include "phoneauth/password.h"
#include "phoneauth/phone.h"
#include "phoneauth/recovery.h"
#include "phoneauth/store.h"
#include "phoneauth/token.h"

struct pg_store;


struct user {
	long long id;
	char phone[PHONE_MAX];
	char password[PASSWORD_ENCODED_MAX];	/* '' when none (or not ours) */
	bool has_password;
	bool is_verified;
	bool is_active;		/* profile complete */
	bool is_banned;
	long long credentials_version;	/* counts changes of its password and number */
};

/* Where a login began, recorded with its family (route_sessions.c fills it in). */
#define LOGIN_AGENT_MAX 256
struct login_origin {
	char ip[46];				/* the client; "" when unknown */
	char user_agent[LOGIN_AGENT_MAX + 1];	/* printable ASCII, cut short */
	bool has_user_agent;
};

/*
 * The events of a change (sql/007_events.sql; event_record.h makes them):
 * each the JSON event_render() wrote, inserted into event_outbox by the
 * statement that makes the change, in its transaction, and only if the
 * change happens. NULL (the struct or a member): none.
 */
struct pg_events {
	const char *lang;	/* of the request: "en" or "fa" */
	const char *change;	/* the change's own event */
	const char *revoked;	/* session.revoked with sid "-": one per login the change ends */
	const char *again;	/* instead of `change` when the change was made already (a
				 * completion retried after its answer was lost: a login) */
};

struct pg_store *pg_new(const struct config *cfg);
void pg_free(struct pg_store *pg);

bool pg_ping(struct pg_store *pg);

enum store_status pg_user_by_phone(struct pg_store *pg, const char *phone, struct user *out);
enum store_status pg_user_by_id(struct pg_store *pg, long long id, struct user *out);

/* The account of an access token (its user_id), read with whether the
 * login it names (its sid; "" for none) is live: of that account, and
 * neither ended nor expired. */
enum store_status pg_user_by_login(struct pg_store *pg, long long id, const char *sid,
    struct user *out, bool *login_live);

/*
 * The statements a session step runs act on the account of id `id` only
 * while it still has the session's number `phone`: they answer
 * STORE_NOT_FOUND for an account deleted (its number maybe signed up afresh
 * under another id) or moved to another number meanwhile.
 */

/*
 * The number answered its code: marks account `id` verified, or with id 0
 * (no account when its session began) makes the account's row now, verified,
 * or finds the one a concurrent verification made. *out_id: the account.
 * STORE_NOT_FOUND when account `id` is gone; STORE_CONFLICT when id 0 found
 * an account with a password (made where the account index did not see).
 */
enum store_status pg_user_verify(struct pg_store *pg, const char *phone, long long id,
    long long *out_id);

/* Sets the first password hash (STORE_NOT_FOUND when the account has one
 * already) and marks the number verified. */
enum store_status pg_user_set_password(struct pg_store *pg, long long id, const char *phone,
    const char *encoded, struct user *out);

/*
 * The statements below that take a refresh token record it (its jti starts
 * a new family, a login, recorded with `from`) in the same statement as the
 * change they make; they answer STORE_NOT_FOUND when the account is gone,
 * moved or banned.
 */

/* Completes the profile; STORE_CONFLICT when the e-mail belongs to someone else. */
enum store_status pg_user_complete(struct pg_store *pg, long long id, const char *phone,
    const char *first_name, const char *last_name, const char *email,
    const struct token *refresh, const struct login_origin *from, const struct pg_events *ev);

/* Records a login (last_login). */
enum store_status pg_user_login(struct pg_store *pg, long long id, const char *phone,
    const struct token *refresh, const struct login_origin *from, const struct pg_events *ev);

/*
 * The statements that complete a session which proved the phone of an
 * existing account (a login by code, a reset, a phone change) act only while
 * the account's credentials_version is the one the session recorded when it
 * opened: STORE_NOT_FOUND once its password or number changed by another way.
 */

/* Records a login by code. */
enum store_status pg_user_login_by_code(struct pg_store *pg, long long id, const char *phone,
    long long credentials_version, const struct token *refresh, const struct login_origin *from,
    const struct pg_events *ev);

/* Sets a new password and revokes every refresh token the account had. */
enum store_status pg_user_reset_password(struct pg_store *pg, long long id, const char *phone,
    long long credentials_version, const char *encoded, const struct token *refresh,
    const struct login_origin *from, const struct pg_events *ev);

/* password/change: sets a new password, unless the credentials changed
 * since `credentials_version` was read (STORE_NOT_FOUND, as for a banned
 * or deleted account), and revokes every login of the account but
 * `keep_family` (the caller's). */
enum store_status pg_user_change_password(struct pg_store *pg, long long id,
    long long credentials_version, const char *encoded, const char *keep_family, const struct pg_events *ev);

/* Replaces a hash with a stronger one of the same password, unless the
 * credentials changed since `credentials_version` was read. */
enum store_status pg_user_rehash(struct pg_store *pg, long long id, long long credentials_version,
    const char *encoded);

enum pg_rotation {
	ROTATION_DONE,		/* spent, into `next` or (refresh_grace) its earlier successor */
	ROTATION_BANNED,	/* nothing spent or issued: the account is banned */
	ROTATION_REUSED,	/* it had been spent before: its family is now revoked */
	ROTATION_UNKNOWN,	/* not ours, revoked or expired */
	ROTATION_AGED,		/* its login began login_max_age ago: now ended (revoked) */
};

#define PG_FAMILY_MAX 64

/*
 * Spends refresh token `old_jti` and records `next` in its family, which
 * becomes the login's last use. On ROTATION_DONE, `family` names it and
 * `into` holds the claims (jwt NULL) of the token `old_jti` was rotated
 * into: `next`, or, for a token already spent less than refresh_grace
 * seconds ago, the successor that rotation recorded (nothing is added: the
 * caller signs that one again).
 */
enum store_status pg_refresh_rotate(struct pg_store *pg, const char *old_jti,
    const struct token *next, enum pg_rotation *outcome, char family[PG_FAMILY_MAX],
    struct token *into, const struct pg_events *ev);

/* STORE_OK if the refresh token is live (neither spent, revoked nor expired,
 * nor its login older than login_max_age) and its account not banned. */
enum store_status pg_refresh_live(struct pg_store *pg, const char *jti);

/* Revokes the family of a refresh token; STORE_NOT_FOUND if it is not ours. */
enum store_status pg_refresh_revoke_family(struct pg_store *pg, const char *jti,
    const struct pg_events *ev);

/* Deletes a batch of refresh tokens expired or revoked for a day, and the
 * logins they were the last of. */
enum store_status pg_refresh_sweep(struct pg_store *pg);

/* A live login of an account (GET sessions). */
struct pg_login {
	char family[PG_FAMILY_MAX];
	char created_at[40], last_used_at[40];	/* ISO 8601, UTC */
	char ip[46];
	bool has_ip;
	char user_agent[LOGIN_AGENT_MAX + 1];
	bool has_user_agent;
};

/* Calls `each` for the live logins of an account (at most `max`), newest first. */
enum store_status pg_logins(struct pg_store *pg, long long user_id, int max,
    void (*each)(const struct pg_login *l, void *arg), void *arg);

/* Ends (revokes) login `family` of an account; STORE_NOT_FOUND when it is
 * not a live login of that account. */
enum store_status pg_login_end(struct pg_store *pg, long long user_id, const char *family,
    const struct pg_events *ev);

/* Ends every login of an account; *ended (may be NULL): how many were live. */
enum store_status pg_logins_end_all(struct pg_store *pg, long long user_id, long *ended,
    const struct pg_events *ev);

/* Deletes an account with its tokens and logins; a banned one only with
 * even_banned. `phone`: the number it had. STORE_NOT_FOUND when there is
 * no such account (or it is banned). */
enum store_status pg_user_delete(struct pg_store *pg, long long user_id, bool even_banned,
    char phone[PHONE_MAX], const struct pg_events *ev);

/* Gives an account the number `phone` (see above: a phone-change session's
 * `credentials_version`); `old` is the number it had ("" when it had this
 * one already). STORE_CONFLICT when another account has it, STORE_NOT_FOUND
 * when the account is gone, banned, or its credentials changed. */
enum store_status pg_user_move(struct pg_store *pg, long long user_id, const char *phone,
    long long credentials_version, char old[PHONE_MAX], const struct pg_events *ev);

#define PG_TIME_MAX 40

/* What GET me shows. */
struct profile {
	long long id;
	char phone[PHONE_MAX];
	char email[256];
	bool has_email;
	char first_name[128], last_name[256];
	bool is_verified;
	char date_joined[PG_TIME_MAX];	/* ISO 8601, UTC */
	char last_login[PG_TIME_MAX];
	bool has_last_login;
	bool is_banned;
};

/* The profile of account `id`, read with whether the login `sid` names is
 * live (as pg_user_by_login). */
enum store_status pg_user_profile(struct pg_store *pg, long long id, const char *sid,
    struct profile *out, bool *login_live);

/* Bans (revoking every refresh token) or unbans the account of `phone`. */
enum store_status pg_user_set_banned(struct pg_store *pg, const char *phone, bool banned,
    const struct pg_events *ev);

/* One row of failed_attempts. */
struct audit_row {
	char ip[46];
	char phone[PHONE_MAX];	/* "" when the request named no valid number */
	const char *kind;	/* a string constant */
	double at;		/* Unix time of the failure */
};

#define AUDIT_MAX_ROWS 128

/* Appends rows (at most AUDIT_MAX_ROWS) to failed_attempts in one statement. */
enum store_status pg_audit_failures(struct pg_store *pg, const struct audit_row *rows, int n);

/*
 * Up to `max` numbers that have an account, of ids after `after_id`, in
 * order, comma-separated into out; *last_id the last one's id, *n how many
 * (fewer than max: the last page).
 */
enum store_status pg_account_page(struct pg_store *pg, long long after_id, int max, char *out,
    size_t outlen, long long *last_id, int *n);

/* Deletes a batch (at most PG_AUDIT_SWEEP_BATCH rows) of failed_attempts
 * older than `retention_days`; *deleted says how many went. */
#define PG_AUDIT_SWEEP_BATCH 10000
enum store_status pg_audit_sweep(struct pg_store *pg, long retention_days, long *deleted);

/* ---- second factors (sql/006_mfa.sql) ---- */

#define PG_MFA_SECRET_MAX 256	/* a sealed TOTP secret's text, NUL included */

/* An account's TOTP, as stored: the sealed secret and the hashes of the
 * recovery codes left. */
struct pg_mfa {
	char secret[PG_MFA_SECRET_MAX];
	unsigned char codes[RECOVERY_COUNT][RECOVERY_HASH_LEN];
	size_t ncodes;
};

/* The TOTP of account `user_id`; STORE_NOT_FOUND when it has none. */
enum store_status pg_mfa_get(struct pg_store *pg, long long user_id, struct pg_mfa *out);

/* Turns TOTP on with the sealed secret and n code hashes; STORE_CONFLICT
 * when it is on already (or the account is gone or banned). */
enum store_status pg_mfa_enable(struct pg_store *pg, long long user_id, const char *sealed,
    const unsigned char (*codes)[RECOVERY_HASH_LEN], size_t n, const struct pg_events *ev);

/* Replaces the recovery codes; STORE_NOT_FOUND when TOTP is off. */
enum store_status pg_mfa_set_codes(struct pg_store *pg, long long user_id,
    const unsigned char (*codes)[RECOVERY_HASH_LEN], size_t n, const struct pg_events *ev);

/* Spends the recovery code of hash `code`; STORE_NOT_FOUND when it is not
 * (or no longer) one of the account's. */
enum store_status pg_mfa_use_code(struct pg_store *pg, long long user_id,
    const unsigned char code[RECOVERY_HASH_LEN]);

/* TOTP and the recovery codes gone: by the account (disable), or by its
 * number (`phoneauth mfa-reset`; *user_id the account's id). STORE_NOT_FOUND
 * when it had none. */
enum store_status pg_mfa_disable(struct pg_store *pg, long long user_id, const struct pg_events *ev);
enum store_status pg_mfa_reset(struct pg_store *pg, const char *phone, long long *user_id,
    const struct pg_events *ev);

#endif
