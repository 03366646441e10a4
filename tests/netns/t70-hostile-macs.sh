#!/bin/bash
# SPDX-License-Identifier: MIT
# t70-hostile-macs: one remote sprays 100 000 distinct random inner source
# MACs. The FDB stays within maxaddress (1000 here), every refused learn is
# counted (drops.fdb_full), a static entry survives (also when the sprayer
# claims its MAC), the daemon's RSS stays flat, and A1 <-> B1 keeps pinging.
#
#   vtvA1 192.168.100.1              vtvB1 192.168.100.2
#     tapA1 (VNI 100)                  tapB1 (VNI 100)
#   vthA: vtep 10.0.0.1              vthB: vtep 10.0.0.2        vthC: no vtep
#     maxaddress = 1000                VNI 100 group ...          ul0 10.0.0.3
#     VNI 100 group 239.1.1.100                                   tests/tools/vxspray
#     static fdb S -> 10.0.0.2 (include_dir)                      (built here with cc)
#          \                               |                     /
#           pA ---------------------- vtul: br0 -------------- pB, pC
#
# The spray's inner destination is S (static, behind 10.0.0.2), so A drops
# every sprayed frame as no_dest after trying to learn its source: exactly
# one fdb_full and one no_dest per datagram A's socket received (datagrams
# the kernel dropped for a full receive buffer, Udp RcvbufErrors in A's
# namespace, are subtracted).
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "counters and RSS are vtep's (VTEP_IMPL=kernel)"
require
vxspray_build
MAX=1000
N=100000
S=02:5a:00:00:00:01

host_add A 1
host_add B 2
host_add C 3
conf_set A maxaddress $MAX
conf_set A include_dir "\"$WORK/A/vtep.d\""
mkdir -p "$WORK/A/vtep.d"
cat >"$WORK/A/vtep.d/static.conf" <<EOC
vnis = ( { vni = 100; fdb = ( { mac = "$S"; remote = "10.0.0.2"; } ); } );
EOC
vni_add A 100 group=239.1.1.100 flood=multicast
vni_add B 100 group=239.1.1.100 flood=multicast
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
vtep_start A || finish
vtep_start B || finish
check "ping A1 -> B1 before" vm_ping A1 "$(vm_addr B1)" 3

rss() { awk '/^VmRSS:/ {print $2}' "/proc/${HOST_PID[A]}/status"; }
learned_n() { jget A "sum(1 for e in vni(100)['fdb'] if e['type'] in ('local', 'remote'))"; }
spray() { in_host C "$SPRAY" --dst 10.0.0.1 --src 10.0.0.3 --inner-dst $S "$@"; }

# Warm up: fill the table and touch the receive buffers, then measure.
note "warm-up: $(spray --start 0 --count 5000 --pps 50000)"
# ... and once flat out, so every receive buffer has been used (resident)
# before the baseline is taken: what grows after that is table state.
note "warm-up, flat out: $(spray --start 500000 --count 20000 --pps 0)"
sleep 0.5
dump_json A || finish
check_eq "table full after the warm-up: learned entries = maxaddress" "$(learned_n)" $MAX
rss0=$(rss)
err0=$(rcvbuf_errors A)
full0=$(jget A "drops('fdb_full')")
nodest0=$(jget A "drops('no_dest')")
learned0=$(jget A "counter('learned')")

ip netns exec "$(vns A1)" ping -n -i 0.1 -w 120 "$(vm_addr B1)" >"$WORK/ping.out" 2>&1 &
ping_pid=$!
BG_PIDS+=("$ping_pid")
sleep 0.5
t0=$(now_ms)
note "spray: $(spray --start 1000000 --count $N --pps 50000)"
# The sprayer claims the static MAC too.
in_host C python3 "$VXSEND" --dst 10.0.0.1 --src 10.0.0.3 --vni 100 --inner-src $S \
	--inner-dst ff:ff:ff:ff:ff:ff --count 10 >/dev/null
note "spray took $(($(now_ms) - t0)) ms"
sleep 1
dump_json A || finish
lost=$(($(rcvbuf_errors A) - err0))
got=$((N - lost))
note "A's socket dropped $lost datagrams (RcvbufErrors), so A received $got"
check_eq "learned entries still = maxaddress" "$(learned_n)" $MAX
check_eq "nothing new learned" "$(($(jget A "counter('learned')") - learned0))" 0
check_eq "one fdb_full per sprayed datagram received" "$(($(jget A "drops('fdb_full')") - full0))" "$got"
check_eq "one no_dest per sprayed datagram received (dst is the static MAC)" \
	"$(($(jget A "drops('no_dest')") - nodest0))" "$got"
check_ge "A's socket dropped at most a tenth of the spray (RcvbufErrors)" "$got" $((N * 9 / 10))
check_eq "static entry survives" "$(fdb_of A 100 $S)" "static 10.0.0.2 null"
check_eq "A1 still local on tapA1" "$(fdb_of A 100 "$(vm_mac A1)")" "local null tapA1"
check_eq "B1 still at 10.0.0.2" "$(fdb_of A 100 "$(vm_mac B1)")" "remote 10.0.0.2 null"
rss1=$(rss)
note "VmRSS: $rss0 kB after the warm-up, $rss1 kB after $N more MACs"
# Under ASan (make check-sanitized) freed memory sits in the quarantine and
# every page touched costs shadow too: the 512 kB budget is for the real build.
SLACK=512
[ -z "$(strings_san)" ] || SLACK=2048
check_ge "RSS flat: grew by at most $SLACK kB" $((rss0 + SLACK)) "$rss1"

# A second, flat-out spray: the table and RSS do not care about the rate.
err0=$(rcvbuf_errors A)
full0=$(jget A "drops('fdb_full')")
note "flat-out spray: $(spray --start 2000000 --count $N --pps 0)"
sleep 1
dump_json A || finish
got=$((N - $(rcvbuf_errors A) + err0))
note "A received $got of $N"
check_eq "flat out: one fdb_full per datagram received" "$(($(jget A "drops('fdb_full')") - full0))" "$got"
check_eq "flat out: learned entries still = maxaddress" "$(learned_n)" $MAX
rss2=$(rss)
note "VmRSS: $rss2 kB after the flat-out spray"
check_ge "RSS flat after the flat-out spray (<= +$SLACK kB)" $((rss0 + SLACK)) "$rss2"

sleep 0.5
kill -INT "$ping_pid"
rc=0
wait "$ping_pid" || rc=$?
stats=$(grep -E 'packets transmitted' "$WORK/ping.out" || true)
note "parallel ping: $stats"
tx=$(sed -E 's/^([0-9]+) packets transmitted.*/\1/' <<<"$stats")
rx=$(sed -E 's/.* ([0-9]+) received.*/\1/' <<<"$stats")
check_eq "parallel ping A1 -> B1 exit status" "$rc" 0
check_ge "parallel ping: replies (all but the one in flight)" "${rx:-0}" $((${tx:-0} - 1))
check_ge "parallel ping ran through the test" "${tx:-0}" 10
check "A: vtep still running" vtep_alive A
check "ping A1 -> B1 after" vm_ping A1 "$(vm_addr B1)" 3
vtep_stop A
vtep_stop B
finish
