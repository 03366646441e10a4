#!/bin/bash
# SPDX-License-Identifier: MIT
# arp-suppress.sh - how much ARP the suppression cache keeps off the underlay.
#
#   vtvH1V1..vtvH1V4   ...   vtvH8V1..vtvH8V4     32 VMs, 192.168.100.HV/24 (VNI 100)
#          |                        |
#   vthH1: vtep 10.0.0.1   ...  vthH8: vtep 10.0.0.8
#          |  ul0 <-> pH1           |  ul0 <-> pH8     (tcpdump on every port pHn)
#          +------------ vtul: br0 -+
#
# Every VM resolves every other VM once (32 x 31 = 992 ARP requests: one
# l2raw.py "resolve" per VM walking its 31 targets, starting with the next
# VM, each request waiting for its reply), once with arp_suppress = false
# and once with arp_suppress = true, each on freshly started vteps (empty
# caches).  Both ends are l2raw.py, not the VM kernels (taps "arp off"): the
# asker sends exactly one request per pair and the target's process answers
# it.  Kernels would blur the count (a target caching the asker turns the
# reverse resolution into no ARP at all, or into delayed unicast probes) and
# cannot even keep up: every answering kernel creates a neighbour entry for
# the asker, 992 of them within a second or two, and the ARP table is one
# table for all namespaces (gc_thresh3 = 1024, entries younger than 5 s not
# collectable), so "neighbor table overflow" silently eats replies.
#
# SCHEDULE=together (default): the 32 resolvers start at the same instant
# (each opens its socket, reports ready, waits for a go file), so every
# VM's first request floods and teaches every host its binding, and nearly
# everything after that is answered locally.
# SCHEDULE=sequential: one VM after the other, the worst case for a
# flood-and-learn cache: a VM that has not spoken yet is known only where
# its reply went (the asker's host), so the first VM on each host floods for
# every VM that has not broadcast anything yet (31 + 27 + 26 + ... + 21 =
# 199 floods with 8 x 4).
#
# Counted: VXLAN packets each VTEP puts on the wire (on port pHn, sent by
# 10.0.0.n), split into inner ARP (requests, replies) and BUM (inner
# broadcast/multicast destination).  MODE=unicast (default): BUM is head-end
# replicated, each flood is 7 packets on the wire, the case suppression
# matters most for; MODE=multicast: one packet per flood to 239.1.1.100
# (the bridge's copies to the other ports are not counted again).
#
# Prints both counts and the reduction; exit 1 when ARP on the underlay
# falls by less than MIN_REDUCTION percent [80] or a resolution failed.
# Root, netns, python3, tcpdump; takes about a minute.
#   tests/bench/arp-suppress.sh
#   MODE=multicast tests/bench/arp-suppress.sh
#   SCHEDULE=sequential MIN_REDUCTION=0 tests/bench/arp-suppress.sh
set -eu
. "$(dirname "$0")/../netns/lib.sh"
MODE=${MODE:-unicast}
NHOSTS=${NHOSTS:-8}
NVMS=${NVMS:-4}
MIN_REDUCTION=${MIN_REDUCTION:-80}
SCHEDULE=${SCHEDULE:-together}
case $MODE in unicast | multicast) ;; *) echo "MODE must be unicast or multicast" >&2; exit 1 ;; esac
case $SCHEDULE in together | sequential) ;; *) echo "SCHEDULE must be together or sequential" >&2; exit 1 ;; esac
require
[ "$VTEP_IMPL" = vtep ] || skip "ARP suppression is a vtep feature (VTEP_IMPL=$VTEP_IMPL)"

L2RAW=$TOP/tests/tools/l2raw.py

# l2raw V ARGS...: run the helper in VM V's namespace on V's tap (with the
# interpreter itself, not a version-manager shim: 32 start at once).
PY=$(python3 -c 'import sys; print(sys.executable)')
l2raw()
{
	local v=$1 sub=$2
	shift 2
	in_vm "$v" "$PY" "$L2RAW" "$sub" "$(vtap "$v")" "$@"
}

