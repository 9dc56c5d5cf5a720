"""Tokens: HS256 JWTs with djangorestframework-simplejwt's claims, signed
with the configured key (jwt_secret_file) and checked against it.

The signatures are recomputed here with Python's own hmac (pa.jwt_decode)
and with PyJWT, the library simplejwt uses: neither shares a line with the
service. What the service does with a token is asked of the service itself,
through token/verify and GET me."""

import hashlib
import hmac
import json
import re

import jwt as pyjwt

from pa import (Client, b64url, b64url_decode, check, expect, fresh_phone, jwt_decode, jwt_forge,
                jwt_key, psql, run, signup, test, user_row)


@test
def tokens_are_hs256_jwts_with_simplejwt_claims():
    c, phone = Client(), fresh_phone()
    tokens = signup(c, phone)
    uid = user_row(phone)["id"]
    jtis = set()
    for kind, ttl in (("access", 300), ("refresh", 86400)):
        header, claims = jwt_decode(tokens[kind + "_token"])
        check(header == {"alg": "HS256", "typ": "JWT"}, header)
        check(claims["token_type"] == kind, claims)
        check(claims["exp"] - claims["iat"] == ttl, claims)
        check(re.fullmatch(r"[0-9a-f]{32}", claims["jti"]), claims)
        check(claims["user_id"] == uid and isinstance(claims["user_id"], int), claims)
        # an access token names its login (sid); the refresh token is the login's record
        want = {"token_type", "exp", "iat", "jti", "user_id"} | ({"sid"} if kind == "access" else set())
        check(set(claims) == want, claims)
        jtis.add(claims["jti"])
    check(len(jtis) == 2, "access and refresh share a jti")
    # sid is the family of the refresh token it came with: a new login's is that token's own jti
    _, access = jwt_decode(tokens["access_token"])
    _, refresh = jwt_decode(tokens["refresh_token"])
    check(access["sid"] == refresh["jti"], (access, refresh))
    check(psql("SELECT family FROM refresh_tokens WHERE jti = :'j'", j=refresh["jti"]) == [[access["sid"]]],
          "sid is not the family recorded")


@test
def the_services_signature_is_hmac_sha256_with_the_configured_key():
    """Verified by two implementations that are not the service's, with the
    key of jwt_secret_file; and with no other key."""
    tokens = signup(Client(), fresh_phone())
    key = jwt_key()
    check(len(key) >= 32, "the test stack's key is shorter than the contract's minimum")
    for kind in ("access", "refresh"):
        token = tokens[kind + "_token"]
        head, body, sig = token.split(".")
        want = hmac.new(key, (head + "." + body).encode(), hashlib.sha256).digest()
        check(hmac.compare_digest(b64url_decode(sig), want), "%s: not HMAC-SHA256 with the key" % kind)
        check(sig == b64url(want), "%s: the signature is not canonical base64url" % kind)
        claims = pyjwt.decode(token, key, algorithms=["HS256"], options={"verify_aud": False})
        check(claims["token_type"] == kind, claims)
        for other in (key[:-1] + bytes([key[-1] ^ 1]), b"x" * 32):
            try:
                pyjwt.decode(token, other, algorithms=["HS256"])
            except pyjwt.InvalidSignatureError:
                continue
            raise AssertionError("%s: verifies with a key that is not the configured one" % kind)


def swap_char(s, i):
    """s with its i-th character replaced by another base64url character."""
    return s[:i] + ("A" if s[i] != "A" else "B") + s[i + 1:]


def reencode(segment, change):
    obj = json.loads(b64url_decode(segment))
    change(obj)
    return b64url(json.dumps(obj).encode())


