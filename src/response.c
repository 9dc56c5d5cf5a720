/*
 * Responses. The error codes of the contract, their statuses and their
 * messages live in errors[] and messages[], indexed by enum, so a handler
 * raises an error by name and can never invent a code or a status. Machine
 * codes never change with the language; only `message` does.
 * Nothing internal (SQL, Redis replies, paths) ever reaches a body.
 *
 * json-c's constructors are checked here, once: every JSON answer is built
 * through response_object()/response_add_*(), which note an allocation
 * failure in the response (response_incomplete()), and the request loop
 * answers 500 in its place. Nothing else calls json_object_new_*() for an
 * answer (see response.h).
 */
#include "phoneauth/response.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct error_def {
	int status;
	const char *code;
	const char *text[LANG__MAX];
};

static const struct error_def errors[ERR__MAX] = {
	[ERR_INVALID_JSON] = { 400, "invalid_json", {
	    "The request body is not a valid JSON object.",
	    "بدنهٔ درخواست یک شیء JSON معتبر نیست." } },
	[ERR_VALIDATION_FAILED] = { 400, "validation_failed", {
	    "Some fields are missing or invalid.",
	    "برخی از فیلدها وارد نشده‌اند یا نامعتبرند." } },
	[ERR_SESSION_INVALID] = { 400, "session_invalid", {
	    "The session is unknown or has expired. Start again with register.",
	    "نشست نامعتبر است یا منقضی شده است. دوباره از ثبت‌نام شروع کنید." } },
	[ERR_OTP_INVALID] = { 400, "otp_invalid", {
	    "The code is wrong or has expired.",
	    "کد واردشده اشتباه است یا منقضی شده است." } },
	[ERR_PASSWORD_INCORRECT] = { 401, "password_incorrect", {
	    "The phone number or the password is incorrect.",
	    "شماره موبایل یا رمز عبور اشتباه است." } },
	[ERR_TOKEN_INVALID] = { 401, "token_invalid", {
	    "The token is invalid or has expired.",
	    "توکن نامعتبر است یا منقضی شده است." } },
	[ERR_TOKEN_REUSED] = { 401, "token_reused", {
	    "This refresh token was already used; every token of its login has been revoked.",
	    "این توکن تازه‌سازی پیش‌تر استفاده شده است؛ همهٔ توکن‌های این ورود باطل شدند." } },
	[ERR_USER_BANNED] = { 403, "user_banned", {
	    "This account has been disabled.",
	    "این حساب کاربری غیرفعال شده است." } },
	[ERR_NOT_FOUND] = { 404, "not_found", {
	    "There is nothing here.",
	    "چیزی اینجا یافت نشد." } },
	[ERR_METHOD_NOT_ALLOWED] = { 405, "method_not_allowed", {
	    "This method is not allowed on this route.",
	    "این متد برای این مسیر مجاز نیست." } },
	[ERR_WRONG_STEP] = { 409, "wrong_step", {
	    "The session is waiting for another step.",
	    "این نشست منتظر مرحلهٔ دیگری است." } },
	[ERR_PHONE_TAKEN] = { 409, "phone_taken", {
	    "This phone number already has an account.",
	    "این شماره موبایل پیش‌تر حساب کاربری دارد." } },
	[ERR_MFA_INVALID] = { 400, "mfa_invalid", {
	    "The authenticator code or recovery code is wrong, expired or already used.",
	    "کد برنامهٔ احراز هویت یا کد بازیابی اشتباه، منقضی یا پیش‌تر استفاده شده است." } },
	[ERR_MFA_ALREADY_ENABLED] = { 409, "mfa_already_enabled", {
	    "Two-step verification is on already; turn it off first.",
	    "ورود دومرحله‌ای پیش‌تر فعال شده است؛ نخست آن را غیرفعال کنید." } },
	[ERR_PASSKEY_INVALID] = { 400, "passkey_invalid", {
	    "The passkey could not be verified. Try again.",
	    "کلید عبور تأیید نشد. دوباره تلاش کنید." } },
	[ERR_ORIGIN_NOT_ALLOWED] = { 403, "origin_not_allowed", {
	    "Requests from this site are not allowed.",
	    "درخواست از این وب‌سایت مجاز نیست." } },
	[ERR_REQUEST_TIMEOUT] = { 408, "request_timeout", {
	    "The request body did not arrive in time.",
	    "بدنهٔ درخواست به‌موقع نرسید." } },
	[ERR_PAYLOAD_TOO_LARGE] = { 413, "payload_too_large", {
	    "The request body is too large.",
	    "حجم بدنهٔ درخواست بیش از حد مجاز است." } },
	[ERR_UNSUPPORTED_MEDIA_TYPE] = { 415, "unsupported_media_type", {
	    "Send the body as application/json or application/x-www-form-urlencoded.",
	    "بدنهٔ درخواست را با نوع application/json یا application/x-www-form-urlencoded بفرستید." } },
	[ERR_TOO_MANY_ATTEMPTS] = { 429, "too_many_attempts", {
	    "Too many failed attempts. Try again later.",
	    "تعداد تلاش‌های ناموفق بیش از حد مجاز است. بعداً دوباره تلاش کنید." } },
	[ERR_OTP_RATE_LIMITED] = { 429, "otp_rate_limited", {
	    "A code was sent too recently. Wait before asking for another one.",
	    "کد تأیید به‌تازگی ارسال شده است. پیش از درخواست کد تازه کمی صبر کنید." } },
	[ERR_SERVICE_UNAVAILABLE] = { 503, "service_unavailable", {
	    "The service is temporarily unavailable. Try again shortly.",
	    "سرویس موقتاً در دسترس نیست. کمی بعد دوباره تلاش کنید." } },
	[ERR_INTERNAL] = { 500, "internal_error", {
	    "Something went wrong on our side.",
	    "خطایی در سرور رخ داد." } },
};

