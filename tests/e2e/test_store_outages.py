"""Redis or PostgreSQL going away and coming back (redis_conn, pg_store,
reconnect.c): 503 service_unavailable while a store is away, nothing
half-written, and once it answers again (health says ok) no request gets a
503 for it: a worker whose connection died while the store was away
reconnects and runs the request; it never spends a request to find out.

The last two tests kill each store hard (PostgreSQL's postmaster with
SIGQUIT, an immediate shutdown; redis-server with SIGKILL) and start it
again, three times, and every worker of a 4-worker pool is then sent
requests that need that store."""

import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from pa import (PASSWORD, REDIS_PREFIX, Client, Loops, Pool, alive, check, django_hash, expect, fresh_phone,
                latest_code, psql, psql_super, redis_command, register, run, signup, stack, test, user_row,
                verified_session, wait_for)


def recovers(c):
    return wait_for(lambda: c.get("health").status == 200, timeout=15, step=0.2)


def session_fields(sid):
    """The session's hash in Redis (step, tries, code digest and expiry...)."""
    raw = redis_command("HGETALL", REDIS_PREFIX + "s:" + sid) or []
    return {raw[i].decode(): raw[i + 1] for i in range(0, len(raw), 2)}


ITERATIONS = 1000
WORKERS = 4


# Kill/restart cycles of two kinds: "quiet", no request while the store is
# away (every worker keeps a dead connection); "busy", requests all the
# while until the store answers again (workers have just failed to
# connect, and must not wait out a pause once it is back). Today a quiet
# PostgreSQL cycle gives 3 of 4 workers' first request a 503 every time; a
# busy Redis cycle gives 503s in about 4 cycles of 10 (it depends on when
# each worker last tried), hence the 10.
PG_CYCLES = [(n + 1, busy) for n in range(3) for busy in (False, True)]


REDIS_CYCLES = [(n + 1, False) for n in range(3)] + [(n + 1, True) for n in range(10)]
STATE = os.environ.get("PA_STATE_DIR", "/tmp")


def postmaster_pid():
    with open(os.path.join(os.path.realpath(os.path.join(STATE, "pg")), "data", "postmaster.pid")) as f:
        return int(f.readline())


def redis_pid():
    with open(os.path.join(STATE, "run", "redis.pid")) as f:
        return int(f.readline())


def kill_and_wait(pid, sig):
    os.kill(pid, sig)
    check(wait_for(lambda: not alive(pid), 30), "pid %d outlived signal %d" % (pid, sig))


def healthy(url):
    def ok():
        try:
            r = Client(ip="127.0.0.1", base_url=url).get("health")
            return r.status == 200 and r.json.get("status") == "ok"
        except OSError:
            return False
    return wait_for(ok, 60, 0.02)


def accounts(n):
    """n complete accounts, hashed at the pool's iteration count, inserted directly."""
    phones = [fresh_phone() for _ in range(n)]
    h = django_hash(PASSWORD, ITERATIONS)
    psql("INSERT INTO users (mobile_number, password, first_name, last_name, is_verified, is_active)"
         " SELECT p, :'h', 'Re', 'Connect', true, true FROM unnest(string_to_array(:'p', ',')) AS p",
         h=h, p=",".join(phones))
    return phones


def fire(jobs):
    """Runs the jobs (callables answering a Response) 8 at a time: every
    worker gets some. Answers [(label, status, error)]."""
    def one(job):
        label, fn = job
        try:
            r = fn()
            return label, r.status, (r.json or {}).get("error")
        except OSError as e:
            return label, 0, str(e)
    with ThreadPoolExecutor(8) as ex:
        return list(ex.map(one, jobs))


class Downtime(Loops):
    """Requests that keep arriving while a store is away (they get 503: the
    store is down) and go on until the store answers again: from a few
    users at once."""

    def __init__(self, url, make, users=4):
        self.url, self.make = url, make
        self.refused = 0          # answers 503: requests that met the store away
        super().__init__(users)

    def loop(self):
        while not self.stop.is_set():
            try:
                if self.make(self.url).status == 503:
                    with self.lock:
                        self.refused += 1
            except OSError:
                pass
            time.sleep(0.01)   # pacing, so that the users do not starve the workers


def bring_back(url, start_cmd, is_up, busy, traffic):
    """Starts the store again (stack.sh START_CMD). Busy: with requests
    arriving all the while, until the store itself answers."""
    if not busy:
        stack(start_cmd)
        return
    errors = []

    def start():
        try:
            stack(start_cmd)
        except Exception as e:  # reported below, in the test's thread
            errors.append(e)
    with Downtime(url, traffic) as downtime:
        # the workers have met the store away (and failed to connect) many
        # times over before it comes back
        check(wait_for(lambda: downtime.refused >= 10 * WORKERS, 30, 0.02),
              "%s: only %d requests met the store away" % (start_cmd, downtime.refused))
        t = threading.Thread(target=start)
        t.start()
        check(wait_for(is_up, 60, 0.01), "%s: the store did not come back" % start_cmd)
    t.join(60)
    check(not errors, "%s failed: %r" % (start_cmd, errors))


