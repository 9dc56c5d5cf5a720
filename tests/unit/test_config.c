/* config.c: defaults, file, environment, and the one-line refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "harness.h"
#include "phoneauth/config.h"

static char dir[] = "/tmp/phoneauth-test-config-XXXXXX";
static char secret_path[128], short_secret_path[128], conf_path[128], common_path[128];
static char data_key_path[128], short_data_key_path[128];

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

/* Loads `body` (plus the secret line unless it has its own jwt lines, and
 * a blocklist of the test's own unless it names one, and the data key's unless
 * it names one). */
static bool
load(struct config *cfg, const char *body, char *err, size_t errlen)
{
	char text[4096];

	snprintf(text, sizeof text, "%s%s\n", strstr(body, "jwt_") ? "" : "jwt_secret_file = ",
	    strstr(body, "jwt_") ? "" : secret_path);
	strncat(text, body, sizeof text - strlen(text) - 1);
	if (strstr(body, "password_blocklist") == NULL)
		snprintf(text + strlen(text), sizeof text - strlen(text), "password_blocklist = %s\n",
		    common_path);
	/* after the body, so that the lines the refusals name stay its own */
	if (strstr(body, "data_key_file") == NULL)
		snprintf(text + strlen(text), sizeof text - strlen(text), "\ndata_key_file = %s\n",
		    data_key_path);
	write_file(conf_path, text);
	return config_load(cfg, conf_path, err, errlen);
}

static void
defaults_are_the_contracts(void)
{
	struct config cfg;
	char err[512];

	CHECK(load(&cfg, "", err, sizeof err), "%s", err);
	CHECK_STR(cfg.base_path, "/api");
	CHECK_STR(cfg.redis_url, "redis://127.0.0.1:6379/0");
	CHECK_STR(cfg.redis_prefix, "phoneauth:");
	CHECK_STR(cfg.postgres_url, "postgresql:///phoneauth");
	CHECK_INT(cfg.jwt_alg, TOKEN_HS256);
	CHECK_INT(cfg.access_ttl, 300);
	CHECK_INT(cfg.refresh_ttl, 86400);
	CHECK_INT(cfg.session_ttl, 120);
	CHECK_INT(cfg.otp_ttl, 120);
	CHECK_INT(cfg.otp_cooldown, 120);
	CHECK_INT(cfg.otp_max_tries, 3);
	CHECK_INT(cfg.otp_max_per_hour, 5);
	CHECK_INT(cfg.otp_max_per_ip_hour, 10);
	CHECK_INT(cfg.login_sessions_per_ip_hour, 300);
	CHECK_INT(cfg.max_failed_attempts, 3);
	CHECK_INT(cfg.block_window, 3600);
	CHECK_INT(cfg.block_duration, 3600);
	CHECK_INT(cfg.phone_format, PHONE_FORMAT_IR);
	CHECK_INT(cfg.language, LANG_EN);
	CHECK_INT(cfg.max_body_bytes, 16384);
	CHECK_INT(cfg.pbkdf2_iterations, 600000);
	CHECK_INT(cfg.sms_driver, SMS_DRIVER_LOG);
	CHECK_INT(cfg.sms_timeout, 10);
	CHECK_INT(cfg.sms_max_attempts, 5);
	CHECK_INT(cfg.sms_claim_idle, 30);
	CHECK_INT(cfg.max_requests, 0);
	CHECK_INT(cfg.login_by_code, 0);
	CHECK_INT(cfg.session_max_age, 600);
	CHECK_INT(cfg.device_ttl, 7776000);
	CHECK_INT(cfg.otp_owner_max_per_hour, 20);
	CHECK_INT(cfg.sms_owner_max_per_hour, 0);
	CHECK_INT(cfg.sms_owner_max_per_day, 0);
	CHECK_INT(cfg.test_number_max_tries, 10);
	CHECK_INT(cfg.password_min_length, 8);
	CHECK_INT(cfg.login_max_age, 2592000);
	CHECK(cfg.jwt_issuer == NULL && cfg.trusted_proxies == NULL && cfg.nproxies == 0, "unset keys");
	CHECK_STR(cfg.redis.host, "127.0.0.1");
	CHECK_INT(cfg.redis.port, 6379);
	config_free(&cfg);
}

