#!/bin/bash
# SPDX-License-Identifier: MIT
# t74-faults: the daemon rides out faults around it without a restart:
#   1. a tap deleted while traffic flows to and from it: the port is dropped
#      (no busy loop, the other tap of the VNI keeps working), and it comes
#      back by itself when a tap of that name is re-created (attached), and
#      on `vtep reload` when nobody re-creates it (created again)
#   2. the underlay address removed and restored, and the underlay link
#      taken down and up: forwarding resumes by itself, the group is still
#      joined (multicast BUM reaches A again) and UDP GSO stays on; the
#      sends that failed meanwhile are counted (VNI drop reason tx_error)
#      and logged ("sends to 10.0.0.2 fail")
#   2b. a tap taken down (its writes fail with EIO): what could not be
#      written is counted (tx_error, the tap's tx_dropped) and logged, and
#      forwarding to it resumes once it is up
#   3. SIGKILL, then a restart: the taps outlive the daemon (persist_taps)
#      with their addresses and no carrier, a stale pidfile does not stop
#      the restart, which takes the taps back as they were (no re-plumbing):
#      forwarding is back (the time from start to the first reply is noted)
# (A dead peer in the replication list and dstport in use: t73-misc.)
#
#   vtvA1 .100.1  vtvA2 .100.3            vtvB1 .100.2
#     tapA1  tapA2 (VNI 100)                tapB1
#   vthA: vtep 10.0.0.1                   vthB: vtep 10.0.0.2
#     VNI 100 group 239.1.1.100 flood multicast, on both
#           \                                /
#            pA --------- vtul: br0 -------- pB
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "faults of vtep's own ports (VTEP_IMPL=kernel)"
require

host_add A 1
host_add B 2
vni_add A 100 group=239.1.1.100 flood=multicast
vni_add B 100 group=239.1.1.100 flood=multicast
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 100 192.168.100.3/24
vm_add B1 B 100 192.168.100.2/24
vtep_start A || finish
vtep_start B || finish
check "ping A1 -> B1" vm_ping A1 "$(vm_addr B1)" 3
check "ping A2 -> B1" vm_ping A2 "$(vm_addr B1)" 3
PID_A=${HOST_PID[A]}
A1MAC=$(vm_mac A1)

# tap_field V FIELD: FIELD of V's tap in A's last dump.
tap_field() { jget A "[t['$2'] for t in vni(100)['taps'] if t['name'] == '$(vtap "$1")'][0]"; }
tap_is_up() { dump_json A >/dev/null && [ "$(tap_field "$1" up)" = true ]; }
# vdrop H REASON: VNI 100's drop counter REASON in H's last dump.
vdrop() { jget "$1" "vni(100)['counters']['drops'].get('$2', 0)"; }
# cpu_ticks PID: utime + stime of every thread, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

# 1. The tap goes away under traffic.
in_vm B1 ping -n -q -i 0.01 -w 30 "$(vm_addr A1)" >/dev/null 2>&1 &
FLOOD_B=$!
BG_PIDS+=("$FLOOD_B")
in_vm A1 ping -n -q -i 0.01 -w 30 "$(vm_addr B1)" >/dev/null 2>&1 &
FLOOD_A=$!
BG_PIDS+=("$FLOOD_A")
sleep 1
ip -n "$(vns A1)" link del "$(vtap A1)"
check "A: the tap's failure is logged" poll 5 grep -q "tap '$(vtap A1)' in netns $(vns A1) failed" "$WORK/A/vtep.log"
t0=$(cpu_ticks "$PID_A")
sleep 3
t1=$(cpu_ticks "$PID_A")
note "daemon CPU over 3 s after the tap went away: $((t1 - t0)) ticks of $((3 * HZ))"
# A busy loop on a dead fd would burn the whole 3 s; B1's ping, now flooded
# to the group with nobody to answer, costs a few ticks.
if [ $((t1 - t0)) -lt $((3 * HZ / 4)) ]; then
	ok "no busy loop after the tap went away ($((t1 - t0)) < $((3 * HZ / 4)) ticks)"
