"""The reference sign-in page (www/), in a real browser: Debian's Chromium,
headless, driven through chromium-driver by python3-selenium, through the
stack's lighttpd (lighttpd.conf serves the page at "/" beside /api/).

What a user does, in English and in Persian: sign up (a wrong code, field
errors next to their fields), log in (a wrong password), be blocked after
three failures (a 429 shown as a countdown), reset a password, see the
logins of the account and end one, log out everywhere, change the number,
delete the account; the page's contract (data-step, the API's field names,
one submit button per form, role="alert", lang and dir) and its manners
(focus on the new step's first field, labels, 320 px wide, tokens kept out
of persistent storage); turn TOTP on from the QR's URI and sign in with a
TOTP code and with a recovery code. Each step is saved as <lang>-*.png under the stack's state directory
(PA_SCREENSHOTS=docs/screenshots renews those docs/api.md shows).

Codes come from the Redis outbox. Each test loads the page through its own
Forwarder (browser.py): its own client address and its own origin.
"""

import hashlib
import os
import sys
import time
import urllib.parse

import pyotp

from browser import (HEIGHT, WIDTH, Browser, Forwarder, countdown_seconds, has_persian, persian_digits,
                     plain)
from pa import (REDIS_PREFIX, Client, Pool, check, cooldown_pool, expect, fresh_phone, jwt_decode,
                outbox_entries, redis_command, run, signup, test, totp_steady, user_row, wait_for)

HTTP_PORT = int(os.environ.get("PA_HTTP_PORT", "28080"))
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
BROWSERS = {}


def browser(lang):
    if lang not in BROWSERS:
        BROWSERS[lang] = Browser(lang)
    return BROWSERS[lang]


def site(port=HTTP_PORT):
    """A Forwarder to a web server: a fresh client address and origin."""
    return Forwarder(port)


def codes(phone, purpose=None):
    return [e for e in outbox_entries(phone) if purpose is None or e.get("purpose") == purpose]


def code_for(phone, purpose=None, count=1):
    """The newest code for `phone` once at least `count` were sent."""
    found = wait_for(lambda: len(codes(phone, purpose)) >= count, 10, 0.05)
    check(found, "no code (%s) in the outbox for %s" % (purpose or "any", phone))
    return codes(phone, purpose)[0]["code"]


def other_code(code):
    return "%06d" % ((int(code) + 1) % 1000000)


def typed(lang, digits):
    """What a user of `lang` types: Persian digits in Persian."""
    return persian_digits(digits) if lang == "fa" else digits


def check_lang(b, lang):
    check(b.html_lang_dir() == [lang, "rtl" if lang == "fa" else "ltr"], "html lang/dir: %r" % b.html_lang_dir())
    h1 = b.js("return document.querySelector('section[data-panel]:not([hidden]) h1').textContent")
    check(has_persian(h1) == (lang == "fa"), "heading %r in the wrong language" % h1)


def check_focus(b, name):
    b.wait(lambda: b.focused_name() == name, 5, "focus on %s (is on %s)" % (name, b.focused_name()))


def check_clean_console(b):
    errors = b.console_errors()
    check(not errors, "console errors: %r" % errors[:5])


def account(phone=None, **kw):
    """An account made through the API (another device); returns (phone, tokens)."""
    phone = phone or fresh_phone()
    return phone, signup(Client(), phone, **kw)


def number_sent(b, url, number, step=None):
    """The page opened at `url`, `number` typed into the register form and
    sent; then the page waits for `step` (the next one), if given."""
    b.open(url)
    b.wait_step("register")
    b.fill("register-form", "mobile_number", number)
    b.submit("register-form")
    if step:
        b.wait_step(step)


def login_in_browser(b, url, phone, password=PASSWORD, expect_phone=None):
    number_sent(b, url, typed(b.lang, phone), "password")
    b.fill("password-form", "password", password)
    b.submit("password-form")
    b.wait_step("signed_in", unless_alert="password-form")
    b.wait(lambda: plain(b.js("return document.getElementById('me-mobile').textContent")) ==
           (expect_phone or phone), what="the profile")


def refresh_fails(refresh_token):
    r = Client().post("token/refresh", {"refresh": refresh_token})
    return r.status == 401


# ---- what is served ----

