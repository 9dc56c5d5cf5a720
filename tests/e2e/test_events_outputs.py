"""Events end to end (API.md, "Events and notices"): from real actions
through the stack's workers to real outputs. A sender of this file's own
(the real program, the stack's configuration) runs with every output on: a
webhook to a receiver of the test's own on loopback (signed; each POST
verified with the npm package `standardwebhooks`, and refused with another
secret), an audit file and an event_command, next to the SMS notices.

- every type the contract lists, made by the action that causes it, arrives
  at the receiver with its data, in the order of the stream, once; the audit
  file and the command have the same events, one each;
- a receiver down or hanging holds up no sign-in (latency compared with the
  receiver up), and once it is up it gets every event, in order, none twice;
- nothing secret (the test's passwords, codes, TOTP secret and codes,
  recovery codes, tokens) is in the audit file or any body the receiver got;
- notices from real actions: the old number on a phone change (and no code),
  a password change, a passkey added, TOTP turned on; Persian for a Persian
  request; none with notices = off;
- workers killed (SIGKILL) in the middle of sign-ups, many times: at the
  receiver, no signup.completed without its account and no account without it.

The stream and outboxes are the stack's (prefix phoneauth:). The stack's
own sender (which holds the audit and notices outputs) is stopped while
this file runs, so the senders here are the only ones. An output that is new
(a receiver's URL of its own) starts at the stream's beginning: each check
looks at the events of its own accounts and client addresses only."""

import base64
import http.server
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time

import pyotp

from pa import (PASSWORD, REDIS_PREFIX, Client, Pool, admin, bearer, check, config, cooldown_over,
                expect, family_of, fresh_phone, free_port, latest_code, login, psql,
                redis_command, refresh, run, signup, stack, stop_process, stream_entries, test,
                totp_steady, user_row, wait_for, wrong_login)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "webauthn"))
from authenticator import Authenticator, b64, unb64  # noqa: E402

REPO = os.environ.get("PA_REPO", ".")
STATE = os.environ.get("PA_STATE_DIR", "/tmp")
EVENTS = REDIS_PREFIX + "events"
CONF = config()
RP_ID = CONF.get("passkey_rp_id", "localhost")
ORIGIN = CONF.get("passkey_origins", "http://localhost:8080").split(",")[0].strip()
NEW_PASSWORD = "a brand new passphrase 7"
RESET_PASSWORD = "yet another passphrase 9"
TYPES = {"signup.completed", "login.succeeded", "login.failed", "mfa.failed", "password.changed",
         "phone.changed", "account.deleted", "session.revoked", "token.reused", "block.started",
         "mfa.enabled", "mfa.disabled", "recovery_codes.renewed", "passkey.added",
         "passkey.removed", "user.banned", "user.unbanned"}
SECRETS = []        # every password, code, token and secret the tests used
_n = [0]


def keep(*secrets):
    SECRETS.extend(s for s in secrets if s)
    return secrets[0] if len(secrets) == 1 else secrets


# ---- the outputs: a receiver, a secret, an audit file, a command ----

def secret_file(name):
    key = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    path = os.path.join(STATE, "whsec-out-%s-%d" % (name, os.getpid()))
    with open(path, "w") as f:
        f.write(key + "\n")
    os.chmod(path, 0o600)
    return path, key


