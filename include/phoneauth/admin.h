/*
 * Commands for administrators, run by hand or by scripts next to the
 * service: they use the same configuration and the same stores, and print
 * one line per fact.
 */
#ifndef PHONEAUTH_ADMIN_H
#define PHONEAUTH_ADMIN_H

#include "phoneauth/config.h"

/* phoneauth unblock --ip ADDR | --phone NUMBER */
int admin_unblock(const struct config *cfg, int argc, char **argv);

/* phoneauth blocks */
int admin_blocks(const struct config *cfg, int argc, char **argv);

/* phoneauth ban NUMBER / unban NUMBER */
int admin_ban(const struct config *cfg, int argc, char **argv);
int admin_unban(const struct config *cfg, int argc, char **argv);

/* phoneauth sessions NUMBER: one line per live login of the account */
int admin_sessions(const struct config *cfg, int argc, char **argv);

/* phoneauth revoke NUMBER [--session ID]: ends one login, or every one */
int admin_revoke(const struct config *cfg, int argc, char **argv);

/* phoneauth delete NUMBER: the account goes, as account/delete does it */
int admin_delete(const struct config *cfg, int argc, char **argv);

/* phoneauth keygen rs256|es256 [FILE]; needs no configuration (cfg NULL). */
int admin_keygen(const struct config *cfg, int argc, char **argv);

/* phoneauth import-django --from POSTGRES_URL [--dry-run] (pg_import.c) */
int admin_import_django(const struct config *cfg, int argc, char **argv);

#endif