@test
def page_is_served_at_the_root_beside_the_api():
    c = Client()
    r = c.request("GET", "/")
    check(r.status == 200, r)
    check(r.header("Content-Type") == "text/html; charset=utf-8", r.headers)
    html = r.body.decode()
    for needle in ('<html lang="en" dir="ltr">', 'name="mobile_number"', 'name="code"',
                   'autocomplete="one-time-code"', 'inputmode="numeric"', 'data-step="register"',
                   'http-equiv="Content-Security-Policy"', 'src="phoneauth.js"', 'href="phoneauth.css"'):
        check(needle in html, "the page lacks %s" % needle)
    # nothing from another site: every src and href is a file of its own
    import re
    for ref in re.findall(r'(?:src|href)="([^"]*)"', html):
        check(ref == "data:," or not re.match(r"^[a-z]+:|^//", ref), "the page loads %s" % ref)
    check(r.header("X-Content-Type-Options") == "nosniff", r.headers)
    check("frame-ancestors 'none'" in (r.header("Content-Security-Policy") or ""), r.headers)
    for path, ctype in (("/phoneauth.js", "text/javascript; charset=utf-8"),
                        ("/phoneauth.css", "text/css; charset=utf-8"),
                        ("/index.html", "text/html; charset=utf-8")):
        r = c.request("GET", path)
        check(r.status == 200 and r.header("Content-Type") == ctype, (path, r.status, r.headers))
    js = c.request("GET", "/phoneauth.js").body.decode()
    check("http://" not in js and "https://" not in js and "//" + "cdn" not in js, "the script names another site")
    check(c.request("GET", "/nothing-here").status == 404, "other paths are not served")
    check(c.request("GET", "/api/health").status == 200, "the API is still there")


# ---- sign-up ----

def signup_flow(lang):
    b = browser(lang)
    phone = fresh_phone()
    with site() as s:
        b.open(s.url)
        b.wait_step("register")
        check_lang(b, lang)
        check_focus(b, "mobile_number")
        b.screenshot("%s-register" % lang)
        b.fill("register-form", "mobile_number", "12")
        b.submit("register-form")
        err = b.wait(lambda: b.field_error("register-form", "mobile_number"), what="the number's field error")
        check(has_persian(err) == (lang == "fa"), "field error %r in the wrong language" % err)
        check(b.field("register-form", "mobile_number").get_attribute("aria-invalid") == "true", "not invalid")
        b.fill("register-form", "mobile_number", typed(lang, phone))
        b.submit("register-form")

        b.wait_step("otp")
        check_focus(b, "code")
        code_input = b.field("otp-form", "code")
        check(code_input.get_attribute("autocomplete") == "one-time-code", "autocomplete")
        check(code_input.get_attribute("inputmode") == "numeric", "inputmode")
        check(phone in plain(b.js("return document.getElementById('otp-intro').textContent")), "number not shown")
        code = code_for(phone, "register")
        b.fill("otp-form", "code", typed(lang, other_code(code)))
        b.submit("otp-form")
        err = b.wait(lambda: b.field_error("otp-form", "code"), what="the wrong code's error")
        check(has_persian(err) == (lang == "fa"), "wrong-code error %r" % err)
        check(b.step() == "otp", "a wrong code left the step")
        b.screenshot("%s-otp" % lang)
        b.fill("otp-form", "code", typed(lang, code))
        b.submit("otp-form")

        b.wait_step("set_password")
        check_focus(b, "password")
        b.fill("set_password-form", "password", "short")
        b.submit("set_password-form")
        b.wait(lambda: b.field_error("set_password-form", "password"), what="the password's field error")
        b.screenshot("%s-set_password" % lang)
        b.fill("set_password-form", "password", PASSWORD)
        b.submit("set_password-form")

        b.wait_step("user_info")
        check_focus(b, "first_name")
        first, last = ("Sara", "Ahmadi") if lang == "en" else ("سارا", "احمدی")
        b.fill("user_info-form", "first_name", first)
        b.fill("user_info-form", "last_name", last)
        b.fill("user_info-form", "email", "not an address")
        b.submit("user_info-form")
        b.wait(lambda: b.field_error("user_info-form", "email"), what="the email's field error")
        check(not b.field_error("user_info-form", "first_name"), "an error by the wrong field")
        check_focus(b, "email")
        b.screenshot("%s-user_info" % lang)
        email = "%s@example.org" % phone
        b.fill("user_info-form", "email", email)
        b.submit("user_info-form")

        b.wait_step("signed_in")
        check_focus(b, "signed_in-title")
        b.wait(lambda: plain(b.js("return document.getElementById('me-mobile').textContent")) == phone,
               what="the profile")
        check(b.js("return document.getElementById('me-name').textContent") == first + " " + last, "name")
        b.screenshot("%s-signed_in" % lang)
        row = user_row(phone)
        check(row and row["first_name"] == first and row["last_name"] == last and row["email"] == email, row)

        # the access token is nowhere but in memory; the refresh token is in
        # this tab's sessionStorage only; the account's device token (no
        # login: it only keeps the number's block off this browser) stays
        stored = b.storage()
        refresh = b.refresh_token()
        check(refresh and refresh.count(".") == 2, "no refresh token kept: %r" % list(stored))
        check(len(stored.get("local:phoneauth.device." + phone) or "") == 43, "no device token kept: %r"
              % list(stored))
        for k, v in stored.items():
            check(k in ("session:phoneauth.refresh", "local:phoneauth.device." + phone) or
                  "eyJ" not in (v or ""), "a token in %s" % k)
        check(not stored["cookie"], "cookies: %r" % stored["cookie"])
        # a reload keeps the user signed in (the refresh token is rotated)
        b.reload()
        b.wait_step("signed_in")
        check(b.refresh_token() != refresh, "the refresh token was not rotated")
        check_clean_console(b)


