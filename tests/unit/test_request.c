/* request.c: route paths, languages, client addresses, bodies. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "phoneauth/request.h"

static void
route_path_strips_base_slash_and_query(void)
{
	static const struct { int line; const char *uri, *base, *want; bool in; } cases[] = {
		{ __LINE__, "/api/register", "/api", "register", true },
		{ __LINE__, "/api/register/", "/api", "register", true },
		{ __LINE__, "/api/register?x=1", "/api", "register", true },
		{ __LINE__, "/api/register/?x=/y/", "/api", "register", true },
		{ __LINE__, "/api/verify/otp", "/api", "verify/otp", true },
		{ __LINE__, "/api", "/api", "", true },
		{ __LINE__, "/api/", "/api", "", true },
		{ __LINE__, "/apix/register", "/api", "", false },
		{ __LINE__, "/other/register", "/api", "", false },
		{ __LINE__, "/register", "", "register", true },
		{ __LINE__, "/auth/v1/login", "/auth/v1", "login", true },
	};
	char out[REQUEST_PATH_MAX], long_uri[600];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool in = request_route_path(cases[i].uri, cases[i].base, out, sizeof out);

		CHECK_AT(cases[i].line, in == cases[i].in && (!in || strcmp(out, cases[i].want) == 0),
		    "\"%s\" -> %d \"%s\"", cases[i].uri, in, out);
	}
	memset(long_uri, 'a', sizeof long_uri - 1);
	memcpy(long_uri, "/api/", 5);
	long_uri[sizeof long_uri - 1] = '\0';
	CHECK(!request_route_path(long_uri, "/api", out, sizeof out), "an over-long path fits");
	CHECK(!request_route_path(NULL, "/api", out, sizeof out), "no URI");
}

static void
language_is_picked_by_quality(void)
{
	static const struct { int line; const char *header; enum lang fallback, want; } cases[] = {
		{ __LINE__, "fa", LANG_EN, LANG_FA },
		{ __LINE__, "fa-IR,fa;q=0.9,en;q=0.8", LANG_EN, LANG_FA },
		{ __LINE__, "en-US,en;q=0.9,fa;q=0.8", LANG_FA, LANG_EN },
		{ __LINE__, "de, fa;q=0.5", LANG_EN, LANG_FA },
		{ __LINE__, "en;q=0.1, fa", LANG_EN, LANG_FA },
		{ __LINE__, "fa;q=0.5, en;q=0.5", LANG_EN, LANG_FA },	/* tie: first named */
		{ __LINE__, "de", LANG_FA, LANG_FA },
		{ __LINE__, "fa;q=0", LANG_EN, LANG_EN },
		{ __LINE__, "*", LANG_FA, LANG_FA },
		{ __LINE__, "", LANG_EN, LANG_EN },
		{ __LINE__, NULL, LANG_FA, LANG_FA },
		{ __LINE__, "EN", LANG_FA, LANG_EN },
		{ __LINE__, "fas", LANG_EN, LANG_EN },
		{ __LINE__, "fa_IR", LANG_EN, LANG_FA },
		{ __LINE__, ";;;,,,q=,=;", LANG_EN, LANG_EN },
		{ __LINE__, "fa;q=", LANG_EN, LANG_EN },
		{ __LINE__, "en;q=0.999, fa;q=1.0", LANG_EN, LANG_FA },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_AT(cases[i].line, request_pick_language(cases[i].header, cases[i].fallback) ==
		    cases[i].want, "\"%s\"", cases[i].header ? cases[i].header : "(null)");
}

static void
client_ip_honours_only_trusted_proxies(void)
{
	struct config cfg;
	struct cidr proxies[3];
	char out[REQUEST_IP_MAX];
	static const struct { int line; const char *remote, *xff, *want; } cases[] = {
		{ __LINE__, "203.0.113.9", "1.2.3.4", "203.0.113.9" },		/* untrusted peer */
		{ __LINE__, "10.0.0.2", "1.2.3.4", "1.2.3.4" },
		{ __LINE__, "10.0.0.2", "6.6.6.6, 1.2.3.4", "1.2.3.4" },		/* spoofed left part */
		{ __LINE__, "10.0.0.2", "1.2.3.4, 10.9.9.9", "1.2.3.4" },		/* two trusted hops */
		{ __LINE__, "10.0.0.2", "10.1.1.1, 10.2.2.2", "10.1.1.1" },	/* all trusted */
		{ __LINE__, "10.0.0.2", "1.2.3.4, garbage", "10.0.0.2" },	/* garbage stops */
		{ __LINE__, "10.0.0.2", "", "10.0.0.2" },
		{ __LINE__, "::1", "2001:db8::7", "2001:db8::7" },
		{ __LINE__, "fd00::1:2", "198.51.100.1", "198.51.100.1" },
		{ __LINE__, "::ffff:10.0.0.2", "1.2.3.4", "1.2.3.4" },
		{ __LINE__, "10.0.0.2", NULL, "10.0.0.2" },
		{ __LINE__, NULL, "1.2.3.4", "0.0.0.0" },
		{ __LINE__, "::ffff:192.0.2.1", NULL, "192.0.2.1" },
	};

	memset(&cfg, 0, sizeof cfg);
	CHECK(net_parse_cidr("10.0.0.0/8", &proxies[0]) && net_parse_cidr("::1", &proxies[1]) &&
	    net_parse_cidr("fd00::/64", &proxies[2]), "proxies");
	cfg.proxies = proxies;
	cfg.nproxies = 3;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		request_client_ip(cases[i].remote, cases[i].xff, &cfg, out);
		CHECK_AT(cases[i].line, strcmp(out, cases[i].want) == 0, "got %s", out);
	}
	cfg.nproxies = 0;
	request_client_ip("10.0.0.2", "1.2.3.4", &cfg, out);
	CHECK_STR(out, "10.0.0.2");
}