else
	not_ok "daemon burnt $((t1 - t0)) of $((3 * HZ)) ticks in 3 s after the tap went away"
fi
check "A: daemon still running" vtep_alive A
dump_json A
check_eq "A: dump shows the tap down" "$(tap_field A1 up)" false
check_eq "A: dump counts the loss" "$(tap_field A1 lost)" 1
check_eq "A: A1's MAC no longer local" "$(fdb_of A 100 "$A1MAC")" missing
check "ping A2 -> B1 while A1's tap is gone" vm_ping A2 "$(vm_addr B1)" 3

# ... and is re-created by someone else: vtep attaches to it.
ip -n "$(vns A1)" tuntap add mode tap name "$(vtap A1)"
check "A: the re-created tap is attached within 3 s" poll 3 tap_is_up A1
check "A: the attach is logged" grep -q "tap '$(vtap A1)' in netns $(vns A1) is back (attached)" "$WORK/A/vtep.log"
check_eq "A: attached, not created" "$(tap_field A1 created)" false
check_eq "A: and no longer vtep's own (owned)" "$(tap_field A1 owned)" false
check "... nor listed in vtep.taps (which lists A2's)" bash -c \
	"grep -q '^tap $(vtap A2) ' '$WORK/A/vtep.taps' && ! grep -q '^tap $(vtap A1) ' '$WORK/A/vtep.taps'"
vm_setup A1
check "ping A1 -> B1 through the re-created tap" vm_ping A1 "$(vm_addr B1)" 3
dump_json A
check_eq "A: A1 is local again" "$(fdb_of A 100 "$A1MAC")" "local null $(vtap A1)"

# ... and goes away again with nobody to re-create it: a reload does.
ip -n "$(vns A1)" link del "$(vtap A1)"
check "A: the second loss is logged" poll 5 bash -c \
	"[ \$(grep -c \"tap '$(vtap A1)' in netns $(vns A1) failed\" '$WORK/A/vtep.log') -ge 2 ]"
check "A: tap stays down without a reload" bash -c "sleep 2; ! ip -n $(vns A1) link show $(vtap A1)"
check "vtep reload (nothing changed) is applied" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
check "A: the reload created the tap again" poll 3 tap_is_up A1
check_eq "A: created by vtep this time" "$(tap_field A1 created)" true
check_eq "A: and vtep's own again" "$(tap_field A1 owned)" true
check "... listed in vtep.taps" grep -q "^tap $(vtap A1) " "$WORK/A/vtep.taps"
check_eq "A: lost twice in all" "$(tap_field A1 lost)" 2
vm_setup A1
check "ping A1 -> B1 after the reload" vm_ping A1 "$(vm_addr B1)" 3
bg_kill "$FLOOD_A" "$FLOOD_B"
check "A: same daemon throughout (pid $PID_A alive, and in the pidfile)" \
	bash -c "kill -0 $PID_A && [ \"\$(cat '$WORK/A/vtep.pid')\" = $PID_A ]"

# 2. The underlay address goes away and comes back.
dump_json A
gso_before=$(jget A "d.get('io', {}).get('gso_off', 0)")
txe0=$(vdrop A tx_error)
in_host A ip addr del 10.0.0.1/24 dev ul0
check_fails "no ping A2 -> B1 while A has no underlay address" vm_ping A2 "$(vm_addr B1)" 1 2
in_host A ip addr add 10.0.0.1/24 dev ul0
dump_json A
check_ge "A: the failed sends are counted as tx_error drops in VNI 100" \
	"$(($(vdrop A tx_error) - txe0))" 1
check "A logged: sends to 10.0.0.2 fail" grep -q "sends to 10.0.0.2 fail" "$WORK/A/vtep.log"
note "$(grep -m 1 "sends to 10.0.0.2 fail" "$WORK/A/vtep.log")"
check "ping A2 -> B1 resumes once the address is back" vm_ping A2 "$(vm_addr B1)" 3 15
check "A: group 239.1.1.100 still joined on ul0" bash -c \
	"ip -n $(hns A) maddr show dev ul0 | grep -q 239.1.1.100"
