/* redis_sentinel.c: sentinel:// URLs taken apart, the refusals, and the
 * question to Sentinels that do not answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "harness.h"
#include "phoneauth/config.h"
#include "phoneauth/redis_sentinel.h"

#define SAME(a, b) ((a) == NULL ? (b) == NULL : (b) != NULL && strcmp((a), (b)) == 0)

static void
urls_are_taken_apart(void)
{
	static const struct {
		int line;
		const char *url, *user, *pass, *master;
		int db;
		const char *sentinels;	/* host:port,... as parsed */
	} cases[] = {
		{ __LINE__, "sentinel://10.0.0.1:26379/mymaster", NULL, NULL, "mymaster", 0,
		    "10.0.0.1:26379" },
		{ __LINE__, "sentinel://:s3cret@a:1,b:2,c:3/pa?db=2", NULL, "s3cret", "pa", 2,
		    "a:1,b:2,c:3" },
		{ __LINE__, "sentinel://app:pw@h1,h2/m", "app", "pw", "m", 0, "h1:26379,h2:26379" },
		/* a password may hold ':', '@', '/' and ',' (the last '@' ends it) */
		{ __LINE__, "sentinel://:p:a@s/s,w@h:5/m-1.x", NULL, "p:a@s/s,w", "m-1.x", 0, "h:5" },
		{ __LINE__, "sentinel://[fd00:213::1]:26380,[::1]/m?db=1000", NULL, NULL, "m", 1000,
		    "fd00:213::1:26380,::1:26379" },
		{ __LINE__, "sentinel://sentinel-1.example.ir:26379/phoneauth", NULL, NULL, "phoneauth",
		    0, "sentinel-1.example.ir:26379" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct redis_addr a;
		char err[512] = "", list[512] = "";

		memset(&a, 0, sizeof a);
		CHECK_AT(cases[i].line, sentinel_url(cases[i].url), "%s", cases[i].url);
		CHECK_AT(cases[i].line, sentinel_parse_url(cases[i].url, &a, err, sizeof err), "%s: %s",
		    cases[i].url, err);
		for (size_t k = 0; k < a.nsentinels; k++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s:%d", k ? "," : "",
			    a.sentinels[k].host, a.sentinels[k].port);
		CHECK_AT(cases[i].line, SAME(cases[i].user, a.user) && SAME(cases[i].pass, a.password) &&
		    SAME(cases[i].master, a.master) && cases[i].db == a.db && a.host == NULL &&
		    a.socket_path == NULL && strcmp(list, cases[i].sentinels) == 0,
		    "%s: user %s pass %s master %s db %d sentinels %s", cases[i].url,
		    a.user ? a.user : "-", a.password ? a.password : "-", a.master ? a.master : "-", a.db,
		    list);
		free(a.user);
		free(a.password);
		sentinel_addr_free(&a);
	}
}

