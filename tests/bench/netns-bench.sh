#!/bin/bash
# SPDX-License-Identifier: MIT
# netns-bench.sh - vtep against the Linux kernel vxlan driver, side by side, on
# the same network-namespace topology, in the same run (make bench).
#
#   vA-PID  tapA 192.168.100.1/24 mtu 1450      vB-PID  tapB 192.168.100.2/24 mtu 1450
#      |                                           |
#   hA-PID  kernel: br100 + vx100 + veth kvm    hB-PID  kernel: br100 + vx100 + veth kvm
#           vtep:   vtep -c A.conf (tapA)               vtep:   vtep -c B.conf (tapB)
#      ul0 10.0.0.1/24 mtu 1500 ======= veth ======= ul0 10.0.0.2/24 mtu 1500
#
# Only one of the two implementations is up at a time (both use UDP port 4789
# in the host namespaces): each run brings the kernel pair up, measures, takes
# it down, then does the same with a vtep pair (the order alternates between
# runs so a drift in machine load hits both sides alike). The "VM" namespaces
# keep the same names, addresses and MACs throughout.
#
# Measured per run and implementation:
#   iperf3 TCP vA -> vB, 1 stream and 4 streams, BENCH_TIME s each (Gbit/s as
#     received, and retransmits)
#   ping vA -> vB, 200 echoes 5 ms apart (median and mean RTT)
#   UDP request/response, 1000 round trips of 64 bytes (median and p99)
#   vtep only ("poll"): both again with busy_poll = BENCH_POLL_US set in both
#     daemons by a reload (undone after), and the cores the two daemons kept
#     busy during that ping; compared with the kernel's ordinary figures
#   vtep only ("pin"): both iperf3 runs again with cpus = [ BENCH_PIN_CPUS ]
#     set in both daemons by a reload, then again with busy_poll =
#     BENCH_PIN_POLL_US added (both undone after): each daemon's worker on one
#     core, as an operator would give a dataplane its own core, and then
#     polling it (a poll-mode dataplane). The two "hosts" share this machine,
#     so by default both daemons share CPU 0 and the iperf3 ends are left the
#     rest. Compared with the kernel's ordinary figures (nothing pins the
#     kernel's softirq work)
#   small packets: build/bench/pktgen (tests/bench/pktgen.c: AF_PACKET,
#     PACKET_QDISC_BYPASS, sendmmsg batches of 64) sends one fixed UDP/IPv4
#     frame with a 64-byte payload (106-byte Ethernet frame) from vA out of
#     tapA to vB's address, port 9 (nobody listens: vB's UDP layer counts it
#     in NoPorts and answers with rate-limited ICMP). Received = the rise of
#     tapB's rx_packets in vB, checked against vB's Udp NoPorts (at least 98%
#     of it must have reached vB's UDP layer). Two figures:
#     - overload: flat out for BENCH_TIME s. Shown with it: the rate the
#       generator offered (every frame it tried, including those tapA's
#       driver refused because the datapath behind it was full), what
#       tapA's driver took, the loss, and for vtep the cores both daemons
#       kept busy. Overload can cost more than it delivers: in the kernel
#       run all three hops (kvm, ul0, tapB) share CPU 1's input backlog, so
#       frames taken at the first hop are dropped at a later one after the
#       bridge and vxlan work was done for them.
#     - loss-free: the highest paced rate of which vB receives at least 99%,
#       by a BENCH_PPS_STEPS-step binary search between 0 and the flat-out
#       offered rate, BENCH_PPS_PROBE s per step (RFC 2544 "throughput",
#       with 1% loss allowed on a noisy shared machine); the figure is what
#       vB received at that step. A step only passes when the generator did
#       send at the rate asked.
#     The generator is checked not to be the bottleneck: once per run it is
#     also measured alone on CPU 0, flat out into a sink with no VTEP (a veth
#     pair between two more namespaces, gA -> gB, where the frames are
#     dropped on arrival, not being addressed to gB; the sink's work runs in
#     the generator's send call, so this is a lower bound of the generator's
#     rate). That rate, and the flat-out offered rate of each datapath's own
#     run, must be at least 1.25 times the best figure that datapath
#     delivered (medians), or the script fails. Direct evidence is printed
#     too: frames tapA refused at flat out (its queue was full), and the
#     search only counts steps the generator sent in full.
#     With 2 CPUs or more the generator runs on CPU 0 and the datapath under
#     test (both hosts) on CPU 1: the two vtep daemons' threads are pinned
#     there for the measurement, and for the kernel RPS on kvm (the bridge
#     port behind tapA) moves the whole softirq path to CPU 1 (without it,
#     it would run inside the generator's send call and be paced by it).
#     Both are undone afterwards.
#   CPU during each iperf3 run: whole machine (non-idle jiffies of /proc/stat,
#     which includes iperf3 itself and anything else running on the machine)
#     and its softirq part, per Gbit moved; for vtep also the two daemons' own
#     utime+stime (/proc/PID/stat, all threads) per Gbit. The kernel datapath
#     has no process of its own: for it only the /proc/stat figures exist.
# The table shows the median over BENCH_RUNS runs; ratio is vtep/kernel for
# throughput and kernel/vtep for latency, CPU and retransmits, so that in
# every row 1.00 means parity and above 1 means vtep does better.
# One line per metric is appended to tests/bench/results.tsv (commit, date,
# metric, vtep, kernel, ratio; FAIL where every run of it failed; the
# generator's sink rate, pps_sink_mpps, belongs to neither side and is in the
# vtep column with kernel "-"). Exit 0 when
# every measurement worked, 1 otherwise (diagnostics printed: tap counters,
# vtep threads, "vtep dump --json" counters and io stats, log tail).
#
# Environment:
#   BENCH_RUNS=3        runs per implementation (medians reported)
#   BENCH_TIME=5        seconds per iperf3 run
#   BENCH_ONLY=both     kernel | vtep | both
#   BENCH_TESTS="ping rr poll tcp1 tcp4 pin pps"  which measurements, in that order
#   BENCH_POLL_US=200   busy_poll for the "poll" measurements
#   BENCH_PIN_CPUS=0    the cpus list for the "pin" measurements (e.g. "0, 1")
#   BENCH_PIN_POLL_US=50  busy_poll for the polled "pin" measurements (pinned,
#                       short windows did best: 50 us gave a median 10.3 Gbit/s
#                       in 8 runs, 200 us 9.3, 1000 us 8.8, none 9.2)
#   BENCH_PPS_STEPS=6   binary-search steps for the loss-free small-packet rate
#   BENCH_PPS_PROBE=2   seconds per step
#   PKTGEN=path         the generator [TOP/build/bench/pktgen; built into the
#                       work directory with cc when missing]
#   BENCH_RESULTS=FILE  where to append [tests/bench/results.tsv]; "-" = nowhere
#   BENCH_UL=4          the underlay family: 4, or 6 (ul0 fd00:1::1/64 and
#                       ::2 with mtu 1520, so the overlay keeps mtu 1450; the
#                       metrics are then named ul6_*)
#   VTEP=path           the daemon [TOP/vtep]
#   BENCH_VTEP_KEYS='..'  extra top-level keys for both daemons (e.g. 'workers = 2;')
#   VTEP_ARGS=...       extra daemon arguments (e.g. -v)
#   KEEP=1              keep the work directory (configs, logs, raw figures)
set -eu

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VTEP=${VTEP:-$TOP/vtep}
VTEP_ARGS=${VTEP_ARGS:-}
VTEP_KEYS=${BENCH_VTEP_KEYS:-}
RUNS=${BENCH_RUNS:-3}
T=${BENCH_TIME:-5}
ONLY=${BENCH_ONLY:-both}
TESTS=${BENCH_TESTS:-ping rr poll tcp1 tcp4 pin pps}
POLL_US=${BENCH_POLL_US:-200}
PIN_CPUS=${BENCH_PIN_CPUS:-0}
PIN_POLL_US=${BENCH_PIN_POLL_US:-50}
PKTGEN=${PKTGEN:-$TOP/build/bench/pktgen}
PPS_STEPS=${BENCH_PPS_STEPS:-6}
PPS_PROBE=${BENCH_PPS_PROBE:-2}
RESULTS=${BENCH_RESULTS:-$TOP/tests/bench/results.tsv}

