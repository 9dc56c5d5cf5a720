"""Passkeys (API.md, "Passkeys"): passkeys/register/options, passkeys/register,
GET passkeys, DELETE passkeys/<id>, passkeys/login/options and
passkeys/login, with a software authenticator of the tests' own
(tests/webauthn/authenticator.py: python3-cryptography keys, python3-cbor2
CBOR; nothing of phoneauth). Registration and sign-in with ES256, EdDSA and
RS256; every refusal of the verification list is 400 passkey_invalid,
counted against the client (and the account's number once the credential
names it) and changes nothing; the routes are 404 without passkey_rp_id;
the passkeys follow their account (deleted with it, kept by a phone
change); GET me's mfa.passkeys and an mfa step's methods count them.

The stack runs with passkey_rp_id = localhost and passkey_origins =
http://localhost:<port> (scripts/stack.sh). Each test uses its own numbers
and client addresses; what the service kept is read back from PostgreSQL
(passkeys, passkey_handles, logins, failed_attempts)."""

import os
import sys
import time

import pyotp

from pa import (PASSWORD, Client, Pool, admin, audited, bearer, blocked, check, check_tokens,
                config, expect, fresh_ip, fresh_phone, latest_code, psql, run, signup, test,
                totp_steady, wait_for)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "webauthn"))
from authenticator import Authenticator, b64, unb64  # noqa: E402

CONF = config()
RP_ID = CONF.get("passkey_rp_id", "localhost")
ORIGIN = CONF.get("passkey_origins", "http://localhost:8080").split(",")[0].strip()
ROUTES = [("POST", "passkeys/register/options"), ("POST", "passkeys/register"),
          ("GET", "passkeys"), ("DELETE", "passkeys/abc"), ("POST", "passkeys/login/options"),
          ("POST", "passkeys/login")]


def account(c=None):
    """A complete account: (client, number, access token)."""
    c = c or Client(ip=fresh_ip())
    phone = fresh_phone()
    return c, phone, signup(c, phone)["access_token"]


def register_options(c, access):
    body = expect(c.post("passkeys/register/options", {}, headers=bearer(access)), 200)
    check(set(body) == {"session_id", "publicKey"}, body)
    return body["session_id"], body["publicKey"]


def add_passkey(c, access, alg="ES256", name=None, breaks=(), rp_id=RP_ID, origin=ORIGIN, counter=0):
    """Registers a passkey of a new authenticator: (authenticator, its user
    handle, the answer)."""
    sid, pk = register_options(c, access)
    a = Authenticator(alg)
    reg = a.create(rp_id, origin, unb64(pk["challenge"]), counter=counter, breaks=breaks)
    body = {"session_id": sid, "credential": reg["credential"]}
    if name is not None:
        body["name"] = name
    return a, unb64(pk["user"]["id"]), c.post("passkeys/register", body, headers=bearer(access))


def passkey(c, access, alg="ES256", name=None):
    a, handle, r = add_passkey(c, access, alg, name)
    body = expect(r, 201)
    check(set(body) == {"id", "name", "created_at"} and body["id"] == b64(a.credential_id), body)
    return a, handle


def login_options(c):
    body = expect(c.post("passkeys/login/options", {}), 200)
    return body["session_id"], body["publicKey"]


def passkey_login(c, a, handle, counter=1, breaks=(), rp_id=RP_ID, origin=ORIGIN, sid=None,
                  challenge=None, device=None):
    """A sign-in with authenticator `a`; the answer."""
    if sid is None:
        sid, pk = login_options(c)
        challenge = unb64(pk["challenge"])
    got = a.get(rp_id, origin, challenge, user_handle=handle, counter=counter, breaks=breaks)
    body = {"session_id": sid, "credential": got["credential"]}
    if device:
        body["device"] = device
    return c.post("passkeys/login", body)


def row(credential_id):
    """(sign_count, last_used_at or '', alg) of a stored passkey, or None."""
    rows = psql("SELECT sign_count, coalesce(last_used_at::text, ''), alg FROM passkeys"
                " WHERE credential_id = :'c'", c=b64(credential_id))
    return tuple(rows[0]) if rows else None


def logins_of(phone):
    return int(psql("SELECT count(*) FROM logins l JOIN users u ON u.id = l.user_id"
                    " WHERE u.mobile_number = :'p'", p=phone)[0][0])


def passkeys_of(phone):
    return int(psql("SELECT count(*) FROM passkeys p JOIN users u ON u.id = p.user_id"
                    " WHERE u.mobile_number = :'p'", p=phone)[0][0])


