"""The supervised pool: spawn-fcgi -n -- multiwatch -f N -- phoneauth.

Under load from a few client threads: a worker killed with SIGKILL is
replaced (the pool is back at N workers; the bound is generous, for slow
machines) and nothing fails but the request it had in hand;
a changed configuration and USR2 to multiwatch reload every worker and no
request fails; max_requests recycles workers without a failure; a bad
configuration is refused by `phoneauth check` before any reload.
"""

import os
import shutil
import signal
import subprocess
import time

from pa import Client, Loops, Pool, admin, check, expect, run, test, wait_for


class Load(Loops):
    """Client threads asking for health as fast as they can, counting answers."""

    def __init__(self, url, threads=4, route="health"):
        self.url, self.route = url, route
        self.ok = 0
        self.failed = []
        super().__init__(threads)

    def loop(self):
        c = Client(base_url=self.url)
        while not self.stop.is_set():
            try:
                r = c.get(self.route)
                good = r.status == 200
            except OSError as e:
                r, good = e, False
            with self.lock:
                if good:
                    self.ok += 1
                else:
                    self.failed.append(repr(r)[:200])

    def __enter__(self):
        super().__enter__()
        wait_for(lambda: self.ok > 20, 10)
        return self


def own_config(name, extra=""):
    path = os.path.join(os.environ["PA_STATE_DIR"], "pools", name + ".conf")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shutil.copy(os.environ["PA_CONF"], path)
    with open(path, "a") as f:
        f.write(extra)
    return path


RESPAWN_BOUND = 10.0   # seconds; multiwatch respawns at once, CI machines are slow


@test
def a_killed_worker_is_replaced_and_only_its_request_fails():
    p = Pool({}, "kill", workers=3)
    with p as url:
        before = p.workers_pids()
        check(len(before) == 3, before)
        with Load(url) as load:
            check(load.ok > 20, "the load did not start: %d" % load.ok)
            os.kill(before[0], signal.SIGKILL)
            t0 = time.time()
            back = wait_for(lambda: len(p.workers_pids()) == 3 and before[0] not in p.workers_pids(),
                            RESPAWN_BOUND, 0.02)
            elapsed = time.time() - t0
            after = p.workers_pids()
            # and the pool serves on: more answers after the respawn
            ok_then = load.ok
            served = wait_for(lambda: load.ok >= ok_then + 50, 10)
        check(back, "the pool was not back at 3 workers within %.0f s: %s -> %s"
              % (RESPAWN_BOUND, before, after))
        check(set(before[1:]) <= set(after), "the other workers did not survive: %s -> %s" % (before, after))
        check(served, "the pool did not serve after the respawn (%d answers)" % (load.ok - ok_then))
        # the new worker is one that lives, not one that died at its start
        check(p.workers_pids() == after, "the pool did not settle: %s, then %s" % (after, p.workers_pids()))
        check(len(load.failed) <= 1, "%d requests failed: %s" % (len(load.failed), load.failed[:3]))
        print("  (pool back in %.0f ms; %d requests, %d failed)" % (elapsed * 1000, load.ok,
                                                                     len(load.failed)))


@test
def usr2_reloads_the_configuration_and_no_request_fails():
    conf = own_config("reload")  # the stack's file, which says language = en
    p = Pool({}, "reload", workers=3, conf=conf)
    with p as url:
        before = p.workers_pids()
        c = Client(base_url=url)
        msg = expect(c.post("register", {"mobile_number": "1"}), 400)["message"]
        check(msg.startswith("Some"), "not English: " + msg)
        with Load(url) as load:
            with open(conf) as f:
                text = f.read()
            with open(conf, "w") as f:
                f.write(text.replace("language = en", "language = fa"))
            os.kill(p.pool_pid, signal.SIGUSR2)
            # every worker is a fresh one, and answers in Persian
            renewed = wait_for(lambda: len(p.workers_pids()) == 3 and
                               not set(before) & set(p.workers_pids()), RESPAWN_BOUND)
            # the renewed workers serve the load
            ok_then = load.ok
            served = wait_for(lambda: load.ok >= ok_then + 50, 10)
        check(renewed, "workers not renewed: %s -> %s" % (before, p.workers_pids()))
        check(served, "the pool did not serve after the reload (%d answers)" % (load.ok - ok_then))
        check(not load.failed, "%d requests failed: %s" % (len(load.failed), load.failed[:3]))
        msg = Client(base_url=url).post("register", {"mobile_number": "1"}).json["message"]
        check(any("\u0600" <= ch <= "\u06ff" for ch in msg), "not Persian after the reload: " + msg)


@test
def max_requests_recycles_workers_without_a_failure():
    p = Pool({"PHONEAUTH_MAX_REQUESTS": "5"}, "recycle", workers=2)
    log = os.path.join(p.dir, "log", "phoneauth.log")
    start = os.path.getsize(log) if os.path.exists(log) else 0

    def since_start():
        with open(log, "rb") as f:
            f.seek(start)
            return f.read().decode(errors="replace")

    def logged(what):
        return since_start().count(what)

    with p as url:
        before = p.workers_pids()
        c = Client(base_url=url)
        for _ in range(40):
            expect(c.get("health"), 200)
        # 40 answers from workers that each serve 5: 8 were recycled, and the
        # last one's successor is ready (so no worker is still on its way
        # out), and then the pool is two workers none of which was there
        # before. One sample decides: the worker that answered the 40th
        # request may still be exiting when the loop ends.
        seen = []

        def settled():
            seen[:] = p.workers_pids()
            text = since_start()
            return (text.count("worker recycled after 5 requests") == 8 and
                    text.count("worker ready") == 2 + 8 and
                    len(seen) == 2 and not set(before) & set(seen))
        ok = wait_for(settled, RESPAWN_BOUND)
        check(ok, "not recycled: %d recycled, %d ready; workers %s -> %s; the log ends %r" % (
            logged("worker recycled after 5 requests"), logged("worker ready"), before, seen,
            since_start()[-400:]))


@test
def check_refuses_a_bad_configuration_naming_the_key():
    r = admin("check")
    check(r.returncode == 0 and "valid" in r.stdout, r.stdout + r.stderr)
    bad = own_config("bad", "otp_ttl = soon\n")
    r = subprocess.run([os.environ["PA_APP_BIN"], "-c", bad, "check"], capture_output=True, text=True)
    check(r.returncode == 2 and "otp_ttl" in r.stderr and r.stderr.count("\n") == 1, r.stderr)


if __name__ == "__main__":
    run()
