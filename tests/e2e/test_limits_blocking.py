"""Blocking (limits.c; API.md "Blocking"): 3 failures, 1 hour, done right.

The original counted every request (successes too) against the client
address only, so any third request blocked a whole office, and it never
limited the SMS it sent. Here failures alone count, against the address and
against the number, atomically across workers; every kind of failure counts
(a wrong code or password, an invalid number, an unknown session, an e-mail
address another account has: user-info is no oracle for which addresses
have accounts). Each test uses its own loopback addresses so one test's
block never leaks into another. (Blocks by IPv6 prefix:
test_limits_ipv6.py; `phoneauth blocks` and `unblock`: test_cmd_admin.py.)"""

import random
import time
from concurrent.futures import ThreadPoolExecutor

from pa import (PASSWORD, Client, Pool, blocked, check, config, expect, fresh_ip, fresh_phone, latest_code,
                outbox_entries, psql, register, run, signup, test, verified_session, wait_for, wrong_login)


def at_user_info(c):
    phone = fresh_phone()
    sid = verified_session(c, phone)
    expect(c.post("set-password", {"session_id": sid, "password": PASSWORD}), 200)
    return sid


@test
def third_failure_gets_its_answer_and_the_address_is_blocked_after():
    c, phone = Client(), fresh_phone()
    signup(Client(), phone)
    for _ in range(3):
        expect(wrong_login(c, phone), 401, "password_incorrect")
    body = blocked(wrong_login(c, phone))
    check(3500 <= body["retry_after"] <= 3600, body)
    # every route from that address, even the right password and health
    blocked(c.post("login", {"mobile_number": fresh_phone(), "password": PASSWORD}))
    blocked(c.post("register", {"mobile_number": fresh_phone()}))
    blocked(c.get("health"))
    blocked(c.post("verify-otp", {"session_id": "x", "code": "1"}))
    blocked(c.get("nonexistent"))


@test
def a_blocked_number_is_refused_from_every_address():
    phone = fresh_phone()
    signup(Client(), phone)
    for _ in range(3):  # three offices, one failure each
        expect(wrong_login(Client(), phone), 401, "password_incorrect")
    blocked(Client().post("login", {"mobile_number": phone, "password": PASSWORD}))
    blocked(Client().post("register", {"mobile_number": phone}))
    # the addresses themselves are not blocked, other numbers are fine
    other = fresh_phone()
    expect(Client().post("register", {"mobile_number": other}), 200)


@test
def successes_never_count():
    c = Client()
    phone = fresh_phone()
    signup(c, phone)
    for _ in range(6):
        expect(c.post("login", {"mobile_number": phone, "password": PASSWORD}), 200)
        expect(c.get("health"), 200)
    for _ in range(5):
        expect(c.post("register", {"mobile_number": phone}), 200)


@test
def a_successful_login_clears_the_numbers_count():
    phone = fresh_phone()
    signup(Client(), phone)
    for _ in range(2):
        expect(wrong_login(Client(), phone), 401)
    expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD}), 200)
    for _ in range(2):
        expect(wrong_login(Client(), phone), 401)
    # 4 failures in the window, but the success in the middle cleared two
    expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD}), 200)


@test
def every_kind_of_failure_counts():
    # wrong code, invalid number, unknown session: three failures, one address
    c, phone = Client(), fresh_phone()
    sid = register(c, phone)["session_id"]
    code = latest_code(phone)
    expect(c.post("verify-otp", {"session_id": sid, "code": "%06d" % ((int(code) + 1) % 10**6)}),
           400, "otp_invalid")
    expect(c.post("register", {"mobile_number": "0912"}), 400, "validation_failed")
    expect(c.post("resend-otp", {"session_id": "0e0b7a34-59d4-4f8e-9d1c-5b2a3c4d5e6f"}), 400,
           "session_invalid")
    blocked(c.post("verify-otp", {"session_id": sid, "code": code}))
    def kinds():
        return [k[0] for k in psql("SELECT kind FROM failed_attempts WHERE ip = :'ip'::inet"
                                   " ORDER BY at, id", ip=c.ip)]
    # written in batches after the answers, within about a second
    check(wait_for(lambda: kinds() == ["code", "phone", "session"], 5),
          psql("SELECT kind, at FROM failed_attempts WHERE ip = :'ip'::inet ORDER BY at, id", ip=c.ip))


