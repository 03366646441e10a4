#!/bin/bash
# SPDX-License-Identifier: MIT
# t50-arp-suppress: ARP suppression across three vteps.
#
#   vtvA1 .100.1  vtvA2 .100.4      vtvB1 .100.2          vtvC1 .100.3  vtvC2 .100.10
#   vtvA3 .200.1                    vtvB3 .200.2          vtvC3 .200.3
#        \   |   /                       |  /                  \   |   /
#   vthA: vtep 10.0.0.1           vthB: vtep 10.0.0.2     vthC: vtep 10.0.0.3
#     VNI 100 group 239.1.1.100 (multicast) on every host, static ARP entry
#             192.168.100.10 -> C2's MAC (include_dir drop-in) on every host
#     VNI 200 peers = the other two hosts (unicast head-end replication)
#          \                               |                      /
#           pA ------------------- vtul: br0 ------------------ pB, pC
#          (tcpdump -i any in vtul: every port, so a packet shows up
#           once per port it crosses; or on pA: what A sends, once)
#
# In each VNI: A's VM asks for C's VM, the request floods and teaches every
# host the asker's binding; then B's VM asks for A's VM and B answers on its
# tap (arp_suppressed), the right MAC lands in B's VM neighbour table, and no
# ARP request for that address crosses the underlay.  VNI 100 then checks:
# a gratuitous ARP from C1 teaches every host; a GARP with a new MAC moves the
# binding (arp_moved) and the answers follow; forged ARP (reply and GARP) for
# the static entry is counted (arp_conflicts) and changes nothing; an ARP
# probe (sender 0.0.0.0) and a unicast ARP request are forwarded, not
# answered; a tap removed by a reload takes the bindings of its MACs along.  Hand-built frames come from tests/tools/l2raw.py (python3 stdlib,
# AF_PACKET).
set -eu
. "$(dirname "$0")/lib.sh"
require
[ "$VTEP_IMPL" = vtep ] || skip "ARP suppression is a vtep feature (VTEP_IMPL=$VTEP_IMPL)"

L2RAW=$TOP/tests/tools/l2raw.py

# l2raw V ARGS...: run the helper in VM V's namespace on V's tap.
l2raw()
{
	local v=$1 sub=$2
	shift 2
	in_vm "$v" python3 "$L2RAW" "$sub" "$(vtap "$v")" "$@"
}

# ip_hex A.B.C.D -> 0xAABBCCDD (for tcpdump byte filters)
ip_hex() { local a b c d; IFS=. read -r a b c d <<<"$1"; printf '0x%02x%02x%02x%02x' "$a" "$b" "$c" "$d"; }

# Inner ARP (after 8 bytes UDP, 8 VXLAN, 14 Ethernet): op at udp[36:2],
# sender IP at udp[44:4], target IP at udp[54:4].
# f_arp_req_for TARGET [SENDER]: ARP requests for TARGET (from SENDER). With
# a sender, a kernel's later unicast re-confirmation of some other entry
# for TARGET cannot land in the count by chance.
f_arp_req_for()
{
	echo "$F_VX and $F_ARP and udp[36:2] = 1 and udp[54:4] = $(ip_hex "$1")${2:+ and udp[44:4] = $(ip_hex "$2")}"
}
f_arp_from() { echo "$F_VX and $F_ARP and udp[44:4] = $(ip_hex "$1")"; }

# arp_of H VNI IP: "MAC TYPE" of H's cache entry for IP in the last dump, or "missing".
arp_of()
{
	jget "$1" "(lambda e: 'missing' if e is None else '%s %s' % (e['mac'].lower(), e['type']))(next((e for e in (vni($2) or {}).get('arp', []) if e.get('ip') == '$3'), None))"
}

# vc H VNI NAME: a per-VNI counter from H's last dump.
vc() { jget "$1" "vni($2)['counters'].get('$3', 0)"; }

# neigh_mac V IP: the MAC in VM V's neighbour table for IP (or nothing).
neigh_mac() { in_vm "$1" ip neigh show "$2" dev "$(vtap "$1")" | awk '/lladdr/{print tolower($3)}'; }

dump_all() { dump_json A && dump_json B && dump_json C; }

host_add A 1
host_add B 2
host_add C 3
for h in A B C; do
	vni_add $h 100 group=239.1.1.100 flood=multicast
	conf_set $h include_dir "\"$WORK/$h/vtep.d\""