@test
def signup_in_english():
    signup_flow("en")


@test
def signup_in_persian():
    signup_flow("fa")


# ---- login, logout ----

def login_flow(lang):
    b = browser(lang)
    phone, _ = account()
    with site() as s:
        number_sent(b, s.url, typed(lang, phone), "password")
        check_lang(b, lang)
        check_focus(b, "password")
        b.fill("password-form", "password", "not the password")
        b.submit("password-form")
        err = b.wait(lambda: b.field_error("password-form", "password"), what="the wrong password's error")
        # the service's own message, in the page's language (Accept-Language)
        check(has_persian(err) == (lang == "fa"), "error %r in the wrong language" % err)
        check(b.step() == "password", "a wrong password left the step")
        b.screenshot("%s-password" % lang)
        b.fill("password-form", "password", PASSWORD)
        b.submit("password-form")
        b.wait_step("signed_in")
        refresh = b.refresh_token()
        check(refresh, "no refresh token")
        b.submit("logout-form")
        b.wait_step("register")
        check(b.status(), "no word that the user is logged out")
        check(b.refresh_token() is None, "the refresh token outlived the logout")
        check(refresh_fails(refresh), "the login is still alive on the service")
        check_clean_console(b)


@test
def login_and_logout_in_english():
    login_flow("en")


@test
def login_and_logout_in_persian():
    login_flow("fa")


# ---- a block: 3 failures, then a countdown ----

def block_flow(lang):
    b = browser(lang)
    phone, _ = account()
    with site() as s:
        number_sent(b, s.url, typed(lang, phone), "password")
        for i in range(3):
            b.fill("password-form", "password", "wrong password %d" % i)
            b.submit("password-form")
            b.wait(lambda: b.field_error("password-form", "password"), what="failure %d" % (i + 1))
            check(not b.alerts("password-form") or countdown_seconds(" ".join(b.alerts("password-form"))) is None,
                  "blocked too early")
        b.fill("password-form", "password", PASSWORD)
        b.submit("password-form")
        text = b.wait_alert("password-form", lambda a: countdown_seconds(a) is not None)
        first = countdown_seconds(text)
        check(3500 <= first <= 3600, "countdown %r is not the hour's block" % text)
        check(has_persian(text) == (lang == "fa"), "countdown %r in the wrong language" % text)
        check(not b.submit_button("password-form").is_enabled(), "the form can be sent while blocked")
        b.screenshot("%s-blocked" % lang)
        b.wait(lambda: countdown_seconds(" ".join(b.alerts("password-form"))) < first, 4, "the countdown to run")
        check(b.step() == "password", "left the step")
        check_clean_console(b)


