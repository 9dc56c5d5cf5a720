"""The handlers, driven over FastCGI with no web server in front (as kcgi's
kcgiregress and lighttpd's tests/fcgi-responder.c do): a worker of the
program under test on a socket of its own (pa.Worker: spawn-fcgi and
multiwatch, the stack's Redis and PostgreSQL), and requests sent to it as a
web server would (pa.FcgiClient: REQUEST_METHOD, REQUEST_URI, REMOTE_ADDR,
CONTENT_TYPE, CONTENT_LENGTH, HTTP_* params, the body on FCGI_STDIN). Each
answer is read as the HTTP tests read theirs (the Status header, the JSON
body) and checked against openapi/openapi.json like every other.

A handler test that is about the handler, not about a web server, belongs
here: it needs no lighttpd, and it sets any client address (REMOTE_ADDR)
and any header (X-Forwarded-For, Origin, Host) without a proxy. To add one:

    @test
    def what_the_handler_does():
        c = W.client()                      # a fresh client address
        r = c.post("register", {"mobile_number": fresh_phone()})
        expect(r, 200)

For other settings, a Worker of its own (PHONEAUTH_<KEY> in its env):
`with Worker({"PHONEAUTH_MAX_BODY_BYTES": "1024"}, "fcgi-small") as w:
w.client()...`. For a raw exchange (a body that never ends, the authorizer
role, params no HTTP request would make), tests/lib/fcgi_client.py."""

import json
import random
import re
import time

from pa import (UUID4, Worker, check, check_headers, expect, fresh_ip, fresh_phone, latest_code,
                outbox_entries, psql, run, signup, test, user_row, wait_for)
import fcgi_client  # noqa: E402  (tests/lib, which pa puts on the path)

PASSWORD = "correct horse battery"
PERSIAN = re.compile("[\u0600-\u06ff]")
W = None        # the suite's worker (the stack's settings), started below


@test
def register_opens_a_session_and_queues_a_code_without_a_row():
    c, phone = W.client(), fresh_phone()
    r = c.post("register", {"mobile_number": phone})
    body = expect(r, 200)
    check_headers(r)
    check(body["next_step"] == "otp" and UUID4.match(body["session_id"]) and body["message"], body)
    sent = outbox_entries(phone)
    check(len(sent) == 1 and sent[0]["purpose"] == "register" and re.fullmatch(r"[0-9]{6}", sent[0]["code"]),
          sent)
    check(user_row(phone) is None, "a users row before the code was verified")
    # a form body, as a browser's form sends it, is the same request
    body = expect(W.client().post("register", form={"mobile_number": fresh_phone()}), 200)
    check(body["next_step"] == "otp", body)


@test
def verify_otp_takes_the_code_once_and_counts_a_wrong_one():
    c, phone = W.client(), fresh_phone()
    sid = expect(c.post("register", {"mobile_number": phone}), 200)["session_id"]
    code = latest_code(phone)
    wrong = "%06d" % ((int(code) + 1) % 1000000)
    expect(c.post("verify-otp", {"session_id": sid, "code": wrong}), 400, "otp_invalid")
    check(wait_for(lambda: psql("SELECT kind FROM failed_attempts WHERE ip = :'ip'::inet", ip=c.ip)
                   == [["code"]], 5), "the wrong code was not audited against REMOTE_ADDR %s" % c.ip)
    body = expect(c.post("verify/otp", {"session_id": sid, "code": code}), 200)
    check(body == {"session_id": sid, "next_step": "set_password", "message": body["message"]}, body)
    row = user_row(phone)
    check(row is not None and row["is_verified"] and row["password"] == "", row)
    body = expect(c.post("verify-otp", {"session_id": sid, "code": code}), 409, "wrong_step")
    check(body["next_step"] == "set_password", body)


@test
def a_whole_sign_up_then_a_login_answer_tokens():
    c, phone = W.client(), fresh_phone()
    tokens = signup(c, phone, PASSWORD)
    check(tokens["token_type"] == "Bearer" and tokens["access_token"].count(".") == 2, tokens)
    body = expect(c.post("login", {"mobile_number": phone, "password": PASSWORD}), 200)
    check(set(body["tokens"]) == {"access_token", "refresh_token", "token_type", "expires_in"}, body)
    me = expect(c.get("me", headers={"Authorization": "Bearer " + body["tokens"]["access_token"]}), 200)
    check(me["mobile_number"] == phone and me["id"] == user_row(phone)["id"], me)
    expect(W.client().post("login", {"mobile_number": phone, "password": "not the password"}), 401,
           "password_incorrect")


@test
def errors_are_the_error_tables_answers_in_the_clients_language():
    for lang in ("en", "fa"):
        r = W.client(lang=lang).post("register", {"mobile_number": "12"})
        body = expect(r, 400, "validation_failed")
        check_headers(r)
        check(set(body) == {"error", "message", "fields"} and list(body["fields"]) == ["mobile_number"], body)
        check(bool(PERSIAN.search(body["message"])) == (lang == "fa"), (lang, body))
    expect(W.client().post("verify-otp", {"session_id": "3f1b5c1e-8d2a-4e7b-9c3d-2a1b0c9d8e7f",
                                          "code": "123456"}), 400, "session_invalid")
    r = W.client().request("POST", "register", b"{not json", {"Content-Type": "application/json"})
    expect(r, 400, "invalid_json")
    expect(W.client().request("POST", "register", b"mobile_number=1", {"Content-Type": "text/plain"}), 415,
           "unsupported_media_type")
    expect(W.client().get("nothing-here"), 404, "not_found")


