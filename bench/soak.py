#!/usr/bin/python3
"""bench/soak.py — the driver of `make soak` (bench/soak.sh starts the stack
and passes its coordinates in the environment). Standard library only.

Client threads walk the real flow through lighttpd: register a new number,
read its code from the Redis outbox, verify-otp, set-password, user-info
(201, tokens), refresh a few times, login by number and refresh that family,
GET me, register the number again (next_step password) and log in on that
session, and now and then refresh one of the thread's older families. A
chaos thread kills Redis (SIGKILL), PostgreSQL (SIGQUIT to the postmaster:
immediate shutdown) or one worker (SIGKILL; multiwatch starts another) at
random intervals and restarts the stores with scripts/stack.sh.

At the end it checks that nothing was lost (every account answered 201 is in
PostgreSQL, every refresh token held as a family's latest is live), explains
every 5xx by the events or lists it as unexplained, and writes the report to
$STATE_DIR/report.txt (plus requests.tsv and events.tsv beside it).

The event outputs (issue 24): a webhook receiver of its own on loopback
(SOAK_HOOK_PORT), which a thread of its own takes down (connection refused)
or makes answer 500 for a while now and then, and the stack's audit file,
read as it grows. After the load it waits for both to catch up, then counts
by event id: produced (what PostgreSQL holds — one signup.completed per
account, one login.succeeded per login but the sign-up's own — and what the
stream counted, phoneauth_events_total), delivered, lost, duplicated,
dead-lettered, badly signed, and the delivery latency from the event's `at`
to its receipt (hook_deliveries.tsv beside the report).
"""

import base64
import collections
import datetime
import hashlib
import hmac
import http.client
import http.server
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
import redis_client  # noqa: E402  (tests/lib: the one Redis client of the tests, the bench and the soak)

STATE = os.environ["STATE_DIR"]
STACK = os.environ["SOAK_STACK"]
HTTP_PORT = int(os.environ["HTTP_PORT"])
REDIS_PORT = int(os.environ["REDIS_PORT"])
PG_PORT = int(os.environ["PG_PORT"])
WORKERS = int(os.environ.get("WORKERS", "8"))
DURATION = float(os.environ.get("SOAK_S", "1800"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "8"))
CHAOS_MIN = float(os.environ.get("SOAK_CHAOS_MIN", "20"))
CHAOS_MAX = float(os.environ.get("SOAK_CHAOS_MAX", "60"))
SEED = int(os.environ.get("SOAK_SEED") or int(time.time()))
BASE = "/api/"
PREFIX = "phoneauth:"
PASSWORD = "correct horse battery"
PATIENCE = 90.0         # seconds a step is retried through 5xx before the flow gives up
GRACE = 10.0            # refresh_grace: a refresh presented again this soon still rotates
INFLIGHT = 0.05         # a request sent this soon after a kill may still have reached the victim
RUN = os.path.join(STATE, "run")
LOG = os.path.join(STATE, "log", "phoneauth.log")
AUDIT = os.path.join(STATE, "log", "audit.jsonl")
HOOK_PORT = int(os.environ.get("SOAK_HOOK_PORT", "48081"))
HOOK_SECRET_FILE = os.environ.get("SOAK_HOOK_SECRET_FILE", "")
HOOK_MIN = float(os.environ.get("SOAK_HOOK_MIN", "30"))
HOOK_MAX = float(os.environ.get("SOAK_HOOK_MAX", "90"))
HOOK_DOWN_MIN = float(os.environ.get("SOAK_HOOK_DOWN_MIN", "3"))
HOOK_DOWN_MAX = float(os.environ.get("SOAK_HOOK_DOWN_MAX", "25"))
REDIS_AOF = os.environ.get("SOAK_REDIS_AOF", "1") != "0"
DRAIN = float(os.environ.get("SOAK_DRAIN", "180"))

stop = threading.Event()        # the load ends (duration reached, or TERM)
interrupted = threading.Event() # by TERM or INT: the run is not complete
records = []                    # (t0, t1, kind, status, error, who, ref) per request; list.append
                                # is atomic. who: the client thread; ref: the start of the jti
                                # of the refresh token presented (refresh routes)
events = []                     # chaos events, in order
anomalies = []                  # 4xx answers the flow did not expect: (t, kind, status, error, note)
lost_midrun = []                # families whose refresh was refused during the run
counts = collections.Counter()  # flow-level counters
accounts = []                   # phones whose user-info answered 201
families = []                   # every family the driver holds (dicts)
lock = threading.Lock()
rng = random.Random(SEED)


def ts(t):
    """Wall-clock time as the log writes it, with milliseconds."""
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%H:%M:%S.%f")[:-3]


def alive(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("State:"):
                    return line.split()[1] != "Z"
    except OSError:
        return False
    return False


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return sorted(int(p) for p in out.split())


def pool_workers():
    pid = read_pid(os.path.join(RUN, "pool.pid"))
    return children(pid) if pid else []


def stack(cmd):
    p = subprocess.run([STACK, cmd], capture_output=True, text=True)
    if p.returncode != 0:
        print("soak: stack.sh %s failed: %s" % (cmd, (p.stdout + p.stderr).strip()[-500:]),
              file=sys.stderr, flush=True)
    return p.returncode == 0


# ---- HTTP ----

class Answer:
    __slots__ = ("status", "json", "error", "t0", "t1")


class Http:
    """One keep-alive connection to lighttpd; every request is recorded."""

    def __init__(self, who):
        self.conn = None
        self.who = who

    def call(self, kind, method, route, body=None, token=None, ref=""):
        a = Answer()
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = "Bearer " + token
        a.t0 = time.time()
        a.json = None
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=30)
            self.conn.request(method, BASE + route, body=data, headers=headers)
            r = self.conn.getresponse()
            raw = r.read()
            a.status = r.status
            try:
                a.json = json.loads(raw) if raw else None
            except ValueError:
                a.json = None
            if isinstance(a.json, dict):
                a.error = a.json.get("error") or ""
            else:
                a.error = "not-json"    # an answer of lighttpd's own, not of a worker
        except (OSError, http.client.HTTPException) as e:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            a.status = 0
            a.error = type(e).__name__
        a.t1 = time.time()
        records.append((a.t0, a.t1, kind, a.status, a.error, self.who, ref))
        return a


def server_trouble(a):
    return a.status == 0 or a.status >= 500


# ---- Redis: tests/lib/redis_client.py, the one Redis client of the tests ----

class Redis(redis_client.Redis):
    """The soak stack's Redis: connected on first use, and again after each
    kill (a command that meets it gone raises ConnectionError)."""

    def __init__(self):
        with open(os.path.join(STATE, "redis.pass")) as f:
            password = f.readline().strip()
        super().__init__("127.0.0.1", REDIS_PORT, password, timeout=5, connect=False)

    def code_for(self, phone, since):
        """The code the outbox holds for `phone` in an entry added after
        `since` (as tests/e2e/pa.py's latest_code reads it), or None."""
        want = phone.encode()
        start = "%d" % int((since - 2) * 1000)
        deadline = time.time() + 20
        while time.time() < deadline and not stop.is_set():
            try:
                entries = self.command("XREVRANGE", PREFIX + "sms", "+", start, "COUNT", "1000") or []
            except (ConnectionError, RuntimeError):
                time.sleep(0.2)
                continue
            for _id, fields in entries:
                d = {fields[i]: fields[i + 1] for i in range(0, len(fields), 2)}
                if d.get(b"phone") == want:
                    return d[b"code"].decode()
            time.sleep(0.05)
        return None


