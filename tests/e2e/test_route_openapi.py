"""GET openapi.json: the OpenAPI 3.1 description, served as the repository's
openapi/openapi.json byte for byte; the document is valid OpenAPI 3.1 as far
as can be checked offline; it describes every route the program serves and
every error code of its error table, with the right status; and the checker
every Client runs (pa.py) refuses what the description does not allow."""

import json
import os
import re

from jsonschema import Draft202012Validator

import pa
from pa import Client, ContractViolation, Response, check, expect, run, test

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def source():
    with open(pa.OPENAPI_FILE, "rb") as f:
        return f.read()


def doc():
    return json.loads(source().decode("utf-8"))


def read(path):
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        return f.read()


def at(d, ref):
    check(isinstance(ref, str) and ref.startswith("#/"), "not a local $ref: %r" % ref)
    node = d
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        check(isinstance(node, dict) and part in node, "$ref %s does not resolve" % ref)
        node = node[part]
    return node


def deref(d, obj):
    seen = set()
    while isinstance(obj, dict) and "$ref" in obj:
        check(obj["$ref"] not in seen, "a $ref loop at %s" % obj["$ref"])
        seen.add(obj["$ref"])
        obj = at(d, obj["$ref"])
    return obj


def operations(d):
    """(path, method, operation) of every operation, path items dereferenced."""
    for path, item in d["paths"].items():
        item = deref(d, item)
        for m in METHODS:
            if m in item:
                yield path, m, item[m]


# ---- the document served ----

@test
def the_served_document_is_the_repository_file_byte_for_byte():
    want = source()
    check(want.endswith(b"\n"), "openapi/openapi.json must end with a newline (embed.sh)")
    c = Client()
    for route in ("openapi.json", "openapi.json/", "/api/openapi.json?x=1"):
        r = c.get(route)
        expect(r, 200)
        check(r.body == want, "%s: the answer is not openapi/openapi.json (%d bytes, want %d)"
              % (route, len(r.body), len(want)))
        check(r.header("Content-Type") == "application/json; charset=utf-8", r.headers)
        check(r.header("Content-Length") == str(len(want)), r.headers)
        check(r.header("Cache-Control") == "no-store", r.headers)
        check(r.header("X-Content-Type-Options") == "nosniff", r.headers)
    # the same whatever the language, and never rewritten (a worker's
    # hundredth answer is its first)
    check(Client(lang="fa").get("openapi.json").body == want, "the Persian answer differs")
    for _ in range(20):
        check(c.get("openapi.json").body == want, "a later answer differs")
    r = c.request("HEAD", "openapi.json")
    check(r.status == 200 and r.body == b"" and r.header("Content-Length") == str(len(want)), r)


@test
def openapi_json_is_a_get_route_like_the_others():
    c = Client()
    r = c.post("openapi.json", {})
    expect(r, 405, "method_not_allowed")
    check(r.header("Allow") == "GET, HEAD, OPTIONS", r.headers)
    r = c.request("OPTIONS", "openapi.json")
    check(r.status == 204 and r.header("Allow") == "GET, HEAD, OPTIONS", r)


# ---- the document is OpenAPI 3.1 ----

def walk_refs(node, where, found):
    if isinstance(node, dict):
        if "$ref" in node:
            found.append((where, node["$ref"]))
        for k, v in node.items():
            walk_refs(v, where + "/" + k, found)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk_refs(v, "%s/%d" % (where, i), found)


def reference_only(d, obj, where):
    """A Reference Object outside a schema has nothing beside $ref but
    summary and description (OpenAPI 3.1, 4.8.23)."""
    if isinstance(obj, dict) and "$ref" in obj:
        extra = set(obj) - {"$ref", "summary", "description"}
        check(not extra, "%s: a Reference Object with %s beside $ref" % (where, sorted(extra)))


def schemas_of(d):
    """(where, schema) of every Schema Object the document holds outside
    components/schemas (media types, parameters, headers), and those."""
    for name, s in d["components"]["schemas"].items():
        yield "#/components/schemas/" + name, s
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "schema" and isinstance(v, dict):
                    found.append((where + "/schema", v))
                elif k != "schemas":
                    walk(v, where + "/" + k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, "%s/%d" % (where, i))
    walk({k: v for k, v in d.items()}, "#")
    yield from found