@test
def a_method_the_route_does_not_take_is_405_with_allow():
    r = W.client().get("register")
    expect(r, 405, "method_not_allowed")
    check(r.header("Allow") == "POST, OPTIONS", r.headers)
    check_headers(r)
    r = W.client().request("DELETE", "health")
    expect(r, 405, "method_not_allowed")
    check(r.header("Allow") == "GET, HEAD, OPTIONS", r.headers)
    r = W.client().request("OPTIONS", "register")
    check(r.status == 204 and r.header("Allow") == "POST, OPTIONS", (r, r.headers))


@test
def a_body_over_max_body_bytes_is_413_unread():
    limit = 16384      # max_body_bytes
    ct = {"Content-Type": "application/json"}
    expect(W.client().request("POST", "register", b"{" + b" " * (limit - 2) + b"}", ct), 400,
           "validation_failed")
    for size in (limit + 1, 1 << 20):
        r = W.client().request("POST", "register", b"{" + b" " * (size - 2) + b"}", ct)
        expect(r, 413, "payload_too_large")
        check_headers(r)
    # a length that claims too much is refused before a byte of the body
    # is read: at once, although the body never comes
    conn = fcgi_client.FastCGI(W.sock, timeout=10)
    try:
        params = W.client().params("POST", "/api/register", None, dict(ct, **{"Content-Length": "20000"}))
        t0 = time.monotonic()
        conn.begin(params, stdin=b'{"a": 1}', end_stdin=False)
        status, headers, body = conn.response()
        elapsed = time.monotonic() - t0
    finally:
        conn.close()
    check(status == 413 and json.loads(body)["error"] == "payload_too_large", (status, body))
    check(elapsed < 2, "answered after %.1f s: the worker waited for the body" % elapsed)


@test
def x_forwarded_for_is_the_client_only_behind_a_trusted_proxy():
    # No trusted proxy (the stack's settings): X-Forwarded-For is the
    # client's word, and the failures count against REMOTE_ADDR.
    c = W.client()
    for i in range(3):
        expect(c.post("register", {"mobile_number": "0912"},
                      headers={"X-Forwarded-For": "198.51.100.%d" % i}), 400, "validation_failed")
    expect(c.post("register", {"mobile_number": fresh_phone()}, headers={"X-Forwarded-For": "198.51.100.99"}),
           429, "too_many_attempts")
    # REMOTE_ADDR a trusted proxy: the forwarded address is the client
    with Worker({"PHONEAUTH_TRUSTED_PROXIES": "127.0.0.0/8"}, "fcgi-proxy") as w:
        proxy = fresh_ip()
        # addresses of this run's own (test_limits_blocking.py takes 198.18/16)
        n = random.randint(0, 255)
        client, other = "198.19.%d.5" % n, "198.19.%d.6" % n
        since = psql("SELECT now()")[0][0]
        for _ in range(3):
            expect(w.client(ip=proxy).post("register", {"mobile_number": "0912"},
                                           headers={"X-Forwarded-For": client}), 400, "validation_failed")
        expect(w.client(ip=proxy).post("register", {"mobile_number": fresh_phone()},
                                       headers={"X-Forwarded-For": client}), 429, "too_many_attempts")
        # another client behind the same proxy, and the proxy's own address, are not blocked
        expect(w.client(ip=proxy).post("register", {"mobile_number": fresh_phone()},
                                       headers={"X-Forwarded-For": other}), 200)
        expect(w.client(ip=proxy).post("register", {"mobile_number": fresh_phone()}), 200)
        # a left-most entry the client wrote itself does not help it
        expect(w.client(ip=proxy).post("register", {"mobile_number": fresh_phone()},
                                       headers={"X-Forwarded-For": "1.2.3.4, " + client}), 429,
               "too_many_attempts")
        check(wait_for(lambda: psql("SELECT count(*) FROM failed_attempts WHERE ip = :'ip'::inet"
                                    " AND at >= :'t'", ip=client, t=since) == [["3"]], 5),
              "the failures were not audited against the forwarded address")


@test
def the_authorizer_role_lets_a_live_access_token_through_with_the_user():
    phone = fresh_phone()
    tokens = signup(W.client(), phone, PASSWORD)
    uid = str(user_row(phone)["id"])
    guard = W.client(role=fcgi_client.AUTHORIZER)
    # the request the web server asks about is any page of its own
    r = guard.request("GET", "/members/index.html", headers={"Authorization": "Bearer " + tokens["access_token"]})
    check(r.status == 200 and r.body == b"", (r, r.headers))
    check(r.header("Variable-PHONEAUTH_USER_ID") == uid and r.header("Variable-PHONEAUTH_MOBILE") == phone,
          r.headers)
    for headers in ({}, {"Authorization": "Bearer " + tokens["refresh_token"]},
                    {"Authorization": "Bearer x.y.z"}):
        r = guard.request("GET", "/members/index.html", headers=headers)
        check(r.status == 401 and (r.json or {}).get("error") == "token_invalid", (headers, r))
        check(r.header("WWW-Authenticate") == 'Bearer error="invalid_token"', r.headers)


if __name__ == "__main__":
    with Worker({}, "fcgi-handlers") as W:
        run()
