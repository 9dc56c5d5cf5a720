#!/bin/bash
# bench/run.sh — `make bench`: starts its own stack (var/bench, own ports,
# abuse limits raised so the load is not blocked), drives it with wrk through
# lighttpd, and prints one table. It measures; it asserts nothing.
#
# With BENCH_USERS or BENCH_SESSIONS it measures twice, each time on a fresh
# stack: empty, then with that many accounts in PostgreSQL and live sessions
# (with their counters, and some blocks) in Redis, loaded in bulk
# (bench/load.py). The table puts the two side by side; build/bench/ gets
# bench.md (the tables), bench.dat and bench.png (gnuplot).
#
#   BENCH_SECONDS (10)  BENCH_WARMUP (2)  BENCH_CONNECTIONS (32)
#   BENCH_THREADS (2)   WORKERS (8)       BENCH_LOGIN_CONNECTIONS (4, mixed)
#   BENCH_USERS (0)     BENCH_SESSIONS (0)  BENCH_BLOCKS (BENCH_SESSIONS / 10)
#   BENCH_OUT (build/bench)  BENCH_PASSKEY_LOGINS (30000: the passkey sign-ins made beforehand)
#   BENCH_EVENTS (1)    the event outputs' A/B (0: not measured)
#   BENCH_HOOK_PORT (27082)  its webhook receiver's port
#
# The event outputs (docs/operations.md, "Events"): every scenario runs
# with none configured (the sender relays and trims the events, delivers
# nothing), but one pair, register of an existing account and login with
# the right password measured again right after login_right with the
# sender restarted with all three on — the audit file, a webhook to a
# receiver on loopback (bench/hook.py) and event_command /bin/true — and
# then off again: the rows side by side in "Event outputs off and on".
set -eu

# lighttpd is in /usr/sbin, not on an ordinary user's PATH.
for d in /usr/sbin /sbin; do
	case ":$PATH:" in *":$d:"*) ;; *) PATH=$PATH:$d ;; esac
done
export PATH

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
bench_dir=$repo/var/bench
# The stack of a pass (made afresh for each) and the ceiling's pool beside it.
export STATE_DIR=$bench_dir/stack
ceiling_dir=$bench_dir/ceiling
# Ports below the kernel's ephemeral range (32768-60999), where no outgoing
# connection of a busy machine can hold one when the stack binds it.
export HTTP_PORT=${BENCH_HTTP_PORT:-27080}
export REDIS_PORT=${BENCH_REDIS_PORT:-27379}
export PG_PORT=${BENCH_PG_PORT:-27432}
export WORKERS=${WORKERS:-8}
export APP_BIN=$repo/build/phoneauth
export QUIET=1
ceiling_port=${BENCH_CEILING_PORT:-27081}
hook_port=${BENCH_HOOK_PORT:-27082}
events_ab=${BENCH_EVENTS:-1}
secs=${BENCH_SECONDS:-10}
warm=${BENCH_WARMUP:-2}
conns=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
login_conns=${BENCH_LOGIN_CONNECTIONS:-4}
# accounts with TOTP for login_totp: each gives a sign-in per 30-second step
# (and three at first), so enough for a few hundred sign-ins a second
totp_users=${BENCH_TOTP_USERS:-5000}
totp_secret=$(openssl rand -hex 20)
passkey_n=${BENCH_PASSKEY_LOGINS:-30000}
users=${BENCH_USERS:-0}
sessions=${BENCH_SESSIONS:-0}
blocks=${BENCH_BLOCKS:-$((sessions / 10))}
out_dir=${BENCH_OUT:-$repo/build/bench}
api=http://127.0.0.1:$HTTP_PORT/api
password="bench password 123"
phone=09120000001

# The limits are raised so that one client address may hammer the service;
# everything else is the contract's default: pbkdf2_iterations 600000, the
# code cooldown, the metrics (counted on every request). The SMS economics,
# off by default, are on, at caps no pass reaches: every code is counted
# against its prefix's hour, the service's hour and day, and the conversion
# breaker (which never has enough sends to judge here: register of new
# numbers verifies none, and would trip it). PHONEAUTH_SMS_* from the
# caller's environment take precedence.
export PHONEAUTH_SMS_MAX_PER_PREFIX_HOUR=${PHONEAUTH_SMS_MAX_PER_PREFIX_HOUR:-1000000000}
export PHONEAUTH_SMS_MAX_PER_HOUR=${PHONEAUTH_SMS_MAX_PER_HOUR:-1000000000}
export PHONEAUTH_SMS_MAX_PER_DAY=${PHONEAUTH_SMS_MAX_PER_DAY:-1000000000}
export PHONEAUTH_SMS_MIN_CONVERSION=${PHONEAUTH_SMS_MIN_CONVERSION:-0.2}
export PHONEAUTH_SMS_CONVERSION_MIN_SENT=${PHONEAUTH_SMS_CONVERSION_MIN_SENT:-1000000000}
export PHONEAUTH_MAX_FAILED_ATTEMPTS=1000000000
export PHONEAUTH_OTP_MAX_PER_HOUR=100000000
export PHONEAUTH_OTP_OWNER_MAX_PER_HOUR=100000000
export PHONEAUTH_OTP_MAX_PER_IP_HOUR=100000000
export PHONEAUTH_LOGIN_SESSIONS_PER_IP_HOUR=100000000
export PHONEAUTH_OTP_MAX_TRIES=1000
export PHONEAUTH_SESSION_TTL=3600
export PHONEAUTH_SESSION_MAX_AGE=3600
iterations=${PHONEAUTH_PBKDF2_ITERATIONS:-600000}
# No event output but in the A/B pair (events_on): stack.sh's configuration
# names an audit file, which an empty value takes away.
export PHONEAUTH_AUDIT_LOG=
# A session lives an hour here, and every register leaves one: the load makes
# hundreds of thousands, far beyond the 256mb of make run.
export REDIS_MAXMEMORY=${BENCH_REDIS_MAXMEMORY:-4gb}

