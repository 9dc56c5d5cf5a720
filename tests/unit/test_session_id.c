/*
 * Session ids: version 4 UUIDs in libuuid's lower-case form, each new.
 */
#include "phoneauth/session.h"

#include <string.h>

#include <uuid/uuid.h>

#include "harness.h"

static void
new_ids_are_lower_case_version_4_uuids(void)
{
	char id[SESSION_ID_LEN + 1], again[SESSION_ID_LEN + 1], want[SESSION_ID_LEN + 1];
	uuid_t u;

	for (int i = 0; i < 100; i++) {
		session_new_id(id);
		CHECK(strlen(id) == SESSION_ID_LEN && session_id_wellformed(id), "\"%s\"", id);
		CHECK(uuid_parse(id, u) == 0, "\"%s\" is no UUID", id);
		uuid_unparse_lower(u, want);
		CHECK_STR(id, want);
		CHECK((u[6] >> 4) == 4 && (u[8] & 0xc0) == 0x80, "\"%s\" is not version 4", id);
		session_new_id(again);
		CHECK(strcmp(id, again) != 0, "the same id twice: %s", id);
	}
}

static void
malformed_ids_are_refused(void)
{
	CHECK(!session_id_wellformed(""), "empty");
	CHECK(!session_id_wellformed("f02a52d2-be2c-4abe-844d-19e8881128b"), "short");
	CHECK(!session_id_wellformed("f02a52d2-be2c-4abe-844d-19e8881128b6x"), "long");
	CHECK(!session_id_wellformed("f02a52d2+be2c-4abe-844d-19e8881128b6"), "separator");
	CHECK(session_id_wellformed("f02a52d2-be2c-4abe-844d-19e8881128b6"), "a good one");
}

int
main(void)
{
	RUN(new_ids_are_lower_case_version_4_uuids);
	RUN(malformed_ids_are_refused);
	HARNESS_EXIT();
}
