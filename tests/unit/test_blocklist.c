/*
 * blocklist.c: the list Debian's john-data installs, the file's grammar
 * (comments, empty lines, CRLF, no final newline, duplicates), the refusals,
 * the fold (ASCII case, Persian digits), lookups that allocate nothing, and
 * every answer compared with tests/unit/blocklist_ref.py, the same rules in
 * Python. Needs john-data (scripts/deps.sh run) and /usr/bin/python3.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "phoneauth/blocklist.h"
#include "phoneauth/random.h"

#define JOHN "/usr/share/john/password.lst"
#define REF "tests/unit/blocklist_ref.py"

static char dir[] = "/tmp/test_blocklist.XXXXXX";

/* ---- counting allocations ---- */

static volatile size_t allocations;
static volatile bool counting;

#ifdef __SANITIZE_ADDRESS__
/* AddressSanitizer owns malloc here, and calls these on each one (its
 * sanitizer/allocator_interface.h, which gcc 12 does not install). */
int __sanitizer_install_malloc_and_free_hooks(void (*)(const volatile void *, size_t),
    void (*)(const volatile void *));

static void
on_malloc(const volatile void *p, size_t n)
{
	(void)p, (void)n;
	if (counting)
		allocations++;
}

static void
on_free(const volatile void *p)
{
	(void)p;
}

static void
count_allocations(void)
{
	if (__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free) == 0) {
		fprintf(stderr, "test_blocklist: cannot hook malloc\n");
		exit(1);
	}
}
#else
/*
 * glibc lets a program replace malloc (its manual, "Replacing malloc"); these
 * count, then hand on to glibc's own allocator, which it exports for this.
 */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

void *
malloc(size_t n)
{
	if (counting)
		allocations++;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	if (counting)
		allocations++;
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	if (counting)
		allocations++;
	return __libc_realloc(p, n);
}

void
free(void *p)
{
	__libc_free(p);
}

static void
count_allocations(void)
{
}
#endif

/* ---- helpers ---- */

static void
path_of(char *out, size_t outlen, const char *name)
{
	snprintf(out, outlen, "%s/%s", dir, name);
}

static void
write_file(const char *name, const char *data, size_t len)
{
	char path[256];
	FILE *f;

	path_of(path, sizeof path, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* The lines of john's list as they are, read here with stdio (not by the
 * module): what the list must contain. Owner: the caller (free_lines). */
static char **
john_lines(size_t *n)
{
	FILE *f = fopen(JOHN, "rb");
	char buf[1024], **lines = NULL;
	size_t cap = 0;

	*n = 0;
	if (f == NULL)
		return NULL;
	while (fgets(buf, sizeof buf, f) != NULL) {
		size_t len = strcspn(buf, "\r\n");

		buf[len] = '\0';
		if (len == 0 || buf[0] == '#')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((lines = realloc(lines, cap * sizeof *lines)) == NULL)
				abort();
		}
		if ((lines[(*n)++] = strdup(buf)) == NULL)
			abort();
	}
	fclose(f);
	return lines;
}