work=$(mktemp -d)
login_pid=
hook_pid=
finished=
cleanup() {
	[ -z "$login_pid" ] || kill "$login_pid" 2>/dev/null || true
	stop_hook
	stop_ceiling
	stop_stack
	rm -rf "$work"
	if [ -n "$finished" ]; then
		remove_state
	elif [ -d "$bench_dir" ]; then
		echo "bench: stopped early; its logs are in $bench_dir/stack/log (the next make bench removes them)" >&2
	fi
}

# Everything the bench made: its stacks (remove_stack_state) and var/bench.
remove_state() {
	remove_stack_state
	rm -rf "$bench_dir"
}

stop_stack() { scripts/stack.sh stop >/dev/null 2>&1 || true; }

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

# ---- the event outputs' A/B ----

# events_on: the webhook receiver started, and the sender restarted with
# the three outputs on; events_off: the sender restarted with none, the
# receiver stopped (its count in $res/hook-count).
events_on() {
	(umask 077 && printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64 -w 0)" > "$STATE_DIR/webhook.secret")
	/usr/bin/python3 bench/hook.py "$hook_port" "$res/hook-count" </dev/null >/dev/null 2>&1 &
	hook_pid=$!
	for _ in $(seq 1 50); do curl -s -o /dev/null -X POST "http://127.0.0.1:$hook_port/hook" -d '{}' && break; sleep 0.1; done
	PHONEAUTH_AUDIT_LOG=$STATE_DIR/log/audit.jsonl \
	PHONEAUTH_WEBHOOK_URL=http://127.0.0.1:$hook_port/hook \
	PHONEAUTH_WEBHOOK_SECRET_FILE=$STATE_DIR/webhook.secret \
	PHONEAUTH_EVENT_COMMAND=/bin/true \
		scripts/stack.sh start-sender >/dev/null
	events_recorded > "$res/events-before"
}
# events_recorded: the events recorded since the stack started
# (phoneauth_events_total, summed over the types)
events_recorded() { curl -s "$api/metrics" | awk '/^phoneauth_events_total/ { e += $NF } END { printf "%.0f\n", e }'; }
events_off() {
	local n out_ticks hook_ticks
	# what the outputs have left to deliver, delivered first (at most 30 s)
	for _ in $(seq 1 60); do
		n=$(redis XINFO GROUPS phoneauth:events | awk '
			prev == "pending" { p += $1 } prev == "lag" { l += $1 } { prev = $1 }
			END { print p + l }')
		[ "$n" = 0 ] && break
		sleep 0.5
	done
	# the CPU the outputs' processes took while on (utime + stime, with
	# their waited-for children: event_command's runs), and the receiver's
	out_ticks=$(for c in $(pgrep -P "$(cat "$STATE_DIR/run/sender.pid")"); do
		awk '{ print $14 + $15 + $16 + $17 }' "/proc/$c/stat" 2>/dev/null; done | awk '{ s += $1 } END { print s + 0 }')
	hook_ticks=$(awk '{ print $14 + $15 }' "/proc/$hook_pid/stat" 2>/dev/null || echo 0)
	scripts/stack.sh start-sender >/dev/null
	stop_hook
	# what each output delivered (phoneauth_event_deliveries_total), and the
	# events recorded, since the stack started
	curl -s "$api/metrics" | awk -v hook="$(cat "$res/hook-count" 2>/dev/null || echo '?')" \
		-v before="$(cat "$res/events-before")" '
		/^phoneauth_events_total/ { e += $NF }
		/^phoneauth_event_deliveries_total/ && /result="delivered"/ {
			o = $0; sub(/.*output="/, "", o); sub(/".*/, "", o); sub(/:.*/, "", o); d[o] += $NF }
		END { printf "%.0f events recorded while they were on; delivered: audit file %.0f, webhook %.0f (the receiver counted %s, its readiness probe included), event_command %.0f",
			e - before, d["audit"], d["webhook"], hook, d["command"] }' > "$res/events-delivered"
	wc -l < "$STATE_DIR/log/audit.jsonl" | awk -v o="$out_ticks" -v h="$hook_ticks" -v hz="$(getconf CLK_TCK)" '{
		printf "; the audit file has %d lines; CPU of the outputs%s processes (notices included) %.0f ms, %.2f ms an event; of the receiver %.0f ms", $1, "\047", o * 1000 / hz, ($1 > 0 ? o * 1000 / hz / $1 : 0), h * 1000 / hz }' >> "$res/events-delivered"
}
stop_hook() {
	[ -n "$hook_pid" ] || return 0
	kill "$hook_pid" 2>/dev/null || true
	wait "$hook_pid" 2>/dev/null || true
	hook_pid=
}