static void
file_values_comments_and_hashes(void)
{
	struct config cfg;
	char err[512];

	CHECK(load(&cfg, "# a comment\n\n  otp_ttl = 300   # trailing comment\n"
	    "redis_url = redis://:pa#ss@10.0.0.5:6380/2\nlanguage=fa\nbase_path = /auth/\n"
	    "trusted_proxies = 10.0.0.0/8, ::1\nlogin_by_code = on\nsession_max_age = 300\n"
	    "device_ttl = 86400\notp_owner_max_per_hour = 8\nsms_owner_max_per_hour = 100\n"
	    "sms_owner_max_per_day = 1000\ntest_number_max_tries = 3\n", err, sizeof err), "%s", err);
	CHECK_INT(cfg.otp_ttl, 300);
	CHECK_INT(cfg.session_max_age, 300);
	CHECK_INT(cfg.device_ttl, 86400);
	CHECK_INT(cfg.otp_owner_max_per_hour, 8);
	CHECK_INT(cfg.sms_owner_max_per_hour, 100);
	CHECK_INT(cfg.sms_owner_max_per_day, 1000);
	CHECK_INT(cfg.test_number_max_tries, 3);
	CHECK_INT(cfg.login_by_code, 1);
	CHECK_STR(cfg.redis.password, "pa#ss");
	CHECK_STR(cfg.redis.host, "10.0.0.5");
	CHECK_INT(cfg.redis.port, 6380);
	CHECK_INT(cfg.redis.db, 2);
	CHECK_INT(cfg.language, LANG_FA);
	CHECK_STR(cfg.base_path, "/auth");
	CHECK_INT(cfg.nproxies, 2);
	config_free(&cfg);
}

/* password_blocklist's default is the file Debian's john-data installs:
 * loaded where it is, named in the refusal where it is not. */
static void
blocklist_defaults_to_johns_list(void)
{
	struct config cfg;
	char text[256], err[512];
	bool there = access("/usr/share/john/password.lst", R_OK) == 0, ok;

	snprintf(text, sizeof text, "jwt_secret_file = %s\ndata_key_file = %s\n", secret_path,
	    data_key_path);
	write_file(conf_path, text);
	ok = config_load(&cfg, conf_path, err, sizeof err);
	if (there) {
		CHECK(ok, "%s", err);
		CHECK_STR(cfg.password_blocklist, "/usr/share/john/password.lst");
		CHECK(cfg.common_passwords.count > 3000, "%zu passwords", cfg.common_passwords.count);
		CHECK(blocklist_contains(&cfg.common_passwords, "Password1"), "password1 not listed");
	} else {
		CHECK(!ok && strstr(err, "password_blocklist: ") == err &&
		    strstr(err, "/usr/share/john/password.lst") != NULL, "%s", err);
	}
	config_free(&cfg);
}

/* The blocklist is loaded with the configuration: a file that cannot be
 * read stops the program at start, naming the key; the length floor. */
static void
blocklist_and_length_are_loaded(void)
{
	struct config cfg;
	char err[512];

	CHECK(load(&cfg, "password_min_length = 12\nlogin_max_age = 5\n", err, sizeof err), "%s", err);
	CHECK_INT(cfg.password_min_length, 12);
	CHECK_INT(cfg.login_max_age, 5);
	CHECK_INT(cfg.common_passwords.count, 3);
	CHECK(blocklist_contains(&cfg.common_passwords, "QWERTYUIOP"), "qwertyuiop not listed");
	config_free(&cfg);
	CHECK(!load(&cfg, "password_blocklist = /nonexistent/password.lst\n", err, sizeof err) &&
	    strstr(err, "password_blocklist: ") == err && strchr(err, '\n') == NULL, "%s", err);
	config_free(&cfg);
	CHECK(!load(&cfg, "password_blocklist =\n", err, sizeof err) &&
	    strstr(err, "password_blocklist: ") == err, "%s", err);
	config_free(&cfg);
	CHECK(!load(&cfg, "password_min_length = 7\n", err, sizeof err) &&
	    strstr(err, "password_min_length") != NULL, "%s", err);
	config_free(&cfg);
	CHECK(!load(&cfg, "login_max_age = 0\n", err, sizeof err) &&
	    strstr(err, "login_max_age") != NULL, "%s", err);
	config_free(&cfg);
}

