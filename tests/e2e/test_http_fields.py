"""Field rules, whatever the route (fields.c, phone.c; API.md "Phone
numbers", "Passwords", the flow's fields): required fields and their types,
phone normalisation, password and profile rules, codes in Persian digits,
form bodies for every step.

phone_format = e164 is checked against an oracle nobody here wrote: Debian's
python3-phonenumbers (Google's libphonenumber and its metadata). A number
written in its national form behind its calling code (+98 0912..., +44
07700..., +49 0151...) is the same phone as without the national (trunk)
prefix; stored with it, it would be a second identity of the phone, with
caps, blocks and an account of its own. Where the 0 is part of the number
(Italy's +39 06...), it stays.

The oracle: for every region phonenumbers knows, its example mobile and
fixed-line numbers in national format (the trunk prefix included, where the
country writes one), digits only, "+CC" in front; the service must store
what phonenumbers' E.164 formatting of the example gives. Cases where that
is not well-defined are left out and counted: a national form that is more
than trunk prefix + number (Argentina's 15, Mexico's 1), a trunk prefix
other than 0 (+1 "1", +7 "8", +36 "06": not the service's rule), a number
the contract's length refuses (fewer than 8 digits), and inputs
phonenumbers itself does not read back as the example."""

import os
import random
import re

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberFormat, PhoneNumberType

from pa import (Client, Pool, check, cooldown_over, expect, fresh_phone, latest_code, outbox_entries,
                redis_command, register, run, signup, test, user_row, verified_session)

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def field_error(r, field):
    body = expect(r, 400, "validation_failed")
    check(isinstance(body.get("fields", {}).get(field), list) and body["fields"][field], body)
    return body


KINDS = (("mobile", PhoneNumberType.MOBILE), ("fixed_line", PhoneNumberType.FIXED_LINE))


def oracle_cases():
    """[(region, kind, what is typed, what must be stored)], and what was left out."""
    cases, left_out, seen = [], [], set()
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        md = PhoneMetadata.metadata_for_region(region)
        for kind, t in KINDS:
            ex = phonenumbers.example_number_for_type(region, t)
            if ex is None:
                continue
            nsn = phonenumbers.national_significant_number(ex)
            national = re.sub(r"\D", "", phonenumbers.format_number(ex, PhoneNumberFormat.NATIONAL))
            want = phonenumbers.format_number(ex, PhoneNumberFormat.E164)
            given = "+%d %s" % (ex.country_code, national)
            if not (national == nsn or (md.national_prefix == "0" and national == "0" + nsn)):
                left_out.append((region, kind, "national form %s" % national))
            elif not 8 <= len(want) - 1 <= 15:
                left_out.append((region, kind, "%s: not 8 to 15 digits" % want))
            elif phonenumbers.format_number(phonenumbers.parse(given, None), PhoneNumberFormat.E164) != want:
                left_out.append((region, kind, "phonenumbers reads %s otherwise" % given))
            elif given not in seen:
                seen.add(given)
                cases.append((region, kind, given, want))
    return cases, left_out


def newest_stored(prefix):
    entries = redis_command("XREVRANGE", prefix + "sms", "+", "-", "COUNT", "1") or []
    if not entries:
        return None
    fields = entries[0][1]
    return {fields[i].decode(): fields[i + 1].decode() for i in range(0, len(fields), 2)}.get("phone")


# ---- phone numbers ----


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
def e164_stores_what_libphonenumber_formats_for_every_region():
    cases, left_out = oracle_cases()
    with_trunk = [c for c in cases if c[2].split(" ")[1].startswith("0")]
    # not a vacuous test: most regions, and a hundred trunk zeros among them
    check(len(cases) >= 400 and len(with_trunk) >= 100, (len(cases), len(with_trunk), left_out[:5]))
    prefix = "e164-oracle-%d:" % os.getpid()
    env = {"PHONEAUTH_PHONE_FORMAT": "e164", "PHONEAUTH_REDIS_PREFIX": prefix,
           "PHONEAUTH_OTP_COOLDOWN": "0", "PHONEAUTH_OTP_MAX_PER_IP_HOUR": "100000000",
           "PHONEAUTH_MAX_FAILED_ATTEMPTS": "1000000000"}
    wrong = []
    with Pool(env, "e164-oracle") as url:
        c = Client(base_url=url)
        for region, kind, given, want in cases:
            r = c.post("register", {"mobile_number": given})
            got = newest_stored(prefix) if r.status == 200 else "HTTP %d %s" % (r.status, r.json)
            if got != want:
                wrong.append("%s %s: %s stored as %s, libphonenumber says %s" % (region, kind, given, got, want))
    print("    (%d numbers of %d regions checked, %d with a trunk 0; %d left out)"
          % (len(cases), len({c[0] for c in cases}), len(with_trunk), len(left_out)), flush=True)
    check(not wrong, "%d of %d: %s" % (len(wrong), len(cases), "; ".join(wrong[:8])))


@test
def a_number_with_its_trunk_zero_and_without_is_one_account():
    n = fresh_phone()                # 09XXXXXXXXX
    stored = "+98" + n[1:]           # +989XXXXXXXXX
    with Pool({"PHONEAUTH_PHONE_FORMAT": "e164"}, "e164-trunk") as url:
        c = Client(base_url=url)
        r = expect(c.post("register", {"mobile_number": "+98 " + n}), 200)    # +98 0912...
        check(r["next_step"] == "otp", r)
        expect(c.post("verify-otp", {"session_id": r["session_id"], "code": latest_code(stored)}), 200)
        expect(c.post("set-password", {"session_id": r["session_id"], "password": "correct horse battery"}), 200)
        expect(c.post("user-info", {"session_id": r["session_id"], "first_name": "Sara", "last_name": "Ahmadi"}),
               201)
        check(user_row(stored) is not None, "no account stored as %s" % stored)
        check(user_row("+98" + n) is None, "an account stored with its trunk 0")
        # the other spelling is the same account: it asks for its password
        for spelling in (stored, "+98 " + n, "0098" + n):
            r = expect(Client(base_url=url).post("register", {"mobile_number": spelling}), 200)
            check(r["next_step"] == "password", (spelling, r))
        r = expect(Client(base_url=url).post("login", {"mobile_number": "+98 " + n,
                                                        "password": "correct horse battery"}), 200)
        check(r["tokens"]["access_token"], r)


# ---- the other fields ----


@test
def password_rules_are_enforced():
    c, phone = Client(), fresh_phone()
    sid = verified_session(c, phone)
    # too short, too long, on the blocklist (in Persian digits too), the number
    for bad in ("short12", "x" * 129, "12345678", "۱۲۳۴۵۶۷۸۹", "my" + phone + "pw",
                "pw" + phone[1:], ""):
        field_error(c.post("set-password", {"session_id": sid, "password": bad}), "password")
    check(user_row(phone)["password"] == "", "a refused password was stored")
    expect(c.post("set-password", {"session_id": sid, "password": "abcdefg8"}), 200)


@test
def password_length_counts_characters_not_bytes():
    c, phone = Client(), fresh_phone()
    sid = verified_session(c, phone)
    # 128 Persian letters are 256 bytes: allowed; 129 are not
    field_error(c.post("set-password", {"session_id": sid, "password": "س" * 129}), "password")
    expect(c.post("set-password", {"session_id": sid, "password": "س" * 128}), 200)
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


if __name__ == "__main__":
    run()
