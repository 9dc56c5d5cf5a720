"""Routes and methods, whatever the route (router.c): an unknown route is
404 not_found, a method a route does not take 405 method_not_allowed with
Allow, HEAD is GET without a body, aliases and a trailing slash are the same
route, and a query string changes nothing."""

from pa import Client, check, check_headers, expect, fresh_phone, latest_code, register, run, test


@test
def unknown_route_is_not_found():
    for path in ("/api/nope", "/api/register/extra", "/api/REGISTER", "/api//register", "/api/registerx"):
        r = Client().request("POST", path, b"{}", {"Content-Type": "application/json"})
        expect(r, 404, "not_found")
        check_headers(r)


@test
def wrong_method_is_method_not_allowed_with_allow():
    r = Client().get("register")
    expect(r, 405, "method_not_allowed")
    check(r.header("Allow") == "POST, OPTIONS", r.headers)
    check_headers(r)
    r = Client().request("DELETE", "login")
    expect(r, 405, "method_not_allowed")
    r = Client().post("health", {})
    expect(r, 405, "method_not_allowed")
    check("GET" in r.header("Allow"), r.headers)


@test
def head_on_health_answers_without_a_body():
    r = Client().request("HEAD", "health")
    check(r.status == 200 and r.body == b"", r)


@test
def query_strings_do_not_change_the_route():
    r = Client().request("GET", "/api/health?x=1&y=%20")
    expect(r, 200)


@test
def verify_otp_alias_and_trailing_slash_are_the_same_routes():
    c, phone = Client(), fresh_phone()
    sid = register(c, phone)["session_id"]
    r = expect(c.post("verify/otp/", {"session_id": sid, "code": latest_code(phone)}), 200)
    check(r["next_step"] == "set_password", r)
    expect(c.post("set-password/", {"session_id": sid, "password": "correct horse battery"}), 200)
    expect(c.get("health/"), 200)


if __name__ == "__main__":
    run()
