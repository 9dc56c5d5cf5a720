/*
 * The function library the connection loads into Redis (FUNCTION LOAD):
 * the libraries of src/lua/ (prelude.lua, then economics, devices, limits
 * accounts and events), which run once when it loads, and each script as one
 * function, run with FCALL. Named after the hash of its text, so two
 * versions of phoneauth sharing a Redis during an upgrade each find their
 * own. Also the configuration values every call starts with (enum
 * common_arg here, configure() at the top of prelude.lua), and the outbox's
 * key names among them. Never speaks to Redis.
 */
#include "redis_library.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "phoneauth/embedded.h"
#include "phoneauth/log.h"
#include "redis_call.h"

/* The values every script call starts with, from the configuration, in the
 * order of configure() at the top of prelude.lua; they travel as one
 * argument, joined by newlines, which the library parses again only when it
 * differs from the last call's. */
enum common_arg {
	CA_PREFIX, CA_MAX_FAILED, CA_WINDOW_MS, CA_DURATION_MS, CA_SESSION_TTL_MS,
	CA_CODE_TTL_MS, CA_COOLDOWN_MS, CA_MAX_PER_HOUR, CA_MAX_PER_CLIENT_HOUR, CA_MAX_TRIES,
	CA_CACHE_TTL_MS, CA_OUTBOX, CA_OUTBOX_DEAD, CA_OUTBOX_STATS, CA_OUTBOX_MAXLEN,
	CA_OUTBOX_GROUP, CA_PREFIX_DIGITS, CA_PREFIX_HOUR, CA_BUDGET_HOUR, CA_BUDGET_DAY,
	CA_MIN_CONVERSION, CA_CONVERSION_MIN_SENT, CA_CONVERSION_WINDOW_MS, CA_PAUSE_MS,
	CA_LOGIN_SESSIONS_HOUR, CA_SESSION_MAX_AGE_MS, CA_DEVICE_TTL_MS, CA_OWNER_PER_HOUR,
	CA_OWNER_BUDGET_HOUR, CA_OWNER_BUDGET_DAY, CA_TEST_MAX_TRIES, CA__MAX
};
_Static_assert(CA__MAX == RS_COMMON_ARGS, "the common block of redis_scripts.h");

/* Prepended to every script, in this order. */
static const char *const libraries[] = { "prelude", "economics", "devices", "limits", "accounts",
	"events" };

/* How long register trusts the cached account state. Every change phoneauth
 * makes drops it at once; this bounds only changes made behind its back
 * (SQL by hand). */
#define ACCOUNT_CACHE_MS 300000

static const char *const outbox_suffixes[] = {
	[OUTBOX_STREAM] = "", [OUTBOX_DEAD] = ":dead", [OUTBOX_STATS] = ":stats",
};

void
rs_outbox_key(const struct config *cfg, enum outbox_key k, char *out, size_t outlen)
{
	snprintf(out, outlen, "%ssms%s", cfg->redis_prefix, outbox_suffixes[k]);
}

/* Appends `text` to the library being built (lib->text, `*len` long, of
 * `size` bytes); false when it would not fit. */
static bool
append(struct rs_library *lib, size_t *len, size_t size, const char *text)
{
	size_t n = strlen(text);

	if (*len + n + 1 > size)
		return false;
	memcpy(lib->text + *len, text, n + 1);
	*len += n;
	return true;
}

/* The tag the library and its functions are named with: 12 hex digits of
 * the SHA-1 of the scripts' text (an upgrade's scripts have another).
 * Their total length goes to *size. */
static bool
library_tag(char tag[13], size_t *size)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *md = EVP_MD_CTX_new();	/* owner: this function */
	bool ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha1(), NULL) == 1;

	for (size_t i = 0; ok && i < lua_scripts_count; i++) {
		*size += strlen(lua_scripts[i].text);
		ok = EVP_DigestUpdate(md, lua_scripts[i].text, strlen(lua_scripts[i].text)) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(md, digest, NULL) == 1;
	EVP_MD_CTX_free(md);
	for (int i = 0; ok && i < 6; i++)
		snprintf(tag + 2 * i, 3, "%02x", digest[i]);
	return ok;
}

/* Script `s` as a function of the library, whose body starts with
 * begin(ARGV). */
static bool
add_function(struct rs_library *lib, size_t *len, size_t size, enum rs_script s,
    const char *tag)
{
	const char *own = rs_script_text(rs_scripts[s].name);
	char line[160];

	snprintf(lib->function[s], sizeof lib->function[s], "pa_%s_%s", tag, rs_scripts[s].name);
	snprintf(line, sizeof line, "redis.register_function('%s', function(KEYS, ARGV)\n"
	    "begin(ARGV)\n", lib->function[s]);
	if (own != NULL && append(lib, len, size, line) && append(lib, len, size, own) &&
	    append(lib, len, size, "end)\n"))
		return true;
	log_error("redis: script %s is not compiled in", rs_scripts[s].name);
	return false;
}

/* The library: its name line, the libraries of src/lua/, then each script
 * as a function. */
