/* sms.c: the drivers. The `command` driver runs scripts written here under
 * /tmp: one reports the environment, arguments and descriptors it got; the
 * others exit, fail, die, flood stderr or overrun sms_timeout. The `log`
 * driver writes one line, on a datagram stderr so that each write(2) shows. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "phoneauth/sms.h"

static char dir[] = "/tmp/phoneauth-test-sms-XXXXXX";

static void
path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static void
write_script(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	path_of(path, sizeof path, name);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	chmod(path, 0755);
}

static const char report_py[] =
	"#!/usr/bin/python3\n"
	"# Writes what it was given to argv[1]: its arguments, environment and open fds.\n"
	"import os, resource, sys\n"
	"out = []\n"
	"out.append('argc %d' % len(sys.argv))\n"
	"for a in sys.argv[1:]:\n"
	"    out.append('arg ' + a)\n"
	"for k, v in sorted(os.environ.items()):\n"
	"    out.append('env %s=%s' % (k, v.replace('\\n', ' ')))\n"
	"limit = min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 65536)\n"
	"for fd in range(limit):\n"
	"    try:\n"
	"        os.fstat(fd)\n"
	"    except OSError:\n"
	"        continue\n"
	"    out.append('fd %d' % fd)\n"
	"with open(sys.argv[1], 'w') as f:\n"
	"    f.write('\\n'.join(out) + '\\n')\n";

static void
setup(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	write_script("report", report_py);
	write_script("ok", "#!/bin/sh\necho 'a line on stderr' >&2\nexit 0\n");
	write_script("fail3", "#!/bin/sh\necho 'first line of trouble' >&2\necho 'second line' >&2\nexit 3\n");
	write_script("flood", "#!/bin/sh\nhead -c 200000 /dev/zero | tr '\\000' e >&2\necho >&2\nexit 1\n");
	write_script("suicide", "#!/bin/sh\necho 'going' >&2\nkill -TERM $$\nsleep 5\n");
	/* a child of its own in the background, then too long a nap */
	write_script("slow", "#!/bin/sh\nsleep 30 &\necho $! > \"$1\"\necho $$ >> \"$1\"\nexec sleep 30\n");
}

static void
teardown(void)
{
	static const char *const names[] = { "report", "ok", "fail3", "flood", "suicide", "slow",
	    "report.out", "slow.pids" };
	char path[256];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		path_of(path, sizeof path, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static struct outbox_entry
entry(const char *language)
{
	struct outbox_entry e;

	memset(&e, 0, sizeof e);
	snprintf(e.id, sizeof e.id, "1700000000000-0");
	snprintf(e.phone, sizeof e.phone, "09121234567");
	snprintf(e.code, sizeof e.code, "482913");
	snprintf(e.purpose, sizeof e.purpose, "reset");
	snprintf(e.language, sizeof e.language, "%s", language);
	return e;
}

static struct config
command_config(char *command, long timeout)
{
	struct config cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.sms_driver = SMS_DRIVER_COMMAND;
	cfg.sms_command = command;
	cfg.sms_timeout = timeout;
	return cfg;
}

/* The report's lines, in `text`; whether `line` is one of them. */
static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static bool
has_prefix_line(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, prefix, n) == 0)
			return true;
	return false;
}

static size_t
read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return n;
}