# ---- the clients ----

used_phones = set()


def new_phone(r):
    while True:
        p = "09%09d" % r.randint(100000000, 999999999)
        with lock:
            if p not in used_phones:
                used_phones.add(p)
                return p


def jwt_claims(token):
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def jti_ref(token):
    return (jwt_claims(token).get("jti") or "?")[:12]


def redis_killed_since(t):
    return any(e["kind"] == "redis" and e.get("down_at", 0) >= t for e in list(events))


class Client(threading.Thread):
    def __init__(self, n):
        super().__init__(name="client-%d" % n, daemon=True)
        self.r = random.Random(SEED * 1000 + n)
        self.http = Http("c%d" % n)
        self.redis = Redis()
        self.mine = []          # this thread's completed accounts
        self.families = []      # this thread's families (only it refreshes them)

    def note(self, a, kind, note):
        anomalies.append((a.t0, kind, a.status, a.error, note))

    def step(self, kind, method, route, body=None, token=None, ok=200):
        """One step, retried through 5xx and connection errors (a real app
        would retry); returns (answer, unanswered) where unanswered says an
        earlier try got no answer from a worker (it may have been done)."""
        deadline = time.time() + PATIENCE
        unanswered = False
        while True:
            a = self.http.call(kind, method, route, body, token)
            if a.status == ok or not server_trouble(a):
                return a, unanswered
            if not (a.status == 503 and a.error == "service_unavailable"):
                unanswered = True
            if stop.is_set() or time.time() > deadline:
                counts["steps given up"] += 1
                return None, unanswered
            time.sleep(0.2 + self.r.random() * 0.1)

    def family(self, phone, tokens, via):
        f = {"phone": phone, "refresh": tokens["refresh_token"], "access": tokens["access_token"],
             "via": via, "state": "ok", "since": time.time()}
        f["first_jti"] = jwt_claims(f["refresh"]).get("jti")
        self.families.append(f)
        with lock:
            families.append(f)
        return f

    def refresh(self, f):
        if f["state"] != "ok":
            return False
        tok = f["refresh"]
        ref = jti_ref(tok)
        first_unanswered = None
        deadline = time.time() + PATIENCE
        while True:
            a = self.http.call("refresh", "POST", "token/refresh", {"refresh": tok}, ref=ref)
            if a.status == 200:
                f["refresh"], f["access"] = a.json["refresh"], a.json["access"]
                counts["refreshes"] += 1
                return True
            if server_trouble(a):
                if not (a.status == 503 and a.error == "service_unavailable") and first_unanswered is None:
                    first_unanswered = a.t0
                if stop.is_set() or time.time() > deadline:
                    # 503s write nothing: the token held must still be live;
                    # after an unanswered try nobody can tell.
                    f["state"] = "uncertain" if first_unanswered else "ok"
                    counts["steps given up"] += 1
                    return False
                time.sleep(0.2 + self.r.random() * 0.1)
                continue
            if first_unanswered is not None and a.t0 - first_unanswered > GRACE:
                f["state"] = "uncertain"
                self.note(a, "refresh", "refused after an unanswered try more than %d s earlier" % GRACE)
            else:
                f["state"] = "lost"
                f["lost"] = "refresh answered %d %s at %s" % (a.status, a.error, ts(a.t0))
                if first_unanswered is not None:
                    f["lost"] += (", %.2f s after a try that got no answer (within refresh_grace)"
                                  % (a.t0 - first_unanswered))
                lost_midrun.append(f)
                self.note(a, "refresh", "LOSS: the family's latest refresh token was refused")
            return False

    def signup(self):
        """register (new) -> code -> verify-otp -> set-password -> user-info."""
        phone = new_phone(self.r)
        t_reg = time.time()
        a, _ = self.step("register-new", "POST", "register", {"mobile_number": phone})
        if a is None:
            return None
        if a.status != 200 or a.json.get("next_step") != "otp":
            self.note(a, "register-new", "expected 200 next_step otp")
            return None
        sid = a.json["session_id"]
        code = self.redis.code_for(phone, t_reg)
        if code is None:
            if not stop.is_set():
                counts["flows restarted: code gone with Redis" if redis_killed_since(t_reg)
                       else "flows restarted: no code in the outbox (unexpected)"] += 1
            return None
        for kind, route, body, want_next in (
                ("verify-otp", "verify-otp", {"session_id": sid, "code": code}, "set_password"),
                ("set-password", "set-password", {"session_id": sid, "password": PASSWORD}, "user_info"),
                ("user-info", "user-info", {"session_id": sid, "first_name": "Soak",
                                            "last_name": "Test"}, None)):
            ok = 201 if kind == "user-info" else 200
            a, unanswered = self.step(kind, "POST", route, body, ok=ok)
            if a is None:
                return None
            if a.status == ok:
                continue
            err = a.error
            if err == "session_invalid" and redis_killed_since(t_reg):
                counts["flows restarted: session gone with Redis"] += 1
                return None
            if unanswered and err in ("wrong_step", "session_invalid"):
                # the unanswered try was done: go on where the session is
                counts["steps done by an unanswered try"] += 1
                if err == "session_invalid":        # user-info done, tokens not seen
                    return None
                if a.json.get("next_step") == want_next:
                    continue
            self.note(a, kind, "flow step refused")
            return None
        counts["accounts created"] += 1
        with lock:
            accounts.append(phone)
        self.mine.append(phone)
        self.family(phone, a.json["tokens"], "user-info")
        return phone

    def login_number(self, phone):
        a, _ = self.step("login-number", "POST", "login", {"mobile_number": phone, "password": PASSWORD})
        if a is None:
            return None
        if a.status != 200 or "tokens" not in a.json:
            self.note(a, "login-number", "login of an account that answered 201")
            return None
        counts["logins"] += 1
        return self.family(phone, a.json["tokens"], "login")

    def login_again(self, phone):
        """register of an existing account, then login on its session."""
        a, _ = self.step("register-existing", "POST", "register", {"mobile_number": phone})
        if a is None:
            return None
        if a.status != 200 or a.json.get("next_step") != "password":
            self.note(a, "register-existing", "expected 200 next_step password")
            return None
        t_reg = a.t0
        a, _ = self.step("login-session", "POST", "login",
                         {"session_id": a.json["session_id"], "password": PASSWORD})
        if a is None:
            return None
        if a.status == 400 and a.error == "session_invalid" and redis_killed_since(t_reg):
            counts["flows restarted: session gone with Redis"] += 1
            return None
        if a.status != 200 or "tokens" not in a.json:
            self.note(a, "login-session", "login on a password session")
            return None
        counts["logins"] += 1
        return self.family(phone, a.json["tokens"], "login-session")

    def me(self, f):
        a, _ = self.step("me", "GET", "me", token=f["access"])
        if a is not None and a.status != 200:
            self.note(a, "me", "GET me with a fresh access token")

    def run(self):
        while not stop.is_set():
            phone = self.signup()
            if phone is None:
                continue
            f = self.families[-1]
            for _ in range(self.r.randint(1, 3)):
                if stop.is_set() or not self.refresh(f):
                    break
            if stop.is_set():
                break
            f = self.login_number(phone)
            if f is not None:
                for _ in range(self.r.randint(1, 3)):
                    if stop.is_set() or not self.refresh(f):
                        break
                if not stop.is_set():
                    self.me(f)
            if stop.is_set():
                break
            if self.mine:
                f = self.login_again(self.r.choice(self.mine))
                if f is not None and not stop.is_set():
                    self.refresh(f)
            old = [x for x in self.families if x["state"] == "ok"]
            if old and not stop.is_set():
                self.refresh(self.r.choice(old))
            counts["flows completed"] += 1


