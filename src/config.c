/*
 * Configuration: defaults, then the file, then PHONEAUTH_<KEY> variables.
 * Every key is declared once in keys[] with its type, range and default, so
 * the file, the environment and the defaults go through the same setter.
 * Whatever is wrong stops the program at start with one line naming the key:
 * a service that starts half-configured fails later, at a worse moment.
 */
#define _GNU_SOURCE		/* strptime */

#include "phoneauth/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "phoneauth/blocklist.h"
#include "phoneauth/command.h"
#include "phoneauth/errmsg.h"
#include "phoneauth/otp.h"
#include "phoneauth/phone.h"
#include "phoneauth/redis_sentinel.h"

extern char **environ;

enum kind { K_STR, K_INT, K_ENUM, K_RATIO };

struct key {
	const char *name;
	enum kind kind;
	size_t offset;
	const char *def;		/* default as text; NULL: unset */
	long min, max;			/* K_INT */
	const char *const *choices;	/* K_ENUM, NULL-terminated, index = value */
};

static const char *const phone_names[] = { "ir", "e164", NULL };
static const char *const driver_names[] = { "log", "command", NULL };
/* One hasher today; an enum so that a typo is refused, not ignored. */
static const char *const hasher_names[] = { "pbkdf2_sha256", NULL };
static const char *const switch_names[] = { "off", "on", NULL };

#define DAY 86400L
#define S(n, d)            { #n, K_STR, offsetof(struct config, n), d, 0, 0, NULL }
#define I(n, d, lo, hi)    { #n, K_INT, offsetof(struct config, n), #d, lo, hi, NULL }
#define E(n, d, c)         { #n, K_ENUM, offsetof(struct config, n), d, 0, 0, c }
#define R(n, d)            { #n, K_RATIO, offsetof(struct config, n), #d, 0, 0, NULL }

static const struct key keys[] = {
	S(base_path, "/api"),
	S(redis_url, "redis://127.0.0.1:6379/0"),
	S(redis_prefix, "phoneauth:"),
	S(postgres_url, "postgresql:///phoneauth"),
	E(jwt_alg, "HS256", token_alg_names),
	S(jwt_secret_file, NULL),
	S(jwt_private_key_file, NULL),
	S(jwt_issuer, NULL),
	S(jwt_audience, NULL),
	I(access_ttl, 300, 1, 30 * DAY),
	I(refresh_ttl, 86400, 1, 3650 * DAY),
	I(session_ttl, 120, 1, DAY),
	I(session_max_age, 600, 1, DAY),
	I(otp_ttl, 120, 1, DAY),
	I(otp_cooldown, 120, 0, DAY),
	I(otp_max_tries, 3, 1, 1000),
	I(otp_max_per_hour, 5, 1, 100000000),
	I(otp_max_per_ip_hour, 10, 1, 100000000),
	I(otp_owner_max_per_hour, 20, 1, 100000000),
	I(device_ttl, 7776000, 60, 3650 * DAY),
	I(login_sessions_per_ip_hour, 300, 0, 100000000),
	I(max_failed_attempts, 3, 1, 1000000000),
	I(block_window, 3600, 1, 365 * DAY),
	I(block_duration, 3600, 1, 365 * DAY),
	E(phone_format, "ir", phone_names),
	E(language, "en", lang_names),
	S(trusted_proxies, NULL),
	S(cors_origins, NULL),
	S(auth_cookie, NULL),
	I(max_body_bytes, 16384, 64, 16 * 1024 * 1024),
	E(password_hasher, "pbkdf2_sha256", hasher_names),
	I(pbkdf2_iterations, 600000, 1000, 100000000),
	E(sms_driver, "log", driver_names),
	S(sms_command, NULL),
	I(sms_timeout, 10, 1, 3600),
	I(sms_max_attempts, 5, 1, 1000),
	I(sms_claim_idle, 30, 1, DAY),
	I(max_requests, 0, 0, LONG_MAX),
	I(ipv6_prefix, 64, 1, 128),
	I(body_timeout, 5, 1, 3600),
	I(audit_retention_days, 90, 1, 36500),
	I(refresh_grace, 10, 0, 3600),
	S(sms_countries, NULL),
	I(sms_max_per_prefix_hour, 0, 0, 1000000000),
	I(sms_prefix_digits, 7, 1, 15),
	I(sms_max_per_hour, 0, 0, 1000000000),
	I(sms_max_per_day, 0, 0, 1000000000),
	I(sms_owner_max_per_hour, 0, 0, 1000000000),
	I(sms_owner_max_per_day, 0, 0, 1000000000),
	R(sms_min_conversion, 0),
	I(sms_conversion_min_sent, 20, 1, 1000000000),
	I(sms_conversion_window, 3600, 60, 30 * DAY),
	I(sms_pause, 3600, 1, 30 * DAY),
	S(test_numbers, NULL),
	S(test_numbers_until, NULL),
	I(test_number_max_tries, 10, 1, 1000000),
	S(sms_template_dir, NULL),
	S(sms_app_name, "phoneauth"),
	S(sms_origin, NULL),
	S(metrics_allow, "127.0.0.1,::1"),
	E(login_by_code, "off", switch_names),
	S(data_key_file, NULL),
	I(password_min_length, 8, 8, 128),
	S(password_blocklist, "/usr/share/john/password.lst"),
	I(login_max_age, 2592000, 1, 3650 * DAY),
	S(passkey_rp_id, NULL),
	S(passkey_rp_name, NULL),
	S(passkey_origins, NULL),
	S(audit_log, NULL),
	S(webhook_url, NULL),
	S(webhook_secret_file, NULL),
	S(webhook_events, "all"),
	I(webhook_timeout, 5, 1, 300),
	I(webhook_retry_for, 86400, 1, 30 * DAY),
	S(event_command, NULL),
	E(notices, "on", switch_names),
};
#undef S
#undef I
#undef E
#undef R


