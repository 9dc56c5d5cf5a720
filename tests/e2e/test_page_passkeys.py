"""Passkeys on the reference sign-in page (www/), in a real browser, behind
every front end its users run.

Debian's Chromium, headless, driven by python3-selenium (browser.py), with
a virtual authenticator of the DevTools protocol's WebAuthn domain
(Selenium 4's add_virtual_authenticator: CTAP2, resident keys, user
verification, the user verified): a user signs up by SMS on the page (the
code from the Redis outbox), adds a passkey in the signed_in step, signs
out, and signs in again with the passkey alone ("Sign in with a passkey")
— behind lighttpd, Apache with mod_proxy_fcgi, Apache with mod_fcgid and
nginx (frontends.py starts them around the files of conf/), and once in
Persian (with the browser's WebAuthn JSON helpers taken away: the page's
own base64url conversion). The number field's autofill (conditional
mediation) signs in too: Chromium's virtual authenticator answers a
conditional request at once, as a user choosing the passkey among the
field's suggestions would; the other tests take conditional mediation away
from the page (as in a browser without it), so that the button is what
signs in. A passkey removed from the page's list signs in no more; an
account with TOTP is offered its passkey at the second-factor step.
The signed_in step with its passkey is saved as <lang>-passkeys.png beside
test_page.py's screenshots.

WebAuthn needs a secure context and an RP ID that is a domain: the page is
opened at http://localhost:<port>/, the front end's own origin, and every
pool here has passkey_rp_id = localhost and passkey_origins = the front
ends' origins (and a Redis prefix of its own: every page here comes from
127.0.0.1, whose counters are then this file's only).
"""

import os
import random
import socket
import sys

import pyotp

from browser import Browser, has_persian, persian_digits, plain
from frontends import Frontends, main
from pa import (Client, bearer, check, expect, fresh_phone, jwt_decode, latest_code, psql, test, totp_steady,
                user_row)

FRONTS = ("lighttpd", "apache-proxy", "apache-fcgid", "nginx")
PREFIX = "page-passkeys-%d:" % os.getpid()
PASSWORD = "correct horse battery"
GIVEN = set()


def port_for_us():
    """A free port in 20000-22999, not given before: away from the ports
    the other test stacks on this machine use (24xxx-27xxx) and below the
    kernel's ephemeral range."""
    rnd = random.SystemRandom()
    for _ in range(1000):
        port = rnd.randint(20000, 22999)
        if port in GIVEN:
            continue
        GIVEN.add(port)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port in 20000-22999")


class PasskeyFrontends(Frontends):
    """Every front end, each at a port chosen before the pools start, so that
    the pools know the origins the pages will have."""

    def __init__(self):
        super().__init__()
        self.ports = {name: port_for_us() for name in FRONTS}
        self.origins = {name: "http://localhost:%d" % p for name, p in self.ports.items()}
        self.settings = {
            "PHONEAUTH_PASSKEY_RP_ID": "localhost",
            "PHONEAUTH_PASSKEY_ORIGINS": ",".join(self.origins[n] for n in FRONTS),
            "PHONEAUTH_REDIS_PREFIX": PREFIX,
            "PHONEAUTH_OTP_COOLDOWN": "0",
        }

    def port(self, name):
        return self.ports[name] if name in self.ports else port_for_us()


FE = PasskeyFrontends()
BROWSERS = {}


def browser(lang):
    if lang not in BROWSERS:
        BROWSERS[lang] = Browser(lang)
    return BROWSERS[lang]


def with_authenticator(b):
    """A fresh virtual authenticator in `b`'s tab: a platform-like key that
    keeps discoverable credentials and verifies its user."""
    from selenium.webdriver.common.virtual_authenticator import VirtualAuthenticatorOptions
    try:
        b.driver.remove_virtual_authenticator()
    except Exception:  # noqa: BLE001 -- none yet
        pass
    opts = VirtualAuthenticatorOptions(protocol=VirtualAuthenticatorOptions.Protocol.CTAP2,
                                       transport=VirtualAuthenticatorOptions.Transport.INTERNAL,
                                       has_resident_key=True, has_user_verification=True,
                                       is_user_consenting=True, is_user_verified=True)
    b.driver.add_virtual_authenticator(opts)


def typed(lang, digits):
    return persian_digits(digits) if lang == "fa" else digits


