/*
 * The password blocklist (see blocklist.h): one allocation per worker, made
 * at start, holding a sorted array of 32-bit offsets followed by the folded
 * passwords, each NUL-terminated, in the same order; a lookup folds the
 * password into a stack buffer and searches the array.
 *
 * A sorted array rather than a hash set: for john's 3,410 passwords a lookup
 * is 12 comparisons whatever the input (no hash function to choose, no
 * worst case that depends on the list), which is nothing beside the PBKDF2
 * that follows it; the offsets cost 4 bytes a password where a hash table
 * at a sane load factor costs twice that; and sorting is what collapses the
 * duplicates. The list is public, so the search need not run in constant
 * time; the copy of the password is wiped all the same.
 *
 * Must never: allocate or write outside its stack buffer in
 * blocklist_contains (it runs on every password a client sends), trust a
 * length it did not measure, or fold the list and the password differently.
 */
#include "phoneauth/blocklist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "phoneauth/errmsg.h"
#include "phoneauth/text.h"

/*
 * The one fold, for the list and for passwords: Persian and Arabic-Indic
 * digits to ASCII (text_ascii_digits, as the policy reads them), then ASCII
 * upper case to lower. `s` has at most BLOCKLIST_MAX_BYTES bytes; the result
 * is no longer. A full Unicode case fold would need tables this service does
 * not have, and the lists in use are ASCII: other letters compare as typed.
 */
static size_t
fold(const char *s, char out[BLOCKLIST_MAX_BYTES + 1])
{
	size_t n;

	if (!text_ascii_digits(s, out, BLOCKLIST_MAX_BYTES + 1)) {
		out[0] = '\0';	/* cannot happen: s is no longer than out */
		return 0;
	}
	for (n = 0; out[n] != '\0'; n++)
		if (out[n] >= 'A' && out[n] <= 'Z')
			out[n] = (char)(out[n] - 'A' + 'a');
	return n;
}

/*
 * The next line of text[0..len) from *pos: its start and length without its
 * line end ("\n", and a '\r' before it or before the end of the text).
 * False when there is none left.
 */
static bool
next_line(const char *text, size_t len, size_t *pos, size_t *start, size_t *linelen)
{
	const char *nl;
	size_t end;

	if (*pos >= len)
		return false;
	*start = *pos;
	nl = memchr(text + *pos, '\n', len - *pos);
	end = nl != NULL ? (size_t)(nl - text) : len;
	*pos = nl != NULL ? end + 1 : len;
	if (end > *start && text[end - 1] == '\r')
		end--;
	*linelen = end - *start;
	return true;
}

/* Comments, empty lines and lines no password can equal are not kept. */
static bool
kept(const char *line, size_t linelen)
{
	return linelen > 0 && linelen <= BLOCKLIST_MAX_BYTES && line[0] != '#';
}

static void
sift(uint32_t *off, size_t root, size_t n, const char *s)
{
	for (;;) {
		size_t child = 2 * root + 1;
		uint32_t t;

		if (child >= n)
			return;
		if (child + 1 < n && strcmp(s + off[child], s + off[child + 1]) < 0)
			child++;
		if (strcmp(s + off[root], s + off[child]) >= 0)
			return;
		t = off[root], off[root] = off[child], off[child] = t;
		root = child;
	}
}

/* Heapsort of offsets into s by the strings they point at: qsort() passes
 * its comparison no context, and heapsort needs no extra memory and has no
 * quadratic case. */
static void
sort_offsets(uint32_t *off, size_t n, const char *s)
{
	for (size_t i = n / 2; i-- > 0;)
		sift(off, i, n, s);
	for (size_t end = n; end-- > 1;) {
		uint32_t t = off[0];

		off[0] = off[end], off[end] = t;
		sift(off, 0, end, s);
	}
}

/* The line of the first NUL byte, for the reason. */
static size_t
nul_line(const char *text, const char *nul)
{
	size_t lineno = 1;

	for (const char *p = text; p < nul; p++)
		lineno += *p == '\n';
	return lineno;
}

static size_t
count_kept(const char *text, size_t len)
{
	size_t pos, start, linelen, n = 0;

	for (pos = 0; next_line(text, len, &pos, &start, &linelen);)
		n += kept(text + start, linelen);
	return n;
}

/* Folds each kept line in place, NUL-terminated, and notes its offset;
 * returns how many. */
static size_t
fold_lines(char *text, size_t len, uint32_t *off)
{
	size_t pos, start, linelen, n = 0;

	for (pos = 0; next_line(text, len, &pos, &start, &linelen);) {
		char folded[BLOCKLIST_MAX_BYTES + 1];
		size_t flen;

		if (!kept(text + start, linelen))
			continue;
		text[start + linelen] = '\0';	/* the '\n' or '\r', or text[len] */
		flen = fold(text + start, folded);
		memcpy(text + start, folded, flen + 1);
		off[n++] = (uint32_t)start;
	}
	return n;
}

/* Drops the duplicates of the sorted off[0..n); returns how many are left,
 * and in *strbytes the bytes of their strings with their NULs. */
static size_t
unique(uint32_t *off, size_t n, const char *text, size_t *strbytes)
{
	size_t m = 0;

	*strbytes = 0;
	for (size_t i = 0; i < n; i++) {
		if (m > 0 && strcmp(text + off[m - 1], text + off[i]) == 0)
			continue;
		off[m++] = off[i];
		*strbytes += strlen(text + off[i]) + 1;
	}
	return m;
}

