/*
 * Administration commands. Each validates its arguments the way the HTTP
 * side does (a number is normalised, an address canonicalised), so the key
 * it touches is the key the service uses.
 */
#include "phoneauth/admin.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "phoneauth/keys.h"
#include "phoneauth/net.h"
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
admin_unblock(const struct config *cfg, int argc, char **argv)
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
admin_blocks(const struct config *cfg, int argc, char **argv)
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
	enum store_status st;

	(void)argc;
	if (!phone_normalize(argv[0], (enum phone_format)cfg->phone_format, phone))
		return usage_error("not a valid phone number");
	if ((pg = pg_new(cfg)) == NULL)
		return 1;
	st = pg_user_set_banned(pg, phone, banned);
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
admin_ban(const struct config *cfg, int argc, char **argv)
{
	return set_banned(cfg, argc, argv, true);
}

int
admin_unban(const struct config *cfg, int argc, char **argv)
{
	return set_banned(cfg, argc, argv, false);
}

int
admin_keygen(const struct config *cfg, int argc, char **argv)
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
