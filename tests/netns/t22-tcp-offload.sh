#!/bin/bash
# SPDX-License-Identifier: MIT
# t22-tcp-offload: bulk TCP through vtep with the tap offloads on and off,
# against another vtep and against the Linux kernel vxlan driver.
#
#   vtvA1 192.168.100.1      vtvB1 192.168.100.2      vtvK1 192.168.100.3
#     tapA1 (mtu 1450)         tapB1 (mtu 1450)         tapK1 (veth end, mtu 1450)
#        |                        |                        |  kK1
#   vthA: vtep 10.0.0.1      vthB: vtep 10.0.0.2      vthK: br100 -- vx100 (kernel
#     VNI 100, flood           VNI 100, flood           vxlan, id 100, peers by
#     unicast to B and K       unicast to A and K       all-zero FDB entries)
#        \                        |                        /
#         pA -------------------- vtul: br0 ------------- pK
#
# For each tap offload level (VTEP_TAP_OFFLOAD for both daemons, restarted
# in between): 4 = everything (TSO super-frames read from the tap, sent as
# UDP GSO trains, UDP GRO trains coalesced into GSO tap writes), 2 = checksum
# offload only (vtep finishes partial checksums), 0 = no virtio-net header;
# and 4-nogso: everything but UDP GSO (VTEP_UDP_GSO=0: every datagram sent
# on its own, as after the kernel refused a train; no segment may be lost for
# want of a request slot). Levels 3 (TSO, no USO) and 1 (the header, no
# offload) are not run by default; T22_LEVELS="3 1" runs them.
# Per level, T22_MIB (32) MiB of random data go A1 -> B1, B1 -> A1 (vtep <->
# vtep) and A1 -> K1, K1 -> A1 (vtep <-> kernel) over TCP (sendfile), and:
#   - the receiver's SHA-256 and byte count equal the file's;
#   - the tap's features as the kernel reports them (ETHTOOL_GTXCSUM/GTSO)
#     are the ones the level asks for;
#   - levels 4 and 3: the sending VM's frames average above 1514 bytes (TSO
#     super-frames reached vtep); levels 2 and 0: they do not (every frame
#     MTU-sized);
#   - at every level a sending vtep's io.gso_sends grew (the super-frames'
#     trains, or MTU-sized frames of one batch sent as one train), and
#     between two vteps the receiving one's io.gro_trains grew; with
#     4-nogso neither moved;
#   - levels 4 and 2 (a virtio-net header on the tap): the receiving VM's
#     frames average above 1514 bytes (segments merged into GSO writes, from
#     GRO trains, and from the kernel's single datagrams of one batch);
#     level 0: they do not (no header, no GSO write);
#   - after each level: io.gso_off, tx_errors, tx_short and no_jobs are 0,
#     every drop counter is 0, no inner checksum was wrong (inner_csum_bad:
#     K's checksums are complete, see below) and no tap dropped a frame;
#   - the rung of the offload ladder each tap got, as the daemon's dump
#     (vnet_hdr, offloads) and its start log line say it, is the level's.
# Frame averages are the kernel's own counters of the VM-side interface
# (/sys/class/net/IF/statistics), taken before and after each transfer.
# K's underlay veth has tx checksumming off (see below), as a NIC would.
#
# Environment: T22_MIB=32 (size of each transfer), T22_LEVELS="4 2 0 4-nogso".
set -eu
. "$(dirname "$0")/lib.sh"
require
command -v sha256sum >/dev/null 2>&1 || skip "sha256sum not installed"

XFER=$TOP/tests/tools/tcpxfer.py
# The interpreter itself, not a version manager's shim (pyenv's costs 0.3 s
# a call, and this test makes about a hundred).
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
MIB=${T22_MIB:-32}
SIZE=$((MIB * 1048576))
PORT=5001
LEVELS=${T22_LEVELS:-4 2 0 4-nogso}
FRAME_MAX=1514          # an untagged Ethernet frame at MTU 1500; ours are <= 1464

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

