#!/bin/bash
# SPDX-License-Identifier: MIT
# t10-multicast: two vteps, BUM via IGMP-joined multicast groups.
#
#   vtvA1 192.168.100.1   vtvA2 192.168.100.3          vtvB1 192.168.100.2
#     tapA1 (VNI 100)       tapA2 (VNI 200)              tapB1 (VNI 100)
#          \               /                                  |
#       vthA: vtep, local 10.0.0.1               vthB: vtep, local 10.0.0.2
#             VNI 100 group 239.1.1.100                VNI 100 group 239.1.1.100
#             VNI 200 group 239.1.1.200                VNI 200 group 239.1.1.200 (no taps)
#             ul0 10.0.0.1                             ul0 10.0.0.2
#                 \                                      /
#                  pA ---------- vtul: br0 ---------- pB      (tcpdump on pA)
#
# Checks: A1 <-> B1 ping; the first ARP request leaves A for the group, the
# reply and every ICMP packet travel unicast; each dump shows the other VM's
# MAC as remote at the other VTEP; A2 (VNI 200, same IP subnet) reaches
# neither B1 nor A1, and B learns A2 in VNI 200 only.
set -eu
. "$(dirname "$0")/lib.sh"
require

host_add A 1
host_add B 2
for h in A B; do
	vni_add $h 100 group=239.1.1.100 flood=multicast
	vni_add $h 200 group=239.1.1.200 flood=multicast
done
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 200 192.168.100.3/24
vm_add B1 B 100 192.168.100.2/24
vtep_start A || finish
vtep_start B || finish

check_eq "tapA1 MTU (underlay 1500 - 50)" \
	"$(in_vm A1 cat /sys/class/net/tapA1/mtu)" 1450

cap_start ul "$NS_UL" pA
check "ping A1 -> B1 (VNI 100)" vm_ping A1 "$(vm_addr B1)" 5
cap_stop ul

note "A's first VXLAN packet: $(cap_first ul "src host 10.0.0.1 and $F_VX")"
check_eq "A's first VXLAN packet is an ARP request to the group 239.1.1.100" \
	"$(cap_first_is ul "src host 10.0.0.1 and $F_VX" "dst host 239.1.1.100 and $F_ARP")" 1
to_group=$(cap_count ul "$F_VX and dst host 239.1.1.100")
to_peer=$(cap_count ul "$F_VX and src host 10.0.0.1 and dst host 10.0.0.2")
note "VXLAN packets from A: $to_group to 239.1.1.100, $to_peer to 10.0.0.2"
check_ge "ARP requests from A to the group" \
	"$(cap_count ul "$F_VX and src host 10.0.0.1 and dst host 239.1.1.100 and $F_ARP")" 1
check_ge "ARP reply from B to A is unicast" \
	"$(cap_count ul "$F_VX and src host 10.0.0.2 and dst host 10.0.0.1 and $F_ARP")" 1
check_eq "no ICMP sent to the group" "$(cap_count ul "$F_VX and dst host 239.1.1.100 and $F_ICMP")" 0
check_ge "ICMP A -> B unicast" "$(cap_count ul "$F_VX and src host 10.0.0.1 and dst host 10.0.0.2 and $F_ICMP")" 5
check_ge "ICMP B -> A unicast" "$(cap_count ul "$F_VX and src host 10.0.0.2 and dst host 10.0.0.1 and $F_ICMP")" 5
check_eq "VNI of the unicast ICMP is 100" \
	"$(cap_count ul "$F_VX and $F_ICMP and not $(f_vni 100)")" 0

check "ping B1 -> A1 (VNI 100)" vm_ping B1 "$(vm_addr A1)" 3

if dump_json A && dump_json B; then
	check_eq "A: VNI 100 flood mode" "$(jget A 'vni(100)["flood"]')" multicast
	check_eq "A: VNI 100 group" "$(jget A 'vni(100)["group"]')" 239.1.1.100
	check_eq "A: B1's MAC is remote at 10.0.0.2" "$(fdb_of A 100 "$(vm_mac B1)")" "remote 10.0.0.2 null"
	check_eq "A: A1's MAC is local on tapA1" "$(fdb_of A 100 "$(vm_mac A1)")" "local null tapA1"
	check_eq "B: A1's MAC is remote at 10.0.0.1" "$(fdb_of B 100 "$(vm_mac A1)")" "remote 10.0.0.1 null"
	check_eq "B: B1's MAC is local on tapB1" "$(fdb_of B 100 "$(vm_mac B1)")" "local null tapB1"
fi

# VNI isolation: A2 is in the same IP subnet but another segment.
cap_start iso "$NS_UL" pA
check_fails "A2 (VNI 200) cannot reach B1 (VNI 100)" vm_ping A2 "$(vm_addr B1)" 2 3
check_fails "A2 (VNI 200) cannot reach A1 (VNI 100) on the same host" vm_ping A2 "$(vm_addr A1)" 2 3
cap_stop iso
check_ge "A2's ARP requests flood to VNI 200's group" \
	"$(cap_count iso "$F_VX and dst host 239.1.1.200 and $F_ARP and $(f_vni 200)")" 1
check_eq "no frame of A2's went out in VNI 100" \
	"$(cap_count iso "$F_VX and $(f_vni 100) and $(f_inner_src "$(vm_mac A2)")")" 0
if dump_json B; then
	check_eq "B: A2's MAC learned in VNI 200" "$(fdb_of B 200 "$(vm_mac A2)")" "remote 10.0.0.1 null"
	check_eq "B: A2's MAC not in VNI 100" "$(fdb_of B 100 "$(vm_mac A2)")" missing
fi

vtep_stop A
vtep_stop B
finish
