"""The stack's PostgreSQL: a statement it refuses, and the rows it keeps no
longer than they are needed.

500 internal_error, provoked for real: a pool whose PostgreSQL role may not
read `users` (a role made here, with every privilege the service needs but
SELECT on users), so the statement fails with 42501 insufficient_privilege,
which is no outage but a bug. The answer says nothing internal, in either
language; the worker's log says what went wrong; the request is not counted
against the client. The role and its grants are gone when the test ends,
whatever happened.

The sweeps: audited failures older than audit_retention_days, and logins
revoked or expired a day ago with their refresh tokens."""

import os
import random
import re
import secrets
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from pa import (PASSWORD, Client, Pool, check, expect, family_of, fresh_phone, login, psql, psql_super,
                refresh, register, run, signup, test, user_row, wait_for)

ROLE = "pa_test_noselect_%d" % os.getpid()


# What must never reach a body: SQL, the statement's or the table's names,
# libpq's and PostgreSQL's words, paths, the role.
LEAKS = re.compile(r"select|insert|update|from |users|permission|denied|privilege|42501|postgres|"
                   r"libpq|sql|error:|statement|relation|/|\\|pa_test|\.c\b", re.I)


def create_role(password):
    psql_super('''
        CREATE ROLE :"role" LOGIN PASSWORD :'pw';
        GRANT USAGE ON SCHEMA public TO :"role";
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"role";
        GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO :"role";
        REVOKE SELECT ON users FROM :"role";
    ''', role=ROLE, pw=password)


def drop_role():
    psql_super('''
        SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = :'role';
        DROP OWNED BY :"role";
        DROP ROLE :"role";
    ''', role=ROLE)


def role_url(password):
    main = urllib.parse.urlsplit(os.environ["PA_PG_URL"])
    return "postgresql://%s:%s@%s:%d%s" % (ROLE, password, main.hostname, main.port, main.path)


def log_path(pool):
    return os.path.join(pool.dir, "log", "phoneauth.log")


