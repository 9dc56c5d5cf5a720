"""Events, the recording half (API.md, "Events and notices"): every type this
service makes is made by the action that causes it, once, in order, with
the right data, and ends up as one entry of the Redis stream
<redis_prefix>events (id, type, event, lang), read here as it comes (XREAD).
What Redis holds (failures, blocks) is added by the script that makes the
change; what PostgreSQL holds is inserted into event_outbox by the
statement that makes the change, and the relay in a sender moves it to the
stream: this file stops the stack's sender and starts senders of its own,
with an output that never takes anything, so that nothing is trimmed. Also:
workers killed in the middle of sign-ups leave no signup.completed without
its account and no account without it; no password, code, token or secret
is in any event; a relay killed between adding its batch to the stream and
deleting it from PostgreSQL adds nothing twice. (Passkey events:
test_events_outputs.py.)"""

import atexit
import base64
import json
import os
import random
import re
import signal
import socket
import subprocess
import threading
import time

import pyotp

from pa import (PASSWORD, REDIS_PREFIX, UUID4, Client, Pool, Redis, admin, bearer, check, cooldown_over,
                expect, family_of, fresh_phone, latest_code, login, psql, psql_super,
                redis_command, refresh, run, signup, stack, stop_process, test, totp_steady,
                user_row, wait_for, wrong_login)

STATE = os.environ.get("PA_STATE_DIR", "/tmp")
EVENTS = REDIS_PREFIX + "events"
NEW_PASSWORD = "a brand new passphrase 7"
AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SECRETS = []        # every password, code, token and secret the tests used


# ---- a relay of our own: a sender ----
#
# A sender trims from the stream what all its outputs have delivered (every
# 5 s), and the stack's configuration has the audit file and the notices,
# which take each event at once: the entries this file reads would be gone.
# So the stack's own sender is stopped while this file runs (see the end),
# and the relays here have one more output, a webhook to a port that
# refuses every connection: its first event stays pending, and nothing
# after it is trimmed.

_refusing = socket.socket()
_refusing.bind(("127.0.0.1", 0))       # bound, never listening: connections are refused
_secret = os.path.join(STATE, "whsec-recording-%d" % os.getpid())
with open(_secret, "w") as _f:
    _f.write("whsec_" + base64.b64encode(os.urandom(32)).decode() + "\n")
os.chmod(_secret, 0o600)
HOLD = {"PHONEAUTH_WEBHOOK_URL": "http://127.0.0.1:%d/hold" % _refusing.getsockname()[1],
        "PHONEAUTH_WEBHOOK_SECRET_FILE": _secret}


