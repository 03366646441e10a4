#!/bin/bash
# SPDX-License-Identifier: MIT
# t77-port-security: a tap pinned to its guest's MAC (macs in the tap entry)
# takes frames from that source MAC only, as OVS port_security or libvirt's
# no-mac-spoofing filter do: a guest that changes its MAC, or takes another
# guest's, is cut off and cannot move that MAC's FDB entry to itself. With
# ips as well, it cannot send from another address or poison the ARP cache.
#
#   vtvA1 .100.1 fd00::1                  vtvA3 .100.3 (tapA3: any)   vtvB1 .100.2 fd00::2
#     (tapA1: macs = [ A1 ], ips = [ .100.1, fd00::1 ])
#   vthA: vtep 10.0.0.1, VNI 100, peers [ 10.0.0.2 ]                  vthB: vtep 10.0.0.2
#
# Checks:
#   - vtep -t refuses a multicast MAC in macs with FILE:LINE; A's dump
#     lists tapA1's macs, tapA3's empty;
#   - ping A1 -> B1 with A1's own MAC;
#   - A1 under a new MAC (52:54:00:de:ad:01, announced by a gratuitous ARP,
#     arp_notify): ping A1 -> B1 fails, A counted drops.spoofed and tapA1
#     rx_dropped, learned nothing of that MAC, and B saw nothing from it;
#   - A1 under B1's MAC (a hijack): A's FDB keeps B1 remote at 10.0.0.2,
#     moved did not grow;
#   - A1 back to its MAC: ping works again;
#   - A3 (not pinned) changes its MAC freely: ping A3 -> B1 works;
#   - a reload adding 52:54:00:de:ad:01 to tapA1's macs: A1 under it pings;
#   - ips: ping and ping -6 A1 -> B1 from its own addresses work; from a
#     second address (.100.50) the ping fails and spoofed grows; a forged
#     ARP reply from A1 saying B1's .100.2 is at A1's MAC is dropped (spoofed)
#     and A's ARP cache keeps .100.2 at B1's MAC; the same with ARP hardware
#     type 6 (IEEE 802, which Linux takes too) is dropped and never reaches B1.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "a vtep key (VTEP_IMPL=kernel)"
require
A=10.0.0.1 B=10.0.0.2
NEW=52:54:00:de:ad:01

