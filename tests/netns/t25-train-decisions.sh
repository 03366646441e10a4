#!/bin/bash
# SPDX-License-Identifier: MIT
# t25-train-decisions: every datagram of a UDP GRO train is forwarded as if
# it had come alone, although vtep reuses the previous datagram's decision
# when the headers match (datapath.c, struct rx_memo).
#
#   vtvA1 (A1)   vtvA2 (A2)
#     tapA1        tapA2         both VNI 100
#   vthA: vtep 10.0.0.1                       vthC: no vtep, 10.0.0.3
#          \                                    /  tests/tools/vxtrain.py
#           pA ------------ vtul: br0 -------- pC
#
# C sends one UDP GSO train of sixteen equal-size VXLAN datagrams (it
# reaches A's UDP_GRO socket as one train: io.gro_trains grows). Inner
# frames, X and Y being MACs behind C, U a MAC nobody has:
#   t01 X->A1 TCP  t02 X->A1 TCP (same headers as t01)  t03 X->A2 TCP
#   t04 X->A1 TCP  t05 Y->A1 TCP  t06 X->broadcast ARP  t07 X->A1 TCP
#   t08 A1->A1 TCP (A1's own MAC from the underlay: a loop, dropped)
#   t09 X->U TCP (unknown unicast: flooded)  t10 X->A1 TCP in VNI 200 (not
#   configured: dropped)  t11 X->A1 TCP  t12 X->A1 UDP  t13 X->A2 UDP
#   t14 X->A1 IPv6 TCP  t15 X->A1 IPv6 NA for fd00::50 (same Ethernet header
#   as t14, but ND: it must be snooped)  t16 X->A1 IPv6 TCP
# A1 must get exactly t01 t02 t04 t05 t06 t07 t09 t11 t12 t14 t15 t16, A2
# exactly t03 t06 t09 t13, A counts one loop and one unknown_vni drop, and
# A's neighbour cache has fd00::50 at X. The train is sent twice: the first
# time X and Y are new (learning), the second time they are known.
set -eu
. "$(dirname "$0")/lib.sh"
require
[ "$VTEP_IMPL" = vtep ] || skip "checks vtep's own GRO train path (VTEP_IMPL=$VTEP_IMPL)"

PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
TRAIN=$TOP/tests/tools/vxtrain.py
X=02:00:00:00:0a:01
Y=02:00:00:00:0a:02
U=02:00:00:00:0a:99

host_add A 1
host_add C 3
vni_add A 100 flood=unicast peers=10.0.0.3
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 100 192.168.100.2/24
vtep_start A || finish

check "ping A1 -> A2 (both MACs learned as local)" vm_ping A1 "$(vm_addr A2)" 2
A1=$(vm_mac A1)
A2=$(vm_mac A2)

# send_train ROUND: the train, with A1 and A2 sniffing; checks what each got.
send_train()
{
	local round=$1 v pids=() tr0 loop0 unk0 n
	dump_json A || return 0
	tr0=$(jget A "d['io']['gro_trains']")
	loop0=$(jget A "drops('loop')")
	unk0=$(jget A "drops('unknown_vni')")
	for v in A1 A2; do
		in_vm "$v" "$PY" "$TRAIN" sniff --ifname "$(vtap "$v")" --out "$WORK/got.$v.$round" \
			--seconds 3 >"$WORK/sniff.$v.$round" 2>&1 &
		pids+=($!)
		BG_PIDS+=($!)
	done
	for v in A1 A2; do
		poll 5 grep -q ready "$WORK/sniff.$v.$round" || not_ok "round $round: $v sniffer ready"
	done
	n=$(in_host C "$PY" "$TRAIN" send --dst 10.0.0.1 \
		"t01:tcp:$A1:$X" "t02:tcp:$A1:$X" "t03:tcp:$A2:$X" "t04:tcp:$A1:$X" \
		"t05:tcp:$A1:$Y" "t06:arp:ff:ff:ff:ff:ff:ff:$X" "t07:tcp:$A1:$X" \
		"t08:tcp:$A1:$A1" "t09:tcp:$U:$X" "t10:tcp:$A1:$X:200" "t11:tcp:$A1:$X" \
		"t12:udp:$A1:$X" "t13:udp:$A2:$X" "t14:tcp6:$A1:$X" "t15:na:$A1:$X" \
		"t16:tcp6:$A1:$X") ||
		{ not_ok "round $round: vxtrain.py send"; return 0; }
	for p in "${pids[@]}"; do
		wait "$p" || not_ok "round $round: sniffer exit"
	done
	check_eq "round $round: A1 got exactly its frames and the flooded ones" \
		"$(cat "$WORK/got.A1.$round" 2>/dev/null)" "t01 t02 t04 t05 t06 t07 t09 t11 t12 t14 t15 t16"
	check_eq "round $round: A2 got exactly its frame and the flooded ones" \
		"$(cat "$WORK/got.A2.$round" 2>/dev/null)" "t03 t06 t09 t13"
	dump_json A || return 0
	check_ge "round $round: A received it as a GRO train (io.gro_trains delta)" \
		$(($(jget A "d['io']['gro_trains']") - tr0)) 1
	check_eq "round $round: one loop drop (A1's MAC from the underlay)" \
		$(($(jget A "drops('loop')") - loop0)) 1
	check_eq "round $round: one unknown_vni drop (VNI 200)" \
		$(($(jget A "drops('unknown_vni')") - unk0)) 1
}

send_train 1
dump_json A && for m in $X $Y; do
	check_eq "A learned $m behind C" "$(fdb_of A 100 $m)" "remote 10.0.0.3 null"
done
check_eq "A snooped the NA in the train: fd00::50 is at X" \
	"$(jget A "' '.join(e['mac'] for e in vni(100).get('arp', []) if e['ip'] == 'fd00::50') or 'none'")" "$X"
send_train 2
dump_json A && check_eq "A: drop counters other than loop and unknown_vni" \
	"$(jget A "' '.join('%s=%d' % kv for kv in sorted(d['counters']['drops'].items()) if kv[1] and kv[0] not in ('loop', 'unknown_vni')) or 'none'")" none

vtep_stop A
finish