head -c "$SIZE" /dev/urandom >"$WORK/data"
WANT="$(sha256sum "$WORK/data" | cut -d' ' -f1) $SIZE"
note "payload: $MIB MiB of random data, sha256 ${WANT% *}"

# bg_forget PID: reaped; never signal it again from cleanup (PIDs get reused).
bg_forget()
{
	local keep=() p
	for p in "${BG_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	BG_PIDS=("${keep[@]}")
}

# vm_stats V: "tx_packets tx_bytes rx_packets rx_bytes" of V's interface as
# V's kernel counts them (tx = sent by the VM, rx = delivered to it).
vm_stats()
{
	in_vm "$1" sh -c 'cd /sys/class/net/$1/statistics && echo $(cat tx_packets tx_bytes rx_packets rx_bytes)' \
		- "$(vtap "$1")"
}

# dump_to H FILE: H's `vtep dump --json` into FILE (dump_json without the
# validation, which costs a python start; io_delta reads it anyway).
dump_to()
{
	timeout 10 ip netns exec "$(hns "$1")" "$VTEP" dump --json -c "${HOST_CONF[$1]}" \
		>"$2" 2>"$2.err"
}

# snap NAME: dumps of A and B into $WORK/H/NAME.json and the VMs' interface
# counters into SNAP[NAME:V].
declare -A SNAP=()
snap()
{
	local h v
	for h in A B; do
		dump_to "$h" "$WORK/$h/$1.json" || return 1
	done
	for v in A1 B1 K1; do
		SNAP[$1:$v]=$(vm_stats "$v")
	done
}

# io_delta H KEY: growth of io.KEY on H from snap before to snap after (0 for
# a kernel host, which has no such counter).
io_delta()
{
	if is_kernel "$1"; then
		echo 0
		return
	fi
	"$PY" - "$WORK/$1/before.json" "$WORK/$1/after.json" "$2" <<'EOF2' 2>&1
import json, sys
a, b = (json.load(open(f))["io"][sys.argv[3]] for f in sys.argv[1:3])
print(b - a)
EOF2
}

# avg_frame BEFORE AFTER FIELD: mean frame size between two vm_stats lines
# over the tx (FIELD=tx) or rx (FIELD=rx) counters.
avg_frame()
{
	local p0 b0 p1 b1 q0 c0 q1 c1
	read -r p0 b0 q0 c0 <<<"$1"
	read -r p1 b1 q1 c1 <<<"$2"
	if [ "$3" = rx ]; then p0=$q0 b0=$c0 p1=$q1 b1=$c1; fi
	if [ "$((p1 - p0))" -le 0 ]; then echo 0; return; fi
	echo $(((b1 - b0) / (p1 - p0)))
}

# field N STRING: the Nth word.
field() { echo "$2" | awk -v n="$1" '{print $n}'; }

