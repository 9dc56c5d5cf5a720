/*
 * Answers: the contract's error table, the messages in every language, and
 * the one place a response is turned into bytes on the FastCGI stream.
 *
 * json-c's allocation rule: a JSON answer is built with response_object(),
 * response_add_*() and response_append(), never with json_object_new_*()
 * unchecked. json-c's constructors return NULL only when malloc fails, and
 * json_object_object_add() stores a NULL value as JSON null: unchecked, a
 * failed allocation would answer 200 with a null where a token belongs.
 * These helpers note any failure in the response instead, and the request
 * loop (serve_one) then answers 500 internal_error in its place; one check
 * for the whole answer rather than one per constructor.
 */
#ifndef PHONEAUTH_RESPONSE_H
#define PHONEAUTH_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "phoneauth/config.h"

enum err {
	ERR_INVALID_JSON,
	ERR_VALIDATION_FAILED,
	ERR_SESSION_INVALID,
	ERR_OTP_INVALID,
	ERR_PASSWORD_INCORRECT,
	ERR_TOKEN_INVALID,
	ERR_TOKEN_REUSED,
	ERR_USER_BANNED,
	ERR_NOT_FOUND,
	ERR_METHOD_NOT_ALLOWED,
	ERR_WRONG_STEP,
	ERR_PHONE_TAKEN,
	ERR_MFA_INVALID,
	ERR_MFA_ALREADY_ENABLED,
	ERR_PASSKEY_INVALID,
	ERR_ORIGIN_NOT_ALLOWED,
	ERR_REQUEST_TIMEOUT,
	ERR_PAYLOAD_TOO_LARGE,
	ERR_UNSUPPORTED_MEDIA_TYPE,
	ERR_TOO_MANY_ATTEMPTS,
	ERR_OTP_RATE_LIMITED,
	ERR_SERVICE_UNAVAILABLE,
	ERR_INTERNAL,
	ERR__MAX
};

enum msg {
	/* answers */
	MSG_CODE_SENT,
	MSG_ENTER_PASSWORD,
	MSG_CODE_VERIFIED,
	MSG_PASSWORD_SET,
	MSG_PASSWORD_CHANGED,
	MSG_SIGNED_UP,
	MSG_LOGGED_IN,
	MSG_COMPLETE_PROFILE,
	MSG_RESET_CODE_SENT,
	MSG_LOGGED_OUT,
	MSG_LOGIN_ENDED,
	MSG_LOGGED_OUT_ALL,
	MSG_ACCOUNT_DELETED,
	MSG_CHANGE_CODE_SENT,
	MSG_PHONE_CHANGED,
	MSG_LOGIN_CODE_SENT,
	MSG_MFA_REQUIRED,
	MSG_MFA_ENABLED,
	MSG_MFA_DISABLED,
	MSG_RECOVERY_CODES_RENEWED,
	MSG_PASSKEY_REMOVED,
	MSG_PASSKEYS_FULL,
	/* field errors */
	MSG_REQUIRED,
	MSG_NOT_STRING,
	MSG_BAD_TEXT,
	MSG_PHONE_INVALID_IR,
	MSG_PHONE_INVALID_E164,
	MSG_PHONE_COUNTRY,
	MSG_CODE_FORMAT,
	MSG_MFA_CODE_FORMAT,
	MSG_PASSWORD_TOO_SHORT,
	MSG_PASSWORD_TOO_LONG,
	MSG_PASSWORD_COMMON,
	MSG_PASSWORD_HAS_NUMBER,
	MSG_FIRST_NAME_LENGTH,
	MSG_LAST_NAME_LENGTH,
	MSG_CONTROL_CHARS,
	MSG_EMAIL_INVALID,
	MSG_EMAIL_TAKEN,
	MSG__MAX
};

struct response {
	int status;
	json_object *body;		/* owner: the response */
	json_object *fields;		/* validation errors gathered so far; owner: body or this */
	char headers[512];		/* extra header lines, each ending in \r\n */
	size_t headers_len;
	enum err error;			/* meaningful when is_error */
	bool is_error;
	bool bare;			/* only Status and the extra headers (an authorizer's 200) */
	char *raw;			/* a body that is not JSON built here; owner: the response */
	size_t raw_len;
	const char *content_type;	/* of raw; a string constant */
	bool incomplete;		/* json-c could not allocate part of the answer */
};

const char *msg_text(enum msg m, enum lang lang);
const char *err_code(enum err e);

/* A success answer; takes ownership of `body`. */
void response_json(struct response *r, int status, json_object *body);

/* {"error", "message"} with the error's status. */
void response_error(struct response *r, enum err e, enum lang lang);

/* A 429 with retry_after in the body and the Retry-After header. */
void response_retry(struct response *r, enum err e, enum lang lang, long retry_after);

/* 409 wrong_step with next_step. */
void response_wrong_step(struct response *r, enum lang lang, const char *next_step);

/* Adds one message to fields[field]; response_validation_failed() answers them. */
void response_field_error(struct response *r, const char *field, enum msg m, enum lang lang);
bool response_has_field_errors(const struct response *r);
void response_validation_failed(struct response *r, enum lang lang);

/* A body given as it is (`text`, len bytes, malloc'd: the response owns it
 * from now on), of `content_type` (a string constant). */
void response_raw(struct response *r, int status, const char *content_type, char *text,
    size_t len);

/* An answer without a body: 204, or an authorizer's bare 200. */
void response_empty(struct response *r, int status, bool bare);

/* Adds "Name: value" to the answer's headers (dropped if they do not fit). */
void response_header(struct response *r, const char *name, const char *value);

/* Building a JSON answer (see the top of this header). response_object()
 * and response_array() return NULL when they fail, and every helper taking
 * a NULL container notes the failure and frees what it was given, so a
 * handler builds its answer straight through and checks nothing. */
json_object *response_object(struct response *r);
json_object *response_array(struct response *r);
/* Adds `v` to object `o` (owner: o from now on); NULL is a JSON null. */
void response_add(struct response *r, json_object *o, const char *key, json_object *v);
/* Adds a string; a NULL `s` is a JSON null. */
void response_add_string(struct response *r, json_object *o, const char *key, const char *s);
void response_add_int(struct response *r, json_object *o, const char *key, int64_t n);
void response_add_bool(struct response *r, json_object *o, const char *key, bool b);
/* Appends `v` to array `list` (owner: list from now on). */
void response_append(struct response *r, json_object *list, json_object *v);
/* Appends a string to array `list`. */
void response_append_string(struct response *r, json_object *list, const char *s);
/* Whether an allocation failed while this answer was built: it must not go
 * out as it is. */
bool response_incomplete(const struct response *r);

/* Writes status line, headers and body to the FastCGI stream. */
void response_write(struct response *r, FCGX_Stream *out, bool head_only);

void response_reset(struct response *r);

#endif
