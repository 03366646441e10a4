#!/bin/bash
# SPDX-License-Identifier: MIT
# t51-nd-suppress: IPv6 Neighbor Discovery suppression across three vteps.
#
#   vtvA1 fd00::1  vtvA2 fd00::4     vtvB1 fd00::2       vtvC1 fd00::3  vtvC2 fd00::10
#          \        /                      |                    \        /
#   vthA: vtep 10.0.0.1             vthB: vtep 10.0.0.2     vthC: vtep 10.0.0.3
#     VNI 100 group 239.1.1.100 (multicast) on every host, static entry
#             fd00::10 -> C2's MAC (include_dir drop-in) on every host
#          \                               |                      /
#           pA ------------------- vtul: br0 ------------------ pB, pC
#          (tcpdump -i any in vtul: every port, so a packet shows up
#           once per port it crosses; or on pA: what A sends, once)
#
# lib.sh turns IPv6 off in every namespace; here the VMs turn it back on
# (addrgenmode none: no link-local address, so no DAD/RS noise; fd00::/64
# addresses with nodad).  proto/fwd.h: an NS is answered only once the
# target's own NA told the cache its Router flag.  So: A1's NS for C1
# floods and teaches every host A1 (router status unknown) and teaches A
# C1's NA; A2 then asks for C1 and A answers (nd_suppressed); B1 asking for
# A1 floods (no NA of A1's seen at B yet), and asking again is answered.
# An unsolicited NA from C1 teaches every host; one with a new MAC moves the
# binding (arp_moved) and the answers follow; a DAD NS (from ::) is
# forwarded, not answered; a forged NA for the static fd00::10 is counted
# (arp_conflicts) and changes nothing.  Hand-built frames come from
# tests/tools/l2raw.py (python3 stdlib, AF_PACKET).
set -eu
. "$(dirname "$0")/lib.sh"
require
[ "$VTEP_IMPL" = vtep ] || skip "ND suppression is a vtep feature (VTEP_IMPL=$VTEP_IMPL)"

L2RAW=$TOP/tests/tools/l2raw.py

# l2raw V ARGS...: run the helper in VM V's namespace on V's tap.
l2raw()
{
	local v=$1 sub=$2
	shift 2
	in_vm "$v" python3 "$L2RAW" "$sub" "$(vtap "$v")" "$@"
}

vm_ping6() { in_vm "$1" ping -6 -n -q -c 1 -w "${3:-5}" "$2"; }

# ip6_words ADDR: the address as four 0xXXXXXXXX words (tcpdump byte filters).
ip6_words()
{
	python3 -c 'import ipaddress,sys; b=ipaddress.IPv6Address(sys.argv[1]).packed; print(" ".join("0x"+b[i:i+4].hex() for i in range(0,16,4)))' "$1"
}

# f_v6 OFF ADDR: the 16 bytes at udp[OFF] are ADDR.
f_v6()
{
	local o=$1 w f="" i=0
	for w in $(ip6_words "$2"); do
		f+="${f:+ and }udp[$((o + 4 * i)):4] = $w"
		i=$((i + 1))
	done
	echo "($f)"
}

# Inner IPv6 at udp[30] (8 UDP + 8 VXLAN + 14 Ethernet): next header udp[36],
# source udp[38:16], ICMPv6 type udp[70], ND target udp[78:16].
# f_ns_for TARGET [SOURCE]: NS for TARGET (from SOURCE; "::" = DAD).
f_ns_for()
{
	echo "$F_VX and udp[28:2] = 0x86dd and udp[36] = 58 and udp[70] = 135 and $(f_v6 78 "$1")${2:+ and $(f_v6 38 "$2")}"
}

# arp_of H VNI IP: "MAC TYPE" of H's cache entry for IP in the last dump, or "missing".
arp_of()
{
	jget "$1" "(lambda e: 'missing' if e is None else '%s %s' % (e['mac'].lower(), e['type']))(next((e for e in (vni($2) or {}).get('arp', []) if __import__('ipaddress').ip_address(e.get('ip')) == __import__('ipaddress').ip_address('$3')), None))"
}

vc() { jget "$1" "vni($2)['counters'].get('$3', 0)"; }

