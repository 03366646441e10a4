#!/bin/bash
# SPDX-License-Identifier: MIT
# t27-pmtu: bridged path MTU discovery. The underlay path shrinks under
# running VTEPs (ul0 MTU 1500 -> 1400 on every host; the taps stay at 1450);
# an oversized frame from a tap is then dropped and answered on that tap with
# an ICMP "fragmentation needed" (IPv4 with DF) or ICMPv6 "packet too big",
# as if from the frame's destination, announcing 1400 - 50 = 1350, the way
# the Linux kernel vxlan driver answers bridged traffic.
#
#   vtvA1 192.168.100.1 fd00::1     vtvB1 192.168.100.2 fd00::2
#     tapA1 (mtu 1450)                tapB1 (mtu 1450)
#          |                               |
#   vthA: vtep 10.0.0.1             vthB: vtep 10.0.0.2
#     VNI 100 peers [10.0.0.2]        VNI 100 peers [10.0.0.1]
#     flood "unicast"                 flood "unicast"
#          \                               /
#           pA -------- vtul: br0 ------- pB ------ pC, pD
#                                                    |
#   vthC: kernel vxlan 10.0.0.3     vthD: kernel vxlan 10.0.0.4   (comparison)
#     br200 -- vx200, peer D          br200 -- vx200, peer C
#     vtvC1 192.168.200.3             vtvD1 192.168.200.4
#
# Checks (A1 -> B1 unless said otherwise):
#  path MTU 1500 (before):
#   - a normal ping, ping -M do -s 1400 and ping -6 -M do -s 1400 pass;
#     C1 -> D1 (kernel) ping -M do -s 1400 passes; A's dump shows remote
#     10.0.0.2 with path_mtu 1500
#  ul0 MTU 1400 on A, B, C and D:
#   - a normal ping still passes;
#   - IPv4, DF: ping -M do -s 1400 is answered "From 192.168.100.2 ...
#     Frag needed and DF set (mtu = 1350)", from the first ping on (the
#     datagram whose send failed is answered too); A1's `ip route get` then shows
#     mtu 1350; ping -M do -s 1322 (1350 bytes of IP) passes;
#   - vtep only: A counted too_big drops and icmp_too_big answers in VNI
#     100, B counted no too_big drop, A logged "path MTU to 10.0.0.2 is 1400";
#     A's dumps (JSON and text) show remote 10.0.0.2 with path_mtu 1400;
#   - IPv6: ping -6 -M do -s 1400 is answered "Packet too big: mtu=1350"
#     (from fd00::2), from the first ping on; A1's `ip -6 route get` shows mtu 1350; ping -6 -M do
#     -s 1302 (1350 bytes of IPv6) passes;
#   - IPv4 without DF (route cache flushed first, and A1's route checked to
#     have no mtu, so A1 does not fragment to the learnt 1350): ping -M dont
#     -s 1400 gets no "Frag needed", A1's route still has no mtu, and the
#     3 pings are answered (the kernel fragments the outer packet, whose DF
#     is clear; vtep fragments the inner one); vtep only: A counted 3
#     fragmented frames, B 3 (the replies), too_big and icmp_too_big did
#     not grow;
#   - TCP (iperf3 -t 2, route cache flushed first and checked to hold no
#     mtu for B1, so TCP must discover the path itself) over IPv4 and over
#     IPv6 moves >= 1 MiB, and A1's route to B1 shows mtu 1350 afterwards;
#     vtep only: icmp_too_big grew;
#  kernel comparison (C1 -> D1, kernel vxlan + bridge on both hosts):
#   - ping -M do -s 1400 is answered "Frag needed and DF set (mtu = 1350)";
#     ping -6 -M do -s 1400 "Packet too big: mtu=1350"; both from the first
#     ping on;
#  ul0 MTU back to 1500 (A1's route cache flushed before each try):
#   - ping -M do -s 1400 and ping -6 -M do -s 1400 pass again within 5 s;
#     a normal ping passes; then 3 more ping -M do -s 1400 all pass, and
#     (vtep only) neither too_big nor icmp_too_big moved during them.
#  ul0 MTU 1400 again, frames flooded (A1 has a static neighbour .99 /
#  fd00::99 at a MAC no VTEP has learnt):
#   - ping -M do -s 1400 and ping -6 -M do -s 1400 to it are answered with
#     mtu 1350 from the first ping on (its send failed: answered from the
#     failure); with the path known and A1's route cache flushed, one more
#     is answered before it leaves; vtep only: flooded and icmp_too_big
#     grew by 3, tapA1's rx_dropped did not (a flood may reach other VTEPs).
#  guest MTU above the tap's (ul0 back at 1500; A1, B1, C1, D1 set MTU 9000),
#  vtep only:
#   - ping -M do -s 2000 is answered "Frag needed and DF set (mtu = 1450)",
#     ping -6 -M do -s 2000 "Packet too big: mtu=1450", from the first ping
#     on, and A1's routes to B1 show mtu 1450; ping -M dont -s 2000 gets no
#     answer and nothing through (dropped, as by a bridge);
#   - TCP over IPv4 and IPv6 (route cache flushed) moves >= 1 MiB and leaves
#     mtu 1450 on A1's route; A's too_big, icmp_too_big and tapA1's
#     rx_dropped grew;
#   - the kernel pair's answer to C1's ping -M do -s 2000 is shown (a bridge
#     drops the frame unanswered).
# Under VTEP_IMPL=kernel every host is a kernel vxlan host and the vtep-only
# checks (counters, log) are skipped.
set -eu
. "$(dirname "$0")/lib.sh"
require
command -v iperf3 >/dev/null 2>&1 || skip "iperf3 not installed"