@test
def three_failures_block_with_a_countdown_in_english():
    block_flow("en")


@test
def three_failures_block_with_a_countdown_in_persian():
    block_flow("fa")


# ---- password reset ----

@test
def password_reset():
    b = browser("en")
    phone, _ = account()
    with site() as s:
        number_sent(b, s.url, phone, "password")
        b.driver.find_element("css selector", '[data-panel="password"] [data-action="forgot"]').click()
        b.wait_step("reset")
        check_focus(b, "mobile_number")
        check(b.field("reset-form", "mobile_number").get_attribute("value") == phone, "number not kept")
        b.screenshot("en-reset")
        b.submit("reset-form")
        b.wait_step("otp")
        b.fill("otp-form", "code", code_for(phone, "reset"))
        b.submit("otp-form")
        b.wait_step("set_password")
        check("new" in b.js("return document.getElementById('set_password-title').textContent").lower(), "title")
        b.fill("set_password-form", "password", NEW_PASSWORD)
        b.submit("set_password-form")
        b.wait_step("signed_in")
    expect(Client().post("login", {"mobile_number": phone, "password": NEW_PASSWORD}), 200)


@test
def wrong_step_leads_to_the_step_the_session_waits_for():
    b = browser("en")
    phone = fresh_phone()
    with site() as s:
        number_sent(b, s.url, phone, "otp")
        # another tab (here: the API) verified the code meanwhile
        sid = b.flow()["session_id"]
        code = code_for(phone, "register")
        expect(Client().post("verify-otp", {"session_id": sid, "code": code}), 200)
        b.fill("otp-form", "code", code)
        b.submit("otp-form")
        b.wait_step("set_password")
        check_focus(b, "password")
        check(b.status(), "no word of why the step changed")
        b.fill("set_password-form", "password", PASSWORD)
        b.submit("set_password-form")
        b.wait_step("user_info")


@test
def a_reload_resumes_a_sign_up_at_its_step():
    b = browser("en")
    phone = fresh_phone()
    with site() as s:
        number_sent(b, s.url, phone, "otp")
        b.reload()
        b.wait_step("otp")
        b.fill("otp-form", "code", code_for(phone, "register"))
        b.submit("otp-form")
        b.wait_step("set_password")


# ---- resend-otp: offered after the delay, a 429 counted down ----

@test
def resend_waits_for_the_cooldown_and_counts_a_429_down():
    b = browser("en")
    phone = fresh_phone()
    with cooldown_pool("page-resend", 3) as url, site(urllib.parse.urlsplit(url).port) as s:
        b.open(s.url)
        b.wait_step("register")
        b.set_meta("phoneauth-resend-after", "1")   # the site's setting, shorter than the cooldown
        b.fill("register-form", "mobile_number", phone)
        b.submit("register-form")
        b.wait_step("otp")
        resend = b.driver.find_element("id", "resend")
        check(not resend.is_enabled() and countdown_seconds(resend.text) is not None,
              "resend offered at once: %r" % resend.text)
        b.wait(lambda: resend.is_enabled(), 3, "resend to be offered")
        resend.click()
        # the service's cooldown (3 s) is not over: its retry_after is counted down
        text = b.wait_alert("otp-form", lambda a: countdown_seconds(a) is not None)
        check(1 <= countdown_seconds(text) <= 3, text)
        b.wait(lambda: not resend.is_enabled(), 2, "resend disabled by the 429")
        check(countdown_seconds(resend.text) is not None, resend.text)
        check(b.submit_button("otp-form").is_enabled(), "the 429 locked Verify")
        check(len(codes(phone)) == 1, "a code was sent inside the cooldown")
        b.wait(lambda: resend.is_enabled(), 6, "resend after retry_after")
        resend.click()
        b.wait(lambda: len(codes(phone)) == 2, 5, "a second code")
        b.wait(lambda: b.status(), 5, "word of the new code")
        b.fill("otp-form", "code", code_for(phone, count=2))
        b.submit("otp-form")
        b.wait_step("set_password")


