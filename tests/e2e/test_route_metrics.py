"""GET metrics: Prometheus text for the whole pool, kept across worker
restarts, only for metrics_allow, and valid by promtool's own check."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

from pa import (Client, Pool, check, expect, free_port, fresh_phone, redis_command, run, signup,
                stop_process, test, wait_for)

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


def redis_calls(command):
    """How many times Redis ran `command` since it started (INFO commandstats)."""
    info = redis_command("INFO", "commandstats").decode()
    m = re.search(r"^cmdstat_%s:calls=(\d+)," % command, info, re.M)
    return int(m.group(1)) if m else 0


@test
def a_client_not_allowed_costs_the_stores_no_ping():
    """metrics_allow is looked at first: a client not allowed gets its 404
    before the scrape pings Redis and PostgreSQL. (Only health and a scrape
    PING Redis, and the tests run one at a time.)"""
    before = redis_calls("ping")
    for _ in range(5):
        body = expect(Client().get("metrics"), 404, "not_found")
        check(set(body) == {"error", "message"}, body)
    check(redis_calls("ping") == before, "%d PINGs for 5 refused scrapes" % (redis_calls("ping") - before))
    scrape()                                    # the control: a scrape does PING
    check(redis_calls("ping") == before + 1, "the count did not see the scrape's PING")


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


DASHBOARD = os.path.join(os.environ["PA_REPO"], "conf", "grafana", "phoneauth.json")
CONTRACT_SERIES = ("phoneauth_requests_total", "phoneauth_request_duration_seconds",
                   "phoneauth_sms_sent_total", "phoneauth_sms_refused_total",
                   "phoneauth_codes_verified_total", "phoneauth_logins_total",
                   "phoneauth_blocks_total", "phoneauth_outbox_pending", "phoneauth_outbox_dead",
                   "phoneauth_store_up", "phoneauth_event_deliveries_total",
                   "phoneauth_events_pending", "phoneauth_events_dead")


def dashboard_queries():
    with open(DASHBOARD) as f:
        dash = json.load(f)
    check(dash["__inputs"][0]["pluginId"] == "prometheus", "no Prometheus input to import with")
    return [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]


@test
def the_dashboard_covers_the_series_and_its_queries_answer_on_a_real_prometheus():
    queries = dashboard_queries()
    text = " ".join(queries)
    for name in CONTRACT_SERIES:
        check(name in text, "the dashboard shows no %s" % name)
    prometheus = shutil.which("prometheus")
    check(prometheus is not None, "prometheus (Debian's package) is not installed")
    port, api = free_port(), urllib.parse.urlsplit(os.environ["PA_BASE_URL"])
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global: {scrape_interval: 1s}\n"
                    "scrape_configs:\n"
                    "  - job_name: phoneauth\n"
                    "    metrics_path: %s/metrics\n"
                    "    static_configs: [{targets: ['%s']}]\n" % (api.path, api.netloc))
        p = subprocess.Popen([prometheus, "--config.file=" + conf, "--storage.tsdb.path=" + tmp,
                              "--web.listen-address=127.0.0.1:%d" % port],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            def query(expr):
                url = "http://127.0.0.1:%d/api/v1/query?%s" % (
                    port, urllib.parse.urlencode({"query": expr}))
                try:
                    with urllib.request.urlopen(url, timeout=5) as r:
                        return json.load(r)
                except (OSError, ValueError) as e:
                    return {"status": "error", "error": str(e)}
            up = 'up{job="phoneauth"}'
            check(wait_for(lambda: [s["value"][1] for s in query(up).get("data", {})
                                    .get("result", [])] == ["1"], timeout=20, step=0.5),
                  "Prometheus did not scrape GET metrics: %r" % query(up))
            # traffic of every kind the panels show, while it scrapes
            c, phone = Client(), fresh_phone()
            signup(c, phone)
            expect(c.post("login", {"mobile_number": phone, "password": "wrong password 9"}), 401)
            time.sleep(4)
            for expr in queries:
                e = expr.replace("$__rate_interval", "1m").replace("$instance", ".*")
                r = query(e)
                check(r.get("status") == "success", "%s: %s" % (expr, r.get("error")))
                # only 5xx by route may well be nothing yet
                check(r["data"]["result"] or ('status=~"5.."' in expr and "vector(0)" not in expr),
                      "%s answers nothing on a live service" % expr)
        finally:
            stop_process(p)


if __name__ == "__main__":
    run()
