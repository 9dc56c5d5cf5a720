"""POST register, verify-otp, resend-otp, set-password and user-info: the
sign-up of a new number, end to end through lighttpd (API.md, "The
registration and login flow").

Only a verified phone is worth a database row: register, resend-otp and
refused requests write nothing to `users`; verify-otp with the right code
creates the row (is_verified, no password), once, however many sessions of
one number verify at once. (The order of the steps: test_steps.py; the
fields' rules: test_http_fields.py; how many codes: test_limits_codes.py.)"""

import threading
from concurrent.futures import ThreadPoolExecutor

from pa import (PASSWORD, UUID4, Client, check, check_tokens, config, cooldown_over, cooldown_pool, expect,
                fresh_phone, latest_code, outbox_entries, psql, register, rows_for, run, signup, snapshot,
                test, user_row, verified_session)


def register_new_numbers(n):
    """Registers n new numbers (5 per client, under every per-address cap)."""
    phones = [fresh_phone() for _ in range(n)]
    c = None
    for i, p in enumerate(phones):
        if i % 5 == 0:
            c = Client()
        check(expect(c.post("register", {"mobile_number": p}), 200)["next_step"] == "otp", p)
    return phones


@test
def new_number_walks_register_verify_set_password_user_info_to_tokens():
    c, phone = Client(), fresh_phone()
    r = register(c, phone)
    check(r["next_step"] == "otp" and UUID4.match(r["session_id"]) and r["message"], r)
    sid = r["session_id"]
    r = expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 200)
    check(r == {"session_id": sid, "next_step": "set_password", "message": r["message"]}, r)
    r = expect(c.post("set-password", {"session_id": sid, "password": "correct horse battery"}), 200)
    check(r["session_id"] == sid and r["next_step"] == "user_info", r)
    r = expect(c.post("user-info", {"session_id": sid, "first_name": "Sara", "last_name": "Ahmadi",
                                    "email": phone + "@example.com"}), 201)
    check_tokens(r)
    u = user_row(phone)
    check(u["is_verified"] and u["is_active"] and u["first_name"] == "Sara"
          and u["email"] == phone + "@example.com", u)


@test
def user_info_ends_the_session():
    c, phone = Client(), fresh_phone()
    sid = verified_session(c, phone)
    expect(c.post("set-password", {"session_id": sid, "password": "correct horse battery"}), 200)
    expect(c.post("user-info", {"session_id": sid, "first_name": "A", "last_name": "B"}), 201)
    expect(c.post("user-info", {"session_id": sid, "first_name": "A", "last_name": "B"}), 400,
           "session_invalid")


@test
def resend_otp_sends_a_new_code_and_the_earlier_one_stays_good():
    # SMS arrive late and out of order: whichever of the two the user types
    # works while it is valid
    for which in ("earlier", "new"):
        c, phone = Client(), fresh_phone()
        sid = register(c, phone)["session_id"]
        old = latest_code(phone)
        cooldown_over(phone)
        r = expect(c.post("resend-otp", {"session_id": sid}), 200)
        check(r["session_id"] == sid and r["next_step"] == "otp", r)
        entries = outbox_entries(phone)
        check(len(entries) == 2, entries)
        new = entries[0]["code"]
        expect(c.post("verify-otp", {"session_id": sid, "code": old if which == "earlier" else new}),
               200)


@test
def verified_number_without_password_goes_through_otp_again():
    c, phone = Client(), fresh_phone()
    verified_session(c, phone)  # proved the phone, never set a password
    cooldown_over(phone)
    r = register(c, phone)
    check(r["next_step"] == "otp", r)
    check(outbox_entries(phone)[0]["purpose"] == "login", outbox_entries(phone)[0])
    expect(c.post("set-password", {"session_id": r["session_id"], "password": "correct horse battery"}),
           409, "wrong_step")


@test
def one_user_row_per_number_however_often_it_registers_and_verifies():
    c, phone = Client(), fresh_phone()
    sid = register(c, phone)["session_id"]
    check(user_row(phone) is None, "a register wrote a row before the phone was proved")
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 200)
    u = user_row(phone)
    check(u is not None and u["is_verified"] and not u["is_active"] and u["password"] == "", u)
    cooldown_over(phone)
    sid = register(c, phone)["session_id"]   # verified, no password: a code again
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 200)
    check(psql("SELECT count(*) FROM users WHERE mobile_number = :'p'", p=phone) == [["1"]],
          "duplicate users")


# ---- only a verified phone is worth a row ----


@test
def register_of_new_numbers_leaves_users_unchanged():
    before = snapshot()
    phones = register_new_numbers(12)
    # every one of them has its code queued: the registers did happen
    check(all(len(outbox_entries(p)) == 1 for p in phones), "not every number got its code")
    check(rows_for(phones) == 0, "%d users rows for 12 numbers only registered" % rows_for(phones))
    check(snapshot() == before, "users changed: %r -> %r (count, id sequence)" % (before, snapshot()))


