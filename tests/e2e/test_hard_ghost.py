"""Ghost reset sessions tell nothing: password-reset of an unknown number
opens a session that accepts no code, and that session must answer every
later request exactly as a real account's reset session does (wrong codes
count as failures and block alike; resend-otp answers alike). Otherwise
five wrong codes tell who has an account. (How to run one file alone: see
test_hard_json.py.)"""

from pa import Client, check, cooldown_over, cooldown_pool, expect, fresh_phone, run, signup, test

PASSWORD = "correct horse battery"
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


if __name__ == "__main__":
    run()
