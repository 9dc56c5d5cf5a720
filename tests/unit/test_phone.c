/* phone.c: every spelling of a number becomes its stored form. */
#include <string.h>

#include "harness.h"
#include "phoneauth/phone.h"

static const struct {
	int line;
	enum phone_format format;
	const char *in, *want;	/* want NULL: refused */
} cases[] = {
	{ __LINE__, PHONE_FORMAT_IR, "09121234567", "09121234567" },
	{ __LINE__, PHONE_FORMAT_IR, "+989121234567", "09121234567" },
	{ __LINE__, PHONE_FORMAT_IR, "00989121234567", "09121234567" },
	{ __LINE__, PHONE_FORMAT_IR, "989121234567", "09121234567" },
	{ __LINE__, PHONE_FORMAT_IR, "9121234567", "09121234567" },
	{ __LINE__, PHONE_FORMAT_IR, "0912 123 4567", "09121234567" },
	{ __LINE__, PHONE_FORMAT_IR, "(0912) 123-45-67", "09121234567" },
	{ __LINE__, PHONE_FORMAT_IR, "+98 912 123 4567", "09121234567" },
	/* Persian digits ۰۹۱۲۱۲۳۴۵۶۷ */
	{ __LINE__, PHONE_FORMAT_IR,
	  "\xdb\xb0\xdb\xb9\xdb\xb1\xdb\xb2\xdb\xb1\xdb\xb2\xdb\xb3\xdb\xb4\xdb\xb5\xdb\xb6\xdb\xb7",
	  "09121234567" },
	/* Arabic-Indic digits ٠٩١٢ then ASCII */
	{ __LINE__, PHONE_FORMAT_IR, "\xd9\xa0\xd9\xa9\xd9\xa1\xd9\xa2" "1234567", "09121234567" },
	{ __LINE__, PHONE_FORMAT_IR, "0912123456", NULL },
	{ __LINE__, PHONE_FORMAT_IR, "091212345678", NULL },
	{ __LINE__, PHONE_FORMAT_IR, "08121234567", NULL },
	{ __LINE__, PHONE_FORMAT_IR, "+988121234567", NULL },
	{ __LINE__, PHONE_FORMAT_IR, "0912123456a", NULL },
	{ __LINE__, PHONE_FORMAT_IR, "", NULL },
	{ __LINE__, PHONE_FORMAT_IR, "0912_123_4567", NULL },
	{ __LINE__, PHONE_FORMAT_IR, "+14155550123", NULL },
	{ __LINE__, PHONE_FORMAT_IR, "\xff\xfe", NULL },
	{ __LINE__, PHONE_FORMAT_IR, "\xdb", NULL },	/* truncated UTF-8 */
	{ __LINE__, PHONE_FORMAT_E164, "+14155550123", "+14155550123" },
	{ __LINE__, PHONE_FORMAT_E164, "0014155550123", "+14155550123" },
	{ __LINE__, PHONE_FORMAT_E164, "+1 (415) 555-0123", "+14155550123" },
	{ __LINE__, PHONE_FORMAT_E164, "+989121234567", "+989121234567" },
	{ __LINE__, PHONE_FORMAT_E164, "+123456789012345", "+123456789012345" },
	{ __LINE__, PHONE_FORMAT_E164, "+1234567890123456", NULL },
	{ __LINE__, PHONE_FORMAT_E164, "+1234567", NULL },
	{ __LINE__, PHONE_FORMAT_E164, "+0415555012", NULL },
	{ __LINE__, PHONE_FORMAT_E164, "14155550123", NULL },
	{ __LINE__, PHONE_FORMAT_E164, "09121234567", NULL },
	/* the national (trunk) 0 after a calling code that has one: dropped */
	{ __LINE__, PHONE_FORMAT_E164, "+98 0912 123 4567", "+989121234567" },
	{ __LINE__, PHONE_FORMAT_E164, "+9809121234567", "+989121234567" },
	{ __LINE__, PHONE_FORMAT_E164, "0098 0912 123 4567", "+989121234567" },
	{ __LINE__, PHONE_FORMAT_E164, "+44 07700 900123", "+447700900123" },
	{ __LINE__, PHONE_FORMAT_E164, "+49 0151 23456789", "+4915123456789" },
	{ __LINE__, PHONE_FORMAT_E164, "+212 0612-345678", "+212612345678" },
	{ __LINE__, PHONE_FORMAT_E164, "+250 0788 123 456", "+250788123456" },
	{ __LINE__, PHONE_FORMAT_E164, "+81 090 1234 5678", "+819012345678" },
	/* two zeros there: no number (dropping one would leave the other for
	 * the next normalization to drop; found by make fuzz) */
	{ __LINE__, PHONE_FORMAT_E164, "+374 00 141555267", NULL },
	{ __LINE__, PHONE_FORMAT_E164, "+44 0 07700 900123", NULL },
	/* ... and kept where it is part of the number */
	{ __LINE__, PHONE_FORMAT_E164, "+39 06 1234 5678", "+390612345678" },
	{ __LINE__, PHONE_FORMAT_E164, "+39 0212345678", "+390212345678" },
	{ __LINE__, PHONE_FORMAT_E164, "+250 06 123 456", "+25006123456" },
	{ __LINE__, PHONE_FORMAT_E164, "+81 0012345678", "+810012345678" },
	{ __LINE__, PHONE_FORMAT_E164, "+91 000800 1234567", "+910008001234567" },
	{ __LINE__, PHONE_FORMAT_E164, "+47 0123 4567", "+4701234567" },
	/* lengths count what is stored: 16 digits with the 0, 15 without */
	{ __LINE__, PHONE_FORMAT_E164, "+9809121234567890", "+98912123456789" "0" },
	{ __LINE__, PHONE_FORMAT_E164, "+98012345", NULL },	/* 8 digits, 7 stored */
	{ __LINE__, PHONE_FORMAT_E164, "+980", NULL },
	{ __LINE__, PHONE_FORMAT_E164, "+98 0", NULL },
	{ __LINE__, PHONE_FORMAT_E164, "+4401234567890123", "+441234567890123" },
	{ __LINE__, PHONE_FORMAT_E164, "+39012345678901234", NULL },
};

static void
phone_normalize_table(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[PHONE_MAX];
		bool ok = phone_normalize(cases[i].in, cases[i].format, out);

		if (cases[i].want == NULL)
			CHECK_AT(cases[i].line, !ok, "\"%s\" accepted as %s", cases[i].in, out);
		else
			CHECK_AT(cases[i].line, ok && strcmp(out, cases[i].want) == 0,
			    "\"%s\" -> %d \"%s\"", cases[i].in, ok, out);
	}
}

static void
phone_long_input_is_refused_not_overflowed(void)
{
	char in[2000], out[PHONE_MAX];

	memset(in, '9', sizeof in - 1);
	in[sizeof in - 1] = '\0';
	CHECK(!phone_normalize(in, PHONE_FORMAT_IR, out), "accepted");
	CHECK(!phone_normalize(in, PHONE_FORMAT_E164, out), "accepted");
	memset(in, ' ', sizeof in - 1);
	memcpy(in + 1500, "09121234567", 11);
	CHECK(!phone_normalize(in, PHONE_FORMAT_IR, out), "accepted 1500 blanks");
}

int
main(void)
{
	RUN(phone_normalize_table);
	RUN(phone_long_input_is_refused_not_overflowed);
	HARNESS_EXIT();
}
