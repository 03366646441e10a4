#!/bin/bash
# SPDX-License-Identifier: MIT
# t11-unicast: three vteps, BUM by head-end replication to the peers list.
#
#   vtvA1 .100.1  vtvA2 .100.3        vtvB1 .100.2            vtvC1 .100.4
#   tapA1 VNI 100 tapA2 VNI 200       tapB1 VNI 100           tapC1 VNI 100
#          \        /                      |                       |
#   vthA: vtep 10.0.0.1             vthB: vtep 10.0.0.2      vthC: vtep 10.0.0.3
#     VNI 100 peers B,C               VNI 100 peers A,C        VNI 100 peers A,B
#     VNI 200 peers B                 VNI 200 peers A (no taps)
#     flood "unicast", no group anywhere
#          \                               |                       /
#           pA ------------------- vtul: br0 ------------------- pB, pC
#                                  (tcpdump on pA)
#
# Checks: A1 <-> B1 ping; A's first ARP request is replicated to B and to C
# (and nothing goes to a multicast address); ICMP goes to B only; the dumps
# show the remote MACs at the right VTEPs (C learned A1 from the replicated
# ARP); A2 (VNI 200, same subnet) reaches neither B1 nor A1.
set -eu
. "$(dirname "$0")/lib.sh"
require

host_add A 1
host_add B 2
host_add C 3
vni_add A 100 flood=unicast peers=10.0.0.2,10.0.0.3
vni_add A 200 flood=unicast peers=10.0.0.2
vni_add B 100 flood=unicast peers=10.0.0.1,10.0.0.3
vni_add B 200 flood=unicast peers=10.0.0.1
vni_add C 100 flood=unicast peers=10.0.0.1,10.0.0.2
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 200 192.168.100.3/24
vm_add B1 B 100 192.168.100.2/24
vm_add C1 C 100 192.168.100.4/24
for h in A B C; do
	vtep_start $h || finish
done

cap_start ul "$NS_UL" pA
check "ping A1 -> B1 (VNI 100)" vm_ping A1 "$(vm_addr B1)" 5
cap_stop ul

A="$F_VX and src host 10.0.0.1"
note "A's first VXLAN packet: $(cap_first ul "$A")"
check_eq "A's first VXLAN packet is an ARP request, unicast to a peer" \
	"$(cap_first_is ul "$A" "$F_ARP and (dst host 10.0.0.2 or dst host 10.0.0.3)")" 1
check_ge "A's ARP request replicated to B" "$(cap_count ul "$A and dst host 10.0.0.2 and $F_ARP")" 1
check_ge "A's ARP request replicated to C" "$(cap_count ul "$A and dst host 10.0.0.3 and $F_ARP")" 1
check_eq "nothing sent to a multicast address" "$(cap_count ul "$F_VX and dst net 224.0.0.0/4")" 0
check_ge "ARP reply from B to A" "$(cap_count ul "$F_VX and src host 10.0.0.2 and dst host 10.0.0.1 and $F_ARP")" 1
check_ge "ICMP A -> B unicast" "$(cap_count ul "$A and dst host 10.0.0.2 and $F_ICMP")" 5
check_ge "ICMP B -> A unicast" "$(cap_count ul "$F_VX and src host 10.0.0.2 and dst host 10.0.0.1 and $F_ICMP")" 5
check_eq "no ICMP replicated to C" "$(cap_count ul "$A and dst host 10.0.0.3 and $F_ICMP")" 0

check "ping B1 -> A1 (VNI 100)" vm_ping B1 "$(vm_addr A1)" 3
check "ping C1 -> A1 (VNI 100)" vm_ping C1 "$(vm_addr A1)" 3
check "ping C1 -> B1 (VNI 100)" vm_ping C1 "$(vm_addr B1)" 3

if dump_json A && dump_json B && dump_json C; then
	check_eq "A: VNI 100 flood mode" "$(jget A 'vni(100)["flood"]')" unicast
	check_eq "A: VNI 100 peers" "$(jget A '",".join(sorted(vni(100)["peers"]))')" "10.0.0.2,10.0.0.3"
	check_eq "A: B1's MAC is remote at 10.0.0.2" "$(fdb_of A 100 "$(vm_mac B1)")" "remote 10.0.0.2 null"
	check_eq "A: C1's MAC is remote at 10.0.0.3" "$(fdb_of A 100 "$(vm_mac C1)")" "remote 10.0.0.3 null"
	check_eq "A: A1's MAC is local on tapA1" "$(fdb_of A 100 "$(vm_mac A1)")" "local null tapA1"
	check_eq "B: A1's MAC is remote at 10.0.0.1" "$(fdb_of B 100 "$(vm_mac A1)")" "remote 10.0.0.1 null"
	check_eq "C: A1's MAC is remote at 10.0.0.1" "$(fdb_of C 100 "$(vm_mac A1)")" "remote 10.0.0.1 null"
	check_eq "C: B1's MAC is remote at 10.0.0.2" "$(fdb_of C 100 "$(vm_mac B1)")" "remote 10.0.0.2 null"
fi

cap_start iso "$NS_UL" pA
check_fails "A2 (VNI 200) cannot reach B1 (VNI 100)" vm_ping A2 "$(vm_addr B1)" 2 3
check_fails "A2 (VNI 200) cannot reach A1 (VNI 100) on the same host" vm_ping A2 "$(vm_addr A1)" 2 3
cap_stop iso
check_ge "A2's ARP requests replicated to B in VNI 200" \
	"$(cap_count iso "$A and dst host 10.0.0.2 and $F_ARP and $(f_vni 200)")" 1
check_eq "A2's frames not sent to C (not a VNI 200 peer)" \
	"$(cap_count iso "$A and dst host 10.0.0.3 and $(f_inner_src "$(vm_mac A2)")")" 0
check_eq "no frame of A2's went out in VNI 100" \
	"$(cap_count iso "$F_VX and $(f_vni 100) and $(f_inner_src "$(vm_mac A2)")")" 0
if dump_json B; then
	check_eq "B: A2's MAC learned in VNI 200" "$(fdb_of B 200 "$(vm_mac A2)")" "remote 10.0.0.1 null"
	check_eq "B: A2's MAC not in VNI 100" "$(fdb_of B 100 "$(vm_mac A2)")" missing
fi

for h in A B C; do
	vtep_stop $h
done
finish