def redis_up():
    try:
        return redis_command("PING") == "PONG"
    except (OSError, RuntimeError):
        return False


def postgres_up():
    try:
        return psql("SELECT 1") == [["1"]]
    except subprocess.CalledProcessError:
        return False


def summary(answers):
    counts = {}
    for label, status, error in answers:
        counts[(label, status, error)] = counts.get((label, status, error), 0) + 1
    return counts


def not_200(answers, cycle, busy):
    """[one line on the answers of a cycle that were not 200], or []."""
    wrong = [a for a in answers if a[1] != 200]
    if not wrong:
        return []
    return ["cycle %d (%s downtime): %r" % (cycle, "busy" if busy else "quiet", summary(wrong))]


def warm_main_stack():
    """Leave the main stack's own workers (whose connections died too)
    reconnected, so that the test files after this one do not pay for it:
    concurrent requests, or only one worker would get them."""
    def wave():
        answers = fire([("warm", lambda: Client().post("register", {"mobile_number": fresh_phone()}))
                        for _ in range(8)] + [("warm", lambda: Client().get("health")) for _ in range(8)])
        return all(status != 503 for _, status, _ in answers)
    # waves until two in a row meet no 503 (and at least three, as before)
    waves = []
    wait_for(lambda: waves.append(wave()) or (len(waves) >= 3 and all(waves[-2:])), 30, 0.2)


@test
def redis_down_answers_503_and_recovers():
    c = Client()
    stack("stop-redis")
    try:
        r = c.post("register", {"mobile_number": fresh_phone()})
        expect(r, 503, "service_unavailable")
        h = c.get("health")
        body = expect(h, 503, "service_unavailable")
        check(body["redis"] == "unavailable" and body["postgres"] == "ok", body)
        expect(c.post("verify-otp", {"session_id": "3f1b5c1e-8d2a-4e7b-9c3d-2a1b0c9d8e7f",
                                     "code": "123456"}), 503, "service_unavailable")
        expect(c.post("login", {"mobile_number": fresh_phone(), "password": "whatever123"}),
               503, "service_unavailable")
    finally:
        stack("start-redis")
    check(recovers(c), "health did not come back after Redis restarted")
    phone = fresh_phone()
    expect(c.post("register", {"mobile_number": phone}), 200)


@test
def postgres_down_answers_503_and_recovers():
    c = Client()
    phone = fresh_phone()
    sid = verified_session(c, phone)
    expect(c.post("set-password", {"session_id": sid, "password": "correct horse battery"}), 200)
    stack("stop-postgres")
    try:
        # (a register of a new number needs no database when the account
        # index is whole: test_store_account_index.py; a reset always reads it)
        expect(c.post("password-reset", {"mobile_number": fresh_phone()}), 503,
               "service_unavailable")
        # the step that needs the database fails whole: the session still waits for it
        expect(c.post("user-info", {"session_id": sid, "first_name": "A", "last_name": "B"}),
               503, "service_unavailable")
        expect(Client().post("login", {"mobile_number": phone, "password": "correct horse battery"}),
               503, "service_unavailable")
        body = expect(c.get("health"), 503, "service_unavailable")
        check(body["postgres"] == "unavailable" and body["redis"] == "ok", body)
    finally:
        stack("start-postgres")
    check(recovers(c), "health did not come back after PostgreSQL restarted")
    expect(c.post("user-info", {"session_id": sid, "first_name": "A", "last_name": "B"}), 201)
    check(user_row(phone)["is_active"], user_row(phone))
    # the login refused with 503 did not count as a failure
    expect(Client().post("login", {"mobile_number": phone, "password": "correct horse battery"}), 200)


@test
def a_verify_refused_while_redis_is_down_writes_nothing_and_succeeds_once_back():
    c, phone = Client(), fresh_phone()
    sid = register(c, phone)["session_id"]
    code = latest_code(phone)
    before = session_fields(sid)
    check(before.get("st") == b"otp" and before.get("ct") == b"0", before)
    # The test stack's Redis keeps nothing across a restart; SAVE writes the
    # dump a starting Redis loads, as a Redis with persistence would, so the
    # session is still there once Redis is back and the answer is known.
    dump = os.path.join(redis_command("CONFIG", "GET", "dir")[1].decode(),
                        redis_command("CONFIG", "GET", "dbfilename")[1].decode())
    check(redis_command("SAVE") == "OK", "SAVE failed")
    stack("stop-redis")
    try:
        expect(c.post("verify-otp", {"session_id": sid, "code": code}), 503, "service_unavailable")
        # PostgreSQL is up: the refused verify wrote no user there
        check(user_row(phone) is None, "a users row from a verify answered 503: %r" % user_row(phone))
    finally:
        stack("start-redis")
        if os.path.exists(dump):
            os.unlink(dump)   # the next restart starts empty again
    check(recovers(c), "no recovery")
    after = session_fields(sid)
    check(after == before, "the session changed under a 503: %r -> %r" % (before, after))
    body = expect(c.post("verify-otp", {"session_id": sid, "code": code}), 200)
    check(body["session_id"] == sid and body["next_step"] == "set_password", body)
    u = user_row(phone)
    check(u is not None and u["is_verified"] and not u["is_active"], u)
    check(psql("SELECT count(*) FROM users WHERE mobile_number = :'p'", p=phone) == [["1"]], "rows")


