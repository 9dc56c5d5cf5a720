"""The step sessions (session.c, step.c; API.md "The registration and login
flow", "Codes"): one number, one step at a time, no skipping; codes and
sessions that expire; sessions that end however they are renewed, and owner
sessions that die with the credentials they proved.

In the original Django service anybody who knew a phone number could take
its account over: register the number, then call set-password and user-info
with that session without ever seeing the code. Every step out of order is
refused with 409 wrong_step and changes nothing. And a reset session kept
alive by wrong-step requests outlived its owner's own reset and took the
account: a wrong step renews nothing, a session ends session_max_age after
it opened, and a session that proved the phone of an account is void once
that account's password or number changes.

Nothing here sleeps for a time it could poll: the expiry tests poll Redis
for the moment they wait for (a code's expiry on Redis's own clock, a
session's remaining time) and then ask the service."""

import time

from pa import (PASSWORD, REDIS_PREFIX, Client, Pool, check, cooldown_over, expect, fresh_phone, latest_code,
                outbox_entries, prefixed_pool, psql, redis_command, register, run, signup, test, user_row,
                wait_for)


def wrong_step(r, next_step):
    body = expect(r, 409, "wrong_step")
    check(body.get("next_step") == next_step, body)


# Short, but not so short that a busy machine (ASan workers, 2 cores) takes
# longer than a lifetime between two requests that must fall inside it.
OTP_TTL, SESSION_TTL = 3, 6


SHORT = {"PHONEAUTH_OTP_TTL": str(OTP_TTL), "PHONEAUTH_SESSION_TTL": str(SESSION_TTL),
         "PHONEAUTH_OTP_COOLDOWN": "1"}


def redis_ms():
    sec, usec = redis_command("TIME")
    return int(sec) * 1000 + int(usec) // 1000


def session_key(sid):
    return REDIS_PREFIX + "s:" + sid


def code_expiry_ms(sid):
    """When the session's code expires, on Redis's clock (the session's `ce`)."""
    return int(redis_command("HGET", session_key(sid), "ce"))


def pool(name, **settings):
    """A prefixed_pool: session lifetimes of its own, an outbox of its own."""
    return prefixed_pool("steps-" + name, pbkdf2_iterations=1000, **settings)


def code_of(prefix, phone, purpose=None):
    return latest_code(phone, purpose, prefix)


NEW_PASSWORD = "a brand new passphrase"


def reset_to_set_password(c, phone, purpose="reset"):
    """A reset session of `phone` that proved the phone (waits for set_password)."""
    sid = expect(c.post("password-reset", {"mobile_number": phone}), 200)["session_id"]
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone, purpose)}), 200)
    return sid


@test
def takeover_of_a_new_number_without_the_code_is_refused():
    attacker, phone = Client(), fresh_phone()
    sid = register(attacker, phone)["session_id"]
    wrong_step(attacker.post("set-password", {"session_id": sid, "password": "attacker-password"}), "otp")
    wrong_step(attacker.post("user-info", {"session_id": sid, "first_name": "Eve", "last_name": "X"}), "otp")
    wrong_step(attacker.post("login", {"session_id": sid, "password": "attacker-password"}), "otp")
    check(user_row(phone) is None, "a number that never proved its phone has a row")


@test
def takeover_of_an_existing_account_without_the_code_is_refused():
    owner, attacker, phone = Client(), Client(), fresh_phone()
    signup(owner, phone, password="owner-password-1")
    before = user_row(phone)
    sid = register(attacker, phone)["session_id"]
    wrong_step(attacker.post("verify-otp", {"session_id": sid, "code": "123456"}), "password")
    wrong_step(attacker.post("set-password", {"session_id": sid, "password": "attacker-password"}),
               "password")
    wrong_step(attacker.post("user-info", {"session_id": sid, "first_name": "Eve", "last_name": "X"}),
               "password")
    wrong_step(attacker.post("resend-otp", {"session_id": sid}), "password")
    check(user_row(phone) == before, "the account changed")
    expect(owner.post("login", {"mobile_number": phone, "password": "owner-password-1"}), 200)


@test
def wrong_step_does_not_consume_the_session():
    c, phone = Client(), fresh_phone()
    sid = register(c, phone)["session_id"]
    wrong_step(c.post("user-info", {"session_id": sid, "first_name": "A", "last_name": "B"}), "otp")
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 200)
    wrong_step(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), "set_password")
    wrong_step(c.post("user-info", {"session_id": sid, "first_name": "A", "last_name": "B"}), "set_password")
    wrong_step(c.post("resend-otp", {"session_id": sid}), "set_password")
    expect(c.post("set-password", {"session_id": sid, "password": "correct horse battery"}), 200)
    wrong_step(c.post("set-password", {"session_id": sid, "password": "another password"}), "user_info")
    wrong_step(c.post("login", {"session_id": sid, "password": "correct horse battery"}), "user_info")
    expect(c.post("user-info", {"session_id": sid, "first_name": "A", "last_name": "B"}), 201)


@test
def wrong_code_is_otp_invalid():
    c, phone = Client(), fresh_phone()
    sid = register(c, phone)["session_id"]
    code = latest_code(phone)
    wrong = "%06d" % ((int(code) + 1) % 1000000)
    expect(c.post("verify-otp", {"session_id": sid, "code": wrong}), 400, "otp_invalid")
    expect(c.post("verify-otp", {"session_id": sid, "code": code}), 200)


