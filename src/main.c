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