class Sender:
    def __init__(self, name):
        self.log = os.path.join(STATE, "events-sender-%s-%d.log" % (name, os.getpid()))
        self.p = subprocess.Popen([os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"], "sender"],
                                  env=dict(os.environ, **HOLD),
                                  stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
                                  start_new_session=True)
        check(wait_for(lambda: "ready" in open(self.log).read(), 10), "the sender did not start")

    def stop(self):
        stop_process(self.p)

    def kill(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()


_relay = []


def relay_on():
    if not _relay or _relay[0].p.poll() is not None:
        _relay[:] = [Sender("relay")]


def relay_off():
    for s in _relay:
        s.stop()
    _relay[:] = []


atexit.register(relay_off)


# ---- the stream ----

class Collector(threading.Thread):
    """Every entry the stream gets while the tests run, read as it comes
    (XREAD from the last one seen): the senders' event outputs trim what
    they have all taken within seconds (the stack's audit_log is one), so
    the stream itself holds only the last few."""

    def __init__(self):
        super().__init__(daemon=True)
        self.lock = threading.Lock()
        self.entries = []
        self.last = "0-0"

    def run(self):
        r = Redis()
        while True:
            reply = r.command("XREAD", "COUNT", "1000", "STREAMS", EVENTS, self.last)
            if not reply:
                time.sleep(0.05)
                continue
            for _key, items in reply:
                for eid, f in items:
                    d = {f[i].decode(): f[i + 1].decode() for i in range(0, len(f), 2)}
                    with self.lock:
                        self.entries.append((d, json.loads(d["event"])))
                    self.last = eid.decode()


_collector = Collector()
_collector.start()


def stream():
    """Every entry <prefix>events has had since this file began, oldest
    first: (fields, the event parsed)."""
    with _collector.lock:
        return list(_collector.entries)


def events(pred):
    return [(d, ev) for d, ev in stream() if pred(ev)]


def of_user(uid):
    return lambda ev: ev["user_id"] == uid


def check_entry(d, ev):
    """What every entry is: the event's id and type beside it, its language,
    and the event's shape."""
    check(d["id"] == ev["id"] and d["type"] == ev["type"], d)
    check(d["lang"] in ("en", "fa"), d)
    check(UUID4.match(ev["id"]), ev)
    check(list(ev) == ["id", "type", "at", "user_id", "mobile_number", "ip", "user_agent", "data"],
          list(ev))
    check(AT.match(ev["at"]), ev)


class Expected:
    """The events of one account (or one client address), as they should
    be: each step adds what it should make, and waits until the stream has
    exactly those, in that order (the relay takes up to a second or so)."""

    def __init__(self, pred):
        self.pred = pred
        self.want = []

    def got(self):
        return [(d, ev) for d, ev in events(self.pred)]

    def step(self, *want, timeout=15):
        self.want.extend(want)
        ok = wait_for(lambda: len(self.got()) >= len(self.want), timeout, 0.2)
        time.sleep(0.3)     # nothing more comes (none twice)
        got = self.got()
        check(ok and len(got) == len(self.want),
              "wanted %s, got %s (%d entries seen, %s in the stream, %s rows waiting in event_outbox)" % (
                  [w[0] for w in self.want], [ev["type"] for _, ev in got], len(stream()),
                  redis_command("XLEN", EVENTS), psql("SELECT count(*) FROM event_outbox")))
        for (d, ev), (etype, data, extra) in zip(got, self.want):
            check_entry(d, ev)
            check(ev["type"] == etype, "wanted %s, got %s" % (etype, ev))
            # (None: a time of its own, which the test checks itself)
            check(data is None or ev["data"] == data,
                  "%s: data %r, wanted %r" % (etype, ev["data"], data))
            for k, v in extra.items():
                check(ev[k] == v, "%s: %s is %r, wanted %r" % (etype, k, ev[k], v))
        return got


def E(etype, data=None, **extra):
    return (etype, data or {}, extra)


def family(tokens):
    f = family_of(tokens["refresh_token"])
    check(f, "no family")
    return f


def keep(*secrets):
    SECRETS.extend(s for s in secrets if s)
    return secrets[0] if len(secrets) == 1 else secrets


# ---- every type, by the action that makes it ----

@test
def an_account_s_life_records_each_event_once_in_order_with_its_data():
    relay_on()
    c, phone, new = Client(), fresh_phone(), fresh_phone()
    agent = 'EventsTest/1.0 "quoted" \\back'
    t1 = signup(c, phone)
    keep(t1["access_token"], t1["refresh_token"], PASSWORD, NEW_PASSWORD)
    uid = int(user_row(phone)["id"])
    x = Expected(of_user(uid))
    who = dict(user_id=uid, mobile_number=phone, ip=c.ip)
    x.step(E("signup.completed", **who))
    t2 = login(c, phone, agent=agent)
    keep(t2["access_token"], t2["refresh_token"])
    x.step(E("login.succeeded", {"method": "password", "mfa": None}, user_agent=agent, **who))
    other = Client()
    expect(wrong_login(other, phone), 401, "password_incorrect")
    x.step(E("login.failed", {"reason": "password_incorrect"}, user_id=uid, mobile_number=phone,
             ip=other.ip))
    # a new password ends every other login (t1's), not the caller's (t2's)
    expect(c.post("password/change", {"password": PASSWORD, "new_password": NEW_PASSWORD},
                  headers=bearer(t2["access_token"])), 200)
    x.step(E("password.changed", {"via": "change"}, **who),
           E("session.revoked", {"sid": family(t1), "why": "password"}, **who))
    t3 = keep(login(c, phone, NEW_PASSWORD))
    expect(c.post("logout", {"refresh": t3["refresh_token"]}), 200)
    x.step(E("login.succeeded", {"method": "password", "mfa": None}, **who),
           E("session.revoked", {"sid": family(t3), "why": "logout"}, **who))
    t4 = keep(login(c, phone, NEW_PASSWORD))
    expect(c.request("DELETE", "sessions/" + family(t4), headers=bearer(t2["access_token"])), 200)
    x.step(E("login.succeeded", {"method": "password", "mfa": None}, **who),
           E("session.revoked", {"sid": family(t4), "why": "ended"}, **who))
    expect(c.post("logout-all", {}, headers=bearer(t2["access_token"])), 200)
    x.step(E("session.revoked", {"sid": family(t2), "why": "logout_all"}, **who))
    # a new number, proved by its code
    t5 = keep(login(c, phone, NEW_PASSWORD))
    x.step(E("login.succeeded", {"method": "password", "mfa": None}, **who))
    sid = expect(c.post("phone/change", {"mobile_number": new, "password": NEW_PASSWORD},
                        headers=bearer(t5["access_token"])), 200)["session_id"]
    code = keep(latest_code(new))
    expect(c.post("verify-otp", {"session_id": sid, "code": code}), 200)
    who["mobile_number"] = new
    x.step(E("phone.changed", {"old": phone, "new": new}, **who))
    # the administrator's commands: no address, no user agent
    by_admin = dict(user_id=uid, mobile_number=new, ip=None, user_agent=None)
    r = admin("ban", new)
    check(r.returncode == 0, r.stderr)
    x.step(E("user.banned", **by_admin),
           E("session.revoked", {"sid": family(t5), "why": "admin"}, **by_admin))
    r = admin("ban", new)
    check(r.returncode == 0, r.stderr)
    r = admin("unban", new)
    check(r.returncode == 0, r.stderr)
    x.step(E("user.unbanned", **by_admin))     # a second ban changed nothing
    t6 = keep(login(c, new, NEW_PASSWORD))
    r = admin("revoke", new)
    check(r.returncode == 0, r.stderr)
    x.step(E("login.succeeded", {"method": "password", "mfa": None}, **who),
           E("session.revoked", {"sid": family(t6), "why": "admin"}, **by_admin))
    t7 = keep(login(c, new, NEW_PASSWORD))
    expect(c.post("account/delete", {"password": NEW_PASSWORD}, headers=bearer(t7["access_token"])),
           200)
    x.step(E("login.succeeded", {"method": "password", "mfa": None}, **who),
           E("account.deleted", **who))
    # the account's events are in the request's language
    check(all(d["lang"] == "en" for d, _ in x.got()), "lang")


@test
def three_failures_record_three_login_failed_then_both_blocks_once():
    relay_on()
    c, phone = Client(lang="fa"), fresh_phone()
    signup(Client(), phone)
    uid = int(user_row(phone)["id"])
    x = Expected(lambda ev: ev["ip"] == c.ip)
    started = time.time()
    for _ in range(3):
        expect(wrong_login(c, phone), 401, "password_incorrect")
    expect(wrong_login(c, phone), 429, "too_many_attempts")
    failed = E("login.failed", {"reason": "password_incorrect"}, user_id=uid, mobile_number=phone)
    got = x.step(failed, failed, failed,
                 ("block.started", None, dict(user_id=None, mobile_number=None)),
                 ("block.started", None, dict(user_id=uid, mobile_number=phone)))
    check([ev["data"]["kind"] for _, ev in got[3:]] == ["ip", "number"], got[3:])
    for _, ev in got[3:]:
        until = time.mktime(time.strptime(ev["data"]["until"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        check(abs(until - (started + 3600)) < 30, "until %s" % ev["data"]["until"])
        check(AT.match(ev["data"]["until"]), ev)
    check(all(d["lang"] == "fa" for d, _ in got), [d["lang"] for d, _ in got])


def totp_account(c, phone):
    access = signup(c, phone)["access_token"]
    setup = expect(c.post("mfa/totp/setup", {"password": PASSWORD}, headers=bearer(access)), 200)
    keep(setup["secret"], access)
    totp = pyotp.parse_uri(setup["otpauth_uri"])
    t0 = totp_steady()
    codes = expect(c.post("mfa/totp/confirm", {"code": totp.at(t0)}, headers=bearer(access)),
                   200)["recovery_codes"]
    keep(*codes)
    return totp, codes, access, t0


def mfa_session(c, phone):
    body = expect(c.post("login", {"mobile_number": phone, "password": PASSWORD}), 200)
    check(body.get("next_step") == "mfa", body)
    return body["session_id"]


@test
def second_factors_record_enabled_failed_logins_renewed_and_disabled():
    relay_on()
    # one account: a recovery code signs in, the codes are renewed, the
    # administrator turns TOTP off
    c, phone = Client(), fresh_phone()
    totp, codes, access, t0 = totp_account(c, phone)
    uid = int(user_row(phone)["id"])
    x = Expected(of_user(uid))
    who = dict(user_id=uid, mobile_number=phone)
    x.step(E("signup.completed", **who), E("mfa.enabled", **who))
    sid = mfa_session(c, phone)
    x.step()    # the first factor alone makes no event
    expect(c.post("verify-mfa", {"session_id": sid, "code": codes[0]}), 200)
    x.step(E("login.succeeded", {"method": "password", "mfa": "recovery_code"}, **who))
    expect(c.post("mfa/recovery-codes", {"password": PASSWORD, "code": totp.at(t0 + 30)},
                  headers=bearer(access)), 200)
    x.step(E("recovery_codes.renewed", **who))
    r = admin("mfa-reset", phone)
    check(r.returncode == 0, r.stderr)
    x.step(E("mfa.disabled", user_id=uid, mobile_number=phone, ip=None))
    # another: a wrong code, a TOTP code, then its owner turns it off
    c, phone = Client(), fresh_phone()
    totp, codes, access, t0 = totp_account(c, phone)
    uid = int(user_row(phone)["id"])
    x = Expected(of_user(uid))
    who = dict(user_id=uid, mobile_number=phone, ip=c.ip)
    x.step(E("signup.completed", **who), E("mfa.enabled", **who))
    sid = mfa_session(c, phone)
    wrong = next(w for w in ("000000", "111111", "222222")
                 if w not in (totp.at(t0 + 30 * k) for k in (-1, 0, 1, 2)))
    expect(c.post("verify-mfa", {"session_id": sid, "code": wrong}), 400, "mfa_invalid")
    x.step(E("mfa.failed", **who))
    expect(c.post("verify-mfa", {"session_id": sid, "code": totp.at(t0 + 30)}), 200)
    x.step(E("login.succeeded", {"method": "password", "mfa": "totp"}, **who))
    expect(c.post("mfa/totp/disable", {"password": PASSWORD, "code": codes[3]},
                  headers=bearer(access)), 200)
    x.step(E("mfa.disabled", **who))


@test
def a_reset_records_password_changed_and_the_logins_it_ends():
    relay_on()
    c, phone = Client(), fresh_phone()
    t = keep(signup(c, phone))
    uid = int(user_row(phone)["id"])
    x = Expected(of_user(uid))
    who = dict(user_id=uid, mobile_number=phone, ip=c.ip)
    x.step(E("signup.completed", **who))
    cooldown_over(phone)
    sid = expect(c.post("password-reset", {"mobile_number": phone}), 200)["session_id"]
    expect(c.post("verify-otp", {"session_id": sid, "code": keep(latest_code(phone, "reset"))}),
           200)
    expect(c.post("set-password", {"session_id": sid, "password": NEW_PASSWORD}), 200)
    x.step(E("password.changed", {"via": "reset"}, **who),
           E("session.revoked", {"sid": family(t), "why": "password"}, **who))


@test
def a_login_by_code_and_a_reused_refresh_token_record_their_events():
    relay_on()
    with Pool({"PHONEAUTH_LOGIN_BY_CODE": "on", "PHONEAUTH_REFRESH_GRACE": "0"}, "events") as url:
        c, phone = Client(base_url=url), fresh_phone()
        signup(c, phone)
        uid = int(user_row(phone)["id"])
        x = Expected(of_user(uid))
        who = dict(user_id=uid, mobile_number=phone, ip=c.ip)
        x.step(E("signup.completed", **who))
        cooldown_over(phone)
        sid = expect(c.post("login/code", {"mobile_number": phone}), 200)["session_id"]
        t = expect(c.post("verify-otp", {"session_id": sid,
                                         "code": keep(latest_code(phone, "login"))}), 200)["tokens"]
        keep(t["access_token"], t["refresh_token"])
        x.step(E("login.succeeded", {"method": "code", "mfa": None}, **who))
        fam = family(t)
        expect(refresh(c, t["refresh_token"]), 200)
        expect(refresh(c, t["refresh_token"]), 401, "token_reused")
        x.step(E("token.reused", {"sid": fam}, **who),
               E("session.revoked", {"sid": fam, "why": "reuse"}, **who))
        expect(refresh(c, t["refresh_token"]), 401)
        x.step()    # told once


@test
def nothing_secret_is_in_any_event():
    relay_on()
    c, phone = Client(), fresh_phone()
    t = keep(signup(c, phone))
    keep(t["access_token"], t["refresh_token"])
    bad = "a wrong password 12345"
    keep(bad)
    expect(c.post("login", {"mobile_number": phone, "password": bad}), 401)
    keep(latest_code(phone))
    uid = int(user_row(phone)["id"])
    # the sign-up and the failure are there to look into
    check(wait_for(lambda: {ev["type"] for _, ev in events(of_user(uid))} >=
                   {"signup.completed", "login.failed"}, 10), "no events")
    text = json.dumps([d for d, _ in stream()])
    check(len(SECRETS) > 10, SECRETS)
    for s in SECRETS:
        if isinstance(s, dict):
            continue
        check(s not in text, "a secret in the stream: %s..." % s[:12])
        # also as its JSON escape and without the dashes of a recovery code
        check(json.dumps(s)[1:-1] not in text and s.replace("-", "") not in text,
              "a secret in the stream: %s..." % s[:12])
        for part in s.split("."):       # a token's claims and signature
            check(len(part) < 20 or part not in text, "part of a token in the stream")


# ---- atomicity ----

@test
def workers_killed_during_sign_ups_leave_no_account_without_its_event_nor_the_reverse():
    relay_on()
    phones = []
    pool = Pool({}, "events-kill", workers=2)
    with pool as url:
        stop = threading.Event()

        def killer():
            rnd = random.Random()
            while not stop.is_set():
                time.sleep(rnd.uniform(0.005, 0.05))
                pids = pool.workers_pids()
                if pids:
                    try:
                        os.kill(rnd.choice(pids), signal.SIGKILL)
                    except ProcessLookupError:
                        pass

        sessions = []
        for _ in range(40):
            phone = fresh_phone()
            c = Client(base_url=url)
            for _try in range(20):
                try:
                    sid = expect(c.post("register", {"mobile_number": phone}), 200)["session_id"]
                    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 200)
                    expect(c.post("set-password", {"session_id": sid, "password": PASSWORD}), 200)
                    sessions.append((c, phone, sid))
                    break
                except (AssertionError, OSError):
                    time.sleep(0.3)
                    cooldown_over(phone)
        check(len(sessions) >= 30, "only %d sessions" % len(sessions))
        k = threading.Thread(target=killer)
        k.start()
        try:
            for c, phone, sid in sessions:
                phones.append(phone)
                try:
                    c.post("user-info", {"session_id": sid, "first_name": "Sara", "last_name": "A"})
                except (AssertionError, OSError):
                    pass
        finally:
            stop.set()
            k.join()
    active = {r[0] for r in psql("SELECT mobile_number FROM users WHERE is_active AND"
                                 " mobile_number = ANY (string_to_array(:'p', ','))",
                                 p=",".join(phones))}
    check(active, "no sign-up was completed")

    def counted():
        n = {}
        for _, ev in events(lambda ev: ev["type"] == "signup.completed" and ev["mobile_number"] in phones):
            n[ev["mobile_number"]] = n.get(ev["mobile_number"], 0) + 1
        return n

    wait_for(lambda: set(counted()) >= active, 20)
    time.sleep(1)
    n = counted()
    check(all(v == 1 for v in n.values()), "twice: %s" % n)
    check(set(n) == active, "accounts without signup.completed: %s; signup.completed without an "
          "account: %s" % (sorted(active - set(n)), sorted(set(n) - active)))


@test
def a_relay_killed_between_adding_and_deleting_adds_nothing_twice():
    relay_off()
    # the relay's DELETE waits (a trigger) while its batch is in the stream
    psql_super("CREATE OR REPLACE FUNCTION events_test_hold() RETURNS trigger LANGUAGE plpgsql AS"
               " $$ BEGIN PERFORM pg_sleep(60); RETURN NULL; END $$;"
               " DROP TRIGGER IF EXISTS events_test_hold ON event_outbox;"
               " CREATE TRIGGER events_test_hold BEFORE DELETE ON event_outbox"
               " FOR EACH STATEMENT EXECUTE FUNCTION events_test_hold();")
    try:
        c, phone = Client(), fresh_phone()
        signup(c, phone)
        uid = int(user_row(phone)["id"])
        eid = psql("SELECT id FROM event_outbox WHERE event::json->>'user_id' = :'u'", u=str(uid))
        check(len(eid) == 1, eid)
        eid = eid[0][0]
        first = Sender("killed")
        check(wait_for(lambda: any(ev["id"] == eid for _, ev in stream()), 15), "not relayed")
        check(wait_for(lambda: psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE"
                                    " 'DELETE FROM event_outbox%' AND state = 'active'")[0][0] != "0",
                       10), "the relay is not deleting")
        first.kill()
        psql_super("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                   " WHERE query LIKE 'DELETE FROM event_outbox%'")
        check(wait_for(lambda: psql("SELECT count(*) FROM event_outbox WHERE id = :'i'",
                                    i=eid)[0][0] == "1", 10), "the row did not come back")
    finally:
        psql_super("DROP TRIGGER IF EXISTS events_test_hold ON event_outbox;"
                   " DROP FUNCTION IF EXISTS events_test_hold();")
    relay_on()      # another relay takes the row again
    check(wait_for(lambda: psql("SELECT count(*) FROM event_outbox WHERE id = :'i'",
                                i=eid)[0][0] == "0", 15), "the row stays")
    time.sleep(0.5)
    check(len([1 for _, ev in stream() if ev["id"] == eid]) == 1, "added twice")


@test
def the_metrics_count_events_by_type():
    relay_on()
    c = Client(ip="127.0.0.1")
    body = c.get("metrics").body.decode()
    m = re.search(r'^phoneauth_events_total\{type="signup.completed"\} (\d+)$', body, re.M)
    check(m, "no phoneauth_events_total")
    before = int(m.group(1))
    signup(Client(), fresh_phone())
    check(wait_for(lambda: int(re.search(r'^phoneauth_events_total\{type="signup.completed"\} (\d+)$',
                                         c.get("metrics").body.decode(), re.M).group(1)) > before,
                   10), "not counted")
    for t in ("login.failed", "block.started", "session.revoked", "passkey.added"):
        check(re.search(r'^phoneauth_events_total\{type="%s"\} \d+$' % re.escape(t), body, re.M), t)


if __name__ == "__main__":
    stack("stop-sender")
    try:
        run()
    finally:
        relay_off()
        stack("start-sender")
