#!/bin/bash
# SPDX-License-Identifier: MIT
# t76-vni-maxaddress: a VNI's own cap on learned MACs (maxaddress inside a
# VNI entry) keeps one segment's MAC spray from filling the table that
# every segment shares (the kernel's equivalent is a bridge per VNI with
# fdb_max_learned).
#
#   vtvA1 .100.1 (VNI 100)  vtvA2 .200.1 (VNI 200)     vtvB1 .100.2  vtvB2 .200.2
#   vthA: vtep 10.0.0.1, maxaddress = 1000,            vthB: vtep 10.0.0.2
#     allow = [ "10.0.0.0/24" ]
#     VNI 100 maxaddress = 50, VNI 200 none            vthC: 10.0.0.3, vxspray
#
# Checks:
#   - vtep -t refuses a VNI's maxaddress = 0 with FILE:LINE; A logs
#     "maxaddress 50" for VNI 100 and dumps it (JSON);
#   - C sprays 2000 source MACs into VNI 100: A holds exactly 50 learned
#     entries in VNI 100 (A1, B1 and 48 sprayed), and counted one fdb_full
#     for every sprayed datagram it did not learn;
#   - VNI 200 is not affected: C sprays 300 MACs into it, all learned
#     (300 + A2 + B2), and ping A2 -> B2 works; ping A1 -> B1 still works;
#   - a reload that lifts VNI 100's cap (key removed): 100 more sprayed MACs
#     are learned (150 in VNI 100); one that sets it to 20 evicts nothing
#     (still 150) and learns nothing new.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "a vtep key, its counters and dump (VTEP_IMPL=kernel)"
require
vxspray_build
A=10.0.0.1 B=10.0.0.2

conf_refused "a VNI's maxaddress = 0" "local = \"$A\";
vnis = ( { vni = 1;
  maxaddress = 0; } );" 3 "vnis\[0\].maxaddress: '0' out of range"

host_add A 1
host_add B 2
host_add C 3
conf_set A maxaddress 1000
conf_set A allow '[ "10.0.0.0/24" ]'         # C is no peer
vni_add A 100 flood=unicast peers=$B
vni_add A 200 flood=unicast peers=$B
vni_add B 100 flood=unicast peers=$A
vni_add B 200 flood=unicast peers=$A
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 200 192.168.200.1/24
vm_add B1 B 100 192.168.100.2/24
vm_add B2 B 200 192.168.200.2/24
# conf_write has no per-VNI maxaddress: add it to A's VNI 100 by hand.
cap_vni100()
{
	conf_write A "${HOST_CONF[A]}"
	[ -z "$1" ] || sed -i "s/^  { vni = 100;\$/  { vni = 100; maxaddress = $1;/" "${HOST_CONF[A]}"
}
HOST_CONF[A]=$WORK/A/vtep.conf
vtep_start A || finish
cap_vni100 50
ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}" >"$WORK/reload.out" 2>&1 ||
	{ not_ok "reload with VNI 100 maxaddress = 50"; sed 's/^/#   /' "$WORK/reload.out"; finish; }
vtep_start B || finish
check "A logs VNI 100's cap" grep -q "vni 100: .*, maxaddress 50\$" "$WORK/A/vtep.log"
check "ping A1 -> B1" vm_ping A1 "$(vm_addr B1)"
check "ping A2 -> B2" vm_ping A2 "$(vm_addr B2)"

learned() { jget A "sum(1 for e in vni($1)['fdb'] if e['type'] in ('local', 'remote'))"; }
vdrop() { jget A "vni($1)['counters']['drops'].get('$2', 0)"; }
# spray VNI START COUNT: COUNT new source MACs into VNI, to an unknown MAC.
spray() { in_host C "$SPRAY" --dst $A --src 10.0.0.3 --vni "$1" --start "$2" --count "$3" --pps 20000 \
	--inner-dst 02:5a:00:00:00:01; }

dump_json A || finish
check_eq "A's dump: VNI 100 maxaddress" "$(jget A "vni(100)['maxaddress']")" 50
check_eq "A's dump: VNI 200 has none" "$(jget A "vni(200)['maxaddress']")" null
full0=$(vdrop 100 fdb_full)
err0=$(rcvbuf_errors A)
note "spray into VNI 100: $(spray 100 0 2000)"
sleep 0.5
dump_json A || finish
got=$((2000 - $(rcvbuf_errors A) + err0))
check_eq "VNI 100 holds exactly its cap of learned entries" "$(learned 100)" 50
check_eq "VNI 100: one fdb_full per sprayed datagram not learned" \
	"$(($(vdrop 100 fdb_full) - full0))" $((got - 48))
note "spray into VNI 200: $(spray 200 100000 300)"
sleep 0.5
dump_json A || finish
check_eq "VNI 200 learned every sprayed MAC (300 + A2 + B2)" "$(learned 200)" 302
check_eq "VNI 200: no fdb_full" "$(vdrop 200 fdb_full)" 0
check "ping A2 -> B2 after the spray" vm_ping A2 "$(vm_addr B2)"
check "ping A1 -> B1 after the spray" vm_ping A1 "$(vm_addr B1)"

cap_vni100 ""
check "reload lifting VNI 100's cap applied" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
note "spray into VNI 100: $(spray 100 200000 100)"
sleep 0.5
dump_json A || finish
check_eq "cap lifted: 100 more learned in VNI 100" "$(learned 100)" 150
check_eq "A's dump: VNI 100 maxaddress gone" "$(jget A "vni(100)['maxaddress']")" null

cap_vni100 20
check "reload with VNI 100 maxaddress = 20 applied" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
note "spray into VNI 100: $(spray 100 300000 100)"
sleep 0.5
dump_json A || finish
check_eq "cap 20 under 150 entries: nothing evicted, nothing learned" "$(learned 100)" 150
check "ping A1 -> B1 at the end" vm_ping A1 "$(vm_addr B1)"
vtep_stop A
vtep_stop B
finish
