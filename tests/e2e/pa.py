"""Shared helpers of the end-to-end tests (the Python standard library, and
Debian's python3-jsonschema for the check of every answer against the
OpenAPI description).

The tests talk HTTP to lighttpd in front of the real workers (Client), or
FastCGI straight to workers with no web server (Worker, FcgiClient), read
codes from the Redis outbox as a real sender would, and look into PostgreSQL
with psql. tests/run.sh starts the stack and passes its coordinates in PA_*
variables. Which file tests what, and how to add a test: README.md here.

Blocking is on (3 failures per client address or number), so every test
uses its own phone numbers and its own client address: Linux routes all of
127.0.0.0/8 to the loopback, and lighttpd sees the address we bind to.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import threading
import traceback
import urllib.parse

# Debian's python3-jsonschema (scripts/deps.sh test): 4.10 in Debian 12,
# which knows draft 2020-12, the dialect of OpenAPI 3.1's schemas.
from jsonschema import Draft202012Validator, RefResolver
from jsonschema.exceptions import best_match

# tests/lib: the one FastCGI client and the one Redis client of the tests,
# the bench and the soak.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import fcgi_client  # noqa: E402
import redis_client  # noqa: E402

BASE_URL = os.environ.get("PA_BASE_URL", "http://127.0.0.1:28080/api")
REDIS_PREFIX = os.environ.get("PA_REDIS_PREFIX", "phoneauth:")
PASSWORD = "correct horse battery"     # the password of the accounts signup() makes

_used_ips = set()
_used_phones = set()


def fresh_ip():
    """A loopback address no other test of this run uses."""
    while True:
        ip = "127.%d.%d.%d" % tuple(random.randint(1, 254) for _ in range(3))
        if ip not in _used_ips:
            _used_ips.add(ip)
            return ip


def fresh_phone():
    """A random Iranian mobile number in its stored form."""
    while True:
        phone = "09%d" % random.randint(100000000, 999999999)
        if phone not in _used_phones:
            _used_phones.add(phone)
            return phone


# ---- the contract: openapi/openapi.json ----
#
# Every answer a Client receives is checked against the OpenAPI description
# the program serves (the repository's openapi/openapi.json; test_route_openapi
# proves the served one is the same file): its operation is found by method
# and path below the client's base path (a trailing slash dropped, the
# query ignored, sessions/<id> matching sessions/{id}), and its status, the
# headers the description requires, its Content-Type and its body must be
# ones the description gives that operation. HEAD is checked as GET without
# a body; a method a path does not list must be 405 method_not_allowed (with
# Allow), a path that is no route 404 not_found, either of them 429 for a
# blocked client (components/responses MethodNotAllowed, NotFound, Blocked).
# A path whose item says x-phoneauth-only-with (a setting that switches the
# route on) may answer any method 404 not_found: it is no route while off.
#
# Which answers are checked: those to a path under the client's base path
# (the API; "/" and a front end's own pages elsewhere are not its), except
# an answer with Content-Type text/html: a front end speaking for itself
# (lighttpd's 503 while no worker listens, nginx's or Apache's error pages).
# Every other answer there is phoneauth's, or a front end's answer in its
# name (lighttpd's JSON 413), and must match.
#
# An answer that does not match raises ContractViolation in the test that
# received it, and is also recorded, so that run() fails the test even when
# the exception was swallowed (a thread, an except clause).

OPENAPI_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "openapi",
                            "openapi.json")


class ContractViolation(AssertionError):
    pass


def _media(content_type):
    """The media type of a Content-Type, without parameters, in lower case."""
    return (content_type or "").split(";", 1)[0].strip().lower()


class Contract:
    """The OpenAPI description, and the check of one answer against it."""

    def __init__(self, path=OPENAPI_FILE):
        with open(path, "rb") as f:
            self.doc = json.loads(f.read().decode("utf-8"))
        self.routes = []  # (compiled pattern, path template, path item)
        for template, item in self.doc["paths"].items():
            rx = re.escape(template.lstrip("/"))
            rx = re.sub(r"\\\{[A-Za-z0-9_]+\\\}", "[^/]+", rx)
            self.routes.append((re.compile(rx + r"\Z"), template, self.deref(item)))
        responses = self.doc["components"]["responses"]
        check("NotFound" in responses and "MethodNotAllowed" in responses and "Blocked" in responses,
              "the description lacks components/responses NotFound, MethodNotAllowed or Blocked")
        self.unknown_route = {"404": {"$ref": "#/components/responses/NotFound"},
                              "429": {"$ref": "#/components/responses/Blocked"}}
        self.wrong_method = {"405": {"$ref": "#/components/responses/MethodNotAllowed"},
                             "429": {"$ref": "#/components/responses/Blocked"}}
        self._validators = {}
        self._lock = threading.Lock()

    def at(self, ref):
        """The object a local $ref ("#/a/b") points at."""
        check(ref.startswith("#/"), "not a local $ref: %r" % ref)
        node = self.doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def deref(self, obj):
        """obj, with Reference Objects followed."""
        while isinstance(obj, dict) and "$ref" in obj:
            obj = self.at(obj["$ref"])
        return obj

    def operation(self, method, route):
        """(path template or None, operation's responses) for method and route."""
        for rx, template, item in self.routes:
            if rx.match(route):
                op = item.get("get" if method == "HEAD" else method.lower())
                responses = self.wrong_method if op is None else op["responses"]
                if "x-phoneauth-only-with" in item:
                    responses = dict(responses, **{"404": self.unknown_route["404"]})
                return template, responses
        return None, self.unknown_route

    def _error_schemas(self, schema):
        """{code: schema} of the error schemas (properties.error.const) a
        schema allows, through $ref and anyOf: empty for one that is no error."""
        found = {}
        todo = [schema]
        while todo:
            node = todo.pop()
            if not isinstance(node, dict):
                continue
            const = node.get("properties", {}).get("error", {}).get("const")
            if const is not None:
                found[const] = node
                continue
            if "$ref" in node:
                todo.append(self.at(node["$ref"]))
            todo.extend(node.get("anyOf", []))
        return found

    def error_codes(self, schema):
        return set(self._error_schemas(schema))

    def error_schema(self, schema, code):
        return self._error_schemas(schema)[code]

    def _validator(self, schema):
        # The schema's own $refs ("#/components/schemas/...") resolve in the
        # document.
        with self._lock:
            v = self._validators.get(id(schema))
            if v is None:
                v = Draft202012Validator(schema, resolver=RefResolver("", self.doc),
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
                self._validators[id(schema)] = v
            return v

    def problems(self, method, route, status, headers, body):
        """What is wrong with an answer ([] when the description allows it).
        headers: a dict with names in lower case; body: bytes."""
        template, responses = self.operation(method, route)
        what = "%s %s" % (method, template or ("%s (no such route)" % route))
        if str(status) not in responses:
            return ["%s: status %d is not one the description gives (%s)"
                    % (what, status, ", ".join(sorted(responses)))]
        resp = self.deref(responses[str(status)])
        found = []
        for name, h in (resp.get("headers") or {}).items():
            h = self.deref(h)
            value = headers.get(name.lower())
            if value is None:
                if h.get("required"):
                    found.append("%s -> %d: no %s header" % (what, status, name))
                continue
            schema = h.get("schema") or {}
            if schema.get("type") == "integer":
                try:
                    number = int(value)
                except ValueError:
                    found.append("%s -> %d: %s: %r is not an integer" % (what, status, name, value))
                    continue
                if "minimum" in schema and number < schema["minimum"]:
                    found.append("%s -> %d: %s: %d is below %s" % (what, status, name, number,
                                                                   schema["minimum"]))
            elif "pattern" in schema and not re.search(schema["pattern"], value):
                found.append("%s -> %d: %s: %r does not match %s" % (what, status, name, value,
                                                                     schema["pattern"]))
        content = resp.get("content")
        if method == "HEAD":
            return found
        if not content:
            if body:
                found.append("%s -> %d: a body, where the description gives none: %r"
                             % (what, status, body[:200]))
            return found
        media = _media(headers.get("content-type"))
        keys = [k for k in content if _media(k) == media]
        if not keys:
            return found + ["%s -> %d: Content-Type %r, where the description gives %s"
                            % (what, status, headers.get("content-type"), ", ".join(content))]
        schema = content[keys[0]].get("schema")
        if schema is None:
            return found + ["%s -> %d: the description has no schema for %s" % (what, status, keys[0])]
        if media == "application/json":
            try:
                value = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                return found + ["%s -> %d: the body is not JSON: %r" % (what, status, body[:200])]
        else:
            try:
                value = body.decode("utf-8")
            except UnicodeDecodeError:
                return found + ["%s -> %d: the body is not UTF-8 text" % (what, status)]
        codes = self.error_codes(schema)
        if isinstance(value, dict) and value.get("error") not in codes and codes:
            return found + ["%s -> %d: error %r, where the description gives %s (body: %s)"
                            % (what, status, value.get("error"), ", ".join(sorted(codes)),
                               body[:300].decode("utf-8", "replace"))]
        if isinstance(value, dict) and codes:
            schema = self.error_schema(schema, value["error"])  # its own schema: a clear message
        error = best_match(self._validator(schema).iter_errors(value))
        if error is not None:
            where = "".join("[%r]" % p for p in error.absolute_path) or "the body"
            found.append("%s -> %d: %s: %s (body: %s)" % (what, status, where, error.message[:300],
                                                           body[:300].decode("utf-8", "replace")))
        return found


_contract = None
_violations = []  # every answer that did not match, as messages, in order


def contract():
    global _contract
    if _contract is None:
        _contract = Contract()
    return _contract


def api_route(base_path, path):
    """The route below base_path that a request path names, as the service
    routes it (request.c), or None when the path is not under base_path."""
    path = urllib.parse.urlsplit(path).path
    base = base_path.rstrip("/")
    if path != base and not path.startswith(base + "/"):
        return None
    route = path[len(base):]
    if route.startswith("/"):
        route = route[1:]
    if route.endswith("/"):
        route = route[:-1]
    return route


def check_answer(method, base_path, path, r):
    """Raises ContractViolation (and records it) when the answer `r` to
    `method path` is phoneauth's and the description does not allow it."""
    route = api_route(base_path, path)
    if route is None or _media(r.header("Content-Type")) == "text/html":
        return
    found = contract().problems(method, route, r.status, r.headers, r.body)
    if found:
        msg = "answer not allowed by openapi/openapi.json: " + "; ".join(found)
        _violations.append(msg)
        raise ContractViolation(msg)


# ---- HTTP ----

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body
        try:
            self.json = json.loads(body.decode("utf-8")) if body else None
        except (ValueError, UnicodeDecodeError):
            self.json = None

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300].decode("utf-8", "replace"))


