#!/bin/bash
# SPDX-License-Identifier: MIT
# t29-tos: the outer DS field and ECN across the tunnel, against the kernel
# vxlan driver ("tos" and "tos inherit" of `ip link add ... type vxlan`).
#
#   vtvA1 .100.1  vtvA2 .200.1   vtvB1 .100.2  vtvB2 .200.2   vtvC2 .200.3
#   vthA: vtep 10.0.0.1          vthB: vtep 10.0.0.2          vthC: kernel vxlan 10.0.0.3
#     tos = "inherit"              tos unset (0)                tos unset (0)
#     VNI 100 tos = 0xb8           VNI 100, 200                 VNI 200
#     VNI 200                      (head-end replication everywhere)
#
# Checks (every check also holds with VTEP_IMPL=kernel, where A and B run
# the kernel driver with the same tos, but the vtep-only ones marked so):
#   - vtep -t refuses tos = 0xb9 with FILE:LINE (ECN bits are not
#     configurable); A logs and dumps (JSON and text) "tos 0xb8" for VNI
#     100, "tos inherit" for 200;
#   - VNI 100, tos 0xb8: every packet A sends in it, ARP included, has
#     outer TOS 0xb8 (ping A1 -> B1);
#   - VNI 200, inherit: ping -Q 0x28 goes out with outer TOS 0x28, ARP
#     with 0; ping -Q 0x2b (CE inside) with 0x2a, CE sent as ECT(0) (RFC
#     6040 4.1), and B2 still sees 0x2b inside;
#   - B (tos 0) keeps DSCP 0 but carries ECN: ping -Q 0x29 from B2 leaves B
#     with outer TOS 0x01;
#   - CE on the outer packet (nftables on C marks everything it sends):
#     ping -Q 0x02 C2 -> A2 is answered and A2 sees CE (tos 0x3) on the
#     echo requests, A counted ecn_marked (vtep); ping -Q 0 C2 -> A2 (not
#     ECN-capable) is dropped, 0 of 3 answered, A counted drops.ecn (vtep);
#     hand-made CE datagrams from C: in VNI 100 (C is not a peer) counted
#     not_allowed, not ecn; in VNI 200 counted in C's rx_packets (vtep);
#   - TCP with ECN (net.ipv4.tcp_ecn = 1 in the VMs) A1 -> B1 while A's
#     underlay marks CE on every ECN-capable outer packet (as an AQM would):
#     the transfer goes through, B1 receives CE-marked segments, B counted
#     ecn_marked and no drops.ecn;
#   - a reload changes VNI 100's tos to 0x20 without a restart: the next
#     pings leave A with outer TOS 0x20 (vtep).
set -eu
. "$(dirname "$0")/lib.sh"
require
command -v nft >/dev/null 2>&1 || skip "nft (nftables) not installed"
command -v iperf3 >/dev/null 2>&1 || skip "iperf3 not installed"

A=10.0.0.1 B=10.0.0.2 C=10.0.0.3

if [ "$VTEP_IMPL" = vtep ]; then
	conf_refused "tos with ECN bits" "local = \"$A\";
tos = 0xb9;
vnis = ( { vni = 1; } );" 2 "tos: '185' sets ECN bits"
fi

host_add A 1
host_add B 2
host_add C 3
host_kernel C
conf_set A tos '"inherit"'
vni_add A 100 flood=unicast peers=$B tos=0xb8
vni_add A 200 flood=unicast peers=$B,$C
vni_add B 100 flood=unicast peers=$A
vni_add B 200 flood=unicast peers=$A,$C
vni_add C 200 flood=unicast peers=$A,$B
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 200 192.168.200.1/24
vm_add B1 B 100 192.168.100.2/24
vm_add B2 B 200 192.168.200.2/24
vm_add C2 C 200 192.168.200.3/24
for h in A B C; do
	vtep_start $h || finish
done
B1=$(vm_addr B1) A2=$(vm_addr A2) B2=$(vm_addr B2)

if ! is_kernel A; then
	check "A logs VNI 100's tos" grep -q "vni 100: .*, tos 0xb8\$" "$WORK/A/vtep.log"
	check "A logs VNI 200's tos" grep -q "vni 200: .*, tos inherit\$" "$WORK/A/vtep.log"
	dump_json A
	check_eq "A's dump: VNI 100 tos" "$(jget A "vni(100)['tos']")" 0xb8
	check_eq "A's dump: VNI 200 tos" "$(jget A "vni(200)['tos']")" inherit
	check "A's text dump names the tos" grep -q "^vni 200 flood unicast .* tos inherit\$" \
		"$WORK/A/vtep.dump"
