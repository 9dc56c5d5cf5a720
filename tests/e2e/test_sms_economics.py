"""SMS economics (economics.lua; API.md "SMS economics"): what nobody can
make the service spend, and what nobody can take from the owner of a
number: only the calling codes of sms_countries get a code (on every route
that sends one), a prefix's hourly cap, the service's hourly and daily
budgets (one for sign-ups, one for owners), the conversion breaker, test
numbers. Ghosts (resets and logins by code of numbers without an account)
pause no prefix and spend no budget, and a sign-up flood leaves the owners'
codes alone.

Each test runs a pool with its own Redis prefix, so its counters, budgets
and outbox are its own."""

import os
import random
import re
import subprocess
import time

from pa import (PASSWORD, Client, admin, bearer, check, expect, fresh_ip, fresh_phone, outbox_entries,
                prefixed_pool, psql, django_hash, redis_command, run, signup, stop_process, stream_entries,
                test, wait_for)


def pool(name, **settings):
    """A prefixed_pool (counters, budgets and an outbox of its own): (pool, prefix, its env)."""
    p, prefix = prefixed_pool("econ-" + name, **settings)
    return p, prefix, p.env


def codes(prefix, phone, purpose=None):
    """The codes queued for `phone` in the outbox of `prefix`, newest first."""
    return outbox_entries(phone, prefix, purpose)


def sent_to(prefix, phone):
    return [e for e in stream_entries(prefix + "sms") if e.get("phone") == phone]


def code_for(prefix, phone):
    return sent_to(prefix, phone)[0]["code"]    # the newest


def refused(r):
    """429 otp_rate_limited, telling nothing but when to come back."""
    body = expect(r, 429, "otp_rate_limited")
    check(set(body) == {"error", "message", "retry_after"} and body["retry_after"] >= 1, body)
    check(r.header("Retry-After") == str(body["retry_after"]), r.headers)
    return body


def numbers_of(prefix7, n):
    """n fresh Iranian numbers sharing their first seven digits."""
    return ["%s%04d" % (prefix7, i) for i in random.sample(range(10000), n)]


def signup_at(url, prefix, phone):
    """The whole sign-up on a pool of its own prefix; the tokens."""
    c = Client(base_url=url)
    sid = expect(c.post("register", {"mobile_number": phone}), 200)["session_id"]
    expect(c.post("verify-otp", {"session_id": sid, "code": code_for(prefix, phone)}), 200)
    expect(c.post("set-password", {"session_id": sid, "password": PASSWORD}), 200)
    return expect(c.post("user-info", {"session_id": sid, "first_name": "Sara", "last_name": "Ahmadi"}),
                  201)["tokens"]


def fresh_prefix():
    return "0912%03d" % random.randrange(1000)


def rate_limited(r):
    return expect(r, 429, "otp_rate_limited")


def once_the_cooldown_is_over(c, route, body):
    """The answer of `route` once the number's cooldown is over (a 429
    otp_rate_limited before)."""
    r = None

    def sent():
        nonlocal r
        r = c.post(route, body)
        return r.status != 429 or (r.json or {}).get("error") != "otp_rate_limited"
    check(wait_for(sent, 10), "the cooldown never ended: %r" % r)
    return r


def blocked(r):
    return expect(r, 429, "too_many_attempts")


ECONOMICS = ("sms_max_per_hour", "sms_max_per_day", "sms_owner_max_per_hour", "sms_owner_max_per_day",
             "sms_max_per_prefix_hour", "sms_min_conversion")


def economics_warnings(text):
    """The lines of `check` (warning:) or of the sender's log (warn:) about it."""
    return [l for l in text.splitlines() if "warn" in l.lower() and "SMS-economics" in l]


# ---- only the calling codes of sms_countries ----


