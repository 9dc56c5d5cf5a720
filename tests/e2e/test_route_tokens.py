"""POST token/refresh, token/verify, logout and GET me (API.md, "Tokens"):
rotation with reuse detection and its grace, verify, logout, me, and what
bans and ended logins leave of a token. (What a token is: test_jwt_*.py.)"""

import re
import time

import jwt as pyjwt      # Debian's python3-jwt: the tokens as any client library reads them

from pa import (PASSWORD, Client, Pool, admin, bearer, check, expect, family_of, fresh_phone, jwt_decode,
                jwt_key, latest_code, psql, refresh, rotated, run, signup, test, user_row, wait_for)


def claims_of(token):
    """The claims of one of the stack's tokens, its HS256 signature checked by PyJWT."""
    return pyjwt.decode(token, jwt_key(), algorithms=["HS256"])


def live_tokens(family):
    """The jtis of a family's tokens that can still be rotated (PostgreSQL)."""
    return [r[0] for r in psql("SELECT jti FROM refresh_tokens WHERE family = :'f' AND spent_at IS NULL"
                               " AND revoked_at IS NULL AND expires_at > now()", f=family)]


@test
def refresh_rotates_and_the_old_token_is_spent():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    new = rotated(refresh(c, t["refresh_token"]))
    check(new["refresh"] != t["refresh_token"] and new["access"] != t["access_token"], new)
    _, claims = jwt_decode(new["access"])
    check(claims["token_type"] == "access" and claims["user_id"] == user_row(phone)["id"], claims)
    _, claims = jwt_decode(new["refresh"])
    check(claims["token_type"] == "refresh", claims)
    # the next rotation works with the new token, by either field name and route
    newer = rotated(refresh(c, new["refresh"], field="refresh_token", route="refresh-token"))
    rotated(refresh(c, newer["refresh"], route="refresh-token/"))


@test
def a_spent_refresh_token_presented_again_after_the_grace_revokes_its_family():
    with Pool({"PHONEAUTH_REFRESH_GRACE": "0"}, "nograce") as url:
        owner, thief, phone = Client(base_url=url), Client(base_url=url), fresh_phone()
        t = signup(owner, phone)
        stolen = t["refresh_token"]
        thief_pair = rotated(refresh(thief, stolen))      # the thief is first
        expect(refresh(owner, stolen), 401, "token_reused")  # the owner comes back
        # the thief's fresh token died with the family
        expect(refresh(thief, thief_pair["refresh"]), 401, "token_invalid")
        expect(Client(base_url=url).post("token/verify", {"token": thief_pair["refresh"]}), 401,
               "token_invalid")
        # another login of the same account is a family of its own
        other = expect(Client(base_url=url).post("login", {"mobile_number": phone,
                                                           "password": PASSWORD}), 200)
        rotated(refresh(Client(base_url=url), other["tokens"]["refresh_token"]))


@test
def parallel_refreshes_of_one_token_after_the_grace_let_one_through_at_most():
    from concurrent.futures import ThreadPoolExecutor
    with Pool({"PHONEAUTH_REFRESH_GRACE": "0"}, "nograce") as url:
        c, phone = Client(base_url=url), fresh_phone()
        t = signup(c, phone)
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda _: refresh(Client(base_url=url), t["refresh_token"]),
                                    range(8)))
        statuses = sorted(r.status for r in results)
        check(statuses.count(200) <= 1 and all(s in (200, 401) for s in statuses), statuses)
        live = [r for r in results if r.status == 200]
        # whoever won, the family is revoked by the reuse
        if live:
            expect(refresh(c, live[0].json["refresh"]), 401, "token_invalid")


