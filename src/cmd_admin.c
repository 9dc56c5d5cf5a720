/*
 * Administration commands. Each validates its arguments the way the HTTP
 * side does (a number is normalised, an address canonicalised), so the key
 * it touches is the key the service uses.
 */
#include "phoneauth/cmd_admin.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "phoneauth/embedded.h"
#include "phoneauth/event_record.h"
#include "phoneauth/keys.h"
#include "phoneauth/net.h"
#include "phoneauth/pg_migrate.h"
#include "phoneauth/pg_store.h"
#include "phoneauth/phone.h"
#include "phoneauth/redis_store.h"

static int
usage_error(const char *msg)
{
	fprintf(stderr, "phoneauth: %s\n", msg);
	return 2;
}

/* The one way a command reports a store call that failed: exit status 1. */
static int
store_failed(const char *command, const char *store, enum store_status st)
{
	if (st == STORE_UNAVAILABLE)
		fprintf(stderr, "phoneauth: %s: %s cannot be reached\n", command, store);
	else
		fprintf(stderr, "phoneauth: %s: %s answered something unexpected (see the log)\n",
		    command, store);
	return 1;
}

int
cmd_unblock(const struct config *cfg, int argc, char **argv)
{
	struct redis_store *rs;
	enum rs_block_kind kind;
	enum store_status st;
	char id[64];
	int n = 0;

	(void)argc;
	if (strcmp(argv[0], "--ip") == 0) {
		struct cidr c;

		/* An address, or the network an IPv6 client is counted as
		 * ("2001:db8:1:2::/64", as `blocks` lists it): any address of it. */
		if (!net_parse_cidr(argv[1], &c))
			return usage_error("unblock: not an IP address");
		net_client_key(c.addr, (unsigned)cfg->ipv6_prefix, id, sizeof id);
		kind = RS_BLOCK_IP;
	} else if (strcmp(argv[0], "--phone") == 0) {
		if (!phone_normalize(argv[1], (enum phone_format)cfg->phone_format, id))
			return usage_error("unblock: not a valid phone number");
		kind = RS_BLOCK_PHONE;
	} else {
		return usage_error("usage: phoneauth unblock --ip ADDRESS | --phone NUMBER");
	}
	if ((rs = rs_new(cfg)) == NULL)
		return 1;
	st = rs_unblock(rs, kind, id, &n);
	rs_free(rs);
	if (st != STORE_OK)
		return store_failed("unblock", "Redis", st);
	printf("%s %s: %s\n", kind == RS_BLOCK_IP ? "ip" : "phone", id,
	    n > 0 ? "unblocked, failures forgotten" : "was not blocked and had no failures");
	return 0;
}

static void
print_block(const struct rs_block *b, void *arg)
{
	char when[32];
	time_t until = (time_t)(b->until_ms / 1000);
	struct tm tm;

	(*(int *)arg)++;
	gmtime_r(&until, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%-5s %-40s until %s (%ld s)\n", b->kind == RS_BLOCK_IP ? "ip" : "phone", b->id,
	    when, (b->left_ms + 999) / 1000);
}

int
cmd_blocks(const struct config *cfg, int argc, char **argv)
{
	struct redis_store *rs;
	enum store_status st;
	int count = 0;

	(void)argc;
	(void)argv;
	if ((rs = rs_new(cfg)) == NULL)
		return 1;
	st = rs_list_blocks(rs, print_block, &count);
	rs_free(rs);
	if (st != STORE_OK)
		return store_failed("blocks", "Redis", st);
	if (count == 0)
		printf("nothing is blocked\n");
	return 0;
}

