"""The systemd units and `make install`, checked for real.

systemd does not run here (nor in CI): the units are checked with
`systemd-analyze verify`, and the service's own ExecStartPre/ExecStart/
ExecReload lines are run as systemd would run them, minus systemd, with
only the paths moved into this test's directories.
"""

import glob
import grp
import os
import shlex
import signal
import socket
import stat
import subprocess
import tempfile

from pa import check, run, test, wait_for
import fcgi_client  # noqa: E402  (tests/lib, which pa puts on the path)

REPO = os.environ.get("PA_REPO", ".")
BIN = os.environ.get("PA_APP_BIN", "")
UNITS = sorted(glob.glob(os.path.join(REPO, "conf", "systemd", "*.service")) +
               glob.glob(os.path.join(REPO, "conf", "systemd", "*.socket")))


def unit_lines(path, key):
    """The values of `key=` in a unit, continuation lines joined."""
    with open(path) as f:
        text = f.read().replace("\\\n", " ")
    return [line.split("=", 1)[1].strip() for line in text.splitlines() if line.startswith(key + "=")]


def localise(command, rundir):
    """A unit's command line with its paths moved into this test's world."""
    command = (command.replace("/usr/local/bin/phoneauth", BIN)
               .replace("/etc/phoneauth/phoneauth.conf", os.environ["PA_CONF"])
               .replace("/run/phoneauth", rundir))
    return shlex.split(command)


def listen_like(socket_unit, rundir):
    """What systemd does for phoneauth.socket: binds its ListenStream (moved
    into rundir) with its SocketMode, and returns the listening socket."""
    (path,) = unit_lines(socket_unit, "ListenStream")
    (mode,) = unit_lines(socket_unit, "SocketMode")
    path = path.replace("/run/phoneauth", rundir)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    os.chmod(path, int(mode, 8))
    s.listen(int((unit_lines(socket_unit, "Backlog") or ["128"])[0]))
    return s, path


def fcgi_get(sock, uri):
    """The answer's head (Status: line and all) and body, as a web server
    on that socket would get it; "" when nothing answers."""
    try:
        status, headers, body = fcgi_client.request(sock, {
            "REQUEST_METHOD": "GET", "REQUEST_URI": uri, "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1"}, timeout=10)
    except OSError:
        return ""
    head = "".join("%s: %s\r\n" % (k.title(), v) for k, v in headers.items() if k != "status")
    return "Status: %d\r\n%s\r\n%s" % (status, head, body.decode("utf-8", "replace"))


@test
def units_pass_systemd_analyze_verify():
    check(UNITS, "no units in conf/systemd")
    with tempfile.TemporaryDirectory() as tmp:
        for unit in UNITS:
            # verify wants every program a unit names to exist: ours is the build
            copy = os.path.join(tmp, os.path.basename(unit))
            with open(unit) as f, open(copy, "w") as out:
                out.write(f.read().replace("/usr/local/bin/phoneauth", BIN))
        for unit in UNITS:
            copy = os.path.join(tmp, os.path.basename(unit))
            r = subprocess.run(["systemd-analyze", "verify", copy], capture_output=True, text=True)
            problems = [l for l in (r.stdout + r.stderr).splitlines() if os.path.basename(unit) in l]
            check(r.returncode == 0 and not problems, "%s: %s" % (unit, r.stdout + r.stderr))


@test
def the_socket_is_the_web_servers_and_the_service_takes_it_on_stdin():
    """The web server (group www-data) must be able to connect: the socket
    unit sets the group, as spawn-fcgi -G cannot for a service that does not
    run as root; the directory it is in is open to it."""
    sock_unit = os.path.join(REPO, "conf", "systemd", "phoneauth.socket")
    unit = os.path.join(REPO, "conf", "systemd", "phoneauth.service")
    check(unit_lines(sock_unit, "ListenStream") == ["/run/phoneauth/phoneauth.sock"],
          unit_lines(sock_unit, "ListenStream"))
    check(unit_lines(sock_unit, "SocketGroup") == ["www-data"], "SocketGroup is not www-data")
    check(unit_lines(sock_unit, "SocketMode") == ["0660"], "SocketMode is not 0660")
    check(unit_lines(sock_unit, "DirectoryMode") == ["0755"], "/run/phoneauth is not open to the web server")
    check(unit_lines(unit, "StandardInput") == ["socket"], "the service does not take the socket on fd 0")
    check(unit_lines(unit, "StandardOutput") == ["journal"], "the workers' output would go to the socket")
    check(not unit_lines(unit, "RuntimeDirectory"),
          "RuntimeDirectory= would remove /run/phoneauth, and the socket in it, at every stop")
    check("phoneauth.socket" in " ".join(unit_lines(unit, "Requires")), "no Requires=phoneauth.socket")
    check("phoneauth.socket" in " ".join(unit_lines(unit, "Also")), "enabling the service leaves the socket off")


