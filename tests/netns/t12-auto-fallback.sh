#!/bin/bash
# SPDX-License-Identifier: MIT
# t12-auto-fallback: flood = "auto" picks the group when the IGMP join works
# and falls back to the peers list when it fails.
#
#   vtvA1 192.168.100.1                         vtvB1 192.168.100.2
#     tapA1 (VNI 100)                             tapB1 (VNI 100)
#   vthA: vtep 10.0.0.1                         vthB: vtep 10.0.0.2
#     net.ipv4.igmp_max_memberships = 0           (joins work)
#     -> every join fails (ENOBUFS)
#     VNI 100 group 239.1.1.100, peers B          VNI 100 group 239.1.1.100, peers A
#     flood "auto" -> "unicast"                   flood "auto" -> "multicast"
#          \                                             /
#           pA ------------- vtul: br0 ------------- pB        (tcpdump on pA)
#
# Why igmp_max_memberships: a join on an interface with `multicast off` still
# succeeds on Linux (checked on 6.18 with IP_ADD_MEMBERSHIP by index and by
# address), whereas a zero membership limit makes every IP_ADD_MEMBERSHIP in
# the namespace fail, reliably and whatever the daemon's socket layout.
#
# Checks: A's dump shows flood "unicast", B's "multicast"; A1 -> B1 and back
# work; A sends nothing to the group (its ARP request goes to B unicast).
set -eu
. "$(dirname "$0")/lib.sh"
require

host_add A 1
host_add B 2
in_host A sysctl -qw net.ipv4.igmp_max_memberships=0
vni_add A 100 group=239.1.1.100 peers=10.0.0.2 flood=auto
vni_add B 100 group=239.1.1.100 peers=10.0.0.1 flood=auto
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
vtep_start A || finish
vtep_start B || finish

if dump_json A && dump_json B; then
	check_eq "A (join fails): VNI 100 flood mode" "$(jget A 'vni(100)["flood"]')" unicast
	check_eq "B (join works): VNI 100 flood mode" "$(jget B 'vni(100)["flood"]')" multicast
fi
is_kernel A || check "A's log names the group it could not join" grep -q \
	"cannot join group 239.1.1.100 on 'ul0', falling back to unicast replication" "$WORK/A/vtep.log"

cap_start ul "$NS_UL" pA
check "ping A1 -> B1" vm_ping A1 "$(vm_addr B1)" 3
check "ping B1 -> A1" vm_ping B1 "$(vm_addr A1)" 3
cap_stop ul

note "A's first VXLAN packet: $(cap_first ul "$F_VX and src host 10.0.0.1")"
check_eq "A sends nothing to the group" "$(cap_count ul "$F_VX and src host 10.0.0.1 and dst net 224.0.0.0/4")" 0
check_ge "A's ARP request goes to peer B unicast" \
	"$(cap_count ul "$F_VX and src host 10.0.0.1 and dst host 10.0.0.2 and $F_ARP")" 1
if dump_json A && dump_json B; then
	check_eq "A: B1's MAC is remote at 10.0.0.2" "$(fdb_of A 100 "$(vm_mac B1)")" "remote 10.0.0.2 null"
	check_eq "B: A1's MAC is remote at 10.0.0.1" "$(fdb_of B 100 "$(vm_mac A1)")" "remote 10.0.0.1 null"
fi

vtep_stop A
vtep_stop B
finish
