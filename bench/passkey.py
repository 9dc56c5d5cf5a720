#!/usr/bin/python3
"""The passkey_login scenario's preparation (bench/run.sh): a passkey for
the bench account, registered through the API with the tests' software
authenticator (tests/webauthn/authenticator.py), and a pool of sign-ins
made before the run, since a challenge is good once: for each, a challenge
session written straight into Redis (RESP for redis-cli --pipe, as
passkey.lua's `open` writes it) and the assertion signed over it (ES256,
counter 0: an authenticator without a counter, which every login accepts).
wrk (bench/passkey_login.lua) then sends each body once.

    passkey.py API PHONE PASSWORD RP_ID ORIGIN PREFIX SESSION_TTL N OUT

writes OUT.resp (the sessions) and OUT (one JSON body a line)."""
import json
import os
import sys
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "webauthn"))
from authenticator import Authenticator, b64, unb64  # noqa: E402


def post(api, route, body, access=None):
    headers = {"Content-Type": "application/json"}
    if access:
        headers["Authorization"] = "Bearer " + access
    req = urllib.request.Request(api + "/" + route, json.dumps(body).encode(), headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def main(argv):
    api, phone, password, rp_id, origin, prefix, ttl, n, out = argv[1:10]
    access = post(api, "login", {"mobile_number": phone, "password": password})["tokens"]["access_token"]
    opts = post(api, "passkeys/register/options", {}, access)
    a = Authenticator("ES256")
    reg = a.create(rp_id, origin, unb64(opts["publicKey"]["challenge"]))
    post(api, "passkeys/register", {"session_id": opts["session_id"], "credential": reg["credential"]}, access)
    handle = unb64(opts["publicKey"]["user"]["id"])
    with open(out + ".resp", "wb") as r, open(out, "w") as b:
        for _ in range(int(n)):
            sid = str(uuid.uuid4())
            challenge = os.urandom(32)
            key = prefix + "s:" + sid
            r.write(resp("HSET", key, "pk", "login", "ch", b64(challenge), "uid", "0"))
            r.write(resp("PEXPIRE", key, int(ttl) * 1000))
            got = a.get(rp_id, origin, challenge, user_handle=handle, counter=0)
            b.write(json.dumps({"session_id": sid, "credential": got["credential"]},
                               separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(sys.argv)
