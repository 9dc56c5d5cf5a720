"""Slow and oversized bodies through every front-end set-up of conf/:
lighttpd (conf/lighttpd/phoneauth.conf), Apache with mod_proxy_fcgi and with
mod_fcgid (conf/apache/), nginx (conf/nginx/phoneauth.conf), each in front
of a pool of two workers (mod_fcgid: Apache's own). Each buffers the body
before a worker sees it, so a dozen slow clients leave health and register
answering at once; and each answers a body over the limit with phoneauth's
JSON 413, not its own HTML page.

The servers are frontends.py's set-ups (its Frontends class), with
mod_headers loaded in Apache, and lighttpd including only the API snippet,
as `make install` installs it (in the share directory frontends.Frontends
lays out from conf/). The checks are bodies.py's, which
test_http_bodies.py runs through the stack's lighttpd."""

import os

import frontends
from bodies import check, oversized_bodies_get_the_json_413, quick_while_slow_bodies, request
from pa import free_port, test


class Frontends(frontends.Frontends):
    def apache_conf(self, name, port, body):
        super().apache_conf(name, port, "LoadModule headers_module %s/mod_headers.so\n" % frontends.MODULES + body)

    def start_lighttpd(self):
        # the snippet as `make install` installs it (frontends.Frontends: in share/)
        port = free_port()
        with open(self.path("lighttpd.conf"), "w") as f:
            f.write("""
server.bind = "127.0.0.1"
server.port = %(port)d
server.document-root = "%(www)s"
server.errorlog = "%(log)s/lighttpd-error.log"
var.phoneauth_socket = "%(sock)s"
include "%(snippet)s"
""" % dict(port=port, www=self.path("www"), log=self.path("log"), sock=self.path("run", "phoneauth.sock"),
           snippet=os.path.join(self.share, "lighttpd", "phoneauth.conf")))
        self.spawn(["lighttpd", "-D", "-f", self.path("lighttpd.conf")], "lighttpd.log")
        self.urls["lighttpd"] = "http://127.0.0.1:%d/api" % port


FE = Frontends()
FRONTS = ("lighttpd", "apache-proxy", "apache-fcgid", "nginx")


def each(fn):
    failures = []
    for front in FRONTS:
        try:
            fn(front, FE.urls[front])
        except Exception as e:  # noqa: BLE001 -- every front end is tried, each failure named
            failures.append("%s: %s: %s" % (front, type(e).__name__, e))
    check(not failures, "; ".join(failures))


@test
def every_front_end_answers_at_once_while_bodies_trickle_in():
    each(lambda front, url: quick_while_slow_bodies(url, rounds=2))


@test
def every_front_end_answers_too_large_bodies_with_the_json_413():
    each(lambda front, url: oversized_bodies_get_the_json_413(url))


@test
def the_workers_still_answer_afterwards():
    for front in FRONTS:
        st, _, body, _ = request(FE.urls[front], "GET", "health")
        check(st == 200, (front, st, body))


if __name__ == "__main__":
    frontends.main(FE, announce=False)