# xfer LEVEL FROM TO: one transfer FROM -> TO, then the checks for LEVEL.
xfer()
{
	local lvl=$1 from=$2 to=$3 tag out rpid rc=0 rrc=0 got sent
	local hf=${VM_HOST[$2]} ht=${VM_HOST[$3]} gs tr txavg rxavg off=${1%-nogso}
	tag="level $lvl: $from -> $to"
	out=$WORK/xfer-$lvl-$from-$to
	snap before || { not_ok "$tag: dumps before the transfer"; return 0; }
	in_vm "$to" timeout 60 "$PY" "$XFER" recv --timeout 20 --port "$PORT" --out "$out.result" \
		>"$out.recv" 2>&1 &
	rpid=$!
	BG_PIDS+=("$rpid")
	if ! poll 5 grep -q listening "$out.recv"; then
		not_ok "$tag: receiver listening on $(vm_addr "$to"):$PORT"
		sed 's/^/#   /' "$out.recv"
		kill -TERM "$rpid" 2>/dev/null || true
		wait "$rpid" 2>/dev/null || true
		bg_forget "$rpid"
		return 0
	fi
	in_vm "$from" timeout 60 "$PY" "$XFER" send --timeout 15 --dst "$(vm_addr "$to")" --port "$PORT" \
		--file "$WORK/data" >"$out.send" 2>&1 || rc=$?
	wait "$rpid" || rrc=$?
	bg_forget "$rpid"
	got=$(cat "$out.result" 2>/dev/null || echo "no result")
	sent=$(cat "$out.send")
	if [ "$rc" -ne 0 ] || [ "$rrc" -ne 0 ]; then
		not_ok "$tag: transfer (sender exit $rc, receiver exit $rrc)"
		sed 's/^/#   send: /' "$out.send"
		sed 's/^/#   recv: /' "$out.recv"
		return 0
	fi
	check_eq "$tag: sha256 and length of what arrived" "$got" "$WANT"
	snap after || { not_ok "$tag: dumps after the transfer"; return 0; }

	txavg=$(avg_frame "${SNAP[before:$from]}" "${SNAP[after:$from]}" tx)
	rxavg=$(avg_frame "${SNAP[before:$to]}" "${SNAP[after:$to]}" rx)
	gs=$(io_delta "$hf" gso_sends)
	tr=$(io_delta "$ht" gro_trains)
	note "$tag: $(awk -v b="$SIZE" -v t="$(field 3 "$sent")" 'BEGIN{printf "%.0f Mbit/s", b * 8 / t / 1e6}'), frames sent avg $txavg B, delivered avg $rxavg B, gso_sends +$gs on $hf, gro_trains +$tr on $ht"
	if ! is_kernel "$hf"; then
		if [ "$off" -ge 3 ]; then
			check_ge "$tag: TSO super-frames read from tap$from (avg frame bytes)" "$txavg" $((FRAME_MAX + 1))
		else
			check_ge "$tag: no super-frame from tap$from (1514 >= avg frame bytes)" "$FRAME_MAX" "$txavg"
		fi
		if [ "$off" = "$lvl" ]; then
			check_ge "$tag: host $hf sent UDP GSO trains (io.gso_sends delta)" "$gs" 1
		else
			check_eq "$tag: host $hf sent no UDP GSO train (VTEP_UDP_GSO=0)" "$gs" 0
		fi
	fi
	if ! is_kernel "$hf" && ! is_kernel "$ht"; then
		if [ "$off" = "$lvl" ]; then
			check_ge "$tag: host $ht received UDP GRO trains (io.gro_trains delta)" "$tr" 1
		else
			check_eq "$tag: host $ht received no UDP GRO train" "$tr" 0
		fi
	fi
	if ! is_kernel "$ht"; then
		if [ "$off" = 0 ]; then
			check_ge "$tag: no coalesced write to tap$to (1514 >= avg frame bytes)" "$FRAME_MAX" "$rxavg"
		else
			check_ge "$tag: coalesced GSO writes to tap$to (avg frame bytes)" "$rxavg" $((FRAME_MAX + 1))
		fi
	fi
}

# health LEVEL H: the counters that must not move, after a level's transfers
# (since the daemon started: it is restarted for every level).
health()
{
	local lvl=$1 h=$2 f=$WORK/$2/health-$1.json r=()
	if ! dump_to "$h" "$f"; then
		not_ok "level $lvl: host $h: vtep dump --json"
		return 0
	fi
	mapfile -t r < <("$PY" - "$f" <<'EOF2' 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
io = d["io"]
print(" ".join(str(io[k]) for k in ("gso_off", "tx_errors", "tx_short", "no_jobs")))
print(" ".join("%s=%d" % kv for kv in sorted(d["counters"]["drops"].items()) if kv[1])
      or "none")
print(" ".join("%s:%d/%d" % (t["name"], t["rx_dropped"], t["tx_dropped"])
               for v in d["vnis"] for t in v["taps"]))
print(json.dumps(io))
print(" ".join("vnet_hdr=%d %s" % (t["vnet_hdr"], ",".join(t["offloads"]) or "-")
               for v in d["vnis"] for t in v["taps"]))
print(d["counters"]["inner_csum_bad"])
EOF2
	)
	check_eq "level $lvl: host $h io gso_off tx_errors tx_short no_jobs" "${r[0]:-}" "0 0 0 0"
	check_eq "level $lvl: host $h drop counters that are not 0" "${r[1]:-}" none
	check_eq "level $lvl: host $h taps rx_dropped/tx_dropped" "${r[2]:-}" "tap$h""1:0/0"
	note "level $lvl: host $h io ${r[3]:-}"
	check_eq "level $lvl: host $h tap offloads in the dump" "${r[4]:-}" "$(want_dump_offloads "$lvl")"
	check_eq "level $lvl: host $h inner checksums all right (inner_csum_bad)" "${r[5]:-}" 0
	check_eq "level $lvl: host $h tap offloads in the log" \
		"$(sed -n "s/^.*tap 'tap$h""1'.* offloads \(.*\)$/\1/p" "$WORK/$h/vtep.log")" \
		"$(want_log_offloads "$lvl")"
}

