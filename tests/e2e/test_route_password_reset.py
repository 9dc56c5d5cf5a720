"""POST password-reset (API.md, "The registration and login flow"): a new
password that ends every login, and no word on who has an account.

Ghost reset sessions tell nothing: password-reset of an unknown number opens
a session that accepts no code, and that session must answer every later
request exactly as a real account's reset session does (wrong codes count as
failures and block alike; resend-otp answers alike; the cooldown holds
alike), and writes nothing to `users`. Otherwise five wrong codes tell who
has an account."""

from pa import (PASSWORD, Client, check, cooldown_over, cooldown_pool, expect, fresh_phone, latest_code,
                outbox_entries, refresh, register, rotated, rows_for, run, signup, snapshot, test)

COOLDOWN = 2   # seconds, of the pool of the test about resend-otp


def shape(r):
    """What a client can tell from an answer, but for its session id."""
    b = r.json or {}
    return (r.status, b.get("error"), b.get("next_step"), "retry_after" in b,
            r.header("Retry-After") is not None, tuple(sorted(k for k in b if k != "session_id")))


def account():
    phone = fresh_phone()
    signup(Client(), phone, PASSWORD)
    cooldown_over(phone)   # the signup's code is out of the way
    return phone


def reset_session(c, phone):
    r = c.post("password-reset", {"mobile_number": phone})
    body = expect(r, 200)
    check(body["next_step"] == "otp", body)
    return r, body["session_id"]


def wrong_code(sid):
    return {"session_id": sid, "code": "000000"}


@test
def password_reset_sets_a_new_password_and_ends_every_login():
    c, phone = Client(), fresh_phone()
    old = signup(c, phone)
    other = expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD}), 200)["tokens"]
    cooldown_over(phone)  # the sign-up's code is inside otp_cooldown, if any: reset codes obey it too
    r = expect(Client().post("password-reset", {"mobile_number": phone}), 200)
    check(r["next_step"] == "otp" and r["message"], r)
    check(outbox_entries(phone)[0]["purpose"] == "reset", outbox_entries(phone)[0])
    sid = r["session_id"]
    expect(c.post("set-password", {"session_id": sid, "password": "brand new password"}), 409, "wrong_step")
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone, "reset")}), 200)
    body = expect(c.post("set-password", {"session_id": sid, "password": "brand new password"}), 200)
    check(set(body["tokens"]) == {"access_token", "refresh_token", "token_type", "expires_in"}, body)
    # every earlier refresh token is revoked; the new one works
    expect(refresh(c, old["refresh_token"]), 401, "token_invalid")
    expect(refresh(c, other["refresh_token"]), 401, "token_invalid")
    rotated(refresh(c, body["tokens"]["refresh_token"]))
    expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD}), 401)
    expect(Client().post("login", {"mobile_number": phone, "password": "brand new password"}), 200)
    expect(c.post("set-password", {"session_id": sid, "password": "another one!"}), 400, "session_invalid")


@test
def password_reset_does_not_tell_who_has_an_account():
    unknown, registered_only = fresh_phone(), fresh_phone()
    register(Client(), registered_only)  # a number without a password
    account = fresh_phone()
    signup(Client(), account)
    answers = {}
    for phone in (account, registered_only):
        cooldown_over(phone)  # past the cooldown (if any) of the codes sign-up and register sent
    for phone in (account, unknown, registered_only):
        r = expect(Client().post("password-reset", {"mobile_number": phone}), 200)
        answers[phone] = r
        check(set(r) == {"session_id", "next_step", "message"} and r["next_step"] == "otp", r)
    check(len({a["message"] for a in answers.values()}) == 1, answers)
    check(outbox_entries(unknown) == [], "a code was sent to a number without an account")
    check(len(outbox_entries(registered_only)) == 1, "a reset code went to a number without a password")
    # no code fits a ghost session, and it answers like a real one
    c = Client()
    sid = answers[unknown]["session_id"]
    expect(c.post("verify-otp", {"session_id": sid, "code": "123456"}), 400, "otp_invalid")
    expect(c.post("set-password", {"session_id": sid, "password": "whatever pw"}), 409, "wrong_step")
    expect(Client().post("resend-otp", {"session_id": sid}), 200)
    check(outbox_entries(unknown) == [], "a resend sent a code for a ghost")