# neigh_mac V IP6: the MAC in VM V's IPv6 neighbour table for IP6 (or nothing).
neigh_mac() { in_vm "$1" ip -6 neigh show "$2" dev "$(vtap "$1")" | awk '/lladdr/{print tolower($3)}'; }

dump_all() { dump_json A && dump_json B && dump_json C; }

host_add A 1
host_add B 2
host_add C 3
for h in A B C; do
	vni_add $h 100 group=239.1.1.100 flood=multicast
	conf_set $h include_dir "\"$WORK/$h/vtep.d\""
done
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 100 192.168.100.4/24
vm_add B1 B 100 192.168.100.2/24
vm_add C1 C 100 192.168.100.3/24
vm_add C2 C 100 192.168.100.10/24
STATIC_IP=fd00::10
STATIC_MAC=$(vm_mac C2)
for h in A B C; do
	mkdir -p "$WORK/$h/vtep.d"
	cat >"$WORK/$h/vtep.d/static-nd.conf" <<EOC
vnis = ( { vni = 100; arp = ( { ip = "$STATIC_IP"; mac = "$STATIC_MAC"; } ); } );
EOC
	vtep_start $h || finish
done
v6_up A1 fd00::1
v6_up A2 fd00::4
v6_up B1 fd00::2
v6_up C1 fd00::3
v6_up C2 "$STATIC_IP"
A1_IP=$(vm_addr6 A1)
A2_IP=$(vm_addr6 A2)
B1_IP=$(vm_addr6 B1)
C1_IP=$(vm_addr6 C1)
C1_MAC=$(vm_mac C1)

if dump_all; then
	for h in A B C; do
		check_eq "$h: static entry $STATIC_IP at start" "$(arp_of $h 100 "$STATIC_IP")" "$STATIC_MAC static"
	done
fi

# ---------------------------------------------------------------- 1. the first NS floods and teaches
cap_start teach "$NS_UL" any
check "ping -6 A1 -> C1" vm_ping6 A1 "$C1_IP"
cap_stop teach
check_ge "A1's NS for C1 crossed the underlay (to the group)" \
	"$(cap_count teach "$(f_ns_for "$C1_IP" "$A1_IP") and src host 10.0.0.1 and dst host 239.1.1.100")" 1
if dump_all; then
	for h in A B C; do
		check_eq "$h: learned A1's binding from its NS" "$(arp_of $h 100 "$A1_IP")" "$(vm_mac A1) snooped"
	done
	check_eq "A: learned C1's binding from its NA" "$(arp_of A 100 "$C1_IP")" "$C1_MAC snooped"
	check_eq "B: does not know C1 yet (the NA went to A only)" "$(arp_of B 100 "$C1_IP")" missing
	check_eq "A: nothing answered yet" "$(vc A 100 nd_suppressed)" 0
fi

# ---------------------------------------------------------------- 2. another VM on A asks: answered
cap_start sup "$NS_UL" any
check "ping -6 A2 -> C1" vm_ping6 A2 "$C1_IP"
cap_stop sup
check_eq "A2's neighbour table has C1's MAC" "$(neigh_mac A2 "$C1_IP")" "$C1_MAC"
check_eq "no NS from A2 for C1 on the underlay" "$(cap_count sup "$(f_ns_for "$C1_IP" "$A2_IP")")" 0
check_ge "(the same capture saw A2's ping cross)" \
	"$(cap_count sup "$F_VX and udp[28:2] = 0x86dd and udp[70] = 128 and $(f_inner_src "$(vm_mac A2)")")" 1
if dump_json A; then
	check_eq "A answered A2's NS (nd_suppressed 1)" "$(vc A 100 nd_suppressed)" 1
	check_eq "A: no ARP answered for it (arp_suppressed 0)" "$(vc A 100 arp_suppressed)" 0
fi
if command -v ndisc6 >/dev/null 2>&1; then
	out=$(in_vm A2 ndisc6 -1 -r 1 -w 1000 "$C1_IP" "$(vtap A2)" 2>&1 || true)
	check_eq "ndisc6 from A2: C1's link-layer address" \
		"$(printf '%s\n' "$out" | awk '/link-layer address/{print tolower($NF)}')" "$C1_MAC"
	dump_json A && check_eq "A answered ndisc6's NS too (nd_suppressed 2)" "$(vc A 100 nd_suppressed)" 2