# ---- health: a slow monitor throughout, and a fast poll after each restart ----

def health_ok(h, kind="health"):
    a = h.call(kind, "GET", "health")
    return a.status == 200 and isinstance(a.json, dict) and a.json.get("status") == "ok", a


def monitor():
    h = Http("monitor")
    while not stop.wait(1.0):
        health_ok(h)


def wait_back(ev, key, since):
    """Polls health every 0.1 s from `since` until it says ok; stores the
    answer's time in ev[key]."""
    h = Http("chaos")
    deadline = since + 120
    while time.time() < deadline:
        ok, a = health_ok(h, "health-poll")
        if ok:
            ev[key] = a.t1
            return
        time.sleep(0.1)
    ev[key] = None


# ---- chaos ----

def kill_redis(ev):
    pid = read_pid(os.path.join(RUN, "redis.pid"))
    ev["target"] = "redis-server %s" % pid
    ev["down_at"] = time.time()
    os.kill(pid, signal.SIGKILL)
    while alive(pid):
        time.sleep(0.02)
    time.sleep(rng.uniform(2, 6))
    return "start-redis"


def kill_postgres(ev):
    data = os.path.join(os.path.realpath(os.path.join(STATE, "pg")), "data")
    pid = read_pid(os.path.join(data, "postmaster.pid"))
    ev["target"] = "postmaster %s" % pid
    ev["down_at"] = time.time()
    os.kill(pid, signal.SIGQUIT)        # immediate shutdown: no checkpoint, crash recovery at start
    deadline = time.time() + 20
    while alive(pid) and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(rng.uniform(2, 6))
    return "start-postgres"


def kill_worker(ev):
    before = pool_workers()
    pid = rng.choice(before)
    ev["target"] = "worker %d" % pid
    ev["down_at"] = time.time()
    os.kill(pid, signal.SIGKILL)
    ev["restart_at"] = ev["down_at"]
    deadline = time.time() + 20
    while time.time() < deadline:
        new = [p for p in pool_workers() if p not in before]
        if new:
            ev["up_at"] = time.time()
            ev["new_worker"] = new[0]
            break
        time.sleep(0.02)
    else:
        ev["up_at"] = None
    return None


def chaos(end):
    cycle = []
    n = 0
    while True:
        wait = rng.uniform(CHAOS_MIN, CHAOS_MAX)
        # leave time to watch the recovery of the last event
        if time.time() + wait > end - 15:
            return
        if stop.wait(wait):
            return
        if not cycle:
            cycle = ["redis", "postgres", "worker"]
            rng.shuffle(cycle)
        n += 1
        ev = {"n": n, "kind": cycle.pop()}
        events.append(ev)       # visible to the clients from the kill on
        cmd = {"redis": kill_redis, "postgres": kill_postgres, "worker": kill_worker}[ev["kind"]](ev)
        if cmd:
            ev["restart_at"] = time.time()
            poll = threading.Thread(target=wait_back, args=(ev, "back_at", ev["restart_at"]), daemon=True)
            poll.start()
            if cmd == "start-redis" and REDIS_AOF:
                start_redis_aof()
            else:
                stack(cmd)
            ev["up_at"] = time.time()
            poll.join()
        else:
            wait_back(ev, "back_at", ev["restart_at"])
        print("soak: event %d %s (%s): down %s, restart +%.2f s, health ok +%s s" % (
            n, ev["kind"], ev["target"], ts(ev["down_at"]), ev["restart_at"] - ev["down_at"],
            "%.2f" % (ev["back_at"] - ev["down_at"]) if ev.get("back_at") else "never"), flush=True)


# ---- the event outputs: a webhook receiver, the audit file, Redis with AOF ----

def event_at_ms(at):
    """The event's `at` ("2026-12-07T10:00:00.123Z") as Unix ms, or None."""
    try:
        d = datetime.datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ")
    except (TypeError, ValueError):
        return None
    return d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000


class HookReceiver:
    """The soak's webhook receiver on loopback. mode "up" answers 204 and
    records the delivery, "500" answers 500 (a receiver that fails), and
    "down" closes the listening socket (connections refused). Each delivery
    answered 2xx is recorded as (time received, event id, type, at in ms,
    user_id, signature verified, webhook-id is the event's id)."""

    def __init__(self, port, secret_file):
        self.port = port
        with open(secret_file) as f:
            self.key = base64.b64decode(f.readline().strip()[len("whsec_"):])
        self.mode = "up"
        self.server = None
        self.deliveries = []
        self.tries = collections.Counter()     # answers by mode
        self.lock = threading.Lock()

    def verified(self, headers, body):
        wid = headers.get("webhook-id") or ""
        wts = headers.get("webhook-timestamp") or ""
        want = base64.b64encode(hmac.new(self.key, ("%s.%s." % (wid, wts)).encode() + body,
                                         hashlib.sha256).digest()).decode()
        sigs = (headers.get("webhook-signature") or "").split()
        return any(s.startswith("v1,") and hmac.compare_digest(s[3:], want) for s in sigs)

    def start(self):
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                t = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                mode = rec.mode
                rec.tries[mode] += 1
                if mode != "up":
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                try:
                    ev = json.loads(body)["data"]
                except (ValueError, KeyError, TypeError):
                    ev = {}
                rec.deliveries.append((t, ev.get("id"), ev.get("type"), event_at_ms(ev.get("at")),
                                       ev.get("user_id"), rec.verified(self.headers, body),
                                       self.headers.get("webhook-id") == ev.get("id")))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="hook", daemon=True).start()

    def set_mode(self, mode):
        with self.lock:
            if mode == "down":
                if self.server is not None:
                    self.server.shutdown()
                    self.server.server_close()
                    self.server = None
            elif self.server is None:
                for _ in range(50):
                    try:
                        self.start()
                        break
                    except OSError:         # the port not yet free: try again
                        time.sleep(0.1)
            self.mode = mode


hook = None                 # the HookReceiver
hook_outages = []           # {"n", "mode", "from", "to"}
audit_lines = []            # (time seen, event id, type, at in ms, user_id) per line of the audit file
audit_bad = []              # lines of the audit file that are not an event
audit_stop = threading.Event()


