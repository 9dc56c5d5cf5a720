/*
 * phoneauth: options, the configuration, and the command table.
 *
 *   phoneauth [-c FILE] [serve]   serve FastCGI on the socket inherited on fd 0
 *                                 (spawn-fcgi -s SOCK -F N -- phoneauth -c FILE)
 *   phoneauth [-c FILE] migrate   apply the SQL migrations compiled in
 *   phoneauth [-c FILE] unblock | blocks | ban | unban | sessions | revoke | delete | keygen ...
 *                                 administration (cmd_admin.c)
 *
 * Only the command table and the dispatch to it: each verb is a cmd_*.c
 * (the worker and its accept loop: cmd_serve.c).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phoneauth/cmd_admin.h"
#include "phoneauth/cmd_check.h"
#include "phoneauth/cmd_events.h"
#include "phoneauth/cmd_serve.h"
#include "phoneauth/cmd_sms.h"
#include "phoneauth/config.h"
#include "phoneauth/keys.h"
#include "phoneauth/sender.h"
#include "phoneauth/sms_text.h"
#include "phoneauth/store_account_index.h"

/* The version is debian/changelog's, passed by the Makefile (-D). */
#ifndef PHONEAUTH_VERSION
#error "PHONEAUTH_VERSION is not defined: build with make (it takes the version from debian/changelog)"
#endif

/* The signing keys and the SMS templates, loaded with the configuration (a
 * bad key or template stops every command, not only the workers). */
static struct keys keys;
static struct sms_texts texts;

/* The commands that take the keys or the templates loaded here. */
static int
serve(const struct config *cfg, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_serve(cfg, &keys, &texts);
}

static int
check(const struct config *cfg, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_check(cfg, &texts);
}

/* Each command's arguments are counted here, against min_args..max_args,
 * before it runs; it checks only what they say. */
static const struct command {
	const char *name;
	int (*run)(const struct config *cfg, int argc, char **argv);
	int min_args, max_args;
	const char *args, *help;
	bool needs_config;
} commands[] = {
	{ "serve", serve, 0, 0, "", "serve FastCGI on the socket inherited on fd 0 (the default)", true },
	{ "migrate", cmd_migrate, 0, 0, "", "apply the database migrations compiled into this program", true },
	{ "unblock", cmd_unblock, 2, 2, "--ip ADDR | --phone NUMBER", "lift a block and forget its failures", true },
	{ "blocks", cmd_blocks, 0, 0, "", "list what is blocked, and until when", true },
	{ "ban", cmd_ban, 1, 1, "NUMBER", "disable an account and revoke its refresh tokens", true },
	{ "mfa-reset", cmd_mfa_reset, 1, 1, "NUMBER", "turn an account's TOTP off and drop its recovery codes", true },
	{ "unban", cmd_unban, 1, 1, "NUMBER", "enable an account again", true },
	{ "sessions", cmd_sessions, 1, 1, "NUMBER", "list an account's live logins: id, began, last used, ip, user agent", true },
	{ "revoke", cmd_revoke, 1, 3, "NUMBER [--session ID]", "end one login of an account, or every one", true },
	{ "delete", cmd_delete, 1, 1, "NUMBER", "delete an account with its tokens and logins", true },
	{ "sender", cmd_sender, 0, 0, "", "deliver the codes of the SMS outbox (a long-running process)", true },
	{ "sms-status", cmd_sms_status, 0, 0, "", "count the outbox's unread, pending, delivered, expired and dead codes", true },
	{ "sms-dead", cmd_sms_dead, 0, 1, "[--retry]", "list the dead letters with their last error, or put them back in the outbox", true },
	{ "events-status", cmd_events_status, 0, 0, "", "each event output's backlog and deliveries, and the dead letters", true },
	{ "events-dead", cmd_events_dead, 0, 1, "[--retry]", "list the events an output gave up on, or put them back for it", true },
	{ "sms-pauses", cmd_sms_pauses, 0, 0, "", "list the prefixes the conversion breaker paused", true },
	{ "sms-unpause", cmd_sms_unpause, 1, 1, "PREFIX", "lift a prefix's pause and forget its conversion counts", true },
	{ "import-django", cmd_import_django, 2, 3, "--from URL [--dry-run]", "import PhoneAuthDjango's users with their password hashes", true },
	{ "reindex", cmd_reindex, 0, 0, "", "rebuild the index of numbers with an account (after SQL by hand)", true },
	{ "check", check, 0, 0, "", "check the configuration and the keys, and say so", true },
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

/* What the command line asked for. */
struct invocation {
	const char *path;		/* the configuration file */
	const struct command *cmd;	/* NULL until a command is named */
	char **args;			/* its own words; owner: main() */
	int nargs;
};

static const struct command *
find_command(const char *name)
{
	for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++)
		if (strcmp(commands[c].name, name) == 0)
			return &commands[c];
	return NULL;
}

