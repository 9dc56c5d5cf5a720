/*
 * Programs the service runs from its configuration (event_command, once per
 * event; sms_command could run the same way): split on blanks, never
 * through a shell; given its input on standard input; inheriting no
 * descriptor but 0, 1 and 2 (stdin is the input, stdout the caller's,
 * stderr is read back for the log) and no environment but what the caller
 * hands it; killed with its whole process group when its time is up.
 */
#ifndef PHONEAUTH_COMMAND_H
#define PHONEAUTH_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#define COMMAND_MAX_ARGS 16
#define COMMAND_MAX 4096		/* bytes of a command line */

struct command {
	char *words;			/* the line, cut into words; owner: this */
	char *argv[COMMAND_MAX_ARGS + 1];	/* into words; NULL-terminated */
};

/*
 * Splits `line` on spaces and tabs (no quoting: what is written is what is
 * run). False, with a reason in `why` for `phoneauth check`, if it is
 * empty, has more than COMMAND_MAX_ARGS words, or its program is not an
 * absolute path (no PATH search: which program runs is the configuration's
 * to say). command_free() releases it.
 */
bool command_parse(const char *line, struct command *out, char *why, size_t whylen);
void command_free(struct command *c);

/* The environment the program gets. */
enum command_env {
	COMMAND_ENV_CLEAR,		/* `env` and a fixed PATH, nothing else */
	COMMAND_ENV_INHERIT,		/* ours less PHONEAUTH_* (the configuration's
					 * secrets), with `env` over it (sms_command:
					 * provider keys come from the sender's unit) */
};

#define COMMAND_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct command_result {
	int exit_status;		/* -1 if it did not exit by itself */
	int signal;			/* the signal that ended it, or 0 */
	bool timed_out;			/* killed at the timeout */
	long long elapsed_ms;
	char stderr_line[256];		/* the first line it wrote on stderr */
	char error[160];		/* why it failed, for the log; "" on success */
};

/*
 * Runs `c` with `input` (inlen bytes, may be 0) on its standard input,
 * then end of file, and waits for it at most timeout_ms. `env`: a
 * NULL-terminated list of "NAME=value" (may be NULL). True if it exited
 * with status 0. A program that exits without reading its input is judged
 * by its exit status alone; SIGPIPE is never raised in the caller.
 */
bool command_run(const struct command *c, const char *const *env, enum command_env how,
    const void *input, size_t inlen, long timeout_ms, struct command_result *out);

#endif
