"""Slow clients never hold a worker (the stack's lighttpd, two workers):
lighttpd buffers every body the workers will read, so while a dozen
connections send their bodies one byte every two seconds, health and
register still answer at once. And a body over the limit gets phoneauth's
JSON 413 however it is sent, without its body being read."""

import json
import time

from ops_bodies import (BYTE_EVERY, QUICK, SlowBodies, check, oversized_bodies_get_the_json_413,
                        quick_while_slow_bodies, request)
from pa import BASE_URL, fresh_phone, run, test


@test
def health_and_register_answer_at_once_while_bodies_trickle_in():
    quick_while_slow_bodies(BASE_URL)


@test
def the_slow_requests_are_served_once_their_bodies_are_complete():
    # buffered, not lost: a slow body that does finish gets its answer
    body = json.dumps({"mobile_number": fresh_phone()}).encode()

    def slowly():
        for i in range(0, len(body), 8):
            yield body[i:i + 8]
            time.sleep(0.2)
    st, _, answer, secs = request(BASE_URL, "POST", "register", slowly(),
                                  {"Content-Type": "application/json", "Content-Length": str(len(body))},
                                  timeout=30)
    check(st == 200 and json.loads(answer)["next_step"] == "otp", (st, answer))
    check(secs >= 0.2 * (len(body) // 8), "the body was not sent slowly (%.2f s)" % secs)


@test
def bodies_announced_too_large_are_refused_at_once_while_trickling():
    # a dozen slow senders that announce a megabyte: each gets its 413 at
    # once, from the Content-Length, and holds nothing
    with SlowBodies(BASE_URL, declared=1 << 20, chunked=False) as slow:
        for s in slow.socks:
            s.settimeout(QUICK + BYTE_EVERY)
            head = s.recv(4096)
            check(head.startswith(b"HTTP/1.1 413 "), head[:200])
        st, _, body, secs = request(BASE_URL, "GET", "health")
        check(st == 200 and secs < QUICK, (st, secs, body))


@test
def oversized_bodies_get_phoneauths_json_413():
    oversized_bodies_get_the_json_413(BASE_URL)


if __name__ == "__main__":
    run()