@test
def inside_the_grace_a_spent_token_gets_the_pair_it_was_rotated_into_and_after_it_reuse_revokes():
    """A refresh token replayed within refresh_grace gets the refresh token
    it was rotated into, the same jti each time (a second tab ends up on the
    first one's branch), never a new branch: the family keeps one live
    token. After the grace, reuse revokes the family."""
    with Pool({"PHONEAUTH_REFRESH_GRACE": "3"}, "grace3") as url:
        c, phone = Client(base_url=url), fresh_phone()
        t = signup(c, phone)
        family = family_of(t["refresh_token"])
        first = rotated(refresh(c, t["refresh_token"]))
        successor = claims_of(first["refresh"])
        replays = [rotated(refresh(Client(base_url=url), t["refresh_token"])) for _ in range(5)]
        for again in replays:
            claims = claims_of(again["refresh"])
            check(claims == successor, "a replay got another refresh token: %r, not %r" % (claims, successor))
            # HS256: the same claims signed again are the same bytes
            check(again["refresh"] == first["refresh"], "the same claims, other bytes")
            # a new access token of the same login
            access = claims_of(again["access"])
            check(access["sid"] == family and access["user_id"] == successor["user_id"], access)
        check(live_tokens(family) == [successor["jti"]], "the replays forked the login: %r" % live_tokens(family))
        check(psql("SELECT count(*) FROM refresh_tokens WHERE family = :'f'", f=family) == [["2"]],
              "the replays added tokens")
        # the one branch goes on, and the second tab is on it
        later = rotated(refresh(c, replays[-1]["refresh"]))
        check(live_tokens(family) == [claims_of(later["refresh"])["jti"]], live_tokens(family))
        # past the grace (a time, nothing to poll), the first token is reuse:
        # the family is revoked, the live branch with it
        time.sleep(3.5)
        expect(refresh(c, t["refresh_token"]), 401, "token_reused")
        check(live_tokens(family) == [], "the family outlived the reuse")
        check(psql("SELECT count(*) FROM refresh_tokens WHERE family = :'f' AND revoked_at IS NULL", f=family)
              == [["0"]], "tokens of the family left unrevoked")
        expect(refresh(c, later["refresh"]), 401, "token_invalid")


@test
def parallel_refreshes_of_one_token_inside_the_grace_all_get_the_one_successor():
    """Eight refreshes of one token at the same moment: all succeed, all get
    the same refresh token (no race makes two), and the login has one live
    token."""
    from concurrent.futures import ThreadPoolExecutor
    c, phone = Client(), fresh_phone()      # the stack's own grace: the default, 10 s
    t = signup(c, phone)
    family = family_of(t["refresh_token"])
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: refresh(Client(), t["refresh_token"]), range(8)))
    check(all(r.status == 200 for r in results), sorted(r.status for r in results))
    jtis = {claims_of(r.json["refresh"])["jti"] for r in results}
    check(len(jtis) == 1, "%d refresh tokens for one: %r" % (len(jtis), jtis))
    check(live_tokens(family) == list(jtis), (live_tokens(family), jtis))
    uid = user_row(phone)["id"]
    check(psql("SELECT count(DISTINCT family) FROM refresh_tokens WHERE user_id = :'u'",
               u=uid) == [["1"]], "more than one family")
    # the one successor rotates once; the tabs that come later with it are
    # inside its own grace and end up on the same branch again
    with ThreadPoolExecutor(4) as pool:
        nexts = list(pool.map(lambda r: refresh(Client(), r.json["refresh"]), results[:4]))
    check(all(r.status == 200 for r in nexts), sorted(r.status for r in nexts))
    check(len({claims_of(r.json["refresh"])["jti"] for r in nexts}) == 1, "the second rotation forked")
    check(len(live_tokens(family)) == 1, live_tokens(family))


@test
def refresh_refuses_what_is_not_a_live_refresh_token():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    expect(refresh(c, t["access_token"]), 401, "token_invalid")   # access used as refresh
    expect(refresh(c, "garbage"), 401, "token_invalid")
    expect(refresh(c, t["refresh_token"][:-3] + "AAA"), 401, "token_invalid")
    body = expect(c.post("token/refresh", {}), 400, "validation_failed")
    check("refresh" in body["fields"], body)
    expect(c.post("token/refresh", {"refresh": 12}), 400, "validation_failed")


