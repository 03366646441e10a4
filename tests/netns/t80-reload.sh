#!/bin/bash
# SPDX-License-Identifier: MIT
# t80-reload: hitless reload on SIGHUP / `vtep reload` (operations issue):
#
#    vm A1 (VNI 100)  vm A2 (VNI 200, added/removed)  vm A3 (drop-in, VNI 100)
#         \              |                              /
#          host A (vtep, reloaded) ---- underlay br0 ---- host B (vtep)
#                                                           |
#                                                        vm B1 (VNI 100)
#
# A ping A1 -> B1 runs while VNI 200 is added: it loses nothing. Learned
# entries and counters of the unchanged VNI survive. Peers, groups, static
# FDB/ARP entries and VNIs come and go; a bad config (client side and daemon
# side) and a change needing a restart are rejected with the reason while
# the old configuration keeps forwarding; `vtep reload -c` on a file that is
# not the daemon's is refused before anything is sent, and a changed dumpdir
# or pidfile gets its answer; include_dir drop-ins register and
# unregister a VM. Signals pending together (SIGUSR1 and SIGHUP; SIGHUP and
# SIGTERM) are each acted on.
set -eu
. "$(dirname "$0")/lib.sh"
require vtep

host_add A 1
host_add B 2
vni_add A 100 peers=10.0.0.2
vni_add B 100 peers=10.0.0.1
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
vtep_start A || finish
vtep_start B || finish
check "ping A1 -> B1 before any reload" vm_ping A1 192.168.100.2

conf=${HOST_CONF[A]}
pid=${HOST_PID[A]}
B1MAC=$(vm_mac B1)

# reload_a [ARGS]: rewrite host A's config from lib.sh state and run `vtep reload`.
reload_a()
{
	conf_write A "$conf"
	ip netns exec "$(hns A)" "$VTEP" reload -c "$conf" >"$WORK/reload.out" 2>&1
}

# 1. Learned entries and counters of an unchanged VNI survive a reload.
dump_json A
rx_before=$(jget A 'vni(100)["counters"]["rx_packets"]')
check_eq "B1 learned on A before the reload" "$(fdb_of A 100 "$B1MAC")" "remote 10.0.0.2 null"
check "reload with nothing changed is applied" reload_a
check_eq "vtep reload says applied" "$(head -n 1 "$WORK/reload.out")" "reload applied"
dump_json A
check_eq "B1 still learned after the reload" "$(fdb_of A 100 "$B1MAC")" "remote 10.0.0.2 null"
check_ge "VNI 100 counters survive" "$(jget A 'vni(100)["counters"]["rx_packets"]')" "$rx_before"

# 2. A continuous ping loses nothing across a reload that adds a VNI and a tap.
in_vm A1 ping -n -q -i 0.05 -c 80 -w 15 192.168.100.2 >"$WORK/ping.out" 2>&1 &
PING=$!
BG_PIDS+=("$PING")
sleep 1
vni_add A 200 peers=10.0.0.2
vm_add A2 A 200 192.168.200.1/24
check "reload adding VNI 200 with tap A2 is applied" reload_a
check "tap A2 appears in its namespace" poll 5 ip -n "$(vns A2)" link show "$(vtap A2)"
vm_setup A2
wait "$PING" || true
loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$WORK/ping.out")
check_eq "continuous ping across the reload lost nothing" "$loss" "0"
dump_json A
check_eq "dump lists VNI 200" "$(jget A 'vni(200)["flood"]')" "unicast"
check_eq "VNI 200 has tap A2" "$(jget A '[t["name"] for t in vni(200)["taps"]]')" "[\"$(vtap A2)\"]"

# 3. Peers, static FDB and ARP entries, group join and leave.
VNI_OPT[A:100]="peers=10.0.0.2,10.0.0.9"
conf_set A learning true
reload_static()
{
	conf_write A "$conf"
	python3 - "$conf" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace('{ vni = 100;', '{ vni = 100; fdb = ( { mac = "02:00:00:00:00:99"; remote = "10.0.0.9"; } );'
              ' arp = ( { ip = "192.168.100.99"; mac = "02:00:00:00:00:99"; } );', 1)
open(p, "w").write(s)
EOF
	ip netns exec "$(hns A)" "$VTEP" reload -c "$conf" >"$WORK/reload.out" 2>&1
}
check "reload adding a peer and static entries is applied" reload_static
dump_json A
check_eq "VNI 100 peers updated" "$(jget A 'vni(100)["peers"]')" '["10.0.0.2", "10.0.0.9"]'
check_eq "static FDB entry present" "$(fdb_of A 100 02:00:00:00:00:99)" "static 10.0.0.9 null"
check_eq "static ARP entry present" \
	"$(jget A '[e["type"] for e in vni(100)["arp"] if e["ip"] == "192.168.100.99"]')" '["static"]'