SUF=$$
NS_HA=hA-$SUF
NS_HB=hB-$SUF
NS_VA=vA-$SUF
NS_VB=vB-$SUF
NS_GA=gA-$SUF        # the generator's sink pair (small packets, no VTEP)
NS_GB=gB-$SUF
UL_FAM=${BENCH_UL:-4}
case $UL_FAM in
4) UL_A=10.0.0.1 UL_B=10.0.0.2 UL_PLEN=24 UL_MTU=1500 ;;
6) UL_A=fd00:1::1 UL_B=fd00:1::2 UL_PLEN=64 UL_MTU=1520 ;;
*) echo "bench: BENCH_UL: 4 or 6, not '$UL_FAM'" >&2; exit 1 ;;
esac
OV_A=192.168.100.1
OV_B=192.168.100.2
MAC_A=52:54:00:64:00:01
MAC_B=52:54:00:64:00:02
IPERF_PORT=5201
RR_PORT=7777
PPS_PORT=9           # discard: vB answers only with ICMP, which is rate-limited

WORK=
NAMESPACES=()
FAILURES=()
BG_PIDS=()           # iperf3 servers, rr servers: killed by PID on cleanup
VTEP_PID_A=
VTEP_PID_B=
HZ=$(getconf CLK_TCK)

say() { echo "# $*"; }

# bg_forget PID: PID has been reaped; never signal it again (it may be reused).
bg_forget()
{
	local p keep=()
	for p in "${BG_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	BG_PIDS=("${keep[@]}")
}

# run_wait CMD...: run CMD in the background and wait for it, so that SIGINT/SIGTERM
# to this script take effect at once (bash runs traps only between commands,
# but does interrupt "wait"); cleanup kills it by PID.
run_wait()
{
	local pid rc=0
	"$@" &
	pid=$!
	BG_PIDS+=("$pid")
	wait "$pid" || rc=$?
	bg_forget "$pid"
	return "$rc"
}
fail() { echo "bench: $*" >&2; exit 1; }

# ---------------------------------------------------------------- checks

if [ "$(id -u)" -ne 0 ]; then
	echo "run as root (no sudo needed): make bench"
	exit 1
fi
case $ONLY in kernel | vtep | both) ;; *) fail "BENCH_ONLY must be kernel, vtep or both" ;; esac
case $RUNS in '' | *[!0-9]* | 0) fail "BENCH_RUNS must be a positive integer" ;; esac
case $T in '' | *[!0-9]* | 0) fail "BENCH_TIME must be a positive integer (seconds)" ;; esac
case $PPS_STEPS in '' | *[!0-9]*) fail "BENCH_PPS_STEPS must be a non-negative integer" ;; esac
case $PPS_PROBE in '' | *[!0-9]* | 0) fail "BENCH_PPS_PROBE must be a positive integer (seconds)" ;; esac
case $POLL_US in '' | *[!0-9]* | 0) fail "BENCH_POLL_US must be a positive integer (microseconds)" ;; esac
case $PIN_POLL_US in '' | *[!0-9]* | 0) fail "BENCH_PIN_POLL_US must be a positive integer (microseconds)" ;; esac
case ${PIN_CPUS// /} in '' | *[!0-9,]* | ,* | *, | *,,*) fail "BENCH_PIN_CPUS must be CPU numbers separated by commas (e.g. '0, 1')" ;; esac
for t in $TESTS; do
	case $t in ping | rr | poll | tcp1 | tcp4 | pin | pps) ;; *) fail "BENCH_TESTS: unknown test '$t' (ping rr poll tcp1 tcp4 pin pps)" ;; esac
done

if ! command -v iperf3 >/dev/null 2>&1; then
	say "iperf3 missing: apt-get install -y iperf3"
	{ DEBIAN_FRONTEND=noninteractive timeout 300 apt-get update -q >/dev/null &&
		DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -q iperf3 >/dev/null; } ||
		fail "could not install iperf3 (try packaging/deps.sh)"
fi
for tool in ip bridge ss ping python3 timeout iperf3 taskset; do
	command -v "$tool" >/dev/null 2>&1 ||
		fail "$tool not installed (packaging/deps.sh installs iproute2, iputils-ping, python3, iperf3)"
done
ip netns add "bchk-$SUF" >/dev/null 2>&1 || fail "no network namespace support (ip netns add failed)"
ip netns del "bchk-$SUF"
if [ "$ONLY" != kernel ]; then
	[ -c /dev/net/tun ] || fail "no /dev/net/tun"
	if [ -r /proc/sys/kernel/io_uring_disabled ] &&
		[ "$(cat /proc/sys/kernel/io_uring_disabled)" != 0 ]; then
		fail "io_uring disabled (kernel.io_uring_disabled=$(cat /proc/sys/kernel/io_uring_disabled))"
	fi
	[ -x "$VTEP" ] || fail "$VTEP not built (run make, or BENCH_ONLY=kernel)"
fi

# ---------------------------------------------------------------- cleanup

stop_pid()
{
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; bg_forget "$pid"; return 0; }
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	bg_forget "$pid"
}

cleanup()
{
	local rc=$? pid i
	set +e
	for pid in "${BG_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	stop_pid "$VTEP_PID_A"
	stop_pid "$VTEP_PID_B"
	for pid in "${BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for ((i = ${#NAMESPACES[@]} - 1; i >= 0; i--)); do
		ip netns del "${NAMESPACES[$i]}" 2>/dev/null
	done
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ "${KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
			echo "# kept $WORK" >&2
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$rc"
}

WORK=$(mktemp -d /tmp/vtep-bench.XXXXXX)
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

want() { case " $TESTS " in *" $1 "*) return 0 ;; esac; return 1; }

if want pps && [ ! -x "$PKTGEN" ]; then
	say "$PKTGEN missing: building it in $WORK (make bench builds it)"
	${CC:-cc} -O2 -o "$WORK/pktgen" "$TOP/tests/bench/pktgen.c" ||
		fail "cannot build tests/bench/pktgen.c"
	PKTGEN=$WORK/pktgen
fi

# ---------------------------------------------------------------- topology

ns_new()
{
	ip netns add "$1"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
	ip netns exec "$1" sh -c 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1' >/dev/null 2>&1 || true
}

topology()
{
	ns_new "$NS_HA"
	ns_new "$NS_HB"
	ns_new "$NS_VA"
	ns_new "$NS_VB"
	ip -n "$NS_HA" link add ul0 mtu "$UL_MTU" type veth peer name ul0 netns "$NS_HB" \
		mtu "$UL_MTU"
	if [ "$UL_FAM" = 6 ]; then
		for h in "$NS_HA" "$NS_HB"; do
			ip -n "$h" link set ul0 addrgenmode none
			ip netns exec "$h" sysctl -qw net.ipv6.conf.ul0.disable_ipv6=0
		done
		ip -n "$NS_HA" addr add "$UL_A/$UL_PLEN" dev ul0 nodad
		ip -n "$NS_HB" addr add "$UL_B/$UL_PLEN" dev ul0 nodad
	else
		ip -n "$NS_HA" addr add "$UL_A/$UL_PLEN" dev ul0
		ip -n "$NS_HB" addr add "$UL_B/$UL_PLEN" dev ul0
	fi
	ip -n "$NS_HA" link set ul0 up
	ip -n "$NS_HB" link set ul0 up
	want pps || return 0
	ns_new "$NS_GA"
	ns_new "$NS_GB"
	ip -n "$NS_GA" link add g0 mtu 1450 type veth peer name g0 netns "$NS_GB" mtu 1450
	ip -n "$NS_GA" link set g0 up
	ip -n "$NS_GB" link set g0 up
}