@test
def the_units_exec_lines_start_migrate_serve_reload_and_stop():
    unit = os.path.join(REPO, "conf", "systemd", "phoneauth.service")
    sock_unit = os.path.join(REPO, "conf", "systemd", "phoneauth.socket")
    with tempfile.TemporaryDirectory() as rundir:
        for pre in unit_lines(unit, "ExecStartPre"):
            r = subprocess.run(localise(pre, rundir), capture_output=True, text=True, timeout=60)
            check(r.returncode == 0, "ExecStartPre %s: %s" % (pre, r.stderr))
        (start,) = unit_lines(unit, "ExecStart")
        log = open(os.path.join(rundir, "service.log"), "w")
        listener, sock = listen_like(sock_unit, rundir)
        # StandardInput=socket: the listening socket is the service's fd 0
        main = subprocess.Popen(localise(start, rundir), stdin=listener.fileno(), stdout=log,
                                stderr=log, start_new_session=True)
        listener.close()
        try:
            check(wait_for(lambda: "Status: 200" in fcgi_get(sock, "/api/health"), 15),
                  "health did not answer through the service's socket")
            mode = os.stat(sock).st_mode & 0o777
            check(mode == 0o660 and stat.S_ISSOCK(os.stat(sock).st_mode), "socket mode %o" % mode)
            workers = subprocess.run(["pgrep", "-P", str(main.pid)], capture_output=True,
                                     text=True).stdout.split()
            check(len(workers) == 4, workers)
            # systemctl reload: the check, then USR2 to the main process
            for line in unit_lines(unit, "ExecReload"):
                argv = localise(line.replace("$MAINPID", str(main.pid)), rundir)
                r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
                check(r.returncode == 0, "ExecReload %s: %s" % (line, r.stderr))
            check(wait_for(lambda: not set(workers) & set(subprocess.run(
                ["pgrep", "-P", str(main.pid)], capture_output=True, text=True).stdout.split()), 10),
                "the reload did not renew the workers")
            check("Status: 200" in fcgi_get(sock, "/api/health"), "no health after the reload")
            # systemctl stop: KillSignal to the main process, within TimeoutStopSec
            main.send_signal(signal.SIGTERM)
            main.wait(30)
            check(main.returncode == 0, "the pool exited with %s" % main.returncode)
        finally:
            if main.poll() is None:
                main.kill()
                main.wait()


@test
def the_sender_units_exec_line_runs_the_sender():
    unit = os.path.join(REPO, "conf", "systemd", "phoneauth-sender.service")
    (start,) = unit_lines(unit, "ExecStart")
    with tempfile.TemporaryDirectory() as rundir:
        log = os.path.join(rundir, "sender.log")
        p = subprocess.Popen(localise(start, rundir), stdout=open(log, "w"), stderr=subprocess.STDOUT,
                             start_new_session=True,
                             env=dict(os.environ, PHONEAUTH_REDIS_PREFIX="deploy-sender:"))
        try:
            check(wait_for(lambda: "ready" in open(log).read(), 10), open(log).read())
            p.send_signal(signal.SIGTERM)
            p.wait(15)
            check(p.returncode == 0 and "stopping" in open(log).read(), open(log).read())
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()


