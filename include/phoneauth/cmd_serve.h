/*
 * phoneauth serve: the FastCGI worker, its accept loop and the lifecycle of
 * one request.
 */
#ifndef PHONEAUTH_CMD_SERVE_H
#define PHONEAUTH_CMD_SERVE_H

#include "phoneauth/config.h"
#include "phoneauth/keys.h"
#include "phoneauth/sms_text.h"

/* Serves until a stop signal or max_requests; 0 then, 2 when fd 0 is not a
 * FastCGI socket, 1 when the worker cannot start. */
int cmd_serve(const struct config *cfg, const struct keys *keys, const struct sms_texts *texts);

#endif