static const char *const messages[MSG__MAX][LANG__MAX] = {
	[MSG_CODE_SENT] = { "A verification code has been sent to your phone.",
	    "کد تأیید به تلفن همراه شما ارسال شد." },
	[MSG_ENTER_PASSWORD] = { "Enter your password.",
	    "رمز عبور خود را وارد کنید." },
	[MSG_CODE_VERIFIED] = { "Your phone number is verified. Choose a password.",
	    "شماره موبایل شما تأیید شد. یک رمز عبور انتخاب کنید." },
	[MSG_PASSWORD_SET] = { "Your password is set. Complete your profile.",
	    "رمز عبور شما ثبت شد. اطلاعات حساب خود را تکمیل کنید." },
	[MSG_PASSWORD_CHANGED] = { "Your password has been changed.",
	    "رمز عبور شما تغییر کرد." },
	[MSG_SIGNED_UP] = { "Your account is ready.",
	    "حساب کاربری شما آماده است." },
	[MSG_LOGGED_IN] = { "You are logged in.",
	    "با موفقیت وارد شدید." },
	[MSG_COMPLETE_PROFILE] = { "Complete your profile to finish signing up.",
	    "برای پایان ثبت‌نام، اطلاعات حساب خود را تکمیل کنید." },
	[MSG_RESET_CODE_SENT] = { "If this number has an account, a code has been sent to it.",
	    "اگر این شماره حساب کاربری داشته باشد، کد تأیید به آن ارسال شد." },
	[MSG_LOGGED_OUT] = { "You are logged out.",
	    "از حساب کاربری خود خارج شدید." },
	[MSG_LOGIN_ENDED] = { "That login has been ended.",
	    "آن ورود پایان یافت." },
	[MSG_LOGGED_OUT_ALL] = { "Every login of your account has been ended.",
	    "همهٔ ورودهای حساب کاربری شما پایان یافت." },
	[MSG_ACCOUNT_DELETED] = { "Your account has been deleted.",
	    "حساب کاربری شما حذف شد." },
	[MSG_CHANGE_CODE_SENT] = { "A verification code has been sent to the new number.",
	    "کد تأیید به شمارهٔ تازه ارسال شد." },
	[MSG_PHONE_CHANGED] = { "Your phone number has been changed.",
	    "شماره موبایل شما تغییر کرد." },
	[MSG_LOGIN_CODE_SENT] = { "If this number has an account, a login code has been sent to it.",
	    "اگر این شماره حساب کاربری داشته باشد، کد ورود به آن ارسال شد." },
	[MSG_MFA_REQUIRED] = { "Enter the code of your authenticator app, or a recovery code.",
	    "کد برنامهٔ احراز هویت یا یکی از کدهای بازیابی را وارد کنید." },
	[MSG_MFA_ENABLED] = { "Two-step verification is on. Keep the recovery codes somewhere safe: "
	    "they are shown only once.",
	    "ورود دومرحله‌ای فعال شد. کدهای بازیابی را جای امنی نگه دارید: فقط یک بار نشان داده می‌شوند." },
	[MSG_MFA_DISABLED] = { "Two-step verification is off.",
	    "ورود دومرحله‌ای غیرفعال شد." },
	[MSG_RECOVERY_CODES_RENEWED] = { "New recovery codes replace the earlier ones, which no longer work.",
	    "کدهای بازیابی تازه جایگزین کدهای پیشین شدند؛ کدهای پیشین دیگر کار نمی‌کنند." },
	[MSG_PASSKEY_REMOVED] = { "The passkey has been removed.",
	    "کلید عبور حذف شد." },
	[MSG_PASSKEYS_FULL] = { "An account keeps at most 20 passkeys: remove one first.",
	    "هر حساب حداکثر ۲۰ کلید عبور دارد: ابتدا یکی را حذف کنید." },
	[MSG_REQUIRED] = { "This field is required.",
	    "این فیلد الزامی است." },
	[MSG_NOT_STRING] = { "This field must be a string.",
	    "مقدار این فیلد باید متن باشد." },
	[MSG_BAD_TEXT] = { "This field is not valid UTF-8 text.",
	    "مقدار این فیلد متن معتبر UTF-8 نیست." },
	[MSG_PHONE_INVALID_IR] = { "Enter a valid mobile number, such as 09121234567.",
	    "یک شماره موبایل معتبر وارد کنید، مانند ۰۹۱۲۱۲۳۴۵۶۷." },
	[MSG_PHONE_INVALID_E164] = { "Enter a valid phone number in international form, such as +14155550123.",
	    "یک شماره تلفن معتبر در قالب بین‌المللی وارد کنید، مانند ‎+14155550123." },
	[MSG_PHONE_COUNTRY] = { "Codes cannot be sent to numbers of this country.",
	    "ارسال کد به شماره‌های این کشور ممکن نیست." },
	[MSG_CODE_FORMAT] = { "Enter the 6-digit code.",
	    "کد ۶ رقمی را وارد کنید." },
	[MSG_MFA_CODE_FORMAT] = { "Enter the 6-digit code of your authenticator app, or a recovery code.",
	    "کد ۶ رقمی برنامهٔ احراز هویت یا یکی از کدهای بازیابی را وارد کنید." },
	/* Not "8": password_min_length may ask for more. */
	[MSG_PASSWORD_TOO_SHORT] = { "The password is too short.",
	    "رمز عبور کوتاه است." },
	[MSG_PASSWORD_TOO_LONG] = { "The password must be at most 128 characters long.",
	    "رمز عبور باید حداکثر ۱۲۸ نویسه باشد." },
	[MSG_PASSWORD_COMMON] = { "This password is too common: it is among the first that attackers try.",
	    "این رمز عبور بسیار رایج است و از نخستین رمزهایی است که مهاجمان امتحان می‌کنند." },
	[MSG_PASSWORD_HAS_NUMBER] = { "The password cannot contain your phone number.",
	    "رمز عبور نباید شمارهٔ موبایل شما را در بر داشته باشد." },
	[MSG_FIRST_NAME_LENGTH] = { "Enter between 1 and 30 characters.",
	    "بین ۱ تا ۳۰ نویسه وارد کنید." },
	[MSG_LAST_NAME_LENGTH] = { "Enter between 1 and 50 characters.",
	    "بین ۱ تا ۵۰ نویسه وارد کنید." },
	[MSG_CONTROL_CHARS] = { "Control characters are not allowed.",
	    "نویسه‌های کنترلی مجاز نیستند." },
	[MSG_EMAIL_INVALID] = { "Enter a valid email address.",
	    "یک نشانی ایمیل معتبر وارد کنید." },
	[MSG_EMAIL_TAKEN] = { "This email address is already in use.",
	    "این نشانی ایمیل پیش‌تر استفاده شده است." },
};