static bool
assemble(struct rs_library *lib)
{
	char tag[13], line[160];
	size_t size = 512 + 160 * lua_scripts_count, len = 0;

	if (!library_tag(tag, &size) || (lib->text = malloc(size)) == NULL)
		return false;
	snprintf(line, sizeof line, "#!lua name=phoneauth_%s\n", tag);
	if (!append(lib, &len, size, line))
		return false;
	for (size_t l = 0; l < sizeof libraries / sizeof libraries[0]; l++)
		if (rs_script_text(libraries[l]) == NULL ||
		    !append(lib, &len, size, rs_script_text(libraries[l])))
			return false;
	for (int s = 0; s < SC__MAX; s++)
		if (!add_function(lib, &len, size, (enum rs_script)s, tag))
			return false;
	return true;
}

/* The common values, each as text, in enum common_arg order. */
static void
common_values(const struct config *cfg, char out[CA__MAX][256])
{
	const long long numbers[CA__MAX] = {
		[CA_MAX_FAILED] = cfg->max_failed_attempts,
		[CA_WINDOW_MS] = cfg->block_window * 1000LL,
		[CA_DURATION_MS] = cfg->block_duration * 1000LL,
		[CA_SESSION_TTL_MS] = cfg->session_ttl * 1000LL,
		[CA_CODE_TTL_MS] = cfg->otp_ttl * 1000LL,
		[CA_COOLDOWN_MS] = cfg->otp_cooldown * 1000LL,
		[CA_MAX_PER_HOUR] = cfg->otp_max_per_hour,
		[CA_MAX_PER_CLIENT_HOUR] = cfg->otp_max_per_ip_hour,
		[CA_MAX_TRIES] = cfg->otp_max_tries,
		[CA_CACHE_TTL_MS] = ACCOUNT_CACHE_MS,
		[CA_OUTBOX_MAXLEN] = OUTBOX_MAXLEN,
		[CA_PREFIX_DIGITS] = cfg->sms_prefix_digits,
		[CA_PREFIX_HOUR] = cfg->sms_max_per_prefix_hour,
		[CA_BUDGET_HOUR] = cfg->sms_max_per_hour,
		[CA_BUDGET_DAY] = cfg->sms_max_per_day,
		[CA_CONVERSION_MIN_SENT] = cfg->sms_conversion_min_sent,
		[CA_CONVERSION_WINDOW_MS] = cfg->sms_conversion_window * 1000LL,
		[CA_PAUSE_MS] = cfg->sms_pause * 1000LL,
		[CA_LOGIN_SESSIONS_HOUR] = cfg->login_sessions_per_ip_hour,
		[CA_SESSION_MAX_AGE_MS] = cfg->session_max_age * 1000LL,
		[CA_DEVICE_TTL_MS] = cfg->device_ttl * 1000LL,
		[CA_OWNER_PER_HOUR] = cfg->otp_owner_max_per_hour,
		[CA_OWNER_BUDGET_HOUR] = cfg->sms_owner_max_per_hour,
		[CA_OWNER_BUDGET_DAY] = cfg->sms_owner_max_per_day,
		[CA_TEST_MAX_TRIES] = cfg->test_number_max_tries,
	};

	for (int i = 0; i < CA__MAX; i++)
		snprintf(out[i], sizeof out[i], "%lld", numbers[i]);
	snprintf(out[CA_PREFIX], sizeof out[0], "%s", cfg->redis_prefix);
	rs_outbox_key(cfg, OUTBOX_STREAM, out[CA_OUTBOX], sizeof out[0]);
	rs_outbox_key(cfg, OUTBOX_DEAD, out[CA_OUTBOX_DEAD], sizeof out[0]);
	rs_outbox_key(cfg, OUTBOX_STATS, out[CA_OUTBOX_STATS], sizeof out[0]);
	snprintf(out[CA_OUTBOX_GROUP], sizeof out[0], "%s", OUTBOX_GROUP);
	snprintf(out[CA_MIN_CONVERSION], sizeof out[0], "%.6f", cfg->sms_min_conversion);
}

/* The common argument: the values joined by newlines, as one bulk string
 * of the protocol ("$len\r\n...\r\n"), ready to be copied into a call. */
static void
format_common(struct rs_library *lib, const struct config *cfg)
{
	char values[CA__MAX][256];
	size_t len = 0;

	common_values(cfg, values);
	for (int i = 0; i < CA__MAX; i++)
		len += strlen(values[i]) + (i > 0);
	lib->common_len = (size_t)snprintf(lib->common, sizeof lib->common, "$%zu\r\n", len);
	for (int i = 0; i < CA__MAX; i++)
		lib->common_len += (size_t)snprintf(lib->common + lib->common_len,
		    sizeof lib->common - lib->common_len, "%s%s", i > 0 ? "\n" : "", values[i]);
	memcpy(lib->common + lib->common_len, "\r\n", 2);
	lib->common_len += 2;
}

bool
rs_library_make(struct rs_library *lib, const struct config *cfg)
{
	memset(lib, 0, sizeof *lib);
	format_common(lib, cfg);
	if (assemble(lib))
		return true;
	rs_library_free(lib);
	return false;
}

void
rs_library_free(struct rs_library *lib)
{
	free(lib->text);
	lib->text = NULL;
}
