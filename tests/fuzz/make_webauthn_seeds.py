#!/usr/bin/python3
"""Writes the seeds of fuzz_webauthn_register and fuzz_webauthn_login
(tests/fuzz/corpus/webauthn_register/, .../webauthn_login/) with the
software authenticator of tests/webauthn/authenticator.py: registrations of
each algorithm, logins signed with the fixed test keys of tests/fuzz/keys/,
and a few of each broken. The layout of an input is in
tests/fuzz/webauthn_input.h. Run it again after a key or the layout
changes: /usr/bin/python3 tests/fuzz/make_webauthn_seeds.py"""
import os
import struct
import sys

from cryptography.hazmat.primitives import serialization

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "webauthn"))
from authenticator import Authenticator, unb64  # noqa: E402

RP_ID, ORIGIN = "example.com", "https://example.com"
CHALLENGE = bytes(range(1, 33))
RAW = 0x80
KEYS = {"ES256": ("es256.pem", 0), "EdDSA": ("ed25519.pem", 1), "RS256": ("rs256.pem", 2)}


def key(name):
    with open(os.path.join(here, "keys", name), "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def parts(sw, *members, raw=False):
    """sw, then each member but the last with its 2-byte length."""
    out = bytes([sw | (RAW if raw else 0)])
    for m in members[:-1]:
        out += struct.pack(">H", len(m)) + m
    return out + members[-1]


def write(target, name, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def register_seed(name, auth, sw=0, breaks=(), raw=False):
    c = auth.create(RP_ID, ORIGIN, CHALLENGE, breaks=breaks)["credential"]
    r = c["response"]
    if raw:
        members = [r["clientDataJSON"].encode(), c["rawId"].encode(), r["attestationObject"].encode()]
    else:
        members = [unb64(r["clientDataJSON"]), unb64(c["rawId"]), unb64(r["attestationObject"])]
    write("webauthn_register", name, parts(sw, *members, raw=raw))


def login_seed(name, alg, sw=0, counter=0, breaks=(), raw=False):
    auth = Authenticator(alg, key=key(KEYS[alg][0]), credential_id=bytes(16), aaguid=bytes(16))
    c = auth.get(RP_ID, ORIGIN, CHALLENGE, user_handle=b"user-42", counter=counter,
                 breaks=breaks)["credential"]
    r = c["response"]
    names = ["authenticatorData", "clientDataJSON", "signature", "userHandle"]
    if raw:
        members = [r.get(n, "").encode() for n in names]
    else:
        members = [unb64(r[n]) if n in r else b"" for n in names]
    write("webauthn_login", name, parts(KEYS[alg][1] | sw, *members, raw=raw))


def main():
    for alg in ("ES256", "EdDSA", "RS256"):
        a = Authenticator(alg)
        register_seed("%s-none" % alg.lower(), a)
        register_seed("%s-packed" % alg.lower(), a, breaks=["packed"])
        register_seed("%s-text" % alg.lower(), a, raw=True)
        login_seed("%s" % alg.lower(), alg)
        login_seed("%s-sign-it" % alg.lower(), alg, sw=4)
        login_seed("%s-counter" % alg.lower(), alg, sw=16, counter=101)
        login_seed("%s-text" % alg.lower(), alg, raw=True)
    a = Authenticator("ES256")
    register_seed("es256-extensions", a, breaks=["extensions"])
    register_seed("es256-backup", a, breaks=["backup"])
    register_seed("es256-other-challenge", a, sw=1)
    register_seed("es256-other-rp", a, sw=2)
    register_seed("es256-other-origin", a, sw=4)
    for b in ("no_uv", "wrong_rp", "cross_origin", "trailing_authdata", "huge_array", "deep_cbor",
              "duplicate_label", "off_curve", "rsa_1024", "cred_id_beyond_end",
              "none_with_statement", "duplicate_key"):
        register_seed("es256-" + b.replace("_", "-"), a, breaks=[b])
    login_seed("es256-extensions", "ES256", sw=4, breaks=["extensions"])
    login_seed("es256-other-challenge", "ES256", sw=8)
    login_seed("es256-counter-back", "ES256", sw=16, counter=100)
    for b in ("no_uv", "wrong_rp", "with_at", "bad_extensions", "huge_extensions",
              "bad_signature", "no_user_handle", "backup"):
        login_seed("es256-" + b.replace("_", "-"), "ES256", breaks=[b])


if __name__ == "__main__":
    main()
