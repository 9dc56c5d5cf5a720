/*
 * IP addresses and CIDR ranges, IPv4 and IPv6, for trusted_proxies and for
 * the client address the limits count against.
 */
#ifndef PHONEAUTH_NET_H
#define PHONEAUTH_NET_H

#include <stdbool.h>
#include <stddef.h>

struct cidr {
	unsigned char addr[16];	/* IPv4 stored as ::ffff:a.b.c.d */
	unsigned bits;		/* prefix length over the 128-bit form */
};

/* Parses "addr" or "addr/len"; false if it is neither. */
bool net_parse_cidr(const char *text, struct cidr *out);

/* Parses an address into its 16-byte form; false if it is not one. */
bool net_parse_ip(const char *text, unsigned char out[16]);

bool net_cidr_contains(const struct cidr *range, const unsigned char addr[16]);

/* Writes the canonical text of an address (IPv4-mapped ones as dotted quad). */
void net_ip_text(const unsigned char addr[16], char *out, size_t outlen);

/*
 * The client an address counts as for limits and blocks: an IPv4 address is
 * itself; an IPv6 address is its network of `ipv6_prefix` bits (what one
 * subscriber is given), written "2001:db8:1:2::/64".
 */
#define NET_CLIENT_KEY_MAX 64
void net_client_key(const unsigned char addr[16], unsigned ipv6_prefix, char *out, size_t outlen);

/* A port of `len` bytes: 1 to 65535, digits only. */
bool net_parse_port(const char *s, size_t len, int *port);

/*
 * Takes `len` bytes of "host", "host:port", "[v6]" or "[v6]:port" (a URL's
 * authority without its user) apart: the host as a span of `s` (brackets
 * off), and the port, `*port` left as it was when none is given. NULL when
 * it is well formed, otherwise what is wrong, for the caller's message.
 */
const char *net_host_port(const char *s, size_t len, const char **host, size_t *hostlen,
    int *port);

#endif
