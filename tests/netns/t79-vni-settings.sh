#!/bin/bash
# SPDX-License-Identifier: MIT
# t79-vni-settings: learning, arp_suppress and bum_rate of a VNI's own,
# over the global ones, as each kernel vxlan device has its own
# [no]learning and proxy settings: one VNI run from static entries without
# learning, another without ARP suppression and with a tight BUM limit,
# the rest as the global keys say.
#
#   vtvA1 .100.1 (VNI 100)  vtvA2 .200.1 (VNI 200)      vtvB1 .100.2  vtvB2 .200.2
#   vthA: vtep 10.0.0.1                                  vthB: vtep 10.0.0.2
#     VNI 100: learning = false
#     VNI 200: arp_suppress = false; bum_rate = 20 (global: 0, off)
#
# Checks:
#   - vtep -t refuses a drop-in that sets learning on a VNI of the main file;
#   - A's dump and log show the settings in effect per VNI;
#   - pings A1 -> B1 and A2 -> B2 work; A learned B2's MAC in VNI 200 but
#     not B1's in VNI 100 (learning off: B1 stays unknown, flooded);
#   - ARP from A1 for B1 again: answered by A (VNI 100 suppresses); from A2
#     for B2: not answered by A (VNI 200 does not), yet resolved by B2;
#   - a broadcast storm from A2 is cut by VNI 200's bum_rate (drops.bum_rate),
#     one from A1 is not limited in VNI 100;
#   - a reload dropping VNI 100's learning = false: A learns B1's MAC.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "vtep keys (VTEP_IMPL=kernel)"
require
A=10.0.0.1 B=10.0.0.2

mkdir -p "$WORK/dropin"
printf 'vnis = ( { vni = 1; learning = false; } );\n' >"$WORK/dropin/x.conf"
printf 'local = "%s";\ninclude_dir = "%s";\nvnis = ( { vni = 1; } );\n' "$A" "$WORK/dropin" \
	>"$WORK/refused.conf"
rc=0
out=$("$VTEP" -t -c "$WORK/refused.conf" 2>&1) || rc=$?
check_eq "vtep -t: a drop-in setting learning on a declared VNI: exit status" "$rc" 1
check "vtep -t: the drop-in's learning is refused with FILE:LINE" grep -q \
	"^$WORK/dropin/x.conf:1: vnis\[0\].learning: VNI '1' is declared at" <<<"$out"

host_add A 1
host_add B 2
unicast_pair A B 100 200
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 200 192.168.200.1/24
vm_add B1 B 100 192.168.100.2/24
vm_add B2 B 200 192.168.200.2/24
vni_keys A 100 "learning = false;"
vni_keys A 200 "arp_suppress = false; bum_rate = 20;"
vtep_start A || finish
vtep_start B || finish

dump_json A || finish
check_eq "A's dump: VNI 100 learning, arp_suppress, bum_rate" \
	"$(jget A "[vni(100)[k] for k in ('learning', 'arp_suppress', 'bum_rate')]")" \
	"[false, true, 0]"
check_eq "A's dump: VNI 200 learning, arp_suppress, bum_rate" \
	"$(jget A "[vni(200)[k] for k in ('learning', 'arp_suppress', 'bum_rate')]")" \
	"[true, false, 20]"
check "A's text dump: VNI 100 learning off" \
	grep -q "^vni 100 flood unicast peers $B tos 0x00 learning off\$" "$WORK/A/vtep.dump"
check "A's text dump: VNI 200 arp_suppress off, bum_rate 20" \
	grep -q "^vni 200 flood unicast peers $B tos 0x00 arp_suppress off bum_rate 20\$" \
	"$WORK/A/vtep.dump"
check "A's log: VNI 100 learning off" grep -q "vni 100: flood unicast, .*, learning off\$" \
	"$WORK/A/vtep.log"

check "ping A1 -> B1 (VNI 100)" vm_ping A1 "$(vm_addr B1)"
check "ping A2 -> B2 (VNI 200)" vm_ping A2 "$(vm_addr B2)"
dump_json A || finish
check_eq "A learned B2's MAC (VNI 200)" "$(fdb_of A 200 "$(vm_mac B2)")" "remote $B null"
check_eq "A did not learn B1's MAC (VNI 100, learning off)" "$(fdb_of A 100 "$(vm_mac B1)")" \
	missing

s100=$(jget A "vni(100)['counters']['arp_suppressed']")
s200=$(jget A "vni(200)['counters']['arp_suppressed']")
in_vm A1 ip neigh flush dev "$(vtap A1)"
in_vm A2 ip neigh flush dev "$(vtap A2)"
check "A1 resolves B1 again: ping" vm_ping A1 "$(vm_addr B1)"
check "A2 resolves B2 again: ping" vm_ping A2 "$(vm_addr B2)"
dump_json A || finish
check_ge "VNI 100: A answered A1's ARP itself" \
	"$(($(jget A "vni(100)['counters']['arp_suppressed']") - s100))" 1
check_eq "VNI 200: A answered no ARP (arp_suppress off)" \
	"$(jget A "vni(200)['counters']['arp_suppressed']")" "$s200"

bum() { jget A "vni($1)['counters']['drops'].get('bum_rate', 0)"; }
in_vm A2 python3 "$TOP/tests/tools/ethsend.py" --dev "$(vtap A2)" --rate 1000 --duration 1 >/dev/null
in_vm A1 python3 "$TOP/tests/tools/ethsend.py" --dev "$(vtap A1)" --rate 1000 --duration 1 >/dev/null
dump_json A || finish
check_ge "VNI 200's bum_rate cut A2's storm" "$(bum 200)" 500
check_eq "VNI 100 has no limit" "$(bum 100)" 0

vni_keys A 100 ""
conf_write A "${HOST_CONF[A]}"
check "reload: VNI 100 learns again" ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
check "ping A1 -> B1" vm_ping A1 "$(vm_addr B1)"
dump_json A || finish
check_eq "A learned B1's MAC (VNI 100)" "$(fdb_of A 100 "$(vm_mac B1)")" "remote $B null"
check_eq "A's dump: VNI 100 learning" "$(jget A "vni(100)['learning']")" true
vtep_stop A
vtep_stop B
finish
