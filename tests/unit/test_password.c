/* password.c: Django's PBKDF2 encoding, the policy, verification. */
#include <string.h>

#include "harness.h"
#include "phoneauth/password.h"

/*
 * Vectors computed with Django's algorithm (PBKDF2PasswordHasher.encode is
 * base64(pbkdf2_hmac('sha256', password, salt, iterations))):
 *   /usr/bin/python3 -c 'import hashlib,base64; print(base64.b64encode(
 *       hashlib.pbkdf2_hmac("sha256", PASSWORD, SALT, ITERATIONS)).decode())'
 */
static const struct {
	int line;
	const char *password, *salt;
	long iterations;
	const char *encoded;
} vectors[] = {
	{ __LINE__, "correct horse", "abcdefghijklmnopqrstuv", 1000,
	  "pbkdf2_sha256$1000$abcdefghijklmnopqrstuv$3sV/SVfT6ME4dIgYVdSlH0jEvyK0z+y3AJvov9Y+8MA=" },
	/* the password in UTF-8: "رمز عبور خوب" */
	{ __LINE__, "\xd8\xb1\xd9\x85\xd8\xb2 \xd8\xb9\xd8\xa8\xd9\x88\xd8\xb1 \xd8\xae\xd9\x88\xd8\xa8",
	  "Zx9Qw3Er5Ty7Ui9Op1As2D", 1000,
	  "pbkdf2_sha256$1000$Zx9Qw3Er5Ty7Ui9Op1As2D$uCDMX2DWMO8/PiEb/7rfhiU5DEYSCP3xBcCR+IvIiro=" },
	/* Django 3.2's default iteration count */
	{ __LINE__, "legacy-user-pw", "sAlT0123456789abcdefgh", 260000,
	  "pbkdf2_sha256$260000$sAlT0123456789abcdefgh$PzKFTp15k9K0op6EiAIVAtR/HlggEIn17TfV+hxZ9ik=" },
};

static void
hash_with_salt_matches_django(void)
{
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		char out[PASSWORD_ENCODED_MAX];

		CHECK_AT(vectors[i].line, password_hash_with_salt(vectors[i].password, vectors[i].salt,
		    vectors[i].iterations, out), "hashing failed");
		CHECK_AT(vectors[i].line, strcmp(out, vectors[i].encoded) == 0, "got %s", out);
	}
}

static void
verify_accepts_django_hashes_at_any_iteration_count(void)
{
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		long it = 0;

		CHECK_AT(vectors[i].line, password_verify(vectors[i].password, vectors[i].encoded, &it),
		    "not verified");
		CHECK_AT(vectors[i].line, it == vectors[i].iterations, "iterations %ld", it);
	}
}

static void
verify_refuses_wrong_and_malformed(void)
{
	static const struct { int line; const char *pw, *enc; } bad[] = {
		{ __LINE__, "correct horsE", "pbkdf2_sha256$1000$abcdefghijklmnopqrstuv$3sV/SVfT6ME4dIgYVdSlH0jEvyK0z+y3AJvov9Y+8MA=" },
		{ __LINE__, "correct horse", "pbkdf2_sha256$1000$abcdefghijklmnopqrstuv$3sV/SVfT6ME4dIgYVdSlH0jEvyK0z+y3AJvov9Y+8MB=" },
		{ __LINE__, "correct horse", "pbkdf2_sha256$1001$abcdefghijklmnopqrstuv$3sV/SVfT6ME4dIgYVdSlH0jEvyK0z+y3AJvov9Y+8MA=" },
		{ __LINE__, "correct horse", "pbkdf2_sha1$1000$abcdefghijklmnopqrstuv$3sV/SVfT6ME4dIgYVdSlH0jEvyK0z+y3AJvov9Y+8MA=" },
		{ __LINE__, "correct horse", "argon2$argon2id$v=19$m=102400,t=2,p=8$abc$def" },
		{ __LINE__, "correct horse", "pbkdf2_sha256$1000$abcdefghijklmnopqrstuv" },
		{ __LINE__, "correct horse", "pbkdf2_sha256$x1000$abcdefghijklmnopqrstuv$3sV/SVfT6ME4dIgYVdSlH0jEvyK0z+y3AJvov9Y+8MA=" },
		{ __LINE__, "correct horse", "pbkdf2_sha256$0$abcdefghijklmnopqrstuv$3sV/SVfT6ME4dIgYVdSlH0jEvyK0z+y3AJvov9Y+8MA=" },
		{ __LINE__, "correct horse", "pbkdf2_sha256$99999999999$a$3sV/SVfT6ME4dIgYVdSlH0jEvyK0z+y3AJvov9Y+8MA=" },
		{ __LINE__, "correct horse", "pbkdf2_sha256$1000$abcdefghijklmnopqrstuv$short" },
		{ __LINE__, "", "" },
		{ __LINE__, "correct horse", "!" },	/* Django's unusable password */
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		long it;

		CHECK_AT(bad[i].line, !password_verify(bad[i].pw, bad[i].enc, &it), "verified");
	}
}