@test
def wrong_codes_block_the_number_of_the_session():
    phone = fresh_phone()
    sid = register(Client(), phone)["session_id"]
    code = latest_code(phone)
    for i in (1, 2, 3):  # from three addresses
        expect(Client().post("verify-otp", {"session_id": sid,
                                            "code": "%06d" % ((int(code) + i) % 10**6)}), 400)
    blocked(Client().post("verify-otp", {"session_id": sid, "code": code}))
    blocked(Client().post("register", {"mobile_number": phone}))


@test
def parallel_wrong_passwords_get_at_most_three_tries_judged():
    phone = fresh_phone()
    signup(Client(), phone)
    ip = fresh_ip()
    with ThreadPoolExecutor(30) as pool:
        results = list(pool.map(lambda _: wrong_login(Client(ip=ip), phone), range(30)))
    statuses = [r.status for r in results]
    check(all(s in (401, 429) for s in statuses), statuses)
    check(statuses.count(401) <= 3, "%d wrong passwords were judged" % statuses.count(401))
    check(statuses.count(401) >= 1, statuses)
    # and from 30 addresses at once, for one number: still at most three
    phone2 = fresh_phone()
    signup(Client(), phone2)
    with ThreadPoolExecutor(30) as pool:
        results = list(pool.map(lambda _: wrong_login(Client(), phone2), range(30)))
    statuses = [r.status for r in results]
    check(statuses.count(401) <= 3 and all(s in (401, 429) for s in statuses), statuses)
    audited = psql("SELECT count(*) FROM failed_attempts WHERE mobile_number = :'p'", p=phone2)
    check(wait_for(lambda: int(psql("SELECT count(*) FROM failed_attempts WHERE mobile_number = :'p'",
                                    p=phone2)[0][0]) == statuses.count(401), 5), audited)


@test
def a_block_ends_after_block_duration():
    # long enough that the fourth login is answered within it on a loaded
    # machine (two seconds were not, in a full run beside other work)
    BLOCK = 5
    with Pool({"PHONEAUTH_BLOCK_DURATION": str(BLOCK)}, "shortblock") as url:
        c, phone = Client(base_url=url), fresh_phone()
        signup(Client(base_url=url), phone)
        for i in range(3):
            if i == 2:
                t0 = time.time()   # the block begins after this
            expect(wrong_login(c, phone), 401)
        body = blocked(wrong_login(c, phone))
        check(body["retry_after"] <= BLOCK, body)
        # the right password, asked again until the block is over (a request
        # refused as blocked is no failure of its own, so asking costs nothing)
        answers = []

        def right_login():
            answers.append(c.post("login", {"mobile_number": phone, "password": PASSWORD}))
            return answers[-1].status != 429

        check(wait_for(right_login, BLOCK + 10, 0.1), "still blocked after %d s: %r" % (BLOCK + 10, answers[-1:]))
        elapsed = time.time() - t0
        expect(answers[-1], 200)
        check(elapsed >= BLOCK - 0.05, "the block ended after %.2f s, block_duration is %d s" % (elapsed, BLOCK))
        check(all(a.status == 429 and a.json["error"] == "too_many_attempts" for a in answers[:-1]),
              answers[:-1])


