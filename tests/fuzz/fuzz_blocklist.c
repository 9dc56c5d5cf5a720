/*
 * The password blocklist: the first half of the input is a list file
 * (blocklist_parse), the second half a password (up to its first NUL, as a
 * C string from a request is).
 *
 * Oracle: a naive scan written here, with a fold of its own, over the raw
 * lines of the first half. The list is refused exactly when the scan finds a
 * NUL or no password; otherwise count and bytes are those of the scan's
 * distinct folded lines, and blocklist_contains() agrees with the scan for
 * the password, for every line of the list as it is and in capitals, and
 * for every line with one byte more (the first 100 lines).
 */
#include <stdbool.h>

#include "fuzz.h"
#include "phoneauth/blocklist.h"

/* The contract's fold, written again: Persian U+06F0..9 (DB B0..B9) and
 * Arabic-Indic U+0660..9 (D9 A0..A9) digits to ASCII, then A-Z to a-z. */
static size_t
ref_fold(const unsigned char *s, size_t len, unsigned char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (i + 1 < len && c == 0xdb && s[i + 1] >= 0xb0 && s[i + 1] <= 0xb9)
			c = (unsigned char)('0' + s[++i] - 0xb0);
		else if (i + 1 < len && c == 0xd9 && s[i + 1] >= 0xa0 && s[i + 1] <= 0xa9)
			c = (unsigned char)('0' + s[++i] - 0xa0);
		else if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		out[o++] = c;
	}
	return o;
}

struct line {
	const unsigned char *s;	/* the line as it is */
	size_t len;
	const unsigned char *f;	/* folded */
	size_t flen;
};

/* The password lines of text, line ends off, with their folded forms in
 * *folded. Owner of the array and of *folded: the caller. */
static struct line *
ref_lines(const unsigned char *text, size_t len, size_t *n, unsigned char **folded)
{
	struct line *lines = malloc((len / 2 + 1) * sizeof *lines);
	size_t start = 0, used = 0;

	*folded = malloc(len + 1);
	if (lines == NULL || *folded == NULL)
		abort();
	*n = 0;
	while (start < len) {
		size_t end = start, next;

		while (end < len && text[end] != '\n')
			end++;
		next = end + 1;
		if (end > start && text[end - 1] == '\r')
			end--;
		if (end > start && end - start <= BLOCKLIST_MAX_BYTES && text[start] != '#') {
			struct line *l = &lines[(*n)++];

			l->s = text + start;
			l->len = end - start;
			l->f = *folded + used;
			l->flen = ref_fold(l->s, l->len, *folded + used);
			used += l->flen;
		}
		start = next;
	}
	return lines;
}

static bool
ref_contains(const struct line *lines, size_t n, const char *password)
{
	unsigned char f[BLOCKLIST_MAX_BYTES];
	size_t len = strlen(password), flen;

	if (len > BLOCKLIST_MAX_BYTES)
		return false;
	flen = ref_fold((const unsigned char *)password, len, f);
	for (size_t i = 0; i < n; i++)
		if (lines[i].flen == flen && memcmp(lines[i].f, f, flen) == 0)
			return true;
	return false;
}

/* One lookup, as a C string of exactly its length (an overread is caught). */
static void
agree(const struct blocklist *list, const struct line *lines, size_t n,
    const unsigned char *pw, size_t len)
{
	char *s = fuzz_cstring(pw, len);

	FUZZ_ASSERT(blocklist_contains(list, s) == ref_contains(lines, n, s));
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t half = size / 2, n, distinct = 0, bytes = 0;
	const unsigned char *text = data;
	struct line *lines;
	unsigned char *folded;
	struct blocklist list;
	char why[256];
	bool ok;

	ok = blocklist_parse((const char *)text, half, &list, why, sizeof why);
	lines = ref_lines(text, half, &n, &folded);
	if (memchr(text, '\0', half) != NULL || n == 0) {
		FUZZ_ASSERT(!ok);
		FUZZ_ASSERT(why[0] != '\0');
		FUZZ_ASSERT(list.mem == NULL && list.count == 0 && list.bytes == 0);
		FUZZ_ASSERT(!blocklist_contains(&list, "x"));
		goto out;
	}
	FUZZ_ASSERT(ok);

	/* distinct folded lines: quadratic, so only for short lists */
	if (n <= 300) {
		for (size_t i = 0; i < n; i++) {
			bool seen = false;

			for (size_t j = 0; j < i && !seen; j++)
				seen = lines[i].flen == lines[j].flen &&
				    memcmp(lines[i].f, lines[j].f, lines[i].flen) == 0;
			if (!seen) {
				distinct++;
				bytes += sizeof(uint32_t) + lines[i].flen + 1;
			}
		}
		FUZZ_ASSERT(list.count == distinct);
		FUZZ_ASSERT(list.bytes == bytes);
	}

	/* the password: the second half, to its first NUL */
	{
		const unsigned char *pw = data + half;
		const unsigned char *nul = memchr(pw, '\0', size - half);

		agree(&list, lines, n, pw, nul != NULL ? (size_t)(nul - pw) : size - half);
	}
	/* the lines themselves, in capitals, one byte longer (the first 100) */
	for (size_t i = 0; i < n && i < 100; i++) {
		unsigned char buf[BLOCKLIST_MAX_BYTES + 1];

		agree(&list, lines, n, lines[i].s, lines[i].len);
		for (size_t j = 0; j < lines[i].len; j++)
			buf[j] = lines[i].s[j] >= 'a' && lines[i].s[j] <= 'z' ?
			    (unsigned char)(lines[i].s[j] - 'a' + 'A') : lines[i].s[j];
		agree(&list, lines, n, buf, lines[i].len);
		buf[lines[i].len] = 'x';
		agree(&list, lines, n, buf, lines[i].len + 1);
	}
	blocklist_free(&list);
out:
	free(folded);
	free(lines);
	return 0;
}