# ---- registration and sign-in ----


def registers_and_signs_in(alg):
    c, phone, access = account()
    sid, pk = register_options(c, access)
    check(len(unb64(pk["challenge"])) == 32, pk)
    check(pk["rp"] == {"id": RP_ID, "name": CONF.get("passkey_rp_name", CONF.get("sms_app_name", "phoneauth"))}, pk)
    uid = psql("SELECT id FROM users WHERE mobile_number = :'p'", p=phone)[0][0]
    handle = unb64(pk["user"]["id"])
    check(len(handle) == 32 and phone.encode() not in handle and uid.encode() != handle, pk["user"])
    check(pk["user"]["name"] == phone, pk["user"])
    check([p["alg"] for p in pk["pubKeyCredParams"]] == [-7, -8, -257], pk)
    check(pk["authenticatorSelection"] == {"residentKey": "required", "requireResidentKey": True,
                                           "userVerification": "required"}, pk)
    check(pk["attestation"] == "none" and pk["excludeCredentials"] == [], pk)
    a = Authenticator(alg)
    reg = a.create(RP_ID, ORIGIN, unb64(pk["challenge"]))
    body = expect(c.post("passkeys/register", {"session_id": sid, "credential": reg["credential"],
                                               "name": "My phone"}, headers=bearer(access)), 201)
    check(body["name"] == "My phone", body)
    check(row(a.credential_id) == ("0", "", str({"ES256": -7, "EdDSA": -8, "RS256": -257}[alg])),
          row(a.credential_id))
    check(psql("SELECT encode(public_key, 'hex') FROM passkeys WHERE credential_id = :'c'",
               c=b64(a.credential_id))[0][0] == unb64(reg["oracle"]["spki"]).hex(), "not the SPKI")
    # the same handle next time, and the passkey excluded
    _, pk2 = register_options(c, access)
    check(pk2["user"]["id"] == pk["user"]["id"], "the handle changed")
    check(pk2["excludeCredentials"] == [{"type": "public-key", "id": b64(a.credential_id)}], pk2)
    # sign in: a whole login, from another client, with no password
    other = Client(ip=fresh_ip())
    before = logins_of(phone)
    r = passkey_login(other, a, handle, counter=7)
    body = expect(r, 200)
    check_tokens(body)
    check(logins_of(phone) == before + 1, "no login began")
    count, used, _ = row(a.credential_id)
    check(count == "7" and used != "", "counter or last use not stored")
    me = expect(other.get("me", headers=bearer(body["tokens"]["access_token"])), 200)
    check(me["mobile_number"] == phone and me["mfa"]["passkeys"] == 1, me)
    listed = expect(other.get("passkeys", headers=bearer(body["tokens"]["access_token"])), 200)
    check(len(listed["passkeys"]) == 1 and listed["passkeys"][0]["id"] == b64(a.credential_id)
          and listed["passkeys"][0]["last_used_at"] is not None, listed)


@test
def es256_registers_and_signs_in():
    registers_and_signs_in("ES256")


@test
def eddsa_registers_and_signs_in():
    registers_and_signs_in("EdDSA")


@test
def rs256_registers_and_signs_in():
    registers_and_signs_in("RS256")


@test
def authenticators_without_a_counter_sign_in_again_and_again():
    c, _, access = account()
    a, handle = passkey(c, access)
    for _ in range(3):
        check_tokens(expect(passkey_login(Client(ip=fresh_ip()), a, handle, counter=0), 200))


@test
def registration_needs_a_live_access_token():
    c = Client(ip=fresh_ip())
    for method, route in ROUTES[:4]:
        r = c.request(method, route, {} if method == "POST" else None, headers={"Authorization": "Bearer x.y.z"})
        expect(r, 401, "token_invalid")


@test
def a_passkey_name_longer_than_64_characters_is_refused():
    c, phone, access = account()
    _, _, r = add_passkey(c, access, name="x" * 65)
    expect(r, 400, "validation_failed")
    check(passkeys_of(phone) == 0, "registered")
    _, _, r = add_passkey(c, access, name="پ" * 64)
    check(expect(r, 201)["name"] == "پ" * 64, r)


