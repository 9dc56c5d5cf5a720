/*
 * phoneauth: options, configuration, and the FastCGI accept loop.
 *
 *   phoneauth [-c FILE] [serve]   serve FastCGI on the socket inherited on fd 0
 *                                 (spawn-fcgi -s SOCK -F N -- phoneauth -c FILE)
 *   phoneauth [-c FILE] migrate   apply the SQL migrations compiled in
 *   phoneauth [-c FILE] unblock | blocks | ban | unban | sessions | revoke | delete | keygen ...
 *                                 administration (cmd_admin.c)
 *
 * A worker handles one request at a time: read it, answer it, flush the
 * answer, then do the work queued for after the answer. TERM, INT, QUIT and
 * USR2 end the worker once the request in hand is answered (USR2 is how
 * multiwatch reloads the pool).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <openssl/crypto.h>

#include "phoneauth/store_account_index.h"
#include "phoneauth/cmd_admin.h"
#include "phoneauth/route_auth_check.h"
#include "phoneauth/config.h"
#include "phoneauth/ctx.h"
#include "phoneauth/embedded.h"
#include "phoneauth/hasher.h"
#include "phoneauth/keys.h"
#include "phoneauth/clock.h"
#include "phoneauth/log.h"
#include "phoneauth/metrics.h"
#include "phoneauth/otp.h"
#include "phoneauth/pg_migrate.h"
#include "phoneauth/pg_store.h"
#include "phoneauth/redis_store.h"
#include "phoneauth/request.h"
#include "phoneauth/response.h"
#include "phoneauth/router.h"
#include "phoneauth/sender.h"
#include "phoneauth/signals.h"
#include "phoneauth/cmd_sms.h"
#include "phoneauth/sms_text.h"
#include "phoneauth/step.h"

/* The version is debian/changelog's, passed by the Makefile (-D). */
#ifndef PHONEAUTH_VERSION
#error "PHONEAUTH_VERSION is not defined: build with make (it takes the version from debian/changelog)"
#endif

static volatile sig_atomic_t stopping;

/* The signing keys and the SMS templates, loaded with the configuration (a
 * bad key or template stops every command, not only the workers). */
static struct keys keys;
static struct sms_texts texts;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static int cmd_serve(const struct config *cfg, int argc, char **argv);
static int cmd_migrate(const struct config *cfg, int argc, char **argv);
static int cmd_check(const struct config *cfg, int argc, char **argv);

/* Each command's arguments are counted here, against min_args..max_args,
 * before it runs; it checks only what they say. */
static const struct command {
	const char *name;
	int (*run)(const struct config *cfg, int argc, char **argv);
	int min_args, max_args;
	const char *args, *help;
	bool needs_config;
} commands[] = {
	{ "serve", cmd_serve, 0, 0, "", "serve FastCGI on the socket inherited on fd 0 (the default)", true },
	{ "migrate", cmd_migrate, 0, 0, "", "apply the database migrations compiled into this program", true },
	{ "unblock", cmd_unblock, 2, 2, "--ip ADDR | --phone NUMBER", "lift a block and forget its failures", true },
	{ "blocks", cmd_blocks, 0, 0, "", "list what is blocked, and until when", true },
	{ "ban", cmd_ban, 1, 1, "NUMBER", "disable an account and revoke its refresh tokens", true },
	{ "unban", cmd_unban, 1, 1, "NUMBER", "enable an account again", true },
	{ "sessions", cmd_sessions, 1, 1, "NUMBER", "list an account's live logins: id, began, last used, ip, user agent", true },
	{ "revoke", cmd_revoke, 1, 3, "NUMBER [--session ID]", "end one login of an account, or every one", true },
	{ "delete", cmd_delete, 1, 1, "NUMBER", "delete an account with its tokens and logins", true },
	{ "sender", cmd_sender, 0, 0, "", "deliver the codes of the SMS outbox (a long-running process)", true },
	{ "sms-status", cmd_sms_status, 0, 0, "", "count the outbox's unread, pending, delivered, expired and dead codes", true },
	{ "sms-dead", cmd_sms_dead, 0, 1, "[--retry]", "list the dead letters with their last error, or put them back in the outbox", true },
	{ "sms-pauses", cmd_sms_pauses, 0, 0, "", "list the prefixes the conversion breaker paused", true },
	{ "sms-unpause", cmd_sms_unpause, 1, 1, "PREFIX", "lift a prefix's pause and forget its conversion counts", true },
	{ "import-django", cmd_import_django, 2, 3, "--from URL [--dry-run]", "import PhoneAuthDjango's users with their password hashes", true },
	{ "reindex", cmd_reindex, 0, 0, "", "rebuild the index of numbers with an account (after SQL by hand)", true },
	{ "check", cmd_check, 0, 0, "", "check the configuration and the keys, and say so", true },
	{ "keygen", cmd_keygen, 1, 2, "rs256|es256 [FILE]", "write a new private key (0600) for jwt_private_key_file", false },
};