# The password in the environment, not on the command line (ps shows argv).
redis() { REDISCLI_AUTH=$(cat "$STATE_DIR/redis.pass") redis-cli -p "$REDIS_PORT" "$@"; }
psql_app() {
	PGPASSWORD=$(cat "$STATE_DIR/pg.pass") psql -X -q -At -v ON_ERROR_STOP=1 \
		-h 127.0.0.1 -p "$PG_PORT" -U phoneauth phoneauth -c "$1"
}
used_memory() { redis INFO memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p' | tr -d '\r'; }
now_ms() { date +%s%3N; }
since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

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

# run_wrk NAME CONNS URL SCRIPT [ENV...]: warm-up (with WARMUP=1 added),
# then the measured run; leaves its numbers in $res/NAME.*
run_wrk() {
	local name=$1 c=$2 url=$3 script=$4 r0 p0
	shift 4
	settle
	env "$@" WARMUP=1 wrk -t "$threads" -c "$c" -d "${warm}s" --timeout 10s -s "$script" "$url" >/dev/null 2>&1 || true
	settle	# what the warm-up left queued is not this run's work
	r0=$(redis_calls); p0=$(pg_xacts)
	env "$@" wrk -t "$threads" -c "$c" -d "${secs}s" --timeout 10s --latency -s "$script" "$url" > "$res/$name.out" 2>&1
	echo "$(redis_calls) $r0 $(pg_xacts) $p0" > "$res/$name.trips"
}

# The raw PBKDF2 rate, measured just before each login scenario on the idle
# machine (it drifts on a shared VM).
pbkdf2() { settle; build/bench/pbkdf2 "$iterations" 3 "$(nproc)"; }

# ---- the bulk load (a loaded pass) ----

# load_part PART N: one part of the live state (bench/load.py) through
# redis-cli --pipe, timed. What an item of it costs is measured on its own
# first, in database 1 (empty, and emptied again after): the used_memory it
# adds, its keys, values and TTLs and its share of that database's key
# tables (grown as they are in the service's database 0, where a delta
# would also catch a table of earlier keys doubling). Then the MEMORY USAGE
# of a sample of 200 in database 0 (the values and their keys' entries).
load_part() {
	local part=$1 n=$2 m0 m1 t0 g args
	[ "$n" -gt 0 ] || return 0
	args=("phoneauth:" "$(now_ms)" $((PHONEAUTH_SESSION_TTL * 1000)) 120000 3600000 3600000)
	g=$(now_ms)
	python3 bench/load.py redis "$part" "$n" "${args[@]}" > "$res/resp-$part"
	g=$(($(now_ms) - g))	# (the time to make it counts in the load's)
	redis -n 1 FLUSHDB SYNC >/dev/null
	m0=$(used_memory)
	redis -n 1 --pipe < "$res/resp-$part" > "$res/pipe1-$part.log" 2>&1 ||
		{ cat "$res/pipe1-$part.log" >&2; return 1; }
	sleep 1	# (the incremental rehashing of the key tables done)
	m1=$(used_memory)
	redis -n 1 DBSIZE >> "$res/part-keys"
	redis -n 1 FLUSHDB SYNC >/dev/null
	t0=$(now_ms)
	redis --pipe < "$res/resp-$part" > "$res/pipe-$part.log" 2>&1 ||
		{ cat "$res/pipe-$part.log" >&2; return 1; }
	echo $(($(now_ms) - t0 + g)) >> "$res/pipe-times"
	grep -q 'errors: 0,' "$res/pipe-$part.log" || { cat "$res/pipe-$part.log" >&2; return 1; }
	rm -f "$res/resp-$part"
	# MEMORY USAGE of every key the first 200 make (a line of keys each), in
	# one redis-cli: their sum over the items
	python3 bench/load.py sample "$part" "$n" "${args[@]}" 200 > "$res/sample-$part"
	tr ' ' '\n' < "$res/sample-$part" | sed 's/^/MEMORY USAGE /; s/$/ SAMPLES 0/' | redis > "$res/usage-$part"
	echo "$part $n $((m1 - m0)) $(awk -v n="$(wc -l < "$res/sample-$part")" \
		'{ s += $1 } END { printf "%.0f", s / n }' "$res/usage-$part")" >> "$res/memory"
}

load_data() {
	local t0 login_sessions otp_sessions m0 k0 k1
	# The accounts: COPY, then the statistics and the visibility map a
	# table of that age would have (autovacuum's work, done at once).
	if [ "$users" -gt 0 ]; then
		echo "bench: loading $users accounts into PostgreSQL (COPY)..." >&2
		t0=$(now_ms)
		python3 bench/load.py users "$users" "$iterations" "$password" |
			psql_app "COPY users ($(python3 bench/load.py columns)) FROM STDIN"
		[ "${PIPESTATUS[0]}" = 0 ] || { echo "bench: bench/load.py users failed" >&2; return 1; }
		psql_app "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))" >/dev/null
		echo "COPY of the users|$(since "$t0")" >> "$res/load"
		t0=$(now_ms)
		psql_app "VACUUM (ANALYZE) users"
		echo "VACUUM (ANALYZE)|$(since "$t0")" >> "$res/load"
		# The index of numbers with an account, as after SQL by hand.
		echo "bench: rebuilding the account index (phoneauth reindex)..." >&2
		m0=$(used_memory)
		t0=$(now_ms)
		"$APP_BIN" -c "$STATE_DIR/phoneauth.conf" reindex > "$res/reindex.log" 2>&1 ||
			{ cat "$res/reindex.log" >&2; return 1; }
		echo "phoneauth reindex|$(since "$t0")" >> "$res/load"
		echo "account-index $users $(($(used_memory) - m0)) -" >> "$res/memory"
		psql_app "SELECT pg_relation_size('users'), pg_indexes_size('users'),
			pg_total_relation_size('users'), count(*) FROM users" | tr '|' ' ' > "$res/pg-size"
	fi
	# The live state: a quarter of the sessions are logins of loaded
	# accounts (at the password step), the rest sign-ups waiting for a code.
	login_sessions=$((sessions / 4))
	[ "$login_sessions" -le "$users" ] || login_sessions=$users
	otp_sessions=$((sessions - login_sessions))
	echo "$login_sessions" > "$res/login-sessions"
	if [ "$sessions" -gt 0 ] || [ "$blocks" -gt 0 ]; then
		echo "bench: loading $sessions sessions and $blocks blocks into Redis (redis-cli --pipe)..." >&2
		m0=$(used_memory)
		k0=$(redis DBSIZE)
		load_part otp-sessions "$otp_sessions"
		load_part otp-numbers "$otp_sessions"
		load_part clients "$otp_sessions"
		load_part login-sessions "$login_sessions"
		load_part blocks "$blocks"
		load_part number-blocks $((blocks / 10))
		echo "$m0 $(used_memory)" > "$res/live-memory"
		# no part overwrote another's keys
		k1=$(awk '{ s += $1 } END { print s }' "$res/part-keys")
		[ $(($(redis DBSIZE) - k0)) = "$k1" ] ||
			echo "bench: warning: the parts of the live state made $k1 keys alone, $(($(redis DBSIZE) - k0)) together" >&2
		awk '{ s += $1 } END { printf "Redis, redis-cli --pipe|%.1f\n", s / 1000 }' "$res/pipe-times" >> "$res/load"
	fi
}

# The loaded keys against keys real requests make (a sign-up of a new
# number, a register of the bench account), kind by kind: type, encoding,
# whether it has a TTL, a hash's fields. Leaves "same" or the differences
# in $res/shape.
describe() { # KEY -> "kind type encoding ttl fields"
	local kind t e ttl f=""
	kind=$(printf '%s' "$1" | sed -E 's/^phoneauth:((f|b):(ip|ph)|[a-z]+):.*/\1/')
	t=$(redis TYPE "$1" | tr -d '\r')
	e=$(redis OBJECT ENCODING "$1" | tr -d '\r')
	ttl=$(redis PTTL "$1" | awk '{ print ($1 > 0 ? "ttl" : "no-ttl") }')
	[ "$t" != hash ] || f=$(redis HKEYS "$1" | sort | tr '\n' ',')
	echo "$kind $t $e $ttl $f"
}
shape_check() {
	local sid real real_login loaded k line diff=""
	sid=$(curl -s "$api/register" -H 'Content-Type: application/json' -d '{"mobile_number":"09990000001"}' |
		sed 's/.*"session_id":"\([^"]*\)".*/\1/')
	real=$(for k in "phoneauth:s:$sid" phoneauth:cd:09990000001 phoneauth:oh:09990000001 phoneauth:oi:127.0.0.1; do
		describe "$k"; done)
	sid=$(curl -s "$api/register" -H 'Content-Type: application/json' -d "{\"mobile_number\":\"$phone\"}" |
		sed 's/.*"session_id":"\([^"]*\)".*/\1/')
	real_login=$(describe "phoneauth:s:$sid"; describe "phoneauth:u:$phone")
	for part in otp-sessions otp-numbers clients login-sessions; do
		[ -f "$res/sample-$part" ] || continue
		for k in $(head -n 1 "$res/sample-$part"); do
			loaded=$(describe "$k")
			case $part in login-sessions) line=$(echo "$real_login" | awk -v k="${loaded%% *}" '$1 == k') ;;
			*) line=$(echo "$real" | awk -v k="${loaded%% *}" '$1 == k') ;; esac
			[ -z "$line" ] || [ "$line" = "$loaded" ] || diff="$diff; loaded $loaded, real $line"
		done
	done
	diff=${diff#; }
	echo "${diff:-same}" > "$res/shape"
}