# vm_setup NS TAP MAC ADDR: the VM side of a tap (or veth end).
vm_setup()
{
	ip -n "$1" link set "$2" down
	ip -n "$1" link set "$2" mtu 1450 address "$3"
	ip -n "$1" addr flush dev "$2"
	ip -n "$1" addr add "$4/24" dev "$2"
	ip -n "$1" link set "$2" up
}

# wait_gone NS DEV SECONDS
wait_gone()
{
	local i
	for i in $(seq $(($3 * 10))); do
		ip -n "$1" link show "$2" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	return 1
}

kernel_host_up()
{
	local hns=$1 vns=$2 local=$3 remote=$4 tap=$5 mac=$6 addr=$7
	ip -n "$hns" link add br100 type bridge
	ip -n "$hns" link set br100 up
	ip -n "$hns" link add vx100 type vxlan id 100 local "$local" remote "$remote" \
		dstport 4789 dev ul0
	ip -n "$hns" link set vx100 master br100 up
	ip -n "$hns" link add kvm mtu 1450 type veth peer name "$tap" netns "$vns"
	ip -n "$hns" link set kvm master br100 up
	vm_setup "$vns" "$tap" "$mac" "$addr"
}

kernel_up()
{
	kernel_host_up "$NS_HA" "$NS_VA" "$UL_A" "$UL_B" tapA "$MAC_A" "$OV_A"
	kernel_host_up "$NS_HB" "$NS_VB" "$UL_B" "$UL_A" tapB "$MAC_B" "$OV_B"
}

kernel_down()
{
	local h
	for h in "$NS_HA" "$NS_HB"; do
		ip -n "$h" link del kvm 2>/dev/null || true   # takes the VM end with it
		ip -n "$h" link del vx100 2>/dev/null || true
		ip -n "$h" link del br100 2>/dev/null || true
	done
	wait_gone "$NS_VA" tapA 5 || ip -n "$NS_VA" link del tapA
	wait_gone "$NS_VB" tapB 5 || ip -n "$NS_VB" link del tapB
}

# vtep_conf H LOCAL PEER TAP VNS
vtep_conf()
{
	mkdir -p "$WORK/$1"
	cat >"$WORK/$1/vtep.conf" <<EOF
# generated by tests/bench/netns-bench.sh (host $1)
local = "$2";
dstport = 4789;
mtu = 1450;
pidfile = "$WORK/$1/vtep.pid";
dumpdir = "$WORK/$1";
persist_taps = false;   # the kernel run after it takes the same names
$VTEP_KEYS
vnis = (
  { vni = 100;
    flood = "unicast";
    peers = [ "$3" ];
    taps = ( { name = "$4"; netns = "$5"; } );
  }
);
EOF
}

# vtep_start H HNS VNS TAP: start the daemon in HNS; on success sets
# STARTED_PID. Waits (10 s at most) for the tap in VNS and the pidfile.
vtep_start()
{
	local h=$1 hns=$2 vns=$3 tap=$4 pid rc i log=$WORK/$1/vtep.log
	STARTED_PID=
	# shellcheck disable=SC2086
	ip netns exec "$hns" "$VTEP" -c "$WORK/$h/vtep.conf" $VTEP_ARGS >>"$log" 2>&1 &
	pid=$!
	for i in $(seq 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			rc=0
			wait "$pid" || rc=$?
			echo "bench: vtep on host $h exited during start-up with status $rc; its log ($log):" >&2
			sed 's/^/    /' "$log" | tail -n 30 >&2
			return 1
		fi
		if ip -n "$vns" link show "$tap" >/dev/null 2>&1 &&
			[ "$(cat "$WORK/$h/vtep.pid" 2>/dev/null)" = "$pid" ]; then
			STARTED_PID=$pid
			return 0
		fi
		sleep 0.1
	done
	echo "bench: vtep on host $h (pid $pid) not ready within 10 s:" >&2
	ip -n "$vns" link show "$tap" >/dev/null 2>&1 || echo "    tap $tap not in namespace $vns" >&2
	[ "$(cat "$WORK/$h/vtep.pid" 2>/dev/null)" = "$pid" ] ||
		echo "    pidfile $WORK/$h/vtep.pid does not name $pid" >&2
	echo "    its log ($log):" >&2
	sed 's/^/    /' "$log" | tail -n 30 >&2
	stop_pid "$pid"
	return 1
}

vtep_up()
{
	vtep_start A "$NS_HA" "$NS_VA" tapA || return 1
	VTEP_PID_A=$STARTED_PID
	vtep_start B "$NS_HB" "$NS_VB" tapB || return 1
	VTEP_PID_B=$STARTED_PID
	vm_setup "$NS_VA" tapA "$MAC_A" "$OV_A"
	vm_setup "$NS_VB" tapB "$MAC_B" "$OV_B"
	sleep 0.2
	ip -n "$NS_VA" link set tapA up
	ip -n "$NS_VB" link set tapB up
}

# vtep_stop_one H PID: SIGTERM, 10 s to exit, status must be 0.
vtep_stop_one()
{
	local h=$1 pid=$2 rc=0 i
	[ -n "$pid" ] || return 0
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" || rc=$?
		echo "bench: vtep on host $h (pid $pid) died during the run (status $rc); log:" >&2
		tail -n 30 "$WORK/$h/vtep.log" | sed 's/^/    /' >&2
		return 1
	fi
	kill -TERM "$pid"
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "bench: vtep on host $h (pid $pid) ignored SIGTERM for 10 s; killed" >&2
		kill -KILL "$pid"
	fi
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || say "note: vtep on host $h exited with status $rc after SIGTERM"
}

vtep_down()
{
	local p
	p=$VTEP_PID_A
	VTEP_PID_A=
	vtep_stop_one A "$p" || true
	p=$VTEP_PID_B
	VTEP_PID_B=
	vtep_stop_one B "$p" || true
	# The daemon removes the taps it created; make sure before the kernel run.
	wait_gone "$NS_VA" tapA 5 || { say "note: tapA left behind by vtep, deleting"; ip -n "$NS_VA" link del tapA; }
	wait_gone "$NS_VB" tapB 5 || { say "note: tapB left behind by vtep, deleting"; ip -n "$NS_VB" link del tapB; }
}

# ---------------------------------------------------------------- measurements

RAW=
# rec MODE METRIC VALUE: one raw figure of this run.
rec() { printf '%s\t%s\t%s\t%s\n' "$RUN" "$1" "$2" "$3" >>"$RAW"; }

# connectivity: 15 s for the first echo reply (ARP, learning), then warm up.
connectivity()
{
	local mode=$1 i
	for i in $(seq 15); do
		if ip netns exec "$NS_VA" ping -n -q -c 1 -W 1 "$OV_B" >/dev/null 2>&1; then
			ip netns exec "$NS_VA" ping -n -q -c 20 -i 0.01 -w 5 "$OV_B" >/dev/null 2>&1 || true
			return 0
		fi
	done
	echo "bench: $mode: no ping reply $OV_A -> $OV_B within 15 s" >&2
	return 1
}

# alive MODE: the overlay still answers a ping (3 tries); once it does not,
# the rest of this run's measurements for MODE are skipped.
DEAD=0
alive()
{
	local mode=$1
	[ "$DEAD" = 0 ] || return 1
	ip netns exec "$NS_VA" ping -n -q -c 3 -i 0.2 -W 1 -w 3 "$OV_B" 2>/dev/null | grep -q ' [1-9][0-9]* received' &&
		return 0
	DEAD=1
	FAILURES+=("$mode run $RUN: overlay $OV_A -> $OV_B dead (no ping reply); skipping the rest of this run")
	say "${FAILURES[-1]}"
	diag "$mode"
	return 1
}

# diag MODE: what the datapath looks like after a failure (once per measure).
DIAG_DONE=0
diag()
{
	local h vns tap pid t
	[ "$DIAG_DONE" = 0 ] || return 0
	DIAG_DONE=1
	for h in A B; do
		if [ "$h" = A ]; then vns=$NS_VA tap=tapA; else vns=$NS_VB tap=tapB; fi
		say "  $h: $tap in $vns: $(ip -n "$vns" -s link show "$tap" 2>/dev/null |
			awk '/RX:/ {getline; rx = $2 " pkts"} /TX:/ {getline; tx = $2 " pkts, " $4 " dropped"}
				END {print "kernel rx (from vtep) " rx ", kernel tx (to vtep) " tx}')"
	done
	[ "$1" = vtep ] || return 0
	for h in A B; do
		if [ "$h" = A ]; then pid=$VTEP_PID_A; else pid=$VTEP_PID_B; fi
		if ! kill -0 "$pid" 2>/dev/null; then
			say "  vtep $h (pid $pid) is gone; log:"
			tail -n 20 "$WORK/$h/vtep.log" | sed 's/^/#     /'
			continue
		fi
		for t in /proc/"$pid"/task/*; do
			say "  vtep $h thread ${t##*/} ($(cat "$t/comm")): state $(awk '{print $3}' "$t/stat"), wchan $(cat "$t/wchan" 2>/dev/null)"
		done
		timeout 10 ip netns exec "$( [ "$h" = A ] && echo "$NS_HA" || echo "$NS_HB")" \
			"$VTEP" dump --json -c "$WORK/$h/vtep.conf" >"$WORK/$h/diag.json" 2>"$WORK/$h/diag.err" || true
		python3 - "$WORK/$h/diag.json" "$h" <<'PYEOF' || say "  vtep $h: no dump ($(head -c 200 "$WORK/$h/diag.err"))"
import json, sys
d = json.load(open(sys.argv[1]))
c = d.get("counters", {})
drops = {k: v for k, v in c.get("drops", {}).items() if v}
print("#   vtep %s dump: rx %s tx %s, drops %s, io %s" % (sys.argv[2], c.get("rx_packets"),
      c.get("tx_packets"), drops or "none", json.dumps(d.get("io", {}))))
for v in d.get("vnis", []):
    for t in v.get("taps", []):
        print("#   vtep %s tap %s: %s" % (sys.argv[2], t.get("name"),
              {k: t[k] for k in t if k != "name"}))
PYEOF
		say "  vtep $h log (last lines):"
		tail -n 8 "$WORK/$h/vtep.log" | sed 's/^/#     /'
	done
}

