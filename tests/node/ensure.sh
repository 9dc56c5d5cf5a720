#!/bin/sh
# tests/node/ensure.sh — makes sure the npm packages of tests/node/ (exactly
# those of package-lock.json) are installed, and prints their node_modules
# directory. The tests run the tools from there (the Spectral linter:
# tests/openapi_lint.sh).
#
# They are installed once per lock file, with `npm ci --ignore-scripts` (no
# package's install script runs), into
#   ${XDG_CACHE_HOME:-$HOME/.cache}/phoneauth/npm/HASH/node_modules
# where HASH is that of package-lock.json: a changed lock is a new directory,
# an unchanged one is never fetched again, and nothing is written to the
# tree. Concurrent runs wait for each other (flock); an install is made in a
# scratch directory beside it and renamed into place only when complete, so
# an interrupted one leaves nothing that looks installed.
#
# npm: Debian 12's (scripts/deps.sh test installs it when there is no npm
# command) or any other on PATH; the npm registry must be reachable the first
# time. Progress goes to standard error; standard output is the path alone.
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
if ! command -v npm >/dev/null 2>&1; then
	echo "tests/node/ensure.sh: no npm command (scripts/deps.sh test installs Debian's nodejs and npm)" >&2
	exit 1
fi

hash=$(sha256sum "$here/package-lock.json" | cut -c1-16)
cache=${XDG_CACHE_HOME:-${HOME:?}/.cache}/phoneauth/npm
dest=$cache/$hash

if [ ! -d "$dest/node_modules" ]; then
	mkdir -p "$cache"
	exec 9>"$cache/.lock"
	flock 9
	# (another run may have installed it while this one waited)
	if [ ! -d "$dest/node_modules" ]; then
		# what an interrupted install left (nobody else holds the lock)
		rm -rf "$cache"/.tmp.*
		tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
		cp "$here/package.json" "$here/package-lock.json" "$tmp/"
		echo "tests/node/ensure.sh: npm ci into $dest" >&2
		if ! (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2; then
			rm -rf "$tmp"
			echo "tests/node/ensure.sh: npm ci failed" >&2
			exit 1
		fi
		rm -rf "$dest"
		mv "$tmp" "$dest"
	fi
	exec 9>&-
fi
echo "$dest/node_modules"