@test
def code_is_void_after_otp_max_tries_wrong_tries():
    # With the default limits the third wrong code also blocks the address
    # and the number; a pool that blocks later shows the code's own limit.
    with Pool({"PHONEAUTH_MAX_FAILED_ATTEMPTS": "10"}, "void") as url:
        c, phone = Client(base_url=url), fresh_phone()
        sid = register(c, phone)["session_id"]
        code = latest_code(phone)
        for i in (1, 2, 3):
            wrong = "%06d" % ((int(code) + i) % 1000000)
            expect(c.post("verify-otp", {"session_id": sid, "code": wrong}), 400, "otp_invalid")
        expect(c.post("verify-otp", {"session_id": sid, "code": code}), 400, "otp_invalid")
        # tries are the session's, not the code's: a new code does not bring
        # them back (a new session does)
        cooldown_over(phone)
        expect(c.post("resend-otp", {"session_id": sid}), 200)
        expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 400,
               "otp_invalid")
        cooldown_over(phone)
        sid = register(c, phone)["session_id"]
        expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 200)


@test
def unknown_session_is_session_invalid():
    c = Client()
    expect(c.post("verify-otp", {"session_id": "3f1b5c1e-8d2a-4e7b-9c3d-2a1b0c9d8e7f", "code": "123456"}),
           400, "session_invalid")
    expect(Client().post("set-password", {"session_id": "not-a-uuid", "password": "whatever123"}),
           400, "session_invalid")
    expect(Client().post("resend-otp", {"session_id": "x" * 5000}), 400, "session_invalid")


@test
def a_code_only_works_in_its_own_session():
    c, a, b = Client(), fresh_phone(), fresh_phone()
    sid_a = register(c, a)["session_id"]
    sid_b = register(c, b)["session_id"]
    check(sid_a != sid_b, "session ids repeat")
    code_a, code_b = latest_code(a), latest_code(b)
    if code_a != code_b:  # equal one time in a million
        expect(c.post("verify-otp", {"session_id": sid_a, "code": code_b}), 400, "otp_invalid")
    expect(c.post("verify-otp", {"session_id": sid_a, "code": code_a}), 200)


# ---- codes and sessions expire ----


@test
def the_earlier_code_dies_at_its_own_expiry_and_tries_are_the_sessions():
    with Pool({"PHONEAUTH_OTP_TTL": "2", "PHONEAUTH_SESSION_TTL": "60",
               "PHONEAUTH_MAX_FAILED_ATTEMPTS": "10"}, "earlier") as url:
        c, phone = Client(base_url=url), fresh_phone()
        sid = register(c, phone)["session_id"]
        old = latest_code(phone)
        check(wait_for(lambda: c.post("resend-otp", {"session_id": sid}).status == 200, 5),
              "no resend")
        new = outbox_entries(phone)[0]["code"]
        # one wrong try before the resend would count: tries are the session's
        # (otp_max_tries 3): two wrong ones now, then the third is the last
        for i in (1, 2):
            wrong = "%06d" % ((int(new) + i) % 1000000)
            if wrong == old:
                wrong = "%06d" % ((int(new) + 5) % 1000000)
            expect(c.post("verify-otp", {"session_id": sid, "code": wrong}), 400, "otp_invalid")
        time.sleep(2.2)   # the earlier code's own lifetime (a time, nothing to poll)
        if old != new:
            expect(c.post("verify-otp", {"session_id": sid, "code": old}), 400, "otp_invalid")
        # that was the third try of the session: even the new code is void now
        expect(c.post("verify-otp", {"session_id": sid, "code": new}), 400, "otp_invalid")


@test
def an_expired_code_is_otp_invalid():
    with Pool(SHORT, "expiry") as url:
        c, phone = Client(base_url=url), fresh_phone()
        before = redis_ms()
        sid = register(c, phone)["session_id"]
        after = redis_ms()
        expires = code_expiry_ms(sid)
        check(before + OTP_TTL * 1000 <= expires <= after + OTP_TTL * 1000,
              "the code expires %d ms after register began, otp_ttl is %d s" % (expires - before, OTP_TTL))
        check(wait_for(lambda: redis_ms() > expires, OTP_TTL + 5, 0.05), "Redis's clock stands still")
        expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 400, "otp_invalid")
        # a fresh code works in the same session
        cooldown_over(phone)
        expect(c.post("resend-otp", {"session_id": sid}), 200)
        expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 200)


@test
def an_idle_session_expires_a_used_one_is_renewed_and_a_wrong_step_renews_nothing():
    with Pool(SHORT, "expiry") as url:
        c, phone = Client(base_url=url), fresh_phone()
        t0 = time.time()
        sid = register(c, phone)["session_id"]
        pttl = lambda: redis_command("PTTL", session_key(sid))  # noqa: E731
        for _ in range(3):
            # used when more than half its lifetime has gone by
            check(wait_for(lambda: pttl() < SESSION_TTL * 1000 // 2, SESSION_TTL + 5, 0.05),
                  "the session's lifetime does not run: %d ms" % pttl())
            # a request for another step neither consumes nor renews it
            expect(c.post("user-info", {"session_id": sid, "first_name": "A", "last_name": "B"}),
                   409, "wrong_step")
            check(pttl() < SESSION_TTL * 1000 // 2, "renewed by a wrong step: %d ms left" % pttl())
            # its own step does, each time
            expect(c.post("resend-otp", {"session_id": sid}), 200)
            check(pttl() > SESSION_TTL * 1000 // 2, "not renewed by its use: %d ms left" % pttl())
        check(time.time() - t0 > SESSION_TTL, "the session did not outlive session_ttl")
        # left alone, it goes
        check(wait_for(lambda: pttl() == -2, SESSION_TTL + 5, 0.05), "the idle session did not expire")
        expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}),
               400, "session_invalid")


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


# ---- owner sessions die with the credentials they proved ----


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
