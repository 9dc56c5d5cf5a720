"""Ghost reset sessions tell nothing: password-reset of an unknown number
opens a session that accepts no code, and that session must answer every
later request exactly as a real account's reset session does (wrong codes
count as failures and block alike; resend-otp answers alike). Otherwise
five wrong codes tell who has an account. (How to run one file alone: see
test_hard_json.py.)"""

import time

from pa import Client, check, config, expect, fresh_phone, run, signup, test

PASSWORD = "correct horse battery"


def cooldown():
    return int(config().get("otp_cooldown", "120"))


def shape(r):
    """What a client can tell from an answer, but for its session id."""
    b = r.json or {}
    return (r.status, b.get("error"), b.get("next_step"), "retry_after" in b,
            r.header("Retry-After") is not None, tuple(sorted(k for k in b if k != "session_id")))


def account():
    phone = fresh_phone()
    signup(Client(), phone, PASSWORD)
    time.sleep(cooldown() + 0.5)   # the signup's code is out of the way
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
    for name, phone in (("real", real), ("ghost", ghost)):
        c = Client()
        r, sid = reset_session(c, phone)
        seq = [shape(r)]
        seq.append(shape(c.post("resend-otp", {"session_id": sid})))     # inside the cooldown
        time.sleep(cooldown() + 0.5)
        seq.append(shape(c.post("resend-otp", {"session_id": sid})))     # a new code (or none)
        for _ in range(3):
            seq.append(shape(c.post("verify-otp", wrong_code(sid))))
        time.sleep(cooldown() + 0.5)
        seq.append(shape(c.post("resend-otp", {"session_id": sid})))     # after three failures
        seqs[name] = seq
    check(seqs["real"] == seqs["ghost"],
          "real: %r\nghost: %r" % ([s[:3] for s in seqs["real"]], [s[:3] for s in seqs["ghost"]]))


if __name__ == "__main__":
    run()