host_add A 1
host_add B 2
host_add C 3
host_add D 4
host_kernel C
host_kernel D
vni_add A 100 flood=unicast peers=10.0.0.2
vni_add B 100 flood=unicast peers=10.0.0.1
vni_add C 200 flood=unicast peers=10.0.0.4
vni_add D 200 flood=unicast peers=10.0.0.3
vm_add A1 A 100 192.168.100.1/24
vm_add B1 B 100 192.168.100.2/24
vm_add C1 C 200 192.168.200.3/24
vm_add D1 D 200 192.168.200.4/24
for h in A B C D; do
	vtep_start $h || finish
done

v6_up A1 fd00::1
v6_up B1 fd00::2
v6_up C1 fd00:200::3
v6_up D1 fd00:200::4
B4=$(vm_addr B1)
B6=$(vm_addr6 B1)
D4=$(vm_addr D1)
D6=$(vm_addr6 D1)

# ul_mtu N: ul0's MTU on every host.
ul_mtu()
{
	local h
	for h in A B C D; do
		in_host "$h" ip link set ul0 mtu "$1"
	done
}

# pings V DST SIZE [ping args]: 3 pings of SIZE bytes with DF set
# (ping -M do), 0.3 s apart, all of which must be answered; prints ping's output.
pings()
{
	local v=$1 dst=$2 s=$3
	shift 3
	in_vm "$v" ping -n "$@" -M "do" -s "$s" -c 3 -i 0.3 -w 5 "$dst"
}
# big_out V DST [ping args]: the output of 4 pings of 1400 bytes with DF set
# (they are expected to fail; the output is what counts).
big_out()
{
	local v=$1 dst=$2
	shift 2
	in_vm "$v" ping -n "$@" -M "do" -s 1400 -c 4 -i 0.3 -W 1 "$dst" 2>&1 || true
}
# answered V DST FAM NAME FIRST: 4 pings of 1400 bytes with DF set from V to
# DST (FAM 4 or 6) are answered by DST with ICMP too-big announcing 1350
# (check NAME), the first ping's included (check FIRST).
answered()
{
	local v=$1 dst=$2 out all first
	if [ "$3" = 6 ]; then
		out=$(big_out "$v" "$dst" -6)
		all="^From $dst .*too big.*1350"
		first="^From $dst icmp_seq=1 .*too big"
	else
		out=$(big_out "$v" "$dst")
		all="^From $dst .*frag needed and DF set \(mtu = 1350\)"
		first="^From $dst icmp_seq=1 .*frag needed"
	fi
	printf '%s\n' "$out" | grep -Ev '^$|statistics|rtt' | sed 's/^/#   /'
	check "$4" grep -Eiq "$all" <<<"$out"
	check "$5" grep -Eiq "$first" <<<"$out"
}
# flush4 V / flush6 V: forget the path MTUs V's kernel learnt.
flush4() { in_vm "$1" ip route flush cache; }
flush6() { in_vm "$1" ip -6 route flush cache; }
# route_mtu V DST [-6]: the mtu `ip route get` shows for DST in V ("none").
route_mtu()
{
	local m
	m=$(in_vm "$1" ip ${3:+"$3"} route get "$2" | sed -n 's/.* mtu \([0-9]*\).*/\1/p' | head -n 1)
	echo "${m:-none}"
}
# fresh_big V DST [-6]: flush V's cache, then one ping -M do -s 1400 answered.
fresh_big()
{
	if [ "${3:-}" = -6 ]; then flush6 "$1"; else flush4 "$1"; fi
	in_vm "$1" ping -n ${3:+"$3"} -M "do" -s 1400 -c 1 -W 1 "$2"
}
# vc H NAME: VNI 100's counter NAME in H's last dump; vdrop H REASON: its drop.
vc() { jget "$1" "vni(100)['counters'].get('$2', 0)"; }
vdrop() { jget "$1" "vni(100)['counters']['drops'].get('$2', 0)"; }
# rmtu H ADDR: the path_mtu of remote ADDR in H's last dump.
rmtu() { jget "$1" "next((r['path_mtu'] for r in d['remotes'] if r['address'] == '$2'), 'absent')"; }