static void
the_command_gets_its_values_and_none_of_our_secrets_or_fds(void)
{
	char command[512], out[256], report[65536], line[300], err[256] = "", detail[256] = "x";
	struct config cfg;
	struct outbox_entry e = entry("fa");
	int file, pipefd[2] = { -1, -1 };
	bool ok;

	path_of(out, sizeof out, "report.out");
	snprintf(command, sizeof command, "%s/report %s  second-arg", dir, out);
	cfg = command_config(command, 10);
	/* what the service has that the command must not get */
	setenv("PHONEAUTH_POSTGRES_URL", "postgresql://phoneauth:secret@db/phoneauth", 1);
	setenv("PHONEAUTH_REDIS_URL", "redis://:secret@127.0.0.1:6379/0", 1);
	setenv("PHONEAUTH_X", "1", 1);
	setenv("SMS_TEST_KEPT", "an ordinary variable", 1);
	file = open("/etc/passwd", O_RDONLY);		/* no O_CLOEXEC: inherited but for sms.c */
	CHECK(file >= 3 && pipe(pipefd) == 0, "cannot open the descriptors to leak");
	ok = sms_deliver(&cfg, &e, err, sizeof err, detail, sizeof detail);
	CHECK(ok, "not delivered: %s (%s)", err, detail);
	CHECK_STR(detail, "");
	read_file(out, report, sizeof report);
	CHECK(*report, "the command wrote no report");
	CHECK(has_line(report, "argc 3") && has_line(report, "arg second-arg"), "arguments: %.300s", report);
	snprintf(line, sizeof line, "arg %s", out);
	CHECK(has_line(report, line), "argument 1: %.300s", report);
	CHECK(has_line(report, "env PHONE=09121234567"), "PHONE");
	CHECK(has_line(report, "env CODE=482913"), "CODE");
	CHECK(has_line(report, "env PURPOSE=reset"), "PURPOSE");
	CHECK(has_line(report, "env LANGUAGE=fa"), "LANGUAGE");
	CHECK(!has_prefix_line(report, "env PHONEAUTH_"), "a PHONEAUTH_ variable reached the command");
	CHECK(has_line(report, "env SMS_TEST_KEPT=an ordinary variable") && has_prefix_line(report, "env PATH="),
	    "the rest of the environment did not");
	/* descriptors: 0, 1 and 2, and nothing else */
	CHECK(has_line(report, "fd 0") && has_line(report, "fd 1") && has_line(report, "fd 2"), "fds 0-2");
	for (int fd = 3; fd < 1024; fd++) {
		snprintf(line, sizeof line, "fd %d", fd);
		CHECK(!has_line(report, line), "fd %d reached the command (ours: %d, %d, %d)", fd, file,
		    pipefd[0], pipefd[1]);
	}
	/* and the service's own environment is as it was */
	CHECK(getenv("PHONEAUTH_POSTGRES_URL") && getenv("PHONEAUTH_X") && getenv("PHONEAUTH_REDIS_URL"),
	    "the caller's PHONEAUTH_ variables were removed");
	CHECK(getenv("CODE") == NULL && getenv("PHONE") == NULL, "the caller got the command's variables");
	unsetenv("PHONEAUTH_POSTGRES_URL");
	unsetenv("PHONEAUTH_REDIS_URL");
	unsetenv("PHONEAUTH_X");
	unsetenv("SMS_TEST_KEPT");
	close(file);
	close(pipefd[0]);
	close(pipefd[1]);
}

static void
language_defaults_to_en(void)
{
	char command[512], out[256], report[65536], err[256] = "", detail[256];
	struct config cfg;
	struct outbox_entry e = entry("");

	path_of(out, sizeof out, "report.out");
	snprintf(command, sizeof command, "%s/report %s", dir, out);
	cfg = command_config(command, 10);
	CHECK(sms_deliver(&cfg, &e, err, sizeof err, detail, sizeof detail), "%s", err);
	read_file(out, report, sizeof report);
	CHECK(has_line(report, "env LANGUAGE=en"), "%.300s", report);
}

/* Exit statuses: 0 is delivered; anything else an error and the first line
 * of stderr as the detail. */
static const struct {
	int line;
	const char *script;	/* in dir; NULL: a program that does not exist */
	bool delivered;
	const char *err, *detail;	/* detail NULL: not checked */
} outcomes[] = {
	{ __LINE__, "ok", true, "", "" },
	{ __LINE__, "fail3", false, "exit status 3", "first line of trouble" },
	{ __LINE__, "suicide", false, "killed by signal 15", "going" },
	{ __LINE__, NULL, false, "exit status 127",
	  "cannot run /nonexistent/phoneauth-sms: No such file or directory" },
	{ __LINE__, "flood", false, "exit status 1", NULL },
};

static void
exit_status_decides_and_stderr_is_the_detail(void)
{
	for (size_t i = 0; i < sizeof outcomes / sizeof outcomes[0]; i++) {
		char command[512], err[256] = "", detail[256] = "left over";
		struct config cfg;
		struct outbox_entry e = entry("en");
		bool ok;

		if (outcomes[i].script)
			snprintf(command, sizeof command, "%s/%s", dir, outcomes[i].script);
		else
			snprintf(command, sizeof command, "/nonexistent/phoneauth-sms");
		cfg = command_config(command, 10);
		ok = sms_deliver(&cfg, &e, err, sizeof err, detail, sizeof detail);
		CHECK_AT(outcomes[i].line, ok == outcomes[i].delivered, "%s: delivered %d (%s)", command, ok, err);
		if (!outcomes[i].delivered)
			CHECK_AT(outcomes[i].line, strcmp(err, outcomes[i].err) == 0, "err \"%s\", want \"%s\"",
			    err, outcomes[i].err);
		if (outcomes[i].detail)
			CHECK_AT(outcomes[i].line, strcmp(detail, outcomes[i].detail) == 0,
			    "detail \"%s\", want \"%s\"", detail, outcomes[i].detail);
		/* the code is never part of the error the log gets */
		CHECK_AT(outcomes[i].line, strstr(err, e.code) == NULL, "the code in err: %s", err);
	}
}