@test
def the_document_is_openapi_3_1():
    d = doc()
    check(isinstance(d, dict), "not an object")
    check(re.fullmatch(r"3\.1\.[0-9]+", d.get("openapi", "")), "openapi: %r" % d.get("openapi"))
    info = d.get("info", {})
    check(isinstance(info.get("title"), str) and isinstance(info.get("version"), str), info)
    # the program's version is debian/changelog's newest entry (the Makefile's VERSION)
    version = re.match(r"phoneauth \(([^)]+)\)", read("debian/changelog")).group(1)
    check(info["version"] == version, "info.version %r, the program is %r" % (info["version"], version))
    allowed = {"openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks",
               "components", "security", "tags", "externalDocs"}
    check(set(d) <= allowed, "unknown top-level keys: %s" % sorted(set(d) - allowed))
    check(d.get("paths"), "no paths")

    # every $ref resolves, locally
    refs = []
    walk_refs(d, "#", refs)
    check(len(refs) > 100, "only %d $refs found: the walk is broken" % len(refs))
    for where, ref in refs:
        at(d, ref)

    tags = {t["name"] for t in d.get("tags", [])}
    schemes = set(d["components"].get("securitySchemes", {}))
    ids = []
    for path, item in d["paths"].items():
        check(path.startswith("/") and (path == "/" or not path.endswith("/")), "path %r" % path)
        reference_only(d, item, path)
        item = deref(d, item)
        # specification extensions (x-...) are allowed on a path item
        keys = {k for k in item if not k.startswith("x-")} - {"summary", "description", "servers", "parameters"}
        check(keys <= set(METHODS), "%s: unknown keys %s" % (path, sorted(keys - set(METHODS))))
        check(keys, "%s has no operation" % path)
        for p in item.get("parameters", []):
            reference_only(d, p, path + " parameters")
        templated = set(re.findall(r"\{([^}/]+)\}", path))
        for m in keys:
            op = item[m]
            where = "%s %s" % (m.upper(), path)
            check(isinstance(op, dict) and "$ref" not in op,
                  "%s: an Operation Object cannot be a $ref" % where)
            if "operationId" in op:
                ids.append(op["operationId"])
            for t in op.get("tags", []):
                check(t in tags, "%s: tag %r is not declared" % (where, t))
            for req in op.get("security", []):
                for name in req:
                    check(name in schemes, "%s: security scheme %r is not declared" % (where, name))
            params = [deref(d, p) for p in item.get("parameters", []) + op.get("parameters", [])]
            in_path = {p["name"] for p in params if p.get("in") == "path"}
            check(in_path == templated, "%s: path parameters %s, the path has %s"
                  % (where, sorted(in_path), sorted(templated)))
            for p in params:
                check(p.get("in") in ("query", "header", "path", "cookie") and p.get("name"), p)
                check(p.get("in") != "path" or p.get("required") is True,
                      "%s: path parameter %s is not required" % (where, p.get("name")))
                check(("schema" in p) != ("content" in p), "%s: %s needs schema or content"
                      % (where, p.get("name")))
            if "requestBody" in op:
                reference_only(d, op["requestBody"], where + " requestBody")
                body = deref(d, op["requestBody"])
                check(body.get("content"), "%s: a requestBody without content" % where)
                for media, mt in body["content"].items():
                    check("schema" in mt, "%s: request %s has no schema" % (where, media))
            responses = op.get("responses")
            check(isinstance(responses, dict) and responses, "%s has no responses" % where)
            for status, resp in responses.items():
                check(re.fullmatch(r"[1-5][0-9][0-9]|[1-5]XX|default", status),
                      "%s: response key %r" % (where, status))
                reference_only(d, resp, "%s %s" % (where, status))
                resp = deref(d, resp)
                check(isinstance(resp.get("description"), str),
                      "%s %s: a response without description" % (where, status))
                for name, h in (resp.get("headers") or {}).items():
                    reference_only(d, h, "%s %s header %s" % (where, status, name))
                    h = deref(d, h)
                    check(("schema" in h) != ("content" in h), "%s %s header %s" % (where, status, name))
                if status == "204" or (m == "head"):
                    check(not resp.get("content"), "%s %s: content on an answer without body"
                          % (where, status))
                    continue
                check(resp.get("content"), "%s %s: a response without content" % (where, status))
                for media, mt in resp["content"].items():
                    check(isinstance(mt, dict) and "schema" in mt,
                          "%s %s: %s has no schema" % (where, status, media))
    check(len(ids) == len(set(ids)), "operationIds are not unique: %s"
          % sorted(i for i in ids if ids.count(i) > 1))

    # every Schema Object is a valid draft 2020-12 schema (OpenAPI 3.1's dialect)
    n = 0
    for where, s in schemas_of(d):
        try:
            Draft202012Validator.check_schema(s)
        except Exception as e:  # noqa: BLE001 -- named below
            raise AssertionError("%s is not a valid JSON Schema: %s" % (where, str(e)[:300]))
        n += 1
    check(n > 50, "only %d schemas checked: the walk is broken" % n)

    # every component is used: a forgotten one is a part of the API that drifted
    # away. MethodNotAllowed is the answer to the methods a path does not
    # list, named by info.description (and pa.py), not by an operation.
    targets = {ref for _, ref in refs} | {"#/components/responses/MethodNotAllowed"}
    for kind, entries in d["components"].items():
        if kind == "securitySchemes":
            continue
        for name in entries:
            ref = "#/components/%s/%s" % (kind, name)
            check(ref in targets, "%s is never referenced" % ref)


