/* json_check.c: RFC 8259 texts pass, everything json-c would stretch to fails. */
#include <string.h>

#include "harness.h"
#include "phoneauth/json_check.h"

static const struct {
	int line;
	const char *text;
	int ok;
} cases[] = {
	{ __LINE__, "{}", 1 },
	{ __LINE__, " \t\r\n{ \"a\" : \"b\" }\n", 1 },
	{ __LINE__, "{\"a\":[1,-0,2.5e-3,1E+9,0.0,true,false,null,{\"b\":{}}]}", 1 },
	{ __LINE__, "{\"a\":\"\\u06f0\\u06F9\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", 1 },
	{ __LINE__, "{\"a\":\"\\ud83d\\ude00\"}", 1 },		/* a surrogate pair */
	{ __LINE__, "[]", 1 },
	{ __LINE__, "\"s\"", 1 },
	{ __LINE__, "0", 1 },
	{ __LINE__, "{\"a\":\"\xdb\xb0\"}", 1 },		/* raw UTF-8 */
	{ __LINE__, "", 0 },
	{ __LINE__, "   ", 0 },
	{ __LINE__, "{'a': 'b'}", 0 },
	{ __LINE__, "{\"a\": NaN}", 0 },
	{ __LINE__, "{\"a\": Infinity}", 0 },
	{ __LINE__, "{\"a\": -Infinity}", 0 },
	{ __LINE__, "{\"a\": 1,}", 0 },
	{ __LINE__, "[1,]", 0 },
	{ __LINE__, "[,1]", 0 },
	{ __LINE__, "{,}", 0 },
	{ __LINE__, "{\"a\":1} x", 0 },
	{ __LINE__, "{\"a\":1}{\"b\":2}", 0 },
	{ __LINE__, "/* c */ {\"a\":1}", 0 },
	{ __LINE__, "{\"a\":1} // c", 0 },
	{ __LINE__, "{\"a\": 01}", 0 },
	{ __LINE__, "{\"a\": -01}", 0 },
	{ __LINE__, "{\"a\": .5}", 0 },
	{ __LINE__, "{\"a\": 1.}", 0 },
	{ __LINE__, "{\"a\": 1e}", 0 },
	{ __LINE__, "{\"a\": 1e+}", 0 },
	{ __LINE__, "{\"a\": +1}", 0 },
	{ __LINE__, "{\"a\": -}", 0 },
	{ __LINE__, "{\"a\": 0x10}", 0 },
	{ __LINE__, "{\"a\": \"\\x\"}", 0 },
	{ __LINE__, "{\"a\": \"\\u12\"}", 0 },
	{ __LINE__, "{\"a\": \"\\ud800\"}", 0 },		/* a lone high surrogate */
	{ __LINE__, "{\"a\": \"\\udc00\"}", 0 },		/* a lone low surrogate */
	{ __LINE__, "{\"a\": \"\\ud800\\u0041\"}", 0 },	/* high, then no low */
	{ __LINE__, "{\"a\": \"tab\tinside\"}", 0 },
	{ __LINE__, "{\"phone\\u0000x\": \"1\"}", 0 },		/* a NUL in a key */
	{ __LINE__, "{\"a\": \"x\\u0000y\"}", 1 },		/* in a value: the field's to refuse */
	{ __LINE__, "{\"a\": \"nl\ninside\"}", 0 },
	{ __LINE__, "{\"a\": \"unterminated}", 0 },
	{ __LINE__, "{\"a\": tru}", 0 },
	{ __LINE__, "{\"a\": nulls}", 0 },
	{ __LINE__, "{a: 1}", 0 },
	{ __LINE__, "{\"a\" 1}", 0 },
	{ __LINE__, "{\"a\":}", 0 },
	{ __LINE__, "{\"a\":1", 0 },
	{ __LINE__, "\xef\xbb\xbf{}", 0 },			/* a byte order mark */
};

static void
grammar(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_AT(cases[i].line, json_check_strict(cases[i].text, strlen(cases[i].text)) ==
		    (cases[i].ok != 0), "%s: want %s", cases[i].text, cases[i].ok ? "valid" : "invalid");
}

/* The length decides, not a NUL: a NUL byte is not whitespace. */
static void
embedded_nul(void)
{
	CHECK(!json_check_strict("{}\0", 3), "a NUL after the value is trailing garbage");
	CHECK(!json_check_strict("{\"a\":\"\0\"}", 8), "a raw NUL in a string is a control character");
}

static void
depth(void)
{
	char deep[2 * JSON_CHECK_MAX_DEPTH + 3];
	size_t n = 0;

	for (int i = 0; i < JSON_CHECK_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i < JSON_CHECK_MAX_DEPTH; i++)
		deep[n++] = ']';
	CHECK(json_check_strict(deep, n), "%d levels are allowed", JSON_CHECK_MAX_DEPTH);
	memmove(deep + 1, deep, n);
	deep[0] = '[';
	deep[n + 1] = ']';
	CHECK(!json_check_strict(deep, n + 2), "%d levels are too many", JSON_CHECK_MAX_DEPTH + 1);
}

int
main(void)
{
	RUN(grammar);
	RUN(embedded_nul);
	RUN(depth);
	HARNESS_EXIT();
}