# ---- one pass: a fresh stack, the load, every scenario ----

# pass NAME LOADED: leaves its results in $work/NAME/
pass() {
	local name=$1 loaded=$2 sid code
	res=$work/$name
	mkdir -p "$res/sids"
	stop_stack
	remove_stack_state
	echo "bench: [$name] starting the stack ($WORKERS workers, $(nproc) cores)..." >&2
	scripts/stack.sh start >/dev/null
	[ "$loaded" = 0 ] || load_data

	# An account with a password, through the real flow.
	sid=$(curl -s "$api/register" -H 'Content-Type: application/json' -d "{\"mobile_number\":\"$phone\"}" |
		sed 's/.*"session_id":"\([^"]*\)".*/\1/')
	code=
	for _ in $(seq 1 50); do
		code=$(redis XREVRANGE phoneauth:sms + - COUNT 1 | sed -n '/^code$/{n;p;q}')
		[ -n "$code" ] && break
		sleep 0.1
	done
	curl -sf -o /dev/null "$api/verify-otp" -H 'Content-Type: application/json' -d "{\"session_id\":\"$sid\",\"code\":\"$code\"}"
	curl -sf -o /dev/null "$api/set-password" -H 'Content-Type: application/json' -d "{\"session_id\":\"$sid\",\"password\":\"$password\"}"
	curl -sf -o /dev/null "$api/user-info" -H 'Content-Type: application/json' -d "{\"session_id\":\"$sid\",\"first_name\":\"Bench\",\"last_name\":\"Mark\"}"

	[ "$loaded" = 0 ] || shape_check
	load_totp_users

	echo "bench: [$name] ceiling, register (existing, new), verify-otp, login (wrong, right, with TOTP), refresh, mixed..." >&2
	run_wrk ceiling "$conns" "http://127.0.0.1:$ceiling_port/api/register" bench/post.lua \
		BODY="{\"mobile_number\":\"$phone\"}"
	run_wrk register_existing "$conns" "$api/register" bench/post.lua BODY="{\"mobile_number\":\"$phone\"}"
	if [ "$users" -gt 0 ] && [ "$loaded" = 1 ]; then
		run_wrk register_cold "$conns" "$api/register" bench/register_cold.lua \
			USERS="$users" FIRST="$(cat "$res/login-sessions")" THREADS="$threads"
	fi
	# new numbers: another range in each pass (bench/register_new.lua)
	run_wrk register_new "$conns" "$api/register" bench/register_new.lua SIDS_DIR="$res/sids" RUN="$((loaded + 1))"
	run_wrk verify_wrong "$conns" "$api/verify-otp" bench/verify_wrong.lua SIDS_DIR="$res/sids"
	pbkdf2 > "$res/pbkdf2_wrong"
	run_wrk login_wrong "$conns" "$api/login" bench/post.lua \
		BODY="{\"mobile_number\":\"$phone\",\"password\":\"not the password\"}"
	pbkdf2 > "$res/pbkdf2_right"
	run_wrk login_right "$conns" "$api/login" bench/post.lua \
		BODY="{\"mobile_number\":\"$phone\",\"password\":\"$password\"}"
	if [ "$events_ab" != 0 ]; then
		echo "bench: [$name] register and login again, the event outputs on..." >&2
		events_on
		run_wrk register_existing_events "$conns" "$api/register" bench/post.lua BODY="{\"mobile_number\":\"$phone\"}"
		pbkdf2 > "$res/pbkdf2_right_events"
		run_wrk login_right_events "$conns" "$api/login" bench/post.lua \
			BODY="{\"mobile_number\":\"$phone\",\"password\":\"$password\"}"
		events_off
	fi
	# login with TOTP: login, then verify-mfa, on one connection a thread
	# (bench/login_totp.lua); the codes of the next 20 minutes
	pbkdf2 > "$res/pbkdf2_totp"
	/usr/bin/python3 bench/load.py totp-codes "$totp_secret" $(($(date +%s) / 30 - 1)) 40 > "$res/totp-codes"
	threads=$login_conns run_wrk login_totp "$login_conns" "$api/login" bench/login_totp.lua \
		CODES="$res/totp-codes" TOTP_USERS="$totp_users" THREADS="$login_conns" PASSWORD="$password"
	# token/refresh: rotations chained on each connection (bench/refresh.lua)
	# from the refresh tokens of logins made now, a set for the warm-up and
	# one for the run
	refresh_tokens "$res/tokens.warm"
	refresh_tokens "$res/tokens.run"
	run_wrk refresh "$conns" "$api/token/refresh" bench/refresh.lua TOKENS="$res/tokens" THREADS="$threads"
	# passkeys/login: sign-ins prepared beforehand (a challenge is good
	# once), each sent once (bench/passkey.py, bench/passkey_login.lua)
	passkey_logins "$res/passkey"
	run_wrk passkey_login "$conns" "$api/passkeys/login" bench/passkey_login.lua \
		BODIES="$res/passkey" THREADS="$threads"
	pbkdf2 > "$res/pbkdf2_mixed"
	settle
	# mixed: register-existing at full load while logins run alongside
	BODY="{\"mobile_number\":\"$phone\",\"password\":\"$password\"}" \
		wrk -t 1 -c "$login_conns" -d "$((secs + 2))s" --timeout 10s --latency -s bench/post.lua "$api/login" \
		> "$res/mixed_login.out" 2>&1 &
	login_pid=$!
	sleep 1
	BODY="{\"mobile_number\":\"$phone\"}" wrk -t "$threads" -c "$conns" -d "${secs}s" --timeout 10s --latency \
		-s bench/post.lua "$api/register" > "$res/mixed_register.out" 2>&1
	wait "$login_pid" || true
	login_pid=

	# What a worker costs the machine: RSS, and its private pages (most of
	# its RSS is shared library code mapped by every worker once).
	local workers
	workers=$(pgrep -P "$(cat "$STATE_DIR/run/pool.pid")")
	for p in $workers; do awk '/^VmRSS/ {printf "%.1f ", $2 / 1024}' "/proc/$p/status"; done > "$res/rss"
	for p in $workers; do
		awk '/^Private_(Clean|Dirty)/ {s += $2} END {printf "%.1f ", s / 1024}' "/proc/$p/smaps_rollup"
	done > "$res/private"
	# The metrics were counted all along (GET metrics, from 127.0.0.1).
	curl -s "$api/metrics" | awk '/^phoneauth_requests_total/ { r += $NF } /^phoneauth_sms_sent_total/ { c += $NF }
		END { printf "%.0f requests, %.0f codes sent", r, c }' > "$res/metrics"
	# Redis calls over slowlog-log-slower-than (10 ms), kept for a look
	redis SLOWLOG LEN | tr -d '\r' > "$res/slowlog-len"
	redis SLOWLOG GET 20 > "$out_dir/slowlog-$name.txt" 2>&1 || true
	stop_stack
}