VNI_OPT[A:100]="peers=10.0.0.2 group=239.1.1.100"
check "reload dropping the static entries and adding a group is applied" reload_a
dump_json A
check_eq "static FDB entry gone" "$(fdb_of A 100 02:00:00:00:00:99)" "missing"
check_eq "VNI 100 now floods to the group" "$(jget A 'vni(100)["flood"]')" "multicast"
check "host A joined 239.1.1.100" bash -c "ip -n $(hns A) maddr show dev ul0 | grep -q 239.1.1.100"
check "ping A1 -> B1 in multicast mode" vm_ping A1 192.168.100.2
VNI_OPT[A:100]="peers=10.0.0.2"
check "reload leaving the group is applied" reload_a
check "host A left 239.1.1.100" bash -c "! ip -n $(hns A) maddr show dev ul0 | grep -q 239.1.1.100"

# 4. Rejections keep the running configuration.
echo 'local = "10.0.0.1"; vnis = ( { vni = 0; } );' >"$WORK/bad.conf"
rc=0
ip netns exec "$(hns A)" "$VTEP" reload -c "$WORK/bad.conf" >"$WORK/reload.out" 2>&1 || rc=$?
check_eq "vtep reload of a bad file exits 1" "$rc" "1"
check "it prints FILE:LINE" grep -q "^$WORK/bad.conf:1: " "$WORK/reload.out"
# The daemon side: a bad file at the daemon's own path, then SIGHUP directly.
cp "$conf" "$WORK/good.conf"
echo 'bogus_key = 1;' >>"$conf"
gen=$(sed -n 's/^pid [0-9]* generation \([0-9]*\) .*/\1/p' "$WORK/A/vtep.reload")
kill -HUP "$pid"
check "daemon writes a new reload status" poll 5 bash -c \
	"! grep -q ' generation $gen ' '$WORK/A/vtep.reload'"
check "the status says rejected, with FILE:LINE" grep -q "rejected: $conf:[0-9]*: unknown key 'bogus_key'" "$WORK/A/vtep.reload"
cp "$WORK/good.conf" "$conf"
sed -i 's/^local = .*/local = "10.0.0.5";/' "$conf"
rc=0
ip netns exec "$(hns A)" "$VTEP" reload -c "$conf" >"$WORK/reload.out" 2>&1 || rc=$?
check_eq "a change of 'local' is refused (exit 1)" "$rc" "1"
check "with the reason" grep -q "changing 'local' needs a restart" "$WORK/reload.out"
check "the old configuration still forwards" vm_ping A1 192.168.100.2
check "A is still running" vtep_alive A
# Memory: tables grown for a reload's larger caps shrink again when the
# reload is rejected at a later step (a tap in a namespace that does not
# exist), and when a later reload lowers the caps (VmSize: 16 MiB slack).
vmsize() { awk '/^VmSize:/ { print $2 }' "/proc/$pid/status"; }
keys=${HOST_KEYS[A]}
size0=$(vmsize)
conf_set A maxaddress 16777216
conf_set A arp_max 16777216
VNI_TAPS[A:100]="{ name = \"tapnone\"; netns = \"vtep-none-$$\"; }"
rc=0
reload_a || rc=$?
check_eq "a reload with larger tables and a tap in no namespace is rejected" "$rc" 1
check "... at the tap" grep -q "tap 'tapnone' in netns vtep-none-$$" "$WORK/reload.out"
size1=$(vmsize)
check "... and A's VmSize is back (${size0} kB before, ${size1} kB after)" \
	test "$size1" -lt $((size0 + 16384))
