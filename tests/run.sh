#!/bin/bash
# tests/run.sh — what `make test` runs once the sanitizer builds exist
# (build/asan/phoneauth and build/asan/tests/unit/test_*):
#   1. every unit test binary, every fuzz target over its seeds and
#      crashers (build/asan/tests/fuzz/fuzz_replay_*, tests/fuzz/), the
#      tests of scripts/ (tests/scripts/test_*.sh: scratch directories, no
#      daemon), and Spectral on openapi/openapi.json (tests/openapi_lint.sh);
#   2. a private stack (Redis, PostgreSQL, ASan+UBSan workers, lighttpd) under
#      var/test on its own ports, and every tests/e2e/test_*.py through it;
#   3. checks that no worker died and that no sanitizer reported anything.
# Every test prints "PASS name" or "FAIL name: why"; the last line is the
# count of tests, "N passed, M failed". The checks of the run itself (the
# stack started, the workers survived, no sanitizer spoke) are no tests:
# they print "CHECK ok name" or "CHECK FAILED name: why", are not counted,
# and a failed one fails the run like a failed test (it is listed under
# Failures). The exit status is 0 only when no test and no check failed.
#
# Ports (environment): TEST_HTTP_PORT (28080), TEST_REDIS_PORT (26379),
# TEST_PG_PORT (25432); TEST_TIMEOUT (300 s per test program); TEST_E2E
# (the end-to-end files to run, all by default).
set -u

repo=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$repo" || exit 1

# Debian installs lighttpd, apache2 and nginx in /usr/sbin, which is not on
# an ordinary user's PATH; the tests start them by name.
for d in /usr/sbin /sbin; do
	case ":$PATH:" in *":$d:"*) ;; *) PATH=$PATH:$d ;; esac
done
export PATH

# ---- the test configuration ----
# The contract's defaults, except where waiting would make the suite slow.
# These reach the workers as configuration overrides (and the tests read
# them back, so they know what the service was told).
export PHONEAUTH_OTP_COOLDOWN=0     # the tests about the cooldown run pools of their own
export PHONEAUTH_PBKDF2_ITERATIONS=100000

# The stack (scripts/stack.sh reads these).
export STATE_DIR=$repo/var/test
export HTTP_PORT=${TEST_HTTP_PORT:-28080}
export REDIS_PORT=${TEST_REDIS_PORT:-26379}
export PG_PORT=${TEST_PG_PORT:-25432}
export WORKERS=2
export REDIS_MAXMEMORY=128mb
export APP_BIN=$repo/build/asan/phoneauth
export QUIET=1
limit=${TEST_TIMEOUT:-300}
stack=$repo/scripts/stack.sh

results=$(mktemp)
out=$(mktemp)
current=        # pid of the test program running now (its `timeout`)
stack_started=0

# Always leave nothing running: on success, failure, Ctrl-C or kill.
teardown() {
	if [ -n "$current" ]; then
		kill -TERM "$current" 2>/dev/null
		wait "$current" 2>/dev/null
		current=
	fi
	if [ "$stack_started" = 1 ]; then
		"$stack" stop >/dev/null 2>&1
		stack_started=0
	fi
}
trap 'teardown; rm -f "$results" "$out"' EXIT
trap 'echo "tests/run.sh: interrupted" >&2; exit 130' INT TERM

# shellcheck source=tests/lib.sh
. "$repo/tests/lib.sh"

