/* recovery.c: the codes' form and randomness, normalisation, keyed hashes
 * (checked against Python's hmac), constant-time matching. */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "phoneauth/recovery.h"

static const unsigned char data_key[32] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

static bool
display_form(const char *c)
{
	if (strlen(c) != RECOVERY_DISPLAY_LEN)
		return false;
	for (size_t i = 0; i < RECOVERY_DISPLAY_LEN; i++) {
		if (i == 5 || i == 11 || i == 17) {
			if (c[i] != '-')
				return false;
		} else if (!((c[i] >= 'a' && c[i] <= 'z') || (c[i] >= '2' && c[i] <= '7'))) {
			return false;
		}
	}
	return true;
}

/* The value 0..31 of a lower-case base32 character. */
static int
value(char c)
{
	return c >= 'a' ? c - 'a' : c - '2' + 26;
}

static int
by_string(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
codes_are_distinct_lower_case_groups_of_uniform_characters(void)
{
	enum { SETS = 2000, N = SETS * RECOVERY_COUNT };
	static char all[N][RECOVERY_DISPLAY_LEN + 1];
	static long counts[RECOVERY_CHARS][32];
	double worst = 0;

	for (int s = 0; s < SETS; s++) {
		char set[RECOVERY_COUNT][RECOVERY_DISPLAY_LEN + 1];

		CHECK(recovery_generate(set), "CSPRNG");
		for (int i = 0; i < RECOVERY_COUNT; i++) {
			size_t p = 0;

			CHECK(display_form(set[i]), "\"%s\" is not xxxxx-xxxxx-xxxxx-xx", set[i]);
			memcpy(all[s * RECOVERY_COUNT + i], set[i], sizeof set[i]);
			for (const char *c = set[i]; *c; c++)
				if (*c != '-')
					counts[p++][value(*c)]++;
		}
	}
	qsort(all, N, sizeof all[0], by_string);
	for (int i = 1; i < N; i++)
		CHECK(strcmp(all[i - 1], all[i]) != 0, "\"%s\" twice", all[i]);
	/* Chi-square, 31 degrees of freedom per position: 75 is far beyond the
	 * 0.99999 quantile (~67), so every one of the 85 bits must be random,
	 * the last character's five included. */
	for (int p = 0; p < RECOVERY_CHARS; p++) {
		double chi = 0, expected = N / 32.0;

		for (int v = 0; v < 32; v++)
			chi += (counts[p][v] - expected) * (counts[p][v] - expected) / expected;
		if (chi > worst)
			worst = chi;
	}
	CHECK(worst < 75.0, "character frequencies are skewed: chi-square %.1f", worst);
}

static const struct {
	int line;
	const char *in, *out;	/* out NULL: refused */
} inputs[] = {
	{ __LINE__, "abcde-23456-fghij-k7", "ABCDE23456FGHIJK7" },
	{ __LINE__, "ABCDE-23456-FGHIJ-K7", "ABCDE23456FGHIJK7" },
	{ __LINE__, "abcde23456fghijk7", "ABCDE23456FGHIJK7" },
	{ __LINE__, " abcde 23456\tfghij k7 ", "ABCDE23456FGHIJK7" },
	{ __LINE__, "aBcDe--23456-FgHiJ-k7", "ABCDE23456FGHIJK7" },
	/* Persian ۲۳۴۵۶ and Arabic-Indic ٧ for the digits */
	{ __LINE__, "abcde-\xdb\xb2\xdb\xb3\xdb\xb4\xdb\xb5\xdb\xb6-fghij-k\xd9\xa7",
	  "ABCDE23456FGHIJK7" },
	{ __LINE__, "abcde-23456-fghij-k", NULL },	/* 16 characters */
	{ __LINE__, "abcde-23456-fghij-k7a", NULL },	/* 18 */
	{ __LINE__, "abcde-23456-fghij-k0", NULL },	/* 0 is not base32 */
	{ __LINE__, "abcde-23456-fghij-k1", NULL },
	{ __LINE__, "abcde-23456-fghij-k8", NULL },
	{ __LINE__, "abcde-23456-fghij-k9", NULL },
	{ __LINE__, "abcde_23456_fghij_k7", NULL },
	{ __LINE__, "abcde-23456-fghij-k7=", NULL },
	{ __LINE__, "abcde-23456-fghij-k\xdb\xb9", NULL },	/* Persian 9 */
	{ __LINE__, "\xc3\xa1" "bcde-23456-fghij-k7", NULL },
	{ __LINE__, "", NULL },
	{ __LINE__, "123456", NULL },
	/* 64 bytes are read, 65 are not, whatever they are */
	{ __LINE__, "abcde                                               23456fghijk7",
	  "ABCDE23456FGHIJK7" },
	{ __LINE__, "abcde                                                23456fghijk7", NULL },
};

static void
typed_codes_normalise_to_one_form(void)
{
	char out[RECOVERY_CHARS + 1];

	for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
		bool ok = recovery_normalize(inputs[i].in, out);

		if (inputs[i].out != NULL)
			CHECK_AT(inputs[i].line, ok && strcmp(out, inputs[i].out) == 0, "\"%s\" gave %s",
			    inputs[i].in, ok ? out : "a refusal");
		else
			CHECK_AT(inputs[i].line, !ok && out[0] == '\0', "\"%s\" accepted as %s",
			    inputs[i].in, out);
	}
	CHECK(!recovery_normalize(NULL, out), "NULL");
}