@test
def a_login_once_ended_gets_no_fresh_pair_inside_the_grace():
    """Inside refresh_grace a rotated token presented again gets a fresh pair
    of its login; not once the login is ended, however it was ended
    (DELETE sessions/<id>, logout, logout-all, a password reset,
    account/delete): both the rotated token and its successor are dead."""
    for how in ("delete", "logout", "logout-all", "reset", "account"):
        c, phone = Client(), fresh_phone()
        t = signup(c, phone)
        new = expect(c.post("token/refresh", {"refresh": t["refresh_token"]}), 200)
        auth = bearer(new["access"])
        if how == "delete":
            expect(c.request("DELETE", "sessions/" + family_of(t["refresh_token"]), headers=auth), 200)
        elif how == "logout":
            expect(c.post("logout", {"refresh": new["refresh"]}), 200)
        elif how == "logout-all":
            expect(c.post("logout-all", headers=auth), 200)
        elif how == "reset":
            sid = expect(c.post("password-reset", {"mobile_number": phone}), 200)["session_id"]
            expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone, "reset")}), 200)
            expect(c.post("set-password", {"session_id": sid, "password": "another horse battery"}), 200)
        else:
            expect(c.post("account/delete", {"password": PASSWORD}, headers=auth), 200)
        for tok in (t["refresh_token"], new["refresh"]):
            r = Client().post("token/refresh", {"refresh": tok})
            check(r.status == 401 and r.json["error"] in ("token_invalid", "token_reused"), (how, r))
            expect(Client().post("token/verify", {"token": tok}), 401, "token_invalid")


@test
def verify_accepts_live_tokens_only():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    check(expect(c.post("token/verify", {"token": t["access_token"]}), 200) == {}, "body")
    expect(c.post("token/verify", {"token": t["refresh_token"]}), 200)
    rotated(refresh(c, t["refresh_token"]))
    expect(c.post("token/verify", {"token": t["refresh_token"]}), 401, "token_invalid")  # spent
    expect(c.post("token/verify", {"token": t["access_token"]}), 200)  # still within its 300 s
    r = c.post("token/verify", {"token": "x.y.z"})
    expect(r, 401, "token_invalid")
    check(r.header("WWW-Authenticate") is not None, r.headers)
    expect(c.post("token/verify", {}), 400, "validation_failed")


@test
def verify_refuses_the_tokens_of_a_deleted_or_banned_account_and_of_an_ended_login():
    """token/verify answers for the account and the login, not only the
    signature: the access and refresh tokens of a deleted account, of a
    banned one (by the administrator, or marked banned with its logins left
    as they were) and the access token of an ended login are 401
    token_invalid."""
    def verify(token):
        return Client().post("token/verify", {"token": token})

    deleted, banned, marked, ended = (fresh_phone() for _ in range(4))
    tokens = {phone: signup(Client(), phone) for phone in (deleted, banned, marked, ended)}
    for t in tokens.values():                   # the control: all good to begin with
        expect(verify(t["access_token"]), 200)
        expect(verify(t["refresh_token"]), 200)
    expect(Client().post("account/delete", {"password": PASSWORD},
                         headers={"Authorization": "Bearer " + tokens[deleted]["access_token"]}), 200)
    check(admin("ban", banned).returncode == 0, "ban")
    psql("UPDATE users SET is_banned = true WHERE mobile_number = :'p'", p=marked)
    expect(Client().post("logout", {"refresh": tokens[ended]["refresh_token"]}), 200)
    for phone, t in tokens.items():
        for kind in ("access_token", "refresh_token"):
            r = verify(t[kind])
            check(r.status == 401 and r.json["error"] == "token_invalid", (phone, kind, r))
            check(r.header("WWW-Authenticate") is not None, r.headers)
    # unbanned (the row as it was), the marked account's tokens are good again
    psql("UPDATE users SET is_banned = false WHERE mobile_number = :'p'", p=marked)
    expect(verify(tokens[marked]["access_token"]), 200)
    expect(verify(tokens[marked]["refresh_token"]), 200)


