/*
 * GET openapi.json: the OpenAPI 3.1 description of the API.
 */
#ifndef PHONEAUTH_OPENAPI_H
#define PHONEAUTH_OPENAPI_H

#include "phoneauth/ctx.h"

void openapi_route(struct ctx *ctx);

#endif
