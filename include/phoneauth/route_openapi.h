/*
 * GET openapi.json: the OpenAPI 3.1 description of the API.
 */
#ifndef PHONEAUTH_ROUTE_OPENAPI_H
#define PHONEAUTH_ROUTE_OPENAPI_H

#include "phoneauth/ctx.h"

void route_openapi(struct ctx *ctx);

#endif