@test
def logout_revokes_the_family():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    pair = rotated(refresh(c, t["refresh_token"]))
    body = expect(c.post("logout", {"refresh": pair["refresh"]}), 200)
    check(isinstance(body.get("message"), str) and body["message"], body)
    expect(refresh(c, pair["refresh"]), 401, "token_invalid")
    expect(c.post("token/verify", {"token": pair["refresh"]}), 401, "token_invalid")
    expect(c.post("logout", {"refresh": t["access_token"]}), 401, "token_invalid")
    expect(c.post("logout", {"refresh_token": "nonsense"}), 401, "token_invalid")
    # the account can log in again
    expect(c.post("login", {"mobile_number": phone, "password": PASSWORD}), 200)


@test
def me_shows_the_account_to_its_access_token():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone, email="me.%s@example.com" % phone)
    r = c.get("me", headers={"Authorization": "Bearer " + t["access_token"]})
    body = expect(r, 200)
    check(set(body) == {"id", "mobile_number", "email", "first_name", "last_name", "is_verified",
                        "date_joined", "last_login", "mfa"}, body)
    check(body["mfa"] == {"totp": False, "passkeys": 0, "recovery_codes_left": 0}, body)
    check(body["id"] == user_row(phone)["id"] and body["mobile_number"] == phone, body)
    check(body["email"] == "me.%s@example.com" % phone and body["first_name"] == "Sara", body)
    check(body["is_verified"] is True, body)
    iso = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"
    check(re.fullmatch(iso, body["date_joined"]) and re.fullmatch(iso, body["last_login"]), body)
    expect(c.get("me"), 401, "token_invalid")
    expect(c.get("me", headers={"Authorization": "Bearer " + t["refresh_token"]}), 401, "token_invalid")
    expect(c.get("me", headers={"Authorization": "Basic " + t["access_token"]}), 401, "token_invalid")
    expect(c.get("me", headers={"Authorization": "bearer  " + t["access_token"]}), 200)
    expect(c.post("me", {}), 405, "method_not_allowed")


@test
def banned_accounts_refresh_nothing_and_unban_restores():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    other = expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD}), 200)["tokens"]
    r = admin("ban", "+98" + phone[1:])
    check(r.returncode == 0 and phone in r.stdout, r.stdout + r.stderr)
    expect(refresh(c, t["refresh_token"]), 401, "token_invalid")  # revoked by the ban
    expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD}), 403, "user_banned")
    expect(Client().post("register", {"mobile_number": phone}), 403, "user_banned")
    expect(c.get("me", headers={"Authorization": "Bearer " + other["access_token"]}), 403, "user_banned")
    r = admin("unban", phone)
    check(r.returncode == 0, r.stderr)
    expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD}), 200)
    check(admin("ban", fresh_phone()).returncode == 1, "banning a number without an account")
    check(admin("ban", "12").returncode == 2, "banning an invalid number")


@test
def a_ban_between_login_and_refresh_is_user_banned():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    psql("UPDATE users SET is_banned = true WHERE mobile_number = :'p'", p=phone)  # no revocation
    expect(refresh(c, t["refresh_token"]), 403, "user_banned")


@test
def expired_tokens_are_refused():
    # Lifetimes of whole seconds from an iat of whole seconds: a token of 5 s
    # may have only 4 left when the login answers, and a login is slow on a
    # busy machine (PBKDF2 under ASan), so less would make this test flaky.
    with Pool({"PHONEAUTH_ACCESS_TTL": "5", "PHONEAUTH_REFRESH_TTL": "6"}, "shortttl") as url:
        c, phone = Client(base_url=url), fresh_phone()
        signup(Client(), phone)
        # the tokens of one login, asked about at once: good (a slow sign-up
        # on a busy machine would eat the short lifetimes)
        t = expect(c.post("login", {"mobile_number": phone, "password": PASSWORD}), 200)["tokens"]
        check(t["expires_in"] == 5, t)
        expect(c.post("token/verify", {"token": t["access_token"]}), 200)
        expect(c.post("token/verify", {"token": t["refresh_token"]}), 200)
        # token/verify, asked until it refuses (a refused token is no failure that counts)
        for token in (t["access_token"], t["refresh_token"]):
            check(wait_for(lambda: c.post("token/verify", {"token": token}).status == 401, 10),
                  "a token outlived its lifetime by 10 s")
        expect(c.post("token/verify", {"token": t["access_token"]}), 401, "token_invalid")
        expect(c.get("me", headers={"Authorization": "Bearer " + t["access_token"]}), 401, "token_invalid")
        expect(refresh(c, t["refresh_token"]), 401, "token_invalid")


