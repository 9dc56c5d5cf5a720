/*
 * UTF-8 helpers. Input here comes straight from clients, so every function
 * bounds itself by the string it is given and assumes nothing about it.
 */
#include "phoneauth/text.h"

#include <string.h>

bool
text_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len;

	while (s < end) {
		unsigned c = *s;
		size_t need;
		unsigned cp, min;

		if (c < 0x80) {
			s++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			need = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if ((size_t)(end - s) <= need)
			return false;
		for (size_t i = 1; i <= need; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += need + 1;
	}
	return true;
}

size_t
text_utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

bool
text_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

bool
text_ascii_digits(const char *in, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	while (*s) {
		char c;

		/* U+06F0..U+06F9 = DB B0..DB B9, U+0660..U+0669 = D9 A0..D9 A9 */
		if (s[0] == 0xdb && s[1] >= 0xb0 && s[1] <= 0xb9) {
			c = (char)('0' + (s[1] - 0xb0));
			s += 2;
		} else if (s[0] == 0xd9 && s[1] >= 0xa0 && s[1] <= 0xa9) {
			c = (char)('0' + (s[1] - 0xa0));
			s += 2;
		} else {
			c = (char)*s++;
		}
		if (o + 1 >= outlen)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return true;
}

char *
text_trim(char *s)
{
	size_t len;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
	    s[len - 1] == '\r' || s[len - 1] == '\v' || s[len - 1] == '\f'))
		s[--len] = '\0';
	return s;
}