static void
usage(FILE *to)
{
	fprintf(to, "usage: phoneauth [-c FILE] [COMMAND [ARGS]]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(to, "  %-14s %-28s %s\n", commands[i].name, commands[i].args,
		    commands[i].help);
	fprintf(to, "\nThe workers are started by a FastCGI process manager, e.g.\n"
	    "  spawn-fcgi -s SOCKET -F 4 -- phoneauth -c FILE\n"
	    "The configuration file is -c FILE (anywhere on the line) or $PHONEAUTH_CONFIG;\n"
	    "every key can be overridden by PHONEAUTH_<KEY> in the environment.\n");
}

/*
 * Signals that end the worker are blocked all the time and let in only while
 * it waits for a connection (epoll_pwait swaps the mask atomically), so a
 * TERM never cuts a store round trip or a write in half, and none is lost
 * between a check and the wait.
 */
static void
signals_setup(sigset_t *waiting_mask)
{
	sigset_t stop_set;

	signals_catch_stop(on_stop, &stop_set);
	sigprocmask(SIG_BLOCK, &stop_set, waiting_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&stop_set, sig) == 1)
			sigdelset(waiting_mask, sig);
}

/*
 * Waits until a connection may be accepted. The listening socket is shared
 * by every worker; EPOLLEXCLUSIVE wakes one of them per connection instead
 * of all, and the socket is non-blocking, so a worker that loses the race
 * is back here at once rather than stuck in accept(2). libfcgi's own accept
 * loop is not interruptible by a signal (it polls each new connection for up
 * to 2 s and starts over on EINTR), hence this wait of our own before it.
 * Returns 1 when a connection is pending, 0 on a timeout or a signal.
 */
static int
wait_for_connection(int epfd, const sigset_t *waiting_mask, int timeout_ms)
{
	struct epoll_event ev;
	int n = epoll_pwait(epfd, &ev, 1, timeout_ms, waiting_mask);

	return n > 0;
}

