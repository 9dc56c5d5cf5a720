"""POST account/delete and phone/change (API.md, "Accounts and their
logins"): the account itself can be deleted, or moved to another number
(proved with a code sent to that number); sessions in flight act on neither
a deleted nor a moved account; odd input gets JSON answers and changes
nothing.

Each test uses its own numbers and client addresses. What the service did
is read back from PostgreSQL (users, refresh_tokens, logins) and Redis (the
cached account state, the account index, the outbox)."""

from concurrent.futures import ThreadPoolExecutor

from pa import (PASSWORD, Client, audited, bearer, cached, check, expect, fresh_phone, indexed, jwt_decode,
                latest_code, login, outbox_entries, psql, refresh, register, run, signup, test, user_row,
                wait_for)


def change(c, access, phone, password=PASSWORD):
    return c.post("phone/change", {"mobile_number": phone, "password": password},
                  headers=bearer(access))


def change_under_way(new):
    """A new account that asked to move to `new`: its client, number, tokens and change session."""
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    return c, phone, t, expect(change(c, t["access_token"], new), 200)["session_id"]


# ---- POST account/delete ----


@test
def account_delete_removes_the_account_and_the_number_signs_up_afresh():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    login(Client(), phone)
    old = user_row(phone)["id"]
    expect(c.post("register", {"mobile_number": phone}), 200)      # caches the account's state
    check(cached(phone) is not None and indexed(phone), "not cached or not indexed to begin with")
    body = expect(c.post("account/delete", {"password": PASSWORD}, headers=bearer(t["access_token"])), 200)
    check(set(body) == {"message"}, body)
    check(user_row(phone) is None, "the row is still there")
    for table in ("refresh_tokens", "logins"):
        check(psql("SELECT count(*) FROM %s WHERE user_id = :'u'" % table, u=old) == [["0"]], table)
    check(cached(phone) is None and not indexed(phone), "Redis still knows the account")
    expect(refresh(c, t["refresh_token"]), 401, "token_invalid")
    expect(c.get("me", headers=bearer(t["access_token"])), 401, "token_invalid")
    expect(c.get("sessions", headers=bearer(t["access_token"])), 401, "token_invalid")
    expect(c.post("login", {"mobile_number": phone, "password": PASSWORD}), 401, "password_incorrect")
    # the number is new again
    check(register(Client(), phone)["next_step"] == "otp", "the number still asks for a password")
    signup(Client(), phone, password="another horse battery")
    check(user_row(phone)["id"] != old, "the old id came back")
    expect(c.get("me", headers=bearer(t["access_token"])), 401, "token_invalid")   # the old token is not the new account's


@test
def a_wrong_password_on_account_delete_counts_like_one_on_login():
    c, phone = Client(), fresh_phone()
    t = signup(Client(), phone)
    for _ in range(3):
        expect(c.post("account/delete", {"password": "not the password"}, headers=bearer(t["access_token"])),
               401, "password_incorrect")
    check(wait_for(lambda: audited(phone, "password") == 3), "the failures were not audited")
    # blocked (the address and the number), even with the right password
    r = expect(c.post("account/delete", {"password": PASSWORD}, headers=bearer(t["access_token"])), 429,
               "too_many_attempts")
    check(r["retry_after"] > 0, r)
    expect(Client().post("account/delete", {"password": PASSWORD}, headers=bearer(t["access_token"])), 429,
           "too_many_attempts")
    check(user_row(phone) is not None, "deleted")
    body = expect(c.post("account/delete", {}, headers=bearer(t["access_token"])), 429)
    check(body["error"] == "too_many_attempts", body)


@test
def account_delete_wants_a_password_and_refuses_banned_accounts():
    from pa import admin
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    body = expect(c.post("account/delete", {}, headers=bearer(t["access_token"])), 400, "validation_failed")
    check(set(body["fields"]) == {"password"}, body)
    expect(c.post("account/delete", {"password": 12}, headers=bearer(t["access_token"])), 400,
           "validation_failed")
    check(admin("ban", phone).returncode == 0, "ban")
    # a banned account cannot delete itself away from its ban
    expect(c.post("account/delete", {"password": PASSWORD}, headers=bearer(t["access_token"])), 403,
           "user_banned")
    expect(c.get("sessions", headers=bearer(t["access_token"])), 403, "user_banned")
    check(user_row(phone) is not None, "a banned account was deleted")


