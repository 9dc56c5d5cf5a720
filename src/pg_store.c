/*
 * The only file that speaks to PostgreSQL. Every statement is prepared once
 * per connection and run with PQexecPrepared: parameters travel apart from the
 * SQL, so nothing a client sends is ever parsed as SQL.
 *
 * A connection the server closed (a restart, a crash, an administrator) is
 * found before it is used: an idle connection has nothing to read, so one
 * that polls readable has been ended by the server, and it is replaced
 * before the statement is sent. A statement that still meets a dying
 * connection (the server went away while it ran: it may or may not have
 * committed) is run once more on a fresh connection only when it is marked
 * `retry`, which says it is written so that a second run changes nothing the
 * first one did; any other answers 503. A server that has turned read-only
 * under a connection (a primary demoted by a failover) is left the same
 * way: the next connection finds the primary (see exec()).
 */
#define _GNU_SOURCE		/* POLLRDHUP */

#include "phoneauth/pg_store.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "phoneauth/log.h"
#include "phoneauth/reconnect.h"

#include "pg_exec.h"


#define USER_COLUMNS "id, mobile_number, password, is_verified, is_active, is_banned," \
    " credentials_version"
/* How many columns USER_COLUMNS names: a statement that selects more after
 * them (ST_BY_LOGIN) finds its own from here. */
#define USER_NCOLUMNS 7

/*
 * The one place an account's credentials change: every statement that may
 * set its password or its number assigns this to credentials_version, in the
 * same SET (the CASE reads the row as it was), so that it counts every real
 * change and nothing else: a second run of the same statement (a `retry`)
 * finds the value in place and adds nothing, and a hash upgraded to more
 * iterations (ST_REHASH) is no change. A session that proved the phone of
 * the account records the counter, and the statement that completes it runs
 * only while it is unchanged (sql/004_credentials_version.sql).
 */
#define BUMP_IF_CHANGED(column, param) \
    "credentials_version = credentials_version + CASE WHEN " column " = " param \
    " THEN 0 ELSE 1 END"

/*
 * Whether login $2 (the family an access token names in its sid) of the
 * account of the row `users` is live: it has a token that can still be
 * rotated, as GET sessions lists it. Revoked (a logout, logout-all, a
 * reuse, a reset, a ban), swept or another account's: not live. An access
 * token without sid ($2 '') names no login: never live. One index lookup,
 * in the statement that reads the account anyway.
 */
#define LOGIN_LIVE "EXISTS (SELECT 1 FROM refresh_tokens l WHERE l.family = $2::text" \
	" AND l.user_id = users.id AND l.revoked_at IS NULL AND l.spent_at IS NULL" \
	" AND l.expires_at > now())"

/*
 * Whether the login (refresh family) `fam` began less than login_max_age
 * (`secs`, a parameter) ago: its row in logins says when the sign-in that
 * began it happened, which no rotation moves. A family without a row (none
 * is made without one) has no known beginning and is refused too.
 */
#define LOGIN_YOUNG(fam, secs) "EXISTS (SELECT 1 FROM logins a WHERE a.family = " fam \
	" AND a.created_at > now() - " secs " * interval '1 second')"

/* The logins (families) a revocation `r` (RETURNING family, live) ended. */
#define ENDED(r) "(SELECT DISTINCT family FROM " r " WHERE live) ended"
#define REVOKED_LIVE " RETURNING family, spent_at IS NULL AND expires_at > now() AS live"

enum stmt {
	ST_BY_PHONE,
	ST_BY_ID,
	ST_BY_LOGIN,
	ST_VERIFY_NEW,
	ST_VERIFY,
	ST_SET_PASSWORD,
	ST_COMPLETE,
	ST_LOGIN,
	ST_RESET_PASSWORD,
	ST_REHASH,
	ST_CHANGE_PASSWORD,
	ST_ROTATE,
	ST_REUSED,
	ST_REFRESH_LIVE,
	ST_LOGOUT,
	ST_PROFILE,
	ST_SET_BANNED,
	ST_SWEEP,
	ST_AUDIT_SWEEP,
	ST_ACCOUNT_PAGE,
	ST_LOGINS,
	ST_LOGIN_END,
	ST_LOGINS_END_ALL,
	ST_DELETE,
	ST_MOVE,
	ST_AUDIT,
	ST_PING,
	ST_MFA_GET,
	ST_MFA_ENABLE,
	ST_MFA_CODES,
	ST_MFA_USE_CODE,
	ST_MFA_DISABLE,
	ST_MFA_RESET,
	ST__MAX
};

/*
 * `retry`: safe to run twice (see the top of this file). UPDATEs set the same
 * values again; a refresh token is inserted ON CONFLICT (jti) DO NOTHING, so a
 * second run cannot add a second token, and a statement that revokes tokens
 * spares the one it adds; a rotation recognises its own successor. The audit
 * insert is not marked: run twice it would record a failure twice.
 */
