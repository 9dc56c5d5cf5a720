"""phoneauth behind every front end its users run, started for real.

lighttpd, Apache with mod_proxy_fcgi, Apache with mod_fcgid (Apache starts
the workers itself) and nginx each serve the whole register -> tokens flow;
lighttpd ("mode" => "authorizer"), Apache mod_authnz_fcgi and nginx
auth_request guard a page and hand it the user. Each also serves the
reference sign-in page (conf/*/page.conf, the files of www/ laid out as
make install does) at "/", and a sign-up done in a browser on that page
works unchanged behind it; where a page is guarded, the page's auth_cookie
mode takes the user there. Every server configuration here is a few lines of
set-up around the very files of conf/ that users include (frontends.py).
The servers are this test's own processes, on their own ports, stopped by
pid.
"""

import json
import os
import subprocess
import time
import urllib.parse

from frontends import COOKIE, REPO, Frontends, main
from pa import (Client, admin, check, expect, fresh_phone, jwt_decode, jwt_forge, jwt_key, latest_code, signup,
                test, user_row)


FE = Frontends()


def get_guarded(front, headers=None):
    return Client(base_url=FE.urls[front]).request("GET", "/members/whoami.cgi", None, headers or {})


def bad_tokens(access, refresh):
    claims = jwt_decode(access)[1]
    return {
        "no token": {},
        "expired": {"Authorization": "Bearer " + jwt_forge({"alg": "HS256", "typ": "JWT"},
                                                           dict(claims, exp=int(time.time()) - 5),
                                                           jwt_key())},
        "forged": {"Authorization": "Bearer " + jwt_forge({"alg": "HS256", "typ": "JWT"}, claims,
                                                          b"not the key, but long enough..")},
        "refresh token": {"Authorization": "Bearer " + refresh},
        "garbage": {"Authorization": "Bearer x.y.z"},
        "basic": {"Authorization": "Basic dXNlcjpwYXNz"},
        "expired cookie": {"Cookie": "%s=%s" % (COOKIE, jwt_forge({"alg": "HS256", "typ": "JWT"},
                                                                  dict(claims, exp=int(time.time()) - 5),
                                                                  jwt_key()))},
    }


def whole_flow_through(front):
    url = FE.urls[front]
    c, phone = Client(base_url=url), fresh_phone()
    tokens = signup(c, phone)
    uid = user_row(phone)["id"]
    check(jwt_decode(tokens["access_token"])[1]["user_id"] == uid, "token of another user")
    r = expect(c.post("login", {"mobile_number": phone, "password": "correct horse battery"}), 200)
    me = expect(c.get("me", headers={"Authorization": "Bearer " + r["tokens"]["access_token"]}), 200)
    check(me["id"] == uid and me["mobile_number"] == phone, me)
    new = expect(c.post("token/refresh", {"refresh": r["tokens"]["refresh_token"]}), 200)
    expect(c.post("logout", {"refresh": new["refresh"]}), 200)
    expect(c.post("register", {"mobile_number": "12"}), 400, "validation_failed")


def guard_through(front):
    phone = fresh_phone()
    tokens = signup(Client(), phone)
    uid = str(user_row(phone)["id"])
    for what, headers in bad_tokens(tokens["access_token"], tokens["refresh_token"]).items():
        r = get_guarded(front, headers)
        check(r.status == 401, "%s: %s let through %r" % (front, what, r))
    for headers in ({"Authorization": "Bearer " + tokens["access_token"]},
                    {"Cookie": "other=1; %s=%s" % (COOKIE, tokens["access_token"])}):
        r = get_guarded(front, headers)
        check(r.status == 200 and r.json == {"user": uid, "mobile": phone},
              "%s: %r with %s" % (front, r, list(headers)))


@test
def whole_flow_through_lighttpd():
    whole_flow_through("lighttpd")


@test
def whole_flow_through_apache_mod_proxy_fcgi():
    whole_flow_through("apache-proxy")


@test
def whole_flow_through_apache_mod_fcgid():
    whole_flow_through("apache-fcgid")
    # the workers are Apache's own children, running as its user
    out = subprocess.run(["ps", "-eo", "user,args"], capture_output=True, text=True).stdout
    check(any(FE.path("phoneauth") in line for line in out.splitlines()), "no fcgid worker")


@test
def whole_flow_through_nginx():
    whole_flow_through("nginx")


@test
def lighttpd_authorizer_guards_a_page():
    guard_through("lighttpd")


@test
def apache_mod_authnz_fcgi_guards_a_page():
    guard_through("apache-proxy")


@test
def nginx_auth_request_guards_a_page():
    guard_through("nginx")
    # a user id a client sends itself never reaches the application
    phone = fresh_phone()
    tokens = signup(Client(), phone)
    r = get_guarded("nginx", {"Authorization": "Bearer " + tokens["access_token"],
                              "X-Phoneauth-User-Id": "1"})
    check(r.json["user"] == str(user_row(phone)["id"]), r)