cpu_proc() # PID...: utime+stime jiffies, summed (all threads)
{
	local pid s t=0 rest
	for pid in "$@"; do
		[ -n "$pid" ] || continue
		s=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
		rest=${s##*) }
		set -- $rest
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}

cpu_sys() # "busy softirq" jiffies, all CPUs, from /proc/stat
{
	local user nice system irq softirq steal
	read -r _ user nice system _ _ irq softirq steal _ </proc/stat
	echo "$((user + nice + system + irq + softirq + steal)) $softirq"
}

# iperf MODE STREAMS [PREFIX]: one TCP run vA -> vB (metrics PREFIXtcp_*,
# PREFIXcpu_*, PREFIXvtep_cores_*).
iperf()
{
	local mode=$1 p=$2 pfx=${3:-} spid rc=0 i out=$WORK/iperf.$1.$RUN.P$2${3:-}.json
	local sys0 sys1 sirq0 sirq1 pc0 pc1 t0 t1
	ip netns exec "$NS_VB" iperf3 -s -1 -B "$OV_B" -p "$IPERF_PORT" >"$WORK/iperf-server.log" 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	for i in $(seq 50); do
		ip netns exec "$NS_VB" ss -Htln "sport = :$IPERF_PORT" 2>/dev/null | grep -q . && break
		sleep 0.1
	done
	read -r sys0 sirq0 < <(cpu_sys)
	pc0=$(cpu_proc "$VTEP_PID_A" "$VTEP_PID_B")
	t0=$(date +%s%N)
	run_wait timeout $((T + 20)) ip netns exec "$NS_VA" iperf3 -c "$OV_B" -p "$IPERF_PORT" -t "$T" \
		-P "$p" --connect-timeout 3000 -J >"$out" 2>"$out.err" || rc=$?
	t1=$(date +%s%N)
	pc1=$(cpu_proc "$VTEP_PID_A" "$VTEP_PID_B")
	read -r sys1 sirq1 < <(cpu_sys)
	stop_pid "$spid"
	if [ "$rc" -ne 0 ]; then
		rec "$mode" "${pfx}tcp_${p}stream_gbps" fail
		FAILURES+=("$mode run $RUN: ${pfx}iperf3 -P $p failed (exit $rc$([ "$rc" = 124 ] && echo ", timed out after $((T + 20)) s" || true))")
		say "${FAILURES[-1]}; iperf3 says: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("error","no error line"))' "$out" 2>/dev/null || head -c 200 "$out.err")"
		python3 - "$out" <<'PYEOF' 2>/dev/null || true
import json, sys
iv = json.load(open(sys.argv[1])).get("intervals", [])
print("#   iperf3 sender, per interval: " + ", ".join("%.0f-%.0fs %.3f Gbit/s" % (
      i["sum"]["start"], i["sum"]["end"], i["sum"]["bits_per_second"] / 1e9) for i in iv[:8]))
PYEOF
		diag "$mode"
		return 0
	fi
	python3 - "$out" "$mode" "$p" "$((sys1 - sys0))" "$((sirq1 - sirq0))" \
		"$((pc1 - pc0))" "$HZ" "$((t1 - t0))" "$RUN" "$pfx" >>"$RAW" <<'EOF'
import json, sys
f, mode, p, sysj, sirqj, pcj, hz, ns, run, pfx = sys.argv[1:]
d = json.load(open(f))
if "error" in d:
    sys.stderr.write("# %s: iperf3 error: %s\n" % (mode, d["error"]))
    sys.exit(0)
rx = d["end"]["sum_received"]
bps = rx["bits_per_second"]
gbit = rx["bytes"] * 8 / 1e9
retr = d["end"]["sum_sent"].get("retransmits", 0)
hz = float(hz)
out = [("tcp_%sstream_gbps" % p, bps / 1e9), ("tcp_%sstream_retrans" % p, retr)]
if gbit > 0:
    out.append(("cpu_machine_s_per_gbit_%sstream" % p, int(sysj) / hz / gbit))
    out.append(("cpu_softirq_s_per_gbit_%sstream" % p, int(sirqj) / hz / gbit))
    if mode == "vtep":
        out.append(("cpu_vtep_s_per_gbit_%sstream" % p, int(pcj) / hz / gbit))
        out.append(("vtep_cores_busy_%sstream" % p, int(pcj) / hz / (int(ns) / 1e9)))
for k, v in out:
    print("%s\t%s\t%s%s\t%.6g" % (run, mode, pfx, k, v))
EOF
}

# ping_lat MODE [PREFIX]: 200 echoes 5 ms apart; median and mean RTT in
# microseconds (metrics PREFIXping_*).
ping_lat()
{
	local mode=$1 pfx=${2:-} out=$WORK/ping.$1.$RUN${2:-}
	run_wait timeout 30 ip netns exec "$NS_VA" ping -n -c 200 -i 0.005 -w 20 "$OV_B" >"$out" 2>&1 || true
	python3 - "$out" "$mode" "$RUN" "$pfx" >>"$RAW" <<'EOF'
import re, statistics, sys
f, mode, run, pfx = sys.argv[1:]
t = [float(m.group(1)) for m in re.finditer(r"time=([0-9.]+) ms", open(f).read())]
if len(t) < 100:
    sys.stderr.write("# %s: only %d ping replies of 200\n" % (mode, len(t)))
if t:
    print("%s\t%s\t%sping_rtt_median_us\t%.1f" % (run, mode, pfx, statistics.median(t) * 1000))
    print("%s\t%s\t%sping_rtt_avg_us\t%.1f" % (run, mode, pfx, statistics.mean(t) * 1000))
else:
    print("%s\t%s\t%sping_rtt_median_us\tfail" % (run, mode, pfx))
print("%s\t%s\t%sping_loss_pct\t%.1f" % (run, mode, pfx, 100.0 * (200 - len(t)) / 200))
EOF
}

# A UDP ping-pong: the server echoes until it sees "quit" or idles 20 s; the
# client does 50 warm-up and 1000 timed round trips of 64 bytes.
cat >"$WORK/rr.py" <<'EOF'
import socket, statistics, sys, time
role, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if role == "server":
    s.bind((addr, port))
    s.settimeout(20)
    while True:
        try:
            data, peer = s.recvfrom(2048)
        except socket.timeout:
            break
        if data == b"quit":
            break
        s.sendto(data, peer)
    sys.exit(0)
s.connect((addr, port))
s.settimeout(1.0)
payload = b"x" * 64
rtt, lost = [], 0
for i in range(1050):
    t0 = time.perf_counter_ns()
    s.send(payload)
    try:
        s.recv(2048)
    except socket.timeout:
        lost += 1
        continue
    if i >= 50:
        rtt.append((time.perf_counter_ns() - t0) / 1000.0)
s.send(b"quit")
if not rtt:
    sys.exit(1)
rtt.sort()
print("%.1f %.1f %d" % (statistics.median(rtt), rtt[int(len(rtt) * 0.99) - 1], lost))
EOF

# udp_rr MODE [PREFIX]: metrics PREFIXudp_rr_*.
udp_rr()
{
	local mode=$1 pfx=${2:-} spid i med p99 lost rc=0 line
	ip netns exec "$NS_VB" python3 "$WORK/rr.py" server "$OV_B" "$RR_PORT" >/dev/null 2>&1 &
	spid=$!
	BG_PIDS+=("$spid")
	for i in $(seq 50); do
		ip netns exec "$NS_VB" ss -Huln "sport = :$RR_PORT" 2>/dev/null | grep -q . && break
		sleep 0.1
	done
	run_wait timeout 60 ip netns exec "$NS_VA" python3 "$WORK/rr.py" client "$OV_B" "$RR_PORT" \
		>"$WORK/rr.out" 2>&1 || rc=$?
	line=$(cat "$WORK/rr.out")
	stop_pid "$spid"
	if [ "$rc" -ne 0 ]; then
		rec "$mode" "${pfx}udp_rr_median_us" fail
		FAILURES+=("$mode run $RUN: ${pfx}UDP request/response failed (exit $rc): $line")
		say "${FAILURES[-1]}"
		return 0
	fi
	read -r med p99 lost <<<"$line"
	rec "$mode" "${pfx}udp_rr_median_us" "$med"
	rec "$mode" "${pfx}udp_rr_p99_us" "$p99"
	[ "$lost" = 0 ] || say "$mode run $RUN: ${pfx}UDP request/response lost $lost of 1050"
}

# daemons_reload KEY [VALUE]: set KEY = VALUE in both daemons' files (no
# VALUE: take the line out again) and reload them; fails when either reload
# is not applied (FAILURES gets the reason).
daemons_reload()
{
	local h hns what="no $1"
	[ -z "${2:-}" ] || what="$1 = $2"
	for h in A B; do
		sed -i "/^$1 = /d" "$WORK/$h/vtep.conf"
		[ -z "${2:-}" ] || sed -i "s/^vnis = (/$1 = $2;\nvnis = (/" "$WORK/$h/vtep.conf"
		if [ "$h" = A ]; then hns=$NS_HA; else hns=$NS_HB; fi
		if ! ip netns exec "$hns" "$VTEP" reload -c "$WORK/$h/vtep.conf" >"$WORK/$h/reload.out" 2>&1; then
			FAILURES+=("vtep run $RUN: the reload of $h to $what failed: $(cat "$WORK/$h/reload.out")")
			say "${FAILURES[-1]}"
			return 1
		fi
	done
}

# step_reload STEP KEY VALUE METRIC: for a vtep-only step, KEY = VALUE in both
# daemons. Returns 1, and the step is skipped, when BENCH_VTEP_KEYS sets KEY
# already, or when the reload fails (METRIC is recorded as failed).
step_reload()
{
	case $VTEP_KEYS in *"$2"*)
		say "$1: skipped, BENCH_VTEP_KEYS sets $2 already"
		return 1 ;;
	esac
	daemons_reload "$2" "$3" && return 0
	rec vtep "$4" fail
	daemons_reload "$2" || true
	return 1
}

