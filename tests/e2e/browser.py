"""Driving the reference page (www/) in Debian's Chromium, headless, through
chromium-driver and python3-selenium: helpers of test_page.py and
test_frontend_servers.py.

Every page is loaded through a Forwarder: a TCP relay on a port of its own
that reaches the web server from a fresh 127.x.y.z address. So each test is
its own client address for the service's per-address counters and blocks
(a browser on 127.0.0.1 would share one with every other test), and its own
origin (http://127.0.0.1:<relay port>), so that nothing stored by one test's
page (sessionStorage, localStorage, cookies) is seen by the next. The
service's own origin check passes: the Host header is the relay's, which is
the page's origin.
"""

import os
import re
import shutil
import socket
import tempfile
import threading
import time

from pa import check, fresh_ip

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
REPO = os.environ.get("PA_REPO", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
# Screenshots go under the stack's state directory, so that a test run does
# not rewrite the committed ones; PA_SCREENSHOTS=docs/screenshots renews those
# (docs/api.md shows them).
SHOTS = os.environ.get("PA_SCREENSHOTS") or os.path.join(
    os.environ.get("PA_STATE_DIR", os.path.join(REPO, "var")), "screenshots")
WIDTH, HEIGHT = 480, 900


class Forwarder:
    """127.0.0.1:<port> -> 127.0.0.1:<target>, every connection made from `ip`."""

    def __init__(self, target_port, ip=None, target_host="127.0.0.1"):
        self.target = (target_host, target_port)
        self.ip = ip or fresh_ip()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.url = "http://127.0.0.1:%d/" % self.port
        self.socks = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                down, _ = self.listener.accept()
            except OSError:
                return
            try:
                up = socket.create_connection(self.target, timeout=10, source_address=(self.ip, 0))
                up.settimeout(None)
            except OSError:
                down.close()
                continue
            with self.lock:
                if self.closed:
                    down.close()
                    up.close()
                    return
                self.socks += [down, up]
            for a, b in ((down, up), (up, down)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        with self.lock:
            self.closed = True
            socks, self.socks = self.socks, []
        try:
            self.listener.close()
        except OSError:
            pass
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# digits and the bidi isolates the page writes around numbers
_DIGITS = {ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")}
_DIGITS.update({ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")})
_DIGITS.update({0x2066: None, 0x2067: None, 0x2068: None, 0x2069: None, 0x200e: None, 0x200f: None})


def plain(text):
    """`text` with ASCII digits and without bidi controls."""
    return (text or "").translate(_DIGITS)


def persian_digits(s):
    return "".join("۰۱۲۳۴۵۶۷۸۹"[int(c)] if c.isdigit() else c for c in s)


def has_persian(text):
    return bool(re.search("[\u0600-\u06ff]", text or ""))


def countdown_seconds(text):
    """The m:ss (or h:mm:ss) in `text`, in seconds; None without one."""
    m = re.search(r"(?:(\d+):)?(\d+):(\d\d)", plain(text))
    if not m:
        return None
    return int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + int(m.group(3))


class Browser:
    """One headless Chromium whose browser language is `lang` (navigator.languages)."""

    def __init__(self, lang):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        self.lang = lang
        self.profile = tempfile.mkdtemp(prefix="phoneauth-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--no-first-run", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-extensions", "--disable-default-apps",
                  "--no-default-browser-check", "--disable-features=Translate,MediaRouter",
                  "--password-store=basic", "--user-data-dir=" + self.profile,
                  "--lang=" + lang, "--window-size=%d,%d" % (WIDTH, HEIGHT)):
            opts.add_argument(a)
        opts.add_experimental_option("prefs", {
            "intl.accept_languages": lang,
            "credentials_enable_service": False,
            "profile.password_manager_enabled": False,
        })
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        self.driver.set_page_load_timeout(20)
        self.size(WIDTH, HEIGHT)

    def quit(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    # -- the window --
    def size(self, width, height):
        self.width = width
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def open(self, url):
        self.driver.get(url)
        self.wait(lambda: self.js("return document.readyState") == "complete", what="the page to load")
        self.wait(lambda: self.js("return !!document.documentElement.getAttribute('dir')"),
                  what="the page's script to start")

    def reload(self):
        self.driver.refresh()
        self.wait(lambda: self.js("return document.readyState") == "complete", what="the page to reload")

    def wait(self, pred, timeout=10, what="a condition", unless_alert=None):
        """Polls `pred` until it is true; fails after `timeout`, or at once
        when the form `unless_alert` shows an error instead."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                last = pred()
                if last:
                    return last
            except Exception as e:  # noqa: BLE001 -- an element in flux; try again
                last = e
            if unless_alert and self.alerts(unless_alert):
                raise AssertionError("waiting for %s, %s says %r" % (what, unless_alert, self.alerts(unless_alert)))
            time.sleep(0.05)
        raise AssertionError("timed out after %s s waiting for %s (last: %r; step %s; alerts %r)"
                             % (timeout, what, last, self.step(), self.alerts()))

    # -- the page's contract: data-step, panels, names, role=alert --
    def step(self):
        try:
            return self.js("return document.querySelector('main').getAttribute('data-step')")
        except Exception:  # noqa: BLE001
            return None

    def wait_step(self, step, timeout=10, unless_alert=None):
        self.wait(lambda: self.step() == step and self.js(
            "var p = document.querySelector('section[data-panel=\"' + arguments[0] + '\"]');"
            "return !!p && !p.hidden && p.offsetParent !== null;", step), timeout, "step " + step,
            unless_alert)

    def panel(self, step=None):
        return self.driver.find_element("css selector", 'section[data-panel="%s"]' % (step or self.step()))

    def form(self, form_id):
        return self.driver.find_element("id", form_id)

    def field(self, form_id, name):
        return self.form(form_id).find_element("css selector", 'input[name="%s"]' % name)

    def fill(self, form_id, name, value):
        el = self.field(form_id, name)
        el.clear()
        el.send_keys(value)
        return el

    def submit(self, form_id):
        buttons = self.form(form_id).find_elements("css selector", 'button[type="submit"], input[type="submit"]')
        check(len(buttons) == 1, "%s has %d submit buttons" % (form_id, len(buttons)))
        buttons[0].click()
        return buttons[0]

    def submit_button(self, form_id):
        return self.form(form_id).find_element("css selector", 'button[type="submit"]')

    def alerts(self, within=None):
        """Texts of the visible role=alert elements (of the page, or within
        the element of that id or CSS selector, itself included)."""
        try:
            return self.js(
                "var w = arguments[0], root = !w ? document : (document.getElementById(w) || document.querySelector(w));"
                "var all = Array.prototype.slice.call(root.querySelectorAll('[role=alert]'));"
                "if (root.matches && root.matches('[role=alert]')) all.unshift(root);"
                "return all.filter("
                "  function (e) { return !e.hidden && e.offsetParent !== null && e.textContent.trim(); })"
                " .map(function (e) { return e.textContent.trim(); });", within)
        except Exception:  # noqa: BLE001
            return None

    def wait_alert(self, within, pred=None, timeout=10):
        return self.wait(lambda: [a for a in self.alerts(within) if pred is None or pred(a)],
                         timeout, "an alert in %s" % within)[0]

    def field_error(self, form_id, name):
        """The text of the role=alert next to the input `name` (its .field)."""
        return self.js(
            "var i = document.getElementById(arguments[0]).querySelector('input[name=\"' + arguments[1] + '\"]');"
            "var e = i.closest('.field').querySelector('[role=alert]');"
            "return e && !e.hidden ? e.textContent.trim() : '';", form_id, name)

    def status(self):
        return self.js("return document.getElementById('status').textContent.trim()")

    def focused_name(self):
        return self.js("var e = document.activeElement; return e ? (e.name || e.id) : null;")

    def html_lang_dir(self):
        return self.js("var h = document.documentElement; return [h.getAttribute('lang'), h.getAttribute('dir')];")

    def storage(self):
        return self.js("var o = {}; for (var s of [sessionStorage, localStorage]) for (var i = 0; i < s.length; i++)"
                       " o[(s === sessionStorage ? 'session:' : 'local:') + s.key(i)] = s.getItem(s.key(i));"
                       " o.cookie = document.cookie; return o;")

    def refresh_token(self):
        return self.js("return sessionStorage.getItem('phoneauth.refresh')")

    def flow(self):
        import json
        return json.loads(self.js("return sessionStorage.getItem('phoneauth.flow') || 'null'") or "null")

    def set_meta(self, name, value):
        self.js("document.querySelector('meta[name=\"' + arguments[0] + '\"]').setAttribute('content', arguments[1])",
                name, value)

    # -- console: no script error, no CSP violation --
    def console_errors(self):
        out = []
        for e in self.driver.get_log("browser"):
            msg = e.get("message", "")
            if e.get("level") != "SEVERE":
                continue
            # an API error answer (4xx/5xx) is logged by Chromium as a failed load
            if "Failed to load resource" in msg:
                continue
            out.append(msg)
        return out

    def screenshot(self, name):
        """SHOTS/<name>.png: the whole page at the current width."""
        os.makedirs(SHOTS, exist_ok=True)
        height = int(self.js("return Math.ceil(document.documentElement.scrollHeight)") or HEIGHT)
        self.size(self.width, max(640, min(height, 2400)))
        time.sleep(0.05)
        self.driver.save_screenshot(os.path.join(SHOTS, name + ".png"))
        self.size(self.width, HEIGHT)

