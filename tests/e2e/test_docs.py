"""The documents (README.md and docs/*.md) against the code: every route of
src/router.c's table, every error code of src/response.c's table and every
key of src/config.c's key table is in a document; every file of src/,
include/phoneauth/, src/lua/, sql/, scripts/ and every tests/e2e/test_*.py
is named in docs/development.md's layout; every relative link of the
documents points at a file that exists, and at a heading of it when it
names one. Plain file reads: no stack is needed."""

import glob
import os
import re

from pa import check, run, test

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DOCS = ["README.md"] + sorted(os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, "docs", "*.md")))
LAYOUT = "docs/development.md"


def read(path):
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        return f.read()


def documents():
    return "\n".join(read(p) for p in DOCS)


def table(path, start, pattern):
    """The names `pattern` captures in the C table of `path` that begins
    at the line `start` matches and ends at the first line "};"."""
    text = read(path)
    begin = re.search(start, text, re.M)
    check(begin, "%s: no line %r (the table moved?)" % (path, start))
    body = text[begin.end():].split("\n};", 1)[0]
    return re.findall(pattern, body, re.M)


def routes():
    prefix = re.search(r'#define SESSIONS_PATH_PREFIX "([^"]+)"', read("include/phoneauth/route_sessions.h"))
    check(prefix, "include/phoneauth/route_sessions.h: no SESSIONS_PATH_PREFIX")
    found = []
    for path, method in table("src/router.c", r"^static const struct route routes\[[A-Z_]*\] = \{$",
                              r'^\s*\[R_[A-Z_]+\]\s*=\s*\{\s*("[^"]*"|SESSIONS_PATH_PREFIX),\s*METHOD_([A-Z]+)'):
        found.append((method, prefix.group(1) if path == "SESSIONS_PATH_PREFIX" else path.strip('"')))
    check(len(found) >= 20, "only %d routes read from src/router.c: the pattern is broken" % len(found))
    return found


def route_documented(method, path, text):
    # `POST register`, `register`, `DELETE sessions/<id>`: in backticks, the
    # method optional, a prefix route followed by what it takes
    tail = r"<[a-z_]+>`" if path.endswith("/") else "`"
    return re.search(r"`(?:%s )?%s%s" % (method, re.escape(path), tail), text) is not None


def error_codes():
    codes = re.findall(r'\[ERR_[A-Z_]+\] = \{ [0-9]{3}, "([a-z_]+)"', read("src/response.c"))
    check(len(codes) >= 19, "only %d codes read from src/response.c: the pattern is broken" % len(codes))
    return codes


def config_keys():
    keys = table("src/config.c", r"^static const struct key keys\[\] = \{$", r"^\s*[SIER]\(([a-z0-9_]+),")
    check(len(keys) >= 40, "only %d keys read from src/config.c: the pattern is broken" % len(keys))
    return keys


def key_documented(key, text):
    # `key` in prose or a table, or `key = value` in an example
    return re.search(r"`%s`|^#?%s = " % (re.escape(key), re.escape(key)), text, re.M) is not None


@test
def every_route_is_in_a_document():
    text = documents()
    missing = ["%s %s" % r for r in routes() if not route_documented(r[0], r[1], text)]
    check(not missing, "routes of src/router.c in no document (%s): %s" % (", ".join(DOCS), missing))


@test
def every_error_code_is_in_a_document():
    text = documents()
    missing = [c for c in error_codes() if "`%s`" % c not in text]
    check(not missing, "error codes of src/response.c in no document: %s" % missing)


@test
def every_configuration_key_is_in_a_document():
    text = documents()
    missing = [k for k in config_keys() if not key_documented(k, text)]
    check(not missing, "configuration keys of src/config.c in no document: %s" % missing)


@test
def every_file_is_named_in_the_layout():
    text = read(LAYOUT)
    files = []
    for pattern in ("src/*", "include/phoneauth/*", "src/lua/*", "sql/*", "scripts/*", "tests/e2e/test_*.py"):
        files += [os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, pattern)) if os.path.isfile(p)]
    check(len(files) >= 150, "only %d files found: the patterns are broken" % len(files))
    # named by its path, or by its name in backticks, or (headers, scripts
    # and migrations, listed by name) by its bare name as a word
    missing = [f for f in sorted(files)
               if f not in text and "`%s`" % os.path.basename(f) not in text
               and re.search(r"(?<![\w./])%s(?![\w])" % re.escape(os.path.basename(f)), text) is None]
    check(not missing, "files named nowhere in %s: %s" % (LAYOUT, missing))


def slug(heading):
    """GitHub's anchor of a heading."""
    heading = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return heading.replace(" ", "-")


def anchors(path):
    found, fence = set(), False
    for line in read(path).split("\n"):
        if line.startswith("```"):
            fence = not fence
        elif not fence and re.match(r"#+ ", line):
            found.add(slug(line.split(" ", 1)[1]))
    return found


def links(path):
    """The relative links of a document, outside code blocks."""
    text = re.sub(r"```.*?```", "", read(path), flags=re.S)
    return [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+:", t)]


@test
def every_link_resolves():
    broken = []
    count = 0
    for doc in DOCS:
        for target in links(doc):
            count += 1
            name, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(doc), name)) if name else doc
            if not os.path.exists(os.path.join(REPO, dest)):
                broken.append("%s: %s (no file %s)" % (doc, target, dest))
            elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
                broken.append("%s: %s (no heading #%s in %s)" % (doc, target, anchor, dest))
    check(count >= 50, "only %d links read: the pattern is broken" % count)
    check(not broken, "links that do not resolve: %s" % broken)


@test
def the_readme_stays_short_and_names_every_document():
    readme = read("README.md")
    lines = readme.count("\n")
    check(lines <= 200, "README.md has %d lines: its detail belongs in docs/" % lines)
    unnamed = [d for d in DOCS[1:] if "](%s)" % d not in readme and "](%s#" % d not in readme]
    check(not unnamed, "documents README.md does not link: %s" % unnamed)


run()
