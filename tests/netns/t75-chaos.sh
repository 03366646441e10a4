#!/bin/bash
# SPDX-License-Identifier: MIT
# t75-chaos: everything an operator and the network do to a daemon, at once
# and at random, while traffic of every kind flows; the daemons must come
# out of it forwarding, with nothing lost that a reload keeps, and exit 0
# (under make check-sanitized: with no sanitizer report).
#
#   vtvA1 (100)  vtvA2 (200)     vtvB1 (100)  vtvB2 (200)      vtvC1 (100)
#      vthA: vtep workers = 2       vthB: vtep workers = 2      vthC: kernel
#      capture "both", metrics                                  vxlan + bridge
#            \                           |                          /
#             pA --------------------- vtul: br0 ----------------- pC
#                                  (+ vxspray from vthC)
#
# Traffic for T75_SECONDS (20): TCP A1 -> B1 and B1 -> A1 (iperf3, 4
# flows, restarted when a run ends), a ping flood A2 -> B2 in VNI 200, a
# broadcast storm from B1, and inner source MACs sprayed at A from C's
# address (FDB churn up to maxaddress).
# Meanwhile, every 0.1-0.4 s, one of these, chosen at random, on A or B:
#   a dump (SIGUSR1); SIGUSR2 (capture stopped or restarted: A only); a
#   reload that changes busy_poll, cpus, ageing, bum_rate and adds or
#   drops VNI 300 with its tap and VLAN sub-ports of A1's and A2's taps
#   (in VNIs 200 and 100); a reload the daemon must refuse (a tap it
#   cannot make, or a bad file signalled by SIGHUP); A2's tap deleted (back on the next reload); the underlay
#   link of A or B down for a moment; vtep flush with random selectors.
# Afterwards: both daemons still run; every bad reload was refused, every
# good one applied and every flush answered; A2's tap is back after a last
# reload; pings A1 -> B1, A2 -> B2 and A1 -> C1 pass; the dumps are valid
# JSON; A's FDB stayed within maxaddress after learning from the spray and
# refusing some of it (fdb_full); the TCP flows moved data; SIGTERM ends
# both with exit 0.
set -eu
. "$(dirname "$0")/lib.sh"
require
command -v iperf3 >/dev/null 2>&1 || skip "iperf3 not installed"
command -v cc >/dev/null 2>&1 || skip "no C compiler (cc) to build tests/tools/vxspray.c"
SECONDS_RUN=${T75_SECONDS:-20}
SPRAY=$WORK/vxspray
cc -O2 -o "$SPRAY" "$TOP/tests/tools/vxspray.c" || { not_ok "build vxspray"; finish; }
PY=$(command -v python3)
# The first and the last CPU the daemons may run on (one CPU: the same).
read -r -a CPUS <<<"$("$PY" -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[0], c[-1])')"

host_add A 1
host_add B 2
host_add C 3
host_kernel C
for h in A B; do
	conf_set $h workers 2
	conf_set $h maxaddress 2000
done
conf_set A capture "{ file = \"$WORK/A/cap.pcap\"; filter = \"icmp\"; point = \"both\"; }"
conf_set A metrics "\"$WORK/A/vtep.prom\""
BASE_A=${HOST_KEYS[A]}
BASE_B=${HOST_KEYS[B]}
vni_add A 100 flood=unicast peers=10.0.0.2,10.0.0.3
vni_add A 200 flood=unicast peers=10.0.0.2
vni_add B 100 flood=unicast peers=10.0.0.1,10.0.0.3
vni_add B 200 flood=unicast peers=10.0.0.1
vni_add C 100 flood=unicast peers=10.0.0.1,10.0.0.2
vm_add A1 A 100 192.168.100.1/24
vm_add A2 A 200 192.168.200.1/24
vm_add B1 B 100 192.168.100.2/24
vm_add B2 B 200 192.168.200.2/24
vm_add C1 C 100 192.168.100.3/24
vtep_start A || finish
vtep_start B || finish
vtep_start C || finish
# A3's namespace now; its VNI (300) comes and goes with the reloads.
vm_add A3 A 300 192.168.30.1/24
# The kernel VTEP fills inner checksums itself (see t23).
in_host C ethtool -K vx100 tx off >/dev/null 2>&1 || true