class _Requests:
    """post() and get() in terms of request(method, route, body, headers)."""

    def post(self, route, json_body=None, form=None, raw=None, headers=None):
        hdrs = dict(headers or {})
        if json_body is not None:
            raw = json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif form is not None:
            raw = urllib.parse.urlencode(form).encode()
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return self.request("POST", route, raw, hdrs)

    def get(self, route, headers=None):
        return self.request("GET", route, None, headers)


class Client(_Requests):
    """An HTTP client with its own source address (a fresh one by default)."""

    def __init__(self, ip=None, base_url=None, lang=None):
        self.ip = ip or fresh_ip()
        self.base = urllib.parse.urlsplit(base_url or BASE_URL)
        self.lang = lang

    def request(self, method, route, body=None, headers=None):
        path = route if route.startswith("/") else self.base.path.rstrip("/") + "/" + route
        hdrs = {}
        if self.lang:
            hdrs["Accept-Language"] = self.lang
        hdrs.update(headers or {})
        conn = http.client.HTTPConnection(self.base.hostname, self.base.port, timeout=30,
                                          source_address=(self.ip, 0))
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            answer = Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()
        check_answer(method, self.base.path, path, answer)
        return answer


class FcgiClient(_Requests):
    """A Client without a web server: the same requests (request, post,
    get; a Response, checked against the OpenAPI description), sent over
    FastCGI straight to a worker's socket (a Worker's, or a Pool's), with
    the params a web server would send for them: the client's address in
    REMOTE_ADDR (any address: nothing binds to it), each header as HTTP_*
    (Content-Type and Content-Length as CONTENT_TYPE and CONTENT_LENGTH),
    the path in REQUEST_URI. Host is `host` unless a header says otherwise,
    so the service's own origin is http://<host>. role=fcgi_client.AUTHORIZER
    asks as lighttpd's authorizer mode and Apache's mod_authnz_fcgi do."""

    def __init__(self, sock, ip=None, lang=None, base_path="/api", host="127.0.0.1",
                 role=fcgi_client.RESPONDER):
        self.sock = sock
        self.ip = ip or fresh_ip()
        self.lang = lang
        self.base_path = base_path
        self.host = host
        self.role = role

    def params(self, method, path, body, headers):
        """The FastCGI params of one request (a dict of str)."""
        u = urllib.parse.urlsplit(path)
        params = {"GATEWAY_INTERFACE": "CGI/1.1", "SERVER_SOFTWARE": "pa.FcgiClient",
                  "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_NAME": self.host, "SERVER_ADDR": "127.0.0.1",
                  "SERVER_PORT": "80", "REQUEST_SCHEME": "http", "REQUEST_METHOD": method,
                  "REQUEST_URI": path, "SCRIPT_NAME": u.path, "QUERY_STRING": u.query,
                  "REMOTE_ADDR": self.ip, "REMOTE_PORT": "40000", "HTTP_HOST": self.host}
        if body is not None:
            params["CONTENT_LENGTH"] = str(len(body))
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            params[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key] = str(value)
        return params

    def request(self, method, route, body=None, headers=None):
        path = route if route.startswith("/") else self.base_path.rstrip("/") + "/" + route
        hdrs = {}
        if self.lang:
            hdrs["Accept-Language"] = self.lang
        hdrs.update(headers or {})
        status, got, data = fcgi_client.request(self.sock, self.params(method, path, body, hdrs),
                                                body or b"", timeout=30, role=self.role)
        answer = Response(status, list(got.items()), data)
        check_answer(method, self.base_path, path, answer)
        return answer


