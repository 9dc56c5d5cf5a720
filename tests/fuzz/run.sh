#!/bin/bash
# tests/fuzz/run.sh SECONDS NAME... — what `make fuzz` runs once the libFuzzer
# builds exist (build/fuzz/fuzz_NAME). Each target runs for SECONDS on
#   build/fuzz/work/NAME      this run's scratch corpus, where libFuzzer writes
#                             what it finds (emptied first, removed after);
#   build/fuzz/corpus/NAME    what earlier runs found, kept minimal: this run's
#                             new inputs are merged into it (-merge=1);
#   tests/fuzz/corpus/NAME    the seeds, and tests/fuzz/crashers/NAME, the
#                             crashers kept so far (read, never written);
# so the repository never collects the thousands of files a run makes.
# A crash, leak, timeout or out-of-memory is left in build/fuzz/crashers/NAME/
# and fails the run. The log of each target is build/fuzz/NAME.log.
#
# FUZZ_JSON_RFC8259=1 turns on the strict-JSON oracle of fuzz_body.
set -u

repo=$(cd "$(dirname "$0")/../.." && pwd -P)
cd "$repo" || exit 1

secs=${1:?usage: tests/fuzz/run.sh SECONDS NAME...}
shift
failed=0

for name in "$@"; do
	bin=build/fuzz/fuzz_$name
	seeds=tests/fuzz/corpus/$name
	kept=tests/fuzz/crashers/$name
	work=build/fuzz/work/$name
	corpus=build/fuzz/corpus/$name
	crashes=build/fuzz/crashers/$name
	log=build/fuzz/$name.log
	dirs=("$work" "$corpus" "$seeds")
	opts=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
	    -artifact_prefix="$crashes/")

	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz_$name: $bin was not built"
		failed=$((failed + 1))
		continue
	fi
	[ -d "$kept" ] && dirs+=("$kept")
	[ -f "tests/fuzz/$name.dict" ] && opts+=(-dict="tests/fuzz/$name.dict")
	rm -rf "$work"
	mkdir -p "$work" "$corpus" "$crashes"
	marker=$(mktemp)

	echo "== fuzz_$name (${secs} s)"
	"$bin" "${opts[@]}" "${dirs[@]}" > "$log" 2>&1
	rc=$?
	found=$(find "$crashes" -type f -newer "$marker" \
	    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
	rm -f "$marker"

	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
	if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
		failed=$((failed + 1))
		echo "FAIL fuzz_$name: libFuzzer exited with status $rc after ${runs:-?} runs"
		grep -E -m 3 'ERROR: |runtime error|fuzz oracle failed|SUMMARY' "$log" | sed 's/^/    /'
		for f in $found; do
			echo "    input: $f"
		done
		echo "    log: $log; reproduce with: $bin FILE"
		echo "    Keep the input: move it into $kept/ (git add it once fixed or"
		echo "    reported), so that make test replays it from then on."
		continue
	fi
	# What this run found that the kept corpus lacks, kept for the next run.
	"$bin" -merge=1 "$corpus" "$work" >> "$log" 2>&1
	rm -rf "$work"
	echo "PASS fuzz_$name: ${runs:-?} runs, ${cov:-cov ?}, corpus $(find "$corpus" -type f | wc -l) files in $corpus"
done

[ "$failed" -eq 0 ]