class Receiver:
    """A webhook receiver on loopback: records each delivery it accepts
    (headers, body); `mode` says how it answers: "ok" (204) or "hang"
    (holds the request 30 s, records nothing)."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.got = []
        self.mode = "ok"
        self.server = None
        self.lock = threading.Lock()

    def url(self):
        return "http://127.0.0.1:%d/hook" % self.port

    def start(self):
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if rec.mode == "hang":
                    time.sleep(30)
                    return
                with rec.lock:
                    rec.got.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                    "body": body.decode()})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def events(self, pred=lambda ev: True):
        with self.lock:
            got = list(self.got)
        return [json.loads(g["body"])["data"] for g in got
                if pred(json.loads(g["body"])["data"])]


class Sender:
    """The program's sender with the stack's configuration and these
    settings on top (PHONEAUTH_<KEY>)."""

    def __init__(self, name, **settings):
        _n[0] += 1
        self.log = os.path.join(STATE, "events-out-%s-%d-%d.log" % (name, os.getpid(), _n[0]))
        self.env = {"PHONEAUTH_" + k.upper(): str(v) for k, v in settings.items()}
        self.p = None

    def __enter__(self):
        self.p = subprocess.Popen([os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"], "sender"],
                                  env=dict(os.environ, **self.env), stdout=open(self.log, "w"),
                                  stderr=subprocess.STDOUT, start_new_session=True)
        check(wait_for(lambda: "ready" in open(self.log).read(), 10),
              "the sender did not start: %s" % open(self.log).read()[-800:])
        return self

    def __exit__(self, *exc):
        stop_process(self.p)
        return False


class Outputs:
    """A receiver, an audit file and an event_command of their own, and a
    sender with all of them on."""

    def __init__(self, name, **settings):
        self.secret_path, self.secret = secret_file(name)
        _, self.other = secret_file(name + "-other")
        self.rec = Receiver().start()
        self.audit = os.path.join(STATE, "audit-out-%s-%d.jsonl" % (name, os.getpid()))
        self.cmd_out = os.path.join(STATE, "event-cmd-out-%s-%d.jsonl" % (name, os.getpid()))
        script = os.path.join(STATE, "event-cmd-out-%d.sh" % os.getpid())
        with open(script, "w") as f:
            f.write('#!/bin/sh\n{ cat; echo; } >> "$1"\n')
        os.chmod(script, 0o755)
        for f in (self.audit, self.cmd_out):
            if os.path.exists(f):
                os.unlink(f)
        self.settings = dict(webhook_url=self.rec.url(), webhook_secret_file=self.secret_path,
                             audit_log=self.audit, event_command="%s %s" % (script, self.cmd_out))
        self.settings.update(settings)
        self.sender = Sender(name, **self.settings)

    def __enter__(self):
        self.sender.__enter__()
        return self

    def __exit__(self, *exc):
        self.sender.__exit__()
        self.rec.stop()
        return False

    @staticmethod
    def lines(path, pred):
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [ev for ev in (json.loads(l) for l in f.read().splitlines() if l) if pred(ev)]

    def audited(self, pred):
        return self.lines(self.audit, pred)

    def commanded(self, pred):
        return self.lines(self.cmd_out, pred)


class StreamWatch:
    """Reads the stack's stream as it grows (the senders trim what every
    output has delivered): stream order, the order the outputs must keep."""

    def __init__(self):
        self.seen = []
        self.last = "0-0"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def poll(self):
        for sid, f in redis_command("XRANGE", EVENTS, "(" + self.last, "+") or []:
            d = {f[i].decode(): f[i + 1].decode() for i in range(0, len(f), 2)}
            self.seen.append(json.loads(d["event"]))
            self.last = sid.decode()

    def loop(self):
        while not self.stop.is_set():
            self.poll()
            time.sleep(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        return False

    def events(self, pred):
        return [ev for ev in list(self.seen) if pred(ev)]


def in_stream_order(got, seen):
    """The events an output got are in the stream's order: those the watch
    saw (all, or nearly: a sender may trim an entry its outputs delivered
    between two reads) come in the order it saw them, and each is there."""
    check(len(seen) >= len(got) // 2, "the watch saw %d of %d" % (len(seen), len(got)))
    ids = {ev["id"] for ev in got}
    check(all(ev["id"] in ids for ev in seen), "an event of the stream not delivered")
    seen_ids = {ev["id"] for ev in seen}
    check([ev for ev in got if ev["id"] in seen_ids] == seen,
          "an output's events are not in the stream's order")


def verify_with_npm(deliveries, secret, other):
    """The npm package standardwebhooks over each delivery: with the secret
    (must verify) and another (must be refused); one verdict line each."""
    node_path = subprocess.run([os.path.join(REPO, "tests", "node", "ensure.sh")],
                               capture_output=True, text=True, check=True).stdout.strip()
    script = r"""
