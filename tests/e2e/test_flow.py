"""The registration and login flow, end to end through lighttpd."""

import re
import time

from pa import (Client, admin, check, cooldown_over, cooldown_pool, expect, fresh_phone, latest_code,
                outbox_entries, psql, register, run, signup, test, user_row, verified_session, wait_for)

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def check_tokens(body):
    t = body["tokens"]
    check(set(t) == {"access_token", "refresh_token", "token_type", "expires_in"}, t)
    check(t["token_type"] == "Bearer" and t["expires_in"] == 300, t)
    check(t["access_token"].count(".") == 2 and t["refresh_token"].count(".") == 2, t)
    check(isinstance(body.get("message"), str) and body["message"], body)


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
def existing_account_registers_to_password_step_and_logs_in_with_session():
    c, phone = Client(), fresh_phone()
    signup(c, phone)
    before = len(outbox_entries(phone))
    r = register(c, phone)
    check(r["next_step"] == "password", r)
    check(len(outbox_entries(phone)) == before, "a code was sent to an account with a password")
    r = expect(c.post("login", {"session_id": r["session_id"], "password": "correct horse battery"}), 200)
    check_tokens(r)


@test
def login_by_number_gives_tokens_and_records_last_login():
    c, phone = Client(), fresh_phone()
    signup(c, phone)
    psql("UPDATE users SET last_login = NULL WHERE mobile_number = :'p'", p=phone)
    check_tokens(expect(c.post("login", {"mobile_number": phone, "password": "correct horse battery"}), 200))
    # recorded just after the answer
    check(wait_for(lambda: psql("SELECT last_login IS NOT NULL FROM users WHERE mobile_number = :'p'",
                                p=phone)[0][0] == "t", 5), "last_login was not recorded")


@test
def login_before_profile_is_complete_asks_for_user_info():
    c, phone = Client(), fresh_phone()
    sid = verified_session(c, phone)
    expect(c.post("set-password", {"session_id": sid, "password": "correct horse battery"}), 200)
    # the user walks away before user-info, then logs in by number
    r = expect(c.post("login", {"mobile_number": phone, "password": "correct horse battery"}), 200)
    check(r["next_step"] == "user_info" and UUID4.match(r["session_id"]) and "tokens" not in r, r)
    check_tokens(expect(c.post("user-info", {"session_id": r["session_id"], "first_name": "Ali",
                                             "last_name": "Karimi"}), 201))
    # and through register + session login too
    phone2 = fresh_phone()
    sid = verified_session(c, phone2)
    expect(c.post("set-password", {"session_id": sid, "password": "correct horse battery"}), 200)
    r = register(c, phone2)
    check(r["next_step"] == "password", r)
    r = expect(c.post("login", {"session_id": r["session_id"], "password": "correct horse battery"}), 200)
    check(r["next_step"] == "user_info" and "tokens" not in r, r)
    expect(c.post("user-info", {"session_id": r["session_id"], "first_name": "Ali", "last_name": "K"}), 201)


@test
def verify_otp_alias_and_trailing_slash_are_the_same_routes():
    c, phone = Client(), fresh_phone()
    sid = register(c, phone)["session_id"]
    r = expect(c.post("verify/otp/", {"session_id": sid, "code": latest_code(phone)}), 200)
    check(r["next_step"] == "set_password", r)
    expect(c.post("set-password/", {"session_id": sid, "password": "correct horse battery"}), 200)
    expect(c.get("health/"), 200)


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
def the_earlier_code_dies_at_its_own_expiry_and_tries_are_the_sessions():
    from pa import Pool
    with Pool({"PHONEAUTH_OTP_TTL": "2", "PHONEAUTH_SESSION_TTL": "60",
               "PHONEAUTH_MAX_FAILED_ATTEMPTS": "10"}, "earlier") as url:
        c, phone = Client(base_url=url), fresh_phone()
        sid = register(c, phone)["session_id"]
        old = latest_code(phone)
        check(wait_for(lambda: c.post("resend-otp", {"session_id": sid}).status == 200, 5),
              "no resend")
        new = outbox_entries(phone)[0]["code"]
        # one wrong try before the resend would count: tries are the session's
        # (otp_max_tries 3): two wrong ones now, then the third is the last
        for i in (1, 2):
            wrong = "%06d" % ((int(new) + i) % 1000000)
            if wrong == old:
                wrong = "%06d" % ((int(new) + 5) % 1000000)
            expect(c.post("verify-otp", {"session_id": sid, "code": wrong}), 400, "otp_invalid")
        time.sleep(2.2)   # the earlier code's own lifetime (a time, nothing to poll)
        if old != new:
            expect(c.post("verify-otp", {"session_id": sid, "code": old}), 400, "otp_invalid")
        # that was the third try of the session: even the new code is void now
        expect(c.post("verify-otp", {"session_id": sid, "code": new}), 400, "otp_invalid")


COOLDOWN = 30   # seconds, for the pools of the tests about it: never over during the test


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
def outbox_entry_has_phone_code_purpose_created_at_language():
    c, phone = Client(lang="fa"), fresh_phone()
    t0 = int(time.time())
    register(c, phone)
    e = outbox_entries(phone)[0]
    check(e["phone"] == phone and re.fullmatch(r"[0-9]{6}", e["code"]), e)
    check(e["purpose"] == "register" and e["language"] == "fa", e)
    check(abs(int(e["created_at"]) - t0) <= 5, e)


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


@test
def banned_account_gets_user_banned_from_register_and_login():
    c, phone = Client(), fresh_phone()
    signup(c, phone)
    r = register(Client(), phone)  # a session opened before the ban
    check(admin("ban", phone).returncode == 0, "ban failed")
    expect(Client().post("register", {"mobile_number": phone}), 403, "user_banned")
    expect(Client().post("login", {"mobile_number": phone, "password": "correct horse battery"}),
           403, "user_banned")
    expect(Client().post("login", {"session_id": r["session_id"], "password": "correct horse battery"}),
           403, "user_banned")
    # a banned number never gets a code
    check(len(outbox_entries(phone)) == 1, outbox_entries(phone))


@test
def health_reports_both_stores():
    r = expect(Client().get("health"), 200)
    check({k: r[k] for k in ("status", "redis", "postgres")} == {"status": "ok", "redis": "ok",
                                                                  "postgres": "ok"}, r)
    check(isinstance(r.get("sms_backlog"), int) and r["sms_backlog"] >= 0, r)


if __name__ == "__main__":
    run()
