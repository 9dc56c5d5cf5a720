"""GET sessions, DELETE sessions/<id> and POST logout-all (API.md,
"Accounts and their logins"): every login (a refresh-token family) is a
device its user can list and end; an access token is only as alive as its
login, on every account route.

Each test uses its own numbers and client addresses. What the service did
is read back from PostgreSQL (refresh_tokens, logins)."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

from pa import (PASSWORD, Client, Pool, bearer, check, expect, family_of, fresh_phone, jwt_decode, login,
                outbox_entries, refresh, run, signup, test, user_row)

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
LOGIN_KEYS = {"id", "created_at", "last_used_at", "ip", "user_agent", "current"}


def sessions(c, access):
    body = expect(c.get("sessions", headers=bearer(access)), 200)
    check(set(body) == {"sessions"} and isinstance(body["sessions"], list), body)
    for s in body["sessions"]:
        check(set(s) == LOGIN_KEYS, s)
    return body["sessions"]


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


# ---- what opens the account routes ----


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


if __name__ == "__main__":
    run()