@test
def a_right_password_refused_by_a_read_only_postgres_costs_the_owner_no_try():
    """A fenced primary (default_transaction_read_only, as in a planned
    switchover) reads but refuses the login's write: 503 each time, the try
    taken for the password goes back, and once PostgreSQL writes again the
    owner logs in: four such 503s are no three failures and no block."""
    phone, c = fresh_phone(), Client()
    signup(Client(), phone)
    psql_super("ALTER SYSTEM SET default_transaction_read_only = on")
    psql_super("SELECT pg_reload_conf()")
    try:
        for _ in range(4):
            expect(c.post("login", {"mobile_number": phone, "password": PASSWORD}), 503, "service_unavailable")
    finally:
        psql_super("ALTER SYSTEM RESET default_transaction_read_only")
        psql_super("SELECT pg_reload_conf()")
    answers = []

    def logged_in():
        answers.append(c.post("login", {"mobile_number": phone, "password": PASSWORD}).status)
        return answers[-1] == 200
    check(wait_for(logged_in, 10), "no login once PostgreSQL writes again: %r" % answers)
    check(429 not in answers, "the owner was blocked by a read-only spell: %r" % answers)


# ---- no 503 once a store is back ----


@test
def no_503_once_postgres_is_back():
    env = {"PHONEAUTH_PBKDF2_ITERATIONS": str(ITERATIONS)}
    try:
        with Pool(env, "hard-reconnect-pg", workers=WORKERS) as url:
            # one login and one reset per account and cycle: no number has
            # tries in flight twice, and none reaches its hourly cap of codes
            logins = [accounts(40) for _ in PG_CYCLES]
            resets = [accounts(20) for _ in PG_CYCLES]
            bad = []
            for n, (cycle, busy) in enumerate(PG_CYCLES):
                # every worker has a live connection before the kill
                fire([("warm", lambda p=p: Client(base_url=url).post(
                    "login", {"mobile_number": p, "password": PASSWORD})) for p in logins[n][:16]])
                kill_and_wait(postmaster_pid(), signal.SIGQUIT)
                bring_back(url, "start-postgres", postgres_up, busy,
                           lambda u: Client(base_url=u).post("password-reset",
                                                             {"mobile_number": fresh_phone()}))
                check(healthy(url), "health did not come back after PostgreSQL restarted")
                jobs = []
                for p in logins[n]:
                    jobs.append(("login", lambda p=p: Client(base_url=url).post(
                        "login", {"mobile_number": p, "password": PASSWORD})))
                for p in resets[n]:
                    jobs.append(("password-reset", lambda p=p: Client(base_url=url).post(
                        "password-reset", {"mobile_number": p})))
                bad += not_200(fire(jobs), cycle, busy)
            check(not bad, "after PostgreSQL came back (of 60 per cycle): " + "; ".join(bad))
    finally:
        warm_main_stack()


@test
def no_503_once_redis_is_back():
    env = {"PHONEAUTH_PBKDF2_ITERATIONS": str(ITERATIONS)}
    try:
        with Pool(env, "hard-reconnect-redis", workers=WORKERS) as url:
            bad = []
            for cycle, busy in REDIS_CYCLES:
                fire([("warm", lambda: Client(base_url=url).get("health")) for _ in range(16)])
                check(redis_command("PING") == "PONG", "Redis is not there before the kill")
                kill_and_wait(redis_pid(), signal.SIGKILL)
                bring_back(url, "start-redis", redis_up, busy,
                           lambda u: Client(base_url=u).post("register",
                                                             {"mobile_number": fresh_phone()}))
                check(healthy(url), "health did not come back after Redis restarted")
                jobs = []
                c = None
                for i in range(60):
                    if i % 5 == 0:
                        c = Client(base_url=url)   # under the per-address cap of codes
                    jobs.append(("register", lambda c=c: c.post("register",
                                                                {"mobile_number": fresh_phone()})))
                bad += not_200(fire(jobs), cycle, busy)
            check(not bad, "after Redis came back (of 60 registers per cycle): " + "; ".join(bad))
    finally:
        warm_main_stack()


if __name__ == "__main__":
    run()
