"""The cluster test (make test-cluster): two phoneauth hosts, Redis behind
three Sentinels, PostgreSQL with a synchronous standby, every machine a
network namespace that tests/cluster/run.sh made. This program runs in the
load balancer's namespace (lb) and talks to both hosts as a load balancer
would, naming each client in X-Forwarded-For (lb is the hosts'
trusted_proxies). It kills and promotes stores as a machine's death and an
operator (or Patroni) would, and measures what a client sees.

Machines and addresses: PAC_ADDRS ("lb=10.213.0.1 h1=..."); namespaces
PAC_NS-<machine>; state and logs in PAC_STATE.
"""

import itertools
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import pa  # noqa: E402  (the e2e helpers: Client, the OpenAPI check, test/run)
from pa import check, expect, run, test, wait_for  # noqa: E402

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
NS = os.environ["PAC_NS"]
STATE = os.environ["PAC_STATE"]
ADDR = dict(item.split("=") for item in os.environ["PAC_ADDRS"].split())
PORT = int(os.environ["PAC_HTTP_PORT"])
HOSTS = ("h1", "h2")
URL = {h: "http://%s:%d/api" % (ADDR[h], PORT) for h in HOSTS}
MASTER = os.environ["PAC_MASTER"]
REDIS_PASSWORD = os.environ["PAC_REDIS_PASSWORD"]
SENTINELS = ("s1", "s2", "s3")
MAX_FAILED = int(os.environ["PAC_MAX_FAILED"])
PASSWORD = "correct horse battery"
SMS_LOG = os.path.join(STATE, "sms-delivered.txt")

# ---- clients ----

_client_numbers = itertools.count(1)


def fresh_client():
    """A client address for X-Forwarded-For: 10.213.128.0/17, which no
    machine has (each test's clients are their own, so blocks stay theirs)."""
    n = next(_client_numbers)
    return "10.213.%d.%d" % (128 + n // 250, n % 250 + 1)


class Host:
    """One client (an X-Forwarded-For address) of one host, through lb."""

    def __init__(self, name, client=None):
        self.name = name
        self.client = client or fresh_client()
        self.http = pa.Client(ip=ADDR["lb"], base_url=URL[name])

    def post(self, route, body, headers=None):
        h = {"X-Forwarded-For": self.client}
        h.update(headers or {})
        return self.http.post(route, body, headers=h)

    def get(self, route, headers=None):
        h = {"X-Forwarded-For": self.client}
        h.update(headers or {})
        return self.http.get(route, headers=h)


def other(host):
    return "h2" if host == "h1" else "h1"


# ---- what the senders delivered (sms-record.sh: PHONE CODE PURPOSE HOST) ----

def deliveries():
    with open(SMS_LOG) as f:
        return [line.split() for line in f if len(line.split()) == 4]


def delivered_code(phone, nth=1, timeout=15):
    """The code of the nth SMS delivered to phone, waiting for it."""
    found = []

    def arrived():
        found[:] = [d[1] for d in deliveries() if d[0] == phone]
        return len(found) >= nth
    check(wait_for(arrived, timeout, 0.05), "no SMS %d to %s within %d s" % (nth, phone, timeout))
    return found[nth - 1]


# ---- Redis, the Sentinels, PostgreSQL, the machines ----

def redis(machine, *args, port=6379):
    r = pa.Redis(ADDR[machine], port, REDIS_PASSWORD, timeout=5)
    try:
        return r.command(*args)
    finally:
        r.close()


def sentinel_master(s):
    """The master's address as Sentinel s names it (None: cannot ask)."""
    try:
        answer = redis(s, "SENTINEL", "get-master-addr-by-name", MASTER, port=26379)
        return answer[0].decode()
    except (OSError, RuntimeError, TypeError):
        return None


def role(machine):
    try:
        return redis(machine, "ROLE")[0].decode()
    except (OSError, RuntimeError):
        return None


def ns(machine, *cmd, **kw):
    """A command on a machine (in its namespace)."""
    return subprocess.run(["ip", "netns", "exec", "%s-%s" % (NS, machine)] + list(cmd),
                          capture_output=True, text=True, timeout=60, **kw)


def gone(pid):
    try:
        with open("/proc/%s/status" % pid) as f:
            return any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except OSError:
        return True


def kill_machine(machine):
    """Every process of the machine, SIGKILL: a machine that dies. Returns
    when they are all dead."""
    pids = subprocess.run(["ip", "netns", "pids", "%s-%s" % (NS, machine)],
                          capture_output=True, text=True).stdout.split()
    check(pids, "nothing runs on %s" % machine)
    subprocess.run(["kill", "-KILL"] + pids)
    check(wait_for(lambda: all(gone(p) for p in pids), 10, 0.005), "%s does not die" % machine)


def pid_file(path):
    with open(path) as f:
        return int(f.readline())


def psql(machine, sql, may_fail=False):
    env = dict(os.environ, PGPASSWORD=os.environ["PAC_PG_SUPER_PASSWORD"])
    r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
                        ADDR[machine], "-U", "postgres", "-d", "phoneauth", "-c", sql],
                       capture_output=True, text=True, env=env, timeout=30)
    check(r.returncode == 0 or may_fail, "psql on %s: %s" % (machine, r.stderr))
    return r.stdout.strip() if r.returncode == 0 else None