@test
def refused_registers_write_nothing():
    before = snapshot()
    phones = []
    # a rate-limited number: the first register is served, the second refused
    # (inside the cooldown of a pool that has one), from another address
    p = fresh_phone()
    phones.append(p)
    with cooldown_pool("hard-rows", 30) as url:
        expect(Client(base_url=url).post("register", {"mobile_number": p}), 200)
        expect(Client(base_url=url).post("register", {"mobile_number": p}), 429, "otp_rate_limited")
    # an address at its hourly cap of codes: the next new number is refused
    cap = int(config().get("otp_max_per_ip_hour", "10"))
    c = Client()
    for _ in range(cap):
        q = fresh_phone()
        phones.append(q)
        expect(c.post("register", {"mobile_number": q}), 200)
    q = fresh_phone()
    phones.append(q)
    expect(c.post("register", {"mobile_number": q}), 429, "otp_rate_limited")
    # invalid numbers, until the address is blocked; then valid new numbers from it
    b = Client()
    for bad in ("0912", "12345678901", "09x21234567"):
        expect(b.post("register", {"mobile_number": bad}), 400, "validation_failed")
    for _ in range(3):
        q = fresh_phone()
        phones.append(q)
        expect(b.post("register", {"mobile_number": q}), 429, "too_many_attempts")
        expect(b.post("register", form={"mobile_number": q}), 429, "too_many_attempts")
    check(rows_for(phones) == 0, "%d users rows for numbers never verified" % rows_for(phones))
    check(snapshot() == before, "users changed: %r -> %r (count, id sequence)" % (before, snapshot()))


@test
def resend_otp_writes_nothing():
    c, p = Client(), fresh_phone()
    before = snapshot()
    sid = register(c, p)["session_id"]
    cooldown_over(p)
    body = expect(c.post("resend-otp", {"session_id": sid}), 200)
    check(body["next_step"] == "otp" and len(outbox_entries(p)) == 2, (body, outbox_entries(p)))
    check(rows_for([p]) == 0, "a users row for a number that only registered and resent")
    check(snapshot() == before, "users changed: %r -> %r" % (before, snapshot()))


@test
def verify_otp_with_the_right_code_creates_the_row():
    c, p = Client(), fresh_phone()
    sid = register(c, p)["session_id"]
    check(user_row(p) is None, "a users row before the code was verified: %r" % user_row(p))
    expect(c.post("verify-otp", {"session_id": sid, "code": "000000" if latest_code(p) != "000000"
                                 else "111111"}), 400, "otp_invalid")
    check(user_row(p) is None, "a users row after a wrong code: %r" % user_row(p))
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(p)}), 200)
    row = user_row(p)
    check(row is not None, "no users row after the right code")
    check(row["is_verified"] and row["password"] == "" and not row["is_active"], row)
    # verified, no password yet: the next register goes through otp again, on the same row
    cooldown_over(p)
    check(expect(Client().post("register", {"mobile_number": p}), 200)["next_step"] == "otp", p)
    check(rows_for([p]) == 1 and user_row(p)["id"] == row["id"], user_row(p))


@test
def the_full_signup_still_works_and_the_row_comes_with_the_code():
    c, p = Client(), fresh_phone()
    sid = register(c, p)["session_id"]
    check(user_row(p) is None, "a users row right after register: %r" % user_row(p))
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(p)}), 200)
    check(user_row(p) is not None and user_row(p)["is_verified"], user_row(p))
    expect(c.post("set-password", {"session_id": sid, "password": PASSWORD}), 200)
    body = expect(c.post("user-info", {"session_id": sid, "first_name": "Sara", "last_name": "Ahmadi"}), 201)
    check("access_token" in body["tokens"], body)
    row = user_row(p)
    check(row["is_active"] and row["password"].startswith("pbkdf2_sha256$") and row["first_name"] == "Sara",
          row)
    expect(Client().post("login", {"mobile_number": p, "password": PASSWORD}), 200)
    # an existing account: register answers "password", and writes nothing
    before = snapshot()
    check(expect(Client().post("register", {"mobile_number": p}), 200)["next_step"] == "password", p)
    check(snapshot() == before, "register of an account changed users: %r -> %r" % (before, snapshot()))


@test
def two_sessions_of_one_new_number_verified_at_once_make_one_row():
    p = fresh_phone()
    c1, c2 = Client(), Client()
    s1 = register(c1, p)["session_id"]
    code1 = latest_code(p)
    cooldown_over(p)
    s2 = register(c2, p)["session_id"]
    code2 = latest_code(p)
    check(s1 != s2, "one session for two registers")
    check(user_row(p) is None, "a users row before either code was verified: %r" % user_row(p))
    answers = [None, None]
    start = threading.Barrier(2)

    def verify(i, c, sid, code):
        start.wait()
        answers[i] = c.post("verify-otp", {"session_id": sid, "code": code})

    threads = [threading.Thread(target=verify, args=(0, c1, s1, code1)),
               threading.Thread(target=verify, args=(1, c2, s2, code2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    check([a.status for a in answers] == [200, 200], answers)
    check(all(a.json["next_step"] == "set_password" for a in answers), answers)
    check(rows_for([p]) == 1, "%d users rows for one number" % rows_for([p]))
    # both sessions belong to that one row: either may go on
    expect(c2.post("set-password", {"session_id": s2, "password": PASSWORD}), 200)
    expect(c2.post("user-info", {"session_id": s2, "first_name": "A", "last_name": "B"}), 201)
    check(rows_for([p]) == 1 and user_row(p)["is_active"], user_row(p))


# ---- sign-ups racing each other across workers ----


@test
def parallel_signups_of_different_numbers_all_succeed():
    phones = [fresh_phone() for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(lambda p: signup(Client(), p), phones))
    check(all(t["token_type"] == "Bearer" for t in tokens), tokens)
    rows = psql("SELECT count(*) FROM users WHERE mobile_number = ANY (string_to_array(:'l', ','))"
                " AND is_active", l=",".join(phones))
    check(rows == [["8"]], rows)


if __name__ == "__main__":
    run()
