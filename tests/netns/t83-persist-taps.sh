#!/bin/bash
# SPDX-License-Identifier: MIT
# t83-persist-taps: the taps vtep creates outlive it (persist_taps, on by
# default), so that a restart (an upgrade, a crash, the watchdog) leaves the
# guests' interfaces with their addresses and routes, and takes them back;
# vtep deletes only the taps that are its own (created by it, in this run
# or the last: DUMPDIR/vtep.taps), when the configuration drops them.
#
#   vtvA1 .100.1  vtvA2 .100.3  vtvA3 .100.4 (tapA3 made by `ip tuntap`)
#   vthA: vtep 10.0.0.1, workers = 2 (multi-queue taps)
#   vtvB1 .100.2, vthB: vtep 10.0.0.2; VNI 100, head-end replication
#
# Checks:
#   - SIGTERM (a restart's first half): tapA1 stays, without carrier, with
#     its address and a route the guest added; vtep.taps lists tapA1 and
#     tapA2, not tapA3 (not vtep's); started again, A takes tapA1 back (same
#     ifindex, logged as ours from the last run), and A1 pings B1 with the
#     route still there;
#   - a start that fails (a tap in a netns that does not exist) leaves
#     tapA1 as it is, and vtep.taps too; so does one that fails before it
#     read vtep.taps (local not on the host);
#   - A2 left out of the configuration while A is down: the next start
#     deletes tapA2 (logged), keeps tapA3;
#   - a reload that drops A1 deletes tapA1 (vtep's, from the last run), one
#     that drops A3 leaves tapA3 (the admin's);
#   - persist_taps = false (a reload), then SIGTERM: the taps vtep made are
#     gone, tapA3 stays, vtep.taps is removed.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "vtep's own taps (VTEP_IMPL=kernel)"
require

host_add A 1
host_add B 2
unicast_pair A B 100
conf_set A workers 2
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 100 192.168.100.3/24
vm_add A3 A 100 192.168.100.4/24
vm_add B1 B 100 192.168.100.2/24
ip -n "$(vns A3)" tuntap add mode tap name "$(vtap A3)" multi_queue
vtep_start A || finish
vtep_start B || finish
T=$WORK/A/vtep.taps
# reload_a: write A's configuration again and reload it.
# shellcheck disable=SC2317 # run through check
reload_a()
{
	conf_write A "${HOST_CONF[A]}" &&
		ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}" >"$WORK/reload.out" 2>&1
}
check "ping A1 -> B1" vm_ping A1 "$(vm_addr B1)"
in_vm A1 ip route add 10.99.0.0/16 via "$(vm_addr B1)"
ifindex0=$(in_vm A1 cat /sys/class/net/tapA1/ifindex)

# ------------------------------------------------ stop and start again
vtep_stop A
check "tapA1 kept, without carrier" tap_detached A1
check "... with its address" bash -c "ip -n $(vns A1) -4 addr show dev tapA1 | grep -q 'inet 192.168.100.1/'"
check "... and the guest's route" bash -c "ip -n $(vns A1) route show 10.99.0.0/16 | grep -q via"
check "vtep.taps lists tapA1 and tapA2, not tapA3 (not vtep's)" bash -c \
	"grep -qx 'tap tapA1 netns $(vns A1)' '$T' && grep -qx 'tap tapA2 netns $(vns A2)' '$T' &&
	! grep -q tapA3 '$T'"

# A start that fails halfway leaves what it found.
# (one more VNI, whose tap lies in a namespace that does not exist)
python3 - "${HOST_CONF[A]}" "$WORK/bad.conf" "no-such-ns-$SUF" <<'EOF'
import sys
src, dst, ns = sys.argv[1:]
s = open(src).read()
i = s.index("vnis = (") + len("vnis = (")
s = s[:i] + ' { vni = 900; taps = ( { name = "tapZ"; netns = "%s"; } ); },' % ns + s[i:]
open(dst, "w").write(s)
EOF
rc=0
timeout 20 ip netns exec "$(hns A)" "$VTEP" -c "$WORK/bad.conf" >"$WORK/bad.log" 2>&1 || rc=$?
check_eq "a start with a tap it cannot make fails (exit 2)" "$rc" 2
check "... and says why" grep -q "tapZ" "$WORK/bad.log"
check "tapA1 is still there, with its address" bash -c \
	"ip -n $(vns A1) -4 addr show dev tapA1 | grep -q 'inet 192.168.100.1/'"