# The rung of the offload ladder a tap of LEVEL gets (UDP segmentation from
# kernel 6.2 on), as the dump and the log say it.
want_log_offloads()
{
	local uso=""
	if [ "$(printf '%s\n' 6.2 "$(uname -r)" | sort -V | head -n 1)" = 6.2 ]; then
		uso=" uso4 uso6"
	fi
	case ${1%-nogso} in
	4) echo "csum tso4 tso6$uso" ;;
	3) echo "csum tso4 tso6" ;;
	2) echo "csum" ;;
	1) echo "none" ;;
	*) echo "none, no virtio-net header" ;;
	esac
}

want_dump_offloads()
{
	local w
	w=$(want_log_offloads "$1")
	case $w in
	none) echo "vnet_hdr=1 -" ;;
	none,*) echo "vnet_hdr=0 -" ;;
	*) echo "vnet_hdr=1 ${w// /,}" ;;
	esac
}

want_features()
{
	case $1 in
	4|3) echo "csum=1 tso=1" ;;
	2) echo "csum=1 tso=0" ;;
	*) echo "csum=0 tso=0" ;;
	esac
}

vtep_start K || finish
# Over veth a CHECKSUM_PARTIAL skb crosses namespaces as it is: the kernel
# vxlan's frames would reach vtep's UDP socket with the inner TCP checksum
# still partial (the pseudo-header sum; no NIC ever finished it), vtep
# would write them to the tap as they are and the VM drops them. A kernel
# vxlan peer talking to vtep over veth only makes sense with complete
# checksums, as on a wire: tx checksumming off on K's underlay interface.
check_eq "host K: ul0 tx checksum offload off (emulates a NIC finishing checksums)" \
	"$(in_host K "$PY" "$XFER" features ul0 --tx-csum off 2>&1)" "csum=0 tso=0"
first=1
for lvl in $LEVELS; do
	off=${lvl%-nogso}
	gso=1
	[ "$off" = "$lvl" ] || gso=0
	note "---- VTEP_TAP_OFFLOAD=$off VTEP_UDP_GSO=$gso on A and B"
	if [ "$first" = 0 ]; then
		vtep_stop A
		vtep_stop B
	fi
	first=0
	VTEP_TAP_OFFLOAD=$off VTEP_UDP_GSO=$gso vtep_start A || finish
	VTEP_TAP_OFFLOAD=$off VTEP_UDP_GSO=$gso vtep_start B || finish
	for v in A1 B1; do
		check_eq "level $lvl: tap$v MTU" "$(in_vm "$v" cat "/sys/class/net/$(vtap "$v")/mtu")" 1450
		check_eq "level $lvl: tap$v offloads as the kernel reports them" \
			"$(in_vm "$v" "$PY" "$XFER" features "$(vtap "$v")" 2>&1)" "$(want_features "$off")"
	done
	check "level $lvl: ping A1 -> B1" vm_ping A1 "$(vm_addr B1)" 2
	check "level $lvl: ping A1 -> K1" vm_ping A1 "$(vm_addr K1)" 2
	xfer "$lvl" A1 B1
	xfer "$lvl" B1 A1
	xfer "$lvl" A1 K1
	xfer "$lvl" K1 A1
	health "$lvl" A
	health "$lvl" B
done

vtep_stop A
vtep_stop B
finish