# poll_lat MODE: ping and request/response again, with both daemons busy
# polling (busy_poll = POLL_US, set by a reload and undone after), and the
# cores the two daemons kept busy during the ping. vtep only: the kernel has
# no such mode, and these rows compare with its ordinary figures.
poll_lat()
{
	local mode=$1 pc0 pc1 t0 t1
	[ "$mode" = vtep ] || return 0
	step_reload poll busy_poll "$POLL_US" poll_ping_rtt_median_us || return 0
	pc0=$(cpu_proc "$VTEP_PID_A" "$VTEP_PID_B")
	t0=$(date +%s%N)
	ping_lat vtep poll_
	pc1=$(cpu_proc "$VTEP_PID_A" "$VTEP_PID_B")
	t1=$(date +%s%N)
	rec vtep poll_vtep_cores_busy_ping "$(awk -v j=$((pc1 - pc0)) -v hz="$HZ" -v ns=$((t1 - t0)) \
		'BEGIN { printf "%.3f", j / hz / (ns / 1e9) }')"
	alive vtep && udp_rr vtep poll_
	daemons_reload busy_poll || DEAD=1
}

# pin_tcp MODE: both iperf3 runs again with cpus = [ PIN_CPUS ] in both
# daemons, then once more with busy_poll = PIN_POLL_US added (reloads, undone
# after). vtep only, like poll_lat.
pin_tcp()
{
	local mode=$1
	[ "$mode" = vtep ] || return 0
	step_reload pin cpus "[ $PIN_CPUS ]" pin_tcp_1stream_gbps || return 0
	alive vtep && iperf vtep 1 pin_
	alive vtep && iperf vtep 4 pin_
	if alive vtep && step_reload pin busy_poll "$PIN_POLL_US" pinpoll_tcp_1stream_gbps; then
		alive vtep && iperf vtep 1 pinpoll_
		alive vtep && iperf vtep 4 pinpoll_
		daemons_reload busy_poll || DEAD=1
	fi
	daemons_reload cpus || DEAD=1
}

# ---------------------------------------------------------------- small packets

# pps_pin MODE 1|0: confine MODE's datapath to CPU 1 (see the top), or undo
# that. Fails when it cannot be done: the figures would mean something else.
RPS_SAVED=
AFF_SAVED=()         # "tid mask" of every vtep thread pinned
pps_pin()
{
	local mode=$1 on=$2 pid t tid mask rps=/sys/class/net/kvm/queues/rx-0/rps_cpus
	[ "$(nproc)" -ge 2 ] || return 0
	if [ "$mode" = kernel ]; then
		if [ "$on" = 1 ]; then
			RPS_SAVED=$(ip netns exec "$NS_HA" cat "$rps") || return 1
			ip netns exec "$NS_HA" sh -c "echo 2 >$rps" || return 1
		elif [ -n "$RPS_SAVED" ]; then
			ip netns exec "$NS_HA" sh -c "echo $RPS_SAVED >$rps" 2>/dev/null || true
			RPS_SAVED=
		fi
		return 0
	fi
	if [ "$on" = 0 ]; then
		for t in "${AFF_SAVED[@]}"; do
			taskset -p "${t#* }" "${t%% *}" >/dev/null 2>&1 || true
		done
		AFF_SAVED=()
		return 0
	fi
	for pid in "$VTEP_PID_A" "$VTEP_PID_B"; do
		for t in /proc/"$pid"/task/*; do
			tid=${t##*/}
			# io_uring's own workers (iou-*) refuse affinity changes.
			case $(cat "$t/comm" 2>/dev/null) in iou-*) continue ;; esac
			mask=$(taskset -p "$tid" 2>/dev/null | awk '{print $NF}') || return 1
			[ -n "$mask" ] || return 1
			taskset -p -c 1 "$tid" >/dev/null || return 1
			AFF_SAVED+=("$tid $mask")
		done
	done
}