@test
def only_the_calling_codes_of_sms_countries_receive_a_code_and_others_count_as_failures():
    p, prefix, env = pool("countries", phone_format="e164", sms_countries="98,44")
    with p as url:
        c = Client(base_url=url)
        expect(c.post("register", {"mobile_number": "+989121234567"}), 200)
        expect(Client(base_url=url).post("register", {"mobile_number": "+447700900123"}), 200)
        for i in range(3):
            r = expect(c.post("register", {"mobile_number": "+1415555%04d" % i}), 400,
                       "validation_failed")
            check("mobile_number" in r["fields"], r)
        check(all(not e["phone"].startswith("+1") for e in stream_entries(prefix + "sms")),
              "a code went to a refused country")
        # three refused numbers were three failures: the client is blocked
        expect(c.post("register", {"mobile_number": "+989121234568"}), 429, "too_many_attempts")
        # so is a reset (it sends codes too)
        expect(Client(base_url=url).post("password-reset", {"mobile_number": "+15005550006"}), 400,
               "validation_failed")


@test
def a_phone_change_sends_a_code_only_to_the_calling_codes_of_sms_countries():
    # phone/change sends its code to the new number: a refused country would
    # let any account holder send codes to premium numbers of any country.
    p, prefix, env = pool("change", phone_format="e164", sms_countries="98")
    password = "correct horse battery"
    with p as url:
        c = Client(base_url=url)
        phone = "+98912%07d" % random.randrange(10 ** 7)
        sid = expect(c.post("register", {"mobile_number": phone}), 200)["session_id"]
        expect(c.post("verify-otp", {"session_id": sid, "code": code_for(prefix, phone)}), 200)
        expect(c.post("set-password", {"session_id": sid, "password": password}), 200)
        tokens = expect(c.post("user-info", {"session_id": sid, "first_name": "Sara",
                                             "last_name": "Ahmadi"}), 201)["tokens"]
        auth = {"Authorization": "Bearer " + tokens["access_token"]}
        refused_number = "+1415555%04d" % random.randrange(10 ** 4)
        r = expect(c.post("phone/change", {"mobile_number": refused_number, "password": password},
                          headers=auth), 400, "validation_failed")
        check("mobile_number" in r["fields"], r)
        check(not sent_to(prefix, refused_number), "a code went to a refused country")
        # a number of a listed country gets its code
        other = "+98912%07d" % random.randrange(10 ** 7)
        expect(c.post("phone/change", {"mobile_number": other, "password": password},
                      headers=auth), 200)
        check(wait_for(lambda: sent_to(prefix, other), 5), "no code for a listed country")


@test
def login_code_sends_no_code_to_a_calling_code_outside_sms_countries():
    """sms_countries holds for every route that sends a code: login/code
    too. A number of another country is 400 validation_failed on
    mobile_number, a counted failure, and nothing is sent, even when an
    account has that number (one made before sms_countries was set, or
    imported)."""
    p, prefix, _ = pool("code-countries", phone_format="e164", sms_countries="98", login_by_code="on")
    outside = "+1415555%04d" % random.randrange(10 ** 4)
    psql("INSERT INTO users (mobile_number, password, is_verified, is_active, first_name, last_name)"
         " VALUES (:'p', :'h', true, true, 'Old', 'Account')", p=outside, h=django_hash(PASSWORD, 1000))
    with p as url:
        c = Client(base_url=url)
        for phone in (outside, "+1415555%04d" % random.randrange(10 ** 4), "+4477009%05d" % random.randrange(10 ** 5)):
            r = expect(c.post("login/code", {"mobile_number": phone}), 400, "validation_failed")
            check(set(r["fields"]) == {"mobile_number"}, r)
        check(not [e for e in stream_entries(prefix + "sms") if not e["phone"].startswith("+98")],
              "a code went to a country outside sms_countries")
        # three refused numbers were three failures: the client is blocked
        expect(c.post("login/code", {"mobile_number": "+98912%07d" % random.randrange(10 ** 7)}), 429,
               "too_many_attempts")


# ---- caps, budgets and the conversion breaker ----


@test
def a_prefix_gets_at_most_its_hourly_cap_and_other_prefixes_are_untouched():
    p, prefix, env = pool("prefix", sms_max_per_prefix_hour=3, sms_prefix_digits=7)
    with p as url:
        same = numbers_of("0912555", 5)
        for phone in same[:3]:
            expect(Client(base_url=url).post("register", {"mobile_number": phone}), 200)
        for phone in same[3:]:
            refused(Client(base_url=url).post("register", {"mobile_number": phone}))
            check(sent_to(prefix, phone) == [], "a refused code was queued")
        other = numbers_of("0912666", 1)[0]
        expect(Client(base_url=url).post("register", {"mobile_number": other}), 200)
        # a refusal is no failure of the client: many of them block nothing
        c = Client(base_url=url)
        for phone in numbers_of("0912555", 4):
            refused(c.post("register", {"mobile_number": phone}))
        expect(c.post("register", {"mobile_number": numbers_of("0912777", 1)[0]}), 200)