def hook_chaos(end):
    """Takes the receiver down or makes it answer 500, by turns, for
    SOAK_HOOK_DOWN_MIN..MAX seconds every SOAK_HOOK_MIN..MAX seconds; it is
    up again 20 s before the end of the load at the latest."""
    r = random.Random(SEED + 7)
    n = 0
    while True:
        wait = r.uniform(HOOK_MIN, HOOK_MAX)
        down = r.uniform(HOOK_DOWN_MIN, HOOK_DOWN_MAX)
        if time.time() + wait + down > end - 20 or stop.wait(wait):
            return
        n += 1
        o = {"n": n, "mode": "down" if n % 2 else "500", "from": time.time()}
        hook_outages.append(o)
        hook.set_mode(o["mode"])
        stop.wait(down)
        hook.set_mode("up")
        o["to"] = time.time()
        print("soak: receiver %s %s for %.1f s" % (
            "down (refusing connections)" if o["mode"] == "down" else "answering 500",
            ts(o["from"]), o["to"] - o["from"]), flush=True)


def audit_reader():
    """Reads the audit file as it grows (every 0.2 s) until told to stop."""
    buf = b""
    f = None
    while True:
        last = audit_stop.is_set()
        if f is None:
            try:
                f = open(AUDIT, "rb")
            except OSError:
                f = None
        if f is not None:
            buf += f.read()
            t = time.time()
            *lines, buf = buf.split(b"\n")
            for line in lines:
                try:
                    ev = json.loads(line)
                    audit_lines.append((t, ev["id"], ev["type"], event_at_ms(ev["at"]), ev.get("user_id")))
                except (ValueError, KeyError, TypeError):
                    audit_bad.append(line[:200])
        if last:
            if buf:
                audit_bad.append(buf[:200])
            return
        audit_stop.wait(0.2)


def redis_aof_on():
    """appendonly on the running Redis (written before each reply: what a
    SIGKILL leaves survives), and its first rewrite done."""
    r = Redis()
    r.command("CONFIG", "SET", "appendfsync", "no")
    r.command("CONFIG", "SET", "appendonly", "yes")
    deadline = time.time() + 60
    while time.time() < deadline:
        info = r.command("INFO", "persistence")
        info = info.decode() if isinstance(info, bytes) else info
        d = dict(l.split(":", 1) for l in info.split("\r\n") if ":" in l)
        if (d.get("aof_enabled") == "1" and d.get("aof_rewrite_in_progress") == "0"
                and d.get("aof_rewrite_scheduled") == "0"):
            return True
        time.sleep(0.2)
    print("soak: Redis did not turn appendonly on in 60 s", file=sys.stderr, flush=True)
    return False


def start_redis_aof():
    """Starts the killed Redis on its stack's configuration with appendonly
    (stack.sh start-redis would start it without persistence), and waits
    until it has loaded its data and answers."""
    p = subprocess.run(["redis-server", os.path.join(STATE, "redis.conf"), "--appendonly", "yes",
                        "--appendfsync", "no"], capture_output=True, text=True)
    if p.returncode != 0:
        print("soak: redis-server failed: %s" % (p.stdout + p.stderr).strip()[-500:], file=sys.stderr,
              flush=True)
        return False
    r = Redis()
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if r.command("PING") == "PONG":
                return True
        except (ConnectionError, RuntimeError):     # not yet listening, or LOADING
            pass
        time.sleep(0.1)
    return False


def stream_state(r):
    """(event_outbox rows, [(group, pending, last delivered, lag)], the
    stream's last id) now."""
    outbox = int(psql("SELECT count(*) FROM event_outbox")[0][0])
    groups = []
    for g in r.command("XINFO", "GROUPS", PREFIX + "events") or []:
        d = {(g[i].decode() if isinstance(g[i], bytes) else g[i]): g[i + 1] for i in range(0, len(g), 2)}
        dec = lambda v: v.decode() if isinstance(v, bytes) else v  # noqa: E731
        groups.append((dec(d.get("name")), d.get("pending"), dec(d.get("last-delivered-id")), d.get("lag")))
    info = r.command("XINFO", "STREAM", PREFIX + "events")
    d = {(info[i].decode() if isinstance(info[i], bytes) else info[i]): info[i + 1]
         for i in range(0, len(info), 2)}
    last = d.get("last-generated-id")
    return outbox, groups, last.decode() if isinstance(last, bytes) else last


def drain():
    """Waits (at most SOAK_DRAIN s) until the relay has moved every row of
    event_outbox and every output has taken and acknowledged every event of
    the stream. Returns (seconds waited, done, the last state as text)."""
    t0 = time.time()
    r = Redis()
    text = "?"
    while True:
        try:
            outbox, groups, last = stream_state(r)
            text = "event_outbox %d rows; stream last id %s; %s" % (outbox, last, "; ".join(
                "group %s pending %s last delivered %s lag %s" % g for g in groups))
            if outbox == 0 and groups and all(g[1] == 0 and g[2] == last for g in groups):
                audit_stop.wait(1.0)     # the audit reader's next look
                return time.time() - t0, True, text
        except Exception as e:  # a store not back yet: try again
            text = "unreadable (%s)" % e
        if time.time() - t0 > DRAIN:
            return time.time() - t0, False, text
        time.sleep(0.5)