static void
free_lines(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

static void
ascii_upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

static bool
load_john(struct blocklist *list)
{
	char why[256];

	if (!blocklist_load(JOHN, list, why, sizeof why)) {
		FAILF(__FILE__, __LINE__, "%s (install john-data: scripts/deps.sh run)", why);
		return false;
	}
	return true;
}

/* ---- john's list ---- */

static void
john_list_finds_common_passwords_in_any_case(void)
{
	static const struct {
		int line;
		const char *password;
		bool found;
	} cases[] = {
		{ __LINE__, "12345678", true },
		{ __LINE__, "password1", true },
		{ __LINE__, "iloveyou", true },
		{ __LINE__, "qwertyuiop", true },
		{ __LINE__, "PASSWORD1", true },
		{ __LINE__, "ILoveYou", true },
		{ __LINE__, "QwertyUIOP", true },
		{ __LINE__, "trustno1", true },
		{ __LINE__, "TRUSTNO1", true },
		{ __LINE__, "baseball", true },
		{ __LINE__, "sunshine", true },
		{ __LINE__, "1234567890", true },
		{ __LINE__, "iloveyou!", true },
		/* the list has "Password", "HARLEY", "ABC123": stored folded */
		{ __LINE__, "password", true },
		{ __LINE__, "harley", true },
		{ __LINE__, "abc123", true },
		/* the same keys on a Persian keyboard, and Arabic-Indic digits */
		{ __LINE__, "\xdb\xb1\xdb\xb2\xdb\xb3\xdb\xb4\xdb\xb5\xdb\xb6\xdb\xb7\xdb\xb8", true },
		{ __LINE__, "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7\xd9\xa8", true },
		{ __LINE__, "PASSWORD\xdb\xb1", true },
		{ __LINE__, "correct horse battery staple on a purple bicycle", false },
		{ __LINE__, "password1 ", false },
		{ __LINE__, " password1", false },
		{ __LINE__, "password12345", false },
		{ __LINE__, "iloveyo", false },
		{ __LINE__, "", false },
		/* the comment lines are not passwords */
		{ __LINE__, "#!comment:", false },
		/* non-ASCII letters are compared as typed: no Unicode folding */
		{ __LINE__, "P\xc3\x84SSWORD1", false },
	};
	struct blocklist list;

	if (!load_john(&list))
		return;
	CHECK(list.count >= 3000, "%zu passwords, ASVS 6.2.4 asks for 3,000", list.count);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_AT(cases[i].line, blocklist_contains(&list, cases[i].password) == cases[i].found,
		    "\"%s\": want %s", cases[i].password, cases[i].found ? "found" : "not found");
	blocklist_free(&list);
}

static void
john_list_has_every_line_in_every_case(void)
{
	struct blocklist list;
	size_t n;
	char **lines = john_lines(&n);

	CHECK(lines != NULL && n > 3500, "%s: %zu lines read", JOHN, n);
	if (lines == NULL || !load_john(&list)) {
		free_lines(lines, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char upper[1024];

		snprintf(upper, sizeof upper, "%s", lines[i]);
		ascii_upper(upper);
		CHECK(blocklist_contains(&list, lines[i]), "\"%s\" not found", lines[i]);
		CHECK(blocklist_contains(&list, upper), "\"%s\" not found", upper);
	}
	free_lines(lines, n);
	blocklist_free(&list);
}

static void
ten_random_digits_are_not_in_john_list(void)
{
	struct blocklist list;
	size_t n;
	char **lines = john_lines(&n);

	if (lines == NULL || !load_john(&list)) {
		CHECK(false, "%s could not be read", JOHN);
		free_lines(lines, n);
		return;
	}
	for (int round = 0; round < 100; round++) {
		unsigned char r[10];
		char digits[11];
		bool listed = false;

		CHECK(random_bytes(r, sizeof r), "random_bytes");
		for (size_t i = 0; i < sizeof r; i++)
			digits[i] = (char)('0' + r[i] % 10);
		digits[10] = '\0';
		/* 1234567890 and the like are listed: a draw that is, is drawn again */
		for (size_t i = 0; i < n && !listed; i++)
			listed = strcmp(lines[i], digits) == 0;
		if (listed)
			continue;
		CHECK(!blocklist_contains(&list, digits), "\"%s\" found", digits);
	}
	free_lines(lines, n);
	blocklist_free(&list);
}

/* ---- the file's grammar ---- */

static void
file_grammar(void)
{
	static const struct {
		int line;
		const char *text;
		size_t count;
		const char *in[4], *out[4];
	} cases[] = {
		{ __LINE__, "alpha\nbeta\n", 2, { "alpha", "BETA" }, { "alph", "alphabeta" } },
		{ __LINE__, "#!comment: a header\n# another\nalpha\n", 1,
		  { "alpha" }, { "#!comment: a header", "# another", "!comment: a header" } },
		{ __LINE__, "\n\nalpha\n\n\nbeta\n\n", 2, { "alpha", "beta" }, { "" } },
		{ __LINE__, "alpha\r\nbeta\r\n", 2, { "alpha", "beta" }, { "alpha\r", "beta\r" } },
		{ __LINE__, "alpha\r\n\r\nbeta", 2, { "alpha", "beta" }, { "\r" } },
		{ __LINE__, "alpha\nbeta", 2, { "alpha", "beta" }, { "bet" } },
		{ __LINE__, "alpha\nbeta\r", 2, { "beta" }, { "beta\r" } },
		{ __LINE__, "Password\npassword\nPASSWORD\npassword\n", 1, { "pAsSwOrD" }, { "" } },
		/* one '\r' is the line end's; another is the password's */
		{ __LINE__, "alpha\r\r\n", 1, { "alpha\r" }, { "alpha" } },
		/* only a '#' at the start makes a comment; blanks are kept */
		{ __LINE__, " #alpha\n  \nbeta #\n", 3, { " #alpha", "  ", "BETA #" }, { "#alpha" } },
		/* Persian digits in the list match ASCII ones typed, and back */
		{ __LINE__, "pass\xdb\xb1\xdb\xb2\n12345678\n", 2,
		  { "pass12", "PASS\xd9\xa1\xdb\xb2", "\xdb\xb1\xdb\xb2\xdb\xb3\xdb\xb4\xdb\xb5\xdb\xb6\xdb\xb7\xdb\xb8" },
		  { "pass\xdb\xb1" } },
		/* only ASCII letters fold */
		{ __LINE__, "\xc3\x84pfel\n", 1, { "\xc3\x84PFEL" }, { "\xc3\xa4pfel" } },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct blocklist list;
		char why[256], name[32], path[256];

		/* through the parser, and through a file */
		for (int how = 0; how < 2; how++) {
			bool ok;

			if (how == 0) {
				ok = blocklist_parse(cases[i].text, strlen(cases[i].text), &list, why, sizeof why);
			} else {
				snprintf(name, sizeof name, "grammar-%d", cases[i].line);
				write_file(name, cases[i].text, strlen(cases[i].text));
				path_of(path, sizeof path, name);
				ok = blocklist_load(path, &list, why, sizeof why);
			}
			CHECK_AT(cases[i].line, ok, "refused: %s", why);
			if (!ok)
				continue;
			CHECK_AT(cases[i].line, list.count == cases[i].count, "%zu passwords, want %zu",
			    list.count, cases[i].count);
			for (size_t j = 0; j < 4 && cases[i].in[j] != NULL; j++)
				CHECK_AT(cases[i].line, blocklist_contains(&list, cases[i].in[j]),
				    "\"%s\" not found", cases[i].in[j]);
			for (size_t j = 0; j < 4 && cases[i].out[j] != NULL; j++)
				CHECK_AT(cases[i].line, !blocklist_contains(&list, cases[i].out[j]),
				    "\"%s\" found", cases[i].out[j]);
			blocklist_free(&list);
		}
	}
}

static void
lines_and_passwords_over_512_bytes_never_match(void)
{
	char text[2048], long_pw[BLOCKLIST_MAX_BYTES + 2], why[256];
	struct blocklist list;

	/* a 512-byte line is kept, a 513-byte one is not */
	memset(text, 'a', BLOCKLIST_MAX_BYTES);
	text[BLOCKLIST_MAX_BYTES] = '\n';
	memset(text + BLOCKLIST_MAX_BYTES + 1, 'b', BLOCKLIST_MAX_BYTES + 1);
	snprintf(text + 2 * BLOCKLIST_MAX_BYTES + 2, sizeof text - 2 * BLOCKLIST_MAX_BYTES - 2,
	    "\nshort\n");
	if (!blocklist_parse(text, strlen(text), &list, why, sizeof why)) {
		CHECK(false, "refused: %s", why);
		return;
	}
	CHECK_INT(list.count, 2);
	memset(long_pw, 'A', BLOCKLIST_MAX_BYTES);
	long_pw[BLOCKLIST_MAX_BYTES] = '\0';
	CHECK(blocklist_contains(&list, long_pw), "the 512-byte password not found");
	memset(long_pw, 'b', BLOCKLIST_MAX_BYTES + 1);
	long_pw[BLOCKLIST_MAX_BYTES + 1] = '\0';
	CHECK(!blocklist_contains(&list, long_pw), "a 513-byte password found");
	CHECK(blocklist_contains(&list, "SHORT"), "short not found");
	blocklist_free(&list);
	blocklist_free(&list);	/* a freed list is zeroed: free again, look up */
	CHECK(!blocklist_contains(&list, "short"), "found in a freed list");
}

/* ---- refusals ---- */

/* Files refused for what is in them, and the reason each is given. */
static const struct {
	int line;
	const char *name, *data;
	size_t len;
	const char *why;
} refused[] = {
	{ __LINE__, "nul", "alpha\nbeta\nga\0mma\n", 18, "line 3: a NUL byte" },
	{ __LINE__, "comments", "#!comment: nothing\n\n\r\n#\n", 24, "no password" },
	{ __LINE__, "empty", "", 0, "no password" },
};

/* A sparse file of `size` bytes (no disk spent), at `path`. */
static void
sparse_file(const char *path, off_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0 && ftruncate(fd, size) == 0, "ftruncate %s", path);
	if (fd >= 0)
		close(fd);
}

static void
refusals_give_a_reason(void)
{
	char path[256], why[256];
	struct blocklist list;

	path_of(path, sizeof path, "missing");
	CHECK(!blocklist_load(path, &list, why, sizeof why), "a missing file loaded");
	CHECK(strstr(why, path) != NULL && strstr(why, strerror(ENOENT)) != NULL, "why: %s", why);
	CHECK(list.mem == NULL && list.count == 0, "a refused list is not empty");

	CHECK(!blocklist_load(dir, &list, why, sizeof why), "a directory loaded");
	CHECK(strstr(why, dir) != NULL && strstr(why, "a directory") != NULL, "why: %s", why);

	/* a FIFO would block a plain open() for ever */
	path_of(path, sizeof path, "fifo");
	CHECK(mkfifo(path, 0600) == 0, "mkfifo: %s", strerror(errno));
	CHECK(!blocklist_load(path, &list, why, sizeof why), "a FIFO loaded");
	CHECK(strstr(why, "not a regular file") != NULL, "why: %s", why);

	/* over the cap */
	path_of(path, sizeof path, "huge");
	sparse_file(path, (off_t)BLOCKLIST_MAX_FILE + 1);
	CHECK(!blocklist_load(path, &list, why, sizeof why), "a 64 MiB + 1 file loaded");
	CHECK(strstr(why, "64 MiB") != NULL, "why: %s", why);

	/* exactly the cap is allowed (all NULs here: refused for that instead) */
	path_of(path, sizeof path, "cap");
	sparse_file(path, (off_t)BLOCKLIST_MAX_FILE);
	CHECK(!blocklist_load(path, &list, why, sizeof why), "a file of NULs loaded");
	CHECK(strstr(why, "line 1: a NUL byte") != NULL, "why: %s", why);

	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		write_file(refused[i].name, refused[i].data, refused[i].len);
		path_of(path, sizeof path, refused[i].name);
		CHECK_AT(refused[i].line, !blocklist_load(path, &list, why, sizeof why), "%s loaded",
		    refused[i].name);
		CHECK_AT(refused[i].line, strstr(why, refused[i].why) != NULL, "why: %s", why);
	}

	CHECK(!blocklist_parse("", 0, &list, why, sizeof why), "nothing parsed");
	CHECK(!blocklist_parse("x", (size_t)BLOCKLIST_MAX_FILE + 1, &list, why, sizeof why),
	    "a length over the cap parsed");
	CHECK(strstr(why, "64 MiB") != NULL, "why: %s", why);
}