static const struct {
	const char *name;
	const char *sql;
	bool retry;
} stmts[ST__MAX] = {
	[ST_BY_PHONE] = { "user_by_phone",
	    "SELECT " USER_COLUMNS " FROM users WHERE mobile_number = $1::text", true },
	[ST_BY_ID] = { "user_by_id",
	    "SELECT " USER_COLUMNS " FROM users WHERE id = $1::bigint", true },
	/* The account of an access token, and whether its login is live. */
	[ST_BY_LOGIN] = { "user_by_login",
	    "SELECT " USER_COLUMNS ", " LOGIN_LIVE " FROM users WHERE id = $1::bigint", true },
	/* A number proved its phone and has no row yet: the row is made now,
	 * never before (a register writes nothing). Two sessions of one number
	 * verified at once both land on the one row. */
	[ST_VERIFY_NEW] = { "user_verify_new",
	    "INSERT INTO users (mobile_number, is_verified) VALUES ($1::text, true)"
	    " ON CONFLICT (mobile_number) DO UPDATE SET is_verified = true"
	    "  WHERE users.password = '' RETURNING id", true },
	/* A session's account is the row of its id that still has the
	 * session's number: one deleted meanwhile (its number maybe signed up
	 * afresh, under another id) or moved to another number is not acted
	 * on. The statements below that a session step runs say so. */
	[ST_VERIFY] = { "user_verify",
	    "UPDATE users SET is_verified = true WHERE id = $1::bigint AND mobile_number = $2::text"
	    " RETURNING id", true },
	/* A sign-up's password: only on an account that has none (or has this
	 * very hash: a second run of the statement). */
	[ST_SET_PASSWORD] = { "user_set_password",
	    "UPDATE users SET password = $2::text, is_verified = true, "
	    BUMP_IF_CHANGED("password", "$2::text") " WHERE id = $1::bigint"
	    " AND mobile_number = $3::text AND (password = '' OR password = $2::text)"
	    " RETURNING " USER_COLUMNS, true },
	/* The profile, and the first refresh token of the login it starts
	 * (with where it began, in logins). The answer is the account's row
	 * (none: gone, moved or banned). */
	[ST_COMPLETE] = { "user_complete",
	    "WITH o AS (SELECT id, is_active AS was FROM users WHERE id = $1::bigint"
	    "  AND mobile_number = $7::text AND NOT is_banned FOR UPDATE),"
	    " u AS (UPDATE users SET first_name = $2::text, last_name = $3::text, email = $4::text,"
	    "  is_active = true, last_login = now() FROM o WHERE users.id = o.id"
	    "  RETURNING users.id, o.was),"
	    EVENT_ADD("e", "$10", "$11", "u", "NOT u.was", NO_UID, NO_TEXT, NO_TEXT) ","
	    EVENT_ADD("a", "$12", "$11", "u", "u.was", NO_UID, NO_TEXT, NO_TEXT) ","
	    " t AS (INSERT INTO refresh_tokens (jti, user_id, family, expires_at)"
	    "  SELECT $5::text, id, $5::text, to_timestamp($6::bigint) FROM u"
	    "  ON CONFLICT (jti) DO NOTHING),"
	    " l AS (INSERT INTO logins (family, user_id, ip, user_agent)"
	    "  SELECT $5::text, id, $8::inet, $9::text FROM u ON CONFLICT (family) DO NOTHING)"
	    " SELECT id FROM u", true },
	/* A login by code ($7: the credentials its session recorded; NULL for
	 * a login by password) happens only while they are unchanged. */
	[ST_LOGIN] = { "user_login",
	    "WITH u AS (UPDATE users SET last_login = now() WHERE id = $1::bigint"
	    "  AND mobile_number = $4::text AND NOT is_banned"
	    "  AND ($7::bigint IS NULL OR credentials_version = $7::bigint) RETURNING id),"
	    EVENT_ADD("e", "$8", "$9", "u", "true", NO_UID, NO_TEXT, NO_TEXT) ","
	    " t AS (INSERT INTO refresh_tokens (jti, user_id, family, expires_at)"
	    "  SELECT $2::text, id, $2::text, to_timestamp($3::bigint) FROM u"
	    "  ON CONFLICT (jti) DO NOTHING),"
	    " l AS (INSERT INTO logins (family, user_id, ip, user_agent)"
	    "  SELECT $2::text, id, $5::inet, $6::text FROM u ON CONFLICT (family) DO NOTHING)"
	    " SELECT id FROM u", true },
	/* A new password ends every login the account had, and starts this
	 * one; only while the credentials are those the reset session recorded
	 * ($8), or this statement's own second run set them. */
	[ST_RESET_PASSWORD] = { "user_reset_password",
	    "WITH u AS (UPDATE users SET password = $2::text, is_verified = true, last_login = now(), "
	    BUMP_IF_CHANGED("password", "$2::text")
	    "  WHERE id = $1::bigint AND mobile_number = $5::text AND NOT is_banned"
	    "  AND (credentials_version = $8::bigint OR password = $2::text) RETURNING id),"
	    " r AS (UPDATE refresh_tokens SET revoked_at = now()"
	    "  WHERE user_id IN (SELECT id FROM u) AND revoked_at IS NULL AND jti <> $3::text"
	    REVOKED_LIVE "),"
	    EVENT_ADD("e", "$9", "$10", "u", "true", NO_UID, NO_TEXT, NO_TEXT) ","
	    EVENT_ADD("v", "$11", "$10", ENDED("r"), AFTER_E, NO_UID, NO_TEXT, "ended.family") ","
	    " t AS (INSERT INTO refresh_tokens (jti, user_id, family, expires_at)"
	    "  SELECT $3::text, id, $3::text, to_timestamp($4::bigint) FROM u"
	    "  ON CONFLICT (jti) DO NOTHING),"
	    " l AS (INSERT INTO logins (family, user_id, ip, user_agent)"
	    "  SELECT $3::text, id, $6::inet, $7::text FROM u ON CONFLICT (family) DO NOTHING)"
	    " SELECT id FROM u", true },
	/* The same password, hashed again: not if it changed since the login
	 * that judged it ($3, the credentials it read). */
	[ST_REHASH] = { "user_rehash",
	    "UPDATE users SET password = $2::text WHERE id = $1::bigint"
	    " AND credentials_version = $3::bigint", true },
	/* password/change: a new password, only while the credentials are
	 * those the caller's current password was judged against ($3), or
	 * this statement's own second run set them; every login of the
	 * account ends but the caller's ($4, its sid). The answer is the
	 * account's id (none: banned, gone, or changed meanwhile). */
	[ST_CHANGE_PASSWORD] = { "user_change_password",
	    "WITH u AS (UPDATE users SET password = $2::text, "
	    BUMP_IF_CHANGED("password", "$2::text")
	    "  WHERE id = $1::bigint AND NOT is_banned"
	    "  AND (credentials_version = $3::bigint OR password = $2::text) RETURNING id),"
	    " r AS (UPDATE refresh_tokens SET revoked_at = now()"
	    "  WHERE user_id IN (SELECT id FROM u) AND revoked_at IS NULL AND family <> $4::text"
	    REVOKED_LIVE "),"
	    EVENT_ADD("e", "$5", "$6", "u", "true", NO_UID, NO_TEXT, NO_TEXT) ","
	    EVENT_ADD("v", "$7", "$6", ENDED("r"), AFTER_E, NO_UID, NO_TEXT, "ended.family")
	    " SELECT id FROM u", true },
	/*
	 * Rotation in one statement: spend the old token (only if live, and
	 * its account not banned), record in it its successor (jti $2, iat $5,
	 * exp $3), and add the successor to its family. Concurrent spends of
	 * one token serialise on its row. A token spent less than
	 * refresh_grace ($4 s) ago is not spent again: it answers the
	 * successor its rotation recorded, which the caller signs again (the
	 * same token), so that two tabs refreshing at once, or a client whose
	 * answer was lost, keep their login, and a replay never forks it into
	 * live branches: a family has one live token, whoever presents what.
	 * (A token spent before the successor was recorded gets $2 recorded
	 * now, once.) Without a grace, never: now() is when this statement
	 * began, and one that waited for the row's lock may have begun before
	 * the rotation that spent it. A second run of one rotation finds its
	 * own successor recorded and answers as the first did. The answer
	 * names the family, which the new access token carries, and the
	 * successor. (The token it adds is its login's last use: logins reads
	 * it from there, so that a rotation writes nothing more.)
	 */
	[ST_ROTATE] = { "refresh_rotate",
	    "WITH s AS (UPDATE refresh_tokens t SET spent_at = coalesce(t.spent_at, now()),"
	    "  successor = coalesce(t.successor, $2::text),"
	    "  successor_iat = coalesce(t.successor_iat, $5::bigint),"
	    "  successor_exp = coalesce(t.successor_exp, $3::bigint)"
	    "  FROM users u WHERE t.jti = $1::text AND u.id = t.user_id AND NOT u.is_banned"
	    "  AND t.revoked_at IS NULL AND t.expires_at > now()"
	    "  AND " LOGIN_YOUNG("t.family", "$6::bigint")
	    "  AND (t.spent_at IS NULL OR t.successor = $2::text"
	    "   OR ($4::int > 0 AND t.spent_at > now() - make_interval(secs => $4::int)))"
	    "  RETURNING t.user_id, t.family, t.successor, t.successor_iat, t.successor_exp),"
	    " i AS (INSERT INTO refresh_tokens (jti, user_id, family, expires_at)"
	    "  SELECT successor, user_id, family, to_timestamp(successor_exp) FROM s"
	    "  WHERE successor = $2::text ON CONFLICT (jti) DO NOTHING)"
	    " SELECT family, successor, successor_iat, successor_exp FROM s", true },
	/* A token that could not be spent: if it had been spent before, this is
	 * reuse, and its whole family is revoked; if its login is older than
	 * login_max_age ($2), the login ends: its family is revoked (and
	 * nothing else of the account changes). The answer also says whether
	 * it is a live token of a banned account (which a rotation spends not). */
	[ST_REUSED] = { "refresh_reused",
	    "WITH t AS (SELECT r.family, r.spent_at IS NOT NULL AS spent, r.user_id, u.mobile_number,"
	    "  u.is_banned AND r.revoked_at IS NULL AND r.expires_at > now() AS banned,"
	    "  r.revoked_at IS NULL AND r.expires_at > now()"
	    "   AND NOT " LOGIN_YOUNG("r.family", "$2::bigint") " AS aged"
	    "  FROM refresh_tokens r JOIN users u ON u.id = r.user_id WHERE r.jti = $1::text),"
	    " r AS (UPDATE refresh_tokens SET revoked_at = now()"
	    "  WHERE family IN (SELECT family FROM t WHERE spent OR aged) AND revoked_at IS NULL"
	    "  RETURNING family),"
	    EVENT_ADD("e", "$3", "$4", "t", "t.spent AND EXISTS (SELECT 1 FROM r)",
	        "t.user_id", "t.mobile_number", "t.family") ","
	    EVENT_ADD("v", "$5", "$4", "t", AFTER_E " AND t.spent AND EXISTS (SELECT 1 FROM r)",
	        "t.user_id", "t.mobile_number", "t.family")
	    " SELECT spent, banned, aged FROM t", true },
	/* A refresh token that can still be rotated, of an account that is
	 * not banned (a deleted one took its tokens with it). */
	[ST_REFRESH_LIVE] = { "refresh_live",
	    "SELECT 1 FROM refresh_tokens r JOIN users u ON u.id = r.user_id WHERE r.jti = $1::text"
	    " AND r.spent_at IS NULL AND r.revoked_at IS NULL AND r.expires_at > now()"
	    " AND NOT u.is_banned AND " LOGIN_YOUNG("r.family", "$2::bigint"), true },
	[ST_LOGOUT] = { "refresh_logout",
	    "WITH t AS (SELECT family, user_id FROM refresh_tokens WHERE jti = $1::text),"
	    " r AS (UPDATE refresh_tokens SET revoked_at = now()"
	    "  WHERE family IN (SELECT family FROM t) AND revoked_at IS NULL" REVOKED_LIVE "),"
	    EVENT_ADD("v", "$2", "$3", "(SELECT DISTINCT r.family, u.id, u.mobile_number FROM r"
	        " JOIN t ON t.family = r.family JOIN users u ON u.id = t.user_id WHERE r.live) ended",
	        "true", "ended.id", "ended.mobile_number", "ended.family")
	    " SELECT 1 FROM t", true },
	[ST_PROFILE] = { "user_profile",
	    "SELECT id, mobile_number, email, first_name, last_name, is_verified,"
	    " to_char(date_joined AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	    " to_char(last_login AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	    " is_banned, " LOGIN_LIVE " FROM users WHERE id = $1::bigint", true },
	/* A ban also ends every login the account has. */
	[ST_SET_BANNED] = { "user_set_banned",
	    "WITH o AS (SELECT id, is_banned AS was FROM users WHERE mobile_number = $1::text"
	    "  FOR UPDATE),"
	    " u AS (UPDATE users SET is_banned = $2::boolean FROM o WHERE users.id = o.id"
	    "  RETURNING users.id, users.mobile_number, o.was),"
	    " r AS (UPDATE refresh_tokens SET revoked_at = now()"
	    "  WHERE $2::boolean AND user_id IN (SELECT id FROM u) AND revoked_at IS NULL"
	    REVOKED_LIVE "),"
	    EVENT_ADD("e", "$3", "$4", "u", "u.was <> $2::boolean", "u.id", "u.mobile_number",
	        NO_TEXT) ","
	    EVENT_ADD("v", "$5", "$4", ENDED("r") ", u", AFTER_E, "u.id", "u.mobile_number",
	        "ended.family")
	    " SELECT id FROM u", true },
	/* Refresh tokens expired or revoked a day ago, a batch at a time (they
	 * are useless by then: a revoked family never comes back), and the
	 * logins whose last tokens they were. (The statement sees the tokens
	 * as they were before it: a family is gone when every token it had is
	 * among those deleted.) */
	[ST_SWEEP] = { "refresh_sweep",
	    "WITH t AS (DELETE FROM refresh_tokens WHERE jti IN (SELECT jti FROM refresh_tokens"
	    "  WHERE expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day'"
	    "  LIMIT 1000) RETURNING jti, family)"
	    " DELETE FROM logins WHERE family IN (SELECT family FROM t) AND NOT EXISTS"
	    "  (SELECT 1 FROM refresh_tokens r WHERE r.family = logins.family"
	    "   AND r.jti NOT IN (SELECT jti FROM t))", true },
	/* Audit rows past audit_retention_days, a batch at a time. */
	[ST_AUDIT_SWEEP] = { "audit_sweep",
	    "DELETE FROM failed_attempts WHERE id IN (SELECT id FROM failed_attempts"
	    " WHERE at < now() - make_interval(days => $1::int) LIMIT $2::int)", true },
	/* The numbers that have an account, a page at a time, for the index. */
	[ST_ACCOUNT_PAGE] = { "account_page",
	    "SELECT id, mobile_number FROM users WHERE id > $1::bigint ORDER BY id LIMIT $2::int",
	    true },
	/* The live logins of an account, newest first: those of a family with
	 * a token that can still be rotated, begun less than login_max_age ($3)
	 * ago. A login was last used when its newest token was made (by its
	 * last rotation, or by the login). */
	[ST_LOGINS] = { "logins",
	    "SELECT l.family,"
	    " to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	    " to_char(max(t.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
	    " host(l.ip), l.user_agent"
	    " FROM logins l JOIN refresh_tokens t ON t.family = l.family WHERE l.user_id = $1::bigint"
	    " AND l.created_at > now() - $3::bigint * interval '1 second'"
	    " GROUP BY l.family, l.created_at, l.ip, l.user_agent"
	    " HAVING bool_or(t.revoked_at IS NULL AND t.spent_at IS NULL AND t.expires_at > now())"
	    " ORDER BY l.created_at DESC, l.family LIMIT $2::int", true },
	/* Ends one live login of an account. Not `retry`: a second run would
	 * find it ended and answer that there is no such login. */
	[ST_LOGIN_END] = { "login_end",
	    "WITH f AS (SELECT DISTINCT family FROM refresh_tokens WHERE family = $2::text"
	    "  AND user_id = $1::bigint AND revoked_at IS NULL AND spent_at IS NULL"
	    "  AND expires_at > now()),"
	    " r AS (UPDATE refresh_tokens SET revoked_at = now()"
	    "  WHERE family IN (SELECT family FROM f) AND revoked_at IS NULL),"
	    EVENT_ADD("v", "$3", "$4", "f", "true", NO_UID, NO_TEXT, "f.family")
	    " SELECT 1 FROM f", false },
	/* Ends every login of an account; the answer counts the live ones. */
	[ST_LOGINS_END_ALL] = { "logins_end_all",
	    "WITH r AS (UPDATE refresh_tokens SET revoked_at = now()"
	    "  WHERE user_id = $1::bigint AND revoked_at IS NULL" REVOKED_LIVE "),"
	    EVENT_ADD("v", "$2", "$3", ENDED("r"), "true", NO_UID, NO_TEXT, "ended.family")
	    " SELECT count(DISTINCT family) FILTER (WHERE live) FROM r", true },
	/* An account goes, with its tokens and logins (cascade); a banned one
	 * only when $2 says so (an administrator). The answer is the number it
	 * had. Not `retry`: a second run would find no account. */
	[ST_DELETE] = { "user_delete",
	    "WITH d AS (DELETE FROM users WHERE id = $1::bigint AND (NOT is_banned OR $2::boolean)"
	    "  RETURNING id, mobile_number),"
	    EVENT_ADD("e", "$3", "$4", "d", "true", "d.id", "d.mobile_number", NO_TEXT)
	    " SELECT mobile_number FROM d", false },
	/* An account takes a new number; the unique constraint refuses one
	 * that has an account (two accounts racing for a number: one wins);
	 * only while its credentials are those the change session recorded
	 * ($3). The answer is the number it had, or '' when it had this one
	 * already (a second run). */
	[ST_MOVE] = { "user_move",
	    "WITH o AS (SELECT id, mobile_number AS was FROM users WHERE id = $1::bigint"
	    "  AND NOT is_banned AND (credentials_version = $3::bigint OR mobile_number = $2::text)"
	    "  FOR UPDATE),"
	    " m AS (UPDATE users SET mobile_number = $2::text, "
	    BUMP_IF_CHANGED("mobile_number", "$2::text") " FROM o WHERE users.id = o.id"
	    "  RETURNING o.was AS old),"
	    EVENT_ADD("e", "$4", "$5", "m", "m.old <> $2::text", NO_UID, NO_TEXT, "m.old")
	    " SELECT CASE WHEN old = $2::text THEN '' ELSE old END FROM m", true },
	/* A batch of rows in one statement: four arrays, one element per row. */
	[ST_AUDIT] = { "audit_failures",
	    "INSERT INTO failed_attempts (ip, mobile_number, kind, at)"
	    " SELECT ip, phone, kind, to_timestamp(at) FROM unnest($1::inet[], $2::text[],"
	    " $3::text[], $4::float8[]) AS t(ip, phone, kind, at)", false },
	[ST_PING] = { "ping", "SELECT 1", true },
	/* Second factors (sql/006_mfa.sql): the sealed secret and the hashes
	 * of the recovery codes left. */
	[ST_MFA_GET] = { "mfa_get",
	    "SELECT totp_secret, array_to_string(recovery_codes, ',') FROM user_mfa"
	    " WHERE user_id = $1::bigint", true },
	/* TOTP on, with its codes; a row already there (on meanwhile) stays
	 * as it is, and nothing is returned. */
	[ST_MFA_ENABLE] = { "mfa_enable",
	    "WITH m AS (INSERT INTO user_mfa (user_id, totp_secret, recovery_codes)"
	    "  SELECT id, $2::text, string_to_array($3::text, ',') FROM users"
	    "  WHERE id = $1::bigint AND NOT is_banned"
	    "  ON CONFLICT (user_id) DO NOTHING RETURNING user_id),"
	    EVENT_ADD("e", "$4", "$5", "m", "true", NO_UID, NO_TEXT, NO_TEXT)
	    " SELECT user_id FROM m", false },
	[ST_MFA_CODES] = { "mfa_codes",
	    "WITH c AS (UPDATE user_mfa SET recovery_codes = string_to_array($2::text, ',')"
	    "  WHERE user_id = $1::bigint RETURNING user_id),"
	    EVENT_ADD("e", "$3", "$4", "c", "true", NO_UID, NO_TEXT, NO_TEXT)
	    " SELECT user_id FROM c", true },
	/* A recovery code used: only while it is still there, so that two
	 * requests with the same code get one success. */
	[ST_MFA_USE_CODE] = { "mfa_use_code",
	    "UPDATE user_mfa SET recovery_codes = array_remove(recovery_codes, $2::text)"
	    " WHERE user_id = $1::bigint AND $2::text = ANY (recovery_codes)", false },
	[ST_MFA_DISABLE] = { "mfa_disable",
	    "WITH d AS (DELETE FROM user_mfa WHERE user_id = $1::bigint RETURNING user_id),"
	    EVENT_ADD("e", "$2", "$3", "d", "true", NO_UID, NO_TEXT, NO_TEXT)
	    " SELECT user_id FROM d", true },
	[ST_MFA_RESET] = { "mfa_reset",
	    "WITH d AS (DELETE FROM user_mfa m USING users u WHERE m.user_id = u.id"
	    "  AND u.mobile_number = $1::text RETURNING u.id, u.mobile_number),"
	    EVENT_ADD("e", "$2", "$3", "d", "true", "d.id", "d.mobile_number", NO_TEXT)
	    " SELECT id FROM d", true },
};

struct pg_store {
	const struct config *cfg;
	PGconn *conn;
	struct reconnect again;
};

/* Our defaults first: whatever postgres_url says overrides them. */
static PGconn *
connect_url(const char *url)
{
	const char *keys[] = { "connect_timeout", "application_name", "options", "dbname", NULL };
	const char *vals[] = { "3", "phoneauth", "-c statement_timeout=5000", url, NULL };

	return PQconnectdbParams(keys, vals, 1);
}

struct pg_store *
pg_new(const struct config *cfg)
{
	struct pg_store *pg = calloc(1, sizeof *pg);

	if (pg != NULL) {
		pg->cfg = cfg;
		pg->again.store = "postgres";
	}
	return pg;
}

void
pg_free(struct pg_store *pg)
{
	if (pg == NULL)
		return;
	PQfinish(pg->conn);
	free(pg);
}

static void
drop(struct pg_store *pg)
{
	PQfinish(pg->conn);
	pg->conn = NULL;
}

/*
 * Whether the server has ended an idle connection: it then polls readable
 * (the FATAL notice a terminated backend sends, or the end of the stream).
 * A live idle connection has nothing to say; no round trip is spent asking.
 */
static bool
server_ended(PGconn *conn)
{
	struct pollfd p = { .fd = PQsocket(conn), .events = POLLIN | POLLRDHUP };

	if (p.fd < 0 || PQstatus(conn) != CONNECTION_OK)
		return true;
	if (poll(&p, 1, 0) <= 0)
		return false;
	if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
		return true;
	/* Something else arrived unasked (a notice): read it and look again. */
	return !PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK;
}

static bool
ensure_connected(struct pg_store *pg)
{
	if (pg->conn != NULL && !reconnect_trusted(&pg->again) && server_ended(pg->conn)) {
		log_warn("postgres: the server closed the connection; reconnecting");
		drop(pg);
	}
	if (pg->conn != NULL)
		return true;
	if (!reconnect_may_try(&pg->again))
		return false;
	pg->conn = connect_url(pg->cfg->postgres_url);
	if (pg->conn == NULL || PQstatus(pg->conn) != CONNECTION_OK)
		goto fail;
	for (int s = 0; s < ST__MAX; s++) {
		PGresult *r = PQprepare(pg->conn, stmts[s].name, stmts[s].sql, 0, NULL);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;

		if (!ok)
			log_error("postgres: preparing %s: %s", stmts[s].name,
			    PQresultErrorMessage(r));
		PQclear(r);
		if (!ok)
			goto fail;
	}
	for (size_t s = 0; s < pg_passkey_nstmts; s++) {
		PGresult *r = PQprepare(pg->conn, pg_passkey_stmts[s].name, pg_passkey_stmts[s].sql,
		    0, NULL);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;

		if (!ok)
			log_error("postgres: preparing %s: %s", pg_passkey_stmts[s].name,
			    PQresultErrorMessage(r));
		PQclear(r);
		if (!ok)
			goto fail;
	}
	reconnect_succeeded(&pg->again);
	return true;
fail:
	reconnect_failed(&pg->again, pg->conn ? PQerrorMessage(pg->conn) : "out of memory");
	drop(pg);
	return false;
}

/* SQLSTATEs that mean "the database is not there right now", not "a bug". */
static bool
unavailable_state(const char *state)
{
	return strncmp(state, "08", 2) == 0 ||	/* connection exception */
	    strncmp(state, "53", 2) == 0 ||	/* insufficient resources */
	    strncmp(state, "57", 2) == 0 ||	/* shutdown, statement timeout */
	    strcmp(state, "40001") == 0 ||	/* serialization failure */
	    strcmp(state, "40P01") == 0;	/* deadlock */
}

/*
 * Runs a prepared statement. Returns the result (owner: the caller) when it
 * succeeded, else NULL with *st set.
 */
PGresult *
pg_exec_stmt(struct pg_store *pg, const struct pg_stmt *stmt, int n, const char *const *values,
    enum store_status *st)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		PGresult *r;
		ExecStatusType rs;
		const char *state;

		if (!ensure_connected(pg)) {
			*st = STORE_UNAVAILABLE;
			return NULL;
		}
		r = PQexecPrepared(pg->conn, stmt->name, n, values, NULL, NULL, 0);
		rs = PQresultStatus(r);
		if (rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK) {
			reconnect_answered(&pg->again);
			*st = STORE_OK;
			return r;
		}
		state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (state == NULL || PQstatus(pg->conn) != CONNECTION_OK ||
		    strcmp(state, "25006") == 0) {
			/* No SQLSTATE: libpq's own failure, the connection is gone
			 * even when PQstatus has not noticed yet. 25006
			 * (read_only_sql_transaction): the server is a standby now,
			 * a primary demoted by a failover, and would refuse every
			 * write on this connection for ever; a new one finds the
			 * primary (postgres_url with several hosts and
			 * target_session_attrs=read-write). Either way, a lost
			 * connection. */
			log_warn("postgres: %s: connection lost: %s", stmt->name,
			    state != NULL ? PQresultErrorMessage(r) : PQerrorMessage(pg->conn));
			PQclear(r);
			drop(pg);
			if (stmt->retry)
				continue;	/* once more, on a fresh connection */
			break;
		}
		if (strcmp(state, "23505") == 0) {
			*st = STORE_CONFLICT;
		} else if (unavailable_state(state)) {
			log_warn("postgres: %s: %s", stmt->name, PQresultErrorMessage(r));
			*st = STORE_UNAVAILABLE;
		} else {
			log_error("postgres: %s: %s", stmt->name, PQresultErrorMessage(r));
			*st = STORE_ERROR;
		}
		PQclear(r);
		return NULL;
	}
	*st = STORE_UNAVAILABLE;
	return NULL;
}
static PGresult *
exec(struct pg_store *pg, enum stmt s, int n, const char *const *values, enum store_status *st)
{
	const struct pg_stmt stmt = { stmts[s].name, stmts[s].sql, stmts[s].retry };

	return pg_exec_stmt(pg, &stmt, n, values, st);
}

static void
copy_user(const PGresult *r, int row, struct user *u)
{
	const char *pw = PQgetvalue(r, row, 2);

	memset(u, 0, sizeof *u);
	u->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
	snprintf(u->phone, sizeof u->phone, "%s", PQgetvalue(r, row, 1));
	u->has_password = pw[0] != '\0';
	/* A hash too long for us is not one we wrote or can check: it stays
	 * unusable (login fails) rather than being cut short. */
	if ((size_t)PQgetlength(r, row, 2) < sizeof u->password)
		memcpy(u->password, pw, (size_t)PQgetlength(r, row, 2) + 1);
	u->is_verified = PQgetvalue(r, row, 3)[0] == 't';
	u->is_active = PQgetvalue(r, row, 4)[0] == 't';
	u->is_banned = PQgetvalue(r, row, 5)[0] == 't';
	u->credentials_version = strtoll(PQgetvalue(r, row, 6), NULL, 10);
}

static enum store_status
one_user(struct pg_store *pg, enum stmt s, int n, const char *const *values, struct user *out)
{
	enum store_status st;
	PGresult *r = exec(pg, s, n, values, &st);

	if (r == NULL)
		return st;
	if (PQntuples(r) == 0) {
		st = STORE_NOT_FOUND;
	} else {
		copy_user(r, 0, out);
		st = STORE_OK;
	}
	PQclear(r);
	return st;
}

bool
pg_ping(struct pg_store *pg)
{
	enum store_status st;
	PGresult *r = exec(pg, ST_PING, 0, NULL, &st);

	PQclear(r);
	return r != NULL;
}

enum store_status
pg_user_by_phone(struct pg_store *pg, const char *phone, struct user *out)
{
	const char *v[] = { phone };

	return one_user(pg, ST_BY_PHONE, 1, v, out);
}

enum store_status
pg_user_by_id(struct pg_store *pg, long long id, struct user *out)
{
	char idbuf[24];
	const char *v[] = { idbuf };

	snprintf(idbuf, sizeof idbuf, "%lld", id);
	return one_user(pg, ST_BY_ID, 1, v, out);
}

enum store_status
pg_user_by_login(struct pg_store *pg, long long id, const char *sid, struct user *out,
    bool *login_live)
{
	char idbuf[24];
	const char *v[] = { idbuf, sid };
	enum store_status st;
	PGresult *r;

	*login_live = false;
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	if ((r = exec(pg, ST_BY_LOGIN, 2, v, &st)) == NULL)
		return st;
	if (PQntuples(r) == 0) {
		st = STORE_NOT_FOUND;
	} else {
		copy_user(r, 0, out);
		*login_live = PQgetvalue(r, 0, USER_NCOLUMNS)[0] == 't';
		st = STORE_OK;
	}
	PQclear(r);
	return st;
}

enum store_status
pg_user_set_password(struct pg_store *pg, long long id, const char *phone, const char *encoded,
    struct user *out)
{
	char idbuf[24];
	const char *v[] = { idbuf, encoded, phone };

	snprintf(idbuf, sizeof idbuf, "%lld", id);
	return one_user(pg, ST_SET_PASSWORD, 3, v, out);
}

static enum store_status
command(struct pg_store *pg, enum stmt s, int n, const char *const *values, bool need_row)
{
	enum store_status st;
	PGresult *r = exec(pg, s, n, values, &st);

	if (r == NULL)
		return st;
	if (need_row && strcmp(PQcmdTuples(r), "0") == 0)
		st = STORE_NOT_FOUND;
	PQclear(r);
	return st;
}

static void
fmt_id(char buf[24], long long id)
{
	snprintf(buf, 24, "%lld", id);
}

static void
fmt_exp(char buf[24], const struct token *t)
{
	snprintf(buf, 24, "%lld", (long long)t->exp);
}

/* The first column of the first row, as text (out may be NULL);
 * STORE_NOT_FOUND if there is no row. */
static enum store_status
first_value(struct pg_store *pg, enum stmt s, int n, const char *const *values, char *out,
    size_t outlen)
{
	enum store_status st;
	PGresult *r = exec(pg, s, n, values, &st);

	if (r == NULL)
		return st;
	st = PQntuples(r) > 0 ? STORE_OK : STORE_NOT_FOUND;
	if (st == STORE_OK && out != NULL)
		snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return st;
}

/* The first column of the first row as a boolean; STORE_NOT_FOUND if no row. */
static enum store_status
one_bool(struct pg_store *pg, enum stmt s, int n, const char *const *values, bool *out)
{
	char v[8] = "";
	enum store_status st = first_value(pg, s, n, values, v, sizeof v);

	*out = v[0] == 't' || v[0] == '1';
	return st;
}

enum store_status
pg_user_verify(struct pg_store *pg, const char *phone, long long id, long long *out_id)
{
	char idbuf[24], got[24];
	const char *by_phone[] = { phone }, *by_id[] = { idbuf, phone };
	enum store_status st;

	fmt_id(idbuf, id);
	st = id == 0 ? first_value(pg, ST_VERIFY_NEW, 1, by_phone, got, sizeof got)
	    : first_value(pg, ST_VERIFY, 2, by_id, got, sizeof got);
	if (st == STORE_OK)
		*out_id = strtoll(got, NULL, 10);
	/* A row with a password where the session expected none: the account
	 * was made behind the account index's back. */
	if (st == STORE_NOT_FOUND && id == 0)
		st = STORE_CONFLICT;
	return st;
}

/* The client address and user agent of a login, as parameters (NULL: unknown). */
static const char *
origin_ip(const struct login_origin *from)
{
	return from != NULL && from->ip[0] != '\0' ? from->ip : NULL;
}

static const char *
origin_agent(const struct login_origin *from)
{
	return from != NULL && from->has_user_agent ? from->user_agent : NULL;
}

enum store_status
pg_user_complete(struct pg_store *pg, long long id, const char *phone, const char *first_name,
    const char *last_name, const char *email, const struct token *refresh,
    const struct login_origin *from, const struct pg_events *ev)
{
	char idbuf[24], exp[24];
	const char *v[] = { idbuf, first_name, last_name, email, refresh->jti, exp, phone,
		origin_ip(from), origin_agent(from), ev_change(ev), ev_lang(ev), ev_again(ev) };

	fmt_id(idbuf, id);
	fmt_exp(exp, refresh);
	return command(pg, ST_COMPLETE, 12, v, true);
}

/* ST_LOGIN, by password (no credentials to match: `credentials` NULL) or by code. */
static enum store_status
login(struct pg_store *pg, long long id, const char *phone, const char *credentials,
    const struct token *refresh, const struct login_origin *from, const struct pg_events *ev)
{
	char idbuf[24], exp[24];
	const char *v[] = { idbuf, refresh->jti, exp, phone, origin_ip(from), origin_agent(from),
		credentials, ev_change(ev), ev_lang(ev) };

	fmt_id(idbuf, id);
	fmt_exp(exp, refresh);
	return command(pg, ST_LOGIN, 9, v, true);
}

enum store_status
pg_user_login(struct pg_store *pg, long long id, const char *phone, const struct token *refresh,
    const struct login_origin *from, const struct pg_events *ev)
{
	return login(pg, id, phone, NULL, refresh, from, ev);
}

enum store_status
pg_user_login_by_code(struct pg_store *pg, long long id, const char *phone,
    long long credentials_version, const struct token *refresh, const struct login_origin *from,
    const struct pg_events *ev)
{
	char cv[24];

	fmt_id(cv, credentials_version);
	return login(pg, id, phone, cv, refresh, from, ev);
}

enum store_status
pg_user_reset_password(struct pg_store *pg, long long id, const char *phone,
    long long credentials_version, const char *encoded, const struct token *refresh,
    const struct login_origin *from, const struct pg_events *ev)
{
	char idbuf[24], exp[24], cv[24];
	const char *v[] = { idbuf, encoded, refresh->jti, exp, phone, origin_ip(from),
		origin_agent(from), cv, ev_change(ev), ev_lang(ev), ev_revoked(ev) };

	fmt_id(idbuf, id);
	fmt_id(cv, credentials_version);
	fmt_exp(exp, refresh);
	return command(pg, ST_RESET_PASSWORD, 11, v, true);
}

enum store_status
pg_user_change_password(struct pg_store *pg, long long id, long long credentials_version,
    const char *encoded, const char *keep_family, const struct pg_events *ev)
{
	char idbuf[24], cv[24];
	const char *v[] = { idbuf, encoded, cv, keep_family, ev_change(ev), ev_lang(ev),
		ev_revoked(ev) };

	fmt_id(idbuf, id);
	fmt_id(cv, credentials_version);
	return command(pg, ST_CHANGE_PASSWORD, 7, v, true);
}

enum store_status
pg_user_rehash(struct pg_store *pg, long long id, long long credentials_version,
    const char *encoded)
{
	char idbuf[24], cv[24];
	const char *v[] = { idbuf, encoded, cv };

	fmt_id(idbuf, id);
	fmt_id(cv, credentials_version);
	return command(pg, ST_REHASH, 3, v, true);
}

enum store_status
pg_refresh_rotate(struct pg_store *pg, const char *old_jti, const struct token *next,
    enum pg_rotation *outcome, char family[PG_FAMILY_MAX], struct token *into,
    const struct pg_events *ev)
{
	char exp[24], grace[24], iat[24], age[24];
	const char *v[] = { old_jti, next->jti, exp, grace, iat, age };
	const char *reused[] = { old_jti, age, ev_change(ev), ev_lang(ev), ev_revoked(ev) };
	enum store_status st;
	PGresult *r;

	family[0] = '\0';
	memset(into, 0, sizeof *into);
	fmt_exp(exp, next);
	snprintf(iat, sizeof iat, "%lld", (long long)next->iat);
	snprintf(grace, sizeof grace, "%ld", pg->cfg->refresh_grace);
	snprintf(age, sizeof age, "%ld", pg->cfg->login_max_age);
	if ((r = exec(pg, ST_ROTATE, 6, v, &st)) == NULL)
		return st;
	if (PQntuples(r) > 0) {
		*outcome = ROTATION_DONE;
		snprintf(family, PG_FAMILY_MAX, "%s", PQgetvalue(r, 0, 0));
		into->type = TOKEN_REFRESH;
		into->user_id = next->user_id;	/* the family's: the same account */
		snprintf(into->jti, sizeof into->jti, "%s", PQgetvalue(r, 0, 1));
		into->iat = (time_t)strtoll(PQgetvalue(r, 0, 2), NULL, 10);
		into->exp = (time_t)strtoll(PQgetvalue(r, 0, 3), NULL, 10);
		PQclear(r);
		return STORE_OK;
	}
	PQclear(r);
	if ((r = exec(pg, ST_REUSED, 5, reused, &st)) == NULL)
		return st;
	if (PQntuples(r) == 0)
		*outcome = ROTATION_UNKNOWN;
	else if (PQgetvalue(r, 0, 1)[0] == 't')
		*outcome = ROTATION_BANNED;
	else if (PQgetvalue(r, 0, 2)[0] == 't')
		*outcome = ROTATION_AGED;
	else
		*outcome = PQgetvalue(r, 0, 0)[0] == 't' ? ROTATION_REUSED : ROTATION_UNKNOWN;
	PQclear(r);
	return STORE_OK;
}

enum store_status
pg_logins(struct pg_store *pg, long long user_id, int max,
    void (*each)(const struct pg_login *l, void *arg), void *arg)
{
	char idbuf[24], limit[16], age[24];
	const char *v[] = { idbuf, limit, age };
	enum store_status st;
	PGresult *r;

	fmt_id(idbuf, user_id);
	snprintf(limit, sizeof limit, "%d", max);
	snprintf(age, sizeof age, "%ld", pg->cfg->login_max_age);
	if ((r = exec(pg, ST_LOGINS, 3, v, &st)) == NULL)
		return st;
	for (int i = 0; i < PQntuples(r); i++) {
		struct pg_login l;

		memset(&l, 0, sizeof l);
		snprintf(l.family, sizeof l.family, "%s", PQgetvalue(r, i, 0));
		snprintf(l.created_at, sizeof l.created_at, "%s", PQgetvalue(r, i, 1));
		snprintf(l.last_used_at, sizeof l.last_used_at, "%s", PQgetvalue(r, i, 2));
		l.has_ip = !PQgetisnull(r, i, 3);
		snprintf(l.ip, sizeof l.ip, "%s", PQgetvalue(r, i, 3));
		l.has_user_agent = !PQgetisnull(r, i, 4);
		snprintf(l.user_agent, sizeof l.user_agent, "%s", PQgetvalue(r, i, 4));
		each(&l, arg);
	}
	PQclear(r);
	return STORE_OK;
}

enum store_status
pg_login_end(struct pg_store *pg, long long user_id, const char *family,
    const struct pg_events *ev)
{
	char idbuf[24];
	const char *v[] = { idbuf, family, ev_revoked(ev), ev_lang(ev) };

	fmt_id(idbuf, user_id);
	return first_value(pg, ST_LOGIN_END, 4, v, NULL, 0);
}

enum store_status
pg_logins_end_all(struct pg_store *pg, long long user_id, long *ended,
    const struct pg_events *ev)
{
	char idbuf[24], n[24] = "0";
	const char *v[] = { idbuf, ev_revoked(ev), ev_lang(ev) };
	enum store_status st;

	fmt_id(idbuf, user_id);
	st = first_value(pg, ST_LOGINS_END_ALL, 3, v, n, sizeof n);
	if (ended != NULL)
		*ended = strtol(n, NULL, 10);
	return st == STORE_NOT_FOUND ? STORE_OK : st;
}

enum store_status
pg_user_delete(struct pg_store *pg, long long user_id, bool even_banned, char phone[PHONE_MAX],
    const struct pg_events *ev)
{
	char idbuf[24];
	const char *v[] = { idbuf, even_banned ? "true" : "false", ev_change(ev), ev_lang(ev) };

	fmt_id(idbuf, user_id);
	return first_value(pg, ST_DELETE, 4, v, phone, PHONE_MAX);
}

enum store_status
pg_user_move(struct pg_store *pg, long long user_id, const char *phone,
    long long credentials_version, char old[PHONE_MAX], const struct pg_events *ev)
{
	char idbuf[24], cv[24];
	const char *v[] = { idbuf, phone, cv, ev_change(ev), ev_lang(ev) };

	fmt_id(idbuf, user_id);
	fmt_id(cv, credentials_version);
	return first_value(pg, ST_MOVE, 5, v, old, PHONE_MAX);
}

enum store_status
pg_refresh_live(struct pg_store *pg, const char *jti)
{
	char age[24];
	const char *v[] = { jti, age };
	bool unused;

	snprintf(age, sizeof age, "%ld", pg->cfg->login_max_age);
	return one_bool(pg, ST_REFRESH_LIVE, 2, v, &unused);
}

enum store_status
pg_refresh_revoke_family(struct pg_store *pg, const char *jti, const struct pg_events *ev)
{
	const char *v[] = { jti, ev_revoked(ev), ev_lang(ev) };
	bool unused;

	return one_bool(pg, ST_LOGOUT, 3, v, &unused);
}

enum store_status
pg_user_profile(struct pg_store *pg, long long id, const char *sid, struct profile *out,
    bool *login_live)
{
	char idbuf[24];
	const char *v[] = { idbuf, sid };
	enum store_status st;
	PGresult *r;

	*login_live = false;
	fmt_id(idbuf, id);
	if ((r = exec(pg, ST_PROFILE, 2, v, &st)) == NULL)
		return st;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOT_FOUND;
	}
	memset(out, 0, sizeof *out);
	out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	snprintf(out->phone, sizeof out->phone, "%s", PQgetvalue(r, 0, 1));
	out->has_email = !PQgetisnull(r, 0, 2);
	snprintf(out->email, sizeof out->email, "%s", PQgetvalue(r, 0, 2));
	snprintf(out->first_name, sizeof out->first_name, "%s", PQgetvalue(r, 0, 3));
	snprintf(out->last_name, sizeof out->last_name, "%s", PQgetvalue(r, 0, 4));
	out->is_verified = PQgetvalue(r, 0, 5)[0] == 't';
	snprintf(out->date_joined, sizeof out->date_joined, "%s", PQgetvalue(r, 0, 6));
	out->has_last_login = !PQgetisnull(r, 0, 7);
	snprintf(out->last_login, sizeof out->last_login, "%s", PQgetvalue(r, 0, 7));
	out->is_banned = PQgetvalue(r, 0, 8)[0] == 't';
	*login_live = PQgetvalue(r, 0, 9)[0] == 't';
	PQclear(r);
	return STORE_OK;
}

