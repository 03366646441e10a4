#!/bin/bash
# SPDX-License-Identifier: MIT
# t40-malformed: bad underlay packets are dropped and counted by reason,
# while the overlay keeps working and the daemon stays up.
#
#   vtvA1 192.168.100.1              vtvB1 192.168.100.2
#     tapA1 (VNI 100)                  tapB1 (VNI 100)
#   vthA: vtep 10.0.0.1              vthB: vtep 10.0.0.2        vthC: no vtep
#     allow [10.0.0.0/29]                                         ul0 10.0.0.3 (allowed)
#     VNI 100 group 239.1.1.100        VNI 100 group ...              10.0.0.200 (not)
#          \                               |                       /  tests/tools/vxsend.py
#           pA ---------------------- vtul: br0 ---------------- pB, pC
#
# While A1 pings B1 all along, C sends to A's UDP 4789, phase by phase:
# truncated VXLAN headers (malformed), I flag clear / reserved bits set
# (bad_flags), an undeclared VNI (unknown_vni), and a well-formed VNI 100
# frame from 10.0.0.200, outside `allow` (not_allowed). After each phase
# A's counters.drops.<reason> has grown by exactly what was sent and the
# other reasons not at all. Under VTEP_IMPL=kernel (no counters) the capture
# on pA checks that every datagram arrived instead.
set -eu
. "$(dirname "$0")/lib.sh"
require

host_add A 1
host_add B 2
host_add C 3 10.0.0.200/24
conf_set A allow '[ "10.0.0.0/29" ]'
vni_add A 100 group=239.1.1.100 flood=multicast
vni_add B 100 group=239.1.1.100 flood=multicast
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
vtep_start A || finish
vtep_start B || finish

check "ping A1 -> B1 before" vm_ping A1 "$(vm_addr B1)" 3
ip netns exec "$(vns A1)" ping -n -i 0.2 -w 120 "$(vm_addr B1)" >"$WORK/ping.out" 2>&1 &
ping_pid=$!
BG_PIDS+=("$ping_pid")
is_kernel A && cap_start ul "$NS_UL" pA

REASONS="malformed bad_flags unknown_vni not_allowed"
declare -A base=()
read_drops()
{
	local r
	dump_json A || return 1
	for r in $REASONS; do
		base[$r]=$(jget A "drops('$r')")
	done
}
read_drops || finish
sent_total=0

# phase DESC REASON COUNT VXSEND-ARGS...
phase()
{
	local desc=$1 reason=$2 n=$3 r want got
	shift 3
	if ! in_host C python3 "$VXSEND" --dst 10.0.0.1 --src 10.0.0.3 --count "$n" "$@" >/dev/null; then
		not_ok "$desc: vxsend.py $*"
		return 0
	fi
	sent_total=$((sent_total + n))
	is_kernel A && return 0
	want=$((base[$reason] + n))
	poll 5 test_drops "$reason" "$want" || true
	dump_json A || return 0
	for r in $REASONS; do
		got=$(jget A "drops('$r')")
		if [ "$r" = "$reason" ]; then
			check_eq "$desc: drops.$r +$n" "$got" "$want"
		elif [ "$got" != "${base[$r]}" ]; then
			not_ok "$desc: drops.$r unchanged: ${base[$r]} -> $got"
		fi
		base[$r]=$got
	done
}
test_drops() { dump_json A >/dev/null && [ "$(jget A "drops('$1')")" -ge "$2" ]; }

phase "truncated VXLAN header, 1 byte" malformed 3 --length 1
phase "truncated VXLAN header, 4 bytes" malformed 3 --length 4
phase "truncated VXLAN header, 7 bytes" malformed 3 --length 7
phase "I flag clear" bad_flags 4 --flags 0x00
phase "reserved flag bit set (0x0c)" bad_flags 4 --flags 0x0c
phase "reserved bits after the flags set" bad_flags 4 --rsvd1 0x000100
phase "reserved byte after the VNI set" bad_flags 4 --rsvd2 0x01
phase "unknown VNI 4242" unknown_vni 5 --vni 4242
phase "VNI 100 from 10.0.0.200, outside allow" not_allowed 6 --src 10.0.0.200 --vni 100 \
	--inner-src 02:00:00:00:00:c8

if is_kernel A; then
	cap_stop ul
	check_eq "every datagram from C reached A's underlay port" \
		"$(cap_count ul "$F_VX and dst host 10.0.0.1 and (src host 10.0.0.3 or src host 10.0.0.200)")" \
		"$sent_total"
else
	check_eq "A learned nothing from 10.0.0.200" \
		"$(fdb_of A 100 02:00:00:00:00:c8)" missing
fi

sleep 1         # a few more pings after the last phase
kill -INT "$ping_pid"
rc=0
wait "$ping_pid" || rc=$?
stats=$(grep -E 'packets transmitted' "$WORK/ping.out" || true)
note "parallel ping: $stats"
tx=$(sed -E 's/^([0-9]+) packets transmitted.*/\1/' <<<"$stats")
rx=$(sed -E 's/.* ([0-9]+) received.*/\1/' <<<"$stats")
check_eq "parallel ping A1 -> B1 exit status" "$rc" 0
check_ge "parallel ping: replies (all but the one in flight)" "${rx:-0}" $((${tx:-0} - 1))
check_ge "parallel ping ran through the phases" "${tx:-0}" 5
if ! is_kernel A; then
	check "A: vtep still running" vtep_alive A
fi
check "ping A1 -> B1 after" vm_ping A1 "$(vm_addr B1)" 3

vtep_stop A
vtep_stop B
finish
