#!/bin/bash
# SPDX-License-Identifier: MIT
# t21-kernel-interop-unicast: vtep against the Linux kernel vxlan driver, BUM
# by head-end replication (no multicast anywhere).
#
#   vtvA1 192.168.100.1                      vtvB1 192.168.100.2
#     tapA1 (VNI 100)                          tapB1 (veth end)
#          |                                        |  kB1
#   vthA: vtep, local 10.0.0.1               vthB: br100 -- vx100 (kernel vxlan:
#     VNI 100 peers [10.0.0.2]                 id 100 dev ul0 dstport 4789
#     flood "unicast"                          local 10.0.0.2, no group;
#                                              bridge fdb append 00:00:00:00:00:00
#                                                dev vx100 dst 10.0.0.1)
#          \                                       /
#           pA ------------ vtul: br0 ------------ pB        (tcpdump on pA)
#
# Checks: ping both ways; nothing goes to a multicast address; the ARP
# requests travel unicast; the kernel's `bridge fdb show dev vx100` lists
# A1's MAC at our VTEP address; our dump lists B1's MAC as remote 10.0.0.2;
# B1's TCP and UDP with vx100's checksum offload on reach A with wrong
# inner checksums, which A counts (inner_csum_bad), and pass with it off.
set -eu
. "$(dirname "$0")/lib.sh"
require

host_add A 1
host_add B 2
host_kernel B
vni_add A 100 flood=unicast peers=10.0.0.2
vni_add B 100 flood=unicast peers=10.0.0.1
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
vtep_start A || finish
vtep_start B || finish

cap_start ul "$NS_UL" pA
check "ping A1 -> B1 (vtep -> kernel)" vm_ping A1 "$(vm_addr B1)" 5
in_vm A1 ip neigh flush all
in_vm B1 ip neigh flush all
check "ping B1 -> A1 (kernel -> vtep)" vm_ping B1 "$(vm_addr A1)" 5
cap_stop ul

check_eq "nothing sent to a multicast address" "$(cap_count ul "$F_VX and dst net 224.0.0.0/4")" 0
check_eq "vtep's first VXLAN packet is an ARP request to 10.0.0.2" \
	"$(cap_first_is ul "$F_VX and src host 10.0.0.1" "dst host 10.0.0.2 and $F_ARP")" 1
check_ge "the kernel's ARP request (B1 -> A1) replicated to 10.0.0.1" \
	"$(cap_count ul "$F_VX and src host 10.0.0.2 and dst host 10.0.0.1 and $F_ARP")" 1
check_ge "ICMP vtep -> kernel" "$(cap_count ul "$F_VX and src host 10.0.0.1 and dst host 10.0.0.2 and $F_ICMP")" 10
check_ge "ICMP kernel -> vtep" "$(cap_count ul "$F_VX and src host 10.0.0.2 and dst host 10.0.0.1 and $F_ICMP")" 10

kfdb=$(bridge -n "$(hns B)" fdb show dev vx100)
note "kernel FDB of vx100 on B:"
printf '%s\n' "$kfdb" | sed 's/^/#   /'
check "kernel B: A1's MAC $(vm_mac A1) is at dst 10.0.0.1" \
	grep -q "^$(vm_mac A1) .*dst 10.0.0.1 " <<<"$kfdb"
if dump_json A; then
	check_eq "A: VNI 100 flood mode" "$(jget A 'vni(100)["flood"]')" unicast
	check_eq "A: B1's MAC is remote at 10.0.0.2" "$(fdb_of A 100 "$(vm_mac B1)")" "remote 10.0.0.2 null"
	check_eq "A: A1's MAC is local on tapA1" "$(fdb_of A 100 "$(vm_mac A1)")" "local null tapA1"
fi

# Inner checksums. B1 sits behind veth, whose transmit checksum offload
# leaves TCP and UDP checksums for a NIC to fill in; on this veth underlay
# nothing does, so B1's TCP and UDP reach A with the pseudo-header sum in the checksum
# field (vtep(8), CAVEATS). A forwards such a frame as a bridge would (the
# guest drops it) and counts it; with the offload off on vx100 the kernel
# completes the checksum before encapsulating and the SYN gets its RST.
# connect_b1_a1: exit status of a TCP connect from B1 to A1's port 9 (no
# listener), 124 when nothing answered in 3 s.
connect_b1_a1()
{
	local rc=0
	in_vm B1 timeout 3 bash -c "exec 3<>/dev/tcp/$(vm_addr A1)/9" 2>/dev/null || rc=$?
	echo "$rc"
}
csum_bad() { dump_json A >/dev/null && jget A 'vni(100)["counters"]["inner_csum_bad"]'; }
# shellcheck disable=SC2317 # called through poll
csum_bad_is() { [ "$(csum_bad)" = "$1" ]; }
rx_packets() { dump_json A >/dev/null && jget A 'vni(100)["counters"]["rx_packets"]'; }
# shellcheck disable=SC2317 # called through poll
rx_grew() { [ $(($(rx_packets) - $1)) -ge "$2" ]; }
# udp_b1_a1: 10 UDP datagrams from B1 to A1's port 9.
udp_b1_a1()
{
	in_vm B1 "$PY" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(10): s.sendto(b"x" * 100, (sys.argv[1], 9))' "$(vm_addr A1)"
}
PY=$(command -v python3)
if command -v ethtool >/dev/null 2>&1; then
	bad0=$(csum_bad)
	check_eq "offload on: B1's SYN to A1 unanswered (its checksum is wrong)" "$(connect_b1_a1)" 124
	bad1=$(csum_bad)
	check_ge "A counted the SYNs with a wrong inner checksum (inner_csum_bad)" \
		"$((bad1 - bad0))" 1
	udp_b1_a1
	poll 3 csum_bad_is $((bad1 + 10)) || true
	bad2=$(csum_bad)
	check_eq "A counted B1's 10 UDP datagrams too" "$((bad2 - bad1))" 10
	bad1=$bad2
	in_host B ethtool -K vx100 tx off >/dev/null
	check_eq "offload off: B1's SYN to A1 refused (RST from A1)" "$(connect_b1_a1)" 1
	rx0=$(rx_packets)
	udp_b1_a1
	check "A received B1's 10 UDP datagrams" poll 3 rx_grew "$rx0" 10
	check_eq "A counted no more wrong checksums (TCP and UDP)" "$(csum_bad)" "$bad1"
else
	note "no ethtool: inner checksum checks skipped"
fi

vtep_stop A
finish
