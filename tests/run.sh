#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh - run unit test programs (cmocka) and netns test scripts, add up
# their counts and close with one "N passed, N failed, N skipped" line.
#   tests/run.sh unit BIN...            cmocka programs
#   tests/run.sh netns SCRIPT...        integration scripts (exit 77 = skip)
#   tests/run.sh all BIN... -- SCRIPT...
# Under CI=true a skipped script counts as a failure.
set -u

passed=0
failed=0
skipped=0
failures=()
log_dir=${TEST_LOG_DIR:-build/test-logs}
mkdir -p "$log_dir"

# The last "N passed, N failed" line (or cmocka's PASSED/FAILED lines) of a log.
count_log()
{
	local log=$1 p f line
	line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		p=$(sed -E 's/^([A-Za-z]+: )?([0-9]+) passed.*/\2/' <<<"$line")
		f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	else
		p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$log" | awk '{s += $4} END {print s + 0}')
		f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$log" | awk '{s += $4} END {print s + 0}')
	fi
	echo "$p $f"
}

run_one()
{
	local kind=$1 prog=$2 name log rc p f
	name=$(basename "$prog")
	log="$log_dir/$name.log"
	echo "=== $kind: $name"
	"$prog" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	read -r p f < <(count_log "$log")
	if [ "$rc" -eq 77 ]; then
		if [ "${CI:-}" = "true" ]; then
			echo "=== $name: SKIPPED under CI=true, counted as a failure"
			failed=$((failed + 1))
			failures+=("$name (skipped under CI)")
		else
			echo "=== $name: skipped"
			skipped=$((skipped + 1))
		fi
		return
	fi
	passed=$((passed + p))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	if [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		# A program that ran and reported nothing passed one check.
		p=1
		passed=$((passed + 1))
	fi
	failed=$((failed + f))
	[ "$f" -eq 0 ] || failures+=("$name (exit $rc)")
}

mode=${1:?usage: run.sh unit|netns|all ...}
shift
kind=unit
[ "$mode" = netns ] && kind=netns
for arg in "$@"; do
	if [ "$arg" = "--" ]; then
		kind=netns
		continue
	fi
	run_one "$kind" "$arg"
done

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
