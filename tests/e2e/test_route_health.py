"""GET health (API.md, "Tokens" and "Operations"): both stores and the SMS
backlog. (Health while a store is down: test_store_outages.py.)"""

from pa import Client, check, expect, run, test


@test
def health_reports_both_stores():
    r = expect(Client().get("health"), 200)
    check({k: r[k] for k in ("status", "redis", "postgres")} == {"status": "ok", "redis": "ok",
                                                                  "postgres": "ok"}, r)
    check(isinstance(r.get("sms_backlog"), int) and r["sms_backlog"] >= 0, r)


if __name__ == "__main__":
    run()
