/*
 * What fuzz_webauthn_register and fuzz_webauthn_login share: the fixed
 * expectations, and the input cut into parts. After the first byte (the
 * target's switches), each part but the last is a 2-byte big-endian length
 * and that many bytes; the last part is the rest. A part is handed to the
 * verifier base64url-encoded, as a browser's JSON would carry it, so the
 * fuzzer works on the decoded bytes; with WA_FUZZ_RAW_TEXT in the switches
 * the parts are passed as they are, to reach the base64url decoder too.
 */
#ifndef WEBAUTHN_INPUT_H
#define WEBAUTHN_INPUT_H

#include <stdbool.h>

#include "fuzz.h"
#include "phoneauth/base64url.h"
#include "phoneauth/webauthn.h"

#define WA_FUZZ_RP_ID "example.com"
#define WA_FUZZ_ORIGIN "https://example.com"
#define WA_FUZZ_RAW_TEXT 0x80

/* The challenge of every seed: bytes 1 to 32. */
static const unsigned char wa_fuzz_challenge[32] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};
/* The same, its last byte changed: what no seed was made for. */
static const unsigned char wa_fuzz_other_challenge[32] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 33,
};
static const char *const wa_fuzz_origins[] = { "https://login.example.com", WA_FUZZ_ORIGIN };
static const char *const wa_fuzz_other_origins[] = { "https://login.example.com" };

struct wa_part {
	const uint8_t *p;	/* the bytes (raw text: decoded by wa_fuzz_bytes) */
	size_t len;
	char *text;		/* as passed to the verifier; owner: this */
	uint8_t *decoded;	/* raw text: its bytes; owner: this */
};

/* Cuts data into n parts; the last one takes what is left. */
static inline void
wa_fuzz_parts(const uint8_t *data, size_t size, struct wa_part *parts, size_t n, bool raw)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = size;

		if (i + 1 < n) {
			len = size >= 2 ? (size_t)data[0] << 8 | data[1] : 0;
			data += size >= 2 ? 2 : size;
			size -= size >= 2 ? 2 : size;
			if (len > size)
				len = size;
		}
		parts[i].p = data;
		parts[i].len = len;
		parts[i].decoded = NULL;
		if (raw) {
			parts[i].text = fuzz_cstring(data, len);
		} else {
			size_t cap = BASE64URL_ENCODED_LEN(len) + 1;

			if ((parts[i].text = malloc(cap)) == NULL ||
			    !base64url_encode(data, len, parts[i].text, cap))
				abort();
		}
		data += len;
		size -= len;
	}
}

static inline struct webauthn_text
wa_fuzz_text(const struct wa_part *part, bool raw)
{
	struct webauthn_text t = { part->text, raw ? part->len : strlen(part->text) };

	return t;
}

/* For an oracle, once the verifier accepted: the bytes each part stands
 * for (raw text: its strict decoding, which must exist then). */
static inline bool
wa_fuzz_bytes(struct wa_part *parts, size_t n, bool raw)
{
	for (size_t i = 0; raw && i < n; i++) {
		size_t cap = parts[i].len + 1, len;

		if ((parts[i].decoded = malloc(cap)) == NULL)
			abort();
		if (!base64url_decode(parts[i].text, parts[i].len, parts[i].decoded, cap, &len))
			return false;
		parts[i].p = parts[i].decoded;
		parts[i].len = len;
	}
	return true;
}

static inline void
wa_fuzz_free(struct wa_part *parts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(parts[i].text);
		free(parts[i].decoded);
	}
}

#endif
