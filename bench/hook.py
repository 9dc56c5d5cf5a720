#!/usr/bin/python3
"""bench/hook.py PORT COUNT_FILE — the webhook receiver of `make bench`
(bench/run.sh, the event outputs' A/B): answers every POST 204 at once,
over keep-alive connections, and writes how many it got to COUNT_FILE when
it is stopped (TERM). It verifies nothing: the bench measures what the
outputs cost the service, and the receiver runs on the same cores.
Standard library only."""

import http.server
import signal
import sys
import threading

port, count_file = int(sys.argv[1]), sys.argv[2]
got = [0]
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with lock:
            got[0] += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
server.daemon_threads = True


def stop(*_):
    threading.Thread(target=server.shutdown).start()


signal.signal(signal.SIGTERM, stop)
server.serve_forever()
with open(count_file, "w") as f:
    f.write("%d\n" % got[0])
