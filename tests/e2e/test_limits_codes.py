"""How many codes (limits.c; API.md "Codes"): the cooldown of a number, its
hourly cap, a client's hourly cap, and the sessions a client may open at
the password step. (The service-wide SMS budgets: test_sms_economics.py;
the owner's own caps: test_limits_devices.py.)"""

from concurrent.futures import ThreadPoolExecutor

from pa import (PASSWORD, REDIS_PREFIX, Client, Pool, Redis, admin, blocked, check, cooldown_pool, expect,
                fresh_ip, fresh_phone, outbox_entries, psql, register, run, signup, test)

COOLDOWN = 30   # seconds, for the pools of the tests about it: never over during the test


def sessions_of(phone):
    """The sessions in Redis bound to `phone` (prelude.lua's KEY.session)."""
    r = Redis()
    try:
        return sum(1 for k in r.command("KEYS", REDIS_PREFIX + "s:*") or []
                   if r.command("HGET", k, "ph") == phone.encode())
    finally:
        r.close()


@test
def resend_inside_cooldown_is_rate_limited_and_sends_nothing():
    with cooldown_pool("cooldown", COOLDOWN) as url:
        c, phone = Client(base_url=url), fresh_phone()
        sid = register(c, phone)["session_id"]
        r = c.post("resend-otp", {"session_id": sid})
        body = expect(r, 429, "otp_rate_limited")
        check(isinstance(body["retry_after"], int) and COOLDOWN - 5 <= body["retry_after"] <= COOLDOWN, body)
        check(r.header("Retry-After") == str(body["retry_after"]), r.headers)
        check(len(outbox_entries(phone)) == 1, "a code was sent inside the cooldown")


@test
def register_twice_inside_cooldown_is_rate_limited():
    with cooldown_pool("cooldown", COOLDOWN) as url:
        c, phone = Client(base_url=url), fresh_phone()
        register(c, phone)
        body = expect(c.post("register", {"mobile_number": phone}), 429, "otp_rate_limited")
        check(COOLDOWN - 5 <= body["retry_after"] <= COOLDOWN, body)
        # from another address too: the cooldown is the number's
        expect(Client(base_url=url).post("register", {"mobile_number": phone}), 429, "otp_rate_limited")
        check(len(outbox_entries(phone)) == 1, "a second code was sent")


@test
def parallel_registrations_of_one_new_number_send_one_code_and_make_no_user():
    phone = fresh_phone()
    # (the main stack has no cooldown: this pool has one, and two workers to race)
    with cooldown_pool("concurrency", 30, workers=2) as url:
        clients = [Client(base_url=url) for _ in range(20)]
        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(lambda c: c.post("register", {"mobile_number": phone}), clients))
    statuses = sorted(r.status for r in results)
    check(all(s in (200, 429) for s in statuses), statuses)
    check(statuses.count(200) == 1, "one code may be sent inside the cooldown, got %s" % statuses)
    check(all(r.json["error"] == "otp_rate_limited" for r in results if r.status == 429), results)
    check(len(outbox_entries(phone)) == 1, "%d codes were sent" % len(outbox_entries(phone)))
    check(psql("SELECT count(*) FROM users WHERE mobile_number = :'p'", p=phone) == [["0"]],
          "a register wrote a row before the phone was proved")


@test
def codes_are_limited_per_number_per_hour():
    with Pool({"PHONEAUTH_OTP_COOLDOWN": "0"}, "nocooldown") as url:
        phone = fresh_phone()
        sid = register(Client(base_url=url), phone)["session_id"]
        for _ in range(4):
            expect(Client(base_url=url).post("resend-otp", {"session_id": sid}), 200)
        r = Client(base_url=url).post("resend-otp", {"session_id": sid})
        body = expect(r, 429, "otp_rate_limited")
        check(3500 <= body["retry_after"] <= 3600 and r.header("Retry-After"), body)
        expect(Client(base_url=url).post("register", {"mobile_number": phone}), 429, "otp_rate_limited")
        check(len(outbox_entries(phone)) == 5, len(outbox_entries(phone)))


@test
def codes_are_limited_per_address_per_hour():
    ip = fresh_ip()
    phones = [fresh_phone() for _ in range(11)]
    for p in phones[:10]:
        expect(Client(ip=ip).post("register", {"mobile_number": p}), 200)
    r = Client(ip=ip).post("register", {"mobile_number": phones[10]})
    expect(r, 429, "otp_rate_limited")
    check(outbox_entries(phones[10]) == [], "a code was sent past the cap")
    # an account with a password needs no code: still served
    account = fresh_phone()
    signup(Client(), account)
    expect(Client(ip=ip).post("register", {"mobile_number": account}), 200)


@test
def sessions_at_the_password_step_are_limited_per_address_per_hour():
    # register of a number with a password sends no code, so no code cap
    # bounds the sessions it opens: without login_sessions_per_ip_hour one
    # address filled Redis with them (and a full Redis refuses writes: 503s
    # for everyone).
    cap = 5
    with Pool({"PHONEAUTH_LOGIN_SESSIONS_PER_IP_HOUR": str(cap)}, "login-sessions") as url:
        account, ip = fresh_phone(), fresh_ip()
        signup(Client(), account)
        sids = [expect(Client(ip=ip, base_url=url).post("register", {"mobile_number": account}),
                       200)["session_id"] for _ in range(cap)]
        check(len(set(sids)) == cap and sessions_of(account) == cap, (sids, sessions_of(account)))
        for _ in range(3):   # refused: no session, and no failure that would block
            body = blocked(Client(ip=ip, base_url=url).post("register", {"mobile_number": account}))
            check(3500 <= body["retry_after"] <= 3600, body)
        check(sessions_of(account) == cap, "a refused register opened a session: %d"
              % sessions_of(account))
        # the sessions it has are good, and the address is not blocked otherwise
        expect(Client(ip=ip, base_url=url).post("login", {"session_id": sids[0], "password": PASSWORD}),
               200)
        expect(Client(ip=ip, base_url=url).post("login", {"mobile_number": account,
                                                          "password": PASSWORD}), 200)
        expect(Client(ip=ip, base_url=url).post("register", {"mobile_number": fresh_phone()}), 200)
        # another address is not concerned
        expect(Client(base_url=url).post("register", {"mobile_number": account}), 200)
        # and the administrator's unblock lifts it
        r = admin("unblock", "--ip", ip)
        check(r.returncode == 0, r.stdout + r.stderr)
        expect(Client(ip=ip, base_url=url).post("register", {"mobile_number": account}), 200)


if __name__ == "__main__":
    run()
