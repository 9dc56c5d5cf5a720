/*
 * The drivers. The command driver runs the program without a shell: its
 * values travel in the environment, never through a command line that could
 * be made to say something else, and it is killed (its whole process group)
 * when it overruns sms_timeout. Exit status 0 means delivered.
 */
#define _GNU_SOURCE		/* close_range */

#include "phoneauth/sms.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "phoneauth/clock.h"
#include "phoneauth/lang.h"
#include "phoneauth/log.h"

extern char **environ;

#define MAX_ARGS 16

/* In the child: the environment the command gets, and then the command. */
static void
exec_command(const struct config *cfg, const struct outbox_entry *e, int errfd)
{
	char *argv[MAX_ARGS + 1], *copy = strdup(cfg->sms_command), *save = NULL;
	int argc = 0;

	/* Our own configuration (passwords in URLs) is none of its business. */
	for (char **env = environ; *env != NULL; ) {
		if (strncmp(*env, "PHONEAUTH_", 10) == 0) {
			char name[128];

			snprintf(name, sizeof name, "%.*s", (int)strcspn(*env, "="), *env);
			unsetenv(name);
		} else {
			env++;
		}
	}
	setenv("PHONE", e->phone, 1);
	setenv("CODE", e->code, 1);
	setenv("PURPOSE", e->purpose, 1);
	setenv("LANGUAGE", e->language[0] ? e->language : lang_names[LANG_EN], 1);
	setenv("TEXT", e->text, 1);
	for (char *w = strtok_r(copy, " \t", &save); w != NULL && argc < MAX_ARGS;
	    w = strtok_r(NULL, " \t", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (argc == 0)
		_exit(127);
	dup2(errfd, STDERR_FILENO);
	/* Nothing of ours beyond 0-2 reaches the command: not the Redis
	 * connection (authenticated: it could be used as ours), not a log. */
	if (close_range(3, ~0U, 0) != 0)
		for (int fd = 3; fd < 65536; fd++)
			close(fd);
	execv(argv[0], argv);
	fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* The start of what the command said on stderr, for the dead letter. */
struct said {
	char text[256];
	size_t got;
};

static void
keep_said(struct said *s, const char *buf, size_t n)
{
	size_t room = sizeof s->text - 1 - s->got;

	if (n > room)
		n = room;
	memcpy(s->text + s->got, buf, n);
	s->got += n;
	s->text[s->got] = '\0';
}

/* The child, in its own process group, with its stderr on a pipe whose
 * read end goes to *fd; -1 if it could not be started. */
static pid_t
start_command(const struct config *cfg, const struct outbox_entry *e, int *fd, char *err,
    size_t errlen)
{
	int pipefd[2];
	pid_t pid;

	if (pipe(pipefd) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		close(pipefd[0]);
		exec_command(cfg, e, pipefd[1]);
	}
	setpgid(pid, pid);
	close(pipefd[1]);
	*fd = pipefd[0];
	return pid;
}

/* Reads what it says on stderr until it exits or its time is up, when its
 * whole group is killed; reaps it. False if it timed out. */
static bool
wait_command(pid_t pid, int fd, long long deadline, struct said *s, int *status)
{
	bool exited = false, timed_out = false;

	while (!exited) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - clock_monotonic_ms();

		if (left <= 0) {
			timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, left > 200 ? 200 : (int)left) > 0) {
			char buf[256];
			ssize_t n = read(fd, buf, sizeof buf);

			if (n > 0 && s->got < sizeof s->text - 1)
				keep_said(s, buf, (size_t)n);
		}
		exited = waitpid(pid, status, WNOHANG) == pid;
	}
	close(fd);
	if (!exited)
		waitpid(pid, status, 0);
	return !timed_out;
}

/* Exit status 0 is delivered; anything else says why, with its first line. */
static bool
judge_status(int status, struct said *s, char *err, size_t errlen, char *detail, size_t detaillen)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	s->text[strcspn(s->text, "\n")] = '\0';
	snprintf(detail, detaillen, "%s", s->text);
	if (WIFEXITED(status))
		snprintf(err, errlen, "exit status %d", WEXITSTATUS(status));
	else
		snprintf(err, errlen, "killed by signal %d", WTERMSIG(status));
	return false;
}

static bool
run_command(const struct config *cfg, const struct outbox_entry *e, char *err, size_t errlen,
    char *detail, size_t detaillen)
{
	long long deadline = clock_monotonic_ms() + cfg->sms_timeout * 1000;
	struct said said = { .got = 0 };
	int fd, status = 0;
	pid_t pid;

	if ((pid = start_command(cfg, e, &fd, err, errlen)) < 0)
		return false;
	if (!wait_command(pid, fd, deadline, &said, &status)) {
		snprintf(err, errlen, "timed out after %ld s", cfg->sms_timeout);
		return false;
	}
	return judge_status(status, &said, err, errlen, detail, detaillen);
}

bool
sms_deliver(const struct config *cfg, const struct outbox_entry *e, char *err, size_t errlen,
    char *detail, size_t detaillen)
{
	detail[0] = '\0';
	if (cfg->sms_driver == SMS_DRIVER_LOG) {
		if (e->code[0] == '\0')
			log_info("sms: %s for %s: %s", e->purpose, e->phone, e->text);
		else
			log_info("sms: code %s for %s (%s)", e->code, e->phone, e->purpose);
		return true;
	}
	return run_command(cfg, e, err, errlen, detail, detaillen);
}
