"""Odds and ends of the contract: old audit rows are swept, a log SMS
driver is warned about, auth-check's 204 carries the headers of every
answer, and a worker gives up on a body that does not arrive.
(How to run one file alone: see test_hard_json.py.)"""

import json
import os
import random
import re
import socket
import struct
import subprocess
import time

from pa import (Client, Pool, admin, check, expect, fresh_ip, fresh_phone, psql, register, run,
                signup, stop_process, test, wait_for)

STATE = os.environ.get("PA_STATE_DIR", "/tmp")


# ---- (a) the audit table is swept ----

@test
def failed_attempts_older_than_audit_retention_days_are_swept():
    tag = "sweep-%d-%d" % (os.getpid(), random.randint(0, 10**6))
    psql("INSERT INTO failed_attempts (ip, mobile_number, kind, at)"
         " SELECT '192.0.2.1', :'old', 'code', now() - interval '91 days' FROM generate_series(1, 5);"
         " INSERT INTO failed_attempts (ip, mobile_number, kind, at)"
         " SELECT '192.0.2.1', :'young', 'code', now() - interval '89 days' FROM generate_series(1, 5)",
         old=tag + "-91", young=tag + "-89")

    def count(which):
        return int(psql("SELECT count(*) FROM failed_attempts WHERE mobile_number = :'m'",
                        m=tag + which)[0][0])
    check(count("-91") == 5 and count("-89") == 5, "rows not inserted")
    # Fresh workers: each sweeps when it first writes its audit batch. (An
    # extra pool rather than `stack.sh restart-pool`: tests/run.sh checks
    # that the main pool's workers outlive the tests.)
    with Pool({}, "hard-misc-sweep") as url:
        c = Client(base_url=url)
        phone = fresh_phone()
        sid = register(c, phone)["session_id"]
        expect(c.post("verify-otp", {"session_id": sid, "code": "000000"}), 400, "otp_invalid")
        # the failure itself is recorded (the batch was written) ...
        check(wait_for(lambda: psql("SELECT count(*) FROM failed_attempts WHERE mobile_number = :'p'",
                                    p=phone) == [["1"]], 5), "the wrong code was not audited")
        # ... and with it the rows past audit_retention_days (90) went, the others stayed
        check(wait_for(lambda: count("-91") == 0, 3), "%d rows of 91 days are still there" % count("-91"))
        check(count("-89") == 5, "rows of 89 days were swept too: %d left" % count("-89"))


# ---- (b) the log SMS driver is warned about ----

def warns_about_sms_driver(text):
    return any("warning" in l.lower() and "sms_driver" in l.lower() for l in text.splitlines())


@test
def check_warns_that_the_log_driver_sends_no_sms():
    r = admin("check", env={"PHONEAUTH_SMS_DRIVER": "log"})
    check(r.returncode == 0, (r.returncode, r.stdout, r.stderr))
    check(warns_about_sms_driver(r.stdout + r.stderr),
          "no warning naming sms_driver with the log driver: %r" % (r.stdout + r.stderr))
    r = admin("check", env={"PHONEAUTH_SMS_DRIVER": "command", "PHONEAUTH_SMS_COMMAND": "/bin/true"})
    check(r.returncode == 0, (r.returncode, r.stdout, r.stderr))
    check(not warns_about_sms_driver(r.stdout + r.stderr),
          "a sms_driver warning with the command driver: %r" % (r.stdout + r.stderr))


@test
def the_sender_with_the_log_driver_warns_at_start():
    log = os.path.join(STATE, "hard-misc-sender-%d.log" % os.getpid())
    env = {"PHONEAUTH_REDIS_PREFIX": "hardmisc-%d:" % os.getpid(), "PHONEAUTH_SMS_DRIVER": "log"}
    p = subprocess.Popen([os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"], "sender"],
                         env=dict(os.environ, **env), stdin=subprocess.DEVNULL,
                         stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        check(wait_for(lambda: "ready" in open(log).read(), 10), open(log).read())

        def warned():
            return [l for l in open(log).read().splitlines()
                    if re.search(r"phoneauth\[\d+\] warn: ", l) and re.search(r"sms|driver", l, re.I)]
        check(wait_for(warned, 5), "no warn line about the log driver at start: %r" % open(log).read())
    finally:
        stop_process(p)


# ---- (c) auth-check's 204 has the headers of every answer ----

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


# ---- (d) a body that never arrives ----

FCGI_BEGIN_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT = 1, 3, 4, 5, 6


def fcgi_record(kind, content, request_id=1):
    return struct.pack(">BBHHBB", 1, kind, request_id, len(content), 0, 0) + content


def fcgi_pair(name, value):
    def length(n):
        return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)
    name, value = name.encode(), value.encode()
    return length(len(name)) + length(len(value)) + name + value


class FastCGI:
    """A minimal FastCGI client on a worker pool's unix socket."""

    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)

    def begin(self, params, stdin=b"", end_stdin=True):
        out = fcgi_record(FCGI_BEGIN_REQUEST, struct.pack(">HB5x", 1, 0))  # responder, no keep-conn
        out += fcgi_record(FCGI_PARAMS, b"".join(fcgi_pair(k, v) for k, v in params.items()))
        out += fcgi_record(FCGI_PARAMS, b"")
        if stdin:
            out += fcgi_record(FCGI_STDIN, stdin)
        if end_stdin:
            out += fcgi_record(FCGI_STDIN, b"")
        self.sock.sendall(out)

    def response(self):
        """(status, headers, body) once the worker ends the request; raises
        socket.timeout if it does not within the timeout."""
        buf, stdout = b"", b""
        while True:
            while len(buf) >= 8:
                _v, kind, _id, clen, plen, _r = struct.unpack(">BBHHBB", buf[:8])
                if len(buf) < 8 + clen + plen:
                    break
                content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
                if kind == FCGI_STDOUT:
                    stdout += content
                elif kind == FCGI_END_REQUEST:
                    head, _, body = stdout.partition(b"\r\n\r\n")
                    headers = {}
                    for line in head.decode("latin-1").split("\r\n"):
                        if ":" in line:
                            k, v = line.split(":", 1)
                            headers[k.strip().lower()] = v.strip()
                    status = int(headers.get("status", "200").split()[0])
                    return status, headers, body
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the worker closed the connection without ending the request")
            buf += chunk

    def close(self):
        self.sock.close()


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