static void
hex_of(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* Computed with Python's hmac (no code of ours):
 *   k = hmac.new(bytes(range(32)), b"phoneauth recovery code key v1", "sha256").digest()
 *   hmac.new(k, BINDING + b":" + CODE, "sha256").hexdigest()  */
static const struct {
	int line;
	const char *binding, *code, *hash;
} hashes[] = {
	{ __LINE__, "42", "abcde-23456-fghij-k", NULL },
	{ __LINE__, "42", "abcde-23456-fghij-k77", NULL },
	{ __LINE__, "42", "ABCDE-23456-FGHIJ-K", NULL },
	{ __LINE__, "42", "ABCDE234567FGHIJK",
	  "98628cb1df8c73ffd8b32ca7dcfd9a5a0920c3a8d8f34ee4d99c99d9a2f4ee46" },
	{ __LINE__, "42", "abcde-23456-7fghi-jk",
	  "98628cb1df8c73ffd8b32ca7dcfd9a5a0920c3a8d8f34ee4d99c99d9a2f4ee46" },
	{ __LINE__, "user:7", "aaaaa-bbbbb-ccccc-22",
	  "431e999750f473a4ac877b0b09ad5f1aa11757d42deea4ed3f8a2a25c7fd161e" },
};

static void
hashes_match_python_hmac(void)
{
	struct recovery_key key;

	CHECK(recovery_key_derive(data_key, sizeof data_key, &key), "derive");
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++) {
		unsigned char h[RECOVERY_HASH_LEN];
		char got[2 * RECOVERY_HASH_LEN + 1] = "";
		bool ok = recovery_hash(&key, hashes[i].binding, hashes[i].code, h);

		if (ok)
			hex_of(h, sizeof h, got);
		if (hashes[i].hash == NULL)
			CHECK_AT(hashes[i].line, !ok, "\"%s\" hashed", hashes[i].code);
		else
			CHECK_AT(hashes[i].line, ok && strcmp(got, hashes[i].hash) == 0, "got %s", got);
	}
	recovery_key_wipe(&key);
	CHECK(!recovery_key_derive(data_key, 15, &key), "a 15-byte key");
}

