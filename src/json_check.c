/*
 * RFC 8259, strictly: the grammar of a JSON text and nothing more, checked
 * before json-c builds anything. json-c is lenient even in its strict mode
 * (it takes NaN, Infinity, "1." and raw control characters in strings), and
 * a body two parsers would read differently is a body an attacker can aim
 * between them. This file only says yes or no; it never allocates.
 */
#include "phoneauth/json_check.h"

#include <stdbool.h>

struct cursor {
	const unsigned char *p, *end;
	int depth;
};

static bool value(struct cursor *c);

static void
skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool
eat(struct cursor *c, unsigned char ch)
{
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

static bool
is_digit(const struct cursor *c)
{
	return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

static bool
digits(struct cursor *c)
{
	if (!is_digit(c))
		return false;
	while (is_digit(c))
		c->p++;
	return true;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool
number(struct cursor *c)
{
	(void)eat(c, '-');
	if (eat(c, '0')) {
		if (is_digit(c))
			return false;		/* no leading zeros */
	} else if (!digits(c)) {
		return false;
	}
	if (eat(c, '.') && !digits(c))
		return false;
	if (eat(c, 'e') || eat(c, 'E')) {
		if (!eat(c, '+'))
			(void)eat(c, '-');
		if (!digits(c))
			return false;
	}
	return true;
}

/* Four hex digits after \u; their value in *out. */
static bool
hex4(struct cursor *c, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++, c->p++) {
		unsigned ch;

		if (c->p >= c->end)
			return false;
		ch = *c->p;
		if (ch >= '0' && ch <= '9')
			*out = *out * 16 + (ch - '0');
		else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
			*out = *out * 16 + ((ch | 0x20) - 'a' + 10);
		else
			return false;
	}
	return true;
}

/*
 * A string: no raw control characters, only the escapes of the RFC, a \u
 * escape of a surrogate only as a high-low pair (a lone one names no
 * character and could not become UTF-8), and in a key no \u0000: json-c
 * cuts a key short at one, so "phone\u0000x" would stand in for "phone".
 * (In a value a NUL is the field validators' to refuse, by name.) The bytes themselves are already
 * known to be valid UTF-8.
 */
static bool
string(struct cursor *c, bool key)
{
	if (!eat(c, '"'))
		return false;
	while (c->p < c->end) {
		unsigned char ch = *c->p++;
		unsigned u, low;

		if (ch == '"')
			return true;
		if (ch < 0x20)
			return false;
		if (ch != '\\')
			continue;
		if (c->p >= c->end)
			return false;
		ch = *c->p++;
		if (ch == '"' || ch == '\\' || ch == '/' || ch == 'b' || ch == 'f' || ch == 'n' ||
		    ch == 'r' || ch == 't')
			continue;
		if (ch != 'u' || !hex4(c, &u))
			return false;
		if ((u == 0 && key) || (u >= 0xdc00 && u <= 0xdfff))
			return false;		/* a NUL in a key, a low surrogate first */
		if (u >= 0xd800 && u <= 0xdbff &&
		    !(eat(c, '\\') && eat(c, 'u') && hex4(c, &low) && low >= 0xdc00 && low <= 0xdfff))
			return false;
	}
	return false;
}

static bool
literal(struct cursor *c, const char *word)
{
	for (; *word != '\0'; word++)
		if (!eat(c, (unsigned char)*word))
			return false;
	return true;
}

/* '[' or '{' already seen; members until `close`. */
static bool
members(struct cursor *c, unsigned char close, bool object)
{
	if (++c->depth > JSON_CHECK_MAX_DEPTH)
		return false;
	skip_ws(c);
	if (eat(c, close)) {
		c->depth--;
		return true;
	}
	do {
		skip_ws(c);
		if (object) {
			if (!string(c, true))
				return false;
			skip_ws(c);
			if (!eat(c, ':'))
				return false;
		}
		if (!value(c))
			return false;
	} while (eat(c, ','));
	if (!eat(c, close))
		return false;
	c->depth--;
	return true;
}

/* ws value ws */
static bool
value(struct cursor *c)
{
	bool ok;

	skip_ws(c);
	if (c->p >= c->end)
		return false;
	switch (*c->p) {
	case '{':
		c->p++;
		ok = members(c, '}', true);
		break;
	case '[':
		c->p++;
		ok = members(c, ']', false);
		break;
	case '"':
		ok = string(c, false);
		break;
	case 't':
		ok = literal(c, "true");
		break;
	case 'f':
		ok = literal(c, "false");
		break;
	case 'n':
		ok = literal(c, "null");
		break;
	default:
		ok = number(c);
		break;
	}
	skip_ws(c);
	return ok;
}

bool
json_check_strict(const char *text, size_t len)
{
	struct cursor c = { (const unsigned char *)text, (const unsigned char *)text + len, 0 };

	return value(&c) && c.p == c.end;
}
