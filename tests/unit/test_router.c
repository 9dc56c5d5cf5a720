/* router.c: every route of the contract, methods, Allow. */
#include <string.h>

#include "harness.h"
#include "phoneauth/router.h"

static void
every_route_is_found(void)
{
	static const struct { int line; enum method m; const char *path; } found[] = {
		{ __LINE__, METHOD_POST, "register" },
		{ __LINE__, METHOD_POST, "verify-otp" },
		{ __LINE__, METHOD_POST, "verify/otp" },
		{ __LINE__, METHOD_POST, "resend-otp" },
		{ __LINE__, METHOD_POST, "set-password" },
		{ __LINE__, METHOD_POST, "user-info" },
		{ __LINE__, METHOD_POST, "login" },
		{ __LINE__, METHOD_GET, "health" },
		{ __LINE__, METHOD_HEAD, "health" },
		{ __LINE__, METHOD_POST, "password-reset" },
		{ __LINE__, METHOD_POST, "token/refresh" },
		{ __LINE__, METHOD_POST, "refresh-token" },
		{ __LINE__, METHOD_POST, "token/verify" },
		{ __LINE__, METHOD_POST, "logout" },
		{ __LINE__, METHOD_GET, "me" },
		{ __LINE__, METHOD_GET, ".well-known/jwks.json" },
		{ __LINE__, METHOD_GET, "auth-check" },
		{ __LINE__, METHOD_GET, "openapi.json" },
		{ __LINE__, METHOD_HEAD, "openapi.json" },
		{ __LINE__, METHOD_GET, "sessions" },
		{ __LINE__, METHOD_DELETE, "sessions/0123456789abcdef0123456789abcdef" },
		{ __LINE__, METHOD_DELETE, "sessions/x" },
		{ __LINE__, METHOD_POST, "logout-all" },
		{ __LINE__, METHOD_POST, "account/delete" },
		{ __LINE__, METHOD_POST, "phone/change" },
		{ __LINE__, METHOD_POST, "password/change" },
		{ __LINE__, METHOD_POST, "login/code" },
	};
	enum route_match m;
	char allow[32];

	for (size_t i = 0; i < sizeof found / sizeof found[0]; i++) {
		const struct route *r = router_match(found[i].m, found[i].path, 0, &m, allow, sizeof allow);

		CHECK_AT(found[i].line, r != NULL && m == ROUTE_FOUND && r->handler != NULL, "%s",
		    found[i].path);
	}
	CHECK(router_match(METHOD_POST, "verify-otp", 0, &m, allow, sizeof allow)->handler ==
	    router_match(METHOD_POST, "verify/otp", 0, &m, allow, sizeof allow)->handler,
	    "the alias has another handler");
}

/* What router_match says of a path with the wrong method, or OPTIONS. */
static const struct {
	int line;
	enum method method;
	const char *path;
	bool found;
	enum route_match match;
	const char *allow;		/* NULL: not looked at */
} allows[] = {
	{ __LINE__, METHOD_GET, "register", false, ROUTE_WRONG_METHOD, "POST, OPTIONS" },
	{ __LINE__, METHOD_POST, "health", false, ROUTE_WRONG_METHOD, "GET, HEAD, OPTIONS" },
	{ __LINE__, METHOD_OTHER, "login", false, ROUTE_WRONG_METHOD, NULL },
	/* OPTIONS answers for any existing route, with what it allows */
	{ __LINE__, METHOD_OPTIONS, "login", true, ROUTE_OPTIONS, "POST, OPTIONS" },
	{ __LINE__, METHOD_OPTIONS, "nope", false, ROUTE_NOT_FOUND, NULL },
	/* DELETE has its own Allow, and a prefix route its methods */
	{ __LINE__, METHOD_POST, "sessions/abc", false, ROUTE_WRONG_METHOD, "DELETE, OPTIONS" },
	{ __LINE__, METHOD_DELETE, "sessions", false, ROUTE_WRONG_METHOD, "GET, HEAD, OPTIONS" },
	{ __LINE__, METHOD_DELETE, "logout-all", false, ROUTE_WRONG_METHOD, "POST, OPTIONS" },
};

static void
wrong_method_names_the_allowed_ones(void)
{
	for (size_t i = 0; i < sizeof allows / sizeof allows[0]; i++) {
		enum route_match m;
		char allow[32] = "";
		bool found = router_match(allows[i].method, allows[i].path, 0, &m, allow,
		    sizeof allow) != NULL;

		CHECK_AT(allows[i].line, found == allows[i].found, "%s: found %d", allows[i].path,
		    found);
		CHECK_AT(allows[i].line, m == allows[i].match, "%s: match %d", allows[i].path, m);
		CHECK_AT(allows[i].line, allows[i].allow == NULL ||
		    strcmp(allow, allows[i].allow) == 0, "%s: allow \"%s\"", allows[i].path, allow);
	}
}

static void
switched_off_routes_do_not_exist(void)
{
	enum route_match m;
	char allow[32];

	CHECK(router_match(METHOD_POST, "login/code", ROUTE_LOGIN_BY_CODE, &m, allow, sizeof allow)
	    == NULL, "login/code found while off");
	CHECK_INT(m, ROUTE_NOT_FOUND);
	CHECK(router_match(METHOD_GET, "login/code", ROUTE_LOGIN_BY_CODE, &m, allow, sizeof allow)
	    == NULL, "found");
	CHECK_INT(m, ROUTE_NOT_FOUND);
	CHECK(router_match(METHOD_OPTIONS, "login/code", ROUTE_LOGIN_BY_CODE, &m, allow, sizeof allow)
	    == NULL, "found");
	CHECK_INT(m, ROUTE_NOT_FOUND);
	/* the others are there all the same */
	CHECK(router_match(METHOD_POST, "login", ROUTE_LOGIN_BY_CODE, &m, allow, sizeof allow) != NULL,
	    "login switched off with login/code");
}

static void
unknown_paths_are_not_found(void)
{
	static const char *const paths[] = { "", "nope", "Register", "register/", "verify", "otp",
		"health/x", "../register", "sessions/", "session", "sessionsx", "logout-all/x",
		"login/code/x" };
	enum route_match m;
	char allow[32];

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		CHECK(router_match(METHOD_POST, paths[i], 0, &m, allow, sizeof allow) == NULL, "%s", paths[i]);
		CHECK(m == ROUTE_NOT_FOUND, "\"%s\": %d", paths[i], m);
	}
}

int
main(void)
{
	RUN(every_route_is_found);
	RUN(wrong_method_names_the_allowed_ones);
	RUN(unknown_paths_are_not_found);
	RUN(switched_off_routes_do_not_exist);
	HARNESS_EXIT();
}
