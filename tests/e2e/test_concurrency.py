"""Requests racing each other across workers."""

from concurrent.futures import ThreadPoolExecutor

from pa import Client, check, cooldown_pool, fresh_phone, outbox_entries, psql, run, signup, test


@test
def parallel_registrations_of_one_new_number_send_one_code_and_make_no_user():
    phone = fresh_phone()
    # (the main stack has no cooldown: this pool has one, and two workers to race)
    with cooldown_pool("concurrency", 30, workers=2) as url:
        clients = [Client(base_url=url) for _ in range(20)]
        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(lambda c: c.post("register", {"mobile_number": phone}), clients))
    statuses = sorted(r.status for r in results)
    check(all(s in (200, 429) for s in statuses), statuses)
    check(statuses.count(200) == 1, "one code may be sent inside the cooldown, got %s" % statuses)
    check(all(r.json["error"] == "otp_rate_limited" for r in results if r.status == 429), results)
    check(len(outbox_entries(phone)) == 1, "%d codes were sent" % len(outbox_entries(phone)))
    check(psql("SELECT count(*) FROM users WHERE mobile_number = :'p'", p=phone) == [["0"]],
          "a register wrote a row before the phone was proved")


@test
def parallel_signups_of_different_numbers_all_succeed():
    phones = [fresh_phone() for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(lambda p: signup(Client(), p), phones))
    check(all(t["token_type"] == "Bearer" for t in tokens), tokens)
    rows = psql("SELECT count(*) FROM users WHERE mobile_number = ANY (string_to_array(:'l', ','))"
                " AND is_active", l=",".join(phones))
    check(rows == [["8"]], rows)


if __name__ == "__main__":
    run()
