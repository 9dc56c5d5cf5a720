"""The front ends phoneauth's users run, started for real around the very
files of conf/ that users include: lighttpd (conf/lighttpd/phoneauth.conf,
authorizer.conf, page.conf), Apache with mod_proxy_fcgi and
mod_authnz_fcgi, Apache with mod_fcgid (Apache starts the workers itself),
and nginx (phoneauth.conf, guard.conf, require-token.conf, page.conf), each
in front of a pool of two workers of the program under test, on ports of
their own; a guarded page behind each (a CGI, or for nginx a small echo
application) that shows the user the authorizer handed it.

    fe = Frontends()        # lays out share/phoneauth as make install does
    fe.start()              # every server; fe.urls[name] is its API's base URL
    ...
    fe.stop()               # everything, by pid

Names: "lighttpd", "apache-proxy", "apache-fcgid", "nginx". A set-up of
another shape subclasses Frontends and replaces start_<server>() or
apache_conf() (test_frontend_bodies.py does), or port(name) (each server's
port, free_port() unless told) and sets `settings` (PHONEAUTH_<KEY> values
every pool gets, Apache's fcgid workers included) before start()
(test_page_passkeys.py: the pools must know the servers' origins). main(fe) runs a test
program's tests between start() and stop(). The servers' logs and
configuration are in fe.tmp.

Users: test_frontend_servers.py (flows, guards, the page behind each),
test_frontend_bodies.py (slow and oversized bodies through each).
"""

import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile

from pa import Client, alive, config, free_port, run, stop_process, wait_for

REPO = os.environ.get("PA_REPO", ".")
# conf/ is laid out like the installed share/phoneauth/ (lighttpd/, apache/,
# nginx/); the servers are given a copy installed as make install installs
# it (Frontends.share), never the checkout's own files.
CONF = os.path.join(REPO, "conf")
ROOT = os.geteuid() == 0
COOKIE = "pa_token"
MODULES = "/usr/lib/apache2/modules"

GUARDED_CGI = """#!/bin/sh
printf 'Content-Type: application/json\\r\\n\\r\\n'
printf '{"user": "%s", "mobile": "%s"}\\n' "${PHONEAUTH_USER_ID:-}" "${PHONEAUTH_MOBILE:-}"
"""

ECHO_APP = """
import http.server, json, sys
class App(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"user": self.headers.get("X-Phoneauth-User-Id") or "",
                           "mobile": self.headers.get("X-Phoneauth-Mobile") or ""}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), App).serve_forever()
"""


def answers(url):
    try:
        Client(ip="127.0.0.1", base_url=url).get("health")
        return True
    except OSError:
        return False