def visible(b, css, within=None):
    return b.js("var root = arguments[1] ? document.querySelector(arguments[1]) : document;"
                "var e = root.querySelector(arguments[0]);"
                "return !!e && !e.hidden && e.offsetParent !== null;", css, within)


def click(b, css):
    b.driver.find_element("css selector", css).click()


def passkey_rows(b):
    return b.js("return Array.prototype.map.call(document.querySelectorAll('#passkeys li[data-passkey-id]'),"
                " function (li) { return [li.getAttribute('data-passkey-id'), li.textContent]; });")


def stored_passkeys(phone):
    return psql("SELECT p.credential_id, p.name FROM passkeys p JOIN users u ON u.id = p.user_id"
                " WHERE u.mobile_number = :'phone' ORDER BY p.created_at", phone=phone)


def without_conditional_mediation(b):
    """From the next page load on, the browser says it has no conditional
    mediation; returns what undoes it (pass to with_conditional_mediation)."""
    return b.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {
        "source": "PublicKeyCredential.isConditionalMediationAvailable ="
                  " function () { return Promise.resolve(false); };"})["identifier"]


def with_conditional_mediation(b, ident):
    b.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": ident})


def open_page(b, front):
    """The page at the front end's own origin, with nothing kept from an
    earlier test in this origin's storage: emptied before the page's script
    runs (emptied after, a refresh of the earlier login still under way
    could store its token again)."""
    url = FE.origins[front] + "/"
    ident = b.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {
        "source": "sessionStorage.clear(); localStorage.clear();"})["identifier"]
    try:
        b.open(url)
    finally:
        b.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": ident})
    b.wait_step("register")
    return url


def signed_in_as(b, phone):
    b.wait_step("signed_in", 15, unless_alert='section[data-panel="register"]')
    b.wait(lambda: plain(b.js("return document.getElementById('me-mobile').textContent")) == phone,
           what="the profile of %s" % phone)
    refresh = b.js("return sessionStorage.getItem('phoneauth.refresh')")
    check(refresh, "no refresh token kept")
    check(str(jwt_decode(refresh)[1]["user_id"]) == str(user_row(phone)["id"]), "tokens of another account")


def signup_on_page(b, front, phone):
    lang = b.lang
    b.fill("register-form", "mobile_number", typed(lang, phone))
    b.submit("register-form")
    b.wait_step("otp", unless_alert="register-form")
    b.fill("otp-form", "code", typed(lang, latest_code(phone, prefix=PREFIX)))
    b.submit("otp-form")
    b.wait_step("set_password", unless_alert="otp-form")
    b.fill("set_password-form", "password", PASSWORD)
    b.submit("set_password-form")
    b.wait_step("user_info", unless_alert="set_password-form")
    b.fill("user_info-form", "first_name", "Sara")
    b.fill("user_info-form", "last_name", "Ahmadi")
    b.submit("user_info-form")
    signed_in_as(b, phone)


def add_passkey(b, phone, name):
    b.wait(lambda: visible(b, '[data-action="passkey-add"]'), what="the Add a passkey button")
    b.wait(lambda: b.js("return document.querySelector('#passkeys li') !== null"), what="the (empty) list")
    check(passkey_rows(b) == [], "a new account lists passkeys: %r" % passkey_rows(b))
    b.fill("passkey_add-form", "name", name)
    click(b, '#passkey_add-form [data-action="passkey-add"]')
    rows = b.wait(lambda: passkey_rows(b), 15, "the new passkey in the list", unless_alert="passkey_add-form")
    check(len(rows) == 1 and name in rows[0][1], "the list shows %r" % rows)
    stored = stored_passkeys(phone)
    check(len(stored) == 1 and stored[0][0] == rows[0][0] and stored[0][1] == name,
          "stored %r, listed %r" % (stored, rows))
    creds = b.driver.get_credentials()
    check(len(creds) == 1 and creds[0].is_resident_credential and creds[0].rp_id == "localhost",
          "the authenticator holds %r" % [c.to_dict() for c in creds])
    return rows[0][0]


def sign_out(b):
    click(b, 'section[data-panel="signed_in"] [data-action="logout"]')
    b.wait_step("register", unless_alert="logout-form")
    check(not b.js("return sessionStorage.getItem('phoneauth.refresh')"), "a refresh token is left")


