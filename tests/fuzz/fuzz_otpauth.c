/*
 * totp_uri() with any issuer and label (sms_app_name and the number are not
 * client bytes, but a URI an app reads as another issuer or account would
 * be a phishing aid), and, when the first byte's low bit is set, qr_svg() of
 * the URI. The second byte is the issuer's length; the rest is the issuer
 * then the label (each up to its first NUL).
 *
 * Oracles: a URI has the Key URI Format's frame, only unreserved characters
 * and '%' escapes in the issuer and label, which decode back to exactly the
 * given bytes, the same issuer twice and nothing else; an issuer and a label
 * of plain printable ASCII without ':' within the bounds always give one; a
 * refusal leaves out "". The SVG is a whole document that carries no byte
 * of the URI.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "phoneauth/qr.h"
#include "phoneauth/totp.h"

static const unsigned char secret[TOTP_SECRET_LEN] = "12345678901234567890";

static bool
unreserved(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_' || c == '~';
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes s up to the first of `stop` (or the end), checking it is only
 * unreserved characters and upper-case escapes; compares with want; returns
 * where it stopped. */
static const char *
decode_part(const char *s, const char *stop, const char *want)
{
	size_t o = 0;

	for (; *s && strchr(stop, *s) == NULL; o++) {
		if (*s == '%') {
			int hi = hexval(s[1]), lo = hi >= 0 ? hexval(s[2]) : -1;

			FUZZ_ASSERT(hi >= 0 && lo >= 0);
			FUZZ_ASSERT(want[o] == (char)(hi << 4 | lo));
			s += 3;
		} else {
			FUZZ_ASSERT(unreserved(*s) && want[o] == *s);
			s++;
		}
	}
	FUZZ_ASSERT(want[o] == '\0');
	return s;
}

static bool
plain_ascii(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len == 0 || len > max)
		return false;
	for (; *s; s++)
		if (*s < ' ' || *s > '~' || *s == ':')
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char tail[] = "&algorithm=SHA1&digits=6&period=30";
	char *issuer, *label, *uri, *svg = NULL;
	size_t split, len;
	const char *p;

	if (size < 2)
		return 0;
	split = data[1] <= size - 2 ? data[1] : size - 2;
	issuer = fuzz_cstring(data + 2, split);
	label = fuzz_cstring(data + 2 + split, size - 2 - split);
	if ((uri = malloc(TOTP_URI_MAX)) == NULL)
		abort();
	if (totp_uri(issuer, label, secret, uri, TOTP_URI_MAX)) {
		FUZZ_ASSERT(strncmp(uri, "otpauth://totp/", 15) == 0);
		p = decode_part(uri + 15, ":?&", issuer);
		FUZZ_ASSERT(*p == ':');
		p = decode_part(p + 1, ":?&", label);
		FUZZ_ASSERT(strncmp(p, "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=", 48) == 0);
		p = decode_part(p + 48, ":?&", issuer);
		FUZZ_ASSERT(strcmp(p, tail) == 0);
		if (data[0] & 1) {
			FUZZ_ASSERT(qr_svg(uri, &svg, &len) && svg != NULL && strlen(svg) == len);
			FUZZ_ASSERT(strncmp(svg, "<svg ", 5) == 0 && strcmp(svg + len - 6, "</svg>") == 0);
			FUZZ_ASSERT(strchr(svg, '%') == NULL && strstr(svg, "otpauth") == NULL);
			free(svg);
		}
	} else {
		FUZZ_ASSERT(uri[0] == '\0');
		FUZZ_ASSERT(!plain_ascii(issuer, TOTP_ISSUER_MAX) || !plain_ascii(label, TOTP_LABEL_MAX));
	}
	free(uri);
	free(label);
	free(issuer);
	return 0;
}
