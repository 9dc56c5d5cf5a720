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
#   3. then Redis, PostgreSQL, libfcgi-bin and nginx from Debian, and the
#      command blocks of docs/operations.md's Deployment and Administration,
#      each run VERBATIM: tests/deb/docblock.sh prints the block marked
#      `<!-- test-deb: NAME -->`, run with bash -eu inside the root, as root,
#      in /root (where the .deb is), standard input closed. No systemd runs
#      in the root, so a stand-in systemctl comes first on PATH there: the
#      verbs that need no manager (enable, disable, is-enabled) go to the
#      real one, the others are logged (each block's log must be what it
#      asks: `status`, `reload nginx`...), and starting PostgreSQL or Redis
#      starts them as their units would (Redis on a Unix socket, the one
#      change made to the shipped configuration). Where each block runs:
#        package          after PostgreSQL and Redis were installed, disabled
#                         and stopped (as `make run` leaves them); then what
#                         it enabled and started is checked;
#        (the units)      then the installed units as systemd would run them:
#                         the socket of phoneauth.socket with its group and
#                         mode handed to phoneauth.service's ExecStart as
#                         phoneauth after its ExecStartPre, health and a
#                         registration through it as www-data, the sender
#                         unit's ExecStart delivering the code;
#        migrate, without-systemd
#                         the documented path without systemd, in a session
#                         of its own, stopped by its process group: health
#                         through its socket as www-data (and not for
#                         others), a whole sign-up of the number the
#                         Administration blocks name, its code from the
#                         block's own sender;
#        admin-blocks, admin-accounts, admin-keygen, admin-logins
#                         on that account (the key readable by the service;
#                         the login revoked, the account deleted);
#        upgrade-e164     the query, against the migrated database;
#        nginx-site       not run but written where it says
#                         (/etc/nginx/sites-available/phoneauth), then
#        nginx-enable     run: `nginx -t` must pass with no warning, and
#                         nginx, started in a network namespace of its own
#                         (so on 127.0.0.1:80 of nobody else), must answer
#                         /api/health 200 for the site's name and 404 for
#                         another (Debian's default site, as the text says),
#                         and the page at / as text/html; charset=utf-8;
#        socket-group     last (it changes www-data's groups).
#      Run elsewhere: from-source (5). Not run, and why: the SMS
#      credentials block (it reads a secret from the terminal),
#      import-django's (it needs the Django service's database), and the
#      blocks that are not commands (ini, lighttpd, the Redis lines, YAML);
#   4. a reinstall, an upgrade (the same package as version V+upgrade1) and
#      docs/operations.md's rollback (--allow-downgrades) keep the secret, the edited
#      configuration and its mode; remove keeps the configuration; purge takes
#      it, the secret, the statoverride and the units' links;
#   5. in a fresh copy, with the systemctl stand-in of 3, docs/operations.md's
#      from-source block run verbatim in a copy of the tree (what git
#      tracks, and new files it does not ignore) at /root/phoneauth: the
#      build dependencies, make, make install, the secret, PostgreSQL and
#      Redis started, the role, check, the units enabled;
#   6. in a fresh copy, scripts/deps.sh run deb (what `make run` and `make
#      deb` install): no service starts during the install, the stores and
#      servers Debian enabled at boot are disabled again and named, nothing
#      else is (man-db.timer, which the install enabled, stays; what was
#      enabled before stays), build-essential is there, the test-only
#      servers are not installed.
#
# Nothing listens on the host's TCP ports: Redis and PostgreSQL in the root
# use Unix sockets inside it, and nginx port 80 of a network namespace of
# its own (unshare -n). Everything started here is stopped by pid (or
# process group, or pid file). Needs root
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
groups=()        # and the process groups it started (setsid), stopped whole
# stop_pids: TERM to what this run started, then KILL to what is left of
# it after 5 s.
stop_pids() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${groups[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null
	done
	for p in "${pids[@]}" "${groups[@]}"; do
		for _ in $(seq 1 50); do
			[ -e "/proc/$p" ] || break
			sleep 0.1
		done
	done
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in "${groups[@]}"; do
		kill -KILL -- "-$p" 2>/dev/null
	done
	pids=()
	groups=()
}
cleanup() {
	stop_pids
	if [ -x "$root/usr/lib/postgresql/15/bin/pg_ctl" ] && [ -f "$root/var/lib/postgresql/15/main/postmaster.pid" ]; then
		chroot --userspec=postgres:postgres "$root" /usr/lib/postgresql/15/bin/pg_ctl \
			-D /var/lib/postgresql/15/main -m fast -w stop >/dev/null 2>&1
	fi
	if [ -f "$root/run/redis/redis.pid" ]; then
		kill -TERM "$(cat "$root/run/redis/redis.pid")" 2>/dev/null
	fi
	if [ -f "$root/run/nginx.pid" ]; then
		kill -TERM "$(cat "$root/run/nginx.pid")" 2>/dev/null
	fi
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
key_meta=$(in_root stat -c '%a %U %G %s' /etc/phoneauth/data.key 2>&1)
t deb_data_key_made "data.key: '$key_meta' (want 640 root phoneauth 65)" test "$key_meta" = "640 root phoneauth 65"
t deb_data_key_named "the shipped phoneauth.conf names no data_key_file = /etc/phoneauth/data.key" \
	grep -qx 'data_key_file = /etc/phoneauth/data.key' "$root/etc/phoneauth/phoneauth.conf"

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

# ---- 3. a deployment, docs/operations.md's blocks as they are printed ----
echo "== redis-server, postgresql, nginx and docs/operations.md's blocks in the root"
# doc NAME: the block of docs/operations.md marked <!-- test-deb: NAME -->.
doc() { "$repo/tests/deb/docblock.sh" "$repo/docs/operations.md" "$1"; }
# No systemd runs in the root (nor, here, on the host): the real systemctl
# there does what works without a manager (enable, disable, is-enabled: the
# links) and fails the rest ("System has not been booted with systemd").
# The blocks run with a stand-in first on PATH, as /usr/local/sbin is for
# root on Debian: it hands those verbs to the real systemctl and writes what
# needs the manager (start, the --now of enable, restart, reload, status,
# daemon-reload) to /run/systemctl.log, one line each, which t_doc compares
# with what the block must ask; and it starts PostgreSQL and Redis as their
# units would (Redis on a Unix socket), since the blocks go on to use them.
install_standin() {
	cat > "$root/usr/local/sbin/systemctl" <<'STANDIN'
#!/bin/sh
# tests/deb/run.sh's systemctl: no systemd runs in this root.
start() {
	case $1 in
	postgresql|postgresql.service)
		runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D /var/lib/postgresql/15/main \
			-l /tmp/postgresql.log -w -t 60 \
			-o "-c config_file=/etc/postgresql/15/main/postgresql.conf -c listen_addresses=''" \
			start > /dev/null ;;
	redis-server|redis-server.service)
		install -d -o redis -g redis /run/redis &&
			runuser -u redis -- redis-server /etc/redis/redis.conf --port 0 \
				--unixsocket /run/redis/redis-server.sock --unixsocketperm 777 --daemonize yes \
				--pidfile /run/redis/redis.pid --logfile /tmp/redis.log --supervised no > /dev/null &&
			for _ in $(seq 1 50); do [ -S /run/redis/redis-server.sock ] && break; sleep 0.1; done ;;
	esac
}
now=
verbs=
for a in "$@"; do
	case $a in
	--now) now=1 ;;
	--*) ;;
	*) verbs="$verbs $a" ;;
	esac