class Frontends:
    """Starts everything; `stop` ends it all by pid."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="phoneauth-frontends-")
        os.chmod(self.tmp, 0o755)
        self.procs = []      # Popen of foreground servers and pools
        self.pidfiles = []   # (pidfile, how to stop) of daemons
        self.env = dict(os.environ, PHONEAUTH_AUTH_COOKIE=COOKIE)
        self.settings = {}   # PHONEAUTH_<KEY> for every pool, set before start()
        for d in ("run", "log", "www/members", "asan", "nginx"):
            os.makedirs(os.path.join(self.tmp, d), exist_ok=True)
        os.chmod(os.path.join(self.tmp, "asan"), 0o1777)
        for d in ("www", "www/members"):
            os.chmod(os.path.join(self.tmp, d), 0o755)
        # The page and the web-server snippets where make install puts them
        # (PREFIX/share/phoneauth/www, lighttpd/, apache/, nginx/), with its
        # paths (PREFIX for /usr/local), readable by every user: the servers
        # read some of them as their own user, Apache as www-data and nginx
        # as nobody when we are root, and the checkout may be one they
        # cannot enter (a clone in /root, mode 0700).
        self.prefix = self.path("prefix")
        self.share = self.path("prefix", "share", "phoneauth")
        self.www = os.path.join(self.share, "www")
        shutil.copytree(os.path.join(REPO, "www"), self.www)
        for d in ("lighttpd", "apache", "nginx"):
            os.makedirs(os.path.join(self.share, d))
            for name in os.listdir(os.path.join(CONF, d)):
                with open(os.path.join(CONF, d, name)) as f:
                    text = f.read().replace("/usr/local", self.prefix)
                with open(os.path.join(self.share, d, name), "w") as f:
                    f.write(text)
        for root, dirs, files in os.walk(self.prefix):
            os.chmod(root, 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o644)
        cgi = os.path.join(self.tmp, "www/members/whoami.cgi")
        with open(cgi, "w") as f:
            f.write(GUARDED_CGI)
        os.chmod(cgi, 0o755)

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def spawn(self, argv, log, **kw):
        out = open(self.path("log", log), "ab")
        p = subprocess.Popen(argv, stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                             start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def pool(self, name, where):
        """A worker pool of the program under test: `where` is a socket path or a port."""
        listen = ["-a", "127.0.0.1", "-p", str(where)] if isinstance(where, int) else \
            ["-s", where, "-M", "0600"]
        self.spawn(["spawn-fcgi", "-n", *listen, "--", "/usr/bin/multiwatch", "-f", "2", "-s", "TERM",
                    "--", os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"]],
                   name + ".log", env=self.env)

    def port(self, name):
        """The port server `name` listens on (also "pool-tcp", the workers'
        FastCGI port, and "echo", nginx's guarded application)."""
        return free_port()

    def start(self):
        self.env.update(self.settings)
        self.tcp_port = self.port("pool-tcp")
        self.pool("pool-tcp", self.tcp_port)
        self.pool("pool-unix", self.path("run", "phoneauth.sock"))
        wait_for(lambda: os.path.exists(self.path("run", "phoneauth.sock")), 10)
        self.echo_port = self.port("echo")
        self.spawn([sys.executable, "-c", ECHO_APP, str(self.echo_port)], "echo.log")
        self.urls = {}
        self.start_lighttpd()
        self.start_apache_proxy()
        self.start_apache_fcgid()
        self.start_nginx()
        for name, url in self.urls.items():
            if not wait_for(lambda: answers(url), 20):
                raise RuntimeError("%s did not come up at %s (logs in %s)" % (name, url, self.tmp))

    # -- lighttpd: conf/lighttpd/phoneauth.conf and authorizer.conf --
    def start_lighttpd(self):
        port = self.port("lighttpd")
        conf = self.path("lighttpd.conf")
        with open(conf, "w") as f:
            f.write("""
server.bind = "127.0.0.1"
server.port = %(port)d
server.document-root = "%(www)s"
server.errorlog = "%(log)s/lighttpd-error.log"
server.modules = ( "mod_cgi" )
cgi.assign = ( ".cgi" => "" )
var.phoneauth_socket = "%(sock)s"
var.phoneauth_guarded = "/members/"
var.phoneauth_www = "%(page)s"
include "%(conf)s/lighttpd/phoneauth.conf"
include "%(conf)s/lighttpd/authorizer.conf"
include "%(conf)s/lighttpd/page.conf"
""" % dict(port=port, www=self.path("www"), log=self.path("log"), sock=self.path("run", "phoneauth.sock"),
           conf=self.share, page=self.www))
        self.spawn(["lighttpd", "-D", "-f", conf], "lighttpd.log")
        self.urls["lighttpd"] = "http://127.0.0.1:%d/api" % port

    def apache_conf(self, name, port, body):
        conf = self.path(name + ".conf")
        os.makedirs(self.path(name), exist_ok=True)
        with open(conf, "w") as f:
            f.write("""
ServerRoot "%(root)s"
ServerName localhost
Listen 127.0.0.1:%(port)d
PidFile "%(run)s/%(name)s.pid"
DefaultRuntimeDir "%(run)s"
ErrorLog "%(log)s/%(name)s-error.log"
LogLevel warn
%(user)s
LoadModule mpm_event_module %(m)s/mod_mpm_event.so
LoadModule authz_core_module %(m)s/mod_authz_core.so
LoadModule authn_core_module %(m)s/mod_authn_core.so
LoadModule authz_user_module %(m)s/mod_authz_user.so
LoadModule mime_module %(m)s/mod_mime.so
LoadModule alias_module %(m)s/mod_alias.so
LoadModule env_module %(m)s/mod_env.so
LoadModule buffer_module %(m)s/mod_buffer.so
TypesConfig /etc/mime.types
Define PHONEAUTH_SHARE "%(share)s"
Define PHONEAUTH_WWW "%(page)s"
DocumentRoot "%(www)s"
%(body)s
Include "%(conf)s/apache/page.conf"
""" % dict(root=self.path(name), port=port, run=self.path("run"), log=self.path("log"), name=name,
           m=MODULES, www=self.path("www"), body=body, share=self.share, page=self.www, conf=self.share,
           user="User www-data\nGroup www-data" if ROOT else ""))
        r = subprocess.run(["apache2", "-f", conf, "-k", "start"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("apache2 (%s): %s" % (name, r.stderr or r.stdout))
        self.pidfiles.append(self.path("run", name + ".pid"))
        self.urls[name] = "http://127.0.0.1:%d/api" % port

    # -- Apache: conf/apache/proxy_fcgi.conf and authnz_fcgi.conf --
    def start_apache_proxy(self):
        self.apache_conf("apache-proxy", self.port("apache-proxy"), """
LoadModule headers_module %(m)s/mod_headers.so
LoadModule proxy_module %(m)s/mod_proxy.so
LoadModule proxy_fcgi_module %(m)s/mod_proxy_fcgi.so
LoadModule authnz_fcgi_module %(m)s/mod_authnz_fcgi.so
LoadModule cgid_module %(m)s/mod_cgid.so
ScriptSock "%(run)s/cgid.sock"
<Directory "%(www)s/members">
    Options +ExecCGI
    AddHandler cgi-script .cgi
</Directory>
Define PHONEAUTH_BACKEND "fcgi://127.0.0.1:%(tcp)d"
Include "%(conf)s/apache/proxy_fcgi.conf"
Define PHONEAUTH_AUTHORIZER "fcgi://127.0.0.1:%(tcp)d/"
Define PHONEAUTH_GUARDED "/members/"
Include "%(conf)s/apache/authnz_fcgi.conf"
""" % dict(m=MODULES, run=self.path("run"), www=self.path("www"), tcp=self.tcp_port, conf=self.share))

    # -- Apache: conf/apache/fcgid.conf (Apache runs the workers, as its user) --
    def start_apache_fcgid(self):
        # What the Apache user needs: the program, a configuration it can read
        # (the stores over TCP, not the stack's private sockets) and the key.
        shutil.copy(os.environ["PA_APP_BIN"], self.path("phoneauth"))
        shutil.copy(jwt_key_file(), self.path("jwt.secret"))
        shutil.copy(config()["data_key_file"], self.path("data.key"))
        with open(self.path("phoneauth-fcgid.conf"), "w") as f:
            f.write("redis_url = redis://:%s@127.0.0.1:%s/0\npostgres_url = %s\njwt_secret_file = %s\n"
                    "data_key_file = %s\n"
                    % (os.environ["PA_REDIS_PASSWORD"], os.environ["PA_REDIS_PORT"],
                       os.environ["PA_PG_URL"], self.path("jwt.secret"), self.path("data.key")))
        for f in ("phoneauth", "jwt.secret", "phoneauth-fcgid.conf"):
            os.chmod(self.path(f), 0o755 if f == "phoneauth" else 0o644)
        # The data key is refused open to others: the Apache user's own
        # (as root Apache runs its workers as www-data; otherwise as us).
        if ROOT:
            apache = pwd.getpwnam("www-data")
            os.chown(self.path("data.key"), apache.pw_uid, apache.pw_gid)
        os.chmod(self.path("data.key"), 0o600)
        env_lines = "\n".join('FcgidInitialEnv %s "%s"' % (k, v)
                               for k, v in dict(os.environ, **self.settings).items()
                               if k.startswith("PHONEAUTH_") and k != "PHONEAUTH_CONFIG")
        asan = os.environ.get("ASAN_OPTIONS", "")
        if asan:  # the sanitizer reports of Apache's workers go where it may write
            asan = ":".join(o for o in asan.split(":") if not o.startswith("log_path="))
            env_lines += '\nFcgidInitialEnv ASAN_OPTIONS "%s:log_path=%s/asan"' % (asan, self.path("asan"))
            env_lines += '\nFcgidInitialEnv UBSAN_OPTIONS "print_stacktrace=1:halt_on_error=1:log_path=%s/ubsan"' \
                % self.path("asan")
        self.apache_conf("apache-fcgid", self.port("apache-fcgid"), """
LoadModule fcgid_module %(m)s/mod_fcgid.so
FcgidIPCDir "%(run)s/fcgid"
FcgidProcessTableFile "%(run)s/fcgid_shm"
%(env)s
Define PHONEAUTH_BIN "%(bin)s"
Define PHONEAUTH_CONF "%(pconf)s"
Include "%(conf)s/apache/fcgid.conf"
""" % dict(m=MODULES, run=self.path("run"), env=env_lines, bin=self.path("phoneauth"),
           pconf=self.path("phoneauth-fcgid.conf"), conf=self.share))

    # -- nginx: conf/nginx/phoneauth.conf, guard.conf and require-token.conf --
    def start_nginx(self):
        port = self.port("nginx")
        shutil.copy("/etc/nginx/fastcgi_params", self.path("fastcgi_params"))
        conf = self.path("nginx.conf")
        with open(conf, "w") as f:
            f.write("""
%(user)s
worker_processes 1;
pid "%(run)s/nginx.pid";
error_log "%(log)s/nginx-error.log";
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path "%(tmp)s/nginx/body";
    fastcgi_temp_path "%(tmp)s/nginx/fastcgi";
    proxy_temp_path "%(tmp)s/nginx/proxy";
    uwsgi_temp_path "%(tmp)s/nginx/uwsgi";
    scgi_temp_path "%(tmp)s/nginx/scgi";
    upstream phoneauth { server 127.0.0.1:%(tcp)d; }
    upstream guarded_app { server 127.0.0.1:%(echo)d; }
    server {
        listen 127.0.0.1:%(port)d;
        include "%(conf)s/nginx/phoneauth.conf";
        include "%(conf)s/nginx/guard.conf";
        include "%(page)s";
        location /members/ {
            include "%(conf)s/nginx/require-token.conf";
            proxy_set_header X-Phoneauth-User-Id $phoneauth_user_id;
            proxy_set_header X-Phoneauth-Mobile  $phoneauth_mobile;
            proxy_pass http://guarded_app;
        }
    }
}
""" % dict(user="user nobody nogroup;" if ROOT else "", run=self.path("run"), log=self.path("log"),
           tmp=self.tmp, tcp=self.tcp_port, echo=self.echo_port, port=port, conf=self.share,
           page=os.path.join(self.share, "nginx", "page.conf")))
        r = subprocess.run(["nginx", "-c", conf], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("nginx: " + r.stderr)
        self.pidfiles.append(self.path("run", "nginx.pid"))
        self.urls["nginx"] = "http://127.0.0.1:%d/api" % port

    def stop(self):
        for pidfile in self.pidfiles:
            try:
                pid = int(open(pidfile).read().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            os.kill(pid, signal.SIGTERM)
            wait_for(lambda: not alive(pid), 15)
        for p in reversed(self.procs):
            stop_process(p, 15)

    def sanitizer_reports(self):
        return [f for f in glob.glob(self.path("asan", "*")) if os.path.getsize(f) > 0]


def jwt_key_file():
    return config()["jwt_secret_file"]


def main(fe, announce=True, cleanup=None):
    """A test program's __main__: fe started (a front end that will not start
    is every test's failure), the tests run, everything stopped; announce:
    the start is a test of its own (PASS frontends_started); cleanup: what
    else to call at the end."""
    try:
        fe.start()
    except Exception as e:  # noqa: BLE001 -- a front end that will not start is every test's failure
        print("FAIL frontends_started: %s" % e)
        fe.stop()
        sys.exit(1)
    if announce:
        print("PASS frontends_started")
    try:
        run()
    finally:
        fe.stop()
        if cleanup is not None:
            cleanup()
