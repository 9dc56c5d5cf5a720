/* seal.c: AES-256-GCM at rest — round trips, every tamper refused, the key
 * file's checks; python3-cryptography's AESGCM as the oracle. */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>

#include "harness.h"
#include "tool.h"
#include "phoneauth/seal.h"

#define ORACLE "tests/unit/seal_oracle.py"

static const struct seal_key key = { {
	0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca, 0x71, 0xbe, 0x2b, 0x73, 0xae, 0xf0, 0x85, 0x7d, 0x77, 0x81,
	0x1f, 0x35, 0x2c, 0x07, 0x3b, 0x61, 0x08, 0xd7, 0x2d, 0x98, 0x10, 0xa3, 0x09, 0x14, 0xdf, 0xf4,
} };
static const char key_hex[] = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";

static bool
b64url_only(const char *s)
{
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(s);
}

static void
round_trips_in_the_v1_text_form(void)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 20, 100, SEAL_PLAIN_MAX };
	static unsigned char plain[SEAL_PLAIN_MAX], back[SEAL_PLAIN_MAX];
	static char text[SEAL_TEXT_MAX];

	for (size_t i = 0; i < sizeof plain; i++)
		plain[i] = (unsigned char)(i * 7 + 3);
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		size_t n = 99;

		CHECK(seal_encrypt(&key, plain, lens[i], "totp:42", text, sizeof text), "seal %zu", lens[i]);
		CHECK(strlen(text) == SEAL_TEXT_LEN(lens[i]), "%zu bytes: %zu characters", lens[i],
		    strlen(text));
		CHECK(strncmp(text, "v1.", 3) == 0 && text[19] == '.' && strchr(text + 20, '.') == NULL,
		    "form: %.40s", text);
		text[19] = '\0';
		CHECK(b64url_only(text + 3) && b64url_only(text + 20), "not base64url");
		text[19] = '.';
		memset(back, 0, sizeof back);
		CHECK(seal_decrypt(&key, text, "totp:42", back, sizeof back, &n) && n == lens[i] &&
		    memcmp(back, plain, n) == 0, "%zu bytes do not come back", lens[i]);
		/* exactly the room it needs */
		CHECK(seal_decrypt(&key, text, "totp:42", back, lens[i], &n) && n == lens[i], "cap");
		if (lens[i] > 0)
			CHECK(!seal_decrypt(&key, text, "totp:42", back, lens[i] - 1, &n) && n == 0,
			    "%zu bytes into %zu", lens[i], lens[i] - 1);
	}
	CHECK(!seal_encrypt(&key, plain, SEAL_PLAIN_MAX + 1, "b", text, sizeof text), "too long");
	CHECK_STR(text, "");
	CHECK(!seal_encrypt(&key, plain, 20, "b", text, SEAL_TEXT_LEN(20)), "no room for the NUL");
	CHECK(seal_encrypt(&key, plain, 20, "b", text, SEAL_TEXT_LEN(20) + 1), "exactly the room");
	CHECK(!seal_encrypt(&key, plain, 20, "", text, sizeof text), "an empty binding");
	CHECK(!seal_encrypt(&key, plain, 20, NULL, text, sizeof text), "a NULL binding");
}

static void
two_seals_of_one_secret_differ_in_nonce(void)
{
	char a[SEAL_TEXT_MAX], b[SEAL_TEXT_MAX];

	CHECK(seal_encrypt(&key, "secret", 6, "totp:1", a, sizeof a) &&
	    seal_encrypt(&key, "secret", 6, "totp:1", b, sizeof b), "seal");
	CHECK(strncmp(a, b, 19) != 0, "the same nonce twice: %s %s", a, b);
	CHECK(strcmp(a + 20, b + 20) != 0, "the same ciphertext twice");
}

/* What a failed open leaves: *len 0 and no byte of the plaintext. */
static void
check_refused(int line, const char *text, const char *binding, const struct seal_key *k,
    const char *why)
{
	unsigned char back[64];
	size_t n = 99;

	memset(back, 0, sizeof back);
	CHECK_AT(line, !seal_decrypt(k, text, binding, back, sizeof back, &n), "opened: %s", why);
	CHECK_AT(line, n == 0, "*len %zu: %s", n, why);
	/* GCM decrypts before the tag is checked: what it wrote must be gone */
	for (size_t i = 0; i < sizeof back; i++)
		CHECK_AT(line, back[i] == 0, "plaintext byte %zu left behind: %s", i, why);
}

