"""Passwords in Django's format, verified at any iteration count, upgraded
at the next login."""

import base64
import hashlib
import os
import re

from pa import (Client, Pool, check, config, django_hash, expect, fresh_phone, psql, run, signup, test,
                user_row, wait_for)

ITERATIONS = int(config()["pbkdf2_iterations"])  # what the test stack's workers were told


@test
def stored_hash_is_djangos_pbkdf2_sha256():
    c, phone = Client(), fresh_phone()
    signup(c, phone, password="correct horse battery")
    stored = user_row(phone)["password"]
    m = re.fullmatch(r"pbkdf2_sha256\$(\d+)\$([A-Za-z0-9]{22})\$([A-Za-z0-9+/]{43}=)", stored)
    check(m and int(m.group(1)) == ITERATIONS, stored)
    dk = hashlib.pbkdf2_hmac("sha256", b"correct horse battery", m.group(2).encode(), ITERATIONS)
    check(base64.b64encode(dk).decode() == m.group(3), "hash does not recompute")


@test
def old_django_hash_logs_in_and_is_upgraded():
    c, phone = Client(), fresh_phone()
    signup(c, phone, password="first password")
    old = django_hash("imported pässword", 1000)
    psql("UPDATE users SET password = :'h' WHERE mobile_number = :'p'", h=old, p=phone)
    expect(c.post("login", {"mobile_number": phone, "password": "imported pässword"}), 200)
    check(wait_for(lambda: user_row(phone)["password"] != old, 10), "hash not upgraded")
    new = user_row(phone)["password"]
    check(new.startswith("pbkdf2_sha256$%d$" % ITERATIONS), new)
    _, it, salt, b64 = new.split("$")
    dk = hashlib.pbkdf2_hmac("sha256", "imported pässword".encode(), salt.encode(), int(it))
    check(base64.b64encode(dk).decode() == b64, "upgraded hash does not verify")
    expect(Client().post("login", {"mobile_number": phone, "password": "imported pässword"}), 200)


def log_text(pool):
    with open(os.path.join(pool.dir, "log", "phoneauth.log"), errors="replace") as f:
        return f.read()


@test
def hash_with_more_iterations_is_kept():
    # A pool of one worker: a worker does a request's after-answer work (the
    # re-hash) before it takes the next request, so the answer to the next
    # request proves that the moment for a re-hash has passed.
    p = Pool({}, "rehash", workers=1)
    with p as url:
        # first, that this pool does re-hash, and says so in its log
        weak_phone = fresh_phone()
        signup(Client(), weak_phone)
        weak = django_hash("weak password", 1000)
        psql("UPDATE users SET password = :'h' WHERE mobile_number = :'p'", h=weak, p=weak_phone)
        expect(Client(base_url=url).post("login", {"mobile_number": weak_phone, "password": "weak password"}),
               200)
        line = "password hash of user %d upgraded" % user_row(weak_phone)["id"]
        check(wait_for(lambda: line in log_text(p), 10), "no re-hash logged: %r" % log_text(p)[-500:])
        check(user_row(weak_phone)["password"] != weak, "the weak hash was not upgraded")
        # then a hash with more iterations than configured
        phone = fresh_phone()
        signup(Client(), phone)
        strong = django_hash("strong password", ITERATIONS + 20000)
        psql("UPDATE users SET password = :'h' WHERE mobile_number = :'p'", h=strong, p=phone)
        expect(Client(base_url=url).post("login", {"mobile_number": phone, "password": "strong password"}),
               200)
        expect(Client(base_url=url).get("health"), 200)   # the same worker, its after-work done
        check(user_row(phone)["password"] == strong, "a stronger hash was replaced")
        uid = user_row(phone)["id"]
        check("user %d upgraded" % uid not in log_text(p) and "user %d not upgraded" % uid not in log_text(p),
              "a re-hash of a stronger hash was tried")


@test
def wrong_password_and_unknown_number_get_the_same_answer():
    c, phone = Client(), fresh_phone()
    signup(c, phone, password="correct horse battery")
    wrong = expect(Client().post("login", {"mobile_number": phone, "password": "wrong horse battery"}),
                   401, "password_incorrect")
    unknown = expect(Client().post("login", {"mobile_number": fresh_phone(), "password": "whatever123"}),
                     401, "password_incorrect")
    check(wrong == unknown, (wrong, unknown))
    # a number registered but without a password
    c2, p2 = Client(), fresh_phone()
    expect(c2.post("register", {"mobile_number": p2}), 200)
    nopw = expect(Client().post("login", {"mobile_number": p2, "password": "whatever123"}),
                  401, "password_incorrect")
    check(nopw == unknown, nopw)


@test
def failed_logins_are_audited():
    ip_client, phone = Client(), fresh_phone()
    signup(Client(), phone)
    expect(ip_client.post("login", {"mobile_number": phone, "password": "wrong password"}), 401)
    check(wait_for(lambda: psql("SELECT count(*) FROM failed_attempts WHERE ip = :'ip'::inet"
                                " AND mobile_number = :'p' AND kind = 'password'",
                                ip=ip_client.ip, p=phone) == [["1"]], 5),
          "no audit row")


if __name__ == "__main__":
    run()