# udp_noports NS: the Udp NoPorts counter of NS (datagrams its UDP layer took
# for a port nobody listens on: the small-packet frames, once in vB's stack).
udp_noports()
{
	ip netns exec "$1" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
		else print $c["NoPorts"] }' /proc/net/snmp
}

# pps_probe NS DEV RXNS RXDEV RATE SECONDS: one pktgen run out of DEV in NS
# (RATE frames/s, 0 = flat out), counting what RXDEV in RXNS received. Sets
# PPS_LINE to "offered accepted secs received noports vtep-jiffies", or fails
# with PPS_ERR set (no subshell: cleanup must see pktgen's PID).
PPS_LINE=
PPS_ERR=
pps_probe()
{
	local ns=$1 dev=$2 rxns=$3 rate=$5 secs=$6 out=$WORK/pps.out rc=0 gen=()
	local stat=/sys/class/net/$4/statistics/rx_packets rx0 rx1 np0 np1 pc0 pc1 k offered accepted t
	[ "$(nproc)" -lt 2 ] || gen=(taskset -c 0)
	rx0=$(ip netns exec "$rxns" cat "$stat")
	np0=$(udp_noports "$rxns")
	pc0=$(cpu_proc "$VTEP_PID_A" "$VTEP_PID_B")
	run_wait timeout $((secs + 20)) ip netns exec "$ns" "${gen[@]}" "$PKTGEN" --dev "$dev" \
		--src-mac "$MAC_A" --dst-mac "$MAC_B" --src-ip "$OV_A" --dst-ip "$OV_B" \
		--port "$PPS_PORT" --payload 64 --time "$secs" --rate "$rate" >"$out" 2>&1 || rc=$?
	pc1=$(cpu_proc "$VTEP_PID_A" "$VTEP_PID_B")
	sleep 0.3       # what is still in the queues arrives (it was sent in time)
	rx1=$(ip netns exec "$rxns" cat "$stat")
	np1=$(udp_noports "$rxns")
	k=
	# shellcheck disable=SC2034
	read -r _ k offered k accepted k _ k t k _ <"$out" || true
	if [ "$rc" -ne 0 ] || [ "$k" != offered_pps ]; then
		PPS_ERR="pktgen exit $rc: $(head -c 300 "$out")"
		return 1
	fi
	PPS_LINE="$offered $accepted $t $((rx1 - rx0)) $((np1 - np0)) $((pc1 - pc0))"
}

# pps_fail MODE METRIC WHY: one failed small-packet figure.
pps_fail()
{
	rec "$1" "$2" fail
	FAILURES+=("$1 run $RUN: $3")
	say "${FAILURES[-1]}"
}

# pps_sink: the generator alone, flat out into a sink with no VTEP behind it
# (a veth pair: gA -> gB, where the frames die at once, not being addressed
# to gB's MAC). No RPS: the sink's receive work runs in the generator's own
# send call on CPU 0, so the figure is a lower bound of what the generator
# can send, free of cross-CPU wakeups (with RPS to an idle CPU 1 each batch
# pays one, and the figure swung between 0.37 and 1.07 Mpps from run to run).
pps_sink()
{
	local offered accepted secs rx np pcj
	if ! pps_probe "$NS_GA" g0 "$NS_GB" g0 0 "$T"; then
		pps_fail sink pps_sink_mpps "generator into the sink failed: $PPS_ERR"
		return 0
	fi
	read -r offered accepted secs rx np pcj <<<"$PPS_LINE"
	if [ "$rx" -le 0 ]; then
		pps_fail sink pps_sink_mpps "generator into the sink: nothing arrived ($(cat "$WORK/pps.out"))"
		return 0
	fi
	rec sink pps_sink_mpps "$(awk -v r="$rx" -v s="$secs" 'BEGIN { printf "%.6g", r / s / 1e6 }')"
	say "run $RUN: generator into a sink: $(cat "$WORK/pps.out"), received $rx"
}

# pps MODE: the small-packet rate (see the top of the file): flat out for
# BENCH_TIME s, then a binary search for the loss-free rate.
pps()
{
	local mode=$1 offered accepted secs rx np pcj lo=0 lo_rx="" lo_loss="" hi mid i sent
	if ! pps_pin "$mode" 1; then
		pps_pin "$mode" 0
		pps_fail "$mode" pps_rx_mpps "cannot confine the $mode datapath to CPU 1 (taskset/RPS)"
		return 0
	fi
	if ! pps_probe "$NS_VA" tapA "$NS_VB" tapB 0 "$T"; then
		pps_pin "$mode" 0
		pps_fail "$mode" pps_rx_mpps "small-packet run failed: $PPS_ERR"
		return 0
	fi
	read -r offered accepted secs rx np pcj <<<"$PPS_LINE"
	say "run $RUN: $mode flat out: $(cat "$WORK/pps.out"), tapB received $rx, vB's UDP took $np"
	if [ "$rx" -le 0 ] || [ "$((np * 100))" -lt "$((rx * 98))" ]; then
		pps_pin "$mode" 0
		pps_fail "$mode" pps_rx_mpps "small packets: tapB received $rx frames, vB's UDP layer $np (NoPorts)"
		diag "$mode"
		return 0
	fi
	python3 - "$mode" "$RUN" "$offered" "$accepted" "$secs" "$rx" "$pcj" "$HZ" >>"$RAW" <<'PYEOF'
import sys
mode, run, offered, accepted, secs, rx, pcj, hz = sys.argv[1:]
secs, offered, accepted, rx = float(secs), int(offered), int(accepted), int(rx)
out = [("pps_rx_mpps", rx / secs / 1e6),
       ("pps_offered_mpps", offered / secs / 1e6),
       ("pps_accepted_mpps", accepted / secs / 1e6),
       ("pps_loss_pct", 100.0 * (offered - rx) / offered)]
if mode == "vtep":
    out.append(("pps_vtep_cores_busy", int(pcj) / float(hz) / secs))
for k, v in out:
    print("%s\t%s\t%s\t%.6g" % (run, mode, k, v))
PYEOF
	# Loss-free: the highest paced rate of which vB receives >= 99%,
	# between 0 and the flat-out offered rate. A step passes only when the
	# generator did send at the rate asked (else it, not the datapath,
	# would have set the pace).
	hi=$(awk -v o="$offered" -v s="$secs" 'BEGIN { printf "%d", o / s }')
	for i in $(seq "$PPS_STEPS"); do
		mid=$(((lo + hi) / 2))
		if ! pps_probe "$NS_VA" tapA "$NS_VB" tapB "$mid" "$PPS_PROBE"; then
			pps_pin "$mode" 0
			pps_fail "$mode" pps_lossfree_mpps "loss-free search failed at $mid/s: $PPS_ERR"
			return 0
		fi
		read -r offered accepted secs rx np pcj <<<"$PPS_LINE"
		sent=$(awk -v o="$offered" -v s="$secs" 'BEGIN { printf "%d", o / s }')
		if [ "$((rx * 100))" -ge "$((offered * 99))" ]; then
			if [ "$((sent * 100))" -lt "$((mid * 97))" ]; then
				pps_pin "$mode" 0
				pps_fail "$mode" pps_lossfree_mpps "the generator sent only $sent/s of the $mid/s asked, and all of it arrived: the generator set the pace"
				return 0
			fi
			lo=$mid
			lo_rx=$(awk -v r="$rx" -v s="$secs" 'BEGIN { printf "%.6g", r / s / 1e6 }')
			lo_loss=$(awk -v r="$rx" -v o="$offered" 'BEGIN { printf "%.3g", 100 * (o - r) / o }')
		else
			hi=$mid
		fi
	done
	pps_pin "$mode" 0
	[ "$PPS_STEPS" -gt 0 ] || return 0
	if [ "$lo" = 0 ]; then
		pps_fail "$mode" pps_lossfree_mpps "over 1% lost at every rate tried (down to $mid/s)"
		return 0
	fi
	rec "$mode" pps_lossfree_mpps "$lo_rx"
	rec "$mode" pps_lossfree_loss_pct "$lo_loss"
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# measure MODE: bring MODE up, measure everything, take it down.
measure()
{
	local mode=$1 ok=0 m
	DEAD=0
	DIAG_DONE=0
	if [ "$mode" = kernel ]; then
		kernel_up
	else
		if ! vtep_up; then
			vtep_down
			fail "vtep did not start (see the log above); kernel figures so far are in $WORK/raw.tsv"
		fi
		rec vtep vtep_idle_rss_kb "$(rss_kb "$VTEP_PID_A")"
		say "run $RUN: vtep pids $VTEP_PID_A (A) $VTEP_PID_B (B), idle VmRSS $(rss_kb "$VTEP_PID_A") kB / $(rss_kb "$VTEP_PID_B") kB"
	fi
	if connectivity "$mode"; then
		ok=1
		for t in $TESTS; do
			case $t in
			ping) alive "$mode" && ping_lat "$mode" ;;
			rr) alive "$mode" && udp_rr "$mode" ;;
			poll) alive "$mode" && poll_lat "$mode" ;;
			pin) alive "$mode" && pin_tcp "$mode" ;;
			tcp1) alive "$mode" && iperf "$mode" 1 ;;
			tcp4) alive "$mode" && iperf "$mode" 4 ;;
			pps) alive "$mode" && pps "$mode" ;;
			esac
		done
	fi
	if [ "$mode" = vtep ]; then
		if [ "$ok" = 0 ]; then
			echo "bench: vtep logs:" >&2
			tail -n 20 "$WORK/A/vtep.log" | sed 's/^/    A: /' >&2
			tail -n 20 "$WORK/B/vtep.log" | sed 's/^/    B: /' >&2
		fi
		vtep_down
	else
		kernel_down
	fi
	[ "$ok" = 1 ] || fail "$mode: no overlay connectivity"
	if [ "$DEAD" = 1 ]; then
		[ "$mode" = vtep ] || fail "kernel baseline lost connectivity; the machine is not fit for a benchmark"
		for m in udp_rr_median_us tcp_1stream_gbps tcp_4stream_gbps pps_rx_mpps pps_lossfree_mpps; do
			awk -F'\t' -v r="$RUN" -v m="$m" '$1 == r && $2 == "vtep" && $3 == m {f = 1} END {exit !f}' \
				"$RAW" || rec vtep "$m" fail
		done
	fi
	say "run $RUN: $mode done ($(awk -F'\t' -v r="$RUN" -v m="$mode" \
		'$1 == r && $2 == m && $3 ~ /gbps|pps_rx|pps_lossfree_mpps/ {printf "%s=%s ", $3, $4}' "$RAW"))"
}

