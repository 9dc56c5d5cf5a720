"""Redis or PostgreSQL going away: 503 service_unavailable, nothing
half-written, and the same workers serve again once the store is back."""

import os

from pa import (REDIS_PREFIX, Client, check, expect, fresh_phone, latest_code, psql, redis_command,
                register, run, stack, test, user_row, verified_session, wait_for)


def recovers(c):
    return wait_for(lambda: c.get("health").status == 200, timeout=15, step=0.2)


@test
def redis_down_answers_503_and_recovers():
    c = Client()
    stack("stop-redis")
    try:
        r = c.post("register", {"mobile_number": fresh_phone()})
        expect(r, 503, "service_unavailable")
        h = c.get("health")
        body = expect(h, 503, "service_unavailable")
        check(body["redis"] == "unavailable" and body["postgres"] == "ok", body)
        expect(c.post("verify-otp", {"session_id": "3f1b5c1e-8d2a-4e7b-9c3d-2a1b0c9d8e7f",
                                     "code": "123456"}), 503, "service_unavailable")
        expect(c.post("login", {"mobile_number": fresh_phone(), "password": "whatever123"}),
               503, "service_unavailable")
    finally:
        stack("start-redis")
    check(recovers(c), "health did not come back after Redis restarted")
    phone = fresh_phone()
    expect(c.post("register", {"mobile_number": phone}), 200)


@test
def postgres_down_answers_503_and_recovers():
    c = Client()
    phone = fresh_phone()
    sid = verified_session(c, phone)
    expect(c.post("set-password", {"session_id": sid, "password": "correct horse battery"}), 200)
    stack("stop-postgres")
    try:
        # (a register of a new number needs no database when the account
        # index is whole: test_account_index.py; a reset always reads it)
        expect(c.post("password-reset", {"mobile_number": fresh_phone()}), 503,
               "service_unavailable")
        # the step that needs the database fails whole: the session still waits for it
        expect(c.post("user-info", {"session_id": sid, "first_name": "A", "last_name": "B"}),
               503, "service_unavailable")
        expect(Client().post("login", {"mobile_number": phone, "password": "correct horse battery"}),
               503, "service_unavailable")
        body = expect(c.get("health"), 503, "service_unavailable")
        check(body["postgres"] == "unavailable" and body["redis"] == "ok", body)
    finally:
        stack("start-postgres")
    check(recovers(c), "health did not come back after PostgreSQL restarted")
    expect(c.post("user-info", {"session_id": sid, "first_name": "A", "last_name": "B"}), 201)
    check(user_row(phone)["is_active"], user_row(phone))
    # the login refused with 503 did not count as a failure
    expect(Client().post("login", {"mobile_number": phone, "password": "correct horse battery"}), 200)


def session_fields(sid):
    """The session's hash in Redis (step, tries, code digest and expiry...)."""
    raw = redis_command("HGETALL", REDIS_PREFIX + "s:" + sid) or []
    return {raw[i].decode(): raw[i + 1] for i in range(0, len(raw), 2)}


@test
def a_verify_refused_while_redis_is_down_writes_nothing_and_succeeds_once_back():
    c, phone = Client(), fresh_phone()
    sid = register(c, phone)["session_id"]
    code = latest_code(phone)
    before = session_fields(sid)
    check(before.get("st") == b"otp" and before.get("ct") == b"0", before)
    # The test stack's Redis keeps nothing across a restart; SAVE writes the
    # dump a starting Redis loads, as a Redis with persistence would, so the
    # session is still there once Redis is back and the answer is known.
    dump = os.path.join(redis_command("CONFIG", "GET", "dir")[1].decode(),
                        redis_command("CONFIG", "GET", "dbfilename")[1].decode())
    check(redis_command("SAVE") == "OK", "SAVE failed")
    stack("stop-redis")
    try:
        expect(c.post("verify-otp", {"session_id": sid, "code": code}), 503, "service_unavailable")
        # PostgreSQL is up: the refused verify wrote no user there
        check(user_row(phone) is None, "a users row from a verify answered 503: %r" % user_row(phone))
    finally:
        stack("start-redis")
        if os.path.exists(dump):
            os.unlink(dump)   # the next restart starts empty again
    check(recovers(c), "no recovery")
    after = session_fields(sid)
    check(after == before, "the session changed under a 503: %r -> %r" % (before, after))
    body = expect(c.post("verify-otp", {"session_id": sid, "code": code}), 200)
    check(body["session_id"] == sid and body["next_step"] == "set_password", body)
    u = user_row(phone)
    check(u is not None and u["is_verified"] and not u["is_active"], u)
    check(psql("SELECT count(*) FROM users WHERE mobile_number = :'p'", p=phone) == [["1"]], "rows")


if __name__ == "__main__":
    run()
