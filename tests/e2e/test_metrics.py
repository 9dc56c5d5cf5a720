"""GET metrics: Prometheus text for the whole pool, kept across worker
restarts, only for metrics_allow, and valid by promtool's own check."""

import re
import shutil
import subprocess

from pa import (Client, Pool, check, expect, fresh_phone, latest_code, run, signup, stack, test,
                wait_for)

READER = "127.0.0.1"      # metrics_allow's default: 127.0.0.1 and ::1


def scrape(url=None):
    r = Client(ip=READER, base_url=url).get("metrics")
    expect(r, 200)
    check(r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8", r.headers)
    return r.body.decode()


def value(text, series):
    """The value of one series ('name{labels}' exactly as written), 0 if absent."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0.0


@test
def only_metrics_allow_may_read_it_everyone_else_finds_no_route():
    body = expect(Client().get("metrics"), 404, "not_found")
    check(set(body) == {"error", "message"}, body)
    with Pool({"PHONEAUTH_METRICS_ALLOW": "127.0.0.0/8"}, "metrics-wide") as url:
        expect(Client(base_url=url).get("metrics"), 200)


@test
def the_series_of_the_contract_are_there_and_promtool_accepts_them():
    c, phone = Client(), fresh_phone()
    signup(c, phone)
    expect(c.post("login", {"mobile_number": phone, "password": "wrong password 1"}), 401)
    text = scrape()
    for name in ("phoneauth_requests_total", "phoneauth_request_duration_seconds_bucket",
                 "phoneauth_request_duration_seconds_sum", "phoneauth_request_duration_seconds_count",
                 "phoneauth_sms_sent_total", "phoneauth_sms_refused_total",
                 "phoneauth_codes_verified_total", "phoneauth_logins_total", "phoneauth_blocks_total",
                 "phoneauth_outbox_pending", "phoneauth_outbox_dead", "phoneauth_store_up"):
        check(re.search(r"^%s[{ ]" % name, text, re.M), "no %s in:\n%s" % (name, text[:2000]))
    check(value(text, 'phoneauth_store_up{store="redis"}') == 1 and
          value(text, 'phoneauth_store_up{store="postgres"}') == 1, "stores not up")
    check(value(text, 'phoneauth_logins_total{result="wrong_password"}') >= 1, "a wrong login uncounted")
    check(value(text, 'phoneauth_sms_sent_total{purpose="register"}') >= 1, "a code uncounted")
    check(value(text, 'phoneauth_codes_verified_total{purpose="register"}') >= 1, "a verify uncounted")
    # the histogram is cumulative and ends with +Inf = _count
    buckets = [float(l.split()[-1]) for l in text.splitlines()
               if l.startswith('phoneauth_request_duration_seconds_bucket{route="register"')]
    check(buckets == sorted(buckets) and buckets[-1] ==
          value(text, 'phoneauth_request_duration_seconds_count{route="register"}'), buckets)
    promtool = shutil.which("promtool")
    check(promtool is not None, "promtool (Debian's prometheus package) is not installed")
    r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    check(r.returncode == 0, "promtool: %s %s" % (r.stdout, r.stderr))


@test
def counts_add_up_across_requests_and_survive_the_workers():
    with Pool({}, "metrics-pool", workers=2) as url:
        before = scrape(url)
        n0 = value(before, 'phoneauth_requests_total{route="health",status="200"}')
        for _ in range(10):
            expect(Client(base_url=url).get("health"), 200)
        after = scrape(url)
        n1 = value(after, 'phoneauth_requests_total{route="health",status="200"}')
        check(n1 - n0 >= 10, "10 requests on two workers counted as %s" % (n1 - n0))
    # a whole new pool of the same deployment reads the same counts: nothing
    # was kept in a worker
    with Pool({}, "metrics-pool-2", workers=1) as url:
        n2 = value(scrape(url), 'phoneauth_requests_total{route="health",status="200"}')
        check(n2 >= n1, "counts lost with the workers: %s then %s" % (n1, n2))


@test
def refusals_and_blocks_are_counted_by_reason():
    text0 = scrape()
    c, phone = Client(), fresh_phone()
    for _ in range(3):
        c.post("register", {"mobile_number": "not a number"})
    expect(c.get("health"), 429, "too_many_attempts")
    with Pool({"PHONEAUTH_OTP_COOLDOWN": "60"}, "metrics-cooldown") as url:
        Client(base_url=url).post("register", {"mobile_number": phone})
        expect(Client(base_url=url).post("register", {"mobile_number": phone}), 429,
               "otp_rate_limited")
    text1 = scrape()
    check(value(text1, 'phoneauth_blocks_total{kind="ip"}') >
          value(text0, 'phoneauth_blocks_total{kind="ip"}'), "a block uncounted")
    check(value(text1, 'phoneauth_sms_refused_total{reason="cooldown"}') >
          value(text0, 'phoneauth_sms_refused_total{reason="cooldown"}'), "a refusal uncounted")


if __name__ == "__main__":
    run()
