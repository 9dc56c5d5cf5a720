/*
 * Request bodies: request_parse_body() with JSON, form and junk content
 * types. The first byte picks the Content-Type below, '0' the first, '1' the
 * next and so on to '<', which takes it from the input up to the first
 * newline; the rest is the body, in a buffer one
 * byte longer than the body and NUL-terminated, as request_read_body() hands
 * it over (the form decoder writes into it).
 *
 * Oracles, beyond "no crash, no leak":
 *  - BODY_OK gives an object and anything else gives NULL;
 *  - every string of an accepted body, keys and values, is valid UTF-8
 *    (fields.c relies on it), and a form's values are all strings;
 *  - an accepted JSON body, written out by json-c and parsed again, is
 *    accepted and is the same value (NaN equal to NaN);
 *  - an accepted JSON body is also RFC 8259 JSON by the small independent
 *    checker below (FUZZ_JSON_RFC8259=0 in the environment turns it off).
 */
#include <math.h>
#include <stdbool.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "phoneauth/request.h"

static const char *const content_types[] = {
	"application/json",
	"application/json; charset=utf-8",
	" Application/JSON ;charset=\"UTF8\"",
	"application/x-www-form-urlencoded",
	"application/x-www-form-urlencoded; charset=UTF-8",
	"application/json; charset=iso-8859-1",
	"application/jsonx",
	"application/json-patch+json",
	"text/plain",
	"multipart/form-data; boundary=x",
	"",
	NULL,
	"(from the input)",
};
#define NTYPES (sizeof content_types / sizeof content_types[0])