/* The one allocation: m offsets, then the strings; NULL if out of memory.
 * Offsets first: malloc's alignment is uint32_t's. */
static unsigned char *
pack(const uint32_t *off, size_t m, const char *text, size_t strbytes)
{
	unsigned char *mem = malloc(m * sizeof *off + strbytes);
	char *strings;
	size_t pos = 0;

	if (mem == NULL)
		return NULL;
	strings = (char *)mem + m * sizeof *off;
	for (size_t i = 0; i < m; i++) {
		size_t l = strlen(text + off[i]) + 1;
		uint32_t at = (uint32_t)pos;

		memcpy(strings + pos, text + off[i], l);
		memcpy(mem + i * sizeof at, &at, sizeof at);
		pos += l;
	}
	return mem;
}

/*
 * Builds the list from text[0..len), which it rewrites: each kept line is
 * folded in place (a fold never lengthens) and NUL-terminated. text has
 * room for len + 1 bytes, and len is at most BLOCKLIST_MAX_FILE (the
 * callers' check), so an offset fits in 32 bits. `name` is what the reasons
 * start with.
 */
static bool
build(char *text, size_t len, const char *name, struct blocklist *list, char *why, size_t whylen)
{
	uint32_t *off;		/* owner: this function */
	unsigned char *mem;
	size_t n, m, strbytes;
	const char *nul;

	memset(list, 0, sizeof *list);
	if ((nul = memchr(text, '\0', len)) != NULL)
		return errmsg(why, whylen, "%s: line %zu: a NUL byte (a compressed or binary "
		    "file, not one password a line?)", name, nul_line(text, nul));
	text[len] = '\0';
	if ((n = count_kept(text, len)) == 0)
		return errmsg(why, whylen, "%s: no password in it (only comments and empty lines)",
		    name);
	if ((off = malloc(n * sizeof *off)) == NULL)
		return errmsg(why, whylen, "%s: out of memory", name);
	n = fold_lines(text, len, off);
	sort_offsets(off, n, text);
	m = unique(off, n, text, &strbytes);
	mem = pack(off, m, text, strbytes);
	free(off);
	if (mem == NULL)
		return errmsg(why, whylen, "%s: out of memory", name);
	list->mem = mem;
	list->count = m;
	list->bytes = m * sizeof(uint32_t) + strbytes;
	return true;
}

bool
blocklist_parse(const char *data, size_t len, struct blocklist *list, char *why, size_t whylen)
{
	char *text;	/* owner: this function */
	bool ok;

	memset(list, 0, sizeof *list);
	if (len > BLOCKLIST_MAX_FILE)
		return errmsg(why, whylen, "%zu bytes, more than the %u MiB a list may have",
		    len, BLOCKLIST_MAX_FILE / (1024 * 1024));
	if ((text = malloc(len + 1)) == NULL)
		return errmsg(why, whylen, "out of memory");
	if (len > 0)
		memcpy(text, data, len);
	ok = build(text, len, "the list", list, why, whylen);
	free(text);
	return ok;
}

bool
blocklist_load(const char *path, struct blocklist *list, char *why, size_t whylen)
{
	struct stat st;
	char *text = NULL;	/* owner: this function */
	size_t size, got = 0;
	bool ok = false;
	int fd;

	memset(list, 0, sizeof *list);
	/* O_NONBLOCK: a FIFO at the path must not hang the start; it is refused
	 * below like anything else that is not a regular file. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return errmsg(why, whylen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		errmsg(why, whylen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		errmsg(why, whylen, "%s: a directory, not a file of passwords", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		errmsg(why, whylen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > BLOCKLIST_MAX_FILE) {
		errmsg(why, whylen, "%s: %lld bytes, more than the %u MiB a list may have",
		    path, (long long)st.st_size, BLOCKLIST_MAX_FILE / (1024 * 1024));
		goto out;
	}
	size = (size_t)st.st_size;
	/* one byte more than fstat said: a file that grew is seen to have */
	if ((text = malloc(size + 1)) == NULL) {
		errmsg(why, whylen, "%s: out of memory", path);
		goto out;
	}
	while (got < size + 1) {
		ssize_t r = read(fd, text + got, size + 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			errmsg(why, whylen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got != size) {
		errmsg(why, whylen, "%s: changed while it was read", path);
		goto out;
	}
	ok = build(text, size, path, list, why, whylen);
out:
	free(text);
	close(fd);
	return ok;
}

bool
blocklist_contains(const struct blocklist *list, const char *password)
{
	char folded[BLOCKLIST_MAX_BYTES + 1];
	const char *strings;
	size_t lo = 0, hi = list->count;
	bool found = false;

	if (list->mem == NULL || strnlen(password, BLOCKLIST_MAX_BYTES + 1) > BLOCKLIST_MAX_BYTES)
		return false;
	fold(password, folded);
	strings = (const char *)list->mem + list->count * sizeof(uint32_t);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t at;
		int c;

		memcpy(&at, list->mem + mid * sizeof at, sizeof at);
		c = strcmp(folded, strings + at);
		if (c == 0) {
			found = true;
			break;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	OPENSSL_cleanse(folded, sizeof folded);
	return found;
}

void
blocklist_free(struct blocklist *list)
{
	free(list->mem);
	memset(list, 0, sizeof *list);
}