enum store_status
pg_user_set_banned(struct pg_store *pg, const char *phone, bool banned,
    const struct pg_events *ev)
{
	const char *v[] = { phone, banned ? "true" : "false", ev_change(ev), ev_lang(ev),
		ev_revoked(ev) };
	bool unused;

	return one_bool(pg, ST_SET_BANNED, 5, v, &unused);
}

enum store_status
pg_refresh_sweep(struct pg_store *pg)
{
	return command(pg, ST_SWEEP, 0, NULL, false);
}

enum store_status
pg_audit_sweep(struct pg_store *pg, long retention_days, long *deleted)
{
	char days[24], batch[24];
	const char *v[] = { days, batch };
	enum store_status st;
	PGresult *r;

	snprintf(days, sizeof days, "%ld", retention_days);
	snprintf(batch, sizeof batch, "%d", PG_AUDIT_SWEEP_BATCH);
	if ((r = exec(pg, ST_AUDIT_SWEEP, 2, v, &st)) == NULL)
		return st;
	*deleted = strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return STORE_OK;
}

/* Appends `item` to the array literal in buf ("{" already there); NULL for none.
 * Our elements (addresses, normalised numbers, kinds, numbers) never hold a
 * quote or a backslash, so quoting them is enough. */
static size_t
array_add(char *buf, size_t len, size_t size, const char *item, bool first)
{
	int n = item != NULL ? snprintf(buf + len, size - len, "%s\"%s\"", first ? "" : ",", item)
	    : snprintf(buf + len, size - len, "%sNULL", first ? "" : ",");

	return n > 0 ? len + (size_t)n : len;
}

