#!/bin/bash
# SPDX-License-Identifier: MIT
# t28-ipv6-underlay: VXLAN over an IPv6-only underlay, vtep against vtep and
# against the Linux kernel vxlan driver (local/remote/group in IPv6).
#
#   vtvA1 .100.1  vtvA2 .200.1     vtvB1 .100.2  vtvB2 .200.2     vtvC1 .100.3  vtvC2 .200.3
#     tapA1  tapA2                   tapB1  tapB2                   (veth ends)
#        |     |                        |     |                     br100 br200
#   vthA: vtep fd00:1::1           vthB: vtep fd00:1::2           vthC: kernel vxlan fd00:1::3
#     VNI 100 group ff05::100        same                           vx100 group ff05::100
#     VNI 200 peers ::2, ::3         VNI 200 peers ::1, ::3         vx200 fdb 00:00.. dst ::1, ::2
#        \                              |                              /
#         pA ----------------------- vtul: br0 ----------------------- pC
#                                       |
#   vthD: vtep fd00:1::4, net.core.optmem_max = 0 (every MLD join fails)
#     VNI 300 group ff05::300, peers [::1], flood "auto"  (A: VNI 300 group ff05::300)
#     vtvD3 192.168.44.4                                  (vtvA3 192.168.44.1)
#
# No host has an IPv4 address on its underlay. Checks:
#   - a mixed-family config is refused with FILE:LINE (vtep -t, exit 1);
#   - A logs its IPv6 underlay, the tap MTU 1430 (1500 - 70, the kernel's
#     default over IPv6), and the join of ff05::100; tapA1 has mtu 1430;
#   - VNI 100 (multicast): ping A1 -> B1, A1 -> C1, C1 -> B1; A's first ARP
#     request goes to ff05::100; nothing is sent over IPv4;
#   - VNI 200 (head-end replication): ping A2 -> B2, C2 -> A2, where C
#     sends zero UDP checksums (udp6zerocsumtx; the capture shows them),
#     which A accepts; A's ARP
#     request is replicated to fd00:1::2 and fd00:1::3; nothing of VNI 200
#     goes to a multicast address;
#   - VNI 400 on A and B floods to ff02::400, a group of link-local scope
#     (bound and joined on ul0): ping A4 -> B4, A's ARP request to it;
#   - flood = "auto" on D, where every MLD join fails (optmem_max 0): VNI
#     300 falls back to unicast replication (dump, log); D3 -> A3 works;
#   - learning: A's dump has B1 remote at fd00:1::2 and C1 at fd00:1::3; the
#     kernel's FDB on C has A1's MAC at dst fd00:1::1;
#   - TCP (iperf3 -t 2) A1 -> B1 over IPv4 and IPv6, A1 -> C1 and C1 -> A1
#     (vx100's checksum offload off, as in t21) moves >= 10 MiB each (UDP
#     GSO trains and GRO over IPv6), and A counted no drops in VNI 100;
#   - the outer capture (point "outer") reads back as IPv6/UDP/VXLAN with
#     correct UDP checksums (tcpdump -vv: "udp sum ok");
#   - path MTU: ul0 MTU 1400 on A and B: ping -M do -s 1400 A1 -> B1 is
#     answered "Frag needed and DF set (mtu = 1330)" (1400 - 70), and A
#     logged "path MTU to fd00:1::2 is 1400"; ping -M dont -s 1400 passes
#     (its packets and the replies fragmented before encapsulation).
set -eu
. "$(dirname "$0")/lib.sh"
require
command -v iperf3 >/dev/null 2>&1 || skip "iperf3 not installed"

# shellcheck disable=SC2034 # read by host_add and kvx_start (lib.sh)
UL_V6=1
A6=fd00:1::1 B6=fd00:1::2 C6=fd00:1::3 G6=ff05::100
CAP=$WORK/outer.pcap

# Refused before anything starts: peers of the other family.
if [ "$VTEP_IMPL" = vtep ]; then
	conf_refused "mixed-family config" "local = \"$A6\";
