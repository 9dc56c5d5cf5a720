#!/bin/bash
# bench/soak.sh — `make soak`: starts its own stack (var/soak, own ports,
# abuse limits raised, cheap password hashing), then bench/soak.py drives the
# real flow through lighttpd from SOAK_CLIENTS threads while a chaos thread
# kills and restarts Redis, PostgreSQL and single workers at random. The
# report goes to stdout and $STATE_DIR/report.txt; the exit status is
# non-zero when a 5xx is unexplained or an account or a login was lost.
#
#   SOAK_S (1800)          duration of the load, seconds
#   SOAK_CLIENTS (8)       client threads
#   SOAK_CHAOS_MIN (20), SOAK_CHAOS_MAX (60)   seconds between two events
#   SOAK_SEED              random seed (default: from the clock; printed)
#   WORKERS (8)            worker pool size: more than the clients keep busy, so
#                          that some workers sit idle through an outage (as in
#                          production) and meet their dead connections after it
#   SOAK_HTTP_PORT (48080) SOAK_REDIS_PORT (46379) SOAK_PG_PORT (45432)
#   SOAK_STATE_DIR (var/soak)
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$repo"
export STATE_DIR=${SOAK_STATE_DIR:-$repo/var/soak}
export HTTP_PORT=${SOAK_HTTP_PORT:-48080}
export REDIS_PORT=${SOAK_REDIS_PORT:-46379}
export PG_PORT=${SOAK_PG_PORT:-45432}
export WORKERS=${WORKERS:-8}
export APP_BIN=$repo/build/phoneauth
export QUIET=1

# One client address carries the whole load: the abuse limits are raised as
# in bench/run.sh. Logins hash at the lowest iteration count the
# configuration accepts, so they cost little next to the rest.
export PHONEAUTH_MAX_FAILED_ATTEMPTS=1000000000
export PHONEAUTH_OTP_MAX_PER_HOUR=100000000
export PHONEAUTH_OTP_OWNER_MAX_PER_HOUR=100000000
export PHONEAUTH_OTP_MAX_PER_IP_HOUR=100000000
export PHONEAUTH_LOGIN_SESSIONS_PER_IP_HOUR=100000000
export PHONEAUTH_OTP_COOLDOWN=0
export PHONEAUTH_OTP_MAX_TRIES=1000
export PHONEAUTH_SESSION_TTL=3600
export PHONEAUTH_SESSION_MAX_AGE=3600
export PHONEAUTH_PBKDF2_ITERATIONS=1000

driver=
cleanup() {
	if [ -n "$driver" ]; then
		kill -TERM "$driver" 2>/dev/null || true
		wait "$driver" 2>/dev/null || true
		driver=
	fi
	scripts/stack.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'echo "soak: interrupted" >&2; exit 130' INT TERM

scripts/stack.sh stop >/dev/null 2>&1 || true
rm -rf "$STATE_DIR"
echo "soak: starting the stack in $STATE_DIR ($WORKERS workers, $(nproc) cores)..." >&2
scripts/stack.sh start >/dev/null

# The driver runs in the background so that the traps above stay in charge
# of Ctrl-C; it stops its own threads on TERM and still writes its report.
SOAK_STACK=$repo/scripts/stack.sh /usr/bin/python3 -u bench/soak.py &
driver=$!
rc=0
wait "$driver" || rc=$?
driver=
exit "$rc"