@test
def the_hourly_and_daily_budgets_hold_for_the_whole_service():
    for key in ("sms_max_per_hour", "sms_max_per_day"):
        p, prefix, env = pool("budget-" + key[-4:], **{key: 4})
        with p as url:
            for _ in range(4):
                expect(Client(base_url=url).post("register", {"mobile_number": fresh_phone()}), 200)
            phone = fresh_phone()
            refused(Client(base_url=url).post("register", {"mobile_number": phone}))
            check(sent_to(prefix, phone) == [], "a code past the budget was queued")
            check(len(stream_entries(prefix + "sms")) == 4, "more codes than the budget")


@test
def an_unverified_prefix_is_paused_and_sms_unpause_lifts_it():
    p, prefix, env = pool("breaker", sms_min_conversion="0.5", sms_conversion_min_sent=4)
    with p as url:
        bots = numbers_of("0912444", 6)
        for phone in bots[:4]:       # codes nobody verifies
            expect(Client(base_url=url).post("register", {"mobile_number": phone}), 200)
        body = refused(Client(base_url=url).post("register", {"mobile_number": bots[4]}))
        check(body["retry_after"] > 3000, "a pause of sms_pause expected: %r" % body)
        check(sent_to(prefix, bots[4]) == [], "a code went to a paused prefix")
        refused(Client(base_url=url).post("register", {"mobile_number": bots[5]}))
        out = admin("sms-pauses", env=env)
        check(out.returncode == 0 and "0912444" in out.stdout, out.stdout + out.stderr)
        out = admin("sms-unpause", "0912444", env=env)
        check(out.returncode == 0 and "unpaused" in out.stdout, out.stdout + out.stderr)
        check("0912444" not in admin("sms-pauses", env=env).stdout, "still listed")
        expect(Client(base_url=url).post("register", {"mobile_number": bots[5]}), 200)


@test
def a_prefix_whose_codes_are_verified_is_left_alone():
    p, prefix, env = pool("converting", sms_min_conversion="0.5", sms_conversion_min_sent=4)
    with p as url:
        for phone in numbers_of("0912333", 8):
            c = Client(base_url=url)
            sid = expect(c.post("register", {"mobile_number": phone}), 200)["session_id"]
            code = [e for e in stream_entries(prefix + "sms") if e["phone"] == phone][0]["code"]
            expect(c.post("verify-otp", {"session_id": sid, "code": code}), 200)
        check("0912333" not in admin("sms-pauses", env=env).stdout, "a converting prefix paused")


@test
def verified_phone_change_codes_count_for_their_prefix_conversion():
    """The conversion breaker pauses a prefix whose codes are sent and not
    verified. A change code that is verified is a verified code of its
    prefix like any other: prefixes real users move to are not paused."""
    p, prefix, _ = pool("change-conversion", sms_min_conversion="0.5", sms_conversion_min_sent=2)
    with p as url:
        target = fresh_prefix()
        for new in numbers_of(target, 2):
            tokens = signup_at(url, prefix, fresh_phone())
            c = Client(base_url=url)
            sid = expect(c.post("phone/change", {"mobile_number": new, "password": PASSWORD},
                                headers=bearer(tokens["access_token"])), 200)["session_id"]
            body = expect(c.post("verify-otp", {"session_id": sid, "code": code_for(prefix, new)}), 200)
            check(body["mobile_number"] == new, body)
        # two codes sent to the prefix, both verified: the next one goes
        third = numbers_of(target, 1)[0]
        expect(Client(base_url=url).post("register", {"mobile_number": third}), 200)
        check(sent_to(prefix, third), "no code for a prefix whose codes were all verified")
        text = Client(ip="127.0.0.1", base_url=url).get("metrics").body.decode()
        m = re.search(r'^phoneauth_codes_verified_total\{purpose="change"\} (\S+)$', text, re.M)
        check(m and float(m.group(1)) >= 2, "verified change codes not counted: %s" % (m and m.group(0)))


