#!/bin/bash
# SPDX-License-Identifier: MIT
# t78-vlan-trunk: one tap carrying several segments (a trunk): untagged in
# one VNI, and as VLAN sub-ports (vlan = N in a tap entry) in others, the
# VLAN-to-VNI mapping of a hardware VTEP or OVS. Tags come off on the way
# in and go back on the way out; the far end, a kernel vxlan host, sees
# plain untagged frames per VNI.
#
#   vtvT: tapT untagged .30.1 (VNI 300); tapT10 .10.1 and tapT20 .20.1,
#         the guest's VLANs 10 and 20 (tests/tools/vlansplit.py: this
#         kernel has no 8021q), all with T's MAC, as VLAN devices have;
#         tapT30 .40.1 (VLAN 30, which A does not carry)
#   vtvA1 .10.3 (VNI 100, untagged)
#   vthA: vtep 10.0.0.1: VNI 100 = tapT vlan 10 + tapA1, VNI 200 = tapT
#         vlan 20, VNI 300 = tapT; peers [ 10.0.0.2 ]
#   vthB: kernel vxlan 10.0.0.2: B1 .10.2 (VNI 100), B2 .20.2 (200), B3 .30.2 (300)
#
# Checks:
#   - vtep -t refuses vlan 4095, a tap twice in one VNI, one VLAN of a tap
#     twice, and a tap's entries in two netns, each with FILE:LINE;
#   - ping from each VLAN and the untagged one to B's VM in its VNI;
#   - A's dump: T's MAC local in VNI 100 on tapT vlan 10, in 200 on vlan
#     20, in 300 on tapT itself; the taps listed with their vlan;
#   - on the underlay no inner frame of A's carries a tag, and its ICMP
#     went in VNI 100 untagged;
#   - TCP both ways through VLAN 10 (super-frames: the tag taken off and
#     put on with the virtio-net offsets moved), and between T's VLAN 10
#     and A1 on the same host;
#   - the underlay shrunk to 1400: VLAN 10's TCP to B1 goes on, A answered
#     its full-size frames with ICMP on the sub-port (T's route learns
#     mtu 1350);
#   - ARP for B1 from VLAN 10 answered by A (suppression), tagged;
#   - VLAN 30 (not carried): nothing gets through, drops.vlan grows and
#     tapT counts rx_dropped; the metrics file has the sub-port's own
#     counters (tap and vlan labels);
#   - reloads: VLAN 20's entry removed (its ping fails, VLAN 10's works,
#     tapT is the same device), the untagged entry removed (the same),
#     both back (every ping works); VLAN 20 pinned (macs) to another MAC:
#     its frames are dropped as spoofed, VLAN 10's on the same tap pass;
#   - no VLAN hopping: a frame tagged VLAN 10 from VNI 300 is not written
#     to tapT (whose guest would take it for VLAN 10's), nor one tagged
#     inside to VLAN 10's sub-port; T's double-tagged and 802.1ad frames
#     go nowhere; all counted as drops.vlan; priority tags pass both ways;
#   - tapT down: failed writes to VLAN 10 count on its sub-port.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "a vtep key (VTEP_IMPL=kernel)"
require
command -v ethtool >/dev/null 2>&1 || skip "ethtool not installed (packaging/deps.sh installs it)"
command -v iperf3 >/dev/null 2>&1 || skip "iperf3 not installed (packaging/deps.sh installs it)"
A=10.0.0.1

conf_refused "vlan 4095" "local = \"$A\";
vnis = ( { vni = 1; taps = ( { name = \"vm1\";
  vlan = 4095; } ); } );" 3 \
	"vnis\[0\].taps\[0\].vlan: "
