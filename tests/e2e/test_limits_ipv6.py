"""IPv6 clients are counted by prefix (ipv6_prefix, default /64, the block
one subscriber gets), not by address: every per-IP counter, cap and block
keys on the prefix, so that one subscriber cannot multiply the per-address
limits by the 2^64 addresses it owns. IPv4 still counts per address. The
client addresses here come in X-Forwarded-For from a trusted proxy (the
loopback the test connects from)."""

import ipaddress
import random

from pa import (Client, Pool, admin, check, expect, fresh_phone, outbox_entries, run, test)

CAP = 10           # otp_max_per_ip_hour, set explicitly below
LIMIT = 3          # max_failed_attempts (the default)
ENV = {"PHONEAUTH_TRUSTED_PROXIES": "127.0.0.0/8", "PHONEAUTH_OTP_MAX_PER_IP_HOUR": str(CAP)}


_used = set()


def fresh_prefix(length=64):
    """A random documentation prefix (2001:db8::/32) no other test uses."""
    while True:
        groups = [random.randint(1, 0xffff) for _ in range((length - 32) // 16)]
        p = "2001:db8:" + ":".join("%x" % g for g in groups)
        if p not in _used:
            _used.add(p)
            return p


def addr(prefix, n):
    """Address n of a prefix written as its leading groups (4 groups: /64, 3: /48)."""
    groups = prefix.count(":") + 1
    if groups == 4:
        return "%s::%x" % (prefix, n)
    return "%s:%x::%x" % (prefix, n >> 16, n & 0xffff)   # a /48: the 4th group varies too


def as_client(url, ip):
    c = Client(base_url=url)
    c.xff = ip
    return c


def post(c, route, body):
    return c.post(route, body, headers={"X-Forwarded-For": c.xff})


def register_all(url, ips, per_ip=1):
    """Registers per_ip new numbers from each address; answers [(phone, Response)]."""
    out = []
    for ip in ips:
        c = as_client(url, ip)
        for _ in range(per_ip):
            p = fresh_phone()
            out.append((p, post(c, "register", {"mobile_number": p})))
    return out


def statuses(answers):
    counts = {}
    for _p, r in answers:
        k = (r.status, (r.json or {}).get("error"))
        counts[k] = counts.get(k, 0) + 1
    return counts


def codes_queued(answers):
    return sum(len(outbox_entries(p)) for p, _r in answers)


@test
def one_64_gets_the_per_address_cap_of_codes_whatever_its_addresses():
    with Pool(ENV, "hard-ipv6") as url:
        net = fresh_prefix()
        answers = register_all(url, [addr(net, n) for n in range(1, 31)], per_ip=2)
        got = statuses(answers)
        check(codes_queued(answers) == CAP and got.get((200, None)) == CAP
              and got.get((429, "otp_rate_limited")) == 60 - CAP,
              "60 registers from 30 addresses of one /64: %d codes queued, answers %r (cap %d per /64)"
              % (codes_queued(answers), got, CAP))
        # another /64 has a cap of its own
        other = register_all(url, [addr(fresh_prefix(), 1)], per_ip=1)
        check(statuses(other) == {(200, None): 1}, statuses(other))


@test
def ipv4_clients_still_count_per_address():
    with Pool(ENV, "hard-ipv6") as url:
        net = fresh_prefix()
        # the IPv6 side first (today every address has its own cap)
        six = register_all(url, [addr(net, n) for n in range(1, 13)], per_ip=1)
        check(statuses(six) == {(200, None): CAP, (429, "otp_rate_limited"): 2}, statuses(six))
        base = random.randint(1, 250)
        four = register_all(url, ["198.51.%d.%d" % (base, n) for n in range(1, 13)], per_ip=1)
        check(statuses(four) == {(200, None): 12}, "12 IPv4 addresses: %r" % statuses(four))
        one = register_all(url, ["203.0.%d.7" % base], per_ip=CAP + 1)
        check(statuses(one) == {(200, None): CAP, (429, "otp_rate_limited"): 1}, statuses(one))


@test
def failures_from_addresses_of_one_64_block_the_whole_64_only():
    with Pool(ENV, "hard-ipv6") as url:
        net, other = fresh_prefix(), fresh_prefix()
        for n in range(1, LIMIT + 1):
            r = post(as_client(url, addr(net, n)), "register", {"mobile_number": "0912"})
            expect(r, 400, "validation_failed")
        r = post(as_client(url, addr(net, 0x99)), "register", {"mobile_number": fresh_phone()})
        body = expect(r, 429, "too_many_attempts")
        check(body.get("retry_after", 0) > 0, body)
        r = post(as_client(url, addr(net, 1)), "register", {"mobile_number": fresh_phone()})
        expect(r, 429, "too_many_attempts")
        # another /64 is another subscriber
        expect(post(as_client(url, addr(other, 1)), "register", {"mobile_number": fresh_phone()}), 200)


@test
def with_ipv6_prefix_48_two_64s_of_one_48_share_the_count():
    with Pool(dict(ENV, PHONEAUTH_IPV6_PREFIX="48"), "hard-ipv6-48") as url:
        r = Client(base_url=url).get("health")
        check(r.status == 200 and r.json is not None,
              "the pool with PHONEAUTH_IPV6_PREFIX=48 does not serve (its workers did not start?): %d %r"
              % (r.status, r.body[:60]))
        net = fresh_prefix(48)
        ips = [addr(net, (half << 16) | n) for half in (1, 2) for n in range(1, 7)]   # 6 + 6, two /64s
        check(len({ipaddress.ip_network(ip + "/64", strict=False) for ip in ips}) == 2, ips)
        answers = register_all(url, ips, per_ip=1)
        got = statuses(answers)
        check(got == {(200, None): CAP, (429, "otp_rate_limited"): 12 - CAP},
              "12 registers from two /64s of one /48: %r" % got)
        # failures too: one from each /64 of the /48, and a third /64 of it is blocked
        net2 = fresh_prefix(48)
        for n in range(1, LIMIT + 1):
            r = post(as_client(url, addr(net2, (n << 16) | 1)), "register", {"mobile_number": "0912"})
            expect(r, 400, "validation_failed")
        expect(post(as_client(url, addr(net2, (9 << 16) | 1)), "register",
                    {"mobile_number": fresh_phone()}), 429, "too_many_attempts")


@test
def blocks_lists_the_prefix_and_unblock_takes_any_address_of_it():
    with Pool(ENV, "hard-ipv6") as url:
        net = fresh_prefix()
        c = as_client(url, addr(net, 1))
        for _ in range(LIMIT):   # from one address, so that it is blocked today too
            expect(post(c, "register", {"mobile_number": "0912"}), 400, "validation_failed")
        expect(post(c, "register", {"mobile_number": fresh_phone()}), 429, "too_many_attempts")
        shown = str(ipaddress.ip_network(addr(net, 1) + "/64", strict=False))   # 2001:db8:x:y::/64
        out = admin("blocks", env=ENV)
        check(out.returncode == 0, out.stderr)
        lines = [l for l in out.stdout.splitlines() if net + ":" in l or net + "::" in l]
        check(len(lines) == 1 and lines[0].split()[:2] == ["ip", shown],
              "expected one line 'ip %s ...', got %r" % (shown, lines))
        out = admin("unblock", "--ip", addr(net, 5), env=ENV)
        check(out.returncode == 0 and "unblocked" in out.stdout, (out.stdout, out.stderr))
        expect(post(c, "register", {"mobile_number": fresh_phone()}), 200)
        out = admin("blocks", env=ENV)
        check(not any(net + ":" in l for l in out.stdout.splitlines()), out.stdout)


if __name__ == "__main__":
    run()
