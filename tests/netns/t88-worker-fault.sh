#!/bin/bash
# SPDX-License-Identifier: MIT
# t88-worker-fault: a packet worker that cannot start (its io_uring ring
# refused, VTEP_FAULT_WORKER=1, vtep(8)) leaves nothing behind that takes
# traffic it will never forward.
#
#   vm A1 -- host A (vtep, workers = 2, worker 1 fails)
#                 |
#             underlay -- host B (vtep, workers = 2) -- vm B1
#
# The main thread prepares worker 1's SO_REUSEPORT socket and a queue of
# A1's multi-queue tap before the thread makes its ring. When that fails,
# the kernel still steers a share of the flows to that socket and queue:
# until the daemon closes them, those flows are lost. Checks: A logs the
# failure and the retirement, A1's tap is left with one queue, 16 TCP flows
# each way complete, and a reload starts worker 1 for real: two queues
# again, both workers carry traffic, 16 flows each way complete.
set -eu
. "$(dirname "$0")/lib.sh"
require vtep
command -v iperf3 >/dev/null 2>&1 || skip "iperf3 not installed"

host_add A 1
host_add B 2
conf_set A workers 2
conf_set B workers 2
vni_add A 100 flood=unicast peers=10.0.0.2
vni_add B 100 flood=unicast peers=10.0.0.1
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
VTEP_WRAP="env VTEP_FAULT_WORKER=1 ${VTEP_WRAP:-}" vtep_start A || finish
vtep_start B || finish

check "A: worker 1's ring setup failed" \
	grep -q "worker 1: io_uring setup failed, running without it" "$WORK/A/vtep.log"
check "A: worker 1 retired, its socket and queues closed" \
	poll 5 grep -q "worker 1 stopped: its underlay socket and tap queues are closed" \
	"$WORK/A/vtep.log"
check "A1's tap is left with one queue" poll 5 bash -c "[ \"\$(ip -d -n $(vns A1) link show \
$(vtap A1) | grep -o 'numqueues [0-9]*')\" = 'numqueues 1' ]"
check "ping A1 -> B1" vm_ping A1 "$(vm_addr B1)" 3
# B sends from 8 source ports (vtep.conf(5), srcport) and A1 spreads 16
# flows over its tap's queues: with worker 1's socket or queue left open,
# some of the flows would never be answered.
check_ge "16 TCP flows A1 -> B1 complete (bytes)" "$(tcp_bytes A1 "$(vm_addr B1)" B1 -P 16)" 1000000
check_ge "16 TCP flows B1 -> A1 complete (bytes)" \
	"$(tcp_bytes A1 "$(vm_addr B1)" B1 -P 16 -R)" 1000000
check "A is still running" vtep_alive A

check "a reload is applied" ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
check "A1's tap has two queues again" poll 5 bash -c "[ \"\$(ip -d -n $(vns A1) link show \
$(vtap A1) | grep -o 'numqueues [0-9]*')\" = 'numqueues 2' ]"
check_ge "16 TCP flows A1 -> B1 complete (bytes)" "$(tcp_bytes A1 "$(vm_addr B1)" B1 -P 16)" 1000000
check_ge "16 TCP flows B1 -> A1 complete (bytes)" \
	"$(tcp_bytes A1 "$(vm_addr B1)" B1 -P 16 -R)" 1000000
if dump_json A; then
	check_eq "A: dump lists 2 workers" "$(jget A 'len(d["workers"])')" 2
	check_ge "A: worker 1 carried part of the traffic (packets)" \
		"$(jget A "d['workers'][1]['rx_packets']")" 1000
fi
check_eq "worker 1 failed only once" "$(grep -c 'io_uring setup failed' "$WORK/A/vtep.log")" 1
finish