# ---- Redis (tests/lib/redis_client.py) ----

class Redis(redis_client.Redis):
    """A connection to the stack's Redis (PA_REDIS_HOST, PA_REDIS_PORT,
    PA_REDIS_PASSWORD), or to the one at host, port."""

    def __init__(self, host=None, port=None, password=None, timeout=10):
        if host is None:
            password = os.environ.get("PA_REDIS_PASSWORD")
        super().__init__(host or os.environ.get("PA_REDIS_HOST", "127.0.0.1"),
                         port or int(os.environ.get("PA_REDIS_PORT", "26379")), password, timeout)


def redis_command(*args):
    r = Redis()
    try:
        return r.command(*args)
    finally:
        r.close()


def stream_entries(key, count=5000):
    """Entries of a stream, newest first, as dicts of str (with their "id")."""
    found = []
    for _id, fields in redis_command("XREVRANGE", key, "+", "-", "COUNT", str(count)) or []:
        d = {fields[i].decode(): fields[i + 1].decode() for i in range(0, len(fields), 2)}
        d["id"] = _id.decode()
        found.append(d)
    return found


def outbox_entries(phone, prefix=None, purpose=None):
    """Outbox entries (<prefix>sms: the stack's, or a prefixed_pool's) for
    `phone`, of `purpose` if given, else every code (not the notices the
    stack's sender queues for security changes), newest first, as dicts of str."""
    return [e for e in stream_entries((prefix or REDIS_PREFIX) + "sms")
            if e.get("phone") == phone and (e.get("purpose") == purpose if purpose is not None
                                            else e.get("purpose") != "notice")]


