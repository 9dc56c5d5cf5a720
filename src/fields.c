/*
 * Field validation. Values come from a JSON object or a form, both already
 * checked to be UTF-8; here each must be a string (no numbers for a phone
 * number: 09... as a JSON number would lose its 0), free of NUL bytes, and
 * pass the rule of its kind. An invalid phone number counts as a failure for
 * blocking, as the original service counted it.
 */
#include "phoneauth/fields.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "phoneauth/limits.h"
#include "phoneauth/password.h"
#include "phoneauth/text.h"

/* The value of `name` as a string, or NULL with the field error recorded.
 * *absent is set when the field is missing or null. */
static const char *
string_field(struct ctx *ctx, const char *name, bool *absent, size_t *len)
{
	json_object *v;

	*absent = false;
	if (ctx->req->body == NULL || !json_object_object_get_ex(ctx->req->body, name, &v) ||
	    v == NULL) {
		*absent = true;
		return NULL;
	}
	if (!json_object_is_type(v, json_type_string)) {
		response_field_error(ctx->resp, name, MSG_NOT_STRING, ctx->req->lang);
		return NULL;
	}
	*len = (size_t)json_object_get_string_len(v);
	if (memchr(json_object_get_string(v), '\0', *len) != NULL) {
		response_field_error(ctx->resp, name, MSG_BAD_TEXT, ctx->req->lang);
		return NULL;
	}
	return json_object_get_string(v);
}