@test
def an_account_keeps_at_most_20_passkeys():
    # a stolen access token cannot fill the table with passkeys
    c, phone, access = account()
    first = None
    for i in range(20):
        a, _ = passkey(c, access)
        first = first or a
    _, _, r = add_passkey(c, access)
    body = expect(r, 400, "validation_failed")
    check("credential" in body.get("fields", {}), body)
    check(passkeys_of(phone) == 20, passkeys_of(phone))
    expect(c.request("DELETE", "passkeys/" + b64(first.credential_id), headers=bearer(access)), 200)
    passkey(c, access)
    check(passkeys_of(phone) == 20, passkeys_of(phone))


# ---- refusals: 400 passkey_invalid, counted, nothing changed ----


def refused_login(breaks=(), **kw):
    """A sign-in with one rule broken: refused, audited against the number,
    counter and logins unchanged."""
    c, phone, access = account()
    a, handle = passkey(c, access)
    check_tokens(expect(passkey_login(Client(ip=fresh_ip()), a, handle, counter=5), 200))
    was, logins, failures = row(a.credential_id), logins_of(phone), audited(phone, "passkey")
    r = passkey_login(Client(ip=fresh_ip()), a, kw.pop("handle", handle), counter=kw.pop("counter", 6),
                      breaks=breaks, **kw)
    expect(r, 400, "passkey_invalid")
    check(row(a.credential_id) == was, "the passkey changed: %r -> %r" % (was, row(a.credential_id)))
    check(logins_of(phone) == logins, "a login began")
    check(wait_for(lambda: audited(phone, "passkey") == failures + 1), "not counted against the number")
    return c, phone, a, handle


@test
def a_wrong_origin_is_refused_and_counted():
    refused_login(origin="https://evil.example")


@test
def an_origin_of_the_rp_id_not_listed_is_refused():
    refused_login(origin=ORIGIN.replace("http://", "https://"))


@test
def a_wrong_rp_id_is_refused_and_counted():
    refused_login(rp_id="example.com")


@test
def a_missing_user_verification_is_refused_and_counted():
    refused_login(breaks=("no_uv",))


@test
def a_missing_user_presence_is_refused_and_counted():
    refused_login(breaks=("no_up",))


@test
def a_bad_signature_is_refused_and_counted():
    refused_login(breaks=("bad_signature",))


@test
def a_signature_of_other_bytes_is_refused():
    refused_login(breaks=("signed_other",))


@test
def a_counter_that_went_back_is_refused_and_not_stored():
    refused_login(counter=4)
    refused_login(counter=5)    # not above the stored one


@test
def malformed_authenticator_data_is_refused():
    refused_login(breaks=("bad_extensions",))
    refused_login(breaks=("truncated_authdata",))


@test
def a_login_without_user_handle_is_refused():
    refused_login(breaks=("no_user_handle",))


@test
def another_accounts_user_handle_is_refused():
    c2, _, access2 = account()
    _, handle2 = passkey(c2, access2)
    refused_login(handle=handle2)


@test
def a_challenge_of_another_session_is_refused():
    refused_login(breaks=("wrong_challenge",))


@test
def a_spent_challenge_is_refused():
    c, phone, access = account()
    a, handle = passkey(c, access)
    sid, pk = login_options(c)
    check_tokens(expect(passkey_login(Client(ip=fresh_ip()), a, handle, counter=1, sid=sid,
                                      challenge=unb64(pk["challenge"])), 200))
    was, logins = row(a.credential_id), logins_of(phone)
    r = passkey_login(Client(ip=fresh_ip()), a, handle, counter=2, sid=sid, challenge=unb64(pk["challenge"]))
    expect(r, 400, "passkey_invalid")
    check(row(a.credential_id) == was and logins_of(phone) == logins, "changed")
    # a refused answer spends its challenge too: a right one after it is refused
    sid, pk = login_options(c)
    expect(passkey_login(Client(ip=fresh_ip()), a, handle, counter=3, sid=sid, challenge=unb64(pk["challenge"]),
                         breaks=("bad_signature",)), 400, "passkey_invalid")
    expect(passkey_login(Client(ip=fresh_ip()), a, handle, counter=3, sid=sid, challenge=unb64(pk["challenge"])),
           400, "passkey_invalid")
    # a login challenge registers nothing, a registration challenge signs in nobody
    sid, pk = login_options(c)
    reg = Authenticator().create(RP_ID, ORIGIN, unb64(pk["challenge"]))
    expect(c.post("passkeys/register", {"session_id": sid, "credential": reg["credential"]},
                  headers=bearer(access)), 400, "passkey_invalid")
    sid, pk = register_options(c, access)
    expect(passkey_login(Client(ip=fresh_ip()), a, handle, counter=4, sid=sid, challenge=unb64(pk["challenge"])),
           400, "passkey_invalid")
    check(row(a.credential_id) == was, "changed")