done
vni_add A 200 flood=unicast peers=10.0.0.2,10.0.0.3
vni_add B 200 flood=unicast peers=10.0.0.1,10.0.0.3
vni_add C 200 flood=unicast peers=10.0.0.1,10.0.0.2
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 100 192.168.100.4/24
vm_add B1 B 100 192.168.100.2/24
vm_add C1 C 100 192.168.100.3/24
vm_add C2 C 100 192.168.100.10/24
vm_add A3 A 200 192.168.200.1/24
vm_add B3 B 200 192.168.200.2/24
vm_add C3 C 200 192.168.200.3/24
STATIC_IP=$(vm_addr C2)
STATIC_MAC=$(vm_mac C2)
for h in A B C; do
	mkdir -p "$WORK/$h/vtep.d"
	cat >"$WORK/$h/vtep.d/static-arp.conf" <<EOC
vnis = ( { vni = 100; arp = ( { ip = "$STATIC_IP"; mac = "$STATIC_MAC"; } ); } );
EOC
	vtep_start $h || finish
done

if dump_all; then
	for h in A B C; do
		check_eq "$h: static entry $STATIC_IP at start" "$(arp_of $h 100 "$STATIC_IP")" "$STATIC_MAC static"
	done
fi

# ---------------------------------------------------------------- 1+2, per VNI
# teach_then_suppress VNI VA VB VC: VA (on A) asks for VC (on C): flooded,
# every host learns VA; then VB (on B) asks for VA: B answers locally.
teach_then_suppress()
{
	local vni=$1 va=$2 vb=$3 vc=$4 ia ib ic h sup0 n
	ia=$(vm_addr "$va")
	ib=$(vm_addr "$vb")
	ic=$(vm_addr "$vc")
	cap_start teach$vni "$NS_UL" any
	check "VNI $vni: ping $va -> $vc" vm_ping "$va" "$ic" 1 5
	cap_stop teach$vni
	check_ge "VNI $vni: $va's first ARP request (for $ic) crossed the underlay" \
		"$(cap_count teach$vni "$(f_arp_req_for "$ic") and src host 10.0.0.1")" 1
	if [ "$vni" = 200 ]; then
		check_ge "VNI 200: the request was replicated to B" \
			"$(cap_count teach$vni "$(f_arp_req_for "$ic") and src host 10.0.0.1 and dst host 10.0.0.2")" 1
		check_ge "VNI 200: the request was replicated to C" \
			"$(cap_count teach$vni "$(f_arp_req_for "$ic") and src host 10.0.0.1 and dst host 10.0.0.3")" 1
	fi
	dump_all || return 0
	for h in A B C; do
		check_eq "VNI $vni: $h learned $va's binding from its request" \
			"$(arp_of $h "$vni" "$ia")" "$(vm_mac "$va") snooped"
	done
	check_eq "VNI $vni: B does not know $vc yet (the reply went to A only)" \
		"$(arp_of B "$vni" "$ic")" missing
	sup0=$(vc B "$vni" arp_suppressed)

	cap_start sup$vni "$NS_UL" any
	check "VNI $vni: ping $vb -> $va" vm_ping "$vb" "$ia" 1 5
	cap_stop sup$vni
	check_eq "VNI $vni: $vb's neighbour table has $va's MAC" "$(neigh_mac "$vb" "$ia")" "$(vm_mac "$va")"
	check_eq "VNI $vni: no ARP request from $vb for $ia on the underlay" \
		"$(cap_count sup$vni "$(f_arp_req_for "$ia" "$ib")")" 0
	check_ge "VNI $vni: (the same capture saw $vb's ping cross)" \
		"$(cap_count sup$vni "$F_VX and $F_ICMP and $(f_inner_src "$(vm_mac "$vb")")")" 1
	dump_json B || return 0
	n=$(vc B "$vni" arp_suppressed)
	check_eq "VNI $vni: B answered $vb's request (arp_suppressed +1)" "$((n - sup0))" 1
}

teach_then_suppress 100 A1 B1 C1
teach_then_suppress 200 A3 B3 C3

# ---------------------------------------------------------------- 3. GARP
C1_IP=$(vm_addr C1)
cap_start garp "$NS_UL" any
check "C1 sends a gratuitous ARP" l2raw C1 arp --op request --spa "$C1_IP" --tpa "$C1_IP"
cap_stop garp
check_ge "C1's GARP flooded to the group" \
	"$(cap_count garp "$(f_arp_from "$C1_IP") and src host 10.0.0.3 and dst host 239.1.1.100")" 1