done
set -- $verbs
case $1 in
enable|disable|reenable|is-enabled|mask|unmask|preset)
	/usr/bin/systemctl "$@" || exit $?
	if [ -n "$now" ]; then
		verb=$1
		shift
		case $verb in enable|reenable) echo "start $*" ;; *) echo "stop $*" ;; esac >> /run/systemctl.log
		if [ "$verb" != disable ]; then
			for unit in "$@"; do start "$unit" || exit 1; done
		fi
	fi ;;
start)
	echo "$*" >> /run/systemctl.log
	shift
	for unit in "$@"; do start "$unit" || exit 1; done ;;
*)
	echo "$*" >> /run/systemctl.log ;;
esac
STANDIN
	chmod 755 "$root/usr/local/sbin/systemctl"
}
install_standin
# run_doc NAME [DIR]: runs that block with bash -eu inside the root, as
# root, in DIR (root's home, where the admin copied the .deb), standard
# input closed (a block may not wait for a terminal). Its output goes to
# $log/doc-NAME.log.
run_doc() {
	doc "$1" > "$root/tmp/doc-$1.sh" 2> "$log/doc-$1.log" || return 1
	rm -f "$root/run/systemctl.log"
	chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 HOME=/root \
		/bin/bash -c 'cd "$1" && exec /bin/bash -eu "$2"' - "${2:-/root}" "/tmp/doc-$1.sh" \
		< /dev/null > "$log/doc-$1.log" 2>&1
}
# t_doc NAME [SYSTEMCTL [DIR]]: PASS doc_NAME when the block runs through
# (in DIR), having asked systemd's manager for SYSTEMCTL (lines; none when
# not given).
t_doc() {
	local rc asked
	run_doc "$1" "${3:-/root}"
	rc=$?
	asked=$(cat "$root/run/systemctl.log" 2>/dev/null)
	t "doc_$1" "docs/operations.md's block $1 (exit $rc): $(tail -n 5 "$log/doc-$1.log")" test $rc -eq 0
	t "doc_$1_systemctl" "the block asked systemctl for '$asked', not '${2:-}'" test "$asked" = "${2:-}"
}
if apt_in_root install redis-server postgresql libfcgi-bin nginx > "$log/servers.log" 2>&1; then
	pass deb_servers_install
