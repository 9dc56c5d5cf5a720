"""Codes and sessions expire (on a pool with short lifetimes).

Nothing here sleeps for a fixed time: the tests poll Redis for the moment
they wait for (a code's expiry on Redis's own clock, a session's remaining
time) and then ask the service."""

import time

from pa import (REDIS_PREFIX, Client, Pool, check, cooldown_over, expect, fresh_phone, latest_code,
                redis_command, register, run, test, wait_for)

# Short, but not so short that a busy machine (ASan workers, 2 cores) takes
# longer than a lifetime between two requests that must fall inside it.
OTP_TTL, SESSION_TTL = 3, 6
SHORT = {"PHONEAUTH_OTP_TTL": str(OTP_TTL), "PHONEAUTH_SESSION_TTL": str(SESSION_TTL),
         "PHONEAUTH_OTP_COOLDOWN": "1"}


def redis_ms():
    sec, usec = redis_command("TIME")
    return int(sec) * 1000 + int(usec) // 1000


def session_key(sid):
    return REDIS_PREFIX + "s:" + sid


def code_expiry_ms(sid):
    """When the session's code expires, on Redis's clock (the session's `ce`)."""
    return int(redis_command("HGET", session_key(sid), "ce"))


@test
def an_expired_code_is_otp_invalid():
    with Pool(SHORT, "expiry") as url:
        c, phone = Client(base_url=url), fresh_phone()
        before = redis_ms()
        sid = register(c, phone)["session_id"]
        after = redis_ms()
        expires = code_expiry_ms(sid)
        check(before + OTP_TTL * 1000 <= expires <= after + OTP_TTL * 1000,
              "the code expires %d ms after register began, otp_ttl is %d s" % (expires - before, OTP_TTL))
        check(wait_for(lambda: redis_ms() > expires, OTP_TTL + 5, 0.05), "Redis's clock stands still")
        expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 400, "otp_invalid")
        # a fresh code works in the same session
        cooldown_over(phone)
        expect(c.post("resend-otp", {"session_id": sid}), 200)
        expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 200)


@test
def an_idle_session_expires_a_used_one_is_renewed_and_a_wrong_step_renews_nothing():
    with Pool(SHORT, "expiry") as url:
        c, phone = Client(base_url=url), fresh_phone()
        t0 = time.time()
        sid = register(c, phone)["session_id"]
        pttl = lambda: redis_command("PTTL", session_key(sid))  # noqa: E731
        for _ in range(3):
            # used when more than half its lifetime has gone by
            check(wait_for(lambda: pttl() < SESSION_TTL * 1000 // 2, SESSION_TTL + 5, 0.05),
                  "the session's lifetime does not run: %d ms" % pttl())
            # a request for another step neither consumes nor renews it
            expect(c.post("user-info", {"session_id": sid, "first_name": "A", "last_name": "B"}),
                   409, "wrong_step")
            check(pttl() < SESSION_TTL * 1000 // 2, "renewed by a wrong step: %d ms left" % pttl())
            # its own step does, each time
            expect(c.post("resend-otp", {"session_id": sid}), 200)
            check(pttl() > SESSION_TTL * 1000 // 2, "not renewed by its use: %d ms left" % pttl())
        check(time.time() - t0 > SESSION_TTL, "the session did not outlive session_ttl")
        # left alone, it goes
        check(wait_for(lambda: pttl() == -2, SESSION_TTL + 5, 0.05), "the idle session did not expire")
        expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}),
               400, "session_invalid")


if __name__ == "__main__":
    run()