static void
hash_has_django_shape_and_fresh_salt(void)
{
	char a[PASSWORD_ENCODED_MAX], b[PASSWORD_ENCODED_MAX];
	const char *salt, *hash;
	long it;

	CHECK(password_hash("s3cret-pass", 1000, a) && password_hash("s3cret-pass", 1000, b), "hash");
	CHECK(strncmp(a, "pbkdf2_sha256$1000$", 19) == 0, "prefix: %s", a);
	salt = a + 19;
	hash = strchr(salt, '$');
	CHECK(hash != NULL && hash - salt == 22, "salt length: %s", a);
	CHECK(strspn(salt, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == 22,
	    "salt alphabet: %s", a);
	CHECK(hash != NULL && strlen(hash + 1) == 44, "hash length: %s", a);
	CHECK(strcmp(a, b) != 0, "two hashes are equal: salts repeat");
	CHECK(password_verify("s3cret-pass", a, &it) && it == 1000, "own hash does not verify");
	CHECK(!password_verify("s3cret-Pass", a, &it), "wrong password verified");
}

/* A few lines of john's password.lst, as the blocklist reads it. */
static const char common_text[] =
    "#!comment: a list of common passwords\n"
    "123456\n12345678\n123456789\npassword\npassword1\niloveyou\nqwertyuiop\n";

static void
policy_follows_the_contract(void)
{
	static const struct {
		int line;
		const char *pw;
		enum password_problem want;
	} cases[] = {
		{ __LINE__, "short12", PASSWORD_TOO_SHORT },
		{ __LINE__, "abcdefg8", PASSWORD_OK },
		/* no composition rule: digits only are a password like any other */
		{ __LINE__, "8203917465", PASSWORD_OK },
		{ __LINE__, "\xdb\xb8\xdb\xb2\xdb\xb0\xdb\xb3\xdb\xb9\xdb\xb1\xdb\xb7\xdb\xb4", PASSWORD_OK },
		{ __LINE__, "abcdefghijklmnop", PASSWORD_OK },
		/* the blocklist, whatever the case */
		{ __LINE__, "12345678", PASSWORD_COMMON },
		{ __LINE__, "password1", PASSWORD_COMMON },
		{ __LINE__, "PassWord1", PASSWORD_COMMON },
		{ __LINE__, "iloveyou", PASSWORD_COMMON },
		{ __LINE__, "QWERTYUIOP", PASSWORD_COMMON },
		{ __LINE__, "password12", PASSWORD_OK },
		/* Persian digits are the list's digits */
		{ __LINE__, "\xdb\xb1\xdb\xb2\xdb\xb3\xdb\xb4\xdb\xb5\xdb\xb6\xdb\xb7\xdb\xb8", PASSWORD_COMMON },
		{ __LINE__, "my09121234567", PASSWORD_CONTAINS_NUMBER },
		{ __LINE__, "x9121234567x", PASSWORD_CONTAINS_NUMBER },
		{ __LINE__, "pw989121234567", PASSWORD_CONTAINS_NUMBER },
		{ __LINE__, "09121234567", PASSWORD_CONTAINS_NUMBER },
		/* the number typed with Persian digits */
		{ __LINE__, "pw\xdb\xb0\xdb\xb9\xdb\xb1\xdb\xb2\xdb\xb1\xdb\xb2\xdb\xb3\xdb\xb4\xdb\xb5\xdb\xb6\xdb\xb7", PASSWORD_CONTAINS_NUMBER },
		{ __LINE__, "0912123456x", PASSWORD_OK },
		/* 8 Persian letters: 16 bytes, 8 characters */
		{ __LINE__, "\xd8\xb3\xd8\xb3\xd8\xb3\xd8\xb3\xd8\xb3\xd8\xb3\xd8\xb3\xd8\xb3", PASSWORD_OK },
		{ __LINE__, "\xd8\xb3\xd8\xb3\xd8\xb3\xd8\xb3\xd8\xb3\xd8\xb3\xd8\xb3", PASSWORD_TOO_SHORT },
	};
	struct blocklist common;
	char why[256], max[PASSWORD_MAX_CHARS + 2], emoji[(PASSWORD_MAX_CHARS + 1) * 4 + 1];

	CHECK(blocklist_parse(common_text, sizeof common_text - 1, &common, why, sizeof why), "%s", why);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_AT(cases[i].line,
		    password_check_policy(cases[i].pw, "09121234567", 8, &common) == cases[i].want,
		    "\"%s\": %d, want %d", cases[i].pw,
		    password_check_policy(cases[i].pw, "09121234567", 8, &common), cases[i].want);
	/* 128 code points, counted as such: 4-byte ones too */
	memset(max, 'a', PASSWORD_MAX_CHARS);
	max[PASSWORD_MAX_CHARS] = '\0';
	CHECK_INT(password_check_policy(max, "09121234567", 8, &common), PASSWORD_OK);
	max[PASSWORD_MAX_CHARS] = 'a';
	max[PASSWORD_MAX_CHARS + 1] = '\0';
	CHECK_INT(password_check_policy(max, "09121234567", 8, &common), PASSWORD_TOO_LONG);
	for (int i = 0; i < PASSWORD_MAX_CHARS + 1; i++)
		memcpy(emoji + 4 * i, "\xf0\x9f\x94\x91", 4);
	emoji[(PASSWORD_MAX_CHARS + 1) * 4] = '\0';
	CHECK_INT(password_check_policy(emoji, "09121234567", 8, &common), PASSWORD_TOO_LONG);
	emoji[PASSWORD_MAX_CHARS * 4] = '\0';
	CHECK_INT(password_check_policy(emoji, "09121234567", 8, &common), PASSWORD_OK);
	/* password_min_length raises the floor, never lowers it */
	CHECK_INT(password_check_policy("abcdefghijk", "09121234567", 12, &common), PASSWORD_TOO_SHORT);
	CHECK_INT(password_check_policy("abcdefghijkl", "09121234567", 12, &common), PASSWORD_OK);
	CHECK_INT(password_check_policy("abcdefg", "09121234567", 4, &common), PASSWORD_TOO_SHORT);
	/* an E.164 number, with and without its + */
	CHECK_INT(password_check_policy("pw+441234567890", "+441234567890", 8, &common),
	    PASSWORD_CONTAINS_NUMBER);
	CHECK_INT(password_check_policy("pw441234567890", "+441234567890", 8, &common),
	    PASSWORD_CONTAINS_NUMBER);
	/* no number known (NULL), no list: only the length */
	CHECK_INT(password_check_policy("09121234567", NULL, 8, NULL), PASSWORD_OK);
	blocklist_free(&common);
}

int
main(void)
{
	RUN(hash_with_salt_matches_django);
	RUN(verify_accepts_django_hashes_at_any_iteration_count);
	RUN(verify_refuses_wrong_and_malformed);
	RUN(hash_has_django_shape_and_fresh_salt);
	RUN(policy_follows_the_contract);
	HARNESS_EXIT();
}
