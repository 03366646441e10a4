#!/bin/bash
# SPDX-License-Identifier: MIT
# t73-misc: more hostile input and faults, each with exact counters while
# the overlay keeps working:
#   1. oversize VXLAN frames from the underlay (over the tap MTU) -> too_big
#   2. VXLAN from a source outside `allow` -> not_allowed, nothing learned
#   3. forged ARP replies and NAs (from the underlay and from a local VM)
#      against static arp entries -> entries intact, arp_conflicts counted,
#      suppression still answers with the configured MAC
#   4. a dead peer (nobody at 10.0.0.9) and a peer without a VTEP (ICMP port
#      unreachable from 10.0.0.4) first in the replication list: BUM still
#      reaches the live peers, one copy each, and nothing is counted as lost
#   5. dstport already in use (by a second vtep, by another program) -> a
#      clear error naming address and port, exit status 2
#
#   vtvA1 .100.1  vtvA2 .100.3        vtvB1 .100.2          vtvC1 .100.4
#     tapA1  tapA2 (VNI 100)            tapB1                 tapC1
#   vthA: vtep 10.0.0.1, mtu 1400     vthB: vtep 10.0.0.2   vthC: vtep 10.0.0.3
#     allow [10.0.0.0/28]              peers A, C            peers A, B
#     VNI 100 flood unicast, peers 10.0.0.9 (dead), .4 (no vtep), .2, .3
#     static arp .100.2 and fd00::2 -> B1's MAC (include_dir)
#          \                          |                      |
#           pA ----------------- vtul: br0 ----------------- pB, pC, pD
#                                     |
#                      vthD: no vtep, 10.0.0.4 and 10.0.0.200 (tests/tools/vxsend.py)
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "counters are vtep's (VTEP_IMPL=kernel)"
require
ETHSEND=$TOP/tests/tools/ethsend.py
EVIL=02:66:66:66:66:66

host_add A 1
host_add B 2
host_add C 3
host_add D 4 10.0.0.200/24
conf_set A mtu 1400
conf_set A allow '[ "10.0.0.0/28" ]'
conf_set A include_dir "\"$WORK/A/vtep.d\""
vni_add A 100 flood=unicast peers=10.0.0.9,10.0.0.4,10.0.0.2,10.0.0.3
vni_add B 100 flood=unicast peers=10.0.0.1,10.0.0.3
vni_add C 100 flood=unicast peers=10.0.0.1,10.0.0.2
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 100 192.168.100.3/24
vm_add B1 B 100 192.168.100.2/24
vm_add C1 C 100 192.168.100.4/24
B1MAC=$(vm_mac B1)
mkdir -p "$WORK/A/vtep.d"
cat >"$WORK/A/vtep.d/static.conf" <<EOC
vnis = ( { vni = 100; arp = ( { ip = "192.168.100.2"; mac = "$B1MAC"; },
                              { ip = "fd00::2"; mac = "$B1MAC"; } ); } );
EOC
for h in A B C; do
	vtep_start $h || finish
done
check "ping A1 -> B1" vm_ping A1 "$(vm_addr B1)" 3
check "ping A1 -> C1" vm_ping A1 "$(vm_addr C1)" 3

REASONS="too_big not_allowed malformed bad_flags unknown_vni tx_error no_buffer"
declare -A base=()
snap()
{
	local r
	dump_json A || return 1
	for r in $REASONS; do base[$r]=$(jget A "drops('$r')"); done
	base[conflicts]=$(jget A "counter('arp_conflicts')")
	base[suppressed]=$(jget A "counter('arp_suppressed')")
}
# delta REASON: growth of drops.REASON (or a counter) since the last snap.
delta()
{
	case $1 in
	conflicts) echo $(($(jget A "counter('arp_conflicts')") - base[conflicts])) ;;
	suppressed) echo $(($(jget A "counter('arp_suppressed')") - base[suppressed])) ;;
	*) echo $(($(jget A "drops('$1')") - base[$1])) ;;
	esac
}
# only REASON N: drops.REASON grew by N and no other reason moved.
only()
{
	local r want=$2 got
	for r in $REASONS; do
		got=$(delta "$r")
		if [ "$r" = "$1" ]; then
			check_eq "drops.$r +$want" "$got" "$want"
		elif [ "$got" != 0 ]; then
			not_ok "drops.$r unchanged (+$got)"
		fi
	done
}
vx() { in_host D python3 "$VXSEND" --dst 10.0.0.1 --vni 100 "$@" >/dev/null; }

# 1. Oversize: the tap MTU is 1400, so an inner frame of 14 + 1400 bytes
# passes and 14 + 1401 is too big (no VLAN tag).
snap || finish
vx --src 10.0.0.4 --inner-src 02:00:00:00:b1:01 --payload-len 1400 --count 3
vx --src 10.0.0.4 --inner-src 02:00:00:00:b1:02 --payload-len 1401 --count 5
vx --src 10.0.0.4 --inner-src 02:00:00:00:b1:02 --payload-len 1450 --count 2
sleep 0.3
dump_json A || finish
note "oversize from the underlay"
only too_big 7

# 2. Outside allow.
snap || finish
vx --src 10.0.0.200 --inner-src 02:00:00:00:c8:01 --count 6
sleep 0.3
dump_json A || finish
note "source 10.0.0.200, outside allow"
only not_allowed 6
check_eq "nothing learned from 10.0.0.200" "$(fdb_of A 100 02:00:00:00:c8:01)" missing