# The accounts with TOTP on for login_totp (bench/load.py totp-users,
# totp-mfa): COPY into users and user_mfa, the secret sealed under the
# stack's data key.
load_totp_users() {
	/usr/bin/python3 bench/load.py totp-users "$totp_users" "$iterations" "$password" |
		psql_app "COPY users ($(python3 bench/load.py columns)) FROM STDIN"
	/usr/bin/python3 bench/load.py totp-mfa "$totp_users" "$STATE_DIR/data.key" "$totp_secret" |
		psql_app "COPY user_mfa (user_id, totp_secret) FROM STDIN"
}

# passkey_logins BASE: BASE.warm and BASE.run, the bodies of sign-ins with
# a passkey of the bench account (a fifth of BENCH_PASSKEY_LOGINS for the
# warm-up), their challenges loaded into Redis. Made at about 1,500 a second
# a core: the scenario's rate is reported only while they last (a thread
# that runs out sends empty bodies: Non-2xx).
passkey_logins() {
	local part n
	for part in warm run; do
		n=$passkey_n
		[ "$part" = run ] || n=$((passkey_n / 5))
		/usr/bin/python3 bench/passkey.py "$api" "$phone" "$password" localhost "http://localhost:$HTTP_PORT" \
			phoneauth: "$PHONEAUTH_SESSION_TTL" "$n" "$1.$part" ||
			{ echo "bench: bench/passkey.py failed" >&2; return 1; }
		redis --pipe < "$1.$part.resp" > "$1.$part.pipe.log" 2>&1 ||
			{ echo "bench: loading the passkey challenges failed" >&2; return 1; }
	done
}

# refresh_tokens FILE: the refresh tokens of logins (four at a time), one a
# line: one for each connection, and two spare for each thread (wrk builds
# a request it never sends as a thread starts)
refresh_tokens() {
	seq 1 $((conns + 2 * threads)) | xargs -P 4 -I{} curl -s "$api/login" -H 'Content-Type: application/json' \
		-d "{\"mobile_number\":\"$phone\",\"password\":\"$password\"}" |
		grep -o '"refresh_token":"[^"]*"' | cut -d'"' -f4 > "$1"
	[ "$(wc -l < "$1")" -ge "$conns" ] || { echo "bench: only $(wc -l < "$1") logins gave a refresh token" >&2; return 1; }
}