# ---- 1. unit tests ----
for t in build/asan/tests/unit/test_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	run_test "$(basename "$t")" "$t"
done
# The fuzz targets replay their seed corpus and every crasher ever kept.
for t in build/asan/tests/fuzz/fuzz_replay_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	name=${t##*/fuzz_replay_}
	run_test "$(basename "$t")" "$t" "tests/fuzz/corpus/$name" "tests/fuzz/crashers/$name"
done
for t in tests/scripts/test_*.sh; do
	[ -f "$t" ] || continue
	run_test "$(basename "$t")" /bin/bash "$t"
done
# The OpenAPI description lints clean under Spectral (its npm package is
# installed once, in the user's cache: tests/node/ensure.sh).
run_test openapi_lints_clean tests/openapi_lint.sh
# The webhooks webhook.c signs, verified by the receivers' own npm package.
run_test node_standardwebhooks tests/node/test_webhook.sh build/asan/tests/unit/test_webhook

# ---- 2. the stack ----
# A previous run that was cut short may have left its stack running: stop
# it by its pid files, then start from nothing.
"$stack" stop >/dev/null 2>&1
if [ -L "$STATE_DIR/pg" ]; then
	rm -rf "$(readlink -f "$STATE_DIR/pg")"
fi
rm -rf "$STATE_DIR"
mkdir -p "$STATE_DIR/asan"

# Sanitizer reports go to files (one per process) in $STATE_DIR/asan; leaks
# are reported when a worker exits, i.e. at the stop below.
export ASAN_OPTIONS="log_path=$STATE_DIR/asan/asan:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="log_path=$STATE_DIR/asan/ubsan:print_stacktrace=1:halt_on_error=1"
if [ -f tests/lsan.supp ]; then
	export LSAN_OPTIONS="suppressions=$repo/tests/lsan.supp:print_suppressions=0"
fi

echo "== stack"
stack_started=1        # from here on, teardown stops whatever did start
# TEST_E2E: the end-to-end test files to run (all of tests/e2e/ unless set)
e2e_tests=${TEST_E2E:-$(printf '%s\n' tests/e2e/test_*.py | LC_ALL=C sort)}
if ! "$stack" start; then
	check_failed stack_started "see the lines above and $STATE_DIR/log"
	# Every test program that could not run is a failure of its own, not a
	# silence: the count says how much went untested.
	for t in $e2e_tests; do
		[ -f "$t" ] || continue
		result "FAIL $(basename "$t"): not run: the stack did not start"
	done
else
	check_ok stack_started
	pool=$(head -n 1 "$STATE_DIR/run/pool.pid")
	workers=$(pgrep -P "$pool" | tr '\n' ' ')

	# ---- 3. end-to-end tests ----
	export PA_BASE_URL=http://127.0.0.1:$HTTP_PORT/api
	export PA_HTTP_PORT=$HTTP_PORT
	export PA_REDIS_HOST=127.0.0.1
	export PA_REDIS_PORT=$REDIS_PORT
	export PA_REDIS_PASSWORD; PA_REDIS_PASSWORD=$(head -n 1 "$STATE_DIR/redis.pass")
	export PA_REDIS_PREFIX=phoneauth:
	export PA_PG_URL; PA_PG_URL=postgresql://phoneauth:$(head -n 1 "$STATE_DIR/pg.pass")@127.0.0.1:$PG_PORT/phoneauth
	# the test cluster's superuser, for the tests that need a role of their own
	export PA_PG_SUPER_URL; PA_PG_SUPER_URL=postgresql://postgres:$(head -n 1 "$STATE_DIR/pg.superpass")@127.0.0.1:$PG_PORT/phoneauth
	export PA_CONF=$STATE_DIR/phoneauth.conf
	export PA_STATE_DIR=$STATE_DIR
	export PA_STACK=$stack
	export PA_APP_BIN=$APP_BIN
	export PA_REPO=$repo

	for t in $e2e_tests; do
		[ -f "$t" ] || continue
		run_test "$(basename "$t")" /usr/bin/python3 "$t"
	done

	# ---- 4. checks ----
	# A worker that died during the tests crashed on some input (the pool
	# would have replaced it, so compare the pids).
	dead=
	for w in $workers; do
		# still running (not a zombie) and still the pool's child
		grep -q '^State:[[:space:]]*[^Z]' "/proc/$w/status" 2>/dev/null \
			&& grep -qx "PPid:[[:space:]]*$pool" "/proc/$w/status" \
			|| dead="$dead $w"
	done
	if [ -z "$workers" ]; then
		check_failed workers_survived "the pool had no workers"
	elif [ -n "$dead" ]; then
		check_failed workers_survived "worker(s)$dead died during the tests; see $STATE_DIR/log/phoneauth.log"
	else
		check_ok workers_survived
	fi

	# Stop now: the workers get their stop signal and exit normally, which is
	# when LeakSanitizer looks for leaks.
	teardown

	reports=$(find "$STATE_DIR/asan" -type f -size +0 2>/dev/null | sort)
	if [ -z "$reports" ]; then
		check_ok no_sanitizer_reports
	else
		check_failed no_sanitizer_reports "$(echo "$reports" | wc -l) report(s) in $STATE_DIR/asan"
		for f in $reports; do
			echo "--- $f"
			head -n 80 "$f"
		done
	fi
	if ! grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$STATE_DIR/log/phoneauth.log"; then
		check_ok worker_log_clean
	else
		check_failed worker_log_clean "sanitizer output in $STATE_DIR/log/phoneauth.log"
		grep -E -A20 'runtime error|AddressSanitizer|LeakSanitizer' "$STATE_DIR/log/phoneauth.log" | head -n 80
	fi
fi
teardown

# ---- the count ----
count_results