/* ---- no allocation on lookup ---- */

static void
lookups_allocate_nothing(void)
{
	static const char *const passwords[] = {
		"password1", "PASSWORD1", "not on any list, surely", "\xdb\xb1\xdb\xb2\xdb\xb3\xdb\xb4",
		"",
	};
	struct blocklist list;
	size_t before, found = 0;
	char *probe;

	if (!load_john(&list))
		return;
	/* the counter itself works */
	counting = true;
	before = allocations;
	probe = malloc(16);
	counting = false;
	CHECK(allocations == before + 1, "a malloc was not counted: the test proves nothing");
	free(probe);

	counting = true;
	before = allocations;
	for (int round = 0; round < 1000; round++)
		for (size_t i = 0; i < sizeof passwords / sizeof passwords[0]; i++)
			found += blocklist_contains(&list, passwords[i]);
	counting = false;
	CHECK(allocations == before, "%zu allocations in 5,000 lookups", allocations - before);
	CHECK_INT(found, 3000);	/* password1 twice, and 1234 in Persian digits */
	blocklist_free(&list);
}

/* ---- the Python reference ---- */

static void
answers_agree_with_python_reference(void)
{
	struct blocklist list;
	size_t n, probes = 0, agreed = 0, count = 0;
	char **lines = john_lines(&n), probes_path[256], cmd[1024], line[64];
	FILE *f, *ref;

	if (lines == NULL || !load_john(&list)) {
		CHECK(false, "%s could not be read", JOHN);
		free_lines(lines, n);
		return;
	}
	if (access("/usr/bin/python3", X_OK) != 0 || access(REF, R_OK) != 0) {
		CHECK(false, "needs /usr/bin/python3 and %s (run from the source tree)", REF);
		goto out;
	}
	/* each line as it is, in capitals, with its digits typed in Persian,
	 * one letter short, one longer; and random strings */
	path_of(probes_path, sizeof probes_path, "probes");
	if ((f = fopen(probes_path, "wb")) == NULL) {
		CHECK(false, "%s: %s", probes_path, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char upper[1024];

		snprintf(upper, sizeof upper, "%s", lines[i]);
		ascii_upper(upper);
		fprintf(f, "%s\n%s\n%.*s\n%s!\n", lines[i], upper, (int)strlen(lines[i]) - 1,
		    lines[i], lines[i]);
		for (const char *p = lines[i]; *p; p++) {
			if (*p >= '0' && *p <= '9')
				fprintf(f, "\xdb%c", (char)(0xb0 + *p - '0'));
			else
				fputc(*p, f);
		}
		fputc('\n', f);
		probes += 5;
	}
	for (int i = 0; i < 2000; i++) {
		static const char alphabet[] = "aAeEiIoOnNsS0123!";
		unsigned char r[12];

		if (!random_bytes(r, sizeof r))
			abort();
		for (size_t j = 0; j < 4 + (size_t)(r[0] % 8); j++)
			fputc(alphabet[r[j] % (sizeof alphabet - 1)], f);
		fputc('\n', f);
		probes++;
	}
	fclose(f);

	snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %s", REF, JOHN, probes_path);
	if ((ref = popen(cmd, "r")) == NULL) {
		CHECK(false, "%s: %s", cmd, strerror(errno));
		goto out;
	}
	if (fgets(line, sizeof line, ref) == NULL || sscanf(line, "count %zu", &count) != 1)
		CHECK(false, "%s: no count", cmd);
	CHECK(count == list.count, "python counts %zu passwords, we %zu", count, list.count);
	if ((f = fopen(probes_path, "rb")) == NULL) {
		CHECK(false, "%s: %s", probes_path, strerror(errno));
		pclose(ref);
		goto out;
	}
	for (size_t i = 0; i < probes; i++) {
		char probe[1100];
		bool want;

		if (fgets(probe, sizeof probe, f) == NULL || fgets(line, sizeof line, ref) == NULL)
			break;
		probe[strcspn(probe, "\n")] = '\0';
		want = line[0] == '1';
		if (blocklist_contains(&list, probe) == want)
			agreed++;
		else
			CHECK(false, "\"%s\": python says %s", probe, want ? "listed" : "not listed");
	}
	fclose(f);
	CHECK(pclose(ref) == 0, "%s failed", cmd);
	CHECK(agreed == probes, "%zu of %zu probes agreed", agreed, probes);
	printf("  %zu probes, all agreeing with %s; %zu passwords\n", agreed, REF, count);
out:
	free_lines(lines, n);
	blocklist_free(&list);
}

/* ---- memory ---- */

/* Rss, Pss and anonymous (private, written) memory of this process, in kB,
 * from /proc/self/smaps_rollup. */
struct mem {
	long rss, pss, anon;
};

static bool
mem_now(struct mem *m)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];

	m->rss = m->pss = m->anon = -1;
	if (f == NULL)
		return false;
	while (fgets(line, sizeof line, f) != NULL) {
		sscanf(line, "Rss: %ld kB", &m->rss);
		sscanf(line, "Pss: %ld kB", &m->pss);
		sscanf(line, "Anonymous: %ld kB", &m->anon);
	}
	fclose(f);
	return m->rss >= 0 && m->pss >= 0 && m->anon >= 0;
}