static const struct key *
find_key(const char *name)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Sets one key from its text; on error says what is wrong (not where). */
static bool
set_value(struct config *cfg, const struct key *k, const char *value,
    char *err, size_t errlen)
{
	void *field = (char *)cfg + k->offset;

	switch (k->kind) {
	case K_STR: {
		char **s = field;

		free(*s);
		*s = NULL;
		if (value != NULL && *value != '\0' && (*s = strdup(value)) == NULL)
			return errmsg(err, errlen, "out of memory");
		return true;
	}
	case K_INT: {
		char *end;
		long n;

		errno = 0;
		n = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || !isdigit((unsigned char)value[0]))
			return errmsg(err, errlen, "'%s' is not a whole number", value);
		if (n < k->min || n > k->max)
			return errmsg(err, errlen, "%ld is out of range %ld..%ld", n, k->min, k->max);
		*(long *)field = n;
		return true;
	}
	case K_RATIO: {
		char *end;
		double d;

		errno = 0;
		d = strtod(value, &end);
		if (errno != 0 || end == value || *end != '\0' || !(d >= 0 && d <= 1))
			return errmsg(err, errlen, "'%s' is not a number from 0 to 1", value);
		*(double *)field = d;
		return true;
	}
	case K_ENUM:
		for (int i = 0; k->choices[i] != NULL; i++)
			if (strcmp(k->choices[i], value) == 0) {
				*(int *)field = i;
				return true;
			}
		{
			char list[128] = "";
			for (int i = 0; k->choices[i] != NULL; i++) {
				strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
				strncat(list, k->choices[i], sizeof list - strlen(list) - 1);
			}
			return errmsg(err, errlen, "'%s' is not one of %s", value, list);
		}
	}
	return errmsg(err, errlen, "unknown kind");
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static bool
load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[4096], why[256];
	unsigned char seen[sizeof keys / sizeof keys[0]] = { 0 };
	int lineno = 0;
	bool ok = false;

	if (f == NULL)
		return errmsg(err, errlen, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, f) != NULL) {
		char *eq, *name, *value, *hash;
		const struct key *k;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			errmsg(err, errlen, "%s:%d: line too long", path, lineno);
			goto out;
		}
		/* '#' starts a comment at the start of a line or after a blank,
		 * so a password in a URL may still hold one. */
		for (hash = line; (hash = strchr(hash, '#')) != NULL; hash++)
			if (hash == line || isspace((unsigned char)hash[-1])) {
				*hash = '\0';
				break;
			}
		name = trim(line);
		if (*name == '\0')
			continue;
		if ((eq = strchr(name, '=')) == NULL) {
			errmsg(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
			goto out;
		}
		*eq = '\0';
		name = trim(name);
		value = trim(eq + 1);
		if ((k = find_key(name)) == NULL) {
			errmsg(err, errlen, "%s:%d: %s: unknown configuration key", path, lineno, name);
			goto out;
		}
		if (seen[k - keys]++) {
			errmsg(err, errlen, "%s:%d: %s: given twice", path, lineno, name);
			goto out;
		}
		if (!set_value(cfg, k, value, why, sizeof why)) {
			errmsg(err, errlen, "%s:%d: %s: %s", path, lineno, name, why);
			goto out;
		}
	}
	ok = true;
out:
	fclose(f);
	return ok;
}

static bool
load_environment(struct config *cfg, char *err, size_t errlen)
{
	static const char prefix[] = "PHONEAUTH_";
	char why[256];

	for (char **e = environ; *e != NULL; e++) {
		char name[64];
		const char *eq = strchr(*e, '=');
		size_t len;
		const struct key *k;

		if (strncmp(*e, prefix, sizeof prefix - 1) != 0 || eq == NULL)
			continue;
		len = (size_t)(eq - *e) - (sizeof prefix - 1);
		if (len >= sizeof name)
			return errmsg(err, errlen, "%.*s: unknown configuration key", (int)(eq - *e), *e);
		for (size_t i = 0; i < len; i++)
			name[i] = (char)tolower((unsigned char)(*e)[sizeof prefix - 1 + i]);
		name[len] = '\0';
		if (strcmp(name, "config") == 0)
			continue;
		if ((k = find_key(name)) == NULL)
			return errmsg(err, errlen, "%.*s: unknown configuration key", (int)(eq - *e), *e);
		if (!set_value(cfg, k, eq + 1, why, sizeof why))
			return errmsg(err, errlen, "%.*s: %s", (int)(eq - *e), *e, why);
	}
	return true;
}