enum store_status
pg_audit_failures(struct pg_store *pg, const struct audit_row *rows, int n)
{
	char ips[AUDIT_MAX_ROWS * 52], phones[AUDIT_MAX_ROWS * 24], kinds[AUDIT_MAX_ROWS * 16];
	char ats[AUDIT_MAX_ROWS * 24];
	size_t li = 1, lp = 1, lk = 1, la = 1;
	const char *v[] = { ips, phones, kinds, ats };

	if (n <= 0)
		return STORE_OK;
	if (n > AUDIT_MAX_ROWS)
		n = AUDIT_MAX_ROWS;
	ips[0] = phones[0] = kinds[0] = ats[0] = '{';
	for (int i = 0; i < n; i++) {
		char at[24];

		snprintf(at, sizeof at, "%.6f", rows[i].at);
		li = array_add(ips, li, sizeof ips - 2, rows[i].ip, i == 0);
		lp = array_add(phones, lp, sizeof phones - 2, rows[i].phone[0] ? rows[i].phone : NULL, i == 0);
		lk = array_add(kinds, lk, sizeof kinds - 2, rows[i].kind, i == 0);
		la = array_add(ats, la, sizeof ats - 2, at, i == 0);
	}
	memcpy(ips + li, "}", 2);
	memcpy(phones + lp, "}", 2);
	memcpy(kinds + lk, "}", 2);
	memcpy(ats + la, "}", 2);
	return command(pg, ST_AUDIT, 4, v, false);
}