@test
def forwarded_for_counts_only_behind_a_trusted_proxy():
    # The main stack trusts no proxy: X-Forwarded-For is the client's word.
    c = Client()
    for i in range(3):
        expect(c.post("register", {"mobile_number": "0912"},
                      headers={"X-Forwarded-For": "198.51.100.%d" % i}), 400)
    blocked(c.post("register", {"mobile_number": fresh_phone()},
                   headers={"X-Forwarded-For": "198.51.100.99"}))
    # Behind a trusted proxy, the forwarded address is the client.
    with Pool({"PHONEAUTH_TRUSTED_PROXIES": "127.0.0.0/8, ::1"}, "proxy") as url:
        # addresses of this run's own: a stack that ran it before keeps their block and rows
        n = random.randint(0, 127)
        client, other = "198.18.%d.5" % (2 * n), "198.18.%d.6" % (2 * n + 1)
        since = psql("SELECT now()")[0][0]
        for _ in range(3):  # three requests through the proxy, from one real client
            expect(Client(base_url=url).post("register", {"mobile_number": "0912"},
                                             headers={"X-Forwarded-For": client}), 400)
        blocked(Client(base_url=url).post("register", {"mobile_number": fresh_phone()},
                                          headers={"X-Forwarded-For": client}))
        # another real client behind the same proxy is not blocked
        expect(Client(base_url=url).post("register", {"mobile_number": fresh_phone()},
                                         headers={"X-Forwarded-For": other}), 200)
        # a spoofed left-most entry does not help the blocked client
        blocked(Client(base_url=url).post("register", {"mobile_number": fresh_phone()},
                                          headers={"X-Forwarded-For": "1.2.3.4, " + client}))
        check(wait_for(lambda: psql("SELECT count(*) FROM failed_attempts"
                                    " WHERE ip = :'ip'::inet AND at >= :'t'",
                                    ip=client, t=since) == [["3"]], 5),
              "the failures were not audited against the forwarded address")


@test
def a_blocked_request_sends_nothing():
    c = Client()
    for _ in range(3):
        c.post("register", {"mobile_number": "0912"})
    phone = fresh_phone()
    blocked(c.post("register", {"mobile_number": phone}))
    check(outbox_entries(phone) == [], "a blocked client got a code sent")


# ---- a taken e-mail address is a failure ----


@test
def a_taken_email_counts_as_a_failure_and_blocks_the_address():
    limit = int(config().get("max_failed_attempts", "3"))
    taken = "taken-%s@example.ir" % fresh_phone()
    signup(Client(), fresh_phone(), PASSWORD, email=taken)
    c = Client()
    sid = at_user_info(c)
    # the same address in other cases is the same mailbox: taken as well
    tries = [taken, taken.upper(), taken.capitalize()]
    for i in range(limit):
        r = c.post("user-info", {"session_id": sid, "first_name": "Ali", "last_name": "Rezaei",
                                 "email": tries[i % len(tries)]})
        body = expect(r, 400, "validation_failed")
        check("email" in body.get("fields", {}), body)
    r = c.post("user-info", {"session_id": sid, "first_name": "Ali", "last_name": "Rezaei",
                             "email": "free-%s@example.ir" % fresh_phone()})
    body = expect(r, 429, "too_many_attempts")
    check(isinstance(body.get("retry_after"), int) and body["retry_after"] > 0, body)
    expect(c.get("health"), 429, "too_many_attempts")


@test
def taken_emails_and_other_failures_add_up_to_a_block():
    limit = int(config().get("max_failed_attempts", "3"))
    taken = "taken-%s@example.ir" % fresh_phone()
    signup(Client(), fresh_phone(), PASSWORD, email=taken)
    c = Client()
    sid = at_user_info(c)
    for _ in range(limit - 1):
        expect(c.post("user-info", {"session_id": sid, "first_name": "Ali", "last_name": "Rezaei",
                                    "email": taken}), 400, "validation_failed")
    # one more failure of another kind reaches the limit: they add up
    expect(c.post("verify-otp", {"session_id": "3f1b5c1e-8d2a-4e7b-9c3d-2a1b0c9d8e7f",
                                 "code": "123456"}), 400, "session_invalid")
    expect(c.post("user-info", {"session_id": sid, "first_name": "Ali", "last_name": "Rezaei",
                                "email": "free-%s@example.ir" % fresh_phone()}), 429, "too_many_attempts")


if __name__ == "__main__":
    run()
