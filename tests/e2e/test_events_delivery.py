"""Event delivery (event_deliver.c, redis_events.c, notice_text.c): the
sender's outputs of the events stream <prefix>events — webhooks signed as
Standard Webhooks say (verified by the npm package `standardwebhooks`, the
receivers' own library), the audit file, event_command and the SMS notices
— each in order, once, with retries, dead letters and `events-dead --retry`;
GET health's events_backlog and the metrics.

Each test has its own Redis prefix and runs its own senders (the real
program) against it. Until the workers record events themselves, the tests
put events in the stream as the workers will (fields id, type, event, lang;
the event's JSON shaped as src/event.c's event_render writes it). The
webhook receiver is the test's own, on loopback."""

import base64
import datetime
import hashlib
import http.server
import json
import os
import signal
import subprocess
import threading
import time
import uuid

from pa import (Client, check, free_port, prefixed_pool, redis_command, run, stop_process,
                stream_entries, test, wait_for)

REPO = os.environ.get("PA_REPO", ".")
STATE = os.environ.get("PA_STATE_DIR", "/tmp")
_n = [0]


def event_json(typ, data=None, phone="09121234567", user_id=42):
    """An event as event_render() writes it: compact, keys in its order."""
    now = time.time()
    at = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (int(now * 1000) % 1000)
    ev = {"id": str(uuid.uuid4()), "type": typ, "at": at, "user_id": user_id,
          "mobile_number": phone, "ip": "203.0.113.9", "user_agent": "test-agent",
          "data": data or {}}
    return ev, json.dumps(ev, separators=(",", ":"), ensure_ascii=False)


def inject(prefix, typ, data=None, phone="09121234567", lang="en"):
    """Puts one event in the stream as a worker would; returns it (a dict)."""
    ev, text = event_json(typ, data, phone)
    redis_command("XADD", prefix + "events", "*", "id", ev["id"], "type", typ, "event", text,
                  "lang", lang)
    return ev


def secret_file(name):
    key = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    path = os.path.join(STATE, "whsec-%s-%d" % (name, os.getpid()))
    with open(path, "w") as f:
        f.write(key + "\n")
    os.chmod(path, 0o600)
    return path, key


