/*
 * Events (see event.h): the types and their data keys in one table, the
 * event written as JSON, and the webhook_events filter.
 *
 * The JSON is written by hand, not with json-c: an event is made on the
 * request path (every login makes one), and json-c builds a tree of
 * allocated objects, hashes its keys and walks it again to print it, for an
 * object whose shape is fixed; tests/unit/test_event.c measures both and
 * checks every output with json-c's parser. Writing by hand is only safe
 * because every string goes through one function, put_string(), which
 * escapes what JSON requires, turns what is not UTF-8 into U+FFFD, and
 * never writes past the end of the buffer. Nothing here may write a byte
 * of a value by any other path.
 */
#include "phoneauth/event.h"

#include <stdio.h>
#include <string.h>

#include <uuid/uuid.h>

#include "phoneauth/random.h"

struct key_info {
	const char *name;
	enum event_value_kind kind;	/* STRING or TIME; either may be null */
	const char *const *allowed;	/* NULL: any string */
};

struct type_info {
	const char *name;
	enum event_notice notice;
	struct key_info keys[EVENT_DATA_MAX];	/* name NULL: no more keys */
};

static const char *const methods[] = { "password", "code", "passkey", NULL };
static const char *const vias[] = { "change", "reset", NULL };
static const char *const whys[] = {
	"logout", "logout_all", "ended", "reuse", "password", "admin", NULL
};
static const char *const kinds[] = { "ip", "number", NULL };

#define S(n) { n, EVENT_VALUE_STRING, NULL }
#define E(n, set) { n, EVENT_VALUE_STRING, set }
#define T(n) { n, EVENT_VALUE_TIME, NULL }

/* The contract's list (API.md, "Events and notices"), in its order. */
static const struct type_info types[EVENT__MAX] = {
	[EVENT_SIGNUP_COMPLETED] = { "signup.completed", EVENT_NOTICE_NONE, { { 0 } } },
	[EVENT_LOGIN_SUCCEEDED] = { "login.succeeded", EVENT_NOTICE_NONE,
	    { E("method", methods), S("mfa") } },
	[EVENT_LOGIN_FAILED] = { "login.failed", EVENT_NOTICE_NONE, { S("reason") } },
	[EVENT_MFA_FAILED] = { "mfa.failed", EVENT_NOTICE_NONE, { { 0 } } },
	[EVENT_PASSWORD_CHANGED] = { "password.changed", EVENT_NOTICE_ACCOUNT,
	    { E("via", vias) } },
	[EVENT_PHONE_CHANGED] = { "phone.changed", EVENT_NOTICE_OLD_NUMBER,
	    { S("old"), S("new") } },
	[EVENT_ACCOUNT_DELETED] = { "account.deleted", EVENT_NOTICE_ACCOUNT, { { 0 } } },
	[EVENT_SESSION_REVOKED] = { "session.revoked", EVENT_NOTICE_NONE,
	    { S("sid"), E("why", whys) } },
	[EVENT_TOKEN_REUSED] = { "token.reused", EVENT_NOTICE_NONE, { S("sid") } },
	[EVENT_BLOCK_STARTED] = { "block.started", EVENT_NOTICE_NONE,
	    { E("kind", kinds), T("until") } },
	[EVENT_MFA_ENABLED] = { "mfa.enabled", EVENT_NOTICE_ACCOUNT, { { 0 } } },
	[EVENT_MFA_DISABLED] = { "mfa.disabled", EVENT_NOTICE_ACCOUNT, { { 0 } } },
	[EVENT_RECOVERY_CODES_RENEWED] = { "recovery_codes.renewed", EVENT_NOTICE_NONE, { { 0 } } },
	[EVENT_PASSKEY_ADDED] = { "passkey.added", EVENT_NOTICE_ACCOUNT, { S("id") } },
	[EVENT_PASSKEY_REMOVED] = { "passkey.removed", EVENT_NOTICE_NONE, { S("id") } },
	[EVENT_USER_BANNED] = { "user.banned", EVENT_NOTICE_NONE, { { 0 } } },
	[EVENT_USER_UNBANNED] = { "user.unbanned", EVENT_NOTICE_NONE, { { 0 } } },
};

#undef S
#undef E
#undef T

static bool
type_valid(enum event_type type)
{
	return (unsigned)type < EVENT__MAX;
}

