/*
 * The webhook secret: webhook_secret_parse() on any bytes (the contents of
 * webhook_secret_file, NULs included: its length is given).
 *
 * Oracles: a refused secret leaves nothing behind and says why in a
 * string that fits; an accepted one is 24 to 64 bytes whose base64 (as
 * OpenSSL writes it) is exactly the text after whsec_, less one line
 * break: one key, one spelling. It then signs.
 */
#include <stdbool.h>

#include <openssl/evp.h>

#include "fuzz.h"
#include "phoneauth/webhook.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webhook_secret s;
	char *why = malloc(64), sig[WEBHOOK_SIGNATURE_LEN + 1];
	unsigned char b64[WEBHOOK_SECRET_MAX * 2];
	size_t len = size;

	if (why == NULL)
		abort();
	memset(why, 'x', 64);
	if (!webhook_secret_parse((const char *)data, size, &s, why, 64)) {
		static const struct webhook_secret zero;

		FUZZ_ASSERT(memchr(why, '\0', 64) != NULL && why[0] != '\0');
		FUZZ_ASSERT(memcmp(&s, &zero, sizeof s) == 0);
		free(why);
		return 0;
	}
	FUZZ_ASSERT(s.len >= WEBHOOK_SECRET_MIN && s.len <= WEBHOOK_SECRET_MAX);
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if (len > 0 && data[len - 1] == '\r')
		len--;
	FUZZ_ASSERT(len > 6 && memcmp(data, "whsec_", 6) == 0);
	FUZZ_ASSERT((size_t)EVP_EncodeBlock(b64, s.key, (int)s.len) == len - 6);
	FUZZ_ASSERT(memcmp(b64, data + 6, len - 6) == 0);
	FUZZ_ASSERT(webhook_sign(&s, "id", 1, (const char *)data, size, sig));
	webhook_secret_clear(&s);
	free(why);
	return 0;
}