@test
def a_store_that_is_down_says_try_again_shortly():
    b = browser("en")
    with Pool({"PHONEAUTH_REDIS_URL": "redis://127.0.0.1:1/0"}, "page-down") as url, \
            site(urllib.parse.urlsplit(url).port) as s:
        number_sent(b, s.url, fresh_phone())
        text = b.wait_alert("register-form")
        check("try again shortly" in text.lower(), text)
        check(b.step() == "register", "left the step")


# ---- language ----

@test
def the_language_follows_the_browser_and_can_be_switched():
    b = browser("fa")
    with site() as s:
        b.open(s.url)
        b.wait_step("register")
        check_lang(b, "fa")
        b.driver.find_element("id", "lang-switch").click()
        b.wait(lambda: b.html_lang_dir() == ["en", "ltr"], what="English")
        check_lang(b, "en")
        check_focus(b, "lang-switch")
        # requests follow the page's language: the service answers in English
        b.fill("register-form", "mobile_number", "12")
        b.submit("register-form")
        err = b.wait(lambda: b.field_error("register-form", "mobile_number"), what="the field error")
        check(not has_persian(err), err)
        b.reload()
        b.wait_step("register")
        check(b.html_lang_dir() == ["en", "ltr"], "the choice was not kept")
        b.driver.find_element("id", "lang-switch").click()
        b.wait(lambda: b.html_lang_dir() == ["fa", "rtl"], what="Persian again")


# ---- 320 px, labels ----

def narrow_flow(lang):
    b = browser(lang)
    phone, _ = account()
    b.size(320, 700)
    try:
        with site() as s:
            b.open(s.url)
            for step in ("register", "password", "signed_in"):
                if step == "password":
                    b.fill("register-form", "mobile_number", typed(lang, phone))
                    b.submit("register-form")
                elif step == "signed_in":
                    b.fill("password-form", "password", PASSWORD)
                    b.submit("password-form")
                b.wait_step(step)
                time.sleep(0.2)
                width = b.js("return document.documentElement.scrollWidth")
                check(width <= 320, "%s is %d px wide at 320" % (step, width))
                unlabelled = b.js(
                    "return Array.prototype.filter.call(document.querySelectorAll('input'), function (i) {"
                    "  return i.offsetParent !== null && !(i.labels && i.labels.length) && !i.getAttribute('aria-label');"
                    "}).map(function (i) { return i.id || i.name; });")
                check(not unlabelled, "inputs without a label: %r" % unlabelled)
            b.driver.execute_script("document.getElementById('change-details').open = true;"
                                    "document.getElementById('delete-details').open = true;")
            width = b.js("return document.documentElement.scrollWidth")
            check(width <= 320, "signed_in with its forms open is %d px wide" % width)
            b.screenshot("%s-narrow" % lang)
    finally:
        b.size(WIDTH, HEIGHT)


@test
def usable_at_320_px_in_english():
    narrow_flow("en")


@test
def usable_at_320_px_in_persian():
    narrow_flow("fa")


# ---- login by code (POST login/code: 404 unless login_by_code = on) ----

@test
def login_by_code_is_hidden_where_it_is_off():
    b = browser("en")
    phone, _ = account()
    with site() as s:
        number_sent(b, s.url, phone, "password")
        option = b.driver.find_element("css selector", '[data-panel="password"] [data-action="login-code"]')
        time.sleep(0.3)    # the page asked GET login/code at its start
        if option.is_displayed():
            option.click()
            b.wait(lambda: not option.is_displayed(), 5, "the option to go after a 404")
            check(b.alerts("password-form"), "no word that it is not available")
        check(b.step() == "password", "left the step")
        check(not codes(phone, "login"), "a login code was sent")


@test
def login_by_code_where_it_is_on():
    # needs POST login/code (branch h-accounts): a pool with login_by_code = on
    b = browser("en")
    phone, _ = account()
    with Pool({"PHONEAUTH_LOGIN_BY_CODE": "on"}, "page-code") as url, site(urllib.parse.urlsplit(url).port) as s:
        number_sent(b, s.url, phone, "password")
        option = b.driver.find_element("css selector", '[data-panel="password"] [data-action="login-code"]')
        b.wait(lambda: option.is_displayed(), 3, "the code option")
        option.click()
        b.wait_step("otp")
        b.fill("otp-form", "code", code_for(phone, "login"))
        b.submit("otp-form")
        b.wait_step("signed_in")
        check(b.refresh_token(), "no tokens")