if dump_all; then
	for h in A B C; do
		check_eq "$h: C1's binding after its GARP" "$(arp_of $h 100 "$C1_IP")" "$(vm_mac C1) snooped"
	done
	sup0=$(vc B 100 arp_suppressed)
fi
cap_start garp2 "$NS_UL" any
check "ping B1 -> C1" vm_ping B1 "$C1_IP" 1 5
cap_stop garp2
check_eq "B1's neighbour table has C1's MAC" "$(neigh_mac B1 "$C1_IP")" "$(vm_mac C1)"
check_eq "no ARP request from B1 for C1 on the underlay" \
	"$(cap_count garp2 "$(f_arp_req_for "$C1_IP" "$(vm_addr B1)")")" 0
dump_json B && check_eq "B answered B1's request for C1 (arp_suppressed +1)" \
	"$(($(vc B 100 arp_suppressed) - sup0))" 1

# ---------------------------------------------------------------- 4. GARP moves the IP
NEW_MAC=52:54:00:cc:00:03
dump_all
declare -A MOVED0=()
for h in A B C; do MOVED0[$h]=$(vc $h 100 arp_moved); done
in_vm C1 ip link set "$(vtap C1)" address "$NEW_MAC"
check "C1 (new MAC $NEW_MAC) sends a gratuitous ARP" l2raw C1 arp --op request --spa "$C1_IP" --tpa "$C1_IP"
sleep 0.3
if dump_all; then
	for h in A B C; do
		check_eq "$h: C1's IP moved to the new MAC" "$(arp_of $h 100 "$C1_IP")" "$NEW_MAC snooped"
		check_eq "$h: arp_moved +1" "$(($(vc $h 100 arp_moved) - ${MOVED0[$h]}))" 1
	done
	sup0=$(vc B 100 arp_suppressed)
	supa=$(vc A 100 arp_suppressed)
fi
check "the move is logged on B" grep -q "192.168.100.3 moved from $(vm_mac C1) to $NEW_MAC" "$WORK/B/vtep.log"
in_vm B1 ip neigh flush dev "$(vtap B1)"
cap_start move "$NS_UL" any
check "ping B1 -> C1 after the move" vm_ping B1 "$C1_IP" 1 5
check "A2 asks for C1 (first time)" l2raw A2 resolve --spa "$(vm_addr A2)" "$C1_IP=$NEW_MAC"
cap_stop move
check_eq "B1's neighbour table has C1's new MAC" "$(neigh_mac B1 "$C1_IP")" "$NEW_MAC"
check_eq "no ARP request from B1 for C1 on the underlay after the move" \
	"$(cap_count move "$(f_arp_req_for "$C1_IP" "$(vm_addr B1)")")" 0
check_eq "no ARP request from A2 for C1 on the underlay after the move" \
	"$(cap_count move "$(f_arp_req_for "$C1_IP" "$(vm_addr A2)")")" 0
if dump_json A && dump_json B; then
	check_eq "B answered with the new MAC (arp_suppressed +1)" "$(($(vc B 100 arp_suppressed) - sup0))" 1
	check_eq "A answered with the new MAC (arp_suppressed +1)" "$(($(vc A 100 arp_suppressed) - supa))" 1
fi

# ---------------------------------------------------------------- 5. static entry vs forgery
B1_MAC=$(vm_mac B1)
dump_all
declare -A CONF0=()
for h in A B C; do CONF0[$h]=$(vc $h 100 arp_conflicts); done
check "B1 forges an ARP reply to A1: $STATIC_IP is at $B1_MAC" \
	l2raw B1 arp --op reply --spa "$STATIC_IP" --tpa "$(vm_addr A1)" \
	--dst "$(vm_mac A1)" --tha "$(vm_mac A1)"
check "B1 forges a gratuitous ARP: $STATIC_IP is at $B1_MAC" \
	l2raw B1 arp --op request --spa "$STATIC_IP" --tpa "$STATIC_IP"
sleep 0.3
if dump_all; then
	# B sees both on its tap; A gets the unicast reply and the GARP; C only the GARP.
	check_eq "B: arp_conflicts +2" "$(($(vc B 100 arp_conflicts) - ${CONF0[B]}))" 2
	check_eq "A: arp_conflicts +2" "$(($(vc A 100 arp_conflicts) - ${CONF0[A]}))" 2
	check_eq "C: arp_conflicts +1" "$(($(vc C 100 arp_conflicts) - ${CONF0[C]}))" 1
	for h in A B C; do
		check_eq "$h: static entry intact after the forgeries" "$(arp_of $h 100 "$STATIC_IP")" "$STATIC_MAC static"
	done
	supa=$(vc A 100 arp_suppressed)
