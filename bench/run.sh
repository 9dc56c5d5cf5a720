#!/bin/bash
# bench/run.sh — `make bench`: starts its own stack (var/bench, own ports,
# abuse limits raised so the load is not blocked), drives it with wrk through
# lighttpd, and prints one table. It measures; it asserts nothing.
#
#   BENCH_SECONDS (10)  BENCH_WARMUP (2)  BENCH_CONNECTIONS (32)
#   BENCH_THREADS (2)   WORKERS (8)       BENCH_LOGIN_CONNECTIONS (4, mixed)
set -eu

# lighttpd is in /usr/sbin, not on an ordinary user's PATH.
for d in /usr/sbin /sbin; do
	case ":$PATH:" in *":$d:"*) ;; *) PATH=$PATH:$d ;; esac
done
export PATH

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export STATE_DIR=$repo/var/bench
export HTTP_PORT=${BENCH_HTTP_PORT:-38080}
export REDIS_PORT=${BENCH_REDIS_PORT:-36379}
export PG_PORT=${BENCH_PG_PORT:-35432}
export WORKERS=${WORKERS:-8}
export APP_BIN=$repo/build/phoneauth
export QUIET=1
ceiling_port=${BENCH_CEILING_PORT:-38081}
secs=${BENCH_SECONDS:-10}
warm=${BENCH_WARMUP:-2}
conns=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
login_conns=${BENCH_LOGIN_CONNECTIONS:-4}
api=http://127.0.0.1:$HTTP_PORT/api
password="bench password 123"

# The limits are raised so that one client address may hammer the service;
# everything else is the contract's default (pbkdf2_iterations 600000 too).
export PHONEAUTH_MAX_FAILED_ATTEMPTS=1000000000
export PHONEAUTH_OTP_MAX_PER_HOUR=100000000
export PHONEAUTH_OTP_MAX_PER_IP_HOUR=100000000
export PHONEAUTH_OTP_COOLDOWN=0
export PHONEAUTH_OTP_MAX_TRIES=1000
export PHONEAUTH_SESSION_TTL=3600
# A session lives an hour here, and every register leaves one: the load makes
# hundreds of thousands, far beyond the 256mb of make run.
export REDIS_MAXMEMORY=${BENCH_REDIS_MAXMEMORY:-4gb}

work=$(mktemp -d)
ceiling_dir=$STATE_DIR/ceiling
cleanup() {
	stop_ceiling
	scripts/stack.sh stop >/dev/null 2>&1 || true
	rm -rf "$work"
}

start_ceiling() {
	mkdir -p "$ceiling_dir"/{run,log,www}
	rm -f "$ceiling_dir/run/phoneauth.sock"
	setsid spawn-fcgi -n -s "$ceiling_dir/run/phoneauth.sock" -M 0600 -- \
		"$(command -v multiwatch)" -f "$WORKERS" -s TERM -- "$repo/build/bench/ceiling" \
		</dev/null >>"$ceiling_dir/log/ceiling.log" 2>&1 &
	echo $! > "$ceiling_dir/run/pool.pid"
	sed -e "s|^var.phoneauth_state = .*|var.phoneauth_state = \"$ceiling_dir\"|" \
	    -e "s|^server.port = .*|server.port = $ceiling_port|" lighttpd.conf > "$ceiling_dir/lighttpd.conf"
	for _ in $(seq 1 50); do [ -S "$ceiling_dir/run/phoneauth.sock" ] && break; sleep 0.1; done
	lighttpd -f "$ceiling_dir/lighttpd.conf"
	for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$ceiling_port/api/x" && break; sleep 0.1; done
}

