#!/bin/bash
# SPDX-License-Identifier: MIT
# t86-peer-removed: a reload after which a VNI no longer takes traffic from
# a VTEP (a peer dropped, an allow list narrowed) removes what was learned
# behind it at once, instead of sending frames there until they age out.
#
#   vtvA1 .100.1 (VNI 100)  vtvA3 .200.1 (VNI 200, multicast)
#   vthA: vtep 10.0.0.1, VNI 100 unicast peers B, C; ageing 300 s
#   vtvB1 .100.2 vtvB3 .200.2 (vthB, vtep)   vtvC1 .100.3 vtvC3 .200.3 (vthC, vtep)
#
# Checks:
#   - after pings A learned B1 behind 10.0.0.2 and C1 behind 10.0.0.3;
#   - reload: peers B only, but allow 10.0.0.0/24: C may still send, C1 stays;
#   - reload: peers B only, no allow: C1's entry goes (logged with the VNI,
#     the count and the VTEP), B1's stays, so does a static entry behind C;
#     VNI 200 (multicast: any source) keeps C3 behind C;
#   - then a ping A1 -> C1 fails (C1 unknown, flooded to the peer B only)
#     and one to B1 still works; peers B and C again: C1 is learned again.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "a reload of vtep (VTEP_IMPL=kernel)"
require

A=10.0.0.1 B=10.0.0.2 C=10.0.0.3
SMAC=52:54:00:aa:bb:cc
host_add A 1
host_add B 2
host_add C 3
conf_set A ageing 300
vni_add A 100 flood=unicast "peers=$B,$C"
vni_add B 100 flood=unicast "peers=$A,$C"
vni_add C 100 flood=unicast "peers=$A,$B"
for h in A B C; do
	vni_add $h 200 group=239.1.1.200 flood=multicast
done
vni_keys A 100 "fdb = ( { mac = \"$SMAC\"; remote = \"$C\"; } );"
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
vm_add C1 C 100 192.168.100.3/24
vm_add A3 A 200 192.168.200.1/24
vm_add C3 C 200 192.168.200.3/24
for h in A B C; do
	vtep_start $h || finish
done
reload_a()
{
	conf_write A "${HOST_CONF[A]}"
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}" >"$WORK/reload.out" 2>&1
}

check "ping A1 -> B1" vm_ping A1 192.168.100.2 2
check "ping A1 -> C1" vm_ping A1 192.168.100.3 2
check "ping A3 -> C3" vm_ping A3 192.168.200.3 2
dump_json A || finish
check_eq "A: B1 behind B, C1 behind C, C3 behind C, static behind C" \
	"$(fdb_of A 100 "$(vm_mac B1)") / $(fdb_of A 100 "$(vm_mac C1)") / $(fdb_of A 200 "$(vm_mac C3)") / $(fdb_of A 100 $SMAC)" \
	"remote $B null / remote $C null / remote $C null / static $C null"

VNI_OPT[A:100]="flood=unicast peers=$B"
conf_set A allow '[ "10.0.0.0/24" ]'
check "reload: peers B only, allow 10.0.0.0/24" reload_a
dump_json A || finish
check_eq "... C may still send: C1 stays" "$(fdb_of A 100 "$(vm_mac C1)")" "remote $C null"

HOST_KEYS[A]=${HOST_KEYS[A]//allow = \[ \"10.0.0.0\/24\" \];$'\n'/}
check "reload: peers B only, no allow" reload_a
dump_json A || finish
check_eq "... C1's entry removed" "$(fdb_of A 100 "$(vm_mac C1)")" missing
check "... logged with the VNI, the count and the VTEP" grep -q \
	"vni 100: 1 learned FDB entries behind $C removed: the VNI no longer takes traffic from it" \
	"$WORK/A/vtep.log"
check_eq "... B1's stays" "$(fdb_of A 100 "$(vm_mac B1)")" "remote $B null"
check_eq "... the static entry behind C stays" "$(fdb_of A 100 $SMAC)" "static $C null"
check_eq "... VNI 200 (multicast, any source) keeps C3" "$(fdb_of A 200 "$(vm_mac C3)")" "remote $C null"
check_fails "ping A1 -> C1 fails (flooded to B only: C is no peer of VNI 100 now)" \
	vm_ping A1 192.168.100.3 2 3
check "ping A1 -> B1 still works" vm_ping A1 192.168.100.2 2

VNI_OPT[A:100]="flood=unicast peers=$B,$C"
check "reload: peers B and C again" reload_a
check "ping A1 -> C1" vm_ping A1 192.168.100.3 2
dump_json A || finish
check_eq "... C1 learned again" "$(fdb_of A 100 "$(vm_mac C1)")" "remote $C null"
finish