static void
any_changed_byte_binding_or_key_is_refused(void)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=v";
	char text[SEAL_TEXT_MAX], bad[SEAL_TEXT_MAX];
	struct seal_key other = key;
	size_t len;

	CHECK(seal_encrypt(&key, "JBSWY3DPEHPK3PXP", 16, "totp:42", text, sizeof text), "seal");
	len = strlen(text);
	/* every position, every other character it could hold */
	for (size_t i = 0; i < len; i++) {
		for (const char *c = alphabet; *c; c++) {
			if (*c == text[i])
				continue;
			memcpy(bad, text, len + 1);
			bad[i] = *c;
			check_refused(__LINE__, bad, "totp:42", &key, "a changed character");
		}
	}
	for (size_t i = 0; i < len; i++) {
		memcpy(bad, text, i);
		bad[i] = '\0';
		check_refused(__LINE__, bad, "totp:42", &key, "a truncated text");
	}
	snprintf(bad, sizeof bad, "%sA", text);
	check_refused(__LINE__, bad, "totp:42", &key, "a character more");
	snprintf(bad, sizeof bad, "%sAAAA", text);
	check_refused(__LINE__, bad, "totp:42", &key, "a block more");
	snprintf(bad, sizeof bad, "v2%s", text + 2);
	check_refused(__LINE__, bad, "totp:42", &key, "another version");
	check_refused(__LINE__, text, "totp:43", &key, "another account");
	check_refused(__LINE__, text, "totp:4", &key, "a prefix of the binding");
	check_refused(__LINE__, text, "totp:42 ", &key, "a longer binding");
	check_refused(__LINE__, text, "recovery:42", &key, "another purpose");
	for (size_t bit = 0; bit < 8 * SEAL_KEY_LEN; bit += 37) {
		other = key;
		other.bytes[bit / 8] ^= (unsigned char)(1u << bit % 8);
		check_refused(__LINE__, text, "totp:42", &other, "another key");
	}
	check_refused(__LINE__, "", "totp:42", &key, "nothing");
	check_refused(__LINE__, text, "", &key, "an empty binding");
}

static void
texts_longer_than_the_bound_are_not_read(void)
{
	static char text[SEAL_TEXT_MAX + 8];

	CHECK(seal_encrypt(&key, "JBSWY3DPEHPK3PXP", 16, "totp:42", text, sizeof text), "seal");
	/* The same text padded past SEAL_TEXT_MAX with characters that would only
	 * be read if the bound were not kept. */
	memset(text + strlen(text), 'A', sizeof text - strlen(text) - 1);
	text[sizeof text - 1] = '\0';
	check_refused(__LINE__, text, "totp:42", &key, "a text over SEAL_TEXT_MAX");
	CHECK(!seal_decrypt(&key, NULL, "totp:42", text, 8, &(size_t){ 0 }), "NULL text");
}

static void
texts_open_in_python_cryptography_and_back(void)
{
	char text[SEAL_TEXT_MAX], cmd[SEAL_TEXT_MAX + 256], out[4096];
	unsigned char back[64];
	size_t n = 0;
	int st;

	if (!tool_have(TOOL_PYTHON) || access(ORACLE, R_OK) != 0) {
		CHECK(0, "%s or %s is missing (scripts/deps.sh test; run from the top of the tree)",
		    TOOL_PYTHON, ORACLE);
		return;
	}
	CHECK(seal_encrypt(&key, "JBSWY3DPEHPK3PXP", 16, "totp:42", text, sizeof text), "seal");
	snprintf(cmd, sizeof cmd, "%s %s open %s totp:42 %s 2>&1", TOOL_PYTHON, ORACLE, key_hex, text);
	st = tool_run(cmd, out, sizeof out);
	CHECK(st == 0 && strcmp(out, "4a425357593344504548504b33505850\n") == 0,
	    "Python opened %s as %s", text, out);
	snprintf(cmd, sizeof cmd, "%s %s open %s totp:43 %s 2>&1", TOOL_PYTHON, ORACLE, key_hex, text);
	st = tool_run(cmd, out, sizeof out);
	CHECK(st != 0 && strstr(out, "InvalidTag") != NULL, "Python opened it with another binding");
	snprintf(cmd, sizeof cmd, "%s %s seal %s totp:7 %s 2>&1", TOOL_PYTHON, ORACLE, key_hex,
	    "00ff10203040506070");
	st = tool_run(cmd, out, sizeof out);
	out[strcspn(out, "\n")] = '\0';
	CHECK(st == 0 && seal_decrypt(&key, out, "totp:7", back, sizeof back, &n) && n == 9 &&
	    memcmp(back, "\x00\xff\x10\x20\x30\x40\x50\x60\x70", 9) == 0, "Python's text %s", out);
	check_refused(__LINE__, out, "totp:8", &key, "Python's text, another binding");
}

/* A key file of these bytes and mode, loaded: true if it was, why in why. */
static bool
load(const char *bytes, size_t len, mode_t mode, struct seal_key *k, char *why, size_t whylen)
{
	char path[64];
	bool ok;

	if (!tool_tmpfile("seal-key", bytes, len, path) || chmod(path, mode) != 0)
		return false;
	ok = seal_key_load(path, k, why, whylen);
	unlink(path);
	return ok;
}

