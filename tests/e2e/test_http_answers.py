"""What every answer carries (response.c, API.md "Conventions" and
"Errors"): the JSON headers, an error's code and message, the message in
the client's language (Accept-Language, else the configured one) while the
code stays the same."""

import re

from pa import Client, Pool, check, check_headers, fresh_phone, register, run, test


@test
def every_answer_carries_the_json_headers():
    c = Client()
    for r in (c.get("health"), c.post("register", {"mobile_number": fresh_phone()}),
              Client().post("verify-otp", {"session_id": "x", "code": "123456"}),
              Client().post("login", {"mobile_number": fresh_phone(), "password": "whatever123"})):
        check_headers(r)
        check(r.status != 500, r)


@test
def messages_follow_accept_language_and_codes_do_not():
    phone = "0912"  # invalid on purpose
    en = Client().post("register", {"mobile_number": phone})
    for header in ("fa", "fa-IR,fa;q=0.9,en;q=0.8", "de, fa;q=0.5", "en;q=0.1, fa"):
        fa = Client().post("register", {"mobile_number": phone}, headers={"Accept-Language": header})
        check(fa.json["error"] == en.json["error"] == "validation_failed", fa)
        check(fa.json["message"] != en.json["message"], (header, fa.json))
        check(re.search("[\u0600-\u06ff]", fa.json["message"]), fa.json)
        check(re.search("[\u0600-\u06ff]", fa.json["fields"]["mobile_number"][0]), fa.json)
    for header in ("en-US,en;q=0.9,fa;q=0.8", "de", "fa;q=0", "*", "xx-YY"):
        r = Client().post("register", {"mobile_number": phone}, headers={"Accept-Language": header})
        check(r.json["message"] == en.json["message"], (header, r.json))
    ok = register(Client(lang="fa"), fresh_phone())
    check(re.search("[\u0600-\u06ff]", ok["message"]), ok)


@test
def default_language_comes_from_the_configuration():
    with Pool({"PHONEAUTH_LANGUAGE": "fa"}, "fa") as url:
        r = Client(base_url=url).post("register", {"mobile_number": "0912"})
        check(re.search("[\u0600-\u06ff]", r.json["message"]), r.json)
        r = Client(base_url=url, lang="en").post("register", {"mobile_number": "0912"})
        check(not re.search("[\u0600-\u06ff]", r.json["message"]), r.json)


if __name__ == "__main__":
    run()
