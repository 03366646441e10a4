#!/bin/sh
# SPDX-License-Identifier: MIT
# Include edges (STYLE.md 2): vtep.h includes system headers only; conf/, proto/
# and io/ include vtep.h and their own headers, never another module's.
set -eu
cd "$(dirname "$0")/.."
bad=0
if grep -n '#include "' vtep.h; then
	echo "lint-includes: vtep.h must include system headers only"
	bad=1
fi
for dir in conf proto io; do
	for f in "$dir"/*.[ch]; do
		[ -e "$f" ] || continue
		grep -n '#include "' "$f" | while IFS= read -r line; do
			inc=$(printf '%s' "$line" | sed 's/.*#include "\(.*\)".*/\1/')
			case "$inc" in
			../vtep.h) ;;
			../*) echo "$f: includes '$inc' from another module"; exit 1 ;;
			*) ;;
			esac
		done || bad=1
	done
done
if [ "$bad" -ne 0 ]; then
	echo "lint-includes: FAILED"
	exit 1
fi
echo "  LINT    include edges"
