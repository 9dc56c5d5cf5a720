/*
 * Each Redis script's arguments and replies, as src/redis_scripts.h
 * declares them and as the script itself (compiled in from src/lua/) says
 * and does: its "-- ARGV:" and "-- REPLY <VERDICT>:" header lines name the
 * same slots in the same order, its ARGV is unpacked into locals of those
 * names at those positions, and every reply it builds for a declared
 * verdict has the declared number of slots. Fails when C and Lua disagree
 * on a position.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "phoneauth/embedded.h"
#include "../../src/redis_scripts.h"

/* Whether `text` has `line` as a whole line. */
static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *at = strstr(text, line); at != NULL; at = strstr(at + 1, line))
		if ((at == text || at[-1] == '\n') && at[n] == '\n')
			return true;
	return false;
}

/* Appends `names` (n of them) to `out`, each after `sep` but the first. */
static void
join(char *out, size_t size, const char *const *names, int n, const char *sep)
{
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s%s", i > 0 ? sep : "",
		    names[i] ? names[i] : "(none)");
}

/* "-- REPLY OK: verdict cursor, each: kind id" */
static void
reply_line(char *out, size_t size, const struct rs_reply_decl *r)
{
	snprintf(out, size, "-- REPLY %s: ", rs_verdict_names[r->verdict]);
	join(out, size, r->slots, r->n, " ");
	if (r->each != NULL) {
		strncat(out, ", each: ", size - strlen(out) - 1);
		join(out, size, r->each, r->n_each, " ");
	}
}

static void
argv_line(char *out, size_t size, const struct rs_script_decl *d)
{
	snprintf(out, size, "-- ARGV:%s", d->code_block ? " code_block" : "");
	if (d->argc > 0) {
		strncat(out, " ", size - strlen(out) - 1);
		join(out, size, d->argv, d->argc, " ");
	}
	if (d->rest != NULL)
		snprintf(out + strlen(out), size - strlen(out), " %s", d->rest);
}

static void
every_script_declares_its_argv_and_replies(void)
{
	char want[512];

	for (int s = 0; s < SC__MAX; s++) {
		const struct rs_script_decl *d = &rs_scripts[s];
		const char *text = rs_script_text(d->name);

		CHECK(text != NULL, "src/lua/%s.lua is not compiled in", d->name);
		if (text == NULL)
			continue;
		argv_line(want, sizeof want, d);
		CHECK(has_line(text, want), "%s.lua lacks \"%s\"", d->name, want);
		reply_line(want, sizeof want, &d->ok);
		CHECK(has_line(text, want), "%s.lua lacks \"%s\"", d->name, want);
		if (d->other.slots != NULL) {
			reply_line(want, sizeof want, &d->other);
			CHECK(has_line(text, want), "%s.lua lacks \"%s\"", d->name, want);
		}
	}
}

/* `text` with every run of white space made one space. */
static void
squeeze(const char *text, char *out, size_t size)
{
	size_t n = 0;

	for (; *text != '\0' && n + 1 < size; text++) {
		if (isspace((unsigned char)*text)) {
			if (n > 0 && out[n - 1] == ' ')
				continue;
			out[n++] = ' ';
		} else {
			out[n++] = *text;
		}
	}
	out[n] = '\0';
}

/* The statement that unpacks the script's own arguments into named locals:
 * "local a, b = unpack(ARGV, OWN, OWN + 1)", or "local a = ARGV[OWN]". */
static void
unpack_statement(char *out, size_t size, const struct rs_script_decl *d)
{
	const char *from = d->code_block ? "OWN + CODE_ARGS" : "OWN";

	snprintf(out, size, "local ");
	join(out, size, d->argv, d->argc, ", ");
	if (d->argc == 1 && !d->code_block)
		snprintf(out + strlen(out), size - strlen(out), " = ARGV[OWN]\n");
	else
		snprintf(out + strlen(out), size - strlen(out), " = unpack(ARGV, %s, %s + %d)",
		    from, from, d->argc - 1);
}

static void
every_script_unpacks_its_argv_in_the_declared_order(void)
{
	static char squeezed[16384];
	char want[512];

	for (int s = 0; s < SC__MAX; s++) {
		const struct rs_script_decl *d = &rs_scripts[s];
		const char *text = rs_script_text(d->name);

		if (text == NULL || d->argc == 0)
			continue;
		unpack_statement(want, sizeof want, d);
		if (d->argc == 1 && !d->code_block) {
			CHECK(strstr(text, want) != NULL, "%s.lua lacks \"%s\"", d->name, want);
			continue;
		}
		squeeze(text, squeezed, sizeof squeezed);
		CHECK(strstr(squeezed, want) != NULL, "%s.lua lacks \"%s\"", d->name, want);
		if (d->code_block)
			CHECK(strstr(text, "local c = code_block(ARGV)\n") != NULL,
			    "%s.lua does not read its code block first", d->name);
	}
}

