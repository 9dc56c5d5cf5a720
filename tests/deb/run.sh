#!/bin/bash
# tests/deb/run.sh DEB — what `make test-deb` runs: installs the package DEB
# in a clean Debian 12 root and checks it there, as a new admin would use it.
#
#   1. the root: debootstrap --variant=minbase --include=systemd bookworm,
#      made once under var/deb/ (DEB_CACHE) and copied for every run, so each
#      run starts from a system that has never seen phoneauth; the .debs apt
#      fetched are kept in var/deb/archives, so later runs need no network;
#   2. `apt-get install ./DEB` alone, then, with nothing but the package and
#      what it depends on: the files, the user, the generated secret, the
#      conffile and its mode, the units (not enabled; systemd-analyze verify
#      finds every program they name), `phoneauth --version` against the
#      package's, and `phoneauth check` with the shipped configuration, as
#      root and as the phoneauth user;
#   3. then Redis, PostgreSQL and libfcgi-bin from Debian, docs/operations.md's
#      Deployment steps (PostgreSQL and Redis enabled, and started, also
#      where they were disabled, as `make run` leaves them; the role and
#      database; migrate as the service user),
#      the installed units as systemd would run them (inside the root: the
#      socket of phoneauth.socket with its group and mode, handed on standard
#      input to phoneauth.service's ExecStart, run as phoneauth after its
#      ExecStartPre), health and a registration through that socket as the
#      web server's user (www-data), and the sender unit's ExecStart
#      delivering the code;
#   4. a reinstall, an upgrade (the same package as version V+upgrade1) and
#      docs/operations.md's rollback (--allow-downgrades) keep the secret, the edited
#      configuration and its mode; remove keeps the configuration; purge takes
#      it, the secret, the statoverride and the units' links;
#   5. in a fresh copy, scripts/deps.sh run deb (what `make run` and `make
#      deb` install): no service starts during the install, the stores and
#      servers Debian enabled at boot are disabled again and named, nothing
#      else is (man-db.timer, which the install enabled, stays; what was
#      enabled before stays), build-essential is there, the test-only
#      servers are not installed.
#
# Nothing listens on TCP: Redis and PostgreSQL in the root use Unix sockets
# inside it. Everything started here is stopped by pid. Needs root
# (chroot), debootstrap the first time, and the Debian mirror (DEB_MIRROR)
# the first time and when the package's dependencies change. Prints
# "PASS name" / "FAIL name: why" and ends with "N passed, N failed".
set -u

