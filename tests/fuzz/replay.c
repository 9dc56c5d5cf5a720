/*
 * Replays inputs through a fuzz target without libFuzzer, so that `make
 * test` runs every seed and every crasher ever kept with gcc's sanitizers:
 *
 *   fuzz_replay_NAME FILE-OR-DIR...
 *
 * Each file (directories: each regular file in them, in name order) is read
 * into a buffer of exactly its size, as libFuzzer would pass it, so an
 * overread is caught by AddressSanitizer. A bug ends the program with the
 * sanitizer's report (or the failed oracle) and then the name of the input;
 * at the end one line "PASS fuzz_replay_NAME" counts for tests/run.sh.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sanitizer/common_interface_defs.h>

#include "fuzz.h"

static size_t replayed;
static const char *current;	/* the input being replayed */

static void
name_the_input(void)
{
	if (current != NULL) {
		static const char what[] = "replay: the input was ";

		/* async-signal-safe: this also runs in the SIGABRT handler */
		(void)!write(2, what, sizeof what - 1);
		(void)!write(2, current, strlen(current));
		(void)!write(2, "\n", 1);
	}
}

static void
on_abort(int sig)
{
	name_the_input();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, len = 0;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t got;

		if (len == cap) {
			unsigned char *grown;

			cap = cap ? cap * 2 : 4096;
			if ((grown = realloc(buf, cap)) == NULL) {
				fclose(f);
				free(buf);
				return -1;
			}
			buf = grown;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	{
		/* exactly len bytes, so that reading one past the input is caught */
		unsigned char *exact = malloc(len ? len : 1);

		if (exact == NULL) {
			free(buf);
			return -1;
		}
		if (len > 0)
			memcpy(exact, buf, len);
		free(buf);
		current = path;
		LLVMFuzzerTestOneInput(exact, len);
		current = NULL;
		free(exact);
	}
	replayed++;
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (d == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;	/* ., .. and .gitkeep */
		if (n == cap) {
			char **grown;

			cap = cap ? cap * 2 : 64;
			if ((grown = realloc(names, cap * sizeof *grown)) == NULL) {
				rc = -1;
				break;
			}
			names = grown;
		}
		if ((names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2)) == NULL) {
			rc = -1;
			break;
		}
		sprintf(names[n], "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode) &&
		    replay_file(names[i]) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	int rc = 0;

	/* sanitizer reports end in the death callback, failed oracles in abort() */
	__sanitizer_set_death_callback(name_the_input);
	signal(SIGABRT, on_abort);
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			/* a target with no crashers yet has no crashers directory */
			if (errno == ENOENT)
				continue;
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode) ? replay_dir(argv[i]) != 0 : replay_file(argv[i]) != 0) {
			rc = -1;
		}
	}
	if (rc != 0)
		printf("FAIL %s: could not read every input\n", name);
	else if (replayed == 0)
		printf("FAIL %s: no input to replay\n", name);
	else
		printf("PASS %s (%zu inputs)\n", name, replayed);
	return rc != 0 || replayed == 0;
}
