"""Accounts and their logins: every login (a refresh-token family) is a
device its user can list and end (GET sessions, DELETE sessions/<id>, POST
logout-all), and the account itself can be deleted (account/delete) or moved
to another number (phone/change, proved with a code sent to that number).

Each test uses its own numbers and client addresses. What the service did
is read back from PostgreSQL (users, refresh_tokens, logins) and Redis (the
cached account state, the account index, the outbox)."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

from pa import (REDIS_PREFIX, Client, Pool, check, expect, fresh_phone, jwt_decode, latest_code,
                outbox_entries, psql, redis_command, register, run, signup, test, user_row, wait_for)

PASSWORD = "correct horse battery"
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
LOGIN_KEYS = {"id", "created_at", "last_used_at", "ip", "user_agent", "current"}


def bearer(token, **more):
    return dict({"Authorization": "Bearer " + token}, **more)


def login(c, phone, password=PASSWORD, agent=None):
    headers = {"User-Agent": agent} if agent else None
    return expect(c.post("login", {"mobile_number": phone, "password": password}, headers=headers),
                  200)["tokens"]


def sessions(c, access):
    body = expect(c.get("sessions", headers=bearer(access)), 200)
    check(set(body) == {"sessions"} and isinstance(body["sessions"], list), body)
    for s in body["sessions"]:
        check(set(s) == LOGIN_KEYS, s)
    return body["sessions"]


def family_of(refresh_token):
    _, claims = jwt_decode(refresh_token)
    rows = psql("SELECT family FROM refresh_tokens WHERE jti = :'j'", j=claims["jti"])
    return rows[0][0] if rows else None


def refresh(c, token):
    return c.post("token/refresh", {"refresh": token})


def cached(phone):
    """The account state register caches for `phone` (prelude.lua KEY.account)."""
    return redis_command("GET", REDIS_PREFIX + "u:" + phone)


def indexed(phone):
    """Whether the account index (accounts.lua) has `phone`."""
    return redis_command("SISMEMBER", REDIS_PREFIX + "a:" + phone[:-5], str(int(phone[-5:]))) == 1


def audited(phone, kind):
    return int(psql("SELECT count(*) FROM failed_attempts WHERE mobile_number = :'p' AND kind = :'k'",
                    p=phone, k=kind)[0][0])


def change(c, access, phone, password=PASSWORD):
    return c.post("phone/change", {"mobile_number": phone, "password": password},
                  headers=bearer(access))


# ---- GET sessions, DELETE sessions/<id>, POST logout-all ----

@test
def sessions_lists_the_live_logins_newest_first_with_where_they_began():
    first, second, phone = Client(), Client(), fresh_phone()
    t1 = signup(first, phone)
    time.sleep(0.01)
    # bytes a User-Agent may hold that are not printable ASCII are kept as '?'
    t2 = login(second, phone, agent="TestPhone/1.0 (caf\xe9)")
    listed = sessions(second, t2["access_token"])
    check([s["id"] for s in listed] == [family_of(t2["refresh_token"]), family_of(t1["refresh_token"])],
          listed)
    newest, oldest = listed
    check(newest["current"] is True and oldest["current"] is False, listed)
    check(newest["ip"] == second.ip and oldest["ip"] == first.ip, listed)
    check(newest["user_agent"] == "TestPhone/1.0 (caf?)" and oldest["user_agent"] is None, listed)
    for s in listed:
        check(ISO.fullmatch(s["created_at"]) and ISO.fullmatch(s["last_used_at"]), s)
    check(oldest["created_at"] < newest["created_at"], listed)
    # the access token names its login: sid is the id listed
    check(jwt_decode(t1["access_token"])[1]["sid"] == oldest["id"], "sid of the first login")
    # the other login's token marks the other one
    check([s["current"] for s in sessions(first, t1["access_token"])] == [False, True], "current")


@test
def a_refresh_is_the_logins_last_use_and_keeps_its_id():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    [before] = sessions(c, t["access_token"])
    check(before["last_used_at"] == before["created_at"], before)
    time.sleep(0.01)
    new = expect(refresh(c, t["refresh_token"]), 200)
    check(jwt_decode(new["access"])[1]["sid"] == before["id"], "a rotation changed the sid")
    [after] = sessions(c, new["access"])
    check(after["id"] == before["id"] and after["created_at"] == before["created_at"], (before, after))
    check(after["last_used_at"] > before["last_used_at"] and after["current"], (before, after))


@test
def rotations_inside_the_grace_stay_in_the_login_and_move_its_last_use_once():
    """The stack's own grace (the default, 10 s): parallel refreshes of one
    token all succeed, inside one login, whose last use moves; a replay
    inside the grace gets the token the rotation made, and adds no use."""
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    [before] = sessions(c, t["access_token"])
    time.sleep(0.01)
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: refresh(Client(), t["refresh_token"]), range(6)))
    check(all(r.status == 200 for r in results), sorted(r.status for r in results))
    for r in results:
        check(jwt_decode(r.json["access"])[1]["sid"] == before["id"], "a fresh pair of another login")
    [after] = sessions(c, results[0].json["access"])
    check(after["id"] == before["id"] and after["last_used_at"] > before["last_used_at"], (before, after))
    # a spent token inside the grace gets the same token again: no new one, no new use
    time.sleep(0.01)
    again = expect(refresh(c, t["refresh_token"]), 200)
    check(again["refresh"] == results[0].json["refresh"], "a replay got a new refresh token")
    [later] = sessions(c, again["access"])
    check(later == after, (after, later))


@test
def parallel_reuse_after_the_grace_ends_the_login():
    """With no grace, parallel refreshes of one token let one through at
    most, the reuse revokes the family, and the login leaves the list."""
    with Pool({"PHONEAUTH_REFRESH_GRACE": "0"}, "nograce_logins", workers=2) as url:
        c, phone = Client(base_url=url), fresh_phone()
        t = signup(c, phone)
        keep = login(Client(base_url=url), phone)
        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(lambda _: refresh(Client(base_url=url), t["refresh_token"]), range(6)))
        statuses = sorted(r.status for r in results)
        check(statuses.count(200) <= 1 and all(s in (200, 401) for s in statuses), statuses)
        check("token_reused" in [(r.json or {}).get("error") for r in results], "no reuse was seen")
        listed = sessions(c, keep["access_token"])
        check([s["id"] for s in listed] == [family_of(keep["refresh_token"])], listed)


@test
def ended_logins_leave_the_list():
    c, phone = Client(), fresh_phone()
    t1 = signup(c, phone)
    t2 = login(c, phone)
    expect(c.post("logout", {"refresh": t2["refresh_token"]}), 200)
    check([s["id"] for s in sessions(c, t1["access_token"])] == [family_of(t1["refresh_token"])],
          "a logged-out login is still listed")
    # the access token of the ended login is as ended as its login
    expect(c.get("sessions", headers=bearer(t2["access_token"])), 401, "token_invalid")


@test
def deleting_a_session_ends_that_login_only():
    c, phone = Client(), fresh_phone()
    t1 = signup(c, phone)
    t2 = login(Client(), phone)
    other = family_of(t2["refresh_token"])
    body = expect(c.request("DELETE", "sessions/" + other, headers=bearer(t1["access_token"])), 200)
    check(set(body) == {"message"} and body["message"], body)
    expect(refresh(Client(), t2["refresh_token"]), 401, "token_invalid")
    check([s["id"] for s in sessions(c, t1["access_token"])] == [family_of(t1["refresh_token"])], "listed")
    # ended already: no such login
    expect(c.request("DELETE", "sessions/" + other, headers=bearer(t1["access_token"])), 404, "not_found")
    # the caller's own login ends the same way (with a trailing slash too)
    mine = family_of(t1["refresh_token"])
    expect(c.request("DELETE", "sessions/" + mine + "/", headers=bearer(t1["access_token"])), 200)
    expect(refresh(c, t1["refresh_token"]), 401, "token_invalid")


@test
def a_session_of_another_account_is_not_found():
    c, mine, theirs = Client(), fresh_phone(), fresh_phone()
    t = signup(c, mine)
    u = signup(Client(), theirs)
    for sid in (family_of(u["refresh_token"]), "0" * 32, "nope", "0123456789ABCDEF0123456789ABCDEF",
                family_of(u["refresh_token"]) + "/x"):
        r = c.request("DELETE", "sessions/" + sid, headers=bearer(t["access_token"]))
        expect(r, 404, "not_found")
    # theirs lives on
    expect(refresh(Client(), u["refresh_token"]), 200)


@test
def logout_all_ends_every_login_of_the_account():
    c, phone, other = Client(), fresh_phone(), fresh_phone()
    tokens = [signup(c, phone)] + [login(Client(), phone) for _ in range(2)]
    theirs = signup(Client(), other)
    check(len(sessions(c, tokens[0]["access_token"])) == 3, "three logins")
    body = expect(c.post("logout-all", headers=bearer(tokens[1]["access_token"])), 200)
    check(set(body) == {"message"}, body)
    for t in tokens:
        expect(refresh(Client(), t["refresh_token"]), 401, "token_invalid")
        expect(c.get("sessions", headers=bearer(t["access_token"])), 401, "token_invalid")
    again = login(Client(), phone)
    check([s["id"] for s in sessions(c, again["access_token"])] == [family_of(again["refresh_token"])],
          "logins left")
    expect(refresh(Client(), theirs["refresh_token"]), 200)     # another account is untouched


@test
def the_account_routes_want_a_valid_access_token():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    routes = [("GET", "sessions", None), ("DELETE", "sessions/" + "0" * 32, None),
              ("POST", "logout-all", {}), ("POST", "account/delete", {"password": PASSWORD}),
              ("POST", "phone/change", {"mobile_number": fresh_phone(), "password": PASSWORD})]
    for headers in ({}, bearer(t["refresh_token"]), bearer("garbage"), bearer(t["access_token"][:-2] + "xx"),
                    {"Authorization": t["access_token"]}):
        for method, route, body in routes:
            if body is None:
                r = c.request(method, route, headers=headers)
            else:
                r = c.post(route, body, headers=headers)
            expect(r, 401, "token_invalid")
            check(r.header("WWW-Authenticate") == 'Bearer error="invalid_token"', (route, r.headers))
    # and nothing happened
    check(len(sessions(c, t["access_token"])) == 1 and user_row(phone) is not None, "something happened")


@test
def an_ended_logins_access_token_opens_no_account_route_and_does_nothing():
    """An access token is only as alive as its login: once the owner ends
    the thief's login (DELETE sessions/<id>, logout-all, or a logout of its
    refresh token), the thief's access token, however long it has left, is
    401 token_invalid on every account route and on me, and nothing is done
    with it."""
    for how in ("delete", "logout-all", "logout"):
        phone, new = fresh_phone(), fresh_phone()
        thief = signup(Client(), phone)           # a login the owner did not make
        owner_c = Client()
        owner = login(owner_c, phone)
        if how == "delete":
            expect(owner_c.request("DELETE", "sessions/" + family_of(thief["refresh_token"]),
                                   headers=bearer(owner["access_token"])), 200)
        elif how == "logout-all":
            expect(owner_c.post("logout-all", headers=bearer(owner["access_token"])), 200)
            owner = login(owner_c, phone)       # and signs in again
        else:
            expect(owner_c.post("logout", {"refresh": thief["refresh_token"]}), 200)
        mine = family_of(owner["refresh_token"])
        t = Client()
        auth = bearer(thief["access_token"])
        answers = [t.get("me", headers=auth), t.get("sessions", headers=auth),
                   t.request("DELETE", "sessions/" + mine, headers=auth),
                   t.post("logout-all", headers=auth),
                   t.post("account/delete", {"password": PASSWORD}, headers=auth),
                   t.post("phone/change", {"mobile_number": new, "password": PASSWORD}, headers=auth)]
        for r in answers:
            expect(r, 401, "token_invalid")
            check(r.header("WWW-Authenticate") == 'Bearer error="invalid_token"', (how, r.headers))
        # nothing was done: the account, the owner's login, no code to the new number
        check(user_row(phone) is not None, "%s: the account was deleted" % how)
        check([s["id"] for s in sessions(owner_c, owner["access_token"])] == [mine], "%s: the owner's login" % how)
        check(outbox_entries(new) == [], "%s: a code went to the new number" % how)
        expect(refresh(owner_c, owner["refresh_token"]), 200)


@test
def an_access_token_without_sid_or_of_another_accounts_login_opens_no_account_route():
    """A token that names no login (no sid: issued before logins were named,
    or by another issuer with the key) cannot be proved alive, and a sid is
    only the login of its own account: both are refused where the login is
    checked; the authorizer, which judges the account only, lets them by."""
    from pa import jwt_forge, jwt_key
    c, phone, other = Client(), fresh_phone(), fresh_phone()
    t = signup(c, phone)
    theirs = signup(Client(), other)
    _, claims = jwt_decode(t["access_token"])
    no_sid = dict(claims)
    del no_sid["sid"]
    foreign = dict(claims, sid=jwt_decode(theirs["access_token"])[1]["sid"])
    for what, forged in (("no sid", no_sid), ("another account's sid", foreign)):
        token = jwt_forge({"alg": "HS256", "typ": "JWT"}, forged, jwt_key())
        for r in (c.get("me", headers=bearer(token)), c.get("sessions", headers=bearer(token)),
                  c.post("logout-all", headers=bearer(token)), c.post("token/verify", {"token": token})):
            check(r.status == 401 and (r.json or {}).get("error") == "token_invalid", (what, r))
        r = c.get("auth-check", headers=bearer(token))
        check(r.status == 204 and r.header("X-Phoneauth-Mobile") == phone, (what, r))
    # nothing ended; the genuine token (and the same claims signed here) go on
    expect(c.get("me", headers=bearer(jwt_forge({"alg": "HS256", "typ": "JWT"}, claims, jwt_key()))), 200)
    check(len(sessions(c, t["access_token"])) == 1, "a login was ended")
    expect(refresh(Client(), theirs["refresh_token"]), 200)


@test
def the_new_routes_have_their_methods_and_refuse_other_sites():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    sid = family_of(t["refresh_token"])
    r = expect(c.get("logout-all", headers=bearer(t["access_token"])), 405, "method_not_allowed")
    check(r and c.get("logout-all").header("Allow") == "POST, OPTIONS", "Allow")
    r = c.post("sessions/" + sid, {}, headers=bearer(t["access_token"]))
    expect(r, 405, "method_not_allowed")
    check(r.header("Allow") == "DELETE, OPTIONS", r.headers)
    r = c.request("DELETE", "sessions", headers=bearer(t["access_token"]))
    expect(r, 405, "method_not_allowed")
    check(r.header("Allow") == "GET, HEAD, OPTIONS", r.headers)
    r = c.request("OPTIONS", "sessions/" + sid)
    check(r.status == 204 and r.header("Allow") == "DELETE, OPTIONS", r)
    # a page of another site cannot make a browser end a login, or every one
    evil = {"Origin": "https://evil.example"}
    expect(c.request("DELETE", "sessions/" + sid, headers=bearer(t["access_token"], **evil)), 403,
           "origin_not_allowed")
    expect(c.request("DELETE", "sessions/" + sid, headers=bearer(t["access_token"], **{"Sec-Fetch-Site": "cross-site"})),
           403, "origin_not_allowed")
    expect(c.post("logout-all", {}, headers=bearer(t["access_token"], **evil)), 403, "origin_not_allowed")
    expect(c.post("account/delete", {"password": PASSWORD}, headers=bearer(t["access_token"], **evil)), 403,
           "origin_not_allowed")
    expect(refresh(c, t["refresh_token"]), 200)
    check(user_row(phone) is not None, "deleted from another site")
    # its own origin is no other site
    own = {"Origin": "http://%s:%d" % (c.base.hostname, c.base.port)}
    expect(c.request("DELETE", "sessions/" + sid, headers=bearer(t["access_token"], **own)), 200)


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
    c, phone, new = Client(), fresh_phone(), fresh_phone()
    t = signup(c, phone)
    sid = expect(change(c, t["access_token"], new), 200)["session_id"]
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
            c, phone = Client(), fresh_phone()
            t = signup(c, phone)
            sid = expect(change(c, t["access_token"], target), 200)["session_id"]
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
    c, phone, target = Client(), fresh_phone(), fresh_phone()
    t = signup(c, phone)
    sid = expect(change(c, t["access_token"], target), 200)["session_id"]
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
    c, phone, new = Client(), fresh_phone(), fresh_phone()
    t = signup(c, phone)
    sid = expect(change(c, t["access_token"], new), 200)["session_id"]
    code = latest_code(new)
    expect(c.post("account/delete", {"password": PASSWORD}, headers=bearer(t["access_token"])), 200)
    expect(c.post("verify-otp", {"session_id": sid, "code": code}), 400, "session_invalid")
    check(user_row(new) is None and user_row(phone) is None, "an account came back")
    check(not indexed(new), "the new number was indexed")


# ---- the sweep ----

@test
def logins_revoked_or_expired_a_day_ago_are_swept_with_their_tokens():
    c, phone = Client(), fresh_phone()
    live = signup(c, phone)
    revoked, expired = login(Client(), phone), login(Client(), phone)
    expect(c.post("logout", {"refresh": revoked["refresh_token"]}), 200)
    f_live, f_revoked, f_expired = (family_of(t["refresh_token"]) for t in (live, revoked, expired))
    psql("UPDATE refresh_tokens SET revoked_at = now() - interval '2 days' WHERE family = :'f'", f=f_revoked)
    psql("UPDATE refresh_tokens SET expires_at = now() - interval '2 days' WHERE family = :'f'", f=f_expired)

    def logins_left():
        return {r[0] for r in psql("SELECT family FROM logins WHERE family IN (:'a', :'b', :'c')",
                                   a=f_live, b=f_revoked, c=f_expired)}

    # A worker sweeps after every 1000 token pairs it issued: refreshes
    # chained by a few clients get every worker there.
    driver = fresh_phone()
    signup(Client(), driver)
    chains = [login(Client(), driver)["refresh_token"] for _ in range(4)]

    def drive(i):
        for _ in range(100):
            chains[i] = expect(refresh(Client(), chains[i]), 200)["refresh"]

    for _ in range(30):
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(drive, range(4)))
        if logins_left() == {f_live}:
            break
    check(logins_left() == {f_live}, logins_left())
    check(psql("SELECT count(*) FROM refresh_tokens WHERE family IN (:'b', :'c')", b=f_revoked, c=f_expired)
          == [["0"]], "their tokens are left")
    # the live login keeps its tokens (the spent and the live one) and works
    expect(refresh(c, live["refresh_token"]), 200)


# ---- the administration commands ----

@test
def admin_lists_the_logins_of_an_account_and_revokes_one_or_all():
    from pa import admin
    phone = fresh_phone()
    first = signup(Client(), phone)
    agent = Client()
    second = login(agent, phone, agent="AdminTest/2.0")
    out = admin("sessions", phone)
    check(out.returncode == 0, out.stderr)
    lines = out.stdout.splitlines()
    check(len(lines) == 2, out.stdout)
    f1, f2 = family_of(first["refresh_token"]), family_of(second["refresh_token"])
    check(lines[0].startswith(f2 + "  began ") and "ip " + agent.ip in lines[0] and
          lines[0].endswith("AdminTest/2.0"), lines[0])
    check(lines[1].startswith(f1 + "  began ") and " last used " in lines[1] and lines[1].endswith("  -"),
          lines[1])
    out = admin("revoke", phone, "--session", f2)
    check(out.returncode == 0 and f2 in out.stdout, (out.stdout, out.stderr))
    expect(refresh(Client(), second["refresh_token"]), 401, "token_invalid")
    out = admin("revoke", phone, "--session", f2)    # not live any more
    check(out.returncode == 1 and "no live login" in out.stderr, (out.stdout, out.stderr))
    login(Client(), phone)
    out = admin("revoke", phone)
    check(out.returncode == 0 and "2 live logins revoked" in out.stdout, (out.stdout, out.stderr))
    expect(refresh(Client(), first["refresh_token"]), 401, "token_invalid")
    out = admin("sessions", phone)
    check(out.returncode == 0 and "no live login" in out.stdout, out.stdout)
    # a number without an account, and wrong arguments
    out = admin("sessions", fresh_phone())
    check(out.returncode == 1 and "has no account" in out.stderr, out.stderr)
    check(admin("revoke", phone, "--sessions", f1).returncode == 2, "a wrong option was taken")
    check(admin("revoke").returncode == 2 and admin("sessions", "12").returncode == 2, "bad arguments taken")


@test
def admin_delete_deletes_an_account_as_account_delete_does():
    from pa import admin
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    expect(c.post("register", {"mobile_number": phone}), 200)      # cached
    check(admin("ban", phone).returncode == 0, "ban")   # an administrator deletes banned accounts too
    out = admin("delete", "+98" + phone[1:])            # any spelling of the number
    check(out.returncode == 0 and phone in out.stdout, (out.stdout, out.stderr))
    check(user_row(phone) is None and cached(phone) is None and not indexed(phone), "not deleted everywhere")
    expect(refresh(c, t["refresh_token"]), 401, "token_invalid")
    check(register(Client(), phone)["next_step"] == "otp", "the number cannot sign up afresh")
    out = admin("delete", phone)
    check(out.returncode == 1 and "has no account" in out.stderr, out.stderr)


if __name__ == "__main__":
    run()