def log_since(pool, offset):
    """What the pool's workers logged past `offset` (the file outlives pools)."""
    with open(log_path(pool), "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


@test
def a_statement_the_database_refuses_is_a_500_that_tells_nothing_and_logs_why():
    phone = fresh_phone()
    signup(Client(), phone, PASSWORD)
    password = secrets.token_hex(16)
    # no role of this name from an earlier run that was cut short
    if psql_super("SELECT 1 FROM pg_roles WHERE rolname = :'role'", role=ROLE):
        drop_role()
    create_role(password)
    try:
        p = Pool({"PHONEAUTH_POSTGRES_URL": role_url(password)}, "internal-error")
        offset = os.path.getsize(log_path(p)) if os.path.exists(log_path(p)) else 0
        with p as url:
            c = Client(base_url=url)
            answers = {}
            for lang in ("en", "fa"):
                r = c.post("login", {"mobile_number": phone, "password": PASSWORD},
                           headers={"Accept-Language": lang})
                body = expect(r, 500, "internal_error")
                check(set(body) == {"error", "message"}, "more than error and message: %r" % body)
                check(isinstance(body["message"], str) and body["message"].strip(), body)
                check(not LEAKS.search(body["message"]), "the message tells something internal: %r" % body)
                check(r.header("Content-Type") == "application/json; charset=utf-8", r.headers)
                check(r.header("Cache-Control") == "no-store", r.headers)
                answers[lang] = body["message"]
            check(answers["en"] != answers["fa"] and re.search("[\u0600-\u06ff]", answers["fa"]), answers)
            # the log says more: the statement that failed and PostgreSQL's reason
            why = "permission denied for table users"
            check(wait_for(lambda: why in log_since(p, offset), 5), "the worker log does not say why: %r"
                  % log_since(p, offset)[-800:])
            line = next(l for l in log_since(p, offset).splitlines() if why in l)
            check(re.search(r"phoneauth\[\d+\] error: postgres: ", line), line)
            # a third one: a bug on our side is no failure of the client's
            expect(c.post("login", {"mobile_number": phone, "password": PASSWORD}), 500, "internal_error")
    finally:
        drop_role()
    check(psql_super("SELECT count(*) FROM pg_roles WHERE rolname = :'role'", role=ROLE) == [["0"]],
          "the role was left behind")
    # the same address and number, on the main stack: not blocked, and the
    # three 500s left the account as it was
    r = expect(Client(ip=c.ip).post("login", {"mobile_number": phone, "password": PASSWORD}), 200)
    check("tokens" in r, r)
    check(user_row(phone)["is_active"], user_row(phone))


# ---- the sweeps ----


@test
def failed_attempts_older_than_audit_retention_days_are_swept():
    tag = "sweep-%d-%d" % (os.getpid(), random.randint(0, 10**6))
    psql("INSERT INTO failed_attempts (ip, mobile_number, kind, at)"
         " SELECT '192.0.2.1', :'old', 'code', now() - interval '91 days' FROM generate_series(1, 5);"
         " INSERT INTO failed_attempts (ip, mobile_number, kind, at)"
         " SELECT '192.0.2.1', :'young', 'code', now() - interval '89 days' FROM generate_series(1, 5)",
         old=tag + "-91", young=tag + "-89")

    def count(which):
        return int(psql("SELECT count(*) FROM failed_attempts WHERE mobile_number = :'m'",
                        m=tag + which)[0][0])
    check(count("-91") == 5 and count("-89") == 5, "rows not inserted")
    # Fresh workers: each sweeps when it first writes its audit batch. (An
    # extra pool rather than `stack.sh restart-pool`: tests/run.sh checks
    # that the main pool's workers outlive the tests.)
    with Pool({}, "hard-misc-sweep") as url:
        c = Client(base_url=url)
        phone = fresh_phone()
        sid = register(c, phone)["session_id"]
        expect(c.post("verify-otp", {"session_id": sid, "code": "000000"}), 400, "otp_invalid")
        # the failure itself is recorded (the batch was written) ...
        check(wait_for(lambda: psql("SELECT count(*) FROM failed_attempts WHERE mobile_number = :'p'",
                                    p=phone) == [["1"]], 5), "the wrong code was not audited")
        # ... and with it the rows past audit_retention_days (90) went, the others stayed
        check(wait_for(lambda: count("-91") == 0, 3), "%d rows of 91 days are still there" % count("-91"))
        check(count("-89") == 5, "rows of 89 days were swept too: %d left" % count("-89"))


@test
def logins_revoked_or_expired_a_day_ago_are_swept_with_their_tokens():
    c, phone = Client(), fresh_phone()
    live = signup(c, phone)
    revoked, expired = login(Client(), phone), login(Client(), phone)
    expect(c.post("logout", {"refresh": revoked["refresh_token"]}), 200)
    f_live, f_revoked, f_expired = (family_of(t["refresh_token"]) for t in (live, revoked, expired))
    psql("UPDATE refresh_tokens SET revoked_at = now() - interval '2 days' WHERE family = :'f'", f=f_revoked)
    psql("UPDATE refresh_tokens SET expires_at = now() - interval '2 days' WHERE family = :'f'", f=f_expired)

    def logins_left():
        return {r[0] for r in psql("SELECT family FROM logins WHERE family IN (:'a', :'b', :'c')",
                                   a=f_live, b=f_revoked, c=f_expired)}

    # A worker sweeps after every 1000 token pairs it issued: refreshes
    # chained by a few clients get every worker there.
    driver = fresh_phone()
    signup(Client(), driver)
    chains = [login(Client(), driver)["refresh_token"] for _ in range(4)]

    def drive(i):
        for _ in range(100):
            chains[i] = expect(refresh(Client(), chains[i]), 200)["refresh"]

    for _ in range(30):
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(drive, range(4)))
        if logins_left() == {f_live}:
            break
    check(logins_left() == {f_live}, logins_left())
    check(psql("SELECT count(*) FROM refresh_tokens WHERE family IN (:'b', :'c')", b=f_revoked, c=f_expired)
          == [["0"]], "their tokens are left")
    # the live login keeps its tokens (the spent and the live one) and works
    expect(refresh(c, live["refresh_token"]), 200)


if __name__ == "__main__":
    run()
