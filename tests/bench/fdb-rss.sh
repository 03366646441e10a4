#!/bin/bash
# SPDX-License-Identifier: MIT
# fdb-rss.sh - what one real vtep daemon's memory grows by when it learns
# 1,000,000 remote MACs (make bench).
#
#   vA-PID  tapA (VNI 100; nothing sends on it)
#      |
#   hA-PID  vtep -c vtep.conf, maxaddress = FDB_RSS_MAX    hB-PID  vxspray (no vtep)
#      ul0 10.0.0.1/24 ================ veth ================= ul0 10.0.0.2/24
#
# hB sends FDB_RSS_MACS VXLAN datagrams (VNI 100) with as many distinct inner
# source MACs (build/bench/vxspray, from tests/tools/vxspray.c: sendmmsg,
# paced to FDB_RSS_PPS). Their inner destination is a static entry behind
# 10.0.0.2 itself, so the daemon learns each source and then drops the frame
# (no_dest, split horizon): no tap write per datagram, only the receive and
# learning path. Datagrams the kernel drops for a full receive buffer (Udp
# RcvbufErrors in hA) are sent again, whole passes of them, up to
# FDB_RSS_PASSES passes (a MAC sent again that was learned only refreshes).
# Then one `vtep dump --json -c CONF` shows how many remote entries the
# daemon holds.
#
# Reported (VmRSS of the daemon, /proc/PID/status): idle, after start-up and
# before any traffic; with the MACs learned, taken before the dump (whose
# temporary sorted copy of the table is not part of the cost of an entry);
# and (learned - idle) * 1024 / entries = bytes per learned MAC, target
# <= 128. The rise includes everything the traffic itself made resident (the
# receive buffers touched, about 0.5 MiB): an upper bound for the table.
# VmRSS after the dump is shown too, and, from the daemon's log (-v), how
# long the dump held its packet loop (copying the tables and forking the
# writer) and how long the writer took to sort and write both files. The
# FDB is allocated for maxaddress entries at start-up but its pages become
# resident only when written, so the idle figure does not include it.
#
# Rows go to tests/bench/results.tsv (commit, date, metric, vtep, kernel "-",
# ratio empty). Exit 0 when every sent MAC is in the dump as a remote entry,
# the daemon's counters agree (learned = entries, no fdb_full drops), the
# target is met, and the daemon exits with status 0 on SIGTERM afterwards;
# 1 otherwise.
#
# Environment:
#   FDB_RSS_MACS=1000000  distinct MACs sent
#   FDB_RSS_MAX=1001000   maxaddress (>= FDB_RSS_MACS; the default 65536
#                         would stop learning there, see vtep.conf(5))
#   FDB_RSS_PPS=250000    sending rate, datagrams/s
#   FDB_RSS_PASSES=3      sending passes at most
#   BENCH_RESULTS=FILE    where to append [tests/bench/results.tsv]; "-" = nowhere
#   VTEP=path             the daemon [TOP/vtep]
#   VXSPRAY=path          the sender [TOP/build/bench/vxspray; built into the
#                         work directory with cc when missing]
#   KEEP=1                keep the work directory (config, log, dump)
set -eu

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VTEP=${VTEP:-$TOP/vtep}
MACS=${FDB_RSS_MACS:-1000000}
MAX=${FDB_RSS_MAX:-1001000}
PPS=${FDB_RSS_PPS:-250000}
PASSES=${FDB_RSS_PASSES:-3}
RESULTS=${BENCH_RESULTS:-$TOP/tests/bench/results.tsv}
VXSPRAY=${VXSPRAY:-$TOP/build/bench/vxspray}

SUF=$$
NS_HA=hA-$SUF
NS_HB=hB-$SUF
NS_VA=vA-$SUF
STATIC_MAC=02:5a:00:00:00:01    # the sprayed frames' destination, behind 10.0.0.2

WORK=
NAMESPACES=()
VTEP_PID=
SPRAY_PID=

say() { echo "# $*"; }
fail() { echo "fdb-rss: $*" >&2; exit 1; }

for v in MACS MAX PPS PASSES; do
	case ${!v} in '' | *[!0-9]* | 0) fail "FDB_RSS_$v must be a positive integer" ;; esac
done
[ "$MAX" -ge "$MACS" ] || fail "FDB_RSS_MAX ($MAX) is below FDB_RSS_MACS ($MACS)"
[ "$(id -u)" -eq 0 ] || fail "run as root (no sudo needed): make bench"
[ -x "$VTEP" ] || fail "$VTEP not built (run make)"
[ -c /dev/net/tun ] || fail "no /dev/net/tun"
for tool in ip python3 timeout; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool not installed"
done