/* Parses a copy (the form parser decodes in place). */
static enum body_status
parse(const char *ct, const char *data, size_t len, json_object **obj, char *bad)
{
	char *copy = malloc(len + 1);
	enum body_status st;

	memcpy(copy, data, len);
	copy[len] = '\0';
	st = request_parse_body(ct, copy, len, obj, bad, 64);
	free(copy);
	return st;
}

static const char *
field(json_object *o, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : NULL;
}

static void
json_bodies(void)
{
	static const struct { int line; const char *ct; const char *body; enum body_status want; } cases[] = {
		{ __LINE__, "application/json", "{\"a\":\"b\"}", BODY_OK },
		{ __LINE__, "application/json; charset=utf-8", "{}", BODY_OK },
		{ __LINE__, "APPLICATION/JSON;charset=\"UTF-8\"", "{}", BODY_OK },
		{ __LINE__, "application/json; charset=latin1", "{}", BODY_UNSUPPORTED_TYPE },
		{ __LINE__, "application/json", "[]", BODY_INVALID_JSON },
		{ __LINE__, "application/json", "\"s\"", BODY_INVALID_JSON },
		{ __LINE__, "application/json", "12", BODY_INVALID_JSON },
		{ __LINE__, "application/json", "{} x", BODY_INVALID_JSON },
		{ __LINE__, "application/json", "{\"a\":\"\xc0\xaf\"}", BODY_INVALID_JSON },
		{ __LINE__, "application/json", "{\"a\":\"\xed\xa0\x80\"}", BODY_INVALID_JSON },
		{ __LINE__, "application/json", "{\"a\":", BODY_INVALID_JSON },
		{ __LINE__, "text/plain", "{}", BODY_UNSUPPORTED_TYPE },
		{ __LINE__, NULL, "{}", BODY_UNSUPPORTED_TYPE },
		{ __LINE__, "application/jsonx", "{}", BODY_UNSUPPORTED_TYPE },
		{ __LINE__, "text/plain", "", BODY_OK },	/* no body: any type */
	};
	char bad[64], deep[400];
	json_object *o;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum body_status st = parse(cases[i].ct, cases[i].body, strlen(cases[i].body), &o, bad);

		CHECK_AT(cases[i].line, st == cases[i].want, "status %d, want %d", st, cases[i].want);
		json_object_put(o);
	}
	/* a NUL byte inside the body */
	CHECK(parse("application/json", "{\"a\":\"b\"}\0{}", 12, &o, bad) == BODY_INVALID_JSON, "NUL");
	json_object_put(o);
	/* nesting deeper than the parser allows: {"a":{"a":...}} */
	for (int i = 0; i < 60; i++)
		memcpy(deep + 5 * i, "{\"a\":", 5);
	memcpy(deep + 300, "1", 1);
	memset(deep + 301, '}', 60);
	CHECK(parse("application/json", deep, 361, &o, bad) == BODY_INVALID_JSON, "deep nesting");
	json_object_put(o);
}

static void
form_bodies(void)
{
	char bad[64] = "";
	json_object *o;

	CHECK(parse("application/x-www-form-urlencoded", "a=1&b=x+y%21", 12, &o, bad) == BODY_OK, "ok");
	CHECK_STR(field(o, "a"), "1");
	CHECK_STR(field(o, "b"), "x y!");
	json_object_put(o);
	CHECK(parse("application/x-www-form-urlencoded", "a=1&a=2&&c&d=%zz%4", 18, &o, bad) == BODY_OK,
	    "repeats");
	CHECK_STR(field(o, "a"), "2");
	CHECK_STR(field(o, "c"), "");
	CHECK_STR(field(o, "d"), "%zz%4");
	json_object_put(o);
	CHECK(parse("application/x-www-form-urlencoded; charset=UTF-8", "n=%DB%B0%DB%B9", 14, &o, bad) ==
	    BODY_OK, "Persian digits");
	CHECK_STR(field(o, "n"), "\xdb\xb0\xdb\xb9");
	json_object_put(o);
	CHECK(parse("application/x-www-form-urlencoded", "x=1&mobile_number=%ff", 21, &o, bad) ==
	    BODY_INVALID_FORM_TEXT, "invalid UTF-8");
	CHECK_STR(bad, "mobile_number");
	CHECK(parse("application/x-www-form-urlencoded", "a=%00b", 6, &o, bad) == BODY_OK, "NUL value");
	CHECK(json_object_get_string_len(json_object_object_get(o, "a")) == 2, "NUL kept for the validators");
	json_object_put(o);
}

int
main(void)
{
	RUN(route_path_strips_base_slash_and_query);
	RUN(language_is_picked_by_quality);
	RUN(client_ip_honours_only_trusted_proxies);
	RUN(json_bodies);
	RUN(form_bodies);
	HARNESS_EXIT();
}
