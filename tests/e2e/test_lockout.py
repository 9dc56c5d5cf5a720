"""Issue 21: the service is no lockout weapon and no SMS kill switch.

An attacker's run found five ways: three wrong passwords and a reset every
cooldown kept an owner out of every route for good; ghosts (resets and
logins by code of numbers without an account) paused prefixes and spent the
budget with nothing sent; a budget that sign-ups could exhaust stopped every
owner's code; test numbers could be guessed past their number's block and
found by their missing cooldown; and a reset session kept alive by
wrong-step requests outlived its owner's own reset and took the account.

Each test runs a pool with its own Redis prefix where counters must be its
own (its outbox too: codes are read from <prefix>sms), on the stack's
PostgreSQL.
"""

import os
import time

from pa import (Client, Pool, admin, check, expect, fresh_ip, fresh_phone, latest_code, psql,
                redis_command, run, signup, stream_entries, test, user_row)

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
_pools = 0


def pool(name, **settings):
    """A Pool with settings (PHONEAUTH_<KEY>), a Redis prefix of its own and
    no cooldown unless told; returns (pool, prefix)."""
    global _pools
    _pools += 1
    prefix = "lock-%s-%d-%d:" % (name, os.getpid(), _pools)
    env = {"PHONEAUTH_REDIS_PREFIX": prefix, "PHONEAUTH_OTP_COOLDOWN": "0",
           "PHONEAUTH_PBKDF2_ITERATIONS": "1000"}
    env.update({"PHONEAUTH_" + k.upper(): str(v) for k, v in settings.items()})
    return Pool(env, "lock-" + name), prefix


def codes(prefix, phone, purpose=None):
    """The codes queued for `phone` in the outbox of `prefix`, newest first."""
    return [e for e in stream_entries(prefix + "sms")
            if e.get("phone") == phone and (purpose is None or e.get("purpose") == purpose)]


def code_of(prefix, phone, purpose=None):
    found = codes(prefix, phone, purpose)
    check(found, "no code for %s in %ssms" % (phone, prefix))
    return found[0]["code"]


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
    import hashlib
    return prefix + "dv:" + hashlib.sha256(token.encode()).hexdigest()


# ---- finding 1: the owner can no longer be locked out ----

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


# ---- findings 2 and 3: ghosts spend nothing, owners have a budget of their own ----

@test
def ghosts_trip_no_breaker_and_spend_no_budget():
    prefix7 = "0935%03d" % (os.getpid() % 1000)
    p, prefix = pool("ghosts", sms_min_conversion="0.5", sms_conversion_min_sent=4, sms_max_per_hour=3,
                     sms_owner_max_per_hour=3, login_by_code="on")
    with p as url:
        # 16 ghosts from 4 addresses in one prefix: resets and logins by code
        # of numbers without an account
        ips = [fresh_ip() for _ in range(4)]
        for i in range(16):
            ghost = "%s%04d" % (prefix7, i)
            route = "password-reset" if i % 2 else "login/code"
            expect(Client(ip=ips[i % 4], base_url=url).post(route, {"mobile_number": ghost}), 200)
        check(stream_entries(prefix + "sms") == [], "a ghost was sent something")
        # no pause for the prefix, no sign-up budget spent: a sign-up there
        # gets its code, and two more elsewhere
        out = admin("sms-pauses", env={"PHONEAUTH_REDIS_PREFIX": prefix})
        check(prefix7 not in out.stdout, out.stdout)
        for phone in ["%s9999" % prefix7, fresh_phone(), fresh_phone()]:
            expect(Client(base_url=url).post("register", {"mobile_number": phone}), 200)
            check(codes(prefix, phone, "register"), "no code for a sign-up")
        # and no owner budget spent: an owner's reset gets its code
        owner = fresh_phone()
        signup(Client(), owner)       # on the main stack: this pool's budgets are untouched
        expect(Client(base_url=url).post("password-reset", {"mobile_number": owner}), 200)
        check(codes(prefix, owner, "reset"), "no code for the owner")


@test
def a_sign_up_flood_leaves_owners_codes_alone_and_the_owner_budget_stops_them():
    p, prefix = pool("budgets", sms_max_per_hour=3, sms_owner_max_per_hour=2)
    with p as url:
        owners = [fresh_phone() for _ in range(3)]
        for phone in owners:
            signup(Client(), phone)   # on the main stack: this pool's budgets are untouched
        for _ in range(3):
            expect(Client(base_url=url).post("register", {"mobile_number": fresh_phone()}), 200)
        late = fresh_phone()
        rate_limited(Client(base_url=url).post("register", {"mobile_number": late}))
        check(not codes(prefix, late), "a sign-up past the budget got a code")
        # the sign-ups spent their budget, not the owners'
        for phone in owners[:2]:
            expect(Client(base_url=url).post("password-reset", {"mobile_number": phone}), 200)
            check(codes(prefix, phone, "reset"), "no code for an owner")
        # and the owners' budget holds for them
        rate_limited(Client(base_url=url).post("password-reset", {"mobile_number": owners[2]}))
        check(not codes(prefix, owners[2]), "an owner's code past the owner budget")
        metrics = Client(ip="127.0.0.1", base_url=url).get("metrics").body.decode()
        check('phoneauth_sms_refused_total{reason="owner_budget_hour"} 1' in metrics,
              [l for l in metrics.splitlines() if "refused" in l])


