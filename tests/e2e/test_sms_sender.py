"""The SMS sender (sender.c, redis_outbox.c, sms.c), its drivers and the provider
scripts (conf/sms/): what an outbox entry holds, delivery through the
command driver with retries and dead letters, the provider scripts against
fakes of their APIs, what the command inherits, and the log driver that is
said to send nothing.

Each test has its own Redis prefix, so its outbox is its own: a pool of
workers writes codes there (by the real register route) and the test's own
senders, run as the real program, deliver them. The provider scripts talk to
fakes of Kavenegar and Twilio started here on loopback, which record what
they receive. The SMS command inherits nothing but stdin, stdout and stderr:
not the sender's Redis connection, not its pipes, not any file it has open
(a small script lists its own descriptors, /proc/self/fd, into a file)."""

import base64
import http.server
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse

from pa import (Client, Pool, admin, check, fresh_phone, outbox_entries, redis_command, register, run,
                stop_process, stream_entries, test, wait_for)

REPO = os.environ.get("PA_REPO", ".")
STATE = os.environ.get("PA_STATE_DIR", "/tmp")
KAVENEGAR = os.path.join(REPO, "conf", "sms", "kavenegar.sh")
TWILIO = os.path.join(REPO, "conf", "sms", "twilio.sh")
WHATSAPP = os.path.join(REPO, "conf", "sms", "whatsapp.sh")