stop_ceiling() {
	local f pid
	for f in "$ceiling_dir/run/lighttpd.pid" "$ceiling_dir/run/pool.pid"; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do
			{ [ -e "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; } || break
			sleep 0.1
		done
		rm -f "$f"
	done
}

# The password in the environment, not on the command line (ps shows argv).
redis() { REDISCLI_AUTH=$(cat "$STATE_DIR/redis.pass") redis-cli -p "$REDIS_PORT" "$@"; }
psql_app() {
	PGPASSWORD=$(cat "$STATE_DIR/pg.pass") psql -X -q -At -h 127.0.0.1 -p "$PG_PORT" -U phoneauth phoneauth -c "$1"
}

# Round trips: FCALL calls (every Redis operation of the service is one
# function) and PostgreSQL transactions (every statement runs in its own).
redis_calls() { redis INFO commandstats | sed -n 's/^cmdstat_fcall:calls=\([0-9]*\).*/\1/p' | tr -d '\r' | grep . || echo 0; }
pg_xacts() { psql_app "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'phoneauth'"; }

to_ms() { # "1.23ms" / "870.00us" / "1.02s" -> milliseconds
	awk -v v="$1" 'BEGIN {
		if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
		else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.0f", v * 1000 }
		else printf "?" }'
}

# Waits (at most 20 s) until the machine is idle again: requests still queued
# when wrk stopped, autovacuum after the inserts, the audit batches. Each
# scenario is measured on its own, not on the tail of the one before. On a
# machine that never goes idle (another job running) it says so and lets the
# measurement go on: the numbers are then a busy machine's.
settle() {
	local a b
	for _ in $(seq 1 "${BENCH_SETTLE_TRIES:-40}"); do
		a=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5}' /proc/stat)
		sleep 0.5
		b=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5}' /proc/stat)
		# busy share of the last half second under 5%
		awk -v a="$a" -v b="$b" 'BEGIN { split(a, x); split(b, y);
			busy = y[1] - x[1]; idle = y[2] - x[2];
			exit !(busy + idle > 0 && busy / (busy + idle) < 0.05) }' && return 0
	done
	echo "bench: warning: the machine did not go idle (under 5% busy) within" \
		"$(( ${BENCH_SETTLE_TRIES:-40} / 2 )) s; measuring anyway" >&2
	: > "$work/not-idle"	# (a file: settle also runs in subshells)
	return 0
}

# run_wrk NAME CONNS URL SCRIPT [ENV...]: warm-up, then the measured run;
# leaves its numbers in $work/NAME.*
run_wrk() {
	local name=$1 c=$2 url=$3 script=$4 r0 p0
	shift 4
	settle
	env "$@" wrk -t "$threads" -c "$c" -d "${warm}s" --timeout 10s -s "$script" "$url" >/dev/null 2>&1 || true
	settle	# what the warm-up left queued is not this run's work
	r0=$(redis_calls); p0=$(pg_xacts)
	env "$@" wrk -t "$threads" -c "$c" -d "${secs}s" --timeout 10s --latency -s "$script" "$url" > "$work/$name.out" 2>&1
	echo "$(redis_calls) $r0 $(pg_xacts) $p0" > "$work/$name.trips"
}

