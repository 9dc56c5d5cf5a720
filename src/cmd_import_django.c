/*
 * phoneauth import-django: users of the original PhoneAuthDjango service
 * (its table accounts_user) moved into ours with their password hashes as
 * they are, so nobody is asked to reset a password: Django's
 * pbkdf2_sha256$... is our format, and an old iteration count is upgraded
 * at the user's next login.
 *
 * One transaction on our side (nothing is half imported; --dry-run rolls it
 * back), a cursor on theirs (any number of users, a batch in memory at a
 * time), a savepoint per user so that one refused row does not undo the rest.
 * Like pg_store.c, this file speaks to PostgreSQL and to nothing else.
 */
#include "phoneauth/cmd_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "phoneauth/store_account_index.h"
#include "phoneauth/fields.h"
#include "phoneauth/pg_cli.h"
#include "phoneauth/phone.h"
#include "phoneauth/text.h"

#define BATCH "500"
#define CMD "import-django"

struct report {
	long imported, skipped, refused, without_password, without_email;
};

/* Django's encodings: ours, unusable ("!..."), none, or one we cannot check. */
enum hash_kind { HASH_OURS, HASH_NONE, HASH_FOREIGN };

static enum hash_kind
hash_kind(const char *h)
{
	long it;

	if (h[0] == '\0' || h[0] == '!')
		return HASH_NONE;
	if (strncmp(h, "pbkdf2_sha256$", 14) != 0 || strlen(h) >= PASSWORD_ENCODED_MAX)
		return HASH_FOREIGN;
	/* verify with a password that cannot match only to parse it */
	(void)password_verify("", h, &it);
	return it > 0 ? HASH_OURS : HASH_FOREIGN;
}

static void
refuse(struct report *rep, const char *number, const char *why)
{
	rep->refused++;
	printf("refused  %s: %s\n", number, why);
}

/* A row in our columns; v[] points into this or into the fetched batch. */
struct user_row {
	char phone[PHONE_MAX], first[256], last[256], active[2], email[EMAIL_MAX + 1];
	const char *v[9];
};

static void
refuse_foreign_hash(struct report *rep, const char *number, const char *hash)
{
	char why[128];

	snprintf(why, sizeof why, "its password hash (%.*s) is not pbkdf2_sha256; re-hash it "
	    "in Django, or set it to '!' to import the user without a password",
	    (int)strcspn(hash, "$"), hash);
	refuse(rep, number, why);
}

/* The e-mail address, trimmed, or "" (noted) if ours would refuse it. */
static char *
row_email(PGresult *src, int row, struct user_row *u, struct report *rep)
{
	const char *number = PQgetvalue(src, row, 0);
	const char *email = PQgetisnull(src, row, 2) ? "" : PQgetvalue(src, row, 2);
	char *em;

	snprintf(u->email, sizeof u->email, "%s", email);
	em = text_trim(u->email);
	if (*em != '\0' && (strlen(email) > EMAIL_MAX || !fields_email_valid(em))) {
		printf("note     %s: e-mail '%s' is not valid here; imported without it\n", number, email);
		rep->without_email++;
		*em = '\0';
	}
	return em;
}

/* u->phone already holds the normalised number. */
static void
fill_row(PGresult *src, int row, enum hash_kind kind, struct user_row *u, struct report *rep)
{
	char *em = row_email(src, row, u, rep);

	snprintf(u->first, sizeof u->first, "%s", PQgetvalue(src, row, 3));
	snprintf(u->last, sizeof u->last, "%s", PQgetvalue(src, row, 4));
	/* Our is_active means "profile complete"; a Django account that was
	 * active with a name had completed it. */
	snprintf(u->active, sizeof u->active, "%s", PQgetvalue(src, row, 6)[0] == 't' &&
	    text_trim(u->first)[0] != '\0' && text_trim(u->last)[0] != '\0' ? "t" : "f");
	u->v[0] = u->phone;
	u->v[1] = *em ? em : NULL;
	u->v[2] = kind == HASH_OURS ? PQgetvalue(src, row, 1) : "";
	u->v[3] = text_trim(u->first);
	u->v[4] = text_trim(u->last);
	u->v[5] = PQgetvalue(src, row, 5)[0] == 't' ? "t" : "f";
	u->v[6] = u->active;
	u->v[7] = PQgetisnull(src, row, 7) ? NULL : PQgetvalue(src, row, 7);
	u->v[8] = PQgetisnull(src, row, 8) ? NULL : PQgetvalue(src, row, 8);
}

static void
count_inserted(struct report *rep, bool inserted, enum hash_kind kind)
{
	if (!inserted) {
		rep->skipped++;
		return;
	}
	rep->imported++;
	if (kind == HASH_NONE)
		rep->without_password++;
}

/* Inside its own savepoint; false only if our database failed. */
static bool
insert_user(PGconn *dst, const char *number, const struct user_row *u, enum hash_kind kind,
    struct report *rep)
{
	PGresult *r;
	const char *state;