@test
def the_cooldown_holds_for_reset_sessions_of_unknown_numbers_as_for_accounts():
    with cooldown_pool("reset-cooldown", 2) as url:
        answers = {}
        account = fresh_phone()
        signup(Client(), account)
        cooldown_over(account)
        for name, phone in (("account", account), ("unknown", fresh_phone())):
            c = Client(base_url=url)
            sid = expect(c.post("password-reset", {"mobile_number": phone}), 200)["session_id"]
            first = c.post("resend-otp", {"session_id": sid})       # inside the cooldown
            again = Client(base_url=url).post("password-reset", {"mobile_number": phone})
            cooldown_over(phone)
            after = c.post("resend-otp", {"session_id": sid})       # past it
            answers[name] = [(r.status, (r.json or {}).get("error")) for r in (first, again, after)]
            check(answers[name] == [(429, "otp_rate_limited"), (429, "otp_rate_limited"), (200, None)],
                  (name, answers[name]))
        check(len(outbox_entries(account)) == 3, "the account got no reset codes: %r" % outbox_entries(account))


# ---- ghost sessions answer as real ones ----


@test
def five_wrong_codes_answer_alike_on_a_real_and_a_ghost_reset_session():
    real, ghost = account(), fresh_phone()
    seqs = {}
    for name, phone in (("real", real), ("ghost", ghost)):
        c = Client()
        r, sid = reset_session(c, phone)
        seq = [shape(r)]
        for _ in range(5):
            seq.append(shape(c.post("verify-otp", wrong_code(sid))))
        # and what the address can do afterwards
        seq.append(shape(c.get("health")))
        seqs[name] = seq
    check(seqs["real"] == seqs["ghost"],
          "real: %r\nghost: %r" % ([s[:2] for s in seqs["real"]], [s[:2] for s in seqs["ghost"]]))


@test
def resend_otp_answers_alike_on_a_real_and_a_ghost_reset_session():
    real, ghost = account(), fresh_phone()
    seqs = {}
    with cooldown_pool("hard-ghost", COOLDOWN) as url:
        for name, phone in (("real", real), ("ghost", ghost)):
            c = Client(base_url=url)
            r, sid = reset_session(c, phone)
            seq = [shape(r)]
            seq.append(shape(c.post("resend-otp", {"session_id": sid})))     # inside the cooldown
            cooldown_over(phone)
            seq.append(shape(c.post("resend-otp", {"session_id": sid})))     # a new code (or none)
            for _ in range(3):
                seq.append(shape(c.post("verify-otp", wrong_code(sid))))
            cooldown_over(phone)
            seq.append(shape(c.post("resend-otp", {"session_id": sid})))     # after three failures
            seqs[name] = seq
    # the pool's cooldown was in force: the first resend was refused
    check(seqs["real"][1][:2] == (429, "otp_rate_limited"), seqs["real"][1])
    check(seqs["real"] == seqs["ghost"],
          "real: %r\nghost: %r" % ([s[:3] for s in seqs["real"]], [s[:3] for s in seqs["ghost"]]))


@test
def password_reset_of_an_unknown_number_writes_nothing():
    before = snapshot()
    unknown = [fresh_phone() for _ in range(4)]
    for p in unknown:
        body = expect(Client().post("password-reset", {"mobile_number": p}), 200)
        check(body["next_step"] == "otp", body)
        check(outbox_entries(p) == [], "a code for an unknown number")
    # numbers that only registered are unknown too: their reset writes nothing either
    registered = [fresh_phone() for _ in range(2)]
    for p in registered:
        expect(Client().post("register", {"mobile_number": p}), 200)
    for p in registered:
        cooldown_over(p)
    for p in registered:
        expect(Client().post("password-reset", {"mobile_number": p}), 200)
    unknown += registered
    check(rows_for(unknown) == 0, "%d users rows" % rows_for(unknown))
    check(snapshot() == before, "users changed: %r -> %r" % (before, snapshot()))


if __name__ == "__main__":
    run()
