#!/bin/bash
# scripts/boot-services.sh against a scratch root, changed offline with
# `systemctl --root` (no systemd needs to run, nothing is started): an
# install that brings systemd itself, and with it getty@, dbus, man-db's
# timer, beside the stores and servers Debian enables, into a root that had
# only the apt and fstrim timers and an nginx of its admin's enabled. Only
# the stores and servers that install enabled may be disabled again. Prints
# "PASS name" / "FAIL name: why".
set -u

repo=$(cd "$(dirname "$0")/../.." && pwd -P)
bs=$repo/scripts/boot-services.sh

fail() { echo "FAIL $1: $2"; }
pass() { echo "PASS $1"; }
# t NAME WHY COMMAND...: PASS when COMMAND succeeds, else FAIL with WHY.
t() {
	local name=$1 why=$2
	shift 2
	if "$@"; then pass "$name"; else fail "$name" "$why"; fi
}

if ! command -v systemctl >/dev/null 2>&1; then
	fail boot_services_root "systemctl is not installed (Debian package systemd: scripts/deps.sh test)"
	exit 1
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/lib/systemd/system" "$root/etc/systemd/system"

# unit NAME TARGET: a unit file installed in the root, wanted by TARGET.
unit() {
	local type=Service
	case $1 in *.timer) type=Timer ;; esac
	printf '[Unit]\nDescription=%s\n[%s]\n%s\n[Install]\nWantedBy=%s\n' "$1" "$type" \
		"$([ "$type" = Service ] && echo ExecStart=/bin/true || echo OnCalendar=daily)" "$2" \
		> "$root/lib/systemd/system/$1"
}
enable() { systemctl --root="$root" enable --quiet "$@" >/dev/null 2>&1; }
enabled_units() {
	systemctl --root="$root" list-unit-files --state=enabled --no-legend --no-pager | awk '{ print $1 }' | sort
}
# A template's instance (getty@tty1) shows as its link, not in list-unit-files.
is_enabled() { systemctl --root="$root" is-enabled --quiet "$1" 2>/dev/null; }

for u in apt-daily.timer fstrim.timer man-db.timer; do unit "$u" timers.target; done
unit getty@.service getty.target
for u in dbus redis-server postgresql lighttpd apache2 nginx prometheus; do
	unit "$u.service" multi-user.target
done

# Before: what a minimal Debian without systemd has (its packages made the
# timers' links), and the admin's own nginx.
enable apt-daily.timer fstrim.timer nginx.service
"$bs" enabled "$root" > "$root/before"
t enabled_names_what_starts_at_boot "enabled said: $(tr '\n' ' ' < "$root/before")" \
	test "$(cat "$root/before")" = nginx

# The install: systemd's own units, man-db's timer, and the servers.
enable getty@tty1.service dbus.service man-db.timer redis-server.service postgresql.service \
	lighttpd.service apache2.service prometheus.service
enabled_units > "$root/units-before"

out=$("$bs" disable-new "$root/before" "$root" 2>&1)
rc=$?
t disable_new_succeeds "exit $rc: $out" test $rc -eq 0
t disable_new_names_what_it_disabled "it printed: $(echo "$out" | tr '\n' ' ')" \
	test "$(echo "$out" | tr '\n' ' ')" = "redis-server postgresql lighttpd apache2 prometheus "

left=
for u in redis-server postgresql lighttpd apache2 prometheus; do
	if is_enabled "$u.service"; then left="$left $u"; fi
done
t the_servers_the_install_enabled_are_disabled "still enabled:$left" test -z "$left"

gone=
for u in getty@tty1.service dbus.service man-db.timer apt-daily.timer fstrim.timer; do
	if ! is_enabled "$u"; then gone="$gone $u"; fi
done
t getty_dbus_and_the_timers_stay_enabled "disabled:$gone" test -z "$gone"
t a_server_enabled_before_stays_enabled "nginx was disabled" is_enabled nginx.service

# Nothing else changed: the enabled units now are those before minus the
# five servers.
expected=$(grep -vxE '(redis-server|postgresql|lighttpd|apache2|prometheus)\.service' "$root/units-before")
t nothing_else_changed "enabled now: $(enabled_units | tr '\n' ' ')" test "$(enabled_units)" = "$expected"

# A second run after an install that enabled nothing disables nothing.
"$bs" enabled "$root" > "$root/before2"
out=$("$bs" disable-new "$root/before2" "$root" 2>&1)
now=$(enabled_units)
t a_second_run_disables_nothing "it printed: $out; enabled now: $(echo "$now" | tr '\n' ' ')" \
	test "$out/$now" = "/$expected"

# System V start links count as starting at boot (a system without systemd).
mkdir -p "$root/etc/rc2.d"
ln -s ../init.d/lighttpd "$root/etc/rc2.d/S01lighttpd"
t sysv_start_links_count "enabled said: $("$bs" enabled "$root" | tr '\n' ' ')" \
	sh -c "'$bs' enabled '$root' | grep -qx lighttpd"