static void
a_flood_on_stderr_neither_blocks_nor_overflows_the_detail(void)
{
	char command[512], err[256] = "", detail[64];
	struct config cfg;
	struct outbox_entry e = entry("en");
	struct timespec t0, t1;
	size_t n;

	snprintf(command, sizeof command, "%s/flood", dir);
	cfg = command_config(command, 5);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(!sms_deliver(&cfg, &e, err, sizeof err, detail, sizeof detail), "delivered");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* 200 KB on stderr: more than a pipe holds, so the driver kept reading */
	CHECK_STR(err, "exit status 1");
	CHECK(t1.tv_sec - t0.tv_sec < 4, "it took %ld s", (long)(t1.tv_sec - t0.tv_sec));
	n = strlen(detail);
	CHECK(n == sizeof detail - 1 && strspn(detail, "e") == n, "detail of %zu bytes: \"%s\"", n, detail);
}

static bool
gone(pid_t pid)
{
	char path[64], stat[512];
	const char *p;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if (read_file(path, stat, sizeof stat) == 0)
		return true;
	p = strrchr(stat, ')');		/* "pid (comm) S ..." */
	return p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static void
a_command_past_sms_timeout_is_killed_with_its_process_group(void)
{
	char command[512], pids[256], text[128], err[256] = "", detail[256];
	struct config cfg;
	struct outbox_entry e = entry("en");
	struct timespec t0, t1;
	long child = 0, script = 0;
	double took;
	bool ok;

	path_of(pids, sizeof pids, "slow.pids");
	snprintf(command, sizeof command, "%s/slow %s", dir, pids);
	cfg = command_config(command, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok = sms_deliver(&cfg, &e, err, sizeof err, detail, sizeof detail);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK(!ok, "delivered");
	CHECK_STR(err, "timed out after 1 s");
	CHECK(took >= 0.9 && took < 3.0, "it took %.2f s with sms_timeout 1", took);
	read_file(pids, text, sizeof text);
	CHECK(sscanf(text, "%ld %ld", &child, &script) == 2 && child > 0 && script > 0, "pids: \"%s\"", text);
	if (child <= 0 || script <= 0)
		return;
	/* the script was waited for; its background child went with the group */
	CHECK(gone((pid_t)script), "the command %ld is still running", script);
	for (int i = 0; i < 40 && !gone((pid_t)child); i++)
		usleep(50 * 1000);
	CHECK(gone((pid_t)child), "the command's own child %ld outlived the timeout", child);
	if (!gone((pid_t)child))
		kill((pid_t)child, SIGKILL);
}

static void
the_log_driver_writes_exactly_one_line_with_the_code(void)
{
	struct config cfg;
	struct outbox_entry e = entry("en");
	char err[256] = "", detail[256] = "x", buf[4][2048];
	int sock[2], saved, n = 0;
	ssize_t len[4] = { 0 };
	bool ok;

	memset(&cfg, 0, sizeof cfg);
	cfg.sms_driver = SMS_DRIVER_LOG;
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sock) == 0, "socketpair: %s", strerror(errno));
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(sock[1], STDERR_FILENO);
	ok = sms_deliver(&cfg, &e, err, sizeof err, detail, sizeof detail);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(sock[1]);
	while (n < 4 && (len[n] = recv(sock[0], buf[n], sizeof buf[n] - 1, MSG_DONTWAIT)) >= 0) {
		buf[n][len[n]] = '\0';
		n++;
	}
	close(sock[0]);
	CHECK(ok, "not delivered: %s", err);
	CHECK_STR(detail, "");
	CHECK_INT(n, 1);
	if (n < 1)
		return;
	CHECK(len[0] > 0 && buf[0][len[0] - 1] == '\n' && strchr(buf[0], '\n') == buf[0] + len[0] - 1,
	    "not one line: \"%.300s\"", buf[0]);
	CHECK(strstr(buf[0], " info: ") && strstr(buf[0], "482913") && strstr(buf[0], "09121234567") &&
	    strstr(buf[0], "reset"), "\"%.300s\"", buf[0]);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	setup();
	RUN(the_command_gets_its_values_and_none_of_our_secrets_or_fds);
	RUN(language_defaults_to_en);
	RUN(exit_status_decides_and_stderr_is_the_detail);
	RUN(a_flood_on_stderr_neither_blocks_nor_overflows_the_detail);
	RUN(a_command_past_sms_timeout_is_killed_with_its_process_group);
	RUN(the_log_driver_writes_exactly_one_line_with_the_code);
	teardown();
	HARNESS_EXIT();
}