# row NAME LABEL CEILING_RPS CEILING_LABEL
row() {
	local out=$work/$1.out rps p50 p99 reqs non2xx x r1 r0 q1 q0 rt pt
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$out")
	p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
	p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
	reqs=$(awk '/requests in/ {print $1}' "$out")
	non2xx=$(awk '/Non-2xx/ {print $NF}' "$out")
	x=$(awk -v a="$rps" -v b="$3" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
	if [ -f "$work/$1.trips" ]; then
		read -r r1 r0 q1 q0 < "$work/$1.trips"
		rt=$(awk -v d=$((r1 - r0)) -v n="$reqs" 'BEGIN { printf "%.2f", d / n }')
		pt=$(awk -v d=$((q1 - q0)) -v n="$reqs" 'BEGIN { printf "%.2f", d / n }')
	else
		rt=-; pt=-
	fi
	printf '| %s | %.0f | %s ms | %s ms | %s %s | %s | %s | %s |\n' "$2" "$rps" "$p50" "$p99" \
		"$x" "$4" "$rt" "$pt" "${non2xx:-0}"
}

trap cleanup EXIT
scripts/stack.sh stop >/dev/null 2>&1 || true
stop_ceiling
rm -rf "$STATE_DIR"
echo "bench: starting the stack ($WORKERS workers, $(nproc) cores)..." >&2
scripts/stack.sh start >/dev/null
start_ceiling

# An account with a password, through the real flow.
phone=09120000001
sid=$(curl -s "$api/register" -H 'Content-Type: application/json' -d "{\"mobile_number\":\"$phone\"}" |
	sed 's/.*"session_id":"\([^"]*\)".*/\1/')
code=$(redis XREVRANGE phoneauth:sms + - COUNT 1 | sed -n '/^code$/{n;p;q}')
curl -sf -o /dev/null "$api/verify-otp" -H 'Content-Type: application/json' -d "{\"session_id\":\"$sid\",\"code\":\"$code\"}"
curl -sf -o /dev/null "$api/set-password" -H 'Content-Type: application/json' -d "{\"session_id\":\"$sid\",\"password\":\"$password\"}"
curl -sf -o /dev/null "$api/user-info" -H 'Content-Type: application/json' -d "{\"session_id\":\"$sid\",\"first_name\":\"Bench\",\"last_name\":\"Mark\"}"
mkdir -p "$work/sids"

# The raw PBKDF2 rate, measured just before each login scenario on the idle
# machine (it drifts on a shared VM).
pbkdf2() { settle; build/bench/pbkdf2 600000 3 "$(nproc)"; }

echo "bench: ceiling, register (existing, new), verify-otp, login (wrong, right), mixed..." >&2
run_wrk ceiling "$conns" "http://127.0.0.1:$ceiling_port/api/register" bench/post.lua \
	BODY="{\"mobile_number\":\"$phone\"}"
run_wrk register_existing "$conns" "$api/register" bench/post.lua BODY="{\"mobile_number\":\"$phone\"}"
run_wrk register_new "$conns" "$api/register" bench/register_new.lua SIDS_DIR="$work/sids" RUN=1
run_wrk verify_wrong "$conns" "$api/verify-otp" bench/verify_wrong.lua SIDS_DIR="$work/sids"
pbkdf2_wrong=$(pbkdf2)
run_wrk login_wrong "$conns" "$api/login" bench/post.lua \
	BODY="{\"mobile_number\":\"$phone\",\"password\":\"not the password\"}"
pbkdf2_right=$(pbkdf2)
run_wrk login_right "$conns" "$api/login" bench/post.lua \
	BODY="{\"mobile_number\":\"$phone\",\"password\":\"$password\"}"
settle
# mixed: register-existing at full load while logins run alongside
BODY="{\"mobile_number\":\"$phone\",\"password\":\"$password\"}" \
	wrk -t 1 -c "$login_conns" -d "$((secs + 2))s" --timeout 10s --latency -s bench/post.lua "$api/login" \
	> "$work/mixed_login.out" 2>&1 &
login_pid=$!
sleep 1
BODY="{\"mobile_number\":\"$phone\"}" wrk -t "$threads" -c "$conns" -d "${secs}s" --timeout 10s --latency \
	-s bench/post.lua "$api/register" > "$work/mixed_register.out" 2>&1
wait "$login_pid" || true

ceiling=$(awk '/^Requests\/sec:/ {print $2}' "$work/ceiling.out")
workers=$(pgrep -P "$(cat "$STATE_DIR/run/pool.pid")")
rss=$(for p in $workers; do awk '/^VmRSS/ {printf "%.1f ", $2 / 1024}' "/proc/$p/status"; done)
# What a worker costs the machine on its own: its private pages. Most of its
# RSS is shared library code mapped by every worker once.
private=$(for p in $workers; do
	awk '/^Private_(Clean|Dirty)/ {s += $2} END {printf "%.1f ", s / 1024}' "/proc/$p/smaps_rollup"; done)

echo
echo "phoneauth benchmark: $(nproc) cores, $WORKERS workers, wrk $threads threads / $conns connections, ${secs} s per scenario after ${warm} s warm-up"
echo
echo "| scenario | req/s | p50 | p99 | × ceiling | Redis/req | PG/req | non-2xx |"
echo "|---|---|---|---|---|---|---|---|"
row ceiling "ceiling (minimal FastCGI responder)" "$ceiling" ""
row register_existing "register, existing account" "$ceiling" ""
row register_new "register, new numbers" "$ceiling" ""
row verify_wrong "verify-otp, wrong code, fresh sessions" "$ceiling" ""
row login_wrong "login by number, wrong password" "$pbkdf2_wrong" "× PBKDF2"
row login_right "login, right password" "$pbkdf2_right" "× PBKDF2"
row mixed_register "mixed: register-existing, with logins alongside" "$ceiling" ""
row mixed_login "mixed: the logins alongside" "$pbkdf2_right" "× PBKDF2"
echo
echo "raw PBKDF2-SHA256 at 600000 iterations, all cores: $pbkdf2_wrong and $pbkdf2_right hashes/s"
echo "(measured before each login scenario); logins hash at nice +$(sed -n 's/^#define HASHER_NICE //p' include/phoneauth/hasher.h)"
echo "worker RSS after the run (MB): $rss"
echo "worker private memory (MB):    $private"
if [ -e "$work/not-idle" ]; then
	echo "NOTE: the machine was not idle before some scenarios (see the warnings above):"
	echo "these figures are lower than an idle machine's."
fi
echo "Redis/req counts FCALL calls (one per store operation), the SMS sender's"
echo "acknowledgements included; PG/req counts PostgreSQL transactions, the audit"
echo "rows written after the answer included."
