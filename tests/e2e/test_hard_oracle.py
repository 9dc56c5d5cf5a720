"""user-info with an e-mail address another account has is a failure: it
counts against the client address like a wrong code, so that the route is
no oracle for which addresses have accounts. After max_failed_attempts
such tries the address is blocked. (How to run one file alone: see
test_hard_json.py.)"""

from pa import (Client, check, config, expect, fresh_phone, run, signup, test, verified_session)

PASSWORD = "correct horse battery"


def at_user_info(c):
    phone = fresh_phone()
    sid = verified_session(c, phone)
    expect(c.post("set-password", {"session_id": sid, "password": PASSWORD}), 200)
    return sid


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