conf_refused "a tap twice in one VNI" "local = \"$A\";
vnis = ( { vni = 1; taps = ( { name = \"vm1\"; },
  { name = \"vm1\"; vlan = 10; } ); } );" 3 \
	"vnis\[0\].taps\[1\].name: tap 'vm1' is in vni 1 already"
conf_refused "one VLAN of a tap twice" "local = \"$A\";
vnis = ( { vni = 1; taps = ( { name = \"vm1\"; vlan = 10; } ); },
  { vni = 2; taps = ( { name = \"vm1\"; vlan = 10; } ); } );" 3 \
	"vnis\[1\].taps\[0\].name: duplicate tap 'vm1' vlan 10"
conf_refused "a tap's entries in two netns" "local = \"$A\";
vnis = ( { vni = 1; taps = ( { name = \"vm1\"; netns = \"a\"; } ); },
  { vni = 2; taps = ( { name = \"vm1\"; netns = \"b\"; vlan = 10; } ); } );" 3 \
	"vnis\[1\].taps\[0\].name: tap 'vm1' is in netns 'a'"

host_add A 1
host_add B 2
host_kernel B
unicast_pair A B 100 200 300
vm_add T A 300 192.168.30.1/24
vm_add A1 A 100 192.168.10.3/24
vm_add B1 B 100 192.168.10.2/24
vm_add B2 B 200 192.168.20.2/24
vm_add B3 B 300 192.168.30.2/24
TNS=$(vns T)
sub() { echo "{ name = \"tapT\"; netns = \"$TNS\"; vlan = $1; }"; }
vni_tap A 100 "$(sub 10)"
vni_tap A 200 "$(sub 20)"
conf_set A metrics "\"$WORK/A/vtep.prom\""
vtep_start A || finish
vtep_start B || finish
TMAC=$(vm_mac T)

in_vm T python3 "$TOP/tests/tools/vlansplit.py" --trunk tapT --vlan 10:tapT10 \
	--vlan 20:tapT20 --vlan 30:tapT30 >"$WORK/vlansplit.log" 2>&1 &
BG_PIDS+=("$!")
check "the guest's VLAN taps are up" poll 10 in_vm T ip link show tapT30
for v in 10:192.168.10.1 20:192.168.20.1 30:192.168.40.1; do
	in_vm T ip link set "tapT${v%%:*}" address "$TMAC" mtu 1450 up
	in_vm T ip addr add "${v#*:}/24" dev "tapT${v%%:*}"
done
ifindex0=$(in_vm T cat /sys/class/net/tapT/ifindex)

cap_start ul "$(hns A)" ul0 || finish
check "ping VLAN 10 -> B1 (VNI 100)" vm_ping T 192.168.10.2
check "ping VLAN 20 -> B2 (VNI 200)" vm_ping T 192.168.20.2
check "ping untagged -> B3 (VNI 300)" vm_ping T 192.168.30.2
cap_stop ul
check_eq "no inner frame of A's carries a tag" \
	"$(cap_count ul "src host $A and $F_VX and (udp[28:2] = 0x8100 or udp[28:2] = 0x88a8)")" 0
check_ge "VLAN 10's pings went in VNI 100, untagged" \
	"$(cap_count ul "src host $A and $F_VX and $(f_vni 100) and $F_ICMP")" 3

dump_json A || finish
check_eq "A: T's MAC in VNI 100 on tapT vlan 10" \
	"$(jget A "(lambda e: (e['type'], e['tap'], e['vlan']))(fdb(100, '$TMAC'))")" \
	"('local', 'tapT', 10)"
check_eq "A: T's MAC in VNI 200 on tapT vlan 20" \
	"$(jget A "(lambda e: (e['type'], e['tap'], e['vlan']))(fdb(200, '$TMAC'))")" \
	"('local', 'tapT', 20)"
check_eq "A: T's MAC in VNI 300 on tapT itself" \
	"$(jget A "(lambda e: (e['type'], e['tap'], e['vlan']))(fdb(300, '$TMAC'))")" \
	"('local', 'tapT', None)"
check_eq "A's dump: VNI 100's taps and their VLANs" \
	"$(jget A "[(t['name'], t['vlan']) for t in vni(100)['taps']]")" \
	'[["tapA1", null], ["tapT", 10]]'
check "A's text dump: tapT vlan 20 in VNI 200" \
	grep -q "^  tap tapT vlan 20 netns $TNS UP offloads" "$WORK/A/vtep.dump"
check "A's text dump: T's MAC on tapT vlan 10 in VNI 100" \
	grep -q "^  $TMAC dev tapT vlan 10 vni 100 local age" "$WORK/A/vtep.dump"

# Over veth the kernel's vxlan leaves inner checksums of offloaded packets
# unfinished (t21): vtep would rightly refuse them.
in_host B ethtool -K vx100 tx off >/dev/null
check_ge "TCP VLAN 10 -> B1: bytes" "$(tcp_bytes T 192.168.10.2 B1)" 1000000
check_ge "TCP B1 -> VLAN 10: bytes" "$(tcp_bytes B1 192.168.10.1 T)" 1000000
check_ge "TCP VLAN 10 -> A1 (same host): bytes" "$(tcp_bytes T 192.168.10.3 A1)" 1000000
check_ge "TCP A1 -> VLAN 10 (same host): bytes" "$(tcp_bytes A1 192.168.10.1 T)" 1000000

# A narrower underlay: VLAN 10's full-size frames are answered with ICMP
# "fragmentation needed" on the sub-port, tagged, and TCP goes on.
for h in A B; do in_host $h ip link set ul0 mtu 1400; done
dump_json A || finish
tb0=$(jget A "vni(100)['counters']['icmp_too_big']")
check_ge "TCP VLAN 10 -> B1 over a 1400-byte underlay: bytes" \
	"$(tcp_bytes T 192.168.10.2 B1)" 1000000
dump_json A || finish
check_ge "A answered VLAN 10's too big frames (icmp_too_big)" \
	"$(($(jget A "vni(100)['counters']['icmp_too_big']") - tb0))" 1
check_eq "T's route to B1 learnt mtu 1350" \
	"$(in_vm T ip route get 192.168.10.2 | sed -n 's/.* mtu \([0-9]*\).*/\1/p')" 1350
for h in A B; do in_host $h ip link set ul0 mtu 1500; done

sup0=$(jget A "vni(100)['counters']['arp_suppressed']")
in_vm T ip neigh flush dev tapT10
check "VLAN 10 resolves B1 again: ping" vm_ping T 192.168.10.2
dump_json A || finish
check_ge "A answered that ARP itself (arp_suppressed)" \
	"$(($(jget A "vni(100)['counters']['arp_suppressed']") - sup0))" 1

vl0=$(jget A "drops('vlan')")
rxd0=$(jget A "[t for t in vni(300)['taps'] if t['name'] == 'tapT'][0]['rx_dropped']")
check_fails "VLAN 30 (not carried): ping fails" in_vm T ping -n -q -c 2 -i 0.2 -W 1 192.168.40.2
dump_json A || finish
check_ge "A counted VLAN 30's frames as drops.vlan" "$(($(jget A "drops('vlan')") - vl0))" 2
check_ge "tapT counted them as rx_dropped" \
	"$(($(jget A "[t for t in vni(300)['taps'] if t['name'] == 'tapT'][0]['rx_dropped']") - rxd0))" 2
P=$WORK/A/vtep.prom
check "metrics: VLAN 10's sub-port counted its own frames" \
	grep -q '^vtep_tap_tx_packets_total{vni="100",tap="tapT",vlan="10"} [1-9]' "$P"
check "metrics: the drops on tapT's untagged entry" \
	grep -qE '^vtep_tap_rx_dropped_total\{vni="300",tap="tapT",vlan=""\} ([2-9]|[1-9][0-9]+)$' "$P"

# No VLAN hopping: a trunk is written no frame that names a VLAN, and takes
# none inside a sub-port's tag nor under an 802.1ad tag. Each case sends 5
# frames of ethertype 0x88b5 (ethsend.py --tag); priority tags (VID 0) pass.
# tent H VNI NAME FIELD: tapT's entry in VNI's taps, one field of it.
tent() { jget "$1" "[t for t in vni($2)['taps'] if t['name'] == 'tapT'][0]['$3']"; }
hop() { in_vm "$1" python3 "$TOP/tests/tools/ethsend.py" --dev "$2" --dst "$3" --count 5 \
	"${@:4}" >/dev/null; }
F_EXP="ether[16:2] = 0x88b5"
F_PRIO="ether[12:2] = 0x8100 and (ether[14:2] & 0x0fff) = 0"
dump_json A || finish
v300=$(jget A "vni(300)['counters']['drops'].get('vlan', 0)")
v100=$(jget A "vni(100)['counters']['drops'].get('vlan', 0)")
vl0=$(jget A "drops('vlan')")
txd300=$(tent A 300 tx_dropped)
txd10=$(tent A 100 tx_dropped)
rxd10=$(tent A 100 rx_dropped)
rxd0=$(tent A 300 rx_dropped)
cap_start trunk "$TNS" tapT || finish
cap_start ul2 "$(hns A)" ul0 || finish
# From VNI 300 (B3), tagged VLAN 10 to T: tapT's untagged entry would hand
# it to T's VLAN 10, which is VNI 100's.
hop B3 "$(vtap B3)" "$TMAC" --tag 0x8100:10
# From VNI 100 (B1) to T's VLAN 10, tagged 20 inside.
hop B1 "$(vtap B1)" "$TMAC" --tag 0x8100:20
# Priority-tagged from VNI 300: reaches tapT as it is.
hop B3 "$(vtap B3)" "$TMAC" --tag 0x8100:0
# From T: VLAN 10 with VLAN 20 inside, to B1; an 802.1ad tag, to B3;
# priority-tagged to B3, which passes.
hop T tapT "$(vm_mac B1)" --tag 0x8100:10 --tag 0x8100:20
hop T tapT "$(vm_mac B3)" --tag 0x88a8:10
hop T tapT "$(vm_mac B3)" --tag 0x8100:0
sleep 1
cap_stop trunk
cap_stop ul2
dump_json A || finish
check_eq "VNI 300's frame tagged VLAN 10 never reached tapT" \
	"$(cap_count trunk "ether src $(vm_mac B3) and ether[12:2] = 0x8100 and (ether[14:2] & 0x0fff) = 10 and $F_EXP")" 0
check_eq "VNI 100's frame tagged 20 inside never reached tapT (vlan 10)" \
	"$(cap_count trunk "ether src $(vm_mac B1) and ether[12:2] = 0x8100 and ether[16:2] = 0x8100")" 0
check_ge "... but VNI 300's priority-tagged frames did" \
	"$(cap_count trunk "$F_PRIO and $F_EXP and ether src $(vm_mac B3)")" 5
check_ge "A counted VNI 300's as drops.vlan" \
	"$(($(jget A "vni(300)['counters']['drops'].get('vlan', 0)") - v300))" 5
check_ge "... and tapT's untagged entry as tx_dropped" "$(($(tent A 300 tx_dropped) - txd300))" 5
check_ge "tapT vlan 10 counted VNI 100's as tx_dropped" "$(($(tent A 100 tx_dropped) - txd10))" 5
check_eq "nothing tagged left A for B1 or B3 but the priority tags" \
	"$(cap_count ul2 "src host $A and $F_VX and (udp[28:2] = 0x88a8 or (udp[28:2] = 0x8100 and (udp[30:2] & 0x0fff) != 0))")" 0
# (in UDP GSO trains: the capture sees fewer, larger datagrams)
check_ge "... which did, in VNI 300" \
	"$(cap_count ul2 "src host $A and $F_VX and $(f_vni 300) and udp[28:2] = 0x8100 and udp[32:2] = 0x88b5")" 1
check_ge "tapT vlan 10 counted T's double-tagged frames as rx_dropped" \
	"$(($(tent A 100 rx_dropped) - rxd10))" 5
check_ge "VNI 100 counted them and VNI 100's as drops.vlan" \
	"$(($(jget A "vni(100)['counters']['drops'].get('vlan', 0)") - v100))" 10
check_ge "tapT's untagged entry counted T's 802.1ad frames as rx_dropped" \
	"$(($(tent A 300 rx_dropped) - rxd0))" 5
check_ge "A counted all four kinds as drops.vlan" "$(($(jget A "drops('vlan')") - vl0))" 20

# reload_a NAME: write A's config again and reload it.
reload_a() { conf_write A "${HOST_CONF[A]}" &&
	check "reload: $1" ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"; }
# shellcheck disable=SC2034 # read by conf_write (lib.sh)
VNI_TAPS[A:200]=""
reload_a "VLAN 20's entry removed"
check_fails "VLAN 20 gone: ping VLAN 20 -> B2 fails" in_vm T ping -n -q -c 2 -i 0.2 -W 1 192.168.20.2
check "VLAN 10 stays: ping VLAN 10 -> B1" vm_ping T 192.168.10.2
check "untagged stays: ping -> B3" vm_ping T 192.168.30.2
# shellcheck disable=SC2034 # read by conf_write (lib.sh)
VM_HOST[T]=none
reload_a "tapT's untagged entry removed"
check_fails "untagged gone: ping -> B3 fails" in_vm T ping -n -q -c 2 -i 0.2 -W 1 192.168.30.2
check "VLAN 10 stays: ping VLAN 10 -> B1" vm_ping T 192.168.10.2
check_eq "tapT is the same device all along" "$(in_vm T cat /sys/class/net/tapT/ifindex)" "$ifindex0"
# shellcheck disable=SC2034 # read by conf_write (lib.sh)
VM_HOST[T]=A
vni_tap A 200 "$(sub 20)"
reload_a "both back"
check "ping VLAN 10 -> B1" vm_ping T 192.168.10.2
check "ping VLAN 20 -> B2" vm_ping T 192.168.20.2
check "ping untagged -> B3" vm_ping T 192.168.30.2
check_eq "tapT is still the same device" "$(in_vm T cat /sys/class/net/tapT/ifindex)" "$ifindex0"

# Port security per sub-port: VLAN 20 pinned to a MAC that is not T's.
# shellcheck disable=SC2034 # read by conf_write (lib.sh)
VNI_TAPS[A:200]="{ name = \"tapT\"; netns = \"$TNS\"; vlan = 20; macs = [ \"52:54:00:00:20:20\" ]; }"
reload_a "VLAN 20 pinned to another MAC"
dump_json A || finish
sp0=$(jget A "vni(200)['counters']['drops'].get('spoofed', 0)")
check_fails "VLAN 20 (spoofed): ping VLAN 20 -> B2 fails" \
	in_vm T ping -n -q -c 2 -i 0.2 -W 1 192.168.20.2
check "VLAN 10 (not pinned) on the same tap: ping VLAN 10 -> B1" vm_ping T 192.168.10.2
dump_json A || finish
check_ge "VNI 200 counted VLAN 20's frames as spoofed" \
	"$(($(jget A "vni(200)['counters']['drops'].get('spoofed', 0)") - sp0))" 1
check_eq "A's dump: VLAN 20's macs" \
	"$(jget A "[t['macs'] for t in vni(200)['taps'] if t['vlan'] == 20][0]")" \
	'["52:54:00:00:20:20"]'
check "the guest's VLAN taps got no partial checksum out of place" \
	bash -c "! grep -q 'bad csum_start' '$WORK/vlansplit.log'"

# tapT down: the kernel refuses writes to it (EIO). A failed write to a
# sub-port is the sub-port's, though the port is the device's.
dump_json A || finish
txd10=$(tent A 100 tx_dropped)
txd300=$(tent A 300 tx_dropped)
txe0=$(jget A "vni(100)['counters']['drops'].get('tx_error', 0)")
in_vm T ip link set tapT down
check_fails "tapT down: ping B1 -> VLAN 10 (5 of them) fails" vm_ping B1 192.168.10.1 5 3
dump_json A || finish
check_ge "A: the failed writes to VLAN 10 counted as tx_error in VNI 100" \
	"$(($(jget A "vni(100)['counters']['drops'].get('tx_error', 0)") - txe0))" 3
d10=$(($(tent A 100 tx_dropped) - txd10)) d300=$(($(tent A 300 tx_dropped) - txd300))
check_ge "... and as tx_dropped on tapT vlan 10" "$d10" 3
# (VNI 300's own broadcasts to tapT fail meanwhile too, and count there.)
check "... not on tapT's untagged entry ($d300 there)" test "$d300" -lt "$d10"
check "A logged: writes to tap 'tapT' vlan 10 fail" \
	grep -q "writes to tap 'tapT' vlan 10 fail" "$WORK/A/vtep.log"
in_vm T ip link set tapT up
vtep_stop A
finish