/* A database number, all of s[0..len): 0 to 1000. */
static bool
redis_db_number(const char *s, size_t len, int *db)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (len == 0 || end != s + len || n < 0 || n > 1000)
		return false;
	*db = (int)n;
	return true;
}

/* A copy of s[0..len) into *to, freeing what was there. */
static bool
redis_url_copy(char **to, const char *s, size_t len, char *err, size_t errlen)
{
	free(*to);
	if ((*to = strndup(s, len)) == NULL)
		return errmsg(err, errlen, "out of memory");
	return true;
}

/* One of unix:'s ?db=N&password=P&user=U, as redis-py writes them. */
static bool
redis_unix_param(struct redis_addr *r, const char *item, size_t ilen, char *err, size_t errlen)
{
	if (strncmp(item, "db=", 3) == 0) {
		if (!redis_db_number(item + 3, ilen - 3, &r->db))
			return errmsg(err, errlen, "redis_url: bad db number");
		return true;
	}
	if (strncmp(item, "password=", 9) == 0)
		return redis_url_copy(&r->password, item + 9, ilen - 9, err, errlen);
	if (strncmp(item, "user=", 5) == 0)
		return redis_url_copy(&r->user, item + 5, ilen - 5, err, errlen);
	return errmsg(err, errlen, "redis_url: unknown parameter in '%.*s'", (int)ilen, item);
}

/* unix:/path[?db=N&password=P&user=U] */
static bool
parse_redis_unix(const char *url, struct redis_addr *r, char *err, size_t errlen)
{
	const char *q = strchr(url, '?');
	size_t len = q ? (size_t)(q - url - 5) : strlen(url + 5);

	if (len == 0 || url[5] != '/')
		return errmsg(err, errlen, "redis_url: unix: needs an absolute path");
	if ((r->socket_path = strndup(url + 5, len)) == NULL)
		return errmsg(err, errlen, "out of memory");
	for (const char *p = q; p != NULL && *p != '\0'; ) {
		const char *item = p + 1, *amp = strchr(item, '&');
		size_t ilen = amp ? (size_t)(amp - item) : strlen(item);

		if (!redis_unix_param(r, item, ilen, err, errlen))
			return false;
		p = amp;
	}
	return true;
}

/* [user]:password, the part of p before `at`. */
static bool
redis_userinfo(const char *p, const char *at, struct redis_addr *r, char *err, size_t errlen)
{
	const char *c = memchr(p, ':', (size_t)(at - p));

	if (c == NULL)
		return errmsg(err, errlen, "redis_url: expected [user]:password@ before the host");
	if (c > p && (r->user = strndup(p, (size_t)(c - p))) == NULL)
		return errmsg(err, errlen, "out of memory");
	if ((r->password = strndup(c + 1, (size_t)(at - c - 1))) == NULL)
		return errmsg(err, errlen, "out of memory");
	return true;
}

/* host[:port], the len bytes at p. */
static bool
redis_host_port(const char *p, size_t len, struct redis_addr *r, char *err, size_t errlen)
{
	size_t hostlen;
	const char *host, *why = net_host_port(p, len, &host, &hostlen, &r->port);

	if (why != NULL)
		return errmsg(err, errlen, "redis_url: '%.*s': %s", (int)len, p, why);
	if ((r->host = strndup(host, hostlen)) == NULL)
		return errmsg(err, errlen, "out of memory");
	return true;
}

/* redis://[[user]:password@]host[:port][/db] (an IPv6 host in brackets) */
static bool
parse_redis_tcp(const char *url, struct redis_addr *r, char *err, size_t errlen)
{
	const char *p = url + 8, *at = strrchr(p, '@'), *slash = strchr(p, '/');

	if (at != NULL && (slash == NULL || at < slash)) {
		if (!redis_userinfo(p, at, r, err, errlen))
			return false;
		p = at + 1;
		slash = strchr(p, '/');
	}
	if (!redis_host_port(p, slash ? (size_t)(slash - p) : strlen(p), r, err, errlen))
		return false;
	if (slash != NULL && slash[1] != '\0' && !redis_db_number(slash + 1, strlen(slash + 1), &r->db))
		return errmsg(err, errlen, "redis_url: bad db number");
	return true;
}