	if (!pg_cli_exec(dst, CMD, "SAVEPOINT one_user"))
		return false;
	r = PQexecParams(dst,
	    "INSERT INTO users (mobile_number, email, password, first_name, last_name, is_verified,"
	    " is_active, date_joined, last_login) VALUES ($1, $2, $3, $4, $5, $6::boolean,"
	    " $7::boolean, coalesce($8::timestamptz, now()), $9::timestamptz)"
	    " ON CONFLICT (mobile_number) DO NOTHING RETURNING id", 9, NULL, u->v, NULL, NULL, 0);
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		count_inserted(rep, PQntuples(r) == 1, kind);
		PQclear(r);
		return pg_cli_exec(dst, CMD, "RELEASE SAVEPOINT one_user");
	}
	if (state != NULL && strcmp(state, "23505") == 0) {
		PQclear(r);
		refuse(rep, number, "its e-mail address belongs to another account");
		return pg_cli_exec(dst, CMD, "ROLLBACK TO SAVEPOINT one_user");
	}
	fprintf(stderr, "phoneauth: import-django: %s: %s", number, PQresultErrorMessage(r));
	PQclear(r);
	return false;
}

/* One user: inserted, skipped (the number has an account) or refused. */
static bool
import_one(PGconn *dst, const struct config *cfg, PGresult *src, int row, struct report *rep)
{
	const char *number = PQgetvalue(src, row, 0), *hash = PQgetvalue(src, row, 1);
	enum hash_kind kind = hash_kind(hash);
	struct user_row u;

	if (!phone_normalize(number, (enum phone_format)cfg->phone_format, u.phone)) {
		refuse(rep, number, "not a valid mobile number");
		return true;
	}
	if (kind == HASH_FOREIGN) {
		refuse_foreign_hash(rep, number, hash);
		return true;
	}
	fill_row(src, row, kind, &u, rep);
	return insert_user(dst, number, &u, kind, rep);
}

/* --from URL [--dry-run]; false on anything else. */
static bool
parse_args(int argc, char **argv, const char **from, bool *dry_run)
{
	*from = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			*from = argv[++i];
		else if (strcmp(argv[i], "--dry-run") == 0)
			*dry_run = true;
		else
			return false;
	}
	return *from != NULL;
}

static bool
begin_both(PGconn *src, PGconn *dst)
{
	return pg_cli_exec(src, CMD, "BEGIN READ ONLY") &&
	    pg_cli_exec(src, CMD, "DECLARE users NO SCROLL CURSOR FOR SELECT mobile_number, coalesce(password, ''),"
	    " email, coalesce(first_name, ''), coalesce(last_name, ''), is_verified, is_active,"
	    " date_joined, last_login FROM accounts_user ORDER BY id") &&
	    pg_cli_exec(dst, CMD, "BEGIN");
}

/* Every row of the cursor, a batch at a time; false if a database failed. */
static bool
import_all(PGconn *src, PGconn *dst, const struct config *cfg, struct report *rep)
{
	for (;;) {
		PGresult *batch = PQexec(src, "FETCH " BATCH " FROM users");
		int n;

		if (PQresultStatus(batch) != PGRES_TUPLES_OK) {
			fprintf(stderr, "phoneauth: import-django: reading accounts_user: %s",
			    PQresultErrorMessage(batch));
			PQclear(batch);
			return false;
		}
		n = PQntuples(batch);
		for (int i = 0; i < n; i++)
			if (!import_one(dst, cfg, batch, i, rep)) {
				PQclear(batch);
				return false;
			}
		PQclear(batch);
		if (n == 0)
			return true;
	}
}

static void
print_report(const struct report *rep, bool dry_run)
{
	printf("%simported %ld (%ld without a password, %ld without their e-mail), skipped %ld "
	    "(the number already has an account), refused %ld\n", dry_run ? "dry run, nothing written: " : "",
	    rep->imported, rep->without_password, rep->without_email, rep->skipped, rep->refused);
}

int
cmd_import_django(const struct config *cfg, int argc, char **argv)
{
	const char *from;
	bool dry_run = false, good = false;
	struct report rep = { 0 };
	PGconn *src = NULL, *dst = NULL;

	if (!parse_args(argc, argv, &from, &dry_run)) {
		fprintf(stderr, "usage: phoneauth import-django --from POSTGRES_URL [--dry-run]\n");
		return 2;
	}
	if ((src = pg_cli_connect(from, "phoneauth-import", CMD, "the Django database")) == NULL ||
	    (dst = pg_cli_connect(cfg->postgres_url, "phoneauth-import", CMD, "postgres_url")) == NULL ||
	    !begin_both(src, dst) || !import_all(src, dst, cfg, &rep) ||
	    !pg_cli_exec(dst, CMD, dry_run ? "ROLLBACK" : "COMMIT"))
		goto out;
	good = true;
	if (!dry_run && rep.imported > 0 && !account_index_drop(cfg))
		fprintf(stderr, "phoneauth: import-django: Redis cannot be reached: run "
		    "`phoneauth reindex` once it is, or new accounts' registers may be asked for a code\n");
	print_report(&rep, dry_run);
out:
	if (!good)
		fprintf(stderr, "phoneauth: import-django: nothing was imported\n");
	PQfinish(src);
	PQfinish(dst);	/* an open transaction is rolled back */
	return good ? 0 : 1;
}
