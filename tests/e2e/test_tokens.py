"""Tokens: HS256 JWTs with djangorestframework-simplejwt's claims."""

import re

from pa import Client, check, fresh_phone, jwt_decode, run, signup, test, user_row


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
        check(set(claims) == {"token_type", "exp", "iat", "jti", "user_id"}, claims)
        jtis.add(claims["jti"])
    check(len(jtis) == 2, "access and refresh share a jti")


@test
def a_forged_signature_does_not_verify():
    tokens = signup(Client(), fresh_phone())
    try:
        jwt_decode(tokens["access_token"], key=b"x" * 32)
    except AssertionError:
        return
    raise AssertionError("a token verified with the wrong key")


if __name__ == "__main__":
    run()
