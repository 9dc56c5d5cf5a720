/*
 * The password blocklist (API.md "Passwords"; NIST SP 800-63B-4 3.1.1.2,
 * ASVS 5.0 6.2.4): a file of common and compromised passwords, one a line,
 * read once per worker at start; a password is looked up in it without
 * allocating. Both sides are compared through the same fold: ASCII letters
 * in lower case, and Persian or Arabic-Indic digits as ASCII ones (as the
 * policy's text_ascii_digits does), so "PASSWORD1" and "۱۲۳۴۵۶۷۸" are found
 * as "password1" and "12345678" are. Every other byte is compared as it is.
 */
#ifndef PHONEAUTH_BLOCKLIST_H
#define PHONEAUTH_BLOCKLIST_H

#include <stdbool.h>
#include <stddef.h>

/* A list file larger than this is refused: no list of common passwords
 * needs it, and each worker keeps its own copy. */
#define BLOCKLIST_MAX_FILE (64u * 1024 * 1024)

/* A password of more bytes is never in the list (128 code points are at most
 * 512 bytes: the length rule refuses it anyway); a line of more is ignored. */
#define BLOCKLIST_MAX_BYTES 512

/* Read-only for the caller; zeroed, it is an empty list (contains nothing). */
struct blocklist {
	unsigned char *mem;	/* the one allocation: offsets, then the passwords; owner: this */
	size_t count;		/* distinct passwords, as folded */
	size_t bytes;		/* size of mem: what the list costs a worker */
};

/*
 * Reads the list at `path`: each line that is neither empty nor begins with
 * '#' is a password (its line end, "\n" or "\r\n", is not part of it, nor a
 * '\r' ending the last line, which needs no "\n"); lines over
 * BLOCKLIST_MAX_BYTES are ignored; duplicates, after folding, collapse.
 * Refused with one line in `why`, which the caller prefixes with its key
 * name: a file that cannot be opened or read, anything but a regular file,
 * a file over BLOCKLIST_MAX_FILE, a NUL byte (a compressed or binary file),
 * no password at all. On refusal `list` is zeroed.
 */
bool blocklist_load(const char *path, struct blocklist *list, char *why, size_t whylen);

/* The same from `len` bytes in memory (for the tests and the fuzzer). */
bool blocklist_parse(const char *data, size_t len, struct blocklist *list,
    char *why, size_t whylen);

/* Whether `password` (a C string), folded, is in the list. Allocates nothing
 * and wipes its copy of the password. */
bool blocklist_contains(const struct blocklist *list, const char *password);

/* Frees the list and zeroes it; a zeroed list may be freed again. */
void blocklist_free(struct blocklist *list);

#endif