fi
in_vm A1 ip neigh flush dev "$(vtap A1)"
cap_start static "$NS_UL" any
check "ping A1 -> C2 (static entry)" vm_ping A1 "$STATIC_IP" 1 5
cap_stop static
check_eq "A1's neighbour table has C2's real MAC" "$(neigh_mac A1 "$STATIC_IP")" "$STATIC_MAC"
check_eq "no ARP request from A1 for $STATIC_IP on the underlay" \
	"$(cap_count static "$(f_arp_req_for "$STATIC_IP" "$(vm_addr A1)")")" 0
dump_json A && check_eq "A answered from the static entry (arp_suppressed +1)" \
	"$(($(vc A 100 arp_suppressed) - supa))" 1

# ---------------------------------------------------------------- 6. probe, unicast request
A2_IP=$(vm_addr A2)
dump_json A
supa=$(vc A 100 arp_suppressed)
cap_start probe "$NS_UL" pA    # what A sends: each packet once
# An ARP probe (RFC 5227) for C1's cached address: C1 itself must hear it.
check "A2's ARP probe for C1's address is answered by C1 itself" \
	l2raw A2 resolve --spa 0.0.0.0 "$C1_IP=$NEW_MAC"
# A unicast request (a kernel re-confirming a stale entry) goes to C1.
check "A2's unicast ARP request to C1 is answered by C1 itself" \
	l2raw A2 resolve --spa "$A2_IP" --dst "$NEW_MAC" "$C1_IP=$NEW_MAC"
cap_stop probe
check_eq "the probe crossed the underlay (to the group)" \
	"$(cap_count probe "$(f_arp_req_for "$C1_IP") and udp[44:4] = 0 and src host 10.0.0.1 and dst host 239.1.1.100")" 1
check_eq "the unicast request crossed the underlay (to C)" \
	"$(cap_count probe "$(f_arp_req_for "$C1_IP") and $(f_arp_from "$A2_IP") and src host 10.0.0.1 and dst host 10.0.0.3")" 1
if dump_json A; then
	check_eq "A answered neither (arp_suppressed unchanged)" "$(vc A 100 arp_suppressed)" "$supa"
	check_eq "A: the probe taught nothing about 0.0.0.0" "$(arp_of A 100 0.0.0.0)" missing
	check_eq "A: C1's binding unchanged by the probe" "$(arp_of A 100 "$C1_IP")" "$NEW_MAC snooped"
fi

# ---------------------------------------------------------------- 7. a tap removed
# A reload that removes A2's tap takes with it A's snooped bindings of the
# MACs learned on it (answering for a VM that is gone would draw its
# traffic into a flood); the bindings of other taps and hosts stay.
A1_IP=$(vm_addr A1)
if dump_json A; then
	check_eq "A: A2's binding before its tap goes" "$(arp_of A 100 "$A2_IP")" "$(vm_mac A2) snooped"
	check_eq "A: A1's binding before" "$(arp_of A 100 "$A1_IP")" "$(vm_mac A1) snooped"
fi
unset 'VM_HOST[A2]'
conf_write A "$WORK/A/vtep.conf"
check "a reload removing A2's tap is applied" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "$WORK/A/vtep.conf"
check "... and says what went with it" grep -q \
	"tap 'tapA2': 1 snooped ARP/ND entries of its MACs removed" "$WORK/A/vtep.log"
if dump_json A; then
	check_eq "A: A2's binding went with its tap" "$(arp_of A 100 "$A2_IP")" missing
	check_eq "A: A1's binding stays" "$(arp_of A 100 "$A1_IP")" "$(vm_mac A1) snooped"
	check_eq "A: C1's binding stays" "$(arp_of A 100 "$C1_IP")" "$NEW_MAC snooped"
	check_eq "A: the static entry stays" "$(arp_of A 100 "$STATIC_IP")" "$STATIC_MAC static"
fi

# ---------------------------------------------------------------- VNI 200 never used a group
check_eq "no VXLAN frame to a multicast group in VNI 200" \
	"$(cap_count teach200 "$F_VX and $(f_vni 200) and dst net 224.0.0.0/4")" 0

for h in A B C; do
	vtep_stop $h
done
finish
