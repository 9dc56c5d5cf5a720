"""Codes and sessions expire (on a pool with short lifetimes)."""

import time

from pa import Client, Pool, expect, fresh_phone, latest_code, register, run, test

SHORT = {"PHONEAUTH_OTP_TTL": "2", "PHONEAUTH_SESSION_TTL": "4", "PHONEAUTH_OTP_COOLDOWN": "1"}


@test
def an_expired_code_is_otp_invalid():
    with Pool(SHORT, "expiry") as url:
        c, phone = Client(base_url=url), fresh_phone()
        sid = register(c, phone)["session_id"]
        time.sleep(2.5)
        expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 400, "otp_invalid")
        # a fresh code works in the same session
        expect(c.post("resend-otp", {"session_id": sid}), 200)
        expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 200)


@test
def an_idle_session_expires_and_a_used_one_is_renewed():
    with Pool(SHORT, "expiry") as url:
        c, phone = Client(base_url=url), fresh_phone()
        sid = register(c, phone)["session_id"]
        expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 200)
        for _ in range(3):  # 3 x 2.5 s > session_ttl, but each use renews it
            time.sleep(2.5)
            expect(c.post("user-info", {"session_id": sid, "first_name": "A", "last_name": "B"}),
                   409, "wrong_step")
        time.sleep(4.5)
        expect(c.post("set-password", {"session_id": sid, "password": "correct horse battery"}),
               400, "session_invalid")


if __name__ == "__main__":
    run()