# ---------------------------------------------------------------- path MTU 1500
check "ping A1 -> B1" vm_ping A1 "$B4" 3
check "path 1500: ping -M do -s 1400 A1 -> B1 passes" pings A1 "$B4" 1400
check "path 1500: ping -6 -M do -s 1400 A1 -> B1 passes" pings A1 "$B6" 1400 -6
check "path 1500: ping -M do -s 1400 C1 -> D1 (kernel) passes" pings C1 "$D4" 1400
if ! is_kernel A && dump_json A; then
	check_eq "path 1500: A's dump: remote 10.0.0.2 path_mtu" "$(rmtu A 10.0.0.2)" 1500
fi

# ---------------------------------------------------------------- path MTU 1400
ul_mtu 1400
note "ul0 mtu 1400 on A, B, C and D"
check "path 1400: normal ping A1 -> B1 still passes" vm_ping A1 "$B4" 3

answered A1 "$B4" 4 "IPv4 DF: ping -M do -s 1400 answered by $B4 with Frag needed, mtu = 1350" \
	"IPv4 DF: the first ping (icmp_seq=1) is answered"
check_eq "IPv4: A1's route to B1 has mtu 1350" "$(route_mtu A1 "$B4")" 1350
check "IPv4: ping -M do -s 1322 (1350 bytes) passes" pings A1 "$B4" 1322

if ! is_kernel A && dump_json A && dump_json B; then
	check_ge "A: VNI 100 too_big drops" "$(vdrop A too_big)" 1
	check_ge "A: VNI 100 icmp_too_big answers" "$(vc A icmp_too_big)" 1
	check_eq "B: VNI 100 too_big drops" "$(vdrop B too_big)" 0
	check "A logged: path MTU to 10.0.0.2 is 1400" \
		grep -q "path MTU to 10.0.0.2 is 1400" "$WORK/A/vtep.log"
	check_eq "A's dump: remote 10.0.0.2 path_mtu" "$(rmtu A 10.0.0.2)" 1400
	check "A's text dump: remote 10.0.0.2 ... path_mtu 1400" \
		grep -Eq "^remote 10\.0\.0\.2 .* path_mtu 1400$" "$WORK/A/vtep.dump"
fi

answered A1 "$B6" 6 "IPv6: ping -6 -M do -s 1400 answered by $B6 with Packet too big, mtu 1350" \
	"IPv6: the first ping (icmp_seq=1) is answered"