/* redis://..., unix:... or sentinel://... (redis_sentinel.c) */
static bool
parse_redis_url(struct config *cfg, char *err, size_t errlen)
{
	struct redis_addr *r = &cfg->redis;
	const char *url = cfg->redis_url;

	r->port = 6379;
	r->db = 0;
	if (url == NULL)
		return errmsg(err, errlen, "redis_url: must be set");
	if (sentinel_url(url))
		return sentinel_parse_url(url, r, err, errlen);
	if (strncmp(url, "unix:", 5) == 0)
		return parse_redis_unix(url, r, err, errlen);
	if (strncmp(url, "redis://", 8) != 0)
		return errmsg(err, errlen, "redis_url: must start with redis://, unix: or sentinel://");
	return parse_redis_tcp(url, r, err, errlen);
}

/*
 * Calls `add` for each item of a comma-separated `list` (may be NULL),
 * trimmed, skipping empty ones; false at the first item `add` refuses.
 */
static bool
each_item(struct config *cfg, const char *list,
    bool (*add)(struct config *cfg, char *item, char *err, size_t errlen), char *err, size_t errlen)
{
	char *copy, *item, *save = NULL;
	bool ok = true;

	if (list == NULL)
		return true;
	if ((copy = strdup(list)) == NULL)
		return errmsg(err, errlen, "out of memory");
	for (item = strtok_r(copy, ",", &save); ok && item != NULL; item = strtok_r(NULL, ",", &save))
		if (*(item = trim(item)) != '\0')
			ok = add(cfg, item, err, errlen);
	free(copy);
	return ok;
}


/* One address or CIDR (IPv4 or IPv6) more in the list of `key`. */
static bool
add_cidr(struct cidr **list, size_t *n, const char *key, const char *item, char *err,
    size_t errlen)
{
	struct cidr *grown = realloc(*list, (*n + 1) * sizeof *grown);

	if (grown == NULL)
		return errmsg(err, errlen, "out of memory");
	*list = grown;
	if (!net_parse_cidr(item, &grown[*n]))
		return errmsg(err, errlen, "%s: '%s' is not an address or CIDR", key, item);
	(*n)++;
	return true;
}

static bool
add_proxy(struct config *cfg, char *item, char *err, size_t errlen)
{
	return add_cidr(&cfg->proxies, &cfg->nproxies, "trusted_proxies", item, err, errlen);
}

static bool
add_metrics_reader(struct config *cfg, char *item, char *err, size_t errlen)
{
	return add_cidr(&cfg->metrics_readers, &cfg->nmetrics_readers, "metrics_allow", item, err,
	    errlen);
}

/* cors_origins: "https://app.example.ir, http://localhost:3000". An origin
 * is scheme://host[:port], nothing after; "*" is refused, since an API that
 * takes Authorization headers must name whom it trusts. */
static bool
add_origin(struct config *cfg, char *item, char *err, size_t errlen)
{
	const char *rest = NULL;
	char **grown;

	if (strncmp(item, "http://", 7) == 0)
		rest = item + 7;
	else if (strncmp(item, "https://", 8) == 0)
		rest = item + 8;
	if (rest == NULL || *rest == '\0' || strpbrk(rest, "/?#* \t") != NULL)
		return errmsg(err, errlen, "cors_origins: '%s' is not an origin (scheme://host[:port])",
		    item);
	if ((grown = realloc(cfg->origins, (cfg->norigins + 1) * sizeof *grown)) == NULL)
		return errmsg(err, errlen, "out of memory");
	cfg->origins = grown;
	if ((cfg->origins[cfg->norigins] = strdup(item)) == NULL)
		return errmsg(err, errlen, "out of memory");
	cfg->norigins++;
	return true;
}

/*
 * passkey_rp_id: a domain name (WebAuthn's RP ID), lower case, without
 * scheme, port or path; an IP address cannot be one (browsers refuse it).
 */
static bool
check_rp_id(const char *id, char *err, size_t errlen)
{
	size_t len = strlen(id);
	bool digits_and_dots = true;

	if (len == 0 || len > 253 || id[0] == '.' || id[0] == '-' || id[len - 1] == '.')
		return errmsg(err, errlen, "passkey_rp_id: '%s' is not a domain name", id);
	for (const char *c = id; *c; c++) {
		if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '.' ||
		    *c == '-'))
			return errmsg(err, errlen, "passkey_rp_id: '%s' is not a domain name in lower "
			    "case (no scheme, port or path)", id);
		if (c > id && *c == '.' && c[-1] == '.')
			return errmsg(err, errlen, "passkey_rp_id: '%s' is not a domain name", id);
		if (isalpha((unsigned char)*c) || *c == '-')
			digits_and_dots = false;
	}
	if (digits_and_dots)
		return errmsg(err, errlen, "passkey_rp_id: '%s' is an IP address; an RP ID must be "
		    "a domain name (localhost for a local test)", id);
	return true;
}

/*
 * passkey_origins: each an origin (scheme://host[:port]) whose host is
 * passkey_rp_id or a name under it, as browsers require; https, except
 * for localhost (a secure context over http).
 */
