#!/bin/bash
# SPDX-License-Identifier: MIT
# t85-dump-large: a dump of a large FDB does not stop forwarding. A learns
# 400 000 sprayed MACs; each dump copies the tables between two batches and
# leaves sorting and writing them (hundreds of ms) to a child process, so
# traffic through A's only packet worker goes on meanwhile.
#
#   vtvA1 192.168.100.1              vtvB1 192.168.100.2
#     tapA1 (VNI 100)                  tapB1 (VNI 100)
#   vthA: vtep 10.0.0.1, workers 1   vthB: vtep 10.0.0.2        vthC: no vtep
#     maxaddress = 500000                                        ul0 10.0.0.3
#     static fdb S -> 10.0.0.2                                   tests/tools/vxspray
#          \                               |                     /
#           pA ---------------------- vtul: br0 -------------- pB, pC
#
# Checks:
#   - the dump holds the sprayed MACs, and A's log says how long the packet
#     loop was held (tables copied, writer started) and how long the writer
#     took;
#   - pings A1 -> B1 every 10 ms while three dumps are written back to back:
#     none lost, and the slowest reply took less than half of what one dump
#     takes to write (written in the packet loop, as before, a dump held
#     every frame that long);
#   - SIGUSR1 while a dump is being written: the dump asked for is written
#     after it (a newer generation), none is lost;
#   - SIGTERM while a dump is being written: the daemon finishes it, the
#     files are whole, and it exits 0;
#   - SIGTERM while the writer hangs (SIGSTOP): killed after 10 s, the
#     daemon exits 0, the previous dump stays whole.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$VTEP_IMPL" != kernel ] || skip "a vtep dump (VTEP_IMPL=kernel)"
require
vxspray_build
N=400000
S=02:5a:00:00:00:01

host_add A 1
host_add B 2
host_add C 3
conf_set A maxaddress 500000
vni_add A 100 group=239.1.1.100 flood=multicast
vni_add B 100 group=239.1.1.100 flood=multicast
vni_keys A 100 "fdb = ( { mac = \"$S\"; remote = \"10.0.0.2\"; } );"
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
vtep_start A || finish
vtep_start B || finish
check "ping A1 -> B1" vm_ping A1 "$(vm_addr B1)" 3

note "spray: $(in_host C "$SPRAY" --dst 10.0.0.1 --src 10.0.0.3 --inner-dst $S --count $N --pps 200000)"
sleep 0.5
dump_json A || finish
learned=$(jget A "sum(1 for e in vni(100)['fdb'] if e['type'] == 'remote')")
check_ge "A learned most sprayed MACs" "$learned" $((N * 3 / 4))
gen=$(jget A "d['generation']")
held=$(sed -n "s/.*dump $gen: tables copied and writer [0-9]* started in \([0-9]*\) ms.*/\1/p" "$WORK/A/vtep.log")
written=""
for _ in $(seq 50); do
	written=$(sed -n "s/.*dump $gen written to .* entries, \([0-9]*\) ms).*/\1/p" "$WORK/A/vtep.log")
	[ -z "$written" ] || break
	sleep 0.1
done
check "A's log: how long dump $gen held the packet loop (${held:-?} ms)" test -n "$held"
check "A's log: how long its writer took (${written:-?} ms)" test -n "$written"
written=${written:-0}
[ "$written" -ge 200 ] || note "a dump took only $written ms here: the check below shows little"

in_vm A1 ping -n -q -i 0.01 -c 300 "$(vm_addr B1)" >"$WORK/ping.out" 2>&1 &
PING=$!
sleep 0.3
for i in 1 2 3; do
	dump_json A || finish
done
wait "$PING" || true
loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$WORK/ping.out")
max=$(sed -n 's|^rtt min/avg/max/mdev = [0-9.]*/[0-9.]*/\([0-9]*\).*|\1|p' "$WORK/ping.out")
check_eq "pings during three dumps: none lost" "$loss" 0
check "... the slowest reply (${max:-?} ms) under half a dump's writing ($written ms)" \
	test "${max:-999999}" -lt $((written / 2 + 1))

# Asked again while a dump is being written: written after it.
gen0=$(jget A "d['generation']")
kill -USR1 "${HOST_PID[A]}"
sleep 0.05
kill -USR1 "${HOST_PID[A]}"
for _ in $(seq 100); do
	[ "$(grep -c "dump $((gen0 + 2)) written" "$WORK/A/vtep.log")" = 1 ] && break
	sleep 0.1
done
check "SIGUSR1 during a dump: the next one written after it (generation $((gen0 + 2)))" \
	grep -q "dump $((gen0 + 2)) written" "$WORK/A/vtep.log"
check "... no dump failed" test "$(grep -c 'cannot write the dump\|its writer died' "$WORK/A/vtep.log")" = 0

# SIGTERM while a dump is being written.
gen1=$((gen0 + 3))
kill -USR1 "${HOST_PID[A]}"
for _ in $(seq 50); do
	grep -q "dump $gen1: tables copied" "$WORK/A/vtep.log" && break
	sleep 0.02
done
vtep_stop A
check "SIGTERM during dump $gen1: it was finished first" grep -q "dump $gen1 written" "$WORK/A/vtep.log"
check_eq "... and vtep.json is whole (generation $gen1)" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["generation"])' "$WORK/A/vtep.json" 2>&1)" "$gen1"

# A writer that hangs (stopped here, as a hung file system would hold it)
# does not hold the daemon's exit for ever: after 10 s it is killed (its
# temp file removed), the daemon exits 0, and the last whole dump stays.
vtep_start A || finish
note "spray: $(in_host C "$SPRAY" --dst 10.0.0.1 --src 10.0.0.3 --inner-dst $S --count $N --pps 200000)"
sleep 0.5
dump_json A || finish
gen2=$(jget A "d['generation']")
kill -USR1 "${HOST_PID[A]}"
writer=""
for _ in $(seq 100); do
	writer=$(sed -n "s/.*dump $((gen2 + 1)): tables copied and writer \([0-9]*\) started.*/\1/p" "$WORK/A/vtep.log")
	[ -n "$writer" ] && break
	sleep 0.02
done
# (stopped once it has a temp file open, which must not outlive it)
for _ in $(seq 250); do
	[ -z "$writer" ] || [ -e "$WORK/A/vtep.dump.tmp.$writer" ] && break
	sleep 0.01
done
if [ -n "$writer" ] && kill -STOP "$writer" 2>/dev/null; then
	t0=$(now_ms)
	vtep_stop A
	took=$(($(now_ms) - t0))
	check "SIGTERM with the writer stopped: exit within 15 s ($took ms)" test "$took" -lt 15000
	check "... the writer killed and logged" grep -q "dump $((gen2 + 1)): its writer $writer ran for [0-9]* ms, killed" "$WORK/A/vtep.log"
	check "... it is gone" test ! -d "/proc/$writer"
	check "... and so are its temp files" bash -c "! ls '$WORK/A' | grep -q 'tmp\.$writer\$'"
	check_eq "... vtep.json still the whole dump before (generation $gen2)" \
		"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["generation"])' "$WORK/A/vtep.json" 2>&1)" "$gen2"
else
	not_ok "dump $((gen2 + 1)): its writer found and stopped"
fi
finish
