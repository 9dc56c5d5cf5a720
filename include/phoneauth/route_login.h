/*
 * POST login: by a session waiting for `password`, or by number and password.
 */
#ifndef PHONEAUTH_ROUTE_LOGIN_H
#define PHONEAUTH_ROUTE_LOGIN_H

#include "phoneauth/ctx.h"

void route_login(struct ctx *ctx);

/*
 * Judges the password of account `u` (NULL: none) as a login does: a wrong
 * one, or an account without a password, costs a whole PBKDF2 at today's
 * iteration count, and a right one with an older hash is upgraded after the
 * answer. The caller has taken the try and settles it.
 */
bool login_password_right(struct ctx *ctx, const struct user *u, const char *password);

#endif
