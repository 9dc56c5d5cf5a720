"""One Redis client for the tests, the bench and the soak: RESP2 over a
socket, just enough to run a command and read its reply. Standard library
only.

    r = Redis("127.0.0.1", 6379, password)
    r.command("XREVRANGE", "phoneauth:sms", "+", "-", "COUNT", "10")

Replies: a status is a str ("OK", "PONG"), an integer an int, a bulk string
bytes (None when absent), an array a list; an error reply raises
RuntimeError("redis: <the error>"). A connection that fails (Redis killed,
a timeout) is closed and the failure raised as ConnectionError; the next
command connects again, so one Redis object outlives a Redis restart (the
soak's chaos does that).

Users: tests/e2e/pa.py (Redis, with the test stack's coordinates),
tests/cluster/test_cluster.py (through pa) and bench/soak.py.
"""

import socket


class Redis:
    """A connection to the Redis at host, port (AUTH with password when one
    is given). With connect=False the first command connects."""

    def __init__(self, host="127.0.0.1", port=6379, password=None, timeout=10, connect=True):
        self.address = (host, int(port))
        self.password = password
        self.timeout = timeout
        self.sock = None
        self.buf = b""
        if connect:
            self._connect()

    def _connect(self):
        try:
            self.sock = socket.create_connection(self.address, timeout=self.timeout)
        except OSError as e:
            raise ConnectionError("redis at %s:%d: %s" % (self.address[0], self.address[1], e)) from e
        self.buf = b""
        if self.password:
            self.command("AUTH", self.password)

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = None

    def command(self, *args):
        """The reply of one command (bytes, str, int, None or a list)."""
        if self.sock is None:
            self._connect()
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        try:
            self.sock.sendall(out)
            return self._reply()
        except OSError as e:
            self.close()
            if isinstance(e, ConnectionError):
                raise
            raise ConnectionError("redis: %s" % e) from e

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("redis closed the connection")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError("redis: " + rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError("redis: bad reply %r" % line)