enum store_status
pg_account_page(struct pg_store *pg, long long after_id, int max, char *out, size_t outlen,
    long long *last_id, int *n)
{
	char after[24], limit[16];
	const char *v[] = { after, limit };
	enum store_status st;
	size_t len = 0;
	PGresult *r;

	*n = 0;
	out[0] = '\0';
	fmt_id(after, after_id);
	snprintf(limit, sizeof limit, "%d", max);
	if ((r = exec(pg, ST_ACCOUNT_PAGE, 2, v, &st)) == NULL)
		return st;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *phone = PQgetvalue(r, i, 1);
		size_t plen = strlen(phone);

		if (len + plen + 2 > outlen)
			break;
		if (len > 0)
			out[len++] = ',';
		memcpy(out + len, phone, plen + 1);
		len += plen;
		*last_id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		(*n)++;
	}
	PQclear(r);
	return STORE_OK;
}

/* Hashes as stored: 64 hex digits each, comma-separated (out: n * 65 bytes). */
static void
hex_codes(const unsigned char (*codes)[RECOVERY_HASH_LEN], size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			*o++ = ',';
		for (size_t j = 0; j < RECOVERY_HASH_LEN; j++) {
			*o++ = hex[codes[i][j] >> 4];
			*o++ = hex[codes[i][j] & 15];
		}
	}
	*o = '\0';
}