@test
def an_expired_challenge_is_refused():
    c, phone, access = account()
    a, handle = passkey(c, access)
    with Pool({"PHONEAUTH_SESSION_TTL": "1"}, "passkey-short-sessions") as url:
        short = Client(ip=fresh_ip(), base_url=url)
        sid, pk = login_options(short)
        check(pk["timeout"] == 1000, pk)
        time.sleep(1.6)
        r = passkey_login(short, a, handle, counter=1, sid=sid, challenge=unb64(pk["challenge"]))
        expect(r, 400, "passkey_invalid")
        # registration too
        sid, pk = register_options(short, access)
        time.sleep(1.6)
        reg = Authenticator().create(RP_ID, ORIGIN, unb64(pk["challenge"]))
        expect(short.post("passkeys/register", {"session_id": sid, "credential": reg["credential"]},
                          headers=bearer(access)), 400, "passkey_invalid")
    check(row(a.credential_id)[0] == "0" and passkeys_of(phone) == 1, "changed")


@test
def login_challenges_count_against_login_sessions_per_ip_hour():
    with Pool({"PHONEAUTH_LOGIN_SESSIONS_PER_IP_HOUR": "2"}, "passkey-login-sessions") as url:
        c = Client(ip=fresh_ip(), base_url=url)
        login_options(c)
        login_options(c)
        blocked(c.post("passkeys/login/options", {}))
        login_options(Client(ip=fresh_ip(), base_url=url))


@test
def an_unknown_credential_is_refused_and_counted_against_the_client():
    c = Client(ip=fresh_ip())
    stranger = Authenticator()
    for _ in range(3):
        expect(passkey_login(c, stranger, os.urandom(32)), 400, "passkey_invalid")
    check(wait_for(lambda: int(psql("SELECT count(*) FROM failed_attempts WHERE ip = :'ip'"
                                    " AND kind = 'passkey'", ip=c.ip)[0][0]) == 3), "not audited")
    blocked(c.post("passkeys/login/options", {}))
    blocked(c.post("login", {"mobile_number": fresh_phone(), "password": PASSWORD}))


@test
def a_client_blocked_by_wrong_passkeys_gets_429_for_a_right_one():
    _, phone, access = account()
    a, handle = passkey(Client(ip=fresh_ip()), access)
    c = Client(ip=fresh_ip())
    sid, pk = login_options(c)      # asked before the block
    for _ in range(3):
        expect(passkey_login(c, Authenticator(), os.urandom(32)), 400, "passkey_invalid")
    blocked(passkey_login(c, a, handle, counter=1, sid=sid, challenge=unb64(pk["challenge"])))
    check(row(a.credential_id)[0] == "0" and audited(phone, "passkey") == 0, "judged while blocked")
    # the challenge was not spent by the refused request: another client may use it
    check_tokens(expect(passkey_login(Client(ip=fresh_ip()), a, handle, counter=1, sid=sid,
                                      challenge=unb64(pk["challenge"])), 200))


@test
def wrong_passkeys_block_the_number_as_wrong_passwords_do():
    _, phone, access = account()
    a, handle = passkey(Client(ip=fresh_ip()), access)
    for _ in range(3):
        expect(passkey_login(Client(ip=fresh_ip()), a, handle, counter=1, breaks=("no_uv",)),
               400, "passkey_invalid")
    check(wait_for(lambda: audited(phone, "passkey") == 3), "not audited")
    blocked(Client(ip=fresh_ip()).post("login", {"mobile_number": phone, "password": PASSWORD}))
    blocked(passkey_login(Client(ip=fresh_ip()), a, handle, counter=1))


def refused_registration(breaks=(), **kw):
    c, phone, access = account()
    _, _, r = add_passkey(c, access, breaks=breaks, **kw)
    expect(r, 400, "passkey_invalid")
    check(passkeys_of(phone) == 0, "registered")
    check(wait_for(lambda: audited(phone, "passkey") == 1), "not counted")


@test
def registration_with_a_wrong_origin_is_refused():
    refused_registration(origin="https://evil.example")


@test
def registration_with_a_wrong_rp_id_is_refused():
    refused_registration(rp_id="example.com")


@test
def registration_without_user_verification_is_refused():
    refused_registration(breaks=("no_uv",))