# ---- the account's logins, logout everywhere, a new number, deletion
# (GET sessions, DELETE sessions/<id>, POST logout-all, phone/change,
# account/delete: branch h-accounts) ----

@test
def the_device_token_is_kept_and_keeps_a_blocked_number_open_to_this_browser():
    b = browser("en")
    phone, _ = account()
    with site() as s:
        login_in_browser(b, s.url, phone)
        token = b.js("return localStorage.getItem('phoneauth.device.' + arguments[0])", phone)
        check(token and len(token) == 43, "no device token kept: %r" % b.storage())
        key = REDIS_PREFIX + "dv:" + hashlib.sha256(token.encode()).hexdigest()
        check(redis_command("HGET", key, "uid") == str(user_row(phone)["id"]).encode(),
              "the page kept a token the service does not know")
        b.submit("logout-form")
        b.wait_step("register")
        check(b.js("return localStorage.getItem('phoneauth.device.' + arguments[0])", phone) == token,
              "the device token went with the logout")
        # a stranger blocks the number with three wrong passwords
        for _ in range(3):
            expect(Client().post("login", {"mobile_number": phone, "password": "not the password"}), 401)
        expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD}), 429)
        # this browser sends its device token, and signs in all the same
        # (typed another way, the number is the same account's)
        login_in_browser(b, s.url, "+98" + phone[1:], expect_phone=phone)
        check(b.js("return localStorage.getItem('phoneauth.device.' + arguments[0])", phone) == token,
              "the service did not answer the same token")
        check_clean_console(b)


def sessions_shown(b):
    return b.js("return Array.prototype.map.call(document.querySelectorAll('#sessions li'), function (li) {"
                " return [li.getAttribute('data-session-id'), li.getAttribute('data-current') === 'true',"
                " !!li.querySelector('button')]; })")


@test
def the_logins_of_the_account_and_ending_one():
    b = browser("en")
    phone, first = account()
    other = expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD},
                                 headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Firefox/130.0"}), 200)
    claims = jwt_decode(other["tokens"]["access_token"])[1]
    check("sid" in claims, "the access token has no sid claim (API.md, \"Accounts and their logins\")")
    other_sid = str(claims["sid"])
    with site() as s:
        login_in_browser(b, s.url, phone)
        # the sign-up's login, the other device's, this one
        rows = b.wait(lambda: len(sessions_shown(b)) == 3 and sessions_shown(b), what="the 3 logins listed")
        current = [r for r in rows if r[1]]
        check(len(current) == 1 and not current[0][2], "this device: %r" % rows)
        check(all(r[2] for r in rows if not r[1]), "a login without its button: %r" % rows)
        check(other_sid in [r[0] for r in rows], "the other device is not listed: %r" % rows)
        check("Firefox on Android" in b.js("return document.getElementById('sessions').textContent"), "device")
        b.screenshot("en-sessions")
        b.driver.find_element("css selector", '#sessions li[data-session-id="%s"] button' % other_sid).click()
        b.wait(lambda: [r[0] for r in sessions_shown(b)] == [r[0] for r in rows if r[0] != other_sid],
               what="the other device's login to go")
        check(b.status(), "no word of it")
        check(b.step() == "signed_in", "this device was signed out")
    check(refresh_fails(other["tokens"]["refresh_token"]), "the ended login is alive")
    expect(Client().post("token/refresh", {"refresh": first["refresh_token"]}), 200)


def logout_all_flow(lang):
    b = browser(lang)
    phone, _ = account()
    other = expect(Client().post("login", {"mobile_number": phone, "password": PASSWORD}), 200)
    with site() as s:
        login_in_browser(b, s.url, phone)
        mine = b.refresh_token()
        b.submit("logout_all-form")
        b.wait_step("register", unless_alert="logout_all-form")
        check(b.status(), "no word of it")
        check(has_persian(b.status()) == (lang == "fa"), b.status())
        check(b.refresh_token() is None, "the refresh token is still kept")
        check_clean_console(b)
    check(refresh_fails(mine), "this browser's login is alive")
    check(refresh_fails(other["tokens"]["refresh_token"]), "the other device's login is alive")


@test
def logout_everywhere_in_english():
    logout_all_flow("en")


