"""Second factors (API.md, "Second factors", and the paragraph after the
flow table): TOTP turned on by setup and confirm, the sign-ins that stop at
next_step "mfa" (login by number and by session, login/code, a password
reset), verify-mfa, replays, the window, recovery codes, blocking, disable,
GET me's mfa, the secret at rest and `phoneauth mfa-reset`. The TOTP codes
are computed with pyotp (python3-pyotp) from the otpauth_uri the service
gives: a library no one here wrote."""

import pyotp

from pa import (PASSWORD, Client, Pool, admin, bearer, blocked, check, check_tokens, cooldown_over,
                expect, fresh_phone, latest_code, psql, register, run, signup, test, totp_steady)


def totp_account(c=None, confirm_step=0):
    """A complete account with TOTP on, confirmed with the code of the step
    `confirm_step` away from now: (phone, totp, recovery codes, access, t0)."""
    c = c or Client()
    phone = fresh_phone()
    access = signup(c, phone)["access_token"]
    setup = expect(c.post("mfa/totp/setup", {"password": PASSWORD}, headers=bearer(access)), 200)
    check(set(setup) == {"secret", "otpauth_uri", "qr_svg"}, setup)
    totp = pyotp.parse_uri(setup["otpauth_uri"])
    check(totp.secret == setup["secret"] and len(setup["secret"]) == 32, setup)
    check(setup["qr_svg"].startswith("<svg") or "<svg" in setup["qr_svg"][:200], setup["qr_svg"][:80])
    t0 = totp_steady()
    body = expect(c.post("mfa/totp/confirm", {"code": totp.at(t0 + 30 * confirm_step)},
                         headers=bearer(access)), 200)
    codes = body["recovery_codes"]
    check(len(codes) == 10 and len(set(codes)) == 10, codes)
    check(all(len(x.replace("-", "")) == 17 for x in codes), codes)
    return phone, totp, codes, access, t0


def expect_text(r):
    check(r.status == 200, r)
    return r.body.decode()


def mfa_step(r):
    """An answer that stops at the second factor; its session id."""
    body = expect(r, 200)
    check("tokens" not in body, "tokens before the second factor: %r" % body)
    check(body.get("next_step") == "mfa" and "totp" in body.get("methods", []), body)
    return body["session_id"]


def login_mfa(c, phone):
    return mfa_step(c.post("login", {"mobile_number": phone, "password": PASSWORD}))


@test
def login_by_number_stops_at_mfa_and_a_totp_code_gives_tokens_once_on_any_worker():
    c = Client()
    phone, totp, _, _, t0 = totp_account(c)
    sid = login_mfa(c, phone)
    code = totp.at(t0 + 30)
    body = expect(c.post("verify-mfa", {"session_id": sid, "code": code}), 200)
    check_tokens(body)
    # the same code, in a new sign-in, through other workers (a pool of its own)
    with Pool({}, "mfa-replay", workers=1) as url:
        other = Client(base_url=url)
        sid = login_mfa(other, phone)
        expect(other.post("verify-mfa", {"session_id": sid, "code": code}), 400, "mfa_invalid")


@test
def login_by_session_stops_at_mfa():
    c = Client()
    phone, totp, _, _, t0 = totp_account(c)
    sid = register(c, phone)["session_id"]
    sid2 = mfa_step(c.post("login", {"session_id": sid, "password": PASSWORD}))
    check(sid2 == sid, (sid, sid2))
    expect(c.post("login", {"session_id": sid, "password": PASSWORD}), 409, "wrong_step")
    check_tokens(expect(c.post("verify-mfa", {"session_id": sid, "code": totp.at(t0 + 30)}), 200))
    expect(c.post("verify-mfa", {"session_id": sid, "code": totp.at(t0 + 60)}), 400, "session_invalid")


@test
def one_step_either_side_is_accepted_two_are_not():
    # confirmed with the code of the step before now: -1 is accepted
    phone, totp, _, _, t0 = totp_account(confirm_step=-1)
    for k in (-2, 2):
        c = Client()   # a fresh client each: two failures, no block
        sid = login_mfa(c, phone)
        expect(c.post("verify-mfa", {"session_id": sid, "code": totp.at(t0 + 30 * k)}), 400,
               "mfa_invalid")
    for k in (0, 1):
        c = Client()
        sid = login_mfa(c, phone)
        check_tokens(expect(c.post("verify-mfa", {"session_id": sid, "code": totp.at(t0 + 30 * k)}),
                            200))
    # a code of a step before one accepted is a replay too
    c = Client()
    sid = login_mfa(c, phone)
    expect(c.post("verify-mfa", {"session_id": sid, "code": totp.at(t0)}), 400, "mfa_invalid")