class Receiver:
    """A webhook receiver on loopback: records each delivery (headers, body);
    `mode` says how it answers: "ok" (204), "500", "hang" (sleeps, then 204)."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.got = []
        self.tries = 0
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
                with rec.lock:
                    rec.tries += 1
                    mode = rec.mode
                if mode == "hang":
                    time.sleep(4)
                    return
                if mode == "500":
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
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

    def event_ids(self):
        with self.lock:
            return [json.loads(g["body"])["data"]["id"] for g in self.got]


class Senders:
    """Senders of the test's own prefix and settings (PHONEAUTH_<KEY>)."""

    def __init__(self, name, **settings):
        _n[0] += 1
        self.name = name
        self.prefix = "ev-%s-%d-%d:" % (name, os.getpid(), _n[0])
        self.env = {"PHONEAUTH_REDIS_PREFIX": self.prefix}
        self.env.update({"PHONEAUTH_" + k.upper(): str(v) for k, v in settings.items()})
        self.procs = []
        self.logs = []

    def start(self):
        log = os.path.join(STATE, "events-%s-%d.log" % (self.name, len(self.procs)))
        self.logs.append(log)
        p = subprocess.Popen([os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"], "sender"],
                             env=dict(os.environ, **self.env), stdout=open(log, "w"),
                             stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        check(wait_for(lambda: "ready" in open(log).read(), 10),
              "the sender did not start: %s" % open(log).read()[-800:])
        return p

    def stop(self):
        for p in self.procs:
            stop_process(p)
        self.procs = []

    def command(self, *args):
        return subprocess.run([os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"]] + list(args),
                              env=dict(os.environ, **self.env), capture_output=True, text=True)

    def inject(self, typ, data=None, **kw):
        return inject(self.prefix, typ, data, **kw)

    def dead(self):
        return stream_entries(self.prefix + "events:dead")

    def log_text(self):
        return "".join(open(f).read() for f in self.logs)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def verify_with_npm(deliveries, secret, other):
    """Runs the npm package standardwebhooks over each delivery with the
    secret (must verify) and another (must be refused); its verdict lines."""
    node_path = subprocess.run([os.path.join(REPO, "tests", "node", "ensure.sh")],
                               capture_output=True, text=True, check=True).stdout.strip()
    script = r"""
const { Webhook } = require('standardwebhooks');
const [secret, other] = [process.argv[1], process.argv[2]];
const all = JSON.parse(require('fs').readFileSync(0, 'utf8'));
for (const d of all) {
  let ok = 'verified';
  try { new Webhook(secret).verify(d.body, d.headers); } catch (e) { ok = 'refused ' + e.message; }
  let bad = 'verified';
  try { new Webhook(other).verify(d.body, d.headers); } catch (e) { bad = 'refused'; }
  console.log(ok + ' / ' + bad);
}
"""
    r = subprocess.run(["node", "-e", script, secret, other], input=json.dumps(deliveries),
                       env=dict(os.environ, NODE_PATH=node_path), capture_output=True, text=True)
    check(r.returncode == 0, "node: %s" % r.stderr[-500:])
    return r.stdout.splitlines()


@test
def webhook_is_signed_as_standard_webhooks_and_verifies_with_the_npm_package():
    secret_path, secret = secret_file("sig")
    _, other = secret_file("sig-other")
    rec = Receiver().start()
    with Senders("sig", webhook_url=rec.url(), webhook_secret_file=secret_path) as s:
        s.start()
        sent = [s.inject("login.succeeded", {"method": "password", "mfa": None}),
                s.inject("password.changed", {"via": "change"}),
                s.inject("phone.changed", {"old": "09121234567", "new": "09127654321"})]
        check(wait_for(lambda: len(rec.got) >= 3, 15), "delivered: %d" % len(rec.got))
    rec.stop()
    verdicts = verify_with_npm(rec.got, secret, other)
    check(verdicts == ["verified / refused"] * 3, verdicts)
    for ev, got in zip(sent, rec.got):
        payload = json.loads(got["body"])
        check(payload == {"type": ev["type"], "timestamp": ev["at"], "data": ev}, payload)
        check(got["headers"]["webhook-id"] == ev["id"], got["headers"])
        check(abs(int(got["headers"]["webhook-timestamp"]) - time.time()) < 60, got["headers"])


@test
def webhook_events_lets_through_only_the_types_it_names():
    secret_path, _ = secret_file("filter")
    rec = Receiver().start()
    with Senders("filter", webhook_url=rec.url(), webhook_secret_file=secret_path,
                 webhook_events="login.*, account.deleted") as s:
        s.start()
        want = [s.inject("login.succeeded", {"method": "code", "mfa": None})["id"]]
        s.inject("password.changed", {"via": "change"})
        want.append(s.inject("login.failed", {"reason": "wrong_password"})["id"])
        s.inject("session.revoked", {"sid": "a", "why": "logout"})
        want.append(s.inject("account.deleted")["id"])
        check(wait_for(lambda: len(rec.got) >= 3, 15), "delivered %d" % len(rec.got))
        time.sleep(1.5)
    rec.stop()
    check(rec.event_ids() == want, rec.event_ids())


@test
def receiver_down_then_up_gets_every_event_in_order_once_and_holds_up_no_other_output():
    secret_path, _ = secret_file("down")
    port = free_port()
    rec = Receiver(port)
    audit = os.path.join(STATE, "audit-down-%d.jsonl" % os.getpid())
    with Senders("down", webhook_url=rec.url(), webhook_secret_file=secret_path,
                 audit_log=audit) as s:
        s.start()
        first = [s.inject("login.succeeded", {"method": "password", "mfa": None})["id"]
                 for _ in range(5)]
        # the receiver is down: the audit file gets every event meanwhile
        check(wait_for(lambda: os.path.exists(audit) and
                       len(open(audit).read().splitlines()) == 5, 10), "audit held up")
        time.sleep(2)
        check(rec.event_ids() == [], "delivered to nobody?")
        rec.start()
        second = [s.inject("login.failed", {"reason": "wrong_password"})["id"] for _ in range(5)]
        check(wait_for(lambda: len(rec.got) >= 10, 40), "delivered %d of 10" % len(rec.got))
        time.sleep(1.5)
    rec.stop()
    check(rec.event_ids() == first + second, "order or duplicates: %s" % rec.event_ids())
    lines = [json.loads(l)["id"] for l in open(audit).read().splitlines()]
    check(lines == first + second, "audit: %s" % lines)


@test
def two_senders_deliver_each_event_once_in_order():
    secret_path, _ = secret_file("two")
    rec = Receiver().start()
    with Senders("two", webhook_url=rec.url(), webhook_secret_file=secret_path) as s:
        s.start()
        s.start()
        ids = [s.inject("session.revoked", {"sid": "s%d" % i, "why": "logout"})["id"]
               for i in range(30)]
        check(wait_for(lambda: len(rec.got) >= 30, 20), "delivered %d" % len(rec.got))
        # the one holding the lease dies: the other takes the output over
        name = "webhook:" + hashlib.sha256(rec.url().encode()).hexdigest()[:12]
        lease = redis_command("GET", s.prefix + "events:lease:" + name).decode()
        child = int(lease.rsplit("-", 1)[1])
        parent = int(open("/proc/%d/stat" % child).read().rsplit(")", 1)[1].split()[1])
        holder = [p for p in s.procs if p.pid == parent]
        check(len(holder) == 1, "the lease %s is no sender's" % lease)
        stop_process(holder[0])
        more = [s.inject("session.revoked", {"sid": "t%d" % i, "why": "logout"})["id"]
                for i in range(5)]
        check(wait_for(lambda: len(rec.got) >= 35, 60), "after a sender's end: %d" % len(rec.got))
        time.sleep(1)
    rec.stop()
    check(rec.event_ids() == ids + more, "once and in order: %s" % rec.event_ids())


@test
def failing_receiver_is_retried_then_dead_lettered_and_events_dead_retry_sends_again():
    secret_path, _ = secret_file("dead")
    rec = Receiver().start()
    audit = os.path.join(STATE, "audit-dead-%d.jsonl" % os.getpid())
    rec.mode = "500"
    with Senders("dead", webhook_url=rec.url(), webhook_secret_file=secret_path,
                 webhook_timeout=1, webhook_retry_for=4, audit_log=audit) as s:
        s.start()
        a = s.inject("account.deleted")
        check(wait_for(lambda: len(s.dead()) == 1, 20), "not dead: %s" % s.dead())
        check(rec.tries >= 3, "tried %d times (1 s, then 2 s ...)" % rec.tries)
        rec.mode = "hang"   # past webhook_timeout
        b = s.inject("user.banned")
        check(wait_for(lambda: len(s.dead()) == 2, 30), "a hanging receiver not dead")
        listed = s.command("events-dead")
        check(listed.returncode == 0 and a["id"] in listed.stdout and b["id"] in listed.stdout
              and "user.banned" in listed.stdout, listed.stdout + listed.stderr)
        rec.mode = "ok"
        r = s.command("events-dead", "--retry")
        check(r.returncode == 0 and "2 dead letters" in r.stdout, r.stdout + r.stderr)
        check(wait_for(lambda: len(rec.got) >= 2, 20), "not sent again: %d" % len(rec.got))
        check(rec.event_ids() == [a["id"], b["id"]], rec.event_ids())
        check(rec.got[0]["headers"]["webhook-id"] == a["id"], "another webhook-id")
        check(s.dead() == [], "dead letters left: %s" % s.dead())
        time.sleep(1.5)
        # put back for the webhook only: the audit file has each event once
        lines = [json.loads(l)["id"] for l in open(audit).read().splitlines()]
        check(lines == [a["id"], b["id"]], "audit: %s" % lines)
    rec.stop()


@test
def audit_file_has_one_line_per_event_and_survives_a_sighup_rename():
    audit = os.path.join(STATE, "audit-hup-%d.jsonl" % os.getpid())
    with Senders("hup", audit_log=audit) as s:
        p = s.start()
        before = [s.inject("login.succeeded", {"method": "code", "mfa": None}) for _ in range(3)]
        check(wait_for(lambda: os.path.exists(audit) and
                       len(open(audit).read().splitlines()) == 3, 10), "not written")
        os.rename(audit, audit + ".1")          # logrotate
        os.kill(p.pid, signal.SIGHUP)
        time.sleep(1)
        check(p.poll() is None, "the sender died of SIGHUP")
        after = [s.inject("block.started", {"kind": "ip", "until": "2026-12-07T11:00:00.000Z"})
                 for _ in range(2)]
        check(wait_for(lambda: os.path.exists(audit) and
                       len(open(audit).read().splitlines()) == 2, 10), "not reopened")
    old = [json.loads(l) for l in open(audit + ".1").read().splitlines()]
    new = [json.loads(l) for l in open(audit).read().splitlines()]
    check(old == before and new == after, (old, new))


@test
def event_command_gets_the_event_json_on_its_standard_input():
    out = os.path.join(STATE, "event-cmd-%d.out" % os.getpid())
    script = os.path.join(STATE, "event-cmd-%d.sh" % os.getpid())
    with open(script, "w") as f:
        f.write('#!/bin/sh\n{ cat; echo " $EVENT_TYPE"; } >> "$1"\n')
    os.chmod(script, 0o755)
    with Senders("cmd", event_command="%s %s" % (script, out)) as s:
        s.start()
        ev = s.inject("passkey.added", {"id": "cred-1"})
        check(wait_for(lambda: os.path.exists(out) and open(out).read().endswith("\n"), 10),
              "the command did not run")
    line = open(out).read().splitlines()
    check(len(line) == 1, line)
    text, typ = line[0].rsplit(" ", 1)
    check(json.loads(text) == ev and typ == "passkey.added", line)


@test
def notices_go_to_the_right_number_once_and_never_with_notices_off():
    with Senders("notice") as s:
        s.start()
        s.inject("phone.changed", {"old": "09121110000", "new": "09122220000"},
                 phone="09122220000", lang="fa")
        s.inject("password.changed", {"via": "reset"}, phone="09123330000")
        s.inject("login.succeeded", {"method": "password", "mfa": None}, phone="09124440000")
        check(wait_for(lambda: len([e for e in stream_entries(s.prefix + "sms")
                                    if e["purpose"] == "notice"]) >= 2, 10), "no notices")
        s.start()   # a second sender: still once each
        time.sleep(2)
    notices = sorted((e["phone"], e["event"], e["language"], e["code"])
                     for e in stream_entries(s.prefix + "sms"))
    check(notices == [("09121110000", "phone.changed", "fa", ""),
                      ("09123330000", "password.changed", "en", "")], notices)
    texts = {e["event"]: e["text"] for e in stream_entries(s.prefix + "sms")}
    check("09122220000" not in texts["phone.changed"], "the new number told to the old one")
    check("رمز" not in texts["password.changed"] and "password" in texts["password.changed"],
          texts)
    with Senders("notice-off", notices="off") as s:
        s.start()
        s.inject("phone.changed", {"old": "09121110001", "new": "09122220001"})
        s.inject("password.changed", {"via": "change"})
        time.sleep(3)
    check(stream_entries(s.prefix + "sms") == [], "a notice with notices = off")


@test
def health_and_metrics_report_the_events_backlog_and_deliveries():
    audit = os.path.join(STATE, "audit-metrics-%d.jsonl" % os.getpid())
    pool, prefix = prefixed_pool("events-metrics", audit_log=audit)
    with pool as url:
        c = Client(ip="127.0.0.1", base_url=url)
        s = Senders("metrics", audit_log=audit)
        s.prefix = prefix
        s.env["PHONEAUTH_REDIS_PREFIX"] = prefix
        with s:
            s.start()
            for _ in range(3):
                s.inject("token.reused", {"sid": "x"})
            check(wait_for(lambda: c.get("health").json.get("events_backlog") == 0 and
                           os.path.exists(audit) and
                           len(open(audit).read().splitlines()) == 3, 10),
                  c.get("health").json)
            text = c.get("metrics").body.decode()
            check('phoneauth_event_deliveries_total{output="audit",result="delivered"} 3' in text,
                  text[-1500:])
            check('phoneauth_events_pending{output="audit"} 0' in text, text[-1500:])
            check("phoneauth_events_dead 0" in text, text[-1500:])
        # no sender: the backlog grows
        for _ in range(2):
            s.inject("token.reused", {"sid": "y"})
        h = c.get("health").json
        check(h.get("events_backlog") == 2, h)
        check('phoneauth_events_pending{output="audit"} 2' in c.get("metrics").body.decode(),
              "pending")


@test
def check_refuses_a_bad_webhook_secret_or_url():
    bad = os.path.join(STATE, "whsec-bad-%d" % os.getpid())
    with open(bad, "w") as f:
        f.write("whsec_" + base64.b64encode(os.urandom(16)).decode() + "\n")   # 16 < 24 bytes
    good, _ = secret_file("check")
    s = Senders("check", webhook_url="http://127.0.0.1:9/hook", webhook_secret_file=bad)
    r = s.command("check")
    check(r.returncode != 0 and "webhook_secret_file" in r.stderr, r.stderr)
    s = Senders("check2", webhook_url="ftp://example.com/x", webhook_secret_file=good)
    r = s.command("check")
    check(r.returncode != 0 and "webhook_url" in r.stderr, r.stderr)
    s = Senders("check3", webhook_url="https://example.com/hook", webhook_secret_file=good)
    r = s.command("check")
    check(r.returncode == 0 and "event output webhook:" in r.stdout, r.stdout + r.stderr)


if __name__ == "__main__":
    run()
