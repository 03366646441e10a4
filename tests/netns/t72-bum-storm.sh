#!/bin/bash
# SPDX-License-Identifier: MIT
# t72-bum-storm: a VM floods broadcasts; the per-tap BUM limit (bum_rate =
# 100 packets/s, burst 100) passes about 100 a second of them, drops and
# counts the rest (drops.bum_rate, the tap's rx_dropped), while unicast
# between the other VMs - on the same host and across the overlay - loses
# nothing, and the storming VM's own ARP requests answered by suppression
# and its unicast are not limited.
#
#   vtvA1 .100.1 (storm)  vtvA2 .100.3  vtvA3 .100.4      vtvB1 .100.2
#     tapA1                 tapA2         tapA3             tapB1
#          \                  |            /                  |
#   vthA: vtep 10.0.0.1, bum_rate = 100              vthB: vtep 10.0.0.2
#     VNI 100 peers B                                   VNI 100 peers A
#          \                                              /
#           pA ------------------ vtul: br0 ------------ pB
#
# A1 sends 5000 broadcasts/s for 4 s with tests/tools/ethsend.py (AF_PACKET).
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "bum_rate is a vtep feature (VTEP_IMPL=kernel)"
require
ETHSEND=$TOP/tests/tools/ethsend.py
RATE=100
STORM_PPS=5000
STORM_S=4

host_add A 1
host_add B 2
conf_set A bum_rate $RATE
vni_add A 100 peers=10.0.0.2 flood=unicast
vni_add B 100 peers=10.0.0.1 flood=unicast
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 100 192.168.100.3/24
vm_add A3 A 100 192.168.100.4/24
vm_add B1 B 100 192.168.100.2/24
vtep_start A || finish
vtep_start B || finish

# Everyone talks once: FDB and ARP cache warm.
check "ping A2 -> A3 before" vm_ping A2 "$(vm_addr A3)" 2
check "ping A2 -> B1 before" vm_ping A2 "$(vm_addr B1)" 2
check "ping A1 -> A2 before" vm_ping A1 "$(vm_addr A2)" 2
check "ping A3 -> B1 before" vm_ping A3 "$(vm_addr B1)" 2

tapc() { jget A "next(t for t in vni(100)['taps'] if t['name'] == '$1')['$2']"; }
dump_json A || finish
rx0=$(tapc tapA1 rx_packets)
drop0=$(tapc tapA1 rx_dropped)
bum0=$(jget A "drops('bum_rate')")
sup0=$(jget A "counter('arp_suppressed')")
a2tx0=$(tapc tapA2 tx_packets)

in_vm A1 python3 "$ETHSEND" --dev "$(vtap A1)" --rate $STORM_PPS --duration $STORM_S \
	>"$WORK/storm.out" 2>&1 &
storm=$!
BG_PIDS+=("$storm")
sleep 0.3
in_vm A2 ping -n -q -i 0.05 -c 50 -w 10 "$(vm_addr A3)" >"$WORK/ping-a3.out" 2>&1 &
p1=$!
in_vm A2 ping -n -q -i 0.05 -c 50 -w 10 "$(vm_addr B1)" >"$WORK/ping-b1.out" 2>&1 &
p2=$!
in_vm A3 ping -n -q -i 0.05 -c 50 -w 10 "$(vm_addr B1)" >"$WORK/ping-a3b1.out" 2>&1 &
p3=$!
BG_PIDS+=("$p1" "$p2" "$p3")
# The storming VM forgets A2's MAC and asks again mid-storm: the request is
# answered by suppression (no token), and its unicast ping is not limited.
sleep 0.5
in_vm A1 ip neigh flush dev "$(vtap A1)"
in_vm A1 ping -n -q -i 0.1 -c 10 -w 10 "$(vm_addr A2)" >"$WORK/ping-a1.out" 2>&1 &
p4=$!
BG_PIDS+=("$p4")
rc=0
for p in $p1 $p2 $p3 $p4; do wait "$p" || rc=$((rc + 1)); done
wait "$storm" || true
note "storm: $(cat "$WORK/storm.out")"
for f in ping-a3 ping-b1 ping-a3b1 ping-a1; do
	note "$f: $(grep -E 'packets transmitted' "$WORK/$f.out" || true)"
done
loss() { sed -nE 's/.* ([0-9.]+)% packet loss.*/\1/p' "$WORK/$1.out"; }
check_eq "ping A2 -> A3 (local unicast) during the storm: loss %" "$(loss ping-a3)" 0
check_eq "ping A2 -> B1 (remote unicast) during the storm: loss %" "$(loss ping-b1)" 0
check_eq "ping A3 -> B1 (remote unicast) during the storm: loss %" "$(loss ping-a3b1)" 0
check_eq "ping A1 -> A2 from the storming VM itself: loss %" "$(loss ping-a1)" 0

sleep 0.5
dump_json A || finish
sent=$(sed -nE 's/^sent ([0-9]+) frames in ([0-9.]+) s$/\1/p' "$WORK/storm.out")
secs=$(sed -nE 's/^sent ([0-9]+) frames in ([0-9.]+) s$/\2/p' "$WORK/storm.out")
rx=$(($(tapc tapA1 rx_packets) - rx0))
dropped=$(($(tapc tapA1 rx_dropped) - drop0))
bum=$(($(jget A "drops('bum_rate')") - bum0))
passed=$((rx - dropped))
# The limit lets through the burst plus RATE a second of the storm
# (ping, ARP from A1 are unicast/suppressed, no tokens).
lo=$(python3 -c "print(int($RATE * $secs * 0.9))")
hi=$(python3 -c "print(int($RATE + $RATE * ($secs + 0.5)))")
note "A1: $rx frames read, $dropped dropped, $passed passed; sent $sent in $secs s; bounds $lo..$hi"
check_ge "vtep read the storm (>= 90% of what A1 sent)" "$rx" $((sent * 9 / 10))
check_eq "every A1 drop is a bum_rate drop" "$bum" "$dropped"
check_ge "BUM frames passed >= rate x duration x 0.9" "$passed" "$lo"
check_ge "BUM frames passed <= burst + rate x (duration + 0.5)" "$hi" "$passed"
check_ge "A2 received the storm frames that passed" "$(($(tapc tapA2 tx_packets) - a2tx0))" "$((passed - 20))"
check_ge "A1's ARP request mid-storm answered by suppression" \
	"$(($(jget A "counter('arp_suppressed')") - sup0))" 1

# The bucket refills: a second later, a few broadcasts from A1 all pass.
sleep 1.5
dump_json A || finish
drop1=$(tapc tapA1 rx_dropped)
rx1=$(tapc tapA1 rx_packets)
a2tx1=$(tapc tapA2 tx_packets)
in_vm A1 python3 "$ETHSEND" --dev "$(vtap A1)" --count 20 >/dev/null
sleep 0.3
dump_json A || finish
check_ge "after the storm, vtep read A1's 20 broadcasts" "$(($(tapc tapA1 rx_packets) - rx1))" 20
check_eq "... and dropped none" "$(($(tapc tapA1 rx_dropped) - drop1))" 0
check_ge "... A2 received all 20" "$(($(tapc tapA2 tx_packets) - a2tx1))" 20
check "A: vtep still running" vtep_alive A
vtep_stop A
vtep_stop B
finish
