"""POST login/code: with login_by_code = on, an account's verified number
signs in by a code, and verify-otp answers tokens. A number without such an
account (unknown, never completed, banned) gets the same answers, the same
limits and a ghost session no code fits, and nothing is sent to it. Off (the
default, and the main test stack), the route does not exist.

These tests run a pool of their own with login_by_code = on, sharing the
stack's Redis and PostgreSQL."""

from pa import (REDIS_PREFIX, Client, Pool, admin, audited, check, expect, fresh_phone, jwt_decode, latest_code,
                outbox_entries, psql, redis_command, register, run, signup, test, user_row, wait_for)

PASSWORD = "correct horse battery"
URL = None      # the pool's, set below


def on(ip=None):
    return Client(ip=ip, base_url=URL)


def ask(c, phone):
    return c.post("login/code", {"mobile_number": phone})


def codes_counted(phone):
    """Codes counted against the number's hourly cap of codes to an account
    (limits.lua, KEY.sent_to_owner), a ghost's alike."""
    return redis_command("ZCARD", REDIS_PREFIX + "oo:" + phone)


@test
def login_code_does_not_exist_while_switched_off():
    c, phone = Client(), fresh_phone()
    signup(c, phone)
    expect(ask(c, phone), 404, "not_found")
    expect(c.get("login/code"), 404, "not_found")
    expect(c.request("OPTIONS", "login/code"), 404, "not_found")
    check(all(e["purpose"] != "login" for e in outbox_entries(phone)), "a code was sent")


@test
def a_code_signs_an_account_in_without_its_password():
    c, phone = on(), fresh_phone()
    signup(Client(), phone)
    before = psql("SELECT last_login FROM users WHERE mobile_number = :'p'", p=phone)
    body = expect(ask(c, phone), 200)
    check(set(body) == {"session_id", "next_step", "message"} and body["next_step"] == "otp", body)
    sid = body["session_id"]
    sent = outbox_entries(phone)[0]
    check(sent["purpose"] == "login", sent)
    body = expect(c.post("verify-otp", {"session_id": sid, "code": sent["code"]}), 200)
    check(set(body) == {"tokens", "device", "message"}, body)
    tokens = body["tokens"]
    check(set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}, tokens)
    _, access = jwt_decode(tokens["access_token"])
    _, refresh = jwt_decode(tokens["refresh_token"])
    check(access["user_id"] == user_row(phone)["id"] and access["sid"] == refresh["jti"], access)
    # a login like another: listed, recorded, refreshable
    listed = expect(c.get("sessions", headers={"Authorization": "Bearer " + tokens["access_token"]}), 200)
    check([s["ip"] for s in listed["sessions"] if s["current"]] == [c.ip], listed)
    check(psql("SELECT last_login FROM users WHERE mobile_number = :'p'", p=phone) != before, "last_login")
    expect(c.post("token/refresh", {"refresh": tokens["refresh_token"]}), 200)
    # the session is over
    expect(c.post("verify-otp", {"session_id": sid, "code": sent["code"]}), 400, "session_invalid")


@test
def numbers_without_such_an_account_get_the_same_answers_and_no_code():
    known, unknown, banned, unfinished = (fresh_phone() for _ in range(4))
    signup(Client(), known)
    signup(Client(), banned)
    check(admin("ban", banned).returncode == 0, "ban")
    c = Client()     # verified, but no password and no profile
    sid = register(c, unfinished)["session_id"]
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(unfinished)}), 200)
    phones = [known, unknown, banned, unfinished]
    sent_before = {p: len(outbox_entries(p)) for p in phones}
    runs = {}
    for phone in phones:
        cl = on()
        first = ask(cl, phone)
        seq = [(first.status, sorted(first.json), first.json.get("next_step"), first.json.get("message"))]
        sid = first.json["session_id"]
        again = cl.post("resend-otp", {"session_id": sid})
        seq.append((again.status, sorted(again.json), again.json.get("message")))
        for _ in range(4):      # wrong codes: counted, then the number is blocked
            r = cl.post("verify-otp", {"session_id": sid, "code": "000000"})
            seq.append((r.status, (r.json or {}).get("error"), sorted(r.json or {})))
        runs[phone] = seq
    check(runs[unknown] == runs[known] == runs[banned] == runs[unfinished], runs)
    check([s[0] for s in runs[known]] == [200, 200, 400, 400, 400, 429], runs[known])
    # the send limits counted every one of them; only the account got codes
    for phone in phones:
        check(codes_counted(phone) >= 2, (phone, codes_counted(phone)))
        check(wait_for(lambda: audited(phone, "code") == 3), "wrong codes of %s not audited" % phone)
    check(len(outbox_entries(known)) == sent_before[known] + 2, "the account got no codes")
    for phone in (unknown, banned, unfinished):
        check(len(outbox_entries(phone)) == sent_before[phone], "a code went to %s" % phone)
    check(user_row(unknown) is None, "login/code made a row")


@test
def an_invalid_number_is_a_counted_failure():
    c = on()
    body = expect(ask(c, "12"), 400, "validation_failed")
    check(set(body["fields"]) == {"mobile_number"}, body)
    check(wait_for(lambda: psql("SELECT count(*) FROM failed_attempts WHERE ip = :'ip'::inet AND kind = 'phone'",
                                ip=c.ip) == [["1"]]), "not counted")


@test
def a_register_session_still_leads_to_a_password_with_login_code_on():
    """A verified number without a password proves itself again at register
    and chooses a password: its code is no login by code."""
    c, phone = on(), fresh_phone()
    sid = register(Client(), phone)["session_id"]
    expect(Client().post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 200)
    sid = register(c, phone)["session_id"]
    body = expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 200)
    check(body["next_step"] == "set_password" and "tokens" not in body, body)


@test
def a_login_code_session_of_a_deleted_account_gives_no_tokens():
    c, phone = on(), fresh_phone()
    t = signup(Client(), phone)
    sid = expect(ask(c, phone), 200)["session_id"]
    code = latest_code(phone, "login")
    expect(Client().post("account/delete", {"password": PASSWORD},
                         headers={"Authorization": "Bearer " + t["access_token"]}), 200)
    signup(Client(), phone, password="the next owner's password")     # the number's next account
    expect(c.post("verify-otp", {"session_id": sid, "code": code}), 400, "session_invalid")
    check(psql("SELECT count(*) FROM refresh_tokens WHERE user_id = :'u'", u=user_row(phone)["id"]) == [["1"]],
          "the next account got a login")


if __name__ == "__main__":
    with Pool({"PHONEAUTH_LOGIN_BY_CODE": "on"}, "login_code", workers=2) as URL:
        run()
