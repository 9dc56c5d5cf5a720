#!/bin/sh
# boot-services.sh — the system services that the packages scripts/deps.sh
# installs bring, and which of them start at boot. deps.sh asks before its
# install and disables again, after it, those the install enabled: the
# stores and servers Debian enables at boot (redis-server, postgresql,
# lighttpd, apache2 and its apache-htcacheclean, nginx, prometheus), which
# phoneauth's stack never uses (it runs its own under var/). Nothing else is
# ever touched: a minimal Debian that gets systemd from the install (make
# test installs it) has getty@, the apt timers, fstrim and more enabled by
# then, and they stay so; a service of the list that started at boot before
# the install stays so too.
#
#   boot-services.sh enabled [ROOT]
#       the services of the list that start at boot, one name a line
#   boot-services.sh disable-new BEFORE [ROOT]
#       disables those that start at boot now and that the file BEFORE (what
#       `enabled` printed before the install) does not name; prints the
#       names it disabled, one a line. Where systemd runs (ROOT /), they are
#       stopped too.
#
# ROOT (default /) is the system's root directory; another one (a chroot, a
# test's scratch root) is looked at and changed offline, with
# `systemctl --root`, and nothing in it is started or stopped.
#
# "Starts at boot" is read from the links, not from systemctl, so it reads
# the same before and after an install that brings systemd itself: a
# systemd unit's link in /etc/systemd/system/*.wants/ (which Debian's
# packages make even where systemd is not installed yet), or a System V
# start link in /etc/rc[2-5].d.
set -eu

services="redis-server postgresql lighttpd apache2 apache-htcacheclean nginx prometheus"

die() { echo "boot-services.sh: $*" >&2; exit 2; }

# starts_at_boot ROOT NAME
starts_at_boot() {
	for f in "$1"/etc/systemd/system/*.wants/"$2".service "$1"/etc/rc[2345].d/S[0-9][0-9]"$2"; do
		if [ -e "$f" ] || [ -L "$f" ]; then
			return 0
		fi
	done
	return 1
}

enabled() {
	for name in $services; do
		if starts_at_boot "$1" "$name"; then
			echo "$name"
		fi
	done
}

# disable ROOT NAME: systemctl where there is one (on Debian it also turns
# the System V links off, through systemd-sysv-install); update-rc.d and
# deb-systemd-helper on a system without systemd.
disable() {
	if command -v systemctl >/dev/null 2>&1; then
		if [ "$1" != / ]; then
			systemctl --root="$1" disable --quiet "$2.service" >/dev/null 2>&1 || true
		elif [ -d /run/systemd/system ]; then
			systemctl disable --now --quiet "$2.service" >/dev/null 2>&1 || true
		else
			systemctl disable --quiet "$2.service" >/dev/null 2>&1 || true
		fi
	fi
	if [ "$1" = / ] && starts_at_boot / "$2"; then
		if [ -x "/etc/init.d/$2" ] && command -v update-rc.d >/dev/null 2>&1; then
			update-rc.d "$2" disable >/dev/null 2>&1 || true
		fi
		if command -v deb-systemd-helper >/dev/null 2>&1; then
			deb-systemd-helper disable "$2.service" >/dev/null 2>&1 || true
		fi
	fi
	! starts_at_boot "$1" "$2"
}

disable_new() {
	before=$1 root=$2 status=0
	[ -r "$before" ] || die "cannot read $before"
	for name in $(enabled "$root"); do
		if grep -qx "$name" "$before"; then
			continue
		fi
		if disable "$root" "$name"; then
			echo "$name"
		else
			echo "boot-services.sh: $name still starts at boot; could not disable it" >&2
			status=1
		fi
	done
	return $status
}

case ${1:-} in
enabled)
	[ $# -le 2 ] || die "usage: $0 enabled [ROOT]"
	enabled "${2:-/}" ;;
disable-new)
	if [ $# -lt 2 ] || [ $# -gt 3 ]; then die "usage: $0 disable-new BEFORE [ROOT]"; fi
	if [ "${3:-/}" != / ] && ! command -v systemctl >/dev/null 2>&1; then
		die "systemctl is needed to change another root (${3})"
	fi
	disable_new "$2" "${3:-/}" ;;
*)
	die "usage: $0 enabled [ROOT] | disable-new BEFORE [ROOT]" ;;
esac