@test
def recovery_codes_work_once_each_and_a_renewal_voids_the_set():
    c = Client()
    phone, totp, codes, access, t0 = totp_account(c)
    sid = login_mfa(c, phone)
    check_tokens(expect(c.post("verify-mfa", {"session_id": sid, "code": codes[0].upper()}), 200))
    sid = login_mfa(c, phone)
    expect(c.post("verify-mfa", {"session_id": sid, "code": codes[0]}), 400, "mfa_invalid")
    me = expect(c.get("me", headers=bearer(access)), 200)
    check(me["mfa"] == {"totp": True, "passkeys": 0, "recovery_codes_left": 9}, me)
    r = c.post("mfa/recovery-codes", {"password": PASSWORD, "code": totp.at(t0 + 30)},
               headers=bearer(access))
    fresh = expect(r, 200)["recovery_codes"]
    check(len(fresh) == 10 and not set(fresh) & set(codes), fresh)
    c2 = Client()
    sid = login_mfa(c2, phone)
    expect(c2.post("verify-mfa", {"session_id": sid, "code": codes[1]}), 400, "mfa_invalid")
    check_tokens(expect(c2.post("verify-mfa", {"session_id": sid, "code": fresh[1]}), 200))


@test
def a_password_reset_stops_at_mfa_and_its_password_waits_for_it():
    c = Client()
    phone, totp, _, _, t0 = totp_account(c)
    cooldown_over(phone)
    sid = expect(c.post("password-reset", {"mobile_number": phone}), 200)["session_id"]
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone, "reset")}), 200)
    new = "a brand new passphrase 7"
    mfa_step(c.post("set-password", {"session_id": sid, "password": new}))
    # not yet: the old password still opens the first factor, the new one does not
    expect(Client().post("login", {"mobile_number": phone, "password": new}), 401,
           "password_incorrect")
    check_tokens(expect(c.post("verify-mfa", {"session_id": sid, "code": totp.at(t0 + 30)}), 200))
    mfa_step(Client().post("login", {"mobile_number": phone, "password": new}))


@test
def login_by_code_stops_at_mfa():
    with Pool({"PHONEAUTH_LOGIN_BY_CODE": "on"}, "mfa-code", workers=1) as url:
        c = Client(base_url=url)
        phone, totp, _, _, t0 = totp_account(c)
        cooldown_over(phone)
        sid = expect(c.post("login/code", {"mobile_number": phone}), 200)["session_id"]
        mfa_step(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone, "login")}))
        check_tokens(expect(c.post("verify-mfa", {"session_id": sid, "code": totp.at(t0 + 30)}),
                            200))


@test
def three_wrong_codes_block_the_number_and_the_client():
    phone, totp, _, _, t0 = totp_account()
    c = Client()
    sid = login_mfa(c, phone)
    for _ in range(3):
        expect(c.post("verify-mfa", {"session_id": sid, "code": "000000"}), 400, "mfa_invalid")
    blocked(c.post("login", {"mobile_number": fresh_phone(), "password": PASSWORD}))  # the client
    blocked(Client().post("login", {"mobile_number": phone, "password": PASSWORD}))  # the number


@test
def the_session_has_otp_max_tries():
    phone, totp, _, _, t0 = totp_account()
    sid = login_mfa(Client(), phone)
    for _ in range(3):   # a fresh client each time: the session's own tries run out
        expect(Client().post("verify-mfa", {"session_id": sid, "code": "000000"}), 400, "mfa_invalid")
    r = Client().post("verify-mfa", {"session_id": sid, "code": totp.at(t0 + 30)})
    check(r.status in (400, 429) and r.json["error"] in ("session_invalid", "too_many_attempts"), r)


