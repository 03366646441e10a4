#!/bin/bash
# SPDX-License-Identifier: MIT
# t24-trains: frames that are not super-frames, batched by vtep into UDP GSO
# trains, arrive whole and in order, at another vtep and at the Linux kernel
# vxlan driver.
#
#   vtvA1 192.168.100.1      vtvB1 192.168.100.2      vtvK1 192.168.100.3
#     tapA1                    tapB1                    tapK1 (veth end)
#   vthA: vtep 10.0.0.1      vthB: vtep 10.0.0.2      vthK: br100 -- vx100 (kernel)
#         \                        |                        /
#          pA -------------------- vtul: br0 ------------- pK
#
# A VM sends bursts of numbered UDP datagrams (tests/tools/udpburst.py: 64
# per burst, in runs of one size with shorter and longer ones between, so a
# train must end at a shorter datagram and not take a longer one), and the
# receiving VM checks every datagram: all of them arrived, none cut short,
# merged or changed, none out of order. Directions: A1 -> B1 (vtep -> vtep:
# A's io.gso_sends grows, B's io.gro_trains grows), B1 -> A1, A1 -> K1 (the
# kernel splits the trains), K1 -> A1 (single datagrams into vtep; K's
# underlay finishes checksums, as a NIC would: see t22). Then
# the health counters: no send failed, nothing dropped. B reads its tap by
# single reads (VTEP_READ_MULTISHOT=0, as before Linux 6.7). T24_BURSTS=40.
set -eu
. "$(dirname "$0")/lib.sh"
require

PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
BURST=$TOP/tests/tools/udpburst.py
BURSTS=${T24_BURSTS:-40}
PER_BURST=64
PORT=6001

host_add A 1
host_add B 2
host_add K 3
host_kernel K
vni_add A 100 flood=unicast peers=10.0.0.2,10.0.0.3
vni_add B 100 flood=unicast peers=10.0.0.1,10.0.0.3
vni_add K 100 flood=unicast peers=10.0.0.1,10.0.0.2
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
vm_add K1 K 100 192.168.100.3/24
vtep_start A || finish
# B reads its tap by single reads, as on kernels before 6.7 (no io_uring
# multishot read): the bursts B1 sends must come through just the same.
VTEP_READ_MULTISHOT=0 vtep_start B || finish
check "B logged its single tap reads" grep -q "taps are read by single reads" "$WORK/B/vtep.log"
check_fails "A did not (multishot reads)" grep -q "taps are read by single reads" "$WORK/A/vtep.log"
vtep_start K || finish
# As in t22: over veth the kernel vxlan's frames would arrive with their
# inner checksums still partial; a NIC would finish them.
check_eq "host K: ul0 tx checksum offload off (emulates a NIC finishing checksums)" \
	"$(in_host K "$PY" "$TOP/tests/tools/tcpxfer.py" features ul0 --tx-csum off 2>&1)" "csum=0 tso=0"

check "ping A1 -> B1" vm_ping A1 "$(vm_addr B1)" 2
check "ping A1 -> K1" vm_ping A1 "$(vm_addr K1)" 2
check "ping B1 -> K1" vm_ping B1 "$(vm_addr K1)" 2

# io_of H KEY: io.KEY from H's dump (0 for the kernel host).
io_of()
{
	if is_kernel "$1"; then
		echo 0
		return
	fi
	dump_json "$1" >/dev/null || { echo 0; return; }
	jget "$1" "d['io']['$2']"
}

# burst FROM TO: one run of udpburst from VM FROM to VM TO, checked.
burst()
{
	local from=$1 to=$2 tag="$1 -> $2" out=$WORK/burst.$1.$2 rpid rc=0 sent got hf ht gs0 tr0
	hf=${from%1}
	ht=${to%1}
	gs0=$(io_of "$hf" gso_sends)
	tr0=$(io_of "$ht" gro_trains)
	in_vm "$to" "$PY" "$BURST" recv --port "$PORT" --count $((BURSTS * PER_BURST)) \
		--out "$out.result" >"$out.recv" 2>&1 &
	rpid=$!
	BG_PIDS+=("$rpid")
	if ! poll 5 grep -q listening "$out.recv"; then
		not_ok "$tag: receiver listening"
		return 0
	fi
	sent=$(in_vm "$from" "$PY" "$BURST" send --dst "$(vm_addr "$to")" --port "$PORT" \
		--bursts "$BURSTS") || rc=$?
	wait "$rpid" || rc=$?
	if [ "$rc" -ne 0 ]; then
		not_ok "$tag: udpburst (exit $rc)"
		sed 's/^/#   /' "$out.recv"
		return 0
	fi
	got=$(cat "$out.result")
	note "$tag: sent $sent, $got"
	check_eq "$tag: every datagram arrived, intact and in order" "$got" \
		"received $((BURSTS * PER_BURST)) reordered 0 corrupt 0"
	if ! is_kernel "$hf"; then
		check_ge "$tag: host $hf sent UDP GSO trains (io.gso_sends delta)" \
			$(($(io_of "$hf" gso_sends) - gs0)) 1
	fi
	if ! is_kernel "$hf" && ! is_kernel "$ht"; then
		check_ge "$tag: host $ht received UDP GRO trains (io.gro_trains delta)" \
			$(($(io_of "$ht" gro_trains) - tr0)) 1
	fi
}

burst A1 B1
burst B1 A1
burst A1 K1
burst K1 A1

for h in A B; do
	if dump_json "$h"; then
		check_eq "host $h: io gso_off tx_errors tx_short no_jobs" \
			"$(jget "$h" "' '.join(str(d['io'][k]) for k in ('gso_off', 'tx_errors', 'tx_short', 'no_jobs'))")" \
			"0 0 0 0"
		check_eq "host $h: drop counters that are not 0" \
			"$(jget "$h" "' '.join('%s=%d' % kv for kv in sorted(d['counters']['drops'].items()) if kv[1]) or 'none'")" \
			none
	fi
done

vtep_stop A
vtep_stop B
finish