else
	note "ndisc6 not installed (Debian package ndisc6): its check skipped"
fi

# ---------------------------------------------------------------- 3. B knows A1 only from its NS
dump_json B
sup0=$(vc B 100 nd_suppressed)
cap_start b1 "$NS_UL" any
check "ping -6 B1 -> A1" vm_ping6 B1 "$A1_IP"
cap_stop b1
check_ge "B1's NS for A1 crossed the underlay (router status unknown at B)" \
	"$(cap_count b1 "$(f_ns_for "$A1_IP" "$B1_IP") and src host 10.0.0.2")" 1
dump_json B && check_eq "B did not answer it" "$(vc B 100 nd_suppressed)" "$sup0"
in_vm B1 ip -6 neigh flush dev "$(vtap B1)"
cap_start b1again "$NS_UL" any
check "ping -6 B1 -> A1 again (neighbour table flushed)" vm_ping6 B1 "$A1_IP"
cap_stop b1again
check_eq "B1's neighbour table has A1's MAC" "$(neigh_mac B1 "$A1_IP")" "$(vm_mac A1)"
check_eq "no NS from B1 for A1 on the underlay this time" \
	"$(cap_count b1again "$(f_ns_for "$A1_IP" "$B1_IP")")" 0
dump_json B && check_eq "B answered (nd_suppressed +1, A1's NA seen)" "$(($(vc B 100 nd_suppressed) - sup0))" 1

# ---------------------------------------------------------------- 4. unsolicited NA from C1
cap_start na "$NS_UL" any
check "C1 sends an unsolicited NA (O=1) to ff02::1" l2raw C1 na --src "$C1_IP" --target "$C1_IP" --flags O
cap_stop na
check_ge "C1's NA flooded to the group" \
	"$(cap_count na "$F_VX and udp[28:2] = 0x86dd and udp[70] = 136 and src host 10.0.0.3 and dst host 239.1.1.100")" 1
if dump_all; then
	for h in A B C; do
		check_eq "$h: C1's binding after its NA" "$(arp_of $h 100 "$C1_IP")" "$C1_MAC snooped"
	done
	sup0=$(vc B 100 nd_suppressed)
fi
cap_start na2 "$NS_UL" any
check "ping -6 B1 -> C1" vm_ping6 B1 "$C1_IP"
cap_stop na2
check_eq "B1's neighbour table has C1's MAC" "$(neigh_mac B1 "$C1_IP")" "$C1_MAC"
check_eq "no NS from B1 for C1 on the underlay" "$(cap_count na2 "$(f_ns_for "$C1_IP" "$B1_IP")")" 0
dump_json B && check_eq "B answered (nd_suppressed +1)" "$(($(vc B 100 nd_suppressed) - sup0))" 1

# ---------------------------------------------------------------- 5. an NA moves the address
NEW_MAC=52:54:00:cc:00:03
dump_all
declare -A MOVED0=()
for h in A B C; do MOVED0[$h]=$(vc $h 100 arp_moved); done
in_vm C1 ip link set "$(vtap C1)" address "$NEW_MAC"
check "C1 (new MAC $NEW_MAC) sends an unsolicited NA (O=1)" \
	l2raw C1 na --src "$C1_IP" --target "$C1_IP" --flags O
sleep 0.3
if dump_all; then
	for h in A B C; do
		check_eq "$h: C1's address moved to the new MAC" "$(arp_of $h 100 "$C1_IP")" "$NEW_MAC snooped"
		check_eq "$h: arp_moved +1" "$(($(vc $h 100 arp_moved) - ${MOVED0[$h]}))" 1
	done
	sup0=$(vc B 100 nd_suppressed)
fi
in_vm B1 ip -6 neigh flush dev "$(vtap B1)"
cap_start move "$NS_UL" any
check "ping -6 B1 -> C1 after the move" vm_ping6 B1 "$C1_IP"
cap_stop move
check_eq "B1's neighbour table has C1's new MAC" "$(neigh_mac B1 "$C1_IP")" "$NEW_MAC"
check_eq "no NS from B1 for C1 on the underlay after the move" \
	"$(cap_count move "$(f_ns_for "$C1_IP" "$B1_IP")")" 0
