#!/bin/sh
# build-deb.sh — what `make deb` runs: builds the Debian package with
# dpkg-buildpackage -us -uc -b in a copy of the tree (the files git tracks,
# plus new files it does not ignore, as they are in the work tree), so that
# the build never touches the tree itself; then lintian on the result.
#
# Output: build/deb/phoneauth_<version>_<arch>.deb (and its .buildinfo,
# .changes), the build log build/deb/build.log, lintian's report
# build/deb/lintian.txt. Exits non-zero when the build fails or lintian
# reports an error; warnings are shown, not fatal.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd -P)
out=$repo/build/deb
version=$(dpkg-parsechangelog -l "$repo/debian/changelog" -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=phoneauth_${version}_${arch}.deb
src=$out/src/phoneauth-$version

rm -rf "$out/src"
mkdir -p "$src"
# The copy: the tree as it is now, without build/, var/ or anything ignored.
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] || [ -L "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf -) | tar -xf - -C "$src"
else
	(cd "$repo" && tar --exclude=./build --exclude=./var --exclude=./.git -cf - .) | tar -xf - -C "$src"
fi

echo "deb: building $deb in $src (log: $out/build.log)"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "deb: dpkg-buildpackage failed; see $out/build.log" >&2
	exit 1
fi
for f in "$out"/src/phoneauth*_"$version"_*; do
	mv "$f" "$out/"
done
rm -rf "$out/src"
echo "deb: $out/$deb"

# lintian: every tag it reports is shown; an error fails the build.
# As root it runs as nobody (lintian asks not to run as root, and it takes
# apart archives: it needs no privilege for that), on copies of what the
# .changes names in a directory of its own that nobody can read: the
# checkout may be one nobody cannot enter (a clone in /root, mode 0700).
# Its exit status tells a run that failed (1) from a package with errors
# (2, --fail-on error).
changes=phoneauth_${version}_${arch}.changes
lint_dir=$out
as_user=
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	as_user="runuser -u nobody --"
	lint_dir=$(mktemp -d /tmp/phoneauth-lintian.XXXXXX)
	trap 'rm -rf "$lint_dir"' EXIT
	chmod 0755 "$lint_dir"
	for f in "$out"/phoneauth*_"$version"_*; do
		install -m 0644 "$f" "$lint_dir/"
	done
fi
status=0
(cd / && $as_user env HOME=/tmp lintian --fail-on error --display-info "$lint_dir/$changes") \
	> "$out/lintian.txt" 2>&1 || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then
	sed 's/^/  /' "$out/lintian.txt" >&2
	echo "deb: lintian did not run (exit $status${as_user:+, as nobody}): see the lines above; the package itself is built: $out/$deb" >&2
	exit 1
fi
if [ -s "$out/lintian.txt" ]; then
	echo "deb: lintian says:"
	sed 's/^/  /' "$out/lintian.txt"
else
	echo "deb: lintian: no tags"
fi
[ "$status" -eq 0 ] || { echo "deb: lintian reports errors (the E: lines above)" >&2; exit 1; }