const char *
event_type_name(enum event_type type)
{
	return type_valid(type) ? types[type].name : NULL;
}

bool
event_type_from_name(const char *name, size_t len, enum event_type *out)
{
	for (int t = 0; t < EVENT__MAX; t++) {
		if (strlen(types[t].name) == len && memcmp(types[t].name, name, len) == 0) {
			*out = (enum event_type)t;
			return true;
		}
	}
	return false;
}

enum event_notice
event_notice_of(enum event_type type)
{
	return type_valid(type) ? types[type].notice : EVENT_NOTICE_NONE;
}

/* A version 4 UUID in lower case, from the CSPRNG as session ids are; when
 * OpenSSL cannot give bytes, libuuid's getrandom(2) does, so that a
 * recorded change never lacks its event for want of an id. */
static void
new_id(char out[EVENT_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uuid_t u;
	char *o = out;

	if (!random_bytes(u, sizeof u)) {
		uuid_generate_random(u);
	} else {
		u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
		u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	}
	for (size_t i = 0; i < sizeof u; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[u[i] >> 4];
		*o++ = hex[u[i] & 15];
	}
	*o = '\0';
}

bool
event_init(struct event *ev, enum event_type type, long long at_ms)
{
	memset(ev, 0, sizeof *ev);
	if (!type_valid(type))
		return false;
	ev->type = type;
	ev->at_ms = at_ms;
	new_id(ev->id);
	return true;
}

/* The index of data key `key` of the event's type, or -1. */
static int
key_index(const struct event *ev, const char *key)
{
	if (!type_valid(ev->type) || key == NULL)
		return -1;
	for (int i = 0; i < EVENT_DATA_MAX && types[ev->type].keys[i].name != NULL; i++)
		if (strcmp(types[ev->type].keys[i].name, key) == 0)
			return i;
	return -1;
}

bool
event_set(struct event *ev, const char *key, const char *value)
{
	int i = key_index(ev, key);
	const struct key_info *k;

	if (i < 0)
		return false;
	k = &types[ev->type].keys[i];
	if (value == NULL) {
		ev->data[i] = (struct event_value){ .kind = EVENT_VALUE_NULL };
		return true;
	}
	if (k->kind != EVENT_VALUE_STRING)
		return false;
	if (k->allowed != NULL) {
		const char *const *a = k->allowed;

		while (*a != NULL && strcmp(*a, value) != 0)
			a++;
		if (*a == NULL)
			return false;
	}
	ev->data[i] = (struct event_value){ .kind = EVENT_VALUE_STRING, .str = value };
	return true;
}

bool
event_set_time(struct event *ev, const char *key, long long ms)
{
	int i = key_index(ev, key);

	if (i < 0 || types[ev->type].keys[i].kind != EVENT_VALUE_TIME)
		return false;
	ev->data[i] = (struct event_value){ .kind = EVENT_VALUE_TIME, .ms = ms };
	return true;
}

/* 9999-12-31T23:59:59.999Z */
#define TIME_MAX_MS 253402300799999LL

/* Days since 1970-01-01 to a civil date (H. Hinnant's civil_from_days, for
 * days >= 0): no gmtime_r, no locale, no time zone file. */
static void
civil_from_days(long long z, int *y, int *m, int *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static void
digits(char *p, int value, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + value % 10);
		value /= 10;
	}
}

bool
event_time(long long ms, char out[EVENT_TIME_LEN + 1])
{
	long long secs, days;
	int y, mo, d, rest;

	if (ms < 0 || ms > TIME_MAX_MS) {
		out[0] = '\0';
		return false;
	}
	secs = ms / 1000;
	days = secs / 86400;
	rest = (int)(secs % 86400);
	civil_from_days(days, &y, &mo, &d);
	memcpy(out, "0000-00-00T00:00:00.000Z", EVENT_TIME_LEN + 1);
	digits(out, y, 4);
	digits(out + 5, mo, 2);
	digits(out + 8, d, 2);
	digits(out + 11, rest / 3600, 2);
	digits(out + 14, rest / 60 % 60, 2);
	digits(out + 17, rest % 60, 2);
	digits(out + 20, (int)(ms % 1000), 3);
	return true;
}

/* The output buffer: `ok` turns false at the first byte that does not fit,
 * and then nothing more is written. One byte is always kept for the NUL. */
