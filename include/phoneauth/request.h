/*
 * A FastCGI request as the handlers see it: method, route path below
 * base_path, client address, language, and the body parsed into one JSON
 * object whether it came as JSON or as a form.
 */
#ifndef PHONEAUTH_REQUEST_H
#define PHONEAUTH_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "phoneauth/config.h"
#include "phoneauth/net.h"

enum method { METHOD_GET, METHOD_HEAD, METHOD_POST, METHOD_DELETE, METHOD_OPTIONS, METHOD_OTHER };

enum body_status {
	BODY_OK,
	BODY_TOO_LARGE,
	BODY_UNSUPPORTED_TYPE,
	BODY_INVALID_JSON,
	BODY_INVALID_FORM_TEXT,	/* a form field that is not UTF-8; bad_field names it */
	BODY_READ_ERROR,
	BODY_TIMEOUT,		/* not all there within body_timeout */
	BODY_NO_MEMORY,		/* json-c could not allocate the parsed body */
};

/* The FastCGI params the service reads, found in one pass over them. */
enum param {
	P_REQUEST_METHOD, P_FCGI_ROLE, P_REQUEST_URI, P_SCRIPT_NAME, P_REMOTE_ADDR,
	P_X_FORWARDED_FOR, P_X_FORWARDED_PROTO, P_ACCEPT_LANGUAGE, P_HTTPS, P_REQUEST_SCHEME,
	P_CONTENT_LENGTH, P_CONTENT_TYPE, P_AUTHORIZATION, P_COOKIE, P_ORIGIN, P_HOST,
	P_SEC_FETCH_SITE, P_USER_AGENT, P__MAX
};

#define REQUEST_PATH_MAX 256
#define REQUEST_IP_MAX 46

struct request {
	enum method method;
	bool in_base;				/* the path is under base_path */
	char path[REQUEST_PATH_MAX];		/* below base_path, no slashes around */
	char ip[REQUEST_IP_MAX];		/* the client, after trusted proxies */
	char client[NET_CLIENT_KEY_MAX];	/* what limits count: ip, or its IPv6 network */
	bool https;				/* the client's scheme (behind trusted proxies too) */
	enum lang lang;
	bool authorizer;			/* FastCGI Authorizer role */
	char **env;				/* FastCGI params, valid until the request ends */
	int fd;					/* the connection (-1: none) */
	const char *params[P__MAX];		/* values in env, or NULL */

	json_object *body;			/* an object; owner: the request */
	enum body_status body_status;
	char bad_field[64];

	char *buf;				/* body bytes; owner: the worker, reused */
	size_t bufsize;
};

/* Gives the connections of listening socket fd body_timeout as their read
 * timeout; false if the socket would not take it (each body's first read
 * then sets it). */
bool request_listen(int fd, const struct config *cfg);

/* Ends the request (FCGX_Finish_r) and closes its connection at once. */
void request_finish(FCGX_Request *fcgx);

/* Allocates the body buffer once per worker. */
bool request_init(struct request *req, const struct config *cfg);


void request_free(struct request *req);

/* Reads the FastCGI params: method, path, client address, language, into a
 * request fresh from request_init() or the last request_reset(). */
void request_begin(struct request *req, FCGX_Request *fcgx, const struct config *cfg);

/* Reads and parses the body (JSON object or form) into req->body. */
enum body_status request_read_body(struct request *req, FCGX_Stream *in,
    const struct config *cfg);

/* Takes the request's FastCGI params (valid until it ends). */
void request_set_params(struct request *req, char **env);

/* A FastCGI param the service reads, or NULL. */
const char *request_param(const struct request *req, enum param p);

/* The token of "Authorization: Bearer <token>", or NULL. */
const char *request_bearer(const struct request *req);

/* The value of cookie `name` copied into out, or NULL. */
const char *request_cookie(const struct request *req, const char *name, char *out, size_t outlen);

/* Frees what one request allocated; the buffer stays for the next one. */
void request_reset(struct request *req);

/* Pure parts, exposed for the unit tests. */
enum lang request_pick_language(const char *accept_language, enum lang fallback);
bool request_route_path(const char *uri, const char *base_path, char *out, size_t outlen);
void request_client_ip(const char *remote_addr, const char *forwarded_for,
    const struct config *cfg, char out[REQUEST_IP_MAX]);
bool request_is_https(const char *https, const char *scheme, const char *remote_addr,
    const char *forwarded_proto, const struct config *cfg);
enum body_status request_parse_body(const char *content_type, const char *data, size_t len,
    json_object **out, char *bad_field, size_t bad_field_len);

#endif