static int
hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The stored hashes back ("" for none); those not of our form are skipped. */
static void
unhex_codes(const char *text, struct pg_mfa *out)
{
	out->ncodes = 0;
	while (*text != '\0' && out->ncodes < RECOVERY_COUNT) {
		size_t len = strcspn(text, ",");
		bool ok = len == RECOVERY_HASH_LEN * 2;

		for (size_t j = 0; ok && j < RECOVERY_HASH_LEN; j++) {
			int hi = hex_digit(text[2 * j]), lo = hex_digit(text[2 * j + 1]);

			ok = hi >= 0 && lo >= 0;
			out->codes[out->ncodes][j] = (unsigned char)(hi << 4 | lo);
		}
		if (ok)
			out->ncodes++;
		text += len + (text[len] == ',');
	}
}

enum store_status
pg_mfa_get(struct pg_store *pg, long long user_id, struct pg_mfa *out)
{
	char idbuf[24];
	const char *v[] = { idbuf };
	enum store_status st;
	PGresult *r;

	memset(out, 0, sizeof *out);
	fmt_id(idbuf, user_id);
	if ((r = exec(pg, ST_MFA_GET, 1, v, &st)) == NULL)
		return st;
	st = PQntuples(r) > 0 ? STORE_OK : STORE_NOT_FOUND;
	if (st == STORE_OK && (size_t)PQgetlength(r, 0, 0) >= sizeof out->secret) {
		log_error("postgres: the TOTP secret of user %lld is not one we wrote", user_id);
		st = STORE_ERROR;
	} else if (st == STORE_OK) {
		memcpy(out->secret, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0) + 1);
		unhex_codes(PQgetvalue(r, 0, 1), out);
	}
	PQclear(r);
	return st;
}

