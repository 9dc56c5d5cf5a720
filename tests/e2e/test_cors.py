"""CORS for the origins of cors_origins, and for no other."""

from pa import Client, Pool, check, expect, fresh_phone, run, test

ORIGINS = "https://app.example.ir, http://localhost:3000"


def preflight(c, origin, route="register", method="POST"):
    return c.request("OPTIONS", route, None, {"Origin": origin, "Access-Control-Request-Method": method,
                                              "Access-Control-Request-Headers": "content-type"})


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
