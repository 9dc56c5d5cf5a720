/*
 * The C <-> Lua protocol of the Redis scripts: every name the redis_*.c files and
 * step.c use for a verdict, a step, a purpose or a mode means the same in
 * src/lua/prelude.lua, and the common argument block has the same length on
 * both sides. Fails when one side changes without the other.
 */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "phoneauth/embedded.h"
#include "phoneauth/redis_store.h"
#include "phoneauth/step.h"
#include "../../src/redis_call.h"

static const char *
prelude(void)
{
	const char *text = rs_script_text("prelude");

	return text ? text : "";
}

/* Whether prelude.lua has the line fragment `want`. */
static bool
has(const char *want)
{
	return strstr(prelude(), want) != NULL;
}

static void
upper(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < len; i++)
		out[i] = (char)(in[i] >= 'a' && in[i] <= 'z' ? in[i] - 32 : in[i]);
	out[i] = '\0';
}

static void
verdicts_match(void)
{
	char want[64];

	for (int v = 0; v < RS__MAX; v++) {
		snprintf(want, sizeof want, "\n  %s = %d,", rs_verdict_names[v], v);
		CHECK(has(want), "prelude.lua lacks \"%s\"", want + 1);
	}
	snprintf(want, sizeof want, " = %d,", RS__MAX);
	CHECK(!has(want), "prelude.lua has a verdict C does not know");
}

static void
steps_and_purposes_match(void)
{
	char name[32], want[96];

	for (int s = 0; s < STEP__MAX; s++) {
		upper(step_name((enum step)s), name, sizeof name);
		snprintf(want, sizeof want, "%s = '%s'", name, step_name((enum step)s));
		CHECK(has(want), "prelude.lua's STEP lacks \"%s\"", want);
	}
	for (int p = 0; p < PURPOSE__MAX; p++) {
		upper(purpose_name((enum purpose)p), name, sizeof name);
		snprintf(want, sizeof want, "%s = '%s'", name, purpose_name((enum purpose)p));
		CHECK(has(want), "prelude.lua's PURPOSE lacks \"%s\"", want);
	}
}

/* The texts of a code block come in C's enum purpose order (redis_session.c's
 * code_args); prelude.lua reads them in its PURPOSES order. */
static void
purposes_in_c_order(void)
{
	char want[256] = "local PURPOSES = {", name[32];

	for (int p = 0; p < PURPOSE__MAX; p++) {
		upper(purpose_name((enum purpose)p), name, sizeof name);
		snprintf(want + strlen(want), sizeof want - strlen(want), "%s PURPOSE.%s",
		    p ? "," : "", name);
	}
	strncat(want, " }", sizeof want - strlen(want) - 1);
	CHECK(has(want), "prelude.lua lacks \"%s\"", want);
}

static void
modes_match(void)
{
	static const struct { int value; const char *lua; } modes[] = {
		{ RS_LOOK, "LOOK = '0'" }, { RS_TAKE_TRY, "TRY = '1'" },
		{ RS_TAKE_CODE_TRY, "CODE_TRY = '2'" },
		{ RS_KEEP, "KEEP = '0'" }, { RS_GIVE_BACK, "TRIES = '1'" },
		{ RS_GIVE_BACK_CLEAR_NUMBER, "CLEAR_NUMBER = '2'" },
	};

	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		char digit[4];

		snprintf(digit, sizeof digit, "'%d'", modes[i].value);
		CHECK(strstr(modes[i].lua, digit) != NULL && has(modes[i].lua),
		    "prelude.lua lacks \"%s\" (value %d)", modes[i].lua, modes[i].value);
	}
}

static void
common_block_has_one_length(void)
{
	char want[32];

	CHECK(has("local OWN = 2\n"), "prelude.lua's own arguments do not follow the configuration");
	snprintf(want, sizeof want, "local CONFIG_FIELDS = %d\n", RS_COMMON_ARGS);
	CHECK(has(want), "prelude.lua does not expect %d configuration values", RS_COMMON_ARGS);
	snprintf(want, sizeof want, "tonumber(f[%d])", RS_COMMON_ARGS);
	CHECK(has(want), "prelude.lua does not read the last configuration value");
}

int
main(void)
{
	RUN(verdicts_match);
	RUN(steps_and_purposes_match);
	RUN(purposes_in_c_order);
	RUN(modes_match);
	RUN(common_block_has_one_length);
	HARNESS_EXIT();
}