check "ping A1 -> B1 before" vm_ping A1 "$(vm_addr B1)" 3
check "ping A2 -> B2 before" vm_ping A2 "$(vm_addr B2)" 3
check "ping A1 -> C1 before" vm_ping A1 "$(vm_addr C1)" 3

STOP=$WORK/stop
LOOPS=()
# loop CMD...: run CMD again and again, in the background, until $STOP exists.
loop()
{
	(
		while [ ! -e "$STOP" ]; do
			"$@" >/dev/null 2>&1 || sleep 0.2
		done
	) &
	BG_PIDS+=($!)
	LOOPS+=($!)
}

ip netns exec "$(vns B1)" iperf3 -s -B "$(vm_addr B1)" -p 5201 >/dev/null 2>&1 &
BG_PIDS+=($!)
ip netns exec "$(vns A1)" iperf3 -s -B "$(vm_addr A1)" -p 5202 >/dev/null 2>&1 &
BG_PIDS+=($!)
sleep 0.5
loop in_vm A1 iperf3 -c "$(vm_addr B1)" -p 5201 -t 4 -P 4
loop in_vm B1 iperf3 -c "$(vm_addr A1)" -p 5202 -t 4 -P 2
loop in_vm A2 ping -q -f -w 3 "$(vm_addr B2)"
loop in_vm B1 "$PY" "$TOP/tests/tools/ethsend.py" --dev "$(vtap B1)" --rate 2000 --duration 3
loop in_host C "$SPRAY" --dst 10.0.0.1 --src 10.0.0.3 --vni 100 --count 20000 --pps 20000 \
	--seed $RANDOM

reloads=0
bads=0
refused=0
applied=0
actions=""
# reload H: rewrite H's config with a random variant and reload it.
reload_random()
{
	local h=$1 base v=""
	if [ "$h" = A ]; then base=$BASE_A; else base=$BASE_B; fi
	case $((RANDOM % 3)) in
	0) v+="busy_poll = 0;"$'\n' ;;
	1) v+="busy_poll = 50;"$'\n' ;;
	esac
	case $((RANDOM % 3)) in
	0) v+="cpus = [ ${CPUS[0]} ];"$'\n' ;;
	1) if [ "${CPUS[0]}" = "${CPUS[1]}" ]; then
		v+="cpus = [ ${CPUS[0]} ];"$'\n'
	   else
		v+="cpus = [ ${CPUS[1]}, ${CPUS[0]} ];"$'\n'
	   fi ;;
	esac
	[ $((RANDOM % 2)) = 0 ] || v+="ageing = $((5 + RANDOM % 300));"$'\n'
	[ $((RANDOM % 2)) = 0 ] || v+="bum_rate = $((100 + RANDOM % 5000));"$'\n'
	HOST_KEYS[$h]=$base$v
	if [ "$h" = A ]; then
		if [ $((RANDOM % 2)) = 0 ]; then
			case " ${HOST_VNIS[A]} " in
			*" 300 "*) ;;
			*) vni_add A 300 flood=unicast peers=10.0.0.2 ;;
			esac
		else
			HOST_VNIS[A]=" 100 200"
		fi
		# VLAN sub-ports come and go on taps that carry traffic.
		VNI_TAPS[A:200]=""
		VNI_TAPS[A:100]=""
		[ $((RANDOM % 2)) = 0 ] ||
			vni_tap A 200 "{ name = \"$(vtap A1)\"; netns = \"$(vns A1)\"; vlan = 7; }"
		[ $((RANDOM % 2)) = 0 ] ||
			vni_tap A 100 "{ name = \"$(vtap A2)\"; netns = \"$(vns A2)\"; vlan = 8; }"
	fi
	conf_write "$h" "${HOST_CONF[$h]}"
	reloads=$((reloads + 1))
	if ip netns exec "$(hns "$h")" "$VTEP" reload -c "${HOST_CONF[$h]}" \
		>"$WORK/reload.out" 2>&1; then
		applied=$((applied + 1))
	else
		note "reload of $h not applied: $(head -n 3 "$WORK/reload.out" | tr '\n' ' ')"
	fi
}

