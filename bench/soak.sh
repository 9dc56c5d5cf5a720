#!/bin/bash
# bench/soak.sh — `make soak`: starts its own stack (var/soak, own ports,
# abuse limits raised, cheap password hashing), then bench/soak.py drives the
# real flow through lighttpd from SOAK_CLIENTS threads while a chaos thread
# kills and restarts Redis, PostgreSQL and single workers at random. The
# report goes to stdout and $STATE_DIR/report.txt; the exit status is
# non-zero when a 5xx is unexplained or an account or a login was lost.
#
# The event outputs are on (docs/operations.md, "Events"): the audit file
# (log/audit.jsonl) and a webhook to a receiver of the driver's own on
# loopback, which goes down (connection refused) or answers 500 now and
# then. The report counts the events produced, delivered, lost and
# duplicated (by event id, at the receiver and in the audit file) and the
# delivery latency (the event's `at` to its receipt); a lost or duplicated
# event fails the run. Redis runs with appendonly (appendfsync no: every
# write reaches the kernel before its reply, which is what survives a
# SIGKILL), so that a killed Redis keeps the events stream and its consumer
# groups as a production Redis with persistence would; SOAK_REDIS_AOF=0
# runs it as the other stacks do, without persistence (each Redis kill then
# loses the events still in the stream, and the run reports them lost).
#
#   SOAK_S (1800)          duration of the load, seconds
#   SOAK_CLIENTS (8)       client threads
#   SOAK_CHAOS_MIN (20), SOAK_CHAOS_MAX (60)   seconds between two events
#   SOAK_SEED              random seed (default: from the clock; printed)
#   WORKERS (8)            worker pool size: more than the clients keep busy, so
#                          that some workers sit idle through an outage (as in
#                          production) and meet their dead connections after it
#   SOAK_HTTP_PORT (48080) SOAK_REDIS_PORT (46379) SOAK_PG_PORT (45432)
#   SOAK_HOOK_PORT (48081) the webhook receiver's port (loopback)
#   SOAK_HOOK_MIN (30), SOAK_HOOK_MAX (90)  seconds between two receiver outages
#   SOAK_HOOK_DOWN_MIN (3), SOAK_HOOK_DOWN_MAX (25)  seconds an outage lasts
#   SOAK_REDIS_AOF (1)     Redis with appendonly (0: without persistence)
#   SOAK_DRAIN (180)       seconds the events are given to arrive after the load
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

# The event outputs: the stack's audit file (audit_log in its
# configuration) and the driver's webhook receiver.
export SOAK_HOOK_PORT=${SOAK_HOOK_PORT:-48081}
export SOAK_HOOK_SECRET_FILE=$STATE_DIR/webhook.secret
export PHONEAUTH_WEBHOOK_URL=http://127.0.0.1:$SOAK_HOOK_PORT/hook
export PHONEAUTH_WEBHOOK_SECRET_FILE=$SOAK_HOOK_SECRET_FILE

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
mkdir -p "$STATE_DIR"
(umask 077 && printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64 -w 0)" > "$SOAK_HOOK_SECRET_FILE")
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
