"""Moving users over from the Django service (PhoneAuthDjango).

A table with the original service's columns (accounts_user) is made in a
schema of its own; `phoneauth import-django` reads it. Afterwards the users
log in with their old passwords, including one hashed by Django's own
algorithm at 260000 iterations, whose hash is upgraded at that login.
"""

import base64
import hashlib
import os
import subprocess

from pa import (Client, Pool, check, django_hash, expect, fresh_phone, psql, register, run,
                signup, test, user_row, wait_for)

SCHEMA = "django_src_%d" % os.getpid()
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def source_url():
    sep = "&" if "?" in os.environ["PA_PG_URL"] else "?"
    return os.environ["PA_PG_URL"] + sep + "options=-csearch_path%3D" + SCHEMA


def import_django(*extra):
    return subprocess.run([os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"], "import-django",
                           "--from", source_url(), *extra], capture_output=True, text=True, timeout=120)


def django_260000(password):
    """Django 3.2's PBKDF2PasswordHasher.encode, at its default iteration count."""
    salt = "Rk3X9aB2cD4eF6gH8iJ0kL"
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 260000)
    return "pbkdf2_sha256$260000$%s$%s" % (salt, base64.b64encode(dk).decode())


def make_source(rows):
    psql("DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s;" % (SCHEMA, SCHEMA) + """
CREATE TABLE %s.accounts_user (
    id serial PRIMARY KEY,
    password varchar(128) NOT NULL,
    last_login timestamp with time zone,
    is_superuser boolean NOT NULL DEFAULT false,
    mobile_number varchar(11) NOT NULL UNIQUE,
    email varchar(254),
    first_name varchar(150) NOT NULL DEFAULT '',
    last_name varchar(150) NOT NULL DEFAULT '',
    is_verified boolean NOT NULL DEFAULT false,
    is_active boolean NOT NULL DEFAULT true,
    is_staff boolean NOT NULL DEFAULT false,
    date_joined timestamp with time zone NOT NULL DEFAULT now()
);""" % SCHEMA)
    for r in rows:
        psql("INSERT INTO %s.accounts_user (mobile_number, password, email, first_name, last_name,"
             " is_verified, is_active, date_joined, last_login) VALUES (:'m', :'p', NULLIF(:'e', ''),"
             " :'f', :'l', :'v', :'a', '2021-03-04 05:06:07+00', '2022-01-02 03:04:05+00')" % SCHEMA,
             m=r["m"], p=r["p"], e=r.get("e", ""), f=r.get("f", "Old"), l=r.get("l", "User"),
             v=r.get("v", "true"), a=r.get("a", "true"))


@test
def django_users_are_imported_with_their_hashes_and_log_in():
    existing = fresh_phone()
    signup(Client(), existing, email="taken.%s@example.com" % existing)
    good, persian, unusable, inactive, dup_email, argon, bad_email = (fresh_phone() for _ in range(7))
    rows = [
        {"m": good, "p": django_260000("old django password"), "e": "Good.%s@Example.com" % good},
        {"m": persian.translate(PERSIAN)[:11], "p": django_hash("second password", 36000)},
        {"m": unusable, "p": "!unusable-password-from-django"},
        {"m": inactive, "p": django_hash("inactive user pw", 150000), "a": "false"},
        {"m": existing, "p": django_hash("whatever", 1000)},
        {"m": dup_email, "p": django_hash("whatever", 1000), "e": "TAKEN.%s@example.com" % existing},
        {"m": argon, "p": "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA"},
        {"m": "12345", "p": django_hash("whatever", 1000)},
        {"m": bad_email, "p": django_hash("whatever", 1000), "e": "not an email"},
    ]
    make_source(rows)
    try:
        # a dry run reports and writes nothing
        r = import_django("--dry-run")
        check(r.returncode == 0, r.stderr)
        check("dry run, nothing written: imported 5 (1 without a password, 1 without their e-mail),"
              " skipped 1 (the number already has an account), refused 3" in r.stdout, r.stdout)
        check(user_row(good) is None, "the dry run wrote")
        r = import_django()
        check(r.returncode == 0, r.stderr)
        check("imported 5 (1 without a password, 1 without their e-mail), skipped 1 (the number"
              " already has an account), refused 3" in r.stdout, r.stdout)
        for number, why in (("12345", "not a valid mobile number"), (argon, "argon2"),
                            (dup_email, "e-mail address belongs to another account")):
            check(any(l.startswith("refused  " + number) and why in l for l in r.stdout.splitlines()),
                  (number, r.stdout))
        # the imported rows
        u = user_row(good)
        check(u["password"] == django_260000("old django password") and u["is_verified"] and u["is_active"]
              and u["email"] == "Good.%s@Example.com" % good, u)
        check(psql("SELECT date_joined = '2021-03-04 05:06:07+00' FROM users WHERE mobile_number = :'m'",
                   m=good) == [["t"]], "date_joined not kept")
        check(user_row(persian) is not None, "the Persian-digit number was not normalised")
        check(user_row(unusable)["password"] == "", user_row(unusable))
        check(not user_row(inactive)["is_active"], user_row(inactive))
        check(user_row(bad_email)["email"] == "", user_row(bad_email))
        check(user_row(existing)["first_name"] == "Sara", "an existing account was changed")
        # the account index learns of them: an imported number asks for its
        # password, never for a code that would make a new account of it
        check(register(Client(), good)["next_step"] == "password", "an imported account taken for new")
        # a second run changes nothing
        r = import_django()
        check("imported 0 " in r.stdout and "skipped 6" in r.stdout, r.stdout)
        # they log in with their old passwords; the 260000-iteration hash is
        # upgraded to pbkdf2_iterations (600000 here) at that login
        with Pool({"PHONEAUTH_PBKDF2_ITERATIONS": "600000"}, "import") as url:
            body = expect(Client(base_url=url).post("login", {"mobile_number": good,
                                                              "password": "old django password"}), 200)
            check("tokens" in body, body)
            check(wait_for(lambda: user_row(good)["password"].startswith("pbkdf2_sha256$600000$"), 15),
                  user_row(good)["password"])
            new = user_row(good)["password"]
            _, it, salt, b64 = new.split("$")
            dk = hashlib.pbkdf2_hmac("sha256", b"old django password", salt.encode(), int(it))
            check(base64.b64encode(dk).decode() == b64, "the upgraded hash does not verify")
        expect(Client().post("login", {"mobile_number": "+98" + persian[1:], "password": "second password"}), 200)
        r = expect(Client().post("login", {"mobile_number": inactive, "password": "inactive user pw"}), 200)
        check(r["next_step"] == "user_info", r)
        expect(Client().post("login", {"mobile_number": unusable, "password": "anything at all"}), 401)
        check(register(Client(), unusable)["next_step"] == "otp", "a user without a password skips the code")
    finally:
        psql("DROP SCHEMA IF EXISTS %s CASCADE" % SCHEMA)


@test
def import_refuses_a_bad_source_without_writing():
    r = subprocess.run([os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"], "import-django",
                        "--from", "postgresql://nobody@127.0.0.1:1/none"], capture_output=True, text=True)
    check(r.returncode == 1 and "cannot connect" in r.stderr, r.stderr)
    r = subprocess.run([os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"], "import-django"],
                       capture_output=True, text=True)
    check(r.returncode == 2 and "usage" in r.stderr, r.stderr)


if __name__ == "__main__":
    run()
