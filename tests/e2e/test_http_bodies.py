"""Request bodies, whatever the route (request.c): strict JSON (RFC 8259),
form bodies' bytes, content types, the size limit (max_body_bytes, 16384)
and its JSON 413 however it is sent, bodies that arrive slowly and bodies
that never arrive (body_timeout). Every answer is the contract's JSON, and
nothing a client sends crashes a worker (tests/run.sh also checks that the
workers alive at the start are the ones alive at the end).

What json-c lets through in its own modes (NaN, Infinity, "1.", raw control
characters inside strings) is 400 invalid_json like any other malformed
body, while every valid edge case (whitespace around the value, escaped
non-ASCII digits, nested values of every type) is read and answered on its
fields.

Slow clients never hold a worker (the stack's lighttpd, two workers):
lighttpd buffers every body the workers will read, so while a dozen
connections send their bodies one byte every two seconds, health and
register still answer at once. (The same through every front end of conf/:
test_frontend_bodies.py; the checks both run: bodies.py.) A worker that is
handed a body which never completes (no web server in front, or one that
streams) gives up after body_timeout with 408."""

import json
import os
import random
import socket
import time
import urllib.parse

from bodies import (BYTE_EVERY, QUICK, SlowBodies, oversized_bodies_get_the_json_413, quick_while_slow_bodies,
                    request)
from pa import BASE_URL, Client, Pool, check, check_headers, expect, fresh_ip, fresh_phone, run, test
from fcgi_client import FastCGI  # noqa: E402  (tests/lib, which pa puts on the path)


def post_raw(body, content_type="application/json", headers=None):
    h = {"Content-Type": content_type} if content_type else {}
    h.update(headers or {})
    return Client().post("register", raw=body, headers=h)


JSON = {"Content-Type": "application/json"}


# Every one of these is not an RFC 8259 JSON object.
MALFORMED = [
    b"{'mobile_number': '09121234567'}",
    b'{"mobile_number": NaN}',
    b'{"a": Infinity}',
    b'{"a": -Infinity}',
    b'{"mobile_number": "09121234567",}',
    b'{"a":1} x',
    b'{"a":1}{"b":2}',
    b'/* c */ {"a":1}',
    b'{"a":1} // c',
    b'{"a": 01}',
    b'{"a": .5}',
    b'{"a": 1.}',
    b'{"a": +1}',
    b'{"a": 0x10}',
    b'{"a": "\\x"}',
    b'{"a": "tab\tinside"}',
    b'{"a": tru}',
    b'{a: 1}',
    b'[1]',
    b'"str"',
]


def answer(body):
    # a fresh address each time: some of these answers are failures that count
    r = Client().post("register", raw=body, headers=JSON)
    return r.status, (r.json or {}).get("error")


def refused_as_invalid_json(bodies):
    wrong = []
    for b in bodies:
        got = answer(b)
        if got != (400, "invalid_json"):
            wrong.append((b, got))
    check(not wrong, "not 400 invalid_json: %r" % wrong)


def persian(phone):
    return "".join("\\u%04x" % (0x06F0 + int(d)) for d in phone)


def valid_edge_cases_are_read():
    """Valid JSON at its edges is parsed and answered on its fields."""
    p1, p2, p3 = fresh_phone(), fresh_phone(), fresh_phone()
    cases = [
        (b' \n\t {"mobile_number": "%s"} \r\n\n' % p1.encode(), 200),
        (('{"mobile_number":"%s"}' % persian(p2)).encode(), 200),
        (b'{"x": [1, 2.5e-3, -0, true, false, null, {"y": {}}], "mobile_number": "%s"}' % p3.encode(), 200),
        # a field's rule, not the parser, refuses this one
        (b'{"x": [1, 2.5e-3, -0, true, false, null, {"y": {}}], "mobile_number": "0912"}', 400),
    ]
    for body, status in cases:
        r = Client().post("register", raw=body, headers=JSON)
        if status == 200:
            check(r.status == 200 and r.json.get("next_step") == "otp", (body, r))
        else:
            check(r.status == 400 and r.json.get("error") == "validation_failed"
                  and "mobile_number" in r.json.get("fields", {}), (body, r))


STATE = os.environ.get("PA_STATE_DIR", "/tmp")


def register_params(length, ip):
    return {"REQUEST_METHOD": "POST", "REQUEST_URI": "/api/register", "SCRIPT_NAME": "/api/register",
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(length),
            "REMOTE_ADDR": ip, "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1",
            "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80"}


