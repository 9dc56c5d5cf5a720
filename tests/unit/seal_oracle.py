#!/usr/bin/python3
"""seal.c's text form read and written by code no one here wrote: the
AES-256-GCM of python3-cryptography (test_seal.c runs this).

    seal_oracle.py open KEYHEX BINDING TEXT      prints the plaintext in hex
    seal_oracle.py seal KEYHEX BINDING PLAINHEX  prints a v1 text

The authenticated data is "v1." followed by the binding; the text is
v1.<base64url nonce>.<base64url ciphertext and tag>, without padding.
"""
import base64
import os
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


op, key, binding, arg = sys.argv[1], bytes.fromhex(sys.argv[2]), sys.argv[3], sys.argv[4]
aad = b"v1." + binding.encode()
if op == "open":
    version, nonce, sealed = arg.split(".")
    assert version == "v1"
    print(AESGCM(key).decrypt(b64d(nonce), b64d(sealed), aad).hex())
else:
    nonce = os.urandom(12)
    print("v1." + b64e(nonce) + "." + b64e(AESGCM(key).encrypt(nonce, bytes.fromhex(arg), aad)))