# The stack's PostgreSQL cluster may live outside var/ (stack.sh: under
# /var/tmp when postgres cannot reach var/ as root): removed with the rest.
remove_stack_state() {
	local pg
	if [ -L "$STATE_DIR/pg" ]; then
		pg=$(realpath -m "$STATE_DIR/pg")
		case $pg in /var/tmp/phoneauth-pg-*) rm -rf "$pg" ;; esac
	fi
	rm -rf "$STATE_DIR"
}

# ---- the report ----

# field PASS NAME: "rps p50 p99 reqs non2xx" of a scenario, or nothing
field() {
	local out=$work/$1/$2.out
	[ -f "$out" ] || return 0
	awk -v f="$3" '
		/^Requests\/sec:/ { rps = $2 }
		$1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
		/requests in/ { reqs = $1 }
		/Non-2xx/ { non = $NF }
		END { v["rps"] = rps; v["p50"] = p50; v["p99"] = p99; v["reqs"] = reqs; v["non2xx"] = non + 0
		      print v[f] }' "$out"
}

# ratio PASS NAME: req/s against the pass's ceiling, or against its raw
# PBKDF2 for the logins ("0.92 × PBKDF2")
ratio() {
	local base label=""
	case $2 in
	login_wrong) base=$(cat "$work/$1/pbkdf2_wrong"); label=" × PBKDF2" ;;
	login_right) base=$(cat "$work/$1/pbkdf2_right"); label=" × PBKDF2" ;;
	login_right_events) base=$(cat "$work/$1/pbkdf2_right_events"); label=" × PBKDF2" ;;
	login_totp) # two requests a sign-in: sign-ins/s against PBKDF2
		base=$(awk -v b="$(cat "$work/$1/pbkdf2_totp")" 'BEGIN { print b * 2 }'); label=" × PBKDF2" ;;
	mixed_login) base=$(cat "$work/$1/pbkdf2_mixed"); label=" × PBKDF2" ;;
	*) base=$(field "$1" ceiling rps) ;;
	esac
	awk -v a="$(field "$1" "$2" rps)" -v b="$base" -v l="$label" \
		'BEGIN { if (a != "" && b > 0) printf "%.2f%s", a / b, l; else print "-" }'
}

scenarios="ceiling register_existing register_cold register_new verify_wrong login_wrong login_right register_existing_events login_right_events login_totp refresh passkey_login mixed_register mixed_login"
label() {
	case $1 in
	ceiling) echo "ceiling (minimal FastCGI responder)" ;;
	register_existing) echo "register, existing account" ;;
	register_cold) echo "register, loaded accounts, not cached (loaded only)" ;;
	register_new) echo "register, new numbers" ;;
	verify_wrong) echo "verify-otp, wrong code, fresh sessions" ;;
	login_wrong) echo "login by number, wrong password" ;;
	login_right) echo "login, right password" ;;
	register_existing_events) echo "register, existing account, event outputs on" ;;
	login_right_events) echo "login, right password, event outputs on" ;;
	login_totp) echo "login with TOTP (login + verify-mfa; × PBKDF2 per sign-in)" ;;
	refresh) echo "token/refresh, a rotation each" ;;
	passkey_login) echo "passkeys/login, ES256, a prepared sign-in each" ;;
	mixed_register) echo "mixed: register-existing, with logins alongside" ;;
	mixed_login) echo "mixed: the logins alongside" ;;
	esac
}
short() {
	case $1 in
	ceiling) echo "ceiling" ;; register_existing) echo "register existing" ;;
	register_cold) echo "register cold" ;; register_new) echo "register new" ;;
	verify_wrong) echo "verify-otp wrong" ;; login_wrong) echo "login wrong" ;;
	login_right) echo "login right" ;; login_totp) echo "login + TOTP" ;; refresh) echo "refresh" ;;
	register_existing_events) echo "register existing, events on" ;;
	login_right_events) echo "login right, events on" ;;
	passkey_login) echo "passkey login" ;; mixed_register) echo "mixed: register" ;;
	mixed_login) echo "mixed: logins" ;;
	esac
}

# table PASS: the detailed table of one pass
table() {
	local r1 r0 q1 q0 rt pt reqs p
	echo "| scenario | req/s | p50 | p99 | × ceiling | Redis/req | PG/req | non-2xx |"
	echo "|---|---|---|---|---|---|---|---|"
	for s in $scenarios; do
		[ -f "$work/$1/$s.out" ] || continue
		reqs=$(field "$1" "$s" reqs)
		rt=-; pt=-
		if [ -f "$work/$1/$s.trips" ]; then
			read -r r1 r0 q1 q0 < "$work/$1/$s.trips"
			rt=$(awk -v d=$((r1 - r0)) -v n="$reqs" 'BEGIN { if (n > 0) printf "%.2f", d / n; else print "-" }')
			pt=$(awk -v d=$((q1 - q0)) -v n="$reqs" 'BEGIN { if (n > 0) printf "%.2f", d / n; else print "-" }')
		fi
		printf '| %s | %.0f | %s ms | %s ms | %s | %s | %s | %s |\n' "$(label "$s")" \
			"$(field "$1" "$s" rps)" "$(to_ms "$(field "$1" "$s" p50)")" \
			"$(to_ms "$(field "$1" "$s" p99)")" "$(ratio "$1" "$s")" "$rt" "$pt" "$(field "$1" "$s" non2xx)"
	done
}

