#!/bin/bash
# SPDX-License-Identifier: MIT
# t82-remotes: traffic per remote VTEP in the dump and the metrics
# (`remotes`: datagrams and bytes each way, when it was last heard from, the
# MACs behind it, whether it is a configured peer), the view that shows a
# silent peer or a one-way path.
#
#   vtvA1 .100.1        vtvB1 .100.2        vtvC1 .100.3
#   vthA: vtep 10.0.0.1, workers = 2, peers [B, C, 10.0.0.9 (no such host)],
#         a static FDB entry behind 10.0.0.8 (no such host either)
#   vthB: vtep 10.0.0.2 (peers A, C)    vthC: kernel vxlan 10.0.0.3 (peers A, B)
#
# Checks:
#   - before any traffic A lists 10.0.0.8 (static entry: 1 MAC, not a peer,
#     never heard from) and 10.0.0.9 (a peer, nothing either way);
#   - pings A1 -> B1 and A1 -> C1: for B, C and 10.0.0.9 the datagrams A
#     counted each way equal those captured on A's underlay; bytes are the
#     captured UDP payloads; B and C heard from within 2 s, 10.0.0.9 never
#     (text dump "last_rx never"); B1 and C1 counted as the MACs behind them;
#   - metrics: vtep_remote_*_total per remote, and no
#     vtep_remote_last_rx_seconds for 10.0.0.9;
#   - 3 s of silence: B's last_rx_s is 3 or more;
#   - both workers took datagrams, and a reload (which stops and starts
#     them) loses none of what they counted;
#   - TCP A1 -> B1 (UDP GSO trains): tx_bytes to B grows by more than the
#     bytes the transfer moved; B1 -> A1 (GRO trains), rx_bytes from B.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "a vtep dump field (VTEP_IMPL=kernel)"
require
command -v iperf3 >/dev/null 2>&1 || skip "iperf3 not installed"
command -v ethtool >/dev/null 2>&1 || skip "ethtool not installed (packaging/deps.sh installs it)"

A=10.0.0.1 B=10.0.0.2 C=10.0.0.3 D=10.0.0.9 S=10.0.0.8
SMAC=52:54:00:aa:bb:cc

host_add A 1
host_add B 2
host_add C 3
host_kernel C
vni_add A 100 flood=unicast "peers=$B,$C,$D"
vni_add B 100 flood=unicast "peers=$A,$C"
vni_add C 100 flood=unicast "peers=$A,$B"
vni_keys A 100 "fdb = ( { mac = \"$SMAC\"; remote = \"$S\"; } );"
conf_set A workers 2
conf_set A metrics "\"$WORK/A/vtep.prom\""
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
vm_add C1 C 100 192.168.100.3/24
for h in A B C; do
	vtep_start $h || finish
done
in_host C ethtool -K vx100 tx off >/dev/null
# B1 and C1 know A1 for good: no ARP probe of theirs breaks the silence
# below. 10.0.0.9 resolves (to no one), so what A sends it is on the wire.
for v in B1 C1; do
	in_vm "$v" ip neigh replace "$(vm_addr A1)" lladdr "$(vm_mac A1)" dev "$(vtap "$v")" \
		nud permanent
done
in_host A ip neigh replace "$D" lladdr 02:00:00:00:00:09 dev ul0 nud permanent

# rem H ADDR FIELD: one field of ADDR's entry in H's remotes (null: none).
rem() { jget "$1" "next((r['$3'] for r in d.get('remotes', []) if r['address'] == '$2'), None)"; }

dump_json A || finish
check_eq "before traffic: 10.0.0.8 (static entry) listed: 1 MAC, not a peer" \
	"$(rem A $S macs) $(rem A $S peer)" "1 false"
check_eq "... never heard from" "$(rem A $S last_rx_s)" null
check_eq "10.0.0.9 listed as a peer, with nothing either way yet" \
	"$(rem A $D peer) $(rem A $D rx_packets) $(rem A $D last_rx_s)" "true 0 null"
check_eq "nothing untracked" "$(jget A "d['remotes_untracked']")" 0

