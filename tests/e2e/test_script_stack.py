"""scripts/stack.sh when its state directory is removed under a running
stack (`rm -rf var` while `make run` runs): `status` names what is left,
`start` stops it and starts again on the same ports, `stop` stops it
without any pid file; and `logs` shows the stack's logs.

A stack of its own, in $PA_STATE_DIR/strays (inside the test stack's
directory, which its exact-path matching must leave alone) on free ports,
with one worker.
"""

import os
import shutil
import subprocess
import urllib.request

from pa import alive as running, check, free_port, run, test, wait_for

STACK = os.environ.get("PA_STACK", "scripts/stack.sh")
STATE = os.path.join(os.environ.get("PA_STATE_DIR", "var/test"), "strays")
MAIN_STATE = os.environ.get("PA_STATE_DIR", "var/test")


PORTS = {"HTTP_PORT": free_port(), "REDIS_PORT": free_port(), "PG_PORT": free_port()}
ENV = dict(os.environ, STATE_DIR=STATE, WORKERS="1", QUIET="1",
           **{k: str(v) for k, v in PORTS.items()})


def stack(*args):
    return subprocess.run([STACK, *args], env=ENV, capture_output=True, text=True, timeout=180)


def healthy():
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/api/health" % PORTS["HTTP_PORT"], timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def recorded_pids():
    """The pids the stack's pid files name now (Redis, the pool, the
    sender, lighttpd, PostgreSQL's postmaster)."""
    pids = {}
    for name, path in (("redis", "run/redis.pid"), ("pool", "run/pool.pid"), ("sender", "run/sender.pid"),
                       ("lighttpd", "run/lighttpd.pid"), ("postgres", "pg/data/postmaster.pid")):
        with open(os.path.join(STATE, path)) as f:
            pids[name] = int(f.readline())
    return pids


def main_stack_pids():
    with open(os.path.join(MAIN_STATE, "run", "pool.pid")) as f:
        pool = int(f.readline())
    with open(os.path.join(MAIN_STATE, "run", "redis.pid")) as f:
        redis = int(f.readline())
    return [pool, redis]


def stray_lines(status):
    return [line for line in status.splitlines() if line.startswith("strays ")]


def remove_state():
    # what `rm -rf var` does: the directory goes, the processes stay. A
    # running PostgreSQL may add a file to a directory being removed (rm -rf
    # then fails the same way): removed again until it is gone.
    for _ in range(20):
        shutil.rmtree(STATE, ignore_errors=True)
        if not os.path.lexists(STATE):
            return
    check(False, "%s could not be removed" % STATE)


def start_fresh():
    stack("stop")
    if os.path.lexists(os.path.join(STATE, "pg")):
        shutil.rmtree(os.path.realpath(os.path.join(STATE, "pg")), ignore_errors=True)
    shutil.rmtree(STATE, ignore_errors=True)
    r = stack("start")
    check(r.returncode == 0, "the stack did not start: %s%s" % (r.stdout, r.stderr))
    check(wait_for(healthy, 10), "no health from the stack")


@test
def a_removed_state_directory_strands_nothing_and_blocks_no_start():
    start_fresh()
    try:
        old = recorded_pids()
        main = main_stack_pids()
        remove_state()
        # (PostgreSQL may shut itself down when its data directory goes: the
        # rest stays, which is what must not be stranded)
        check(all(running(p) for k, p in old.items() if k != "postgres"),
              "the stack's processes should outlive its directory: %r"
              % {k: running(p) for k, p in old.items()})
        r = stack("status")
        strays = stray_lines(r.stdout)
        check(strays, "status does not show what is left: %s" % r.stdout)
        for name in ("redis-server", "multiwatch", "lighttpd") + (
                ("postgres",) if running(old["postgres"]) else ()):
            check(name in strays[0], "status does not name %s: %s" % (name, strays[0]))
        # the next start: the old processes go first, the ports are free again
        r = stack("start")
        check(r.returncode == 0, "start after rm -rf failed: %s%s" % (r.stdout, r.stderr))
        check("stopped what a removed" in r.stdout, "start did not say what it stopped: %s" % r.stdout)
        check(not [p for p in old.values() if running(p)],
              "still running after the new start: %s" % [n for n, p in old.items() if running(p)])
        check(wait_for(healthy, 10), "no health from the new stack")
        check(all(running(p) for p in main), "the test stack's processes were touched")
        r = stack("status")
        check(not stray_lines(r.stdout) and "running" in r.stdout, r.stdout)
    finally:
        stack("stop")


@test
def stop_without_pid_files_stops_the_stack_and_only_it():
    start_fresh()
    try:
        old = recorded_pids()
        main = main_stack_pids()
        remove_state()
        r = stack("stop")
        check(r.returncode == 0, r.stdout + r.stderr)
        check(wait_for(lambda: not [p for p in old.values() if running(p)], 20),
              "stop left: %s" % [n for n, p in old.items() if running(p)])
        check(not healthy(), "something still answers on the stack's port")
        check(all(running(p) for p in main), "the test stack's processes were touched")
        r = stack("status")
        check(not stray_lines(r.stdout), r.stdout)
        r = stack("stop")
        check(r.returncode == 0 and r.stdout == "", "a second stop: %r %r" % (r.stdout, r.stderr))
    finally:
        stack("stop")


@test
def logs_show_every_log_of_the_stack():
    start_fresh()
    try:
        r = subprocess.run([STACK, "logs", "3"], env=dict(ENV, FOLLOW="0"), capture_output=True,
                           text=True, timeout=30)
        check(r.returncode == 0, r.stderr)
        for name in ("phoneauth.log", "redis.log", "postgresql.log", "lighttpd-error.log"):
            check("==> %s <==" % os.path.join(os.path.realpath(STATE), "log", name) in r.stdout,
                  "no %s in: %s" % (name, r.stdout[:600]))
        check("Permission denied" not in r.stdout + r.stderr, r.stdout + r.stderr)
    finally:
        stack("stop")
        elsewhere = stack("pg-elsewhere").stdout.strip()
        shutil.rmtree(STATE, ignore_errors=True)
        if elsewhere and os.path.isdir(elsewhere):
            shutil.rmtree(elsewhere, ignore_errors=True)


if __name__ == "__main__":
    run()