unset 'VNI_TAPS[A:100]'
check "the same larger tables alone are applied" reload_a
size2=$(vmsize)
check "... A's VmSize grew (${size2} kB)" test "$size2" -gt $((size0 + 262144))
HOST_KEYS[A]=$keys
check "the caps back as they were are applied" reload_a
size3=$(vmsize)
check "... and A's VmSize is back (${size3} kB)" test "$size3" -lt $((size0 + 16384))
check "the configuration still forwards" vm_ping A1 192.168.100.2
cp "$conf" "$WORK/good.conf"
# refused_here WHAT FILE PATTERN: `vtep reload -c FILE` exits 1 with
# PATTERN in what it prints, and sends nothing (vtep.reload keeps $gen).
refused_here()
{
	local rc=0
	ip netns exec "$(hns A)" "$VTEP" reload -c "$2" >"$WORK/reload.out" 2>&1 || rc=$?
	check_eq "vtep reload with $1 exits 1" "$rc" 1
	check "... saying why" grep -q "$3" "$WORK/reload.out"
	check "... and sends nothing" grep -q "^pid $pid generation $gen " "$WORK/A/vtep.reload"
}
# `vtep reload -c` on a file other than the daemon's own: a reload would
# reread the daemon's file, so nothing is sent; the same file by another
# name (a symlink) is the daemon's.
conf_write A "$conf"
conf_write A "$WORK/other.conf"
gen=$(sed -n 's/^pid [0-9]* generation \([0-9]*\) .*/\1/p' "$WORK/A/vtep.reload" || true)
refused_here "another file" "$WORK/other.conf" \
	"reloads from '$(realpath "$conf")', not '$WORK/other.conf': nothing sent"
ln -s "$conf" "$WORK/link.conf"
check "vtep reload -c a symlink to the daemon's file is applied" \
	ip netns exec "$(hns A)" "$VTEP" reload -c "$WORK/link.conf"
check "a new reload status" bash -c "! grep -q ' generation $gen ' '$WORK/A/vtep.reload'"
# vtep_says WHAT RC PATTERN ARGS...: `vtep ARGS` in A's namespace exits RC
# within 5 s, with PATTERN in what it prints.
vtep_says()
{
	local desc=$1 want=$2 pattern=$3 rc=0 t0
	shift 3
	t0=$(date +%s)
	ip netns exec "$(hns A)" "$VTEP" "$@" >"$WORK/says.out" 2>&1 || rc=$?
	check_eq "$desc exits $want" "$rc" "$want"
	check "... saying why" grep -q "$pattern" "$WORK/says.out"
	check "... at once ($(($(date +%s) - t0)) s)" test $(($(date +%s) - t0)) -lt 5
}
# A changed dumpdir needs a restart, and `vtep reload` says so: the daemon
# writes its answer in the new directory too, when there is one; when
# there is none, nothing is sent.
mkdir -p "$WORK/A-moved"
sed -i "s|^dumpdir = .*|dumpdir = \"$WORK/A-moved\";|" "$conf"
rc=0
ip netns exec "$(hns A)" "$VTEP" reload -c "$conf" >"$WORK/reload.out" 2>&1 || rc=$?
check_eq "vtep reload with dumpdir changed exits 1" "$rc" 1
check "... with the daemon's reason" \
	grep -q "^reload rejected: changing 'dumpdir' needs a restart" "$WORK/reload.out"
# vtep dump does not wait for a dump that would be written elsewhere.
vtep_says "vtep dump with dumpdir changed to another that is there" 1 \
	"no daemon listens on '$WORK/A-moved/vtep.ctl', but one runs (pid $pid): its dumpdir is another" \
	dump -c "$conf"
gen=$(sed -n 's/^pid [0-9]* generation \([0-9]*\) .*/\1/p' "$WORK/A/vtep.reload" || true)
sed -i "s|^dumpdir = .*|dumpdir = \"$WORK/A-none\";|" "$conf"
refused_here "dumpdir changed to none there" "$conf" \
	"does not use dumpdir '$WORK/A-none' (there is none): changing 'dumpdir' needs a restart"
# vtep dump and vtep flush on that file say so too, at once.
vtep_says "vtep dump with dumpdir changed to none there" 1 \
	"does not use dumpdir '$WORK/A-none' (there is none): changing 'dumpdir' needs a restart" \
	dump -c "$conf"
