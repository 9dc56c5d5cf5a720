/*
 * FastCGI params and body -> struct request. Everything here is client
 * input: lengths are checked before copies, the body is read only up to
 * max_body_bytes, and a JSON body must be one strict, valid-UTF-8 object.
 * Routing uses REQUEST_URI so the service behaves the same behind lighttpd,
 * Apache and nginx, whatever they put in SCRIPT_NAME and PATH_INFO.
 * A body that has not arrived within body_timeout is given up on, so no slow
 * client holds a worker longer than that whatever its web server does:
 * every connection inherits body_timeout as its read timeout (SO_RCVTIMEO)
 * from the listening socket, a read after the first that has to wait gets
 * the rest of the deadline, and the deadline is looked at before every read.
 */
#include "phoneauth/request.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "phoneauth/clock.h"
#include "phoneauth/json_check.h"
#include "phoneauth/net.h"
#include "phoneauth/text.h"


/* The listening socket's connections inherit body_timeout as their read
 * timeout (request_listen), so the first read of a body needs no setsockopt. */
static bool timeout_inherited;

bool
request_listen(int fd, const struct config *cfg)
{
	struct timeval tv = { .tv_sec = cfg->body_timeout };

	timeout_inherited = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0;
	return timeout_inherited;
}

void
request_finish(FCGX_Request *fcgx)
{
	char trash[1024];

	/* libfcgi would shut its side down and wait for the web server to close
	 * the other (a sleep and a wakeup more for every request). What the web
	 * server sent and was not read (the empty record that ends a body) is
	 * read here without waiting, so that closing with it unread does not
	 * reset a TCP connection under the answer, and the connection is then
	 * closed at once. */
	if (fcgx->ipcFd >= 0) {
		while (recv(fcgx->ipcFd, trash, sizeof trash, MSG_DONTWAIT) > 0)
			;
		(void)FCGX_Detach(fcgx);
	}
	FCGX_Finish_r(fcgx);
}

bool
request_init(struct request *req, const struct config *cfg)
{
	memset(req, 0, sizeof *req);
	req->fd = -1;
	req->bufsize = (size_t)cfg->max_body_bytes + 1;	/* +1 tells "over the limit" */
	req->buf = malloc(req->bufsize);
	return req->buf != NULL;
}

/* Bounds the next read of connection `fd` by `left_ms`, the rest of the
 * body's deadline; false when nothing is left. */
static bool
wait_at_most(int fd, long long left_ms)
{
	struct timeval tv;

	if (left_ms <= 0)
		return false;
	tv.tv_sec = left_ms / 1000;
	tv.tv_usec = (left_ms % 1000) * 1000;
	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return true;
}

void
request_free(struct request *req)
{
	request_reset(req);
	free(req->buf);
	req->buf = NULL;
}

void
request_reset(struct request *req)
{
	json_object_put(req->body);
	req->body = NULL;
	memset(req->params, 0, sizeof req->params);
	req->body_status = BODY_OK;
	req->bad_field[0] = '\0';
	req->path[0] = '\0';
	req->env = NULL;
}

static const char *const param_names[P__MAX] = {
	[P_REQUEST_METHOD] = "REQUEST_METHOD", [P_FCGI_ROLE] = "FCGI_ROLE",
	[P_REQUEST_URI] = "REQUEST_URI", [P_SCRIPT_NAME] = "SCRIPT_NAME",
	[P_REMOTE_ADDR] = "REMOTE_ADDR", [P_X_FORWARDED_FOR] = "HTTP_X_FORWARDED_FOR",
	[P_X_FORWARDED_PROTO] = "HTTP_X_FORWARDED_PROTO",
	[P_ACCEPT_LANGUAGE] = "HTTP_ACCEPT_LANGUAGE", [P_HTTPS] = "HTTPS",
	[P_REQUEST_SCHEME] = "REQUEST_SCHEME", [P_CONTENT_LENGTH] = "CONTENT_LENGTH",
	[P_CONTENT_TYPE] = "CONTENT_TYPE", [P_AUTHORIZATION] = "HTTP_AUTHORIZATION",
	[P_COOKIE] = "HTTP_COOKIE", [P_ORIGIN] = "HTTP_ORIGIN", [P_HOST] = "HTTP_HOST",
	[P_SEC_FETCH_SITE] = "HTTP_SEC_FETCH_SITE", [P_USER_AGENT] = "HTTP_USER_AGENT",
};