else
	tail -n 20 "$log/servers.log"
	fail deb_servers_install "apt-get install redis-server postgresql nginx failed; see $log/servers.log"
	finish
fi
keep_archives
# A machine where `make run` or `make test` ran has PostgreSQL and Redis
# installed, disabled and stopped (scripts/deps.sh turns off what its
# install enabled): this root is made such a machine, the case the package
# block's `systemctl enable --now postgresql redis-server` is there for.
in_root systemctl disable --quiet postgresql.service redis-server.service >/dev/null 2>&1

# The package block: the install (of what is already there: a no-op for
# the package, as for the servers), PostgreSQL and Redis enabled and
# started, the role and the database, check as the service user, the units
# enabled.
cp "$deb" "$root/root/$debname"
t_doc package "start postgresql redis-server
start phoneauth phoneauth-sender
status phoneauth phoneauth-sender"
t deb_postgres_starts "no PostgreSQL socket: $(tail -n 5 "$root/tmp/postgresql.log" 2>&1)" \
	test -S "$root/run/postgresql/.s.PGSQL.5432"
t deb_redis_starts "no Redis socket: $(tail -n 5 "$root/tmp/redis.log" 2>&1)" test -S "$root/run/redis/redis-server.sock"
states=$(in_root systemctl is-enabled postgresql.service redis-server.service phoneauth.socket \
	phoneauth.service phoneauth-sender.service 2>&1 | tr '\n' ' ')
t deb_package_block_enables "after the package block, systemctl is-enabled postgresql redis-server phoneauth.socket phoneauth phoneauth-sender: $states" \
	test "$states" = "enabled enabled enabled enabled enabled "