static void
each_code_matches_its_own_hash_only(void)
{
	char codes[RECOVERY_COUNT][RECOVERY_DISPLAY_LEN + 1], binding[RECOVERY_BINDING_MAX + 2];
	unsigned char stored[RECOVERY_COUNT][RECOVERY_HASH_LEN], h[RECOVERY_HASH_LEN];
	struct recovery_key key, other;
	unsigned char other_key[32];

	memcpy(other_key, data_key, sizeof other_key);
	other_key[31] ^= 1;
	CHECK(recovery_key_derive(data_key, sizeof data_key, &key) &&
	    recovery_key_derive(other_key, sizeof other_key, &other), "derive");
	CHECK(recovery_generate(codes), "generate");
	for (int i = 0; i < RECOVERY_COUNT; i++)
		CHECK(recovery_hash(&key, "1001", codes[i], stored[i]), "hash %d", i);
	for (int i = 0; i < RECOVERY_COUNT; i++) {
		char typed[64];

		CHECK(recovery_hash(&key, "1001", codes[i], h), "hash");
		CHECK_INT(recovery_match((const unsigned char (*)[RECOVERY_HASH_LEN])stored,
		    RECOVERY_COUNT, h), i);
		/* as a user may type it: upper case, no dashes */
		for (size_t j = 0, o = 0; j <= strlen(codes[i]); j++)
			if (codes[i][j] != '-')
				typed[o++] = (char)(codes[i][j] >= 'a' ? codes[i][j] - 32 : codes[i][j]);
		CHECK(recovery_hash(&key, "1001", typed, h), "hash of %s", typed);
		CHECK_INT(recovery_match((const unsigned char (*)[RECOVERY_HASH_LEN])stored,
		    RECOVERY_COUNT, h), i);
		/* another account's binding, another key, one character off */
		CHECK(recovery_hash(&key, "1002", codes[i], h), "hash");
		CHECK_INT(recovery_match((const unsigned char (*)[RECOVERY_HASH_LEN])stored,
		    RECOVERY_COUNT, h), -1);
		CHECK(recovery_hash(&other, "1001", codes[i], h), "hash");
		CHECK_INT(recovery_match((const unsigned char (*)[RECOVERY_HASH_LEN])stored,
		    RECOVERY_COUNT, h), -1);
		typed[3] = typed[3] == 'A' ? 'B' : 'A';
		CHECK(recovery_hash(&key, "1001", typed, h), "hash");
		CHECK_INT(recovery_match((const unsigned char (*)[RECOVERY_HASH_LEN])stored,
		    RECOVERY_COUNT, h), -1);
	}
	/* A used code is gone from the set the caller passes: it matches no more. */
	CHECK(recovery_hash(&key, "1001", codes[4], h), "hash");
	CHECK_INT(recovery_match((const unsigned char (*)[RECOVERY_HASH_LEN])stored, 4, h), -1);
	CHECK_INT(recovery_match((const unsigned char (*)[RECOVERY_HASH_LEN])stored, 0, h), -1);
	/* The binding: 1 to RECOVERY_BINDING_MAX bytes */
	CHECK(!recovery_hash(&key, "", codes[0], h), "an empty binding");
	CHECK(!recovery_hash(&key, NULL, codes[0], h), "a NULL binding");
	memset(binding, 'b', sizeof binding);
	binding[RECOVERY_BINDING_MAX] = '\0';
	CHECK(recovery_hash(&key, binding, codes[0], h), "the longest binding");
	binding[RECOVERY_BINDING_MAX] = 'b';
	binding[RECOVERY_BINDING_MAX + 1] = '\0';
	CHECK(!recovery_hash(&key, binding, codes[0], h), "a binding too long");
	recovery_key_wipe(&key);
	recovery_key_wipe(&other);
}

int
main(void)
{
	RUN(codes_are_distinct_lower_case_groups_of_uniform_characters);
	RUN(typed_codes_normalise_to_one_form);
	RUN(hashes_match_python_hmac);
	RUN(each_code_matches_its_own_hash_only);
	HARNESS_EXIT();
}