def latest_code(phone, purpose=None, prefix=None):
    """The newest code queued for `phone` (of `purpose`); fails the test when there is none."""
    for e in outbox_entries(phone, prefix, purpose):
        return e["code"]
    raise AssertionError("no code in the outbox %ssms for %s" % (prefix or REDIS_PREFIX, phone))


# ---- PostgreSQL ----

def psql(sql, **params):
    """Rows of `sql` as lists of str; params are bound as psql variables (:'name')."""
    return _psql(os.environ["PA_PG_URL"], sql, params)


def psql_super(sql, **params):
    """psql() as the test cluster's superuser (to create and drop roles)."""
    return _psql(os.environ["PA_PG_SUPER_URL"], sql, params)


def _psql(url, sql, params):
    # The password goes in PGPASSWORD, not in psql's arguments, which every
    # user of the machine can read (ps).
    parts = urllib.parse.urlsplit(url)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = urllib.parse.unquote(parts.password)
        netloc = "%s@%s" % (parts.username, parts.netloc.rsplit("@", 1)[1])
        url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    cmd = ["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-F", "\x1f"]
    for k, v in params.items():
        cmd += ["-v", "%s=%s" % (k, v)]
    out = subprocess.run(cmd, input=sql, capture_output=True, text=True, check=True,
                         env=env).stdout
    return [line.split("\x1f") for line in out.splitlines() if line != ""]


