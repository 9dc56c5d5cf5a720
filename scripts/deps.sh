#!/bin/sh
# deps.sh [GROUP...] — makes sure the Debian packages phoneauth needs are
# installed. Groups: build, run, test, bench (default: all). As root, installs
# what is missing with apt-get; otherwise prints the one command to run.
set -eu

pkgs_build="gcc make pkg-config libc6-dev libfcgi-dev libhiredis-dev libpq-dev libjson-c-dev libjwt-dev libssl-dev uuid-dev"
pkgs_run="spawn-fcgi multiwatch lighttpd redis-server postgresql postgresql-client openssl curl"
pkgs_test="python3 python3-jwt python3-cryptography python3-djangorestframework-simplejwt curl procps"
pkgs_bench="wrk"

[ $# -gt 0 ] || set -- build run test bench
wanted=""
for group in "$@"; do
	eval "wanted=\"\$wanted \$pkgs_$group\""
done

missing=""
for p in $wanted; do
	status=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "phoneauth needs these Debian packages; install them with:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# A package's own service (redis-server, postgresql, lighttpd) is not what we
# run: keep apt from starting it where it would (a policy-rc.d that says no).
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