HOSTS=()
VMS=()
for n in $(seq "$NHOSTS"); do
	HOSTS+=("H$n")
	host_add "H$n" "$n"
done
for n in $(seq "$NHOSTS"); do
	peers=""
	for m in $(seq "$NHOSTS"); do
		[ "$m" = "$n" ] || peers+="${peers:+,}$UL_PREFIX.$m"
	done
	if [ "$MODE" = unicast ]; then
		vni_add "H$n" 100 flood=unicast "peers=$peers"
	else
		vni_add "H$n" 100 group=239.1.1.100 flood=multicast
	fi
	for i in $(seq "$NVMS"); do
		vm_add "H${n}V$i" "H$n" 100 "192.168.100.$((n * 10 + i))/24"
		VMS+=("H${n}V$i")
	done
done
NV=${#VMS[@]}

all_ready() { [ "$(find "$WORK" -maxdepth 1 -name 'ready-*' | wc -l)" -eq "$NV" ]; }
all_done() { [ "$(find "$WORK" -maxdepth 1 -name 'done-*' | wc -l)" -eq "$NV" ]; }

# measure RUN SUPPRESS: start every vtep with arp_suppress = SUPPRESS, let
# every VM resolve every other one, stop; sets R_* for RUN.
declare -A R_ARP=() R_REQ=() R_REP=() R_BUM=() R_VX=() R_FAIL=() R_SUP=() R_SECS=()
measure()
{
	local run=$1 sup=$2 h k j v t targets pids=() t0 go fail=0 n s
	for h in "${HOSTS[@]}"; do
		HOST_KEYS[$h]=""
		conf_set "$h" arp_suppress "$sup"
		vtep_start "$h" || return 1
	done
	for h in "${HOSTS[@]}"; do
		cap_start "$run-$h" "$NS_UL" "p$h" || return 1
	done
	for v in "${VMS[@]}"; do
		in_vm "$v" ip link set "$(vtap "$v")" arp off
	done
	rm -f "$WORK"/go* "$WORK"/ready-* "$WORK"/done-* "$WORK/stop"
	for ((k = 0; k < NV; k++)); do
		v=${VMS[$k]}
		targets=()
		for ((j = 1; j < NV; j++)); do
			t=${VMS[$(((k + j) % NV))]}
			targets+=("${VM_IP[$t]%/*}=${VM_MAC[$t]}")
		done
		go=$WORK/go
		[ "$SCHEDULE" = together ] || go=$WORK/go-$v
		l2raw "$v" resolve --spa "$(vm_addr "$v")" --timeout 1 --serve \
			--ready "$WORK/ready-$v" --go "$go" --done "$WORK/done-$v" --stop "$WORK/stop" \
			"${targets[@]}" >"$WORK/$run-$v.out" 2>&1 &
		pids+=("$!")
	done
	poll 60 all_ready || note "$run: not every resolver got ready within 60 s"
	t0=$(now_ms)
	if [ "$SCHEDULE" = together ]; then
		touch "$WORK/go"
	else
		for v in "${VMS[@]}"; do
			touch "$WORK/go-$v"
			poll 60 test -e "$WORK/done-$v" || note "$run: $v not done within 60 s"
		done
	fi
	poll 120 all_done || note "$run: not every resolver done within 120 s"
	touch "$WORK/stop"
	for k in "${!pids[@]}"; do
		wait "${pids[$k]}" || fail=$((fail + 1))
	done
	R_SECS[$run]=$((($(now_ms) - t0) / 1000))
	R_FAIL[$run]=$(cat "$WORK/$run"-*.out | grep -c ' none$' || true)
	[ "$fail" -eq 0 ] || note "$run: $fail VMs had a missing or wrong answer"
	n=$(cat "$WORK/$run"-*.out | grep -c '^192\.168\.100\.[0-9]* [0-9a-f:]*$' || true)
	check_eq "$run: answers received" "$n" "$((NV * (NV - 1)))"
	check_eq "$run: VMs whose every answer had the right MAC" "$((NV - fail))" "$NV"
	R_ARP[$run]=0 R_REQ[$run]=0 R_REP[$run]=0 R_BUM[$run]=0 R_VX[$run]=0 R_SUP[$run]=0
	for h in "${HOSTS[@]}"; do
		cap_stop "$run-$h"
		s="$F_VX and src host ${HOST_IP[$h]}"
		R_VX[$run]=$((R_VX[$run] + $(cap_count "$run-$h" "$s")))
		R_ARP[$run]=$((R_ARP[$run] + $(cap_count "$run-$h" "$s and $F_ARP")))
		R_REQ[$run]=$((R_REQ[$run] + $(cap_count "$run-$h" "$s and $F_ARP and udp[36:2] = 1")))
		R_REP[$run]=$((R_REP[$run] + $(cap_count "$run-$h" "$s and $F_ARP and udp[36:2] = 2")))
		R_BUM[$run]=$((R_BUM[$run] + $(cap_count "$run-$h" "$s and (udp[16] & 1) = 1")))
		if dump_json "$h"; then
			R_SUP[$run]=$((R_SUP[$run] + $(jget "$h" 'counter("arp_suppressed")')))
			cp "$WORK/$h/dump.json" "$WORK/$run-$h.json"
		fi
	done
	for h in "${HOSTS[@]}"; do
		vtep_stop "$h" >>"$WORK/stop.log"     # ok/not ok per tap: counted, not shown
	done
	note "$run: ${R_ARP[$run]} ARP packets on the underlay (${R_REQ[$run]} requests," \
		"${R_REP[$run]} replies), ${R_BUM[$run]} BUM, ${R_VX[$run]} VXLAN in all;" \
		"${R_SUP[$run]} answered by the vteps; ${R_SECS[$run]} s"
}

note "$NHOSTS hosts x $NVMS VMs, $((NV * (NV - 1))) resolutions per run, flood $MODE, schedule $SCHEDULE"
measure off false
measure on true
[ "$FAILED" -eq 0 ] || finish

if [ "${R_ARP[off]}" -gt 0 ]; then
	red=$(awk -v a="${R_ARP[off]}" -v b="${R_ARP[on]}" 'BEGIN { printf "%.1f", 100 * (a - b) / a }')
	bred=$(awk -v a="${R_BUM[off]}" -v b="${R_BUM[on]}" 'BEGIN { printf "%.1f", a ? 100 * (a - b) / a : 0 }')
else
	red=0 bred=0
fi
echo
printf '%-34s %10s %10s %10s\n' "underlay packets ($MODE)" "suppr off" "suppr on" "reduction"
printf '%-34s %10s %10s %9s%%\n' "ARP (inner ethertype 0x0806)" "${R_ARP[off]}" "${R_ARP[on]}" "$red"
printf '%-34s %10s %10s\n' "  ARP requests" "${R_REQ[off]}" "${R_REQ[on]}"
printf '%-34s %10s %10s\n' "  ARP replies" "${R_REP[off]}" "${R_REP[on]}"
printf '%-34s %10s %10s %9s%%\n' "BUM (inner dst broadcast/mcast)" "${R_BUM[off]}" "${R_BUM[on]}" "$bred"
printf '%-34s %10s %10s\n' "VXLAN packets in all" "${R_VX[off]}" "${R_VX[on]}"
printf '%-34s %10s %10s\n' "requests answered by the vteps" "${R_SUP[off]}" "${R_SUP[on]}"
echo
echo "arp-suppress: mode=$MODE schedule=$SCHEDULE hosts=$NHOSTS vms=$NV resolutions=$((NV * (NV - 1))) arp_off=${R_ARP[off]} arp_on=${R_ARP[on]} reduction=$red%"
if awk -v r="$red" -v m="$MIN_REDUCTION" 'BEGIN { exit !(r >= m) }'; then
	ok "ARP on the underlay reduced by $red% (>= $MIN_REDUCTION%)"
else
	not_ok "ARP on the underlay reduced by $red%, want >= $MIN_REDUCTION%"
fi
finish