cleanup()
{
	local rc=$? i
	set +e
	[ -z "$SPRAY_PID" ] || { kill -TERM "$SPRAY_PID" 2>/dev/null; wait "$SPRAY_PID" 2>/dev/null; }
	if [ -n "$VTEP_PID" ]; then
		kill -TERM "$VTEP_PID" 2>/dev/null
		for i in $(seq 100); do
			kill -0 "$VTEP_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$VTEP_PID" 2>/dev/null
		wait "$VTEP_PID" 2>/dev/null
	fi
	for ((i = ${#NAMESPACES[@]} - 1; i >= 0; i--)); do
		ip netns del "${NAMESPACES[$i]}" 2>/dev/null
	done
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ "${KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
			echo "# kept $WORK" >&2
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$rc"
}

WORK=$(mktemp -d /tmp/vtep-fdb-rss.XXXXXX)
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ! -x "$VXSPRAY" ]; then
	say "$VXSPRAY missing: building it in $WORK (make bench builds it)"
	${CC:-cc} -O2 -o "$WORK/vxspray" "$TOP/tests/tools/vxspray.c" ||
		fail "cannot build tests/tools/vxspray.c"
	VXSPRAY=$WORK/vxspray
fi

# ---------------------------------------------------------------- topology

ns_new()
{
	ip netns add "$1"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
	ip netns exec "$1" sh -c 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1' >/dev/null 2>&1 || true
}

ns_new "$NS_HA"
ns_new "$NS_HB"
ns_new "$NS_VA"
ip -n "$NS_HA" link add ul0 type veth peer name ul0 netns "$NS_HB"
ip -n "$NS_HA" addr add 10.0.0.1/24 dev ul0
ip -n "$NS_HB" addr add 10.0.0.2/24 dev ul0
ip -n "$NS_HA" link set ul0 up
ip -n "$NS_HB" link set ul0 up

CONF=$WORK/vtep.conf
cat >"$CONF" <<EOF
# generated by tests/bench/fdb-rss.sh
local = "10.0.0.1";
dstport = 4789;
mtu = 1450;
maxaddress = $MAX;
pidfile = "$WORK/vtep.pid";
dumpdir = "$WORK";
vnis = (
  { vni = 100;
    flood = "unicast";
    peers = [ "10.0.0.2" ];
    taps = ( { name = "tapA"; netns = "$NS_VA"; } );
    fdb = ( { mac = "$STATIC_MAC"; remote = "10.0.0.2"; } );
  }
);
EOF
if ! out=$("$VTEP" -t -c "$CONF" 2>&1); then
	echo "fdb-rss: vtep -t rejects the configuration (maxaddress = $MAX):" >&2
	printf '%s\n' "$out" | sed 's/^/    /' >&2
	exit 1
fi

# ---------------------------------------------------------------- measure

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$VTEP_PID/status"; }

# Udp counters in hA: "InDatagrams RcvbufErrors".
udp_stats()
{
	ip netns exec "$NS_HA" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
		else print $c["InDatagrams"], $c["RcvbufErrors"] }' /proc/net/snmp
}

# wait_drained: until hA's InDatagrams has stopped moving (the daemon has
# read everything), 10 s at most.
wait_drained()
{
	local a b i
	read -r a _ < <(udp_stats)
	for i in $(seq 50); do
		sleep 0.2
		read -r b _ < <(udp_stats)
		[ "$a" != "$b" ] || return 0
		a=$b
	done
	return 1
}

alive() { kill -0 "$VTEP_PID" 2>/dev/null || { VTEP_PID=; tail -n 20 "$WORK/vtep.log" >&2; fail "vtep died $1"; }; }

ip netns exec "$NS_HA" "$VTEP" -c "$CONF" -v >"$WORK/vtep.log" 2>&1 &
VTEP_PID=$!
for i in $(seq 100); do
	alive "during start-up"
	if ip -n "$NS_VA" link show tapA >/dev/null 2>&1 &&
		[ "$(cat "$WORK/vtep.pid" 2>/dev/null)" = "$VTEP_PID" ]; then
		break
	fi
	sleep 0.1
done
[ "$(cat "$WORK/vtep.pid" 2>/dev/null)" = "$VTEP_PID" ] || fail "vtep not ready within 10 s"
sleep 1
IDLE=$(rss_kb)
COMMIT=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
say "commit $COMMIT, vtep pid $VTEP_PID, maxaddress $MAX, idle VmRSS $IDLE kB"

t0=$(date +%s%N)
pass=0
while [ "$pass" -lt "$PASSES" ]; do
	pass=$((pass + 1))
	read -r in0 err0 < <(udp_stats)
	ip netns exec "$NS_HB" "$VXSPRAY" --dst 10.0.0.1 --src 10.0.0.2 --vni 100 \
		--count "$MACS" --pps "$PPS" --inner-dst "$STATIC_MAC" >"$WORK/spray.out" 2>&1 &
	SPRAY_PID=$!
	rc=0
	wait "$SPRAY_PID" || rc=$?
	SPRAY_PID=
	[ "$rc" -eq 0 ] || fail "vxspray failed (exit $rc): $(head -c 300 "$WORK/spray.out")"
	wait_drained || fail "the daemon's socket was still receiving 10 s after the spray"
	read -r in1 err1 < <(udp_stats)
	alive "during the spray"
	say "pass $pass: $(cat "$WORK/spray.out"); the daemon's socket took $((in1 - in0)), dropped $((err1 - err0)) (receive buffer full)"
	[ "$((err1 - err0))" -ne 0 ] || break
done
t1=$(date +%s%N)
sleep 0.5
LEARNED_RSS=$(rss_kb)

# One dump: count the remote entries of VNI 100 and read the counters.
if ! timeout 120 ip netns exec "$NS_HA" "$VTEP" dump --json -c "$CONF" >"$WORK/dump.json" 2>"$WORK/dump.err"; then
	echo "fdb-rss: vtep dump --json failed: $(head -c 300 "$WORK/dump.err")" >&2
	exit 1
fi
AFTER_DUMP=$(rss_kb)
read -r N STATIC LEARNED FULL < <(python3 - "$WORK/dump.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
fdb = [e for v in d["vnis"] for e in v["fdb"]]
c = d["counters"]
print(sum(1 for e in fdb if e["type"] == "remote"), sum(1 for e in fdb if e["type"] == "static"),
      c["learned"], c["drops"]["fdb_full"])
EOF
)
say "sent in $(((t1 - t0) / 1000000)) ms over $pass pass(es); dump: $N remote entries, $STATIC static, counters: learned $LEARNED, fdb_full drops $FULL"

# The daemon must still stop cleanly with a full table.
p=$VTEP_PID
kill -TERM "$p"
for i in $(seq 100); do
	kill -0 "$p" 2>/dev/null || break
	sleep 0.1
done
STOP_RC=0
if kill -0 "$p" 2>/dev/null; then
	STOP_RC=timeout
else
	VTEP_PID=
	wait "$p" || STOP_RC=$?
fi

# How long the dump held the packet loop (the tables copied, the writer
# forked) and how long its writer took, from the daemon's log (-v).
PAUSE=$(sed -n 's/.*dump 1: tables copied and writer [0-9]* started in \([0-9]*\) ms.*/\1/p' "$WORK/vtep.log")
WRITTEN=$(sed -n 's/.*dump 1 written to .* entries, \([0-9]*\) ms).*/\1/p' "$WORK/vtep.log")

python3 - "$IDLE" "$LEARNED_RSS" "$AFTER_DUMP" "$N" "$MACS" "$LEARNED" "$FULL" "$STOP_RC" \
	"$COMMIT" "$RESULTS" "${PAUSE:--}" "${WRITTEN:--}" <<'EOF'
import datetime, os, sys
idle, full, after, n, macs, learned, fdb_full, stop_rc, commit, results, pause, written = sys.argv[1:]
idle, full, after, n, macs, learned, fdb_full = map(int, (idle, full, after, n, macs, learned, fdb_full))
pause = None if pause == "-" else int(pause)
written = None if written == "-" else int(written)
bpm = (full - idle) * 1024.0 / n if n else None
rows = [("fdb_rss_idle_kb", "idle VmRSS", "kB", idle),
        ("fdb_rss_learned_kb", "VmRSS with the MACs learned", "kB", full),
        ("fdb_rss_after_dump_kb", "VmRSS after the dump", "kB", after),
        ("fdb_rss_entries", "remote entries in the dump", "", n),
        ("fdb_rss_bytes_per_mac", "(learned - idle) / entries", "bytes", bpm),
        ("fdb_dump_pause_ms", "dump: packet loop held for", "ms", pause),
        ("fdb_dump_written_ms", "dump: files written in", "ms", written)]
print()
print("vtep FDB memory, %s: %d MACs sent, %d learned" % (commit, macs, n))
for _, label, unit, v in rows:
    print("  %-30s %12s %s" % (label, "-" if v is None else
                                ("%.1f" % v if isinstance(v, float) else v), unit))
if results != "-":
    new = not os.path.exists(results)
    date = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    with open(results, "a") as f:
        if new:
            f.write("commit\tdate\tmetric\tvtep\tkernel\tratio\n")
        for metric, _, _, v in rows:
            val = "FAIL" if v is None else ("%.6g" % v if isinstance(v, float) else str(v))
            f.write("\t".join((commit, date, metric, val, "-", "")) + "\n")
    print("appended %d lines to %s" % (len(rows), results))
ok = True
if n != macs:
    print("fdb-rss: %d of the %d MACs sent are in the dump" % (n, macs))
    ok = False
if learned != n or fdb_full:
    print("fdb-rss: the daemon counted %d learned and %d fdb_full drops for %d entries"
          % (learned, fdb_full, n))
    ok = False
if stop_rc != "0":
    print("fdb-rss: the daemon did not exit cleanly on SIGTERM (status %s)" % stop_rc)
    ok = False
if bpm is None or bpm > 128:
    print("fdb-rss: %s bytes per learned MAC, over the 128-byte target" %
          ("no" if bpm is None else "%.1f" % bpm))
    ok = False
else:
    print("fdb-rss: %.1f bytes per learned MAC (target <= 128): ok" % bpm)
sys.exit(0 if ok else 1)
EOF
