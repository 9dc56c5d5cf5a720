"""The account index: Redis knows which numbers have an account, so a
register of a number without one needs no PostgreSQL at all, and the index
is rebuilt when it is not whole (a Redis that restarted, an import), so that
an account is never taken for a new number."""

from pa import (REDIS_PREFIX, Client, admin, check, expect, fresh_phone, latest_code, psql,
                redis_command, run, signup, stack, test, user_row, wait_for, django_hash)

READY = REDIS_PREFIX + "a:ready"


def index_whole():
    return redis_command("EXISTS", READY) == 1


def recovers(c):
    return wait_for(lambda: c.get("health").status == 200, timeout=15, step=0.2)


def rebuilt(timeout=20):
    """Registers (which ask the workers to rebuild) until the index is whole,
    each from an address of its own: one address gets 429 after ten codes
    (the per-address send limit), and registers refused so would keep this
    waiting with the index whole."""
    return wait_for(lambda: (Client().post("register", {"mobile_number": fresh_phone()}).status == 200
                             and index_whole()), timeout=timeout, step=0.3)


@test
def with_the_index_whole_a_new_number_registers_while_postgres_is_down():
    c = Client()
    check(rebuilt(), "the account index did not become whole")
    account = fresh_phone()
    signup(Client(), account)
    redis_command("DEL", REDIS_PREFIX + "u:" + account)    # not cached: only PostgreSQL knows it
    stack("stop-postgres")
    try:
        new = fresh_phone()
        r = expect(c.post("register", {"mobile_number": new}), 200)
        check(r["next_step"] == "otp", r)
        check(latest_code(new), "no code for the new number")
        # a number with an account, not cached, is never taken for a new one
        expect(c.post("register", {"mobile_number": account}), 503, "service_unavailable")
    finally:
        stack("start-postgres")
    check(recovers(c), "health did not come back")
    r = expect(c.post("register", {"mobile_number": account}), 200)
    check(r["next_step"] == "password", r)


@test
def after_a_redis_restart_the_index_is_rebuilt_and_accounts_still_ask_for_their_password():
    c, account = Client(), fresh_phone()
    signup(c, account)
    stack("stop-redis")
    stack("start-redis")
    check(recovers(c), "health did not come back")
    check(not index_whole(), "a restarted Redis cannot have a whole index")
    # not whole: register asks PostgreSQL, and is right
    r = expect(c.post("register", {"mobile_number": account}), 200)
    check(r["next_step"] == "password", r)
    check(rebuilt(), "the account index was not rebuilt")
    redis_command("DEL", REDIS_PREFIX + "u:" + account)
    r = expect(Client().post("register", {"mobile_number": account}), 200)
    check(r["next_step"] == "password", "the rebuilt index missed an account: %r" % r)


@test
def a_rebuild_postgres_interrupted_is_done_seconds_after_postgres_is_back():
    c = Client()
    stack("stop-redis")
    stack("start-redis")
    check(recovers(c), "health did not come back")
    stack("stop-postgres")
    try:
        # every worker is asked to rebuild, takes the rebuild and fails
        for _ in range(6):
            expect(c.post("register", {"mobile_number": fresh_phone()}), 503,
                   "service_unavailable")
        check(not index_whole(), "an index rebuilt without PostgreSQL")
    finally:
        stack("start-postgres")
    check(recovers(c), "health did not come back")
    # not after a minute's lease nor a long pause: within seconds
    check(rebuilt(timeout=10), "the index was not rebuilt within 10 s of PostgreSQL's return")


@test
def an_account_made_by_sql_behind_the_index_is_never_taken_over():
    c = Client()
    check(rebuilt(), "the account index did not become whole")
    phone = fresh_phone()
    stored = django_hash("owner password 1", 1000)
    psql("INSERT INTO users (mobile_number, password, is_verified, is_active, first_name,"
         " last_name) VALUES (:'p', :'h', true, true, 'O', 'W')", p=phone, h=stored)
    # the index does not know it: the register asks for a code ...
    r = expect(c.post("register", {"mobile_number": phone}), 200)
    check(r["next_step"] == "otp", r)
    # ... and the right code still makes nobody the account's owner
    expect(c.post("verify-otp", {"session_id": r["session_id"], "code": latest_code(phone)}),
           400, "session_invalid")
    check(user_row(phone)["password"] == stored, "the account's password changed")
    # from then on the number asks for its password
    r = expect(Client().post("register", {"mobile_number": phone}), 200)
    check(r["next_step"] == "password", r)


@test
def reindex_after_sql_by_hand_makes_the_account_known_at_once():
    c = Client()
    check(rebuilt(), "the account index did not become whole")
    phone = fresh_phone()
    psql("INSERT INTO users (mobile_number, password, is_verified, is_active, first_name,"
         " last_name) VALUES (:'p', :'h', true, true, 'O', 'W')", p=phone,
         h=django_hash("owner password 2", 1000))
    out = admin("reindex")
    check(out.returncode == 0 and "rebuilt" in out.stdout, out.stdout + out.stderr)
    check(index_whole(), "reindex left the index not whole")
    r = expect(c.post("register", {"mobile_number": phone}), 200)
    check(r["next_step"] == "password", r)


if __name__ == "__main__":
    run()