@test
def registration_with_malformed_cbor_is_refused():
    refused_registration(breaks=("malformed_cbor",))
    refused_registration(breaks=("huge_map",))
    refused_registration(breaks=("unsupported_alg",))


@test
def a_registration_of_another_account_is_refused():
    """The challenge of one account's options does not register a passkey for another."""
    c, phone, access = account()
    _, phone2, access2 = account()
    sid, pk = register_options(c, access)
    reg = Authenticator().create(RP_ID, ORIGIN, unb64(pk["challenge"]))
    expect(c.post("passkeys/register", {"session_id": sid, "credential": reg["credential"]},
                  headers=bearer(access2)), 400, "passkey_invalid")
    check(passkeys_of(phone) == 0 and passkeys_of(phone2) == 0, "registered")


@test
def a_credential_registered_twice_is_refused():
    c, phone, access = account()
    a, _ = passkey(c, access)
    sid, pk = register_options(c, access)
    reg = a.create(RP_ID, ORIGIN, unb64(pk["challenge"]))
    expect(c.post("passkeys/register", {"session_id": sid, "credential": reg["credential"]},
                  headers=bearer(access)), 400, "passkey_invalid")
    check(passkeys_of(phone) == 1, "twice")


@test
def bodies_that_are_no_credential_are_refused():
    c = Client(ip=fresh_ip())
    for cred in (None, "x", [], {}, {"id": "a b", "response": {}}, {"id": "abc", "response": "x"},
                 {"id": "abc", "type": "other", "response": {}}):
        sid, _ = login_options(c)
        expect(c.post("passkeys/login", {"session_id": sid, "credential": cred}), 400, "passkey_invalid")
        c = Client(ip=fresh_ip())
    expect(c.post("passkeys/login", {"session_id": "not a session", "credential": {}}), 400, "passkey_invalid")


# ---- the account's passkeys ----


@test
def a_passkey_is_removed_by_its_account_only():
    c, phone, access = account()
    a, handle = passkey(c, access)
    c2, _, access2 = account()
    expect(c2.request("DELETE", "passkeys/" + b64(a.credential_id), headers=bearer(access2)), 404, "not_found")
    expect(c.request("DELETE", "passkeys/" + b64(os.urandom(32)), headers=bearer(access)), 404, "not_found")
    expect(c.request("DELETE", "passkeys/%2e%2e", headers=bearer(access)), 404, "not_found")
    check(passkeys_of(phone) == 1, "removed by another")
    body = expect(c.request("DELETE", "passkeys/" + b64(a.credential_id), headers=bearer(access)), 200)
    check(set(body) == {"message"}, body)
    check(passkeys_of(phone) == 0, "not removed")
    check(expect(c.get("passkeys", headers=bearer(access)), 200) == {"passkeys": []}, "listed")
    expect(passkey_login(Client(ip=fresh_ip()), a, handle), 400, "passkey_invalid")


@test
def deleting_the_account_deletes_its_passkeys():
    c, phone, access = account()
    a, handle = passkey(c, access)
    passkey(c, access, "EdDSA")
    check(passkeys_of(phone) == 2, "two")
    expect(c.post("account/delete", {"password": PASSWORD}, headers=bearer(access)), 200)
    check(int(psql("SELECT count(*) FROM passkeys WHERE credential_id = :'c'", c=b64(a.credential_id))[0][0]) == 0,
          "passkeys outlived their account")
    check(int(psql("SELECT count(*) FROM passkey_handles h WHERE NOT EXISTS"
                   " (SELECT 1 FROM users u WHERE u.id = h.user_id)")[0][0]) == 0, "handle outlived")
    expect(passkey_login(Client(ip=fresh_ip()), a, handle), 400, "passkey_invalid")


@test
def a_phone_change_keeps_the_passkeys():
    c, old, access = account()
    a, handle = passkey(c, access)
    new = fresh_phone()
    sid = expect(c.post("phone/change", {"mobile_number": new, "password": PASSWORD},
                        headers=bearer(access)), 200)["session_id"]
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(new)}), 200)
    check(passkeys_of(new) == 1, "passkeys lost")
    body = expect(passkey_login(Client(ip=fresh_ip()), a, handle, counter=1), 200)
    me = expect(c.get("me", headers=bearer(body["tokens"]["access_token"])), 200)
    check(me["mobile_number"] == new and me["mfa"]["passkeys"] == 1, me)