def tampered(token, key):
    """(what was done, token) for every way of changing a token without the key."""
    head, body, sig = token.split(".")
    claims = json.loads(b64url_decode(body))
    hs512 = b64url(json.dumps({"alg": "HS512", "typ": "JWT"}).encode()) + "." + body
    return [
        ("one character of the signature changed", ".".join([head, body, swap_char(sig, len(sig) // 2)])),
        ("the signature's first character changed", ".".join([head, body, swap_char(sig, 0)])),
        ("the signature cut short", ".".join([head, body, sig[:-4]])),
        ("no signature", ".".join([head, body, ""])),
        ("user_id changed, signature kept",
         ".".join([head, reencode(body, lambda c: c.update(user_id=c["user_id"] + 1)), sig])),
        ("exp pushed later, signature kept",
         ".".join([head, reencode(body, lambda c: c.update(exp=c["exp"] + 3600)), sig])),
        ("one claim's character changed, signature kept", ".".join([head, swap_char(body, 5), sig])),
        ("signed with another key", jwt_forge({"alg": "HS256", "typ": "JWT"}, claims, b"x" * 32)),
        ("signed with the key minus its last byte", jwt_forge({"alg": "HS256", "typ": "JWT"}, claims, key[:-1])),
        ("alg none, no signature", jwt_forge({"alg": "none", "typ": "JWT"}, claims, None)),
        ("alg none, the old signature",
         ".".join([reencode(head, lambda h: h.update(alg="none")), body, sig])),
        ("HS512 with the right key (not the configured algorithm)",
         hs512 + "." + b64url(hmac.new(key, hs512.encode(), hashlib.sha512).digest())),
        ("a fourth segment", token + "." + sig),
        ("padding added to the signature", token + "=="),
    ]


@test
def the_service_refuses_every_tampered_token():
    c, phone = Client(), fresh_phone()
    access = signup(c, phone)["access_token"]
    key = jwt_key()
    bearer = lambda t: {"Authorization": "Bearer " + t}  # noqa: E731
    # the genuine token is good, so what follows is refused for its change
    check(expect(c.post("token/verify", {"token": access}), 200) == {}, "token/verify of the genuine token")
    check(expect(c.get("me", headers=bearer(access)), 200)["mobile_number"] == phone, "me")
    for what, token in tampered(access, key):
        r = c.post("token/verify", {"token": token})
        check(r.status == 401 and (r.json or {}).get("error") == "token_invalid",
              "%s: token/verify answered %r" % (what, r))
        r = c.get("me", headers=bearer(token))
        check(r.status == 401 and (r.json or {}).get("error") == "token_invalid",
              "%s: GET me answered %r" % (what, r))


@test
def a_token_signed_here_with_the_configured_key_is_the_services_own():
    """The other side of the same coin: the service accepts exactly what
    HMAC-SHA256 with the configured key signs, whoever computed it, so the
    refusals above are for the changes, not for how Python writes JSON."""
    c = Client()
    mine, theirs = fresh_phone(), fresh_phone()
    access = signup(c, mine)["access_token"]
    signup(Client(), theirs)
    _, claims = jwt_decode(access)
    # the same claims, signed by pa.jwt_forge (json.dumps puts spaces in)
    again = jwt_forge({"alg": "HS256", "typ": "JWT"}, claims, jwt_key())
    check(again != access, "the forged token is byte for byte the service's")
    expect(c.post("token/verify", {"token": again}), 200)
    check(expect(c.get("me", headers={"Authorization": "Bearer " + again}), 200)["mobile_number"] == mine,
          "me of a re-signed token")
    # and another user's id and login, signed with the key: the service takes it as that user
    their_sid = psql("SELECT family FROM logins WHERE user_id = :'u'", u=user_row(theirs)["id"])[0][0]
    claims = dict(claims, user_id=user_row(theirs)["id"], sid=their_sid)
    other = jwt_forge({"alg": "HS256", "typ": "JWT"}, claims, jwt_key())
    check(expect(c.get("me", headers={"Authorization": "Bearer " + other}), 200)["mobile_number"] == theirs,
          "me of a token minted with the key for another user")


if __name__ == "__main__":
    run()