/* RFC 3629, independent of src/text.c. */
static bool
utf8_ok(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], cp, n;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;
		if (len - i <= n)
			return false;
		for (unsigned k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

static bool
strings_ok(json_object *o, bool form)
{
	switch (json_object_get_type(o)) {
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			if (!utf8_ok((const unsigned char *)k, strlen(k)))
				return false;
			if (form && !json_object_is_type(v, json_type_string))
				return false;
			if (!strings_ok(v, form))
				return false;
		}
		return true;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (!strings_ok(json_object_array_get_idx(o, i), form))
				return false;
		return true;
	case json_type_string:
		return utf8_ok((const unsigned char *)json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
	default:
		return true;
	}
}

static bool
same(json_object *a, json_object *b)
{
	if (json_object_get_type(a) != json_object_get_type(b))
		return false;
	switch (json_object_get_type(a)) {
	case json_type_null:
		return true;
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_int:
		return json_object_get_int64(a) == json_object_get_int64(b) &&
		    json_object_get_uint64(a) == json_object_get_uint64(b);
	case json_type_double: {
		double x = json_object_get_double(a), y = json_object_get_double(b);

		return x == y || (isnan(x) && isnan(y));
	}
	case json_type_string:
		return json_object_get_string_len(a) == json_object_get_string_len(b) &&
		    memcmp(json_object_get_string(a), json_object_get_string(b),
		    (size_t)json_object_get_string_len(a)) == 0;
	case json_type_array:
		if (json_object_array_length(a) != json_object_array_length(b))
			return false;
		for (size_t i = 0; i < json_object_array_length(a); i++)
			if (!same(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
				return false;
		return true;
	case json_type_object: {
		if (json_object_object_length(a) != json_object_object_length(b))
			return false;
		json_object_object_foreach(a, k, v) {
			json_object *w;

			if (!json_object_object_get_ex(b, k, &w) || !same(v, w))
				return false;
		}
		return true;
	}
	}
	return false;
}

/* ---- RFC 8259, section 2 to 7, as a checker ---- */

struct rfc {
	const unsigned char *p, *end;
};

static void
rfc_ws(struct rfc *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static bool
rfc_lit(struct rfc *r, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return false;
	r->p += n;
	return true;
}

static bool
rfc_digits(struct rfc *r)
{
	const unsigned char *start = r->p;

	while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
		r->p++;
	return r->p > start;
}

static bool
rfc_number(struct rfc *r)
{
	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p < r->end && *r->p == '0')
		r->p++;
	else if (r->p >= r->end || *r->p < '1' || *r->p > '9' || !rfc_digits(r))
		return false;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (!rfc_digits(r))
			return false;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (!rfc_digits(r))
			return false;
	}
	return true;
}

static bool
hex_digit(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
rfc_string(struct rfc *r)
{
	if (r->p >= r->end || *r->p != '"')
		return false;
	for (r->p++; r->p < r->end; r->p++) {
		if (*r->p == '"') {
			r->p++;
			return true;
		}
		if (*r->p < 0x20)
			return false;	/* control characters must be escaped */
		if (*r->p == '\\') {
			if (++r->p >= r->end)
				return false;
			if (*r->p == 'u') {
				for (int i = 0; i < 4; i++)
					if (++r->p >= r->end || !hex_digit(*r->p))
						return false;
			} else if (strchr("\"\\/bfnrt", *r->p) == NULL || *r->p == '\0') {
				return false;
			}
		}
	}
	return false;
}

static bool rfc_value(struct rfc *r, int depth);

static bool
rfc_members(struct rfc *r, int depth, bool object)
{
	r->p++;			/* { or [ */
	rfc_ws(r);
	if (r->p < r->end && *r->p == (object ? '}' : ']')) {
		r->p++;
		return true;
	}
	for (;;) {
		if (object) {
			rfc_ws(r);
			if (!rfc_string(r))
				return false;
			rfc_ws(r);
			if (r->p >= r->end || *r->p != ':')
				return false;
			r->p++;
		}
		if (!rfc_value(r, depth + 1))
			return false;
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == (object ? '}' : ']')) {
			r->p++;
			return true;
		}
		return false;
	}
}

static bool
rfc_value(struct rfc *r, int depth)
{
	bool ok;

	if (depth > 64)
		return false;	/* deeper than anything we accept anyway */
	rfc_ws(r);
	if (r->p >= r->end)
		return false;
	switch (*r->p) {
	case '{':
		ok = rfc_members(r, depth, true);
		break;
	case '[':
		ok = rfc_members(r, depth, false);
		break;
	case '"':
		ok = rfc_string(r);
		break;
	case 't':
		ok = rfc_lit(r, "true");
		break;
	case 'f':
		ok = rfc_lit(r, "false");
		break;
	case 'n':
		ok = rfc_lit(r, "null");
		break;
	default:
		ok = rfc_number(r);
		break;
	}
	rfc_ws(r);
	return ok;
}

static bool
rfc8259_object(const char *text, size_t len)
{
	struct rfc r = { (const unsigned char *)text, (const unsigned char *)text + len };

	rfc_ws(&r);
	if (r.p >= r.end || *r.p != '{')
		return false;
	return rfc_value(&r, 0) && r.p == r.end && utf8_ok((const unsigned char *)text, len);
}

/* ---- the target ---- */

static int
strict_oracle(void)
{
	static int on = -1;

	if (on < 0) {
		const char *v = getenv("FUZZ_JSON_RFC8259");

		on = v == NULL || strcmp(v, "0") != 0;
	}
	return on;
}

static void
check_round_trip(json_object *obj)
{
	const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(text);
	char *copy = fuzz_cstring((const uint8_t *)text, len), bad[64] = "";
	json_object *again = NULL;
	enum body_status st;

	st = request_parse_body("application/json", copy, len, &again, bad, sizeof bad);
	FUZZ_ASSERT(st == BODY_OK);
	FUZZ_ASSERT(same(obj, again));
	json_object_put(again);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *type;
	char *type_copy = NULL, *body, bad[64];
	json_object *obj = (json_object *)1;	/* must be overwritten */
	enum body_status st;
	size_t choice;

	if (size == 0)
		return 0;
	choice = (uint8_t)(data[0] - '0') % NTYPES;	/* "0{...}" is JSON */
	data++, size--;
	type = content_types[choice];
	if (choice == NTYPES - 1) {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t tlen = nl ? (size_t)(nl - data) : size;

		type = type_copy = fuzz_cstring(data, tlen);
		data += nl ? tlen + 1 : tlen;
		size -= nl ? tlen + 1 : tlen;
	}
	body = fuzz_cstring(data, size);
	memset(bad, 'x', sizeof bad);
	st = request_parse_body(type, body, size, &obj, bad, sizeof bad);
	FUZZ_ASSERT(st == BODY_OK || st == BODY_UNSUPPORTED_TYPE || st == BODY_INVALID_JSON ||
	    st == BODY_INVALID_FORM_TEXT);
	/* the fixed types: 0-2 are JSON, 3-4 forms, the others refused
	 * (an empty body is an empty object whatever its type) */
	if (size > 0 && choice >= 5 && choice < NTYPES - 1)
		FUZZ_ASSERT(st == BODY_UNSUPPORTED_TYPE);
	if (st == BODY_OK) {
		bool json = size > 0 && choice <= 2, form = size > 0 && (choice == 3 || choice == 4);

		FUZZ_ASSERT(obj != NULL && json_object_is_type(obj, json_type_object));
		FUZZ_ASSERT(strings_ok(obj, form));
		if (json) {
			check_round_trip(obj);
			if (strict_oracle())
				FUZZ_ASSERT(rfc8259_object((const char *)data, size));
		}
		json_object_put(obj);
	} else {
		FUZZ_ASSERT(obj == NULL);
		if (st == BODY_INVALID_FORM_TEXT)
			FUZZ_ASSERT(memchr(bad, '\0', sizeof bad) != NULL && bad[0] != '\0');
	}
	free(body);
	free(type_copy);
	return 0;
}