@test
def every_route_the_program_serves_is_described():
    served = re.findall(r'\{\s*"([^"]+)",\s*METHOD_([A-Z]+),', read("src/router.c"))
    check(len(served) >= 17, "only %d routes read from router.c: the pattern is broken" % len(served))
    d = doc()
    for path, method in served:
        item = d["paths"].get("/" + path)
        check(item is not None, "router.c serves %s, the description has no /%s" % (path, path))
        item = deref(d, item)
        check(method.lower() in item, "router.c serves %s %s; the description has no such operation"
              % (method, path))
        check("options" in item, "/%s has no OPTIONS operation" % path)


@test
def every_operation_is_named_tagged_and_described_for_client_generators():
    """What client generators and linters read (make test also runs Spectral
    on the file: tests/openapi_lint.sh): every operation, OPTIONS included,
    has a camelCase operationId of its own, one declared tag and a
    description; no path item is a $ref (Spectral refuses them); and the
    paths of one route (an alias: router.c gives both the same handler) are
    described alike, but for operationId, summary and description."""
    d = doc()
    tags = d.get("tags", [])
    declared = [t.get("name") for t in tags]
    check(len(declared) == len(set(declared)), "a tag declared twice: %s" % declared)
    for t in tags:
        check(isinstance(t.get("description"), str) and t["description"].strip(), "tag %s: no description" % t)
    ids, used = set(), set()
    for path, item in d["paths"].items():
        check("$ref" not in item, "%s: a path item that is a $ref" % path)
        for m in METHODS:
            if m not in item:
                continue
            op, where = item[m], "%s %s" % (m.upper(), path)
            oid = op.get("operationId")
            check(isinstance(oid, str) and re.fullmatch(r"[a-z][A-Za-z0-9]*", oid),
                  "%s: no camelCase operationId (%r)" % (where, oid))
            check(oid not in ids, "%s: operationId %s is used twice" % (where, oid))
            ids.add(oid)
            check(isinstance(op.get("tags"), list) and len(op["tags"]) == 1 and op["tags"][0] in declared,
                  "%s: tags %r, want one of %s" % (where, op.get("tags"), declared))
            used.add(op["tags"][0])
            check(isinstance(op.get("description"), str) and op["description"].strip(),
                  "%s: no description" % where)
    check(used == set(declared), "tags no operation has: %s" % sorted(set(declared) - used))

    routes = {}
    for path, handler in re.findall(r'\{\s*"([^"]+)",\s*METHOD_[A-Z]+,\s*([a-z_]+),', read("src/router.c")):
        routes.setdefault(handler, []).append(path)
    aliases = [paths for paths in routes.values() if len(paths) > 1]
    check(len(aliases) >= 2, "only %d aliases read from router.c (verify/otp, refresh-token): "
          "the pattern is broken" % len(aliases))
    own = {"operationId", "summary", "description"}
    for first, *others in aliases:
        want = d["paths"]["/" + first]
        for other in others:
            item = d["paths"]["/" + other]
            where = "/%s (an alias of /%s)" % (other, first)
            check(set(item) - {"description"} == set(want) - {"description"},
                  "%s: path item keys %s, /%s has %s" % (where, sorted(item), first, sorted(want)))
            check(item.get("parameters") == want.get("parameters"), "%s: other parameters" % where)
            for m in METHODS:
                if m not in want:
                    continue
                a = {k: v for k, v in want[m].items() if k not in own}
                b = {k: v for k, v in item[m].items() if k not in own}
                check(a == b, "%s: %s is not described as the route's first path is (%s differ)"
                      % (where, m.upper(), sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))))
                check(m == "options" or first in item[m]["description"],
                      "%s: its description does not name %s" % (where, first))


