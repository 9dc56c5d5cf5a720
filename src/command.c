/*
 * Running a configured program (see command.h). Everything the child needs
 * (its argv, its environment, its descriptors) is made before fork(), so
 * that between fork() and exec the child calls only async-signal-safe
 * functions: a worker has a second thread (hasher.c), and a child of a
 * threaded process must not malloc. What this file must never do: run a
 * shell, pass a descriptor beyond 0-2 (the Redis connection is
 * authenticated, the log is ours), pass PHONEAUTH_* variables, or wait
 * past the timeout.
 */
#define _GNU_SOURCE		/* close_range, pipe2 */

#include "phoneauth/command.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "phoneauth/clock.h"

extern char **environ;

bool
command_parse(const char *line, struct command *out, char *why, size_t whylen)
{
	char *save = NULL;
	int argc = 0;

	memset(out, 0, sizeof *out);
	if (strnlen(line, COMMAND_MAX + 1) > COMMAND_MAX) {
		snprintf(why, whylen, "longer than %d bytes", COMMAND_MAX);
		return false;
	}
	if ((out->words = strdup(line)) == NULL) {	/* owner: out, command_free() */
		snprintf(why, whylen, "out of memory");
		return false;
	}
	for (char *w = strtok_r(out->words, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		if (argc == COMMAND_MAX_ARGS) {
			snprintf(why, whylen, "more than %d words", COMMAND_MAX_ARGS);
			command_free(out);
			return false;
		}
		out->argv[argc++] = w;
	}
	if (argc == 0) {
		snprintf(why, whylen, "no program named");
		command_free(out);
		return false;
	}
	if (out->argv[0][0] != '/') {
		snprintf(why, whylen, "the program must be an absolute path (no shell, no PATH search)");
		command_free(out);
		return false;
	}
	return true;
}

void
command_free(struct command *c)
{
	free(c->words);
	memset(c, 0, sizeof *c);
}

/* Whether entry "NAME=..." names a variable that `env` sets too. */
static bool
overridden(const char *entry, const char *const *env)
{
	size_t n = strcspn(entry, "=");

	for (; env != NULL && *env != NULL; env++)
		if (strncmp(*env, entry, n) == 0 && (*env)[n] == '=')
			return true;
	return false;
}

/* The child's environment: an array of pointers into strings that outlive
 * the run (ours and the caller's); owner of the array: the caller. */
static char **
make_env(const char *const *env, enum command_env how)
{
	size_t n = 2, k = 0;
	char **e;

	for (const char *const *p = env; p != NULL && *p != NULL; p++)
		n++;
	if (how == COMMAND_ENV_INHERIT)
		for (char **p = environ; *p != NULL; p++)
			n++;
	if ((e = calloc(n, sizeof *e)) == NULL)
		return NULL;
	if (how == COMMAND_ENV_INHERIT) {
		for (char **p = environ; *p != NULL; p++)
			if (strncmp(*p, "PHONEAUTH_", 10) != 0 && !overridden(*p, env))
				e[k++] = *p;
	} else if (!overridden(COMMAND_PATH, env)) {
		e[k++] = (char *)COMMAND_PATH;
	}
	for (const char *const *p = env; p != NULL && *p != NULL; p++)
		e[k++] = (char *)*p;
	e[k] = NULL;
	return e;
}

/* In the child, between fork() and exec: async-signal-safe calls only. */
static void
exec_child(const struct command *c, char **envp, int in, int err)
{
	static const char msg[] = "cannot run the program: exec failed\n";

	setpgid(0, 0);
	/* above 2 first, so that neither lands on the other's target */
	if ((in = fcntl(in, F_DUPFD, 3)) < 0 || (err = fcntl(err, F_DUPFD, 3)) < 0 ||
	    dup2(in, STDIN_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
		_exit(126);
	if (close_range(3, ~0U, 0) != 0)
		for (int fd = 3; fd < 65536; fd++)
			close(fd);
	execve(c->argv[0], c->argv, envp);
	if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
		/* nowhere to say it */
	}
	_exit(127);
}

/* Keeps the first line of what the program says on stderr. */
static void
keep_stderr(struct command_result *out, size_t *got, const char *buf, size_t n)
{
	size_t room = sizeof out->stderr_line - 1 - *got;

	if (n > room)
		n = room;
	memcpy(out->stderr_line + *got, buf, n);
	*got += n;
	out->stderr_line[*got] = '\0';
}

/* One run of a program, as the parent sees it: -1 for a closed end. */
struct run {
	const char *in;			/* the input; owner: the caller */
	size_t inlen, sent;
	size_t got;			/* bytes kept in out->stderr_line */
	int to_child[2], from_child[2];
	pid_t pid;
	sigset_t pipe_only, old;
	bool pipe_was_pending;
};

static void
close_end(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A program that exits without reading its input makes our write raise
 * SIGPIPE: held back here, and taken away by release_sigpipe() unless it
 * was already pending for someone else. */
static void
hold_sigpipe(struct run *r)
{
	sigset_t pending;

	sigemptyset(&r->pipe_only);
	sigaddset(&r->pipe_only, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &r->pipe_only, &r->old);
	sigpending(&pending);
	r->pipe_was_pending = sigismember(&pending, SIGPIPE) == 1;
}

static void
release_sigpipe(struct run *r)
{
	struct timespec zero = { 0, 0 };

	if (!r->pipe_was_pending)
		while (sigtimedwait(&r->pipe_only, NULL, &zero) == SIGPIPE)
			;
	pthread_sigmask(SIG_SETMASK, &r->old, NULL);
}

/* Forks the child; in the parent, keeps only our ends, non-blocking (an
 * end that cannot be is closed, as is stdin's when there is no input). */
static bool
start_child(struct run *r, const struct command *c, char **envp, struct command_result *out)
{
	if ((r->pid = fork()) < 0) {
		snprintf(out->error, sizeof out->error, "fork: %s", strerror(errno));
		pthread_sigmask(SIG_SETMASK, &r->old, NULL);
		return false;
	}
	if (r->pid == 0) {
		pthread_sigmask(SIG_SETMASK, &r->old, NULL);
		exec_child(c, envp, r->to_child[0], r->from_child[1]);
	}
	setpgid(r->pid, r->pid);
	close_end(&r->to_child[0]);
	close_end(&r->from_child[1]);
	if (fcntl(r->to_child[1], F_SETFL, O_NONBLOCK) != 0 || r->inlen == 0)
		close_end(&r->to_child[1]);
	if (fcntl(r->from_child[0], F_SETFL, O_NONBLOCK) != 0)
		close_end(&r->from_child[0]);
	return true;
}

static void
feed_input(struct run *r)
{
	ssize_t w = write(r->to_child[1], r->in + r->sent, r->inlen - r->sent);

	if (w > 0)
		r->sent += (size_t)w;
	if ((w < 0 && errno != EAGAIN && errno != EINTR) || r->sent == r->inlen)
		close_end(&r->to_child[1]);	/* all of it, or it stopped reading */
}

static void
read_stderr(struct run *r, struct command_result *out)
{
	char buf[512];
	ssize_t n = read(r->from_child[0], buf, sizeof buf);

	if (n > 0)
		keep_stderr(out, &r->got, buf, (size_t)n);
	else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		close_end(&r->from_child[0]);
}

/* One wait of at most `left` ms (> 0) on whichever ends are still open. */
static void
poll_once(struct run *r, long long left, struct command_result *out)
{
	struct pollfd p[2];
	nfds_t n = 0;
	int out_at = -1, err_at = -1;

	if (r->to_child[1] >= 0) {
		out_at = (int)n;
		p[n++] = (struct pollfd){ .fd = r->to_child[1], .events = POLLOUT };
	}
	if (r->from_child[0] >= 0) {
		err_at = (int)n;
		p[n++] = (struct pollfd){ .fd = r->from_child[0], .events = POLLIN };
	}
	/* wake up now and then to see whether it exited: a program may
	 * leave a child of its own holding stderr open */
	if (poll(p, n, left > 100 ? 100 : (int)left) <= 0)
		return;
	if (out_at >= 0 && p[out_at].revents != 0)
		feed_input(r);
	if (err_at >= 0 && p[err_at].revents != 0)
		read_stderr(r, out);
}

/* Feeds and listens until the child exits or the deadline, when its whole
 * group is killed; then reaps it and reads what it said just before. */
static int
wait_child(struct run *r, long long deadline, struct command_result *out)
{
	int status = 0;
	bool exited = false;

	while (!exited) {
		long long left = deadline - clock_monotonic_ms();

		if (left <= 0) {
			out->timed_out = true;
			kill(-r->pid, SIGKILL);
			break;
		}
		poll_once(r, left, out);
		exited = waitpid(r->pid, &status, WNOHANG) == r->pid;
	}
	if (!exited)
		waitpid(r->pid, &status, 0);
	while (r->from_child[0] >= 0 && r->got < sizeof out->stderr_line - 1) {
		char buf[512];
		ssize_t n = read(r->from_child[0], buf, sizeof buf);

		if (n <= 0)
			break;
		keep_stderr(out, &r->got, buf, (size_t)n);
	}
	return status;
}

/* What the run came to, for the caller and the log. */
static void
judge(int status, long timeout_ms, struct command_result *out)
{
	out->stderr_line[strcspn(out->stderr_line, "\r\n")] = '\0';
	if (out->timed_out) {
		out->signal = SIGKILL;
		snprintf(out->error, sizeof out->error, "timed out after %ld ms", timeout_ms);
	} else if (WIFEXITED(status)) {
		out->exit_status = WEXITSTATUS(status);
		if (out->exit_status != 0)
			snprintf(out->error, sizeof out->error, "exit status %d", out->exit_status);
	} else if (WIFSIGNALED(status)) {
		out->signal = WTERMSIG(status);
		snprintf(out->error, sizeof out->error, "killed by signal %d", out->signal);
	}
}

bool
command_run(const struct command *c, const char *const *env, enum command_env how,
    const void *input, size_t inlen, long timeout_ms, struct command_result *out)
{
	long long start = clock_monotonic_ms();
	struct run r = { .in = input, .inlen = inlen, .to_child = { -1, -1 }, .from_child = { -1, -1 } };
	char **envp;
	int status;

	memset(out, 0, sizeof *out);
	out->exit_status = -1;
	if (c->argv[0] == NULL) {
		snprintf(out->error, sizeof out->error, "no program");
		return false;
	}
	if ((envp = make_env(env, how)) == NULL) {
		snprintf(out->error, sizeof out->error, "out of memory");
		return false;
	}
	if (pipe2(r.to_child, O_CLOEXEC) != 0 || pipe2(r.from_child, O_CLOEXEC) != 0) {
		snprintf(out->error, sizeof out->error, "pipe: %s", strerror(errno));
		goto fail;
	}
	hold_sigpipe(&r);
	if (!start_child(&r, c, envp, out))
		goto fail;
	status = wait_child(&r, start + timeout_ms, out);
	release_sigpipe(&r);
	out->elapsed_ms = clock_monotonic_ms() - start;
	judge(status, timeout_ms, out);
fail:
	for (int i = 0; i < 2; i++) {
		close_end(&r.to_child[i]);
		close_end(&r.from_child[i]);
	}
	free(envp);
	return out->exit_status == 0;
}