def audited(phone, kind):
    """Failures of `kind` (code, phone, password, phone_taken...) audited against `phone`."""
    return int(psql("SELECT count(*) FROM failed_attempts WHERE mobile_number = :'p' AND kind = :'k'",
                    p=phone, k=kind)[0][0])


def family_of(refresh_token):
    """The family (one login's chain of rotations) of a refresh token, or None."""
    _, claims = jwt_decode(refresh_token)
    rows = psql("SELECT family FROM refresh_tokens WHERE jti = :'j'", j=claims["jti"])
    return rows[0][0] if rows else None


def user_row(phone):
    rows = psql("SELECT id, password, is_verified, is_active, first_name, last_name, coalesce(email, '')"
                " FROM users WHERE mobile_number = :'phone'", phone=phone)
    if not rows:
        return None
    r = rows[0]
    return {"id": int(r[0]), "password": r[1], "is_verified": r[2] == "t", "is_active": r[3] == "t",
            "first_name": r[4], "last_name": r[5], "email": r[6]}


# ---- configuration and tokens ----

def config():
    conf = {}
    with open(os.environ["PA_CONF"]) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                conf[k.strip()] = v.strip()
    for k, v in os.environ.items():
        if k.startswith("PHONEAUTH_") and k != "PHONEAUTH_CONFIG":
            conf[k[len("PHONEAUTH_"):].lower()] = v
    return conf


def cooldown():
    """otp_cooldown (seconds) the stack's workers were told: tests/run.sh
    gives the main stack none; tests about the cooldown run a Pool with
    their own (cooldown_pool)."""
    return int(config().get("otp_cooldown", "120"))


def jwt_key():
    with open(config()["jwt_secret_file"], "rb") as f:
        return f.read().rstrip(b"\r\n")


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_decode(token, key=None):
    """(header, claims) of an HS256 token whose signature checks out."""
    head, body, sig = token.split(".")
    expected = hmac.new(key or jwt_key(), (head + "." + body).encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, b64url_decode(sig)):
        raise AssertionError("bad token signature")
    return json.loads(b64url_decode(head)), json.loads(b64url_decode(body))


def bearer(token, **more):
    """Headers with `Authorization: Bearer <token>` (and any more)."""
    return dict({"Authorization": "Bearer " + token}, **more)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_forge(header, claims, key=None):
    """A token with any header and claims, HS256-signed with `key` (None: no signature)."""
    head = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = b64url(hmac.new(key, head.encode(), hashlib.sha256).digest()) if key is not None else ""
    return head + "." + sig


def admin(*args, env=None):
    """Runs the program's administration command with the stack's configuration."""
    return subprocess.run([os.environ["PA_APP_BIN"], "-c", os.environ["PA_CONF"], *args],
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, **(env or {})))


# ---- the flow ----

def check(cond, msg="check failed"):
    if not cond:
        raise AssertionError(msg)


def expect(r, status, error=None):
    """Asserts the status (and error code) of a response; returns its JSON."""
    if r.status != status or (error is not None and (r.json or {}).get("error") != error):
        raise AssertionError("expected %s %s, got %r" % (status, error or "", r))
    return r.json


def register(c, phone):
    return expect(c.post("register", {"mobile_number": phone}), 200)


def verified_session(c, phone):
    """A session that has proved `phone` and waits for set_password."""
    sid = register(c, phone)["session_id"]
    expect(c.post("verify-otp", {"session_id": sid, "code": latest_code(phone)}), 200)
    return sid


