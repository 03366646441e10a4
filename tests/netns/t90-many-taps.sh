#!/bin/bash
# SPDX-License-Identifier: MIT
# t90-many-taps: a hypervisor with a thousand taps (vtep takes 1024), two
# workers, started with the open files limit a systemd service gets by
# default (soft 1024, a higher hard limit):
#
#    vm A1, vm A2 (VNI 100) + 998 taps (VNIs 101..)      vm B1 (VNI 100)
#         host A (vtep, workers = 2) ---- underlay ---- host B (vtep)
#
# Two descriptors a tap do not fit under 1024: the daemon raises its soft
# limit to the hard one and starts. Checks: every tap is there, forwarding
# works (local and across the underlay), the dump lists every tap, a reload
# that removes one tap and adds another applies while a ping runs and
# loses nothing, a file with one tap more than vtep takes is refused at its
# FILE:LINE, a reload renaming more taps than there are free slots is
# rejected with the reason and changes nothing, and the daemon exits 0.
# Multi-queue taps get the noqueue qdisc, so that a thousand of them cost
# the kernel less than 1 MB each (6.6 MB each with its default qdiscs).
# Start, reload and dump times and the RSS are printed. T90_TAPS sets the number of taps
# (default 1000, at most 1023).
set -eu
. "$(dirname "$0")/lib.sh"
require vtep

NTAPS=${T90_TAPS:-1000}
MAX_TAPS=1024                   # VTEP_MAX_TAPS
PER_VNI=16
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -gt $((2 * NTAPS + 64)) ] ||
	skip "the hard open files limit ($hard) is below what $NTAPS taps and 2 workers need"
# The soft limit the daemon starts with, as under systemd.
ulimit -Sn 1024

host_add A 1
host_add B 2
conf_set A workers 2
vni_add A 100 peers=10.0.0.2
vni_add B 100 peers=10.0.0.1
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 100 192.168.100.3/24
vm_add B1 B 100 192.168.100.2/24
# The other taps stay in host A's namespace, PER_VNI to a VNI.
bare=$((NTAPS - 2))
for ((i = 0; i < bare; i++)); do
	[ $((i % PER_VNI)) -ne 0 ] || vni_add A $((101 + i / PER_VNI)) peers=10.0.0.2
	vni_tap A $((101 + i / PER_VNI)) "{ name = \"m$i\"; }"
done
export VTEP_START_TIMEOUT=${VTEP_START_TIMEOUT:-60}
START_TENTHS=$((VTEP_START_TIMEOUT * 10))
slab() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
slab0=$(slab)
t0=$(now_ms)
vtep_start A || finish
check "host A says ready" poll 60 grep -q "ready: " "$WORK/A/vtep.log"
note "host A: $NTAPS taps, ready in $(($(now_ms) - t0)) ms"
# Multi-queue taps (workers = 2) get the noqueue qdisc: with the kernel's
# default (mq, a qdisc under each of 256 possible queues) each took 6.6 MB
# of kernel memory and 11 ms to bring up.
kb=$((($(slab) - slab0) / NTAPS))
check "the kernel's memory (Slab) grew less than 1 MB a tap ($kb kB)" test "$kb" -lt 1024
check "m5 has the noqueue qdisc" \
	bash -c "tc -n '$(hns A)' qdisc show dev m5 | grep -q '^qdisc noqueue .* root'"
vtep_start B || finish
pid=${HOST_PID[A]}
check "A raised its open files limit" \
	grep -q "open files limit raised from 1024 to $hard" "$WORK/A/vtep.log"
check_eq "A's taps in its own namespace" \
	"$(ip -n "$(hns A)" -o link show | grep -c ': m[0-9]*: ')" "$bare"
check "... each with two queues" \
	test "$(find /proc/"$pid"/fd -lname /dev/net/tun 2>/dev/null | wc -l)" -ge $((2 * NTAPS))
note "A: $(find /proc/"$pid"/fd | wc -l) descriptors, VmRSS $(awk '/^VmRSS:/ { print $2, $3 }' /proc/"$pid"/status)"
check "ping A1 -> A2 (local)" vm_ping A1 192.168.100.3
check "ping A1 -> B1 (across the underlay)" vm_ping A1 192.168.100.2
t0=$(now_ms)
dump_json A
note "dump of $NTAPS taps: $(($(now_ms) - t0)) ms"
check_eq "the dump lists every tap" \
	"$(jget A 'sum(len(v["taps"]) for v in d["vnis"])')" "$NTAPS"

# A reload swapping one tap for another, under a ping.
in_vm A1 ping -n -q -c 40 -i 0.05 192.168.100.2 >"$WORK/ping.out" 2>&1 &
ping_pid=$!
sleep 0.5
VNI_TAPS[A:101]=${VNI_TAPS[A:101]/\{ name = \"m0\"; \}, /}
vni_tap A 101 '{ name = "mnew"; }'
conf_write A "${HOST_CONF[A]}"
t0=$(now_ms)
check "a reload swapping m0 for mnew is applied" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
note "reload with $NTAPS taps: $(($(now_ms) - t0)) ms"
rc=0
wait "$ping_pid" || rc=$?
check_eq "the ping through it lost nothing" \
	"$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$WORK/ping.out")" 0
check "mnew is there" ip -n "$(hns A)" link show mnew
check "m0 is gone" bash -c "! ip -n '$(hns A)' link show m0"

# One tap more than vtep takes: the file check says where.
keep=${VNI_TAPS[A:101]}
for ((i = NTAPS; i <= MAX_TAPS; i++)); do
	vni_tap A 101 "{ name = \"x$i\"; }"
done
conf_write A "${HOST_CONF[A]}"
rc=0
ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}" >"$WORK/reload.out" 2>&1 || rc=$?
check_eq "a reload to $((MAX_TAPS + 1)) taps is refused (exit 1)" "$rc" 1
check "... at its FILE:LINE" grep -q "^${HOST_CONF[A]}:[0-9]*: .*too many entries (at most $MAX_TAPS in all)" \
	"$WORK/reload.out"
# A reload opens new taps before it closes the ones it drops: renaming more
# taps at once than there are free slots is rejected by the daemon, which
# leaves none of them behind and changes nothing.
rename=$((MAX_TAPS - NTAPS + 1))
VNI_TAPS[A:101]=$keep
conf_write A "${HOST_CONF[A]}"
cp "${HOST_CONF[A]}" "$WORK/kept.conf"
for ((i = 1; i <= rename; i++)); do
	sed -i "s/{ name = \"m$i\"; }/{ name = \"r$i\"; }/" "${HOST_CONF[A]}"
done
check_eq "taps renamed in the file" "$(grep -o '"r[0-9]*"' "${HOST_CONF[A]}" | wc -l)" "$rename"
rc=0
ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}" >"$WORK/reload.out" 2>&1 || rc=$?
check_eq "a reload renaming $rename taps at once is rejected (exit 1)" "$rc" 1
check "... saying why" grep -q "no free tap slot ($MAX_TAPS in all" "$WORK/reload.out"
sed 's/^/#   /' "$WORK/reload.out" | head -n 2
# (Devices are unregistered after the descriptor closes: a moment later.)
check "... leaving none of the new taps behind" \
	poll 5 bash -c "! ip -n '$(hns A)' -o link show | grep -q ': r[0-9]*: '"
check "... and the old ones there" ip -n "$(hns A)" link show "m$rename"
cp "$WORK/kept.conf" "${HOST_CONF[A]}"
check "ping A1 -> B1 after it" vm_ping A1 192.168.100.2

vtep_stop A
vtep_stop B
finish