check_eq "IPv6: A1's route to B1 has mtu 1350" "$(route_mtu A1 "$B6" -6)" 1350
check "IPv6: ping -6 -M do -s 1302 (1350 bytes) passes" pings A1 "$B6" 1302 -6

# IPv4 without DF: nothing to answer; the inner packet is fragmented (the
# kernel fragments the outer one), so the pings and their replies pass.
flush4 A1
if ! is_kernel A; then
	dump_json A
	dump_json B
	tb0=$(vdrop A too_big)
	icmp0=$(vc A icmp_too_big)
	fr0=$(vc A fragmented)
	frb0=$(vc B fragmented)
	tbb0=$(vdrop B too_big)
fi
check_eq "IPv4: after ip route flush cache, A1's route to B1 has no mtu" "$(route_mtu A1 "$B4")" none
rc=0
out=$(in_vm A1 ping -n -M dont -s 1400 -c 3 -i 0.3 -W 1 "$B4" 2>&1) || rc=$?
printf '%s\n' "$out" | grep -Ev '^$|statistics|rtt' | sed 's/^/#   /'
check_fails "IPv4 no DF: no Frag needed answer" grep -Eiq "frag needed" <<<"$out"
check_eq "IPv4 no DF: A1's route to B1 still has no mtu" "$(route_mtu A1 "$B4")" none
check_eq "IPv4 no DF: ping -M dont -s 1400 exit status" "$rc" 0
check "IPv4 no DF: all 3 pings answered" grep -q " 3 received" <<<"$out"
if ! is_kernel A && dump_json A && dump_json B; then
	check_eq "IPv4 no DF: A fragmented the 3 pings" "$(($(vc A fragmented) - fr0))" 3
	check_eq "IPv4 no DF: B fragmented the 3 replies" "$(($(vc B fragmented) - frb0))" 3
	check_eq "IPv4 no DF: A's too_big drops did not grow" "$(($(vdrop A too_big) - tb0))" 0
	# B learnt the path from its first reply's failed send, which it then
	# sent again as fragments.
	check_eq "IPv4 no DF: B's too_big drops did not grow" "$(($(vdrop B too_big) - tbb0))" 0
	check_eq "IPv4 no DF: A's icmp_too_big did not grow" "$(($(vc A icmp_too_big) - icmp0))" 0
fi

# TCP, each time with the route cache flushed: TCP's own segments have to
# bring the ICMP answer, or the connection stalls in a black hole.
for fam in 4 6; do
	if [ "$fam" = 4 ]; then dst=$B4 opt=; flush4 A1; else dst=$B6 opt=-6; flush6 A1; fi
	check_eq "IPv$fam: route cache flushed, A1's route to B1 has no mtu" "$(route_mtu A1 "$dst" $opt)" none
	if ! is_kernel A; then dump_json A; icmp0=$(vc A icmp_too_big); fi
	bytes=$(tcp_bytes A1 "$dst" B1 $opt)
	check_ge "IPv$fam TCP (iperf3 -t 2) A1 -> B1 moved data (bytes)" "$bytes" 1048576
	check_eq "IPv$fam: after TCP, A1's route to B1 has mtu 1350" "$(route_mtu A1 "$dst" $opt)" 1350
	if ! is_kernel A && dump_json A; then
		check_ge "IPv$fam TCP: A's icmp_too_big grew" "$(($(vc A icmp_too_big) - icmp0))" 1
	fi
done

# ---------------------------------------------------------------- kernel comparison
answered C1 "$D4" 4 "kernel C1 -> D1: ping -M do -s 1400 answered with Frag needed, mtu = 1350" \
	"kernel C1 -> D1: the first ping (icmp_seq=1) is answered"
answered C1 "$D6" 6 "kernel C1 -> D1: ping -6 -M do -s 1400 answered with Packet too big, mtu 1350" \
	"kernel C1 -> D1: the first ping -6 (icmp_seq=1) is answered"

