#!/bin/bash
# SPDX-License-Identifier: MIT
# t87-vni-arp-max: a VNI's own cap on snooped ARP/ND entries (arp_max inside
# a VNI entry) keeps one segment's ARP spray from filling the cache that
# every segment shares, as maxaddress does for the FDB (t76).
#
#   vtvA1 .100.1 (VNI 100, arp_max 20)  vtvA2 .200.1 (VNI 200)
#   vthA: vtep 10.0.0.1, arp_max = 1000          vthB: vtep 10.0.0.2
#   vtvB1 .100.2 (VNI 100)  vtvB2 .200.2 (VNI 200)
#
# Checks:
#   - vtep -t refuses a VNI's arp_max = 0 with FILE:LINE; A logs and dumps
#     "arp_max 20" for VNI 100;
#   - A1 announces 60 addresses (gratuitous ARP): A holds exactly 20 snooped
#     entries in VNI 100 and counted arp_full for the other 40;
#   - VNI 200 is not affected: A2 announces 60, all 60 are held; ping
#     A2 -> B2 works, and A1 -> B1 too (flooded ARP, not answered from the
#     cache, once VNI 100 is full);
#   - a reload that lifts the cap: the next announcements are held; one
#     that sets it to 5 evicts nothing and takes nothing new.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "a vtep key, its counters and dump (VTEP_IMPL=kernel)"
require

host_add A 1
host_add B 2
conf_set A arp_max 1000
vni_add A 100 flood=unicast peers=10.0.0.2
vni_add A 200 flood=unicast peers=10.0.0.2
vni_add B 100 flood=unicast peers=10.0.0.1
vni_add B 200 flood=unicast peers=10.0.0.1
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 200 192.168.200.1/24
vm_add B1 B 100 192.168.100.2/24
vm_add B2 B 200 192.168.200.2/24

# A bad value first: refused by vtep -t with its line.
conf_write A "$WORK/A/bad.conf"
sed -i 's/{ vni = 100;/{ vni = 100; arp_max = 0;/' "$WORK/A/bad.conf"
rc=0
out=$("$VTEP" -t -c "$WORK/A/bad.conf" 2>&1) || rc=$?
check_eq "vtep -t: a VNI's arp_max = 0 refused (exit 1)" "$rc" 1
check "... with FILE:LINE and the range" grep -q "bad.conf:[0-9]*: vnis\[0\].arp_max: '0' out of range" <<<"$out"

vni_keys A 100 "arp_max = 20;"
vtep_start A || finish
vtep_start B || finish
check "A logs VNI 100's arp_max" grep -q "vni 100: .*arp_max 20" "$WORK/A/vtep.log"
dump_json A || finish
check_eq "the dump shows it (VNI 200: none)" \
	"$(jget A 'vni(100)["arp_max"]') $(jget A 'vni(200)["arp_max"]')" "20 null"

# announce VM NET FIRST COUNT: gratuitous ARP requests from VM for NET.FIRST
# and the COUNT - 1 addresses after it.
announce()
{
	local v=$1 net=$2 first=$3 n=$4 i ip
	for i in $(seq "$first" $((first + n - 1))); do
		ip=$net.$i
		in_vm "$v" python3 "$TOP/tests/tools/ethsend.py" --dev "$(vtap "$v")" --count 1 \
			--arp "request,$(vm_mac "$v"),$ip,00:00:00:00:00:00,$ip" >/dev/null
	done
}
snooped() { jget A "sum(1 for e in vni($1)['arp'] if e['type'] == 'snooped')"; }
arp_full() { jget A "vni($1)['counters']['drops']['arp_full']"; }

announce A1 192.168.100 50 60
dump_json A || finish
check_eq "VNI 100: 60 announced, 20 held" "$(snooped 100)" 20
check_eq "... 40 counted arp_full" "$(arp_full 100)" 40
announce A2 192.168.200 50 60
dump_json A || finish
check_eq "VNI 200: 60 announced, 60 held" "$(snooped 200)" 60
check_eq "... none counted arp_full" "$(arp_full 200)" 0
check "ping A2 -> B2" vm_ping A2 192.168.200.2 2
check "ping A1 -> B1 (VNI 100 full: its ARP is flooded, not answered)" vm_ping A1 192.168.100.2 2

VNI_KEYS[A:100]=""
conf_write A "${HOST_CONF[A]}"
check "reload lifting VNI 100's cap" ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
announce A1 192.168.100 150 10
dump_json A || finish
n=$(snooped 100)
check_ge "... the next 10 announcements are held" "$n" 30
vni_keys A 100 "arp_max = 5;"
conf_write A "${HOST_CONF[A]}"
check "reload setting it to 5" ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
announce A1 192.168.100 170 5
dump_json A || finish
check_eq "... evicts nothing, takes nothing new" "$(snooped 100)" "$n"
finish