def signup(c, phone, password=PASSWORD, first="Sara", last="Ahmadi", email=None):
    """The whole happy path; returns the tokens object."""
    sid = verified_session(c, phone)
    expect(c.post("set-password", {"session_id": sid, "password": password}), 200)
    body = {"session_id": sid, "first_name": first, "last_name": last}
    if email:
        body["email"] = email
    return expect(c.post("user-info", body), 201)["tokens"]


UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def check_headers(r):
    """The headers every JSON answer carries, and an error's code and message."""
    check(r.header("Content-Type") == "application/json; charset=utf-8", r.headers)
    check(r.header("Cache-Control") == "no-store", r.headers)
    check(r.header("X-Content-Type-Options") == "nosniff", r.headers)
    check(r.json is not None, "body is not JSON: %r" % r.body[:200])
    if r.status >= 400:
        check(isinstance(r.json.get("error"), str) and isinstance(r.json.get("message"), str), r.json)


def check_tokens(body):
    """An answer with tokens: the tokens object of API.md, and a message."""
    t = body["tokens"]
    check(set(t) == {"access_token", "refresh_token", "token_type", "expires_in"}, t)
    check(t["token_type"] == "Bearer" and t["expires_in"] == 300, t)
    check(t["access_token"].count(".") == 2 and t["refresh_token"].count(".") == 2, t)
    check(isinstance(body.get("message"), str) and body["message"], body)


def login(c, phone, password=PASSWORD, agent=None):
    """The tokens of a login by number (with that User-Agent)."""
    headers = {"User-Agent": agent} if agent else None
    return expect(c.post("login", {"mobile_number": phone, "password": password}, headers=headers),
                  200)["tokens"]


def wrong_login(c, phone):
    return c.post("login", {"mobile_number": phone, "password": "not the password"})


def blocked(r):
    """429 too_many_attempts, with when to come back in the body and in Retry-After."""
    body = expect(r, 429, "too_many_attempts")
    check(isinstance(body.get("retry_after"), int) and body["retry_after"] > 0, body)
    check(r.header("Retry-After") == str(body["retry_after"]), r.headers)
    return body


def refresh(c, token, field="refresh", route="token/refresh"):
    return c.post(route, {field: token})


def rotated(r):
    """The new pair of a rotation."""
    body = expect(r, 200)
    check(set(body) == {"access", "refresh"}, body)
    return body


def cached(phone):
    """The account state register caches for `phone` (prelude.lua KEY.account)."""
    return redis_command("GET", REDIS_PREFIX + "u:" + phone)


def indexed(phone):
    """Whether the account index (accounts.lua) has `phone`."""
    return redis_command("SISMEMBER", REDIS_PREFIX + "a:" + phone[:-5], str(int(phone[-5:]))) == 1


def rows_for(phones):
    """The users rows of these numbers."""
    return int(psql("SELECT count(*) FROM users WHERE mobile_number = ANY (string_to_array(:'p', ','))",
                    p=",".join(phones))[0][0])


def users_total():
    return int(psql("SELECT count(*) FROM users")[0][0])


def users_seq():
    """The users id sequence: an INSERT moves it even when it conflicts or rolls back."""
    return int(psql("SELECT last_value FROM users_id_seq")[0][0])


def snapshot():
    """What a request that writes no users row leaves as it was: (count, id sequence)."""
    return users_total(), users_seq()


def django_hash(password, iterations, salt="abcdefghijklmnopqrstuv"):
    """What Django's PBKDF2PasswordHasher stores."""
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return "pbkdf2_sha256$%d$%s$%s" % (iterations, salt, base64.b64encode(dk).decode())


# ---- stores and extra pools ----