enum store_status
pg_mfa_enable(struct pg_store *pg, long long user_id, const char *sealed,
    const unsigned char (*codes)[RECOVERY_HASH_LEN], size_t n, const struct pg_events *ev)
{
	char idbuf[24], text[RECOVERY_COUNT * (RECOVERY_HASH_LEN * 2 + 1) + 1];
	const char *v[] = { idbuf, sealed, text, ev_change(ev), ev_lang(ev) };
	enum store_status st;

	if (n > RECOVERY_COUNT)
		return STORE_ERROR;
	fmt_id(idbuf, user_id);
	hex_codes(codes, n, text);
	st = first_value(pg, ST_MFA_ENABLE, 5, v, NULL, 0);
	return st == STORE_NOT_FOUND ? STORE_CONFLICT : st;
}

enum store_status
pg_mfa_set_codes(struct pg_store *pg, long long user_id,
    const unsigned char (*codes)[RECOVERY_HASH_LEN], size_t n, const struct pg_events *ev)
{
	char idbuf[24], text[RECOVERY_COUNT * (RECOVERY_HASH_LEN * 2 + 1) + 1];
	const char *v[] = { idbuf, text, ev_change(ev), ev_lang(ev) };

	if (n > RECOVERY_COUNT)
		return STORE_ERROR;
	fmt_id(idbuf, user_id);
	hex_codes(codes, n, text);
	return command(pg, ST_MFA_CODES, 4, v, true);
}