# ---- the flow, across hosts ----

def signup(phone, hosts=("h1", "h2", "h1", "h2"), client=None):
    """register, verify-otp, set-password and user-info, the steps on the
    hosts given in turn; returns the tokens."""
    client = client or fresh_client()
    c = [Host(h, client) for h in hosts]
    before = len([d for d in deliveries() if d[0] == phone])
    sid = expect(c[0].post("register", {"mobile_number": phone}), 200)["session_id"]
    code = delivered_code(phone, before + 1)
    expect(c[1].post("verify-otp", {"session_id": sid, "code": code}), 200)
    expect(c[2].post("set-password", {"session_id": sid, "password": PASSWORD}), 200)
    return expect(c[3].post("user-info", {"session_id": sid, "first_name": "Sara",
                                          "last_name": "Ahmadi"}), 201)["tokens"]


class Load:
    """`per_host` clients on each host sending `request(host)` in a loop until
    stopped; every answer recorded as (sent, answered, host, status, error,
    result of `keep`)."""

    def __init__(self, request, per_host=2, pause=0.02, keep=None):
        self.request = request
        self.keep = keep
        self.pause = pause
        self.answers = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.loop, args=(h,), daemon=True)
                        for h in HOSTS for _ in range(per_host)]
        for t in self.threads:
            t.start()

    def loop(self, host):
        h = Host(host)
        while not self.stopping.is_set():
            sent = time.time()
            kept = None
            try:
                r = self.request(h)
                status, error = r.status, (r.json or {}).get("error")
                if status == 200 and self.keep:
                    kept = self.keep(r)
            except Exception as e:  # a refused connection, a timeout: recorded as 0
                status, error = 0, repr(e)
            with self.lock:
                self.answers.append((sent, time.time(), host, status, error, kept))
            time.sleep(self.pause)

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(30)
        return sorted(self.answers)

    def since(self, t):
        with self.lock:
            return [a for a in self.answers if a[0] >= t]

    def served_since(self, t, seconds):
        """Both hosts answered only 200 to what was sent from t on, for at
        least `seconds` and at least 10 requests each."""
        got = self.since(t)
        if not got or time.time() - t < seconds:
            return False
        return all(len([a for a in got if a[2] == h]) >= 10 for h in HOSTS) and \
            all(a[3] == 200 for a in got)


def outage(answers, since):
    """(first, last) answer time of a 503 after `since`, or None; fails on
    any answer but 200 and 503 service_unavailable, and on a 503 before."""
    bad = [a for a in answers if a[3] not in (200, 503) or
           (a[3] == 503 and a[4] != "service_unavailable")]
    check(not bad, "answers other than 200 and 503 service_unavailable: %r" % bad[:5])
    early = [a for a in answers if a[3] == 503 and a[1] < since]
    check(not early, "503s before the failure: %r" % early[:5])
    down = [a for a in answers if a[3] == 503]
    if not down:
        return None
    return min(a[1] for a in down), max(a[1] for a in down)