fi

# Outer packets from host H in VNI N (of A's underlay capture).
from() { echo "src host $1 and $F_VX and $(f_vni "$2")"; }
# pingq V DST TOS: 3 pings with IP TOS byte TOS, all answered.
pingq() { in_vm "$1" ping -n -q -Q "$3" -c 3 -i 0.2 -w 5 "$2"; }

cap_start ul "$(hns A)" ul0 || finish
check "VNI 100: ping A1 -> B1" vm_ping A1 "$B1"
check "VNI 200: ping -Q 0x28 A2 -> B2" pingq A2 "$B2" 0x28
cap_start inB2 "$(vns B2)" "$(vtap B2)" || finish
check "VNI 200: ping -Q 0x2b (inner CE) A2 -> B2" pingq A2 "$B2" 0x2b
cap_stop inB2
check "VNI 200: ping -Q 0x29 B2 -> A2" pingq B2 "$A2" 0x29
cap_stop ul

check_ge "VNI 100 (tos 0xb8): the echo requests left A with outer TOS 0xb8" \
	"$(cap_count ul "$(from $A 100) and $F_ICMP and ip[1] = 0xb8")" 3
check_eq "VNI 100 (tos 0xb8): nothing from A with another TOS" \
	"$(cap_count ul "$(from $A 100) and ip[1] != 0xb8")" 0
check_ge "VNI 100: ARP from A has outer TOS 0xb8" \
	"$(cap_count ul "$(from $A 100) and $F_ARP and ip[1] = 0xb8")" 1
check_ge "VNI 200 (inherit): ping -Q 0x28 left A with outer TOS 0x28" \
	"$(cap_count ul "$(from $A 200) and $F_ICMP and ip[1] = 0x28")" 3
check_ge "VNI 200 (inherit): ARP left A with outer TOS 0" \
	"$(cap_count ul "$(from $A 200) and $F_ARP and ip[1] = 0")" 1
check_ge "VNI 200 (inherit): inner CE left A as ECT(0), outer TOS 0x2a" \
	"$(cap_count ul "$(from $A 200) and $F_ICMP and ip[1] = 0x2a")" 3
check_eq "VNI 200: no outer CE from A" \
	"$(cap_count ul "src host $A and $F_VX and ip[1] & 3 = 3")" 0
check_ge "VNI 200: B2 received the echo requests with CE inside (0x2b)" \
	"$(cap_count inB2 "icmp[icmptype] = icmp-echo and ip[1] = 0x2b")" 3
check_ge "B (tos 0): ping -Q 0x29 left B with outer TOS 0x01 (ECN only)" \
	"$(cap_count ul "$(from $B 200) and $F_ICMP and ip[1] = 0x01")" 3
check_eq "B (tos 0): no DSCP on anything B sent" \
	"$(cap_count ul "src host $B and $F_VX and ip[1] & 0xfc != 0")" 0

# ------------------------------------------------ CE on the outer packet
# C's underlay marks CE on everything it sends (a congested path).
in_host C nft -f - <<'EOF'
table ip vtce {
	chain post {
		type filter hook postrouting priority 0;
		udp dport 4789 ip ecn set ce
	}
}
EOF
is_kernel A || dump_json A
m0=$(is_kernel A || jget A "vni(200)['counters'].get('ecn_marked', 0)")
e0=$(is_kernel A || jget A "vni(200)['counters']['drops'].get('ecn', 0)")
cap_start inA2 "$(vns A2)" "$(vtap A2)" || finish
check "outer CE: ping -Q 0x02 (ECT(0)) C2 -> A2 answered" pingq C2 "$A2" 0x02
cap_stop inA2
check_ge "outer CE: A2 received the echo requests marked CE (0x03)" \
	"$(cap_count inA2 "icmp[icmptype] = icmp-echo and ip[1] = 0x03")" 3
got=$(in_vm C2 ping -n -q -Q 0 -c 3 -i 0.2 -W 1 "$A2" 2>/dev/null |
	sed -n 's/.* \([0-9]*\) received.*/\1/p')
