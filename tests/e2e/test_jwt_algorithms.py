"""Signing algorithms, the JWKS, and a verifier that accepts only its own.

Tokens are decoded with PyJWT (Debian's python3-jwt), the library
djangorestframework-simplejwt itself uses, so a client of ours is a client of
theirs."""

import hashlib
import json
import os
import time

import jwt as pyjwt

from pa import (Client, Pool, admin, b64url, check, expect, fresh_phone, jwt_forge, jwt_key, run,
                signup, test, user_row)

NOW = lambda: int(time.time())  # noqa: E731


def key_file(alg):
    d = os.path.join(os.environ["PA_STATE_DIR"], "keys")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, alg + ".pem")
    if not os.path.exists(path):
        r = admin("keygen", alg, path)
        check(r.returncode == 0, r.stderr)
    check(oct(os.stat(path).st_mode & 0o777) == "0o600", "key file mode")
    return path


def asym_pool(alg, extra=None):
    env = {"PHONEAUTH_JWT_ALG": alg.upper(), "PHONEAUTH_JWT_PRIVATE_KEY_FILE": key_file(alg)}
    env.update(extra or {})
    return Pool(env, alg)


def thumbprint(jwk):
    """RFC 7638, computed independently."""
    members = ("e", "kty", "n") if jwk["kty"] == "RSA" else ("crv", "kty", "x", "y")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def check_claims(claims, uid, kind):
    ttl = 300 if kind == "access" else 86400
    check(set(claims) >= {"token_type", "exp", "iat", "jti", "user_id"}, claims)
    check(claims["token_type"] == kind and claims["user_id"] == uid, claims)
    check(claims["exp"] - claims["iat"] == ttl and abs(claims["iat"] - NOW()) < 60, claims)
    check(len(claims["jti"]) == 32 and int(claims["jti"], 16) >= 0, claims)


@test
def hs256_tokens_decode_with_pyjwt():
    phone = fresh_phone()
    t = signup(Client(), phone)
    uid = user_row(phone)["id"]
    for kind in ("access", "refresh"):
        token = t[kind + "_token"]
        check(pyjwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}, token)
        claims = pyjwt.decode(token, jwt_key(), algorithms=["HS256"])
        check_claims(claims, uid, kind)


@test
def hs256_has_no_jwks():
    expect(Client().get(".well-known/jwks.json"), 404, "not_found")


@test
def rs256_and_es256_tokens_verify_with_the_published_jwks():
    for alg, kty in (("rs256", "RSA"), ("es256", "EC")):
        with asym_pool(alg) as url:
            c, phone = Client(base_url=url), fresh_phone()
            t = signup(c, phone)
            jwks = expect(c.get(".well-known/jwks.json"), 200)
            check(len(jwks["keys"]) == 1, jwks)
            jwk = jwks["keys"][0]
            check(jwk["kty"] == kty and jwk["alg"] == alg.upper() and jwk["use"] == "sig", jwk)
            check(jwk["kid"] == thumbprint(jwk), "kid is not the RFC 7638 thumbprint")
            check("d" not in jwk and "p" not in jwk, "private members published")
            key = pyjwt.PyJWK(jwk).key
            for kind in ("access", "refresh"):
                token = t[kind + "_token"]
                header = pyjwt.get_unverified_header(token)
                check(header == {"alg": alg.upper(), "typ": "JWT", "kid": jwk["kid"]}, header)
                claims = pyjwt.decode(token, key, algorithms=[alg.upper()])
                check_claims(claims, user_row(phone)["id"], kind)
            # the whole lifecycle works under the algorithm
            new = expect(c.post("token/refresh", {"refresh": t["refresh_token"]}), 200)
            expect(c.get("me", headers={"Authorization": "Bearer " + new["access"]}), 200)
            # presented again within refresh_grace: the same refresh token,
            # signed again (an ES256 signature is randomised: the claims are
            # the same, the bytes need not be; RS256's are the same)
            again = expect(Client(base_url=url).post("token/refresh", {"refresh": t["refresh_token"]}), 200)
            claims = pyjwt.decode(again["refresh"], key, algorithms=[alg.upper()])
            check(claims == pyjwt.decode(new["refresh"], key, algorithms=[alg.upper()]),
                  "%s: a replay got another refresh token" % alg)
            check(alg == "es256" or again["refresh"] == new["refresh"], "rs256: the same claims, other bytes")
            expect(c.get("me", headers={"Authorization": "Bearer " + again["access"]}), 200)