enum store_status
pg_mfa_use_code(struct pg_store *pg, long long user_id, const unsigned char code[RECOVERY_HASH_LEN])
{
	char idbuf[24], text[RECOVERY_HASH_LEN * 2 + 1];
	const char *v[] = { idbuf, text };

	fmt_id(idbuf, user_id);
	hex_codes((const unsigned char (*)[RECOVERY_HASH_LEN])code, 1, text);
	return command(pg, ST_MFA_USE_CODE, 2, v, true);
}

enum store_status
pg_mfa_disable(struct pg_store *pg, long long user_id, const struct pg_events *ev)
{
	char idbuf[24];
	const char *v[] = { idbuf, ev_change(ev), ev_lang(ev) };

	fmt_id(idbuf, user_id);
	return command(pg, ST_MFA_DISABLE, 3, v, true);
}

enum store_status
pg_mfa_reset(struct pg_store *pg, const char *phone, long long *user_id,
    const struct pg_events *ev)
{
	const char *v[] = { phone, ev_change(ev), ev_lang(ev) };
	char id[24] = "";
	enum store_status st = first_value(pg, ST_MFA_RESET, 3, v, id, sizeof id);

	*user_id = st == STORE_OK ? strtoll(id, NULL, 10) : 0;
	return st;
}
