"""Field rules, phone normalisation, form bodies and languages."""

import random
import re

from pa import (Client, Pool, check, cooldown_over, expect, fresh_phone, latest_code, outbox_entries,
                register, run, signup, test, user_row, verified_session)

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def field_error(r, field):
    body = expect(r, 400, "validation_failed")
    check(isinstance(body.get("fields", {}).get(field), list) and body["fields"][field], body)
    return body


@test
def every_spelling_of_a_number_registers_the_stored_form():
    for spell in (lambda n: n.translate(PERSIAN),
                  lambda n: n[:4].translate(ARABIC) + n[4:],
                  lambda n: "%s %s-%s (%s)" % (n[:4], n[4:7], n[7:9], n[9:]),
                  lambda n: "+98" + n[1:],
                  lambda n: "0098" + n[1:],
                  lambda n: "98" + n[1:],
                  lambda n: n[1:],
                  lambda n: ("+98" + n[1:]).translate(PERSIAN)):
        phone, c = fresh_phone(), Client()
        r = register(c, spell(phone))
        check(r["next_step"] == "otp", r)
        check(outbox_entries(phone)[0]["phone"] == phone, "outbox holds %r" % outbox_entries(phone)[0])
        expect(c.post("verify-otp", {"session_id": r["session_id"], "code": latest_code(phone)}), 200)
        check(user_row(phone) is not None, "no user stored as %s for %r" % (phone, spell(phone)))


@test
def invalid_numbers_are_validation_failed():
    for bad in ("0912123456", "091212345678", "08121234567", "+9881212345678", "0912abc4567",
                "", "   ", "۰۹۱۲", "+1 415 555 0123", "٠٩١٢١٢٣٤٥٦٧٨٩"):
        field_error(Client().post("register", {"mobile_number": bad}), "mobile_number")


@test
def e164_format_accepts_international_numbers():
    with Pool({"PHONEAUTH_PHONE_FORMAT": "e164"}, "e164") as url:
        c = Client(base_url=url)
        n = "+1415%07d" % random.randint(0, 9999999)
        r = expect(c.post("register", {"mobile_number": "00" + n[1:]}), 200)
        check(r["next_step"] == "otp", r)
        check(outbox_entries(n)[0]["phone"] == n, outbox_entries(n))
        field_error(Client(base_url=url).post("register", {"mobile_number": "09121234567"}), "mobile_number")


@test
def password_rules_are_enforced():
    c, phone = Client(), fresh_phone()
    sid = verified_session(c, phone)
    for bad in ("short12", "x" * 71, "12345678901", "۱۲۳۴۵۶۷۸۹", "my" + phone + "pw",
                "pw" + phone[1:], ""):
        field_error(c.post("set-password", {"session_id": sid, "password": bad}), "password")
    check(user_row(phone)["password"] == "", "a refused password was stored")
    expect(c.post("set-password", {"session_id": sid, "password": "abcdefg8"}), 200)


@test
def password_length_counts_characters_not_bytes():
    c, phone = Client(), fresh_phone()
    sid = verified_session(c, phone)
    # 70 Persian letters are 140 bytes: allowed; 71 are not
    field_error(c.post("set-password", {"session_id": sid, "password": "س" * 71}), "password")
    expect(c.post("set-password", {"session_id": sid, "password": "س" * 70}), 200)
    c2, phone2 = Client(), fresh_phone()
    sid2 = verified_session(c2, phone2)
    expect(c2.post("set-password", {"session_id": sid2, "password": "رمزعبورم"}), 200)  # 8 letters


