"""GET auth-check (API.md, "FastCGI authorizer"): the authorizer's verdict as
a plain route, for nginx's auth_request: 204 with the user, or 401. (Behind
each front end: test_frontend_servers.py; the authorizer role itself, over
FastCGI: test_fcgi_handlers.py.)"""

from pa import (PASSWORD, Client, Pool, bearer, check, expect, fresh_phone, latest_code, run, signup, test)


@test
def auth_check_204_carries_nosniff_and_no_store():
    cookie = "pa_access"
    with Pool({"PHONEAUTH_AUTH_COOKIE": cookie}, "hard-misc-cookie") as url:
        tokens = signup(Client(base_url=url), fresh_phone())
        c = Client(base_url=url)
        for how, headers in (("cookie", {"Cookie": "theme=dark; %s=%s" % (cookie, tokens["access_token"])}),
                             ("bearer", {"Authorization": "Bearer " + tokens["access_token"]})):
            r = c.get("auth-check", headers=headers)
            check(r.status == 204 and r.header("X-Phoneauth-User-Id"), (how, r, r.headers))
            check(r.header("X-Content-Type-Options") == "nosniff", (how, r.headers))
            check(r.header("Cache-Control") == "no-store", (how, r.headers))


@test
def auth_check_follows_the_account_to_its_new_number_and_refuses_it_once_deleted():
    c, old, new = Client(), fresh_phone(), fresh_phone()
    t = signup(c, old)
    sid = expect(c.post("phone/change", {"mobile_number": new, "password": PASSWORD},
                        headers=bearer(t["access_token"])), 200)["session_id"]
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(new, "change")}), 200)
    r = c.get("auth-check", headers=bearer(t["access_token"]))
    check(r.status == 204 and r.header("X-Phoneauth-Mobile") == new, (r, r.headers))
    expect(c.post("account/delete", {"password": PASSWORD}, headers=bearer(t["access_token"])), 200)
    expect(c.get("auth-check", headers=bearer(t["access_token"])), 401, "token_invalid")


if __name__ == "__main__":
    run()
