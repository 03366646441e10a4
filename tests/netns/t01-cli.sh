#!/bin/bash
# SPDX-License-Identifier: MIT
# t01-cli: the command line contract (DESIGN.md 4) without any network:
#
#   vtep -t on the example config        -> "configuration OK", exit 0
#   a config with five mistakes           -> five FILE:LINE: lines, exit 1
#   vtep dump / reload with no daemon     -> says so, exit 2
#   vtep reload with a bad file           -> errors, exit 1, nothing sent
#   a capture filter libpcap refuses      -> FILE:LINE, exit 1 (-t and start)
#   -V, -h, an unknown option             -> exit 0, 0, 1
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
VTEP=${VTEP:-$TOP/vtep}
WORK=$(mktemp -d /tmp/vtep-t01.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
expect() # DESC WANT_RC GOT_RC
{
	if [ "$2" = "$3" ]; then ok "$1 (exit $3)"; else not_ok "$1: exit $3, want $2"; fi
}

[ -x "$VTEP" ] || { echo "not ok - $VTEP not built"; echo "0 passed, 1 failed"; exit 1; }

out=$("$VTEP" -t -c "$TOP/packaging/vtep.conf" 2>&1); rc=$?
expect "example config passes -t" 0 "$rc"
[ "$out" = "configuration OK" ] && ok "-t prints 'configuration OK'" || not_ok "-t printed '$out'"

cat > "$WORK/bad.conf" <<'CONF'
local = "10.0.0.300";
dstport = 70000;
ttl = 0;
learning = "yes";
vnis = ( { vni = 16777216; taps = ( { name = "vm1"; } ); } );
CONF
out=$("$VTEP" -t -c "$WORK/bad.conf" 2>&1); rc=$?
expect "a config with five mistakes fails -t" 1 "$rc"
n=$(grep -c "^$WORK/bad.conf:[0-9]*: " <<<"$out")
[ "$n" = 5 ] && ok "five FILE:LINE: errors" || { not_ok "got $n FILE:LINE: errors, want 5"; echo "$out" | sed 's/^/#   /'; }
for line in 1 2 3 4 5; do
	grep -q "^$WORK/bad.conf:$line: " <<<"$out" && ok "an error names line $line" ||
		not_ok "no error for line $line"
done

out=$("$VTEP" -t -c "$WORK/missing.conf" 2>&1); rc=$?
expect "-t on a missing file" 1 "$rc"
grep -q "missing.conf" <<<"$out" && ok "the missing file is named" || not_ok "message: $out"

cat > "$WORK/ok.conf" <<CONF
local = "10.0.0.1";
pidfile = "$WORK/run/vtep.pid";
dumpdir = "$WORK/run";
vnis = ( { vni = 100; } );
CONF
# A capture filter libpcap cannot compile is a configuration error too.
cat "$WORK/ok.conf" - > "$WORK/filter.conf" <<'CONF'
capture = {
  file = "/nonexistent/x.pcap";
  filter = "tcp port 80 and";
};
CONF
out=$("$VTEP" -t -c "$WORK/filter.conf" 2>&1); rc=$?
expect "-t on a bad capture filter" 1 "$rc"
grep -q "^$WORK/filter.conf:7: capture.filter: not a capture filter: " <<<"$out" &&
	ok "it names the filter's line" || not_ok "message: $out"
out=$("$VTEP" -c "$WORK/filter.conf" 2>&1); rc=$?
expect "a start with a bad capture filter" 1 "$rc"
grep -q "^$WORK/filter.conf:7: capture.filter: " <<<"$out" &&
	ok "the start names the filter's line" || not_ok "message: $out"
test ! -e "$WORK/run/vtep.pid" && ok "and writes no pidfile" || not_ok "a pidfile was written"

out=$("$VTEP" dump -c "$WORK/ok.conf" 2>&1); rc=$?
expect "dump with no daemon" 2 "$rc"
grep -q "no daemon running" <<<"$out" && ok "dump says no daemon is running" || not_ok "dump said: $out"
out=$("$VTEP" dump --json -c "$WORK/ok.conf" 2>&1); rc=$?
expect "dump --json with no daemon" 2 "$rc"
echo 999999 > "$WORK/stale.pid"
sed "s|$WORK/run/vtep.pid|$WORK/stale.pid|" "$WORK/ok.conf" > "$WORK/stale.conf"
out=$("$VTEP" dump -c "$WORK/stale.conf" 2>&1); rc=$?
expect "dump with a stale pidfile" 2 "$rc"
out=$("$VTEP" reload -c "$WORK/ok.conf" 2>&1); rc=$?
expect "reload with no daemon" 2 "$rc"
out=$("$VTEP" reload -c "$WORK/bad.conf" 2>&1); rc=$?
expect "reload with a bad config" 1 "$rc"
n=$(grep -c "^$WORK/bad.conf:[0-9]*: " <<<"$out")
[ "$n" = 5 ] && ok "reload prints the five errors" || not_ok "reload printed $n errors"

"$VTEP" -V >/dev/null 2>&1; expect "-V" 0 $?
"$VTEP" --version | grep -q '^vtep ' && ok "--version prints 'vtep VERSION'" || not_ok "--version output"
"$VTEP" -h | grep -q 'usage: vtep' && ok "-h prints usage" || not_ok "-h output"
"$VTEP" --bogus >/dev/null 2>&1; expect "an unknown option" 1 $?
"$VTEP" -c "$WORK/ok.conf" extra >/dev/null 2>&1; expect "a stray argument" 1 $?

echo "$passed passed, $failed failed (t01-cli)"
[ "$failed" -eq 0 ]
