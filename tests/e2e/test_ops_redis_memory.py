"""Redis at its memory ceiling: the stack runs Redis with a maxmemory and
the noeviction policy (eviction would silently lift blocks and forget
failures), so a full Redis refuses writes; phoneauth then answers 503
service_unavailable, as JSON, and serves again once there is room.

The ceiling is lowered at run time (CONFIG SET) under what Redis already
uses, and always put back."""

import os

from pa import Client, check, expect, fresh_phone, redis_command, run, test


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


if __name__ == "__main__":
    run()