def register_fresh(h):
    return h.post("register", {"mobile_number": pa.fresh_phone()})


# ---- the tests ----

@test
def a_sign_up_started_on_one_host_finishes_on_the_other():
    phone = pa.fresh_phone()
    tokens = signup(phone, ("h1", "h2", "h1", "h2"))
    login = expect(Host("h1").post("login", {"mobile_number": phone, "password": PASSWORD}),
                   200)["tokens"]
    me = expect(Host("h2").get("me", {"Authorization": "Bearer " + login["access_token"]}), 200)
    check(me["mobile_number"] == phone, me)
    fresh = expect(Host("h1").post("token/refresh", {"refresh": tokens["refresh_token"]}), 200)
    expect(Host("h2").post("token/verify", {"token": fresh["access"]}), 200)
    expect(Host("h2").post("token/refresh", {"refresh": fresh["refresh"]}), 200)


@test
def both_senders_deliver_every_code_once():
    senders = [pid_file(os.path.join(STATE, h, "run", "sender.pid")) for h in HOSTS]
    check(all(os.path.exists("/proc/%d" % p) for p in senders), "a sender is not running")
    phones = [pa.fresh_phone() for _ in range(40)]
    for i, phone in enumerate(phones):
        expect(Host(HOSTS[i % 2]).post("register", {"mobile_number": phone}), 200)
    wanted = set(phones)
    check(wait_for(lambda: wanted <= {d[0] for d in deliveries()}, 30, 0.1),
          "not delivered within 30 s: %s" % sorted(wanted - {d[0] for d in deliveries()}))
    # the codes the outbox holds are the ones delivered, each once
    sent = {}
    for _id, fields in redis_on_master("XRANGE", "phoneauth:sms", "-", "+") or []:
        d = {fields[i].decode(): fields[i + 1].decode() for i in range(0, len(fields), 2)}
        if d.get("phone") in wanted:
            sent[d["phone"]] = d["code"]
    time.sleep(2)  # a second delivery would come now
    got = [d for d in deliveries() if d[0] in wanted]
    twice = sorted({d[0] for d in got if [g[0] for g in got].count(d[0]) > 1})
    check(not twice, "delivered more than once: %s" % twice)
    check({d[0]: d[1] for d in got} == sent, "delivered codes differ from the outbox's")
    by = {h: len([d for d in got if d[3] == h]) for h in HOSTS}
    print("senders: %d codes, delivered by h1 %d, h2 %d, none twice" % (len(got), by["h1"],
                                                                         by["h2"]), flush=True)
    check(all(os.path.exists("/proc/%d" % p) for p in senders), "a sender died")


@test
def a_burst_of_wrong_passwords_on_both_hosts_is_judged_max_failed_attempts_times():
    phone = pa.fresh_phone()
    signup(phone)
    n = 24
    gate = threading.Barrier(n)
    answers = []

    def attempt(i):
        h = Host(HOSTS[i % 2])  # every try from a client of its own
        gate.wait()
        r = h.post("login", {"mobile_number": phone, "password": "wrong password %d" % i})
        answers.append((r.status, (r.json or {}).get("error")))
    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    judged = answers.count((401, "password_incorrect"))
    blocked = answers.count((429, "too_many_attempts"))
    print("burst: %d wrong passwords at once, %d judged, %d blocked" % (n, judged, blocked),
          flush=True)
    check(len(answers) == n and judged + blocked == n, answers)
    check(1 <= judged <= MAX_FAILED, "%d judged, more than max_failed_attempts %d" %
          (judged, MAX_FAILED))
    # the number is blocked now, on both hosts, even for its password
    for h in HOSTS:
        expect(Host(h).post("login", {"mobile_number": phone, "password": PASSWORD}), 429,
               "too_many_attempts")


def redis_machine(address):
    return {ADDR["r1"]: "r1", ADDR["r2"]: "r2"}.get(address)


def redis_on_master(*args):
    return redis(redis_machine(sentinel_master("s1")), *args)


def all_sentinels_name(machine):
    return all(sentinel_master(s) == ADDR[machine] for s in SENTINELS)


