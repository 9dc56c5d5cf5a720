"""Device tokens (device.c, devices.lua; API.md "Blocking"): the service is
no lockout weapon. Three wrong passwords and a reset every cooldown kept an
owner out of every route for good; now a login answers a device token, and
the owner's device still signs in while the number is blocked, its own
failures counted against it (and voiding it at the limit), while the codes
an owner can be sent are capped per client and per hour whoever asks.

Each test runs a pool with its own Redis prefix (its counters and outbox:
codes are read from <prefix>sms), on the stack's PostgreSQL."""

import hashlib
import time

from pa import (PASSWORD, Client, check, expect, fresh_ip, fresh_phone, latest_code, outbox_entries,
                prefixed_pool, redis_command, run, test)


def pool(name, **settings):
    """A prefixed_pool (a Redis prefix, so counters and an outbox of its
    own) with cheap password hashing; returns (pool, prefix)."""
    return prefixed_pool("lock-" + name, pbkdf2_iterations=1000, **settings)


def codes(prefix, phone, purpose=None):
    """The codes queued for `phone` in the outbox of `prefix`, newest first."""
    return outbox_entries(phone, prefix, purpose)


def code_of(prefix, phone, purpose=None):
    return latest_code(phone, purpose, prefix)


def account(url, prefix, phone=None, password=PASSWORD):
    """An account signed up through the pool at `url`; returns (phone, the
    user-info answer)."""
    phone = phone or fresh_phone()
    c = Client(base_url=url)
    sid = expect(c.post("register", {"mobile_number": phone}), 200)["session_id"]
    expect(c.post("verify-otp", {"session_id": sid, "code": code_of(prefix, phone, "register")}), 200)
    expect(c.post("set-password", {"session_id": sid, "password": password}), 200)
    body = expect(c.post("user-info", {"session_id": sid, "first_name": "Sara", "last_name": "Ahmadi"}),
                  201)
    return phone, body


def login(c, phone, password=PASSWORD, device=None):
    body = {"mobile_number": phone, "password": password}
    if device is not None:
        body["device"] = device
    return c.post("login", body)


def blocked(r):
    return expect(r, 429, "too_many_attempts")


def rate_limited(r):
    return expect(r, 429, "otp_rate_limited")


def block_number(url, phone):
    """Three wrong passwords from three addresses: the number is blocked."""
    for _ in range(3):
        expect(login(Client(base_url=url), phone, "not the password"), 401, "password_incorrect")
    blocked(login(Client(base_url=url), phone))


def failures(prefix, kind, ident):
    return int(redis_command("GET", "%sf:%s:%s" % (prefix, kind, ident)) or 0)


def device_key(prefix, token):
    return prefix + "dv:" + hashlib.sha256(token.encode()).hexdigest()


@test
def an_owner_with_a_device_is_never_locked_out_and_owner_codes_are_capped_per_client():
    p, prefix = pool("owner", otp_max_per_hour=2, otp_owner_max_per_hour=5)
    with p as url:
        phone, _ = account(url, prefix)
        # the owner signs in once, and keeps the device token
        first = expect(login(Client(base_url=url), phone), 200)
        device = first["device"]
        check(isinstance(device, str) and len(device) == 43, first)
        # an attacker blocks the number with three wrong passwords...
        block_number(url, phone)
        # ...and asks resets from one address until refused: two codes
        # (otp_max_per_hour per number and client), not the number's hour
        attacker = Client(base_url=url)
        sent = 0
        for _ in range(6):
            r = attacker.post("password-reset", {"mobile_number": phone})
            if r.status == 429:
                rate_limited(r)
                break
            expect(r, 200)
            sent += 1
        check(sent == 2, "the attacker's address got %d codes" % sent)
        # the owner's device still opens the account, from any address,
        # and gets its own token back
        again = expect(login(Client(base_url=url), phone, device=device), 200)
        check(again["device"] == device and "tokens" in again, again)
        # without the device the number is blocked, as before
        blocked(login(Client(base_url=url), phone))
        # a reset from the owner's own address still sends a code
        before = len(codes(prefix, phone, "reset"))
        expect(Client(base_url=url).post("password-reset", {"mobile_number": phone}), 200)
        check(len(codes(prefix, phone, "reset")) == before + 1, "no code for the owner")
        # from any number of addresses: at most otp_owner_max_per_hour an hour
        for _ in range(4):
            c = Client(base_url=url)
            for _ in range(2):
                r = c.post("password-reset", {"mobile_number": phone})
                check(r.status in (200, 429), r)
        check(len(codes(prefix, phone, "reset")) == 5, "%d codes went to the owner's phone"
              % len(codes(prefix, phone, "reset")))
        r = rate_limited(Client(base_url=url).post("password-reset", {"mobile_number": phone}))
        check(r["retry_after"] > 3000, r)
        # the owner's device is not held by that ceiling: its code arrives
        expect(Client(base_url=url).post("password-reset", {"mobile_number": phone, "device": device}),
               200)
        check(len(codes(prefix, phone, "reset")) == 6, "no code for the owner's device")


