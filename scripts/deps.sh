#!/bin/sh
# deps.sh [GROUP...] — makes sure the Debian packages phoneauth needs are
# installed. Groups: build, run, test, browser, bench, fuzz, deb (default:
# build, run, test, browser, bench).
# Prints nothing when everything is there. Otherwise, as root, installs what
# is missing with apt-get; as anyone else, prints the one command to run and
# exits 1.
#
# The stack (scripts/stack.sh) runs its own Redis, PostgreSQL and lighttpd
# under var/ on other ports; the system services these packages bring are
# never used: they are not started during the install, and those that the
# install enabled at boot (Debian enables redis-server, postgresql, lighttpd,
# apache2, nginx) are disabled again, in one line that names them. Services
# enabled before are never touched.
set -eu

pkgs_build="gcc make pkg-config libc6-dev libfcgi-dev libhiredis-dev libpq-dev libjson-c-dev libjwt-dev libssl-dev uuid-dev libcurl4-openssl-dev"
# redis-tools (redis-cli), postgresql-client (psql), curl, openssl and procps
# (pgrep) are used by scripts/stack.sh itself.
# ca-certificates: the sender verifies the certificates of https webhook receivers.
pkgs_run="spawn-fcgi multiwatch lighttpd redis-server redis-tools postgresql postgresql-client curl openssl procps ca-certificates"
# python3-djangorestframework-simplejwt: the test that Django accepts our
# tokens; it imports pkg_resources without depending on
# python3-pkg-resources, so that is listed too. python3-jsonschema (4.10 in
# Debian 12, which has draft 2020-12, OpenAPI 3.1's dialect): every answer
# the end-to-end tests receive is checked against openapi/openapi.json. prometheus:
# its promtool checks GET metrics.
pkgs_test="python3 libfcgi-bin apache2 libapache2-mod-fcgid nginx systemd python3-jwt python3-cryptography python3-djangorestframework-simplejwt python3-pkg-resources python3-jsonschema postgresql-client curl ca-certificates procps prometheus nodejs"
# npm (tests/node/ensure.sh installs the receivers' npm package
# standardwebhooks once): Debian's, unless an npm is already there (NodeSource's
# nodejs brings its own, and conflicts with Debian's).
command -v npm >/dev/null 2>&1 || pkgs_test="$pkgs_test npm"
# make test: the reference page (www/) in a real browser, Chromium headless
# driven through chromedriver by Selenium (tests/e2e/test_page.py); a font
# with Persian letters for its screenshots.
pkgs_browser="chromium chromium-driver python3-selenium fonts-dejavu-core"
# gnuplot-nox: the chart make bench draws (build/bench/bench.png).
pkgs_bench="wrk gnuplot-nox"
# make deb, make test-deb: Debian's packaging tools; debootstrap makes the
# clean Debian root the package is installed in.
pkgs_deb="dpkg-dev debhelper lintian debootstrap python3"
# make fuzz: clang with libFuzzer and its sanitizer runtimes.
pkgs_fuzz="clang libclang-rt-14-dev"

[ $# -gt 0 ] || set -- build run test browser bench
wanted=""
for group in "$@"; do
	case $group in
	build) wanted="$wanted $pkgs_build" ;;
	run) wanted="$wanted $pkgs_run" ;;
	test) wanted="$wanted $pkgs_test" ;;
	browser) wanted="$wanted $pkgs_browser" ;;
	bench) wanted="$wanted $pkgs_bench" ;;
	fuzz) wanted="$wanted $pkgs_fuzz" ;;
	deb) wanted="$wanted $pkgs_deb" ;;
	*) echo "deps.sh: unknown group '$group' (build, run, test, browser, bench, fuzz, deb)" >&2; exit 2 ;;
	esac
done

missing=""
for p in $wanted; do
	case " $missing " in *" $p "*) continue ;; esac
	status=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "phoneauth needs these Debian packages; install them as root with" >&2
	echo "  apt-get install -y --no-install-recommends$missing" >&2
	echo "(with sudo in front where sudo is set up), or run this again as root." >&2
	exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Keep apt from starting the packages' own services (redis-server,
# postgresql, lighttpd): a policy-rc.d that says no, for the duration of the
# install, unless the system already has one (containers often do).
before=$(mktemp)
after=$(mktemp)
cleanup() { rm -f "$before" "$after"; }
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\n# phoneauth deps.sh: no service starts during this install\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	cleanup() { rm -f "$before" "$after" /usr/sbin/policy-rc.d; }
fi
trap 'cleanup' EXIT
trap 'exit 130' INT TERM

# What starts at boot: systemd's enabled units, and the System V start links
# (a system without systemd).
boot_services() {
	if command -v systemctl >/dev/null 2>&1; then
		systemctl list-unit-files --state=enabled --no-legend --no-pager 2>/dev/null |
			awk '$1 ~ /\.(service|socket|timer)$/ { print $1 }'
	fi
	for f in /etc/rc2.d/S*; do
		[ -e "$f" ] && echo "init.d:${f#/etc/rc2.d/S[0-9][0-9]}"
	done
	return 0
}
boot_services | sort -u > "$before"

apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing

# Leave the new services off at boot (and stopped, where systemd runs).
boot_services | sort -u > "$after"
disabled=""
for unit in $(comm -13 "$before" "$after"); do
	case $unit in
	init.d:*)
		command -v update-rc.d >/dev/null 2>&1 &&
			update-rc.d "${unit#init.d:}" disable >/dev/null 2>&1 || continue
		unit=${unit#init.d:} ;;
	*)
		if [ -d /run/systemd/system ]; then
			systemctl disable --now --quiet "$unit" >/dev/null 2>&1 || continue
		else
			systemctl disable --quiet "$unit" >/dev/null 2>&1 || continue
		fi ;;
	esac
	case " $disabled " in *" ${unit%.service} "*) ;; *) disabled="$disabled ${unit%.service}" ;; esac
done
if [ -n "$disabled" ]; then
	echo "deps: left disabled and stopped, as phoneauth's stack runs its own:$disabled (systemctl enable --now NAME to use one)"
fi
