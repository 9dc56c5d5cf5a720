/*
 * Cookies: request_cookie() over a Cookie header, reached as the service
 * reaches it, through the FastCGI params (HTTP_COOKIE). The first byte picks
 * the cookie name (bits 0-1) and the size of the caller's buffer (bits 2-4);
 * the rest is the header.
 *
 * Oracles: a value found fits the buffer with its NUL, is non-empty, holds
 * no ';', and stands in the header right after "name=" (quotes aside).
 */
#include <stdbool.h>

#include "fuzz.h"
#include "phoneauth/request.h"

static const char *const names[] = { "access", "pa_access_token", "a", "" };
static const size_t sizes[] = { 1, 2, 3, 8, 33, 256, 2048, 8193 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char prefix[] = "HTTP_COOKIE=";
	struct request req;
	char *param, *env[3], *out;
	const char *name, *got;
	size_t outlen;

	if (size == 0)
		return 0;
	name = names[data[0] & 3];
	outlen = sizes[(data[0] >> 2) & 7];
	if ((param = malloc(sizeof prefix - 1 + size)) == NULL || (out = malloc(outlen)) == NULL)
		abort();
	memcpy(param, prefix, sizeof prefix - 1);
	memcpy(param + sizeof prefix - 1, data + 1, size - 1);
	param[sizeof prefix - 1 + size - 1] = '\0';
	env[0] = "REQUEST_METHOD=GET";
	env[1] = param;
	env[2] = NULL;
	memset(&req, 0, sizeof req);
	request_set_params(&req, env);

	got = request_cookie(&req, name, out, outlen);
	if (got != NULL) {
		const char *header = param + sizeof prefix - 1, *at;
		size_t vlen;
		bool found = false;

		FUZZ_ASSERT(got == out);
		FUZZ_ASSERT(memchr(out, '\0', outlen) != NULL);
		vlen = strlen(out);
		FUZZ_ASSERT(vlen > 0 && strchr(out, ';') == NULL);
		for (at = header; (at = strstr(at, name)) != NULL && !found; at++) {
			const char *v = at + strlen(name);

			if (*at == '\0')
				break;	/* the empty name is found at the very end too */
			if (*v != '=')
				continue;
			v++;
			if (*v == '"' && strncmp(v + 1, out, vlen) == 0 && v[1 + vlen] == '"')
				found = true;
			else if (strncmp(v, out, vlen) == 0)
				found = true;
		}
		FUZZ_ASSERT(found);
	}
	free(out);
	free(param);
	return 0;
}
