#!/usr/bin/python3
"""A software WebAuthn authenticator and browser, for tests: it makes
passkeys (ES256, EdDSA or RS256) and signs assertions as a real one would,
and answers in the JSON form browsers give (PublicKeyCredential.toJSON()),
binary values in base64url without padding. Debian's python3-cryptography
and python3-cbor2 do the cryptography and the CBOR; nothing of phoneauth is
used, so what it makes is an independent oracle for src/webauthn.c.

As a module (the end-to-end tests):

    a = Authenticator("ES256")
    reg = a.create("example.com", "https://example.com", challenge, user_handle)
    login = a.get("example.com", "https://example.com", challenge, counter=1)

Both take breaks=("no_uv", ...): each name in BREAKS breaks one rule.

As a program:

    authenticator.py create --alg ES256 --rp-id example.com \\
        --origin https://example.com --challenge B64 --state FILE [--break NAME]...
    authenticator.py get --state FILE --rp-id ... --origin ... \\
        --challenge B64 --counter N [--user-handle B64] [--break NAME]...
    authenticator.py batch --rp-id ... --origin ... --challenge B64 < requests

create writes the authenticator (its private key) to FILE for get. batch
reads one JSON request a line ({"op": "create"|"get", "alg": ...,
"breaks": [...], "counter": N, "user_handle": B64}), keeps one
authenticator per algorithm, and writes one JSON line per request:
{"credential": ..., "oracle": {"credential_id", "spki", "alg",
"sign_count", "flags", "user_handle"}}, or {"error": "..."}.
"""
import argparse
import base64
import hashlib
import json
import os
import struct
import sys

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

ES256, EDDSA, RS256 = -7, -8, -257
ALGS = {"ES256": ES256, "EdDSA": EDDSA, "RS256": RS256}
UP, UV, BE, BS, AT, ED = 0x01, 0x04, 0x08, 0x10, 0x40, 0x80

# What each break does, and the refusal src/webauthn.c names for it.
BREAKS = {
    # both ceremonies
    "wrong_type": "clientDataJSON type of the other ceremony",
    "wrong_challenge": "another challenge",
    "bad_challenge": "a challenge that is not base64url",
    "wrong_origin": "an origin that is not allowed",
    "cross_origin": "crossOrigin: true",
    "cross_origin_string": 'crossOrigin: "false" (a string)',
    "bad_json": "clientDataJSON that is not strict JSON",
    "no_challenge": "clientDataJSON without challenge",
    "oversize_client_data": "clientDataJSON beyond 4 KiB",
    "wrong_rp": "rpIdHash of another RP ID",
    "no_up": "user-present flag clear",
    "no_uv": "user-verified flag clear",
    "bs_without_be": "backed up but not backup eligible",
    "backup": "BE and BS set (a synced passkey): fine",
    "extensions": "ED with an extensions map: fine",
    "ed_without_extensions": "ED set, nothing after",
    "bad_extensions": "ED set, the extensions not CBOR",
    "huge_extensions": "ED set, a map declaring 2^32-1 pairs",
    "truncated_authdata": "authenticator data cut short of its 37 bytes",
    "trailing_authdata": "a byte after the authenticator data",
    # registration
    "no_at": "no attested credential data",
    "truncated_key": "the COSE key cut short",
    "oversize_cred_id": "credentialIdLength 1024",
    "cred_id_beyond_end": "credentialIdLength 1000, beyond the end",
    "wrong_raw_id": "rawId not the attested credential id",
    "malformed_cbor": "attestationObject not CBOR",
    "attestation_not_map": "attestationObject an array",
    "huge_array": "an array declaring 2^32-1 items",
    "huge_map": "a map declaring 2^63 pairs",
    "deep_cbor": "arrays nested 20 deep",
    "cbor_tag": "a tagged item",
    "indefinite": "an indefinite-length map",
    "trailing_cbor": "a byte after the attestationObject",
    "duplicate_key": "fmt twice in the attestationObject",
    "no_fmt": "attestationObject without fmt",
    "none_with_statement": 'fmt "none" with a statement',
    "packed": 'fmt "packed", self attestation: fine (not verified)',
    "oversize_attestation": "attestationObject beyond 16 KiB",
    "bad_base64": "a member with padding",
    "unsupported_alg": "an ES384 key (alg -35)",
    "alg_kty_mismatch": "alg of one key type, kty of another",
    "off_curve": "an ES256 point not on P-256",
    "short_x": "a 31-byte x coordinate",
    "rsa_1024": "an RSA key of 1024 bits",
    "duplicate_label": "a COSE label twice",
    # login
    "bad_signature": "a signature with one bit flipped",
    "signed_other": "a good signature of other bytes",
    "with_at": "attested credential data in a login",
    "no_user_handle": "no userHandle",
    "oversize_user_handle": "a userHandle of 65 bytes",
    "oversize_signature": "a signature beyond 512 bytes",
}


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def generate(alg, rsa_bits=2048):
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    raise ValueError("unknown algorithm %r" % alg)