struct out {
	char *p, *end;
	bool ok;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (!o->ok || (size_t)(o->end - o->p) <= n) {
		o->ok = false;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
}

#define PUT_LIT(o, lit) put(o, lit, sizeof lit - 1)

/* The length of a well-formed UTF-8 sequence at s (at most `left` bytes),
 * 0 if there is none there (strict: no overlongs, no surrogates, nothing
 * above U+10FFFF, as text_utf8_valid). *cp is its code point. */
static size_t
utf8_sequence(const unsigned char *s, size_t left, unsigned *cp)
{
	unsigned c = s[0], min;
	size_t need;

	if ((c & 0xe0) == 0xc0)
		need = 1, *cp = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		need = 2, *cp = c & 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		need = 3, *cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (left <= need)
		return 0;
	for (size_t i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return need + 1;
}

/*
 * s as a JSON string, quotes included, of at most max_chars code points.
 * Escaped: '"', '\\', every control character (U+0000..U+001F, U+007F) and
 * U+2028/U+2029 (JSON allows them raw, JavaScript source before ES2019 did
 * not, and a receiver may paste an event into a script). A byte that does
 * not start a well-formed sequence becomes U+FFFD, so the output is always
 * UTF-8 whatever the input was.
 */
static void
put_string(struct out *o, const char *str, size_t max_chars)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t left = strlen(str), chars = 0;

	PUT_LIT(o, "\"");
	while (left > 0 && chars < max_chars && o->ok) {
		size_t run = 0;
		unsigned cp;

		/* the common case: a run of printable ASCII, copied at once */
		while (run < left && chars + run < max_chars && s[run] >= 0x20 && s[run] < 0x7f &&
		    s[run] != '"' && s[run] != '\\')
			run++;
		if (run > 0) {
			put(o, (const char *)s, run);
			s += run;
			left -= run;
			chars += run;
			continue;
		}
		if (*s < 0x80) {
			char esc[6] = { '\\', 'u', '0', '0', hex[*s >> 4], hex[*s & 15] };

			if (*s == '"')
				PUT_LIT(o, "\\\"");
			else if (*s == '\\')
				PUT_LIT(o, "\\\\");
			else if (*s == '\n')
				PUT_LIT(o, "\\n");
			else if (*s == '\r')
				PUT_LIT(o, "\\r");
			else if (*s == '\t')
				PUT_LIT(o, "\\t");
			else
				put(o, esc, sizeof esc);
			s++;
			left--;
		} else if ((run = utf8_sequence(s, left, &cp)) == 0) {
			PUT_LIT(o, "\xef\xbf\xbd");
			s++;
			left--;
		} else {
			if (cp == 0x2028)
				PUT_LIT(o, "\\u2028");
			else if (cp == 0x2029)
				PUT_LIT(o, "\\u2029");
			else
				put(o, (const char *)s, run);
			s += run;
			left -= run;
		}
		chars++;
	}
	PUT_LIT(o, "\"");
}

static void
put_string_or_null(struct out *o, const char *s, size_t max_chars)
{
	if (s == NULL)
		PUT_LIT(o, "null");
	else
		put_string(o, s, max_chars);
}

static void
put_time(struct out *o, long long ms)
{
	char t[EVENT_TIME_LEN + 3];

	t[0] = '"';
	if (!event_time(ms, t + 1)) {
		o->ok = false;
		return;
	}
	t[EVENT_TIME_LEN + 1] = '"';
	put(o, t, EVENT_TIME_LEN + 2);
}

static void
put_int(struct out *o, long long v)
{
	char buf[24], *p = buf + sizeof buf;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		*--p = '-';
	put(o, p, (size_t)(buf + sizeof buf - p));
}

bool
event_render(const struct event *ev, char *out, size_t outlen, size_t *len)
{
	struct out o = { out, out + outlen, outlen > 0 };
	const struct type_info *t;

	*len = 0;
	if (outlen == 0)
		return false;
	out[0] = '\0';
	if (!type_valid(ev->type) || strnlen(ev->id, sizeof ev->id) != EVENT_ID_LEN)
		return false;
	t = &types[ev->type];
	PUT_LIT(&o, "{\"id\":");
	put_string(&o, ev->id, EVENT_ID_LEN);
	PUT_LIT(&o, ",\"type\":\"");
	put(&o, t->name, strlen(t->name));
	PUT_LIT(&o, "\",\"at\":");
	put_time(&o, ev->at_ms);
	PUT_LIT(&o, ",\"user_id\":");
	if (ev->user_id > 0)
		put_int(&o, ev->user_id);
	else
		PUT_LIT(&o, "null");
	PUT_LIT(&o, ",\"mobile_number\":");
	put_string_or_null(&o, ev->mobile_number, (size_t)-1);
	PUT_LIT(&o, ",\"ip\":");
	put_string_or_null(&o, ev->ip, (size_t)-1);
	PUT_LIT(&o, ",\"user_agent\":");
	put_string_or_null(&o, ev->user_agent, EVENT_USER_AGENT_MAX);
	PUT_LIT(&o, ",\"data\":{");
	for (int i = 0; i < EVENT_DATA_MAX && t->keys[i].name != NULL; i++) {
		const struct event_value *v = &ev->data[i];

		if (i > 0)
			PUT_LIT(&o, ",");
		PUT_LIT(&o, "\"");
		put(&o, t->keys[i].name, strlen(t->keys[i].name));
		PUT_LIT(&o, "\":");
		if (v->kind == EVENT_VALUE_STRING && v->str != NULL)
			put_string(&o, v->str, (size_t)-1);
		else if (v->kind == EVENT_VALUE_TIME)
			put_time(&o, v->ms);
		else
			PUT_LIT(&o, "null");
	}
	PUT_LIT(&o, "}}");
	if (!o.ok) {
		out[0] = '\0';
		return false;
	}
	*o.p = '\0';
	*len = (size_t)(o.p - out);
	return true;
}

/* ---- the webhook_events filter ---- */

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Writes why and returns false. The item is the operator's text: shown
 * cut to 64 bytes, with anything but printable ASCII as '?'. */
static bool
refuse(char *why, size_t whylen, const char *what, const char *item, size_t len)
{
	char shown[65];
	size_t n = len < sizeof shown - 1 ? len : sizeof shown - 1;

	if (why == NULL || whylen == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		shown[i] = item[i] >= 0x20 && item[i] < 0x7f ? item[i] : '?';
	shown[n] = '\0';
	if (len == 0)
		snprintf(why, whylen, "%s", what);
	else
		snprintf(why, whylen, "%s \"%s%s\"", what, shown, len > n ? "..." : "");
	return false;
}

bool
event_filter_parse(const char *text, struct event_filter *out, char *why, size_t whylen)
{
	const uint32_t all = (uint32_t)((1ULL << EVENT__MAX) - 1);
	uint32_t let = 0;
	size_t total;
	const char *p;

	out->types = 0;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	total = strnlen(text, EVENT_FILTER_MAX + 1);
	if (total > EVENT_FILTER_MAX)
		return refuse(why, whylen, "longer than 4096 bytes", "", 0);
	p = text;
	for (;;) {
		const char *end = memchr(p, ',', (size_t)(text + total - p));
		const char *a = p, *b = end != NULL ? end : text + total;
		size_t len;
		enum event_type t;

		while (a < b && blank(*a))
			a++;
		while (b > a && blank(b[-1]))
			b--;
		len = (size_t)(b - a);
		if (len == 0)
			return refuse(why, whylen, "an empty item (two commas, or one at an end)", "", 0);
		if ((len == 3 && memcmp(a, "all", 3) == 0) || (len == 1 && a[0] == '*')) {
			let = all;
		} else if (len > 2 && a[len - 2] == '.' && a[len - 1] == '*') {
			uint32_t matched = 0;

			/* the prefix with its dot: "login." */
			for (int i = 0; i < EVENT__MAX; i++)
				if (strncmp(types[i].name, a, len - 1) == 0)
					matched |= 1u << i;
			if (matched == 0)
				return refuse(why, whylen, "no event type matches", a, len);
			let |= matched;
		} else if (event_type_from_name(a, len, &t)) {
			let |= 1u << t;
		} else {
			return refuse(why, whylen, "unknown event type", a, len);
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	out->types = let;
	return true;
}

bool
event_filter_match(const struct event_filter *f, enum event_type type)
{
	return type_valid(type) && (f->types >> type & 1u) != 0;
}