/*
 * What john's list costs a process: the module's own bytes, and what Rss,
 * Pss and anonymous memory grow by at the first load (which includes the
 * heap the load's temporary copies leave behind for later mallocs, and, in
 * Rss and Pss, library code touched for the first time).
 */
static void
john_list_memory_is_small(void)
{
	struct blocklist list;
	struct mem m0, m1;

	if (!mem_now(&m0)) {
		CHECK(false, "/proc/self/smaps_rollup unreadable");
		return;
	}
	if (!load_john(&list))
		return;
	CHECK(mem_now(&m1), "/proc/self/smaps_rollup unreadable");
	printf("  john's list: %zu passwords in %zu bytes (one allocation); this process "
	    "after loading it: Rss %+ld kB, Pss %+ld kB, Anonymous %+ld kB\n",
	    list.count, list.bytes, m1.rss - m0.rss, m1.pss - m0.pss, m1.anon - m0.anon);
	/* offsets of 4 bytes, and each password with its NUL: 26 kB of text */
	CHECK(list.bytes < 64 * 1024, "%zu bytes", list.bytes);
#ifndef __SANITIZE_ADDRESS__
	/* the list, and the file and offsets the load copied for a while */
	CHECK(m1.anon - m0.anon < 256, "Anonymous grew by %ld kB", m1.anon - m0.anon);
#endif
	blocklist_free(&list);
}

int
main(void)
{
	char cmd[64];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	count_allocations();
	RUN(john_list_memory_is_small);
	RUN(john_list_finds_common_passwords_in_any_case);
	RUN(john_list_has_every_line_in_every_case);
	RUN(ten_random_digits_are_not_in_john_list);
	RUN(file_grammar);
	RUN(lines_and_passwords_over_512_bytes_never_match);
	RUN(refusals_give_a_reason);
	RUN(lookups_allocate_nothing);
	RUN(answers_agree_with_python_reference);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		perror(cmd);
	HARNESS_EXIT();
}
