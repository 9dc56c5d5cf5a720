/*
 * The environment of the targets that load a configuration: the caller's
 * PHONEAUTH_* cleared, so that only what the target sets counts, and the
 * one test secret, in a memory file (nothing written to disk). Include
 * after defining _GNU_SOURCE (memfd_create).
 */
#ifndef FUZZ_ENV_H
#define FUZZ_ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

/* Unsets every PHONEAUTH_* (unsetenv changes environ: start over after each). */
static inline void
fuzz_env_clear(void)
{
	for (int again = 1; again; ) {
		again = 0;
		for (char **e = environ; *e != NULL; e++)
			if (strncmp(*e, "PHONEAUTH_", 10) == 0) {
				char name[256];

				snprintf(name, sizeof name, "%.*s", (int)strcspn(*e, "="), *e);
				unsetenv(name);
				again = 1;
				break;
			}
	}
}

/* A memory file holding `text`, named by `path` (/proc/self/fd/N); its
 * descriptor. Aborts when it cannot. */
static inline int
fuzz_memfd(const char *name, const char *text, char path[64])
{
	size_t len = strlen(text);
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		perror("fuzz: memfd");
		abort();
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

/* Clears the environment, then names the test secret (an HS256 key of more
 * than 32 bytes) as PHONEAUTH_JWT_SECRET_FILE and as the password blocklist, its
 * path into `path`, and a data key (data_key_file: 32 bytes, mode 0600 as a
 * memfd is made). */
static inline void
fuzz_env_secret(char path[64])
{
	char data_key[64];

	fuzz_env_clear();
	(void)fuzz_memfd("fuzz-key", "a fuzz-only secret of more than 32 bytes\n", path);
	setenv("PHONEAUTH_JWT_SECRET_FILE", path, 1);
	/* The secret is a list of one password: no john-data needed. */
	setenv("PHONEAUTH_PASSWORD_BLOCKLIST", path, 1);
	/* A memfd is made 0777: the key file is refused open to others. */
	if (fchmod(fuzz_memfd("fuzz-data-key",
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", data_key),
	    0600) != 0)
		abort();
	setenv("PHONEAUTH_DATA_KEY_FILE", data_key, 1);
}

#endif