/* Every param the service reads, in one pass (FCGX_GetParam would scan them
 * all for each one asked for). The first of a name wins, as in libfcgi. */
void
request_set_params(struct request *req, char **env)
{
	static size_t lens[P__MAX];

	if (lens[0] == 0)
		for (int p = 0; p < P__MAX; p++)
			lens[p] = strlen(param_names[p]);
	req->env = env;
	memset(req->params, 0, sizeof req->params);
	for (char **e = req->env; e != NULL && *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		size_t len = eq ? (size_t)(eq - *e) : 0;

		for (int p = 0; eq != NULL && p < P__MAX; p++)
			if (lens[p] == len && req->params[p] == NULL && memcmp(*e, param_names[p], len) == 0) {
				req->params[p] = eq + 1;
				break;
			}
	}
}

const char *
request_param(const struct request *req, enum param p)
{
	return req->params[p];
}

const char *
request_bearer(const struct request *req)
{
	const char *h = request_param(req, P_AUTHORIZATION);

	if (h == NULL || strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
		return NULL;
	h += 6;
	while (*h == ' ' || *h == '\t')
		h++;
	return *h != '\0' ? h : NULL;
}

const char *
request_cookie(const struct request *req, const char *name, char *out, size_t outlen)
{
	const char *h = request_param(req, P_COOKIE);
	size_t nlen = strlen(name);

	while (h != NULL && *h != '\0') {
		size_t len;

		while (*h == ' ' || *h == ';')
			h++;
		len = strcspn(h, ";");
		if (len > nlen && strncmp(h, name, nlen) == 0 && h[nlen] == '=') {
			const char *v = h + nlen + 1;
			size_t vlen = len - nlen - 1;

			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"')
				v++, vlen -= 2;
			if (vlen == 0 || vlen >= outlen)
				return NULL;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return out;
		}
		h += len;
	}
	return NULL;
}

static enum method
parse_method(const char *m)
{
	if (m == NULL)
		return METHOD_OTHER;
	if (strcmp(m, "GET") == 0)
		return METHOD_GET;
	if (strcmp(m, "POST") == 0)
		return METHOD_POST;
	if (strcmp(m, "HEAD") == 0)
		return METHOD_HEAD;
	if (strcmp(m, "DELETE") == 0)
		return METHOD_DELETE;
	if (strcmp(m, "OPTIONS") == 0)
		return METHOD_OPTIONS;
	return METHOD_OTHER;
}

bool
request_route_path(const char *uri, const char *base_path, char *out, size_t outlen)
{
	size_t baselen = strlen(base_path), len;
	const char *rest;

	out[0] = '\0';
	if (uri == NULL || strncmp(uri, base_path, baselen) != 0)
		return false;
	rest = uri + baselen;
	if (*rest != '/' && *rest != '?' && *rest != '\0')
		return false;		/* /apix is not under /api */
	if (*rest == '/')
		rest++;
	len = strcspn(rest, "?#");
	if (len > 0 && rest[len - 1] == '/')
		len--;			/* the trailing slash is optional */
	if (len >= outlen)
		return false;
	memcpy(out, rest, len);
	out[len] = '\0';
	return true;
}

static bool
trusted(const struct config *cfg, const unsigned char addr[16])
{
	for (size_t i = 0; i < cfg->nproxies; i++)
		if (net_cidr_contains(&cfg->proxies[i], addr))
			return true;
	return false;
}

/*
 * REMOTE_ADDR, unless it is a trusted proxy: then X-Forwarded-For is read
 * from the right, and the first address that is not a trusted proxy is the
 * client. Anything unparsable ends the walk: what lies left of it was written
 * by somebody we do not trust.
 */
void
request_client_ip(const char *remote_addr, const char *forwarded_for,
    const struct config *cfg, char out[REQUEST_IP_MAX])
{
	unsigned char addr[16];
	const char *end;

	if (remote_addr == NULL || !net_parse_ip(remote_addr, addr)) {
		snprintf(out, REQUEST_IP_MAX, "%s", "0.0.0.0");
		return;
	}
	if (forwarded_for != NULL && trusted(cfg, addr)) {
		end = forwarded_for + strlen(forwarded_for);
		while (end > forwarded_for) {
			const char *start = end;
			char item[REQUEST_IP_MAX + 16];
			unsigned char hop[16];
			size_t len;

			while (start > forwarded_for && start[-1] != ',')
				start--;
			while (start < end && isspace((unsigned char)*start))
				start++;
			len = (size_t)(end - start);
			while (len > 0 && isspace((unsigned char)start[len - 1]))
				len--;
			if (len == 0 || len >= sizeof item)
				break;
			memcpy(item, start, len);
			item[len] = '\0';
			if (!net_parse_ip(item, hop))
				break;
			memcpy(addr, hop, sizeof addr);
			if (!trusted(cfg, hop))
				break;
			end = start;
			while (end > forwarded_for && end[-1] != ',')
				end--;
			if (end > forwarded_for)
				end--;	/* step over the comma */
		}
	}
	net_ip_text(addr, out, REQUEST_IP_MAX);
}

/*
 * The language with the highest q among those we speak; ties go to the
 * one named first. "fa-IR" counts as "fa"; "*" as the fallback.
 */
enum lang
request_pick_language(const char *header, enum lang fallback)
{
	enum lang best = fallback;
	int best_q = 0;
	const char *p = header;

	while (p != NULL && *p != '\0') {
		const char *item_end = strchr(p, ',');
		size_t item_len = item_end ? (size_t)(item_end - p) : strlen(p);
		const char *tag = p, *semi;
		size_t tag_len;
		int q = 1000;
		int lang = -1;

		while (tag < p + item_len && isspace((unsigned char)*tag))
			tag++;
		semi = memchr(tag, ';', item_len - (size_t)(tag - p));
		tag_len = (size_t)((semi ? semi : p + item_len) - tag);
		while (tag_len > 0 && isspace((unsigned char)tag[tag_len - 1]))
			tag_len--;
		if (semi != NULL) {
			const char *qs = semi + 1;

			while (qs < p + item_len && isspace((unsigned char)*qs))
				qs++;
			if (qs + 2 <= p + item_len && (qs[0] == 'q' || qs[0] == 'Q') && qs[1] == '=') {
				/* q = 0, 0.x, 0.xx, 0.xxx or 1, 1.0.. in thousandths */
				const char *d = qs + 2;

				q = 0;
				if (d < p + item_len && (*d == '0' || *d == '1'))
					q = (*d++ - '0') * 1000;
				if (d < p + item_len && *d == '.') {
					int scale = 100;

					for (d++; d < p + item_len && isdigit((unsigned char)*d) && scale > 0;
					    d++, scale /= 10)
						q += (*d - '0') * scale;
				}
				if (q > 1000)
					q = 1000;
			}
		}
		for (int i = 0; i < LANG__MAX; i++) {
			size_t n = strlen(lang_names[i]);

			if (tag_len >= n && strncasecmp(tag, lang_names[i], n) == 0 &&
			    (tag_len == n || tag[n] == '-' || tag[n] == '_'))
				lang = i;
		}
		if (lang < 0 && tag_len == 1 && tag[0] == '*')
			lang = (int)fallback;
		if (lang >= 0 && q > best_q) {
			best = (enum lang)lang;
			best_q = q;
		}
		p = item_end ? item_end + 1 : NULL;
	}
	return best;
}

void
request_begin(struct request *req, FCGX_Request *fcgx, const struct config *cfg)
{
	const char *uri, *role;
	unsigned char addr[16];

	request_set_params(req, fcgx->envp);
	req->fd = fcgx->ipcFd;
	req->method = parse_method(request_param(req, P_REQUEST_METHOD));
	role = request_param(req, P_FCGI_ROLE);
	req->authorizer = role != NULL && strcmp(role, "AUTHORIZER") == 0;
	uri = request_param(req, P_REQUEST_URI);
	if (uri == NULL)
		uri = request_param(req, P_SCRIPT_NAME);
	req->in_base = request_route_path(uri, cfg->base_path, req->path, sizeof req->path);
	request_client_ip(request_param(req, P_REMOTE_ADDR),
	    request_param(req, P_X_FORWARDED_FOR), cfg, req->ip);
	if (net_parse_ip(req->ip, addr))
		net_client_key(addr, (unsigned)cfg->ipv6_prefix, req->client, sizeof req->client);
	else
		snprintf(req->client, sizeof req->client, "%s", req->ip);
	req->lang = request_pick_language(request_param(req, P_ACCEPT_LANGUAGE),
	    (enum lang)cfg->language);
	req->https = request_is_https(request_param(req, P_HTTPS),
	    request_param(req, P_REQUEST_SCHEME), request_param(req, P_REMOTE_ADDR),
	    request_param(req, P_X_FORWARDED_PROTO), cfg);
}

/*
 * The scheme the client used: what the web server says (HTTPS=on, or
 * REQUEST_SCHEME), or, only when the peer is a trusted proxy that ended TLS
 * itself, its X-Forwarded-Proto.
 */
bool
request_is_https(const char *https, const char *scheme, const char *remote_addr,
    const char *forwarded_proto, const struct config *cfg)
{
	unsigned char addr[16];

	if ((https != NULL && strcasecmp(https, "on") == 0) ||
	    (scheme != NULL && strcasecmp(scheme, "https") == 0))
		return true;
	return forwarded_proto != NULL && strcasecmp(forwarded_proto, "https") == 0 &&
	    remote_addr != NULL && net_parse_ip(remote_addr, addr) && trusted(cfg, addr);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes in place: '+' is a space, %XX a byte; a malformed % stays as it is. */
static size_t
form_decode(char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+') {
			s[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < len && hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0) {
			s[o++] = (char)(hexval((unsigned char)s[i + 1]) * 16 +
			    hexval((unsigned char)s[i + 2]));
			i += 2;
		} else {
			s[o++] = s[i];
		}
	}
	return o;
}

/* application/x-www-form-urlencoded -> one JSON object of strings. */
static enum body_status
parse_form(char *data, size_t len, json_object **out, char *bad_field, size_t bad_len)
{
	json_object *obj = json_object_new_object(), *v;
	char *p = data, *end = data + len;

	if (obj == NULL)
		return BODY_NO_MEMORY;
	while (p < end) {
		char *amp = memchr(p, '&', (size_t)(end - p));
		char *pair_end = amp ? amp : end;
		char *eq = memchr(p, '=', (size_t)(pair_end - p));
		char *key = p, *val = eq ? eq + 1 : pair_end;
		size_t klen = form_decode(key, (size_t)((eq ? eq : pair_end) - key));
		size_t vlen = eq ? form_decode(val, (size_t)(pair_end - val)) : 0;

		if (klen > 0) {
			if (!text_utf8_valid(key, klen) || memchr(key, '\0', klen) != NULL) {
				snprintf(bad_field, bad_len, "%s", "body");
				json_object_put(obj);
				return BODY_INVALID_FORM_TEXT;
			}
			key[klen] = '\0';	/* decoding only shrinks: room is there */
			if (!text_utf8_valid(val, vlen)) {
				snprintf(bad_field, bad_len, "%s", key);
				json_object_put(obj);
				return BODY_INVALID_FORM_TEXT;
			}
			/* as in Django's QueryDict, the last value of a key wins */
			if ((v = json_object_new_string_len(val, (int)vlen)) == NULL ||
			    json_object_object_add(obj, key, v) != 0) {
				json_object_put(v);
				json_object_put(obj);
				return BODY_NO_MEMORY;
			}
		}
		p = pair_end + 1;
	}
	*out = obj;
	return BODY_OK;
}

/* The tokener of every JSON body, made at the first (owner: this file, for
 * the life of the process) and reset before each: making one per body was
 * a fiftieth of a register's instructions. */
static json_tokener *body_tokener;

static enum body_status
parse_json(const char *data, size_t len, json_object **out)
{
	json_tokener *tok = body_tokener;
	json_object *obj;

	/* RFC 8259: the whole text is UTF-8 (json-c's own check lets overlong
	 * forms and surrogates through) and follows the grammar strictly
	 * (json-c's strict mode does not), so ours come first. */
	if (!text_utf8_valid(data, len) || !json_check_strict(data, len))
		return BODY_INVALID_JSON;
	if (tok == NULL) {
		if ((tok = json_tokener_new_ex(JSON_CHECK_MAX_DEPTH + 1)) == NULL)
			return BODY_NO_MEMORY;
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		body_tokener = tok;
	}
	json_tokener_reset(tok);
	obj = json_tokener_parse_ex(tok, data, (int)len);
	/* A complete value that used every byte (strict mode refuses trailing
	 * garbage); a NUL byte inside the body also ends up here. */
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return BODY_INVALID_JSON;
	}
	*out = obj;
	return BODY_OK;
}