def stack(cmd):
    env = dict(os.environ, STATE_DIR=os.environ["PA_STATE_DIR"])
    subprocess.run([os.environ["PA_STACK"], cmd], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def totp_steady():
    """The start of a time well inside a TOTP step (at least 10 s left), so
    that the codes a test computes for the steps around it are what the
    service sees too."""
    while time.time() % 30 > 20:
        time.sleep(0.5)
    return time.time()


def wait_for(pred, timeout=10.0, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


def cooldown_over(phone, prefix=None, timeout=None):
    """Waits until the cooldown of the last code sent to `phone` is over (its
    key in Redis, prelude.lua's KEY.cooldown, is gone): at once when there
    is none. Fails the test when it is not over in time."""
    key = (prefix or REDIS_PREFIX) + "cd:" + phone
    limit = timeout if timeout is not None else max(cooldown(), 25) + 5
    check(wait_for(lambda: redis_command("PTTL", key) < 0, limit, 0.05),
          "the cooldown of %s did not end within %s s" % (phone, limit))


class Loops:
    """`threads` threads, each running self.loop() (a subclass's) over and
    over until the with block ends: loop() returns once self.stop is set,
    and what the threads count is guarded by self.lock."""

    def __init__(self, threads):
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(threads)]

    def loop(self):
        raise NotImplementedError

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(30)
        return False


def stop_process(p, timeout=10):
    """TERM, and KILL if it is still there after `timeout` seconds."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


_ports = random.SystemRandom()   # not the seeded module-level one: runs side by side differ


def free_port(host="127.0.0.1"):
    """A port nothing listens on for a server a test starts, below the
    kernel's ephemeral range: there, the source port of any connection made
    meanwhile could take it before the server binds it (and a client
    connecting to it then may even be connected to itself)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for _ in range(1000):
        port = _ports.randint(10000, max(low, 10001) - 1)
        with socket.socket(family) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port below %d on %s" % (low, host))


def alive(pid):
    """Whether process `pid` runs: it exists and is no zombie (one that has
    exited and waits for its parent to reap it)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Worker:
    """Workers of the program under test with settings of their own, on a
    FastCGI socket of their own and no web server in front (spawn-fcgi -n --
    multiwatch -f N -- phoneauth), sharing the stack's Redis and PostgreSQL:

        with Worker({"PHONEAUTH_TRUSTED_PROXIES": "127.0.0.0/8"}, "proxy") as w:
            r = w.client(ip="198.51.100.7").post("register", {"mobile_number": fresh_phone()})

    env: PHONEAUTH_<KEY> settings; name: the directory under
    $PA_STATE_DIR/pools (run/phoneauth.sock, log/phoneauth.log)."""

    def __init__(self, env, name, workers=1, conf=None):
        self.env = env
        self.dir = os.path.join(os.environ["PA_STATE_DIR"], "pools", name)
        self.workers = workers
        self.conf = conf or os.environ["PA_CONF"]
        self.sock = os.path.join(self.dir, "run", "phoneauth.sock")
        self.procs = []

    def __enter__(self):
        self.start_workers()
        if not wait_for(self._answers, 10):
            self.__exit__(None, None, None)
            raise RuntimeError("workers %s did not come up (see %s/log/phoneauth.log)"
                               % (self.dir, self.dir))
        return self

    def start_workers(self):
        for sub in ("run", "log", "www"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        log = open(os.path.join(self.dir, "log", "phoneauth.log"), "ab")
        env = dict(os.environ, **self.env)
        self.procs.append(subprocess.Popen(
            ["spawn-fcgi", "-n", "-s", self.sock, "-M", "0600", "--", "/usr/bin/multiwatch",
             "-f", str(self.workers), "-s", "TERM", "-r", "100", "-t", "1000", "--",
             os.environ["PA_APP_BIN"], "-c", self.conf],
            env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL))
        wait_for(lambda: os.path.exists(self.sock), 10)

    def client(self, ip=None, lang=None, **kw):
        """An FcgiClient of these workers (a fresh client address by default)."""
        return FcgiClient(self.sock, ip=ip, lang=lang, **kw)

    @property
    def pool_pid(self):
        """multiwatch's pid (spawn-fcgi -n became it); the workers are its children."""
        return self.procs[0].pid

    def workers_pids(self):
        """The pool's live workers: its children, less any that has exited
        and is not reaped yet (a zombie is no worker)."""
        out = subprocess.run(["pgrep", "-P", str(self.pool_pid)], capture_output=True, text=True)
        return sorted(int(p) for p in out.stdout.split() if alive(int(p)))

    def _answers(self):
        """A worker itself answers health (whatever its stores say)."""
        c = FcgiClient(self.sock, ip="127.0.0.1")
        try:
            status, _h, body = fcgi_client.request(self.sock, c.params("GET", "/api/health", None, {}),
                                                   timeout=2)
            return status in (200, 503) and b'"redis"' in body
        except OSError:
            return False

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            stop_process(p)
        self.procs = []
        return False


class Pool(Worker):
    """A Worker with lighttpd in front (the stack's lighttpd.conf on a port
    of its own), as the stack's own workers are:
        with Pool({"PHONEAUTH_OTP_TTL": "2"}, "short-codes") as url:
            Client(base_url=url).post(...)"""

    def __enter__(self):
        repo = os.environ["PA_REPO"]
        self.port = free_port()
        with open(os.path.join(repo, "lighttpd.conf")) as f:
            lines = f.read().splitlines()
        conf = []
        for line in lines:
            if line.startswith("var.phoneauth_state ="):
                line = 'var.phoneauth_state = "%s"' % self.dir
            elif line.startswith("server.port ="):
                line = "server.port = %d" % self.port
            conf.append(line)
        self.start_workers()
        lconf = os.path.join(self.dir, "lighttpd.conf")
        with open(lconf, "w") as f:
            f.write("\n".join(conf) + "\n")
        self.procs.append(subprocess.Popen(["lighttpd", "-D", "-f", lconf], cwd=repo,
                                           stdin=subprocess.DEVNULL))
        self.url = "http://127.0.0.1:%d/api" % self.port
        ok = wait_for(lambda: self._answers(), 10)
        if not ok:
            self.__exit__(None, None, None)
            raise RuntimeError("extra pool %s did not come up" % self.dir)
        return self.url

    def _answers(self):
        """phoneauth itself answers health (whatever its stores say): not
        lighttpd's own 503 while the workers are not listening yet, after
        which lighttpd would call the backend down and refuse the next
        requests too."""
        try:
            r = Client(ip="127.0.0.1", base_url=self.url).get("health")
        except OSError:
            return False
        return r.status in (200, 503) and isinstance(r.json, dict) and "redis" in r.json


_prefixed = 0


def prefixed_pool(name, **settings):
    """A Pool with settings given as keys (otp_max_per_hour=2 for
    PHONEAUTH_OTP_MAX_PER_HOUR=2), no cooldown unless told, and a Redis
    prefix of its own, so that its counters, budgets, blocks and outbox are
    its own (its codes: outbox_entries(phone, prefix), latest_code(phone,
    prefix=prefix)); returns (pool, prefix). The pool's env is pool.env."""
    global _prefixed
    _prefixed += 1
    prefix = "%s-%d-%d:" % (name, os.getpid(), _prefixed)
    env = {"PHONEAUTH_REDIS_PREFIX": prefix, "PHONEAUTH_OTP_COOLDOWN": "0"}
    env.update({"PHONEAUTH_" + k.upper(): str(v) for k, v in settings.items()})
    return Pool(env, name), prefix


def cooldown_pool(name, seconds, workers=1):
    """A Pool whose workers have otp_cooldown = seconds (the main stack has none)."""
    return Pool({"PHONEAUTH_OTP_COOLDOWN": str(seconds)}, name, workers=workers)


# ---- the runner ----

_tests = []


def test(fn):
    _tests.append(fn)
    return fn


def run():
    failed = 0
    seen = len(_violations)  # answers before the first test (module level) count too
    if seen:
        failed += 1
        print("FAIL answers_before_the_tests_match_openapi: %s" % _violations[0][:500], flush=True)
    for fn in _tests:
        try:
            fn()
            if len(_violations) > seen:
                # an answer that did not match, whose exception the test
                # swallowed (or a thread of its own never raised)
                raise ContractViolation(_violations[seen])
            print("PASS %s" % fn.__name__, flush=True)
        except Exception as e:  # one test's crash is that test's failure
            failed += 1
            frames = traceback.extract_tb(e.__traceback__)
            mine = [f for f in frames if f.filename == fn.__code__.co_filename] or frames
            print("FAIL %s: %s (%s:%d): %s" % (fn.__name__, type(e).__name__,
                                               os.path.basename(mine[-1].filename), mine[-1].lineno,
                                               str(e)[:500]), flush=True)
        seen = len(_violations)
    sys.exit(1 if failed else 0)
