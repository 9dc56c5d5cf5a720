"""POST password/change (API.md, "Passwords"): a signed-in user changes the
password with the current one; every other login of the account ends, the
caller's stays. The new password follows the rules of set-password and is
checked first (a refused one costs no try); a wrong current password is
401 password_incorrect and counts as a failure, as on login.

Each test uses its own numbers and client addresses. What the service did
is read back from PostgreSQL (users, refresh_tokens)."""

from pa import (PASSWORD, Client, audited, bearer, blocked, check, cooldown_over, expect, family_of, fresh_phone,
                latest_code, login, psql, refresh, rotated, run, signup, test, user_row, wait_for)

NEW = "a brand new horse battery"


def change(c, access, password=PASSWORD, new_password=NEW):
    return c.post("password/change", {"password": password, "new_password": new_password},
                  headers=bearer(access))


def live_families(phone):
    return {row[0] for row in psql(
        "SELECT DISTINCT t.family FROM refresh_tokens t JOIN users u ON u.id = t.user_id"
        " WHERE u.mobile_number = :'p' AND t.revoked_at IS NULL AND t.spent_at IS NULL", p=phone)}


@test
def password_change_ends_the_other_logins_and_keeps_the_callers():
    c, phone = Client(), fresh_phone()
    mine = signup(c, phone)
    others = [login(Client(), phone), login(Client(), phone)]
    hash_before = user_row(phone)["password"]
    body = expect(change(c, mine["access_token"]), 200)
    check(set(body) == {"message"} and body["message"], body)
    check(live_families(phone) == {family_of(mine["refresh_token"])}, live_families(phone))
    for t in others:
        expect(refresh(Client(), t["refresh_token"]), 401, "token_invalid")
        expect(Client().get("me", headers=bearer(t["access_token"])), 401, "token_invalid")
    # the caller's login goes on: its access token, and its refresh token rotates
    expect(c.get("me", headers=bearer(mine["access_token"])), 200)
    pair = rotated(refresh(c, mine["refresh_token"]))
    expect(c.get("me", headers=bearer(pair["access"])), 200)
    # the new password is the password
    expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD}), 401, "password_incorrect")
    login(Client(), phone, NEW)
    check(user_row(phone)["password"] != hash_before, "the hash is the old one")


@test
def a_wrong_current_password_counts_like_one_on_login():
    c, phone = Client(), fresh_phone()
    t = signup(Client(), phone)
    other = login(Client(), phone)
    for _ in range(3):
        expect(change(c, t["access_token"], password="not the password"), 401, "password_incorrect")
    check(wait_for(lambda: audited(phone, "password") == 3), "the failures were not audited")
    blocked(change(c, t["access_token"]))
    blocked(change(Client(), t["access_token"]))      # the number is blocked too
    # nothing changed: the password, and the other login
    check(live_families(phone) >= {family_of(other["refresh_token"])}, "another login was ended")
    check(user_row(phone)["password"].startswith("pbkdf2_sha256$"), user_row(phone))
    rotated(refresh(Client(), other["refresh_token"]))


@test
def a_refused_new_password_is_checked_first_and_costs_no_try():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    before = user_row(phone)["password"]
    cases = ("password1", "Qwertyuiop", "short", "x" * 129, "my" + phone, phone[1:] + "pw", "")
    for new in cases:
        # a wrong current password is not even judged: no failure is counted
        body = expect(change(c, t["access_token"], password="not the password", new_password=new), 400,
                      "validation_failed")
        check(set(body["fields"]) == {"new_password"}, body)
    check(audited(phone, "password") == 0, "a refused new password cost a try")
    check(user_row(phone)["password"] == before, "the password changed")
    expect(change(c, t["access_token"]), 200)
    login(Client(), phone, NEW)


@test
def password_change_needs_a_live_login_and_both_fields():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    expect(c.post("password/change", {"password": PASSWORD, "new_password": NEW}), 401, "token_invalid")
    expect(change(c, t["refresh_token"]), 401, "token_invalid")       # not an access token
    body = expect(c.post("password/change", {"new_password": NEW}, headers=bearer(t["access_token"])), 400,
                  "validation_failed")
    check(set(body["fields"]) == {"password"}, body)
    body = expect(c.post("password/change", {"password": PASSWORD}, headers=bearer(t["access_token"])), 400,
                  "validation_failed")
    check(set(body["fields"]) == {"new_password"}, body)
    # a form body is a body too
    expect(c.post("password/change", form={"password": PASSWORD, "new_password": NEW},
                  headers=bearer(t["access_token"])), 200)
    # an ended login cannot change the password
    expect(c.post("logout", {"refresh": t["refresh_token"]}), 200)
    expect(change(c, t["access_token"], password=NEW, new_password="yet another horse"), 401, "token_invalid")
    login(Client(), phone, NEW)


@test
def a_reset_session_opened_before_a_change_is_void():
    """A session that proved the phone is void once the password changes
    by another way (API.md, the flow): a change is such a way."""
    phone = fresh_phone()
    signup(Client(), phone)
    c = Client()
    t = login(c, phone)
    r = Client()
    cooldown_over(phone)
    sid = expect(r.post("password-reset", {"mobile_number": phone}), 200)["session_id"]
    expect(r.post("verify-otp", {"session_id": sid, "code": latest_code(phone, "reset")}), 200)
    expect(change(c, t["access_token"]), 200)
    expect(r.post("set-password", {"session_id": sid, "password": "the attacker's own"}), 400,
           "session_invalid")
    login(Client(), phone, NEW)


if __name__ == "__main__":
    run()