@test
def the_redis_master_killed_sentinel_promotes_the_replica_and_both_hosts_follow():
    old = redis_machine(sentinel_master("s1"))
    new = "r2" if old == "r1" else "r1"
    check(old is not None and role(new) == "slave", "not a master %s and its replica" % old)
    load = Load(register_fresh)
    time.sleep(1.5)
    t_before = time.time()
    kill_machine(old)
    t_kill = time.time()
    check(wait_for(lambda: all_sentinels_name(new), 30, 0.05), "no failover within 30 s")
    t_switch = time.time()
    # served again: from some moment on, both hosts answer 200 only
    wait_for(lambda: load.served_since(time.time() - 3, 3) and time.time() - t_switch > 3, 30)
    answers = load.stop()
    down = outage(answers, t_before)
    ok_after = [a for a in answers if a[0] > t_switch + 1 and a[3] != 200]
    print("redis: master killed; the Sentinels named the replica %.2f s later; %s" % (
        t_switch - t_kill,
        "503s from %.2f s to %.2f s after the kill (%d of %d answers)" % (
            down[0] - t_kill, down[1] - t_kill, len([a for a in answers if a[3] == 503]),
            len(answers)) if down else "no 503"), flush=True)
    check(down is None or down[1] <= t_switch + 1.0,
          "503s %.2f s after the switch" % ((down[1] - t_switch) if down else 0))
    check(not ok_after, "not 200 after the switch: %r" % ok_after[:5])
    tail = [a for a in answers if a[0] > t_switch + 1]
    check(all(len([a for a in tail if a[2] == h]) >= 10 for h in HOSTS),
          "too few answers after the switch")
    # The new master had the function library by replication; take it
    # away: both hosts load it again on the next call ("Function not found").
    redis(new, "FUNCTION", "FLUSH")
    for h in HOSTS:
        for _ in range(6):
            expect(register_fresh(Host(h)), 200)
    check(redis(new, "FUNCTION", "LIST"), "the library is not loaded again")


@test
def the_old_master_back_becomes_a_replica():
    """Started again, the killed master is made a replica by the Sentinels."""
    master = redis_machine(sentinel_master("s1"))
    old = "r2" if master == "r1" else "r1"
    r = ns(old, "redis-server", os.path.join(STATE, old, "redis.conf"))
    check(r.returncode == 0, r.stderr)

    def replicating():
        try:
            info = redis(old, "INFO", "replication").decode()
        except (OSError, RuntimeError):
            return False
        return "role:slave" in info and "master_link_status:up" in info and \
            "master_host:%s" % ADDR[master] in info
    check(wait_for(replicating, 40, 0.2), "%s is not a replica of %s" % (old, master))
    check(wait_for(lambda: all(ADDR[old] in repr(redis(s, "SENTINEL", "REPLICAS", MASTER,
                                                         port=26379)) for s in SENTINELS), 20),
          "the Sentinels do not know the replica")


@test
def a_master_demoted_under_its_connections_sends_them_to_the_new_one():
    """The master is cut off from the Sentinels (not from the hosts), they
    promote the replica, and an operator then demotes the old master by hand
    (REPLICAOF, which keeps its clients connected): every write on the
    hosts' connections is answered READONLY from then on. They must not
    stick there: each asks the Sentinels again and goes to the new master."""
    old = redis_machine(sentinel_master("s1"))
    new = "r2" if old == "r1" else "r1"
    check(old is not None and role(new) == "slave", "no master and replica")
    for h in HOSTS:  # every worker holds a connection to the old master
        for _ in range(6):
            expect(register_fresh(Host(h)), 200)
    load = Load(register_fresh)
    cut = []
    try:
        for s in SENTINELS:
            r = subprocess.run(["ip", "-n", "%s-%s" % (NS, s), "route", "add", "blackhole",
                                ADDR[old] + "/32"], capture_output=True, text=True)
            check(r.returncode == 0, r.stderr)
            cut.append(s)
        t_cut = time.time()
        check(wait_for(lambda: all_sentinels_name(new), 40, 0.05), "no failover within 40 s")
        t_switch = time.time()
        time.sleep(0.5)
        t_demote = time.time()
        redis(old, "REPLICAOF", ADDR[new], "6379")
        wait_for(lambda: load.served_since(t_demote + 0.01, 3), 20)
        time.sleep(1)
    finally:
        for s in cut:
            subprocess.run(["ip", "-n", "%s-%s" % (NS, s), "route", "del", "blackhole",
                            ADDR[old] + "/32"])
        answers = load.stop()
    after = [a for a in answers if a[0] >= t_demote]
    refused = [a for a in after if a[3] != 200]
    print("redis: master cut off from the Sentinels; the replica promoted %.2f s later; "
          "after the old master was demoted, %d of %d answers were not 200" % (
              t_switch - t_cut, len(refused), len(after)), flush=True)
    outage(answers, t_cut)
    check(not refused, "after the demotion: %r" % refused[:5])
    check(all(len([a for a in after if a[2] == h]) >= 10 for h in HOSTS), "too few answers")
    check(role(old) == "slave" and role(new) == "master", "roles: %s %s" % (role(old), role(new)))


