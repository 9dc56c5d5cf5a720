/*
 * Declared inputs: fields_read_or_reply() (fields.c: the validator of every
 * F_* kind) over a body holding a field of each kind, the body parsed from
 * the input as request_read_body() parses one. The first byte picks: bit 0
 * the body's type (JSON, or a form), bit 1 the phone format (ir, or e164
 * with sms_countries 98,44), bit 2 whether the number is F_PHONE or
 * F_SMS_PHONE, bit 3 the language. An invalid number is a failure, which
 * limits.c takes to Redis: here Redis is a socket nothing listens on, so the
 * failure finds the store down, as a worker would, and the answer is still
 * the 400.
 *
 * Oracles, beyond "no crash, no leak":
 *  - false comes with 400 validation_failed whose fields are some of the
 *    declared names, each with a message; true with no answer at all;
 *  - on true every value is what its kind promises: a second factor's code
 *    (verify-mfa's) of one kind in its canonical form, a number that
 *    normalises to itself (and, for F_SMS_PHONE in e164, of an allowed
 *    country), six ASCII digits, a non-empty password, names of 1 to 30 and
 *    1 to 50 characters with no control character and no blank at either
 *    end, an e-mail address that is empty or valid, a session id shorter
 *    than its buffer.
 */
#define _GNU_SOURCE		/* memfd_create */
#include <stdbool.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_env.h"
#include "phoneauth/config.h"
#include "phoneauth/ctx.h"
#include "phoneauth/fields.h"
#include "phoneauth/log.h"
#include "phoneauth/redis_store.h"
#include "phoneauth/text.h"

static struct config cfg_ir, cfg_e164;
static struct redis_store *rs_ir, *rs_e164;

static void
load(struct config *cfg, const char *format)
{
	char err[256];

	setenv("PHONEAUTH_PHONE_FORMAT", format, 1);
	if (strcmp(format, "e164") == 0)
		setenv("PHONEAUTH_SMS_COUNTRIES", "98,44", 1);
	if (!config_load(cfg, NULL, err, sizeof err)) {
		fprintf(stderr, "fuzz_fields: %s\n", err);
		abort();
	}
}

static void
setup(void)
{
	static bool done;
	char path[64];

	if (done)
		return;
	fuzz_env_secret(path);
	setenv("PHONEAUTH_REDIS_URL", "unix:/nonexistent/phoneauth-fuzz.sock", 1);
	log_set_level(LOG_LEVEL_ERROR);		/* "Redis is down", once a request */
	load(&cfg_ir, "ir");
	load(&cfg_e164, "e164");
	if ((rs_ir = rs_new(&cfg_ir)) == NULL || (rs_e164 = rs_new(&cfg_e164)) == NULL)
		abort();
	done = true;
}

static bool
name_ok(const char *s, size_t max)
{
	size_t len = strlen(s);

	return len > 0 && text_utf8_length(s) <= max && !text_has_control(s) &&
	    s[0] != ' ' && s[0] != '\t' && s[len - 1] != ' ' && s[len - 1] != '\t';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"mobile_number", "session_id", "code", "password", "first_name", "last_name", "email",
		"mfa",
	};
	struct field list[] = {
		{ "mobile_number", F_PHONE }, { "session_id", F_SESSION }, { "code", F_CODE },
		{ "password", F_PASSWORD }, { "first_name", F_FIRST_NAME },
		{ "last_name", F_LAST_NAME }, { "email", F_EMAIL }, { "mfa", F_MFA_CODE },
	};
	struct request req = { 0 };
	struct response resp = { 0 };
	struct ctx ctx = { 0 };
	struct inputs in;
	char *body, bad[64];
	uint8_t pick;
	bool e164, ok;

	setup();
	if (size == 0)
		return 0;
	pick = data[0];
	data++, size--;
	e164 = pick & 2;
	if (pick & 4)
		list[0].kind = F_SMS_PHONE;
	body = fuzz_cstring(data, size);
	if (request_parse_body(pick & 1 ? "application/x-www-form-urlencoded" : "application/json",
	    body, size, &req.body, bad, sizeof bad) != BODY_OK) {
		free(body);
		return 0;
	}
	req.lang = pick & 8 ? LANG_FA : LANG_EN;
	snprintf(req.ip, sizeof req.ip, "203.0.113.7");
	snprintf(req.client, sizeof req.client, "203.0.113.7");
	req.fd = -1;
	ctx.cfg = e164 ? &cfg_e164 : &cfg_ir;
	ctx.rs = e164 ? rs_e164 : rs_ir;
	ctx.req = &req;
	ctx.resp = &resp;
	ctx.route = -1;

	ok = fields_read_or_reply(&ctx, list, sizeof list / sizeof list[0], &in);
	if (!ok) {
		json_object *fields;

		FUZZ_ASSERT(resp.status == 400 && resp.is_error && resp.error == ERR_VALIDATION_FAILED);
		FUZZ_ASSERT(json_object_object_get_ex(resp.body, "fields", &fields) &&
		    json_object_object_length(fields) > 0);
		json_object_object_foreach(fields, k, v) {
			bool declared = false;

			for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
				declared |= strcmp(k, names[i]) == 0;
			FUZZ_ASSERT(declared && json_object_is_type(v, json_type_array) &&
			    json_object_array_length(v) > 0);
		}
	} else {
		char again[PHONE_MAX];

		FUZZ_ASSERT(resp.status == 0 && resp.body == NULL);
		FUZZ_ASSERT(phone_normalize(in.phone, ctx.cfg->phone_format, again) &&
		    strcmp(again, in.phone) == 0);
		if (e164 && list[0].kind == F_SMS_PHONE)
			FUZZ_ASSERT(strncmp(in.phone, "+98", 3) == 0 || strncmp(in.phone, "+44", 3) == 0);
		FUZZ_ASSERT(strlen(in.code) == 6 && strspn(in.code, "0123456789") == 6);
		FUZZ_ASSERT(in.password != NULL && in.password[0] != '\0');
		FUZZ_ASSERT(name_ok(in.first_name, FIRST_NAME_MAX) && name_ok(in.last_name, LAST_NAME_MAX));
		FUZZ_ASSERT(in.email[0] == '\0' || (fields_email_valid(in.email) &&
		    !text_has_control(in.email)));
		FUZZ_ASSERT(memchr(in.session_id, '\0', sizeof in.session_id) != NULL);
		/* verify-mfa's code: six ASCII digits, or a recovery code's 17
		 * upper-case base32 characters */
		FUZZ_ASSERT((in.mfa.kind == MFA_CODE_TOTP && strlen(in.mfa.text) == TOTP_DIGITS &&
		    strspn(in.mfa.text, "0123456789") == TOTP_DIGITS) ||
		    (in.mfa.kind == MFA_CODE_RECOVERY && strlen(in.mfa.text) == RECOVERY_CHARS &&
		    strspn(in.mfa.text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == RECOVERY_CHARS));
	}
	ctx.audit.n = 0;	/* the failures a worker would write to PostgreSQL */
	response_reset(&resp);
	json_object_put(req.body);
	free(body);
	return 0;
}
