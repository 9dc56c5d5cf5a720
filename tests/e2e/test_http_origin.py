"""Cross-site browser requests and CORS (router.c; API.md "Conventions"):
a POST carrying an Origin that is neither the service's own (http://<Host>)
nor listed in cors_origins, or carrying Sec-Fetch-Site: cross-site without
such an Origin, is 403 origin_not_allowed and does nothing (no code queued,
no session moved on, no tokens). Requests without Origin (apps, curl,
servers) are unaffected, and so are GETs. CORS headers are for the origins
of cors_origins, and for no other."""

import urllib.parse

from pa import (BASE_URL, PASSWORD, Client, Pool, check, expect, fresh_phone, latest_code, outbox_entries,
                psql, register, run, signup, test, user_row)

EVIL = "https://evil.example"
LISTED = "https://app.example.ir"


def own_origin(url=None):
    u = urllib.parse.urlsplit(url or BASE_URL)
    return "http://%s:%d" % (u.hostname, u.port)


def refused(r):
    """403 origin_not_allowed in the shape of every error."""
    body = expect(r, 403, "origin_not_allowed")
    check(isinstance(body.get("message"), str) and body["message"], body)
    check(set(body) == {"error", "message"}, body)
    check((r.header("Content-Type") or "").startswith("application/json"), r.headers)
    check(r.header("Cache-Control") == "no-store", r.headers)
    return body


def nothing_happened_for(phone):
    check(outbox_entries(phone) == [], "a code was queued for %s: %r" % (phone, outbox_entries(phone)))
    check(user_row(phone) is None, "a users row for %s" % phone)


ORIGINS = "https://app.example.ir, http://localhost:3000"


def preflight(c, origin, route="register", method="POST"):
    return c.request("OPTIONS", route, None, {"Origin": origin, "Access-Control-Request-Method": method,
                                              "Access-Control-Request-Headers": "content-type"})


@test
def a_cross_site_form_register_is_refused_and_queues_no_code():
    c, phone = Client(), fresh_phone()
    refused(c.post("register", form={"mobile_number": phone}, headers={"Origin": EVIL}))
    nothing_happened_for(phone)
    # the same number, from the same client, without Origin, is served
    expect(c.post("register", form={"mobile_number": phone}), 200)
    check(len(outbox_entries(phone)) == 1, outbox_entries(phone))


@test
def a_cross_site_json_register_is_refused_and_queues_no_code():
    c, phone = Client(), fresh_phone()
    refused(c.post("register", {"mobile_number": phone}, headers={"Origin": EVIL}))
    refused(c.post("register", {"mobile_number": phone},
                   headers={"Origin": "http://127.0.0.1.evil.example"}))
    # an origin that differs from ours only by scheme or port is another site
    u = urllib.parse.urlsplit(BASE_URL)
    refused(c.post("register", {"mobile_number": phone},
                   headers={"Origin": "https://%s:%d" % (u.hostname, u.port)}))
    refused(c.post("register", {"mobile_number": phone},
                   headers={"Origin": "http://%s:%d" % (u.hostname, u.port + 1)}))
    nothing_happened_for(phone)


@test
def the_services_own_origin_and_no_origin_are_served_a_foreign_one_not():
    c = Client()
    p_evil, p_own, p_none = fresh_phone(), fresh_phone(), fresh_phone()
    refused(c.post("register", {"mobile_number": p_evil}, headers={"Origin": EVIL}))
    nothing_happened_for(p_evil)
    r = c.post("register", {"mobile_number": p_own}, headers={"Origin": own_origin()})
    check(expect(r, 200)["next_step"] == "otp", r)
    check(len(outbox_entries(p_own)) == 1, outbox_entries(p_own))
    expect(c.post("register", {"mobile_number": p_none}), 200)


@test
def sec_fetch_site_cross_site_without_origin_is_refused():
    c, phone = Client(), fresh_phone()
    refused(c.post("register", {"mobile_number": phone}, headers={"Sec-Fetch-Site": "cross-site"}))
    refused(c.post("register", form={"mobile_number": phone}, headers={"Sec-Fetch-Site": "cross-site"}))
    nothing_happened_for(phone)
    # what a browser says of a same-site or typed-in request is no reason to refuse
    for sfs in ("same-origin", "none"):
        expect(c.post("register", {"mobile_number": fresh_phone()}, headers={"Sec-Fetch-Site": sfs}), 200)
    expect(c.post("register", {"mobile_number": fresh_phone()},
                  headers={"Sec-Fetch-Site": "same-origin", "Origin": own_origin()}), 200)


@test
def origin_null_is_refused():
    # sandboxed iframes, data: URLs and some redirects send "Origin: null"
    c, phone = Client(), fresh_phone()
    refused(c.post("register", {"mobile_number": phone}, headers={"Origin": "null"}))
    refused(c.post("register", form={"mobile_number": phone}, headers={"Origin": "null"}))
    nothing_happened_for(phone)