@test
def logout_everywhere_in_persian():
    logout_all_flow("fa")


def delete_flow(lang):
    b = browser(lang)
    phone, _ = account()
    with site() as s:
        login_in_browser(b, s.url, phone)
        b.driver.find_element("css selector", "#delete-details summary").click()
        b.fill("delete-form", "password", "not the password")
        b.submit("delete-form")
        err = b.wait(lambda: b.field_error("delete-form", "password"), what="the wrong password's error",
                     unless_alert="#delete-form .form-error")
        check(has_persian(err) == (lang == "fa"), err)
        check(user_row(phone), "deleted with a wrong password")
        b.screenshot("%s-delete" % lang)
        b.fill("delete-form", "password", PASSWORD)
        b.submit("delete-form")
        b.wait_step("register")
        check(b.status(), "no word of it")
        check(b.refresh_token() is None, "a refresh token is still kept")
        check_clean_console(b)
    check(user_row(phone) is None, "the account is still there")
    r = expect(Client().post("register", {"mobile_number": phone}), 200)
    check(r["next_step"] == "otp", r)


@test
def account_deletion_in_english():
    delete_flow("en")


@test
def account_deletion_in_persian():
    delete_flow("fa")


@test
def phone_change():
    b = browser("en")
    phone, _ = account()
    taken, _ = account()
    new = fresh_phone()
    with site() as s:
        login_in_browser(b, s.url, phone)
        b.driver.find_element("css selector", "#change-details summary").click()
        b.fill("change-form", "mobile_number", taken)
        b.fill("change-form", "password", PASSWORD)
        b.submit("change-form")
        b.wait(lambda: b.field_error("change-form", "mobile_number"), what="phone_taken by its field",
               unless_alert="#change-form .form-error")
        b.fill("change-form", "mobile_number", new)
        b.fill("change-form", "password", PASSWORD)
        b.submit("change-form")
        b.wait_step("otp")
        check(new in plain(b.js("return document.getElementById('otp-intro').textContent")), "new number not shown")
        b.fill("otp-form", "code", code_for(new, "change"))
        b.submit("otp-form")
        b.wait_step("signed_in")
        b.wait(lambda: plain(b.js("return document.getElementById('me-mobile').textContent")) == new,
               what="the new number")
        check(b.status(), "no word of it")
    check(user_row(new) and user_row(phone) is None, "the account did not move to the new number")



# ---- ?next= after sign-in ----

def sign_in_with_next(b, s, phone, next_value):
    """Signs in on the page at ?next=<next_value> (URL-encoded as a site's
    guard would), the site's auth cookie on so that ?next= is read. The query
    is put in place by history.replaceState once the page is loaded: our
    lighttpd answers 400 to a URL with %09, %0a or %0d in it, another front
    end (or a site's own) may serve the page at such a URL, and it is the
    page that must hold."""
    b.open(s.url)
    b.js("history.replaceState(null, '', arguments[0])",
         "/?next=" + urllib.parse.quote(next_value, safe="/?="))
    b.set_meta("phoneauth-auth-cookie", "phoneauth_access")
    b.wait_step("register")
    b.fill("register-form", "mobile_number", phone)
    b.submit("register-form")
    b.wait_step("password")
    b.fill("password-form", "password", PASSWORD)
    b.submit("password-form")


@test
def next_leads_only_to_a_page_of_the_site():
    """?next= is followed only where the browser itself would resolve it to
    the page's own origin: tabs and newlines that the URL parser drops
    ("/%09/evil.example" is "//evil.example"), protocol-relative and absolute
    URLs of another site and javascript: all end on the signed-in step."""
    b = browser("en")
    phone, _ = account()
    for bad in ("/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "//evil.example",
                "/\\evil.example", "https://evil.example/", "javascript:alert(1)"):
        with site() as s:
            sign_in_with_next(b, s, phone, bad)
            b.wait_step("signed_in")
            time.sleep(0.3)     # a navigation the page started would be under way by now
            url = b.driver.current_url
            check(url.startswith(s.url) and b.step() == "signed_in",
                  "?next=%r: the browser went to %s" % (bad, url))
    with site() as s:
        sign_in_with_next(b, s, phone, "/somewhere?x=1")
        b.wait(lambda: b.driver.current_url == s.url + "somewhere?x=1", 10, "the page ?next= names")


