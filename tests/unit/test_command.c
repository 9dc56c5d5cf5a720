/*
 * command.c: the line split as written (no shell, absolute programs only),
 * and runs of this test program itself as the command (test_command
 * --child MODE ...): the input on its stdin, no descriptor beyond 0-2, an
 * environment of our choosing and never a PHONEAUTH_* variable, exit
 * statuses and signals told apart, the first line of stderr kept, a
 * program that overruns killed with its whole process group in time, and
 * a program that does not read its input raising no SIGPIPE here (this
 * test keeps SIGPIPE's default action on purpose: it would die of it).
 */
#define _GNU_SOURCE		/* asprintf */

#include "phoneauth/command.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "phoneauth/clock.h"

extern char **environ;

static char self[4096];		/* this program, by absolute path */
static char dir[] = "/tmp/test_command.XXXXXX";

static void
parsing_splits_on_blanks_and_wants_an_absolute_program(void)
{
	static const struct {
		int line;
		const char *text;
		int argc;		/* -1: refused */
		const char *why;
	} cases[] = {
		{ __LINE__, "/bin/cat", 1, NULL },
		{ __LINE__, "  /usr/bin/logger \t-t  phoneauth ", 3, NULL },
		{ __LINE__, "/bin/echo 'a b'", 3, NULL },	/* no quoting */
		{ __LINE__, "/bin/echo $HOME;rm -rf /", 4, NULL },	/* no shell either */
		{ __LINE__, "/x 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", 16, NULL },
		{ __LINE__, "/x 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", -1, "more than 16" },
		{ __LINE__, "", -1, "no program" },
		{ __LINE__, " \t ", -1, "no program" },
		{ __LINE__, "cat", -1, "absolute" },
		{ __LINE__, "./hook.sh", -1, "absolute" },
		{ __LINE__, "sh -c /bin/true", -1, "absolute" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct command c;
		char why[160] = "";
		bool ok = command_parse(cases[i].text, &c, why, sizeof why);
		int argc = 0;

		if (cases[i].argc < 0) {
			CHECK_AT(cases[i].line, !ok && strstr(why, cases[i].why) != NULL,
			    "\"%s\": %s", cases[i].text, ok ? "accepted" : why);
			CHECK_AT(cases[i].line, c.words == NULL && c.argv[0] == NULL, "left words");
			continue;
		}
		CHECK_AT(cases[i].line, ok, "\"%s\": %s", cases[i].text, why);
		while (c.argv[argc] != NULL)
			argc++;
		CHECK_AT(cases[i].line, argc == cases[i].argc, "%d words", argc);
		command_free(&c);
	}
	{
		static char big[COMMAND_MAX + 2];
		struct command c;
		char why[100];

		memset(big, 'a', sizeof big - 1);
		big[0] = '/';
		CHECK(!command_parse(big, &c, why, sizeof why), "an endless line");
	}
}

/* A command that runs this program as `--child mode arg`. */
static struct command
child(const char *mode, const char *arg)
{
	struct command c;
	char line[8192], why[160];

	snprintf(line, sizeof line, "%s --child %s %s", self, mode, arg ? arg : "");
	if (!command_parse(line, &c, why, sizeof why)) {
		fprintf(stderr, "test_command: %s: %s\n", line, why);
		exit(1);
	}
	return c;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[1 << 16];
	size_t n;

	buf[0] = '\0';
	if (f == NULL)
		return buf;
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
the_input_arrives_whole_and_nothing_else_does(void)
{
	static char input[1 << 20];
	struct command c;
	struct command_result r;
	char report[256], *text;
	unsigned long sum = 0;
	int leak = open("/dev/null", O_RDONLY), sv[2];	/* neither close-on-exec */

	CHECK(leak >= 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "setup");
	for (size_t i = 0; i < sizeof input; i++) {
		input[i] = (char)(i * 7 + i / 4096);
		sum = sum * 31 + (unsigned char)input[i];
	}
	snprintf(report, sizeof report, "%s/report", dir);
	setenv("PHONEAUTH_REDIS_URL", "redis://:secret@127.0.0.1/0", 1);
	setenv("PHONEAUTH_KEEP", "no", 1);
	setenv("SENDER_API_KEY", "from-the-unit", 1);

	c = child("report", report);
	CHECK(command_run(&c, NULL, COMMAND_ENV_CLEAR, input, sizeof input, 10000, &r),
	    "failed: %s (%s)", r.error, r.stderr_line);
	text = slurp(report);
	{
		char want[128];

		snprintf(want, sizeof want, "stdin %zu %lu\n", sizeof input, sum);
		CHECK(strstr(text, want) != NULL, "want %s in:\n%s", want, text);
	}
	CHECK(strstr(text, "fds 0 1 2\n") != NULL, "descriptors:\n%s", text);
	CHECK(strstr(text, "env " COMMAND_PATH "\n") != NULL, "no PATH:\n%s", text);
	CHECK(strstr(text, "PHONEAUTH_") == NULL && strstr(text, "SENDER_API_KEY") == NULL &&
	    strstr(text, "HOME=") == NULL, "the environment leaked:\n%s", text);
	CHECK(strstr(text, "envcount 1\n") != NULL, "more than PATH:\n%s", text);
	command_free(&c);

	/* the caller's variables; PATH replaced when it gives one */
	c = child("report", report);
	CHECK(command_run(&c, (const char *const[]){ "EVENT_TYPE=login.failed", "PATH=/bin", NULL },
	    COMMAND_ENV_CLEAR, "{}", 2, 10000, &r), "failed: %s", r.error);
	text = slurp(report);
	CHECK(strstr(text, "env EVENT_TYPE=login.failed\n") != NULL && strstr(text, "env PATH=/bin\n") &&
	    strstr(text, "envcount 2\n"), "\n%s", text);
	CHECK(strstr(text, "stdin 2 ") != NULL, "\n%s", text);
	command_free(&c);

	/* inherited: ours, less PHONEAUTH_*, the caller's over it */
	setenv("CODE", "overridden", 1);
	c = child("report", report);
	CHECK(command_run(&c, (const char *const[]){ "CODE=123456", NULL }, COMMAND_ENV_INHERIT,
	    NULL, 0, 10000, &r), "failed: %s", r.error);
	text = slurp(report);
	CHECK(strstr(text, "env SENDER_API_KEY=from-the-unit\n") != NULL, "not inherited:\n%s", text);
	CHECK(strstr(text, "PHONEAUTH_") == NULL, "PHONEAUTH_ passed on:\n%s", text);
	CHECK(strstr(text, "env CODE=123456\n") != NULL && strstr(text, "overridden") == NULL,
	    "not overridden:\n%s", text);
	CHECK(strstr(text, "stdin 0 ") != NULL && strstr(text, "fds 0 1 2\n") != NULL, "\n%s", text);
	command_free(&c);
	unsetenv("PHONEAUTH_REDIS_URL");
	unsetenv("PHONEAUTH_KEEP");
	unsetenv("SENDER_API_KEY");
	unsetenv("CODE");
	close(leak);
	close(sv[0]);
	close(sv[1]);
}

static void
exit_statuses_signals_and_stderr_are_told(void)
{
	struct command c;
	struct command_result r;

	c = child("exit", "3");
	CHECK(!command_run(&c, NULL, COMMAND_ENV_CLEAR, "x", 1, 10000, &r), "status 3 succeeded");
	CHECK_INT(r.exit_status, 3);
	CHECK_INT(r.signal, 0);
	CHECK(!r.timed_out, "timed out");
	CHECK_STR(r.error, "exit status 3");
	CHECK_STR(r.stderr_line, "receiver said no: 401");
	command_free(&c);

	c = child("exit", "0");
	CHECK(command_run(&c, NULL, COMMAND_ENV_CLEAR, "x", 1, 10000, &r), "status 0 failed");
	CHECK_INT(r.exit_status, 0);
	CHECK_STR(r.error, "");
	command_free(&c);

	c = child("signal", NULL);
	CHECK(!command_run(&c, NULL, COMMAND_ENV_CLEAR, "x", 1, 10000, &r), "a killed program succeeded");
	CHECK_INT(r.exit_status, -1);
	CHECK_INT(r.signal, SIGTERM);
	CHECK_STR(r.error, "killed by signal 15");
	command_free(&c);

	{
		char why[100];

		CHECK(command_parse("/nonexistent/hook --x", &c, why, sizeof why), "parse");
		CHECK(!command_run(&c, NULL, COMMAND_ENV_CLEAR, "x", 1, 10000, &r), "ran nothing");
		CHECK_INT(r.exit_status, 127);
		CHECK(strstr(r.stderr_line, "cannot run") != NULL, "stderr: %s", r.stderr_line);
		command_free(&c);
	}
}

static void
an_overrun_is_killed_with_its_process_group_in_time(void)
{
	struct command c;
	struct command_result r;
	char pidfile[256], *text;
	long long t0 = clock_monotonic_ms(), took;
	pid_t grandchild;

	snprintf(pidfile, sizeof pidfile, "%s/grandchild", dir);
	c = child("hang", pidfile);
	CHECK(!command_run(&c, NULL, COMMAND_ENV_CLEAR, "x", 1, 500, &r), "a hang succeeded");
	took = clock_monotonic_ms() - t0;
	CHECK(r.timed_out && r.signal == SIGKILL && r.exit_status == -1, "not killed: %s", r.error);
	CHECK(took >= 450 && took < 1500, "took %lld ms for a timeout of 500", took);
	CHECK(strstr(r.error, "timed out") != NULL, "%s", r.error);
	text = slurp(pidfile);
	grandchild = (pid_t)atoi(text);
	CHECK(grandchild > 0, "no grandchild pid");
	if (grandchild > 0) {
		/* killed with the group; a zombie until init reaps it at most */
		char stat[64], *s;
		long long until = clock_monotonic_ms() + 2000;
		bool gone = false;

		snprintf(stat, sizeof stat, "/proc/%d/stat", (int)grandchild);
		while (!gone && clock_monotonic_ms() < until) {
			s = slurp(stat);
			gone = s[0] == '\0' || strstr(s, ") Z ") != NULL;
			if (!gone)
				usleep(20000);
		}
		CHECK(gone, "the grandchild %d lives on", (int)grandchild);
		if (!gone)
			kill(grandchild, SIGKILL);
	}
	command_free(&c);
}

static void
a_program_that_reads_nothing_raises_no_sigpipe(void)
{
	static char input[1 << 20];
	struct command c;
	struct command_result r;

	memset(input, 'e', sizeof input);
	c = child("exit", "0");
	CHECK(command_run(&c, NULL, COMMAND_ENV_CLEAR, input, sizeof input, 10000, &r),
	    "failed: %s", r.error);
	CHECK_INT(r.exit_status, 0);
	command_free(&c);
	/* still alive: SIGPIPE's default action would have ended this test */
	{
		sigset_t pending;

		sigpending(&pending);
		CHECK(!sigismember(&pending, SIGPIPE), "a SIGPIPE left pending");
	}
}

/* ---- the child's side ---- */

static int
child_report(const char *path)
{
	FILE *f = fopen(path, "w");
	char buf[65536];
	size_t total = 0;
	unsigned long sum = 0;
	ssize_t n;
	DIR *d;
	struct dirent *e;
	int count = 0, dfd;

	if (f == NULL)
		return 2;
	while ((n = read(STDIN_FILENO, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			sum = sum * 31 + (unsigned char)buf[i];
		total += (size_t)n;
	}
	fprintf(f, "stdin %zu %lu\n", total, sum);
	/* the descriptors open now, but for the directory's own and f's */
	if ((d = opendir("/proc/self/fd")) == NULL)
		return 2;
	dfd = dirfd(d);
	fprintf(f, "fds");
	{
		int fds[64], nfds = 0;

		while ((e = readdir(d)) != NULL && nfds < 64) {
			int fd = atoi(e->d_name);

			if (e->d_name[0] != '.' && fd != dfd && fd != fileno(f))
				fds[nfds++] = fd;
		}
		for (int i = 0; i < nfds; i++)	/* in order */
			for (int j = i + 1; j < nfds; j++)
				if (fds[j] < fds[i]) {
					int t = fds[i];

					fds[i] = fds[j];
					fds[j] = t;
				}
		for (int i = 0; i < nfds; i++)
			fprintf(f, " %d", fds[i]);
	}
	fprintf(f, "\n");
	closedir(d);
	for (char **v = environ; *v != NULL; v++, count++)
		fprintf(f, "env %s\n", *v);
	fprintf(f, "envcount %d\n", count);
	fclose(f);
	return 0;
}

static int
child_main(int argc, char **argv)
{
	const char *mode = argv[2];

	if (strcmp(mode, "report") == 0 && argc == 4)
		return child_report(argv[3]);
	if (strcmp(mode, "exit") == 0 && argc == 4) {
		if (atoi(argv[3]) != 0)
			fprintf(stderr, "receiver said no: 401\nsecond line\n");
		return atoi(argv[3]);
	}
	if (strcmp(mode, "signal") == 0) {
		signal(SIGTERM, SIG_DFL);
		raise(SIGTERM);
		return 1;
	}
	if (strcmp(mode, "hang") == 0 && argc == 4) {
		pid_t pid = fork();

		if (pid == 0) {
			for (;;)
				pause();
		}
		{
			FILE *f = fopen(argv[3], "w");

			if (f != NULL) {
				fprintf(f, "%d\n", (int)pid);
				fclose(f);
			}
		}
		for (;;)
			pause();
	}
	return 99;
}

int
main(int argc, char **argv)
{
	ssize_t n;
	char rm[256];

	if (argc >= 3 && strcmp(argv[1], "--child") == 0)
		return child_main(argc, argv);
	signal(SIGPIPE, SIG_DFL);
	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) <= 0 || mkdtemp(dir) == NULL) {
		perror("test_command: setup");
		return 1;
	}
	self[n] = '\0';
	RUN(parsing_splits_on_blanks_and_wants_an_absolute_program);
	RUN(the_input_arrives_whole_and_nothing_else_does);
	RUN(exit_statuses_signals_and_stderr_are_told);
	RUN(an_overrun_is_killed_with_its_process_group_in_time);
	RUN(a_program_that_reads_nothing_raises_no_sigpipe);
	snprintf(rm, sizeof rm, "%s/report", dir);
	unlink(rm);
	snprintf(rm, sizeof rm, "%s/grandchild", dir);
	unlink(rm);
	rmdir(dir);
	HARNESS_EXIT();
}
