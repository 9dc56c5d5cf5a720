/* fields.c: the e-mail rule. */
#include <string.h>

#include "harness.h"
#include "phoneauth/fields.h"

static void
email_addresses(void)
{
	static const struct { int line; const char *email; bool ok; } cases[] = {
		{ __LINE__, "a@b.co", true },
		{ __LINE__, "first.last+tag@sub.example.ir", true },
		{ __LINE__, "o'brien@example.com", true },
		{ __LINE__, "x@my-host.example", true },
		{ __LINE__, "no-at-sign", false },
		{ __LINE__, "two@@example.com", false },
		{ __LINE__, "a@b@example.com", false },
		{ __LINE__, "a@localhost", false },
		{ __LINE__, ".a@example.com", false },
		{ __LINE__, "a.@example.com", false },
		{ __LINE__, "a..b@example.com", false },
		{ __LINE__, "a@-example.com", false },
		{ __LINE__, "a@example-.com", false },
		{ __LINE__, "a@example.c0m", false },
		{ __LINE__, "a@example.c", false },
		{ __LINE__, "a@example..com", false },
		{ __LINE__, "a b@example.com", false },
		{ __LINE__, "@example.com", false },
		{ __LINE__, "a@", false },
		{ __LINE__, "", false },
		{ __LINE__, "\xd8\xb9@example.com", false },
	};
	char local65[80], long_email[300];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_AT(cases[i].line, fields_email_valid(cases[i].email) == cases[i].ok, "\"%s\"",
		    cases[i].email);
	memset(local65, 'a', 65);
	strcpy(local65 + 65, "@example.com");
	CHECK(!fields_email_valid(local65), "65-character local part");
	local65[1] = '@';
	local65[2] = '\0';
	memset(long_email, 'a', 64);
	long_email[64] = '@';
	for (int i = 0; i < 4; i++)
		memcpy(long_email + 65 + 48 * i, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.", 48);
	strcpy(long_email + 65 + 192, "com");
	CHECK(strlen(long_email) == 260 && !fields_email_valid(long_email), "260 characters");
}

int
main(void)
{
	RUN(email_addresses);
	HARNESS_EXIT();
}