# ---------------------------------------------------------------- path MTU back to 1500
ul_mtu 1500
note "ul0 mtu 1500 on A, B, C and D"
t0=$(now_ms)
if poll 5 fresh_big A1 "$B4"; then
	ok "recovery: ping -M do -s 1400 A1 -> B1 passes again ($(($(now_ms) - t0)) ms)"
else
	not_ok "recovery: ping -M do -s 1400 A1 -> B1 still fails 5 s after ul0 mtu 1500"
	fresh_big A1 "$B4" 2>&1 | sed 's/^/#   /' || true
fi
t0=$(now_ms)
if poll 5 fresh_big A1 "$B6" -6; then
	ok "recovery: ping -6 -M do -s 1400 A1 -> B1 passes again ($(($(now_ms) - t0)) ms)"
else
	not_ok "recovery: ping -6 -M do -s 1400 A1 -> B1 still fails 5 s after ul0 mtu 1500"
	fresh_big A1 "$B6" -6 2>&1 | sed 's/^/#   /' || true
fi
check "recovery: normal ping A1 -> B1" vm_ping A1 "$B4" 3
flush4 A1
if ! is_kernel A; then
	dump_json A
	tb0=$(vdrop A too_big)
	icmp0=$(vc A icmp_too_big)
fi
check "recovery: 3 more ping -M do -s 1400 all pass" pings A1 "$B4" 1400
if ! is_kernel A && dump_json A; then
	check_eq "recovery: A's too_big did not move" "$(($(vdrop A too_big) - tb0))" 0
	check_eq "recovery: A's icmp_too_big did not move" "$(($(vc A icmp_too_big) - icmp0))" 0
fi

# ---------------------------------------------------------------- flooded frames
# A frame for a MAC nobody has learnt is flooded to every peer; too big for
# the path to one of them, it is answered the same way (the kernel's bridge
# and vxlan answer too), the first frame included (its send fails before
# the path is known again).
ul_mtu 1400
note "ul0 mtu 1400 again; A1 sends to .99 and fd00::99 at 52:54:00:00:00:99, a MAC nobody has"
in_vm A1 ip neigh replace 192.168.100.99 lladdr 52:54:00:00:00:99 dev "$(vtap A1)" nud permanent
in_vm A1 ip -6 neigh replace fd00::99 lladdr 52:54:00:00:00:99 dev "$(vtap A1)" nud permanent
flush4 A1
flush6 A1
if ! is_kernel A; then
	dump_json A
	icmp0=$(vc A icmp_too_big)
	fl0=$(vc A flooded)
	rxd0=$(jget A "vni(100)['taps'][0]['rx_dropped']")
fi
answered A1 192.168.100.99 4 "flood: ping -M do -s 1400 to an unknown MAC answered, mtu = 1350" \
	"flood: the first ping (icmp_seq=1) is answered"
answered A1 fd00::99 6 "flood: ping -6 -M do -s 1400 to an unknown MAC answered, mtu 1350" \
	"flood: the first ping -6 (icmp_seq=1) is answered"
# The path is known now: a frame that would not fit is caught before it
# leaves (A1's route cache flushed, so that A1 sends one).
out=$(fresh_big A1 192.168.100.99 2>&1 || true)
check "flood, path known: a fresh ping -M do -s 1400 is answered too" \
	grep -Eiq "frag needed and DF set \(mtu = 1350\)" <<<"$out"
if ! is_kernel A && dump_json A; then
	# One frame each: the guest sends no more 1400-byte pings once told.
	check_ge "flood: A flooded the 3 frames" "$(($(vc A flooded) - fl0))" 3
	check_ge "flood: A's icmp_too_big grew by 3" "$(($(vc A icmp_too_big) - icmp0))" 3
	check_eq "flood: tapA1's rx_dropped did not move (a flood may reach other VTEPs)" \
		"$(($(jget A "vni(100)['taps'][0]['rx_dropped']") - rxd0))" 0
fi