conf_refused "a multicast MAC in macs" "local = \"$A\";
vnis = ( { vni = 1; taps = ( { name = \"vm1\";
  macs = [ \"01:00:5e:00:00:01\" ]; } ); } );" 3 \
	"vnis\[0\].taps\[0\].macs\[0\]: '01:00:5e:00:00:01' is not a unicast MAC address"

host_add A 1
host_add B 2
vni_add A 100 flood=unicast peers=$B
vni_add B 100 flood=unicast peers=$A
vm_add A1 A 100 192.168.100.1/24
vm_add A3 A 100 192.168.100.3/24
vm_add B1 B 100 192.168.100.2/24
A1MAC=$(vm_mac A1) B1MAC=$(vm_mac B1)
IPS="ips = [ \"192.168.100.1\", \"fd00::1\" ];"
VM_TAPKEYS[A1]="macs = [ \"$A1MAC\" ]; $IPS"
vtep_start A || finish
vtep_start B || finish
B1IP=$(vm_addr B1)
# A1 announces a new MAC with a gratuitous ARP, as a guest that changes
# its MAC (or moves) does; the others learn it from that.
in_vm A1 sysctl -qw net.ipv4.conf.all.arp_notify=1

# set_mac V MAC: V's interface takes MAC; its neighbours forget it.
set_mac()
{
	in_vm "$1" ip link set "$(vtap "$1")" address "$2"
	in_vm "$1" ip neigh flush dev "$(vtap "$1")"
}
vdrop() { jget A "vni(100)['counters']['drops'].get('$1', 0)"; }
tap_dropped() { jget A "[t for t in vni(100)['taps'] if t['name'] == '$1'][0]['rx_dropped']"; }

check "ping A1 -> B1 with its own MAC" vm_ping A1 "$B1IP"
dump_json A || finish
check_eq "A's dump: tapA1's macs" "$(jget A "[t for t in vni(100)['taps'] if t['name'] == 'tapA1'][0]['macs']")" \
	"[\"$A1MAC\"]"
check_eq "A's dump: tapA3 takes any MAC" \
	"$(jget A "[t for t in vni(100)['taps'] if t['name'] == 'tapA3'][0]['macs']")" "[]"
sp0=$(vdrop spoofed)
rxd0=$(tap_dropped tapA1)

set_mac A1 $NEW
check_fails "A1 under a new MAC: ping A1 -> B1 fails" in_vm A1 ping -n -q -c 3 -i 0.2 -W 1 "$B1IP"
dump_json A || finish
dump_json B || finish
# The gratuitous ARP and at least one ARP request for B1.
check_ge "A counted spoofed frames" "$(($(vdrop spoofed) - sp0))" 2
check_ge "tapA1 counted them as rx_dropped" "$(($(tap_dropped tapA1) - rxd0))" 2
check_eq "A learned nothing of $NEW" "$(fdb_of A 100 $NEW)" missing
check_eq "B saw nothing of $NEW" "$(fdb_of B 100 $NEW)" missing

moved0=$(jget A "vni(100)['counters']['moved']")
set_mac A1 "$B1MAC"
in_vm A1 ping -n -q -c 3 -i 0.2 -W 1 "$B1IP" >/dev/null 2>&1 || true
dump_json A || finish
check_eq "A1 under B1's MAC: B1 stays remote at $B" "$(fdb_of A 100 "$B1MAC")" "remote $B null"
check_eq "A1 under B1's MAC: nothing moved" "$(jget A "vni(100)['counters']['moved']")" "$moved0"

set_mac A1 "$A1MAC"
check "A1 back to its MAC: ping A1 -> B1" vm_ping A1 "$B1IP"
set_mac A3 52:54:00:de:ad:03
check "A3 (not pinned) under a new MAC: ping A3 -> B1" vm_ping A3 "$B1IP"

# shellcheck disable=SC2034 # read by conf_write (lib.sh)
VM_TAPKEYS[A1]="macs = [ \"$A1MAC\", \"$NEW\" ]; $IPS"
conf_write A "${HOST_CONF[A]}"
check "reload adding $NEW to tapA1's macs applied" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
set_mac A1 $NEW
check "A1 under $NEW, now allowed: ping A1 -> B1" vm_ping A1 "$B1IP"
dump_json A || finish
check_eq "A learned $NEW on tapA1" "$(fdb_of A 100 $NEW)" "local null tapA1"
set_mac A1 "$A1MAC"

# ---------------------------------------------------------------- ips
check_eq "A's dump: tapA1's ips" \
	"$(jget A "[t for t in vni(100)['taps'] if t['name'] == 'tapA1'][0]['ips']")" \
	'["192.168.100.1", "fd00::1"]'
check "A's text dump: tapA1's security line" grep -qx \
	"    security: macs $A1MAC,$NEW ips 192.168.100.1,fd00::1" "$WORK/A/vtep.dump"
v6_up A1 fd00::1
v6_up B1 fd00::2
check "ips: ping A1 -> B1 from its own address" vm_ping A1 "$B1IP"
check "ips: ping -6 A1 -> B1 from its own address" in_vm A1 ping -6 -n -q -c 3 -i 0.2 -w 5 fd00::2
sp0=$(vdrop spoofed)
in_vm A1 ip addr add 192.168.100.50/24 dev "$(vtap A1)"
check_fails "ips: ping -I 192.168.100.50 A1 -> B1 fails" \
	in_vm A1 ping -n -q -I 192.168.100.50 -c 3 -i 0.2 -W 1 "$B1IP"
in_vm A1 python3 "$TOP/tests/tools/ethsend.py" --dev "$(vtap A1)" \
	--arp "reply,$A1MAC,$B1IP,ff:ff:ff:ff:ff:ff,$B1IP" >/dev/null
dump_json A || finish
check_ge "ips: A counted the other source and the forged ARP as spoofed" \
	"$(($(vdrop spoofed) - sp0))" 4
# Hardware type 6 (IEEE 802): Linux guests take it as they take Ethernet.
sp0=$(vdrop spoofed)
cap_start inB1 "$(vns B1)" "$(vtap B1)" || finish
in_vm A1 python3 "$TOP/tests/tools/ethsend.py" --dev "$(vtap A1)" --arp-htype 6 \
	--arp "reply,$A1MAC,$B1IP,ff:ff:ff:ff:ff:ff,$B1IP" >/dev/null
sleep 0.5
cap_stop inB1
dump_json A || finish
check_eq "ips: the same forged ARP with hardware type 6 counted as spoofed" \
	"$(($(vdrop spoofed) - sp0))" 1
# (Only the forged one, which claims B1's address: B1 and A1 may resolve
# each other meanwhile.)
check_eq "... and never reached B1" \
	"$(cap_count inB1 "arp and ether src $A1MAC and arp[14:4] = $(printf '0x%02x%02x%02x%02x' ${B1IP//./ })")" 0
check_eq "ips: A's ARP cache keeps $B1IP at B1's MAC" \
	"$(jget A "next((e['mac'] for e in vni(100)['arp'] if e['ip'] == '$B1IP'), 'missing')")" \
	"$B1MAC"
vtep_stop A
vtep_stop B
finish
