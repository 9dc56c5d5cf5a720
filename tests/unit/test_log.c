/* log.c: one line per call, written whole; levels; nothing that breaks a
 * line. Standard error is a datagram socket here, so that every write(2)
 * arrives as one datagram: a call that writes twice shows as two. */
#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "phoneauth/log.h"

#define MAX_WRITES 8

/* What one log call wrote: each write(2) in writes[], up to MAX_WRITES. */
struct written {
	char writes[MAX_WRITES][2048];
	ssize_t len[MAX_WRITES];
	int n;
};

static int sock[2] = { -1, -1 }, saved_stderr = -1;

static void
capture_start(void)
{
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sock) != 0) {
		perror("socketpair");
		_exit(1);
	}
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(sock[1], STDERR_FILENO);
}

static void
capture_end(struct written *w)
{
	memset(w, 0, sizeof *w);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	close(sock[1]);
	while (w->n < MAX_WRITES) {
		ssize_t n = recv(sock[0], w->writes[w->n], sizeof w->writes[w->n] - 1, MSG_DONTWAIT);

		if (n < 0)
			break;
		w->len[w->n] = n;
		w->writes[w->n][n] = '\0';
		w->n++;
	}
	close(sock[0]);
}

static size_t
count_char(const char *s, ssize_t len, char c)
{
	size_t n = 0;

	for (ssize_t i = 0; i < len; i++)
		n += s[i] == c;
	return n;
}

static bool
matches(const char *pattern, const char *s)
{
	regex_t re;
	bool ok;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

static const struct {
	int line;
	enum log_level level;
	const char *name;
} levels[] = {
	{ __LINE__, LOG_LEVEL_DEBUG, "debug" },
	{ __LINE__, LOG_LEVEL_INFO, "info" },
	{ __LINE__, LOG_LEVEL_WARN, "warn" },
	{ __LINE__, LOG_LEVEL_ERROR, "error" },
};

static void
one_line_in_one_write_with_time_pid_and_level(void)
{
	log_set_level(LOG_LEVEL_DEBUG);
	for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		struct written w;
		char want[256];

		capture_start();
		log_msg(levels[i].level, "user %d did %s", 42, "something");
		capture_end(&w);
		CHECK_AT(levels[i].line, w.n == 1, "%s: %d writes", levels[i].name, w.n);
		snprintf(want, sizeof want,
		    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z phoneauth\\[%ld\\] %s: "
		    "user 42 did something\n$", (long)getpid(), levels[i].name);
		CHECK_AT(levels[i].line, matches(want, w.writes[0]), "%s: \"%.300s\"", levels[i].name, w.writes[0]);
	}
	log_set_level(LOG_LEVEL_INFO);
}

static void
the_macros_log_at_their_levels(void)
{
	struct written w;

	log_set_level(LOG_LEVEL_DEBUG);
	capture_start();
	log_debug("d");
	log_info("i");
	log_warn("w");
	log_error("e");
	capture_end(&w);
	log_set_level(LOG_LEVEL_INFO);
	CHECK_INT(w.n, 4);
	CHECK(strstr(w.writes[0], "] debug: d\n") && strstr(w.writes[1], "] info: i\n") &&
	    strstr(w.writes[2], "] warn: w\n") && strstr(w.writes[3], "] error: e\n"),
	    "\"%.300s\" \"%.300s\" \"%.300s\" \"%.300s\"", w.writes[0], w.writes[1], w.writes[2], w.writes[3]);
}

static const struct {
	int line;
	enum log_level min;
	int written;	/* of debug, info, warn, error: how many reach the log */
} thresholds[] = {
	{ __LINE__, LOG_LEVEL_DEBUG, 4 },
	{ __LINE__, LOG_LEVEL_INFO, 3 },
	{ __LINE__, LOG_LEVEL_WARN, 2 },
	{ __LINE__, LOG_LEVEL_ERROR, 1 },
};

