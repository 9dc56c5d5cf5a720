"""An attacker's look at the account lifecycle and the login surface
(API.md "Accounts and their logins", "Blocking", "SMS economics", "Codes",
"Conventions"): what a client can make the service send or keep, learn,
or end for someone else, and what odd input does. Each test asserts the
contract's rule, so that it fails where the service breaks it."""

import os
import random
import re

from pa import (Client, Pool, check, django_hash, expect, family_of, fresh_phone, jwt_decode, latest_code,
                outbox_entries, psql, run, signup, stream_entries, test, user_row)

PASSWORD = "correct horse battery"


def bearer(token, **more):
    return dict({"Authorization": "Bearer " + token}, **more)


def pool(name, **settings):
    """A pool of its own Redis prefix (its counters and outbox are its own)."""
    prefix = "attack-%s-%d:" % (name, os.getpid())
    env = {"PHONEAUTH_REDIS_PREFIX": prefix, "PHONEAUTH_OTP_COOLDOWN": "0"}
    env.update({"PHONEAUTH_" + k.upper(): str(v) for k, v in settings.items()})
    return Pool(env, "attack-" + name), prefix


def sent_to(prefix, phone):
    return [e for e in stream_entries(prefix + "sms") if e.get("phone") == phone]


def code_for(prefix, phone):
    sent = sent_to(prefix, phone)
    check(sent, "no code for %s" % phone)
    return sent[0]["code"]      # the newest


def signup_at(url, prefix, phone):
    """The whole sign-up on a pool of its own prefix; the tokens."""
    c = Client(base_url=url)
    sid = expect(c.post("register", {"mobile_number": phone}), 200)["session_id"]
    expect(c.post("verify-otp", {"session_id": sid, "code": code_for(prefix, phone)}), 200)
    expect(c.post("set-password", {"session_id": sid, "password": PASSWORD}), 200)
    return expect(c.post("user-info", {"session_id": sid, "first_name": "Sara", "last_name": "Ahmadi"}),
                  201)["tokens"]


def numbers_of(prefix7, n):
    return ["%s%04d" % (prefix7, i) for i in random.sample(range(10000), n)]


def fresh_prefix():
    return "0912%03d" % random.randrange(1000)


# ---- SMS economics ----

@test
def login_code_sends_no_code_to_a_calling_code_outside_sms_countries():
    """sms_countries holds for every route that sends a code: login/code
    too. A number of another country is 400 validation_failed on
    mobile_number, a counted failure, and nothing is sent, even when an
    account has that number (one made before sms_countries was set, or
    imported)."""
    p, prefix = pool("code-countries", phone_format="e164", sms_countries="98", login_by_code="on")
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


@test
def verified_phone_change_codes_count_for_their_prefix_conversion():
    """The conversion breaker pauses a prefix whose codes are sent and not
    verified. A change code that is verified is a verified code of its
    prefix like any other: prefixes real users move to are not paused."""
    p, prefix = pool("change-conversion", sms_min_conversion="0.5", sms_conversion_min_sent=2)
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


# ---- the logins: what ends stays ended ----

@test
def a_login_once_ended_gets_no_fresh_pair_inside_the_grace():
    """Inside refresh_grace a rotated token presented again gets a fresh pair
    of its login; not once the login is ended, however it was ended
    (DELETE sessions/<id>, logout, logout-all, a password reset,
    account/delete): both the rotated token and its successor are dead."""
    for how in ("delete", "logout", "logout-all", "reset", "account"):
        c, phone = Client(), fresh_phone()
        t = signup(c, phone)
        new = expect(c.post("token/refresh", {"refresh": t["refresh_token"]}), 200)
        auth = bearer(new["access"])
        if how == "delete":
            expect(c.request("DELETE", "sessions/" + family_of(t["refresh_token"]), headers=auth), 200)
        elif how == "logout":
            expect(c.post("logout", {"refresh": new["refresh"]}), 200)
        elif how == "logout-all":
            expect(c.post("logout-all", headers=auth), 200)
        elif how == "reset":
            sid = expect(c.post("password-reset", {"mobile_number": phone}), 200)["session_id"]
            expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone, "reset")}), 200)
            expect(c.post("set-password", {"session_id": sid, "password": "another horse battery"}), 200)
        else:
            expect(c.post("account/delete", {"password": PASSWORD}, headers=auth), 200)
        for tok in (t["refresh_token"], new["refresh"]):
            r = Client().post("token/refresh", {"refresh": tok})
            check(r.status == 401 and r.json["error"] in ("token_invalid", "token_reused"), (how, r))
            expect(Client().post("token/verify", {"token": tok}), 401, "token_invalid")


