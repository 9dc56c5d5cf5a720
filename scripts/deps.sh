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
# never used: they are not started during the install, and those of them
# that the install enabled at boot (Debian enables redis-server, postgresql,
# lighttpd, apache2, nginx, prometheus) are disabled again, in one line that
# names them. Which services those are is scripts/boot-services.sh's list;
# no other service is ever touched (a minimal Debian that gets systemd from
# this install keeps its getty, timers and the rest enabled), and one of the
# list that started at boot before the install stays so.
set -eu

boot_services=$(cd "$(dirname "$0")" && pwd -P)/boot-services.sh

# libcbor-dev (passkeys: WebAuthn's CBOR), libqrencode-dev (TOTP's QR code),
# libcurl4-openssl-dev (webhooks).
pkgs_build="gcc make pkg-config libc6-dev libfcgi-dev libhiredis-dev libpq-dev libjson-c-dev libjwt-dev libssl-dev uuid-dev libcbor-dev libqrencode-dev libcurl4-openssl-dev"
# redis-tools (redis-cli), postgresql-client (psql), curl, openssl and procps
# (pgrep) are used by scripts/stack.sh itself. john-data: its
# /usr/share/john/password.lst is password_blocklist's default (and
# test_blocklist reads it).
pkgs_run="spawn-fcgi multiwatch lighttpd redis-server redis-tools postgresql postgresql-client curl openssl procps john-data ca-certificates"
# python3-djangorestframework-simplejwt: the test that Django accepts our
# tokens; it imports pkg_resources without depending on
# python3-pkg-resources, so that is listed too. python3-jsonschema (4.10 in
# Debian 12, which has draft 2020-12, OpenAPI 3.1's dialect): every answer
# the end-to-end tests receive is checked against openapi/openapi.json. prometheus:
# its promtool checks GET metrics. python3-phonenumbers (Google's
# libphonenumber metadata): the oracle of phone_format = e164
# (tests/e2e/test_http_fields.py). The oracles of the unit tests (make check
# runs them too, hence the `deb` group and Build-Depends <!nocheck>):
# python3-cbor2 with python3-cryptography, the software authenticator
# tests/webauthn/authenticator.py whose passkeys test_webauthn checks;
# oathtool and python3-pyotp, TOTP codes test_totp checks; librsvg2-bin and
# zbar-tools, which draw and read back test_qr's QR codes.
pkgs_oracles="python3 python3-cryptography python3-cbor2 oathtool python3-pyotp librsvg2-bin zbar-tools john-data"
pkgs_test="$pkgs_oracles apache2 libapache2-mod-fcgid nginx systemd python3-jwt python3-djangorestframework-simplejwt python3-pkg-resources python3-jsonschema postgresql-client curl ca-certificates procps prometheus python3-phonenumbers"
# nodejs, npm: Spectral, the OpenAPI linter make test runs
# (tests/openapi_lint.sh), and standardwebhooks, the webhook receivers'
# library that checks our signatures, come from npm (tests/node/ensure.sh); Debian's
# are installed only when there is no npm command at all (one from
# elsewhere, nvm or NodeSource, is used as it is).
pkgs_node="nodejs npm"
# make test: the reference page (www/) in a real browser, Chromium headless
# driven through chromedriver by Selenium (tests/e2e/test_page.py); a font
# with Persian letters for its screenshots.
pkgs_browser="chromium chromium-driver python3-selenium fonts-dejavu-core"
# gnuplot-nox: the chart make bench draws (build/bench/bench.png);
# python3-cryptography, python3-cbor2: its passkey sign-ins (bench/passkey.py).
pkgs_bench="wrk gnuplot-nox python3-cryptography python3-cbor2"
# make deb, make test-deb: Debian's packaging tools (build-essential:
# dpkg-buildpackage refuses to build without it, as with any unmet build
# dependency); debootstrap makes the clean Debian root the package is
# installed in; the oracles of the unit tests the package build runs
# (Build-Depends <!nocheck>).
pkgs_deb="build-essential dpkg-dev debhelper lintian debootstrap $pkgs_oracles"
# make fuzz: clang with libFuzzer and its sanitizer runtimes.
pkgs_fuzz="clang libclang-rt-14-dev"

[ $# -gt 0 ] || set -- build run test browser bench
wanted=""
for group in "$@"; do
	case $group in
	build) wanted="$wanted $pkgs_build" ;;
	run) wanted="$wanted $pkgs_run" ;;
	test)
		wanted="$wanted $pkgs_test"
		command -v npm >/dev/null 2>&1 || wanted="$wanted $pkgs_node" ;;
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

[ -r "$boot_services" ] || { echo "deps.sh: $boot_services is missing" >&2; exit 1; }
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Keep apt from starting the packages' own services (redis-server,
# postgresql, lighttpd): a policy-rc.d that says no, for the duration of the
# install, unless the system already has one (containers often do).
before=$(mktemp)
cleanup() { rm -f "$before"; }
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\n# phoneauth deps.sh: no service starts during this install\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	cleanup() { rm -f "$before" /usr/sbin/policy-rc.d; }
fi
trap 'cleanup' EXIT
trap 'exit 130' INT TERM

# Which of the services our packages bring start at boot (boot-services.sh
# names them: the stores and web servers; nothing else is looked at).
sh "$boot_services" enabled > "$before"

apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing

# Leave those the install enabled off at boot (and stopped, where systemd
# runs); those that started at boot before stay as they were.
disabled=$(sh "$boot_services" disable-new "$before" | tr '\n' ' ') || true
if [ -n "$disabled" ]; then
	echo "deps: left disabled and stopped, as phoneauth's stack runs its own: ${disabled% } (systemctl enable --now NAME to use one)"
fi
