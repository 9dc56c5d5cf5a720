/*
 * Commands for administrators, run by hand or by scripts next to the
 * service: they use the same configuration and the same stores, and print
 * one line per fact.
 */
#ifndef PHONEAUTH_CMD_ADMIN_H
#define PHONEAUTH_CMD_ADMIN_H

#include "phoneauth/config.h"

/* phoneauth unblock --ip ADDR | --phone NUMBER */
int cmd_unblock(const struct config *cfg, int argc, char **argv);

/* phoneauth blocks */
int cmd_blocks(const struct config *cfg, int argc, char **argv);

/* phoneauth ban NUMBER / unban NUMBER */
int cmd_ban(const struct config *cfg, int argc, char **argv);
/* phoneauth mfa-reset NUMBER: the account keeps its password, loses TOTP
 * and its recovery codes (a user who lost both). */
int cmd_mfa_reset(const struct config *cfg, int argc, char **argv);
int cmd_unban(const struct config *cfg, int argc, char **argv);

/* phoneauth sessions NUMBER: one line per live login of the account */
int cmd_sessions(const struct config *cfg, int argc, char **argv);

/* phoneauth revoke NUMBER [--session ID]: ends one login, or every one */
int cmd_revoke(const struct config *cfg, int argc, char **argv);

/* phoneauth delete NUMBER: the account goes, as account/delete does it */
int cmd_delete(const struct config *cfg, int argc, char **argv);

/* phoneauth migrate: the SQL migrations compiled in (pg_migrate.c) */
int cmd_migrate(const struct config *cfg, int argc, char **argv);

/* phoneauth keygen rs256|es256 [FILE]; needs no configuration (cfg NULL). */
int cmd_keygen(const struct config *cfg, int argc, char **argv);

/* phoneauth import-django --from POSTGRES_URL [--dry-run] (cmd_import_django.c) */
int cmd_import_django(const struct config *cfg, int argc, char **argv);

#endif