_Static_assert(sizeof errors / sizeof errors[0] == ERR__MAX, "one entry per error");
_Static_assert(sizeof messages / sizeof messages[0] == MSG__MAX, "one entry per message");

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default:  return "Internal Server Error";
	}
}

const char *
msg_text(enum msg m, enum lang lang)
{
	return messages[m][lang];
}

const char *
err_code(enum err e)
{
	return errors[e].code;
}

static void
replace_body(struct response *r, int status, json_object *body)
{
	free(r->raw);
	r->raw = NULL;
	r->raw_len = 0;
	json_object_put(r->body);
	json_object_put(r->fields);	/* unanswered field errors are superseded */
	r->fields = NULL;
	r->body = body;
	r->status = status;
	r->is_error = false;
	r->bare = false;
}

void
response_raw(struct response *r, int status, const char *content_type, char *text, size_t len)
{
	replace_body(r, status, NULL);
	r->raw = text;
	r->raw_len = len;
	r->content_type = content_type;
}

void
response_empty(struct response *r, int status, bool bare)
{
	replace_body(r, status, NULL);
	r->bare = bare;
}

void
response_json(struct response *r, int status, json_object *body)
{
	replace_body(r, status, body);
}

json_object *
response_object(struct response *r)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		r->incomplete = true;
	return o;
}