/* Spaces and tabs around *s (len bytes) cut off: moves *s, returns the length left. */
static size_t
trimmed(const char **s, size_t len)
{
	const char *end = *s + len;

	while (*s < end && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (end > *s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return (size_t)(end - *s);
}

/* Trims `s`, checks 1..max characters and no control characters, copies. */
static bool
name_field(struct ctx *ctx, const char *name, const char *s, size_t max, enum msg length_msg,
    char *out, size_t outlen)
{
	size_t len = trimmed(&s, strlen(s));

	if (len >= outlen) {
		response_field_error(ctx->resp, name, length_msg, ctx->req->lang);
		return false;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	if (text_has_control(out)) {
		response_field_error(ctx->resp, name, MSG_CONTROL_CHARS, ctx->req->lang);
		return false;
	}
	if (len == 0 || text_utf8_length(out) > max) {
		response_field_error(ctx->resp, name, length_msg, ctx->req->lang);
		return false;
	}
	return true;
}

static bool
atext(int c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

/*
 * local@domain: a dot-atom local part of at most 64 characters and a domain
 * of letters, digits and hyphens with a top-level label of two letters or
 * more. Stricter than RFC 5322 on purpose: quoted local parts and address
 * literals are legal but are never a real user's address.
 */
bool
fields_email_valid(const char *email)
{
	const char *at = strchr(email, '@'), *p, *label, *last_label = NULL;
	size_t len = strlen(email);

	if (at == NULL || len > EMAIL_MAX || strchr(at + 1, '@') != NULL)
		return false;
	if (at == email || at - email > 64 || email[0] == '.' || at[-1] == '.')
		return false;
	for (p = email; p < at; p++)
		if (!(atext((unsigned char)*p) || (*p == '.' && p[1] != '.')))
			return false;
	label = at + 1;
	for (p = label; ; p++) {
		if (*p == '.' || *p == '\0') {
			size_t llen = (size_t)(p - label);

			if (llen == 0 || llen > 63 || label[0] == '-' || p[-1] == '-')
				return false;
			last_label = label;
			if (*p == '\0')
				break;
			label = p + 1;
		} else if (!isalnum((unsigned char)*p) && *p != '-') {
			return false;
		}
	}
	if (last_label == at + 1)
		return false;	/* a single label: no dot in the domain */
	for (p = last_label; *p; p++)
		if (!isalpha((unsigned char)*p))
			return false;
	return strlen(last_label) >= 2;
}

/*
 * The validators, one per kind (kcgi's kvalid): each checks the string `s`
 * of field `name` (already known to be a UTF-8 string without NUL), records
 * what is wrong with it, and on success stores it normalised in `in`. A
 * false return says an invalid phone number was seen (a failure for
 * blocking); the field errors say the rest.
 */
typedef bool (*validator)(struct ctx *ctx, const char *name, const char *s, size_t len,
    struct inputs *in);

static bool
valid_phone(struct ctx *ctx, const char *name, const char *s, size_t len, struct inputs *in)
{
	(void)len;
	if (phone_normalize(s, (enum phone_format)ctx->cfg->phone_format, in->phone))
		return true;
	response_field_error(ctx->resp, name, ctx->cfg->phone_format == PHONE_FORMAT_E164
	    ? MSG_PHONE_INVALID_E164 : MSG_PHONE_INVALID_IR, ctx->req->lang);
	return false;
}

/* Whether an E.164 number's calling code is one of sms_countries (empty:
 * every country). Calling codes are prefix-free, so a prefix match is exact. */
static bool
country_allowed(const struct config *cfg, const char *phone)
{
	if (cfg->phone_format != PHONE_FORMAT_E164 || cfg->ncountries == 0)
		return true;
	for (size_t i = 0; i < cfg->ncountries; i++)
		if (strncmp(phone + 1, cfg->countries[i], strlen(cfg->countries[i])) == 0)
			return true;
	return false;
}

/* A number a code will be sent to: valid, and of a country SMS may go to. */
static bool
valid_sms_phone(struct ctx *ctx, const char *name, const char *s, size_t len, struct inputs *in)
{
	if (!valid_phone(ctx, name, s, len, in))
		return false;
	if (country_allowed(ctx->cfg, in->phone))
		return true;
	response_field_error(ctx->resp, name, MSG_PHONE_COUNTRY, ctx->req->lang);
	return false;
}

static bool
valid_session(struct ctx *ctx, const char *name, const char *s, size_t len, struct inputs *in)
{
	(void)ctx;
	(void)name;
	/* Its form is judged with the session (an unknown one is a failure). */
	if (len < sizeof in->session_id)
		memcpy(in->session_id, s, len + 1);
	return true;
}

static bool
valid_code(struct ctx *ctx, const char *name, const char *s, size_t len, struct inputs *in)
{
	char digits[64];
	const char *d = NULL;

	if (len < 32 && text_ascii_digits(s, digits, sizeof digits))
		d = text_trim(digits);
	if (d == NULL || strlen(d) != OTP_DIGITS || strspn(d, "0123456789") != OTP_DIGITS)
		response_field_error(ctx->resp, name, MSG_CODE_FORMAT, ctx->req->lang);
	else
		memcpy(in->code, d, OTP_DIGITS + 1);
	return true;
}

/* A second factor's code: a TOTP code or a recovery code (mfa_code.h
 * forgives how it was typed). Which kind a route takes is the route's. */
static bool
valid_mfa_code(struct ctx *ctx, const char *name, const char *s, size_t len, struct inputs *in)
{
	if (len > MFA_CODE_INPUT_MAX || strlen(s) != len || !mfa_code_parse(s, &in->mfa))
		response_field_error(ctx->resp, name, MSG_MFA_CODE_FORMAT, ctx->req->lang);
	return true;
}

/* password or new_password: which one, by the field's name. */
static bool
valid_password(struct ctx *ctx, const char *name, const char *s, size_t len, struct inputs *in)
{
	/* Its policy needs the number, which only the session or the account
	 * knows: fields_new_password_or_reply(), once it is known. */
	if (len == 0)
		response_field_error(ctx->resp, name, MSG_REQUIRED, ctx->req->lang);
	else if (strcmp(name, "new_password") == 0)
		in->new_password = s;
	else
		in->password = s;
	return true;
}

/* first_name and last_name: which one, by the field's name. */
static bool
valid_name(struct ctx *ctx, const char *name, const char *s, size_t len, struct inputs *in)
{
	bool first = strcmp(name, "first_name") == 0;

	(void)len;
	(void)name_field(ctx, name, s, first ? FIRST_NAME_MAX : LAST_NAME_MAX,
	    first ? MSG_FIRST_NAME_LENGTH : MSG_LAST_NAME_LENGTH,
	    first ? in->first_name : in->last_name,
	    first ? sizeof in->first_name : sizeof in->last_name);
	return true;
}

static bool
valid_email(struct ctx *ctx, const char *name, const char *s, size_t len, struct inputs *in)
{
	size_t elen = trimmed(&s, len);

	if (elen == 0)
		return true;		/* "" is no e-mail */
	if (elen > EMAIL_MAX) {
		response_field_error(ctx->resp, name, MSG_EMAIL_INVALID, ctx->req->lang);
		return true;
	}
	memcpy(in->email, s, elen);
	in->email[elen] = '\0';
	if (text_has_control(in->email))
		response_field_error(ctx->resp, name, MSG_CONTROL_CHARS, ctx->req->lang);
	else if (!fields_email_valid(in->email))
		response_field_error(ctx->resp, name, MSG_EMAIL_INVALID, ctx->req->lang);
	return true;
}

/* A device token is a bearer secret that only ever unlocks more for its
 * account: one that is not of its form is no token, silently (wrong ones
 * are ignored alike, further on). */
static bool
valid_device(struct ctx *ctx, const char *name, const char *s, size_t len, struct inputs *in)
{
	(void)ctx;
	(void)name;
	if (device_token_wellformed(s, len) && device_hash(s, in->device_hash))
		memcpy(in->device, s, len + 1);
	else
		in->device_hash[0] = '\0';
	return true;
}

static const struct {
	validator check;
	bool optional;		/* absent, null or "" mean none */
} kinds[F__MAX] = {
	[F_PHONE] = { valid_phone, false },
	[F_SMS_PHONE] = { valid_sms_phone, false },
	[F_SESSION] = { valid_session, false },
	[F_CODE] = { valid_code, false },
	[F_MFA_CODE] = { valid_mfa_code, false },
	[F_PASSWORD] = { valid_password, false },
	[F_FIRST_NAME] = { valid_name, false },
	[F_LAST_NAME] = { valid_name, false },
	[F_EMAIL] = { valid_email, true },
	[F_DEVICE] = { valid_device, true },
};

static const enum msg policy_msgs[] = {
	[PASSWORD_TOO_SHORT] = MSG_PASSWORD_TOO_SHORT,
	[PASSWORD_TOO_LONG] = MSG_PASSWORD_TOO_LONG,
	[PASSWORD_COMMON] = MSG_PASSWORD_COMMON,
	[PASSWORD_CONTAINS_NUMBER] = MSG_PASSWORD_HAS_NUMBER,
};

bool
fields_new_password_or_reply(struct ctx *ctx, const char *name, const char *password,
    const char *phone)
{
	enum password_problem problem = password_check_policy(password, phone,
	    ctx->cfg->password_min_length, &ctx->cfg->common_passwords);

	if (problem == PASSWORD_OK)
		return true;
	response_field_error(ctx->resp, name, policy_msgs[problem], ctx->req->lang);
	response_validation_failed(ctx->resp, ctx->req->lang);
	return false;
}

/* One field; false when it was an invalid phone number. */
static bool
read_one(struct ctx *ctx, const struct field *f, struct inputs *in)
{
	bool absent;
	size_t len = 0;
	const char *s = string_field(ctx, f->name, &absent, &len);

	if (absent && !kinds[f->kind].optional)
		response_field_error(ctx->resp, f->name, MSG_REQUIRED, ctx->req->lang);
	if (s == NULL)
		return true;
	return kinds[f->kind].check(ctx, f->name, s, len, in);
}

bool
fields_read_or_reply(struct ctx *ctx, const struct field *list, size_t n, struct inputs *in)
{
	bool phones_valid = true;

	memset(in, 0, sizeof *in);
	for (size_t i = 0; i < n; i++)
		phones_valid &= read_one(ctx, &list[i], in);
	if (!response_has_field_errors(ctx->resp))
		return true;
	/* An invalid number is a failure of the client address, as the
	 * original service counted it. */
	if (!phones_valid && !limits_fail_or_reply(ctx, NULL, FAILURE_PHONE))
		return false;
	response_validation_failed(ctx->resp, ctx->req->lang);
	return false;
}
