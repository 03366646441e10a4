#!/bin/bash
# SPDX-License-Identifier: MIT
# t29-steer: with pinned workers, traffic is handled by the worker on the
# CPU where it arrives (steering by CPU: a reuseport BPF program on the
# underlay sockets, a tun steering program on the taps).
#
#   vtvA1 (ping pinned to CPU X)                      vtvB1
#     tapA1 (2 queues)                                  tapB1 (2 queues)
#   vthA: vtep workers=2, cpus=[LAST, FIRST]          vthB: the same
#          \                                            /
#           pA ------------------ vtul: br0 ---------- pB
#
# A ping from A1 run on CPU X stays on X all the way: A1's echo request is
# read from tapA1 by A's worker on X, sent from X, received by B's socket
# of its worker on X, written to tapB1, answered by B1's stack on X, read
# back by B's worker on X, and so on. Checks, for X = FIRST and then LAST:
# of the packets the 20 pings bring, each daemon's worker on X handles at
# least 40 (20 requests and 20 replies) and the other worker at most 2; the
# log says steering is on for the underlay and the tap; a reload without
# cpus takes it away (logged) and traffic still flows. Without steering the
# kernel picks queues and sockets by flow hash: the same worker for both
# runs, so one of them fails.
set -eu
. "$(dirname "$0")/lib.sh"
require
[ "$VTEP_IMPL" = vtep ] || skip "checks vtep's own workers (VTEP_IMPL=$VTEP_IMPL)"
command -v taskset >/dev/null 2>&1 || skip "taskset not installed"

ALLOWED_LIST=$(awk '/^Cpus_allowed_list:/ { print $2 }' /proc/self/status)
FIRST=$(sed 's/[-,].*//' <<<"$ALLOWED_LIST")
LAST=$(sed 's/.*[-,]//' <<<"$ALLOWED_LIST")
[ "$FIRST" != "$LAST" ] || skip "one CPU only ($ALLOWED_LIST): nothing to steer between"
note "CPUs allowed: $ALLOWED_LIST (worker 0 on $LAST, worker 1 on $FIRST)"

pair_100
for h in A B; do
	conf_set "$h" workers 2
	conf_set "$h" cpus "[ $LAST, $FIRST ]"
done
vtep_start A || finish
vtep_start B || finish

for h in A B; do
	check "$h: the log says steering is on (underlay and 1 tap)" \
		grep -q "steering by CPU: underlay on, 1 of 1 taps" "$WORK/$h/vtep.log"
done
check "warm-up ping (ARP learnt both ways)" vm_ping A1 "$(vm_addr B1)" 2

# rx H: H's workers' rx_packets, worker 0 first.
rx() { dump_json "$1" >/dev/null && jget "$1" '" ".join(str(w["rx_packets"]) for w in d["workers"])'; }

for x in "$FIRST" "$LAST"; do
	if [ "$x" = "$FIRST" ]; then on=1 off=0; else on=0 off=1; fi
	read -r a0 a1 <<<"$(rx A)"
	read -r b0 b1 <<<"$(rx B)"
	check "20 pings from A1 on CPU $x" in_vm A1 taskset -c "$x" \
		ping -n -q -c 20 -i 0.02 -w 10 "$(vm_addr B1)"
	read -r a0n a1n <<<"$(rx A)"
	read -r b0n b1n <<<"$(rx B)"
	da=("$((a0n - a0))" "$((a1n - a1))")
	db=("$((b0n - b0))" "$((b1n - b1))")
	note "CPU $x: A's workers handled ${da[*]}, B's ${db[*]}"
	check_ge "CPU $x: A's worker $on (on CPU $x) handled the requests and replies" "${da[$on]}" 40
	check_ge "CPU $x: B's worker $on (on CPU $x) handled the requests and replies" "${db[$on]}" 40
	check "CPU $x: A's worker $off handled at most 2" test "${da[$off]}" -le 2
	check "CPU $x: B's worker $off handled at most 2" test "${db[$off]}" -le 2
done

# Unpinned, the steering goes: the kernel's choice again.
sed -i '/^cpus = /d' "${HOST_CONF[A]}"
check "A: a reload without cpus is applied" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
check "A: the log says steering is off" poll 5 grep -q "steering by CPU: off" "$WORK/A/vtep.log"
check "ping A1 -> B1 unsteered" vm_ping A1 "$(vm_addr B1)" 3

vtep_stop A
vtep_stop B
finish