@test
def auth_check_answers_204_with_the_user_or_401():
    phone = fresh_phone()
    tokens = signup(Client(), phone)
    c = Client(base_url=FE.urls["lighttpd"])
    r = c.get("auth-check", headers={"Authorization": "Bearer " + tokens["access_token"]})
    check(r.status == 204 and r.body == b"", r)
    check(r.header("X-Phoneauth-User-Id") == str(user_row(phone)["id"]), r.headers)
    check(r.header("X-Phoneauth-Mobile") == phone, r.headers)
    r = c.get("auth-check", headers={"Cookie": "%s=%s" % (COOKIE, tokens["access_token"])})
    check(r.status == 204, r)
    for what, headers in bad_tokens(tokens["access_token"], tokens["refresh_token"]).items():
        r = c.get("auth-check", headers=headers)
        expect(r, 401, "token_invalid")
        check(r.header("WWW-Authenticate") == 'Bearer error="invalid_token"', (what, r.headers))
    # the stack's own workers have no auth_cookie: the cookie means nothing there
    r = Client().get("auth-check", headers={"Cookie": "%s=%s" % (COOKIE, tokens["access_token"])})
    check(r.status == 401, r)
    # a banned account is refused however good its token
    check(admin("ban", phone).returncode == 0, "ban")
    r = c.get("auth-check", headers={"Authorization": "Bearer " + tokens["access_token"]})
    check(r.status == 401, r)


# ---- the reference page (www/) behind each front end ----

PAGE_BROWSER = []
PAGE_TYPES = {"/": "text/html", "/index.html": "text/html", "/phoneauth.css": "text/css",
              "/phoneauth.js": "text/javascript"}


def page_browser():
    if not PAGE_BROWSER:
        from browser import Browser
        PAGE_BROWSER.append(Browser("en"))
    return PAGE_BROWSER[0]


def page_served_by(front):
    c = Client(base_url=FE.urls[front])
    for path, ctype in PAGE_TYPES.items():
        r = c.request("GET", path)
        check(r.status == 200, "%s: GET %s: %r" % (front, path, r))
        got = (r.header("Content-Type") or "").lower().replace(" ", "")
        check(got == ctype + ";charset=utf-8", "%s: %s served as %r" % (front, path, got))
        check(r.header("X-Content-Type-Options") == "nosniff" or front == "apache-fcgid",
              "%s: %s without nosniff" % (front, path))
        name = "index.html" if path == "/" else path.lstrip("/")
        with open(os.path.join(REPO, "www", name), "rb") as f:
            check(r.body == f.read(), "%s: %s is not www/%s" % (front, path, name))
    # the API and the site's own files are still where they were
    check(c.get("health").status == 200, front)
    if front != "apache-fcgid":     # (the one with no guarded page)
        check(c.request("GET", "/members/whoami.cgi").status == 401, "%s: the guard is gone" % front)


def signup_on_the_page(front, guarded):
    """A sign-up in a browser on the page this front end serves. With
    `guarded`, the site's auth_cookie set on the page (its phoneauth-auth-cookie
    setting) and ?next=: once signed in, the browser is on the guarded page,
    let through by the authorizer that read the cookie."""
    from browser import Forwarder
    b = page_browser()
    phone = fresh_phone()
    with Forwarder(urllib.parse.urlsplit(FE.urls[front]).port) as s:
        b.open(s.url + ("?next=/members/whoami.cgi" if guarded else ""))
        if guarded:
            b.set_meta("phoneauth-auth-cookie", COOKIE)
        b.wait_step("register")
        b.fill("register-form", "mobile_number", phone)
        b.submit("register-form")
        b.wait_step("otp")
        b.fill("otp-form", "code", latest_code(phone))
        b.submit("otp-form")
        b.wait_step("set_password")
        b.fill("set_password-form", "password", "correct horse battery")
        b.submit("set_password-form")
        b.wait_step("user_info")
        b.fill("user_info-form", "first_name", "Sara")
        b.fill("user_info-form", "last_name", "Ahmadi")
        b.submit("user_info-form")
        if guarded:
            b.wait(lambda: b.driver.current_url == s.url + "members/whoami.cgi", 10, "the guarded page")
            body = b.driver.find_element("tag name", "body").text
            check(json.loads(body) == {"user": str(user_row(phone)["id"]), "mobile": phone},
                  "%s: the guarded page says %r" % (front, body))
        else:
            b.wait_step("signed_in")
            b.wait(lambda: b.js("return document.getElementById('me-mobile').textContent") == phone, 10,
                   "the profile")
        errors = b.console_errors()
        check(not errors, "%s: console errors %r" % (front, errors[:3]))
    check(user_row(phone)["first_name"] == "Sara", "%s: no account" % front)


@test
def the_page_is_served_by_every_front_end():
    for front in ("lighttpd", "apache-proxy", "apache-fcgid", "nginx"):
        page_served_by(front)
    # mod_headers (loaded in the mod_proxy_fcgi Apache, as in lighttpd and nginx): no framing
    for front in ("lighttpd", "apache-proxy", "nginx"):
        r = Client(base_url=FE.urls[front]).request("GET", "/")
        check(r.header("Content-Security-Policy") == "frame-ancestors 'none'", (front, r.headers))


@test
def sign_up_on_the_page_through_lighttpd_and_its_authorizer():
    signup_on_the_page("lighttpd", guarded=True)


@test
def sign_up_on_the_page_through_apache_mod_proxy_fcgi_and_mod_authnz_fcgi():
    signup_on_the_page("apache-proxy", guarded=True)


@test
def sign_up_on_the_page_through_apache_mod_fcgid():
    signup_on_the_page("apache-fcgid", guarded=False)


@test
def sign_up_on_the_page_through_nginx_and_auth_request():
    signup_on_the_page("nginx", guarded=True)


@test
def no_sanitizer_report_from_apaches_workers():
    FE.stop()
    reports = FE.sanitizer_reports()
    check(not reports, "".join(open(f).read()[:2000] for f in reports))


if __name__ == "__main__":
    main(FE, cleanup=lambda: [b.quit() for b in PAGE_BROWSER])