# bad_reload H: a configuration the daemon itself must refuse, keeping the
# running one: either one whose new tap lies in a namespace that does not
# exist (it fails while staging, after the capture, groups and other taps
# were staged: all undone), or one its parser refuses, put in place and
# signalled with SIGHUP (vtep reload would refuse it before asking). The
# file is put back afterwards.
bad_reload()
{
	local h=$1 conf=${HOST_CONF[$1]} rc=0 gen
	bads=$((bads + 1))
	if [ $((RANDOM % 2)) = 0 ]; then
		sed -i "s|^vnis = (|vnis = ( { vni = 901; taps = ( { name = \"tapZ\"; netns = \"none-$SUF\"; } ); },|" \
			"$conf"
		ip netns exec "$(hns "$h")" "$VTEP" reload -c "$conf" >"$WORK/reload.out" 2>&1 || rc=$?
		if [ "$rc" = 1 ] && grep -q "^reload rejected" "$WORK/reload.out"; then
			refused=$((refused + 1))
		else
			note "a reload with a tap $h cannot make: exit $rc, $(head -n 1 "$WORK/reload.out")"
		fi
	else
		# (no status file yet before H's first reload)
		gen=$(sed -n 's/^pid [0-9]* generation \([0-9]*\) .*/\1/p' "$WORK/$h/vtep.reload" \
			2>/dev/null || true)
		echo 'bogus_key = 1;' >>"$conf"
		kill -HUP "${HOST_PID[$h]}" 2>/dev/null || true
		if poll 10 bash -c "grep -q '^pid [0-9]* generation' '$WORK/$h/vtep.reload' &&
			! grep -q ' generation ${gen:-none} ' '$WORK/$h/vtep.reload'" &&
			grep -q "rejected: $conf:[0-9]*: unknown key 'bogus_key'" "$WORK/$h/vtep.reload"; then
			refused=$((refused + 1))
		else
			note "SIGHUP with a bad file on $h: $(head -n 1 "$WORK/$h/vtep.reload" 2>&1)"
		fi
	fi
	conf_write "$h" "$conf"
}

# flush_random H: vtep flush on H with selectors chosen at random; answered
# is "flushed ..." or the daemon's refusal (VNI 300 or A1's tap absent
# there: exit 1); anything else is noted.
flush_random()
{
	local h=$1 sel rc=0
	local -a pick=("" "fdb" "arp" "vni 100" "vni 200 arp" "vni 300" "remote 10.0.0.3"
		"fdb remote 10.0.0.1" "tap $(vtap A1)" "ip 192.168.100.2")
	sel=${pick[$((RANDOM % ${#pick[@]}))]}
	flushes=$((flushes + 1))
	# shellcheck disable=SC2086 # the selectors are words
	ip netns exec "$(hns "$h")" "$VTEP" flush -c "${HOST_CONF[$h]}" $sel \
		>"$WORK/flush.out" 2>&1 || rc=$?
	# Answered: exit 0 ("flushed ..."), or 1 with the daemon's own refusal
	# (VNI 300 or A1's tap absent on that host, or in that configuration).
	if [ "$rc" = 0 ] && grep -q "^flushed " "$WORK/flush.out"; then
		flushed_ok=$((flushed_ok + 1))
	elif [ "$rc" = 1 ] && grep -Eq "no (VNI|tap) .* in the running configuration" "$WORK/flush.out"; then
		flushed_ok=$((flushed_ok + 1))
	else
		note "flush $sel on $h: exit $rc, $(head -n 1 "$WORK/flush.out")"
	fi
}
flushes=0
flushed_ok=0

end=$(($(date +%s) + SECONDS_RUN))
n=0
while [ "$(date +%s)" -lt "$end" ]; do
	if [ $((RANDOM % 2)) = 0 ]; then h=A; else h=B; fi
	case $((RANDOM % 9)) in
	0|1) kill -USR1 "${HOST_PID[$h]}" 2>/dev/null || true; a=dump ;;
	2) kill -USR2 "${HOST_PID[A]}" 2>/dev/null || true; a=usr2 ;;
	3|4) reload_random "$h"; a=reload ;;
	5) bad_reload "$h"; a=bad ;;
	6) ip -n "$(vns A2)" link del "$(vtap A2)" 2>/dev/null || true; a=deltap ;;
	7) in_host "$h" ip link set ul0 down
	   sleep 0.$((RANDOM % 3))
	   in_host "$h" ip link set ul0 up
	   a=flap ;;
	8) flush_random "$h"; a=flush ;;
	esac
	actions+="$a "
	n=$((n + 1))
	if ! vtep_alive A || ! vtep_alive B; then
		break
	fi
	sleep 0.$((1 + RANDOM % 4))