@test
def sessions_in_flight_cannot_act_on_a_deleted_account_or_its_successor():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    old = user_row(phone)["id"]
    # a login session (waiting for the password) and a reset that has proved the phone
    login_sid = register(Client(), phone)["session_id"]
    reset = Client()
    reset_sid = expect(reset.post("password-reset", {"mobile_number": phone}), 200)["session_id"]
    expect(reset.post("verify-otp", {"session_id": reset_sid, "code": latest_code(phone, "reset")}), 200)
    expect(c.post("account/delete", {"password": PASSWORD}, headers=bearer(t["access_token"])), 200)
    # the number signs up afresh meanwhile
    signup(Client(), phone, password="the new owner's password")
    new = user_row(phone)
    check(new["id"] != old, "the same id")
    expect(Client().post("login", {"session_id": login_sid, "password": PASSWORD}), 400, "session_invalid")
    expect(reset.post("set-password", {"session_id": reset_sid, "password": "a reset password 1"}), 400,
           "session_invalid")
    check(user_row(phone)["password"] == new["password"], "an old session changed the new account")
    login(Client(), phone, password="the new owner's password")


@test
def a_deleted_account_cannot_be_resurrected_by_an_unfinished_reset():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    reset = Client()
    reset_sid = expect(reset.post("password-reset", {"mobile_number": phone}), 200)["session_id"]
    code = latest_code(phone, "reset")
    expect(c.post("account/delete", {"password": PASSWORD}, headers=bearer(t["access_token"])), 200)
    # the code proves the phone, but of an account that is gone: no row comes back
    expect(reset.post("verify-otp", {"session_id": reset_sid, "code": code}), 400, "session_invalid")
    check(user_row(phone) is None, "a deleted account came back")


# ---- POST phone/change ----


@test
def phone_change_moves_the_account_once_the_new_number_proves_itself():
    c, old, new = Client(), fresh_phone(), fresh_phone()
    t = signup(c, old)
    uid = user_row(old)["id"]
    expect(c.post("register", {"mobile_number": old}), 200)          # cached
    body = expect(change(c, t["access_token"], new), 200)
    check(set(body) == {"session_id", "next_step", "message"} and body["next_step"] == "otp", body)
    sent = outbox_entries(new)
    check(len(sent) == 1 and sent[0]["purpose"] == "change", sent)
    check(outbox_entries(old) and all(e["purpose"] != "change" for e in outbox_entries(old)), "code to the old number")
    check(user_row(old)["id"] == uid and user_row(new) is None, "moved before the code")
    body = expect(c.post("verify-otp", {"session_id": body["session_id"], "code": sent[0]["code"]}), 200)
    check(body["mobile_number"] == new and set(body) == {"mobile_number", "message"}, body)
    check(user_row(new)["id"] == uid and user_row(old) is None, "not moved")
    check(expect(c.get("me", headers=bearer(t["access_token"])), 200)["mobile_number"] == new, "me")
    # caches and the index of both numbers follow
    check(cached(old) is None and not indexed(old) and indexed(new), "Redis did not follow")
    check(register(Client(), new)["next_step"] == "password", "the new number has no account")
    check(register(Client(), old)["next_step"] == "otp", "the old number still has one")
    login(Client(), new)
    expect(Client().post("login", {"mobile_number": old, "password": PASSWORD}), 401, "password_incorrect")
    # the logins of the account go on
    expect(refresh(c, t["refresh_token"]), 200)


@test
def phone_change_to_a_number_with_an_account_is_phone_taken():
    c, mine, theirs = Client(), fresh_phone(), fresh_phone()
    t = signup(c, mine)
    signup(Client(), theirs)
    before = len(outbox_entries(theirs))
    r = expect(change(c, t["access_token"], theirs), 409, "phone_taken")
    check(set(r) == {"error", "message"}, r)
    fa = Client(ip=c.ip, lang="fa")
    r = expect(change(fa, t["access_token"], theirs), 409, "phone_taken")
    check(r["message"] and not r["message"].isascii(), r)
    expect(change(c, t["access_token"], mine), 409, "phone_taken")  # its own number has an account too
    check(len(outbox_entries(theirs)) == before, "a code went to a number with an account")
    check(user_row(mine) is not None, "moved")
    # each was a failure: the third blocked the address (and the account's number)
    expect(change(c, t["access_token"], fresh_phone()), 429, "too_many_attempts")