static int
set_banned(const struct config *cfg, int argc, char **argv, bool banned)
{
	char phone[PHONE_MAX];
	struct pg_store *pg;
	struct event_record rec;
	enum store_status st;

	(void)argc;
	if (!phone_normalize(argv[0], (enum phone_format)cfg->phone_format, phone))
		return usage_error("not a valid phone number");
	if ((pg = pg_new(cfg)) == NULL)
		return 1;
	/* the statement fills in the account; a ban ends its logins */
	event_record_begin(&rec, NULL);
	event_record_change(&rec, NULL, banned ? EVENT_USER_BANNED : EVENT_USER_UNBANNED, 0, NULL,
	    NULL, NULL, NULL, NULL);
	event_record_revoked(&rec, NULL, 0, NULL, "admin");
	st = pg_user_set_banned(pg, phone, banned, &rec.pg);
	pg_free(pg);
	if (st == STORE_OK) {
		/* register reads the account's state from a cache in Redis */
		struct redis_store *rs = rs_new(cfg);

		if (rs == NULL || rs_forget_account(rs, phone) != STORE_OK)
			fprintf(stderr, "phoneauth: Redis cannot be reached: register may show the "
			    "old state for up to 5 minutes\n");
		rs_free(rs);
	}
	if (st == STORE_NOT_FOUND) {
		fprintf(stderr, "phoneauth: %s has no account\n", phone);
		return 1;
	}
	if (st != STORE_OK)
		return store_failed(banned ? "ban" : "unban", "PostgreSQL", st);
	printf("%s: %s\n", phone, banned ? "banned; its refresh tokens are revoked" : "unbanned");
	return 0;
}

int
cmd_ban(const struct config *cfg, int argc, char **argv)
{
	return set_banned(cfg, argc, argv, true);
}

int
cmd_unban(const struct config *cfg, int argc, char **argv)
{
	return set_banned(cfg, argc, argv, false);
}

/* The account of the number `arg`, for the commands below: its id in *id
 * (and the number, normalised, in phone); an exit status when there is none. */
static int
account_of(const struct config *cfg, struct pg_store *pg, const char *command, const char *arg,
    char phone[PHONE_MAX], long long *id)
{
	struct user u;
	enum store_status st;

	if (!phone_normalize(arg, (enum phone_format)cfg->phone_format, phone))
		return usage_error("not a valid phone number");
	st = pg_user_by_phone(pg, phone, &u);
	if (st == STORE_NOT_FOUND) {
		fprintf(stderr, "phoneauth: %s has no account\n", phone);
		return 1;
	}
	if (st != STORE_OK)
		return store_failed(command, "PostgreSQL", st);
	*id = u.id;
	return 0;
}

static void
print_login(const struct pg_login *l, void *arg)
{
	(*(int *)arg)++;
	printf("%s  began %s  last used %s  ip %s  %s\n", l->family, l->created_at, l->last_used_at,
	    l->has_ip ? l->ip : "-", l->has_user_agent && l->user_agent[0] ? l->user_agent : "-");
}

int
cmd_sessions(const struct config *cfg, int argc, char **argv)
{
	char phone[PHONE_MAX];
	struct pg_store *pg = pg_new(cfg);
	enum store_status st;
	long long id = 0;
	int status, count = 0;

	(void)argc;
	if (pg == NULL)
		return 1;
	if ((status = account_of(cfg, pg, "sessions", argv[0], phone, &id)) == 0 &&
	    (st = pg_logins(pg, id, 100000, print_login, &count)) != STORE_OK)
		status = store_failed("sessions", "PostgreSQL", st);
	pg_free(pg);
	if (status == 0 && count == 0)
		printf("%s: no live login\n", phone);
	return status;
}

