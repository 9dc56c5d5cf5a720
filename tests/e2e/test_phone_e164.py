"""phone_format = e164 against an oracle nobody here wrote: Debian's
python3-phonenumbers (Google's libphonenumber and its metadata).

A number written in its national form behind its calling code (+98 0912...,
+44 07700..., +49 0151...) is the same phone as without the national
(trunk) prefix; stored with it, it would be a second identity of the phone,
with caps, blocks and an account of its own. Where the 0 is part of the
number (Italy's +39 06...), it stays.

The oracle: for every region phonenumbers knows, its example mobile and
fixed-line numbers in national format (the trunk prefix included, where the
country writes one), digits only, "+CC" in front; the service must store
what phonenumbers' E.164 formatting of the example gives. Cases where that
is not well-defined are left out and counted: a national form that is more
than trunk prefix + number (Argentina's 15, Mexico's 1), a trunk prefix
other than 0 (+1 "1", +7 "8", +36 "06": not the service's rule), a number
the contract's length refuses (fewer than 8 digits), and inputs
phonenumbers itself does not read back as the example.
"""

import os
import re

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberFormat, PhoneNumberType

from pa import Client, Pool, check, expect, fresh_phone, latest_code, redis_command, run, test, user_row

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


if __name__ == "__main__":
    run()