static bool
add_passkey_origin(struct config *cfg, char *item, char *err, size_t errlen)
{
	const char *rest = NULL, *rp = cfg->passkey_rp_id;
	size_t host_len, rp_len = strlen(rp);
	char **grown;

	if (strncmp(item, "https://", 8) == 0)
		rest = item + 8;
	else if (strncmp(item, "http://", 7) == 0)
		rest = item + 7;
	if (rest == NULL || *rest == '\0' || strpbrk(rest, "/?#*@ \t") != NULL)
		return errmsg(err, errlen, "passkey_origins: '%s' is not an origin "
		    "(scheme://host[:port])", item);
	host_len = strcspn(rest, ":");
	if (rest[host_len] == ':' && (rest[host_len + 1] == '\0' ||
	    strspn(rest + host_len + 1, "0123456789") != strlen(rest + host_len + 1)))
		return errmsg(err, errlen, "passkey_origins: '%s': not a port", item);
	if (!((host_len == rp_len && strncmp(rest, rp, rp_len) == 0) ||
	    (host_len > rp_len + 1 && rest[host_len - rp_len - 1] == '.' &&
	    strncmp(rest + host_len - rp_len, rp, rp_len) == 0)))
		return errmsg(err, errlen, "passkey_origins: the host of '%s' is neither "
		    "passkey_rp_id (%s) nor a name under it: browsers would refuse every passkey",
		    item, rp);
	if (item[4] == ':' && !(host_len == 9 && strncmp(rest, "localhost", 9) == 0))
		return errmsg(err, errlen, "passkey_origins: '%s': passkeys need https "
		    "(http only for localhost)", item);
	if ((grown = realloc(cfg->passkey_origin_list,
	    (cfg->npasskey_origins + 1) * sizeof *grown)) == NULL)
		return errmsg(err, errlen, "out of memory");
	cfg->passkey_origin_list = grown;
	if ((grown[cfg->npasskey_origins] = strdup(item)) == NULL)
		return errmsg(err, errlen, "out of memory");
	cfg->npasskey_origins++;
	return true;
}

/* The passkey keys: all or nothing follows passkey_rp_id. */
static bool
validate_passkeys(struct config *cfg, char *err, size_t errlen)
{
	char def[300];

	if (cfg->passkey_rp_id != NULL && cfg->passkey_rp_id[0] == '\0') {
		free(cfg->passkey_rp_id);
		cfg->passkey_rp_id = NULL;
	}
	if (cfg->passkey_rp_id == NULL) {
		if (cfg->passkey_origins != NULL && cfg->passkey_origins[0] != '\0')
			return errmsg(err, errlen, "passkey_origins: set without passkey_rp_id");
		return true;
	}
	if (!check_rp_id(cfg->passkey_rp_id, err, errlen))
		return false;
	if (cfg->passkey_origins == NULL || cfg->passkey_origins[0] == '\0') {
		snprintf(def, sizeof def, "https://%s", cfg->passkey_rp_id);
		free(cfg->passkey_origins);
		if ((cfg->passkey_origins = strdup(def)) == NULL)
			return errmsg(err, errlen, "out of memory");
	}
	if (!each_item(cfg, cfg->passkey_origins, add_passkey_origin, err, errlen))
		return false;
	if (cfg->npasskey_origins == 0)
		return errmsg(err, errlen, "passkey_origins: names no origin");
	if (cfg->passkey_rp_name != NULL && strlen(cfg->passkey_rp_name) > 64)
		return errmsg(err, errlen, "passkey_rp_name: at most 64 bytes");
	return true;
}

/* sms_countries: calling codes, 1 to 3 digits ("98, 44, 1"). */
static bool
add_country(struct config *cfg, char *item, char *err, size_t errlen)
{
	char **grown;
	size_t len = strlen(item);

	if (len < 1 || len > 3 || strspn(item, "0123456789") != len || item[0] == '0')
		return errmsg(err, errlen, "sms_countries: '%s' is not a calling code (1 to 3 digits)",
		    item);
	if ((grown = realloc(cfg->countries, (cfg->ncountries + 1) * sizeof *grown)) == NULL)
		return errmsg(err, errlen, "out of memory");
	cfg->countries = grown;
	if ((cfg->countries[cfg->ncountries] = strdup(item)) == NULL)
		return errmsg(err, errlen, "out of memory");
	cfg->ncountries++;
	return true;
}

