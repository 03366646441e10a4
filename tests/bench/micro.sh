#!/bin/bash
# SPDX-License-Identifier: MIT
# micro.sh - run the microbenchmarks (build/bench/micro, from
# tests/bench/micro.c; make bench builds it) and append every figure to
# tests/bench/results.tsv (kernel column "-": there is no kernel counterpart).
# Targets checked: at most 128 bytes per learned MAC. Exit 1 when missed.
#   BENCH_RESULTS=FILE  where to append [tests/bench/results.tsv]; "-" = nowhere
set -eu
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${1:-$TOP/build/bench/micro}
RESULTS=${BENCH_RESULTS:-$TOP/tests/bench/results.tsv}
COMMIT=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
DATE=$(date -Iseconds)

out=$("$BIN")
printf '%s\n' "$out"
if [ "$RESULTS" != - ]; then
	[ -s "$RESULTS" ] || printf 'commit\tdate\tmetric\tvtep\tkernel\tratio\n' >"$RESULTS"
	awk -v c="$COMMIT" -v d="$DATE" '$1 == "micro" { printf "%s\t%s\tmicro_%s\t%s\t-\t\n", c, d, $2, $3 }' \
		<<<"$out" >>"$RESULTS"
fi
bpm=$(awk '$2 == "fdb_bytes_per_mac" {print $3}' <<<"$out")
if awk -v b="$bpm" 'BEGIN { exit !(b != "" && b <= 128) }'; then
	echo "micro: $bpm bytes per learned MAC (target <= 128): ok"
else
	echo "micro: $bpm bytes per learned MAC, over the 128-byte target"
	exit 1
fi