# ---- login_max_age: a login ends, however often it rotates ----


def account_row(phone):
    """What else of the account an ended login must leave as it was."""
    return psql("SELECT id, password, credentials_version, is_banned, is_active, last_login"
                " FROM users WHERE mobile_number = :'p'", p=phone)


@test
def a_login_past_login_max_age_cannot_refresh_and_rotation_did_not_extend_it():
    with Pool({"PHONEAUTH_LOGIN_MAX_AGE": "5"}, "login-age5") as url:
        c, phone = Client(base_url=url), fresh_phone()
        t = signup(c, phone)
        began = time.time()
        family = family_of(t["refresh_token"])
        second = expect(Client(base_url=url).post(
            "login", {"mobile_number": phone, "password": PASSWORD}), 200)["tokens"]
        second_began = time.time()      # after its row was written
        # rotations every second: each would start a new refresh_ttl
        token = t["refresh_token"]
        while time.time() - began < 3:
            token = rotated(refresh(c, token))["refresh"]
            time.sleep(1)
        account = account_row(phone)
        # past login_max_age of the sign-in (a time, nothing to poll), though
        # the last rotation is younger than that
        time.sleep(max(0, began + 5.5 - time.time()))
        expect(c.post("token/verify", {"token": token}), 401, "token_invalid")
        expect(refresh(c, token), 401, "token_invalid")
        # the family is ended, and nothing else of the account changed
        check(live_tokens(family) == [], "the login outlived login_max_age")
        check(psql("SELECT count(*) FROM refresh_tokens WHERE family = :'f' AND revoked_at IS NULL", f=family)
              == [["0"]], "tokens of the login left unrevoked")
        check(account_row(phone) == account, "the account changed: %r, %r" % (account, account_row(phone)))
        expect(refresh(c, token), 401, "token_invalid")
        # a new sign-in is a new login, with an age of its own
        fresh = expect(c.post("login", {"mobile_number": phone, "password": PASSWORD}), 200)["tokens"]
        rotated(refresh(c, fresh["refresh_token"]))
        # the login by password made next to the first one ends as it did
        time.sleep(max(0, second_began + 5.5 - time.time()))
        expect(refresh(c, second["refresh_token"]), 401, "token_invalid")


@test
def a_login_older_than_login_max_age_at_upgrade_ends_at_its_next_refresh():
    """A login that began before login_max_age existed (31 days ago) ends
    at its next refresh on the stack's default of 30 days; a younger one
    (29 days) refreshes as before; GET sessions never lists the old one."""
    c, phone = Client(), fresh_phone()
    old, young = signup(c, phone), expect(Client().post(
        "login", {"mobile_number": phone, "password": PASSWORD}), 200)["tokens"]
    for t, days in ((old, 31), (young, 29)):
        psql("UPDATE logins SET created_at = now() - make_interval(days => :'d'::int) WHERE family = :'f'",
             d=days, f=family_of(t["refresh_token"]))
    account = account_row(phone)
    # GET sessions lists only the login that can still refresh
    listed = expect(c.get("sessions", headers=bearer(young["access_token"])), 200)["sessions"]
    check([s["id"] for s in listed] == [family_of(young["refresh_token"])], listed)
    expect(refresh(c, old["refresh_token"]), 401, "token_invalid")
    check(live_tokens(family_of(old["refresh_token"])) == [], "the old login is still live")
    rotated(refresh(c, young["refresh_token"]))
    check(account_row(phone) == account, "the account changed")


if __name__ == "__main__":
    run()