# ---- ghosts spend nothing, owners have a budget of their own ----


@test
def ghosts_trip_no_breaker_and_spend_no_budget():
    prefix7 = "0935%03d" % (os.getpid() % 1000)
    p, prefix, _ = pool("ghosts", sms_min_conversion="0.5", sms_conversion_min_sent=4, sms_max_per_hour=3,
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
    p, prefix, _ = pool("budgets", sms_max_per_hour=3, sms_owner_max_per_hour=2)
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


@test
def the_owner_of_a_blocked_number_unlocks_it_with_a_reset_and_attackers_gain_nothing():
    p, prefix, env = pool("owner", pbkdf2_iterations=1000, otp_cooldown=1)
    with p as url:
        owner, phone = Client(base_url=url), fresh_phone()
        sid = expect(owner.post("register", {"mobile_number": phone}), 200)["session_id"]
        expect(owner.post("verify-otp", {"session_id": sid, "code": code_for(prefix, phone)}), 200)
        expect(owner.post("set-password", {"session_id": sid, "password": "owner password 1"}), 200)
        expect(owner.post("user-info", {"session_id": sid, "first_name": "O", "last_name": "W"}), 201)
        # three wrong passwords from three attackers block the number
        for _ in range(3):
            Client(base_url=url).post("login", {"mobile_number": phone, "password": "guess guess 1"})
        expect(owner.post("login", {"mobile_number": phone, "password": "owner password 1"}), 429,
               "too_many_attempts")
        # a blocked number may still ask a reset; an attacker's wrong codes
        # on it count and block the attacker, and the cooldown holds
        attacker = Client(base_url=url)
        asid = expect(once_the_cooldown_is_over(attacker, "password-reset", {"mobile_number": phone}),
                      200)["session_id"]
        refused(Client(base_url=url).post("password-reset", {"mobile_number": phone}))
        for i in range(3):
            wrong = "%06d" % ((int(code_for(prefix, phone)) + 1 + i) % 1000000)
            expect(attacker.post("verify-otp", {"session_id": asid, "code": wrong}), 400,
                   "otp_invalid")
        expect(attacker.post("password-reset", {"mobile_number": phone}), 429, "too_many_attempts")
        # the owner proves the phone: the right code lifts the number's block
        r = expect(once_the_cooldown_is_over(owner, "password-reset", {"mobile_number": phone}), 200)
        expect(owner.post("verify-otp", {"session_id": r["session_id"],
                                         "code": code_for(prefix, phone)}), 200)
        expect(Client(base_url=url).post("login", {"mobile_number": phone,
                                                   "password": "owner password 1"}), 200)
        # and the session goes on to a new password, as a reset does
        r = expect(owner.post("set-password", {"session_id": r["session_id"],
                                               "password": "owner password 2"}), 200)
        check("tokens" in r, r)


# ---- test numbers: a fixed code, nothing sent, their block and cooldown kept ----


@test
def test_numbers_get_their_fixed_code_nothing_is_sent_and_failures_still_count():
    phone, other = fresh_phone(), fresh_phone()
    p, prefix, env = pool("testnum", test_numbers="%s:424242,%s:135790" % (phone, other),
                          test_numbers_until="2099-12-31", otp_max_per_ip_hour=2,
                          otp_cooldown=1)
    with p as url:
        c = Client(base_url=url)
        # the cooldown holds for it as for any number (a probe cannot tell
        # it), but no hourly cap: more codes from one client than its 2
        sids = [expect(once_the_cooldown_is_over(c, "register", {"mobile_number": phone}),
                       200)["session_id"] for _ in range(4)]
        check(sent_to(prefix, phone) == [], "a test number's code was queued")
        expect(once_the_cooldown_is_over(c, "resend-otp", {"session_id": sids[0]}), 200)
        check(sent_to(prefix, phone) == [], "a test number's resend was queued")
        expect(c.post("verify-otp", {"session_id": sids[0], "code": "424242"}), 200)
        # wrong codes count and block as usual
        for sid in sids[1:]:
            expect(c.post("verify-otp", {"session_id": sid, "code": "000001"}), 400, "otp_invalid")
        expect(c.post("register", {"mobile_number": other}), 429, "too_many_attempts")
        out = admin("check", env=env)
        check(phone in out.stdout and other in out.stdout and "2099-12-31" in out.stdout,
              out.stdout + out.stderr)
    # after their date they are ordinary numbers: a code is sent
    p, prefix, env = pool("testnum-old", test_numbers="%s:424242" % other,
                          test_numbers_until="2000-01-01")
    with p as url:
        expect(Client(base_url=url).post("register", {"mobile_number": other}), 200)
        check(len(sent_to(prefix, other)) == 1, "an ended test number got no code")
        out = admin("check", env=env)
        check(out.returncode == 0 and "warning" in out.stderr and "test_numbers" in out.stderr,
              out.stdout + out.stderr)


@test
def a_test_number_keeps_its_block_on_every_path_and_its_daily_tries():
    guessed, tried = fresh_phone(), fresh_phone()
    p, prefix, _ = pool("testnum", test_numbers="%s:424242,%s:135790" % (guessed, tried),
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
    p, prefix, _ = pool("testcd", test_numbers="%s:424242" % phone, test_numbers_until="2099-12-31",
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


# ---- a real driver with every control off is said to be one ----


@test
def check_and_the_sender_warn_of_a_real_driver_with_every_economics_control_off():
    command = {"PHONEAUTH_SMS_DRIVER": "command", "PHONEAUTH_SMS_COMMAND": "/bin/true"}
    out = admin("check", env=command)
    lines = economics_warnings(out.stderr)
    check(out.returncode == 0 and len(lines) == 1, out.stdout + out.stderr)
    check(all(k in lines[0] for k in ECONOMICS) and "sms_countries" not in lines[0], lines[0])
    # with e164, sms_countries is one more control
    out = admin("check", env=dict(command, PHONEAUTH_PHONE_FORMAT="e164"))
    lines = economics_warnings(out.stderr)
    check(len(lines) == 1 and all(k in lines[0] for k in ECONOMICS + ("sms_countries",)), out.stderr)
    # any one of them on (values that suit a small site), and no warning
    for key, value in (("sms_max_per_hour", "50"), ("sms_max_per_day", "300"),
                       ("sms_owner_max_per_hour", "50"), ("sms_owner_max_per_day", "300"),
                       ("sms_max_per_prefix_hour", "20"), ("sms_min_conversion", "0.2")):
        out = admin("check", env=dict(command, **{"PHONEAUTH_" + key.upper(): value}))
        check(out.returncode == 0 and not economics_warnings(out.stderr), (key, out.stderr))
    out = admin("check", env=dict(command, PHONEAUTH_PHONE_FORMAT="e164", PHONEAUTH_SMS_COUNTRIES="98"))
    check(not economics_warnings(out.stderr), out.stderr)
    # the log driver sends nothing: its own warning, not this one
    out = admin("check", env={"PHONEAUTH_SMS_DRIVER": "log"})
    check(not economics_warnings(out.stderr), out.stderr)
    # the sender says it once at start, in its log
    for extra, warned in (({}, True), ({"PHONEAUTH_SMS_MAX_PER_DAY": "300"}, False)):
        env = dict(command, PHONEAUTH_REDIS_PREFIX="econ-warn-%d:" % os.getpid(), **extra)
        log = os.path.join(os.environ.get("PA_STATE_DIR", "/tmp"), "econ-warn-%d.log" % os.getpid())
        p = subprocess.Popen([os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"], "sender"],
                             env=dict(os.environ, **env), stdin=subprocess.DEVNULL,
                             stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        try:
            check(wait_for(lambda: "ready" in open(log).read(), 10), open(log).read())
            time.sleep(0.2)
            lines = economics_warnings(open(log).read())
            check(len(lines) == (1 if warned else 0) and (not warned or all(k in lines[0] for k in ECONOMICS)),
                  (extra, open(log).read()))
        finally:
            stop_process(p)


if __name__ == "__main__":
    run()
