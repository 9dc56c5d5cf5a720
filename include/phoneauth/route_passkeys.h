/*
 * Passkeys (docs/api.md, "Passkeys"): registration options and
 * registration, the account's list and removal (Bearer), login options and
 * login. Served only with passkey_rp_id set (router.c).
 */
#ifndef PHONEAUTH_ROUTE_PASSKEYS_H
#define PHONEAUTH_ROUTE_PASSKEYS_H

#include "phoneauth/ctx.h"

/* DELETE passkeys/<id>: the path before the id. */
#define PASSKEYS_PATH_PREFIX "passkeys/"

void route_passkeys_register_options(struct ctx *ctx);
void route_passkeys_register(struct ctx *ctx);
void route_passkeys_list(struct ctx *ctx);
void route_passkey_delete(struct ctx *ctx);
void route_passkeys_login_options(struct ctx *ctx);
void route_passkeys_login(struct ctx *ctx);

#endif