/* How many elements the table constructor at `open` ("{ ...") has. */
static int
elements(const char *open)
{
	int depth = 0, n = 1;

	for (const char *p = open; *p != '\0'; p++) {
		if (*p == '{' || *p == '(' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ')' || *p == ']') && --depth == 0)
			return n;
		else if (*p == ',' && depth == 1)
			n++;
	}
	return -1;
}

/* Whether `at` in `text` is on a comment line. */
static bool
in_comment(const char *text, const char *at)
{
	const char *line = at;

	while (line > text && line[-1] != '\n')
		line--;
	while (*line == ' ')
		line++;
	return strncmp(line, "--", 2) == 0;
}

/* Every "{ R.<verdict>" reply `text` builds (not one its comments show)
 * has `n` elements (exact) or at most n. */
static void
replies_sized(const char *name, const char *text, const struct rs_reply_decl *r, bool exact)
{
	char lit[40];

	snprintf(lit, sizeof lit, "{ R.%s", rs_verdict_names[r->verdict]);
	for (const char *at = strstr(text, lit); at != NULL; at = strstr(at + 1, lit)) {
		int got = elements(at), want = r->n;

		if (!isalnum((unsigned char)at[strlen(lit)]) && at[strlen(lit)] != '_' &&
		    !in_comment(text, at))
			CHECK(exact ? got == want : got >= 1 && got <= want,
			    "%s.lua: a %s reply of %d slots, declared %d", name, lit + 4, got, want);
	}
}

static void
every_reply_has_the_declared_slots(void)
{
	for (int s = 0; s < SC__MAX; s++) {
		const struct rs_script_decl *d = &rs_scripts[s];
		const char *text = rs_script_text(d->name);

		if (text == NULL)
			continue;
		replies_sized(d->name, text, &d->ok, true);
		if (d->other.slots != NULL)
			replies_sized(d->name, text, &d->other, false);
	}
	/* a refusal may come from a library (limits.lua) as well */
	for (size_t i = 0; i < lua_scripts_count; i++)
		for (int r = 0; r < RS_REFUSALS; r++)
			replies_sized(lua_scripts[i].name, lua_scripts[i].text, &rs_refusals[r], false);
}

static void
refusals_and_code_block_match_the_prelude(void)
{
	const char *prelude = rs_script_text("prelude");
	char want[512];

	CHECK(prelude != NULL, "prelude.lua is not compiled in");
	if (prelude == NULL)
		return;
	for (int i = 0; i < RS_REFUSALS; i++) {
		reply_line(want, sizeof want, &rs_refusals[i]);
		CHECK(has_line(prelude, want), "prelude.lua lacks \"%s\"", want);
	}
	snprintf(want, sizeof want, "-- ARGV code_block: ");
	join(want, sizeof want, rs_code_argv, CODE_ARG__MAX, " ");
	CHECK(has_line(prelude, want), "prelude.lua lacks \"%s\"", want);
	for (int i = 0; i < CODE_ARG_TEXTS; i++) {
		snprintf(want, sizeof want, i ? "%s = ARGV[OWN + %d]" : "%s = ARGV[OWN]",
		    rs_code_argv[i], i);
		CHECK(strstr(prelude, want) != NULL, "prelude.lua's code_block lacks \"%s\"", want);
	}
	snprintf(want, sizeof want, "local CODE_ARGS = %d + #PURPOSES\n", CODE_ARG_TEXTS);
	CHECK(strstr(prelude, want) != NULL, "prelude.lua lacks \"%s\"", want);
}

/* A script with an ARGV header that C does not declare. */
static void
every_script_is_declared(void)
{
	for (size_t i = 0; i < lua_scripts_count; i++) {
		const char *text = lua_scripts[i].text;
		bool known = false;

		if (strncmp(text, "-- ARGV:", 8) != 0 && strstr(text, "\n-- ARGV:") == NULL)
			continue;
		for (int s = 0; s < SC__MAX; s++)
			known = known || strcmp(rs_scripts[s].name, lua_scripts[i].name) == 0;
		CHECK(known, "src/lua/%s.lua is not declared in redis_scripts.c", lua_scripts[i].name);
	}
}

int
main(void)
{
	RUN(every_script_declares_its_argv_and_replies);
	RUN(every_script_unpacks_its_argv_in_the_declared_order);
	RUN(every_reply_has_the_declared_slots);
	RUN(refusals_and_code_block_match_the_prelude);
	RUN(every_script_is_declared);
	HARNESS_EXIT();
}
