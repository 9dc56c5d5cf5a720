#!/bin/sh
# tests/node/ensure.sh — installs the npm packages that tests/node/package-lock.json
# pins, once, and prints the node_modules directory they are in:
#
#   NODE_PATH=$(tests/node/ensure.sh) node some_test.js
#
# They go to ${XDG_CACHE_HOME:-$HOME/.cache}/phoneauth/npm/<hash of package.json
# and the lock> (PHONEAUTH_NPM_CACHE replaces the directory; without a HOME,
# build/node of the tree), so only the first run after the lock changes needs
# the npm registry: every later one is offline. `npm ci` installs exactly the
# lock, with no install scripts run; one installer at a time (flock), into a
# scratch directory that is renamed into place only when complete, so an
# interrupted install is never taken for a finished one.
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
if [ -n "${PHONEAUTH_NPM_CACHE:-}" ]; then
	base=$PHONEAUTH_NPM_CACHE
elif [ -n "${XDG_CACHE_HOME:-}" ]; then
	base=$XDG_CACHE_HOME/phoneauth/npm
elif [ -n "${HOME:-}" ] && [ -d "$HOME" ] && [ -w "$HOME" ]; then
	base=$HOME/.cache/phoneauth/npm
else
	base=$here/../../build/node
fi
sum=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)
dir=$base/$sum

if [ ! -f "$dir/.complete" ]; then
	if ! command -v npm >/dev/null 2>&1; then
		echo "ensure.sh: npm is not installed (scripts/deps.sh test installs it)" >&2
		exit 1
	fi
	mkdir -p "$base"
	exec 9>"$base/.lock"
	flock 9
	if [ ! -f "$dir/.complete" ]; then
		tmp=$(mktemp -d "$base/.install.XXXXXX")
		cp "$here/package.json" "$here/package-lock.json" "$tmp/"
		if ! (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2); then
			rm -rf "$tmp"
			echo "ensure.sh: npm ci failed (the first run needs the npm registry)" >&2
			exit 1
		fi
		touch "$tmp/.complete"
		rm -rf "$dir"
		mv "$tmp" "$dir"
	fi
	exec 9>&-
fi
echo "$dir/node_modules"
