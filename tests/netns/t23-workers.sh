#!/bin/bash
# SPDX-License-Identifier: MIT
# t23-workers: workers = 2 on two vtep hosts, with the Linux kernel vxlan
# driver as a third VTEP, all in VNI 100 (head-end replication).
#
#   vtvA1  vtvA2            vtvB1                 vtvC1
#   tapA1  tapA2            tapB1                 tapC1 (veth end)
#   (vtep creates A1's tap: multi-queue; A2's tap exists before the daemon:
#    one queue, read by the main thread only, written by both workers)
#     vthA: vtep workers=2  vthB: vtep workers=2  vthC: br100 + vx100 (kernel)
#            \                    |                    /
#             pA ------------- vtul: br0 ------------ pC
#
# (busy_poll is switched on by that reload and seen polling.)
# Checks: the daemons run two workers, A1's tap has two queues; every VM
# reaches every other (local switching, vtep-vtep, vtep-kernel); 16 TCP
# flows each way go through (iperf3), 16 from the kernel VTEP's VM to B1,
# and both workers of A and of B carry part of them; the dump's per-worker packet counts add up to its totals;
# a reload while TCP runs is applied and the transfer completes; a tap
# deleted under the workers is recreated by a reload and works again; a
# reload keeps the workers' sockets and tap queues, and a tap it removes is
# deleted; the daemons exit 0.
set -eu
. "$(dirname "$0")/lib.sh"
require
command -v iperf3 >/dev/null 2>&1 || skip "iperf3 not installed"
command -v ethtool >/dev/null 2>&1 || skip "ethtool not installed (packaging/deps.sh installs it)"

host_add A 1
host_add B 2
host_add C 3
host_kernel C
conf_set A workers "${T23_WORKERS:-2}"
conf_set B workers "${T23_WORKERS:-2}"
vni_add A 100 flood=unicast peers=10.0.0.2,10.0.0.3
vni_add B 100 flood=unicast peers=10.0.0.1,10.0.0.3
vni_add C 100 flood=unicast peers=10.0.0.1,10.0.0.2
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 100 192.168.100.11/24
vm_add B1 B 100 192.168.100.2/24
vm_add C1 C 100 192.168.100.3/24
ip -n "$(vns A2)" tuntap add mode tap name "$(vtap A2)"
vtep_start A || finish
vtep_start B || finish
vtep_start C || finish
# The kernel VTEP's VM talks to it through a veth, whose checksum offload
# leaves the inner TCP checksum for "hardware" to fill in; a kernel peer
# fills it in, a userspace socket gets it unfilled. Off on vx100, the kernel
# completes it before encapsulating (vtep(8), BUGS).
in_host C ethtool -K vx100 tx off >/dev/null

check "A: two packet workers" grep -q "2 packet workers" "$WORK/A/vtep.log"
check "B: two packet workers" grep -q "2 packet workers" "$WORK/B/vtep.log"
check "A1's tap has two queues" bash -c \
	"ip -d -n $(vns A1) link show $(vtap A1) | grep -q 'multi_queue numqueues 2 '"
check "A2's single-queue tap is attached, read by the main thread" \
	grep -q "tap '$(vtap A2)' in netns $(vns A2) attached, offloads [a-z0-9 ]* (one queue" "$WORK/A/vtep.log"

check "ping A1 -> A2 (local)" vm_ping A1 "$(vm_addr A2)" 3
check "ping A1 -> B1 (vtep -> vtep)" vm_ping A1 "$(vm_addr B1)" 3
check "ping A2 -> B1 (single-queue tap)" vm_ping A2 "$(vm_addr B1)" 3
check "ping A1 -> C1 (vtep -> kernel)" vm_ping A1 "$(vm_addr C1)" 3
check "ping C1 -> A2 (kernel -> vtep)" vm_ping C1 "$(vm_addr A2)" 3
check "ping B1 -> C1" vm_ping B1 "$(vm_addr C1)" 3

