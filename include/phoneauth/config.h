/*
 * The configuration: a file of "key = value" lines, every key overridable by
 * PHONEAUTH_<KEY> in the environment. Loaded once at start and read-only
 * afterwards; a bad key or value stops the program before it serves anything.
 */
#ifndef PHONEAUTH_CONFIG_H
#define PHONEAUTH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "phoneauth/blocklist.h"
#include "phoneauth/event.h"
#include "phoneauth/lang.h"
#include "phoneauth/net.h"
#include "phoneauth/phone.h"
#include "phoneauth/redis_addr.h"
#include "phoneauth/seal.h"
#include "phoneauth/token_alg.h"
#include "phoneauth/webhook.h"

struct command;

/* A number of test_numbers and its fixed code. */
struct test_number {
	char phone[PHONE_MAX];		/* stored form */
	char code[7];
};

enum sms_driver { SMS_DRIVER_LOG, SMS_DRIVER_COMMAND };

struct config {
	char *base_path;
	char *redis_url;
	char *redis_prefix;
	char *postgres_url;
	int jwt_alg;			/* enum token_alg */
	char *jwt_secret_file;
	char *jwt_private_key_file;
	char *jwt_issuer;
	char *jwt_audience;
	long access_ttl, refresh_ttl;
	long session_ttl, otp_ttl, otp_cooldown;
	long session_max_age;		/* seconds a session lives at most from its opening */
	long otp_max_tries, otp_max_per_hour, otp_max_per_ip_hour;
	long otp_owner_max_per_hour;	/* codes to one account an hour, from clients without its device */
	long device_ttl;		/* seconds a device token stays valid */
	long login_sessions_per_ip_hour;	/* 0: no limit */
	long max_failed_attempts, block_window, block_duration;
	int phone_format;		/* enum phone_format */
	int language;			/* enum lang */
	char *trusted_proxies;
	char *cors_origins;
	char *auth_cookie;
	long max_body_bytes;
	int password_hasher;		/* only pbkdf2_sha256 */
	long pbkdf2_iterations;
	int sms_driver;			/* enum sms_driver */
	char *sms_command;
	long sms_timeout, sms_max_attempts, sms_claim_idle;
	long max_requests;
	long ipv6_prefix;		/* an IPv6 client is its network of this many bits */
	long body_timeout;		/* seconds a worker waits for a request body */
	long audit_retention_days;
	long refresh_grace;		/* seconds a just-rotated refresh token may come again */
	char *sms_countries;
	long sms_max_per_prefix_hour, sms_prefix_digits;
	long sms_max_per_hour, sms_max_per_day;		/* the sign-up budget (0: off) */
	long sms_owner_max_per_hour, sms_owner_max_per_day;	/* owners' codes' budget (0: off) */
	double sms_min_conversion;
	long sms_conversion_min_sent, sms_conversion_window, sms_pause;
	char *test_numbers, *test_numbers_until;
	long test_number_max_tries;	/* wrong codes judged per test number a day */
	char *sms_template_dir, *sms_app_name, *sms_origin;
	char *metrics_allow;
	int login_by_code;		/* POST login/code is served (0: off, 1: on) */
	char *data_key_file;		/* the key that seals TOTP secrets at rest */
	long password_min_length;	/* code points, at least PASSWORD_MIN_CHARS */
	char *password_blocklist;	/* the file of common passwords */
	long login_max_age;		/* seconds a login lives from its sign-in, however it rotates */
	char *passkey_rp_id;		/* WebAuthn's RP ID; NULL: passkeys are off */
	char *passkey_rp_name;		/* NULL: sms_app_name */
	char *passkey_origins;		/* the origins clientDataJSON may name */
	char *audit_log;		/* events: a JSON-lines file, or "syslog" */
	char *webhook_url;		/* events: receivers, comma-separated */
	char *webhook_secret_file, *webhook_events;
	long webhook_timeout, webhook_retry_for;
	char *event_command;		/* events: a program run once per event */
	int notices;			/* SMS notices of security changes (0: off, 1: on) */

	/* Derived at load time. */
	struct redis_addr redis;
	struct cidr *proxies;
	size_t nproxies;
	struct cidr *metrics_readers;	/* metrics_allow, parsed */
	size_t nmetrics_readers;
	char **origins;			/* cors_origins, split */
	size_t norigins;
	char **passkey_origin_list;	/* passkey_origins, split (none while passkeys are off) */
	size_t npasskey_origins;
	char **countries;		/* sms_countries, split */
	size_t ncountries;
	struct test_number *test;	/* test_numbers, normalised; owner: this */
	size_t ntest;
	time_t test_until;		/* the last second they hold */
	unsigned char *jwt_key;		/* HS256 secret or PEM private key */
	size_t jwt_key_len;
	struct seal_key data_key;	/* data_key_file's 32 bytes */
	struct blocklist common_passwords;	/* password_blocklist, loaded; owner: this */
	char **webhooks;		/* webhook_url, split and checked */
	size_t nwebhooks;
	struct webhook_secret webhook_secret;	/* webhook_secret_file, parsed */
	struct event_filter webhook_filter;	/* webhook_events, parsed */
	struct command *event_cmd;	/* event_command, parsed (NULL: none); owner: this */
};

/*
 * Loads defaults, then `path` (may be NULL: no file), then the environment.
 * On failure writes one line naming the key into `err` and returns false;
 * the struct is then to be freed with config_free() and not used.
 */
bool config_load(struct config *cfg, const char *path, char *err, size_t errlen);
void config_free(struct config *cfg);

/*
 * Whether a real SMS driver (command) runs with every control of "SMS
 * economics" off; if so, `keys_off` names them ("sms_max_per_hour, ...").
 */
bool config_sms_unguarded(const struct config *cfg, char *keys_off, size_t len);

/* The fixed code of `phone` (stored form) when it is one of test_numbers
 * still in force at `now`, else NULL. */
const char *config_test_code(const struct config *cfg, const char *phone, time_t now);

#endif