# ---- finding 4: test numbers keep their cooldown and their block ----

@test
def a_test_number_keeps_its_block_on_every_path_and_its_daily_tries():
    guessed, tried = fresh_phone(), fresh_phone()
    p, prefix = pool("testnum", test_numbers="%s:424242,%s:135790" % (guessed, tried),
                     test_numbers_until="2099-12-31", test_number_max_tries=2)
    with p as url:
        for phone, code in ((guessed, "424242"), (tried, "135790")):
            c = Client(base_url=url)
            sid = expect(c.post("register", {"mobile_number": phone}), 200)["session_id"]
            expect(c.post("verify-otp", {"session_id": sid, "code": code}), 200)
            expect(c.post("set-password", {"session_id": sid, "password": PASSWORD}), 200)
            expect(c.post("user-info", {"session_id": sid, "first_name": "T", "last_name": "N"}), 201)
        # guessed from many addresses on owner sessions (resets): the number's
        # block stops them, the sessions already open included
        sids = [expect(Client(base_url=url).post("password-reset", {"mobile_number": guessed}),
                       200)["session_id"] for _ in range(2)]
        for i in range(3):
            expect(Client(base_url=url).post("verify-otp", {"session_id": sids[0],
                                                           "code": "%06d" % i}), 400, "otp_invalid")
        blocked(Client(base_url=url).post("verify-otp", {"session_id": sids[1], "code": "424242"}))
        blocked(Client(base_url=url).post("password-reset", {"mobile_number": guessed}))
        check(not codes(prefix, guessed), "a test number's code was queued")
        # test_number_max_tries wrong codes a day are judged; then none, the
        # right one neither
        sid = expect(Client(base_url=url).post("password-reset", {"mobile_number": tried}),
                     200)["session_id"]
        for i in range(2):
            expect(Client(base_url=url).post("verify-otp", {"session_id": sid, "code": "%06d" % i}),
                   400, "otp_invalid")
        sid = expect(Client(base_url=url).post("password-reset", {"mobile_number": tried}),
                     200)["session_id"]
        expect(Client(base_url=url).post("verify-otp", {"session_id": sid, "code": "135790"}), 400,
               "otp_invalid")
        ttl = redis_command("PTTL", prefix + "tt:" + tried)
        check(0 < ttl <= 86400 * 1000, "the day's tries end with the day: %r" % ttl)


@test
def a_test_number_keeps_the_cooldown_a_probe_would_see():
    phone = fresh_phone()
    p, prefix = pool("testcd", test_numbers="%s:424242" % phone, test_numbers_until="2099-12-31",
                     otp_cooldown=120)
    with p as url:
        c = Client(base_url=url)
        expect(c.post("register", {"mobile_number": phone}), 200)
        r = rate_limited(c.post("register", {"mobile_number": phone}))
        check(r["retry_after"] > 100, r)
        # exactly as any number
        other = fresh_phone()
        expect(c.post("register", {"mobile_number": other}), 200)
        check(rate_limited(c.post("register", {"mobile_number": other}))["retry_after"] > 100, "other")


# ---- finding 5: sessions end, and owner sessions die with the credentials they proved ----

@test
def a_session_ends_session_max_age_after_it_opened_however_it_is_renewed():
    p, prefix = pool("maxage", session_ttl=3, session_max_age=6, otp_max_per_hour=100,
                     otp_owner_max_per_hour=100, otp_max_per_ip_hour=100)
    with p as url:
        phone = fresh_phone()
        signup(Client(), phone)
        c = Client(base_url=url)
        t0 = time.time()
        sid = expect(c.post("password-reset", {"mobile_number": phone}), 200)["session_id"]
        # a resend renews it (a right step): it outlives session_ttl...
        answers = []
        while time.time() - t0 < 12:
            r = c.post("resend-otp", {"session_id": sid})
            answers.append((round(time.time() - t0, 1), r.status))
            if r.status != 200:
                break
            time.sleep(0.5)
        alive = [t for t, s in answers if s == 200]
        check(alive and alive[-1] > 4, "it did not outlive session_ttl: %r" % answers)
        # ...but not session_max_age (6 s after it opened; what a busy
        # machine adds to the request that finds it gone, at most 2 s)
        check(answers[-1][1] == 400 and 5.5 <= answers[-1][0] <= 8, answers)
        expect(c.post("verify-otp", {"session_id": sid, "code": code_of(prefix, phone, "reset")}), 400,
               "session_invalid")


