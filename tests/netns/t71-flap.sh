#!/bin/bash
# SPDX-License-Identifier: MIT
# t71-flap: a MAC flapping between two remote VTEPs is frozen by move
# damping (move_limit moves within move_window seconds freeze it where the
# last move put it for move_hold seconds), logged once, and frames claiming
# it from elsewhere are dropped and counted (drops.move_frozen), while the
# overlay keeps working. Then a reload to move_limit = 3, move_hold = 2.
#
#   vtvA1 192.168.100.1              vtvB1 192.168.100.2
#     tapA1 (VNI 100)                  tapB1 (VNI 100)
#   vthA: vtep 10.0.0.1              vthB: vtep 10.0.0.2        vthC: no vtep
#     VNI 100 group 239.1.1.100        VNI 100 group ...          ul0 10.0.0.3 and 10.0.0.4
#          \                               |                     /  tests/tools/vxsend.py
#           pA ---------------------- vtul: br0 -------------- pB, pC
#
# C sends VNI 100 frames from MAC M alternately from 10.0.0.3 and
# 10.0.0.4 (two "VTEPs"): new, then moves 1..5; the 5th freezes M at .4.
# After that, frames from .3 are dropped (exactly counted) and those from
# .4 still pass. A1 pings B1 all along with no loss.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "move damping is a vtep feature (VTEP_IMPL=kernel)"
require

host_add A 1
host_add B 2
host_add C 3 10.0.0.4/24
vni_add A 100 group=239.1.1.100 flood=multicast
vni_add B 100 group=239.1.1.100 flood=multicast
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
vtep_start A || finish
vtep_start B || finish
check "ping A1 -> B1 before" vm_ping A1 "$(vm_addr B1)" 3

ip netns exec "$(vns A1)" ping -n -i 0.2 -w 120 "$(vm_addr B1)" >"$WORK/ping.out" 2>&1 &
ping_pid=$!
BG_PIDS+=("$ping_pid")

# from SRC MAC [COUNT]: COUNT VNI 100 broadcasts from MAC, sent from C at SRC.
from()
{
	in_host C python3 "$VXSEND" --dst 10.0.0.1 --src "$1" --vni 100 --inner-src "$2" \
		--count "${3:-1}" >/dev/null
	sleep 0.05
}
frozen_lines() { grep -c "mac $1 moved .* frozen at" "$WORK/A/vtep.log" || true; }
counters()
{
	dump_json A || return 1
	moved=$(jget A "counter('moved')")
	mfrozen=$(jget A "drops('move_frozen')")
}

M=02:00:00:00:0f:01
counters || finish
moved0=$moved
frozen0=$mfrozen
from 10.0.0.3 $M
for i in 1 2 3 4; do
	if [ $((i % 2)) = 1 ]; then from 10.0.0.4 $M; else from 10.0.0.3 $M; fi
done
counters || finish
check_eq "4 moves counted" "$((moved - moved0))" 4
check_eq "not frozen after 4 moves: no log line" "$(frozen_lines $M)" 0
check_eq "M at 10.0.0.3 after 4 moves" "$(fdb_of A 100 $M)" "remote 10.0.0.3 null"
from 10.0.0.4 $M
counters || finish
check_eq "5th move counted" "$((moved - moved0))" 5
check_eq "M frozen at 10.0.0.4 (the 5th move happened)" "$(fdb_of A 100 $M)" "remote 10.0.0.4 null"
check_eq "one 'frozen' log line" "$(frozen_lines $M)" 1
grep "mac $M moved" "$WORK/A/vtep.log" | grep frozen | sed 's/^/# log: /' || true
check_eq "nothing dropped yet" "$((mfrozen - frozen0))" 0

from 10.0.0.3 $M 7
from 10.0.0.4 $M 2
from 10.0.0.3 $M 4
counters || finish
check_eq "frames from 10.0.0.3 dropped: move_frozen +11" "$((mfrozen - frozen0))" 11
check_eq "no more moves while frozen" "$((moved - moved0))" 5
check_eq "M still at 10.0.0.4" "$(fdb_of A 100 $M)" "remote 10.0.0.4 null"
check_eq "still one 'frozen' log line" "$(frozen_lines $M)" 1

# Reload: move_limit = 3, move_hold = 2 s. A second MAC freezes after 3.
HOST_KEYS[A]=""
conf_set A move_limit 3
conf_set A move_hold 2
conf_write A "${HOST_CONF[A]}"
check "reload with move_limit = 3, move_hold = 2 applied" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "${HOST_CONF[A]}"
M2=02:00:00:00:0f:02
counters || finish
moved0=$moved
frozen0=$mfrozen
from 10.0.0.3 $M2
from 10.0.0.4 $M2
from 10.0.0.3 $M2
counters || finish
check_eq "M2: 2 moves, not frozen" "$(frozen_lines $M2)" 0
from 10.0.0.4 $M2
from 10.0.0.3 $M2 3
counters || finish
check_eq "M2: frozen after the 3rd move" "$(frozen_lines $M2)" 1
check_eq "M2: 3 moves counted" "$((moved - moved0))" 3
check_eq "M2: 3 frames dropped" "$((mfrozen - frozen0))" 3
check_eq "M2 at 10.0.0.4" "$(fdb_of A 100 $M2)" "remote 10.0.0.4 null"
sleep 2.2
from 10.0.0.3 $M2
counters || finish
check_eq "M2: after the 2 s hold it moves again" "$(fdb_of A 100 $M2)" "remote 10.0.0.3 null"
check_eq "M2: that move counted, nothing dropped" "$((moved - moved0)),$((mfrozen - frozen0))" "4,3"
from 10.0.0.3 $M
counters || finish
check_eq "M (frozen before the reload, for 180 s) thawed by the new 2 s hold: moved" \
	"$(fdb_of A 100 $M),$((moved - moved0)),$((mfrozen - frozen0))" "remote 10.0.0.3 null,5,3"

sleep 0.5
kill -INT "$ping_pid"
rc=0
wait "$ping_pid" || rc=$?
stats=$(grep -E 'packets transmitted' "$WORK/ping.out" || true)
note "parallel ping: $stats"
tx=$(sed -E 's/^([0-9]+) packets transmitted.*/\1/' <<<"$stats")
rx=$(sed -E 's/.* ([0-9]+) received.*/\1/' <<<"$stats")
check_eq "parallel ping A1 -> B1 exit status" "$rc" 0
check_ge "parallel ping: replies (all but the one in flight)" "${rx:-0}" $((${tx:-0} - 1))
check_ge "parallel ping ran through the test" "${tx:-0}" 5
check "A: vtep still running" vtep_alive A
vtep_stop A
vtep_stop B
finish