@test
def a_listed_cors_origin_is_served_an_unlisted_one_refused():
    with Pool({"PHONEAUTH_CORS_ORIGINS": LISTED + ", http://localhost:3000"}, "hard-origin") as url:
        c = Client(base_url=url)
        p_evil = fresh_phone()
        refused(c.post("register", {"mobile_number": p_evil}, headers={"Origin": EVIL}))
        nothing_happened_for(p_evil)
        refused(c.post("register", {"mobile_number": p_evil},
                       headers={"Origin": "https://app.example.ir.evil.example"}))
        nothing_happened_for(p_evil)
        for origin in (LISTED, "http://localhost:3000", own_origin(url)):
            expect(c.post("register", {"mobile_number": fresh_phone()}, headers={"Origin": origin}), 200)
        # a listed Origin is what makes a cross-site request acceptable
        expect(c.post("register", {"mobile_number": fresh_phone()},
                      headers={"Origin": LISTED, "Sec-Fetch-Site": "cross-site"}), 200)
        r = c.post("register", form={"mobile_number": fresh_phone()}, headers={"Origin": LISTED})
        expect(r, 200)
        check(r.header("Access-Control-Allow-Origin") == LISTED, r.headers)


@test
def a_cross_site_login_is_refused_and_issues_no_tokens():
    phone = fresh_phone()
    signup(Client(), phone)
    before = psql("SELECT count(*) FROM refresh_tokens t JOIN users u ON u.id = t.user_id"
                  " WHERE u.mobile_number = :'p'", p=phone)
    c = Client()
    refused(c.post("login", {"mobile_number": phone, "password": PASSWORD}, headers={"Origin": EVIL}))
    refused(c.post("login", form={"mobile_number": phone, "password": PASSWORD},
                   headers={"Sec-Fetch-Site": "cross-site"}))
    after = psql("SELECT count(*) FROM refresh_tokens t JOIN users u ON u.id = t.user_id"
                 " WHERE u.mobile_number = :'p'", p=phone)
    check(before == after, (before, after))
    body = expect(c.post("login", {"mobile_number": phone, "password": PASSWORD},
                         headers={"Origin": own_origin()}), 200)
    check("tokens" in body, body)


@test
def a_cross_site_verify_otp_is_refused_and_the_session_still_waits():
    c, phone = Client(), fresh_phone()
    sid = register(c, phone)["session_id"]
    code = latest_code(phone)
    refused(c.post("verify-otp", {"session_id": sid, "code": code}, headers={"Origin": EVIL}))
    refused(c.post("verify/otp", form={"session_id": sid, "code": code}, headers={"Origin": "null"}))
    check(user_row(phone) is None or not user_row(phone)["password"], user_row(phone))
    body = expect(c.post("verify-otp", {"session_id": sid, "code": code}), 200)
    check(body["next_step"] == "set_password", body)


@test
def a_get_with_a_foreign_origin_is_unaffected_but_its_post_is_not():
    c = Client()
    for origin in (EVIL, "null"):
        r = c.get("health", headers={"Origin": origin})
        check(r.status == 200 and r.json["status"] == "ok", (origin, r))
    refused(c.post("register", {"mobile_number": fresh_phone()}, headers={"Origin": EVIL}))


# ---- CORS, for the origins of cors_origins ----


@test
def a_listed_origin_gets_its_preflight_and_its_answers_name_it():
    with Pool({"PHONEAUTH_CORS_ORIGINS": ORIGINS}, "cors") as url:
        c = Client(base_url=url)
        r = preflight(c, "https://app.example.ir")
        check(r.status == 204 and r.body == b"", r)
        check(r.header("Access-Control-Allow-Origin") == "https://app.example.ir", r.headers)
        check(r.header("Access-Control-Allow-Methods") == "POST, OPTIONS", r.headers)
        check(r.header("Access-Control-Allow-Headers") == "Content-Type, Authorization, Accept-Language",
              r.headers)
        check(int(r.header("Access-Control-Max-Age")) > 0, r.headers)
        check(r.header("Vary") == "Origin", r.headers)
        r = preflight(c, "http://localhost:3000", "me", "GET")
        check(r.header("Access-Control-Allow-Origin") == "http://localhost:3000", r.headers)
        check(r.header("Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS", r.headers)
        # the actual requests, successes and errors alike
        for r in (c.post("register", {"mobile_number": fresh_phone()}, headers={"Origin": "https://app.example.ir"}),
                  c.post("register", {"mobile_number": "1"}, headers={"Origin": "https://app.example.ir"}),
                  c.get("nope", headers={"Origin": "https://app.example.ir"})):
            check(r.header("Access-Control-Allow-Origin") == "https://app.example.ir", (r, r.headers))
            check(r.header("Vary") == "Origin", r.headers)


@test
def an_unlisted_origin_gets_no_cors_header():
    with Pool({"PHONEAUTH_CORS_ORIGINS": ORIGINS}, "cors") as url:
        c = Client(base_url=url)
        for origin in ("https://evil.example", "https://app.example.ir.evil.example", "null",
                       "https://APP.example.ir"):
            for r in (preflight(c, origin), c.post("register", {"mobile_number": "1"},
                                                    headers={"Origin": origin})):
                check(not any(k.startswith("access-control-") for k in r.headers), (origin, r.headers))
                check(r.header("Access-Control-Allow-Origin") != "*", r.headers)


@test
def without_cors_origins_there_is_no_cors_at_all():
    c = Client()
    r = preflight(c, "https://app.example.ir")
    check(r.status == 204 and r.header("Allow") == "POST, OPTIONS", r)
    check(not any(k.startswith("access-control-") for k in r.headers), r.headers)
    expect(c.request("OPTIONS", "nope"), 404, "not_found")


@test
def a_wildcard_or_a_path_in_cors_origins_stops_the_program():
    from pa import admin
    for bad in ("*", "https://app.example.ir/", "app.example.ir"):
        r = admin("check", env={"PHONEAUTH_CORS_ORIGINS": bad})
        check(r.returncode == 2 and "cors_origins" in r.stderr, (bad, r.stderr))


if __name__ == "__main__":
    run()