class Fake:
    """A provider's HTTP API on loopback, recording each request."""

    def __init__(self, answer):
        self.requests = []
        self.answer = answer  # (request) -> (status, body)
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_one(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                req = {"method": method, "path": self.path, "headers": dict(self.headers),
                       "body": self.rfile.read(length).decode() if length else ""}
                fake.requests.append(req)
                status, body = fake.answer(req)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self.handle_one("GET")

            def do_POST(self):
                self.handle_one("POST")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def kavenegar_ok(req):
    return 200, {"return": {"status": 200, "message": "تایید شد"}, "entries": [{"messageid": 1}]}


def twilio_ok(req):
    return 201, {"sid": "SM123", "status": "queued"}


def run_script(script, env):
    return subprocess.run([script], env=dict(os.environ, **env), capture_output=True, text=True,
                          timeout=30)


class Senders:
    """The sms settings of one test, its workers and its senders."""

    def __init__(self, name, **settings):
        self.name = name
        self.prefix = "smstest-%s-%d:" % (name, os.getpid())
        self.env = {"PHONEAUTH_REDIS_PREFIX": self.prefix, "PHONEAUTH_OTP_COOLDOWN": "0"}
        self.env.update({k: str(v) for k, v in settings.items()})
        self.procs = []
        self.logs = []

    def start(self, extra=None):
        log = os.path.join(STATE, "sender-%s-%d.log" % (self.name, len(self.procs)))
        self.logs.append(log)
        p = subprocess.Popen([os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"], "sender"],
                             env=dict(os.environ, **self.env, **(extra or {})),
                             stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        wait_for(lambda: "ready" in open(log).read(), 10)
        return p

    def stop(self):
        for p in self.procs:
            stop_process(p)

    def status(self):
        r = subprocess.run([os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"], "sms-status"],
                           env=dict(os.environ, **self.env), capture_output=True, text=True)
        return {l.split()[0]: int(l.split()[1]) for l in r.stdout.splitlines()}

    def outbox(self):
        return stream_entries(self.prefix + "sms")

    def dead(self):
        return stream_entries(self.prefix + "sms:dead")

    def all_log_text(self):
        return "".join(open(f).read() for f in self.logs)


def whatsapp_ok(req):
    return 200, {"messaging_product": "whatsapp", "contacts": [{"wa_id": "989121234567"}],
                 "messages": [{"id": "wamid.HBgM"}]}


def credentials_dir(secrets):
    """What systemd's LoadCredential= makes: a directory only the service
    reads, one file per credential (written as `echo` would, newline and all)."""
    d = tempfile.mkdtemp(prefix="credentials-", dir=STATE)
    os.chmod(d, 0o700)
    for name, value in secrets.items():
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(value + "\n")
        os.chmod(path, 0o400)
    return d


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


def warns_about_sms_driver(text):
    return any("warning" in l.lower() and "sms_driver" in l.lower() for l in text.splitlines())


# ---- the outbox ----


@test
def outbox_entry_has_phone_code_purpose_created_at_language():
    c, phone = Client(lang="fa"), fresh_phone()
    t0 = int(time.time())
    register(c, phone)
    e = outbox_entries(phone)[0]
    check(e["phone"] == phone and re.fullmatch(r"[0-9]{6}", e["code"]), e)
    check(e["purpose"] == "register" and e["language"] == "fa", e)
    check(abs(int(e["created_at"]) - t0) <= 5, e)


# ---- the provider scripts and the command driver ----


@test
def kavenegar_script_calls_verify_lookup():
    fake = Fake(kavenegar_ok)
    try:
        env = {"KAVENEGAR_API_KEY": "test-key-123", "KAVENEGAR_TEMPLATE": "verify",
               "KAVENEGAR_TEMPLATE_RESET": "reset-tpl", "KAVENEGAR_URL": fake.url,
               "PHONE": "09121234567", "CODE": "048213", "PURPOSE": "register", "LANGUAGE": "fa"}
        r = run_script(KAVENEGAR, env)
        check(r.returncode == 0, r.stderr)
        req = fake.requests[-1]
        url = urllib.parse.urlsplit(req["path"])
        check(req["method"] == "GET" and url.path == "/v1/test-key-123/verify/lookup.json", req)
        check(urllib.parse.parse_qs(url.query) == {"receptor": ["09121234567"], "token": ["048213"],
                                                   "template": ["verify"]}, url.query)
        r = run_script(KAVENEGAR, dict(env, PURPOSE="reset"))
        check(urllib.parse.parse_qs(urllib.parse.urlsplit(fake.requests[-1]["path"]).query)["template"]
              == ["reset-tpl"], fake.requests[-1])
        # Kavenegar's refusals fail the delivery
        fake.answer = lambda req: (200, {"return": {"status": 418, "message": "credit"}, "entries": None})
        r = run_script(KAVENEGAR, env)
        check(r.returncode != 0 and "418" in r.stderr, (r.returncode, r.stderr))
        fake.answer = lambda req: (500, {"error": "down"})
        check(run_script(KAVENEGAR, env).returncode != 0, "an HTTP 500 passed")
        check(run_script(KAVENEGAR, dict(env, KAVENEGAR_API_KEY="")).returncode != 0, "no key passed")
    finally:
        fake.close()


@test
def twilio_script_posts_a_message():
    fake = Fake(twilio_ok)
    try:
        env = {"TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": "secret-token",
               "TWILIO_FROM": "+15005550006", "TWILIO_URL": fake.url,
               "PHONE": "09121234567", "CODE": "731905", "PURPOSE": "login", "LANGUAGE": "en"}
        r = run_script(TWILIO, env)
        check(r.returncode == 0, r.stderr)
        req = fake.requests[-1]
        check(req["method"] == "POST" and req["path"] == "/2010-04-01/Accounts/AC123/Messages.json", req)
        auth = req["headers"].get("Authorization", "")
        check(auth == "Basic " + base64.b64encode(b"AC123:secret-token").decode(), auth)
        form = urllib.parse.parse_qs(req["body"])
        check(form["To"] == ["+989121234567"] and form["From"] == ["+15005550006"], form)
        check("731905" in form["Body"][0], form)
        r = run_script(TWILIO, dict(env, LANGUAGE="fa", PHONE="+14155550123", TWILIO_FROM="",
                                    TWILIO_MESSAGING_SERVICE_SID="MG42"))
        form = urllib.parse.parse_qs(fake.requests[-1]["body"])
        check(r.returncode == 0 and form["To"] == ["+14155550123"] and form["MessagingServiceSid"] == ["MG42"],
              (r.stderr, form))
        check(any("\u0600" <= ch <= "\u06ff" for ch in form["Body"][0]), form["Body"])
        fake.answer = lambda req: (401, {"code": 20003})
        r = run_script(TWILIO, env)
        check(r.returncode != 0 and "401" in r.stderr, r.stderr)
    finally:
        fake.close()


@test
def twilio_sends_the_text_phoneauth_rendered():
    fake = Fake(twilio_ok)
    try:
        text = "731905 is your shop login code.\n@shop.example #731905"
        r = run_script(TWILIO, {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t",
                                "TWILIO_FROM": "+15005550006", "TWILIO_URL": fake.url,
                                "PHONE": "+14155550123", "CODE": "731905", "PURPOSE": "login",
                                "LANGUAGE": "en", "TEXT": text})
        check(r.returncode == 0, r.stderr)
        check(urllib.parse.parse_qs(fake.requests[-1]["body"])["Body"] == [text], fake.requests[-1])
    finally:
        fake.close()


NOTICE = ('phoneauth: the password of your account was changed. "If" you did not\\do this,\n'
          'رمز عبور حساب شما تغییر کرد.')


@test
def kavenegar_script_sends_a_notice_as_its_text():
    fake = Fake(kavenegar_ok)
    try:
        env = {"KAVENEGAR_API_KEY": "test-key-123", "KAVENEGAR_TEMPLATE": "verify",
               "KAVENEGAR_URL": fake.url, "PHONE": "09121234567", "CODE": "",
               "PURPOSE": "notice", "LANGUAGE": "fa", "TEXT": NOTICE}
        r = run_script(KAVENEGAR, env)
        check(r.returncode == 0, r.stderr)
        url = urllib.parse.urlsplit(fake.requests[-1]["path"])
        check(url.path == "/v1/test-key-123/sms/send.json", fake.requests[-1])
        check(urllib.parse.parse_qs(url.query) == {"receptor": ["09121234567"],
                                                   "message": [NOTICE]}, url.query)
        r = run_script(KAVENEGAR, dict(env, KAVENEGAR_SENDER="10004346"))
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(fake.requests[-1]["path"]).query)
        check(r.returncode == 0 and query["sender"] == ["10004346"], query)
        n = len(fake.requests)
        check(run_script(KAVENEGAR, dict(env, TEXT="")).returncode != 0, "a notice without text")
        check(run_script(KAVENEGAR, dict(env, PURPOSE="login")).returncode != 0, "a code without CODE")
        check(len(fake.requests) == n, "sent anyway")
    finally:
        fake.close()


@test
def twilio_script_sends_a_notice_as_its_text():
    fake = Fake(twilio_ok)
    try:
        env = {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "+15005550006",
               "TWILIO_URL": fake.url, "PHONE": "09121234567", "CODE": "", "PURPOSE": "notice",
               "LANGUAGE": "fa", "TEXT": NOTICE}
        r = run_script(TWILIO, env)
        check(r.returncode == 0, r.stderr)
        form = urllib.parse.parse_qs(fake.requests[-1]["body"])
        check(form["Body"] == [NOTICE] and form["To"] == ["+989121234567"], form)
        n = len(fake.requests)
        check(run_script(TWILIO, dict(env, TEXT="")).returncode != 0, "a notice without text")
        check(run_script(TWILIO, dict(env, PURPOSE="login")).returncode != 0, "a code without CODE")
        check(len(fake.requests) == n, "sent anyway")
    finally:
        fake.close()


@test
def whatsapp_script_sends_a_notice_as_its_text():
    fake = Fake(whatsapp_ok)
    try:
        env = {"WHATSAPP_TOKEN": "EAAG-secret", "WHATSAPP_PHONE_NUMBER_ID": "1059",
               "WHATSAPP_TEMPLATE": "phoneauth_code", "WHATSAPP_URL": fake.url,
               "PHONE": "09121234567", "CODE": "", "PURPOSE": "notice", "LANGUAGE": "fa",
               "TEXT": NOTICE}
        # no notice template: a text message, never the code's template
        r = run_script(WHATSAPP, env)
        check(r.returncode == 0, r.stderr)
        body = json.loads(fake.requests[-1]["body"])
        check(body["type"] == "text" and body["to"] == "989121234567" and
              body["text"]["body"] == NOTICE and "template" not in body, body)
        # a notice template: the text its one body parameter, no button
        r = run_script(WHATSAPP, dict(env, WHATSAPP_TEMPLATE_NOTICE="security_notice"))
        body = json.loads(fake.requests[-1]["body"])
        check(r.returncode == 0 and body["type"] == "template", (r.stderr, body))
        t = body["template"]
        check(t["name"] == "security_notice" and t["language"] == {"code": "fa"} and
              t["components"] == [{"type": "body", "parameters": [{"type": "text",
                                                                    "text": NOTICE}]}], t)
        n = len(fake.requests)
        check(run_script(WHATSAPP, dict(env, TEXT="")).returncode != 0, "a notice without text")
        check(run_script(WHATSAPP, dict(env, PURPOSE="login")).returncode != 0, "a code without CODE")
        check(len(fake.requests) == n, "sent anyway")
    finally:
        fake.close()


@test
def whatsapp_script_sends_an_authentication_template():
    fake = Fake(whatsapp_ok)
    try:
        env = {"WHATSAPP_TOKEN": "EAAG-secret", "WHATSAPP_PHONE_NUMBER_ID": "1059",
               "WHATSAPP_TEMPLATE": "phoneauth_code", "WHATSAPP_URL": fake.url,
               "PHONE": "09121234567", "CODE": "042517", "PURPOSE": "register", "LANGUAGE": "fa"}
        r = run_script(WHATSAPP, env)
        check(r.returncode == 0, r.stderr)
        req = fake.requests[-1]
        check(req["method"] == "POST" and req["path"] == "/v19.0/1059/messages", req)
        check(req["headers"].get("Authorization") == "Bearer EAAG-secret", req["headers"])
        body = json.loads(req["body"])
        check(body["messaging_product"] == "whatsapp" and body["to"] == "989121234567"
              and body["type"] == "template", body)
        t = body["template"]
        check(t["name"] == "phoneauth_code" and t["language"] == {"code": "fa"}, t)
        texts = [p["text"] for c in t["components"] for p in c["parameters"]]
        check(texts == ["042517", "042517"], t["components"])   # the body and the copy-code button
        # a template per purpose, the English language code, an E.164 number
        r = run_script(WHATSAPP, dict(env, PHONE="+14155550123", LANGUAGE="en", PURPOSE="reset",
                                      WHATSAPP_TEMPLATE_RESET="reset_code"))
        body = json.loads(fake.requests[-1]["body"])
        check(r.returncode == 0 and body["to"] == "14155550123" and
              body["template"]["name"] == "reset_code" and
              body["template"]["language"] == {"code": "en_US"}, (r.stderr, body))
        # the token is never on a command line: curl reads it from its standard input
        check("EAAG-secret" not in open(WHATSAPP).read(), "a token in the script")
        # Meta's refusal is a failure, with its message for the dead letter
        fake.answer = lambda req: (400, {"error": {"message": "(#132001) Template name does not exist",
                                                   "code": 132001}})
        r = run_script(WHATSAPP, env)
        check(r.returncode != 0 and "132001" in r.stderr and "042517" not in r.stderr, r.stderr)
        # a 200 without a message id is not a delivery
        fake.answer = lambda req: (200, {"error": "odd"})
        check(run_script(WHATSAPP, env).returncode != 0, "a 200 without messages passed")
        check(run_script(WHATSAPP, dict(env, WHATSAPP_TOKEN="")).returncode != 0, "no token passed")
        check(run_script(WHATSAPP, dict(env, WHATSAPP_TEMPLATE='x","y')).returncode != 0,
              "a template name that would break the JSON passed")
    finally:
        fake.close()


@test
def codes_are_delivered_through_the_command_driver():
    fake = Fake(kavenegar_ok)
    s = Senders("deliver", PHONEAUTH_SMS_DRIVER="command", PHONEAUTH_SMS_COMMAND=KAVENEGAR)
    try:
        with Pool(s.env, "sms-deliver") as url:
            s.start({"KAVENEGAR_API_KEY": "k", "KAVENEGAR_TEMPLATE": "verify",
                     "KAVENEGAR_URL": fake.url})
            phones = [fresh_phone() for _ in range(3)]
            for p in phones:
                check(Client(base_url=url).post("register", {"mobile_number": p}).status == 200, p)
            codes = {e["phone"]: e["code"] for e in s.outbox()}
            check(wait_for(lambda: len(fake.requests) >= 3, 15), "only %d delivered" % len(fake.requests))
            got = {urllib.parse.parse_qs(urllib.parse.urlsplit(r["path"]).query)["receptor"][0]:
                   urllib.parse.parse_qs(urllib.parse.urlsplit(r["path"]).query)["token"][0]
                   for r in fake.requests}
            check(got == {p: codes[p] for p in phones}, (got, codes))
            check(wait_for(lambda: s.status().get("delivered") == 3 and s.status().get("pending") == 0, 5),
                  s.status())
            check(Client(base_url=url).get("health").json["sms_backlog"] == 0, "backlog")
            # no code in any log line: the command driver does not log them
            for code in codes.values():
                check(code not in s.all_log_text(), "a code in the sender's log")
                check(code not in open(os.path.join(STATE, "pools", "sms-deliver", "log",
                                                    "phoneauth.log")).read(), "a code in the workers' log")
    finally:
        s.stop()
        fake.close()


@test
def provider_scripts_read_their_secrets_from_the_credentials_directory():
    """LoadCredential= (docs/operations.md, "SMS delivery"): no secret in the unit's
    environment, which `systemctl show` prints to every local user; the
    script reads $CREDENTIALS_DIRECTORY/NAME instead."""
    fake = Fake(kavenegar_ok)
    try:
        creds = credentials_dir({"KAVENEGAR_API_KEY": "key-from-a-file"})
        env = {"KAVENEGAR_API_KEY": "", "KAVENEGAR_TEMPLATE": "verify", "KAVENEGAR_URL": fake.url,
               "PHONE": "09121234567", "CODE": "048213", "CREDENTIALS_DIRECTORY": creds}
        r = run_script(KAVENEGAR, env)
        check(r.returncode == 0, r.stderr)
        check(urllib.parse.urlsplit(fake.requests[-1]["path"]).path == "/v1/key-from-a-file/verify/lookup.json",
              fake.requests[-1])
        # the environment, where it is set, still wins; without either, a refusal
        run_script(KAVENEGAR, dict(env, KAVENEGAR_API_KEY="key-from-env"))
        check("/v1/key-from-env/" in fake.requests[-1]["path"], fake.requests[-1])
        r = run_script(KAVENEGAR, dict(env, CREDENTIALS_DIRECTORY=credentials_dir({})))
        check(r.returncode != 0 and "KAVENEGAR_API_KEY" in r.stderr, r.stderr)
    finally:
        fake.close()
    fake = Fake(twilio_ok)
    try:
        creds = credentials_dir({"TWILIO_ACCOUNT_SID": "AC-from-file", "TWILIO_AUTH_TOKEN": "token-from-file"})
        r = run_script(TWILIO, {"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "", "TWILIO_FROM": "+15005550006",
                                "TWILIO_URL": fake.url, "PHONE": "09121234567", "CODE": "048213",
                                "CREDENTIALS_DIRECTORY": creds})
        check(r.returncode == 0, r.stderr)
        req = fake.requests[-1]
        check(req["path"] == "/2010-04-01/Accounts/AC-from-file/Messages.json" and
              req["headers"].get("Authorization") == "Basic " + base64.b64encode(
                  b"AC-from-file:token-from-file").decode(), req)
    finally:
        fake.close()
    fake = Fake(whatsapp_ok)
    try:
        creds = credentials_dir({"WHATSAPP_TOKEN": "EAAG-from-file"})
        r = run_script(WHATSAPP, {"WHATSAPP_TOKEN": "", "WHATSAPP_PHONE_NUMBER_ID": "1059",
                                  "WHATSAPP_TEMPLATE": "phoneauth_code", "WHATSAPP_URL": fake.url,
                                  "PHONE": "09121234567", "CODE": "042517", "CREDENTIALS_DIRECTORY": creds})
        check(r.returncode == 0, r.stderr)
        check(fake.requests[-1]["headers"].get("Authorization") == "Bearer EAAG-from-file", fake.requests[-1])
    finally:
        fake.close()


@test
def the_sender_hands_its_credentials_directory_to_the_command():
    """As systemd runs it with LoadCredential=: the sender's environment has
    CREDENTIALS_DIRECTORY and no key; the command it runs finds the key."""
    fake = Fake(kavenegar_ok)
    s = Senders("creds", PHONEAUTH_SMS_DRIVER="command", PHONEAUTH_SMS_COMMAND=KAVENEGAR)
    try:
        with Pool(s.env, "sms-creds") as url:
            s.start({"CREDENTIALS_DIRECTORY": credentials_dir({"KAVENEGAR_API_KEY": "k-file"}),
                     "KAVENEGAR_API_KEY": "", "KAVENEGAR_TEMPLATE": "verify", "KAVENEGAR_URL": fake.url})
            phone = fresh_phone()
            check(Client(base_url=url).post("register", {"mobile_number": phone}).status == 200, phone)
            check(wait_for(lambda: len(fake.requests) >= 1, 15), "nothing delivered: %s" % s.all_log_text())
            check(urllib.parse.urlsplit(fake.requests[0]["path"]).path == "/v1/k-file/verify/lookup.json",
                  fake.requests[0])
    finally:
        s.stop()
        fake.close()


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


# ---- delivery: retries, dead letters, a killed sender, expiry ----


@test
def a_failing_command_is_retried_then_dead_lettered():
    calls = os.path.join(STATE, "failing-calls.txt")
    if os.path.exists(calls):
        os.unlink(calls)
    script = write_script(os.path.join(STATE, "failing-sms.sh"),
                          "#!/bin/sh\necho \"$PHONE\" >> %s\necho 'provider says no' >&2\nexit 3\n" % calls)
    s = Senders("fail", PHONEAUTH_SMS_DRIVER="command", PHONEAUTH_SMS_COMMAND=script,
                PHONEAUTH_SMS_MAX_ATTEMPTS=3)
    try:
        with Pool(s.env, "sms-fail") as url:
            s.start()
            phone = fresh_phone()
            t0 = time.time()
            Client(base_url=url).post("register", {"mobile_number": phone})
            check(wait_for(lambda: len(s.dead()) == 1, 20), "not dead-lettered: %s" % s.status())
            elapsed = time.time() - t0
            dead = s.dead()[0]
            check(dead["phone"] == phone and dead["attempts"] == "3", dead)
            check(dead["error"] == "exit status 3: provider says no", dead)
            check(open(calls).read().split() == [phone] * 3, open(calls).read())
            # back-off between tries: 1 s then 2 s, each times 0.5..1.5
            check(elapsed >= 1.4, "retried too fast: %.1f s" % elapsed)
            st = s.status()
            check(st["dead"] == 1 and st["pending"] == 0 and st["delivered"] == 0, st)
            check("gave up on %s after 3 attempts" % phone in s.all_log_text(), s.all_log_text())
            # sms-dead lists it with its last error ...
            r = subprocess.run([os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"], "sms-dead"],
                               env=dict(os.environ, **s.env), capture_output=True, text=True)
            check(r.returncode == 0 and phone in r.stdout and "after 3 attempts" in r.stdout and
                  "provider says no" in r.stdout, r.stdout + r.stderr)
            # ... and --retry puts it back in the outbox, where the sender
            # tries it again (and, the command failing still, dead-letters it)
            r = subprocess.run([os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"], "sms-dead",
                                "--retry"], env=dict(os.environ, **s.env), capture_output=True,
                               text=True)
            check(r.returncode == 0 and "1 dead letters put back" in r.stdout, r.stdout + r.stderr)
            check(wait_for(lambda: open(calls).read().split().count(phone) >= 4, 20),
                  "the retried letter was not tried again: %r" % open(calls).read())
            check(wait_for(lambda: len(s.dead()) == 1 and s.dead()[0]["id"] != dead["id"], 20),
                  "not dead-lettered again: %r" % s.dead())
            check(s.dead()[0]["text"] and dead["code"] in s.dead()[0]["text"], s.dead()[0])
    finally:
        s.stop()


@test
def a_killed_sender_loses_nothing_another_delivers_it():
    delivered = os.path.join(STATE, "slow-delivered.txt")
    if os.path.exists(delivered):
        os.unlink(delivered)
    script = write_script(os.path.join(STATE, "slow-sms.sh"),
                          "#!/bin/sh\nsleep 3\necho \"$PHONE $CODE\" >> %s\n" % delivered)
    s = Senders("crash", PHONEAUTH_SMS_DRIVER="command", PHONEAUTH_SMS_COMMAND=script,
                PHONEAUTH_SMS_CLAIM_IDLE=2)
    try:
        with Pool(s.env, "sms-crash") as url:
            first = s.start()
            phones = [fresh_phone() for _ in range(4)]
            for p in phones:
                Client(base_url=url).post("register", {"mobile_number": p})
            codes = {e["phone"]: e["code"] for e in s.outbox()}
            # the first sender has one in hand (pending) when it dies
            check(wait_for(lambda: s.status().get("pending", 0) >= 1, 10), s.status())
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
            in_flight = s.status()["pending"]
            second = s.start()
            check(wait_for(lambda: s.status().get("pending") == 0 and s.status().get("unread") == 0, 60),
                  s.status())
            check(wait_for(lambda: len(set(open(delivered).read().split("\n")) - {""}) >= 4, 10),
                  "not all delivered")
            lines = set(open(delivered).read().split("\n")) - {""}
            check({"%s %s" % (p, codes[p]) for p in phones} <= lines, (lines, codes))
            # what the dead sender held was taken over: a second delivery of it
            log = open(s.logs[-1]).read()
            check(in_flight >= 1 and "attempt 2" in log, log)
            check(second.poll() is None, "the second sender died")
    finally:
        s.stop()


@test
def expired_entries_are_dropped_not_delivered():
    delivered = os.path.join(STATE, "expired-delivered.txt")
    if os.path.exists(delivered):
        os.unlink(delivered)
    script = write_script(os.path.join(STATE, "record-sms.sh"),
                          "#!/bin/sh\necho \"$PHONE\" >> %s\n" % delivered)
    s = Senders("expired", PHONEAUTH_SMS_DRIVER="command", PHONEAUTH_SMS_COMMAND=script)
    try:
        old, fresh = fresh_phone(), fresh_phone()
        now = int(time.time())
        for phone, created in ((old, now - 121), (fresh, now)):
            redis_command("XADD", s.prefix + "sms", "*", "phone", phone, "code", "123456",
                          "purpose", "register", "created_at", str(created), "language", "en")
        s.start()
        check(wait_for(lambda: s.status().get("expired") == 1 and s.status().get("delivered") == 1, 10),
              s.status())
        check(open(delivered).read().split() == [fresh], open(delivered).read())
        check("dropped a code for %s" % old in s.all_log_text(), s.all_log_text())
    finally:
        s.stop()


# ---- the log driver sends nothing, and says so ----


@test
def the_log_driver_is_the_only_log_line_with_a_code():
    s = Senders("logdriver", PHONEAUTH_SMS_DRIVER="log")
    try:
        with Pool(s.env, "sms-log") as url:
            s.start()
            phone = fresh_phone()
            Client(base_url=url).post("register", {"mobile_number": phone})
            code = s.outbox()[0]["code"]
            check(wait_for(lambda: "sms: code %s for %s (register)" % (code, phone) in s.all_log_text(), 10),
                  s.all_log_text())
            workers = open(os.path.join(STATE, "pools", "sms-log", "log", "phoneauth.log")).read()
            check(code not in workers, "the workers logged a code")
    finally:
        s.stop()


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


if __name__ == "__main__":
    run()
