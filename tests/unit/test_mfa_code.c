/* mfa_code.c: what a client may send as `code`, classified. */
#include "harness.h"
#include "phoneauth/mfa_code.h"

static const struct {
	int line;
	const char *in;
	enum mfa_code_kind kind;
	const char *text;
} cases[] = {
	{ __LINE__, "123456", MFA_CODE_TOTP, "123456" },
	{ __LINE__, "000000", MFA_CODE_TOTP, "000000" },
	{ __LINE__, "123 456", MFA_CODE_TOTP, "123456" },	/* as apps show it */
	{ __LINE__, " 123456 ", MFA_CODE_TOTP, "123456" },
	{ __LINE__, "\xdb\xb1\xdb\xb2\xdb\xb3\xdb\xb4\xdb\xb5\xdb\xb6", MFA_CODE_TOTP, "123456" },
	{ __LINE__, "\xd9\xa1\xd9\xa2\xd9\xa3 \xd9\xa4\xd9\xa5\xd9\xa6", MFA_CODE_TOTP, "123456" },
	{ __LINE__, "12345", MFA_CODE_NONE, "" },
	{ __LINE__, "1234567", MFA_CODE_NONE, "" },
	{ __LINE__, "123-456", MFA_CODE_NONE, "" },
	{ __LINE__, "12345a", MFA_CODE_NONE, "" },
	{ __LINE__, "12345\xef\xbc\x96", MFA_CODE_NONE, "" },	/* a full-width 6 */
	{ __LINE__, "abcde-23456-fghij-k7", MFA_CODE_RECOVERY, "ABCDE23456FGHIJK7" },
	{ __LINE__, "ABCDE23456FGHIJK7", MFA_CODE_RECOVERY, "ABCDE23456FGHIJK7" },
	{ __LINE__, "abcde 23456 fghij k7", MFA_CODE_RECOVERY, "ABCDE23456FGHIJK7" },
	{ __LINE__, "abcde-\xdb\xb2\xdb\xb3\xdb\xb4\xdb\xb5\xdb\xb6-fghij-k7", MFA_CODE_RECOVERY,
	  "ABCDE23456FGHIJK7" },
	{ __LINE__, "22222-22222-22222-22", MFA_CODE_RECOVERY, "22222222222222222" },
	{ __LINE__, "abcde-23456-fghij-k", MFA_CODE_NONE, "" },
	{ __LINE__, "abcde-23456-fghij-k1", MFA_CODE_NONE, "" },
	{ __LINE__, "", MFA_CODE_NONE, "" },
	{ __LINE__, "      ", MFA_CODE_NONE, "" },
	{ __LINE__, "1234567890123456789012345678901234567890123456789012345678901234",
	  MFA_CODE_NONE, "" },
	{ __LINE__, "12345                                                          6",
	  MFA_CODE_TOTP, "123456" },	/* 64 bytes */
	{ __LINE__, "12345                                                           6",
	  MFA_CODE_NONE, "" },		/* 65 */
};

static void
codes_are_classified_and_normalised(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mfa_code c;
		bool ok;

		memset(&c, 0x5a, sizeof c);
		ok = mfa_code_parse(cases[i].in, &c);
		CHECK_AT(cases[i].line, ok == (cases[i].kind != MFA_CODE_NONE), "\"%s\": %s",
		    cases[i].in, ok ? "accepted" : "refused");
		CHECK_AT(cases[i].line, c.kind == cases[i].kind, "\"%s\": kind %d, want %d",
		    cases[i].in, (int)c.kind, (int)cases[i].kind);
		CHECK_AT(cases[i].line, strcmp(c.text, cases[i].text) == 0, "\"%s\": text \"%s\"",
		    cases[i].in, c.text);
		mfa_code_wipe(&c);
		CHECK_AT(cases[i].line, c.kind == MFA_CODE_NONE && c.text[0] == '\0', "not wiped");
	}
}

static void
null_is_no_code(void)
{
	struct mfa_code c;

	CHECK(!mfa_code_parse(NULL, &c), "NULL accepted");
	CHECK(c.kind == MFA_CODE_NONE && c.text[0] == '\0', "NULL left something");
}

int
main(void)
{
	RUN(codes_are_classified_and_normalised);
	RUN(null_is_no_code);
	HARNESS_EXIT();
}