PORT=5301
# server V: a one-shot iperf3 server on PORT in V, killed on cleanup if no
# client ever came.
server()
{
	in_vm "$1" iperf3 -s -1 -p "$PORT" >/dev/null 2>&1 &
	BG_PIDS+=("$!")
}
# tcp V DST SECS [iperf3 client args]: a TCP transfer that must complete.
tcp()
{
	local v=$1 dst=$2 t=$3 out
	shift 3
	PORT=$((PORT + 1))
	server "${VM_BY_IP[$dst]}"
	sleep 0.3
	out=$(in_vm "$v" timeout $((t + 15)) iperf3 -c "$dst" -p "$PORT" -t "$t" "$@" 2>&1) || {
		printf '%s\n' "$out" | tail -n 3 | sed 's/^/#   /'
		return 1
	}
	printf '%s\n' "$out" | grep -E 'receiver' | tail -n 1 | sed 's/^/#   /'
}
declare -A VM_BY_IP
for v in A1 A2 B1 C1; do VM_BY_IP[$(vm_addr "$v")]=$v; done

check "16 TCP flows A1 -> B1" tcp A1 "$(vm_addr B1)" 2 -P 16
check "16 TCP flows B1 -> A1" tcp A1 "$(vm_addr B1)" 2 -P 16 -R
check "16 TCP flows A1 -> C1 (kernel)" tcp A1 "$(vm_addr C1)" 2 -P 16
# B's receive sockets are picked by the kernel's SO_REUSEPORT hash of the
# outer source port. A vtep peer sends from 8 ports only (vtep.conf(5),
# srcport), so A's flows alone land all on one of B's workers about once
# in 60 runs; the kernel VTEP hashes each flow to a port of its own.
check "16 TCP flows C1 -> B1 (kernel -> vtep)" tcp C1 "$(vm_addr B1)" 2 -P 16

for h in A B; do
	dump_json "$h" || continue
	check_eq "$h: dump lists 2 workers" "$(jget "$h" 'len(d["workers"])')" 2
	for id in 0 1; do
		check_ge "$h: worker $id carried part of the traffic (packets)" \
			"$(jget "$h" "d['workers'][$id]['rx_packets']")" 1000
	done
	check_eq "$h: the text dump has a line per worker" \
		"$(grep -cE '^worker [01] cpu any tap_queues [0-9]+ rx_packets [0-9]+ ' \
		"$WORK/$h/vtep.dump")" 2
	check_eq "$h: no frame dropped as malformed" "$(jget "$h" 'drops("malformed")')" 0
done
check_eq "A: worker 1 reads A1's queue only" "$(jget A 'd["workers"][1]["tap_queues"]')" 1

# Reload while TCP runs: the workers stop, the change applies, they start.
PORT=$((PORT + 1))
server B1
sleep 0.3
in_vm A1 timeout 20 iperf3 -c "$(vm_addr B1)" -p "$PORT" -t 4 -P 4 >"$WORK/reload-iperf.txt" 2>&1 &
IPERF=$!
sleep 1.5
sed -i 's/^vnis = (/ageing = 200;\nbusy_poll = 500;\nvnis = (/' "${HOST_CONF[A]}"
check "A: vtep reload (ageing, busy_poll changed) while TCP runs" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
rc=0
wait "$IPERF" || rc=$?
check_eq "the TCP transfer across the reload completed" "$rc" 0
grep -E 'SUM.*receiver' "$WORK/reload-iperf.txt" | sed 's/^/#   /' || true
check "A: the reload is logged as applied" grep -q "reload of .* applied" "$WORK/A/vtep.log"
check "ping A1 -> B1 after the reload" vm_ping A1 "$(vm_addr B1)" 3
dump_json A && check_eq "A: 2 workers after the reload" "$(jget A 'len(d["workers"])')" 2
busy0=$(jget A 'd["io"]["busy_polls"]')
in_vm A1 ping -n -q -f -c 500 "$(vm_addr B1)" >/dev/null 2>&1 || true
dump_json A && check_ge "A: busy_poll (reloaded) polls between packets" \
	"$(jget A "d['io']['busy_polls'] - $busy0")" 1

