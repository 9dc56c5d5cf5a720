"""An imported hash with fewer iterations than pbkdf2_iterations must not
make a wrong password answer faster: the answer's timing would tell which
accounts still carry an old (imported) hash, and so which are old
accounts. A wrong password on an account hashed at 20000 iterations must
take as long as on one hashed at the configured 200000 (median ratio
short/long at least 0.7; today about 0.1-0.5). A relative comparison within
one run, on purpose. (How to run one file alone: see test_hard_json.py.)"""

import statistics
import time

from pa import Client, Pool, check, django_hash, expect, fresh_phone, psql, run, test

PASSWORD = "correct horse battery"
CONFIGURED = 200000
SHORT = 20000
SAMPLES = 7


def accounts(n, iterations):
    """n complete accounts whose stored hash has `iterations` (one wrong
    login each: no number comes near its block)."""
    phones = [fresh_phone() for _ in range(n)]
    psql("INSERT INTO users (mobile_number, password, first_name, last_name, is_verified, is_active)"
         " SELECT p, :'h', 'Old', 'Hash', true, true FROM unnest(string_to_array(:'p', ',')) AS p",
         h=django_hash(PASSWORD, iterations), p=",".join(phones))
    return phones


def wrong_login(url, phone):
    c = Client(base_url=url)   # a fresh address each time: no address nears its block
    t0 = time.monotonic()
    r = c.post("login", {"mobile_number": phone, "password": "not the password"})
    elapsed = time.monotonic() - t0
    expect(r, 401, "password_incorrect")
    return elapsed


@test
def a_wrong_password_takes_as_long_on_an_imported_short_hash():
    with Pool({"PHONEAUTH_PBKDF2_ITERATIONS": str(CONFIGURED)}, "hard-timing") as url:
        long_, short = accounts(SAMPLES + 1, CONFIGURED), accounts(SAMPLES + 1, SHORT)
        # one of each first, untimed: connections and caches warm
        wrong_login(url, long_.pop())
        wrong_login(url, short.pop())
        t_long, t_short = [], []
        for a, b in zip(long_, short):   # interleaved, so that drift hits both alike
            t_long.append(wrong_login(url, a))
            t_short.append(wrong_login(url, b))
        m_long, m_short = statistics.median(t_long), statistics.median(t_short)
        ratio = m_short / m_long
        check(ratio >= 0.7, "median %.3f s at %d iterations vs %.3f s at %d (ratio %.2f < 0.7)"
              % (m_short, SHORT, m_long, CONFIGURED, ratio))
        # the stored hashes were not touched by wrong passwords
        rows = psql("SELECT count(*) FROM users WHERE mobile_number = ANY (string_to_array(:'p', ','))"
                    " AND password LIKE :'pre'", p=",".join(short), pre="pbkdf2_sha256$%d$%%" % SHORT)
        check(rows == [[str(len(short))]], rows)


if __name__ == "__main__":
    run()
