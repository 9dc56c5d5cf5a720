/*
 * X-Forwarded-For: request_client_ip() with trusted proxies in IPv4 and IPv6
 * ranges. The first byte says what the rest is: with its bit 0 set,
 * "REMOTE_ADDR\nX-Forwarded-For"; without, only the header, as seen from the
 * trusted proxy 10.1.2.3. Bit 1 drops the header (NULL).
 *
 * Oracle: the answer is always an address in canonical text, and it is the
 * one a plain reading of the rule gives: split the header at commas, walk
 * from the right while the hops are trusted proxies, stop at the first that
 * is not (it is the client) or at anything that is not an address.
 */
#include <ctype.h>
#include <stdbool.h>

#include "fuzz.h"
#include "phoneauth/net.h"
#include "phoneauth/request.h"

static const char *const proxies[] = {
	"10.0.0.0/8", "127.0.0.1", "192.168.0.0/16", "172.16.0.0/12",
	"::1", "fd00::/8", "2001:db8:1::/48", "::ffff:100.64.0.0/106", "0.0.0.0/32",
};
#define NPROXIES (sizeof proxies / sizeof proxies[0])

static struct config cfg;
static struct cidr ranges[NPROXIES];

static void
setup(void)
{
	if (cfg.proxies != NULL)
		return;
	for (size_t i = 0; i < NPROXIES; i++)
		if (!net_parse_cidr(proxies[i], &ranges[i]))
			abort();
	cfg.proxies = ranges;
	cfg.nproxies = NPROXIES;
}

static bool
trusted(const unsigned char addr[16])
{
	for (size_t i = 0; i < NPROXIES; i++)
		if (net_cidr_contains(&ranges[i], addr))
			return true;
	return false;
}

/* The rule, spelt out over a copy of the header split at its commas. */
static void
expected(const char *remote, const char *xff, char out[REQUEST_IP_MAX])
{
	unsigned char addr[16], hop[16];
	char *copy, **items;
	size_t n = 0, commas = 0;

	if (remote == NULL || !net_parse_ip(remote, addr)) {
		strcpy(out, "0.0.0.0");
		return;
	}
	if (xff != NULL && trusted(addr)) {
		copy = fuzz_cstring((const uint8_t *)xff, strlen(xff));
		for (const char *c = copy; *c; c++)
			commas += *c == ',';
		if ((items = malloc((commas + 1) * sizeof *items)) == NULL)
			abort();
		items[n++] = copy;
		for (char *c = copy; *c; c++)
			if (*c == ',') {
				*c = '\0';
				items[n++] = c + 1;
			}
		while (n > 0) {
			char *s = items[--n], *e;

			while (isspace((unsigned char)*s))
				s++;
			e = s + strlen(s);
			while (e > s && isspace((unsigned char)e[-1]))
				*--e = '\0';
			if (!net_parse_ip(s, hop))
				break;
			memcpy(addr, hop, sizeof addr);
			if (!trusted(hop))
				break;
		}
		free(items);
		free(copy);
	}
	net_ip_text(addr, out, REQUEST_IP_MAX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input, *remote, *xff, *out, want[REQUEST_IP_MAX];
	unsigned char parsed[16];
	int flags;

	if (size == 0)
		return 0;
	setup();
	flags = data[0];
	input = fuzz_cstring(data + 1, size - 1);
	if (flags & 1) {
		remote = input;
		xff = strchr(input, '\n');
		if (xff != NULL)
			*xff++ = '\0';
	} else {
		remote = "10.1.2.3";
		xff = input;
	}
	if (flags & 2)
		xff = NULL;
	if (strcmp(remote, "(null)") == 0)
		remote = NULL;	/* no REMOTE_ADDR at all */
	out = malloc(REQUEST_IP_MAX);
	if (out == NULL)
		abort();
	request_client_ip(remote, xff, &cfg, out);
	FUZZ_ASSERT(memchr(out, '\0', REQUEST_IP_MAX) != NULL);
	FUZZ_ASSERT(net_parse_ip(out, parsed));
	expected(remote, xff, want);
	FUZZ_ASSERT(strcmp(out, want) == 0);
	free(out);
	free(input);
	return 0;
}
