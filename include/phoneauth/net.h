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

#endif