rm -f "$root/root/$debname"
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
# health_and_socket WHO: health through the socket as www-data, the
# socket's group and mode, and no way in for a user outside the group.
health_and_socket() {
	local health= out sock_meta
	for _ in $(seq 1 50); do
		health=$(fcgi GET /api/health)
		case $health in *"Status: 200"*) break ;; esac
		sleep 0.2
	done
	t "${1}_health_200_for_www_data" "health through the socket, as www-data: $(echo "$health" | head -c 400)" \
		grep -q 'Status: 200' <<< "$health"
	sock_meta=$(in_root stat -c '%a %G' "$listen" 2>&1)
	t "${1}_socket_only_for_web_server" "socket '$sock_meta' (want 660 www-data)" test "$sock_meta" = "660 www-data"
	out=$(chroot --userspec=nobody:nogroup "$root" /usr/bin/env -i REQUEST_METHOD=GET \
		REQUEST_URI=/api/health REMOTE_ADDR=127.0.0.1 cgi-fcgi -bind -connect "$listen" 2>&1)
	t "${1}_socket_closed_to_others" "a user outside www-data reached the workers: $(echo "$out" | head -c 200)" \
		test "${out#*Status: 200}" = "$out"
}
health_and_socket deb_unit

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
stop_pids
rm -f "$sock"

# Without systemd: the migrations block, then the spawn-fcgi block (the
# sender in its background) as a job of its own, in a session of its own:
# ended by its process group, as Ctrl-C and `kill %1` would.
t_doc migrate
doc without-systemd > "$root/tmp/doc-without-systemd.sh" 2> "$log/doc-without-systemd.log"
setsid chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root \
	/bin/bash -c 'cd /root && exec /bin/bash -eu "$1"' - /tmp/doc-without-systemd.sh \
	< /dev/null >> "$log/doc-without-systemd.log" 2>&1 &
groups+=($!)
for _ in $(seq 1 600); do [ -S "$sock" ] && break; sleep 0.1; done   # it installs spawn-fcgi first
t doc_without_systemd "docs/operations.md's block without-systemd made no socket: $(tail -n 5 "$log/doc-without-systemd.log")" \
	test -S "$sock"
health_and_socket doc_without_systemd
keep_archives

# A whole sign-up through that pool, of the number the Administration
# blocks name (the root is new: nobody has it), the code from its sender.
admin_phone=$(doc admin-accounts | sed -n 's/^phone=\([0-9]*\) .*/\1/p')
session_of() { grep -o '"session_id": *"[^"]*"' | head -n 1 | sed 's/.*"\([^"]*\)"$/\1/'; }
session=$(fcgi POST /api/register "{\"mobile_number\": \"$admin_phone\"}" | session_of)
code=
for _ in $(seq 1 100); do
	code=$(sed -n "s/.*code \([0-9]*\) for $admin_phone.*/\1/p" "$log/doc-without-systemd.log" | tail -n 1)
	[ -n "$code" ] && break
	sleep 0.1
done
t doc_without_systemd_sender "no code for $admin_phone in the block's sender output: $(tail -n 3 "$log/doc-without-systemd.log")" \
	test -n "$code"
out=$(fcgi POST /api/verify-otp "{\"session_id\": \"$session\", \"code\": \"$code\"}")
out=$out$(fcgi POST /api/set-password "{\"session_id\": \"$session\", \"password\": \"Quiet-Harbor-Lantern-4821\"}")
signup=$(fcgi POST /api/user-info "{\"session_id\": \"$session\", \"first_name\": \"Sara\", \"last_name\": \"Test\"}")
t doc_without_systemd_signup "the sign-up of $admin_phone: $(echo "$out$signup" | grep -v '^[A-Z][-A-Za-z]*: ' | head -c 600)" \
	grep -q 'Status: 201' <<< "$signup"

# Administration, on that account and that service.
t_doc admin-blocks
t_doc admin-accounts
t doc_admin_accounts_said "ban and unban of $admin_phone: $(head -n 3 "$log/doc-admin-accounts.log")" \
	sh -c "grep -q 'banned; its refresh tokens are revoked' '$log/doc-admin-accounts.log' &&
		grep -q ': unbanned' '$log/doc-admin-accounts.log'"