def codes_at(d, schema, codes):
    """The error codes (properties.error.const) a schema allows, through $ref and anyOf."""
    if not isinstance(schema, dict):
        return codes
    const = schema.get("properties", {}).get("error", {}).get("const")
    if const is not None:
        codes.add(const)
        return codes
    if "$ref" in schema:
        codes_at(d, at(d, schema["$ref"]), codes)
    for s in schema.get("anyOf", []):
        codes_at(d, s, codes)
    return codes


@test
def every_error_code_is_described_with_its_status():
    # the service's own table (response.c) and docs/api.md's
    table = dict((code, int(status)) for status, code in
                 re.findall(r'\[ERR_[A-Z_]+\] = \{ ([0-9]{3}), "([a-z_]+)"', read("src/response.c")))
    check(len(table) >= 19, "only %d codes read from response.c: the pattern is broken" % len(table))
    documented = dict((code, int(status)) for status, code in
                      re.findall(r"^\| ([0-9]{3}) \| `([a-z_]+)` \|", read("docs/api.md"), re.M))
    check(documented.items() <= table.items() and set(documented) == set(table),
          "docs/api.md's error table and response.c's differ: %s"
          % sorted(set(documented.items()) ^ set(table.items())))
    d = doc()
    enum = set(d["components"]["schemas"]["ErrorCode"]["enum"])
    check(set(table) <= enum, "ErrorCode lacks %s" % sorted(set(table) - enum))
    statuses = {}
    # the operations' answers, and those of info.description's rules for
    # the methods and paths the description does not list (pa.py's)
    rules = [dict(pa.contract().wrong_method), dict(pa.contract().unknown_route)]
    for responses in [op["responses"] for _, _, op in operations(d)] + rules:
        for status, resp in responses.items():
            for mt in (deref(d, resp).get("content") or {}).values():
                for code in codes_at(d, mt["schema"], set()):
                    statuses.setdefault(code, set()).add(int(status))
    for code in enum:
        check(code in statuses, "no operation answers %s" % code)
    for code, status in table.items():
        check(statuses[code] == {status}, "%s is %d in response.c, the description answers it with %s"
              % (code, status, sorted(statuses[code])))
    # the codes the description has beyond the table are the contract's routes
    # not built yet (phone_taken)
    check(enum - set(table) <= {"phone_taken"}, "ErrorCode has codes nobody answers: %s"
          % sorted(enum - set(table) - {"phone_taken"}))


# ---- the checker every Client runs ----

J = {"content-type": "application/json; charset=utf-8"}
SID = "0b0d9b8e-6d1b-4f6c-9d2a-1a2b3c4d5e6f"


def problems(method, route, status, body, headers=J):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return pa.contract().problems(method, route, status, headers, raw)


