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

/* Trims `s`, checks 1..max characters and no control characters, copies. */
static bool
name_field(struct ctx *ctx, const char *name, const char *s, size_t max, enum msg length_msg,
    char *out, size_t outlen)
{
	const char *end = s + strlen(s);
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	len = (size_t)(end - s);
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

static void
read_one(struct ctx *ctx, const struct field *f, struct inputs *in, bool *bad_phone)
{
	enum lang lang = ctx->req->lang;
	bool absent;
	size_t len = 0;
	const char *s = string_field(ctx, f->name, &absent, &len);

	if (absent && f->kind == F_EMAIL)
		return;
	if (absent) {
		response_field_error(ctx->resp, f->name, MSG_REQUIRED, lang);
		return;
	}
	if (s == NULL)
		return;
	switch (f->kind) {
	case F_PHONE:
		if (!phone_normalize(s, (enum phone_format)ctx->cfg->phone_format, in->phone)) {
			response_field_error(ctx->resp, f->name,
			    ctx->cfg->phone_format == PHONE_FORMAT_E164 ? MSG_PHONE_INVALID_E164
			    : MSG_PHONE_INVALID_IR, lang);
			*bad_phone = true;
		}
		break;
	case F_SESSION:
		if (len < sizeof in->session_id)
			memcpy(in->session_id, s, len + 1);
		break;
	case F_CODE: {
		char digits[64];
		const char *d;

		if (len >= 32 || !text_ascii_digits(s, digits, sizeof digits)) {
			response_field_error(ctx->resp, f->name, MSG_CODE_FORMAT, lang);
			break;
		}
		d = text_trim(digits);
		if (strlen(d) != OTP_DIGITS || strspn(d, "0123456789") != OTP_DIGITS) {
			response_field_error(ctx->resp, f->name, MSG_CODE_FORMAT, lang);
			break;
		}
		memcpy(in->code, d, OTP_DIGITS + 1);
		break;
	}
	case F_PASSWORD:
		if (len == 0)
			response_field_error(ctx->resp, f->name, MSG_REQUIRED, lang);
		else
			in->password = s;
		break;
	case F_FIRST_NAME:
		name_field(ctx, f->name, s, FIRST_NAME_MAX, MSG_FIRST_NAME_LENGTH,
		    in->first_name, sizeof in->first_name);
		break;
	case F_LAST_NAME:
		name_field(ctx, f->name, s, LAST_NAME_MAX, MSG_LAST_NAME_LENGTH,
		    in->last_name, sizeof in->last_name);
		break;
	case F_EMAIL: {
		const char *end = s + len;
		size_t elen;

		while (*s == ' ' || *s == '\t')
			s++;
		while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		elen = (size_t)(end - s);
		if (elen == 0)
			break;		/* "" is no e-mail */
		if (elen > EMAIL_MAX) {
			response_field_error(ctx->resp, f->name, MSG_EMAIL_INVALID, lang);
			break;
		}
		memcpy(in->email, s, elen);
		in->email[elen] = '\0';
		if (text_has_control(in->email))
			response_field_error(ctx->resp, f->name, MSG_CONTROL_CHARS, lang);
		else if (!fields_email_valid(in->email))
			response_field_error(ctx->resp, f->name, MSG_EMAIL_INVALID, lang);
		break;
	}
	}
}

bool
fields_read_or_reply(struct ctx *ctx, const struct field *list, size_t n, struct inputs *in)
{
	bool bad_phone = false;

	memset(in, 0, sizeof *in);
	for (size_t i = 0; i < n; i++)
		read_one(ctx, &list[i], in, &bad_phone);
	if (!response_has_field_errors(ctx->resp))
		return true;
	if (bad_phone) {
		struct rs_result res;

		/* An invalid number is a failure of the client address. */
		rs_gate(ctx->rs, ctx->req->client, NULL, true, &res);
		ctx->gated = res.outcome != RS_UNAVAILABLE;
		if (res.outcome == RS_BLOCKED) {
			ctx_reply_blocked(ctx, res.retry_ms);
			return false;
		}
		ctx_note_failure(ctx, NULL, FAILURE_PHONE);
	}
	response_validation_failed(ctx->resp, ctx->req->lang);
	return false;
}