static int
cmd_serve(const struct config *cfg, int argc, char **argv)
{
	FCGX_Request fcgx;
	struct request req;
	struct response resp;
	struct otp_key otp_key;
	struct ctx ctx;
	sigset_t waiting_mask;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	long served = 0;
	int status = 1, epfd = -1, flags;

	(void)argc;
	(void)argv;
	if (FCGX_IsCGI()) {
		fprintf(stderr, "phoneauth: standard input is not a FastCGI socket; start the "
		    "workers with spawn-fcgi (see docs/operations.md)\n");
		return 2;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fcgx, 0, 0) != 0) {
		fprintf(stderr, "phoneauth: cannot initialise libfcgi\n");
		return 1;
	}
	memset(&ctx, 0, sizeof ctx);
	memset(&resp, 0, sizeof resp);
	if (!otp_key_derive(cfg->jwt_key, cfg->jwt_key_len, &otp_key) ||
	    !request_init(&req, cfg)) {
		fprintf(stderr, "phoneauth: out of memory\n");
		return 1;
	}
	ctx.cfg = cfg;
	ctx.req = &req;
	ctx.resp = &resp;
	ctx.otp_key = &otp_key;
	ctx.keys = &keys;
	ctx.texts = &texts;
	ctx.rs = rs_new(cfg);
	ctx.pg = pg_new(cfg);
	if (ctx.rs == NULL || ctx.pg == NULL)
		goto out;
	flags = fcntl(0, F_GETFL);
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 || flags < 0 ||
	    fcntl(0, F_SETFL, flags | O_NONBLOCK) < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev) < 0) {
		fprintf(stderr, "phoneauth: cannot wait on the listening socket: %s\n", strerror(errno));
		goto out;
	}
	(void)request_listen(0, cfg);
	signals_setup(&waiting_mask);
	(void)metrics_open(cfg, router_route_count());
	hasher_start();
	log_info("worker ready");

	while (!stopping) {
		long long started;
		int rc;

		/* With audit rows waiting, wake within a second to write them. */
		if (!wait_for_connection(epfd, &waiting_mask, ctx.audit.n > 0 ? 1000 : -1)) {
			if (!stopping)
				ctx_flush_audit(&ctx, false);
			continue;
		}
		if ((rc = FCGX_Accept_r(&fcgx)) < 0) {
			if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR || rc == -ECONNABORTED)
				continue;	/* another worker took it */
			log_error("worker: accept failed (%d)", rc);
			break;
		}
		ctx.now = time(NULL);
		started = clock_monotonic_us();
		ctx.route = -1;
		request_begin(&req, &fcgx, cfg);
		if (req.authorizer)
			route_authorize(&ctx);
		else
			router_dispatch(&ctx, fcgx.in);
		response_write(&resp, fcgx.out, req.method == METHOD_HEAD);
		request_finish(&fcgx);
		metrics_request(ctx.route, resp.status, (clock_monotonic_us() - started) / 1e6);
		ctx_run_after(&ctx);
		ctx_reset(&ctx);
		response_reset(&resp);
		request_reset(&req);
		if (cfg->max_requests > 0 && ++served >= cfg->max_requests) {
			log_info("worker recycled after %ld requests", served);
			break;
		}
	}
	status = 0;
	ctx_flush_audit(&ctx, true);
	log_info("worker stopping");
out:
	if (epfd >= 0)
		close(epfd);
	hasher_stop();
	metrics_close();
	FCGX_Free(&fcgx, 1);
	rs_free(ctx.rs);
	pg_free(ctx.pg);
	request_free(&req);
	otp_key_free(&otp_key);
	return status;
}

static int
cmd_migrate(const struct config *cfg, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return pg_migrate(cfg, migrations, migrations_count) ? 0 : 1;
}

/* Warns of a template that takes more than one SMS (rendered with a code). */
static void
check_texts(const struct config *cfg)
{
	static const char *const lang_tags[LANG__MAX] = { "en", "fa" };
	char text[SMS_TEXT_MAX];

	for (int p = 0; p < PURPOSE__MAX; p++)
		for (int l = 0; l < LANG__MAX; l++) {
			int n;

			if (!sms_text_render(&texts, cfg, (enum purpose)p, (enum lang)l, "123456", text,
			    sizeof text) || (n = sms_text_segments(text)) <= 1)
				continue;
			fprintf(stderr, "phoneauth: warning: the %s SMS in %s (%s) takes %d SMS, each "
			    "paid for: shorten it (%s)\n", purpose_name((enum purpose)p), lang_tags[l],
			    texts.from_file[p][l] ? "sms_template_dir" : "compiled in", n,
			    cfg->sms_origin ? "sms_origin adds a line" : "160 GSM-7 or 70 UCS-2 "
			    "characters a message");
		}
}

/* Warns of a real SMS driver that nothing bounds but the per-number and
 * per-client caps: the easiest service to pump. */
static void
check_sms_economics(const struct config *cfg)
{
	char keys_off[256];

	if (config_sms_unguarded(cfg, keys_off, sizeof keys_off))
		fprintf(stderr, "phoneauth: warning: the command SMS driver runs with every SMS-economics "
		    "control off (%s): nothing bounds what a botnet makes it send; turn some on "
		    "(docs/operations.md, \"Deployment\")\n", keys_off);
}

