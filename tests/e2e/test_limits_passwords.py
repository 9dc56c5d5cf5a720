"""Which passwords may be chosen (API.md, "Passwords"; NIST SP 800-63B-4
3.1.1.2, ASVS 5.0 6.2.4 and 6.2.5): 8 to 128 characters, no composition
rule, refused when in password_blocklist (john's list of common passwords
by default, compared case-insensitively) or when holding the account's
number; the same rule wherever a password is chosen: set-password at
sign-up and at the end of a reset, and password/change. A password that
exists already (an imported Django hash) is not judged again, only a new
one. A blocklist
that cannot be read stops `phoneauth check` and the workers with one line
naming password_blocklist.

Each test uses its own numbers and client addresses."""

import os
import random

from pa import (PASSWORD, Client, Worker, admin, bearer, check, cooldown_over, django_hash, expect,
                fresh_phone, latest_code, login, psql, run, signup, test, user_row, verified_session)

# Lines of /usr/share/john/password.lst (john-data), some in another case.
COMMON = ("12345678", "password1", "iloveyou", "qwertyuiop", "123456789", "trustno1", "sunshine",
          "1q2w3e4r", "Password1", "ILOVEYOU", "QwertyUiop")


def refused_on(r, field):
    body = expect(r, 400, "validation_failed")
    check(set(body.get("fields", {})) == {field} and body["fields"][field], body)
    return body


def reset_session(phone):
    """A reset session of `phone` that has proved the phone (waits for set_password)."""
    c = Client()
    cooldown_over(phone)
    sid = expect(c.post("password-reset", {"mobile_number": phone}), 200)["session_id"]
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone, "reset")}), 200)
    return c, sid


JOHN = "/usr/share/john/password.lst"


def ten_random_digits(phone):
    """Ten random digits that are no line of john's list and do not hold the number."""
    with open(JOHN, errors="replace") as f:
        listed = {line.strip().lower() for line in f}
    while True:
        d = "".join(random.choice("0123456789") for _ in range(10))
        if d not in listed and phone[1:] not in d:
            return d


@test
def common_passwords_are_refused_at_sign_up():
    c, phone = Client(), fresh_phone()
    sid = verified_session(c, phone)
    for pw in COMMON:
        refused_on(c.post("set-password", {"session_id": sid, "password": pw}), "password")
    # the number, in any of its forms
    for pw in ("my" + phone, phone[1:] + "!", "pw+98" + phone[1:], "x98" + phone[1:] + "x"):
        refused_on(c.post("set-password", {"session_id": sid, "password": pw}), "password")
    check(user_row(phone)["password"] == "", "a common password was stored")
    expect(c.post("set-password", {"session_id": sid, "password": "a horse of my own"}), 200)


@test
def common_passwords_are_refused_at_the_end_of_a_reset():
    phone = fresh_phone()
    signup(Client(), phone)
    before = user_row(phone)["password"]
    c, sid = reset_session(phone)
    for pw in COMMON:
        refused_on(c.post("set-password", {"session_id": sid, "password": pw}), "password")
    check(user_row(phone)["password"] == before, "a common password was stored")
    login(Client(), phone)      # the old password still holds
    expect(c.post("set-password", {"session_id": sid, "password": "a reset horse battery"}), 200)
    login(Client(), phone, "a reset horse battery")


@test
def common_passwords_are_refused_by_password_change():
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    for pw in COMMON:
        refused_on(c.post("password/change", {"password": PASSWORD, "new_password": pw},
                          headers=bearer(t["access_token"])), "new_password")
    login(Client(), phone)      # unchanged


@test
def a_long_passphrase_and_digits_off_the_list_are_accepted():
    phone = fresh_phone()
    digits = ten_random_digits(phone)
    c = Client()
    t = signup(c, phone, password=digits)      # no composition rule: digits only
    login(Client(), phone, digits)
    # 128 characters, Persian letters and spaces among them: the longest allowed
    long = ("a long passphrase, " + "رمز عبور " * 20)[:128]
    check(len(long) == 128, len(long))
    expect(c.post("password/change", {"password": digits, "new_password": long},
                  headers=bearer(t["access_token"])), 200)
    login(Client(), phone, long)
    refused_on(c.post("password/change", {"password": long, "new_password": long + "x"},
                      headers=bearer(t["access_token"])), "new_password")
    # a reset may choose digits too
    c2, sid = reset_session(phone)
    other = ten_random_digits(phone)
    expect(c2.post("set-password", {"session_id": sid, "password": other}), 200)
    login(Client(), phone, other)


@test
def an_imported_common_password_logs_in_but_cannot_be_chosen_again():
    """The list applies when a password is chosen, not to hashes that exist
    (an account imported from Django with one keeps it until it changes it)."""
    c, phone = Client(), fresh_phone()
    signup(c, phone)
    psql("UPDATE users SET password = :'h' WHERE mobile_number = :'p'",
         h=django_hash("password1", 1000), p=phone)
    t = login(c, phone, "password1")
    refused_on(c.post("password/change", {"password": "password1", "new_password": "PASSWORD1"},
                      headers=bearer(t["access_token"])), "new_password")
    expect(c.post("password/change", {"password": "password1", "new_password": "a horse of my own"},
                  headers=bearer(t["access_token"])), 200)
    login(Client(), phone, "a horse of my own")


@test
def a_blocklist_that_cannot_be_read_stops_check_and_the_workers():
    missing = "/nonexistent/phoneauth-test/password.lst"
    r = admin("check", env={"PHONEAUTH_PASSWORD_BLOCKLIST": missing})
    lines = r.stderr.strip().splitlines()
    check(r.returncode != 0 and len(lines) == 1 and lines[0].startswith("phoneauth: password_blocklist: ")
          and missing in lines[0], (r.returncode, r.stdout, r.stderr))
    w = Worker({"PHONEAUTH_PASSWORD_BLOCKLIST": missing}, "no-blocklist")
    try:
        with w:
            came_up = True
    except RuntimeError:
        came_up = False
    check(not came_up, "workers with an unreadable blocklist answered")
    with open(os.path.join(w.dir, "log", "phoneauth.log"), errors="replace") as f:
        log = [line for line in f.read().splitlines() if line.strip()]
    # every line the workers wrote is that one; the others are multiwatch's
    # ("Spawning child[0] failed, next try" as it starts them again, and
    # "Child[0] died to often, not forking again" once it gives up)
    ours = [line for line in log if line.startswith("phoneauth:")]
    wrong = [line for line in ours if not (line.startswith("phoneauth: password_blocklist: ") and missing in line)]
    check(ours and not wrong, wrong[:5] or log[:5])
    # an empty file is no list either
    empty = os.path.join(w.dir, "empty.lst")
    open(empty, "w").close()
    r = admin("check", env={"PHONEAUTH_PASSWORD_BLOCKLIST": empty})
    check(r.returncode != 0 and r.stderr.startswith("phoneauth: password_blocklist: "), r.stderr)


if __name__ == "__main__":
    run()
