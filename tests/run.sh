#!/bin/bash
# tests/run.sh — what `make test` runs once the sanitizer builds exist:
# the unit test binaries, then a private stack (Redis, PostgreSQL, ASan+UBSan
# workers, lighttpd) under var/test on its own ports, every end-to-end test
# through it, and checks that no worker died and no sanitizer said anything.
# Every test prints "PASS name" or "FAIL name: why"; the last line is the count.
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export STATE_DIR=$repo/var/test
export HTTP_PORT=${TEST_HTTP_PORT:-28080}
export REDIS_PORT=${TEST_REDIS_PORT:-26379}
export PG_PORT=${TEST_PG_PORT:-25432}
export WORKERS=2
export APP_BIN=$repo/build/asan/phoneauth
export QUIET=1

results=$(mktemp)
trap 'rm -f "$results"' EXIT

# Runs one test program with a time limit; its PASS/FAIL lines are kept, and
# a program that dies or hangs is a failure of its own.
run_test() {
	local name=$1 limit=$2 out rc
	shift 2
	out=$(mktemp)
	echo "== $name"
	timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	cat "$out" >> "$results"
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
		echo "FAIL $name: exited with status $rc" | tee -a "$results"
	fi
	rm -f "$out"
}

# ---- unit tests ----
for t in build/asan/tests/unit/test_*; do
	[ -x "$t" ] && run_test "$(basename "$t")" 120 "$t"
done

# ---- the stack ----
# The test configuration: the contract's defaults except where waiting would
# make the suite slow. Environment variables override the generated file.
export PHONEAUTH_OTP_COOLDOWN=2
export PHONEAUTH_PBKDF2_ITERATIONS=100000

# A previous run that was cut short may have left its stack running.
scripts/stack.sh stop >/dev/null 2>&1 || true
rm -rf "$STATE_DIR"
mkdir -p "$STATE_DIR/asan"
export ASAN_OPTIONS="log_path=$STATE_DIR/asan/asan:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="log_path=$STATE_DIR/asan/ubsan:print_stacktrace=1:halt_on_error=1"
[ -f tests/lsan.supp ] && export LSAN_OPTIONS="suppressions=$repo/tests/lsan.supp:print_suppressions=0"

stack_up=0
teardown() {
	[ "$stack_up" = 1 ] && scripts/stack.sh stop >/dev/null 2>&1
	stack_up=0
}
trap 'teardown; rm -f "$results"' EXIT
trap 'exit 130' INT TERM

if ! scripts/stack.sh start; then
	echo "FAIL stack_started: see $STATE_DIR/log" | tee -a "$results"
else
	stack_up=1
	echo "PASS stack_started" | tee -a "$results"
	workers_before=$(pgrep -P "$(cat "$STATE_DIR/run/pool.pid")" | sort | tr '\n' ' ')

	export PA_BASE_URL=http://127.0.0.1:$HTTP_PORT/api
	export PA_HTTP_PORT=$HTTP_PORT
	export PA_REDIS_HOST=127.0.0.1 PA_REDIS_PORT=$REDIS_PORT
	export PA_REDIS_PASSWORD=$(cat "$STATE_DIR/redis.pass")
	export PA_REDIS_PREFIX=phoneauth:
	export PA_PG_URL=postgresql://phoneauth:$(cat "$STATE_DIR/pg.pass")@127.0.0.1:$PG_PORT/phoneauth
	export PA_CONF=$STATE_DIR/phoneauth.conf
	export PA_STATE_DIR=$STATE_DIR PA_STACK=$repo/scripts/stack.sh
	export PA_APP_BIN=$APP_BIN PA_REPO=$repo

	for t in tests/e2e/test_*.py; do
		[ -f "$t" ] && run_test "$(basename "$t")" 300 /usr/bin/python3 "$t"
	done

	# A worker that died during the tests crashed on some input: the pool
	# (multiwatch) would have replaced it, so compare the pids.
	workers_after=$(pgrep -P "$(cat "$STATE_DIR/run/pool.pid")" | sort | tr '\n' ' ')
	if [ "$workers_before" = "$workers_after" ]; then
		echo "PASS workers_survived" | tee -a "$results"
	else
		echo "FAIL workers_survived: workers were [$workers_before], now [$workers_after]" | tee -a "$results"
	fi
	teardown

	# Leak reports are written when the workers exit, so look after the stop.
	reports=$(find "$STATE_DIR/asan" -type f -size +0 2>/dev/null)
	if [ -z "$reports" ] && ! grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' \
		"$STATE_DIR/log/phoneauth.log"; then
		echo "PASS no_sanitizer_reports" | tee -a "$results"
	else
		echo "FAIL no_sanitizer_reports: see below" | tee -a "$results"
		for f in $reports; do echo "--- $f"; head -n 60 "$f"; done
		grep -E -A20 'runtime error|AddressSanitizer|LeakSanitizer' "$STATE_DIR/log/phoneauth.log" | head -n 60
	fi
fi

passed=$(grep -c '^PASS ' "$results")
failed=$(grep -c '^FAIL ' "$results")
if [ "$failed" -gt 0 ]; then
	echo
	echo "Failures:"
	grep '^FAIL ' "$results"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
