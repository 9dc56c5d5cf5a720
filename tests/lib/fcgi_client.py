"""One FastCGI client for the tests: what a web server does when it hands a
request to a phoneauth worker (FastCGI 1.0, the responder and authorizer
roles), over a unix socket or TCP. Standard library only.

    status, headers, body = fcgi_client.request("/path/to/phoneauth.sock", {
        "REQUEST_METHOD": "GET", "REQUEST_URI": "/api/health", "REMOTE_ADDR": "127.0.0.1"})

`headers` is a dict of the answer's header lines, names in lower case; the
status is the Status header's number (200 when a responder sends none, as
CGI says). One request a connection (no FCGI_KEEP_CONN), as lighttpd, nginx
and Apache's mod_proxy_fcgi send them. For a request whose body never
completes (the worker's body_timeout), open a FastCGI yourself and begin()
with end_stdin=False.

Users: tests/e2e/pa.py (FcgiClient, Worker), the body tests of
X
tests/e2e/test_deploy_systemd.py.
"""

import socket
import struct

VERSION = 1
BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 2, 3, 4, 5, 6, 7
RESPONDER, AUTHORIZER = 1, 2
RECORD_MAX = 65535          # a record's content is at most this many bytes


def record(kind, content=b"", request_id=1):
    """One record; content longer than a record holds is split over several."""
    out = b""
    for i in range(0, max(len(content), 1), RECORD_MAX):
        part = content[i:i + RECORD_MAX]
        out += struct.pack(">BBHHBB", VERSION, kind, request_id, len(part), 0, 0) + part
    return out


def pair(name, value):
    """One name-value pair of FCGI_PARAMS (lengths of 1 or 4 bytes)."""
    def length(n):
        return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)
    name = name if isinstance(name, bytes) else name.encode()
    value = value if isinstance(value, bytes) else value.encode()
    return length(len(name)) + length(len(value)) + name + value


def parse_stdout(stdout):
    """(status, headers, body) of what a worker wrote on FCGI_STDOUT."""
    head, _, body = stdout.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode("latin-1").split("\r\n"):
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    status = int(headers.get("status", "200").split()[0])
    return status, headers, body


class FastCGI:
    """One connection to a worker (a unix socket's path, or (host, port)),
    for one request."""

    def __init__(self, address, timeout=10):
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(address)
        except OSError:
            self.sock.close()
            raise
        self.stderr = b""       # what the worker wrote on FCGI_STDERR

    def begin(self, params, stdin=b"", end_stdin=True, role=RESPONDER):
        """Sends the request: its params, then stdin (the body), ended
        unless end_stdin is False (a body that never completes)."""
        out = record(BEGIN_REQUEST, struct.pack(">HB5x", role, 0))
        out += record(PARAMS, b"".join(pair(k, v) for k, v in params.items()))
        out += record(PARAMS)
        if stdin:
            out += record(STDIN, stdin)
        if end_stdin:
            out += record(STDIN)
        self.sock.sendall(out)

    def send_stdin(self, data):
        """More of the body, after a begin() with end_stdin=False (b"" ends it)."""
        self.sock.sendall(record(STDIN, data))

    def response(self):
        """(status, headers, body) once the worker ends the request; raises
        socket.timeout if it does not within the timeout, ConnectionError
        if it closes the connection without ending it."""
        buf, stdout = b"", b""
        while True:
            while len(buf) >= 8:
                _v, kind, _id, clen, plen, _r = struct.unpack(">BBHHBB", buf[:8])
                if len(buf) < 8 + clen + plen:
                    break
                content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
                if kind == STDOUT:
                    stdout += content
                elif kind == STDERR:
                    self.stderr += content
                elif kind == END_REQUEST:
                    return parse_stdout(stdout)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the worker closed the connection without ending the request")
            buf += chunk

    def close(self):
        self.sock.close()


def request(address, params, stdin=b"", timeout=10, role=RESPONDER):
    """(status, headers, body) of one whole request."""
    conn = FastCGI(address, timeout)
    try:
        try:
            conn.begin(params, stdin, role=role)
        except (BrokenPipeError, ConnectionResetError):
            pass    # answered and closed before the whole body was sent (one over the limit)
        return conn.response()
    finally:
        conn.close()
