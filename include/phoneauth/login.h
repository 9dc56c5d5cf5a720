/*
 * POST login: by a session waiting for `password`, or by number and password.
 */
#ifndef PHONEAUTH_LOGIN_H
#define PHONEAUTH_LOGIN_H

#include "phoneauth/ctx.h"

void login_route(struct ctx *ctx);

#endif