dump_json B && check_eq "B answered with the new MAC (nd_suppressed +1)" "$(($(vc B 100 nd_suppressed) - sup0))" 1

# ---------------------------------------------------------------- 6. DAD is forwarded
dump_json A
sup0=$(vc A 100 nd_suppressed)
cap_start dad "$NS_UL" pA    # what A sends: each packet once
check "A2 sends a DAD NS (from ::) for C1's address" l2raw A2 ns --src :: --target "$C1_IP"
cap_stop dad
check_eq "the DAD NS crossed the underlay (to the group)" \
	"$(cap_count dad "$(f_ns_for "$C1_IP" ::) and src host 10.0.0.1 and dst host 239.1.1.100")" 1
if dump_json A; then
	check_eq "A did not answer it (nd_suppressed unchanged)" "$(vc A 100 nd_suppressed)" "$sup0"
	check_eq "A: C1's binding unchanged by the DAD NS" "$(arp_of A 100 "$C1_IP")" "$NEW_MAC snooped"
	check_eq "A: nothing cached for ::" "$(arp_of A 100 ::)" missing
fi

# ---------------------------------------------------------------- 7. static entry vs forgery
# A2 resolves C2 first: not answered even from the static entry (its router
# status is unknown), so the NS floods and C2's own NA teaches A.
dump_json A
sup0=$(vc A 100 nd_suppressed)
cap_start static1 "$NS_UL" any
check "ping -6 A2 -> C2 (static entry, first time)" vm_ping6 A2 "$STATIC_IP"
cap_stop static1
check_ge "A2's NS for $STATIC_IP crossed the underlay (router status unknown)" \
	"$(cap_count static1 "$(f_ns_for "$STATIC_IP" "$A2_IP") and src host 10.0.0.1")" 1
dump_json A && check_eq "A did not answer it" "$(vc A 100 nd_suppressed)" "$sup0"
B1_MAC=$(vm_mac B1)
dump_all
declare -A CONF0=()
for h in A B C; do CONF0[$h]=$(vc $h 100 arp_conflicts); done
check "B1 forges an unsolicited NA (O=1): $STATIC_IP is at $B1_MAC" \
	l2raw B1 na --src "$STATIC_IP" --target "$STATIC_IP" --flags O
check "B1 forges a solicited NA to A1: $STATIC_IP is at $B1_MAC" \
	l2raw B1 na --src "$STATIC_IP" --dst "$A1_IP" --eth-dst "$(vm_mac A1)" --target "$STATIC_IP" --flags SO
sleep 0.3
if dump_all; then
	# B sees both on its tap; A gets both; C only the multicast one.
	check_eq "B: arp_conflicts +2" "$(($(vc B 100 arp_conflicts) - ${CONF0[B]}))" 2
	check_eq "A: arp_conflicts +2" "$(($(vc A 100 arp_conflicts) - ${CONF0[A]}))" 2
	check_eq "C: arp_conflicts +1" "$(($(vc C 100 arp_conflicts) - ${CONF0[C]}))" 1
	for h in A B C; do
		check_eq "$h: static entry intact after the forgeries" "$(arp_of $h 100 "$STATIC_IP")" "$STATIC_MAC static"
	done
	sup0=$(vc A 100 nd_suppressed)
fi
cap_start static "$NS_UL" any
check "ping -6 A1 -> C2 (static entry)" vm_ping6 A1 "$STATIC_IP"
cap_stop static
check_eq "A1's neighbour table has C2's real MAC" "$(neigh_mac A1 "$STATIC_IP")" "$STATIC_MAC"
check_eq "no NS from A1 for $STATIC_IP on the underlay" \
	"$(cap_count static "$(f_ns_for "$STATIC_IP" "$A1_IP")")" 0
dump_json A && check_eq "A answered from the static entry (nd_suppressed +1)" \
	"$(($(vc A 100 nd_suppressed) - sup0))" 1

for h in A B C; do
	vtep_stop $h
done
finish