def events_produced():
    """What must have been produced: from PostgreSQL, per active account,
    {user_id: (signup.completed, login.succeeded)} — one sign-up, and one
    login per row of logins but the sign-up's own; and the stream's
    counts by type (phoneauth_events_total, from GET metrics)."""
    want = {}
    for uid, n in psql("SELECT u.id, count(l.family) FROM users u LEFT JOIN logins l ON l.user_id = u.id"
                       " WHERE u.is_active GROUP BY u.id"):
        want[int(uid)] = (1, max(0, int(n) - 1))
    counted = collections.Counter()
    conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=30)
    conn.request("GET", BASE + "metrics")
    for line in conn.getresponse().read().decode().splitlines():
        if line.startswith('phoneauth_events_total{type="'):
            counted[line.split('"')[1]] = int(float(line.split()[-1]))
    conn.close()
    return want, counted


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def output_check(name, recs, want, counted, stream_order=None):
    """recs: (time received, id, type, at ms, user_id, ...) in the order
    received. Returns (report lines, figures)."""
    first = {}
    n_by_id = collections.Counter()
    for r in recs:
        n_by_id[r[1]] += 1
        first.setdefault(r[1], r)
    dups = sum(c - 1 for c in n_by_id.values())
    by_type = collections.Counter(r[2] for r in first.values())
    got = collections.defaultdict(lambda: [0, 0])
    stray = 0
    for r in first.values():
        if r[2] in ("signup.completed", "login.succeeded"):
            if r[4] in want:
                got[r[4]][0 if r[2] == "signup.completed" else 1] += 1
            else:
                stray += 1
    lost = [0, 0]
    extra = [0, 0]
    for uid, w in want.items():
        g = got.get(uid, [0, 0])
        for i in (0, 1):
            lost[i] += max(0, w[i] - g[i])
            extra[i] += max(0, g[i] - w[i])
    total_counted = sum(counted.values())
    not_in = max(0, total_counted - len(first))
    lat = [(r[0] * 1000 - r[3]) for r in first.values() if r[3] is not None]
    calm = [(r[0] * 1000 - r[3]) for r in first.values() if r[3] is not None and not troubled(r[3] / 1000)]
    out_of_order = 0
    if stream_order is not None:
        last = -1
        for r in recs:
            pos = stream_order.get(r[1])
            if pos is None or r is not first[r[1]]:
                continue
            if pos < last:
                out_of_order += 1
            last = max(last, pos)
    f = {"missing_users": [uid for uid, w in want.items() if got.get(uid, [0, 0])[0] < w[0]
                           or got.get(uid, [0, 0])[1] < w[1]],
         "dup_ids": [i for i, c in n_by_id.items() if c > 1],
         "delivered": len(first), "deliveries": len(recs), "dups": dups,
         "lost": lost[0] + lost[1], "extra": extra[0] + extra[1] + stray, "not_in": not_in,
         "p99": pct(lat, 99), "out_of_order": out_of_order}
    lines = [
        "  %s: %d events delivered (%d deliveries), %d DUPLICATED; %s" % (
            name, len(first), len(recs), dups, ", ".join("%s %d" % kv for kv in sorted(by_type.items()))),
        "    LOST against PostgreSQL: %d signup.completed, %d login.succeeded; without a change in "
        "PostgreSQL (invented or not ours): %d; of the %d the stream counted, not delivered: %d" % (
            lost[0], lost[1], f["extra"], total_counted, not_in),
        "    delivery latency (event at -> received), ms: p50 %s, p99 %s, max %s over %d; "
        "made while nothing was down (no store down, the receiver up and caught up): p50 %s, p99 %s over %d" % (
            fmt_ms(pct(lat, 50)), fmt_ms(pct(lat, 99)), fmt_ms(max(lat) if lat else None), len(lat),
            fmt_ms(pct(calm, 50)), fmt_ms(pct(calm, 99)), len(calm))]
    if stream_order is not None:
        lines.append("    order: %d events received before one that came earlier in the stream "
                     "(the audit file's order)" % out_of_order)
    f["p99_calm"] = pct(calm, 99)
    return lines, f


def fmt_ms(v):
    return "-" if v is None else "%.0f" % v


def troubled(t):
    """Whether at time t a store was down (kill to health ok) or the
    receiver was out or still behind (from the outage's start until it
    caught up: events_report fills o["caught"])."""
    for e in events:
        if e["kind"] in ("redis", "postgres") and e["down_at"] <= t <= (e.get("back_at") or 1e18):
            return True
    return any(o["from"] <= t <= (o.get("caught") or o.get("to") or 1e18) for o in hook_outages)


def events_report(drained):
    """The events' part of the report: (lines, ok)."""
    lines = []
    p = lines.append
    waited, done, state = drained
    try:
        want, counted = events_produced()
        dead = Redis().command("XLEN", PREFIX + "events:dead")
    except Exception as e:
        return ["events: NOT CHECKED (%s)" % e], False
    n_sign = sum(w[0] for w in want.values())
    n_login = sum(w[1] for w in want.values())
    p("events (issue 24): outputs: the audit file %s and the webhook http://127.0.0.1:%d/hook; Redis %s" % (
        AUDIT, HOOK_PORT, "with appendonly (appendfsync no)" if REDIS_AOF else "WITHOUT persistence"))
    p("  produced: PostgreSQL holds %d accounts (signup.completed each) and %d logins besides their "
      "sign-ups' (login.succeeded each); the stream counted %d: %s" % (
          n_sign, n_login, sum(counted.values()), ", ".join("%s %d" % kv for kv in sorted(counted.items()))))
    p("  after the load: %s in %.1f s; %s" % ("all delivered" if done else "NOT DRAINED", waited, state))
    p("  receiver outages: %d (%s); answers: %s" % (
        len(hook_outages), ", ".join("%s %s %.1f s" % (o["mode"], ts(o["from"]), o.get("to", 0) - o["from"])
                                     for o in hook_outages) or "none",
        ", ".join("%s %d" % ("204" if k == "up" else k, v) for k, v in sorted(hook.tries.items()))))
    for o in hook_outages:
        # the retry's wait after the receiver is back, and the backlog's end:
        # the first event received within a second of its making
        after = [d for d in hook.deliveries if d[0] >= o.get("to", 1e18) and d[3] is not None]
        first = min((d[0] for d in after), default=None)
        caught = min((d[0] for d in after if d[0] * 1000 - d[3] < 1000), default=None)
        o["caught"] = caught
        p("    outage #%d (%s, %.1f s): first delivery +%s s after it ended, caught up "
          "(an event received within 1 s of its making) +%s s" % (
              o["n"], o["mode"], o.get("to", 0) - o["from"],
              "%.1f" % (first - o["to"]) if first else "never",
              "%.1f" % (caught - o["to"]) if caught else "never"))
    order = {}
    for r in audit_lines:
        order.setdefault(r[1], len(order))
    hl, hf = output_check("webhook", hook.deliveries, want, counted, order)
    lines += hl
    bad_sig = len([d for d in hook.deliveries if not d[5]])
    bad_id = len([d for d in hook.deliveries if not d[6]])
    p("    signatures that do not verify: %d; webhook-id other than the event's id: %d" % (bad_sig, bad_id))
    al, af = output_check("audit file", audit_lines, want, counted)
    lines += al
    p("    lines that are not an event: %d" % len(audit_bad))
    p("  dead letters: %d" % dead)
    for i in hf["dup_ids"][:10]:
        times = [d[0] for d in hook.deliveries if d[1] == i]
        near = [e for e in events if times[0] - 1 <= e["down_at"] <= times[-1]]
        p("  DUPLICATE %s at the receiver, received %s%s" % (i, ", ".join(ts(t) for t in times), "".join(
            "; #%d %s killed %s (%.3f s after the first receipt)" % (e["n"], e["kind"], ts(e["down_at"]),
                                                                   e["down_at"] - times[0]) for e in near)))
    missing = sorted(set(hf["missing_users"]) | set(af["missing_users"]))
    if missing:
        names = ",".join(str(u) for u in missing[:10])
        rows = collections.defaultdict(list)
        try:
            for uid, at in psql("SELECT user_id, to_char(created_at AT TIME ZONE 'UTC', 'HH24:MI:SS.MS')"
                                " FROM logins WHERE user_id IN (%s) ORDER BY created_at" % names):
                rows[int(uid)].append(at)
        except Exception:
            pass
        for uid in missing[:10]:
            got = sorted(ts(r[3] / 1000) + " " + r[2] for r in {d[1]: d for d in hook.deliveries}.values()
                         if r[4] == uid)
            p("  MISSING an event of user %d: its logins (the sign-up's first) began at %s; the receiver got %s" % (
                uid, ", ".join(rows.get(uid, ["?"])), "; ".join(got) or "nothing"))
            t0 = min((r[3] / 1000 for r in hook.deliveries if r[4] == uid and r[3]), default=None)
            if t0:
                near = [e for e in events if t0 - 1 <= e["down_at"] <= t0 + 15]
                if near:
                    p("    events around them: " + ", ".join("#%d %s killed %s" % (e["n"], e["kind"], ts(e["down_at"]))
                                                           for e in near))
    ok = (done and dead == 0 and bad_sig == 0 and bad_id == 0 and not audit_bad
          and all(f["lost"] == 0 and f["dups"] == 0 and f["not_in"] == 0 and f["extra"] == 0
                  for f in (hf, af)) and hf["out_of_order"] == 0)
    p("  events: %s (lost %d webhook, %d audit; duplicated %d webhook, %d audit)" % (
        "PASS" if ok else "FAIL", hf["lost"] + hf["not_in"], af["lost"] + af["not_in"], hf["dups"], af["dups"]))
    with open(os.path.join(STATE, "hook_deliveries.tsv"), "w") as f:
        for d in hook.deliveries:
            f.write("%.3f\t%s\t%s\t%s\t%s\t%s\n" % (d[0], d[1], d[2], ts(d[3] / 1000) if d[3] else "-",
                                                    d[4], "ok" if d[5] else "BAD"))
    return lines, ok