def gives_up_on_a_missing_body(sock, limit):
    ip = fresh_ip()
    stuck = FastCGI(sock, timeout=limit + 2)
    try:
        t0 = time.monotonic()
        stuck.begin(register_params(100, ip), stdin=b'{"mobile_nu', end_stdin=False)
        try:
            status, headers, body = stuck.response()
        except socket.timeout:
            raise AssertionError("no answer %.1f s after a body of 11 of 100 bytes (body_timeout %d s)"
                                 % (time.monotonic() - t0, limit))
        elapsed = time.monotonic() - t0
    finally:
        stuck.close()
    check(status == 408, (status, headers, body))
    check(headers.get("content-type", "").startswith("application/json"), headers)
    check(json.loads(body)["error"] == "request_timeout", body)
    check(limit - 0.5 <= elapsed <= limit + 2, "answered after %.1f s (body_timeout %d s)" % (elapsed, limit))
    # the one worker serves the next request
    nxt = FastCGI(sock, timeout=10)
    try:
        phone = fresh_phone()
        data = ('{"mobile_number": "%s"}' % phone).encode()
        nxt.begin(register_params(len(data), fresh_ip()), stdin=data)
        status, _h, body = nxt.response()
        check(status == 200 and b"session_id" in body, (status, body))
    finally:
        nxt.close()


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


# ---- strict JSON: what json-c would let through ----


@test
def nan_and_infinity_are_invalid_json():
    refused_as_invalid_json([b'{"mobile_number": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}',
                             b'{"a": [1, NaN]}', b'{"a": -nan}', b'{"a": infinity}'])


@test
def a_number_ending_in_a_dot_is_invalid_json():
    refused_as_invalid_json([b'{"a": 1.}', b'{"a": [1., 2]}', b'{"a": 1.e5}', b'{"a": -0.}'])


@test
def a_raw_control_character_inside_a_string_is_invalid_json():
    refused_as_invalid_json([b'{"a": "tab\tinside"}', b'{"a": "line\nbreak"}',
                             b'{"a": "nul\x01byte"}', b'{"mobile_number": "0912\x1f1234567"}',
                             b'{"a\tb": "key with a tab"}'])


@test
def every_malformed_body_is_invalid_json_and_valid_edges_are_read():
    refused_as_invalid_json(MALFORMED)
    valid_edge_cases_are_read()


# ---- content types ----


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


# ---- the size limit ----


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
def oversized_bodies_get_phoneauths_json_413():
    oversized_bodies_get_the_json_413(BASE_URL)


# ---- slow bodies: buffered by lighttpd, never holding a worker ----


@test
def health_and_register_answer_at_once_while_bodies_trickle_in():
    quick_while_slow_bodies(BASE_URL)


@test
def the_slow_requests_are_served_once_their_bodies_are_complete():
    # buffered, not lost: a slow body that does finish gets its answer
    body = json.dumps({"mobile_number": fresh_phone()}).encode()

    def slowly():
        for i in range(0, len(body), 8):
            yield body[i:i + 8]
            time.sleep(0.2)
    st, _, answer, secs = request(BASE_URL, "POST", "register", slowly(),
                                  {"Content-Type": "application/json", "Content-Length": str(len(body))},
                                  timeout=30)
    check(st == 200 and json.loads(answer)["next_step"] == "otp", (st, answer))
    check(secs >= 0.2 * (len(body) // 8), "the body was not sent slowly (%.2f s)" % secs)


@test
def bodies_announced_too_large_are_refused_at_once_while_trickling():
    # a dozen slow senders that announce a megabyte: each gets its 413 at
    # once, from the Content-Length, and holds nothing
    with SlowBodies(BASE_URL, declared=1 << 20, chunked=False) as slow:
        for s in slow.socks:
            s.settimeout(QUICK + BYTE_EVERY)
            head = s.recv(4096)
            check(head.startswith(b"HTTP/1.1 413 "), head[:200])
        st, _, body, secs = request(BASE_URL, "GET", "health")
        check(st == 200 and secs < QUICK, (st, secs, body))


# ---- a body that never arrives ----


@test
def a_worker_gives_up_on_a_body_after_body_timeout():
    with Pool({"PHONEAUTH_BODY_TIMEOUT": "2"}, "hard-misc-body", workers=1) as url:
        r = Client(base_url=url).get("health")
        check(r.status == 200 and r.json is not None,
              "the pool with PHONEAUTH_BODY_TIMEOUT=2 does not serve (its worker did not start?): %d %r"
              % (r.status, r.body[:60]))
        gives_up_on_a_missing_body(os.path.join(STATE, "pools", "hard-misc-body", "run", "phoneauth.sock"), 2)
        # and through lighttpd as well
        expect(Client(base_url=url).post("register", {"mobile_number": fresh_phone()}), 200)


@test
def by_default_a_worker_gives_up_on_a_body_after_5_s():
    with Pool({}, "hard-misc-body-default", workers=1) as url:
        gives_up_on_a_missing_body(os.path.join(STATE, "pools", "hard-misc-body-default", "run",
                                                "phoneauth.sock"), 5)
        expect(Client(base_url=url).post("register", {"mobile_number": fresh_phone()}), 200)


if __name__ == "__main__":
    run()
