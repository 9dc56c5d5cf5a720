/* response.c: the contract's error table, messages in both languages, and
 * the exact bytes response_write puts on the FastCGI stream. */
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "harness.h"
#include "phoneauth/response.h"

/* The contract's table (API.md, "Errors"), written out again here: a code or
 * a status that changes in response.c fails this test. */
static const struct {
	int line;
	enum err e;
	int status;
	const char *code;
} table[] = {
	{ __LINE__, ERR_INVALID_JSON, 400, "invalid_json" },
	{ __LINE__, ERR_VALIDATION_FAILED, 400, "validation_failed" },
	{ __LINE__, ERR_SESSION_INVALID, 400, "session_invalid" },
	{ __LINE__, ERR_OTP_INVALID, 400, "otp_invalid" },
	{ __LINE__, ERR_PASSWORD_INCORRECT, 401, "password_incorrect" },
	{ __LINE__, ERR_TOKEN_INVALID, 401, "token_invalid" },
	{ __LINE__, ERR_TOKEN_REUSED, 401, "token_reused" },
	{ __LINE__, ERR_USER_BANNED, 403, "user_banned" },
	{ __LINE__, ERR_NOT_FOUND, 404, "not_found" },
	{ __LINE__, ERR_METHOD_NOT_ALLOWED, 405, "method_not_allowed" },
	{ __LINE__, ERR_WRONG_STEP, 409, "wrong_step" },
	{ __LINE__, ERR_PHONE_TAKEN, 409, "phone_taken" },
	{ __LINE__, ERR_MFA_INVALID, 400, "mfa_invalid" },
	{ __LINE__, ERR_MFA_ALREADY_ENABLED, 409, "mfa_already_enabled" },
	{ __LINE__, ERR_PASSKEY_INVALID, 400, "passkey_invalid" },
	{ __LINE__, ERR_ORIGIN_NOT_ALLOWED, 403, "origin_not_allowed" },
	{ __LINE__, ERR_REQUEST_TIMEOUT, 408, "request_timeout" },
	{ __LINE__, ERR_PAYLOAD_TOO_LARGE, 413, "payload_too_large" },
	{ __LINE__, ERR_UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type" },
	{ __LINE__, ERR_TOO_MANY_ATTEMPTS, 429, "too_many_attempts" },
	{ __LINE__, ERR_OTP_RATE_LIMITED, 429, "otp_rate_limited" },
	{ __LINE__, ERR_SERVICE_UNAVAILABLE, 503, "service_unavailable" },
	{ __LINE__, ERR_INTERNAL, 500, "internal_error" },
};

/* The status lines response_write must send for each status. */
static const struct {
	int line;
	int status;
	const char *text;
} status_lines[] = {
	{ __LINE__, 200, "Status: 200 OK\r\n" },
	{ __LINE__, 201, "Status: 201 Created\r\n" },
	{ __LINE__, 400, "Status: 400 Bad Request\r\n" },
	{ __LINE__, 401, "Status: 401 Unauthorized\r\n" },
	{ __LINE__, 403, "Status: 403 Forbidden\r\n" },
	{ __LINE__, 404, "Status: 404 Not Found\r\n" },
	{ __LINE__, 405, "Status: 405 Method Not Allowed\r\n" },
	{ __LINE__, 408, "Status: 408 Request Timeout\r\n" },
	{ __LINE__, 409, "Status: 409 Conflict\r\n" },
	{ __LINE__, 413, "Status: 413 Payload Too Large\r\n" },
	{ __LINE__, 415, "Status: 415 Unsupported Media Type\r\n" },
	{ __LINE__, 429, "Status: 429 Too Many Requests\r\n" },
	{ __LINE__, 500, "Status: 500 Internal Server Error\r\n" },
	{ __LINE__, 503, "Status: 503 Service Unavailable\r\n" },
};

/*
 * A write-only FCGX_Stream over memory. fcgiapp.h defines the struct and
 * FCGX_PutStr's contract: bytes go to [wrNext, stop), and when that is full
 * emptyBuffProc is called to make room. A small window makes every answer
 * cross it several times, as a real stream's 8 KB buffer does for big ones.
 */
#define WINDOW 64

struct capture {
	FCGX_Stream stream;
	unsigned char window[WINDOW];
	char out[16384];
	size_t len;
	int overflow;
};

static void
capture_drain(FCGX_Stream *s, int doClose)
{
	struct capture *c = s->data;
	size_t n = (size_t)(s->wrNext - c->window);

	(void)doClose;
	if (c->len + n >= sizeof c->out) {
		c->overflow = 1;
		n = sizeof c->out - 1 - c->len;
	}
	memcpy(c->out + c->len, c->window, n);
	c->len += n;
	c->out[c->len] = '\0';
	s->wrNext = c->window;
}

static void
capture_init(struct capture *c)
{
	memset(c, 0, sizeof *c);
	c->stream.wrNext = c->stream.stopUnget = c->window;
	c->stream.rdNext = c->stream.stop = c->window + WINDOW;
	c->stream.isReader = 0;
	c->stream.emptyBuffProc = capture_drain;
	c->stream.data = c;
}

/* The bytes response_write sends for `r`. */
static const char *
written(struct capture *c, struct response *r, bool head_only)
{
	capture_init(c);
	response_write(r, &c->stream, head_only);
	capture_drain(&c->stream, 0);
	return c->out;
}

static const char *
body_str(const struct response *r, const char *key)
{
	json_object *v;

	if (r->body == NULL || !json_object_object_get_ex(r->body, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool
has_non_ascii(const char *s)
{
	for (; s != NULL && *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

static void
every_error_has_its_status_and_code_in_both_languages(void)
{
	bool seen[ERR__MAX] = { false };

	CHECK_INT(sizeof table / sizeof table[0], ERR__MAX);
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		struct response en = { 0 }, fa = { 0 };
		const char *men, *mfa;

		seen[table[i].e] = true;
		CHECK_AT(table[i].line, strcmp(err_code(table[i].e), table[i].code) == 0,
		    "err_code = \"%s\", want \"%s\"", err_code(table[i].e), table[i].code);
		response_error(&en, table[i].e, LANG_EN);
		response_error(&fa, table[i].e, LANG_FA);
		CHECK_AT(table[i].line, en.status == table[i].status && fa.status == table[i].status,
		    "%s: status %d/%d, want %d", table[i].code, en.status, fa.status, table[i].status);
		CHECK_AT(table[i].line, en.is_error && en.error == table[i].e, "%s: not an error", table[i].code);
		CHECK_AT(table[i].line, body_str(&en, "error") && body_str(&fa, "error") &&
		    strcmp(body_str(&en, "error"), table[i].code) == 0 &&
		    strcmp(body_str(&fa, "error"), table[i].code) == 0,
		    "%s: the code changes with the language", table[i].code);
		men = body_str(&en, "message");
		mfa = body_str(&fa, "message");
		CHECK_AT(table[i].line, men && *men && !has_non_ascii(men), "%s: English message \"%s\"",
		    table[i].code, men ? men : "(none)");
		CHECK_AT(table[i].line, mfa && *mfa && has_non_ascii(mfa) && strcmp(men ? men : "", mfa) != 0,
		    "%s: Persian message \"%s\"", table[i].code, mfa ? mfa : "(none)");
		/* error and message, nothing else */
		CHECK_AT(table[i].line, json_object_object_length(en.body) == 2,
		    "%s: %s", table[i].code, json_object_to_json_string(en.body));
		response_reset(&en);
		response_reset(&fa);
	}
	for (int e = 0; e < ERR__MAX; e++)
		CHECK(seen[e], "error %d is missing from the test's table", e);
}

static void
every_message_exists_in_both_languages(void)
{
	for (int m = 0; m < MSG__MAX; m++) {
		const char *en = msg_text((enum msg)m, LANG_EN), *fa = msg_text((enum msg)m, LANG_FA);

		CHECK(en && *en && !has_non_ascii(en), "message %d in English: \"%s\"", m, en ? en : "(null)");
		CHECK(fa && *fa && has_non_ascii(fa) && strcmp(en ? en : "", fa) != 0,
		    "message %d in Persian: \"%s\"", m, fa ? fa : "(null)");
	}
}

static void
json_answer_has_exactly_its_header_lines(void)
{
	struct response r = { 0 };
	struct capture c;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "a", json_object_new_int(1));
	json_object_object_add(o, "path", json_object_new_string("/api/x"));
	response_json(&r, 200, o);
	CHECK_STR(written(&c, &r, false),
	    "Status: 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: 23\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "\r\n"
	    "{\"a\":1,\"path\":\"/api/x\"}");
	/* HEAD: the same headers, the length of the body it does not send */
	CHECK_STR(written(&c, &r, true),
	    "Status: 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: 23\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "\r\n");
	CHECK(!c.overflow, "capture overflow");
	response_reset(&r);
}

static void
content_length_counts_bytes_of_a_persian_body(void)
{
	struct response r = { 0 };
	struct capture c;
	const char *out, *body;
	char want[64];

	response_error(&r, ERR_NOT_FOUND, LANG_FA);
	out = written(&c, &r, false);
	body = strstr(out, "\r\n\r\n");
	CHECK(body != NULL, "no end of headers in \"%s\"", out);
	if (body == NULL)
		goto out;
	body += 4;
	snprintf(want, sizeof want, "\r\nContent-Length: %zu\r\n", strlen(body));
	CHECK(strstr(out, want) != NULL, "%s not in \"%.*s\"", want + 2, (int)(body - out), out);
	CHECK(strncmp(out, "Status: 404 Not Found\r\n", 23) == 0, "%s", out);
	CHECK(strcmp(body, json_object_to_json_string_ext(r.body, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) == 0, "body \"%s\"", body);
out:
	response_reset(&r);
}

static void
no_content_204_has_no_store_and_nosniff_and_nothing_else(void)
{
	struct response r = { 0 };
	struct capture c;

	response_empty(&r, 204, false);
	response_header(&r, "X-Phoneauth-User-Id", "42");
	CHECK_STR(written(&c, &r, false),
	    "Status: 204 No Content\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "X-Phoneauth-User-Id: 42\r\n"
	    "\r\n");
	response_reset(&r);
}

static void
bare_authorizer_200_has_only_status_and_variables(void)
{
	struct response r = { 0 };
	struct capture c;

	response_empty(&r, 200, true);
	response_header(&r, "Variable-PHONEAUTH_USER_ID", "7");
	response_header(&r, "Variable-PHONEAUTH_MOBILE", "09121234567");
	CHECK_STR(written(&c, &r, false),
	    "Status: 200 OK\r\n"
	    "Variable-PHONEAUTH_USER_ID: 7\r\n"
	    "Variable-PHONEAUTH_MOBILE: 09121234567\r\n"
	    "\r\n");
	response_reset(&r);
}

static void
status_lines_of_every_status(void)
{
	for (size_t i = 0; i < sizeof status_lines / sizeof status_lines[0]; i++) {
		struct response r = { 0 };
		struct capture c;
		const char *out;

		response_json(&r, status_lines[i].status, json_object_new_object());
		out = written(&c, &r, false);
		CHECK_AT(status_lines[i].line, strncmp(out, status_lines[i].text,
		    strlen(status_lines[i].text)) == 0, "got \"%.40s\"", out);
		response_reset(&r);
	}
}

static const struct {
	int line;
	long given, want;
} retries[] = {
	{ __LINE__, 37, 37 },
	{ __LINE__, 1, 1 },
	{ __LINE__, 0, 1 },
	{ __LINE__, -5, 1 },
	{ __LINE__, 3600, 3600 },
};

static void
retry_after_is_at_least_one_in_body_and_header(void)
{
	for (size_t i = 0; i < sizeof retries / sizeof retries[0]; i++) {
		struct response r = { 0 };
		struct capture c;
		json_object *v;
		char header[64];

		response_retry(&r, ERR_OTP_RATE_LIMITED, LANG_EN, retries[i].given);
		CHECK_AT(retries[i].line, r.status == 429, "status %d", r.status);
		CHECK_AT(retries[i].line, json_object_object_get_ex(r.body, "retry_after", &v) &&
		    json_object_is_type(v, json_type_int) && json_object_get_int64(v) == retries[i].want,
		    "%ld: body %s", retries[i].given, json_object_to_json_string(r.body));
		snprintf(header, sizeof header, "X-Content-Type-Options: nosniff\r\nRetry-After: %ld\r\n\r\n",
		    retries[i].want);
		CHECK_AT(retries[i].line, strstr(written(&c, &r, false), header) != NULL,
		    "%ld: \"%.300s\"", retries[i].given, c.out);
		CHECK_AT(retries[i].line, body_str(&r, "error") &&
		    strcmp(body_str(&r, "error"), "otp_rate_limited") == 0, "error");
		response_reset(&r);
	}
}

static void
field_errors_are_gathered_per_field(void)
{
	struct response r = { 0 };
	json_object *fields, *list;

	CHECK(!response_has_field_errors(&r), "field errors before any");
	response_field_error(&r, "password", MSG_PASSWORD_TOO_SHORT, LANG_EN);
	response_field_error(&r, "mobile_number", MSG_REQUIRED, LANG_EN);
	response_field_error(&r, "password", MSG_PASSWORD_COMMON, LANG_EN);
	CHECK(response_has_field_errors(&r), "no field errors after three");
	response_validation_failed(&r, LANG_EN);
	CHECK_INT(r.status, 400);
	CHECK_STR(body_str(&r, "error"), "validation_failed");
	CHECK(json_object_object_get_ex(r.body, "fields", &fields) && json_object_object_length(fields) == 2,
	    "%s", json_object_to_json_string(r.body));
	CHECK(json_object_object_get_ex(fields, "password", &list) && json_object_array_length(list) == 2 &&
	    strcmp(json_object_get_string(json_object_array_get_idx(list, 0)),
	    msg_text(MSG_PASSWORD_TOO_SHORT, LANG_EN)) == 0 &&
	    strcmp(json_object_get_string(json_object_array_get_idx(list, 1)),
	    msg_text(MSG_PASSWORD_COMMON, LANG_EN)) == 0, "%s", json_object_to_json_string(fields));
	CHECK(json_object_object_get_ex(fields, "mobile_number", &list) && json_object_array_length(list) == 1 &&
	    strcmp(json_object_get_string(json_object_array_get_idx(list, 0)),
	    msg_text(MSG_REQUIRED, LANG_EN)) == 0, "%s", json_object_to_json_string(fields));
	CHECK(json_object_object_length(r.body) == 3, "%s", json_object_to_json_string(r.body));
	response_reset(&r);

	/* in Persian, field messages too; the codes stay */
	response_field_error(&r, "code", MSG_CODE_FORMAT, LANG_FA);
	response_validation_failed(&r, LANG_FA);
	CHECK_STR(body_str(&r, "error"), "validation_failed");
	CHECK(json_object_object_get_ex(r.body, "fields", &fields) &&
	    json_object_object_get_ex(fields, "code", &list) &&
	    strcmp(json_object_get_string(json_object_array_get_idx(list, 0)),
	    msg_text(MSG_CODE_FORMAT, LANG_FA)) == 0, "%s", json_object_to_json_string(r.body));
	response_reset(&r);

	/* an answer given after field errors supersedes them */
	response_field_error(&r, "code", MSG_CODE_FORMAT, LANG_EN);
	response_error(&r, ERR_SESSION_INVALID, LANG_EN);
	CHECK(!response_has_field_errors(&r), "field errors survive another answer");
	CHECK(!json_object_object_get_ex(r.body, "fields", NULL), "%s", json_object_to_json_string(r.body));
	response_reset(&r);

	/* validation_failed without a gathered error still has its fields object */
	response_validation_failed(&r, LANG_EN);
	CHECK(json_object_object_get_ex(r.body, "fields", &fields) &&
	    json_object_is_type(fields, json_type_object), "%s", json_object_to_json_string(r.body));
	response_reset(&r);
}

static void
wrong_step_names_the_next_step(void)
{
	struct response r = { 0 };

	response_wrong_step(&r, LANG_FA, "set_password");
	CHECK_INT(r.status, 409);
	CHECK_STR(body_str(&r, "error"), "wrong_step");
	CHECK_STR(body_str(&r, "next_step"), "set_password");
	CHECK(json_object_object_length(r.body) == 3, "%s", json_object_to_json_string(r.body));
	response_reset(&r);
}

static void
headers_that_do_not_fit_are_dropped_whole(void)
{
	struct response r = { 0 };
	struct capture c;
	char big[600];
	const char *out;

	memset(big, 'v', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	response_empty(&r, 204, false);
	response_header(&r, "X-First", "1");
	response_header(&r, "X-Big", big);	/* does not fit in headers[] */
	response_header(&r, "X-Last", "2");
	out = written(&c, &r, false);
	CHECK(strstr(out, "X-Big") == NULL, "a header that does not fit was sent: %.80s", out);
	CHECK(strstr(out, "X-First: 1\r\nX-Last: 2\r\n\r\n") != NULL, "\"%s\"", out);
	response_reset(&r);
}

static void
an_answer_built_by_the_helpers_is_whole_with_its_deliberate_nulls(void)
{
	struct response r = { 0 };
	struct capture c;
	json_object *o = response_object(&r), *list = response_array(&r);
	const char *out;

	response_add_string(&r, o, "s", "x");
	response_add_int(&r, o, "n", 7);
	response_add_bool(&r, o, "b", true);
	response_add_string(&r, o, "z", NULL);
	response_append(&r, list, json_object_new_string("i"));
	response_add(&r, o, "l", list);
	response_json(&r, 200, o);
	CHECK(!response_incomplete(&r), "a whole answer counted as incomplete");
	out = written(&c, &r, false);
	CHECK(strstr(out, "\r\n\r\n{\"s\":\"x\",\"n\":7,\"b\":true,\"z\":null,\"l\":[\"i\"]}")
	    != NULL, "\"%s\"", out);
	response_reset(&r);
}

/* A constructor that returned NULL leaves a NULL container behind: what is
 * added to it is freed (ASan's leak check in make test), and the answer is
 * marked so that it is never sent with a hole in it. */
static void
a_failed_constructor_marks_the_answer_incomplete_until_reset(void)
{
	struct response r = { 0 };

	response_add_string(&r, NULL, "s", "x");
	CHECK(response_incomplete(&r), "a value added to a failed object went unnoticed");
	response_reset(&r);
	CHECK(!response_incomplete(&r), "the next request inherits the failure");
	response_append(&r, NULL, json_object_new_string("i"));
	CHECK(response_incomplete(&r), "a value appended to a failed array went unnoticed");
	response_reset(&r);
	response_add(&r, NULL, "o", json_object_new_object());
	CHECK(response_incomplete(&r), "an object added to a failed object went unnoticed");
	response_reset(&r);
}

int
main(void)
{
	RUN(every_error_has_its_status_and_code_in_both_languages);
	RUN(every_message_exists_in_both_languages);
	RUN(json_answer_has_exactly_its_header_lines);
	RUN(content_length_counts_bytes_of_a_persian_body);
	RUN(no_content_204_has_no_store_and_nosniff_and_nothing_else);
	RUN(bare_authorizer_200_has_only_status_and_variables);
	RUN(status_lines_of_every_status);
	RUN(retry_after_is_at_least_one_in_body_and_header);
	RUN(field_errors_are_gathered_per_field);
	RUN(wrong_step_names_the_next_step);
	RUN(headers_that_do_not_fit_are_dropped_whole);
	RUN(an_answer_built_by_the_helpers_is_whole_with_its_deliberate_nulls);
	RUN(a_failed_constructor_marks_the_answer_incomplete_until_reset);
	HARNESS_EXIT();
}