# ---- memory ----

def worker_memory():
    """[(pid, VmRSS kB, Private_* kB)] of the pool's workers now."""
    out = []
    for pid in pool_workers():
        rss = priv = 0
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
            with open("/proc/%d/smaps_rollup" % pid) as f:
                for line in f:
                    if line.startswith("Private_"):
                        priv += int(line.split()[1])
        except OSError:
            continue
        out.append((pid, rss, priv))
    return out


def mem_line(m):
    return "sum RSS %.1f MB, private %.1f MB; per worker: %s" % (
        sum(x[1] for x in m) / 1024, sum(x[2] for x in m) / 1024,
        ", ".join("%d %.1f/%.1f" % (p, r / 1024, q / 1024) for p, r, q in m))


# ---- the end: what must have survived ----

def psql(sql):
    with open(os.path.join(STATE, "pg.pass")) as f:
        pw = f.readline().strip()
    p = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-h", "127.0.0.1", "-p", str(PG_PORT),
                        "-U", "phoneauth", "phoneauth", "-v", "ON_ERROR_STOP=1"],
                       input=sql, capture_output=True, text=True, env=dict(os.environ, PGPASSWORD=pw))
    if p.returncode != 0:
        raise RuntimeError("psql: " + p.stderr.strip())
    return [line.split("\t") for line in p.stdout.splitlines() if line]


def check_losses():
    res = {}
    active = {r[0] for r in psql("SELECT mobile_number FROM users WHERE is_active")}
    res["missing_accounts"] = [p for p in accounts if p not in active]
    rows = {r[0]: r[1:] for r in psql(
        "SELECT jti, spent_at IS NOT NULL, revoked_at IS NOT NULL, expires_at <= now(), family,"
        " coalesce(to_char(revoked_at AT TIME ZONE 'UTC', 'HH24:MI:SS.MS'), '')"
        " FROM refresh_tokens")}
    for f in families:
        row = rows.get(f["first_jti"])
        f["family"] = row[3] if row else "?"
    held = [f for f in families if f["state"] == "ok"]
    res["held"] = len(held)
    res["uncertain"] = [f for f in families if f["state"] == "uncertain"]
    dead = []
    for f in held:
        jti = jwt_claims(f["refresh"]).get("jti")
        row = rows.get(jti)
        why = None
        if row is None:
            why = "no row in refresh_tokens"
        elif row[0] == "t":
            why = "spent"
        elif row[1] == "t":
            why = "revoked at " + row[4]
        elif row[2] == "t":
            why = "expired"
        if why:
            f["state"] = "lost"
            f["lost"] = "at the end: " + why
            dead.append(f)
    res["dead_in_table"] = dead
    # and through the API: one more rotation of every family still live
    refused = []
    pending = [f for f in held if f["state"] == "ok"]

    def worker():
        h = Http("final")
        while True:
            with lock:
                if not pending:
                    return
                f = pending.pop()
            for _ in range(50):
                a = h.call("refresh-final", "POST", "token/refresh", {"refresh": f["refresh"]},
                           ref=jti_ref(f["refresh"]))
                if not server_trouble(a):
                    break
                time.sleep(0.2)
            if a.status == 200:
                f["refresh"] = a.json["refresh"]
            else:
                f["state"] = "lost"
                f["lost"] = "final refresh answered %d %s" % (a.status, a.error)
                refused.append(f)
    ts_ = [threading.Thread(target=worker) for _ in range(4)]
    for t in ts_:
        t.start()
    for t in ts_:
        t.join()
    res["refused_at_end"] = refused
    # what the table says about every lost family, token by token
    lost = [f for f in families if f["state"] == "lost" and f.get("family", "?") != "?"]
    if lost:
        names = ",".join("'%s'" % f["family"] for f in lost if all(c in "0123456789abcdef" for c in f["family"]))
        by_family = collections.defaultdict(list)
        for r in psql("SELECT family, left(jti, 12),"
                      " to_char(created_at AT TIME ZONE 'UTC', 'HH24:MI:SS.MS'),"
                      " coalesce(to_char(spent_at AT TIME ZONE 'UTC', 'HH24:MI:SS.MS'), '-'),"
                      " coalesce(to_char(revoked_at AT TIME ZONE 'UTC', 'HH24:MI:SS.MS'), '-')"
                      " FROM refresh_tokens WHERE family IN (%s) ORDER BY created_at" % names):
            by_family[r[0]].append(r[1:])
        for f in lost:
            f["rows"] = by_family.get(f["family"], [])
    return res


# ---- the report ----


def classify(end_load):
    """Splits the 5xx and connection errors into explained and unexplained."""
    store_evs = [e for e in events if e["kind"] in ("redis", "postgres")]
    worker_evs = [e for e in events if e["kind"] == "worker"]
    explained = collections.Counter()
    unexplained = []
    budget = {e["n"]: 1 for e in worker_evs}   # one request in flight per killed worker
    for rec in sorted(records):
        t0, t1, kind, status, err = rec[:5]
        if not (status == 0 or status >= 500):
            continue
        if status == 503 and err == "service_unavailable":
            hit = [e for e in store_evs if e["down_at"] <= t1 and t0 <= (e.get("back_at") or 1e18)]
            if hit:
                explained["503 while %s was down (event %d)" % (hit[0]["kind"], hit[0]["n"])] += 1
                continue
        elif status != 500 or err == "not-json":
            # lighttpd's own answer (500, 502, 503, 504 without our JSON) or
            # a dropped connection: a worker that died mid-request
            hit = [e for e in worker_evs if t0 <= e["down_at"] <= t1 and budget[e["n"]] > 0]
            if hit:
                budget[hit[0]["n"]] -= 1
                explained["%s %s in flight on killed worker (event %d)" % (
                    status or "connection error", err, hit[0]["n"])] += 1
                continue
        last = None
        for e in store_evs:
            if e.get("restart_at") and e["restart_at"] <= t0:
                last = e
        unexplained.append((rec, last))
    return explained, unexplained