@test
def user_info_rules_are_enforced():
    c, phone = Client(), fresh_phone()
    sid = verified_session(c, phone)
    expect(c.post("set-password", {"session_id": sid, "password": "correct horse battery"}), 200)
    cases = [
        ({"first_name": "", "last_name": "B"}, "first_name"),
        ({"first_name": "   ", "last_name": "B"}, "first_name"),
        ({"first_name": "x" * 31, "last_name": "B"}, "first_name"),
        ({"first_name": "A", "last_name": "y" * 51}, "last_name"),
        ({"first_name": "A\u0000", "last_name": "B"}, "first_name"),
        ({"first_name": "A\nB", "last_name": "B"}, "first_name"),
        ({"first_name": "A", "last_name": "B\x7f"}, "last_name"),
        ({"first_name": "A", "last_name": "B", "email": "not-an-email"}, "email"),
        ({"first_name": "A", "last_name": "B", "email": "a@b"}, "email"),
        ({"first_name": "A", "last_name": "B", "email": "a\t@b.com"}, "email"),
        ({"last_name": "B"}, "first_name"),
        ({"first_name": 5, "last_name": "B"}, "first_name"),
    ]
    for body, field in cases:
        body["session_id"] = sid
        field_error(c.post("user-info", body), field)
    check(not user_row(phone)["is_active"], "a refused profile was stored")
    # 30 and 50 Persian characters are fine, and names are trimmed
    expect(c.post("user-info", {"session_id": sid, "first_name": "  " + "ع" * 30 + " ",
                                    "last_name": "ب" * 50, "email": ""}), 201)
    u = user_row(phone)
    check(u["first_name"] == "ع" * 30 and u["email"] == "", u)


@test
def email_is_unique_whatever_its_case():
    c1, c2 = Client(), Client()
    p1, p2 = fresh_phone(), fresh_phone()
    signup(c1, p1, email="Taken.%s@Example.com" % p1)
    sid = verified_session(c2, p2)
    expect(c2.post("set-password", {"session_id": sid, "password": "correct horse battery"}), 200)
    field_error(c2.post("user-info", {"session_id": sid, "first_name": "A", "last_name": "B",
                                      "email": "taken.%s@example.COM" % p1}), "email")
    # the session still waits for user_info: another address works
    expect(c2.post("user-info", {"session_id": sid, "first_name": "A", "last_name": "B",
                                 "email": "free.%s@example.com" % p2}), 201)


@test
def required_fields_and_wrong_types_are_validation_failed():
    c = Client()
    field_error(c.post("register", {}), "mobile_number")
    for value in (9121234567, True, None, ["09121234567"], {"n": "09121234567"}, 9.5):
        field_error(Client().post("register", {"mobile_number": value}), "mobile_number")
    body = field_error(Client().post("verify-otp", {}), "session_id")
    check("code" in body["fields"], body)
    field_error(Client().post("verify-otp", {"session_id": 12, "code": "123456"}), "session_id")
    sid = register(Client(), fresh_phone())["session_id"]
    for code in (123456, "12345", "1234567", "12a456", "", None):
        field_error(Client().post("verify-otp", {"session_id": sid, "code": code}), "code")
    field_error(Client().post("login", {"mobile_number": fresh_phone()}), "password")
    field_error(Client().post("login", {"session_id": sid}), "password")
    field_error(Client().post("login", {"password": "whatever123"}), "mobile_number")


@test
def persian_digits_in_the_code_are_accepted():
    c, phone = Client(), fresh_phone()
    sid = register(c, phone)["session_id"]
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone).translate(PERSIAN)}), 200)


@test
def form_bodies_work_for_every_step():
    c, phone = Client(), fresh_phone()
    r = expect(c.post("register", form={"mobile_number": phone}), 200)
    sid = r["session_id"]
    expect(c.post("verify-otp", form={"session_id": sid, "code": latest_code(phone)}), 200)
    expect(c.post("set-password", form={"session_id": sid, "password": "correct horse battery"}), 200)
    r = expect(c.post("user-info", form={"session_id": sid, "first_name": "سارا", "last_name": "احمدی"}), 201)
    check(user_row(phone)["first_name"] == "سارا", user_row(phone))
    r = expect(c.post("register", form={"mobile_number": phone}), 200)
    expect(c.post("login", form={"session_id": r["session_id"], "password": "correct horse battery"}), 200)
    expect(c.post("login", form={"mobile_number": phone, "password": "correct horse battery"}), 200)
    other = fresh_phone()
    sid = register(Client(), other)["session_id"]
    cooldown_over(other)
    r = expect(Client().post("resend-otp", form={"session_id": sid}), 200)
    check(r["session_id"] == sid and r["next_step"] == "otp", r)
    check(len(outbox_entries(other)) == 2, "resend-otp with a form body sent no code")


@test
def form_field_that_is_not_utf8_is_validation_failed():
    r = Client().post("register", raw=b"mobile_number=%ff%fe", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    field_error(r, "mobile_number")


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