# ---------------------------------------------------------------- guest MTU above the tap's
# A guest that sets its interface's MTU above the segment's (9000 on a tap
# of 1450) sends frames the VTEP cannot carry: each is dropped (too_big),
# and one with DF or over IPv6 is answered as from a narrower path, with
# the tap's MTU, so the guest's stack and its TCP adapt instead of stalling
# in a black hole. IPv4 without DF is dropped unanswered, as a bridge drops
# a frame over its port's MTU. (A kernel bridge drops them all unanswered:
# shown, not checked.)
ul_mtu 1500
note "ul0 mtu 1500; A1, B1, C1 and D1 set their interfaces' MTU to 9000"
for v in A1 B1 C1 D1; do
	in_vm "$v" ip link set "$(vtap "$v")" mtu 9000
	flush4 "$v"
	flush6 "$v"
done
if ! is_kernel A; then
	dump_json A
	tb0=$(vdrop A too_big)
	icmp0=$(vc A icmp_too_big)
	rxd0=$(jget A "vni(100)['taps'][0]['rx_dropped']")
	out=$(in_vm A1 ping -n -M "do" -s 2000 -c 3 -i 0.3 -W 1 "$B4" 2>&1 || true)
	printf '%s\n' "$out" | grep -Ev '^$|statistics|rtt' | sed 's/^/#   /'
	check "guest MTU 9000: ping -M do -s 2000 answered by $B4 with Frag needed, mtu = 1450" \
		grep -Eiq "^From $B4 icmp_seq=1 .*frag needed and DF set \(mtu = 1450\)" <<<"$out"
	check_eq "guest MTU 9000: A1's route to B1 has mtu 1450" "$(route_mtu A1 "$B4")" 1450
	out=$(in_vm A1 ping -n -6 -M "do" -s 2000 -c 3 -i 0.3 -W 1 "$B6" 2>&1 || true)
	printf '%s\n' "$out" | grep -Ev '^$|statistics|rtt' | sed 's/^/#   /'
	check "guest MTU 9000: ping -6 -M do -s 2000 answered by $B6 with Packet too big, mtu 1450" \
		grep -Eiq "^From $B6 icmp_seq=1 .*too big.*1450" <<<"$out"
	check_eq "guest MTU 9000: A1's IPv6 route to B1 has mtu 1450" "$(route_mtu A1 "$B6" -6)" 1450
	flush4 A1
	out=$(in_vm A1 ping -n -M dont -s 2000 -c 2 -i 0.3 -W 1 "$B4" 2>&1 || true)
	check_fails "guest MTU 9000, IPv4 no DF: no Frag needed answer" grep -Eiq "frag needed" <<<"$out"
	check "guest MTU 9000, IPv4 no DF: dropped (0 received)" grep -q " 0 received" <<<"$out"
	for fam in 4 6; do
		if [ "$fam" = 4 ]; then dst=$B4 opt=; flush4 A1; else dst=$B6 opt=-6; flush6 A1; fi
		bytes=$(tcp_bytes A1 "$dst" B1 $opt)
		check_ge "guest MTU 9000: IPv$fam TCP (iperf3 -t 2) A1 -> B1 moved data (bytes)" \
			"$bytes" 1048576
		check_eq "guest MTU 9000: after IPv$fam TCP, A1's route to B1 has mtu 1450" \
			"$(route_mtu A1 "$dst" $opt)" 1450
	done
	if dump_json A; then
		check_ge "guest MTU 9000: A's too_big drops grew" "$(($(vdrop A too_big) - tb0))" 5
		check_ge "guest MTU 9000: A's icmp_too_big grew" "$(($(vc A icmp_too_big) - icmp0))" 4
		check_ge "guest MTU 9000: tapA1's rx_dropped grew" \
			"$(($(jget A "vni(100)['taps'][0]['rx_dropped']") - rxd0))" 5
	fi
fi
out=$(in_vm C1 ping -n -M "do" -s 2000 -c 2 -i 0.3 -W 1 "$D4" 2>&1 || true)
note "kernel C1 -> D1, guest MTU 9000, ping -M do -s 2000: $(grep -Ec "frag needed" <<<"$out") Frag needed answers, $(grep -o '[0-9]* received' <<<"$out")"

for h in A B; do
	vtep_stop $h
done
finish