/* A word before the command: -1 to read on, or the exit status. */
static int
leading_word(struct invocation *inv, const char *w)
{
	if (strcmp(w, "-h") == 0 || strcmp(w, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(w, "-V") == 0 || strcmp(w, "--version") == 0 || strcmp(w, "version") == 0) {
		printf("phoneauth %s\n", PHONEAUTH_VERSION);
		return 0;
	}
	if (w[0] == '-') {
		fprintf(stderr, "phoneauth: unknown option '%s'\n", w);
		usage(stderr);
		return 2;
	}
	if ((inv->cmd = find_command(w)) == NULL) {
		fprintf(stderr, "phoneauth: unknown command '%s'\n", w);
		usage(stderr);
		return 2;
	}
	return -1;
}

/*
 * -c FILE may stand before or after the command (`phoneauth -c F migrate`,
 * `phoneauth sender -c F`); every other word after the command is its own.
 * -1 to run the command, or the exit status.
 */
static int
read_line(struct invocation *inv, int argc, char **argv)
{
	int status;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (++i == argc) {
				fprintf(stderr, "phoneauth: -c needs a file\n");
				return 2;
			}
			inv->path = argv[i];
		} else if (inv->cmd == NULL) {
			if ((status = leading_word(inv, argv[i])) >= 0)
				return status;
		} else {
			inv->args[inv->nargs++] = argv[i];
		}
	}
	return -1;
}

/* The configuration, the keys and the templates loaded around the run. */
static int
run_configured(const struct invocation *inv)
{
	struct config cfg;
	char err[512];
	int status;

	if (!config_load(&cfg, inv->path, err, sizeof err) || !keys_load(&cfg, &keys, err, sizeof err) ||
	    !sms_texts_load(&texts, &cfg, err, sizeof err)) {
		fprintf(stderr, "phoneauth: %s\n", err);
		config_free(&cfg);
		return 2;
	}
	status = inv->cmd->run(&cfg, inv->nargs, inv->args);
	sms_texts_free(&texts);
	keys_free(&keys);
	config_free(&cfg);
	return status;
}

static int
run(struct invocation *inv)
{
	if (inv->cmd == NULL)
		inv->cmd = &commands[0];
	if (inv->nargs < inv->cmd->min_args || inv->nargs > inv->cmd->max_args) {
		fprintf(stderr, "phoneauth: usage: phoneauth %s %s\n", inv->cmd->name, inv->cmd->args);
		return 2;
	}
	if (!inv->cmd->needs_config)
		return inv->cmd->run(NULL, inv->nargs, inv->args);
	return run_configured(inv);
}

int
main(int argc, char **argv)
{
	struct invocation inv = { .path = getenv("PHONEAUTH_CONFIG") };
	int status;

	if ((inv.args = calloc((size_t)argc + 1, sizeof *inv.args)) == NULL)
		return 1;
	if ((status = read_line(&inv, argc, argv)) < 0)
		status = run(&inv);
	free(inv.args);
	return status;
}
