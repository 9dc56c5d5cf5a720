"""HTTP conventions and bad input: every answer is the contract's JSON, and
nothing a client sends crashes a worker (tests/run.sh also checks that the
workers alive at the start are the ones alive at the end)."""

import json
import random
import socket
import urllib.parse

from pa import BASE_URL, Client, check, expect, fresh_ip, fresh_phone, run, test


def check_headers(r):
    check(r.header("Content-Type") == "application/json; charset=utf-8", r.headers)
    check(r.header("Cache-Control") == "no-store", r.headers)
    check(r.header("X-Content-Type-Options") == "nosniff", r.headers)
    check(r.json is not None, "body is not JSON: %r" % r.body[:200])
    if r.status >= 400:
        check(isinstance(r.json.get("error"), str) and isinstance(r.json.get("message"), str), r.json)


def post_raw(body, content_type="application/json", headers=None):
    h = {"Content-Type": content_type} if content_type else {}
    h.update(headers or {})
    return Client().post("register", raw=body, headers=h)


@test
def invalid_json_is_invalid_json():
    for body in (b"{", b"{\"mobile_number\": }", b"not json", b"{\"a\":1} trailing",
                 b"{'single': 'quotes'}", b"{\"a\":1}{\"b\":2}", b"\xef\xbb\xbf{}"):
        r = post_raw(body)
        expect(r, 400, "invalid_json")
        check_headers(r)


@test
def json_that_is_not_an_object_is_invalid_json():
    for body in (b"[]", b"[\"09121234567\"]", b"\"09121234567\"", b"9121234567", b"null", b"true"):
        expect(post_raw(body), 400, "invalid_json")


@test
def invalid_utf8_in_json_is_invalid_json():
    for body in (b"{\"mobile_number\": \"\xff\xfe\"}", b"{\"mobile_number\": \"\xc0\xaf\"}",
                 b"{\"mobile_number\": \"\xed\xa0\x80\"}", b"{\"m\xe9\": \"x\"}"):
        expect(post_raw(body), 400, "invalid_json")


@test
def nul_bytes_are_refused():
    expect(post_raw(b"{\"mobile_number\": \"0912\x001234567\"}"), 400, "invalid_json")
    r = post_raw(json.dumps({"mobile_number": "0912\u00001234567"}).encode())
    expect(r, 400, "validation_failed")


@test
def deep_nesting_is_invalid_json():
    expect(post_raw(b"{\"a\":" * 2000 + b"1" + b"}" * 2000), 400, "invalid_json")
    expect(post_raw(b"[" * 6000), 400, "invalid_json")


@test
def binary_garbage_never_crashes_a_worker():
    rnd = random.Random(7)
    for i in range(60):
        body = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 3000)))
        for ct in ("application/json", "application/x-www-form-urlencoded"):
            r = post_raw(body, ct)
            check(r.status in (400, 429), r)
            check_headers(r)
    expect(Client().get("health"), 200)


@test
def body_over_the_limit_is_payload_too_large():
    big = json.dumps({"mobile_number": "09121234567", "pad": "x" * 17000}).encode()
    r = post_raw(big)
    expect(r, 413, "payload_too_large")
    check_headers(r)
    expect(post_raw(b"{" + b" " * 16382 + b"}"), 400, "validation_failed")  # exactly 16384: allowed
    expect(post_raw(b"{" + b" " * 16383 + b"}"), 413, "payload_too_large")


@test
def a_one_megabyte_body_is_refused_with_the_json_413():
    r = post_raw(b"a" * (1 << 20), "application/x-www-form-urlencoded")
    expect(r, 413, "payload_too_large")
    check_headers(r)


@test
def content_length_that_claims_too_much_is_refused_unread():
    # Declare 20000 bytes, send 10: the answer must come without the rest.
    u = urllib.parse.urlsplit(BASE_URL)
    s = socket.create_connection((u.hostname, u.port), timeout=10, source_address=(fresh_ip(), 0))
    try:
        s.sendall(("POST %s/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   "Content-Length: 20000\r\nConnection: close\r\n\r\n{\"a\": 1}  " % u.path).encode())
        head = s.recv(4096).split(b"\r\n", 1)[0]
    finally:
        s.close()
    check(b" 413 " in head, head)


@test
def other_content_types_are_unsupported_media_type():
    for ct in ("text/plain", "multipart/form-data; boundary=x", "application/xml",
               "application/json; charset=latin1", None):
        r = post_raw(b"{\"mobile_number\": \"09121234567\"}", ct)
        expect(r, 415, "unsupported_media_type")
        check_headers(r)


@test
def json_content_type_parameters_are_accepted():
    r = post_raw(json.dumps({"mobile_number": fresh_phone()}).encode(), "Application/JSON; charset=UTF-8")
    expect(r, 200)


@test
def empty_body_is_validation_failed_not_a_crash():
    for ct in ("application/json", "text/plain", None):
        expect(post_raw(b"", ct), 400, "validation_failed")


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
def every_answer_carries_the_json_headers():
    c = Client()
    for r in (c.get("health"), c.post("register", {"mobile_number": fresh_phone()}),
              Client().post("verify-otp", {"session_id": "x", "code": "123456"}),
              Client().post("login", {"mobile_number": fresh_phone(), "password": "whatever123"})):
        check_headers(r)
        check(r.status != 500, r)


if __name__ == "__main__":
    run()