def postgres_sh(*args):
    r = subprocess.run(["bash", os.path.join(REPO, "tests", "cluster", "postgres.sh")] + list(args),
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "postgres.sh %s: %s%s" % (" ".join(args), r.stdout, r.stderr))


def pg_roles():
    """(primary, other): which of p1 and p2 takes writes now."""
    primary = [m for m in ("p1", "p2")
               if psql(m, "SELECT NOT pg_is_in_recovery() AND "
                       "current_setting('default_transaction_read_only') = 'off'",
                       may_fail=True) == "t"]
    check(len(primary) == 1, "primaries: %s" % primary)
    return primary[0], "p2" if primary[0] == "p1" else "p1"


class Committed:
    """Accounts and refresh families made before a failover, and the
    logins of a load that runs through it: afterwards each account must log
    in, each family's latest token refresh, and so must the token of every
    login answered 200 (with synchronous replication, none is lost)."""

    def __init__(self, n=8):
        self.accounts = []  # (phone, the latest token of a family rotated twice)
        for i in range(n):
            phone = pa.fresh_phone()
            tokens = signup(phone, ("h1", "h2", "h1", "h2") if i % 2 else ("h2", "h1", "h2", "h1"))
            refresh = tokens["refresh_token"]
            for k in range(2):
                refresh = expect(Host(HOSTS[k]).post("token/refresh", {"refresh": refresh}),
                                 200)["refresh"]
            self.accounts.append((phone, refresh))
        self.loaders = [pa.fresh_phone() for _ in range(4)]
        for phone in self.loaders:
            signup(phone)
        self.turn = itertools.count()

    def login(self, h):  # a write: last_login, and a refresh token
        phone = self.loaders[next(self.turn) % len(self.loaders)]
        return h.post("login", {"mobile_number": phone, "password": PASSWORD})

    def start_load(self):
        self.load = Load(self.login, keep=lambda r: r.json["tokens"]["refresh_token"])
        return self.load

    def all_there(self, answers, t_failure):
        for i, (phone, refresh) in enumerate(self.accounts):
            h = Host(HOSTS[i % 2])
            expect(h.post("login", {"mobile_number": phone, "password": PASSWORD}), 200)
            expect(h.post("token/refresh", {"refresh": refresh}), 200)
        issued = [a for a in answers if a[3] == 200 and a[5]]
        lost = []

        def refresh_each(part, host):
            h = Host(host)
            for a in part:
                r = h.post("token/refresh", {"refresh": a[5]})
                if r.status != 200:
                    lost.append((a[1] - t_failure, r))
        threads = [threading.Thread(target=refresh_each, args=(issued[i::4], HOSTS[i % 2]))
                   for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        check(not lost, "%d logins lost, e.g. one answered %.2f s after the failure: %r" % (
            len(lost), lost[0][0], lost[0][1]) if lost else "")
        before = len([a for a in issued if a[1] < t_failure])
        print("postgres: %d accounts and %d logins (%d answered before the failure) all there "
              "after it" % (len(self.accounts), len(issued), before), flush=True)
        check(before >= 10, "too few logins before the failure: %d" % before)


def writes_moved(what, answers, t_failure, t_promoted, since=None):
    """Prints and checks how long writes stopped: 503 (never another error)
    only between the failure (begun at `since`) and shortly after the
    promotion."""
    down = outage(answers, since or t_failure)
    resumed = {h: min([a[1] for a in answers if a[2] == h and a[3] == 200 and a[0] > t_promoted] or
                      [float("inf")]) for h in HOSTS}
    print("postgres: %s; standby promoted %.2f s later; writes on both hosts again %.2f s "
          "(h1) and %.2f s (h2) after the failure; %s" % (
              what, t_promoted - t_failure, resumed["h1"] - t_failure, resumed["h2"] - t_failure,
              "503s from %.2f s to %.2f s (%d of %d answers)" % (
                  down[0] - t_failure, down[1] - t_failure,
                  len([a for a in answers if a[3] == 503]), len(answers)) if down else "no 503"),
          flush=True)
    check(all(t < t_promoted + 2 for t in resumed.values()), "writes did not resume: %r" % resumed)
    late = [a for a in answers if a[0] > t_promoted + 1 and a[3] != 200]
    check(not late, "not 200 a second after the promotion: %r" % late[:5])
    check(all(len([a for a in answers if a[2] == h and a[0] > t_promoted + 1]) >= 10
              for h in HOSTS), "too few answers after the promotion")


@test
def a_switchover_moves_writes_off_a_primary_turned_read_only():
    """A planned switchover: the primary is fenced (default_transaction_read_only,
    which keeps its connections), the standby promoted. Every write on the
    hosts' connections to the old primary fails with 25006 from then on;
    they must reconnect, and target_session_attrs=read-write finds the new
    primary."""
    primary, standby = pg_roles()
    committed = Committed()
    load = committed.start_load()
    time.sleep(1.5)
    t_fence = time.time()
    psql(primary, "ALTER SYSTEM SET default_transaction_read_only = on")
    psql(primary, "SELECT pg_reload_conf()")
    # the standby has everything once it has replayed all the primary wrote
    lsn = psql(primary, "SELECT pg_current_wal_lsn()")
    check(wait_for(lambda: psql(standby, "SELECT pg_last_wal_replay_lsn() >= '%s'" % lsn) == "t",
                   10, 0.02), "the standby does not catch up")
    postgres_sh("promote", standby)
    t_promoted = time.time()
    wait_for(lambda: load.served_since(t_promoted + 1, 3), 30)
    answers = load.stop()
    writes_moved("the primary fenced read-only", answers, t_fence, t_promoted)
    check(pg_roles()[0] == standby, "the standby was not promoted")
    committed.all_there(answers, t_fence)


@test
def the_old_primary_is_rebuilt_as_the_synchronous_standby():
    primary, standby = pg_roles()
    postgres_sh("standby", standby, primary)
    check(psql(primary, "SHOW synchronous_standby_names") == standby, "not synchronous")
    check(psql(standby, "SELECT pg_is_in_recovery()") == "t", "%s is no standby" % standby)


@test
def the_postgresql_primary_killed_the_standby_promoted_nothing_committed_is_lost():
    primary, standby = pg_roles()
    check(psql(primary, "SELECT sync_state FROM pg_stat_replication WHERE application_name = '%s'"
               % standby) == "sync", "the standby is not synchronous")
    committed = Committed()
    load = committed.start_load()
    time.sleep(1.5)
    t_before = time.time()
    kill_machine(primary)
    t_kill = time.time()
    # the operator (or Patroni) promotes the standby once the primary is gone
    postgres_sh("promote", standby)
    t_promoted = time.time()
    wait_for(lambda: load.served_since(t_promoted + 1, 3), 30)
    answers = load.stop()
    writes_moved("primary killed (%.3f s to die)" % (t_kill - t_before), answers, t_kill,
                 t_promoted, since=t_before)
    check(pg_roles()[0] == standby, "the standby was not promoted")
    committed.all_there(answers, t_kill)


if __name__ == "__main__":
    run()
