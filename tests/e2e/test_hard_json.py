"""Strict JSON (RFC 8259): what json-c lets through in its own modes
(NaN, Infinity, "1.", raw control characters inside strings) is 400
invalid_json like any other malformed body, while every valid edge case
(whitespace around the value, escaped non-ASCII digits, nested values of
every type) is read and answered on its fields.

How to run this file (or any tests/e2e/test_hard_*.py) alone, against a
private stack (the same environment tests/run.sh exports; the ports here
are an example, use your own):

    export PHONEAUTH_OTP_COOLDOWN=0 PHONEAUTH_PBKDF2_ITERATIONS=100000
    export STATE_DIR=$PWD/var/test HTTP_PORT=28480 REDIS_PORT=26779 PG_PORT=25832
    export WORKERS=2 APP_BIN=$PWD/build/asan/phoneauth QUIET=1
    make build/asan/phoneauth && mkdir -p $STATE_DIR/asan && scripts/stack.sh start
    export PA_BASE_URL=http://127.0.0.1:$HTTP_PORT/api PA_HTTP_PORT=$HTTP_PORT
    export PA_REDIS_HOST=127.0.0.1 PA_REDIS_PORT=$REDIS_PORT PA_REDIS_PREFIX=phoneauth:
    export PA_REDIS_PASSWORD=$(head -n 1 $STATE_DIR/redis.pass)
    export PA_PG_URL=postgresql://phoneauth:$(head -n 1 $STATE_DIR/pg.pass)@127.0.0.1:$PG_PORT/phoneauth
    export PA_CONF=$STATE_DIR/phoneauth.conf PA_STATE_DIR=$STATE_DIR
    export PA_STACK=$PWD/scripts/stack.sh PA_APP_BIN=$APP_BIN PA_REPO=$PWD
    /usr/bin/python3 tests/e2e/test_hard_json.py
    scripts/stack.sh stop          # same STATE_DIR and ports
"""

from pa import Client, check, fresh_phone, run, test

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


if __name__ == "__main__":
    run()