repo=$(cd "$(dirname "$0")/../.." && pwd -P)
[ $# -eq 1 ] || { echo "usage: $0 DEB" >&2; exit 2; }
deb=$(realpath "$1")
cache=$(realpath -m "${DEB_CACHE:-$repo/var/deb}")
suite=bookworm
mirror=${DEB_MIRROR:-http://deb.debian.org/debian}
base=$cache/$suite
archives=$cache/archives
root=$cache/try
log=$cache/log
pkg_version=$(dpkg-deb -f "$deb" Version)
debname=${deb##*/}

passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
# t NAME WHY COMMAND...: PASS when COMMAND succeeds, else FAIL with WHY.
t() {
	local name=$1 why=$2
	shift 2
	if "$@"; then pass "$name"; else fail "$name" "$why"; fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit $?
}

[ "$(id -u)" -eq 0 ] || { fail deb_root "needs root (chroot, debootstrap)"; finish; }
[ -f "$deb" ] || { fail deb_root "no package $deb (make deb)"; finish; }

# in_root COMMAND...: runs COMMAND inside the root, as root.
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
# as_service COMMAND...: inside the root, as the phoneauth user with its
# groups as the unit gives them (User=phoneauth, SupplementaryGroups=www-data).
as_service() {
	chroot --userspec=phoneauth:phoneauth --groups=www-data "$root" \
		/usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}

# ---- 1. the clean root, made once ----
mkdir -p "$cache" "$archives"
if [ ! -x "$base/usr/bin/apt-get" ]; then
	command -v debootstrap >/dev/null || { fail deb_root "debootstrap is not installed (scripts/deps.sh deb)"; finish; }
	echo "== making the clean $suite root in $base (once; debootstrap from $mirror)"
	rm -rf "$base.tmp"
	if ! debootstrap --variant=minbase --include=systemd "$suite" "$base.tmp" "$mirror" \
		> "$cache/debootstrap.log" 2>&1; then
		tail -n 20 "$cache/debootstrap.log"
		fail deb_root "debootstrap failed; see $cache/debootstrap.log"
		finish
	fi
	# No service may start in the root while packages are installed there:
	# invoke-rc.d asks policy-rc.d, which says no.
	printf '#!/bin/sh\n# tests/deb/run.sh: no service starts in this root\nexit 101\n' \
		> "$base.tmp/usr/sbin/policy-rc.d"
	chmod 755 "$base.tmp/usr/sbin/policy-rc.d"
	mv "$base.tmp" "$base"
fi

# ---- this run's copy ----
pids=()          # what this run started (host pids), stopped at the end
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	if [ -x "$root/usr/lib/postgresql/15/bin/pg_ctl" ] && [ -f "$root/var/lib/postgresql/15/main/postmaster.pid" ]; then
		chroot --userspec=postgres:postgres "$root" /usr/lib/postgresql/15/bin/pg_ctl \
			-D /var/lib/postgresql/15/main -m fast -w stop >/dev/null 2>&1
	fi
	if [ -f "$root/run/redis/redis.pid" ]; then
		kill -TERM "$(cat "$root/run/redis/redis.pid")" 2>/dev/null
	fi
	for p in "${pids[@]}"; do
		for _ in $(seq 1 50); do
			[ -e "/proc/$p" ] || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
	done
	pids=()
}
trap 'cleanup' EXIT
trap 'exit 130' INT TERM

rm -rf "$root" "$root.package" "$log"
mkdir -p "$log"
cp -a "$base" "$root"
cp -l "$archives"/*.deb "$root/var/cache/apt/archives/" 2>/dev/null ||
	cp "$archives"/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
cp "$deb" "$root/tmp/$debname"
keep_archives() { cp -n "$root"/var/cache/apt/archives/*.deb "$archives/" 2>/dev/null || true; }

apt_in_root() {
	in_root env DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends "$@"
}

# ---- 2. the package alone ----
echo "== apt-get install ./$debname in a clean $suite"
if apt_in_root install "/tmp/$debname" > "$log/install.log" 2>&1; then
	pass deb_installs
else
	tail -n 20 "$log/install.log"
	fail deb_installs "apt-get install failed; see $log/install.log"
	finish
fi
keep_archives

t deb_says_units_not_started "postinst did not say the units are not enabled" \
	grep -q 'neither enabled nor started' "$log/install.log"

expected="/usr/bin/phoneauth
/lib/systemd/system/phoneauth.service
/lib/systemd/system/phoneauth-sender.service
/lib/systemd/system/phoneauth.socket
/usr/lib/sysusers.d/phoneauth.conf
/etc/phoneauth/phoneauth.conf
/usr/share/phoneauth/phoneauth.conf.example
/usr/share/phoneauth/lighttpd/phoneauth.conf
/usr/share/phoneauth/lighttpd/authorizer.conf
/usr/share/phoneauth/lighttpd/error-en-413.html
/usr/share/phoneauth/apache/proxy_fcgi.conf
/usr/share/phoneauth/apache/fcgid.conf
/usr/share/phoneauth/apache/authnz_fcgi.conf
/usr/share/phoneauth/apache/errors.conf
/usr/share/phoneauth/nginx/phoneauth.conf
/usr/share/phoneauth/nginx/guard.conf
/usr/share/phoneauth/nginx/require-token.conf
/usr/share/phoneauth/sms/kavenegar.sh
/usr/share/phoneauth/sms/twilio.sh
/usr/share/doc/phoneauth/README.md
/usr/share/doc/phoneauth/LICENSE
/usr/share/doc/phoneauth/copyright
/usr/share/man/man1/phoneauth.1.gz
$(cd "$repo" && for f in docs/*.md docs/*.png docs/screenshots/*.png; do echo "/usr/share/doc/phoneauth/$f"; done)"
missing=$(in_root dpkg -L phoneauth | sort > "$log/files"; echo "$expected" | sort | comm -23 - "$log/files" | tr '\n' ' ')
t deb_has_every_file "missing from the package: $missing" test -z "$missing"
missing=
for f in $expected; do [ -e "$root$f" ] || missing="$missing $f"; done
t deb_files_on_disk "not on disk after the install:$missing" test -z "$missing"
t deb_sms_scripts_executable "the SMS scripts are not executable" \
	test -x "$root/usr/share/phoneauth/sms/kavenegar.sh" -a -x "$root/usr/share/phoneauth/sms/twilio.sh"
bad=$(grep -l '/usr/local' "$root"/usr/share/phoneauth/*/* "$root"/lib/systemd/system/phoneauth*.service \
	"$root/etc/phoneauth/phoneauth.conf" 2>/dev/null | tr '\n' ' ')
t deb_paths_are_debians "files naming /usr/local: $bad" test -z "$bad"

missing_libs=$(in_root ldd /usr/bin/phoneauth 2>&1 | grep 'not found' | tr '\n' ' ')
t deb_libraries_present "phoneauth's libraries are not all installed (Depends): $missing_libs" test -z "$missing_libs"

version_out=$(in_root phoneauth --version 2>&1)
t deb_version_matches "phoneauth --version says '$version_out', the package is $pkg_version" \
	test "$version_out" = "phoneauth $pkg_version"

t deb_user_exists "no phoneauth user" sh -c "chroot '$root' getent passwd phoneauth >/dev/null"
uid=$(in_root id -u phoneauth 2>/dev/null || echo 0)
t deb_user_is_system "the phoneauth user is not a system user (uid $uid)" test "$uid" -gt 0 -a "$uid" -lt 1000

secret_meta=$(in_root stat -c '%a %U %G %s' /etc/phoneauth/jwt.secret 2>&1)
t deb_secret_made "jwt.secret: '$secret_meta' (want 640 root phoneauth 65)" test "$secret_meta" = "640 root phoneauth 65"
t deb_secret_is_hex "jwt.secret is not 64 hex digits" \
	grep -qxE '[0-9a-f]{64}' "$root/etc/phoneauth/jwt.secret"
secret_before=$(cat "$root/etc/phoneauth/jwt.secret" 2>/dev/null)

conf_meta=$(in_root stat -c '%a %U %G' /etc/phoneauth/phoneauth.conf 2>&1)
t deb_conf_mode "phoneauth.conf: '$conf_meta' (want 640 root phoneauth)" test "$conf_meta" = "640 root phoneauth"
t deb_conf_is_conffile "phoneauth.conf is not a conffile" \
	sh -c "chroot '$root' dpkg-query -W -f '\${Conffiles}' phoneauth | grep -q ' /etc/phoneauth/phoneauth.conf '"

states=$(in_root systemctl is-enabled phoneauth.socket phoneauth.service phoneauth-sender.service 2>&1 | tr '\n' ' ')
t deb_units_not_enabled "systemctl is-enabled: $states" test "$states" = "disabled disabled disabled "
if in_root systemd-analyze verify /lib/systemd/system/phoneauth.socket /lib/systemd/system/phoneauth.service \
	/lib/systemd/system/phoneauth-sender.service > "$log/verify.log" 2>&1 &&
	! grep -q 'phoneauth' "$log/verify.log"; then
	pass deb_units_verify
else
	fail deb_units_verify "$(head -c 600 "$log/verify.log")"
fi

out=$(in_root phoneauth -c /etc/phoneauth/phoneauth.conf check 2>&1)
rc=$?
t deb_check_as_root "phoneauth check (exit $rc): $out" test $rc -eq 0
# docs/operations.md's line
out=$(in_root runuser -u phoneauth -- phoneauth -c /etc/phoneauth/phoneauth.conf check 2>&1)
rc=$?
t deb_check_as_service_user "phoneauth check as phoneauth (exit $rc): $out" test $rc -eq 0

# ---- 3. a deployment, as docs/operations.md has it ----
echo "== redis-server, postgresql and docs/operations.md's Deployment steps in the root"
if apt_in_root install redis-server postgresql libfcgi-bin > "$log/servers.log" 2>&1; then
	pass deb_servers_install
else
	tail -n 20 "$log/servers.log"
	fail deb_servers_install "apt-get install redis-server postgresql failed; see $log/servers.log"
	finish
fi
keep_archives

# docs/operations.md's first step after the install: PostgreSQL and Redis on at
# boot, and started. Debian enabled them just now, but a machine where
# `make run` or `make test` ran before has them disabled (scripts/deps.sh
# turns off what its install enabled): this root is made such a machine
# first. No systemd runs in the root: the enabling here, the starting by
# hand below.
in_root systemctl disable --quiet postgresql.service redis-server.service >/dev/null 2>&1
in_root systemctl enable --quiet postgresql redis-server > "$log/servers-enable.log" 2>&1
states=$(in_root systemctl is-enabled postgresql.service redis-server.service 2>&1 | tr '\n' ' ')
t deb_servers_enabled "after systemctl enable postgresql redis-server: $states $(head -c 300 "$log/servers-enable.log")" \
	test "$states" = "enabled enabled "

# PostgreSQL as Debian set it up, on its socket only (listen_addresses='').
if chroot --userspec=postgres:postgres "$root" /usr/lib/postgresql/15/bin/pg_ctl \
	-D /var/lib/postgresql/15/main -l /tmp/postgresql.log -w -t 60 \
	-o "-c config_file=/etc/postgresql/15/main/postgresql.conf -c listen_addresses=''" \
	start > "$log/pg-start.log" 2>&1; then
	pass deb_postgres_starts
else
	fail deb_postgres_starts "$(cat "$log/pg-start.log" "$root/tmp/postgresql.log" 2>/dev/null | tail -n 5)"
	finish
fi
# Redis as Debian set it up, but on a Unix socket instead of 127.0.0.1:6379.
mkdir -p "$root/run/redis"
in_root chown redis:redis /run/redis
chroot --userspec=redis:redis "$root" redis-server /etc/redis/redis.conf --port 0 \
	--unixsocket /run/redis/redis-server.sock --unixsocketperm 777 --daemonize yes \
	--pidfile /run/redis/redis.pid --logfile /tmp/redis.log --supervised no > "$log/redis-start.log" 2>&1
for _ in $(seq 1 50); do [ -S "$root/run/redis/redis-server.sock" ] && break; sleep 0.1; done
t deb_redis_starts "$(cat "$log/redis-start.log")" test -S "$root/run/redis/redis-server.sock"

# docs/operations.md: the role and the database for peer authentication.
in_root su - postgres -c 'createuser phoneauth' > "$log/createuser.log" 2>&1 &&
	in_root su - postgres -c 'createdb -O phoneauth phoneauth' >> "$log/createuser.log" 2>&1
rc=$?
t deb_role_and_database "(exit $rc) $(cat "$log/createuser.log")" test $rc -eq 0 -a ! -s "$log/createuser.log"
# The one adjustment: Redis's socket.
sed -i 's|^#redis_url = .*|redis_url = unix:/run/redis/redis-server.sock|' "$root/etc/phoneauth/phoneauth.conf"

# unit_exec UNIT KEY: the first KEY= line of an installed unit, continuations joined.
unit_key() {
	sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$root/lib/systemd/system/$1" 2>/dev/null |
		sed -n "s/^$2=//p" | head -n 1 | tr -s ' \t' ' '
}
pre=$(unit_key phoneauth.service ExecStartPre)
start=$(unit_key phoneauth.service ExecStart)
sender=$(unit_key phoneauth-sender.service ExecStart)
listen=$(unit_key phoneauth.socket ListenStream)
sock_group=$(unit_key phoneauth.socket SocketGroup)
sock_mode=$(unit_key phoneauth.socket SocketMode)
dir_mode=$(unit_key phoneauth.socket DirectoryMode)
if [ -n "$start" ] && [ -n "$listen" ] && [ -n "$sender" ] &&
	[ "$(unit_key phoneauth.service StandardInput)" = socket ]; then
	pass deb_units_read
else
	fail deb_units_read "the units lack ExecStart, ListenStream or StandardInput=socket"
	finish
fi

# shellcheck disable=SC2086
as_service $pre > "$log/migrate.log" 2>&1
rc=$?
t deb_unit_migrates "ExecStartPre ($pre): $(tail -n 3 "$log/migrate.log")" test $rc -eq 0 -a -s "$log/migrate.log"

# What systemd does for phoneauth.socket and StandardInput=socket: the
# directory (DirectoryMode), the socket bound with SocketGroup and
# SocketMode, and ExecStart run with it as its standard input, as phoneauth.
gid=$(in_root getent group "${sock_group:-root}" | cut -d: -f3)
# shellcheck disable=SC2086
setsid python3 -c '
import os, socket, sys
path, dir_mode, mode, gid = sys.argv[1], int(sys.argv[2], 8), int(sys.argv[3], 8), int(sys.argv[4])
os.makedirs(os.path.dirname(path), exist_ok=True)
os.chmod(os.path.dirname(path), dir_mode)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chown(path, 0, gid)
os.chmod(path, mode)
s.listen(1024)
os.dup2(s.fileno(), 0)
os.execvp(sys.argv[5], sys.argv[5:])
' "$root$listen" "${dir_mode:-0755}" "${sock_mode:-0666}" "${gid:-0}" \
	chroot --userspec=phoneauth:phoneauth "$root" \
	/usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 $start > "$log/pool.log" 2>&1 &
pids+=($!)
sock=$root$listen
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
t deb_unit_serves "no socket for ExecStart ($start): $(tail -n 5 "$log/pool.log")" test -S "$sock"

# fcgi METHOD URI [BODY]: one FastCGI request to the pool, from inside the
# root, as the web server's user.
fcgi() {
	local body=${3:-}
	printf '%s' "$body" | chroot --userspec=www-data:www-data "$root" /usr/bin/env -i \
		REQUEST_METHOD="$1" REQUEST_URI="$2" SCRIPT_NAME="$2" \
		REMOTE_ADDR=127.0.0.1 SERVER_PROTOCOL=HTTP/1.1 SERVER_NAME=localhost SERVER_PORT=80 \
		CONTENT_TYPE=application/json CONTENT_LENGTH=${#body} \
		cgi-fcgi -bind -connect "$listen" 2>&1
}
health=
for _ in $(seq 1 50); do
	health=$(fcgi GET /api/health)
	case $health in *"Status: 200"*) break ;; esac
	sleep 0.2
done
t deb_health_200_for_www_data "health through the unit's socket, as www-data: $(echo "$health" | head -c 400)" \
	grep -q 'Status: 200' <<< "$health"
sock_meta=$(in_root stat -c '%a %G' "$listen" 2>&1)
t deb_socket_only_for_web_server "socket '$sock_meta' (want 660 www-data)" test "$sock_meta" = "660 www-data"

out=$(chroot --userspec=nobody:nogroup "$root" /usr/bin/env -i REQUEST_METHOD=GET \
	REQUEST_URI=/api/health REMOTE_ADDR=127.0.0.1 cgi-fcgi -bind -connect "$listen" 2>&1)
t deb_socket_closed_to_others "a user outside www-data reached the workers: $(echo "$out" | head -c 200)" \
	test "${out#*Status: 200}" = "$out"

phone=0912$(shuf -i 1000000-9999999 -n 1)
reg=$(fcgi POST /api/register "{\"mobile_number\": \"$phone\"}")
t deb_register "register: $(echo "$reg" | head -c 400)" grep -q '"session_id"' <<< "$reg"

# The sender unit's ExecStart delivers it (sms_driver = log: to its log).
# shellcheck disable=SC2086
setsid chroot --userspec=phoneauth:phoneauth "$root" \
	/usr/bin/env -i PATH=/usr/bin:/bin LANG=C.UTF-8 $sender > "$log/sender.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q "code [0-9]* for $phone" "$log/sender.log" && break; sleep 0.1; done
t deb_sender_delivers "the sender unit ($sender) sent no code for $phone: $(tail -n 3 "$log/sender.log")" \
	grep -q "code [0-9]* for $phone" "$log/sender.log"
cleanup

# docs/operations.md's `systemctl enable --now phoneauth phoneauth-sender`: here
# only the enabling (no systemd runs in the root); the socket comes along.
in_root systemctl enable phoneauth phoneauth-sender > "$log/enable.log" 2>&1
states=$(in_root systemctl is-enabled phoneauth.socket phoneauth.service phoneauth-sender.service 2>&1 | tr '\n' ' ')
t deb_enable_takes_the_socket "after systemctl enable phoneauth phoneauth-sender: $states" \
	test "$states" = "enabled enabled enabled "

# ---- 4. reinstall, remove, purge ----
echo "== reinstall, remove, purge"
apt_in_root install --reinstall "/tmp/$debname" > "$log/reinstall.log" 2>&1
rc=$?
t deb_reinstalls "$(tail -n 5 "$log/reinstall.log")" test $rc -eq 0
t deb_reinstall_keeps_secret "the reinstall changed jwt.secret" \
	test "$(cat "$root/etc/phoneauth/jwt.secret" 2>/dev/null)" = "$secret_before"
conf_meta=$(in_root stat -c '%a %U %G' /etc/phoneauth/phoneauth.conf 2>&1)
t deb_reinstall_keeps_conf "phoneauth.conf after the reinstall: '$conf_meta'; or lost its edit" \
	sh -c "test '$conf_meta' = '640 root phoneauth' && grep -q '^redis_url = unix:' '$root/etc/phoneauth/phoneauth.conf'"

# An upgrade: this package again as a newer version.
newer=$pkg_version+upgrade1
rm -rf "$cache/repack"
mkdir -p "$cache/repack"
dpkg-deb -R "$deb" "$cache/repack/pkg" &&
	sed -i "s/^Version: .*/Version: $newer/" "$cache/repack/pkg/DEBIAN/control" &&
	dpkg-deb -b "$cache/repack/pkg" "$root/tmp/phoneauth_${newer}.deb" > /dev/null
rm -rf "$cache/repack"
apt_in_root install "/tmp/phoneauth_${newer}.deb" > "$log/upgrade.log" 2>&1
rc=$?
now=$(in_root dpkg-query -W -f '${Version}' phoneauth 2>&1)
t deb_upgrades "(exit $rc, installed: $now) $(tail -n 5 "$log/upgrade.log")" test $rc -eq 0 -a "$now" = "$newer"
conf_meta=$(in_root stat -c '%a %U %G' /etc/phoneauth/phoneauth.conf 2>&1)
t deb_upgrade_keeps_secret_and_conf "after the upgrade: conf '$conf_meta', or the secret or the edit changed" \
	sh -c "test '$conf_meta' = '640 root phoneauth' &&
		test \"\$(cat '$root/etc/phoneauth/jwt.secret')\" = '$secret_before' &&
		grep -q '^redis_url = unix:' '$root/etc/phoneauth/phoneauth.conf'"
apt_in_root install --allow-downgrades "/tmp/$debname" > "$log/downgrade.log" 2>&1
rc=$?
now=$(in_root dpkg-query -W -f '${Version}' phoneauth 2>&1)
t deb_rollback "(exit $rc, installed: $now) $(tail -n 5 "$log/downgrade.log")" \
	sh -c "test $rc -eq 0 -a '$now' = '$pkg_version' &&
		test \"\$(cat '$root/etc/phoneauth/jwt.secret')\" = '$secret_before'"

apt_in_root remove phoneauth > "$log/remove.log" 2>&1
t deb_remove "remove: $(tail -n 3 "$log/remove.log"); /usr/bin/phoneauth is still there or the configuration went" \
	test ! -e "$root/usr/bin/phoneauth" -a -e "$root/etc/phoneauth/phoneauth.conf"
in_root dpkg --purge phoneauth > "$log/purge.log" 2>&1
t deb_purge "purge: $(tail -n 3 "$log/purge.log"); left: $(ls -A "$root/etc/phoneauth" 2>/dev/null | tr '\n' ' ')" \
	test ! -e "$root/etc/phoneauth"
links=$(find "$root/etc/systemd/system" -name 'phoneauth*' 2>/dev/null | tr '\n' ' ')
t deb_purge_unit_links "links left after the purge: $links" test -z "$links"
t deb_purge_statoverride "the statoverride outlived the purge" \
	sh -c "! chroot '$root' dpkg-statoverride --list /etc/phoneauth/phoneauth.conf >/dev/null"

# ---- 5. scripts/deps.sh in a clean root ----
echo "== scripts/deps.sh run deb in a clean $suite"
if [ "$failed" -eq 0 ]; then rm -rf "$root"; else mv "$root" "$root.package"; fi
cp -a "$base" "$root"
cp -l "$archives"/*.deb "$root/var/cache/apt/archives/" 2>/dev/null ||
	cp "$archives"/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
# deps.sh brings its own policy-rc.d (the root's is the test's); and its
# `apt-get update` uses the lists of the root, so no run needs the network.
rm -f "$root/usr/sbin/policy-rc.d"
printf '#!/bin/sh\ncase $1 in update) exit 0 ;; esac\nexec /usr/bin/apt-get "$@"\n' > "$root/usr/local/sbin/apt-get"
chmod 755 "$root/usr/local/sbin/apt-get"
cp "$repo/scripts/deps.sh" "$repo/scripts/boot-services.sh" "$root/tmp/"
# What starts at boot, before and after: the install brings man-db (for
# lintian), which enables man-db.timer; only the stores and servers of
# scripts/boot-services.sh may be turned off again, nothing else.
enabled_units() {
	systemctl --root="$root" list-unit-files --state=enabled --no-legend --no-pager 2>/dev/null |
		awk '{ print $1 }' | sort
}
enabled_units > "$log/enabled-before"
in_root env PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin sh /tmp/deps.sh run deb > "$log/deps.log" 2>&1
rc=$?
keep_archives
enabled_units > "$log/enabled-after"
t deps_run_installs "deps.sh run deb (exit $rc): $(tail -n 5 "$log/deps.log")" test $rc -eq 0
t deps_deb_has_build_essential "deps.sh deb did not install build-essential (dpkg-buildpackage needs it)" \
	sh -c "chroot '$root' dpkg-query -W -f '\${db:Status-Status}' build-essential 2>/dev/null | grep -qx installed"
gone=$(comm -23 "$log/enabled-before" "$log/enabled-after" | tr '\n' ' ')
t deps_keeps_what_was_enabled "deps.sh disabled what was enabled before it: $gone" test -z "$gone"
states=$(in_root systemctl is-enabled man-db.timer 2>&1)
t deps_leaves_other_new_units_alone "man-db.timer, which the install enabled, is '$states' (deps.sh may only disable the stores and servers)" \
	test "$states" = enabled
in_root_procs=
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && in_root_procs="$in_root_procs ${p#/proc/}($(cat "$p/comm" 2>/dev/null))"
done
t deps_starts_no_service "running in the root after deps.sh:$in_root_procs" test -z "$in_root_procs"
for p in $in_root_procs; do kill -TERM "${p%%(*}" 2>/dev/null; done
states=$(in_root systemctl is-enabled redis-server.service postgresql.service lighttpd.service 2>&1 | tr '\n' ' ')
t deps_leaves_services_disabled "systemctl is-enabled redis-server postgresql lighttpd: $states" \
	test "$states" = "disabled disabled disabled "
t deps_says_so "deps.sh did not name what it disabled: $(tail -n 2 "$log/deps.log")" \
	sh -c "grep 'left disabled' '$log/deps.log' | grep redis-server | grep postgresql | grep -q lighttpd"
t deps_removes_its_policy "deps.sh left its policy-rc.d" test ! -e "$root/usr/sbin/policy-rc.d"
t deps_run_is_not_test "deps.sh run installed the test group's servers (apache2 or nginx)" \
	sh -c "! chroot '$root' dpkg-query -W -f '\${db:Status-Status}' apache2 nginx 2>/dev/null | grep -q installed"
t deps_second_run_is_quiet "a second deps.sh run printed: $(in_root sh /tmp/deps.sh run deb 2>&1 | head -c 300)" \
	test -z "$(in_root sh /tmp/deps.sh run deb 2>&1)"

if [ "$failed" -eq 0 ]; then
	rm -rf "$root" "$root.package"
else
	echo "the roots are kept for a look: $root, $root.package (logs: $log)"
fi
finish