/* "application/json; charset=utf-8" -> 1 json, 2 form, 0 anything else. */
static int
media_kind(const char *content_type)
{
	size_t len;
	const char *params;

	if (content_type == NULL)
		return 0;
	while (isspace((unsigned char)*content_type))
		content_type++;
	len = strcspn(content_type, ";");
	params = content_type + len;
	while (len > 0 && isspace((unsigned char)content_type[len - 1]))
		len--;
	/* A charset other than UTF-8 is a body we would misread. */
	for (const char *cs = params; (cs = strchr(cs, ';')) != NULL; ) {
		cs++;
		while (isspace((unsigned char)*cs))
			cs++;
		if (strncasecmp(cs, "charset=", 8) == 0) {
			const char *v = cs + 8;
			size_t vlen;

			if (*v == '"')
				v++;
			vlen = strcspn(v, "\"; \t");
			if (!((vlen == 5 && strncasecmp(v, "utf-8", 5) == 0) ||
			    (vlen == 4 && strncasecmp(v, "utf8", 4) == 0)))
				return 0;
		}
	}
	if (len == 16 && strncasecmp(content_type, "application/json", 16) == 0)
		return 1;
	if (len == 33 && strncasecmp(content_type, "application/x-www-form-urlencoded", 33) == 0)
		return 2;
	return 0;
}

