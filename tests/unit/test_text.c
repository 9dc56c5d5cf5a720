/* text.c: UTF-8 rules. */
#include <string.h>

#include "harness.h"
#include "phoneauth/text.h"

static void
utf8_validity(void)
{
	static const struct { int line; const char *s; bool ok; } cases[] = {
		{ __LINE__, "plain", true },
		{ __LINE__, "\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85", true },	/* سلام */
		{ __LINE__, "\xe2\x82\xac", true },			/* € */
		{ __LINE__, "\xf0\x9f\x98\x80", true },			/* 😀 */
		{ __LINE__, "\xc0\xaf", false },			/* overlong / */
		{ __LINE__, "\xe0\x80\xaf", false },			/* overlong, 3 bytes */
		{ __LINE__, "\xed\xa0\x80", false },			/* surrogate */
		{ __LINE__, "\xf4\x90\x80\x80", false },		/* above U+10FFFF */
		{ __LINE__, "\xd8", false },				/* truncated */
		{ __LINE__, "\xe2\x82", false },
		{ __LINE__, "\x80", false },				/* lone continuation */
		{ __LINE__, "\xff", false },
		{ __LINE__, "ok\xf8\x88\x80\x80\x80", false },		/* 5-byte form */
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_AT(cases[i].line, text_utf8_valid(cases[i].s, strlen(cases[i].s)) == cases[i].ok,
		    "case %zu", i);
	CHECK(text_utf8_valid("a\0b", 3), "NUL is valid UTF-8 (refused elsewhere)");
}

static void
utf8_length_counts_code_points(void)
{
	CHECK_INT(text_utf8_length(""), 0);
	CHECK_INT(text_utf8_length("abc"), 3);
	CHECK_INT(text_utf8_length("\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85"), 4);
	CHECK_INT(text_utf8_length("a\xf0\x9f\x98\x80z"), 3);
}

static void
control_characters(void)
{
	CHECK(text_has_control("a\x01"), "\\x01");
	CHECK(text_has_control("\x7f"), "DEL");
	CHECK(text_has_control("tab\there"), "tab");
	CHECK(text_has_control("line\n"), "newline");
	CHECK(!text_has_control("Sara Ahmadi"), "plain");
	CHECK(!text_has_control("\xd8\xb3\xd8\xa7\xd8\xb1\xd8\xa7"), "Persian");
	CHECK(!text_has_control("\xc2\x85"), "U+0085 is not in the contract's range");
}

static void
ascii_digits_and_trim(void)
{
	char out[32], small[4], s[] = "  \t x y \n ";

	CHECK(text_ascii_digits("\xdb\xb1\xd9\xa2-3", out, sizeof out), "convert");
	CHECK_STR(out, "12-3");
	CHECK(!text_ascii_digits("12345", small, sizeof small), "too small accepted");
	CHECK_STR(text_trim(s), "x y");
}

int
main(void)
{
	RUN(utf8_validity);
	RUN(utf8_length_counts_code_points);
	RUN(control_characters);
	RUN(ascii_digits_and_trim);
	HARNESS_EXIT();
}
