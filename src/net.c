/*
 * Addresses in one 16-byte form so that an IPv4 client seen through an IPv6
 * socket (::ffff:10.0.0.1) and the same client seen as 10.0.0.1 are one
 * client, and one range check serves both families.
 */
#include "phoneauth/net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool
net_parse_ip(const char *text, unsigned char out[16])
{
	struct in_addr v4;

	if (inet_pton(AF_INET, text, &v4) == 1) {
		memcpy(out, v4_mapped, 12);
		memcpy(out + 12, &v4, 4);
		return true;
	}
	return inet_pton(AF_INET6, text, out) == 1;
}

bool
net_parse_cidr(const char *text, struct cidr *out)
{
	char buf[64];
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	bool v4;

	if (len == 0 || len >= sizeof buf)
		return false;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (!net_parse_ip(buf, out->addr))
		return false;
	v4 = strchr(buf, ':') == NULL;
	out->bits = 128;
	if (slash) {
		char *end;
		long n;

		if (slash[1] < '0' || slash[1] > '9')
			return false;
		n = strtol(slash + 1, &end, 10);
		if (*end != '\0' || n < 0 || n > (v4 ? 32 : 128))
			return false;
		out->bits = (unsigned)n + (v4 ? 96 : 0);
	}
	return true;
}

bool
net_cidr_contains(const struct cidr *range, const unsigned char addr[16])
{
	unsigned full = range->bits / 8, rest = range->bits % 8;

	if (memcmp(range->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (range->addr[full] & mask) == (addr[full] & mask);
}

/* a.b.c.d by hand, as inet_ntop writes it (which does it with sprintf: a
 * twentieth of a register's instructions, twice a request); "" when it does
 * not fit. */
static void
v4_text(const unsigned char a[4], char *out, size_t outlen)
{
	char buf[sizeof "255.255.255.255"], *p = buf;

	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
	if ((size_t)(p - buf) <= outlen)
		memcpy(out, buf, (size_t)(p - buf));
	else if (outlen > 0)
		out[0] = '\0';
}

void
net_ip_text(const unsigned char addr[16], char *out, size_t outlen)
{
	if (memcmp(addr, v4_mapped, 12) == 0)
		v4_text(addr + 12, out, outlen);
	else if (inet_ntop(AF_INET6, addr, out, (socklen_t)outlen) == NULL && outlen > 0)
		out[0] = '\0';
}

void
net_client_key(const unsigned char addr[16], unsigned ipv6_prefix, char *out, size_t outlen)
{
	unsigned char net[16] = { 0 };
	char text[INET6_ADDRSTRLEN];
	unsigned full = ipv6_prefix / 8, rest = ipv6_prefix % 8;

	if (memcmp(addr, v4_mapped, 12) == 0 || ipv6_prefix >= 128) {
		net_ip_text(addr, out, outlen);
		return;
	}
	memcpy(net, addr, full);
	if (rest != 0)
		net[full] = (unsigned char)(addr[full] & (0xff << (8 - rest)));
	inet_ntop(AF_INET6, net, text, sizeof text);
	snprintf(out, outlen, "%s/%u", text, ipv6_prefix);
}

bool
net_parse_port(const char *s, size_t len, int *port)
{
	long n = 0;

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		n = n * 10 + (s[i] - '0');
	}
	if (n < 1 || n > 65535)
		return false;
	*port = (int)n;
	return true;
}

/* What a host name or address may hold: no blank, control character or
 * URL delimiter. */
static bool
plain_host(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (isspace((unsigned char)s[i]) || iscntrl((unsigned char)s[i]) ||
		    strchr("/?#@,[]", s[i]) != NULL)
			return false;
	return true;
}

const char *
net_host_port(const char *s, size_t len, const char **host, size_t *hostlen, int *port)
{
	const char *rest;

	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (close == NULL)
			return "no ']' after the IPv6 address";
		*host = s + 1;
		*hostlen = (size_t)(close - *host);
		rest = close + 1;
		if (memchr(*host, ':', *hostlen) == NULL || !plain_host(*host, *hostlen))
			return "not an IPv6 address in the brackets";
	} else {
		const char *colon = memchr(s, ':', len);

		*host = s;
		*hostlen = colon ? (size_t)(colon - s) : len;
		rest = s + *hostlen;
		if (colon != NULL && memchr(colon + 1, ':', len - *hostlen - 1) != NULL)
			return "an IPv6 address goes in brackets";
		if (!plain_host(s, *hostlen))
			return "not host[:port]";
	}
	if (rest < s + len &&
	    (*rest != ':' || !net_parse_port(rest + 1, (size_t)(s + len - rest - 1), port)))
		return "bad port";
	return NULL;
}