int
cmd_revoke(const struct config *cfg, int argc, char **argv)
{
	char phone[PHONE_MAX];
	struct pg_store *pg;
	struct event_record rec;
	enum store_status st;
	long long id = 0;
	long ended = 0;
	int status;

	if (argc != 1 && (argc != 3 || strcmp(argv[1], "--session") != 0))
		return usage_error("usage: phoneauth revoke NUMBER [--session ID]");
	if ((pg = pg_new(cfg)) == NULL)
		return 1;
	if ((status = account_of(cfg, pg, "revoke", argv[0], phone, &id)) != 0) {
		pg_free(pg);
		return status;
	}
	event_record_begin(&rec, NULL);
	event_record_revoked(&rec, NULL, id, phone, "admin");
	st = argc == 3 ? pg_login_end(pg, id, argv[2], &rec.pg) :
	    pg_logins_end_all(pg, id, &ended, &rec.pg);
	pg_free(pg);
	if (st == STORE_NOT_FOUND) {
		fprintf(stderr, "phoneauth: %s has no live login %s\n", phone, argv[2]);
		return 1;
	}
	if (st != STORE_OK)
		return store_failed("revoke", "PostgreSQL", st);
	if (argc == 3)
		printf("%s: login %s revoked\n", phone, argv[2]);
	else
		printf("%s: %ld live login%s revoked\n", phone, ended, ended == 1 ? "" : "s");
	return 0;
}

int
cmd_delete(const struct config *cfg, int argc, char **argv)
{
	char phone[PHONE_MAX], had[PHONE_MAX];
	struct pg_store *pg;
	struct redis_store *rs;
	struct event_record rec;
	enum store_status st;
	long long id = 0;
	int status;

	(void)argc;
	if ((pg = pg_new(cfg)) == NULL)
		return 1;
	if ((status = account_of(cfg, pg, "delete", argv[0], phone, &id)) != 0) {
		pg_free(pg);
		return status;
	}
	event_record_begin(&rec, NULL);
	event_record_change(&rec, NULL, EVENT_ACCOUNT_DELETED, id, phone, NULL, NULL, NULL, NULL);
	st = pg_user_delete(pg, id, true, had, &rec.pg);
	pg_free(pg);
	if (st == STORE_NOT_FOUND) {
		fprintf(stderr, "phoneauth: %s has no account\n", phone);
		return 1;
	}
	if (st != STORE_OK)
		return store_failed("delete", "PostgreSQL", st);
	/* register reads the account's state from a cache in Redis, and the
	 * account index says which numbers have an account */
	if ((rs = rs_new(cfg)) == NULL || rs_account_gone(rs, had) != STORE_OK)
		fprintf(stderr, "phoneauth: Redis cannot be reached: register may show the "
		    "old state for up to 5 minutes\n");
	rs_free(rs);
	printf("%s: account deleted with its tokens and logins; the number may sign up again\n", had);
	return 0;
}

int
cmd_keygen(const struct config *cfg, int argc, char **argv)
{
	char err[256];

	(void)cfg;
	if (!keys_generate(argv[0], argc == 2 ? argv[1] : NULL, err, sizeof err)) {
		fprintf(stderr, "phoneauth: %s\n", err);
		return 1;
	}
	if (argc == 2)
		fprintf(stderr, "phoneauth: wrote a new %s key to %s\n", argv[0], argv[1]);
	return 0;
}

int
cmd_migrate(const struct config *cfg, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return pg_migrate(cfg, migrations, migrations_count) ? 0 : 1;
}

int
cmd_mfa_reset(const struct config *cfg, int argc, char **argv)
{
	char phone[PHONE_MAX];
	struct pg_store *pg;
	struct event_record rec;
	enum store_status st;
	long long id = 0;

	(void)argc;
	if (!phone_normalize(argv[0], (enum phone_format)cfg->phone_format, phone))
		return usage_error("not a valid phone number");
	if ((pg = pg_new(cfg)) == NULL)
		return 1;
	event_record_begin(&rec, NULL);
	event_record_change(&rec, NULL, EVENT_MFA_DISABLED, 0, NULL, NULL, NULL, NULL, NULL);
	st = pg_mfa_reset(pg, phone, &id, &rec.pg);
	pg_free(pg);
	if (st == STORE_NOT_FOUND) {
		fprintf(stderr, "phoneauth: %s has no account with TOTP\n", phone);
		return 1;
	}
	if (st != STORE_OK)
		return store_failed("mfa-reset", "PostgreSQL", st);
	printf("%s: TOTP and its recovery codes removed; the password stays\n", phone);
	return 0;
}
