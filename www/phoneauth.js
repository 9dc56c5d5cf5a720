/*
 * phoneauth's reference sign-in page: plain JavaScript, no framework, no
 * build step, nothing loaded from anywhere else. It speaks the HTTP contract
 * of the service (docs/api.md) on the same origin.
 *
 * The step on screen is <main data-step="...">; each step is a <section
 * data-panel="..."> with one form. Inputs carry the API's field names, so a
 * field error ("fields" of validation_failed) is shown next to its input.
 *
 * Tokens: the access token lives in this script's memory only; the refresh
 * token in sessionStorage (this tab, until it is closed), so that a reload
 * does not sign the user out. docs/api.md, "The reference page", says why.
 * Each account's device token (docs/security.md, "Device tokens") is kept
 * in localStorage, by number, and sent back with every step that names the
 * account: this browser stays open to its owner whatever a stranger does to
 * the number.
 */
(function () {
  "use strict";

  // ---- settings (the <meta> tags of index.html) ----

  function meta(name, fallback) {
    var m = document.querySelector('meta[name="' + name + '"]');
    var v = m && m.getAttribute("content");
    return v === null || v === undefined || v === "" ? fallback : v;
  }
  function apiBase() {
    var base = meta("phoneauth-api", "/api/");
    return base.charAt(base.length - 1) === "/" ? base : base + "/";
  }
  function resendAfter() {
    var n = parseInt(meta("phoneauth-resend-after", "30"), 10);
    return isFinite(n) && n >= 0 ? n : 30;
  }
  function authCookie() {
    var name = meta("phoneauth-auth-cookie", "");
    return /^[A-Za-z0-9_.-]+$/.test(name) ? name : "";
  }

  // ---- texts ----

  var TEXT = {
    en: {
      title: "Sign in",
      brand: "Sign in",
      switch_to: "فارسی",
      register_title: "Sign in or create an account",
      mobile_label: "Mobile number",
      mobile_hint: "For example 09121234567",
      continue: "Continue",
      otp_title: "Enter the code",
      otp_intro: "We sent a 6-digit code by SMS to {phone}.",
      code_label: "6-digit code",
      verify: "Verify",
      resend: "Send a new code",
      resend_in: "Send a new code in {time}",
      other_number: "Use another number",
      cancel: "Cancel",
      set_password_title: "Choose a password",
      new_password_title: "Choose a new password",
      password_label: "Password",
      password_hint: "8 to 128 characters, not a common password, and not your phone number. A phrase of a few words is best.",
      show_password: "Show password",
      save_password: "Save password",
      user_info_title: "About you",
      first_name_label: "First name",
      last_name_label: "Last name",
      email_label: "Email (optional)",
      create_account: "Create account",
      password_title: "Welcome back",
      password_intro: "Enter the password of {phone}.",
      sign_in: "Sign in",
      forgot: "Forgot your password?",
      login_code: "Sign in with a code instead",
      reset_title: "Reset your password",
      reset_intro: "If this number has an account, we will send it a code.",
      send_code: "Send code",
      back: "Back",
      signed_in_title: "You are signed in",
      name: "Name",
      email: "Email",
      none: "—",
      log_out: "Log out",
      sessions_title: "Where you are signed in",
      this_device: "this device",
      end_session: "End this one",
      session_meta: "Since {created} · last used {used} · {ip}",
      unknown_device: "Unknown device",
      device: "{browser} on {os}",
      sessions_unavailable: "The list of logins is not available.",
      log_out_all: "Log out everywhere",
      change_title: "Change your mobile number",
      new_mobile_label: "New mobile number",
      current_password_label: "Your password",
      change_submit: "Send a code to the new number",
      delete_title: "Delete your account",
      delete_warning: "This cannot be undone: your account and every login are removed.",
      delete_submit: "Delete my account",
      blocked: "Too many attempts. Try again in {time}.",
      rate_limited: "A code was sent recently. You can ask for a new one in {time}.",
      try_again_now: "You can try again now.",
      unavailable: "The service is unavailable right now. Try again shortly.",
      network: "The service could not be reached. Check your connection and try again.",
      unexpected: "Something went wrong. Please try again.",
      session_expired: "This step took too long and has expired. Please start again.",
      wrong_step: "Let us continue from the step your sign-in is at.",
      signed_out_elsewhere: "You have been signed out. Please sign in again.",
      code_login_off: "Signing in with a code is not available here.",
      phone_taken: "This number already has an account.",
      new_code_sent: "A new code has been sent.",
      mfa_title: "Two-step verification",
      mfa_intro: "Enter the 6-digit code of your authenticator app, or one of your recovery codes.",
      mfa_code_label: "Code from the app, or a recovery code",
      totp_title: "Two-step verification",
      totp_is_on: "On: signing in asks for a code of your authenticator app ({left} recovery codes left).",
      totp_is_off: "Off: your password or an SMS code is enough to sign in.",
      totp_setup: "Turn on two-step verification",
      totp_show_qr: "Show the QR code",
      totp_scan: "Scan this code with your authenticator app, or type the key in it. Then enter the 6 digits the app shows.",
      totp_key: "Key:",
      totp_open_app: "Open in an authenticator app on this device",
      totp_turn_on: "Turn on",
      totp_codes_intro: "Your recovery codes. Each signs you in once if you lose your phone. Keep them somewhere safe: they are shown only now.",
      copy_codes: "Copy the codes",
      codes_copied: "The recovery codes are copied.",
      codes_done: "I have saved them",
      totp_disable_title: "Turn two-step verification off",
      totp_turn_off: "Turn off",
      passkey_login: "Sign in with a passkey",
      mfa_passkey: "Use a passkey instead",
      passkeys_title: "Passkeys",
      passkeys_intro: "A passkey signs you in with this device's screen lock, fingerprint or face: no password, no code.",
      passkey_name_label: "Name of the passkey (optional)",
      passkey_add: "Add a passkey",
      passkey_added: "The passkey is added.",
      passkey_remove: "Remove",
      passkey_unnamed: "Passkey",
      passkey_meta: "Added {created} · last used {used}",
      passkeys_none: "No passkey yet.",
      passkeys_unavailable: "The list of passkeys is not available.",
      passkey_cancelled: "No passkey was used: the request was cancelled or timed out.",
      passkey_exists: "This device already has a passkey for this account.",
      passkey_wrong_site: "Passkeys are not set up for this address of the site.",
      passkey_unsupported: "This browser cannot use passkeys."
    },
    fa: {
      title: "ورود",
      brand: "ورود",
      switch_to: "English",
      register_title: "ورود یا ساخت حساب کاربری",
      mobile_label: "شمارهٔ موبایل",
      mobile_hint: "مثلاً ۰۹۱۲۱۲۳۴۵۶۷",
      continue: "ادامه",
      otp_title: "کد تأیید را وارد کنید",
      otp_intro: "یک کد ۶ رقمی با پیامک به {phone} فرستادیم.",
      code_label: "کد ۶ رقمی",
      verify: "تأیید",
      resend: "ارسال دوبارهٔ کد",
      resend_in: "ارسال دوبارهٔ کد تا {time} دیگر",
      other_number: "استفاده از شمارهٔ دیگر",
      cancel: "انصراف",
      set_password_title: "یک رمز عبور انتخاب کنید",
      new_password_title: "رمز عبور تازه‌ای انتخاب کنید",
      password_label: "رمز عبور",
      password_hint: "۸ تا ۱۲۸ نویسه، نه یک رمز رایج، و بدون شمارهٔ موبایل شما. عبارتی چندکلمه‌ای بهترین است.",
      show_password: "نمایش رمز عبور",
      save_password: "ذخیرهٔ رمز عبور",
      user_info_title: "دربارهٔ شما",
      first_name_label: "نام",
      last_name_label: "نام خانوادگی",
      email_label: "ایمیل (اختیاری)",
      create_account: "ساخت حساب کاربری",
      password_title: "خوش آمدید",
      password_intro: "رمز عبور {phone} را وارد کنید.",
      sign_in: "ورود",
      forgot: "رمز عبور را فراموش کرده‌اید؟",
      login_code: "ورود با کد پیامکی",
      reset_title: "بازیابی رمز عبور",
      reset_intro: "اگر این شماره حساب کاربری داشته باشد، کدی به آن می‌فرستیم.",
      send_code: "ارسال کد",
      back: "بازگشت",
      signed_in_title: "وارد حساب خود شده‌اید",
      name: "نام",
      email: "ایمیل",
      none: "—",
      log_out: "خروج",
      sessions_title: "دستگاه‌هایی که با آن‌ها وارد شده‌اید",
      this_device: "همین دستگاه",
      end_session: "پایان این ورود",
      session_meta: "از {created} · آخرین استفاده {used} · {ip}",
      unknown_device: "دستگاه ناشناخته",
      device: "{browser} روی {os}",
      sessions_unavailable: "فهرست ورودها در دسترس نیست.",
      log_out_all: "خروج از همهٔ دستگاه‌ها",
      change_title: "تغییر شمارهٔ موبایل",
      new_mobile_label: "شمارهٔ موبایل جدید",
      current_password_label: "رمز عبور فعلی",
      change_submit: "ارسال کد به شمارهٔ جدید",
      delete_title: "حذف حساب کاربری",
      delete_warning: "این کار بازگشت‌پذیر نیست: حساب کاربری و همهٔ ورودهای شما حذف می‌شوند.",
      delete_submit: "حساب کاربری‌ام را حذف کن",
      blocked: "تلاش‌ها بیش از حد مجاز بود. {time} دیگر دوباره تلاش کنید.",
      rate_limited: "کدی به‌تازگی فرستاده شد. {time} دیگر می‌توانید کد تازه بخواهید.",
      try_again_now: "اکنون می‌توانید دوباره تلاش کنید.",
      unavailable: "سرویس در این لحظه در دسترس نیست. کمی بعد دوباره تلاش کنید.",
      network: "ارتباط با سرویس برقرار نشد. اتصال خود را بررسی کنید و دوباره تلاش کنید.",
      unexpected: "مشکلی پیش آمد. لطفاً دوباره تلاش کنید.",
      session_expired: "مهلت این مرحله به پایان رسید. لطفاً دوباره شروع کنید.",
      wrong_step: "از مرحله‌ای که ورود شما در آن است ادامه می‌دهیم.",
      signed_out_elsewhere: "از حساب خود خارج شده‌اید. لطفاً دوباره وارد شوید.",
      code_login_off: "ورود با کد پیامکی در این سرویس فعال نیست.",
      phone_taken: "این شماره پیش‌تر حساب کاربری دارد.",
      new_code_sent: "کد تازه‌ای فرستاده شد.",
      mfa_title: "ورود دومرحله‌ای",
      mfa_intro: "کد ۶ رقمی برنامهٔ احراز هویت یا یکی از کدهای بازیابی خود را وارد کنید.",
      mfa_code_label: "کد برنامه یا کد بازیابی",
      totp_title: "ورود دومرحله‌ای",
      totp_is_on: "فعال: هنگام ورود، کد برنامهٔ احراز هویت پرسیده می‌شود ({left} کد بازیابی باقی مانده است).",
      totp_is_off: "غیرفعال: برای ورود، رمز عبور یا کد پیامکی کافی است.",
      totp_setup: "فعال‌کردن ورود دومرحله‌ای",
      totp_show_qr: "نمایش کد QR",
      totp_scan: "این کد را با برنامهٔ احراز هویت خود بخوانید یا کلید را در آن وارد کنید. سپس ۶ رقمی را که برنامه نشان می‌دهد وارد کنید.",
      totp_key: "کلید:",
      totp_open_app: "باز کردن در برنامهٔ احراز هویت همین دستگاه",
      totp_turn_on: "فعال‌کردن",
      totp_codes_intro: "کدهای بازیابی شما. اگر تلفن خود را گم کنید، هر کد یک بار شما را وارد می‌کند. آن‌ها را جای امنی نگه دارید: فقط همین حالا نشان داده می‌شوند.",
      copy_codes: "کپی کدها",
      codes_copied: "کدهای بازیابی کپی شدند.",
      codes_done: "آن‌ها را ذخیره کردم",
      totp_disable_title: "غیرفعال‌کردن ورود دومرحله‌ای",
      totp_turn_off: "غیرفعال‌کردن",
      passkey_login: "ورود با کلید عبور",
      mfa_passkey: "به‌جای آن از کلید عبور استفاده کنید",
      passkeys_title: "کلیدهای عبور",
      passkeys_intro: "کلید عبور شما را با قفل صفحه، اثر انگشت یا چهرهٔ همین دستگاه وارد می‌کند: بی رمز عبور و بی کد.",
      passkey_name_label: "نام کلید عبور (اختیاری)",
      passkey_add: "افزودن کلید عبور",
      passkey_added: "کلید عبور افزوده شد.",
      passkey_remove: "حذف",
      passkey_unnamed: "کلید عبور",
      passkey_meta: "افزوده در {created} · آخرین استفاده {used}",
      passkeys_none: "هنوز کلید عبوری ندارید.",
      passkeys_unavailable: "فهرست کلیدهای عبور در دسترس نیست.",
      passkey_cancelled: "از کلید عبور استفاده نشد: درخواست لغو شد یا مهلت آن گذشت.",
      passkey_exists: "این دستگاه پیش‌تر برای این حساب کلید عبور دارد.",
      passkey_wrong_site: "کلید عبور برای این نشانی سایت پیکربندی نشده است.",
      passkey_unsupported: "این مرورگر نمی‌تواند از کلید عبور استفاده کند."
    }
  };

  var lang = "en";

  function t(key, vars) {
    var s = (TEXT[lang] && TEXT[lang][key]) || TEXT.en[key] || key;
    if (vars) {
      s = s.replace(/\{(\w+)\}/g, function (all, k) {
        return Object.prototype.hasOwnProperty.call(vars, k) ? String(vars[k]) : all;
      });
    }
    return s;
  }

  // Digits as the user's language writes them; numbers that read left to
  // right (a phone number) are isolated so that Persian text around them
  // does not reorder them.
  function localDigits(s) {
    s = String(s);
    if (lang !== "fa") return s;
    return s.replace(/[0-9]/g, function (d) { return String.fromCharCode(0x06f0 + Number(d)); });
  }
  function ltr(s) { return "\u2066" + s + "\u2069"; }

  // Persian (U+06F0-U+06F9) and Arabic-Indic (U+0660-U+0669) digits as
  // ASCII: what the user typed is sent as the service expects it (it
  // normalises them too).
  function asciiDigits(s) {
    return String(s).replace(/[\u06f0-\u06f9\u0660-\u0669]/g, function (c) {
      var n = c.charCodeAt(0);
      return String(n >= 0x06f0 ? n - 0x06f0 : n - 0x0660);
    });
  }

  function pickLanguage() {
    var saved = null;
    try { saved = window.localStorage.getItem("phoneauth.lang"); } catch (e) { /* storage off */ }
    if (saved && TEXT[saved]) return saved;
    var wanted = (navigator.languages && navigator.languages.length) ? navigator.languages
      : [navigator.language || ""];
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i] || "").toLowerCase().split("-")[0];
      if (TEXT[code]) return code;
    }
    var page = (document.documentElement.getAttribute("lang") || "en").toLowerCase().split("-")[0];
    return TEXT[page] ? page : "en";
  }

  function applyLanguage(code) {
    lang = TEXT[code] ? code : "en";
    var root = document.documentElement;
    root.setAttribute("lang", lang);
    root.setAttribute("dir", lang === "fa" ? "rtl" : "ltr");
    document.title = t("title");
    var nodes = document.querySelectorAll("[data-i18n]");
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = t(nodes[i].getAttribute("data-i18n"));
    var sw = $("lang-switch");
    var other = lang === "fa" ? "en" : "fa";
    sw.textContent = t("switch_to");
    sw.setAttribute("lang", other);
    sw.setAttribute("dir", other === "fa" ? "rtl" : "ltr");
    renderStepTexts();
    renderResend();
    if (state.me) renderMe();
    if (state.sessions) renderSessions();
    renderPasskeys();
  }

  // ---- little DOM helpers ----

  function $(id) { return document.getElementById(id); }
  function panel(step) { return document.querySelector('section[data-panel="' + step + '"]'); }
  function formAlert(form) { return form.querySelector(".form-error"); }

  function setText(el, text) {
    el.textContent = text || "";
    el.hidden = !text;
  }

  function clearErrors(form) {
    var alerts = form.querySelectorAll('[role="alert"]');
    for (var i = 0; i < alerts.length; i++) setText(alerts[i], "");
    var inputs = form.querySelectorAll("input[aria-invalid]");
    for (var j = 0; j < inputs.length; j++) {
      inputs[j].removeAttribute("aria-invalid");
      restoreDescribedBy(inputs[j]);
    }
    stopCountdown(form);
  }

  function fieldError(form, name, text) {
    var input = form.querySelector('input[name="' + name + '"]');
    if (!input) return null;
    var box = input.parentNode.querySelector(".field-error");
    if (!box.id) box.id = input.id + "-error";
    setText(box, text);
    input.setAttribute("aria-invalid", "true");
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (!input.hasAttribute("data-describedby")) input.setAttribute("data-describedby", ids.join(" "));
    if (ids.indexOf(box.id) < 0) ids.push(box.id);
    input.setAttribute("aria-describedby", ids.join(" "));
    return input;
  }
  function restoreDescribedBy(input) {
    if (!input.hasAttribute("data-describedby")) return;
    var ids = input.getAttribute("data-describedby");
    if (ids) input.setAttribute("aria-describedby", ids);
    else input.removeAttribute("aria-describedby");
    input.removeAttribute("data-describedby");
  }

  function showStatus(text) { $("status").textContent = text || ""; }

  // ---- countdowns (429s, the resend button) ----

  function fmtTime(seconds) {
    seconds = Math.max(0, Math.ceil(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var out = (h ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (s < 10 ? "0" : "") + s;
    return ltr(localDigits(out));
  }

  var countdowns = [];   // {form, timer}

  function stopCountdown(form) {
    countdowns = countdowns.filter(function (c) {
      if (c.form !== form) return true;
      window.clearInterval(c.timer);
      if (c.button) c.button.disabled = false;
      return false;
    });
  }

  // A 429 in a form's alert: "Try again in 59:42", counting down; the form's
  // submit button stays disabled until then (any request would be refused).
  function countdownAlert(form, key, seconds) {
    stopCountdown(form);
    var box = formAlert(form);
    var until = Date.now() + seconds * 1000;
    var button = form.querySelector('button[type="submit"]');
    box.textContent = "";
    var parts = t(key, { time: "\u0000" }).split("\u0000");
    box.appendChild(document.createTextNode(parts[0]));
    var clock = document.createElement("span");
    clock.className = "countdown";
    // announced once, with the sentence; not every second
    clock.setAttribute("aria-live", "off");
    clock.setAttribute("data-until", String(until));
    box.appendChild(clock);
    box.appendChild(document.createTextNode(parts[1] || ""));
    box.hidden = false;
    if (button) button.disabled = true;
    var entry = { form: form, button: button, timer: 0, key: key };
    function tick() {
      var left = (until - Date.now()) / 1000;
      if (left <= 0) {
        stopCountdown(form);
        setText(box, t("try_again_now"));
        return;
      }
      clock.textContent = fmtTime(left);
    }
    tick();
    entry.timer = window.setInterval(tick, 250);
    countdowns.push(entry);
  }

  // ---- state ----

  var REFRESH_KEY = "phoneauth.refresh";
  var FLOW_KEY = "phoneauth.flow";

  var state = {
    step: "register",
    flow: null,        // {session_id, phone, kind: register|reset|login_code|change}
    access: null,      // the access token: memory only
    accessUntil: 0,    // local time (ms) it is good until
    me: null,
    sessions: null,
    codeLogin: true,   // POST login/code may exist (hidden after a 404)
    passkeys: false,   // the service has passkeys (shown once a probe says so)
    conditional: false, // the browser offers passkeys in the number's autofill
    conditionalCtl: null, // the AbortController of that pending request
    passkeyBusy: false,
    passkeyList: null, // the account's passkeys (signed_in)
    resendAt: 0,       // local time (ms) the resend button is offered again
    resendTimer: 0
  };

  function store(key, value) {
    try {
      if (value === null || value === undefined) window.sessionStorage.removeItem(key);
      else window.sessionStorage.setItem(key, typeof value === "string" ? value : JSON.stringify(value));
    } catch (e) { /* storage off: memory only, a reload signs out */ }
  }
  function load(key) {
    try { return window.sessionStorage.getItem(key); } catch (e) { return null; }
  }

  function setFlow(flow) {
    state.flow = flow;
    store(FLOW_KEY, flow);
  }

  // ---- device tokens ----

  var DEVICE_KEY = "phoneauth.device.";

  // A number as the service will read it, as far as the page can tell
  // (the same key whichever way the user typed it).
  function numberKey(phone) {
    var p = asciiDigits(phone || "").replace(/[\s\-()]/g, "");
    var m = /^(?:\+98|0098|98)(9[0-9]{9})$/.exec(p) || /^(9[0-9]{9})$/.exec(p);
    return m ? "0" + m[1] : p;
  }

  // The device token this browser keeps for the account of `phone`, or
  // undefined (then JSON.stringify leaves the field out).
  function deviceFor(phone) {
    if (!phone) return undefined;
    try { return window.localStorage.getItem(DEVICE_KEY + numberKey(phone)) || undefined; }
    catch (e) { return undefined; }
  }

  // Every answer with tokens carries the account's device token: the same
  // one when this browser sent a live one, else a new one to keep.
  function keepDevice(phone, token) {
    if (!phone || typeof token !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(token)) return;
    try { window.localStorage.setItem(DEVICE_KEY + numberKey(phone), token); }
    catch (e) { /* storage off: this browser is like any other */ }
  }

  // ---- HTTP ----

  // One call to the service. Resolves to {status, body, retryAfter} for any
  // answer (body: the JSON object, or null); rejects only when the service
  // could not be reached at all.
  function call(method, route, body, token) {
    var headers = { "Accept": "application/json", "Accept-Language": lang };
    var init = { method: method, headers: headers, credentials: "same-origin", cache: "no-store",
      redirect: "error", referrerPolicy: "no-referrer" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (token) headers["Authorization"] = "Bearer " + token;
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = 0;
    if (ctl) {
      init.signal = ctl.signal;
      timer = window.setTimeout(function () { ctl.abort(); }, 20000);
    }
    return fetch(apiBase() + route, init).then(function (r) {
      return r.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        if (json !== null && typeof json !== "object") json = null;
        var ra = (json && typeof json.retry_after === "number") ? json.retry_after
          : parseInt(r.headers.get("Retry-After") || "", 10);
        return { status: r.status, body: json || {}, retryAfter: isFinite(ra) && ra > 0 ? ra : 0 };
      });
    }).finally(function () { window.clearTimeout(timer); });
  }

  // Puts an error answer on screen, in `form`. Returns true when it was
  // shown there (false: the caller moved elsewhere).
  function showError(form, r) {
    var b = r.body || {};
    clearErrors(form);
    if (r.status === 429) {
      var wait = r.retryAfter || 60;
      if (b.error === "otp_rate_limited") countdownAlert(form, "rate_limited", wait);
      else countdownAlert(form, "blocked", wait);
      return true;
    }
    if (r.status === 503 || r.status === 502 || r.status === 504) {
      setText(formAlert(form), t("unavailable"));
      return true;
    }
    if (b.error === "validation_failed" && b.fields && typeof b.fields === "object") {
      var first = null, rest = [];
      Object.keys(b.fields).forEach(function (name) {
        var msgs = b.fields[name];
        var text = Array.isArray(msgs) ? msgs.join(" ") : String(msgs);
        var input = fieldError(form, name, text);
        if (input) { first = first || input; } else { rest.push(text); }
      });
      if (rest.length || !first) setText(formAlert(form), rest.length ? rest.join(" ") : (b.message || t("unexpected")));
      if (first) first.focus();
      return true;
    }
    if (b.error === "wrong_step" && b.next_step && panel(b.next_step) && state.flow) {
      goStep(b.next_step, { status: t("wrong_step") });
      return false;
    }
    if (b.error === "session_invalid") {
      var kind = state.flow ? state.flow.kind : "register";
      var phone = state.flow ? state.flow.phone : "";
      setFlow(null);
      if (kind === "change" && state.access) {
        goStep("signed_in", { error: t("session_expired") });
      } else {
        goStep(kind === "reset" ? "reset" : "register", { error: t("session_expired"), phone: phone });
      }
      return false;
    }
    if (b.error === "password_incorrect") {
      var pw = form.querySelector('input[name="password"]');
      if (pw) {
        fieldError(form, "password", b.message || t("unexpected"));
        pw.value = "";
        pw.focus();
        return true;
      }
    }
    if (b.error === "otp_invalid" || b.error === "mfa_invalid") {
      var code = form.querySelector('input[name="code"]');
      if (code) {
        fieldError(form, "code", b.message || t("unexpected"));
        code.select();
        code.focus();
        return true;
      }
    }
    if (b.error === "phone_taken") {
      var ph = fieldError(form, "mobile_number", b.message || t("phone_taken"));
      if (ph) { ph.focus(); return true; }
    }
    setText(formAlert(form), b.message || t("unexpected"));
    return true;
  }

  function showNetworkError(form) {
    clearErrors(form);
    setText(formAlert(form), t("network"));
  }

  // ---- tokens ----

  function claims(token) {
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      while (part.length % 4) part += "=";
      return JSON.parse(window.atob(part));
    } catch (e) {
      return {};
    }
  }

  // The lifetime is taken from the token itself (exp - iat), counted from
  // now on this machine's clock: a clock that is off does not matter.
  function setAccess(token, expiresIn) {
    var c = claims(token);
    var life = expiresIn || ((c.exp && c.iat) ? c.exp - c.iat : 300);
    state.access = token;
    state.accessUntil = Date.now() + Math.max(5, life - 10) * 1000;
    var cookie = authCookie();
    if (cookie) {
      document.cookie = cookie + "=" + token + "; Path=/; Max-Age=" + Math.max(1, life) +
        "; SameSite=Strict" + (location.protocol === "https:" ? "; Secure" : "");
    }
  }

  function setTokens(tokens) {
    setAccess(tokens.access_token, tokens.expires_in);
    store(REFRESH_KEY, tokens.refresh_token);
  }

  function forgetTokens() {
    state.access = null;
    state.accessUntil = 0;
    state.me = null;
    state.sessions = null;
    state.passkeyList = null;
    store(REFRESH_KEY, null);
    var cookie = authCookie();
    if (cookie) {
      document.cookie = cookie + "=; Path=/; Max-Age=0; SameSite=Strict" +
        (location.protocol === "https:" ? "; Secure" : "");
    }
  }

  var refreshing = null;

  // A fresh access token from the refresh token (rotation: the service
  // answers a new refresh token too). Resolves to true, or to false when the
  // login is over (the caller signs out); rejects on a network error, 429 or
  // 503 (the login may well be fine: try again later).
  function refresh() {
    if (refreshing) return refreshing;
    var token = load(REFRESH_KEY);
    if (!token) return Promise.resolve(false);
    refreshing = call("POST", "token/refresh", { refresh: token }).then(function (r) {
      if (r.status === 200 && r.body.access && r.body.refresh) {
        setAccess(r.body.access);
        store(REFRESH_KEY, r.body.refresh);
        return true;
      }
      if (r.status === 401 || r.status === 403) {
        forgetTokens();
        return false;
      }
      var err = new Error("refresh failed");
      err.answer = r;
      throw err;
    }).finally(function () { refreshing = null; });
    return refreshing;
  }

  // A call with the access token; refreshes it first when it is about to
  // expire, and once more when the service says it is no longer good.
  // Resolves like call(); an answer of {status: 401, ended: true} means the
  // login is over.
  function authed(method, route, body) {
    function attempt(again) {
      var ready = (state.access && Date.now() < state.accessUntil) ? Promise.resolve(true) : refresh();
      return ready.then(function (ok) {
        if (!ok) return { status: 401, body: {}, ended: true };
        return call(method, route, body, state.access).then(function (r) {
          if (r.status === 401 && (r.body.error === "token_invalid" || r.body.error === "token_reused") && !again) {
            state.access = null;
            return attempt(true);
          }
          if (r.status === 401 && (r.body.error === "token_invalid" || r.body.error === "token_reused")) {
            forgetTokens();
            return { status: 401, body: r.body, ended: true };
          }
          return r;
        });
      }, function (err) {
        if (err && err.answer) return err.answer;
        throw err;
      });
    }
    return attempt(false);
  }

  function endedHere() {
    setFlow(null);
    goStep("register", { error: t("signed_out_elsewhere") });
  }

  // ---- steps ----

  var FIRST_FIELD = {
    register: "register-mobile_number",
    otp: "otp-code",
    set_password: "set_password-password",
    user_info: "user_info-first_name",
    password: "password-password",
    reset: "reset-mobile_number",
    mfa: "mfa-code",
    signed_in: "signed_in-title"
  };

  // Shows `step`: its panel, its texts, focus on its first field.
  // opts: status (a success line), error (shown in the step's form),
  // phone (prefills a number field), codeSent (starts the resend delay).
  function goStep(step, opts) {
    opts = opts || {};
    if (!panel(step)) step = "register";
    var leaving = state.step;
    state.step = step;
    var main = $("main");
    main.setAttribute("data-step", step);
    var sections = document.querySelectorAll("section[data-panel]");
    for (var i = 0; i < sections.length; i++) {
      sections[i].hidden = sections[i].getAttribute("data-panel") !== step;
    }
    var forms = panel(step).querySelectorAll("form");
    for (var j = 0; j < forms.length; j++) clearErrors(forms[j]);
    if (leaving !== step || opts.reset) resetFields(step);
    if (step === "register" || step === "reset") {
      var phoneInput = panel(step).querySelector('input[name="mobile_number"]');
      if (opts.phone) phoneInput.value = opts.phone;
    }
    if (step === "otp" && opts.codeSent) startResendDelay();
    if (step !== "otp") stopResend();
    if (step === "signed_in") { resetTotp(); loadAccount(); }
    if (step === "register") startConditional();
    else abortConditional();
    renderStepTexts();
    showStatus(opts.status || "");
    if (opts.error) {
      var f = panel(step).querySelector("form");
      if (f) setText(formAlert(f), opts.error);
    }
    // the step a flow is at is kept with it, so that a reload resumes there
    if (state.flow && step !== "signed_in" && step !== "register" && step !== "reset") {
      state.flow.step = step;
      store(FLOW_KEY, state.flow);
    }
    var first = $(FIRST_FIELD[step]);
    if (first) first.focus();
    window.scrollTo(0, 0);
  }

  function resetFields(step) {
    var inputs = panel(step).querySelectorAll("input");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === "checkbox") { input.checked = false; continue; }
      if (input.classList.contains("username")) continue;
      input.value = "";
      if (input.getAttribute("data-type")) input.type = input.getAttribute("data-type");
    }
    var details = panel(step).querySelectorAll("details");
    for (var j = 0; j < details.length; j++) details[j].open = false;
  }

  function phoneText() {
    return state.flow && state.flow.phone ? ltr(localDigits(state.flow.phone)) : "";
  }

  function renderStepTexts() {
    var flow = state.flow || {};
    $("otp-intro").textContent = t("otp_intro", { phone: phoneText() });
    $("password-intro").textContent = t("password_intro", { phone: phoneText() });
    $("set_password-title").textContent = t(flow.kind === "reset" ? "new_password_title" : "set_password_title");
    var names = document.querySelectorAll("input.username");
    for (var i = 0; i < names.length; i++) names[i].value = flow.phone || "";
    var change = flow.kind === "change";
    document.querySelector('[data-panel="otp"] [data-action="restart"]').hidden = change;
    document.querySelector('[data-panel="otp"] [data-action="cancel-change"]').hidden = !change;
    document.querySelector('[data-action="login-code"]').hidden = !state.codeLogin;
    $("mfa-passkey").hidden = !(webauthn() && Array.isArray(flow.methods) && flow.methods.indexOf("passkey") >= 0);
  }

  // The resend button: offered once the cooldown has passed. There is no
  // API for the cooldown, so it waits phoneauth-resend-after seconds after a
  // code was sent, and after a 429 exactly the retry_after the service gave.
  function startResendDelay(seconds) {
    state.resendAt = Date.now() + (seconds === undefined ? resendAfter() : seconds) * 1000;
    window.clearInterval(state.resendTimer);
    state.resendTimer = window.setInterval(renderResend, 250);
    renderResend();
  }
  function stopResend() {
    window.clearInterval(state.resendTimer);
    state.resendTimer = 0;
  }
  function renderResend() {
    var button = $("resend");
    if (state.resendBusy) return;
    var left = (state.resendAt - Date.now()) / 1000;
    if (left > 0) {
      button.disabled = true;
      button.textContent = t("resend_in", { time: fmtTime(left) });
    } else {
      button.disabled = false;
      button.textContent = t("resend");
      stopResend();
    }
  }

  // ---- the account (signed_in) ----

  function loadAccount() {
    authed("GET", "me").then(function (r) {
      if (r.ended) return endedHere();
      if (r.status === 200) {
        state.me = r.body;
        renderMe();
      }
    }, function () { /* shown by the next action */ });
    loadSessions();
    loadPasskeys();
  }

  function renderMe() {
    var me = state.me || {};
    var name = [me.first_name, me.last_name].filter(Boolean).join(" ");
    $("me-name").textContent = name || t("none");
    $("me-mobile").textContent = me.mobile_number ? localDigits(me.mobile_number) : t("none");
    $("me-email").textContent = me.email || t("none");
    renderTotp();
  }

  // ---- two-step verification (signed_in) ----

  // What the account's TOTP is: on (the way off), or off (the way on).
  function renderTotp() {
    var mfa = (state.me && state.me.mfa) || null;
    var on = !!(mfa && mfa.totp);
    $("totp-state").textContent = !mfa ? "" : (on
      ? t("totp_is_on", { left: localDigits(mfa.recovery_codes_left) }) : t("totp_is_off"));
    $("totp-off").hidden = on || !mfa;
    $("totp-disable-details").hidden = !on;
  }

  // Back to the start of turning TOTP on: the button only.
  function resetTotp() {
    $("totp_setup-form").hidden = true;
    $("totp-qr-box").hidden = true;
    $("totp-codes-box").hidden = true;
    $("totp-codes").textContent = "";
    $("totp-secret").textContent = "";
    $("totp-qr").removeAttribute("src");
    $("totp-uri").removeAttribute("href");
    document.querySelector('[data-action="totp-setup"]').hidden = false;
  }

  function showSetup(setup) {
    $("totp_setup-form").hidden = true;
    $("totp-qr").src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(setup.qr_svg);
    $("totp-secret").textContent = setup.secret;
    $("totp-uri").href = setup.otpauth_uri;
    $("totp-qr-box").hidden = false;
    $("totp_confirm-code").focus();
  }

  // The recovery codes, shown once: no copy is kept anywhere but the page.
  function showCodes(codes) {
    var list = $("totp-codes");
    list.textContent = "";
    (codes || []).forEach(function (c) {
      var li = document.createElement("li");
      var code = document.createElement("code");
      code.textContent = c;
      li.appendChild(code);
      list.appendChild(li);
    });
    $("totp-off").hidden = true;
    $("totp-qr-box").hidden = true;
    $("totp-codes-box").hidden = false;
    document.querySelector('[data-action="copy-codes"]').focus();
  }

  function copyCodes() {
    var text = Array.prototype.map.call($("totp-codes").querySelectorAll("code"),
      function (c) { return c.textContent; }).join("\n");
    var done = function () { showStatus(t("codes_copied")); };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { selectCodes(); });
    } else {
      selectCodes();
    }
  }

  // Without the clipboard (an insecure origin): the codes selected, for Ctrl+C.
  function selectCodes() {
    var range = document.createRange();
    range.selectNodeContents($("totp-codes"));
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  function loadSessions() {
    var box = $("sessions-error");
    authed("GET", "sessions").then(function (r) {
      if (r.ended) return endedHere();
      if (r.status === 200 && Array.isArray(r.body.sessions)) {
        state.sessions = r.body.sessions;
        setText(box, "");
      } else {
        state.sessions = null;
        setText(box, r.status === 404 ? t("sessions_unavailable")
          : (r.status === 503 ? t("unavailable") : (r.body.message || t("unexpected"))));
      }
      renderSessions();
    }, function () {
      setText(box, t("network"));
    });
  }

  function when(v) {
    if (v === null || v === undefined || v === "") return t("none");
    var d = typeof v === "number" ? new Date(v < 1e12 ? v * 1000 : v) : new Date(v);
    if (isNaN(d.getTime())) return String(v);
    try {
      return new Intl.DateTimeFormat(lang === "fa" ? "fa-IR" : "en-GB",
        { dateStyle: "medium", timeStyle: "short" }).format(d);
    } catch (e) {
      return d.toLocaleString();
    }
  }

  // "Firefox on Android" from a User-Agent; the whole string otherwise.
  function device(ua) {
    if (!ua) return t("unknown_device");
    var browsers = [[/Edg\//, "Edge"], [/OPR\//, "Opera"], [/Firefox\//, "Firefox"],
      [/(Chromium|HeadlessChrome)\//, "Chromium"], [/Chrome\//, "Chrome"], [/Safari\//, "Safari"],
      [/^curl\//, "curl"]];
    var systems = [[/Android/, "Android"], [/iPhone|iPad|iPod/, "iOS"], [/Windows/, "Windows"],
      [/Mac OS X|Macintosh/, "macOS"], [/CrOS/, "ChromeOS"], [/Linux/, "Linux"]];
    var b = null, o = null, i;
    for (i = 0; i < browsers.length && !b; i++) if (browsers[i][0].test(ua)) b = browsers[i][1];
    for (i = 0; i < systems.length && !o; i++) if (systems[i][0].test(ua)) o = systems[i][1];
    if (b && o) return t("device", { browser: b, os: o });
    return ua.length > 60 ? ua.slice(0, 57) + "…" : ua;
  }

  function renderSessions() {
    var list = $("sessions");
    list.textContent = "";
    // this device first, then the others as the service lists them (newest first)
    var rows = (state.sessions || []).filter(function (s) { return s.current; })
      .concat((state.sessions || []).filter(function (s) { return !s.current; }));
    rows.forEach(function (s) {
      var li = document.createElement("li");
      li.setAttribute("data-session-id", String(s.id));
      if (s.current) li.setAttribute("data-current", "true");
      var what = document.createElement("div");
      what.className = "what";
      var dev = document.createElement("span");
      dev.className = "device";
      dev.setAttribute("dir", "auto");
      dev.textContent = device(s.user_agent);
      what.appendChild(dev);
      if (s.current) {
        var here = document.createElement("span");
        here.className = "here";
        here.textContent = t("this_device");
        what.appendChild(here);
      }
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = t("session_meta", { created: when(s.created_at), used: when(s.last_used_at),
        ip: s.ip ? ltr(s.ip) : t("none") });
      what.appendChild(meta);
      li.appendChild(what);
      if (!s.current) {
        var end = document.createElement("button");
        end.type = "button";
        end.className = "end-session";
        end.setAttribute("data-session-id", String(s.id));
        end.textContent = t("end_session");
        end.setAttribute("aria-label", t("end_session") + ": " + dev.textContent);
        end.addEventListener("click", function () { endSession(s.id, end); });
        li.appendChild(end);
      }
      list.appendChild(li);
    });
  }

  function endSession(id, button) {
    var box = $("sessions-error");
    button.disabled = true;
    authed("DELETE", "sessions/" + encodeURIComponent(id)).then(function (r) {
      if (r.ended) return endedHere();
      if (r.status === 200 || r.status === 404) {
        if (r.status === 200) showStatus(r.body.message || "");
        loadSessions();
        $("signed_in-title").focus();
        return;
      }
      button.disabled = false;
      if (r.status === 429) setText(box, t("blocked", { time: fmtTime(r.retryAfter || 60) }));
      else setText(box, r.status === 503 ? t("unavailable") : (r.body.message || t("unexpected")));
    }, function () {
      button.disabled = false;
      setText(box, t("network"));
    });
  }

  // ---- passkeys (WebAuthn) ----
  //
  // The service speaks WebAuthn's JSON forms (docs/api.md, "Passkeys"):
  // options as parseCreationOptionsFromJSON / parseRequestOptionsFromJSON
  // take them, answers as PublicKeyCredential.toJSON() writes them. Where
  // the browser lacks those, the few binary fields are converted here
  // (base64url without padding <-> ArrayBuffer).

  function webauthn() {
    return !!(window.PublicKeyCredential && navigator.credentials && navigator.credentials.get &&
      navigator.credentials.create && window.isSecureContext !== false);
  }

  function fromB64url(s) {
    s = String(s || "");
    var bin = window.atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toB64url(buf) {
    var bytes = ArrayBuffer.isView(buf) ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
      : new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return window.btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function copy(o) {
    var out = {};
    Object.keys(o || {}).forEach(function (k) { out[k] = o[k]; });
    return out;
  }

  function withBinaryIds(list) {
    return (list || []).map(function (c) {
      var d = copy(c);
      d.id = fromB64url(c.id);
      return d;
    });
  }

  function creationOptions(json) {
    if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    var o = copy(json);
    o.challenge = fromB64url(json.challenge);
    o.user = copy(json.user);
    o.user.id = fromB64url(json.user.id);
    if (json.excludeCredentials) o.excludeCredentials = withBinaryIds(json.excludeCredentials);
    return o;
  }

  function requestOptions(json) {
    if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    var o = copy(json);
    o.challenge = fromB64url(json.challenge);
    if (json.allowCredentials) o.allowCredentials = withBinaryIds(json.allowCredentials);
    return o;
  }

  // A credential as toJSON() writes it (registration or authentication).
  function credentialJSON(cred) {
    if (typeof cred.toJSON === "function") return cred.toJSON();
    var r = cred.response;
    var out = { id: cred.id, rawId: toB64url(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64url(r.clientDataJSON) } };
    if (typeof cred.authenticatorAttachment === "string") out.authenticatorAttachment = cred.authenticatorAttachment;
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
      if (r.getAuthenticatorData) out.response.authenticatorData = toB64url(r.getAuthenticatorData());
      var key = r.getPublicKey ? r.getPublicKey() : null;
      if (key) out.response.publicKey = toB64url(key);
      if (r.getPublicKeyAlgorithm) out.response.publicKeyAlgorithm = r.getPublicKeyAlgorithm();
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      if (r.userHandle) out.response.userHandle = toB64url(r.userHandle);
    }
    return out;
  }

  // What the browser's refusal means, as an answer for showError.
  function ceremonyFailed(err) {
    var name = err && err.name;
    var key = name === "InvalidStateError" ? "passkey_exists"
      : name === "SecurityError" ? "passkey_wrong_site"
        : name === "NotSupportedError" ? "passkey_unsupported" : "passkey_cancelled";
    return { status: 0, body: { message: t(key) }, aborted: name === "AbortError" };
  }

  // The passkey parts of the page: shown only when the service has passkeys
  // (a probe, then any 404 hides them) and the browser can use them.
  function renderPasskeys() {
    var on = state.passkeys && webauthn();
    $("register-passkey").hidden = !on;
    $("register-mobile_number").setAttribute("autocomplete",
      on && state.conditional ? "username webauthn" : "tel");
    $("passkeys-box").hidden = !state.passkeys;
    $("passkey_add-form").hidden = !on;
    renderStepTexts();
    if (state.passkeyList) renderPasskeyList();
  }

  function passkeysOff() {
    state.passkeys = false;
    abortConditional();
    renderPasskeys();
  }

  // Whether the passkey routes exist: GET passkeys/login/options is 404
  // where they do not, 405 where they do, and asks for nothing. Any other
  // answer (a 503 of a front end whose workers are down, a 429) tells
  // nothing: the passkey parts stay hidden.
  function probePasskeys() {
    call("GET", "passkeys/login/options").then(function (r) {
      if (r.status !== 405) return;
      state.passkeys = true;
      renderPasskeys();
      if (state.step === "register") startConditional();
      if (state.step === "signed_in") loadPasskeys();
    }, function () { /* stays hidden */ });
  }

  // Conditional mediation: where the browser offers passkeys among the
  // number field's suggestions (autocomplete "username webauthn", set by
  // renderPasskeys while the service has passkeys), a request waits for the
  // user to pick one for as long as the register step is on screen.
  function detectConditional() {
    if (!webauthn() || typeof PublicKeyCredential.isConditionalMediationAvailable !== "function") return;
    PublicKeyCredential.isConditionalMediationAvailable().then(function (yes) {
      if (!yes) return;
      state.conditional = true;
      renderPasskeys();
      if (state.step === "register") startConditional();
    }, function () { /* no autofill */ });
  }

  function startConditional() {
    if (!state.passkeys || !state.conditional || state.conditionalCtl || state.passkeyBusy) return;
    var ctl = new AbortController();
    state.conditionalCtl = ctl;
    call("POST", "passkeys/login/options", {}).then(function (r) {
      if (state.conditionalCtl !== ctl) return null;
      if (r.status !== 200) {
        state.conditionalCtl = null;
        if (r.status === 404) passkeysOff();
        return null;
      }
      return navigator.credentials.get({ mediation: "conditional", publicKey: requestOptions(r.body.publicKey),
        signal: ctl.signal }).then(function (cred) {
        if (state.conditionalCtl !== ctl) return;
        state.conditionalCtl = null;
        finishPasskeyLogin($("register-form"), r.body.session_id, cred);
      });
    }).catch(function (err) {
      if (state.conditionalCtl === ctl) state.conditionalCtl = null;
      // a page whose host is not passkey_rp_id (nor under it): no autofill
      // request is made again; the button says what is wrong
      if (err && err.name === "SecurityError") {
        state.conditional = false;
        renderPasskeys();
      }
    });
  }

  function abortConditional() {
    var ctl = state.conditionalCtl;
    state.conditionalCtl = null;
    if (ctl) ctl.abort();
  }

  function finishPasskeyLogin(form, sessionId, cred) {
    state.passkeyBusy = true;
    return call("POST", "passkeys/login", { session_id: sessionId, credential: credentialJSON(cred) })
      .then(function (r) {
        state.passkeyBusy = false;
        passkeyAnswer(form, r);
      }, function () {
        state.passkeyBusy = false;
        showNetworkError(form);
      });
  }

  // After a refusal the autofill request is not made again (until the step
  // is shown anew): the button is there, and a key the service refuses is
  // not offered over and over.
  function passkeyAnswer(form, r) {
    if (r.status === 200 && r.body.tokens) {
      follow(r.body);
      return;
    }
    if (r.status === 404 && !r.aborted) passkeysOff();
    if (!r.aborted) showError(form, r);
  }

  // "Sign in with a passkey" (the register step) and "Use a passkey
  // instead" (the mfa step): the browser shows the user's passkeys for this
  // site; the one chosen signs in, with no other factor.
  function passkeyLogin(button) {
    var form = state.step === "mfa" ? $("mfa-form") : $("register-form");
    if (state.passkeyBusy) return;
    abortConditional();
    clearErrors(form);
    state.passkeyBusy = true;
    button.disabled = true;
    var done = function () { state.passkeyBusy = false; button.disabled = false; };
    call("POST", "passkeys/login/options", {}).then(function (r) {
      if (r.status !== 200) return r;
      var options;
      try { options = requestOptions(r.body.publicKey); } catch (e) { return ceremonyFailed(e); }
      return navigator.credentials.get({ publicKey: options }).then(function (cred) {
        return call("POST", "passkeys/login", { session_id: r.body.session_id, credential: credentialJSON(cred) });
      }, ceremonyFailed);
    }).then(function (r) {
      done();
      passkeyAnswer(form, r);
    }, function () {
      done();
      showNetworkError(form);
    });
  }

  // "Add a passkey" (signed_in): the options, the browser makes the key,
  // the service keeps it. Resolves like call().
  function passkeyAdd() {
    var name = value($("passkey_add-form"), "name").trim();
    return authed("POST", "passkeys/register/options", {}).then(function (r) {
      if (r.status !== 200 || r.ended) return r;
      var options;
      try { options = creationOptions(r.body.publicKey); } catch (e) { return ceremonyFailed(e); }
      return navigator.credentials.create({ publicKey: options }).then(function (cred) {
        var body = { session_id: r.body.session_id, credential: credentialJSON(cred) };
        if (name) body.name = name;
        return authed("POST", "passkeys/register", body);
      }, ceremonyFailed);
    });
  }

  function loadPasskeys() {
    if (!state.passkeys || (!state.access && !load(REFRESH_KEY))) return;
    var box = $("passkeys-error");
    authed("GET", "passkeys").then(function (r) {
      if (r.ended) return endedHere();
      if (r.status === 200 && Array.isArray(r.body.passkeys)) {
        state.passkeyList = r.body.passkeys;
        setText(box, "");
      } else if (r.status === 404) {
        passkeysOff();
        return;
      } else {
        state.passkeyList = null;
        setText(box, r.status === 503 ? t("unavailable") : (r.body.message || t("passkeys_unavailable")));
      }
      renderPasskeyList();
    }, function () {
      setText(box, t("network"));
    });
  }

  function renderPasskeyList() {
    var list = $("passkeys");
    list.textContent = "";
    var rows = state.passkeyList || [];
    if (!rows.length && state.passkeyList) {
      var none = document.createElement("li");
      none.className = "none";
      none.textContent = t("passkeys_none");
      list.appendChild(none);
    }
    rows.forEach(function (k) {
      var li = document.createElement("li");
      li.setAttribute("data-passkey-id", String(k.id));
      var what = document.createElement("div");
      what.className = "what";
      var name = document.createElement("span");
      name.className = "device";
      name.setAttribute("dir", "auto");
      name.textContent = k.name || t("passkey_unnamed");
      what.appendChild(name);
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = t("passkey_meta", { created: when(k.created_at), used: when(k.last_used_at) });
      what.appendChild(meta);
      li.appendChild(what);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "remove-passkey";
      remove.setAttribute("data-passkey-id", String(k.id));
      remove.textContent = t("passkey_remove");
      remove.setAttribute("aria-label", t("passkey_remove") + ": " + name.textContent);
      remove.addEventListener("click", function () { removePasskey(k.id, remove); });
      li.appendChild(remove);
      list.appendChild(li);
    });
  }

  function removePasskey(id, button) {
    var box = $("passkeys-error");
    button.disabled = true;
    authed("DELETE", "passkeys/" + encodeURIComponent(id)).then(function (r) {
      if (r.ended) return endedHere();
      if (r.status === 200 || r.status === 404) {
        if (r.status === 200) showStatus(r.body.message || "");
        setText(box, "");
        loadAccount();
        $("signed_in-title").focus();
        return;
      }
      button.disabled = false;
      if (r.status === 429) setText(box, t("blocked", { time: fmtTime(r.retryAfter || 60) }));
      else setText(box, r.status === 503 ? t("unavailable") : (r.body.message || t("unexpected")));
    }, function () {
      button.disabled = false;
      setText(box, t("network"));
    });
  }

  // ---- signing in and out ----

  function signedIn(tokens, message) {
    setTokens(tokens);
    setFlow(null);
    if (goNext()) return;
    goStep("signed_in", { status: message || "" });
  }

  // ?next=/path: with the auth cookie on, a page the authorizer guards sent
  // the user here; back there once signed in. Only a page of this site: the
  // value is resolved as the browser will resolve it, and its origin must be
  // the page's own. (A check of the text cannot be trusted: the URL parser
  // drops tabs and newlines, so "/\t/evil.example" is "//evil.example", and
  // it reads a backslash as a slash.) Anything else: the signed-in step.
  function goNext() {
    if (!authCookie()) return false;
    var next = new URLSearchParams(location.search).get("next"), url;
    if (!next) return false;
    try {
      url = new URL(next, location.href);
    } catch (e) {
      return false;
    }
    if (url.origin !== location.origin || !/^https?:$/.test(url.protocol)) return false;
    location.assign(url.href);
    return true;
  }

  function signedOut(message) {
    forgetTokens();
    setFlow(null);
    goStep("register", { status: message || "" });
  }

  // What a step's answer says comes next: tokens, a new number, or a step.
  function follow(body) {
    if (body.tokens && body.tokens.access_token) {
      keepDevice(state.flow && state.flow.phone, body.device);
      signedIn(body.tokens, body.message);
      return;
    }
    if (body.mobile_number && !body.session_id) {   // phone/change, verified
      setFlow(null);
      goStep("signed_in", { status: body.message || "", reset: true });
      return;
    }
    if (body.next_step && body.session_id) {
      var flow = state.flow || {};
      flow.session_id = body.session_id;
      // what the mfa step may be answered with (totp, recovery_code, passkey)
      flow.methods = Array.isArray(body.methods) ? body.methods : undefined;
      setFlow(flow);
      goStep(body.next_step, { status: body.message || "", codeSent: body.next_step === "otp" });
      return;
    }
    goStep("register", { error: t("unexpected") });
  }

  // ---- forms ----

  function value(form, name) {
    var input = form.querySelector('input[name="' + name + '"]');
    return input ? input.value : "";
  }

  // Submits a form's request once at a time; `send` returns the promise of
  // an answer, `ok(answer)` handles a 2xx.
  function handle(form, send, ok) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (form.getAttribute("aria-busy") === "true") return;
      var button = form.querySelector('button[type="submit"]');
      if (button && button.disabled) return;
      clearErrors(form);
      form.setAttribute("aria-busy", "true");
      if (button) button.disabled = true;
      var done = function () {
        form.removeAttribute("aria-busy");
        if (button && !countdowns.some(function (c) { return c.form === form; })) button.disabled = false;
      };
      var p;
      try { p = send(); } catch (e) { p = Promise.reject(e); }
      p.then(function (r) {
        done();
        if (r.ended) return endedHere();
        if (r.status >= 200 && r.status < 300) ok(r);
        else showError(form, r);
      }, function () {
        done();
        showNetworkError(form);
      });
    });
  }

  function flowCall(route, body) {
    return call("POST", route, body);
  }

  function wire() {
    var f;

    f = $("register-form");
    handle(f, function () {
      var phone = asciiDigits(value($("register-form"), "mobile_number")).trim();
      state.pendingPhone = phone;
      return flowCall("register", { mobile_number: phone, device: deviceFor(phone) });
    }, function (r) {
      setFlow({ session_id: r.body.session_id, phone: state.pendingPhone, kind: "register" });
      follow(r.body);
    });

    f = $("otp-form");
    handle(f, function () {
      return flowCall("verify-otp", { session_id: state.flow && state.flow.session_id,
        code: asciiDigits(value($("otp-form"), "code")).replace(/\s+/g, ""),
        device: deviceFor(state.flow && state.flow.phone) });
    }, function (r) { follow(r.body); });

    f = $("set_password-form");
    handle(f, function () {
      return flowCall("set-password", { session_id: state.flow && state.flow.session_id,
        password: value($("set_password-form"), "password") });
    }, function (r) { follow(r.body); });

    f = $("user_info-form");
    handle(f, function () {
      var form = $("user_info-form");
      var body = { session_id: state.flow && state.flow.session_id,
        first_name: value(form, "first_name"), last_name: value(form, "last_name") };
      var email = value(form, "email").trim();
      if (email) body.email = email;
      return flowCall("user-info", body);
    }, function (r) { follow(r.body); });

    f = $("password-form");
    handle(f, function () {
      return flowCall("login", { session_id: state.flow && state.flow.session_id,
        password: value($("password-form"), "password"),
        device: deviceFor(state.flow && state.flow.phone) });
    }, function (r) { follow(r.body); });

    f = $("mfa-form");
    handle(f, function () {
      return flowCall("verify-mfa", { session_id: state.flow && state.flow.session_id,
        code: asciiDigits(value($("mfa-form"), "code")).trim(),
        device: deviceFor(state.flow && state.flow.phone) });
    }, function (r) { follow(r.body); });

    f = $("totp_setup-form");
    handle(f, function () {
      return authed("POST", "mfa/totp/setup", { password: value($("totp_setup-form"), "password") });
    }, function (r) { showSetup(r.body); });

    f = $("totp_confirm-form");
    handle(f, function () {
      return authed("POST", "mfa/totp/confirm",
        { code: asciiDigits(value($("totp_confirm-form"), "code")).replace(/\s+/g, "") });
    }, function (r) {
      showStatus(r.body.message || "");
      showCodes(r.body.recovery_codes);
    });

    f = $("totp_disable-form");
    handle(f, function () {
      var form = $("totp_disable-form");
      return authed("POST", "mfa/totp/disable", { password: value(form, "password"),
        code: asciiDigits(value(form, "code")).trim() });
    }, function (r) {
      resetFields("signed_in");
      resetTotp();
      showStatus(r.body.message || "");
      loadAccount();
      $("signed_in-title").focus();
    });

    f = $("reset-form");
    handle(f, function () {
      var phone = asciiDigits(value($("reset-form"), "mobile_number")).trim();
      state.pendingPhone = phone;
      return flowCall("password-reset", { mobile_number: phone, device: deviceFor(phone) });
    }, function (r) {
      setFlow({ session_id: r.body.session_id, phone: state.pendingPhone, kind: "reset" });
      follow(r.body);
    });

    f = $("passkey_add-form");
    handle(f, passkeyAdd, function () {
      resetFields("signed_in");
      showStatus(t("passkey_added"));
      loadAccount();
    });

    f = $("logout-form");
    handle(f, function () {
      var token = load(REFRESH_KEY);
      return (token ? call("POST", "logout", { refresh: token }) : Promise.resolve({ status: 200, body: {} }))
        .then(function (r) {
          // a login the service no longer knows is over here too
          return r.status === 401 ? { status: 200, body: {} } : r;
        });
    }, function (r) { signedOut(r.body.message); });

    f = $("logout_all-form");
    handle(f, function () { return authed("POST", "logout-all", {}); },
      function (r) { signedOut(r.body.message); });

    f = $("change-form");
    handle(f, function () {
      var form = $("change-form");
      var phone = asciiDigits(value(form, "mobile_number")).trim();
      state.pendingPhone = phone;
      return authed("POST", "phone/change", { mobile_number: phone, password: value(form, "password") });
    }, function (r) {
      setFlow({ session_id: r.body.session_id, phone: state.pendingPhone, kind: "change" });
      follow(r.body);
    });

    f = $("delete-form");
    handle(f, function () {
      return authed("POST", "account/delete", { password: value($("delete-form"), "password") });
    }, function (r) { signedOut(r.body.message); });

    // resend-otp
    $("resend").addEventListener("click", function () {
      var button = $("resend");
      var form = $("otp-form");
      if (button.disabled || !state.flow) return;
      state.resendBusy = true;
      button.disabled = true;
      clearErrors(form);
      call("POST", "resend-otp", { session_id: state.flow.session_id }).then(function (r) {
        state.resendBusy = false;
        if (r.status === 200) {
          showStatus(r.body.message || t("new_code_sent"));
          startResendDelay();
          $("otp-code").focus();
        } else if (r.status === 429 && r.body.error === "otp_rate_limited") {
          startResendDelay(r.retryAfter || resendAfter());
          countdownAlert(form, "rate_limited", r.retryAfter || resendAfter());
          // the code that was sent is still good: verifying stays possible
          stopCountdownButton(form);
        } else {
          startResendDelay(0);
          showError(form, r);
        }
      }, function () {
        state.resendBusy = false;
        startResendDelay(0);
        showNetworkError(form);
      });
    });

    // login by code: shown until the service says it has no such route
    document.querySelector('[data-action="login-code"]').addEventListener("click", function () {
      var form = $("password-form");
      var phone = state.flow && state.flow.phone;
      if (!phone) return goStep("register");
      clearErrors(form);
      call("POST", "login/code", { mobile_number: phone, device: deviceFor(phone) }).then(function (r) {
        if (r.status === 404) {
          state.codeLogin = false;
          renderStepTexts();
          setText(formAlert(form), t("code_login_off"));
          $("password-password").focus();
          return;
        }
        if (r.status === 200) {
          setFlow({ session_id: r.body.session_id, phone: phone, kind: "login_code" });
          follow(r.body);
          return;
        }
        showError(form, r);
      }, function () { showNetworkError(form); });
    });

    document.addEventListener("click", function (ev) {
      var el = ev.target.closest ? ev.target.closest("[data-action]") : null;
      if (!el) return;
      var action = el.getAttribute("data-action");
      if (action === "restart") {
        var phone = state.flow ? state.flow.phone : "";
        setFlow(null);
        goStep("register", { phone: phone });
      } else if (action === "forgot") {
        var known = state.flow ? state.flow.phone : "";
        setFlow(null);
        goStep("reset", { phone: known });
      } else if (action === "cancel-change") {
        setFlow(null);
        goStep("signed_in");
      } else if (action === "passkey-login") {
        passkeyLogin(el);
      } else if (action === "totp-setup") {
        el.hidden = true;
        $("totp_setup-form").hidden = false;
        $("totp_setup-password").focus();
      } else if (action === "copy-codes") {
        copyCodes();
      } else if (action === "codes-done") {
        resetTotp();
        loadAccount();
        $("signed_in-title").focus();
      } else if (action === "show-password") {
        var input = $("set_password-password");
        input.setAttribute("data-type", "password");
        input.type = el.checked ? "text" : "password";
      }
    });

    $("lang-switch").addEventListener("click", function () {
      var next = lang === "fa" ? "en" : "fa";
      try { window.localStorage.setItem("phoneauth.lang", next); } catch (e) { /* storage off */ }
      applyLanguage(next);
    });
  }

  // The resend 429 must not lock the Verify button: the earlier code works.
  function stopCountdownButton(form) {
    countdowns.forEach(function (c) {
      if (c.form === form && c.button) { c.button.disabled = false; c.button = null; }
    });
  }

  // Whether POST login/code exists: GET on it is 404 where it does not
  // (405 where it does), and asks for nothing. A 404 to the POST itself
  // hides the option too.
  function probeCodeLogin() {
    call("GET", "login/code").then(function (r) {
      if (r.status === 404) {
        state.codeLogin = false;
        renderStepTexts();
      }
    }, function () { /* the POST will tell */ });
  }

  // ---- start ----

  function start() {
    wire();
    applyLanguage(pickLanguage());
    probeCodeLogin();
    probePasskeys();
    detectConditional();
    var flow = null;
    try { flow = JSON.parse(load(FLOW_KEY) || "null"); } catch (e) { flow = null; }
    state.flow = flow && flow.session_id ? flow : null;
    if (!load(REFRESH_KEY)) {
      // a sign-up or reset under way when the page was reloaded goes on
      // from its step (the service says with wrong_step if it moved on)
      if (state.flow && state.flow.kind !== "change") {
        goStep(state.flow.step || "otp", { codeSent: true });
      } else {
        setFlow(null);
        goStep("register");
      }
      return;
    }
    refresh().then(function (ok) {
      if (!ok) { setFlow(null); goStep("register", { error: t("signed_out_elsewhere") }); return; }
      if (goNext()) return;
      if (state.flow && state.flow.kind === "change") goStep("otp", { codeSent: true });
      else { setFlow(null); goStep("signed_in"); }
    }, function (err) {
      goStep("register", { error: err && err.answer && err.answer.status === 429
        ? t("blocked", { time: fmtTime(err.answer.retryAfter || 60) }) : t("unavailable") });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