/* test_numbers: NUMBER:CODE, the number in any spelling the API takes. */
static bool
add_test_number(struct config *cfg, char *item, char *err, size_t errlen)
{
	struct test_number *grown;
	char *colon = strrchr(item, ':');

	if (colon == NULL || strlen(colon + 1) != OTP_DIGITS ||
	    strspn(colon + 1, "0123456789") != OTP_DIGITS)
		return errmsg(err, errlen, "test_numbers: '%s' is not NUMBER:CODE (six digits)", item);
	*colon = '\0';
	if ((grown = realloc(cfg->test, (cfg->ntest + 1) * sizeof *grown)) == NULL)
		return errmsg(err, errlen, "out of memory");
	cfg->test = grown;
	if (!phone_normalize(item, (enum phone_format)cfg->phone_format, grown[cfg->ntest].phone))
		return errmsg(err, errlen, "test_numbers: '%s' is not a valid phone number", item);
	memcpy(grown[cfg->ntest].code, colon + 1, OTP_DIGITS + 1);
	cfg->ntest++;
	return true;
}

/* test_numbers_until: a date, YYYY-MM-DD; the numbers hold through its
 * last second (UTC). */
static bool
parse_until(struct config *cfg, char *err, size_t errlen)
{
	struct tm tm;
	const char *end;

	if (cfg->test_numbers_until == NULL)
		return cfg->ntest == 0 ? true
		    : errmsg(err, errlen, "test_numbers_until: must be set with test_numbers");
	memset(&tm, 0, sizeof tm);
	end = strptime(cfg->test_numbers_until, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0')
		return errmsg(err, errlen, "test_numbers_until: '%s' is not a date (YYYY-MM-DD)",
		    cfg->test_numbers_until);
	cfg->test_until = timegm(&tm) + DAY - 1;
	return true;
}

/* sms_origin: a host name, for the origin-bound last line of an SMS. */
static bool
check_origin_host(const char *host, char *err, size_t errlen)
{
	size_t len = host ? strlen(host) : 0;

	if (host == NULL)
		return true;
	if (len == 0 || len > 253 || strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") != len || host[0] == '.' || host[0] == '-')
		return errmsg(err, errlen, "sms_origin: '%s' is not a host name", host);
	return true;
}

/* webhook_url: http:// or https:// URLs (webhook.c's libcurl handle
 * refuses the rest again when the sender starts; `phoneauth check` tries). */
static bool
add_webhook(struct config *cfg, char *item, char *err, size_t errlen)
{
	char **grown;

	if ((strncmp(item, "http://", 7) != 0 || item[7] == '\0') &&
	    (strncmp(item, "https://", 8) != 0 || item[8] == '\0'))
		return errmsg(err, errlen, "webhook_url: '%s' is not an http:// or https:// URL", item);
	if (strpbrk(item, " \t\r\n") != NULL)
		return errmsg(err, errlen, "webhook_url: '%s' holds a blank", item);
	if ((grown = realloc(cfg->webhooks, (cfg->nwebhooks + 1) * sizeof *grown)) == NULL)
		return errmsg(err, errlen, "out of memory");
	cfg->webhooks = grown;
	if ((cfg->webhooks[cfg->nwebhooks] = strdup(item)) == NULL)
		return errmsg(err, errlen, "out of memory");
	cfg->nwebhooks++;
	return true;
}

/* webhook_secret_file: `whsec_` + base64 of 24 to 64 bytes (webhook.c). */
static bool
read_webhook_secret(struct config *cfg, char *err, size_t errlen)
{
	char buf[512], why[160];
	ssize_t got;
	int fd;

	if (cfg->nwebhooks == 0)
		return true;
	if (cfg->webhook_secret_file == NULL)
		return errmsg(err, errlen, "webhook_secret_file: must be set with webhook_url");
	if ((fd = open(cfg->webhook_secret_file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return errmsg(err, errlen, "webhook_secret_file: %s: %s", cfg->webhook_secret_file,
		    strerror(errno));
	got = read(fd, buf, sizeof buf);
	close(fd);
	if (got < 0 || got == (ssize_t)sizeof buf) {
		OPENSSL_cleanse(buf, sizeof buf);
		return errmsg(err, errlen, "webhook_secret_file: %s: unreadable or too long",
		    cfg->webhook_secret_file);
	}
	if (!webhook_secret_parse(buf, (size_t)got, &cfg->webhook_secret, why, sizeof why)) {
		OPENSSL_cleanse(buf, sizeof buf);
		return errmsg(err, errlen, "webhook_secret_file: %s: %s", cfg->webhook_secret_file, why);
	}
	OPENSSL_cleanse(buf, sizeof buf);
	return true;
}

/* The event outputs' settings, parsed once for the sender. */
static bool
validate_events(struct config *cfg, char *err, size_t errlen)
{
	char why[256];

	if (!each_item(cfg, cfg->webhook_url, add_webhook, err, errlen) ||
	    !read_webhook_secret(cfg, err, errlen))
		return false;
	if (!event_filter_parse(cfg->webhook_events ? cfg->webhook_events : "all",
	    &cfg->webhook_filter, why, sizeof why))
		return errmsg(err, errlen, "webhook_events: %s", why);
	if (cfg->event_command != NULL) {
		if ((cfg->event_cmd = calloc(1, sizeof *cfg->event_cmd)) == NULL)
			return errmsg(err, errlen, "out of memory");
		if (!command_parse(cfg->event_command, cfg->event_cmd, why, sizeof why)) {
			free(cfg->event_cmd);
			cfg->event_cmd = NULL;
			return errmsg(err, errlen, "event_command: %s", why);
		}
	}
	if (cfg->audit_log != NULL && strcmp(cfg->audit_log, "syslog") != 0 &&
	    cfg->audit_log[0] != '/')
		return errmsg(err, errlen, "audit_log: '%s' is neither syslog nor an absolute path",
		    cfg->audit_log);
	return true;
}

/* Reads a whole small file (a key) into memory; owner: cfg->jwt_key. */
static bool
read_key_file(struct config *cfg, const char *key, const char *path,
    char *err, size_t errlen)
{
	struct stat st;
	unsigned char *buf;
	ssize_t got;
	int fd;

	if (path == NULL)
		return errmsg(err, errlen, "%s: must be set for jwt_alg = %s", key,
		    token_alg_names[cfg->jwt_alg]);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)	/* a FIFO never blocks the start */
		return errmsg(err, errlen, "%s: %s: %s", key, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 65536) {
		close(fd);
		return errmsg(err, errlen, "%s: %s: not a regular file of at most 64 KiB", key, path);
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return errmsg(err, errlen, "out of memory");
	}
	got = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (got != st.st_size) {
		free(buf);
		return errmsg(err, errlen, "%s: %s: short read", key, path);
	}
	buf[got] = '\0';
	cfg->jwt_key = buf;
	cfg->jwt_key_len = (size_t)got;
	return true;
}

static bool
validate(struct config *cfg, char *err, size_t errlen)
{
	char why[512];
	size_t len;

	/* base_path: "/api", "/api/" and "" (routes at the root) */
	if (cfg->base_path == NULL)
		cfg->base_path = strdup("");
	if (cfg->base_path == NULL)
		return errmsg(err, errlen, "out of memory");
	len = strlen(cfg->base_path);
	while (len > 0 && cfg->base_path[len - 1] == '/')
		cfg->base_path[--len] = '\0';
	if (len > 0 && cfg->base_path[0] != '/')
		return errmsg(err, errlen, "base_path: must start with /");
	for (const char *c = cfg->base_path; *c; c++)
		if (*c == '?' || *c == '#' || isspace((unsigned char)*c))
			return errmsg(err, errlen, "base_path: must be a plain path");
	if (cfg->redis_prefix == NULL)
		cfg->redis_prefix = strdup("");
	if (cfg->redis_prefix == NULL)
		return errmsg(err, errlen, "out of memory");
	for (const char *c = cfg->redis_prefix; *c; c++)
		if (isspace((unsigned char)*c) || iscntrl((unsigned char)*c))
			return errmsg(err, errlen, "redis_prefix: no blanks or control characters");
	if (cfg->postgres_url == NULL)
		return errmsg(err, errlen, "postgres_url: must be set");
	if (!parse_redis_url(cfg, err, errlen) ||
	    !each_item(cfg, cfg->trusted_proxies, add_proxy, err, errlen) ||
	    !each_item(cfg, cfg->cors_origins, add_origin, err, errlen) ||
	    !each_item(cfg, cfg->metrics_allow, add_metrics_reader, err, errlen) ||
	    !each_item(cfg, cfg->sms_countries, add_country, err, errlen) ||
	    !each_item(cfg, cfg->test_numbers, add_test_number, err, errlen) ||
	    !parse_until(cfg, err, errlen) || !check_origin_host(cfg->sms_origin, err, errlen) ||
	    !validate_passkeys(cfg, err, errlen) ||
	    !validate_events(cfg, err, errlen))
		return false;
	if (cfg->jwt_alg == TOKEN_HS256) {
		if (!read_key_file(cfg, "jwt_secret_file", cfg->jwt_secret_file, err, errlen))
			return false;
		/* A key written with `echo` ends in a newline; nobody means it. */
		while (cfg->jwt_key_len > 0 && (cfg->jwt_key[cfg->jwt_key_len - 1] == '\n' ||
		    cfg->jwt_key[cfg->jwt_key_len - 1] == '\r'))
			cfg->jwt_key[--cfg->jwt_key_len] = '\0';
		if (cfg->jwt_key_len < 32)
			return errmsg(err, errlen, "jwt_secret_file: %s: the key must be at least 32 bytes",
			    cfg->jwt_secret_file);
	} else if (!read_key_file(cfg, "jwt_private_key_file", cfg->jwt_private_key_file,
	    err, errlen)) {
		return false;
	}
	if (cfg->sms_driver == SMS_DRIVER_COMMAND && cfg->sms_command == NULL)
		return errmsg(err, errlen, "sms_command: must be set for sms_driver = command");
	/* Every process reads it, not only the workers: `phoneauth check`
	 * (ExecReload) then refuses the file the workers would refuse. */
	if (cfg->password_blocklist == NULL)
		return errmsg(err, errlen, "password_blocklist: must be set (NIST SP 800-63B-4 "
		    "asks for a list of common passwords)");
	if (!blocklist_load(cfg->password_blocklist, &cfg->common_passwords, why, sizeof why))
		return errmsg(err, errlen, "password_blocklist: %s", why);
	/* Required whether or not any account has a second factor: a service
	 * that started without it could not open what it sealed before. */
	if (!seal_key_load(cfg->data_key_file, &cfg->data_key, why, sizeof why))
		return errmsg(err, errlen, "%s", why);
	return true;
}

bool
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	char why[256];

	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (keys[i].def == NULL)
			continue;
		if (!set_value(cfg, &keys[i], keys[i].def, why, sizeof why))
			return errmsg(err, errlen, "%s: default: %s", keys[i].name, why);
	}
	if (path != NULL && !load_file(cfg, path, err, errlen))
		return false;
	if (!load_environment(cfg, err, errlen))
		return false;
	return validate(cfg, err, errlen);
}

/*
 * The controls of "SMS economics" (docs/security.md): with a real driver and every one
 * of them off, whoever finds the sign-up form decides how many SMS the
 * service pays for. One line per control; a key is "on" when it is set to
 * anything but its off value (0, or empty). sms_countries only counts with
 * phone_format = e164 (the ir format has one country already).
 */
static const struct {
	const char *key;
	bool e164_only;
} economics[] = {
	{ "sms_max_per_hour", false },
	{ "sms_max_per_day", false },
	{ "sms_owner_max_per_hour", false },
	{ "sms_owner_max_per_day", false },
	{ "sms_max_per_prefix_hour", false },
	{ "sms_min_conversion", false },
	{ "sms_countries", true },
};

static bool
key_on(const struct config *cfg, const struct key *k)
{
	const void *field = (const char *)cfg + k->offset;

	switch (k->kind) {
	case K_STR:
		return *(char *const *)field != NULL && **(char *const *)field != '\0';
	case K_INT:
		return *(const long *)field != 0;
	case K_RATIO:
		return *(const double *)field != 0;
	case K_ENUM:
		return *(const int *)field != 0;
	}
	return false;
}

bool
config_sms_unguarded(const struct config *cfg, char *keys_off, size_t len)
{
	size_t used = 0;

	if (len > 0)
		keys_off[0] = '\0';
	if (cfg->sms_driver != SMS_DRIVER_COMMAND)
		return false;
	for (size_t i = 0; i < sizeof economics / sizeof economics[0]; i++) {
		const struct key *k = find_key(economics[i].key);

		if (economics[i].e164_only && cfg->phone_format != PHONE_FORMAT_E164)
			continue;
		if (k != NULL && key_on(cfg, k))
			return false;
		if (used < len)
			used += (size_t)snprintf(keys_off + used, len - used, "%s%s",
			    used > 0 ? ", " : "", economics[i].key);
	}
	return true;
}

const char *
config_test_code(const struct config *cfg, const char *phone, time_t now)
{
	if (now > cfg->test_until)
		return NULL;
	for (size_t i = 0; i < cfg->ntest; i++)
		if (strcmp(cfg->test[i].phone, phone) == 0)
			return cfg->test[i].code;
	return NULL;
}

void
config_free(struct config *cfg)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (keys[i].kind == K_STR)
			free(*(char **)((char *)cfg + keys[i].offset));
	}
	free(cfg->redis.host);
	free(cfg->redis.socket_path);
	free(cfg->redis.user);
	if (cfg->redis.password != NULL)
		OPENSSL_cleanse(cfg->redis.password, strlen(cfg->redis.password));
	free(cfg->redis.password);
	sentinel_addr_free(&cfg->redis);
	free(cfg->proxies);
	free(cfg->metrics_readers);
	for (size_t i = 0; i < cfg->norigins; i++)
		free(cfg->origins[i]);
	free(cfg->origins);
	for (size_t i = 0; i < cfg->npasskey_origins; i++)
		free(cfg->passkey_origin_list[i]);
	free(cfg->passkey_origin_list);
	for (size_t i = 0; i < cfg->ncountries; i++)
		free(cfg->countries[i]);
	free(cfg->countries);
	if (cfg->test != NULL)
		OPENSSL_cleanse(cfg->test, cfg->ntest * sizeof *cfg->test);
	free(cfg->test);
	seal_key_wipe(&cfg->data_key);
	if (cfg->jwt_key != NULL)
		OPENSSL_cleanse(cfg->jwt_key, cfg->jwt_key_len);
	free(cfg->jwt_key);
	blocklist_free(&cfg->common_passwords);
	for (size_t i = 0; i < cfg->nwebhooks; i++)
		free(cfg->webhooks[i]);
	free(cfg->webhooks);
	webhook_secret_clear(&cfg->webhook_secret);
	if (cfg->event_cmd != NULL)
		command_free(cfg->event_cmd);
	free(cfg->event_cmd);
	memset(cfg, 0, sizeof *cfg);
}
