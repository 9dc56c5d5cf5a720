"""Slow and oversized request bodies against one front end (a base URL):
the checks test_http_bodies.py runs through the stack's lighttpd and
test_frontend_bodies.py through every front-end set-up of conf/."""

import http.client
import json
import socket
import threading
import time
import urllib.parse

from pa import check, fresh_ip, fresh_phone

SLOW_CONNECTIONS = 12
BYTE_EVERY = 2.0      # seconds between two bytes of a slow body
QUICK = 1.0           # what "answers at once" means, in seconds
LIMIT = 16384         # max_body_bytes, and every front end's limit


def request(base_url, method, route, body=None, headers=None, timeout=10):
    """(status, headers, body, seconds) of one request on its own connection."""
    u = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout, source_address=(fresh_ip(), 0))
    t0 = time.monotonic()
    try:
        conn.request(method, u.path.rstrip("/") + "/" + route, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data, time.monotonic() - t0
    finally:
        conn.close()


class SlowBodies:
    """SLOW_CONNECTIONS POSTs whose bodies trickle in, one byte every
    BYTE_EVERY seconds, never finishing while the checks run; a third of
    them chunked (unless chunked=False). Use as a context manager."""

    def __init__(self, base_url, route="register", count=SLOW_CONNECTIONS, declared=200, chunked=True):
        self.u = urllib.parse.urlsplit(base_url)
        self.route = route
        self.count = count
        self.declared = declared
        self.chunked = chunked
        self.stop = threading.Event()
        self.socks = []
        self.threads = []
        self.errors = []

    def _trickle(self, s, chunked):
        try:
            while not self.stop.is_set():
                s.sendall(b"1\r\n \r\n" if chunked else b" ")
                self.stop.wait(BYTE_EVERY)
        except OSError as e:  # the server gave up on us: what a front end may do
            self.errors.append(e)

    def __enter__(self):
        path = self.u.path.rstrip("/") + "/" + self.route
        for i in range(self.count):
            chunked = self.chunked and i % 3 == 2
            s = socket.create_connection((self.u.hostname, self.u.port), timeout=10,
                                         source_address=(fresh_ip(), 0))
            head = "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n" % (path, self.u.netloc)
            head += "Transfer-Encoding: chunked\r\n" if chunked else "Content-Length: %d\r\n" % self.declared
            s.sendall(head.encode() + b"\r\n" + (b"1\r\n{\r\n" if chunked else b"{"))
            self.socks.append(s)
            t = threading.Thread(target=self._trickle, args=(s, chunked), daemon=True)
            t.start()
            self.threads.append(t)
        # long enough for a front end that streams to have handed every one
        # of them to a worker
        time.sleep(1.5)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(5)
        for s in self.socks:
            s.close()
        return False


def quick_while_slow_bodies(base_url, rounds=3):
    """While a dozen slow bodies are open, health and register answer
    within QUICK, several times over."""
    with SlowBodies(base_url):
        for i in range(rounds):
            st, _, body, secs = request(base_url, "GET", "health", timeout=15)
            check(st == 200 and secs < QUICK, "health: %d in %.2f s (round %d): %r" % (st, secs, i, body[:200]))
            st, _, body, secs = request(base_url, "POST", "register",
                                        json.dumps({"mobile_number": fresh_phone()}).encode(),
                                        {"Content-Type": "application/json"}, timeout=15)
            check(st == 200 and secs < QUICK, "register: %d in %.2f s (round %d): %r" % (st, secs, i, body[:200]))
            time.sleep(BYTE_EVERY)


def is_json_413(status, headers, body, lang="en"):
    check(status == 413, "status %d: %r" % (status, body[:300]))
    check(headers.get("content-type") == "application/json; charset=utf-8", headers)
    doc = json.loads(body.decode("utf-8"))
    check(doc.get("error") == "payload_too_large" and isinstance(doc.get("message"), str), doc)
    if lang == "fa":
        check(any("\u0600" <= ch <= "\u06ff" for ch in doc["message"]), "not Persian: %r" % doc)
    return doc


def chunked(body, size=4096):
    for i in range(0, len(body), size):
        part = body[i:i + size]
        yield b"%x\r\n%s\r\n" % (len(part), part)
    yield b"0\r\n\r\n"


def raw_exchange(base_url, data, timeout=10):
    """Sends raw bytes, returns what came back until the server closed or
    `timeout` passed (status line and all)."""
    u = urllib.parse.urlsplit(base_url)
    s = socket.create_connection((u.hostname, u.port), timeout=timeout, source_address=(fresh_ip(), 0))
    got = b""
    try:
        s.sendall(data)
        while True:
            try:
                part = s.recv(65536)
            except socket.timeout:
                break
            if not part:
                break
            got += part
            if b"\r\n\r\n" in got:
                head, rest = got.split(b"\r\n\r\n", 1)
                n = [int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                     if line.lower().startswith(b"content-length:")]
                if n and len(rest) >= n[0]:
                    break
    finally:
        s.close()
    return got


def oversized_bodies_get_the_json_413(base_url, headers_too=True):
    """Every way of sending too much gets phoneauth's JSON 413, never an HTML
    page; a body of exactly LIMIT bytes still reaches the service."""
    ct = {"Content-Type": "application/json"}
    st, h, body, _ = request(base_url, "POST", "register", b"{" + b" " * (LIMIT - 2) + b"}", ct)
    check(st == 400 and json.loads(body)["error"] == "validation_failed", (st, body[:200]))
    for size in (LIMIT + 1, 20000, 1 << 20):
        st, h, body, _ = request(base_url, "POST", "register", b"{" + b" " * (size - 2) + b"}", ct)
        is_json_413(st, h, body)
        if headers_too:
            check(h.get("cache-control") == "no-store" and h.get("x-content-type-options") == "nosniff", h)
    st, h, body, _ = request(base_url, "POST", "register", b" " * 20000,
                             dict(ct, **{"Accept-Language": "fa"}))
    is_json_413(st, h, body, "fa")
    # chunked: no length to refuse it by, so the front end counts
    st, h, body, _ = request(base_url, "POST", "register", chunked(b" " * 40000),
                             dict(ct, **{"Transfer-Encoding": "chunked"}))
    is_json_413(st, h, body)
    # a Content-Length that claims too much is refused before the body comes
    u = urllib.parse.urlsplit(base_url)
    t0 = time.monotonic()
    got = raw_exchange(base_url, ("POST %s/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                  "Content-Length: 20000\r\n\r\n{\"a\": 1}  " % u.path.rstrip("/")).encode())
    secs = time.monotonic() - t0
    check(got.startswith(b"HTTP/1.1 413 ") and secs < 5, "%.2f s: %r" % (secs, got[:300]))
    head, _, body = got.partition(b"\r\n\r\n")
    check(json.loads(body.decode())["error"] == "payload_too_large", got[:300])
