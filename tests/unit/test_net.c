/* net.c: addresses and ranges. */
#include "harness.h"
#include "phoneauth/net.h"

#include <arpa/inet.h>
#include <string.h>

static bool
in(const char *range, const char *addr)
{
	struct cidr c;
	unsigned char a[16];

	return net_parse_cidr(range, &c) && net_parse_ip(addr, a) && net_cidr_contains(&c, a);
}

static void
ranges_contain_what_they_should(void)
{
	CHECK(in("10.0.0.0/8", "10.200.3.4"), "10/8");
	CHECK(!in("10.0.0.0/8", "11.0.0.1"), "10/8 vs 11");
	CHECK(in("192.168.1.7", "192.168.1.7"), "single address");
	CHECK(!in("192.168.1.7", "192.168.1.8"), "single address, other");
	CHECK(in("0.0.0.0/0", "8.8.8.8"), "/0");
	CHECK(in("10.1.2.3/31", "10.1.2.2"), "/31");
	CHECK(!in("10.1.2.3/32", "10.1.2.2"), "/32");
	CHECK(in("2001:db8::/32", "2001:db8:1::5"), "v6 /32");
	CHECK(!in("2001:db8::/32", "2001:db9::1"), "v6 /32 other");
	CHECK(in("::1", "::1"), "::1");
	CHECK(in("fe80::/10", "febf::1"), "v6 /10 odd bits");
	CHECK(!in("fe80::/10", "fec0::1"), "v6 /10 odd bits, outside");
	CHECK(in("10.0.0.0/8", "::ffff:10.0.0.1"), "mapped address in a v4 range");
	CHECK(!in("10.0.0.0/8", "::1"), "v6 in a v4 range");
}

static void
bad_ranges_are_refused(void)
{
	static const char *const bad[] = { "10.0.0.0/33", "::/129", "1.2.3.4/", "/8", "x", "",
		"10.0.0.0/-1", "10.0.0.0/8x", "1.2.3.4.5", "10.0.0.0/ 8" };
	struct cidr c;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(!net_parse_cidr(bad[i], &c), "\"%s\" accepted", bad[i]);
}

static void
addresses_print_canonically(void)
{
	unsigned char a[16];
	char out[64];

	CHECK(net_parse_ip("::ffff:10.0.0.1", a), "parse");
	net_ip_text(a, out, sizeof out);
	CHECK_STR(out, "10.0.0.1");
	CHECK(net_parse_ip("2001:DB8:0:0::1", a), "parse v6");
	net_ip_text(a, out, sizeof out);
	CHECK_STR(out, "2001:db8::1");
}

/* Every IPv4 address whose bytes take each width (1, 2 and 3 digits, the
 * edges of each) prints as inet_ntop prints it; one that does not fit the
 * buffer prints as "". */
static void
ipv4_addresses_print_as_inet_ntop_prints_them(void)
{
	static const unsigned char bytes[] = { 0, 1, 9, 10, 42, 99, 100, 127, 199, 200, 249, 255 };
	const size_t n = sizeof bytes;
	unsigned char a[16] = { [10] = 0xff, [11] = 0xff };
	char got[64], want[64];

	for (size_t i = 0; i < n * n * n * n; i++) {
		a[12] = bytes[i % n];
		a[13] = bytes[i / n % n];
		a[14] = bytes[i / n / n % n];
		a[15] = bytes[i / n / n / n];
		net_ip_text(a, got, sizeof got);
		CHECK(inet_ntop(AF_INET, a + 12, want, sizeof want) != NULL, "inet_ntop");
		CHECK_STR(got, want);
		net_ip_text(a, got, strlen(want));	/* one byte short of its NUL */
		CHECK_STR(got, "");
		net_ip_text(a, got, strlen(want) + 1);
		CHECK_STR(got, want);
	}
}

int
main(void)
{
	RUN(ranges_contain_what_they_should);
	RUN(bad_ranges_are_refused);
	RUN(addresses_print_canonically);
	RUN(ipv4_addresses_print_as_inet_ntop_prints_them);
	HARNESS_EXIT();
}