t_doc admin-keygen
key_meta=$(in_root stat -c '%a %U %G' /etc/phoneauth/jwt-es256.pem 2>&1)
t doc_admin_keygen_for_the_service "jwt-es256.pem: '$key_meta' (want 640 root phoneauth)" \
	sh -c "test '$key_meta' = '640 root phoneauth' && chroot --userspec=phoneauth:phoneauth '$root' head -c 1 /etc/phoneauth/jwt-es256.pem >/dev/null"
# `ban` revoked the account's logins: a login of its own again, for
# `sessions` and `revoke` to find.
out=$(fcgi POST /api/login "{\"mobile_number\": \"$admin_phone\", \"password\": \"Quiet-Harbor-Lantern-4821\"}")
t doc_admin_login_again "login of $admin_phone after the unban: $(echo "$out" | grep -v '^[A-Z][-A-Za-z]*: ' | head -c 400)" \
	grep -q '"refresh_token"' <<< "$out"
t_doc admin-logins
t doc_admin_logins_said "sessions, revoke and delete of $admin_phone: $(head -c 600 "$log/doc-admin-logins.log")" \
	sh -c "grep -q 'login .* revoked' '$log/doc-admin-logins.log' &&
		grep -q 'account deleted' '$log/doc-admin-logins.log'"
t_doc upgrade-e164

# nginx: the site as printed, beside Debian's default site, checked by
# `nginx -t` (no warning either), then served on 127.0.0.1:80 of a network
# namespace of its own (nothing on the host's ports).
doc nginx-site > "$root/etc/nginx/sites-available/phoneauth" 2> "$log/doc-nginx-site.log"
t doc_nginx_site "$(cat "$log/doc-nginx-site.log")" test -s "$root/etc/nginx/sites-available/phoneauth"
t_doc nginx-enable "reload nginx"
t doc_nginx_t_quiet "nginx -t of the site: $(grep -E 'warn|emerg' "$log/doc-nginx-enable.log" | head -c 400)" \
	sh -c "! grep -qE '\[(warn|emerg)\]' '$log/doc-nginx-enable.log'"
