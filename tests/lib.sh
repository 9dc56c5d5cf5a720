# Sourced by tests/run.sh and tests/cluster/run.sh: how one test program is
# run and its results counted. The caller sets results (the file PASS/FAIL
# lines are gathered in), out (a scratch file for the program's output),
# limit (seconds a program may take) and current (the running program's
# pid, for its teardown).
# shellcheck shell=bash
# shellcheck disable=SC2154 # results, out, limit: the caller's

result() { echo "$*" | tee -a "$results"; }

# check_ok NAME, check_failed NAME WHY: the run's own checks (not counted).
check_ok() { result "CHECK ok $1"; }
check_failed() { result "CHECK FAILED $1: $2"; }

# run_test NAME COMMAND...: runs one test program under a time limit, its
# output shown as it comes; its PASS/FAIL lines count (SKIP lines are shown,
# not counted). A program that dies, hangs or reports nothing is a failure of
# its own.
run_test() {
	local name=$1 rc tailer
	shift
	echo "== $name"
	: > "$out"
	# timeout runs the program in a process group of its own and signals the
	# whole group, so whatever the program started goes with it.
	timeout --kill-after=10 "$limit" "$@" > "$out" 2>&1 </dev/null &
	current=$!
	tail -n +1 -s 0.2 -f --pid="$current" "$out" &
	tailer=$!
	wait "$current"
	rc=$?
	current=
	wait "$tailer" 2>/dev/null
	grep -E '^(PASS|FAIL) ' "$out" >> "$results"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		result "FAIL $name: timed out after ${limit} s"
	elif [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
		result "FAIL $name: exited with status $rc"
	elif ! grep -qE '^(PASS|FAIL|SKIP) ' "$out"; then
		result "FAIL $name: reported no test (exit status $rc)"
	fi
}

# count_results: the failures, then "N passed, N failed". Tests are counted;
# a failed check is listed with them and fails the run. Succeeds only when
# something passed and nothing (no test, no check) failed.
count_results() {
	local passed failed checks_failed
	passed=$(grep -c '^PASS ' "$results")
	failed=$(grep -c '^FAIL ' "$results")
	checks_failed=$(grep -c '^CHECK FAILED ' "$results")
	if [ "$failed" -gt 0 ] || [ "$checks_failed" -gt 0 ]; then
		echo
		echo "Failures:"
		grep -E '^(FAIL|CHECK FAILED) ' "$results"
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$checks_failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