# events_ab PASS: register and login with the event outputs off and on,
# side by side; "on / off" compares their ratios (to the ceiling, measured
# once a pass; to the raw PBKDF2 rate measured before each login scenario).
events_table() {
	local s on a b
	echo "| scenario | req/s off | req/s on | p99 off | p99 on | × off | × on | on / off |"
	echo "|---|---|---|---|---|---|---|---|"
	for s in register_existing login_right; do
		on=${s}_events
		if [ ! -f "$work/$1/$s.out" ] || [ ! -f "$work/$1/$on.out" ]; then continue; fi
		a=$(ratio "$1" "$s"); b=$(ratio "$1" "$on")
		printf '| %s | %.0f | %.0f | %s | %s | %s | %s | %s |\n' "$(label "$s")" \
			"$(field "$1" "$s" rps)" "$(field "$1" "$on" rps)" "$(p99_or_dash "$1" "$s")" \
			"$(p99_or_dash "$1" "$on")" "$a" "$b" \
			"$(awk -v a="${a%% *}" -v b="${b%% *}" 'BEGIN { if (a > 0) printf "%.3f (%+.1f%%)", b / a, (b / a - 1) * 100; else print "-" }')"
	done
}

# The two passes side by side.
comparison() {
	local e l re rl
	echo "| scenario | req/s empty | req/s loaded | loaded / empty | p99 empty | p99 loaded | × empty | × loaded |"
	echo "|---|---|---|---|---|---|---|---|"
	for s in $scenarios; do
		[ -f "$work/empty/$s.out" ] || [ -f "$work/loaded/$s.out" ] || continue
		e=$(field empty "$s" rps); l=$(field loaded "$s" rps)
		re=-; rl=-
		[ -z "$e" ] || re=$(printf '%.0f' "$e")
		[ -z "$l" ] || rl=$(printf '%.0f' "$l")
		printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(label "$s")" "$re" "$rl" \
			"$(awk -v a="$l" -v b="$e" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "-" }')" \
			"$(p99_or_dash empty "$s")" "$(p99_or_dash loaded "$s")" "$(ratio empty "$s")" "$(ratio loaded "$s")"
	done
}
p99_or_dash() {
	local v
	v=$(field "$1" "$2" p99)
	if [ -n "$v" ]; then echo "$(to_ms "$v") ms"; else echo -; fi
}

# bench.dat: one line a scenario, for gnuplot (and anyone): "-" where a pass
# has no figure.
dat() {
	echo "# scenario  label  rps_empty rps_loaded p99_ms_empty p99_ms_loaded"
	for s in $scenarios; do
		[ -f "$work/empty/$s.out" ] || [ -f "$work/loaded/$s.out" ] || continue
		printf '%s "%s"' "$s" "$(short "$s")"
		for p in empty loaded; do
			v=$(field "$p" "$s" rps); printf ' %s' "${v:--}"
		done
		for p in empty loaded; do
			v=$(field "$p" "$s" p99); if [ -n "$v" ]; then printf ' %s' "$(to_ms "$v")"; else printf ' -'; fi
		done
		echo
	done
}

# chart TITLE: bench.png from bench.dat, two panels (req/s, p99), a bar for
# each pass, its value over it. In a clustered histogram of n series with a
# gap of 1, series j (from 0) of cluster x is centred on x + (j - (n - 1) / 2) / (n + 1).
chart() {
	local n=1 e="" l=""
	[ -d "$work/loaded" ] && n=2
	# a value as its label: whole numbers from 100 up, three digits below
	fmt() { printf 'sprintf($%s >= 100 ? "%%.0f" : "%%.3g", $%s)' "$1" "$1"; }
	series() { # COLUMN: the bars of both passes (COLUMN, COLUMN + 1) and their labels
		local c=$1 off
		off=$(awk -v n=$n 'BEGIN { printf "%.4f", -(n - 1) / 2 / (n + 1) }')
		printf '"%s" using %s:xtic(2) title "empty" lc rgb "#4477aa"' "$out_dir/bench.dat" "$c"
		[ $n = 1 ] || printf ', "" using %s title "%s" lc rgb "#ee6677"' $((c + 1)) "$loaded_label"
		# shellcheck disable=SC2016 # ($0 is gnuplot's)
		printf ', "" using ($0 + %s):%s:(%s) with labels rotate by 90 left offset 0,0.4 font ",8" notitle' \
			"$off" "$c" "$(fmt "$c")"
		# shellcheck disable=SC2016
		[ $n = 1 ] || printf ', "" using ($0 + %s):%s:(%s) with labels rotate by 90 left offset 0,0.4 font ",8" notitle' \
			"$(awk -v o="$off" 'BEGIN { printf "%.4f", -o }')" $((c + 1)) "$(fmt $((c + 1)))"
	}
	gnuplot <<-EOF
	set terminal pngcairo size 1100,900 font "sans,10"
	set output "$out_dir/bench.png"
	set datafile missing "-"
	set style data histogram
	set style histogram clustered gap 1
	set style fill solid 0.85 border -1
	set boxwidth 0.9
	set logscale y
	set grid ytics mytics
	unset key
	set xtics rotate by 25 right nomirror
	set autoscale yfix
	set yrange [1:*]
	set offsets 0, 0, graph 0.3, 0
	set multiplot layout 2,1 title "$1"
	set title "throughput (req/s, log scale; higher is better)"
	set ylabel "req/s"
	plot $(series 3)
	set title "p99 latency (ms, log scale; lower is better)"
	set key inside top left horizontal box opaque
	set ylabel "ms"
	plot $(series 5)
	unset multiplot
	EOF
}

trap cleanup EXIT
trap 'exit 130' INT TERM HUP
# Whatever an earlier run left (it was killed, say): its processes, by the
# pid files under var/bench (also those of the layout before var/bench/stack).
stop_ceiling
STATE_DIR=$bench_dir scripts/stack.sh stop >/dev/null 2>&1 || true
stop_stack
remove_state
mkdir -p "$bench_dir" "$out_dir"
start_ceiling

loaded_label="$users users, $sessions sessions"
pass empty 0
if [ "$users" -gt 0 ] || [ "$sessions" -gt 0 ] || [ "${BENCH_BLOCKS:-0}" -gt 0 ]; then
	pass loaded 1
fi
stop_ceiling

