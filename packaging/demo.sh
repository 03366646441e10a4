#!/bin/bash
# SPDX-License-Identifier: MIT
# demo.sh - vtep in action (run by `make demo`, as root): three hosts, six VMs,
# two VXLAN segments, all inside throw-away network namespaces.
#
#   VMs   A1 .100.1  A2 .200.1     B1 .100.2  B2 .200.2     C1 .100.3  C2 .200.3
#            \       /                 \      /                 \      /
#   hosts  A: vtep 10.0.0.1         B: vtep 10.0.0.2         C: vtep 10.0.0.3
#              \                          |                          /
#               +---------- underlay bridge (veths, 10.0.0.0/24) ---+
#
#   VNI 100 (192.168.100.0/24): BUM to multicast group 239.1.1.100
#   VNI 200 (192.168.200.0/24): BUM by head-end replication to the other hosts
#
# Every namespace name ends in this script's PID; all of it is removed on exit.
# Nothing is sent outside these namespaces.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (no sudo needed): make demo" >&2
	exit 1
fi

. "$(dirname "$0")/../tests/netns/lib.sh"
TEST_NAME=demo
ok() { PASSED=$((PASSED + 1)); echo "   [ok] $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "   [FAILED] $*"; }
note() { echo "   $*"; }
say() { printf '\n== %s\n' "$*"; }

require

say "Building the underlay: one bridge, three hosts on veths (10.0.0.1-3)"
host_add A 1
host_add B 2
host_add C 3
for h in A B C; do
	n=${HOST_IP[$h]##*.}
	others=$(for o in 1 2 3; do [ "$o" = "$n" ] || printf '10.0.0.%s,' "$o"; done)
	vni_add $h 100 group=239.1.1.100 flood=multicast
	vni_add $h 200 peers="${others%,}" flood=unicast
	vm_add "${h}1" $h 100 "192.168.100.$n/24"
	vm_add "${h}2" $h 200 "192.168.200.$n/24"
done

say "Starting vtep on each host (taps tap<VM> moved into each VM's namespace)"
for h in A B C; do
	vtep_start $h || { echo "demo FAILED: vtep did not start on host $h" >&2; show_logs; exit 1; }
	note "host $h: config $WORK/$h/vtep.conf"
done

say "Pinging across hosts (the first packet of each pair is an ARP broadcast:"
echo "   VNI 100 floods it to 239.1.1.100, VNI 200 copies it to every peer)"
total=0
good=0
for vni in 100 200; do
	i=${vni%00}
	for src in A B C; do
		for dst in A B C; do
			[ "$src" != "$dst" ] || continue
			total=$((total + 1))
			from=$src$i
			to=$dst$i
			out=$(vm_ping "$from" "$(vm_addr "$to")" 3 10 2>&1) || true
			rtt=$(sed -n 's|^rtt .* = [0-9.]*/\([0-9.]*\)/.*|\1|p' <<<"$out")
			if grep -q ' 3 received' <<<"$out"; then
				good=$((good + 1))
				printf '   VNI %s  %-3s %-15s -> %-3s %-15s  3/3 replies, avg %s ms\n' \
					"$vni" "$from" "$(vm_addr "$from")" "$to" "$(vm_addr "$to")" "$rtt"
			else
				printf '   VNI %s  %-3s %-15s -> %-3s %-15s  FAILED\n' \
					"$vni" "$from" "$(vm_addr "$from")" "$to" "$(vm_addr "$to")"
				printf '%s\n' "$out" | sed 's/^/        /'
			fi
		done
	done
done

say "VNIs are isolated: A1 (VNI 100) gets no answer from an address in VNI 200"
in_vm A1 ip addr add 192.168.200.99/24 dev tapA1
if vm_ping A1 192.168.200.2 1 2 >/dev/null 2>&1; then
	echo "   A1 reached 192.168.200.2 across VNIs: that is wrong"
	good=$((good - 1))
else
	echo "   A1 -> 192.168.200.2: no reply, as expected"
fi

say "What each vtep learned (vtep dump)"
for h in A B C; do
	echo
	echo "-- host $h (${HOST_IP[$h]}): ip netns exec $(hns $h) vtep dump -c $WORK/$h/vtep.conf"
	if is_kernel $h; then
		bridge -n "$(hns $h)" fdb show | grep -v permanent | sed 's/^/   /'
	else
		timeout 10 ip netns exec "$(hns $h)" "$VTEP" dump -c "$WORK/$h/vtep.conf" 2>&1 |
			sed 's/^/   /' || echo "   (vtep dump failed)"
	fi
done

say "Stopping the vteps (SIGTERM) and removing every namespace"
for h in A B C; do
	vtep_stop $h
done

echo
if [ "$good" -eq "$total" ] && [ "$FAILED" -eq 0 ]; then
	echo "demo OK: $good/$total pings succeeded"
	exit 0
fi
show_logs
echo "demo FAILED: $good/$total pings succeeded"
exit 1
