"""The administration commands (phoneauth blocks, unblock, sessions, revoke,
delete; ban and unban are met in test_route_tokens.py, reindex in
test_store_account_index.py, sms-* in test_sms_*.py), run as an
administrator runs them, with the stack's configuration, against the
accounts and blocks the routes made."""

from pa import (PASSWORD, Client, admin, blocked, cached, check, expect, family_of, fresh_phone, indexed,
                login, refresh, register, run, signup, test, user_row, wrong_login)


@test
def admin_lists_and_lifts_blocks():
    c, phone = Client(), fresh_phone()
    signup(Client(), phone)
    for _ in range(3):
        wrong_login(c, phone)
    blocked(wrong_login(c, phone))
    out = admin("blocks")
    check(out.returncode == 0, out.stderr)
    lines = out.stdout.splitlines()
    check(any(l.split()[:2] == ["ip", c.ip] and "until" in l for l in lines), out.stdout)
    check(any(l.split()[:2] == ["phone", phone] for l in lines), out.stdout)
    r = admin("unblock", "--ip", c.ip)
    check(r.returncode == 0 and "unblocked" in r.stdout, r.stdout + r.stderr)
    blocked(Client(ip=c.ip).post("login", {"mobile_number": phone, "password": PASSWORD}))  # number still
    r = admin("unblock", "--phone", "+98" + phone[1:])  # any spelling of the number
    check(r.returncode == 0 and phone in r.stdout, r.stdout + r.stderr)
    expect(Client(ip=c.ip).post("login", {"mobile_number": phone, "password": PASSWORD}), 200)
    check(phone not in admin("blocks").stdout, "still listed")
    check(admin("unblock", "--ip", "not-an-ip").returncode == 2, "bad address accepted")
    check(admin("unblock").returncode == 2, "no argument accepted")


@test
def admin_lists_the_logins_of_an_account_and_revokes_one_or_all():
    from pa import admin
    phone = fresh_phone()
    first = signup(Client(), phone)
    agent = Client()
    second = login(agent, phone, agent="AdminTest/2.0")
    out = admin("sessions", phone)
    check(out.returncode == 0, out.stderr)
    lines = out.stdout.splitlines()
    check(len(lines) == 2, out.stdout)
    f1, f2 = family_of(first["refresh_token"]), family_of(second["refresh_token"])
    check(lines[0].startswith(f2 + "  began ") and "ip " + agent.ip in lines[0] and
          lines[0].endswith("AdminTest/2.0"), lines[0])
    check(lines[1].startswith(f1 + "  began ") and " last used " in lines[1] and lines[1].endswith("  -"),
          lines[1])
    out = admin("revoke", phone, "--session", f2)
    check(out.returncode == 0 and f2 in out.stdout, (out.stdout, out.stderr))
    expect(refresh(Client(), second["refresh_token"]), 401, "token_invalid")
    out = admin("revoke", phone, "--session", f2)    # not live any more
    check(out.returncode == 1 and "no live login" in out.stderr, (out.stdout, out.stderr))
    login(Client(), phone)
    out = admin("revoke", phone)
    check(out.returncode == 0 and "2 live logins revoked" in out.stdout, (out.stdout, out.stderr))
    expect(refresh(Client(), first["refresh_token"]), 401, "token_invalid")
    out = admin("sessions", phone)
    check(out.returncode == 0 and "no live login" in out.stdout, out.stdout)
    # a number without an account, and wrong arguments
    out = admin("sessions", fresh_phone())
    check(out.returncode == 1 and "has no account" in out.stderr, out.stderr)
    check(admin("revoke", phone, "--sessions", f1).returncode == 2, "a wrong option was taken")
    check(admin("revoke").returncode == 2 and admin("sessions", "12").returncode == 2, "bad arguments taken")


@test
def admin_delete_deletes_an_account_as_account_delete_does():
    from pa import admin
    c, phone = Client(), fresh_phone()
    t = signup(c, phone)
    expect(c.post("register", {"mobile_number": phone}), 200)      # cached
    check(admin("ban", phone).returncode == 0, "ban")   # an administrator deletes banned accounts too
    out = admin("delete", "+98" + phone[1:])            # any spelling of the number
    check(out.returncode == 0 and phone in out.stdout, (out.stdout, out.stderr))
    check(user_row(phone) is None and cached(phone) is None and not indexed(phone), "not deleted everywhere")
    expect(refresh(c, t["refresh_token"]), 401, "token_invalid")
    check(register(Client(), phone)["next_step"] == "otp", "the number cannot sign up afresh")
    out = admin("delete", phone)
    check(out.returncode == 1 and "has no account" in out.stderr, out.stderr)


if __name__ == "__main__":
    run()