def conditional(b):
    """Whether the page's browser says it has conditional mediation."""
    return b.driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "PublicKeyCredential.isConditionalMediationAvailable().then(done, function () { done(false); });")


def passkey_login_offered(b, autofill):
    """The register step offers the passkey: the button and, where the
    browser has conditional mediation, the number field's autofill."""
    b.wait(lambda: visible(b, '[data-action="passkey-login"]', 'section[data-panel="register"]'),
           what="the Sign in with a passkey button")
    check(conditional(b) == autofill, "conditional mediation: %r" % conditional(b))
    want = "username webauthn" if autofill else "tel"
    b.wait(lambda: b.field("register-form", "mobile_number").get_attribute("autocomplete") == want,
           what='autocomplete="%s" on the number' % want)


def passkey_flow(front, lang, fallback=False, autofill=False):
    b = browser(lang)
    with_authenticator(b)
    phone = fresh_phone()
    ident = None if autofill else without_conditional_mediation(b)
    try:
        passkey_flow_in(b, front, lang, phone, fallback, autofill)
    finally:
        if ident is not None:
            with_conditional_mediation(b, ident)


def passkey_flow_in(b, front, lang, phone, fallback, autofill):
    open_page(b, front)
    if fallback:
        # the page's own base64url <-> ArrayBuffer conversion, as in a
        # browser without WebAuthn's JSON helpers
        b.js("delete PublicKeyCredential.parseCreationOptionsFromJSON;"
             "delete PublicKeyCredential.parseRequestOptionsFromJSON;"
             "delete PublicKeyCredential.prototype.toJSON;")
        check(b.js("return typeof PublicKeyCredential.parseRequestOptionsFromJSON") == "undefined",
              "the JSON helpers are still there")
    passkey_login_offered(b, autofill)
    label = b.js("return document.querySelector('section[data-panel=\"register\"] "
                 "[data-action=\"passkey-login\"]').textContent")
    check(has_persian(label) == (lang == "fa"), "button %r in the wrong language" % label)
    signup_on_page(b, front, phone)
    title = b.js("return document.getElementById('passkeys-title').textContent")
    check(has_persian(title) == (lang == "fa"), "passkeys title %r in the wrong language" % title)
    name = "لپ‌تاپ" if lang == "fa" else "Laptop"
    add_passkey(b, phone, name)
    if not autofill:
        b.screenshot("%s-passkeys" % lang)
    before = b.js("return sessionStorage.getItem('phoneauth.refresh')")
    if autofill:
        # signed out, the page's conditional request is answered at once
        click(b, 'section[data-panel="signed_in"] [data-action="logout"]')
        b.wait(lambda: b.js("return sessionStorage.getItem('phoneauth.refresh')") not in (None, before),
               15, "a new login from the number field's autofill")
    else:
        sign_out(b)
        click(b, 'section[data-panel="register"] [data-action="passkey-login"]')
    signed_in_as(b, phone)
    check(b.js("return sessionStorage.getItem('phoneauth.refresh')") != before, "the same login as before")
    # signing out ended the login the passkey was added in
    r = Client(base_url=FE.urls[front]).post("token/refresh", {"refresh": before})
    check(r.status == 401, "the login signed out of still refreshes: %r" % r)
    b.wait(lambda: passkey_rows(b), what="the list after signing in")
    last_used = psql("SELECT p.last_used_at IS NOT NULL FROM passkeys p JOIN users u ON u.id = p.user_id"
                     " WHERE u.mobile_number = :'phone'", phone=phone)
    check(last_used == [["t"]], "the passkey's last use is not recorded: %r" % last_used)
    check(b.html_lang_dir() == [lang, "rtl" if lang == "fa" else "ltr"], b.html_lang_dir())
    errors = b.console_errors()
    check(not errors, "%s: console errors %r" % (front, errors[:3]))
    if not autofill:   # (with it, the register step would sign in again at once)
        sign_out(b)


@test
def passkey_sign_up_add_sign_out_and_sign_in_through_lighttpd():
    passkey_flow("lighttpd", "en")


@test
def passkey_sign_up_add_sign_out_and_sign_in_through_apache_mod_proxy_fcgi():
    passkey_flow("apache-proxy", "en")


@test
def passkey_sign_up_add_sign_out_and_sign_in_through_apache_mod_fcgid():
    passkey_flow("apache-fcgid", "en")