cap_start ul "$(hns A)" ul0 || finish
check "ping A1 -> B1" vm_ping A1 "$(vm_addr B1)" 5
check "ping A1 -> C1" vm_ping A1 "$(vm_addr C1)" 5
cap_stop ul
dump_json A || finish
# capn FILTER: datagrams in the capture; capb FILTER: their UDP payload bytes
# (the IPv4 total length less 28).
capn() { cap_count ul "$F_VX and $1"; }
capb() {
	tcpdump -r "${CAP_FILE[ul]}" -n -tt -v "$F_VX and $1" 2>/dev/null |
		sed -n 's/.*proto UDP (17), length \([0-9]*\)).*/\1/p' |
		awk '{s += $1 - 28} END {print s + 0}'
}
for h in B C; do
	ip=${!h}
	check_eq "remote $h: datagrams received, as captured" \
		"$(rem A "$ip" rx_packets)" "$(capn "src host $ip and dst host $A")"
	check_eq "remote $h: datagrams sent, as captured" \
		"$(rem A "$ip" tx_packets)" "$(capn "src host $A and dst host $ip")"
	check_eq "remote $h: bytes sent, as captured" \
		"$(rem A "$ip" tx_bytes)" "$(capb "src host $A and dst host $ip")"
	check_eq "remote $h: bytes received, as captured" \
		"$(rem A "$ip" rx_bytes)" "$(capb "src host $ip and dst host $A")"
	check "remote $h: heard from within 2 s" \
		test "$(rem A "$ip" last_rx_s)" -le 2
	check_ge "remote $h: its VM's MAC behind it" "$(rem A "$ip" macs)" 1
	check_eq "remote $h: a peer" "$(rem A "$ip" peer)" true
done
check_ge "10.0.0.9 (absent peer): A flooded to it" "$(rem A $D tx_packets)" 1
check_eq "... as many datagrams as captured" "$(rem A $D tx_packets)" \
	"$(capn "src host $A and dst host $D")"
check_eq "... and never heard from it" "$(rem A $D rx_packets) $(rem A $D last_rx_s)" "0 null"
check_eq "... its path MTU (the underlay's)" "$(rem A $D path_mtu)" 1500
check "A's text dump: 10.0.0.9, last_rx never" \
	grep -Eq "^remote $D peer macs 0 rx 0 0 tx [1-9][0-9]* [0-9]+ last_rx never path_mtu 1500\$" \
	"$WORK/A/vtep.dump"
check "A's text dump: B heard from" \
	grep -Eq "^remote $B peer macs [1-9][0-9]* rx [1-9][0-9]* [0-9]+ tx [0-9]+ [0-9]+ last_rx [0-2]s path_mtu 1500\$" \
	"$WORK/A/vtep.dump"
P=$WORK/A/vtep.prom
check "metrics: datagrams from B" \
	grep -Eq "^vtep_remote_rx_packets_total\\{remote=\"$B\"\\} [1-9]" "$P"
check "metrics: datagrams to 10.0.0.9" \
	grep -Eq "^vtep_remote_tx_packets_total\\{remote=\"$D\"\\} [1-9]" "$P"
check "metrics: when C was last heard from" \
	grep -Eq "^vtep_remote_last_rx_seconds\\{remote=\"$C\"\\} [0-9]" "$P"
check "metrics: no last_rx for 10.0.0.9" \
	bash -c "! grep -q 'vtep_remote_last_rx_seconds{remote=\"$D\"}' '$P'"

sleep 3
dump_json A || finish
check_ge "3 s of silence: B's last_rx_s" "$(rem A $B last_rx_s)" 3

# Both workers count; a reload stops and starts them, and keeps the counts.
check "ping B1 -> A1 in 8 flows (outer source ports)" bash -c \
	"for i in 1 2 3 4 5 6 7 8; do ip netns exec $(vns B1) ping -n -q -c 2 -i 0.2 -w 5 \
	-s \$((56 + i)) $(vm_addr A1) >/dev/null || exit 1; done"
dump_json A || finish
check_ge "worker 1 took datagrams" \
	"$(jget A "next((w['rx_packets'] for w in d['workers'] if w['id'] == 1), 0)")" 1
rx0=$(rem A $B rx_packets) tx0=$(rem A $B tx_packets) rxc0=$(rem A $C rx_packets)
conf_write A "${HOST_CONF[A]}"
check "reload A" ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
dump_json A || finish
note "before: rx $rx0 tx $tx0 C $rxc0; after: $(rem A $B rx_packets) $(rem A $B tx_packets) $(rem A $C rx_packets)"
check_ge "after the reload: datagrams from B not fewer" "$(rem A $B rx_packets)" "$rx0"
check_ge "... to B" "$(rem A $B tx_packets)" "$tx0"
check_ge "... from C" "$(rem A $C rx_packets)" "$rxc0"

txb0=$(rem A $B tx_bytes)
moved=$(tcp_bytes A1 "$(vm_addr B1)" B1)
check_ge "TCP A1 -> B1: bytes" "$moved" 1000000
dump_json A || finish
check_ge "tx_bytes to B grew by more than TCP moved (trains counted whole)" \
	"$(($(rem A $B tx_bytes) - txb0))" "$moved"
rxb0=$(rem A $B rx_bytes)
moved=$(tcp_bytes B1 "$(vm_addr A1)" A1)
check_ge "TCP B1 -> A1: bytes" "$moved" 1000000
dump_json A || finish
check_ge "rx_bytes from B grew by more than TCP moved (GRO trains counted whole)" \
	"$(($(rem A $B rx_bytes) - rxb0))" "$moved"
for h in A B; do
	vtep_stop $h
done
finish