@test
def probing_taken_numbers_with_phone_change_blocks_the_prober():
    """Whether a number has an account is worth knowing: phone/change to a
    taken number is a failure, counted against the client and the
    account's own number (audited as phone_taken), so that after
    max_failed_attempts (3) probes the prober is blocked, from any address,
    whatever the numbers probed; those numbers are not blocked."""
    c, mine = Client(), fresh_phone()
    t = signup(c, mine)
    taken = [fresh_phone() for _ in range(4)]
    for phone in taken:
        signup(Client(), phone)
    for phone in taken[:3]:
        expect(change(c, t["access_token"], phone), 409, "phone_taken")
    r = expect(change(c, t["access_token"], taken[3]), 429, "too_many_attempts")
    check(r["retry_after"] > 0, r)
    check(wait_for(lambda: audited(mine, "phone_taken") == 3), "%d probes audited, not 3" % audited(mine, "phone_taken"))
    check(psql("SELECT count(*) FROM failed_attempts WHERE kind = 'phone_taken' AND ip = :'ip'", ip=c.ip)
          == [["3"]], "the probes were not audited against the client")
    # another address of the same account: blocked too (the account's number)
    expect(change(Client(), t["access_token"], taken[3]), 429, "too_many_attempts")
    expect(change(Client(), t["access_token"], fresh_phone()), 429, "too_many_attempts")
    # the numbers probed are not blocked: their owners log in
    for phone in taken:
        login(Client(), phone)


@test
def phone_change_wants_the_password_and_counts_a_wrong_one():
    c, phone, new = Client(), fresh_phone(), fresh_phone()
    t = signup(c, phone)
    expect(change(c, t["access_token"], new, password="not the password"), 401, "password_incorrect")
    check(outbox_entries(new) == [], "a code was sent for a wrong password")
    check(wait_for(lambda: audited(phone, "password") == 1), "not audited against the account's number")
    body = expect(c.post("phone/change", {"mobile_number": "12"}, headers=bearer(t["access_token"])), 400,
                  "validation_failed")
    check(set(body["fields"]) == {"mobile_number", "password"}, body)
    for _ in range(2):
        expect(change(Client(), t["access_token"], new, password="not the password"), 401)
    # the account's number is blocked now
    expect(change(Client(), t["access_token"], new), 429, "too_many_attempts")


@test
def phone_change_obeys_the_blocks_of_the_new_number():
    c, phone, new = Client(), fresh_phone(), fresh_phone()
    t = signup(c, phone)
    for _ in range(3):       # three failures against the new number block it
        expect(Client().post("login", {"mobile_number": new, "password": "not the password"}), 401)
    expect(change(c, t["access_token"], new), 429, "too_many_attempts")
    check(outbox_entries(new) == [], "a code went to a blocked number")
    # the right password was given back: the account's own number is not counted
    expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD}), 200)


@test
def wrong_codes_on_a_change_session_count_against_the_new_number():
    new = fresh_phone()
    c, phone, t, sid = change_under_way(new)
    code = latest_code(new)
    wrong = "%06d" % ((int(code) + 1) % 1000000)
    for _ in range(2):
        expect(Client().post("verify-otp", {"session_id": sid, "code": wrong}), 400, "otp_invalid")
    check(wait_for(lambda: audited(new, "code") == 2), "wrong codes not audited against the new number")
    expect(Client().post("verify-otp", {"session_id": sid, "code": code}), 200)
    check(user_row(new) is not None, "not moved")


@test
def two_accounts_changing_to_one_number_at_once_one_wins_the_other_is_phone_taken():
    for _ in range(3):
        target = fresh_phone()
        racers = []
        for _ in range(2):
            c, phone, t, sid = change_under_way(target)
            racers.append((c, phone, sid, latest_code(target)))
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda r: r[0].post("verify-otp", {"session_id": r[2], "code": r[3]}),
                                    racers))
        statuses = sorted((r.status, (r.json or {}).get("error")) for r in results)
        check(statuses == [(200, None), (409, "phone_taken")], statuses)
        winner = [racer for racer, r in zip(racers, results) if r.status == 200][0]
        loser = [racer for racer, r in zip(racers, results) if r.status != 200][0]
        check(user_row(target) is not None and user_row(winner[1]) is None, "the winner did not move")
        check(user_row(loser[1]) is not None, "the loser lost its number")
        check(indexed(target) and indexed(loser[1]) and not indexed(winner[1]), "the index")
        # the loser's session is over
        expect(loser[0].post("verify-otp", {"session_id": loser[2], "code": loser[3]}), 400, "session_invalid")


