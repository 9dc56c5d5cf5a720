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

int
admin_unblock(const struct config *cfg, int argc, char **argv)
{
	struct redis_store *rs;
	enum rs_block_kind kind;
	char id[64];
	int n;

	if (argc != 2)
		return usage_error("usage: phoneauth unblock --ip ADDRESS | --phone NUMBER");
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
	n = rs_unblock(rs, kind, id);
	rs_free(rs);
	if (n < 0) {
		fprintf(stderr, "phoneauth: unblock: Redis cannot be reached\n");
		return 1;
	}
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
	int count = 0;
	bool ok;

	(void)argv;
	if (argc != 0)
		return usage_error("usage: phoneauth blocks");
	if ((rs = rs_new(cfg)) == NULL)
		return 1;
	ok = rs_list_blocks(rs, print_block, &count);
	rs_free(rs);
	if (!ok) {
		fprintf(stderr, "phoneauth: blocks: Redis cannot be reached\n");
		return 1;
	}
	if (count == 0)
		printf("nothing is blocked\n");
	return 0;
}

static int
set_banned(const struct config *cfg, int argc, char **argv, bool banned)
{
	char phone[PHONE_MAX];
	struct pg_store *pg;
	enum pg_status st;

	if (argc != 1)
		return usage_error(banned ? "usage: phoneauth ban NUMBER" : "usage: phoneauth unban NUMBER");
	if (!phone_normalize(argv[0], (enum phone_format)cfg->phone_format, phone))
		return usage_error("not a valid phone number");
	if ((pg = pg_new(cfg)) == NULL)
		return 1;
	st = pg_user_set_banned(pg, phone, banned);
	pg_free(pg);
	if (st == PG_OK) {
		/* register reads the account's state from a cache in Redis */
		struct redis_store *rs = rs_new(cfg);

		if (rs == NULL || !rs_forget_account(rs, phone))
			fprintf(stderr, "phoneauth: Redis cannot be reached: register may show the "
			    "old state for up to 5 minutes\n");
		rs_free(rs);
	}
	if (st == PG_NOT_FOUND) {
		fprintf(stderr, "phoneauth: %s has no account\n", phone);
		return 1;
	}
	if (st != PG_OK) {
		fprintf(stderr, "phoneauth: PostgreSQL cannot be reached\n");
		return 1;
	}
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
	if (argc < 1 || argc > 2)
		return usage_error("usage: phoneauth keygen rs256|es256 [FILE]");
	if (!keys_generate(argv[0], argc == 2 ? argv[1] : NULL, err, sizeof err)) {
		fprintf(stderr, "phoneauth: %s\n", err);
		return 1;
	}
	if (argc == 2)
		fprintf(stderr, "phoneauth: wrote a new %s key to %s\n", argv[0], argv[1]);
	return 0;
}