vnis = ( { vni = 1;
  peers = [ \"10.0.0.2\" ]; } );" 3 \
		"vnis\[0\].peers\[0\]: '10.0.0.2' is an IPv4 address but local is IPv6"
fi

host_add A 1
host_add B 2
host_add C 3
host_kernel C
# D: every MLD join fails (no option memory for the membership), so its
# flood = "auto" VNI falls back to head-end replication.
host_add D 4
in_host D sysctl -qw net.core.optmem_max=0
vni_add A 100 group=$G6
vni_add B 100 group=$G6
vni_add C 100 group=$G6
vni_add A 200 flood=unicast peers=$B6,$C6
vni_add B 200 flood=unicast peers=$A6,$C6
vni_add C 200 flood=unicast peers=$A6,$B6
# C sends zero UDP checksums (RFC 6935; RFC 7348 5: they MUST be accepted):
# a kernel host must be told to accept them, vtep always does.
kvx_args A udp6zerocsumrx
kvx_args B udp6zerocsumrx
kvx_args C udp6zerocsumtx udp6zerocsumrx
vni_add A 300 group=ff05::300 flood=auto
vni_add A 400 group=ff02::400
vni_add B 400 group=ff02::400
vni_add D 300 group=ff05::300 peers=$A6 flood=auto
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
vm_add C1 C 100 192.168.100.3/24
vm_add A2 A 200 192.168.200.1/24
vm_add B2 B 200 192.168.200.2/24
vm_add C2 C 200 192.168.200.3/24
vm_add A3 A 300 192.168.44.1/24
vm_add D3 D 300 192.168.44.4/24
vm_add A4 A 400 192.168.40.1/24
vm_add B4 B 400 192.168.40.2/24
conf_set A capture "{ file = \"$CAP\"; point = \"outer\"; }"
vtep_start A || finish
vtep_start B || finish
vtep_start C || finish
vtep_start D || finish

if ! is_kernel A; then
	check "A logged its IPv6 underlay and tap mtu 1430" \
		grep -q "underlay $A6:4789 on 'ul0' (mtu 1500), tap mtu 1430" "$WORK/A/vtep.log"
	check "A joined $G6" grep -q "joined group $G6 on 'ul0'" "$WORK/A/vtep.log"
fi
check "tapA1 has mtu 1430" grep -q " mtu 1430 " <<<"$(in_vm A1 ip link show tapA1)"

# Filters on an IPv6 outer header (libpcap has no udp[] for IPv6): UDP at
# ip6[40], VXLAN at ip6[48], the inner Ethernet header at ip6[56].
F6_VX="ip6 and udp dst port 4789"
F6_ARP="ip6[68:2] = 0x0806"
f6_vni() { echo "(ip6[52:4] >> 8) = $1"; }

cap_start ul "$NS_UL" pA
check "VNI 100: ping A1 -> B1 (vtep -> vtep, multicast BUM)" vm_ping A1 "$(vm_addr B1)" 3
check "VNI 100: ping A1 -> C1 (vtep -> kernel)" vm_ping A1 "$(vm_addr C1)" 3
check "VNI 100: ping C1 -> B1 (kernel -> vtep)" vm_ping C1 "$(vm_addr B1)" 3
check "VNI 200: ping A2 -> B2 (vtep -> vtep, head-end replication)" vm_ping A2 "$(vm_addr B2)" 3
check "VNI 200: ping C2 -> A2 (kernel -> vtep)" vm_ping C2 "$(vm_addr A2)" 3
check "VNI 300: ping D3 -> A3 (D replicates, A floods to ff05::300)" vm_ping D3 "$(vm_addr A3)" 3
check "VNI 400: ping A4 -> B4 (link-local scope group ff02::400)" vm_ping A4 "$(vm_addr B4)" 3
cap_stop ul

check_eq "nothing on the underlay is IPv4" "$(cap_count ul "ip")" 0
check_eq "VNI 100: A's first VXLAN packet is an ARP request to $G6" \
	"$(cap_first_is ul "$F6_VX and src host $A6 and $(f6_vni 100)" "dst host $G6 and $F6_ARP")" 1
check_ge "VNI 200: A's ARP request replicated to $B6" \
	"$(cap_count ul "$F6_VX and src host $A6 and dst host $B6 and $(f6_vni 200) and $F6_ARP")" 1
check_ge "VNI 200: A's ARP request replicated to $C6" \
	"$(cap_count ul "$F6_VX and src host $A6 and dst host $C6 and $(f6_vni 200) and $F6_ARP")" 1
check_eq "VNI 200: nothing to a multicast address" \
	"$(cap_count ul "$F6_VX and $(f6_vni 200) and dst net ff00::/8")" 0
check_ge "VNI 200: C's datagrams to A carry a zero UDP checksum (and were answered)" \
	"$(cap_count ul "$F6_VX and src host $C6 and dst host $A6 and $(f6_vni 200) and ip6[46:2] = 0")" 3
check_ge "VNI 100: the kernel's packets reach A (from $C6)" \
	"$(cap_count ul "$F6_VX and src host $C6 and dst host $A6 and $(f6_vni 100)")" 3

if ! is_kernel A && dump_json A; then
	check_eq "A: VNI 100 floods to the group" "$(jget A 'vni(100)["flood"]')" multicast
	check_eq "A: B1's MAC is remote at $B6" "$(fdb_of A 100 "$(vm_mac B1)")" "remote $B6 null"
	check_eq "A: C1's MAC is remote at $C6" "$(fdb_of A 100 "$(vm_mac C1)")" "remote $C6 null"
	check_eq "A: C2's MAC is remote at $C6" "$(fdb_of A 200 "$(vm_mac C2)")" "remote $C6 null"
fi
if ! is_kernel D && dump_json D; then
	check_eq "D (MLD join fails): VNI 300 falls back to unicast" "$(jget D 'vni(300)["flood"]')" unicast
	check "D logged the fallback" grep -q \
		"cannot join group ff05::300 on 'ul0', falling back to unicast replication" "$WORK/D/vtep.log"
fi
check_ge "VNI 400: A's first ARP request went to ff02::400" \
	"$(cap_count ul "$F6_VX and src host $A6 and dst host ff02::400 and $(f6_vni 400) and $F6_ARP")" 1
check_ge "VNI 300: D's packets go to $A6 unicast" \
	"$(cap_count ul "$F6_VX and src host fd00:1::4 and dst host $A6 and $(f6_vni 300)")" 3
kfdb=$(bridge -n "$(hns C)" fdb show dev vx100)
check "kernel C: A1's MAC $(vm_mac A1) is at dst $A6" grep -q "^$(vm_mac A1) .*dst $A6 " <<<"$kfdb"

# TCP in bulk: GSO trains out, GRO in, over IPv6.
v6_up A1 fd00:100::1
v6_up B1 fd00:100::2
check_ge "TCP A1 -> B1 (vtep -> vtep) moved >= 10 MiB" "$(tcp_bytes A1 "$(vm_addr B1)" B1)" 10485760
check_ge "TCP over IPv6 A1 -> B1 moved >= 10 MiB" "$(tcp_bytes A1 fd00:100::2 B1 -6)" 10485760
# The kernel host's guests leave their checksums to a NIC that this veth
# underlay does not have unless vx100 completes them (t21, vtep(8) CAVEATS).
if command -v ethtool >/dev/null 2>&1; then
	for h in A B C; do
		! is_kernel "$h" || in_host "$h" ethtool -K vx100 tx off >/dev/null
	done
	check_ge "TCP A1 -> C1 (vtep -> kernel) moved >= 10 MiB" "$(tcp_bytes A1 "$(vm_addr C1)" C1)" 10485760
	check_ge "TCP C1 -> A1 (kernel -> vtep) moved >= 10 MiB" "$(tcp_bytes C1 "$(vm_addr A1)" A1)" 10485760
else
	note "no ethtool: TCP with the kernel host skipped"
fi
if ! is_kernel A && dump_json A; then
	check_eq "A: no drops in VNI 100" \
		"$(jget A 'sum(vni(100)["counters"]["drops"].values())')" 0
fi

# The outer capture: rebuilt IPv6 headers with real UDP checksums.
if ! is_kernel A; then
	sleep 1.2                       # flushed every second
	capv=$(tcpdump -r "$CAP" -n -vv -c 20 2>/dev/null || true)
	check "capture: outer IPv6 from $A6 decoded as VXLAN" \
		grep -q "$A6\.[0-9]* > [0-9a-f:]*\.4789: \[udp sum ok\] VXLAN" <<<"$capv"
	check_eq "capture: no bad UDP checksum in the first 20 packets" \
		"$(grep -c "bad udp cksum" <<<"$capv" || true)" 0
fi

# Path MTU over IPv6: 70 bytes of headers.
in_host A ip link set ul0 mtu 1400
in_host B ip link set ul0 mtu 1400
out=$(in_vm A1 ping -n -M "do" -s 1400 -c 3 -i 0.3 -W 1 "$(vm_addr B1)" 2>&1 || true)
printf '%s\n' "$out" | grep -Ev '^$|statistics|rtt' | sed 's/^/#   /'
check "ping -M do -s 1400 answered 'frag needed (mtu = 1330)'" \
	grep -Eiq "frag needed and DF set \(mtu = 1330\)" <<<"$out"
is_kernel A || check "A logged the path MTU to $B6" grep -q "path MTU to $B6 is 1400" "$WORK/A/vtep.log"
check "ping -M do -s 1302 (1330 bytes of IP) passes" \
	in_vm A1 ping -n -M "do" -s 1302 -c 2 -i 0.3 -w 5 "$(vm_addr B1)"
# Without DF: vtep fragments the inner packet. (The kernel driver cannot
# clear DF on an IPv6 outer packet and does not fragment it: under
# VTEP_IMPL=kernel these pings are lost, which is only noted.)
in_vm A1 ip route flush cache
out=$(in_vm A1 ping -n -M dont -s 1400 -c 3 -i 0.3 -w 5 "$(vm_addr B1)" 2>&1 || true)
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
if is_kernel A; then
	note "kernel: ping -M dont -s 1400 over the IPv6 underlay: ${got:-0} of 3 replies"
else
	check_eq "ping -M dont -s 1400 (fragmented inside, both ways): replies" "${got:-0}" 3
fi

is_kernel A || vtep_stop A
is_kernel B || vtep_stop B
is_kernel D || vtep_stop D
finish