@test
def a_banned_accounts_passkey_gets_403():
    c, phone, access = account()
    a, handle = passkey(c, access)
    check(admin("ban", phone).returncode == 0, "ban")
    logins = logins_of(phone)
    expect(passkey_login(Client(ip=fresh_ip()), a, handle, counter=1), 403, "user_banned")
    check(row(a.credential_id)[0] == "0" and logins_of(phone) == logins, "changed")
    check(admin("unban", phone).returncode == 0, "unban")
    check_tokens(expect(passkey_login(Client(ip=fresh_ip()), a, handle, counter=2), 200))


@test
def get_me_counts_the_passkeys_and_an_mfa_step_offers_them():
    c, phone, access = account()
    check(expect(c.get("me", headers=bearer(access)), 200)["mfa"]["passkeys"] == 0, "none yet")
    setup = expect(c.post("mfa/totp/setup", {"password": PASSWORD}, headers=bearer(access)), 200)
    totp = pyotp.parse_uri(setup["otpauth_uri"])
    expect(c.post("mfa/totp/confirm", {"code": totp.at(totp_steady())}, headers=bearer(access)), 200)
    body = expect(c.post("login", {"mobile_number": phone, "password": PASSWORD}), 200)
    check(body["next_step"] == "mfa" and "passkey" not in body["methods"], body)
    a, handle = passkey(c, access)
    passkey(c, access, "RS256")
    check(expect(c.get("me", headers=bearer(access)), 200)["mfa"]["passkeys"] == 2, "not counted")
    body = expect(c.post("login", {"mobile_number": phone, "password": PASSWORD}), 200)
    check(body["next_step"] == "mfa" and body["methods"] == ["totp", "recovery_code", "passkey"], body)
    # the passkey itself needs no second factor
    check_tokens(expect(passkey_login(Client(ip=fresh_ip()), a, handle, counter=1), 200))


@test
def the_routes_are_404_without_passkey_rp_id():
    _, _, access = account()
    with Pool({"PHONEAUTH_PASSKEY_RP_ID": "", "PHONEAUTH_PASSKEY_ORIGINS": ""}, "passkeys-off") as url:
        c = Client(ip=fresh_ip(), base_url=url)
        for method, route in ROUTES:
            r = c.request(method, route, {} if method == "POST" else None, headers=bearer(access))
            expect(r, 404, "not_found")
        me = expect(c.get("me", headers=bearer(access)), 200)
        check(me["mfa"]["passkeys"] == 0, me)


@test
def check_refuses_rp_ids_and_origins_browsers_would_refuse():
    for env, words in (({"PHONEAUTH_PASSKEY_RP_ID": "127.0.0.1"}, "IP address"),
                       ({"PHONEAUTH_PASSKEY_RP_ID": "https://example.com"}, "passkey_rp_id"),
                       ({"PHONEAUTH_PASSKEY_RP_ID": "example.com",
                         "PHONEAUTH_PASSKEY_ORIGINS": "https://example.org"}, "passkey_origins"),
                       ({"PHONEAUTH_PASSKEY_RP_ID": "example.com",
                         "PHONEAUTH_PASSKEY_ORIGINS": "http://example.com"}, "https"),
                       ({"PHONEAUTH_PASSKEY_RP_ID": "",
                         "PHONEAUTH_PASSKEY_ORIGINS": "https://example.com"}, "passkey_rp_id")):
        out = admin("check", env=env)
        check(out.returncode != 0 and words in out.stderr, (env, out.returncode, out.stderr))
    for env in ({"PHONEAUTH_PASSKEY_RP_ID": "example.com", "PHONEAUTH_PASSKEY_ORIGINS":
                 "https://example.com, https://login.example.com:8443"},
                {"PHONEAUTH_PASSKEY_RP_ID": "example.com", "PHONEAUTH_PASSKEY_ORIGINS": ""}):
        out = admin("check", env=env)
        check(out.returncode == 0, (env, out.stderr))


@test
def a_passkey_login_keeps_the_device_token_as_a_password_login_does():
    c, phone, access = account()
    a, handle = passkey(c, access)
    first = expect(passkey_login(Client(ip=fresh_ip()), a, handle, counter=1), 200)
    check(isinstance(first.get("device"), str) and first["device"], first)
    again = expect(passkey_login(Client(ip=fresh_ip()), a, handle, counter=2, device=first["device"]), 200)
    check(again["device"] == first["device"], (first["device"], again["device"]))


if __name__ == "__main__":
    run()
