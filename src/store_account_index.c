/*
 * Rebuilding the account index (see store_account_index.h): take the rebuild in
 * Redis, page through users by id, add each page's numbers, and declare the
 * index whole. Accounts made meanwhile are added by the scripts themselves
 * (a set does not mind twice); a row deleted meanwhile may stay in, which
 * only sends its next register to PostgreSQL. The token makes a rebuild
 * that lost its Redis (a restart: the numbers added before are gone) unable
 * to declare the new Redis's index whole.
 */
#include "phoneauth/store_account_index.h"

#include <stdio.h>

#include <openssl/rand.h>

#include "phoneauth/log.h"
#include "phoneauth/phone.h"

#define PAGE 500

static bool
new_token(char out[33])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof b) != 1)
		return false;
	for (size_t i = 0; i < sizeof b; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return true;
}

bool
account_index_rebuild(struct pg_store *pg, struct redis_store *rs, long *count)
{
	char token[33], numbers[PAGE * (PHONE_MAX + 1)];
	long long after = 0;
	long total = 0;
	bool mine = false;
	int n = PAGE;

	if (!new_token(token) ||
	    rs_index_rebuild(rs, RS_INDEX_BEGIN, token, NULL, &mine) != STORE_OK)
		return false;
	if (!mine) {
		if (count != NULL)
			*count = -1;
		return true;	/* whole already, or another worker is at it */
	}
	while (n == PAGE) {
		if (pg_account_page(pg, after, PAGE, numbers, sizeof numbers, &after, &n) != STORE_OK ||
		    (n > 0 && (rs_index_rebuild(rs, RS_INDEX_ADD, token, numbers, &mine) != STORE_OK ||
		    !mine)))
			goto lost;
		total += n;
	}
	if (rs_index_rebuild(rs, RS_INDEX_END, token, NULL, &mine) != STORE_OK || !mine)
		goto lost;
	log_info("account index rebuilt: %ld numbers", total);
	if (count != NULL)
		*count = total;
	return true;
lost:
	(void)rs_index_rebuild(rs, RS_INDEX_ABANDON, token, NULL, &mine);
	log_warn("account index: rebuild given up after %ld numbers; it is tried again later", total);
	return false;
}

bool
account_index_drop(const struct config *cfg)
{
	struct redis_store *rs = rs_new(cfg);
	bool ok = rs != NULL && rs_index_drop(rs) == STORE_OK;

	rs_free(rs);
	return ok;
}

int
cmd_reindex(const struct config *cfg, int argc, char **argv)
{
	struct redis_store *rs = rs_new(cfg);
	struct pg_store *pg = pg_new(cfg);
	long count = 0;
	bool ok;

	(void)argc;
	(void)argv;
	ok = rs != NULL && pg != NULL && rs_index_drop(rs) == STORE_OK &&
	    account_index_rebuild(pg, rs, &count);
	rs_free(rs);
	pg_free(pg);
	if (!ok) {
		fprintf(stderr, "phoneauth: reindex: Redis or PostgreSQL cannot be reached, or "
		    "another rebuild is under way (see the log)\n");
		return 1;
	}
	if (count < 0)
		printf("account index: another rebuild is under way\n");
	else
		printf("account index rebuilt: %ld numbers\n", count);
	return 0;
}