vtep_says "vtep flush there" 2 \
	"no daemon listens on '$WORK/A-none/vtep.ctl', but one runs (pid $pid): its dumpdir is another" \
	flush -c "$conf" fdb
# So does a changed pidfile: the daemon is found by its control socket.
conf_write A "$conf"
sed -i "s|^pidfile = .*|pidfile = \"$WORK/A/moved.pid\";|" "$conf"
refused_here "pidfile changed" "$conf" \
	"does not use pidfile '$WORK/A/moved.pid': changing 'pidfile' needs a restart"
vtep_says "vtep dump with pidfile changed" 1 \
	"does not use pidfile '$WORK/A/moved.pid': changing 'pidfile' needs a restart" \
	dump -c "$conf"
conf_write A "$conf"

# 5. include_dir: a hypervisor registers a VM with a drop-in file.
mkdir -p "$WORK/A/vtep.d"
conf_set A include_dir "\"$WORK/A/vtep.d\""
vm_add A3 A 100 192.168.100.3/24
unset 'VM_HOST[A3]'                    # declared by the drop-in, not the main file
cat >"$WORK/A/vtep.d/50-a3.conf" <<EOF
vnis = ( { vni = 100; taps = ( { name = "$(vtap A3)"; netns = "$(vns A3)"; } ); } );
EOF
check "reload with a drop-in registering A3 is applied" reload_a
check "tap A3 appears" poll 5 ip -n "$(vns A3)" link show "$(vtap A3)"
vm_setup A3
check "ping A3 -> B1" vm_ping A3 192.168.100.2
cat >"$WORK/A/vtep.d/60-bad.conf" <<'EOF'
vnis = ( { vni = 100; taps = ( { name = "tapX"; colour = "red"; } ); } );
EOF
rc=0
reload_a || rc=$?
check_eq "a bad drop-in is rejected (exit 1)" "$rc" "1"
check "the drop-in's own name and line are reported" \
	grep -q "^$WORK/A/vtep.d/60-bad.conf:1: " "$WORK/reload.out"
rm -f "$WORK/A/vtep.d/60-bad.conf" "$WORK/A/vtep.d/50-a3.conf"
check "reload after removing the drop-in is applied" reload_a
check "tap A3 is gone" poll 5 tap_gone A3

# 6. Removing VNI 200 removes its tap.
HOST_VNIS[A]=" 100"
unset 'VM_HOST[A2]'
check "reload removing VNI 200 is applied" reload_a
check "tap A2 is gone" poll 5 tap_gone A2
dump_json A
check_eq "dump no longer lists VNI 200" "$(jget A 'vni(200)')" "null"
check "ping A1 -> B1 at the end" vm_ping A1 192.168.100.2

# 7. Signals that arrive together (the daemon stopped meanwhile, as a busy
# machine may leave it) are each acted on: SIGUSR1 and SIGHUP give a dump
# and a reload; SIGHUP and SIGTERM a reload and the exit.
gen() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["generation"])' \
	"$WORK/A/vtep.json" 2>/dev/null || echo 0; }
reloads() { grep -c "reload of .* applied" "$WORK/A/vtep.log" || true; }
gen_gt() { [ "$(gen)" -gt "$1" ]; }
reloads_gt() { [ "$(reloads)" -gt "$1" ]; }
pid=${HOST_PID[A]}
g0=$(gen)
r0=$(reloads)
kill -STOP "$pid"
kill -USR1 "$pid"
kill -HUP "$pid"
kill -CONT "$pid"
check "SIGUSR1 and SIGHUP pending together: the dump is written" poll 5 gen_gt "$g0"
check "... and the reload applied" poll 5 reloads_gt "$r0"
r0=$(reloads)
kill -STOP "$pid"
kill -HUP "$pid"
kill -TERM "$pid"
kill -CONT "$pid"
check "SIGHUP and SIGTERM pending together: the reload applied" poll 5 reloads_gt "$r0"
exited() { ! kill -0 "$1" 2>/dev/null || ps -o stat= -p "$1" | grep -q Z; }
check "... and the daemon exits" poll 5 exited "$pid"
exited "$pid" || kill -KILL "$pid"
rc=0
wait "$pid" || rc=$?
HOST_PID[A]=""
check_eq "... with status 0" "$rc" 0

vtep_stop B
finish