@test
def the_verifier_accepts_only_the_configured_algorithm():
    with asym_pool("rs256") as url:
        c, phone = Client(base_url=url), fresh_phone()
        t = signup(c, phone)
        claims = pyjwt.decode(t["access_token"], options={"verify_signature": False})
        jwk = expect(c.get(".well-known/jwks.json"), 200)["keys"][0]
        public_pem = pyjwt.PyJWK(jwk).key.public_bytes(
            encoding=__import__("cryptography.hazmat.primitives.serialization",
                                fromlist=["Encoding"]).Encoding.PEM,
            format=__import__("cryptography.hazmat.primitives.serialization",
                              fromlist=["PublicFormat"]).PublicFormat.SubjectPublicKeyInfo)
        header, payload, sig = t["access_token"].split(".")
        flipped = sig[:-4] + ("AAAA" if sig[-4:] != "AAAA" else "BBBB")
        hs_token = signup(Client(), fresh_phone())["access_token"]  # an HS256 token of the main stack
        forged = {
            "alg none": jwt_forge({"alg": "none", "typ": "JWT"}, claims),
            "HS256 keyed with the public key": jwt_forge({"alg": "HS256", "typ": "JWT"}, claims, public_pem),
            "HS256 keyed with the public key minus its newline":
                jwt_forge({"alg": "HS256", "typ": "JWT"}, claims, public_pem.rstrip(b"\n")),
            "HS256 of another service": hs_token,
            "bad signature": header + "." + payload + "." + flipped,
            "RS256 header with an HS256 body": jwt_forge({"alg": "RS256", "typ": "JWT"}, claims, public_pem),
        }
        for what, token in forged.items():
            r = c.post("token/verify", {"token": token})
            check(r.status == 401 and r.json["error"] == "token_invalid", "%s: %r" % (what, r))
            r = c.get("me", headers={"Authorization": "Bearer " + token})
            check(r.status == 401, "%s accepted by me: %r" % (what, r))
        expect(c.post("token/verify", {"token": t["access_token"]}), 200)  # the control


@test
def hs256_verifier_refuses_forgeries():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    claims = pyjwt.decode(t["access_token"], options={"verify_signature": False})
    key = jwt_key()
    cases = {
        "none": jwt_forge({"alg": "none", "typ": "JWT"}, claims),
        "HS512 with our key": pyjwt.encode(claims, key, algorithm="HS512"),
        "wrong key": jwt_forge({"alg": "HS256", "typ": "JWT"}, claims, b"k" * 40),
        "expired": jwt_forge({"alg": "HS256", "typ": "JWT"}, dict(claims, exp=NOW() - 1), key),
        "refresh as access": t["refresh_token"],
        "user_id as a string": jwt_forge({"alg": "HS256", "typ": "JWT"},
                                         dict(claims, user_id=str(claims["user_id"])), key),
        "unknown token_type": jwt_forge({"alg": "HS256", "typ": "JWT"}, dict(claims, token_type="id"), key),
    }
    for what, token in cases.items():
        r = c.get("me", headers={"Authorization": "Bearer " + token})
        check(r.status == 401 and r.json["error"] == "token_invalid", "%s: %r" % (what, r))
    # access used as refresh
    expect(c.post("token/refresh", {"refresh": t["access_token"]}), 401, "token_invalid")
    # the positive control: a token we forge with the right key and claims passes
    good = jwt_forge({"alg": "HS256", "typ": "JWT"}, claims, key)
    expect(c.get("me", headers={"Authorization": "Bearer " + good}), 200)


@test
def issuer_and_audience_are_set_and_required():
    env = {"PHONEAUTH_JWT_ISSUER": "https://auth.example.ir", "PHONEAUTH_JWT_AUDIENCE": "shop"}
    with Pool(env, "issaud") as url:
        c, phone = Client(base_url=url), fresh_phone()
        t = signup(c, phone)
        claims = pyjwt.decode(t["access_token"], jwt_key(), algorithms=["HS256"],
                              audience="shop", issuer="https://auth.example.ir")
        check(claims["iss"] == "https://auth.example.ir" and claims["aud"] == "shop", claims)
        key = jwt_key()
        plain = signup(Client(), fresh_phone())["access_token"]  # no iss/aud
        for what, token in {
            "no iss/aud": plain,
            "wrong iss": jwt_forge({"alg": "HS256", "typ": "JWT"}, dict(claims, iss="https://evil"), key),
            "wrong aud": jwt_forge({"alg": "HS256", "typ": "JWT"}, dict(claims, aud="other"), key),
        }.items():
            r = c.post("token/verify", {"token": token})
            check(r.status == 401, "%s: %r" % (what, r))
        ok = jwt_forge({"alg": "HS256", "typ": "JWT"}, dict(claims, aud=["other", "shop"]), key)
        expect(c.post("token/verify", {"token": ok}), 200)
        expect(c.post("token/verify", {"token": t["access_token"]}), 200)


@test
def keygen_refuses_to_overwrite_and_bad_keys_stop_the_program():
    path = key_file("es256")
    r = admin("keygen", "es256", path)
    check(r.returncode != 0 and "exists" in r.stderr.lower(), r.stderr)
    check(admin("keygen", "hs512").returncode != 0, "unknown algorithm accepted")
    # an EC key configured for RS256 stops the program at start, naming the key
    r = admin("blocks", env={"PHONEAUTH_JWT_ALG": "RS256", "PHONEAUTH_JWT_PRIVATE_KEY_FILE": path})
    check(r.returncode == 2 and "jwt_private_key_file" in r.stderr, r.stderr)


if __name__ == "__main__":
    run()