const { Webhook } = require('standardwebhooks');
const [secret, other] = [process.argv[1], process.argv[2]];
const all = JSON.parse(require('fs').readFileSync(0, 'utf8'));
for (const d of all) {
  let ok = 'verified';
  try {
    const p = new Webhook(secret).verify(d.body, d.headers);
    if (p.data.id !== d.headers['webhook-id']) ok = 'another id';
  } catch (e) { ok = 'refused ' + e.message; }
  let bad = 'verified';
  try { new Webhook(other).verify(d.body, d.headers); } catch (e) { bad = 'refused'; }
  console.log(ok + ' / ' + bad);
}
"""
    r = subprocess.run(["node", "-e", script, secret, other], input=json.dumps(deliveries),
                       env=dict(os.environ, NODE_PATH=node_path), capture_output=True, text=True)
    check(r.returncode == 0, "node: %s" % r.stderr[-500:])
    return r.stdout.splitlines()


# ---- what the actions should make ----

class Expected:
    """The events of some accounts and client addresses, as they should be
    at the receiver: each step adds what it should make and waits until the
    receiver has exactly those, in that order."""

    def __init__(self, out, pred):
        self.out = out
        self.pred = pred
        self.want = []

    def step(self, *want, timeout=20):
        self.want.extend(want)
        ok = wait_for(lambda: len(self.out.rec.events(self.pred)) >= len(self.want), timeout, 0.2)
        time.sleep(0.3)     # nothing more comes (none twice)
        got = self.out.rec.events(self.pred)
        check(ok and len(got) == len(self.want),
              "wanted %d events, got %d: the last wanted %s, got %s"
              % (len(self.want), len(got), [w[0] for w in self.want[-len(want) - 1:]],
                 [ev["type"] for ev in got[len(self.want) - len(want) - 1:]]))
        for ev, (etype, data, extra) in zip(got, self.want):
            check(ev["type"] == etype, "wanted %s, got %s" % (etype, ev))
            check(data is None or ev["data"] == data,
                  "%s: data %r, wanted %r" % (etype, ev["data"], data))
            for k, v in extra.items():
                check(ev[k] == v, "%s: %s is %r, wanted %r" % (etype, k, ev[k], v))
        return got


def E(etype, data=None, **extra):
    return (etype, data or {}, extra)


def fam(tokens):
    f = family_of(tokens["refresh_token"])
    check(f, "no family")
    return f


def keep_tokens(t):
    keep(t["access_token"], t["refresh_token"])
    return t


def add_passkey(c, access):
    body = expect(c.post("passkeys/register/options", {}, headers=bearer(access)), 200)
    a = Authenticator("ES256")
    reg = a.create(RP_ID, ORIGIN, unb64(body["publicKey"]["challenge"]))
    got = expect(c.post("passkeys/register", {"session_id": body["session_id"],
                                              "credential": reg["credential"]},
                        headers=bearer(access)), 201)
    check(got["id"] == b64(a.credential_id), got)
    return a, unb64(body["publicKey"]["user"]["id"])


def passkey_login(c, a, handle):
    body = expect(c.post("passkeys/login/options", {}), 200)
    got = a.get(RP_ID, ORIGIN, unb64(body["publicKey"]["challenge"]), user_handle=handle, counter=1)
    return expect(c.post("passkeys/login", {"session_id": body["session_id"],
                                            "credential": got["credential"]}), 200)["tokens"]


def totp_on(c, access):
    setup = expect(c.post("mfa/totp/setup", {"password": PASSWORD}, headers=bearer(access)), 200)
    keep(setup["secret"], setup["otpauth_uri"])
    totp = pyotp.parse_uri(setup["otpauth_uri"])
    t0 = totp_steady()
    code = keep(totp.at(t0))
    codes = expect(c.post("mfa/totp/confirm", {"code": code}, headers=bearer(access)),
                   200)["recovery_codes"]
    keep(*codes)
    return totp, codes, t0


def mfa_session(c, phone, password=PASSWORD):
    body = expect(c.post("login", {"mobile_number": phone, "password": password}), 200)
    check(body.get("next_step") == "mfa", body)
    return body["session_id"]


def signed_up(c, phone):
    t = keep_tokens(signup(c, phone))
    keep(latest_code(phone))
    return t, int(user_row(phone)["id"])


# ---- 1. every type, from its action to the receiver, the file and the command ----

@test
def every_type_arrives_at_every_output_with_its_data_in_order_once_and_signed():
    keep(PASSWORD, NEW_PASSWORD, RESET_PASSWORD)
    uids, ips = set(), set()

    def mine(ev):
        return ev["user_id"] in uids or (ev["user_id"] is None and ev["ip"] in ips)

    with StreamWatch() as stream, Outputs("all") as out, \
            Pool({"PHONEAUTH_LOGIN_BY_CODE": "on", "PHONEAUTH_REFRESH_GRACE": "0"},
                 "events-outputs") as url:
        # -- account A: password, code and passkey logins, every kind of end --
        c, phone, new = Client(base_url=url), fresh_phone(), fresh_phone()
        ips.add(c.ip)
        agent = 'OutputsTest/1.0 "quoted" \\back'
        t1, uid = signed_up(c, phone)
        uids.add(uid)
        x = Expected(out, lambda ev: ev["user_id"] == uid)
        who = dict(user_id=uid, mobile_number=phone, ip=c.ip)
        x.step(E("signup.completed", **who))
        t2 = keep_tokens(login(c, phone, agent=agent))
        x.step(E("login.succeeded", {"method": "password", "mfa": None}, user_agent=agent, **who))
        other = Client(base_url=url)
        ips.add(other.ip)
        expect(wrong_login(other, phone), 401, "password_incorrect")
        x.step(E("login.failed", {"reason": "password_incorrect"}, user_id=uid,
                 mobile_number=phone, ip=other.ip))
        expect(c.post("password/change", {"password": PASSWORD, "new_password": NEW_PASSWORD},
                      headers=bearer(t2["access_token"])), 200)
        x.step(E("password.changed", {"via": "change"}, **who),
               E("session.revoked", {"sid": fam(t1), "why": "password"}, **who))
        t3 = keep_tokens(login(c, phone, NEW_PASSWORD))
        expect(c.post("logout", {"refresh": t3["refresh_token"]}), 200)
        x.step(E("login.succeeded", {"method": "password", "mfa": None}, **who),
               E("session.revoked", {"sid": fam(t3), "why": "logout"}, **who))
        t4 = keep_tokens(login(c, phone, NEW_PASSWORD))
        expect(c.request("DELETE", "sessions/" + fam(t4), headers=bearer(t2["access_token"])), 200)
        x.step(E("login.succeeded", {"method": "password", "mfa": None}, **who),
               E("session.revoked", {"sid": fam(t4), "why": "ended"}, **who))
        expect(c.post("logout-all", {}, headers=bearer(t2["access_token"])), 200)
        x.step(E("session.revoked", {"sid": fam(t2), "why": "logout_all"}, **who))
        # a login by code, whose refresh token is then presented twice
        cooldown_over(phone)
        sid = expect(c.post("login/code", {"mobile_number": phone}), 200)["session_id"]
        t5 = keep_tokens(expect(c.post("verify-otp", {"session_id": sid, "code": keep(
            latest_code(phone, "login"))}), 200)["tokens"])
        x.step(E("login.succeeded", {"method": "code", "mfa": None}, **who))
        rotated = expect(refresh(c, t5["refresh_token"]), 200)
        keep(rotated["access"], rotated["refresh"])
        expect(refresh(c, t5["refresh_token"]), 401, "token_reused")
        x.step(E("token.reused", {"sid": fam(t5)}, **who),
               E("session.revoked", {"sid": fam(t5), "why": "reuse"}, **who))
        # a passkey: added, signed in with, removed
        t6 = keep_tokens(login(c, phone, NEW_PASSWORD))
        a, handle = add_passkey(c, t6["access_token"])
        cred = b64(a.credential_id)
        x.step(E("login.succeeded", {"method": "password", "mfa": None}, **who),
               E("passkey.added", {"id": cred}, **who))
        t7 = keep_tokens(passkey_login(c, a, handle))
        x.step(E("login.succeeded", {"method": "passkey", "mfa": None}, **who))
        expect(c.request("DELETE", "passkeys/" + cred, headers=bearer(t7["access_token"])), 200)
        expect(c.post("logout", {"refresh": t7["refresh_token"]}), 200)
        x.step(E("passkey.removed", {"id": cred}, **who),
               E("session.revoked", {"sid": fam(t7), "why": "logout"}, **who))
        # a reset ends the login left (t6's)
        cooldown_over(phone)
        sid = expect(c.post("password-reset", {"mobile_number": phone}), 200)["session_id"]
        expect(c.post("verify-otp", {"session_id": sid,
                                     "code": keep(latest_code(phone, "reset"))}), 200)
        # (the reset's own login is no login.succeeded: the contract's methods are
        # password, code and passkey; a sign-up's tokens make none either)
        t_reset = keep_tokens(expect(c.post("set-password", {"session_id": sid,
                                                             "password": RESET_PASSWORD}),
                                     200)["tokens"])
        x.step(E("password.changed", {"via": "reset"}, **who),
               E("session.revoked", {"sid": fam(t6), "why": "password"}, **who))
        # a new number, proved by its code
        t8 = keep_tokens(login(c, phone, RESET_PASSWORD))
        sid = expect(c.post("phone/change", {"mobile_number": new, "password": RESET_PASSWORD},
                            headers=bearer(t8["access_token"])), 200)["session_id"]
        x.step(E("login.succeeded", {"method": "password", "mfa": None}, **who))
        expect(c.post("verify-otp", {"session_id": sid, "code": keep(latest_code(new))}), 200)
        who["mobile_number"] = new
        x.step(E("phone.changed", {"old": phone, "new": new}, **who))
        # the administrator's commands: no address, no user agent
        by_admin = dict(user_id=uid, mobile_number=new, ip=None, user_agent=None)
        for args in (("ban", new), ("unban", new)):
            r = admin(*args)
            check(r.returncode == 0, r.stderr)
        # one session.revoked per login it ends, in no order the contract gives
        revoked = ("session.revoked", None, by_admin)
        got = x.step(E("user.banned", **by_admin), revoked, revoked, E("user.unbanned", **by_admin))
        check(sorted(ev["data"]["sid"] for ev in got[-3:-1]) == sorted([fam(t8), fam(t_reset)])
              and all(ev["data"]["why"] == "admin" for ev in got[-3:-1]), got[-3:-1])
        t9 = keep_tokens(login(c, new, RESET_PASSWORD))
        r = admin("revoke", new)
        check(r.returncode == 0, r.stderr)
        x.step(E("login.succeeded", {"method": "password", "mfa": None}, **who),
               E("session.revoked", {"sid": fam(t9), "why": "admin"}, **by_admin))
        r = admin("delete", new)
        check(r.returncode == 0, r.stderr)
        x.step(E("account.deleted", **by_admin))

        # -- account B: TOTP on, a recovery code, new codes, the administrator's reset --
        c, phone = Client(base_url=url), fresh_phone()
        ips.add(c.ip)
        t, uid = signed_up(c, phone)
        uids.add(uid)
        who = dict(user_id=uid, mobile_number=phone, ip=c.ip)
        x = Expected(out, lambda ev: ev["user_id"] == uid)
        totp, codes, t0 = totp_on(c, t["access_token"])
        x.step(E("signup.completed", **who), E("mfa.enabled", **who))
        sid = mfa_session(c, phone)
        keep_tokens(expect(c.post("verify-mfa", {"session_id": sid, "code": codes[0]}),
                           200)["tokens"])
        x.step(E("login.succeeded", {"method": "password", "mfa": "recovery_code"}, **who))
        renewed = expect(c.post("mfa/recovery-codes", {"password": PASSWORD,
                                                       "code": keep(totp.at(t0 + 30))},
                                headers=bearer(t["access_token"])), 200)
        keep(*renewed["recovery_codes"])
        x.step(E("recovery_codes.renewed", **who))
        r = admin("mfa-reset", phone)
        check(r.returncode == 0, r.stderr)
        x.step(E("mfa.disabled", user_id=uid, mobile_number=phone, ip=None))

        # -- account C: a wrong second factor, a TOTP login, its owner turns it off --
        c, phone = Client(base_url=url), fresh_phone()
        ips.add(c.ip)
        t, uid = signed_up(c, phone)
        uids.add(uid)
        who = dict(user_id=uid, mobile_number=phone, ip=c.ip)
        x = Expected(out, lambda ev: ev["user_id"] == uid)
        totp, codes, t0 = totp_on(c, t["access_token"])
        x.step(E("signup.completed", **who), E("mfa.enabled", **who))
        sid = mfa_session(c, phone)
        wrong = next(w for w in ("000000", "111111", "222222")
                     if w not in (totp.at(t0 + 30 * k) for k in (-1, 0, 1, 2)))
        expect(c.post("verify-mfa", {"session_id": sid, "code": wrong}), 400, "mfa_invalid")
        x.step(E("mfa.failed", **who))
        keep_tokens(expect(c.post("verify-mfa", {"session_id": sid,
                                                 "code": keep(totp.at(t0 + 30))}), 200)["tokens"])
        x.step(E("login.succeeded", {"method": "password", "mfa": "totp"}, **who))
        expect(c.post("mfa/totp/disable", {"password": PASSWORD, "code": codes[3]},
                      headers=bearer(t["access_token"])), 200)
        x.step(E("mfa.disabled", **who))

        # -- account D: three failures block the address and the number --
        phone = fresh_phone()
        _t, uid = signed_up(Client(base_url=url), phone)
        uids.add(uid)
        c = Client(base_url=url, lang="fa")
        ips.add(c.ip)
        x = Expected(out, lambda ev: ev["ip"] == c.ip)
        for _ in range(3):
            expect(wrong_login(c, phone), 401, "password_incorrect")
        expect(wrong_login(c, phone), 429, "too_many_attempts")
        failed = E("login.failed", {"reason": "password_incorrect"}, user_id=uid,
                   mobile_number=phone)
        got = x.step(failed, failed, failed,
                     ("block.started", None, dict(user_id=None, mobile_number=None)),
                     ("block.started", None, dict(user_id=uid, mobile_number=phone)))
        check([ev["data"]["kind"] for ev in got[3:]] == ["ip", "number"], got[3:])

        # -- the whole: every type; the stream's order; the other outputs --
        time.sleep(1.5)
        got = out.rec.events(mine)
        check({ev["type"] for ev in got} == TYPES, "types missing: %s"
              % sorted(TYPES - {ev["type"] for ev in got}))
        ids = [ev["id"] for ev in got]
        check(len(set(ids)) == len(ids), "a delivery twice")
        in_stream_order(got, stream.events(mine))
        check(wait_for(lambda: out.audited(mine) == got, 10),
              "audit file: %s" % [ev["type"] for ev in out.audited(mine)])
        check(wait_for(lambda: out.commanded(mine) == got, 10),
              "event_command: %s" % [ev["type"] for ev in out.commanded(mine)])
        with open(out.audit) as f:
            lines = f.read().splitlines()
        check(len(lines) == len(set(lines)), "an audit line twice")
    # each POST: the payload of Standard Webhooks, verified by the npm package
    deliveries = [g for g in out.rec.got if mine(json.loads(g["body"])["data"])]
    for g in deliveries:
        payload = json.loads(g["body"])
        check(set(payload) == {"type", "timestamp", "data"}, payload)
        check(payload["type"] == payload["data"]["type"] and
              payload["timestamp"] == payload["data"]["at"], payload)
        check(g["headers"]["webhook-id"] == payload["data"]["id"], g["headers"])
    verdicts = verify_with_npm(deliveries, out.secret, out.other)
    check(verdicts == ["verified / refused"] * len(deliveries),
          [v for v in verdicts if v != "verified / refused"][:5])
    # nothing secret in what went out
    texts = {"the audit file": open(out.audit).read(),
             "the receiver's bodies": "\n".join(g["body"] for g in out.rec.got),
             "event_command's input": open(out.cmd_out).read()}
    no_secret_in(texts)


def no_secret_in(texts):
    check(len(SECRETS) > 20, SECRETS)
    for where, text in texts.items():
        for s in SECRETS:
            for form in {s, json.dumps(s)[1:-1], s.replace("-", "")}:
                check(form not in text, "a secret in %s: %s..." % (where, s[:12]))
            for part in s.split("."):       # a token's claims and signature
                check(len(part) < 20 or part not in text, "part of a token in %s" % where)


# ---- 2. the receiver down or hanging: no sign-in waits; then every event, once ----

def login_latency(c, phone, n=8):
    """The median seconds of n logins (their tokens kept as secrets)."""
    took = []
    for _ in range(n):
        start = time.monotonic()
        keep_tokens(login(c, phone))
        took.append(time.monotonic() - start)
    return statistics.median(took)


@test
def a_receiver_down_or_hanging_holds_up_no_sign_in_and_then_gets_every_event_once_in_order():
    with StreamWatch() as stream, Outputs("down", webhook_timeout=2) as out:
        c, phone = Client(), fresh_phone()
        _t, uid = signed_up(c, phone)
        mine = lambda ev: ev["user_id"] == uid      # noqa: E731
        check(wait_for(lambda: len(out.rec.events(mine)) == 1, 60), "the receiver got nothing")
        up = login_latency(c, phone)
        check(wait_for(lambda: len(out.rec.events(mine)) == 9, 20), "not delivered while up")
        # hanging past webhook_timeout
        out.rec.mode = "hang"
        hanging = login_latency(c, phone)
        # down: nothing listens on its port
        out.rec.stop()
        down = login_latency(c, phone)
        check(hanging < 3 * up + 0.25 and down < 3 * up + 0.25,
              "logins waited on the receiver: median %.3f s up, %.3f s hanging, %.3f s down"
              % (up, hanging, down))
        # the audit file went on meanwhile
        check(wait_for(lambda: len(out.audited(mine)) == 25, 15),
              "the audit file was held up: %d" % len(out.audited(mine)))
        check(len(out.rec.events(mine)) == 9, "delivered while hanging or down?")
        time.sleep(3)
        out.rec.mode = "ok"
        out.rec.start()
        check(wait_for(lambda: len(out.rec.events(mine)) >= 25, 90),
              "after the receiver came up: %d of 25" % len(out.rec.events(mine)))
        time.sleep(2)
        got = out.rec.events(mine)
        ids = [ev["id"] for ev in got]
        check(len(ids) == 25 and len(set(ids)) == 25, "twice: %d deliveries" % len(ids))
        in_stream_order(got, stream.events(mine))
        check([ev["type"] for ev in got] == ["signup.completed"] + ["login.succeeded"] * 24,
              [ev["type"] for ev in got])
        texts = {"the audit file": open(out.audit).read(),
                 "the receiver's bodies": "\n".join(g["body"] for g in out.rec.got)}
    no_secret_in(texts)


# ---- 4. notices from real actions ----

def notices(phone, event=None):
    return [e for e in stream_entries(REDIS_PREFIX + "sms")
            if e.get("phone") == phone and e.get("purpose") == "notice"
            and (event is None or e.get("event") == event)]


def codes_to(phone):
    return [e for e in stream_entries(REDIS_PREFIX + "sms")
            if e.get("phone") == phone and e.get("purpose") != "notice"]


@test
def real_changes_send_their_notices_to_the_right_number_in_the_request_s_language():
    with Outputs("notices"):
        # a phone change: a notice to the old number, and no code to it
        c, phone, new = Client(), fresh_phone(), fresh_phone()
        t, uid = signed_up(c, phone)
        codes_before = len(codes_to(phone))
        sid = expect(c.post("phone/change", {"mobile_number": new, "password": PASSWORD},
                            headers=bearer(t["access_token"])), 200)["session_id"]
        expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(new)}), 200)
        check(wait_for(lambda: notices(phone), 15), "no notice to the old number")
        time.sleep(1)
        n = notices(phone)
        check(len(n) == 1 and n[0]["event"] == "phone.changed" and n[0]["code"] == ""
              and n[0]["language"] == "en", n)
        check("phone number" in n[0]["text"] and new not in n[0]["text"], n[0]["text"])
        check(len(codes_to(phone)) == codes_before, "a code to the old number")
        check(notices(new) == [], "a notice to the new number: %s" % notices(new))
        # a password change, in Persian: the Persian template, to the number
        c = Client(lang="fa")
        phone = fresh_phone()
        t, uid = signed_up(c, phone)
        expect(c.post("password/change", {"password": PASSWORD, "new_password": NEW_PASSWORD},
                      headers=bearer(t["access_token"])), 200)
        check(wait_for(lambda: notices(phone, "password.changed"), 15), "no password notice")
        n = notices(phone)
        check(len(n) == 1 and n[0]["code"] == "" and n[0]["language"] == "fa", n)
        check("رمز عبور" in n[0]["text"] and "password" not in n[0]["text"], n[0]["text"])
        # the same in English
        c, phone = Client(), fresh_phone()
        t, uid = signed_up(c, phone)
        expect(c.post("password/change", {"password": PASSWORD, "new_password": NEW_PASSWORD},
                      headers=bearer(t["access_token"])), 200)
        check(wait_for(lambda: notices(phone, "password.changed"), 15), "no password notice")
        n = notices(phone)
        check(len(n) == 1 and n[0]["language"] == "en" and "password" in n[0]["text"], n)
        # a passkey added, TOTP turned on: one each
        t = keep_tokens(login(c, phone, NEW_PASSWORD))
        add_passkey(c, t["access_token"])
        check(wait_for(lambda: notices(phone, "passkey.added"), 15), "no passkey notice")
        expect(c.post("password/change", {"password": NEW_PASSWORD, "new_password": PASSWORD},
                      headers=bearer(t["access_token"])), 200)
        totp_on(c, t["access_token"])
        check(wait_for(lambda: notices(phone, "mfa.enabled"), 15), "no mfa notice")
        time.sleep(1)
        check(sorted(e["event"] for e in notices(phone)) ==
              ["mfa.enabled", "passkey.added", "password.changed", "password.changed"],
              [e["event"] for e in notices(phone)])
        check(all(e["code"] == "" and e["text"] for e in notices(phone)), notices(phone))


@test
def notices_off_sends_none_for_real_changes():
    with Outputs("notices-off", notices="off") as out:
        c, phone, new = Client(), fresh_phone(), fresh_phone()
        t, uid = signed_up(c, phone)
        expect(c.post("password/change", {"password": PASSWORD, "new_password": NEW_PASSWORD},
                      headers=bearer(t["access_token"])), 200)
        t = keep_tokens(login(c, phone, NEW_PASSWORD))
        sid = expect(c.post("phone/change", {"mobile_number": new, "password": NEW_PASSWORD},
                            headers=bearer(t["access_token"])), 200)["session_id"]
        expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(new)}), 200)
        mine = lambda ev: ev["user_id"] == uid      # noqa: E731
        # the events went out (so the sender had them), and no notice
        check(wait_for(lambda: [ev["type"] for ev in out.rec.events(mine)] ==
                       ["signup.completed", "password.changed", "login.succeeded",
                        "phone.changed"], 30),
              [ev["type"] for ev in out.rec.events(mine)])
        time.sleep(2)
        check(notices(phone) == [] and notices(new) == [],
              "notices with notices = off: %s" % (notices(phone) + notices(new)))


# ---- 5. workers killed in the middle of sign-ups ----

@test
def workers_killed_during_sign_ups_leave_no_account_without_its_webhook_nor_the_reverse():
    phones, kills = [], [0]
    with Outputs("kill") as out:
        for _round in range(3):
            pool = Pool({}, "events-outputs-kill", workers=2)
            with pool as url:
                sessions = []
                for _ in range(20):
                    phone = fresh_phone()
                    c = Client(base_url=url)
                    for _try in range(20):
                        try:
                            sid = expect(c.post("register", {"mobile_number": phone}),
                                         200)["session_id"]
                            expect(c.post("verify-otp", {"session_id": sid,
                                                         "code": latest_code(phone)}), 200)
                            expect(c.post("set-password", {"session_id": sid,
                                                           "password": PASSWORD}), 200)
                            sessions.append((c, phone, sid))
                            break
                        except (AssertionError, OSError):
                            time.sleep(0.3)
                            cooldown_over(phone)
                check(len(sessions) >= 15, "only %d sessions" % len(sessions))
                stop = threading.Event()

                def killer():
                    rnd = random.Random()
                    while not stop.is_set():
                        time.sleep(rnd.uniform(0.005, 0.05))
                        pids = pool.workers_pids()
                        if pids:
                            try:
                                os.kill(rnd.choice(pids), signal.SIGKILL)
                                kills[0] += 1
                            except ProcessLookupError:
                                pass

                k = threading.Thread(target=killer)
                k.start()
                try:
                    for c, phone, sid in sessions:
                        phones.append(phone)
                        try:
                            c.post("user-info", {"session_id": sid, "first_name": "Sara",
                                                 "last_name": "A"})
                        except (AssertionError, OSError):
                            pass
                finally:
                    stop.set()
                    k.join()
        active = {r[0] for r in psql("SELECT mobile_number FROM users WHERE is_active AND"
                                     " mobile_number = ANY (string_to_array(:'p', ','))",
                                     p=",".join(phones))}
        check(active, "no sign-up was completed")
        check(kills[0] >= 10, "workers killed: %d" % kills[0])

        def counted():
            n = {}
            for ev in out.rec.events(lambda ev: ev["type"] == "signup.completed"
                                     and ev["mobile_number"] in phones):
                n[ev["mobile_number"]] = n.get(ev["mobile_number"], 0) + 1
            return n

        wait_for(lambda: set(counted()) >= active, 60)
        time.sleep(1.5)
        n = counted()
    check(all(v == 1 for v in n.values()), "twice: %s" % {k: v for k, v in n.items() if v > 1})
    check(set(n) == active, "accounts without signup.completed: %s; signup.completed without "
          "an account: %s" % (sorted(active - set(n)), sorted(set(n) - active)))


if __name__ == "__main__":
    # the stack's sender would deliver the audit and notices outputs
    # (whoever holds an output's lease has it): this file's senders instead
    stack("stop-sender")
    try:
        run()
    finally:
        stack("start-sender")
