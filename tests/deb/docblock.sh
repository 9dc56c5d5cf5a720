#!/bin/sh
# tests/deb/docblock.sh FILE NAME — prints the fenced block of FILE that the
# line `<!-- test-deb: NAME -->` stands right before (its ``` lines left out,
# the fence's indentation taken off each line), as tests/deb/run.sh runs it.
# Exits 1, saying so, when FILE has no such block or has it twice, or the
# block is not closed: a document that drifts fails the test, not the
# extraction. Only sh and awk.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 FILE NAME" >&2; exit 2; }
awk -v name="$2" -v file="$1" '
	function bad(why) { print file ": block " name ": " why > "/dev/stderr"; failed = 1; exit 1 }
	state == 0 && $0 ~ /^[ \t]*<!-- test-deb: / {
		tag = $0
		sub(/^[ \t]*<!-- test-deb: /, "", tag)
		sub(/ -->[ \t]*$/, "", tag)
		if (tag == name) {
			if (found) bad("marked twice")
			found = 1
			state = 1
		}
		next
	}
	state == 1 {
		if ($0 !~ /^[ \t]*```[a-z]*[ \t]*$/) bad("the line after its marker is not a ``` fence")
		indent = $0
		sub(/```.*/, "", indent)
		state = 2
		next
	}
	state == 2 {
		if ($0 ~ /^[ \t]*```[ \t]*$/) { state = 0; next }
		line = $0
		if (substr(line, 1, length(indent)) == indent) line = substr(line, length(indent) + 1)
		print line
	}
	END {
		if (failed) exit 1
		if (state != 0) bad("not closed")
		if (!found) bad("no <!-- test-deb: " name " --> marker")
	}
' "$1"
