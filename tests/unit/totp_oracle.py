#!/usr/bin/python3
"""The otpauth URI of totp.c read by code no one here wrote (test_totp.c
runs this): pyotp.parse_uri computes the codes, and urllib.parse, which
decodes RFC 3986 exactly, reads the issuer and the label back.

    totp_oracle.py TIME...      (the URI in the environment, OTPAUTH_URI)

Prints, one per line: "label HEX", "issuer HEX" (the UTF-8 bytes that the
path's label and the issuer parameter decode to), "params NAME,..." (the
query's parameter names in order), then "pyotp ISSUER_HEX NAME_HEX DIGITS
PERIOD ALG" and "code TIME CODE" for each TIME, or "pyotp-error WHY" when
pyotp could not read the URI.
"""
import os
import sys
from urllib.parse import parse_qsl, unquote_to_bytes, urlsplit

import pyotp

uri = os.environ["OTPAUTH_URI"]
parts = urlsplit(uri)
assert parts.scheme == "otpauth" and parts.netloc == "totp", uri
issuer_label, _, label = unquote_to_bytes(parts.path[1:]).partition(b":")
print("label", label.hex())
query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True,
                  encoding="utf-8", errors="strict")
print("params", ",".join(k for k, _ in query))
issuer = dict(query)["issuer"].encode("utf-8")
assert issuer == issuer_label, (issuer, issuer_label)
print("issuer", issuer.hex())

try:
    otp = pyotp.parse_uri(uri)
except ValueError as e:
    print("pyotp-error", str(e).replace("\n", " "))
    sys.exit(0)
print("pyotp", (otp.issuer or "").encode().hex(), otp.name.encode().hex(),
      otp.digits, otp.interval, otp.digest().name)
for t in sys.argv[1:]:
    print("code", t, otp.at(int(t)))