static void
bad_urls_are_refused_in_one_line(void)
{
	static const struct { int line; const char *url, *says; } cases[] = {
		{ __LINE__, "sentinel://h:26379", "no /MASTER" },
		{ __LINE__, "sentinel://h:26379/", "no master name" },
		{ __LINE__, "sentinel://h:26379/?db=1", "no master name" },
		{ __LINE__, "sentinel:///m", "empty Sentinel" },
		{ __LINE__, "sentinel://a,,b/m", "empty Sentinel" },
		{ __LINE__, "sentinel://a,/m", "empty Sentinel" },
		{ __LINE__, "sentinel://h:0/m", "bad port" },
		{ __LINE__, "sentinel://h:65536/m", "bad port" },
		{ __LINE__, "sentinel://h:/m", "bad port" },
		{ __LINE__, "sentinel://h:26379x/m", "bad port" },
		{ __LINE__, "sentinel://h:-1/m", "bad port" },
		{ __LINE__, "sentinel://fd00::1:26379/m", "in brackets" },
		{ __LINE__, "sentinel://[fd00::1/m", "no ']'" },
		{ __LINE__, "sentinel://[]:1/m", "not an IPv6" },
		{ __LINE__, "sentinel://[h]:1/m", "not an IPv6" },
		{ __LINE__, "sentinel://[::1]x/m", "bad port" },
		{ __LINE__, "sentinel://pw@h/m", "[user]:password@" },
		{ __LINE__, "sentinel://h/m?db=x", "bad db" },
		{ __LINE__, "sentinel://h/m?db=", "unknown parameter" },
		{ __LINE__, "sentinel://h/m?db=1001", "bad db" },
		{ __LINE__, "sentinel://h/m?db=99999999999999999999", "bad db" },
		{ __LINE__, "sentinel://h/m?password=x", "unknown parameter" },
		{ __LINE__, "sentinel://h/m/x", "master name" },
		{ __LINE__, "sentinel://h/m x", "master name" },
		{ __LINE__, "sentinel://h x/m", "not host[:port]" },
		{ __LINE__, "sentinel://1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17/m", "more than 16" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct redis_addr a;
		char err[512] = "";
		bool ok;

		memset(&a, 0, sizeof a);
		ok = sentinel_parse_url(cases[i].url, &a, err, sizeof err);
		CHECK_AT(cases[i].line, !ok && strstr(err, cases[i].says) != NULL &&
		    strncmp(err, "redis_url: ", 11) == 0, "%s: ok=%d err=\"%s\"", cases[i].url, ok, err);
		CHECK_AT(cases[i].line, strchr(err, '\n') == NULL, "more than one line: %s", err);
		free(a.user);
		free(a.password);
		sentinel_addr_free(&a);
	}
}

/* Through the configuration: redis_url = sentinel://... is accepted, and a
 * bad one stops the start naming the key. */
static void
the_configuration_takes_them(void)
{
	char dir[] = "/tmp/phoneauth-test-sentinel-XXXXXX", secret[128], conf[128], data_key[128];
	struct config cfg;
	char err[512] = "";
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return;
	snprintf(secret, sizeof secret, "%s/secret", dir);
	snprintf(conf, sizeof conf, "%s/phoneauth.conf", dir);
	f = fopen(secret, "w");
	fputs("0123456789012345678901234567890123456789\n", f);
	fclose(f);
	snprintf(data_key, sizeof data_key, "%s/data.key", dir);
	f = fopen(data_key, "w");
	fputs("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", f);
	fclose(f);
	chmod(data_key, 0600);
	setenv("PHONEAUTH_DATA_KEY_FILE", data_key, 1);
	f = fopen(conf, "w");
	/* The secret is a list of one password: no john-data needed. */
	fprintf(f, "jwt_secret_file = %s\npassword_blocklist = %s\nredis_url = "
	    "sentinel://:p#w@10.213.0.11:26379,10.213.0.12/pamaster?db=3\n", secret, secret);
	fclose(f);
	CHECK(config_load(&cfg, conf, err, sizeof err), "%s", err);
	CHECK_STR(cfg.redis.master, "pamaster");
	CHECK_STR(cfg.redis.password, "p#w");
	CHECK_INT(cfg.redis.db, 3);
	CHECK_INT(cfg.redis.nsentinels, 2);
	CHECK(cfg.redis.host == NULL, "no host of its own");
	if (cfg.redis.nsentinels == 2) {
		CHECK_STR(cfg.redis.sentinels[1].host, "10.213.0.12");
		CHECK_INT(cfg.redis.sentinels[1].port, 26379);
	}
	config_free(&cfg);
	f = fopen(conf, "w");
	fprintf(f, "jwt_secret_file = %s\npassword_blocklist = %s\nredis_url = "
	    "sentinel://10.213.0.11:26379\n", secret, secret);
	fclose(f);
	CHECK(!config_load(&cfg, conf, err, sizeof err) && strstr(err, "redis_url") != NULL &&
	    strchr(err, '\n') == NULL, "%s", err);
	config_free(&cfg);
	unsetenv("PHONEAUTH_DATA_KEY_FILE");
	unlink(data_key);
	unlink(secret);
	unlink(conf);
	rmdir(dir);
}

/* Sentinels that cannot be reached: false, each named in the reason, and
 * the first one to ask stays where it was. */
static void
unreachable_sentinels_are_each_named(void)
{
	struct redis_addr a;
	char err[512], host[64], why[512];
	size_t first = 1;
	int port = 0;

	memset(&a, 0, sizeof a);
	/* port 1 on loopback: nothing listens, the connect is refused at once */
	CHECK(sentinel_parse_url("sentinel://127.0.0.1:1,[::1]:1/m", &a, err, sizeof err), "%s",
	    err);
	CHECK(!sentinel_master(&a, 500, &first, host, sizeof host, &port, why, sizeof why),
	    "a master from nowhere");
	CHECK(strstr(why, "Sentinel 127.0.0.1:1: ") != NULL && strstr(why, "Sentinel ::1:1: ") != NULL,
	    "%s", why);
	/* asked from the second one on */
	CHECK(strstr(why, "::1") < strstr(why, "127.0.0.1"), "%s", why);
	CHECK_INT(first, 1);
	CHECK(strchr(why, '\n') == NULL, "%s", why);
	sentinel_addr_free(&a);
}

int
main(void)
{
	RUN(urls_are_taken_apart);
	RUN(bad_urls_are_refused_in_one_line);
	RUN(the_configuration_takes_them);
	RUN(unreachable_sentinels_are_each_named);
	HARNESS_EXIT();
}
