/*
 * audit_file.c: one event a line, appended; lines of four processes
 * appending at once never interleave; what would break a line is refused;
 * reopening after logrotate moved the file, and keeping the old file when
 * the path cannot be opened; and syslog (facility authpriv, level info),
 * received on a /dev/log of the test's own in a private mount namespace
 * (root only: elsewhere that case says SKIP).
 */
#define _GNU_SOURCE		/* unshare */

#include "phoneauth/audit_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "harness.h"
#include "phoneauth/event.h"

static char dir[] = "/tmp/test_audit.XXXXXX";

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	static char *buf;
	size_t cap = 1 << 24, n = 0;

	free(buf);
	buf = malloc(cap);
	if (buf == NULL)
		abort();
	buf[0] = '\0';
	if (f != NULL) {
		n = fread(buf, 1, cap - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

static void
events_are_appended_one_a_line(void)
{
	struct audit_file a;
	char path[256], err[256], *text;
	struct event ev;
	char json[EVENT_JSON_MAX];
	size_t len, before;

	snprintf(path, sizeof path, "%s/audit.jsonl", dir);
	CHECK(audit_file_open(&a, path, err, sizeof err), "%s", err);
	CHECK(audit_file_write(&a, "{\"n\":1}", 7, err, sizeof err), "%s", err);
	CHECK(event_init(&ev, EVENT_LOGIN_FAILED, 0) && event_set(&ev, "reason", "x"), "event");
	ev.user_agent = "line\nbreak";
	CHECK(event_render(&ev, json, sizeof json, &len), "render");
	CHECK(audit_file_write(&a, json, len, err, sizeof err), "%s", err);
	audit_file_close(&a);
	/* opened again: appended, not truncated */
	CHECK(audit_file_open(&a, path, err, sizeof err), "%s", err);
	CHECK(audit_file_write(&a, "{\"n\":3}", 7, err, sizeof err), "%s", err);
	text = slurp(path, NULL);
	before = strlen(text);
	{
		char want[EVENT_JSON_MAX + 64];

		snprintf(want, sizeof want, "{\"n\":1}\n%s\n{\"n\":3}\n", json);
		CHECK_STR(text, want);
	}
	{
		struct stat st;

		CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640, "mode %o", st.st_mode & 0777);
	}
	/* what would make two lines of one, or cut one */
	CHECK(!audit_file_write(&a, "{\"a\":1}\n{\"forged\":1}", 21, err, sizeof err), "a newline");
	CHECK(strstr(err, "line break") != NULL, "%s", err);
	CHECK(!audit_file_write(&a, "{\"a\":\r1}", 8, err, sizeof err), "a carriage return");
	CHECK(!audit_file_write(&a, "{\"a\":\0001}", 8, err, sizeof err), "a NUL");
	{
		static char big[AUDIT_LINE_MAX];

		memset(big, 'a', sizeof big);
		CHECK(!audit_file_write(&a, big, sizeof big, err, sizeof err), "too long");
		CHECK(audit_file_write(&a, big, sizeof big - 1, err, sizeof err), "the longest: %s", err);
	}
	CHECK(strlen(slurp(path, NULL)) == before + AUDIT_LINE_MAX, "a refused line was written");
	audit_file_close(&a);
	CHECK(a.fd == -1 && a.path == NULL, "close");
	CHECK(!audit_file_write(&a, "{}", 2, err, sizeof err), "written when closed");

	CHECK(!audit_file_open(&a, "/nonexistent/dir/audit.jsonl", err, sizeof err), "no directory");
	CHECK(strstr(err, "/nonexistent/dir/audit.jsonl") != NULL && strstr(err, "audit_log") != NULL,
	    "%s", err);
	CHECK(!audit_file_open(&a, "", err, sizeof err), "an empty setting");
	unlink(path);
}

#define WRITERS 4
#define LINES 400

static void
lines_of_four_processes_never_interleave(void)
{
	char path[256], *text, *save = NULL;
	pid_t pids[WRITERS];
	size_t len;
	int lines = 0, counts[WRITERS] = { 0 };

	snprintf(path, sizeof path, "%s/shared.jsonl", dir);
	for (int w = 0; w < WRITERS; w++) {
		if ((pids[w] = fork()) == 0) {
			static char line[4000];
			struct audit_file mine;
			char e[256];

			/* each its own descriptor, as separate processes have */
			if (!audit_file_open(&mine, path, e, sizeof e))
				_exit(1);
			for (int i = 0; i < LINES; i++) {
				int n = snprintf(line, sizeof line, "{\"writer\":%d,\"i\":%d,\"pad\":\"", w, i);

				memset(line + n, 'a' + w, sizeof line - (size_t)n - 3);
				memcpy(line + sizeof line - 3, "\"}", 3);
				if (!audit_file_write(&mine, line, sizeof line - 1, e, sizeof e))
					_exit(2);
			}
			audit_file_close(&mine);
			_exit(0);
		}
	}
	for (int w = 0; w < WRITERS; w++) {
		int status = 0;

		waitpid(pids[w], &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d: %d", w, status);
	}
	text = slurp(path, &len);
	for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		json_object *o = json_tokener_parse(l), *v;
		int w;

		lines++;
		if (o == NULL || !json_object_object_get_ex(o, "writer", &v)) {
			CHECK(false, "line %d is not one event: %.60s", lines, l);
			json_object_put(o);
			break;
		}
		w = json_object_get_int(v);
		if (w >= 0 && w < WRITERS) {
			const char *pad = strstr(l, "\"pad\":\"");
			char mine[2] = { (char)('a' + w), '\0' };
			size_t padlen;

			counts[w]++;
			/* whole, and every byte of the padding its writer's */
			CHECK(strlen(l) == 3999 && pad != NULL, "line %d cut", lines);
			if (pad != NULL) {
				pad += 7;
				padlen = strlen(pad) - 2;
				CHECK(strspn(pad, mine) == padlen && strcmp(pad + padlen, "\"}") == 0,
				    "line %d mixed", lines);
			}
		}
		json_object_put(o);
	}
	CHECK_INT(lines, WRITERS * LINES);
	CHECK_INT(len, (size_t)WRITERS * LINES * 4000);
	for (int w = 0; w < WRITERS; w++)
		CHECK(counts[w] == LINES, "writer %d: %d lines", w, counts[w]);
	unlink(path);
}

static void
reopen_follows_logrotate_and_keeps_the_old_file_when_it_must(void)
{
	struct audit_file a;
	char path[256], moved[256], sub[256], subpath[256], err[256];

	snprintf(path, sizeof path, "%s/rotate.jsonl", dir);
	snprintf(moved, sizeof moved, "%s/rotate.jsonl.1", dir);
	CHECK(audit_file_open(&a, path, err, sizeof err), "%s", err);
	CHECK(audit_file_write(&a, "{\"n\":1}", 7, err, sizeof err), "%s", err);
	CHECK(rename(path, moved) == 0, "rename");
	CHECK(audit_file_write(&a, "{\"n\":2}", 7, err, sizeof err), "%s", err);
	CHECK(audit_file_reopen(&a, err, sizeof err), "%s", err);
	CHECK(audit_file_write(&a, "{\"n\":3}", 7, err, sizeof err), "%s", err);
	CHECK_STR(slurp(moved, NULL), "{\"n\":1}\n{\"n\":2}\n");
	CHECK_STR(slurp(path, NULL), "{\"n\":3}\n");
	audit_file_close(&a);
	unlink(path);
	unlink(moved);

	/* the directory went away: reopen fails, the old file goes on */
	snprintf(sub, sizeof sub, "%s/logs", dir);
	snprintf(subpath, sizeof subpath, "%s/logs/audit.jsonl", dir);
	snprintf(moved, sizeof moved, "%s/logs.old", dir);
	CHECK(mkdir(sub, 0700) == 0, "mkdir");
	CHECK(audit_file_open(&a, subpath, err, sizeof err), "%s", err);
	CHECK(rename(sub, moved) == 0, "rename");
	CHECK(!audit_file_reopen(&a, err, sizeof err), "reopened a path that is gone");
	CHECK(strstr(err, "still writing") != NULL, "%s", err);
	CHECK(audit_file_write(&a, "{\"n\":4}", 7, err, sizeof err), "%s", err);
	audit_file_close(&a);
	snprintf(subpath, sizeof subpath, "%s/logs.old/audit.jsonl", dir);
	CHECK_STR(slurp(subpath, NULL), "{\"n\":4}\n");
	unlink(subpath);
	rmdir(moved);
}

/* In a child with a mount namespace of its own: a tmpfs on /dev with our
 * socket as /dev/log. Exit 0: the line arrived as it should; 77: no
 * namespace could be had. */
static int
syslog_child(char *got, size_t gotlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct audit_file a;
	char err[256];
	int s;
	ssize_t n;

	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", "/dev", "tmpfs", 0, "size=64k") != 0)
		return 77;
	snprintf(sa.sun_path, sizeof sa.sun_path, "/dev/log");
	if ((s = socket(AF_UNIX, SOCK_DGRAM, 0)) < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) != 0)
		return 2;
	if (!audit_file_open(&a, "syslog", err, sizeof err) ||
	    !audit_file_write(&a, "{\"type\":\"login.failed\"}", 23, err, sizeof err) ||
	    audit_file_write(&a, "{\"a\":\n1}", 8, err, sizeof err))
		return 3;
	n = recv(s, got, gotlen - 1, MSG_DONTWAIT);
	if (n <= 0)
		return 4;
	got[n] = '\0';
	/* one line only: the refused event sent nothing */
	if (recv(s, err, sizeof err, MSG_DONTWAIT) > 0)
		return 5;
	audit_file_close(&a);
	return 0;
}