/* Lists the test numbers, and says when they have ended. */
static void
check_test_numbers(const struct config *cfg)
{
	bool ended = time(NULL) > cfg->test_until;

	for (size_t i = 0; i < cfg->ntest; i++)
		printf("phoneauth: test number %s (fixed code, nothing sent)%s\n", cfg->test[i].phone,
		    ended ? ": ended" : "");
	if (cfg->ntest > 0 && ended)
		fprintf(stderr, "phoneauth: warning: test_numbers ended on %s: they are ordinary "
		    "numbers now; remove them or move test_numbers_until\n", cfg->test_numbers_until);
	else if (cfg->ntest > 0)
		printf("phoneauth: test numbers hold until %s (UTC)\n", cfg->test_numbers_until);
}

/* The configuration and keys are checked before any command runs: reaching
 * here means they are fine (`ExecReload` runs this before signalling). */
static int
cmd_check(const struct config *cfg, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("phoneauth: the configuration is valid\n");
	if (cfg->sms_driver == SMS_DRIVER_LOG)
		fprintf(stderr, "phoneauth: warning: sms_driver = log: codes are only written to the "
		    "log and no SMS is sent; set sms_driver = command (docs/operations.md, \"SMS delivery\")\n");
	check_sms_economics(cfg);
	check_texts(cfg);
	check_test_numbers(cfg);
	return 0;
}

/*
 * -c FILE may stand before or after the command (`phoneauth -c F migrate`,
 * `phoneauth sender -c F`); every other word after the command is its own.
 */
int
main(int argc, char **argv)
{
	const char *path = getenv("PHONEAUTH_CONFIG");
	const struct command *cmd = NULL;
	char **args = calloc((size_t)argc + 1, sizeof *args);
	int nargs = 0, status;
	struct config cfg;
	char err[512];

	if (args == NULL)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (++i == argc) {
				fprintf(stderr, "phoneauth: -c needs a file\n");
				free(args);
				return 2;
			}
			path = argv[i];
		} else if (cmd == NULL && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
			usage(stdout);
			free(args);
			return 0;
		} else if (cmd == NULL && (strcmp(argv[i], "-V") == 0 ||
		    strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "version") == 0)) {
			printf("phoneauth %s\n", PHONEAUTH_VERSION);
			free(args);
			return 0;
		} else if (cmd == NULL && argv[i][0] != '-') {
			for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++)
				if (strcmp(commands[c].name, argv[i]) == 0)
					cmd = &commands[c];
			if (cmd == NULL) {
				fprintf(stderr, "phoneauth: unknown command '%s'\n", argv[i]);
				usage(stderr);
				free(args);
				return 2;
			}
		} else if (cmd == NULL) {
			fprintf(stderr, "phoneauth: unknown option '%s'\n", argv[i]);
			usage(stderr);
			free(args);
			return 2;
		} else {
			args[nargs++] = argv[i];
		}
	}
	if (cmd == NULL)
		cmd = &commands[0];
	if (nargs < cmd->min_args || nargs > cmd->max_args) {
		fprintf(stderr, "phoneauth: usage: phoneauth %s %s\n", cmd->name, cmd->args);
		free(args);
		return 2;
	}
	if (!cmd->needs_config) {
		status = cmd->run(NULL, nargs, args);
		free(args);
		return status;
	}
	if (!config_load(&cfg, path, err, sizeof err) || !keys_load(&cfg, &keys, err, sizeof err) ||
	    !sms_texts_load(&texts, &cfg, err, sizeof err)) {
		fprintf(stderr, "phoneauth: %s\n", err);
		config_free(&cfg);
		free(args);
		return 2;
	}
	status = cmd->run(&cfg, nargs, args);
	sms_texts_free(&texts);
	keys_free(&keys);
	config_free(&cfg);
	free(args);
	return status;
}
