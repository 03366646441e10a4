#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/fuzz/run.sh - run built libFuzzer harnesses, one after the other,
# each for FUZZ_TIME seconds on a fresh copy of its seed corpus
# (tests/data/fuzz/NAME and crashes/NAME-* -> BUILD/corpus-NAME; the seeds
# are never written).
# A crash, leak, UB report, timeout or OOM fails the harness; its input is
# kept as BUILD/crash-NAME-* and the end of its log is shown.
# Prints one summary line per harness and "N passed, N failed"; exit 1 if
# any failed.
#
# usage: tests/fuzz/run.sh BUILD NAME...    (from the top of the tree)
# FUZZ_ARGS adds libFuzzer options (e.g. -jobs, -max_len, a second corpus).
set -u

build=$1
shift
time=${FUZZ_TIME:-10}
top=$(pwd)
passed=0
failed=0

export LSAN_OPTIONS="suppressions=$top/tests/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="${FUZZ_ASAN_OPTIONS:-detect_leaks=1}"

for name in "$@"; do
	bin=$build/fuzz_$name
	corpus=$build/corpus-$name
	log=$build/$name.log
	rm -rf "$corpus"
	mkdir -p "$corpus"
	[ -d "tests/data/fuzz/$name" ] && cp -R "tests/data/fuzz/$name/." "$corpus"/
	# Inputs that once failed (tests/data/fuzz/crashes/NAME-*) run first
	# with the seeds, so a regression fails at once.
	for f in tests/data/fuzz/crashes/"$name"-*; do
		[ -e "$f" ] && cp "$f" "$corpus"/
	done
	args="-max_total_time=$time -timeout=25 -print_final_stats=1"
	args="$args -artifact_prefix=$build/crash-$name-"
	[ -f "tests/fuzz/$name.dict" ] && args="$args -dict=tests/fuzz/$name.dict"
	# shellcheck disable=SC2086 # word splitting of the option lists is wanted
	"$bin" $args ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
	rc=$?
	# "#123 DONE cov: 275 ft: 513 corp: 10/1854b ..." and the final stats.
	done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED|pulse|NEW|REDUCE)' "$log" | tail -n 1)
	cov=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$done_line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$done_line" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	bad='ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant failed'
	if [ "$rc" -eq 0 ] && ! grep -qE "$bad" "$log"; then
		status=ok
		passed=$((passed + 1))
	else
		status="FAIL (exit $rc)"
		failed=$((failed + 1))
	fi
	printf '  FUZZ    %-9s %s: execs %s (%s/s) cov %s ft %s corpus %s\n' "$name" "$status" \
		"${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
	if [ "$status" != ok ]; then
		tail -n 40 "$log" | sed 's/^/    /'
		for f in "$build"/crash-"$name"-*; do
			[ -e "$f" ] && echo "    reproducer: $f"
		done
	fi
done
echo "  FUZZ    $passed passed, $failed failed"
[ "$failed" -eq 0 ]