# ---- two-step verification ----

def totp_flow(lang):
    """TOTP turned on from the QR's URI (pyotp computes the app's codes),
    signing out, signing in with a TOTP code (after a wrong one), then with
    a recovery code."""
    b = browser(lang)
    phone, _ = account()
    with site() as s:
        login_in_browser(b, s.url, phone)
        b.wait(lambda: b.js("return document.getElementById('totp-state').textContent"),
               what="the state of two-step verification")
        b.driver.find_element("css selector", '[data-action="totp-setup"]').click()
        b.fill("totp_setup-form", "password", PASSWORD)
        b.submit("totp_setup-form")
        uri = b.wait(lambda: b.js("return document.getElementById('totp-uri').getAttribute('href')"),
                     what="the otpauth URI", unless_alert="totp_setup-form")
        check(uri.startswith("otpauth://totp/"), uri)
        b.wait(lambda: b.js("var i = document.getElementById('totp-qr');"
                            " return i.complete && i.naturalWidth > 0"), what="the QR code")
        totp = pyotp.parse_uri(uri)
        check(plain(b.js("return document.getElementById('totp-secret').textContent")) == totp.secret,
              "the key shown is not the URI's")
        check_focus(b, "code")
        b.screenshot("%s-totp-setup" % lang)
        t0 = totp_steady()
        b.fill("totp_confirm-form", "code", typed(lang, totp.at(t0)))
        b.submit("totp_confirm-form")
        codes = b.wait(lambda: b.js("return Array.prototype.map.call("
                                    "document.querySelectorAll('#totp-codes code'),"
                                    " function (c) { return c.textContent; })"),
                       what="the recovery codes", unless_alert="totp_confirm-form")
        check(len(codes) == 10, codes)
        b.screenshot("%s-totp-codes" % lang)
        b.driver.find_element("css selector", '[data-action="codes-done"]').click()
        b.wait(lambda: b.js("return document.getElementById('totp-codes').children.length") == 0 and
               not b.js("return document.getElementById('totp-disable-details').hidden"),
               what="two-step verification shown as on")
        b.submit("logout-form")
        b.wait_step("register")

        number_sent(b, s.url, typed(lang, phone), "password")
        b.fill("password-form", "password", PASSWORD)
        b.submit("password-form")
        b.wait_step("mfa", unless_alert="password-form")
        check_lang(b, lang)
        check_focus(b, "code")
        b.fill("mfa-form", "code", typed(lang, other_code(totp.at(t0 + 30))))
        b.submit("mfa-form")
        err = b.wait(lambda: b.field_error("mfa-form", "code"), what="the wrong code's error")
        check(has_persian(err) == (lang == "fa"), "error %r in the wrong language" % err)
        b.screenshot("%s-mfa" % lang)
        b.fill("mfa-form", "code", typed(lang, totp.at(t0 + 30)))
        b.submit("mfa-form")
        b.wait_step("signed_in", unless_alert="mfa-form")
        b.submit("logout-form")
        b.wait_step("register")

        number_sent(b, s.url, typed(lang, phone), "password")
        b.fill("password-form", "password", PASSWORD)
        b.submit("password-form")
        b.wait_step("mfa", unless_alert="password-form")
        b.fill("mfa-form", "code", codes[0])
        b.submit("mfa-form")
        b.wait_step("signed_in", unless_alert="mfa-form")
        left = b.wait(lambda: b.js("return document.getElementById('totp-state').textContent"),
                      what="the state of two-step verification")
        check(typed(lang, "9") in left, "recovery codes left: %r" % left)
        check_clean_console(b)


@test
def two_step_verification_in_english():
    totp_flow("en")


@test
def two_step_verification_in_persian():
    totp_flow("fa")


if __name__ == "__main__":
    try:
        browser("en")
        browser("fa")
    except Exception as e:  # noqa: BLE001 -- no browser is every test's failure
        print("FAIL page_browser_started: %s: %s" % (type(e).__name__, e))
        for b in BROWSERS.values():
            b.quit()
        sys.exit(1)
    try:
        run()
    finally:
        for b in BROWSERS.values():
            b.quit()