# ---------------------------------------------------------------- main

RAW=$WORK/raw.tsv
: >"$RAW"
topology
vtep_conf A "$UL_A" "$UL_B" tapA "$NS_VA"
vtep_conf B "$UL_B" "$UL_A" tapB "$NS_VB"
if [ "$ONLY" != kernel ]; then
	say "vtep: $VTEP ($("$VTEP" -V 2>&1 | head -n 1))"
	if ! out=$("$VTEP" -t -c "$WORK/A/vtep.conf" 2>&1); then
		echo "bench: vtep -t rejects the generated configuration:" >&2
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		sed 's/^/    | /' "$WORK/A/vtep.conf" >&2
		exit 1
	fi
fi
COMMIT=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
say "commit $COMMIT, kernel $(uname -r), $(nproc) CPUs, $RUNS runs x ${T}s iperf3, work $WORK"

for RUN in $(seq "$RUNS"); do
	want pps && pps_sink
	case $ONLY in
	kernel) measure kernel ;;
	vtep) measure vtep ;;
	both)
		if [ $((RUN % 2)) = 1 ]; then
			measure kernel
			measure vtep
		else
			measure vtep
			measure kernel
		fi
		;;
	esac
done

# The table (medians) and the results file.
if python3 - "$RAW" "$COMMIT" "$RESULTS" "$RUNS" "$T" "$PIN_CPUS" "$PIN_POLL_US" "$UL_FAM" <<'EOF'
import datetime, os, statistics, sys
raw, commit, results, runs, secs, pin, pinpoll, fam = sys.argv[1:]
vals, fails = {}, {}
for line in open(raw):
    run, mode, metric, v = line.rstrip("\n").split("\t")
    vals.setdefault(metric, {}).setdefault(mode, [])
    if v == "fail":
        fails.setdefault(metric, {}).setdefault(mode, []).append(int(run))
        vals[metric][mode].append(None)
    else:
        vals[metric][mode].append(float(v))
# (metric, label, unit, ratio direction: "v/k" higher is better, "k/v" lower
# is better[, the kernel's metric to compare with when it has none of its own])
rows = [
    ("tcp_1stream_gbps", "TCP 1 stream", "Gbit/s", "v/k"),
    ("tcp_4stream_gbps", "TCP 4 streams", "Gbit/s", "v/k"),
    ("pin_tcp_1stream_gbps", "TCP 1 stream, vtep cpus = [%s]" % pin, "Gbit/s", "v/k", "tcp_1stream_gbps"),
    ("pin_tcp_4stream_gbps", "TCP 4 streams, vtep cpus = [%s]" % pin, "Gbit/s", "v/k", "tcp_4stream_gbps"),
    ("pinpoll_tcp_1stream_gbps", "TCP 1 stream, vtep cpus = [%s], busy_poll %s" % (pin, pinpoll), "Gbit/s",
     "v/k", "tcp_1stream_gbps"),
    ("pinpoll_tcp_4stream_gbps", "TCP 4 streams, vtep cpus = [%s], busy_poll %s" % (pin, pinpoll), "Gbit/s",
     "v/k", "tcp_4stream_gbps"),
    ("tcp_1stream_retrans", "TCP 1 stream retransmits", "segs", "k/v"),
    ("tcp_4stream_retrans", "TCP 4 streams retransmits", "segs", "k/v"),
    ("ping_rtt_median_us", "ping RTT median", "us", "k/v"),
    ("ping_rtt_avg_us", "ping RTT mean", "us", "k/v"),
    ("ping_loss_pct", "ping loss", "%", "k/v"),
    ("udp_rr_median_us", "UDP req/resp median", "us", "k/v"),
    ("udp_rr_p99_us", "UDP req/resp p99", "us", "k/v"),
    ("poll_ping_rtt_median_us", "ping RTT median, vtep busy_poll", "us", "k/v", "ping_rtt_median_us"),
    ("poll_udp_rr_median_us", "UDP req/resp median, vtep busy_poll", "us", "k/v", "udp_rr_median_us"),
    ("poll_udp_rr_p99_us", "UDP req/resp p99, vtep busy_poll", "us", "k/v", "udp_rr_p99_us"),
    ("poll_vtep_cores_busy_ping", "vtep daemons busy, ping, busy_poll", "cores", None),
    ("pps_lossfree_mpps", "64 B UDP received, loss-free", "Mpps", "v/k"),
    ("pps_lossfree_loss_pct", "64 B UDP loss at that rate", "%", None),
    ("pps_rx_mpps", "64 B UDP received, overload", "Mpps", "v/k"),
    ("pps_offered_mpps", "64 B UDP offered, overload", "Mpps", None),
    ("pps_accepted_mpps", "64 B UDP taken by tapA, overload", "Mpps", None),
    ("pps_loss_pct", "64 B UDP loss, overload", "%", None),
    ("pps_vtep_cores_busy", "vtep daemons busy, 64 B UDP", "cores", None),
    ("cpu_machine_s_per_gbit_1stream", "machine CPU, 1 stream", "CPU-s/Gbit", "k/v"),
    ("cpu_machine_s_per_gbit_4stream", "machine CPU, 4 streams", "CPU-s/Gbit", "k/v"),
    ("pin_cpu_machine_s_per_gbit_1stream", "machine CPU, 1 stream, vtep cpus = [%s]" % pin,
     "CPU-s/Gbit", "k/v", "cpu_machine_s_per_gbit_1stream"),
    ("pinpoll_cpu_machine_s_per_gbit_1stream", "machine CPU, 1 stream, cpus, busy_poll",
     "CPU-s/Gbit", "k/v", "cpu_machine_s_per_gbit_1stream"),
    ("cpu_softirq_s_per_gbit_1stream", "softirq CPU, 1 stream", "CPU-s/Gbit", "k/v"),
    ("cpu_softirq_s_per_gbit_4stream", "softirq CPU, 4 streams", "CPU-s/Gbit", "k/v"),
    ("cpu_vtep_s_per_gbit_1stream", "vtep daemons CPU, 1 stream", "CPU-s/Gbit", "k/v"),
    ("cpu_vtep_s_per_gbit_4stream", "vtep daemons CPU, 4 streams", "CPU-s/Gbit", "k/v"),
    ("vtep_cores_busy_1stream", "vtep daemons busy, 1 stream", "cores", None),
    ("vtep_cores_busy_4stream", "vtep daemons busy, 4 streams", "cores", None),
    ("pin_vtep_cores_busy_1stream", "vtep daemons busy, 1 stream, cpus = [%s]" % pin, "cores", None),
    ("pinpoll_vtep_cores_busy_1stream", "vtep daemons busy, 1 stream, cpus, busy_poll", "cores", None),
    ("vtep_idle_rss_kb", "vtep idle VmRSS (host A)", "kB", None),
]
def fmt(x):
    if x is None:
        return "-"
    if x == 0 or abs(x) >= 100 or float(x).is_integer():
        return "%.0f" % x
    if abs(x) >= 10:
        return "%.1f" % x
    if abs(x) >= 1:
        return "%.2f" % x
    return "%.3g" % x