check "vtep.taps still lists tapA1" grep -qx "tap tapA1 netns $(vns A1)" "$T"
# ... and one that fails before it even read vtep.taps: local not on this
# host yet (as at boot, before the underlay is up).
sed 's/^local = .*/local = "10.0.0.250";/' "${HOST_CONF[A]}" >"$WORK/early.conf"
rc=0
timeout 20 ip netns exec "$(hns A)" "$VTEP" -c "$WORK/early.conf" >"$WORK/early.log" 2>&1 || rc=$?
check_eq "a start whose local is not on the host fails (exit 2)" "$rc" 2
check "... and vtep.taps still lists tapA1 and tapA2" bash -c \
	"grep -qx 'tap tapA1 netns $(vns A1)' '$T' && grep -qx 'tap tapA2 netns $(vns A2)' '$T'"

# A2 leaves the configuration while A is down.
unset 'VM_HOST[A2]'
vtep_start A || finish
check "ping A1 -> B1 after the restart" vm_ping A1 "$(vm_addr B1)"
check_eq "tapA1 is the same device" "$(in_vm A1 cat /sys/class/net/tapA1/ifindex)" "$ifindex0"
check "the guest's route survived" bash -c "ip -n $(vns A1) route show 10.99.0.0/16 | grep -q via"
check "A logged tapA1 as its own from the last run" \
	grep -q "tap 'tapA1' in netns $(vns A1) attached (ours, kept from the last run)" \
	"$WORK/A/vtep.log"
check "A deleted tapA2 (its own, no longer configured)" poll 3 tap_gone A2
check "... and logged it" grep -q "tap 'tapA2' in netns $(vns A2), left by the last run and no longer configured, deleted" \
	"$WORK/A/vtep.log"
check "tapA3 (the admin's) is attached" vm_ping A3 "$(vm_addr B1)"
dump_json A || finish
check_eq "A's dump: tapA1 is owned, not created in this run" \
	"$(jget A "[[t['owned'], t['created']] for t in vni(100)['taps'] if t['name'] == 'tapA1'][0]")" \
	'[true, false]'
check_eq "A's dump: tapA3 is not A's" \
	"$(jget A "[t['owned'] for t in vni(100)['taps'] if t['name'] == 'tapA3'][0]")" false

# ------------------------------------------------ reloads dropping taps
unset 'VM_HOST[A1]'
check "reload without A1" reload_a
check "tapA1 deleted (A's, from the last run)" poll 3 tap_gone A1
unset 'VM_HOST[A3]'
check "reload without A3" reload_a
check "tapA3 (the admin's) stays" bash -c "sleep 1; ip -n $(vns A3) link show tapA3 >/dev/null"
VM_HOST[A1]=A VM_HOST[A3]=A
check "reload with A1 and A3 again" reload_a
check "tapA1 created again" poll 3 bash -c "ip -n $(vns A1) link show tapA1 >/dev/null"
vm_setup A1
check "ping A1 -> B1" vm_ping A1 "$(vm_addr B1)"

# ------------------------------------------------ persist_taps = false
conf_set A persist_taps false
check "reload with persist_taps = false" reload_a
vtep_stop A
check "tapA1 went with the daemon" poll 3 tap_gone A1
check "tapA3 (the admin's) stays" bash -c "ip -n $(vns A3) link show tapA3 >/dev/null"
check "vtep.taps is gone" test ! -e "$T"
vtep_stop B
finish