# A multi-queue tap deleted under the workers, then recreated by a reload.
ip -n "$(vns A1)" link del "$(vtap A1)"
check "A: the loss is logged" poll 5 grep -q "tap '$(vtap A1)' in netns $(vns A1) failed" \
	"$WORK/A/vtep.log"
check "A: daemon still running" vtep_alive A
check "ping A2 -> B1 while A1's tap is gone" vm_ping A2 "$(vm_addr B1)" 3
check "vtep reload recreates the tap" ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
check "A: A1's tap is back" poll 3 ip -n "$(vns A1)" link show "$(vtap A1)"
vm_setup A1
check "A1's tap has two queues again" poll 3 bash -c \
	"ip -d -n $(vns A1) link show $(vtap A1) | grep -q 'multi_queue numqueues 2 '"
check "ping A1 -> B1 through the recreated tap" vm_ping A1 "$(vm_addr B1)" 3
check "ping A1 -> C1 through the recreated tap" vm_ping A1 "$(vm_addr C1)" 3

# A reload keeps the workers' underlay sockets and tap queues (only their
# rings are new): what arrives while they are stopped waits there, where a
# closed descriptor would drop it. A tap the reload removes is let go by
# them too, so that it is deleted.
fdlist() { find "/proc/${HOST_PID[A]}/fd" -mindepth 1 -printf '%f %l\n' 2>/dev/null |
	grep -v io_uring | sort -n; }
fdlist >"$WORK/fds.1"
vni_add A 300 flood=unicast peers=10.0.0.2
conf_write A "${HOST_CONF[A]}"
check "A: a reload adding a VNI" ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
fdlist >"$WORK/fds.2"
check "... keeps every socket and tap queue the workers had" diff "$WORK/fds.1" "$WORK/fds.2"
check "... and they forward" vm_ping A1 "$(vm_addr B1)" 3
unset 'VM_HOST[A1]'
conf_write A "${HOST_CONF[A]}"
check "A: a reload removing A1's tap" ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
check "... deletes it (no worker holds a queue of it)" \
	bash -c "! ip -n $(vns A1) link show $(vtap A1)"
check "... and A2 still reaches B1" vm_ping A2 "$(vm_addr B1)" 3

# Back in the file, A1's tap is created again; deleted, and re-created by
# someone else (a hypervisor), the tick attaches to it, stopping the
# workers while the slot changes: they start again with a queue of it.
VM_HOST[A1]=A
conf_write A "${HOST_CONF[A]}"
check "A: a reload adding A1's tap back" ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
ip -n "$(vns A1)" link del "$(vtap A1)"
check "A: its loss is logged" poll 5 bash -c \
	"[ \$(grep -c \"tap '$(vtap A1)' in netns $(vns A1) failed\" '$WORK/A/vtep.log') = 2 ]"
ip -n "$(vns A1)" tuntap add mode tap multi_queue name "$(vtap A1)"
check "A: the tick attaches to the re-created tap" poll 5 grep -q \
	"tap '$(vtap A1)' in netns $(vns A1) is back (attached)" "$WORK/A/vtep.log"
vm_setup A1
check "... with a queue for the main thread and one for worker 1" poll 3 bash -c \
	"ip -d -n $(vns A1) link show $(vtap A1) | grep -q 'multi_queue numqueues 2 '"
check "ping A1 -> B1 through it" vm_ping A1 "$(vm_addr B1)" 3

# A2's tap was there before the daemon: it stays after it (checked, then
# removed here).
unset 'VM_HOST[A2]'
vtep_stop A
check "A2's attached tap outlives the daemon" ip -n "$(vns A2)" link show "$(vtap A2)"
ip -n "$(vns A2)" link del "$(vtap A2)" 2>/dev/null || true
vtep_stop B
finish