def spki(key):
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def cose_key(alg, key):
    """The COSE_Key map of key's public half (RFC 9052, 9053)."""
    pub = key.public_key()
    if alg == "ES256":
        n = pub.public_numbers()
        return {1: 2, 3: ES256, -1: 1, -2: n.x.to_bytes(32, "big"), -3: n.y.to_bytes(32, "big")}
    if alg == "EdDSA":
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {1: 1, 3: EDDSA, -1: 6, -2: raw}
    n = pub.public_numbers()
    return {1: 3, 3: RS256, -1: n.n.to_bytes((n.n.bit_length() + 7) // 8, "big"),
            -2: n.e.to_bytes((n.e.bit_length() + 7) // 8, "big")}


def sign(alg, key, data):
    if alg == "ES256":
        return key.sign(data, ec.ECDSA(hashes.SHA256()))   # DER, as authenticators give it
    if alg == "EdDSA":
        return key.sign(data)
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def head(key_len):
    """A CBOR map header of key_len pairs (cbor2 cannot write duplicate keys)."""
    return bytes([0xa0 + key_len]) if key_len < 24 else bytes([0xb8, key_len])


class Authenticator:
    def __init__(self, alg="ES256", key=None, credential_id=None, aaguid=None, rsa_bits=2048):
        if alg not in ALGS:
            raise ValueError("unknown algorithm %r" % alg)
        self.alg = alg
        self.key = key or generate(alg, rsa_bits)
        self.credential_id = credential_id or os.urandom(32)
        self.aaguid = aaguid if aaguid is not None else os.urandom(16)

    # ---- state, for the command line ----

    def state(self):
        pem = self.key.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
        return {"alg": self.alg, "key": pem.decode(), "credential_id": b64(self.credential_id),
                "aaguid": b64(self.aaguid)}

    @classmethod
    def from_state(cls, st):
        key = serialization.load_pem_private_key(st["key"].encode(), None)
        return cls(st["alg"], key, unb64(st["credential_id"]), unb64(st["aaguid"]))

    # ---- the pieces ----

    @staticmethod
    def client_data(typ, challenge, origin, breaks):
        if "wrong_type" in breaks:
            typ = "webauthn.get" if typ == "webauthn.create" else "webauthn.create"
        if "wrong_challenge" in breaks:
            challenge = os.urandom(len(challenge))
        if "wrong_origin" in breaks:
            origin = "https://evil.example"
        c = {"type": typ, "challenge": b64(challenge), "origin": origin}
        if "bad_challenge" in breaks:
            c["challenge"] = b64(challenge) + "="
        if "no_challenge" in breaks:
            del c["challenge"]
        c["crossOrigin"] = "cross_origin" in breaks
        if "cross_origin_string" in breaks:
            c["crossOrigin"] = "false"
        if "oversize_client_data" in breaks:
            c["padding"] = "x" * 4200
        text = json.dumps(c, separators=(",", ":"))
        if "bad_json" in breaks:
            text = text[:-1] + ",}"
        return text.encode()

    def auth_data(self, rp_id, flags, counter, breaks, attested=None):
        if "wrong_rp" in breaks:
            rp_id = "evil.example"
        for name, bit in (("no_up", UP), ("no_uv", UV)):
            if name in breaks:
                flags &= ~bit
        if "bs_without_be" in breaks:
            flags = (flags | BS) & ~BE
        if "backup" in breaks:
            flags |= BE | BS
        if "with_at" in breaks and attested is None:
            flags |= AT
            attested = self.aaguid + struct.pack(">H", len(self.credential_id)) + \
                self.credential_id + cbor2.dumps(cose_key(self.alg, self.key))
        if attested is not None:
            flags |= AT
        ext = b""
        if "extensions" in breaks:
            ext = cbor2.dumps({"credProtect": 2})
        elif "bad_extensions" in breaks:
            ext = b"\xff\x00"
        elif "huge_extensions" in breaks:
            ext = b"\xbb\x00\x00\x00\x00\xff\xff\xff\xff\x01\x02"
        if ext or "ed_without_extensions" in breaks:
            flags |= ED
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + \
            struct.pack(">I", counter) + (attested or b"") + ext
        if "truncated_authdata" in breaks:
            data = data[:30]
        if "trailing_authdata" in breaks:
            data += b"\x00"
        return data

    def attested_data(self, breaks):
        """aaguid, credentialIdLength, credentialId, COSE key; and the
        (alg, key) that the COSE key holds."""
        alg, key = self.alg, self.key
        cose = cose_key(alg, key)
        if "unsupported_alg" in breaks:
            key = ec.generate_private_key(ec.SECP384R1())
            n = key.public_key().public_numbers()
            cose = {1: 2, 3: -35, -1: 2, -2: n.x.to_bytes(48, "big"), -3: n.y.to_bytes(48, "big")}
        if "alg_kty_mismatch" in breaks:
            cose[1] = 1 if cose[1] != 1 else 2
        if "off_curve" in breaks and alg == "ES256":
            cose[-3] = bytes(31) + bytes([(cose[-3][31] ^ 1) | 1])
        if "short_x" in breaks:
            cose[-2 if alg != "RS256" else -1] = cose[-2 if alg != "RS256" else -1][:31]
        if "rsa_1024" in breaks:
            key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
            cose = cose_key("RS256", key)
        cose_bytes = cbor2.dumps(cose)
        if "duplicate_label" in breaks:
            body = cbor2.dumps(cose)[1:]
            cose_bytes = head(len(cose) + 1) + body + cbor2.dumps(3) + cbor2.dumps(cose[3])
        if "truncated_key" in breaks:
            cose_bytes = cose_bytes[:-5]
        cred_id = self.credential_id
        id_len = len(cred_id)
        if "oversize_cred_id" in breaks:
            cred_id = os.urandom(1024)
            id_len = 1024
        if "cred_id_beyond_end" in breaks:
            id_len = 1000
        return (self.aaguid + struct.pack(">H", id_len) + cred_id + cose_bytes), cred_id, key

    # ---- the ceremonies ----

    def create(self, rp_id, origin, challenge, counter=0, flags=UP | UV, breaks=()):
        """navigator.credentials.create(), as toJSON() gives it, and what
        a verifier must make of it (the oracle)."""
        breaks = set(breaks)
        cdj = self.client_data("webauthn.create", challenge, origin, breaks)
        attested, cred_id, key = self.attested_data(breaks)
        if "no_at" in breaks:
            attested = None
        auth = self.auth_data(rp_id, flags, counter, breaks, attested)
        fmt, stmt = "none", {}
        if "packed" in breaks:
            digest = hashlib.sha256(cdj).digest()
            fmt, stmt = "packed", {"alg": ALGS[self.alg], "sig": sign(self.alg, self.key, auth + digest)}
        if "none_with_statement" in breaks:
            stmt = {"sig": b"\x00" * 8}
        if "huge_array" in breaks:
            stmt = None
        att = {"fmt": fmt, "attStmt": stmt, "authData": auth}
        if "no_fmt" in breaks:
            del att["fmt"]
        if "oversize_attestation" in breaks:
            att["attStmt"] = {"x5c": [os.urandom(17000)]}
        raw = cbor2.dumps(att)
        if "huge_array" in breaks:
            # attStmt: an array that declares 2^32-1 items and holds one
            raw = cbor2.dumps({"fmt": fmt, "authData": auth})
            raw = head(3) + raw[1:] + cbor2.dumps("attStmt") + b"\x9a\xff\xff\xff\xff\x00"
        if "huge_map" in breaks:
            raw = head(3) + cbor2.dumps({"fmt": "packed", "authData": auth})[1:] + \
                cbor2.dumps("attStmt") + b"\xbb\x80" + bytes(7)
        if "deep_cbor" in breaks:
            raw = head(3) + cbor2.dumps({"fmt": "packed", "authData": auth})[1:] + \
                cbor2.dumps("attStmt") + b"\xa1\x61x" + b"\x81" * 20 + b"\x00"
        if "cbor_tag" in breaks:
            raw = head(3) + cbor2.dumps({"fmt": "packed", "authData": auth})[1:] + \
                cbor2.dumps("attStmt") + b"\xa1\x61x\xc1\x00"
        if "indefinite" in breaks:
            raw = head(3) + cbor2.dumps({"fmt": "packed", "authData": auth})[1:] + \
                cbor2.dumps("attStmt") + b"\xbf\x61x\x00\xff"
        if "duplicate_key" in breaks:
            raw = head(4) + raw[1:] + cbor2.dumps("fmt") + cbor2.dumps("packed")
        if "attestation_not_map" in breaks:
            raw = cbor2.dumps([fmt, stmt, auth])
        if "malformed_cbor" in breaks:
            raw = raw[:len(raw) // 2]
        if "trailing_cbor" in breaks:
            raw += b"\x00"
        raw_id = cred_id if "wrong_raw_id" not in breaks else os.urandom(len(cred_id))
        if "oversize_cred_id" in breaks:
            raw_id = cred_id[:32]     # only the length inside authData is too large
        att_b64 = b64(raw) + ("=" if "bad_base64" in breaks and len(raw) % 3 else "")
        if "bad_base64" in breaks and len(raw) % 3 == 0:
            att_b64 += "=="
        credential = {
            "id": b64(raw_id), "rawId": b64(raw_id), "type": "public-key",
            "response": {"clientDataJSON": b64(cdj), "attestationObject": att_b64,
                         "transports": ["internal", "hybrid"]},
            "authenticatorAttachment": "platform", "clientExtensionResults": {},
        }
        oracle = {"credential_id": b64(cred_id), "spki": b64(spki(key)), "alg": ALGS[self.alg],
                  "sign_count": counter, "aaguid": b64(self.aaguid), "flags": auth[32] if len(auth) > 32 else 0}
        return {"credential": credential, "oracle": oracle}

    def get(self, rp_id, origin, challenge, user_handle=None, counter=0, flags=UP | UV, breaks=()):
        """navigator.credentials.get(), as toJSON() gives it."""
        breaks = set(breaks)
        cdj = self.client_data("webauthn.get", challenge, origin, breaks)
        auth = self.auth_data(rp_id, flags, counter, breaks)
        signed = auth + hashlib.sha256(cdj).digest()
        if "signed_other" in breaks:
            signed = auth + hashlib.sha256(cdj + b" ").digest()
        sig = sign(self.alg, self.key, signed)
        if "bad_signature" in breaks:
            sig = sig[:-1] + bytes([sig[-1] ^ 1])
        if "oversize_signature" in breaks:
            sig = os.urandom(600)
        if user_handle is None:
            user_handle = os.urandom(16)
        if "oversize_user_handle" in breaks:
            user_handle = os.urandom(65)
        response = {"clientDataJSON": b64(cdj), "authenticatorData": b64(auth),
                    "signature": b64(sig) + ("==" if "bad_base64" in breaks else "")}
        if "no_user_handle" not in breaks:
            response["userHandle"] = b64(user_handle)
        credential = {"id": b64(self.credential_id), "rawId": b64(self.credential_id),
                      "type": "public-key", "response": response,
                      "authenticatorAttachment": "platform", "clientExtensionResults": {}}
        oracle = {"sign_count": counter, "flags": auth[32] if len(auth) > 32 else 0,
                  "user_handle": b64(user_handle), "spki": b64(spki(self.key))}
        return {"credential": credential, "oracle": oracle}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("op", choices=("create", "get", "batch"))
    p.add_argument("--alg", default="ES256", choices=sorted(ALGS))
    p.add_argument("--rp-id", required=True)
    p.add_argument("--origin", required=True)
    p.add_argument("--challenge", required=True, help="base64url")
    p.add_argument("--state", help="the authenticator's file (create writes it, get reads it)")
    p.add_argument("--counter", type=int, default=0)
    p.add_argument("--user-handle", help="base64url (get; default: 16 random bytes)")
    p.add_argument("--break", dest="breaks", action="append", default=[], choices=sorted(BREAKS))
    a = p.parse_args()
    challenge = unb64(a.challenge)

    if a.op == "create":
        auth = Authenticator(a.alg)
        out = auth.create(a.rp_id, a.origin, challenge, a.counter, breaks=a.breaks)
        if a.state:
            with open(a.state, "w") as f:
                json.dump(auth.state(), f)
        print(json.dumps(out))
    elif a.op == "get":
        if not a.state:
            p.error("get needs --state (the file create wrote)")
        with open(a.state) as f:
            auth = Authenticator.from_state(json.load(f))
        uh = unb64(a.user_handle) if a.user_handle else None
        print(json.dumps(auth.get(a.rp_id, a.origin, challenge, uh, a.counter, breaks=a.breaks)))
    else:
        auths = {}
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                alg = r.get("alg", "ES256")
                if alg not in auths:
                    auths[alg] = Authenticator(alg)
                breaks = r.get("breaks", [])
                for b in breaks:
                    if b not in BREAKS:
                        raise ValueError("unknown break %r" % b)
                if r["op"] == "create":
                    out = auths[alg].create(a.rp_id, a.origin, challenge, r.get("counter", 0),
                                            breaks=breaks)
                else:
                    uh = unb64(r["user_handle"]) if r.get("user_handle") else None
                    out = auths[alg].get(a.rp_id, a.origin, challenge, uh, r.get("counter", 0),
                                         breaks=breaks)
            except Exception as e:  # one bad request must not hide the others
                out = {"error": "%s: %s" % (type(e).__name__, e)}
            print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