check_eq "outer CE, inner not ECN-capable: C2 -> A2 dropped (0 of 3)" "${got:-no ping summary}" 0
if ! is_kernel A; then
	dump_json A
	check_ge "A counted ecn_marked" \
		"$(jget A "vni(200)['counters'].get('ecn_marked', 0)")" $((m0 + 3))
	check_ge "A counted drops.ecn" \
		"$(jget A "vni(200)['counters']['drops'].get('ecn', 0)")" $((e0 + 3))
	# Hand-made datagrams, CE-marked by C's underlay too: in VNI 100,
	# whose only peer is B, C is a stranger (not_allowed, whatever the
	# ECN); in VNI 200 it is a peer, and what it sent counts as taken in
	# from it even when dropped for ECN.
	na0=$(jget A "vni(100)['counters']['drops'].get('not_allowed', 0)")
	e1=$(jget A "vni(100)['counters']['drops'].get('ecn', 0)")
	rx0=$(jget A "next(r['rx_packets'] for r in d['remotes'] if r['address'] == '$C')")
	in_host C python3 "$VXSEND" --dst $A --src $C --vni 100 --count 3 \
		--ipv4 192.168.100.9,192.168.100.1,0 >/dev/null
	in_host C python3 "$VXSEND" --dst $A --src $C --vni 200 --count 3 \
		--ipv4 192.168.200.9,192.168.200.1,0 >/dev/null
	sleep 0.3
	dump_json A
	check_eq "outer CE from C in VNI 100 (not its peer): drops.not_allowed" \
		"$(jget A "vni(100)['counters']['drops'].get('not_allowed', 0)")" $((na0 + 3))
	check_eq "... not drops.ecn" "$(jget A "vni(100)['counters']['drops'].get('ecn', 0)")" "$e1"
	check_ge "outer CE from C in VNI 200, dropped for ECN: C's rx_packets counted them" \
		"$(jget A "next(r['rx_packets'] for r in d['remotes'] if r['address'] == '$C')")" \
		$((rx0 + 3))
fi
in_host C nft delete table ip vtce

# ------------------------------------------------ TCP with ECN, marked CE
for v in A1 B1; do
	in_vm "$v" sysctl -qw net.ipv4.tcp_ecn=1
done
in_host A nft -f - <<'EOF'
table ip vtce {
	chain post {
		type filter hook postrouting priority 0;
		udp dport 4789 ip ecn ect0 ip ecn set ce
	}
}
EOF
is_kernel B || dump_json B
m0=$(is_kernel B || jget B "vni(100)['counters'].get('ecn_marked', 0)")
cap_start inB1 "$(vns B1)" "$(vtap B1)" || finish
bytes=$(tcp_bytes A1 "$B1" B1)
cap_stop inB1
in_host A nft delete table ip vtce
check_ge "TCP with ECN under CE marking: A1 -> B1 moved >= 1 MiB" "$bytes" 1048576
check_ge "TCP with ECN: B1 received CE-marked segments" \
	"$(cap_count inB1 "tcp and dst host $B1 and ip[1] & 3 = 3")" 1
if ! is_kernel B; then
	dump_json B
	check_ge "B counted ecn_marked" "$(jget B "vni(100)['counters'].get('ecn_marked', 0)")" \
		$((m0 + 10))
	check_eq "B dropped nothing for ECN" "$(jget B "vni(100)['counters']['drops'].get('ecn', 0)")" 0
fi

# ------------------------------------------------ reload
if ! is_kernel A; then
	# shellcheck disable=SC2034 # read by conf_write (lib.sh)
	VNI_OPT[A:100]="flood=unicast peers=$B tos=0x20"
	conf_write A "${HOST_CONF[A]}"
	check "reload with VNI 100 tos = 0x20 applied" \
		ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
	cap_start ul2 "$(hns A)" ul0 || finish
	check "VNI 100: ping A1 -> B1 after the reload" vm_ping A1 "$B1"
	cap_stop ul2
	check_ge "VNI 100: A now sends with outer TOS 0x20" \
		"$(cap_count ul2 "$(from $A 100) and ip[1] = 0x20")" 3
	check_eq "VNI 100: nothing with the old TOS" \
		"$(cap_count ul2 "$(from $A 100) and ip[1] = 0xb8")" 0
fi

finish