{
	echo "phoneauth benchmark: $(nproc) cores, $WORKERS workers, wrk $threads threads / $conns connections, ${secs} s per scenario after ${warm} s warm-up"
	echo
	if [ -d "$work/loaded" ]; then
		echo "Empty, and loaded ($users accounts in PostgreSQL; $sessions live sessions and $blocks blocked addresses in Redis); each on a fresh stack, each ratio against its own pass's ceiling or raw PBKDF2:"
		echo
		comparison
		echo
		echo "Empty:"
		echo
	fi
	table empty
	if [ -d "$work/loaded" ]; then
		echo
		echo "Loaded ($loaded_label):"
		echo
		table loaded
	fi
	for p in empty loaded; do
		[ -f "$work/$p/login_right_events.out" ] || continue
		echo
		echo "Event outputs off and on ($p): off, the sender configured with none; on, with the audit file, a webhook to a receiver on loopback (bench/hook.py) and event_command /bin/true, measured right after the off rows:"
		echo
		events_table "$p"
	done
} > "$out_dir/bench.md"

{
	cat "$out_dir/bench.md"
	echo
	for p in empty loaded; do
		[ -d "$work/$p" ] || continue
		echo "[$p] raw PBKDF2-SHA256 at $iterations iterations, all cores (before login wrong, login right, mixed):" \
			"$(cat "$work/$p/pbkdf2_wrong"), $(cat "$work/$p/pbkdf2_right"), $(cat "$work/$p/pbkdf2_mixed") hashes/s"
		echo "[$p] worker RSS after the run (MB):          $(cat "$work/$p/rss")"
		echo "[$p] worker private memory after the run (MB): $(cat "$work/$p/private")"
		echo "[$p] the metrics counted (GET metrics): $(cat "$work/$p/metrics")"
		echo "[$p] Redis SLOWLOG (calls over 10 ms): $(cat "$work/$p/slowlog-len") (the last 20: $out_dir/slowlog-$p.txt)"
		[ ! -f "$work/$p/events-delivered" ] ||
			echo "[$p] event outputs on (raw PBKDF2 before that login: $(cat "$work/$p/pbkdf2_right_events") hashes/s): $(cat "$work/$p/events-delivered")"
	done
	printf 'logins alongside register load (target: at least 0.9 × raw PBKDF2):'
	for p in empty loaded; do
		[ -d "$work/$p" ] && printf ' %s %s;' "$p" "$(ratio "$p" mixed_login)"
	done
	echo
	echo "logins hash at nice +$(sed -n 's/^#define HASHER_NICE //p' include/phoneauth/hasher.h)"
	if [ -f "$work/loaded/load" ]; then
		echo
		awk -F'|' '{ printf "%s%s %.1f s", sep, $1, $2; sep = ", "; s += $2 }
			END { printf "; %.1f s in all\n", s }' "$work/loaded/load" | sed 's/^/bulk load: /'
	fi
	if [ -f "$work/loaded/pg-size" ]; then
		read -r heap idx total rows < "$work/loaded/pg-size"
		awk -v h="$heap" -v i="$idx" -v t="$total" -v n="$rows" 'BEGIN {
			printf "PostgreSQL users: %d rows, %.0f MB in all (pg_total_relation_size): %.0f bytes an account (table %.0f, indexes %.0f)\n",
				n, t / 1048576, t / n, h / n, i / n }'
	fi
	if [ -f "$work/loaded/memory" ]; then
		echo "Redis bytes per item: used_memory added / count, each part loaded alone into"
		echo "an empty database first (keys, values, TTLs and the key tables' share); and"
		echo "MEMORY USAGE of a sample of 200 (keys, values, their main-table entries):"
		awk '{ printf "  %-15s %8d  %6.0f bytes each (used_memory)   %s\n", $1, $2, $3 / $2,
			($4 == "-" ? "" : $4 " (MEMORY USAGE)") }' "$work/loaded/memory"
		awk '
			{ d[$1] = $3 / $2; u[$1] = $4 }
			END {
				if ("otp-sessions" in d)
					printf "  a sign-up session waiting for its code, with its number'\''s and its address'\''s keys: %.0f bytes\n",
						d["otp-sessions"] + d["otp-numbers"] + d["clients"]
				if ("login-sessions" in d)
					printf "  a login session (password step) with its cached account state: %.0f bytes\n", d["login-sessions"]
				if ("blocks" in d)
					printf "  a blocked address (block and failure count): %.0f bytes\n", d["blocks"]
			}' "$work/loaded/memory"
	fi
	if [ -f "$work/loaded/shape" ]; then
		echo "loaded keys against real requests' (type, encoding, TTL, a hash's fields): $(cat "$work/loaded/shape")"
	fi
	if [ -f "$work/loaded/live-memory" ]; then
		read -r m0 m1 < "$work/loaded/live-memory"
		awk -v a="$m0" -v b="$m1" -v n="$sessions" 'BEGIN {
			printf "Redis used_memory: %.1f MB before the live state, %.1f MB after", a / 1048576, b / 1048576
			if (n > 0) printf " (%.0f bytes a session, counters and blocks included)", (b - a) / n
			print "" }'
	fi
	if [ -e "$work/not-idle" ]; then
		echo "NOTE: the machine was not idle before some scenarios (see the warnings above):"
		echo "these figures are lower than an idle machine's."
	fi
	echo "Redis/req counts FCALL calls (one per store operation), the SMS sender's"
	echo "acknowledgements included; PG/req counts PostgreSQL transactions, the audit"
	echo "rows written after the answer included."
} > "$out_dir/bench.txt"

dat > "$out_dir/bench.dat"
if command -v gnuplot >/dev/null 2>&1; then
	chart "phoneauth: $WORKERS workers on $(nproc) cores, $conns connections" ||
		echo "bench: gnuplot failed; no chart" >&2
fi

echo
cat "$out_dir/bench.txt"
echo
echo "written: $out_dir/bench.md (the tables), bench.txt (all of the above), bench.dat, bench.png"
finished=1
