#!/bin/bash
# SPDX-License-Identifier: MIT
# t30-ageing: learned remote MACs expire after `ageing` seconds of silence,
# and traffic to an expired MAC is flooded again (and still arrives).
#
#   vtvA1 192.168.100.1                      vtvB1 192.168.100.2
#     tapA1 (VNI 100)                          tapB1 (VNI 100)
#   vthA: vtep 10.0.0.1, ageing = 5          vthB: vtep 10.0.0.2, ageing = 5
#     VNI 100 group 239.1.1.100                VNI 100 group 239.1.1.100
#          \                                       /
#           pA ------------ vtul: br0 ------------ pB        (tcpdump on pA)
#
# Checks: after a ping A's dump has B1's MAC (remote 10.0.0.2); once both VMs
# are silent it disappears, not before about 5 s and within 12 s (vtep) / 25 s
# (kernel: vxlan scans every 10 s); the next ping, whose ICMP goes to a MAC
# the VM has in its (static) neighbour table, floods to the group and works.
# vtep's debug log names the entry that aged out and how long it was unseen.
set -eu
. "$(dirname "$0")/lib.sh"
require

AGEING=5
host_add A 1
host_add B 2
for h in A B; do
	conf_set $h ageing $AGEING
	vni_add $h 100 group=239.1.1.100 flood=multicast
done
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
vtep_start A || finish
vtep_start B || finish

# Static neighbours in both VMs: no ARP at all, so after the ping B1 is truly
# silent (otherwise B1's neighbour state machine sends a unicast ARP probe
# about 5 s after the ping, which refreshes the entry and doubles the wait).
B1MAC=$(vm_mac B1)
aged0=0
in_vm A1 ip neigh replace "$(vm_addr B1)" lladdr "$B1MAC" dev tapA1 nud permanent
in_vm B1 ip neigh replace "$(vm_addr A1)" lladdr "$(vm_mac A1)" dev tapB1 nud permanent
check "ping A1 -> B1" vm_ping A1 "$(vm_addr B1)" 3
last_seen=$(now_ms)
if dump_json A; then
	check_eq "A: B1's MAC learned, remote at 10.0.0.2" "$(fdb_of A 100 "$B1MAC")" "remote 10.0.0.2 null"
	is_kernel A || aged0=$(jget A 'counter("aged")')
fi

# Both VMs are now silent (IPv6 off, static neighbours). Poll until the
# entry is gone.
limit=$((AGEING + 7))
is_kernel A && limit=$((AGEING + 20))
gone_ms=
while [ "$(($(now_ms) - last_seen))" -lt $((limit * 1000)) ]; do
	dump_json A || break
	if [ "$(fdb_of A 100 "$B1MAC")" = missing ]; then
		gone_ms=$(($(now_ms) - last_seen))
		break
	fi
	sleep 0.5
done
if [ -n "$gone_ms" ]; then
	ok "A: B1's MAC aged out after $((gone_ms / 100))00 ms of silence (limit ${limit} s)"
	check_ge "A: ...and not before ageing (ms)" "$gone_ms" $((AGEING * 1000 - 500))
else
	not_ok "A: B1's MAC aged out within ${limit} s (still: $(fdb_of A 100 "$B1MAC"))"
fi
if ! is_kernel A; then
	check_ge "A: counters.aged increased" "$(jget A 'counter("aged")')" $((aged0 + 1))
	check "A's log (-v) names it: behind 10.0.0.2, unseen for 5 s or more" grep -Eq \
		"vni 100: $B1MAC behind 10\.0\.0\.2 aged out, unseen for ([5-9]|[1-9][0-9]+) s" \
		"$WORK/A/vtep.log"
fi

cap_start ul "$NS_UL" pA
check "ping A1 -> B1 after ageing" vm_ping A1 "$(vm_addr B1)" 3
cap_stop ul
note "A's first VXLAN packet: $(cap_first ul "$F_VX and src host 10.0.0.1")"
check_ge "the ICMP to the expired MAC is flooded to the group" \
	"$(cap_count ul "$F_VX and src host 10.0.0.1 and dst host 239.1.1.100 and $F_ICMP")" 1
check_ge "later ICMP A -> B goes unicast again" \
	"$(cap_count ul "$F_VX and src host 10.0.0.1 and dst host 10.0.0.2 and $F_ICMP")" 1
if dump_json A; then
	check_eq "A: B1's MAC learned again" "$(fdb_of A 100 "$B1MAC")" "remote 10.0.0.2 null"
fi

vtep_stop A
vtep_stop B
finish
