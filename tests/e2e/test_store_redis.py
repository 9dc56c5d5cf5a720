"""The stack's Redis: at its memory ceiling, and at an IPv6 address.

The stack runs Redis with a maxmemory and the noeviction policy (eviction
would silently lift blocks and forget failures), so a full Redis refuses
writes; phoneauth then answers 503 service_unavailable, as JSON, and serves
again once there is room. The ceiling is lowered at run time (CONFIG SET)
under what Redis already uses, and always put back.

And the service reaches a Redis at an IPv6 address: redis_url =
redis://[::1]:port/0, the address in brackets as in any URL."""

import os
import subprocess

from pa import (REDIS_PREFIX, Client, Pool, Redis, check, expect, free_port, fresh_phone, outbox_entries,
                redis_command, run, stop_process, test, wait_for)


def config_get(name):
    reply = redis_command("CONFIG", "GET", name)
    return reply[1].decode() if reply else None


def used_memory():
    info = redis_command("INFO", "memory").decode()
    for line in info.splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":", 1)[1])
    raise AssertionError("no used_memory in INFO memory")


def to_bytes(size):
    """Redis's units: 1k is 1000 bytes, 1kb is 1024."""
    size = size.strip().lower()
    for unit, factor in (("kb", 1024), ("mb", 1024 ** 2), ("gb", 1024 ** 3),
                         ("k", 1000), ("m", 1000 ** 2), ("g", 1000 ** 3)):
        if size.endswith(unit):
            return int(size[:-len(unit)]) * factor
    return int(size)


@test
def the_stacks_redis_has_a_ceiling_and_never_evicts():
    check(config_get("maxmemory-policy") == "noeviction", config_get("maxmemory-policy"))
    limit = int(config_get("maxmemory"))
    check(limit > 0, "Redis runs without maxmemory")
    wanted = os.environ.get("REDIS_MAXMEMORY")
    if wanted:
        check(limit == to_bytes(wanted), (limit, wanted))


@test
def a_full_redis_is_503_service_unavailable_and_then_recovers():
    c = Client()
    saved = config_get("maxmemory")
    policy = config_get("maxmemory-policy")
    try:
        # eviction would make room instead of refusing: refuse, whatever the stack says
        redis_command("CONFIG", "SET", "maxmemory-policy", "noeviction")
        redis_command("CONFIG", "SET", "maxmemory", str(max(1, used_memory() // 2)))
        try:
            redis_command("SET", "phoneauth-test:oom-probe", "x")
            raise AssertionError("Redis still accepts writes above its maxmemory")
        except RuntimeError as e:
            check("OOM" in str(e), e)
        r = c.post("register", {"mobile_number": fresh_phone()})
        expect(r, 503, "service_unavailable")
        check(r.header("Content-Type") == "application/json; charset=utf-8", r.headers)
        check(isinstance(r.json.get("message"), str) and r.json["message"], r.json)
        r = Client().post("login", {"mobile_number": fresh_phone(), "password": "correct horse battery"})
        expect(r, 503, "service_unavailable")
    finally:
        redis_command("CONFIG", "SET", "maxmemory", saved)
        redis_command("CONFIG", "SET", "maxmemory-policy", policy)
    check(config_get("maxmemory") == saved, "maxmemory not restored")
    # room again: the same client is served (the refusals counted as no failure)
    expect(c.post("register", {"mobile_number": fresh_phone()}), 200)
    expect(c.get("health"), 200)


# ---- a Redis at an IPv6 address ----


@test
def a_redis_at_an_ipv6_address_in_brackets_holds_the_sessions_and_the_outbox():
    port = free_port("::1")
    home = os.path.join(os.environ["PA_STATE_DIR"], "redis-ipv6")
    os.makedirs(home, exist_ok=True)
    password = "v6-" + os.urandom(8).hex()
    server = subprocess.Popen(
        ["redis-server", "--bind", "::1", "--port", str(port), "--requirepass", password,
         "--dir", home, "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        def up():
            try:
                r = Redis("::1", port, password)
            except OSError:
                return False
            try:
                return r.command("PING") == "PONG"
            finally:
                r.close()
        check(wait_for(up, 10), "redis-server on [::1]:%d did not start" % port)
        env = {"PHONEAUTH_REDIS_URL": "redis://:%s@[::1]:%d/0" % (password, port)}
        with Pool(env, "redis-ipv6") as url:
            c = Client(base_url=url)
            health = expect(c.get("health"), 200)
            check(health.get("redis") == "ok", health)
            phone = fresh_phone()
            sid = expect(c.post("register", {"mobile_number": phone}), 200)["session_id"]
            v6 = Redis("::1", port, password)
            queued = v6.command("XRANGE", REDIS_PREFIX + "sms", "-", "+") or []
            check(any(phone.encode() in fields for _id, fields in queued),
                  "no code for %s in the outbox of the IPv6 Redis: %r" % (phone, queued[-3:]))
            # prelude.lua's KEY.session
            check(v6.command("EXISTS", REDIS_PREFIX + "s:" + sid) == 1,
                  "the session %s is not in the IPv6 Redis" % sid)
            v6.close()
            check(not outbox_entries(phone), "the code went to the stack's Redis instead")
    finally:
        stop_process(server)


if __name__ == "__main__":
    run()