@test
def failures_made_with_a_device_count_against_it_and_void_it_at_the_limit():
    p, prefix = pool("devfail")
    with p as url:
        phone, _ = account(url, prefix)
        device = expect(login(Client(base_url=url), phone), 200)["device"]
        spare = expect(login(Client(base_url=url), phone), 200)["device"]   # another browser
        check(spare != device, "two browsers got one device token")
        ips = [fresh_ip() for _ in range(3)]
        for i, ip in enumerate(ips):
            expect(login(Client(ip=ip, base_url=url), phone, "not the password", device), 401,
                   "password_incorrect")
            # the device and the client count it, the number does not
            check(failures(prefix, "ph", phone) == 0, "the number counted a device's failure")
            check(failures(prefix, "ip", ip) == 1, "the client did not count it")
            check(int(redis_command("HGET", device_key(prefix, device), "f") or 0) == i + 1,
                  redis_command("HGETALL", device_key(prefix, device)))
        # the number is not blocked: its owner signs in anywhere
        expect(login(Client(base_url=url), phone), 200)
        # once the number is blocked, the voided token opens nothing...
        block_number(url, phone)
        blocked(login(Client(base_url=url), phone, device=device))
        # ...while the other device still does, and a right password with
        # it forgets only its own failures
        body = expect(login(Client(base_url=url), phone, device=spare), 200)
        check(body["device"] == spare, body)
        blocked(login(Client(base_url=url), phone))


@test
def a_foreign_garbage_or_expired_device_token_is_ignored():
    p, prefix = pool("devforeign")
    with p as url:
        mine, _ = account(url, prefix)
        other, _ = account(url, prefix)
        foreign = expect(login(Client(base_url=url), other), 200)["device"]
        expired = expect(login(Client(base_url=url), mine), 200)["device"]
        redis_command("PEXPIRE", device_key(prefix, expired), 1)
        time.sleep(0.05)
        garbage = ["A" * 43, "not a token", "", foreign, expired]
        # a wrong password with any of them: the same answer as without one,
        # counted against the number (not against the other account's device)
        shapes = []
        for token in garbage + [None]:
            r = login(Client(base_url=url), mine, "not the password", token)
            shapes.append((r.status, sorted(r.json), failures(prefix, "ph", mine)))
            redis_command("DEL", prefix + "f:ph:" + mine, prefix + "b:ph:" + mine)
        check(shapes == [(401, ["error", "message"], 1)] * len(shapes), shapes)
        check(int(redis_command("HGET", device_key(prefix, foreign), "f") or 0) == 0,
              "a foreign account's device counted a failure")
        # a blocked number stays blocked for all of them
        block_number(url, mine)
        for token in garbage:
            blocked(login(Client(base_url=url), mine, device=token))
        # and a login with an expired token of its own is answered a new one
        own = expect(login(Client(base_url=url), other), 200)["device"]
        redis_command("PEXPIRE", device_key(prefix, own), 1)
        time.sleep(0.05)
        body = expect(login(Client(base_url=url), other, device=own), 200)
        check(body["device"] not in (own, foreign), body)
        # a device field that is no string is a field error like any
        r = expect(Client(base_url=url).post("login", {"mobile_number": other, "password": PASSWORD,
                                                      "device": 42}), 400, "validation_failed")
        check(set(r["fields"]) == {"device"}, r)


if __name__ == "__main__":
    run()