@test
def the_secret_is_not_in_postgresql_in_the_clear():
    phone, totp, codes, _, _ = totp_account()
    rows = psql("SELECT m::text FROM user_mfa m JOIN users u ON u.id = m.user_id"
                " WHERE u.mobile_number = :'p'", p=phone)
    check(len(rows) == 1, "no user_mfa row for %s: %r" % (phone, rows))
    row = rows[0][0]
    text = row.upper()
    check(totp.secret.upper() not in text, "the base32 secret is in the row")
    raw = __import__("base64").b32decode(totp.secret).hex()
    check(raw not in row.lower(), "the secret's bytes are in the row")
    check(not any(x.replace("-", "").upper() in text for x in codes), "a recovery code is in the row")


@test
def disable_needs_the_password_and_a_code():
    c = Client()
    phone, totp, codes, access, t0 = totp_account(c)
    expect(c.post("mfa/totp/setup", {"password": PASSWORD}, headers=bearer(access)), 409,
           "mfa_already_enabled")
    expect(c.post("mfa/totp/disable", {"password": "not the password", "code": totp.at(t0 + 30)},
                  headers=bearer(access)), 401, "password_incorrect")
    c = Client()
    expect(c.post("mfa/totp/disable", {"password": PASSWORD, "code": "123456"
                                       if totp.at(t0 + 30) != "123456" else "654321"},
                  headers=bearer(access)), 400, "mfa_invalid")
    c = Client()
    expect(c.post("mfa/totp/disable", {"password": PASSWORD, "code": codes[3]},
                  headers=bearer(access)), 200)
    me = expect(c.get("me", headers=bearer(access)), 200)
    check(me["mfa"] == {"totp": False, "passkeys": 0, "recovery_codes_left": 0}, me)
    check_tokens(expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD}), 200))


@test
def confirm_without_a_setup_and_a_wrong_confirm_are_mfa_invalid():
    c = Client()
    phone = fresh_phone()
    access = signup(c, phone)["access_token"]
    expect(c.post("mfa/totp/confirm", {"code": "123456"}, headers=bearer(access)), 400, "mfa_invalid")
    setup = expect(Client().post("mfa/totp/setup", {"password": PASSWORD}, headers=bearer(access)), 200)
    totp = pyotp.parse_uri(setup["otpauth_uri"])
    t0 = totp_steady()
    wrong = "%06d" % ((int(totp.at(t0)) + 1) % 1000000)
    expect(Client().post("mfa/totp/confirm", {"code": wrong}, headers=bearer(access)), 400, "mfa_invalid")
    expect(Client().post("mfa/totp/confirm", {"code": "not a code"}, headers=bearer(access)), 400,
           "validation_failed")
    me = expect(Client().get("me", headers=bearer(access)), 200)
    check(me["mfa"] == {"totp": False, "passkeys": 0, "recovery_codes_left": 0}, me)
    check_tokens(expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD}), 200))


@test
def mfa_reset_turns_totp_off_and_keeps_the_password():
    phone, totp, _, _, _ = totp_account()
    r = admin("mfa-reset", phone)
    check(r.returncode == 0, r.stderr)
    check_tokens(expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD}), 200))
    r = admin("mfa-reset", phone)
    check(r.returncode == 1 and "no account with TOTP" in r.stderr, (r.returncode, r.stderr))


@test
def the_metrics_count_second_factors():
    c = Client()
    phone, totp, _, _, t0 = totp_account(c)
    before = metric_values()
    sid = login_mfa(c, phone)
    asked = metric_values()
    expect(c.post("verify-mfa", {"session_id": sid, "code": totp.at(t0 + 30)}), 200)
    after = metric_values()
    # a right password that stops at the mfa step is no login yet
    check(asked['phoneauth_logins_total{result="mfa"}'] ==
          before.get('phoneauth_logins_total{result="mfa"}', 0) + 1, (before, asked))
    check(asked['phoneauth_logins_total{result="ok"}'] == before['phoneauth_logins_total{result="ok"}'],
          "a login that waits for its second factor was counted ok")
    check(after['phoneauth_mfa_total{result="ok"}'] == asked['phoneauth_mfa_total{result="ok"}'] + 1,
          (asked, after))
    check('phoneauth_mfa_total{result="wrong"}' in after, sorted(after))


def metric_values():
    text = expect_text(Client(ip="127.0.0.1").get("metrics"))
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line.startswith(("phoneauth_logins_total", "phoneauth_mfa_total"))}


if __name__ == "__main__":
    run()