# 3. Forged ARP/NA against the static entries.
arp_of() { jget A "next(('%s %s' % (e['mac'], e['type']) for e in vni(100)['arp'] if e['ip'] == '$1'), 'missing')"; }
snap || finish
vx --src 10.0.0.4 --inner-src $EVIL \
	--arp reply,$EVIL,192.168.100.2,ff:ff:ff:ff:ff:ff,192.168.100.2 --count 3
vx --src 10.0.0.4 --inner-src $EVIL --inner-dst "$(vm_mac A1)" \
	--arp reply,$EVIL,192.168.100.2,"$(vm_mac A1)",192.168.100.1 --count 2
vx --src 10.0.0.4 --inner-src $EVIL --na fd00::2,$EVIL --count 4
in_vm A2 python3 "$ETHSEND" --dev "$(vtap A2)" \
	--arp request,"$(vm_mac A2)",192.168.100.2,00:00:00:00:00:00,192.168.100.2 --count 2 >/dev/null
sleep 0.3
dump_json A || finish
check_eq "static arp 192.168.100.2 intact" "$(arp_of 192.168.100.2)" "$B1MAC static"
check_eq "static arp fd00::2 intact" "$(arp_of fd00::2)" "$B1MAC static"
check_eq "arp_conflicts: 5 forged ARP + 4 forged NA from the underlay + 2 from A2" \
	"$(delta conflicts)" 11
in_vm A1 ip neigh flush dev "$(vtap A1)"
check "ping A1 -> B1 after the forgeries" vm_ping A1 "$(vm_addr B1)" 3
check_eq "A1 resolved B1 to the configured MAC" \
	"$(in_vm A1 ip neigh show 192.168.100.2 | sed -n 's/.* lladdr \([^ ]*\).*/\1/p')" "$B1MAC"
dump_json A || finish
check_ge "A1's request answered by suppression" "$(delta suppressed)" 1

# 4. A dead peer and a port-unreachable peer in the replication list.
snap || finish
cap_start ul "$NS_UL" pA
# 5 s of broadcasts: longer than the kernel takes to give up resolving
# 10.0.0.9 (3 probes a second apart), so the sends meet a FAILED neighbour too.
in_vm A1 python3 "$ETHSEND" --dev "$(vtap A1)" --count 250 --rate 50 >/dev/null &
bum=$!
check "ping A1 -> B1 with dead peers first in the list" vm_ping A1 "$(vm_addr B1)" 10
check "ping A1 -> C1 with dead peers first in the list" vm_ping A1 "$(vm_addr C1)" 10
wait $bum
sleep 0.5
cap_stop ul
BUM="$F_VX and src host 10.0.0.1 and $(f_inner_src "$(vm_mac A1)") and udp[28:2] = 0x88b5"
check_eq "250 broadcasts replicated to B" "$(cap_count ul "$BUM and dst host 10.0.0.2")" 250
check_eq "250 broadcasts replicated to C" "$(cap_count ul "$BUM and dst host 10.0.0.3")" 250
check_eq "250 broadcasts sent to the port-unreachable peer" "$(cap_count ul "$BUM and dst host 10.0.0.4")" 250
note "ICMP port unreachable from 10.0.0.4: $(cap_count ul "icmp and src host 10.0.0.4") seen"
note "ARP for the dead peer 10.0.0.9: $(cap_count ul "arp and arp[24:4] = 0x0a000009") requests"
dump_json A || finish
check_eq "no tx_error, no no_buffer from dead peers" "$(delta tx_error),$(delta no_buffer)" "0,0"
check "A: vtep still running" vtep_alive A

# 5. dstport in use.
second_conf()
{
	cat >"$WORK/$1.conf" <<EOC
local = "$2";
dev = "ul0";
pidfile = "$WORK/$1.pid";
dumpdir = "$WORK";
vnis = ( { vni = 300; } );
EOC
}
second_conf second 10.0.0.1
rc=0
timeout 10 ip netns exec "$(hns A)" "$VTEP" -c "$WORK/second.conf" >"$WORK/second.out" 2>&1 || rc=$?
note "second vtep on 10.0.0.1:4789: $(tr '\n' ' ' <"$WORK/second.out")"
check_eq "a second vtep on 10.0.0.1:4789 exits with status 2" "$rc" 2
check "its error names the address and port" grep -q "10.0.0.1:4789" "$WORK/second.out"
check "its error says the address is in use" grep -qi "in use" "$WORK/second.out"
check "the first vtep on A is unaffected" vm_ping A1 "$(vm_addr B1)" 2

# Another program holds the port (host D, no vtep).
in_host D python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.0.4", 4789))
print("bound", flush=True)
time.sleep(30)' >"$WORK/holder.out" 2>&1 &
holder=$!
BG_PIDS+=("$holder")
poll 5 grep -q bound "$WORK/holder.out" || true
second_conf third 10.0.0.4
rc=0
timeout 10 ip netns exec "$(hns D)" "$VTEP" -c "$WORK/third.conf" >"$WORK/third.out" 2>&1 || rc=$?
note "vtep on 10.0.0.4:4789 held by python: $(tr '\n' ' ' <"$WORK/third.out")"
check_eq "vtep on a port another program holds exits with status 2" "$rc" 2
check "its error names the address and port" grep -q "10.0.0.4:4789" "$WORK/third.out"
check "its error says the address is in use" grep -qi "in use" "$WORK/third.out"
kill "$holder" 2>/dev/null || true

for h in A B C; do
	vtep_stop $h
done
finish