@test
def auth_check_follows_the_account_to_its_new_number_and_refuses_it_once_deleted():
    c, old, new = Client(), fresh_phone(), fresh_phone()
    t = signup(c, old)
    sid = expect(c.post("phone/change", {"mobile_number": new, "password": PASSWORD},
                        headers=bearer(t["access_token"])), 200)["session_id"]
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(new, "change")}), 200)
    r = c.get("auth-check", headers=bearer(t["access_token"]))
    check(r.status == 204 and r.header("X-Phoneauth-Mobile") == new, (r, r.headers))
    expect(c.post("account/delete", {"password": PASSWORD}, headers=bearer(t["access_token"])), 200)
    expect(c.get("auth-check", headers=bearer(t["access_token"])), 401, "token_invalid")


# ---- what a client can make the service send ----

@test
def phone_change_codes_count_against_the_client_hourly_cap():
    """An account holder cannot send codes to number after number: the
    per-client hourly cap (otp_max_per_ip_hour, 10 here) holds for phone/change
    as for register, and the code past it is 429 otp_rate_limited, not sent."""
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)          # the client's first code
    for _ in range(9):
        expect(c.post("phone/change", {"mobile_number": fresh_phone(), "password": PASSWORD},
                      headers=bearer(t["access_token"])), 200)
    past = fresh_phone()
    r = expect(c.post("phone/change", {"mobile_number": past, "password": PASSWORD},
                      headers=bearer(t["access_token"])), 429, "otp_rate_limited")
    check(r["retry_after"] >= 1, r)
    check(outbox_entries(past) == [], "a code past the cap was queued")


# ---- odd input ----

@test
def odd_bodies_on_the_account_routes_get_json_answers_and_change_nothing():
    phone = fresh_phone()
    t = signup(Client(), phone)
    auth = bearer(t["access_token"])
    odd = [None, True, 12, 1e308, [], {}, ["x"], {"a": 1}, "", "\u0000x", "\u202e\u0645" * 40,
           "\ud83d\ude00" * 10, "\u06f0\u06f9\u06f1\u06f2" * 3]
    answers = []
    # (first: the first logout-all ends the login, and its token with it)
    for sid in ("a" * 4000, "..", "../sessions", "0" * 31 + "g", "0" * 33, "%30" * 32, ";", "x/y/z"):
        r = Client().request("DELETE", "sessions/" + sid, headers=auth)
        expect(r, 404, "not_found")
        answers.append(("DELETE sessions/", sid, r))
    for route in ("account/delete", "phone/change", "logout-all"):
        for v in odd:
            answers.append((route, v, Client().post(route, {"password": v, "mobile_number": v}, headers=auth)))
        for raw in (b"[]", b'"x"', b'{"password": 1e400}', b'{"mobile_number": 09121234567}',
                    b'{"password": "x", "password": 5}'):
            answers.append((route, raw, Client().request("POST", route, raw,
                                                         dict(auth, **{"Content-Type": "application/json"}))))
        answers.append((route, "form", Client().post(route, form={"password": ["x", "y"]}, headers=auth)))
    for route, v, r in answers:
        check(r.status < 500 and isinstance(r.json, dict), (route, v, r))
        check(route == "logout-all" or r.status != 200, (route, v, r))
    # logout-all takes no field: it ended the login, and nothing else happened
    check(user_row(phone) is not None and user_row(phone)["id"] == jwt_decode(t["access_token"])[1]["user_id"],
          "the account was deleted or moved")


if __name__ == "__main__":
    run()