json_object *
response_array(struct response *r)
{
	json_object *a = json_object_new_array();

	if (a == NULL)
		r->incomplete = true;
	return a;
}

void
response_add(struct response *r, json_object *o, const char *key, json_object *v)
{
	if (o == NULL || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		r->incomplete = true;
	}
}

/* A value its constructor should have made: NULL notes the failure. */
static json_object *
made(struct response *r, json_object *v)
{
	if (v == NULL)
		r->incomplete = true;
	return v;
}

void
response_add_string(struct response *r, json_object *o, const char *key, const char *s)
{
	response_add(r, o, key, s != NULL ? made(r, json_object_new_string(s)) : NULL);
}

void
response_add_int(struct response *r, json_object *o, const char *key, int64_t n)
{
	response_add(r, o, key, made(r, json_object_new_int64(n)));
}

void
response_add_bool(struct response *r, json_object *o, const char *key, bool b)
{
	response_add(r, o, key, made(r, json_object_new_boolean(b)));
}

void
response_append(struct response *r, json_object *list, json_object *v)
{
	if (list == NULL || json_object_array_add(list, v) != 0) {
		json_object_put(v);
		r->incomplete = true;
	}
}

void
response_append_string(struct response *r, json_object *list, const char *s)
{
	response_append(r, list, made(r, json_object_new_string(s)));
}

bool
response_incomplete(const struct response *r)
{
	return r->incomplete;
}