@test
def make_install_places_everything_under_the_prefix():
    with tempfile.TemporaryDirectory() as dest:
        r = subprocess.run(["make", "-s", "-C", REPO, "install", "PREFIX=/opt/pa", "DESTDIR=" + dest],
                           capture_output=True, text=True, timeout=600)
        check(r.returncode == 0, r.stderr[-2000:])
        said = r.stdout
        expected = ["opt/pa/bin/phoneauth", "opt/pa/lib/systemd/system/phoneauth.service",
                    "opt/pa/lib/systemd/system/phoneauth.socket",
                    "opt/pa/lib/sysusers.d/phoneauth.conf", "etc/phoneauth/phoneauth.conf",
                    "opt/pa/share/phoneauth/phoneauth.conf.example",
                    "opt/pa/share/phoneauth/lighttpd/phoneauth.conf",
                    "opt/pa/share/phoneauth/lighttpd/authorizer.conf",
                    "opt/pa/share/phoneauth/apache/proxy_fcgi.conf",
                    "opt/pa/share/phoneauth/apache/fcgid.conf",
                    "opt/pa/share/phoneauth/apache/authnz_fcgi.conf",
                    "opt/pa/share/phoneauth/nginx/phoneauth.conf",
                    "opt/pa/share/phoneauth/nginx/guard.conf",
                    "opt/pa/share/phoneauth/lighttpd/page.conf",
                    "opt/pa/share/phoneauth/apache/page.conf",
                    "opt/pa/share/phoneauth/nginx/page.conf",
                    "opt/pa/share/phoneauth/www/index.html",
                    "opt/pa/share/phoneauth/www/phoneauth.css",
                    "opt/pa/share/phoneauth/www/phoneauth.js",
                    "opt/pa/lib/systemd/system/phoneauth-sender.service",
                    "opt/pa/share/phoneauth/sms/kavenegar.sh",
                    "opt/pa/share/phoneauth/sms/twilio.sh",
                    "opt/pa/share/doc/phoneauth/README.md",
                    "opt/pa/share/doc/phoneauth/LICENSE"]
        # the documents beside README.md as in the tree, so its links work
        for sub in ("docs", "docs/screenshots"):
            expected += ["opt/pa/share/doc/phoneauth/%s/%s" % (sub, name)
                         for name in sorted(os.listdir(os.path.join(REPO, sub)))
                         if name.endswith((".md", ".png"))]
        missing = [f for f in expected if not os.path.exists(os.path.join(dest, f))]
        check(not missing, missing)
        with open(os.path.join(dest, "opt/pa/lib/systemd/system/phoneauth.service")) as f:
            service = f.read()
        check("/opt/pa/bin/phoneauth -c /etc/phoneauth/phoneauth.conf" in service and
              "/usr/local" not in service, "paths in the unit do not follow PREFIX")
        # the reference page as it is in www/, where the snippets look for it
        for name in ("index.html", "phoneauth.css", "phoneauth.js"):
            with open(os.path.join(dest, "opt/pa/share/phoneauth/www", name), "rb") as f, \
                    open(os.path.join(REPO, "www", name), "rb") as g:
                check(f.read() == g.read(), "share/phoneauth/www/%s differs from www/" % name)
        with open(os.path.join(dest, "opt/pa/share/phoneauth/nginx/page.conf")) as f:
            check("root /opt/pa/share/phoneauth/www;" in f.read(), "nginx/page.conf does not follow PREFIX")
        with open(os.path.join(dest, "opt/pa/share/phoneauth/apache/page.conf")) as f:
            check("Define PHONEAUTH_SHARE /opt/pa/share/phoneauth" in f.read(), "apache/page.conf")
        r = subprocess.run([os.path.join(dest, "opt/pa/bin/phoneauth"), "version"], capture_output=True,
                           text=True)
        # the version is debian/changelog's, the package's
        with open(os.path.join(REPO, "debian", "changelog")) as f:
            version = f.readline().split("(", 1)[1].split(")", 1)[0]
        check(r.returncode == 0 and r.stdout == "phoneauth %s\n" % version, r.stdout + r.stderr)
        for name in ("share/phoneauth/sms/kavenegar.sh", "share/phoneauth/lighttpd/phoneauth.conf",
                     "share/phoneauth/phoneauth.conf.example"):
            with open(os.path.join(dest, "opt/pa", name)) as f:
                check("/usr/local" not in f.read(), "%s names /usr/local" % name)
        check(os.access(os.path.join(dest, "opt/pa/share/phoneauth/sms/kavenegar.sh"), os.X_OK),
              "the SMS scripts are not executable")
        # The configuration may name passwords: root:phoneauth 0640 where that
        # group exists (as the package's postinst makes it), else 0600 and a
        # word of what to do once it does; never readable by every user.
        st = os.stat(os.path.join(dest, "etc/phoneauth/phoneauth.conf"))
        try:
            group = grp.getgrnam("phoneauth").gr_gid if os.getuid() == 0 else None
        except KeyError:
            group = None
        if group is None:
            check(stat.S_IMODE(st.st_mode) == 0o600, "phoneauth.conf is %o" % stat.S_IMODE(st.st_mode))
            check("chgrp phoneauth" in said and "0640" in said, said)
        else:
            check(stat.S_IMODE(st.st_mode) == 0o640 and st.st_uid == 0 and st.st_gid == group,
                  "phoneauth.conf is %o %d:%d" % (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid))
        check(stat.S_IMODE(os.stat(os.path.join(dest, "opt/pa/share/phoneauth/phoneauth.conf.example"))
                           .st_mode) == 0o644, "the example is not 0644")


@test
def make_install_keeps_an_existing_configuration():
    with tempfile.TemporaryDirectory() as dest:
        conf = os.path.join(dest, "etc/phoneauth/phoneauth.conf")
        os.makedirs(os.path.dirname(conf))
        with open(conf, "w") as f:
            f.write("language = fa\n")
        r = subprocess.run(["make", "-s", "-C", REPO, "install", "PREFIX=/opt/pa", "DESTDIR=" + dest],
                           capture_output=True, text=True, timeout=600)
        check(r.returncode == 0, r.stderr[-2000:])
        with open(conf) as f:
            check(f.read() == "language = fa\n", "make install replaced the configuration")


if __name__ == "__main__":
    run()