answers=$(unshare -n /bin/sh -c '
	ip link set lo up || exit 1
	chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin /usr/sbin/nginx || exit 1
	for host in auth.example.org localhost; do
		code=000
		for _ in $(seq 1 20); do
			code=$(curl -s -o /dev/null -w "%{http_code}" -H "Host: $host" http://127.0.0.1/api/health) && break
			sleep 0.2
		done
		echo "$host $code"
	done
	curl -s -o /dev/null -w "page %{http_code} %{content_type}\n" -H "Host: auth.example.org" http://127.0.0.1/
	chroot "$1" /usr/sbin/nginx -s stop
' - "$root" 2>&1)
for _ in $(seq 1 50); do [ -e "$root/run/nginx.pid" ] || break; sleep 0.1; done
t doc_nginx_serves_the_api "Host: auth.example.org, /api/health: $answers" grep -qx 'auth.example.org 200' <<< "$answers"
t doc_nginx_default_site_is_404 "Host: localhost goes to Debian's default site (as the text says): $answers" \
	grep -qx 'localhost 404' <<< "$answers"
t doc_nginx_serves_the_page "Host: auth.example.org, /: $answers" grep -qx 'page 200 text/html; charset=utf-8' <<< "$answers"
stop_pids
rm -f "$sock"

# The socket's own group (systemctl restarts nothing in the root).
t_doc socket-group "daemon-reload
restart phoneauth.socket phoneauth
restart lighttpd"
t doc_socket_group_made "www-data is in: $(in_root id -nG www-data 2>&1); drop-in: $(cat "$root/etc/systemd/system/phoneauth.socket.d/group.conf" 2>&1)" \
	sh -c "chroot '$root' id -nG www-data | grep -qw phoneauth-web &&
		grep -qx 'SocketGroup=phoneauth-web' '$root/etc/systemd/system/phoneauth.socket.d/group.conf'"
cleanup
# What the blocks made of the admin's own, which a purge rightly leaves.
rm -rf "$root/etc/phoneauth/jwt-es256.pem" "$root/etc/systemd/system/phoneauth.socket.d"

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
# as an install from before data_key_file: no key, and a configuration
# (edited, so dpkg keeps it) that names none
rm -f "$root/etc/phoneauth/data.key"
sed -i '/^data_key_file/d' "$root/etc/phoneauth/phoneauth.conf"
apt_in_root install "/tmp/phoneauth_${newer}.deb" > "$log/upgrade.log" 2>&1
rc=$?
now=$(in_root dpkg-query -W -f '${Version}' phoneauth 2>&1)
t deb_upgrades "(exit $rc, installed: $now) $(tail -n 5 "$log/upgrade.log")" test $rc -eq 0 -a "$now" = "$newer"
conf_meta=$(in_root stat -c '%a %U %G' /etc/phoneauth/phoneauth.conf 2>&1)
t deb_upgrade_keeps_secret_and_conf "after the upgrade: conf '$conf_meta', or the secret or the edit changed" \
	sh -c "test '$conf_meta' = '640 root phoneauth' &&
		test \"\$(cat '$root/etc/phoneauth/jwt.secret')\" = '$secret_before' &&
		grep -q '^redis_url = unix:' '$root/etc/phoneauth/phoneauth.conf'"
key_meta=$(in_root stat -c '%a %U %G %s' /etc/phoneauth/data.key 2>&1)
t deb_upgrade_makes_the_data_key "after an upgrade from an install without it: data.key '$key_meta'" \
	sh -c "test '$key_meta' = '640 root phoneauth 65' &&
		grep -q '^data_key_file = /etc/phoneauth/data.key' '$root/etc/phoneauth/phoneauth.conf' &&
		chroot '$root' phoneauth -c /etc/phoneauth/phoneauth.conf check >/dev/null 2>&1"
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

# ---- 5. from source, in a clean root ----
echo "== docs/operations.md's From source block in a clean $suite"
if [ "$failed" -eq 0 ]; then rm -rf "$root"; else rm -rf "$root.package" && mv "$root" "$root.package"; fi
failed_before=$failed
cp -a "$base" "$root"
cp -l "$archives"/*.deb "$root/var/cache/apt/archives/" 2>/dev/null ||
	cp "$archives"/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
install_standin
# The tree as a clone of it has it (what git tracks, and what is new and
# not ignored): nothing built.
mkdir -p "$root/root/phoneauth"
(cd "$repo" && git ls-files -coz --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$root/root/phoneauth"
t_doc from-source "start postgresql redis-server
daemon-reload
start phoneauth phoneauth-sender" /root/phoneauth
keep_archives
t src_installs "no /usr/local/bin/phoneauth or units under /usr/local/lib/systemd/system" \
	test -x "$root/usr/local/bin/phoneauth" -a -f "$root/usr/local/lib/systemd/system/phoneauth.service"
secret_meta=$(in_root stat -c '%a %U %G %s' /etc/phoneauth/jwt.secret 2>&1)
t src_secret_made "jwt.secret: '$secret_meta' (want 640 root phoneauth 65)" test "$secret_meta" = "640 root phoneauth 65"
states=$(in_root systemctl is-enabled postgresql.service redis-server.service phoneauth.socket \
	phoneauth.service phoneauth-sender.service 2>&1 | tr '\n' ' ')
t src_units_enabled "systemctl is-enabled postgresql redis-server phoneauth.socket phoneauth phoneauth-sender: $states" \
	test "$states" = "enabled enabled enabled enabled enabled "
cleanup
if [ "$failed" -eq "$failed_before" ]; then rm -rf "$root"; else rm -rf "$root.source" && mv "$root" "$root.source"; fi

# ---- 6. scripts/deps.sh in a clean root ----
echo "== scripts/deps.sh run deb in a clean $suite"
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
	rm -rf "$root" "$root.package" "$root.source"
else
	echo "the roots are kept for a look: $root, $root.package, $root.source (logs: $log)"
fi
finish