void
response_error(struct response *r, enum err e, enum lang lang)
{
	json_object *o = response_object(r);

	response_add_string(r, o, "error", errors[e].code);
	response_add_string(r, o, "message", errors[e].text[lang]);
	replace_body(r, errors[e].status, o);
	r->is_error = true;
	r->error = e;
}

void
response_retry(struct response *r, enum err e, enum lang lang, long retry_after)
{
	char value[24];

	if (retry_after < 1)
		retry_after = 1;
	response_error(r, e, lang);
	response_add_int(r, r->body, "retry_after", retry_after);
	snprintf(value, sizeof value, "%ld", retry_after);
	response_header(r, "Retry-After", value);
}

void
response_wrong_step(struct response *r, enum lang lang, const char *next_step)
{
	response_error(r, ERR_WRONG_STEP, lang);
	response_add_string(r, r->body, "next_step", next_step);
}

void
response_field_error(struct response *r, const char *field, enum msg m, enum lang lang)
{
	json_object *list;

	if (r->fields == NULL && (r->fields = response_object(r)) == NULL)
		return;
	if (!json_object_object_get_ex(r->fields, field, &list)) {
		if ((list = response_array(r)) == NULL)
			return;
		if (json_object_object_add(r->fields, field, list) != 0) {
			json_object_put(list);
			r->incomplete = true;
			return;
		}
	}
	response_append(r, list, made(r, json_object_new_string(messages[m][lang])));
}

bool
response_has_field_errors(const struct response *r)
{
	return r->fields != NULL;
}

void
response_validation_failed(struct response *r, enum lang lang)
{
	json_object *fields = r->fields;

	r->fields = NULL;
	response_error(r, ERR_VALIDATION_FAILED, lang);
	response_add(r, r->body, "fields", fields ? fields : response_object(r));
}

void
response_header(struct response *r, const char *name, const char *value)
{
	int n = snprintf(r->headers + r->headers_len, sizeof r->headers - r->headers_len,
	    "%s: %s\r\n", name, value);

	if (n > 0 && (size_t)n < sizeof r->headers - r->headers_len)
		r->headers_len += (size_t)n;
	else
		r->headers[r->headers_len] = '\0';
}

void
response_write(struct response *r, FCGX_Stream *out, bool head_only)
{
	char head[1024];
	const char *body = "";
	size_t len = 0;
	int n;

	if (r->body != NULL) {
		body = json_object_to_json_string_length(r->body,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	} else if (r->raw != NULL) {
		body = r->raw;
		len = r->raw_len;
	}
	/* Formatted here: libfcgi's own printf knows no %zu. An answer without a
	 * body (204, an authorizer's 200) carries no content headers; an
	 * authorizer's carries only its Variable-* lines. */
	if (r->bare || (r->body == NULL && r->raw == NULL))
		n = snprintf(head, sizeof head, "Status: %d %s\r\n%s%s\r\n", r->status,
		    status_text(r->status), r->bare ? "" : "Cache-Control: no-store\r\n"
		    "X-Content-Type-Options: nosniff\r\n", r->headers);
	else
		n = snprintf(head, sizeof head,
		    "Status: %d %s\r\n"
		    "Content-Type: %s\r\n"
		    "Content-Length: %zu\r\n"
		    "Cache-Control: no-store\r\n"
		    "X-Content-Type-Options: nosniff\r\n"
		    "%s\r\n",
		    r->status, status_text(r->status), r->raw != NULL ? r->content_type
		    : "application/json; charset=utf-8", len, r->headers);
	if (n < 0 || (size_t)n >= sizeof head)
		return;		/* cannot happen: headers[] is bounded */
	FCGX_PutStr(head, n, out);
	if (!head_only && len > 0)
		FCGX_PutStr(body, (int)len, out);
}

void
response_reset(struct response *r)
{
	free(r->raw);
	json_object_put(r->body);
	json_object_put(r->fields);
	memset(r, 0, sizeof *r);
}