# Multicast BUM reaches A again: B1 asks for an address nobody has (no
# cache can answer it), the request goes to the group and must come out of
# A2's tap.
cap_start mc "$(vns A2)" "$(vtap A2)"
in_vm B1 ping -n -q -c 2 -w 2 192.168.100.77 >/dev/null 2>&1 || true
cap_stop mc
check_ge "B1's ARP request for .77 reached A2 through the group" \
	"$(cap_count mc "arp and arp[24:4] = 0xc0a8644d")" 1

# ... and the underlay link goes down and up.
in_host A ip link set ul0 down
sleep 1
in_host A ip link set ul0 up
check "ping A2 -> B1 after ul0 down/up" vm_ping A2 "$(vm_addr B1)" 3 15
check "A: group still joined after ul0 down/up" bash -c \
	"ip -n $(hns A) maddr show dev ul0 | grep -q 239.1.1.100"
dump_json A
check_eq "A: UDP GSO not given up because of the outage" \
	"$(jget A "d.get('io', {}).get('gso_off', 0)")" "$gso_before"
check "A: same daemon throughout (pid $PID_A alive, and in the pidfile)" \
	bash -c "kill -0 $PID_A && [ \"\$(cat '$WORK/A/vtep.pid')\" = $PID_A ]"

# 2b. A tap taken down: the kernel refuses writes to it (EIO).
dump_json A
txe0=$(vdrop A tx_error)
txd0=$(tap_field A2 tx_dropped)
ip -n "$(vns A2)" link set "$(vtap A2)" down
check_fails "no ping B1 -> A2 while tapA2 is down" vm_ping B1 "$(vm_addr A2)" 2 2
dump_json A
check_ge "A: writes to the down tap counted as tx_error drops in VNI 100" \
	"$(($(vdrop A tx_error) - txe0))" 1
check_ge "A: ... and as tx_dropped on tapA2" "$(($(tap_field A2 tx_dropped) - txd0))" 1
check_eq "A: tapA2 is still attached (down is not gone)" "$(tap_field A2 up)" true
check "A logged: writes to tap 'tapA2' fail ... Input/output error" \
	grep -Eq "writes to tap '$(vtap A2)' fail.*Input/output error" "$WORK/A/vtep.log"
note "$(grep -m 1 "writes to tap '$(vtap A2)' fail" "$WORK/A/vtep.log")"
ip -n "$(vns A2)" link set "$(vtap A2)" up
check "ping B1 -> A2 once tapA2 is up again" vm_ping B1 "$(vm_addr A2)" 3 10

# 3. SIGKILL and a restart.
kill -KILL "$PID_A"
wait "$PID_A" 2>/dev/null || true
HOST_PID[A]=""
check "A: its taps outlived it, without carrier" poll 5 tap_detached A2
check "A: A2's address is still on its tap" bash -c \
	"ip -n $(vns A2) -4 addr show dev $(vtap A2) | grep -q 'inet $(vm_addr A2)/'"
check "A: vtep.taps lists the taps it created" \
	grep -qx "tap $(vtap A2) netns $(vns A2)" "$WORK/A/vtep.taps"
check "A: the stale pidfile is still there" test -s "$WORK/A/vtep.pid"
t_start=$(now_ms)
vtep_start A || finish
t_ready=$(now_ms)
check "ping A1 -> B1 after the restart" vm_ping A1 "$(vm_addr B1)" 1 10
t_ping=$(now_ms)
note "restart after SIGKILL: $((t_ready - t_start)) ms to ready (taps up, pidfile), $((t_ping - t_start)) ms to the first ping reply"
check "ping A2 -> B1 after the restart" vm_ping A2 "$(vm_addr B1)" 3
check "A: it took tapA2 back as its own" \
	grep -q "tap '$(vtap A2)' in netns $(vns A2) attached (ours, kept from the last run)" \
	"$WORK/A/vtep.log"

vtep_stop A
vtep_stop B
finish