static void
bad_files_are_refused_naming_the_key(void)
{
	static const struct { int line; const char *body, *says; } cases[] = {
		{ __LINE__, "otp_tll = 5\n", "otp_tll: unknown configuration key" },
		{ __LINE__, "otp_ttl = 5\notp_ttl = 6\n", "otp_ttl: given twice" },
		{ __LINE__, "otp_ttl = five\n", "otp_ttl" },
		{ __LINE__, "otp_ttl = 0\n", "otp_ttl" },
		{ __LINE__, "otp_ttl = -3\n", "otp_ttl" },
		{ __LINE__, "otp_ttl = 12abc\n", "otp_ttl" },
		{ __LINE__, "jwt_alg = HS512\n", "jwt_alg" },
		{ __LINE__, "phone_format = us\n", "phone_format" },
		{ __LINE__, "language = de\n", "language" },
		{ __LINE__, "sms_driver = twilio\n", "sms_driver" },
		{ __LINE__, "password_hasher = argon2\n", "password_hasher" },
		{ __LINE__, "sms_driver = command\n", "sms_command" },
		{ __LINE__, "no equals sign\n", ":2: expected" },
		{ __LINE__, "redis_url = http://x\n", "redis_url" },
		{ __LINE__, "redis_url = redis://h:99999/0\n", "redis_url" },
		{ __LINE__, "redis_url = redis://::1:6379/0\n", "redis_url" },
		{ __LINE__, "redis_url = redis://[::1:6379/0\n", "redis_url" },
		{ __LINE__, "redis_url = redis://[::1]x/0\n", "redis_url" },
		{ __LINE__, "redis_url = redis://[]:6379/0\n", "redis_url" },
		{ __LINE__, "redis_url = redis://:6379/0\n", "redis_url" },
		{ __LINE__, "redis_url = redis://h:/0\n", "redis_url" },
		{ __LINE__, "redis_url = unix:relative\n", "redis_url" },
		{ __LINE__, "redis_url = unix:/r.sock?foo=1\n", "redis_url" },
		{ __LINE__, "redis_url = unix:/r.sock?db=x\n", "redis_url" },
		{ __LINE__, "trusted_proxies = 10.0.0.0/8, nonsense\n", "trusted_proxies" },
		{ __LINE__, "base_path = api\n", "base_path" },
		{ __LINE__, "max_body_bytes = 1\n", "max_body_bytes" },
		{ __LINE__, "login_by_code = yes\n", "login_by_code" },
		{ __LINE__, "session_max_age = 0\n", "session_max_age" },
		{ __LINE__, "session_max_age = 86401\n", "session_max_age" },
		{ __LINE__, "device_ttl = 59\n", "device_ttl" },
		{ __LINE__, "device_ttl = 90d\n", "device_ttl" },
		{ __LINE__, "otp_owner_max_per_hour = 0\n", "otp_owner_max_per_hour" },
		{ __LINE__, "sms_owner_max_per_hour = -1\n", "sms_owner_max_per_hour" },
		{ __LINE__, "sms_owner_max_per_day = many\n", "sms_owner_max_per_day" },
		{ __LINE__, "test_number_max_tries = 0\n", "test_number_max_tries" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config cfg;
		char err[512] = "";
		bool ok = load(&cfg, cases[i].body, err, sizeof err);

		CHECK_AT(cases[i].line, !ok && strstr(err, cases[i].says) != NULL, "ok=%d err=\"%s\"", ok, err);
		CHECK_AT(cases[i].line, strchr(err, '\n') == NULL, "more than one line: %s", err);
		config_free(&cfg);
	}
}

static void
secrets_are_checked(void)
{
	struct config cfg;
	char err[512], body[256];

	CHECK(!load(&cfg, "jwt_alg = HS256\n", err, sizeof err) && strstr(err, "jwt_secret_file"), "%s", err);
	config_free(&cfg);
	snprintf(body, sizeof body, "jwt_secret_file = %s\n", short_secret_path);
	CHECK(!load(&cfg, body, err, sizeof err) && strstr(err, "at least 32"), "%s", err);
	config_free(&cfg);
	CHECK(!load(&cfg, "jwt_secret_file = /nonexistent/secret\n", err, sizeof err) &&
	    strstr(err, "jwt_secret_file"), "%s", err);
	config_free(&cfg);
	CHECK(!load(&cfg, "jwt_alg = RS256\n", err, sizeof err) && strstr(err, "jwt_private_key_file"),
	    "%s", err);
	config_free(&cfg);
	/* the secret file ends in a newline, which is not part of the key */
	CHECK(load(&cfg, "", err, sizeof err), "%s", err);
	CHECK_INT(cfg.jwt_key_len, 40);
	CHECK(cfg.jwt_key_len == 40 && memcmp(cfg.jwt_key, "0123456789012345678901234567890123456789", 40) == 0,
	    "key bytes");
	config_free(&cfg);
}

/* data_key_file: required, 32 bytes, not open to others (phoneauth check
 * loads the configuration first, so this is what it refuses). */
static void
data_key_is_checked(void)
{
	struct config cfg;
	char err[512], body[256];

	CHECK(!load(&cfg, "data_key_file =\n", err, sizeof err) &&
	    strstr(err, "data_key_file: must be set"), "%s", err);
	config_free(&cfg);
	snprintf(body, sizeof body, "data_key_file = %s\n", short_data_key_path);
	CHECK(!load(&cfg, body, err, sizeof err) && strstr(err, "data_key_file") &&
	    strstr(err, "32 bytes"), "%s", err);
	config_free(&cfg);
	CHECK(!load(&cfg, "data_key_file = /nonexistent/data.key\n", err, sizeof err) &&
	    strstr(err, "data_key_file"), "%s", err);
	config_free(&cfg);
	chmod(data_key_path, 0644);
	CHECK(!load(&cfg, "", err, sizeof err) && strstr(err, "data_key_file"), "%s", err);
	config_free(&cfg);
	chmod(data_key_path, 0600);
	CHECK(load(&cfg, "", err, sizeof err), "%s", err);
	CHECK(cfg.data_key.bytes[0] == 0x01 && cfg.data_key.bytes[31] == 0xef, "key bytes");
	config_free(&cfg);
}

static void
environment_overrides_the_file(void)
{
	struct config cfg;
	char err[512];

	setenv("PHONEAUTH_OTP_TTL", "45", 1);
	setenv("PHONEAUTH_LANGUAGE", "fa", 1);
	CHECK(load(&cfg, "otp_ttl = 300\n", err, sizeof err), "%s", err);
	CHECK_INT(cfg.otp_ttl, 45);
	CHECK_INT(cfg.language, LANG_FA);
	config_free(&cfg);
	setenv("PHONEAUTH_OTP_TTL", "0", 1);
	CHECK(!load(&cfg, "", err, sizeof err) && strstr(err, "PHONEAUTH_OTP_TTL"), "%s", err);
	config_free(&cfg);
	unsetenv("PHONEAUTH_OTP_TTL");
	unsetenv("PHONEAUTH_LANGUAGE");
	setenv("PHONEAUTH_OTP_TILL", "5", 1);
	CHECK(!load(&cfg, "", err, sizeof err) && strstr(err, "PHONEAUTH_OTP_TILL"), "%s", err);
	config_free(&cfg);
	unsetenv("PHONEAUTH_OTP_TILL");
	setenv("PHONEAUTH_CONFIG", "/elsewhere", 1);
	CHECK(load(&cfg, "", err, sizeof err), "PHONEAUTH_CONFIG is not a key: %s", err);
	config_free(&cfg);
	unsetenv("PHONEAUTH_CONFIG");
}

static void
redis_urls(void)
{
	static const struct { int line; const char *url, *host, *path, *user, *pass; int port, db; } cases[] = {
		{ __LINE__, "redis://127.0.0.1", "127.0.0.1", NULL, NULL, NULL, 6379, 0 },
		{ __LINE__, "redis://:pw@h:6380/2", "h", NULL, NULL, "pw", 6380, 2 },
		{ __LINE__, "redis://app:pw@h/0", "h", NULL, "app", "pw", 6379, 0 },
		{ __LINE__, "unix:/run/redis.sock?db=3", NULL, "/run/redis.sock", NULL, NULL, 6379, 3 },
		{ __LINE__, "unix:/run/redis.sock", NULL, "/run/redis.sock", NULL, NULL, 6379, 0 },
		{ __LINE__, "unix:/r.sock?password=p#w&db=2", NULL, "/r.sock", NULL, "p#w", 6379, 2 },
		{ __LINE__, "unix:/r.sock?user=u&password=p", NULL, "/r.sock", "u", "p", 6379, 0 },
		{ __LINE__, "redis://[::1]:6380/1", "::1", NULL, NULL, NULL, 6380, 1 },
		{ __LINE__, "redis://:p@[2001:db8::7]/0", "2001:db8::7", NULL, NULL, "p", 6379, 0 },
		{ __LINE__, "redis://[fe80::1]", "fe80::1", NULL, NULL, NULL, 6379, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config cfg;
		char err[512], body[256];

		snprintf(body, sizeof body, "redis_url = %s\n", cases[i].url);
		CHECK_AT(cases[i].line, load(&cfg, body, err, sizeof err), "%s", err);
#define SAME(a, b) ((a) == NULL ? (b) == NULL : (b) != NULL && strcmp((a), (b)) == 0)
		CHECK_AT(cases[i].line, SAME(cases[i].host, cfg.redis.host) &&
		    SAME(cases[i].path, cfg.redis.socket_path) && SAME(cases[i].user, cfg.redis.user) &&
		    SAME(cases[i].pass, cfg.redis.password) && cases[i].port == cfg.redis.port &&
		    cases[i].db == cfg.redis.db, "%s", cases[i].url);
		config_free(&cfg);
	}
}

/* config_sms_unguarded: a real driver with every SMS-economics control off,
 * named; any one of them on (each named key is a real one that does it),
 * or the log driver, and no warning. */
static void
sms_economics_all_off_is_named(void)
{
	static const char command[] = "sms_driver = command\nsms_command = /bin/true\n";
	struct config cfg;
	char err[512], off[256], body[512], *save = NULL;
	size_t named = 0;

	CHECK(load(&cfg, "", err, sizeof err), "%s", err);
	CHECK(!config_sms_unguarded(&cfg, off, sizeof off) && off[0] == '\0', "the log driver: %s", off);
	config_free(&cfg);

	CHECK(load(&cfg, command, err, sizeof err), "%s", err);
	CHECK(config_sms_unguarded(&cfg, off, sizeof off), "command, all off: no warning");
	CHECK_STR(off, "sms_max_per_hour, sms_max_per_day, sms_owner_max_per_hour, "
	    "sms_owner_max_per_day, sms_max_per_prefix_hour, sms_min_conversion");
	config_free(&cfg);

	snprintf(body, sizeof body, "%sphone_format = e164\n", command);
	CHECK(load(&cfg, body, err, sizeof err), "%s", err);
	CHECK(config_sms_unguarded(&cfg, off, sizeof off) && strstr(off, ", sms_countries") != NULL,
	    "e164: sms_countries not named: %s", off);
	config_free(&cfg);

	for (char *k = strtok_r(off, ", ", &save); k != NULL; k = strtok_r(NULL, ", ", &save)) {
		char off2[256];

		/* 1: a budget, a ratio and a calling code alike */
		snprintf(body, sizeof body, "%sphone_format = e164\n%s = 1\n", command, k);
		CHECK(load(&cfg, body, err, sizeof err), "%s: %s", k, err);
		CHECK(!config_sms_unguarded(&cfg, off2, sizeof off2), "%s on, still warned: %s", k, off2);
		config_free(&cfg);
		named++;
	}
	CHECK(named == 7, "%zu keys named", named);

	/* a small buffer is cut, not overrun */
	CHECK(load(&cfg, command, err, sizeof err), "%s", err);
	CHECK(config_sms_unguarded(&cfg, off, 10) && strlen(off) == 9, "cut: %s", off);
	config_free(&cfg);
}

extern char **environ;

int
main(void)
{
	/* Hermetic: whatever PHONEAUTH_* the caller exported is not ours. */
	for (char **e = environ; *e != NULL; ) {
		if (strncmp(*e, "PHONEAUTH_", 10) == 0) {
			char name[128];

			snprintf(name, sizeof name, "%.*s", (int)strcspn(*e, "="), *e);
			unsetenv(name);
		} else {
			e++;
		}
	}
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(secret_path, sizeof secret_path, "%s/secret", dir);
	snprintf(short_secret_path, sizeof short_secret_path, "%s/short", dir);
	snprintf(conf_path, sizeof conf_path, "%s/phoneauth.conf", dir);
	write_file(secret_path, "0123456789012345678901234567890123456789\n");
	write_file(short_secret_path, "too short\n");
	snprintf(data_key_path, sizeof data_key_path, "%s/data.key", dir);
	snprintf(short_data_key_path, sizeof short_data_key_path, "%s/data.short", dir);
	write_file(data_key_path,
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
	write_file(short_data_key_path, "0123456789abcdef\n");
	chmod(data_key_path, 0600);
	chmod(short_data_key_path, 0600);
	snprintf(common_path, sizeof common_path, "%s/common", dir);
	write_file(common_path, "#!comment: john's first lines\n123456\npassword1\nqwertyuiop\n");
	RUN(defaults_are_the_contracts);
	RUN(file_values_comments_and_hashes);
	RUN(blocklist_defaults_to_johns_list);
	RUN(blocklist_and_length_are_loaded);
	RUN(bad_files_are_refused_naming_the_key);
	RUN(secrets_are_checked);
	RUN(data_key_is_checked);
	RUN(environment_overrides_the_file);
	RUN(redis_urls);
	RUN(sms_economics_all_off_is_named);
	unlink(secret_path);
	unlink(short_secret_path);
	unlink(data_key_path);
	unlink(short_data_key_path);
	unlink(common_path);
	unlink(conf_path);
	rmdir(dir);
	HARNESS_EXIT();
}