def log_lines(t_from, t_to, limit=16):
    """phoneauth.log lines written in [t_from, t_to], but the codes the log
    driver writes; lines without a time stamp (multiwatch's) take the one
    before them."""
    lo = datetime.datetime.fromtimestamp(int(t_from), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    hi = datetime.datetime.fromtimestamp(int(t_to), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = []
    stamp = ""
    try:
        with open(LOG, errors="replace") as f:
            for line in f:
                if line[:2] == "20" and line[19:20] == "Z":
                    stamp = line[:20]
                if lo <= stamp <= hi and " info: sms: code " not in line:
                    out.append(line.rstrip("\n"))
    except OSError:
        pass
    if len(out) > limit:
        out = out[:limit // 2] + ["... %d more ..." % (len(out) - limit)] + out[-(limit // 2):]
    return out


def recovery(ev, kinds):
    """Per route kind: seconds from the restart to the first 2xx of a request
    started after the kill and answered after the restart."""
    out = []
    base = ev.get("restart_at") or ev["down_at"]
    for k in kinds:
        first = None
        for t0, t1, kind, status, *_ in records:
            if kind == k and 200 <= status < 300 and t0 >= ev["down_at"] and t1 >= base:
                if first is None or t1 < first:
                    first = t1
        out.append("%s %s" % (k, "+%.2f" % (first - base) if first else "-"))
    return out


def report(t_start, t_load_end, mem_start, mem_samples, mem_end, losses, sender, ev_lines, ev_ok):
    lines = []
    p = lines.append
    recs = [r for r in records if r[2] != "refresh-final"]
    n = len(recs)
    dur = t_load_end - t_start
    p("phoneauth soak: %.0f s of load, %d client threads, %d workers, %d cores, seed %d" % (
        dur, CLIENTS, WORKERS, os.cpu_count(), SEED))
    p("from %s to %s UTC; stack in %s" % (ts(t_start), ts(t_load_end), STATE))
    p("")
    p("requests: %d (%.0f/s), final refresh check %d more" % (n, n / dur if dur else 0,
                                                                len(records) - n))
    p("flows: " + ", ".join("%s %d" % kv for kv in sorted(counts.items())))
    by_status = collections.Counter(r[3] for r in recs)
    p("responses by status: " + ", ".join("%s: %d" % ("conn-error" if s == 0 else s, c)
                                          for s, c in sorted(by_status.items())))
    p("")
    p("responses by route (status error: count):")
    by_route = collections.defaultdict(collections.Counter)
    for r in recs:
        by_route[r[2]]["%s%s" % ("conn-error" if r[3] == 0 else r[3], " " + r[4] if r[4] else "")] += 1
    for k in sorted(by_route):
        p("  %-18s %s" % (k, ", ".join("%s: %d" % kv for kv in sorted(by_route[k].items()))))
    p("")
    kinds = ["register-new", "verify-otp", "set-password", "user-info", "login-number",
             "register-existing", "login-session", "refresh", "me"]
    p("events (UTC; seconds from the kill: restart issued, store answering / new worker, health ok;")
    p("        recovery: seconds from the restart issued to health ok and to the first 2xx per route)")
    for e in events:
        back = e.get("back_at")
        base = e.get("restart_at") or e["down_at"]
        fives = collections.Counter(r[3] for r in recs if r[3] == 0 or r[3] >= 500
                                    if e["down_at"] <= r[1] and r[0] <= (back or t_load_end))
        p("  #%d %-8s %-18s killed %s  restart +%.2f  up +%s  health ok +%s  5xx/errors meanwhile: %s" % (
            e["n"], e["kind"], e["target"], ts(e["down_at"]), base - e["down_at"],
            "%.2f" % (e["up_at"] - e["down_at"]) if e.get("up_at") else "never",
            "%.2f" % (back - e["down_at"]) if back else "NEVER",
            ", ".join("%s×%d" % ("conn" if s == 0 else s, c) for s, c in sorted(fives.items())) or "none"))
        p("      recovery: health ok %s; first 2xx: %s" % (
            "+%.2f" % (back - base) if back else "NEVER", ", ".join(recovery(e, kinds))))
    if not events:
        p("  none (the run was shorter than the first interval)")
    p("")
    explained, unexplained = classify(t_load_end)
    p("5xx and connection errors: %d explained, %d UNEXPLAINED" % (sum(explained.values()), len(unexplained)))
    for k, c in sorted(explained.items()):
        p("  explained: %-60s %d" % (k, c))
    if unexplained:
        p("")
        p("UNEXPLAINED (time UTC, route, answer, the store restarted last and how long after its health ok):")
        groups = collections.OrderedDict()
        for rec, last in unexplained:
            key = last["n"] if last else 0
            groups.setdefault(key, []).append((rec, last))
        for key, items in groups.items():
            last = items[0][1]
            if last:
                p("  after event #%d (%s killed %s, health ok %s):" % (
                    last["n"], last["kind"], ts(last["down_at"]),
                    ts(last["back_at"]) if last.get("back_at") else "never"))
            else:
                p("  with no store event before them:")
            routes = collections.Counter(r[0][2] for r in items)
            p("    %d answers; routes: %s" % (len(items), ", ".join("%s %d" % kv for kv in routes.most_common())))
            for rec, _ in items[:40]:
                t0, t1, kind, status, err = rec[:5]
                after = (" +%.2f s after health ok" % (t0 - last["back_at"])) if last and last.get("back_at") else ""
                p("    %s  %-18s %s %s (took %.0f ms)%s" % (ts(t0), kind, status or "conn-error", err,
                                                         (t1 - t0) * 1000, after))
            if len(items) > 40:
                p("    ... %d more" % (len(items) - 40))
            lo = min(r[0][0] for r in items) - 2
            hi = max(r[0][1] for r in items) + 1
            ll = log_lines(lo, hi)
            p("    phoneauth.log %s..%s (but the codes sent):" % (ts(lo), ts(hi)))
            for line in ll or ["(nothing)"]:
                p("      " + line)
    p("")
    p("unexpected 4xx answers (the flow did not expect them; they do not fail the run): %d" % len(anomalies))
    for t, kind, status, err, note in sorted(anomalies)[:30]:
        p("  %s  %-18s %s %s: %s" % (ts(t), kind, status, err, note))
    p("")
    n_lost = 0
    if losses is None:
        p("losses: NOT CHECKED (the stores did not come back at the end)")
        n_lost = 1
    else:
        ma = losses["missing_accounts"]
        p("accounts answered 201: %d; missing in PostgreSQL (users, is_active) at the end: %d" % (
            len(accounts), len(ma)))
        for ph in ma[:20]:
            p("  LOST account %s" % ph)
        lost = [f for f in families if f["state"] == "lost"]
        p("refresh families held: %d; live at the end: %d; LOST: %d (refused during the run %d, "
          "dead in refresh_tokens %d, final refresh refused %d); uncertain (their last try got no answer): %d" % (
              len(families), losses["held"] - len(losses["dead_in_table"]) - len(losses["refused_at_end"]),
              len(lost), len(lost_midrun), len(losses["dead_in_table"]), len(losses["refused_at_end"]),
              len(losses["uncertain"])))
        for f in lost[:20]:
            p("  LOST family %s of %s (from %s at %s): %s" % (
                f.get("family", "?"), f["phone"], f["via"], ts(f["since"]), f.get("lost")))
            ref = f.get("lost_ref") or jti_ref(f["refresh"])
            tries = [r for r in records if r[6] == ref]
            p("    its last token %s… was presented %d times: %s" % (ref, len(tries), "; ".join(
                "%s %s %s%s" % (ts(r[0]), r[5], r[3] or "conn-error", " " + r[4] if r[4] else "")
                for r in tries[:12])))
            for r in tries:
                hit = [e for e in events if r[0] - INFLIGHT <= e["down_at"] <= r[1]]
                if hit and (r[3] == 0 or r[3] >= 500):
                    p("    the try of %s was in flight when %s was killed (event #%d) and answered %s: "
                      "the rotation may have committed with its answer lost" % (
                          ts(r[0]), hit[0]["kind"], hit[0]["n"], r[3] or "conn-error"))
                    f["in_flight"] = True
                    break
            if f.get("rows"):
                p("    refresh_tokens of the family (jti, created, spent, revoked): " + "; ".join(
                    " ".join(x) for x in f["rows"]))
            near = [e for e in events if tries and e["down_at"] <= tries[-1][1] and
                    (e.get("back_at") or 1e18) >= tries[0][0] - 1]
            if near:
                p("    events around them: " + ", ".join("#%d %s killed %s" % (e["n"], e["kind"], ts(e["down_at"]))
                                                       for e in near))
        if lost:
            p("  of the %d lost families, %d had a refresh in flight when a store or its worker was killed"
              " (its rotation committed, its answer was a 5xx, and the retry was taken for reuse)" % (
                  len(lost), len([f for f in lost if f.get("in_flight")])))
        n_lost = len(ma) + len(lost)
    p("")
    p("worker memory (MB, RSS/private; private = Private_Clean + Private_Dirty of smaps_rollup):")
    p("  start: " + mem_line(mem_start))
    for t, m in mem_samples:
        p("  %s: sum RSS %.1f, private %.1f (%d workers)" % (
            ts(t), sum(x[1] for x in m) / 1024, sum(x[2] for x in m) / 1024, len(m)))
    p("  end:   " + mem_line(mem_end))
    started = {x[0] for x in mem_start}
    p("  workers at the end that ran from the start: %d of %d" % (
        len([x for x in mem_end if x[0] in started]), len(mem_end)))
    p("sms sender: " + sender)
    p("")
    lines += ev_lines
    p("")
    ok = not unexplained and n_lost == 0 and ev_ok
    p("RESULT: %s (%d unexplained 5xx/errors, %d losses, events %s)%s" % (
        "PASS" if ok else "FAIL", len(unexplained), n_lost, "ok" if ev_ok else "FAILED",
        "; INTERRUPTED after %.0f of %.0f s" % (dur, DURATION) if interrupted.is_set() else ""))
    return "\n".join(lines) + "\n", ok


def sender_state():
    pid = read_pid(os.path.join(RUN, "sender.pid"))
    state = "running (pid %s)" % pid if pid and alive(pid) else "NOT running"
    try:
        r = Redis()
        length = r.command("XLEN", PREFIX + "sms")
        groups = r.command("XINFO", "GROUPS", PREFIX + "sms") or []
        g = []
        for grp in groups:
            d = {grp[i].decode() if isinstance(grp[i], bytes) else grp[i]: grp[i + 1]
                 for i in range(0, len(grp), 2)}
            g.append("group %s pending %s lag %s" % (
                d.get("name", b"?").decode() if isinstance(d.get("name"), bytes) else d.get("name"),
                d.get("pending"), d.get("lag")))
        state += "; outbox length %s since the last Redis restart; %s" % (length, "; ".join(g) or "no group")
    except Exception as e:  # a report line, not a reason to fail
        state += "; outbox unreadable (%s)" % e
    return state


def main():
    def interrupt(*_):
        interrupted.set()
        stop.set()
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    t_start = time.time()
    end = t_start + DURATION
    print("soak: %.0f s, %d clients, chaos every %.0f-%.0f s, seed %d; http://127.0.0.1:%d%s" % (
        DURATION, CLIENTS, CHAOS_MIN, CHAOS_MAX, SEED, HTTP_PORT, BASE), flush=True)
    global hook
    if REDIS_AOF and not redis_aof_on():
        sys.exit(1)
    hook = HookReceiver(HOOK_PORT, HOOK_SECRET_FILE)
    hook.set_mode("up")
    reader = threading.Thread(target=audit_reader, name="audit", daemon=True)
    reader.start()
    mem_start = worker_memory()
    threads = [Client(i) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    mon = threading.Thread(target=monitor, daemon=True)
    mon.start()
    ch = threading.Thread(target=chaos, args=(end,), daemon=True)
    ch.start()
    hc = threading.Thread(target=hook_chaos, args=(end,), daemon=True)
    hc.start()
    mem_samples = []
    next_sample = t_start + 60
    next_progress = t_start + 30
    while not stop.is_set() and time.time() < end:
        stop.wait(min(1.0, max(0.0, end - time.time())))
        now = time.time()
        if now >= next_sample:
            mem_samples.append((now, worker_memory()))
            next_sample += 60
        if now >= next_progress:
            print("soak: +%.0f s: %d requests, %d accounts, %d events" % (
                now - t_start, len(records), len(accounts), len(events)), flush=True)
            next_progress += 30
    t_load_end = time.time()
    stop.set()
    for t in threads:
        t.join(60)
    ch.join(120)     # an event under way restarts its store first
    hc.join(60)
    hook.set_mode("up")
    mon.join(5)
    # the stores must be back before anything can be checked
    ev = {}
    wait_back(ev, "ok", time.time())
    mem_end = worker_memory()
    losses = None
    if ev.get("ok"):
        try:
            losses = check_losses()
        except Exception as e:
            print("soak: the end check failed: %s" % e, file=sys.stderr)
    sender = sender_state()
    if ev.get("ok"):
        print("soak: waiting (at most %.0f s) for the event outputs to catch up..." % DRAIN, flush=True)
        drained = drain()
    else:
        drained = (0, False, "the stores did not come back")
    audit_stop.set()
    reader.join(10)
    ev_lines, ev_ok = events_report(drained)
    text, ok = report(t_start, t_load_end, mem_start, mem_samples, mem_end, losses, sender, ev_lines, ev_ok)
    with open(os.path.join(STATE, "report.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(STATE, "requests.tsv"), "w") as f:
        for r in sorted(records):
            f.write("%.3f\t%.3f\t%s\t%s\t%s\t%s\t%s\n" % r)
    with open(os.path.join(STATE, "events.tsv"), "w") as f:
        for e in events:
            f.write("\t".join("%s=%s" % (k, ts(v) if k.endswith("_at") and v else v)
                              for k, v in e.items()) + "\n")
    print()
    print(text, end="")
    print("soak: report in %s/report.txt" % STATE)
    sys.exit(1 if not ok else 130 if interrupted.is_set() else 0)


if __name__ == "__main__":
    main()
