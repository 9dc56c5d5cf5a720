#!/bin/sh
# tests/openapi_lint.sh — the test openapi_lints_clean: Spectral, the OpenAPI
# linter client generators and integrators meet, finds nothing at all in
# openapi/openapi.json with the repository's ruleset (.spectral.yaml: every
# rule of spectral:oas, two exceptions said there): no error, and no warning
# either (an operation without operationId, tags or description, an
# operationId used twice, an unused component, a path item Spectral cannot
# read...). Spectral is the exact version of tests/node/package-lock.json,
# installed once by tests/node/ensure.sh. tests/run.sh runs this before the
# stack starts: it needs none.
set -u
name=openapi_lints_clean
repo=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$repo" || exit 1

if ! modules=$(tests/node/ensure.sh); then
	echo "FAIL $name: Spectral could not be installed (tests/node/ensure.sh, above)"
	exit 1
fi
spectral=$modules/.bin/spectral
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# --fail-severity=hint: any result at all fails (the exit status is 1 for
# findings, 2 for a ruleset or document it cannot read).
"$spectral" lint --ruleset .spectral.yaml --fail-severity=hint --format=stylish \
	openapi/openapi.json > "$out" 2>&1
rc=$?
cat "$out"
if [ "$rc" -eq 0 ] && grep -q "No results with a severity of 'hint' or higher found" "$out"; then
	echo "PASS $name"
else
	summary=$(grep -E '^✖ [0-9]+ problem' "$out" | head -n 1)
	echo "FAIL $name: spectral lint (exit status $rc): ${summary:-see above}"
	exit 1
fi