enum body_status
request_parse_body(const char *content_type, const char *data, size_t len,
    json_object **out, char *bad_field, size_t bad_field_len)
{
	*out = NULL;
	if (len == 0) {
		*out = json_object_new_object();
		return *out != NULL ? BODY_OK : BODY_NO_MEMORY;
	}
	switch (media_kind(content_type)) {
	case 1:
		return parse_json(data, len, out);
	case 2:
		return parse_form((char *)data, len, out, bad_field, bad_field_len);
	default:
		return BODY_UNSUPPORTED_TYPE;
	}
}

enum body_status
request_read_body(struct request *req, FCGX_Stream *in, const struct config *cfg)
{
	const char *cl = request_param(req, P_CONTENT_LENGTH);
	size_t got = 0, limit = req->bufsize;
	long long deadline = clock_monotonic_ms() + cfg->body_timeout * 1000;
	char *end;

	if (cl != NULL && *cl != '\0') {
		unsigned long long declared = strtoull(cl, &end, 10);

		/* Refused before reading a byte of it. */
		if (*end != '\0' || declared > (unsigned long long)cfg->max_body_bytes)
			return req->body_status = BODY_TOO_LARGE;
		limit = (size_t)declared;	/* read that much, and no end marker */
	}
	while (got < limit) {
		/* What libfcgi holds already, or one more record's worth. */
		size_t held = in->stop > in->rdNext ? (size_t)(in->stop - in->rdNext) : 0;
		size_t want = held == 0 ? 1 : held < limit - got ? held : limit - got;
		int n;

		/* Only a read that may wait for the client costs a system call:
		 * it is given what is left of the deadline (the first has
		 * body_timeout already, from the listening socket). Behind a web
		 * server that buffers bodies, the whole body came with the params. */
		if (held == 0 && (got > 0 || !timeout_inherited) &&
		    !wait_at_most(req->fd, deadline - clock_monotonic_ms()))
			return req->body_status = BODY_TIMEOUT;
		if ((n = FCGX_GetStr(req->buf + got, (int)want, in)) <= 0)
			break;
		got += (size_t)n;
	}
	if (FCGX_GetError(in) != 0)
		return req->body_status = FCGX_GetError(in) == EAGAIN || FCGX_GetError(in) ==
		    EWOULDBLOCK ? BODY_TIMEOUT : BODY_READ_ERROR;
	if (got > (size_t)cfg->max_body_bytes)
		return req->body_status = BODY_TOO_LARGE;
	req->buf[got] = '\0';
	req->body_status = request_parse_body(request_param(req, P_CONTENT_TYPE), req->buf, got,
	    &req->body, req->bad_field, sizeof req->bad_field);
	return req->body_status;
}