@test
def the_checker_refuses_what_the_description_does_not_allow():
    step = {"session_id": SID, "next_step": "otp", "message": "m"}
    good = [
        ("POST", "register", 200, step, J),
        ("POST", "verify/otp", 409, {"error": "wrong_step", "message": "m", "next_step": "otp"}, J),
        ("POST", "register", 429, {"error": "otp_rate_limited", "message": "m", "retry_after": 3},
         dict(J, **{"retry-after": "3"})),
        ("GET", "register", 405, {"error": "method_not_allowed", "message": "m"}, dict(J, allow="POST, OPTIONS")),
        ("PUT", "nope", 404, {"error": "not_found", "message": "m"}, J),
        ("OPTIONS", "me", 204, b"", {"allow": "GET, HEAD, OPTIONS"}),
        ("HEAD", "health", 200, b"", J),
        ("DELETE", "sessions/42", 404, {"error": "not_found", "message": "m"}, J),
        ("GET", "metrics", 200, b"phoneauth_outbox_pending 0\n", {"content-type": "text/plain; version=0.0.4"}),
    ]
    for method, route, status, body, headers in good:
        found = problems(method, route, status, body, headers)
        check(found == [], "%s %s %d was refused: %s" % (method, route, status, found))
    bad = [
        # a status the operation does not have
        ("POST", "register", 409, {"error": "wrong_step", "message": "m", "next_step": "otp"}, J, "status 409"),
        # a step the route never answers
        ("POST", "register", 200, dict(step, next_step="user_info"), J, "'user_info' is not one of"),
        # a member missing, one too many, a malformed session id
        ("POST", "resend-otp", 200, {"session_id": SID, "next_step": "otp"}, J, "'message' is a required"),
        ("POST", "resend-otp", 200, dict(step, extra=1), J, "'extra' was unexpected"),
        ("POST", "resend-otp", 200, dict(step, session_id="x"), J, "is not a 'uuid'"),
        # an error code of another status, or one the route does not answer
        ("POST", "register", 400, {"error": "session_invalid", "message": "m"}, J, "error 'session_invalid'"),
        # fields, next_step and retry_after only where they belong
        ("POST", "register", 400, {"error": "invalid_json", "message": "m", "fields": {}}, J, "-> 400"),
        ("POST", "register", 400, {"error": "validation_failed", "message": "m"}, J, "'fields' is a required"),
        # a required header missing
        ("POST", "register", 429, {"error": "too_many_attempts", "message": "m", "retry_after": 3}, J,
         "no Retry-After header"),
        ("POST", "health", 405, {"error": "method_not_allowed", "message": "m"}, J, "no Allow header"),
        # another content type, a body that is not JSON, a body where none belongs
        ("GET", "health", 200, {"status": "ok", "redis": "ok", "postgres": "ok"},
         {"content-type": "text/plain"}, "Content-Type 'text/plain'"),
        ("GET", "health", 200, b"{oops", J, "not JSON"),
        ("OPTIONS", "register", 204, b"{}", {"allow": "POST, OPTIONS"}, "a body, where"),
        # an unknown route answers 404 or 429 only
        ("GET", "nope", 200, {}, J, "status 200"),
    ]
    for method, route, status, body, headers, why in bad:
        found = problems(method, route, status, body, headers)
        check(found and why in found[0], "%s %s %d: expected a complaint with %r, got %s"
              % (method, route, status, why, found))


@test
def the_checker_runs_on_every_answer_under_the_base_path_only():
    fake = Response(200, [("Content-Type", "application/json")], b'{"unexpected": true}')
    before = len(pa._violations)
    try:
        pa.check_answer("GET", "/api", "/api/health", fake)
        raise AssertionError("the checker let a wrong answer through")
    except ContractViolation as e:
        check("GET /health -> 200" in str(e), str(e))
    # recorded, so that run() fails a test that swallowed the exception;
    # taken back here, as this one was made on purpose
    check(len(pa._violations) == before + 1, "the violation was not recorded")
    pa._violations.pop()
    # not the API's: another base path, a front end's own HTML page
    pa.check_answer("GET", "/api", "/members/whoami.cgi", fake)
    pa.check_answer("GET", "/api", "/apix/health", fake)
    page = Response(503, [("Content-Type", "text/html")], b"<html>503</html>")
    pa.check_answer("POST", "/api", "/api/register", page)
    check(len(pa._violations) == before, "an answer that is not phoneauth's was checked")
    check(pa.api_route("/api", "/api/sessions/7/?a=b") == "sessions/7", "trailing slash, query")
    check(pa.api_route("/api", "/api") == "" and pa.api_route("/api/", "/api/login") == "login", "base")


if __name__ == "__main__":
    run()