/* Whether this process may make a mount namespace (root, and not a
 * container that forbids it). */
static bool
namespaces_allowed(void)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
		    mount("tmpfs", "/mnt", "tmpfs", 0, "size=64k") == 0 ? 0 : 77);
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0;
}

static void
syslog_gets_authpriv_info(void)
{
	int fds[2], status = 0;
	pid_t pid;
	char got[512] = "";

	if (pipe(fds) != 0)
		return;
	if ((pid = fork()) == 0) {
		int rc;

		close(fds[0]);
		rc = syslog_child(got, sizeof got);
		if (write(fds[1], got, strlen(got)) < 0)
			rc = 6;
		_exit(rc);
	}
	close(fds[1]);
	{
		ssize_t n = read(fds[0], got, sizeof got - 1);

		got[n > 0 ? n : 0] = '\0';
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	/* <86>: facility authpriv (10) * 8 + level info (6) */
	CHECK(strncmp(got, "<86>", 4) == 0, "priority: %s", got);
	CHECK(strstr(got, " phoneauth[") != NULL, "ident: %s", got);
	CHECK(strstr(got, "]: {\"type\":\"login.failed\"}") != NULL, "message: %s", got);
}

int
main(void)
{
	char rm[300];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(events_are_appended_one_a_line);
	RUN(lines_of_four_processes_never_interleave);
	RUN(reopen_follows_logrotate_and_keeps_the_old_file_when_it_must);
	if (namespaces_allowed())
		RUN(syslog_gets_authpriv_info);
	else
		printf("SKIP syslog_gets_authpriv_info: no mount namespace of our own (not root?)\n");
	snprintf(rm, sizeof rm, "%s", dir);
	rmdir(rm);
	HARNESS_EXIT();
}