static void
lines_below_the_level_are_not_written(void)
{
	for (size_t i = 0; i < sizeof thresholds / sizeof thresholds[0]; i++) {
		struct written w;

		log_set_level(thresholds[i].min);
		capture_start();
		for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++)
			log_msg(levels[l].level, "x");
		capture_end(&w);
		CHECK_AT(thresholds[i].line, w.n == thresholds[i].written, "%d lines", w.n);
		/* the ones written are the highest */
		for (int k = 0; k < w.n && k < thresholds[i].written; k++)
			CHECK_AT(thresholds[i].line, strstr(w.writes[k],
			    levels[4 - thresholds[i].written + k].name) != NULL, "\"%.300s\"", w.writes[k]);
	}
	log_set_level(LOG_LEVEL_INFO);
}

static const struct {
	int line;
	const char *text, *want;	/* want: what follows "info: " */
} breaks[] = {
	{ __LINE__, "a\nb", "a b\n" },
	{ __LINE__, "a\r\nb", "a  b\n" },
	{ __LINE__, "forged\n2026-01-01T00:00:00Z phoneauth[1] error: x", "forged 2026-01-01T00:00:00Z phoneauth[1] error: x\n" },
	{ __LINE__, "\n", " \n" },
	{ __LINE__, "ends in a newline\n", "ends in a newline \n" },
	{ __LINE__, "\r\r", "  \n" },
	{ __LINE__, "", "\n" },
};

static void
newlines_in_the_text_do_not_break_the_line(void)
{
	for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
		struct written w;
		const char *text;

		capture_start();
		log_info("%s", breaks[i].text);
		capture_end(&w);
		CHECK_AT(breaks[i].line, w.n == 1, "%d writes", w.n);
		CHECK_AT(breaks[i].line, count_char(w.writes[0], w.len[0], '\n') == 1 &&
		    count_char(w.writes[0], w.len[0], '\r') == 0, "\"%.300s\"", w.writes[0]);
		text = strstr(w.writes[0], "] info: ");
		CHECK_AT(breaks[i].line, text && strcmp(text + 8, breaks[i].want) == 0, "\"%.300s\"", w.writes[0]);
	}
}

static void
a_long_text_is_cut_and_still_ends_the_line(void)
{
	static const size_t lengths[] = { 900, 1000, 1021, 1022, 1023, 1024, 5000 };

	for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
		char text[8192];
		struct written w;

		memset(text, 'x', lengths[i]);
		text[lengths[i]] = '\0';
		capture_start();
		log_warn("%s", text);
		capture_end(&w);
		CHECK(w.n == 1, "%zu chars: %d writes", lengths[i], w.n);
		CHECK(w.len[0] > 0 && w.len[0] <= 1023 && w.writes[0][w.len[0] - 1] == '\n' &&
		    count_char(w.writes[0], w.len[0], '\n') == 1,
		    "%zu chars: %zd bytes, ends in 0x%02x", lengths[i], w.len[0],
		    w.len[0] > 0 ? (unsigned char)w.writes[0][w.len[0] - 1] : 0);
		/* the start of the text is kept */
		CHECK(strstr(w.writes[0], "] warn: xxxxxxxx") != NULL, "%zu chars", lengths[i]);
		/* short texts are not cut */
		if (lengths[i] <= 900)
			CHECK(count_char(w.writes[0], w.len[0], 'x') == lengths[i], "%zu chars cut", lengths[i]);
	}
}

static void
errno_is_kept(void)
{
	struct written w;

	capture_start();
	errno = EDOM;
	log_error("after a failure");
	CHECK_INT(errno, EDOM);
	capture_end(&w);
	CHECK_INT(w.n, 1);
}

int
main(void)
{
	RUN(one_line_in_one_write_with_time_pid_and_level);
	RUN(the_macros_log_at_their_levels);
	RUN(lines_below_the_level_are_not_written);
	RUN(newlines_in_the_text_do_not_break_the_line);
	RUN(a_long_text_is_cut_and_still_ends_the_line);
	RUN(errno_is_kept);
	HARNESS_EXIT();
}
