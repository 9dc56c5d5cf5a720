#!/bin/sh
# tests/node/test_webhook.sh [SIGNER] — a delivery made by webhook.c, checked
# with the receivers' own library: SIGNER (build/asan/tests/unit/test_webhook,
# or build/tests/unit/test_webhook) delivers one signed event to a receiver of
# its own and writes what that receiver got; tests/node/verify_webhook.js
# verifies it with the npm package standardwebhooks (installed once by
# ensure.sh). Prints PASS/FAIL lines; run by tests/run.sh.
set -u

repo=$(cd "$(dirname "$0")/../.." && pwd -P)
signer=${1:-}
if [ -z "$signer" ]; then
	for b in "$repo/build/asan/tests/unit/test_webhook" "$repo/build/tests/unit/test_webhook"; do
		[ -x "$b" ] && { signer=$b; break; }
	done
fi
if [ -z "$signer" ] || [ ! -x "$signer" ]; then
	echo "FAIL standardwebhooks_npm: no test_webhook built (make asan or make check)"
	exit 1
fi
if ! command -v node >/dev/null 2>&1; then
	echo "FAIL standardwebhooks_npm: node is not installed (scripts/deps.sh test)"
	exit 1
fi
if ! modules=$("$repo/tests/node/ensure.sh"); then
	echo "FAIL standardwebhooks_npm: the npm packages could not be installed"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! "$signer" --write-signed "$tmp/request.json"; then
	echo "FAIL standardwebhooks_npm: $signer --write-signed failed"
	exit 1
fi
NODE_PATH=$modules node "$repo/tests/node/verify_webhook.js" "$tmp/request.json"
