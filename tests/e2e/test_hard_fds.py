"""The SMS command inherits nothing but stdin, stdout and stderr: not the
sender's Redis connection, not its pipes, not any file it has open. The
command here is a small script that lists its own descriptors
(/proc/self/fd, with their targets) into a file.
(How to run one file alone: see test_hard_json.py.)"""

import os
import re

from pa import Client, Pool, check, fresh_phone, run, stop_process, test, wait_for
import subprocess

STATE = os.environ.get("PA_STATE_DIR", "/tmp")


def write_script(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)
    return path


def listing_fds(text):
    """{fd: target} of the listing the command wrote."""
    fds = {}
    for line in text.splitlines():
        m = re.search(r"^(\d+) -> (.*)$", line)
        if m:
            fds[int(m.group(1))] = m.group(2)
    return fds


@test
def the_sms_command_sees_only_fds_0_1_2():
    tag = "fds-%d" % os.getpid()
    out = os.path.join(STATE, "%s.txt" % tag)
    if os.path.exists(out):
        os.unlink(out)
    # The command's descriptors, as it finds them when it starts (Python
    # opens none of its own that outlive its start; the directory listing's
    # own descriptor is closed by the time its link is read, and skipped).
    script = write_script(os.path.join(STATE, "%s.py" % tag), """#!/usr/bin/python3 -I
import os
lines = []
for n in os.listdir("/proc/self/fd"):
    try:
        lines.append("%%s -> %%s" %% (n, os.readlink("/proc/self/fd/" + n)))
    except OSError:
        pass
with open(%r, "w") as f:
    f.write("\\n".join(lines) + "\\n")
os.rename(%r, %r)
""" % (out + ".tmp", out + ".tmp", out))
    prefix = "hardfds-%d:" % os.getpid()
    env = {"PHONEAUTH_REDIS_PREFIX": prefix, "PHONEAUTH_SMS_DRIVER": "command",
           "PHONEAUTH_SMS_COMMAND": script}
    log = os.path.join(STATE, "%s-sender.log" % tag)
    sender = None
    try:
        with Pool(env, "hard-fds") as url:
            sender = subprocess.Popen([os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"], "sender"],
                                      env=dict(os.environ, **env), stdin=subprocess.DEVNULL,
                                      stdout=open(log, "w"), stderr=subprocess.STDOUT,
                                      start_new_session=True)
            check(wait_for(lambda: "ready" in open(log).read(), 10), open(log).read())
            phone = fresh_phone()
            r = Client(base_url=url).post("register", {"mobile_number": phone})
            check(r.status == 200, r)
            check(wait_for(lambda: os.path.exists(out), 15), "the command never ran: %s" % open(log).read())
            fds = listing_fds(open(out).read())
            extra = {fd: target for fd, target in fds.items() if fd > 2}
            check(set(fds) >= {0, 1, 2}, fds)
            check(not extra, "the SMS command inherited descriptors beyond 0, 1, 2: %r" % extra)
    finally:
        if sender is not None:
            stop_process(sender)


if __name__ == "__main__":
    run()
