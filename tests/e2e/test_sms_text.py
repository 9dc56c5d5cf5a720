"""The text of an SMS: a template per purpose and language, sms_template_dir
overriding them, the origin-bound last line, the text in the outbox entry and
in the command driver's TEXT."""

import os
import subprocess
import tempfile

from pa import (Client, admin, check, expect, fresh_phone, prefixed_pool, run, stop_process, stream_entries,
                test, wait_for)

STATE = os.environ.get("PA_STATE_DIR", "/tmp")


def pool(name, **settings):
    """A prefixed_pool (an outbox of its own): (pool, prefix, its env)."""
    p, prefix = prefixed_pool("text-" + name, **settings)
    return p, prefix, p.env


def entry(prefix, phone):
    return [e for e in stream_entries(prefix + "sms") if e["phone"] == phone][0]


@test
def each_purpose_and_language_has_its_text_with_the_code():
    p, prefix, env = pool("builtin", sms_app_name="Shop")
    with p as url:
        phone = fresh_phone()
        expect(Client(base_url=url).post("register", {"mobile_number": phone}), 200)
        e = entry(prefix, phone)
        check(e["code"] in e["text"] and "code" in e["text"] and "Shop" in e["text"] and
              "2 min" in e["text"], e)      # otp_ttl 120 s: 2 minutes
        check(e["text"].startswith(e["code"]), "the English text puts the code first: %r" % e)
        phone = fresh_phone()
        expect(Client(base_url=url, lang="fa").post("register", {"mobile_number": phone}), 200)
        e = entry(prefix, phone)
        check(e["language"] == "fa" and e["code"] in e["text"] and "Shop" in e["text"], e)
        check(any("\u0600" <= ch <= "\u06ff" for ch in e["text"]), "not Persian: %r" % e["text"])
        check("@" not in e["text"], "an origin line without sms_origin: %r" % e["text"])


@test
def with_sms_origin_the_text_ends_with_the_origin_bound_line():
    p, prefix, env = pool("origin", sms_origin="shop.example")
    with p as url:
        for lang in ("en", "fa"):
            phone = fresh_phone()
            expect(Client(base_url=url, lang=lang).post("password-reset", {"mobile_number": phone}),
                   200)
            # an unknown number: no code, no text; register one instead
            expect(Client(base_url=url, lang=lang).post("register", {"mobile_number": phone}), 200)
            e = entry(prefix, phone)
            check(e["text"].split("\n")[-1] == "@shop.example #" + e["code"], e["text"])


@test
def sms_template_dir_replaces_a_template_and_a_bad_one_stops_the_program():
    d = tempfile.mkdtemp(dir=STATE)
    with open(os.path.join(d, "register.en.txt"), "w") as f:
        f.write("Your {app} sign-up code is {code}; it lasts {minutes} minutes.\n")
    p, prefix, env = pool("dir", sms_template_dir=d, sms_app_name="Shop")
    with p as url:
        phone = fresh_phone()
        expect(Client(base_url=url).post("register", {"mobile_number": phone}), 200)
        e = entry(prefix, phone)
        check(e["text"] == "Your Shop sign-up code is %s; it lasts 2 minutes." % e["code"], e)
        # the other templates are still the compiled-in ones
        phone = fresh_phone()
        expect(Client(base_url=url, lang="fa").post("register", {"mobile_number": phone}), 200)
        check(any("\u0600" <= ch <= "\u06ff" for ch in entry(prefix, phone)["text"]), "not Persian")
    for bad in ("no code here, {app}", "{code} and {name}"):
        with open(os.path.join(d, "reset.fa.txt"), "w") as f:
            f.write(bad)
        out = admin("check", env=env)
        check(out.returncode == 2 and "reset.fa.txt" in out.stderr, out.stdout + out.stderr)


@test
def check_warns_of_a_text_that_takes_more_than_one_sms():
    out = admin("check", env={"PHONEAUTH_SMS_ORIGIN": ""})
    check(out.returncode == 0 and "takes" not in out.stderr,
          "the compiled-in templates fit one SMS: %r" % out.stderr)
    d = tempfile.mkdtemp(dir=STATE)
    with open(os.path.join(d, "login.en.txt"), "w") as f:
        f.write("{code} " + "is your code, " * 14)
    out = admin("check", env={"PHONEAUTH_SMS_TEMPLATE_DIR": d})
    check(out.returncode == 0 and "warning" in out.stderr and "login" in out.stderr and
          "takes 2 SMS" in out.stderr, out.stderr)
    # Persian needs UCS-2: 70 characters; the origin line pushes it over
    out = admin("check", env={"PHONEAUTH_SMS_ORIGIN": "shop.example"})
    check(out.returncode == 0 and " in fa " in out.stderr, out.stderr)


@test
def the_command_driver_gets_the_text_in_its_environment():
    d = tempfile.mkdtemp(dir=STATE)
    got = os.path.join(d, "text")
    script = os.path.join(d, "record.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\nprintf '%%s' \"$TEXT\" > %s\n" % got)
    os.chmod(script, 0o755)
    p, prefix, env = pool("command", sms_driver="command", sms_command=script, sms_origin="shop.example")
    with p as url:
        log = open(os.path.join(STATE, "text-sender.log"), "w")
        sender = subprocess.Popen([os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"], "sender"],
                                  env=dict(os.environ, **env), stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        try:
            phone = fresh_phone()
            expect(Client(base_url=url).post("register", {"mobile_number": phone}), 200)
            check(wait_for(lambda: os.path.exists(got) and os.path.getsize(got) > 0, 15),
                  "the command did not run")
            check(open(got).read() == entry(prefix, phone)["text"], open(got).read())
        finally:
            stop_process(sender)


if __name__ == "__main__":
    run()
