/*
 * Running the oracles no one here wrote (oathtool, pyotp, Python's base64
 * and cryptography, rsvg-convert and zbarimg) from a unit test: Debian
 * packages of scripts/deps.sh's `test` group, run from the top of the tree
 * (make check and tests/run.sh run the tests there), never the network. A
 * missing tool is a failure that names the package: a test that silently
 * skipped its oracle would prove nothing.
 */
#ifndef TOOL_H
#define TOOL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Debian's own interpreter: the one its python3-* packages are for. */
#define TOOL_PYTHON "/usr/bin/python3"

/* Whether prog (an absolute path) can be run. */
static inline bool
tool_have(const char *prog)
{
	return access(prog, X_OK) == 0;
}

/*
 * Runs cmd through /bin/sh with stdin from /dev/null and puts what it wrote
 * on stdout (at most outlen - 1 bytes) in out. Returns its exit status, or
 * -1 if it could not be run or was killed.
 */
static inline int
tool_run(const char *cmd, char *out, size_t outlen)
{
	size_t n = 0, fulllen = strlen(cmd) + sizeof " </dev/null";
	char *full = malloc(fulllen);
	FILE *p;
	int st;

	if (full == NULL)
		return -1;
	snprintf(full, fulllen, "%s </dev/null", cmd);
	p = popen(full, "r");
	free(full);
	if (p == NULL)
		return -1;
	while (n + 1 < outlen) {
		size_t got = fread(out + n, 1, outlen - 1 - n, p);

		if (got == 0)
			break;
		n += got;
	}
	out[n] = '\0';
	st = pclose(p);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Writes len bytes to a new file under /tmp named after `what`; its path in
 * path (64 bytes). False if that fails. The caller unlinks it. */
static inline bool
tool_tmpfile(const char *what, const void *data, size_t len, char path[64])
{
	int fd;
	bool ok;

	snprintf(path, 64, "/tmp/phoneauth-%s-XXXXXX", what);
	if ((fd = mkstemp(path)) < 0)
		return false;
	ok = write(fd, data, len) == (ssize_t)len;
	return close(fd) == 0 && ok;
}

#endif
