/*
 * A request as a worker reads it: FastCGI params, then request_read_body()
 * over a stream that hands the body over in records of the input's size
 * (as libfcgi does), then request_route_path() and request_bearer(). The
 * input: one byte for the record size (0: all at once), one for how the
 * stream ends (0 cleanly, 1 EAGAIN: the client is too slow, 2 EIO), then
 * NAME=VALUE lines up to an empty line (the params: CONTENT_LENGTH,
 * CONTENT_TYPE, REQUEST_URI, HTTP_AUTHORIZATION...), then the body.
 * max_body_bytes is 256 here, so that the fuzzer reaches it.
 *
 * Oracles, beyond "no crash, no leak":
 *  - a CONTENT_LENGTH that is not a number or over max_body_bytes is 413
 *    before a byte is read; one that is, is never read past;
 *  - without one, no more than max_body_bytes + 1 bytes are read;
 *  - BODY_OK comes with an object and anything else with none; a stream
 *    that fails where the body was still wanted is never BODY_OK;
 *  - a routed path lies under the base path, is shorter than its buffer,
 *    and holds no '?' or '#'; a refused one leaves it empty;
 *  - a bearer token is a non-empty tail of "Authorization: Bearer <token>"
 *    that starts with neither a blank nor a tab.
 */
#define _GNU_SOURCE		/* memfd_create */
#include <errno.h>
#include <stdbool.h>
#include <strings.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_env.h"
#include "phoneauth/config.h"
#include "phoneauth/request.h"

#define MAX_PARAMS 32

static struct config cfg;

static void
setup(void)
{
	static bool done;
	char path[64], err[256];

	if (done)
		return;
	fuzz_env_secret(path);
	setenv("PHONEAUTH_MAX_BODY_BYTES", "256", 1);
	if (!config_load(&cfg, NULL, err, sizeof err)) {
		fprintf(stderr, "fuzz_request: %s\n", err);
		abort();
	}
	done = true;
}

/* The body, handed out as libfcgi hands out STDIN records. */
struct feed {
	const uint8_t *data;
	size_t len, pos, record;
	int end_errno;		/* what the stream fails with at its end (0: none) */
	int fills;
	bool hit_end;		/* the reader wanted more than there was */
};

static void
fill(FCGX_Stream *s)
{
	struct feed *f = s->data;
	size_t n;

	f->fills++;
	if (f->pos >= f->len) {
		f->hit_end = true;
		s->FCGI_errno = f->end_errno;
		s->isClosed = 1;
		return;
	}
	n = f->record == 0 || f->len - f->pos < f->record ? f->len - f->pos : f->record;
	s->rdNext = (unsigned char *)(uintptr_t)(f->data + f->pos);
	s->stop = s->rdNext + n;
	f->pos += n;
}

static void
check_route(const char *uri)
{
	static const char *const bases[] = { "/api", "", "/auth/v1" };

	for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		char out[REQUEST_PATH_MAX];

		memset(out, 'x', sizeof out);
		if (!request_route_path(uri, bases[i], out, sizeof out)) {
			FUZZ_ASSERT(out[0] == '\0');
			continue;
		}
		FUZZ_ASSERT(uri != NULL && strncmp(uri, bases[i], strlen(bases[i])) == 0);
		FUZZ_ASSERT(memchr(out, '\0', sizeof out) != NULL);
		FUZZ_ASSERT(strpbrk(out, "?#") == NULL);
		FUZZ_ASSERT(strstr(uri + strlen(bases[i]), out) != NULL);
	}
}

static void
check_bearer(const struct request *req)
{
	const char *h = request_param(req, P_AUTHORIZATION), *token = request_bearer(req);

	if (token == NULL)
		return;
	FUZZ_ASSERT(h != NULL && strncasecmp(h, "Bearer", 6) == 0 && (h[6] == ' ' || h[6] == '\t'));
	FUZZ_ASSERT(token > h + 6 && token < h + strlen(h) && token[0] != ' ' && token[0] != '\t');
	FUZZ_ASSERT(strspn(h + 6, " \t") == (size_t)(token - h - 6));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int ends[] = { 0, EAGAIN, EIO };
	char *text, *params[MAX_PARAMS + 1], *line, *cl;
	struct feed f = { 0 };
	FCGX_Stream in = { 0 };
	struct request req;
	enum body_status st;
	size_t n = 0, consumed;
	const uint8_t *body;

	setup();
	if (size < 2)
		return 0;
	f.record = data[0];
	f.end_errno = ends[data[1] % 3];
	data += 2, size -= 2;

	/* the params: lines up to the first empty one */
	text = fuzz_cstring(data, size);
	body = data + size;
	for (line = text; n < MAX_PARAMS && line < text + size; ) {
		char *nl = memchr(line, '\n', (size_t)(text + size - line));

		if (nl == NULL)
			break;
		*nl = '\0';
		if (nl == line) {
			body = data + (nl + 1 - text);
			break;
		}
		params[n++] = line;
		line = nl + 1;
	}
	params[n] = NULL;
	f.data = body;
	f.len = (size_t)(data + size - body);

	if (!request_init(&req, &cfg))
		abort();
	request_set_params(&req, params);
	in.isReader = 1;
	in.fillBuffProc = fill;
	in.data = &f;
	memset(req.bad_field, 'x', sizeof req.bad_field);
	st = request_read_body(&req, &in, &cfg);
	consumed = f.pos - (size_t)(in.stop - in.rdNext);

	FUZZ_ASSERT(st == BODY_OK || st == BODY_TOO_LARGE || st == BODY_UNSUPPORTED_TYPE ||
	    st == BODY_INVALID_JSON || st == BODY_INVALID_FORM_TEXT || st == BODY_READ_ERROR ||
	    st == BODY_TIMEOUT || st == BODY_NO_MEMORY);
	FUZZ_ASSERT(st == req.body_status);
	FUZZ_ASSERT((st == BODY_OK) == (req.body != NULL));
	if (req.body != NULL)
		FUZZ_ASSERT(json_object_is_type(req.body, json_type_object));
	if ((cl = (char *)request_param(&req, P_CONTENT_LENGTH)) != NULL && *cl != '\0') {
		char *end;
		unsigned long long declared = strtoull(cl, &end, 10);

		if (*end != '\0' || declared > (unsigned long long)cfg.max_body_bytes)
			FUZZ_ASSERT(st == BODY_TOO_LARGE && f.fills == 0);
		else
			FUZZ_ASSERT(consumed <= declared);
	} else {
		FUZZ_ASSERT(consumed <= (size_t)cfg.max_body_bytes + 1);
		if (st != BODY_TOO_LARGE)
			FUZZ_ASSERT(consumed <= (size_t)cfg.max_body_bytes);
	}
	if (f.hit_end && f.end_errno != 0)
		FUZZ_ASSERT(st == (f.end_errno == EAGAIN ? BODY_TIMEOUT : BODY_READ_ERROR));

	check_route(request_param(&req, P_REQUEST_URI));
	check_bearer(&req);
	request_free(&req);
	free(text);
	return 0;
}