@test
def a_wrong_step_renews_no_session():
    p, prefix = pool("wrongstep", session_ttl=2)
    with p as url:
        phone = fresh_phone()
        signup(Client(), phone)
        c = Client(base_url=url)
        sid = expect(c.post("password-reset", {"mobile_number": phone}), 200)["session_id"]
        expect(c.post("verify-otp", {"session_id": sid, "code": code_of(prefix, phone, "reset")}), 200)
        t0 = time.time()
        while time.time() - t0 < 3:        # parked, poked with requests for another step
            r = c.post("verify-otp", {"session_id": sid, "code": "000000"})
            if r.status == 400:
                break
            expect(r, 409, "wrong_step")
            time.sleep(0.4)
        expect(c.post("set-password", {"session_id": sid, "password": NEW_PASSWORD}), 400,
               "session_invalid")
        expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD}), 200)


def reset_to_set_password(c, phone, purpose="reset"):
    """A reset session of `phone` that proved the phone (waits for set_password)."""
    sid = expect(c.post("password-reset", {"mobile_number": phone}), 200)["session_id"]
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone, purpose)}), 200)
    return sid


@test
def a_parked_reset_session_is_void_once_the_owner_reset_the_password():
    phone = fresh_phone()
    signup(Client(), phone)
    attacker, owner = Client(), Client()
    parked = reset_to_set_password(attacker, phone)
    # the owner resets the password meanwhile
    sid = reset_to_set_password(owner, phone)
    expect(owner.post("set-password", {"session_id": sid, "password": NEW_PASSWORD}), 200)
    expect(attacker.post("set-password", {"session_id": parked, "password": "the attacker's own"}), 400,
           "session_invalid")
    expect(Client().post("login", {"mobile_number": phone, "password": NEW_PASSWORD}), 200)
    expect(Client().post("login", {"mobile_number": phone, "password": "the attacker's own"}), 401)
    # the session is over
    expect(attacker.post("set-password", {"session_id": parked, "password": "the attacker's own"}), 400,
           "session_invalid")


@test
def a_login_code_session_is_void_once_the_password_changed():
    with Pool({"PHONEAUTH_LOGIN_BY_CODE": "on"}, "lock-code") as url:
        phone = fresh_phone()
        signup(Client(), phone)
        c = Client(base_url=url)
        sid = expect(c.post("login/code", {"mobile_number": phone}), 200)["session_id"]
        code = latest_code(phone, "login")
        owner = Client()
        expect(owner.post("set-password", {"session_id": reset_to_set_password(owner, phone),
                                           "password": NEW_PASSWORD}), 200)
        uid = user_row(phone)["id"]
        logins = psql("SELECT count(*) FROM logins WHERE user_id = :'u'", u=uid)
        expect(c.post("verify-otp", {"session_id": sid, "code": code}), 400, "session_invalid")
        check(psql("SELECT count(*) FROM logins WHERE user_id = :'u'", u=uid) == logins, "a login was made")


@test
def a_phone_change_session_is_void_once_the_password_or_number_changed():
    phone = fresh_phone()
    tokens = signup(Client(), phone)
    auth = {"Authorization": "Bearer " + tokens["access_token"]}
    c = Client()
    # the password changes by a reset while a change waits for its code
    first = fresh_phone()
    sid = expect(c.post("phone/change", {"mobile_number": first, "password": PASSWORD}, headers=auth),
                 200)["session_id"]
    owner = Client()
    body = expect(owner.post("set-password", {"session_id": reset_to_set_password(owner, phone),
                                              "password": NEW_PASSWORD}), 200)
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(first, "change")}), 400,
           "session_invalid")
    check(user_row(phone) is not None and user_row(first) is None, "the account moved")
    # the number changes by another change while one waits for its code
    auth = {"Authorization": "Bearer " + body["tokens"]["access_token"]}
    one, two = fresh_phone(), fresh_phone()
    sid_one = expect(c.post("phone/change", {"mobile_number": one, "password": NEW_PASSWORD}, headers=auth),
                     200)["session_id"]
    sid_two = expect(c.post("phone/change", {"mobile_number": two, "password": NEW_PASSWORD}, headers=auth),
                     200)["session_id"]
    expect(c.post("verify-otp", {"session_id": sid_two, "code": latest_code(two, "change")}), 200)
    expect(c.post("verify-otp", {"session_id": sid_one, "code": latest_code(one, "change")}), 400,
           "session_invalid")
    check(user_row(two) is not None and user_row(one) is None, "the account moved again")


@test
def a_sign_up_session_never_overwrites_a_password():
    phone = fresh_phone()
    slow, fast = Client(), Client()
    sid = expect(slow.post("register", {"mobile_number": phone}), 200)["session_id"]
    expect(slow.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 200)
    # another session of the number proves it too and sets the password first
    other = expect(fast.post("register", {"mobile_number": phone}), 200)["session_id"]
    expect(fast.post("verify-otp", {"session_id": other, "code": latest_code(phone)}), 200)
    expect(fast.post("set-password", {"session_id": other, "password": PASSWORD}), 200)
    expect(slow.post("set-password", {"session_id": sid, "password": NEW_PASSWORD}), 400, "session_invalid")
    expect(fast.post("user-info", {"session_id": other, "first_name": "S", "last_name": "A"}), 201)
    expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD}), 200)
    expect(Client().post("login", {"mobile_number": phone, "password": NEW_PASSWORD}), 401)


if __name__ == "__main__":
    run()