@test
def passkey_sign_up_add_sign_out_and_sign_in_through_nginx():
    passkey_flow("nginx", "en")


@test
def passkey_in_persian_without_the_browsers_json_helpers():
    passkey_flow("lighttpd", "fa", fallback=True)


@test
def passkey_from_the_number_fields_autofill():
    passkey_flow("nginx", "en", autofill=True)


@test
def a_passkey_removed_from_the_list_signs_in_no_more():
    b = browser("en")
    with_authenticator(b)
    phone = fresh_phone()
    ident = without_conditional_mediation(b)
    try:
        removed_passkey_refused(b, phone)
    finally:
        with_conditional_mediation(b, ident)


def removed_passkey_refused(b, phone):
    open_page(b, "nginx")
    signup_on_page(b, "nginx", phone)
    cred = add_passkey(b, phone, "Phone")
    click(b, '#passkeys button.remove-passkey[data-passkey-id="%s"]' % cred)
    b.wait(lambda: b.js("return document.querySelector('#passkeys li') !== null") and not passkey_rows(b),
           what="the list without the passkey")
    check(stored_passkeys(phone) == [], "still stored: %r" % stored_passkeys(phone))
    sign_out(b)
    # the authenticator still has it; the service no longer does
    check(len(b.driver.get_credentials()) == 1, "the authenticator lost the credential")
    passkey_login_offered(b, False)
    click(b, 'section[data-panel="register"] [data-action="passkey-login"]')
    alert = b.wait_alert("register-form")
    # the service's refusal (passkey_invalid), not the browser's
    check(alert and "No passkey was used" not in alert, "the alert says %r" % alert)
    check(b.step() == "register", "step %s after a refused passkey" % b.step())
    check(not b.js("return sessionStorage.getItem('phoneauth.refresh')"), "tokens after a refused passkey")
    errors = b.console_errors()
    check(not errors, "console errors %r" % errors[:3])


@test
def the_second_factor_step_offers_the_passkey():
    b = browser("en")
    with_authenticator(b)
    phone = fresh_phone()
    ident = without_conditional_mediation(b)
    try:
        passkey_at_the_mfa_step(b, phone)
    finally:
        with_conditional_mediation(b, ident)


def passkey_at_the_mfa_step(b, phone):
    front = "apache-proxy"
    open_page(b, front)
    signup_on_page(b, front, phone)
    add_passkey(b, phone, "Laptop")
    # TOTP turned on with the page's login (its refresh token), through the
    # same front end; the page keeps the rotated refresh token
    c = Client(base_url=FE.urls[front])
    pair = expect(c.post("token/refresh", {"refresh": b.refresh_token()}), 200)
    b.js("sessionStorage.setItem('phoneauth.refresh', arguments[0])", pair["refresh"])
    setup = expect(c.post("mfa/totp/setup", {"password": PASSWORD}, headers=bearer(pair["access"])), 200)
    totp = pyotp.parse_uri(setup["otpauth_uri"])
    expect(c.post("mfa/totp/confirm", {"code": totp.at(totp_steady())}, headers=bearer(pair["access"])), 200)
    sign_out(b)
    # no passkey offered in a step whose methods do not have it
    check(not visible(b, "#mfa-passkey"), "a passkey offered out of the mfa step")
    b.fill("register-form", "mobile_number", phone)
    b.submit("register-form")
    b.wait_step("password", unless_alert="register-form")
    b.fill("password-form", "password", PASSWORD)
    b.submit("password-form")
    b.wait_step("mfa", unless_alert="password-form")
    check("passkey" in (b.flow() or {}).get("methods", []), "methods: %r" % b.flow())
    b.wait(lambda: visible(b, '#mfa-passkey[data-action="passkey-login"]'), what="the passkey at the mfa step")
    click(b, '#mfa-passkey')
    signed_in_as(b, phone)
    errors = b.console_errors()
    check(not errors, "console errors %r" % errors[:3])
    sign_out(b)


if __name__ == "__main__":
    try:
        browser("en")
        browser("fa")
    except Exception as e:  # noqa: BLE001 -- no browser is every test's failure
        print("FAIL page_browser_started: %s: %s" % (type(e).__name__, e))
        for b in BROWSERS.values():
            b.quit()
        sys.exit(1)
    main(FE, cleanup=lambda: [b.quit() for b in BROWSERS.values()])