done
touch "$STOP"
note "$n actions: $(echo "$actions" | tr " " "\n" | grep -v "^$" | sort | uniq -c | tr -s " \n" " ")"
note "reloads: $reloads ($applied applied), bad reloads refused: $refused"
for p in "${LOOPS[@]}"; do
	wait "$p" 2>/dev/null || true
done

check "A survived" vtep_alive A
check "B survived" vtep_alive B
if ! vtep_alive A || ! vtep_alive B; then finish; fi
check_eq "every good reload was applied" "$applied" "$reloads"
check_eq "every flush was answered" "$flushed_ok" "$flushes"
bad_reload A
check_eq "every bad reload was refused (one more at the end)" "$refused" "$bads"

# Back to the base configuration; the reload creates A2's tap if it was
# deleted (its address goes with it: set it up again).
HOST_KEYS[A]=$BASE_A
HOST_KEYS[B]=$BASE_B
HOST_VNIS[A]=" 100 200"
VNI_TAPS[A:100]=""
VNI_TAPS[A:200]=""
for h in A B; do
	conf_write "$h" "${HOST_CONF[$h]}"
	check "final reload of $h applied" \
		ip netns exec "$(hns "$h")" "$VTEP" reload -c "${HOST_CONF[$h]}"
done
for h in A B; do in_host "$h" ip link set ul0 up; done
# VNI 300 is gone, and with it A3's tap, which vtep made (or made again).
unset 'VM_HOST[A3]'
check "A3's tap went with VNI 300" poll 3 tap_gone A3
if ! ip -n "$(vns A2)" addr show dev "$(vtap A2)" 2>/dev/null | grep -q 192.168.200.1; then
	poll 3 ip -n "$(vns A2)" link show "$(vtap A2)" >/dev/null && vm_setup A2
fi

check "ping A1 -> B1 after" vm_ping A1 "$(vm_addr B1)" 3 15
check "ping A2 -> B2 after" vm_ping A2 "$(vm_addr B2)" 3 15
check "ping A1 -> C1 after" vm_ping A1 "$(vm_addr C1)" 3 15
check "A's dump is valid JSON" dump_json A
check "B's dump is valid JSON" dump_json B
check_eq "A's table within maxaddress" \
	"$(jget A 'sum(len(v["fdb"]) for v in d["vnis"]) <= 2000')" true
check_ge "A learned sprayed MACs (counter learned)" "$(jget A 'counter("learned")')" 1000
check_ge "A's table filled up and refused more (drops fdb_full)" "$(jget A 'drops("fdb_full")')" 1
check_ge "the TCP flows went through: bytes A1 sent (tap rx_bytes)" \
	"$(jget A '[t for v in d["vnis"] for t in v["taps"] if t["name"] == "tapA1"][0]["rx_bytes"]')" \
	$((SECONDS_RUN * 10000000))

vtep_stop A
vtep_stop B
finish