def med(metric, mode):
    v = [x for x in vals.get(metric, {}).get(mode, []) if x is not None]
    return statistics.median(v) if v else None
def nfail(metric, mode):
    return len(fails.get(metric, {}).get(mode, []))
print()
print("vtep vs Linux kernel vxlan, %s, medians of %s runs (%ss iperf3 each)" % (commit, runs, secs))
print("ratio: vtep/kernel for throughput, kernel/vtep for latency/CPU/retransmits (1.00 = parity, >1 = vtep better)")
hdr = ("metric", "unit", "vtep", "kernel", "ratio", "runs: vtep | kernel")
table, out = [], []
for metric, label, unit, d, *kmetric in rows:
    mk = {"vtep": metric, "kernel": kmetric[0] if kmetric else metric}
    v, k = med(metric, "vtep"), med(mk["kernel"], "kernel")
    if v is None and (k is None or kmetric) and not fails.get(metric):
        continue
    r = None
    if d and v is not None and k is not None:
        num, den = (v, k) if d == "v/k" else (k, v)
        r = num / den if den else None
    per = lambda m: " ".join("FAIL" if x is None else fmt(x)
                             for x in vals.get(mk[m], {}).get(m, [])) or "-"
    def cell(x, m):
        n = nfail(mk[m], m)
        if x is None:
            return "FAIL" if n else "-"
        return fmt(x) + ("*" if n else "")
    def tsv(x, m):
        n = nfail(mk[m], m)
        if x is None:
            return "FAIL" if n else ""
        return "%.6g" % x + ("(%d fail)" % n if n else "")
    table.append((label, unit, cell(v, "vtep"), cell(k, "kernel"), "-" if r is None else "%.2f" % r,
                  per("vtep") + " | " + per("kernel")))
    out.append((metric, tsv(v, "vtep"), tsv(k, "kernel"), "" if r is None else "%.4f" % r))
w = [max(len(str(x[i])) for x in table + [hdr]) for i in range(len(hdr))]
line = lambda t: "  ".join(str(c).ljust(w[i]) if i < 2 else str(c).rjust(w[i]) if i < 5 else str(c)
                           for i, c in enumerate(t))
if fam == "6":
    print("underlay: IPv6 (fd00:1::1 <-> fd00:1::2, ul0 mtu 1520, overlay mtu 1450)")
print(line(hdr))
print("  ".join("-" * x for x in w))
for t in table:
    print(line(t))
# The generator must not be what limits the small-packet figures: flat out
# it must offer clearly more than arrived, and alone, into a sink with no
# VTEP, it must move clearly more than either datapath delivered.
sink = med("pps_sink_mpps", "sink")
gen_bad = []
if "pps_sink_mpps" in vals or "pps_rx_mpps" in vals:
    sv = " ".join("FAIL" if x is None else fmt(x) for x in vals.get("pps_sink_mpps", {}).get("sink", []))
    print("64 B UDP: the generator alone on CPU 0, flat out into a veth sink (no VTEP): %s Mpps (runs: %s)"
          % ("FAIL" if sink is None else fmt(sink), sv or "-"))
    out.append(("pps_sink_mpps", "" if sink is None else "%.6g" % sink, "-", ""))
    if sink is None:
        gen_bad.append("no sink figure for the generator")
for m in ("vtep", "kernel"):
    off, rx, lf = med("pps_offered_mpps", m), med("pps_rx_mpps", m), med("pps_lossfree_mpps", m)
    if off is None or rx is None:
        continue
    top = max(x for x in (rx, lf) if x is not None)
    ok_off = off >= 1.25 * top
    ok_sink = sink is not None and sink >= 1.25 * top
    print("64 B UDP, %s: best figure %s Mpps; the generator offered %s Mpps flat out (%.1fx), the"
          " sink took %s Mpps (%sx): %s" % (m, fmt(top), fmt(off), off / top if top else 0,
          "-" if sink is None else fmt(sink), "-" if sink is None else "%.1f" % (sink / top),
          "the datapath set the pace" if ok_off and ok_sink else
          "THE GENERATOR MAY HAVE SET THE PACE"))
    if not (ok_off and ok_sink):
        gen_bad.append(m)
print("CPU: 'machine' = all non-idle jiffies of /proc/stat during the iperf3 run (iperf3 and the")
print("rest of the machine included; noisy on a shared box), 'softirq' = its softirq part; 'vtep")
print("daemons' = utime+stime of both vtep processes (no kernel equivalent), per Gbit received.")
if fails:
    print("FAIL = every run of that measurement failed; * = median of the runs that worked.")
if results != "-":
    new = not os.path.exists(results)
    date = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    with open(results, "a") as f:
        if new:
            f.write("commit\tdate\tmetric\tvtep\tkernel\tratio\n")
        for metric, v, k, r in out:
            metric = "ul6_" + metric if fam == "6" else metric
            f.write("\t".join((commit, date, metric, v, k, r)) + "\n")
    print("appended %d lines to %s" % (len(out), results))
if gen_bad:
    print("64 B UDP: the generator is not clearly faster than the datapath (%s): the"
          " small-packet figures are not the datapath's" % ", ".join(gen_bad))
    sys.exit(3)
EOF
then
	:
else
	rc=$?
	[ "$rc" = 3 ] || exit "$rc"
	FAILURES+=("small packets: the generator may have been the bottleneck (see above)")
fi
if [ ${#FAILURES[@]} -gt 0 ]; then
	echo
	echo "bench: ${#FAILURES[@]} measurement(s) failed:"
	printf '  %s\n' "${FAILURES[@]}"
	[ "${KEEP:-0}" = 1 ] || echo "  (work directory kept for the logs)"
	exit 1
fi