static const struct {
	int line;
	const char *bytes;
	size_t len;
	mode_t mode;
	bool ok;
	const char *why;	/* a piece of the reason */
} key_files[] = {
	{ __LINE__, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4\n", 65, 0600, true, "" },
	{ __LINE__, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", 64, 0600, true, "" },
	{ __LINE__, "603DEB1015CA71BE2B73AEF0857D77811F352C073B6108D72D9810A30914DFF4\r\n", 66, 0400, true, "" },
	{ __LINE__, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4\n", 65, 0640, true, "" },
	{ __LINE__, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4\n", 65, 0440, true, "" },
	{ __LINE__, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4\n", 65, 0644, false, "mode 644" },
	{ __LINE__, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4\n", 65, 0604, false, "mode 604" },
	{ __LINE__, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4\n", 65, 0660, false, "mode 660" },
	{ __LINE__, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4\n", 65, 0602, false, "mode 602" },
	{ __LINE__, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff", 63, 0600, false, "32 bytes" },
	{ __LINE__, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4\n\n", 66, 0600, false, "32 bytes" },
	{ __LINE__, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4a", 65, 0600, false, "32 bytes" },
	{ __LINE__, "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dffg", 64, 0600, false, "32 bytes" },
	{ __LINE__, " 03deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", 64, 0600, false, "32 bytes" },
	{ __LINE__, "YD3rEBXKcb4rc67whX13gR81LAc7YQjXLZgQowkU3/Q=\n", 45, 0600, false, "32 bytes" },
	{ __LINE__, "0123456789abcdef0123456789abcde", 31, 0600, false, "not 31 bytes" },
	{ __LINE__, "", 0, 0600, false, "not 0 bytes" },
};

static void
key_files_are_checked_as_the_jwt_secret_is_and_for_their_mode(void)
{
	for (size_t i = 0; i < sizeof key_files / sizeof key_files[0]; i++) {
		struct seal_key k;
		char why[256] = "";
		bool ok = load(key_files[i].bytes, key_files[i].len, key_files[i].mode, &k, why, sizeof why);

		CHECK_AT(key_files[i].line, ok == key_files[i].ok, "%s: %s", ok ? "loaded" : "refused", why);
		if (ok)
			CHECK_AT(key_files[i].line, memcmp(k.bytes, key.bytes, SEAL_KEY_LEN) == 0,
			    "another key");
		else
			CHECK_AT(key_files[i].line, strncmp(why, "data_key_file: ", 15) == 0 &&
			    strstr(why, key_files[i].why) != NULL, "why: %s", why);
		seal_key_wipe(&k);
	}
}

static void
raw_keys_missing_files_and_what_is_no_file_are_handled(void)
{
	struct seal_key k;
	char why[256] = "";

	CHECK(load((const char *)key.bytes, SEAL_KEY_LEN, 0600, &k, why, sizeof why) &&
	    memcmp(k.bytes, key.bytes, SEAL_KEY_LEN) == 0, "32 raw bytes: %s", why);
	CHECK(!seal_key_load("/nonexistent/phoneauth/data.key", &k, why, sizeof why) &&
	    strstr(why, "No such file") != NULL, "why: %s", why);
	CHECK(!seal_key_load("/tmp", &k, why, sizeof why) && strstr(why, "not a regular file"),
	    "why: %s", why);
	CHECK(!seal_key_load(NULL, &k, why, sizeof why) && strstr(why, "must be set"), "why: %s", why);
	{
		/* A FIFO neither blocks the start nor passes for a key. */
		char path[] = "/tmp/phoneauth-seal-fifo-XXXXXX";
		int fd = mkstemp(path);

		CHECK(fd >= 0 && close(fd) == 0 && unlink(path) == 0 && mkfifo(path, 0600) == 0, "mkfifo");
		CHECK(!seal_key_load(path, &k, why, sizeof why) && strstr(why, "not a regular file"),
		    "why: %s", why);
		unlink(path);
	}
	for (size_t i = 0; i < SEAL_KEY_LEN; i++)
		CHECK(k.bytes[i] == 0, "a refused load left key bytes");
}

int
main(void)
{
	RUN(round_trips_in_the_v1_text_form);
	RUN(two_seals_of_one_secret_differ_in_nonce);
	RUN(any_changed_byte_binding_or_key_is_refused);
	RUN(texts_longer_than_the_bound_are_not_read);
	RUN(texts_open_in_python_cryptography_and_back);
	RUN(key_files_are_checked_as_the_jwt_secret_is_and_for_their_mode);
	RUN(raw_keys_missing_files_and_what_is_no_file_are_handled);
	HARNESS_EXIT();
}