@test
def a_number_signed_up_while_its_change_code_was_out_is_phone_taken():
    target = fresh_phone()
    c, phone, t, sid = change_under_way(target)
    code = latest_code(target)
    verified = Client()
    reg = register(verified, target)["session_id"]      # the number proves itself first: it gets its row
    expect(verified.post("verify-otp", {"session_id": reg, "code": latest_code(target, "register")}), 200)
    expect(c.post("verify-otp", {"session_id": sid, "code": code}), 409, "phone_taken")
    check(user_row(phone) is not None, "the account lost its number")


@test
def sessions_of_the_old_number_cannot_act_on_the_moved_account():
    c, old, new = Client(), fresh_phone(), fresh_phone()
    t = signup(c, old)
    login_sid = register(Client(), old)["session_id"]
    reset = Client()
    reset_sid = expect(reset.post("password-reset", {"mobile_number": old}), 200)["session_id"]
    expect(reset.post("verify-otp", {"session_id": reset_sid, "code": latest_code(old, "reset")}), 200)
    sid = expect(change(c, t["access_token"], new), 200)["session_id"]
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(new)}), 200)
    hashed = user_row(new)["password"]
    expect(Client().post("login", {"session_id": login_sid, "password": PASSWORD}), 400, "session_invalid")
    expect(reset.post("set-password", {"session_id": reset_sid, "password": "a reset password 1"}), 400,
           "session_invalid")
    check(user_row(new)["password"] == hashed, "a session of the old number reset the password")


@test
def a_change_session_of_a_deleted_account_moves_nothing():
    new = fresh_phone()
    c, phone, t, sid = change_under_way(new)
    code = latest_code(new)
    expect(c.post("account/delete", {"password": PASSWORD}, headers=bearer(t["access_token"])), 200)
    expect(c.post("verify-otp", {"session_id": sid, "code": code}), 400, "session_invalid")
    check(user_row(new) is None and user_row(phone) is None, "an account came back")
    check(not indexed(new), "the new number was indexed")


@test
def phone_change_codes_count_against_the_client_hourly_cap():
    """An account holder cannot send codes to number after number: the
    per-client hourly cap (otp_max_per_ip_hour, 10 here) holds for phone/change
    as for register, and the code past it is 429 otp_rate_limited, not sent."""
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)          # the client's first code
    for _ in range(9):
        expect(c.post("phone/change", {"mobile_number": fresh_phone(), "password": PASSWORD},
                      headers=bearer(t["access_token"])), 200)
    past = fresh_phone()
    r = expect(c.post("phone/change", {"mobile_number": past, "password": PASSWORD},
                      headers=bearer(t["access_token"])), 429, "otp_rate_limited")
    check(r["retry_after"] >= 1, r)
    check(outbox_entries(past) == [], "a code past the cap was queued")


# ---- odd input ----


@test
def odd_bodies_on_the_account_routes_get_json_answers_and_change_nothing():
    phone = fresh_phone()
    t = signup(Client(), phone)
    auth = bearer(t["access_token"])
    odd = [None, True, 12, 1e308, [], {}, ["x"], {"a": 1}, "", "\u0000x", "\u202e\u0645" * 40,
           "\ud83d\ude00" * 10, "\u06f0\u06f9\u06f1\u06f2" * 3]
    answers = []
    # (first: the first logout-all ends the login, and its token with it)
    for sid in ("a" * 4000, "..", "../sessions", "0" * 31 + "g", "0" * 33, "%30" * 32, ";", "x/y/z"):
        r = Client().request("DELETE", "sessions/" + sid, headers=auth)
        expect(r, 404, "not_found")
        answers.append(("DELETE sessions/", sid, r))
    for route in ("account/delete", "phone/change", "logout-all"):
        for v in odd:
            answers.append((route, v, Client().post(route, {"password": v, "mobile_number": v}, headers=auth)))
        for raw in (b"[]", b'"x"', b'{"password": 1e400}', b'{"mobile_number": 09121234567}',
                    b'{"password": "x", "password": 5}'):
            answers.append((route, raw, Client().request("POST", route, raw,
                                                         dict(auth, **{"Content-Type": "application/json"}))))
        answers.append((route, "form", Client().post(route, form={"password": ["x", "y"]}, headers=auth)))
    for route, v, r in answers:
        check(r.status < 500 and isinstance(r.json, dict), (route, v, r))
        check(route == "logout-all" or r.status != 200, (route, v, r))
    # logout-all takes no field: it ended the login, and nothing else happened
    check(user_row(phone) is not None and user_row(phone)["id"] == jwt_decode(t["access_token"])[1]["user_id"],
          "the account was deleted or moved")


if __name__ == "__main__":
    run()
